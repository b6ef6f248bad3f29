"""The harness rebuilds a step whose built binary cannot start."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness import build


def _step(target: Path) -> build.Step:
    return build.Step("demo", lambda: target, lambda _: {})


def _mark(target: Path, binary: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    facts = {"step": "demo", "binary": str(binary)}
    (target / build.MARKER).write_text(json.dumps(facts), encoding="utf-8")


def _script(path: Path, interpreter: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!{interpreter}\nprint('hi')\n", encoding="utf-8")
    return path


def test_a_step_with_its_binary_and_interpreter_is_complete(tmp_path: Path) -> None:
    interpreter = _script(tmp_path / "venv" / "bin" / "python", Path("/bin/sh"))
    binary = _script(tmp_path / "venv" / "bin" / "tool", interpreter)
    _mark(tmp_path / "venv", binary)
    assert build.is_complete(_step(tmp_path / "venv"))


@pytest.mark.parametrize("missing", ["binary", "interpreter"])
def test_a_copied_venv_whose_script_cannot_start_is_rebuilt(tmp_path: Path, missing: str) -> None:
    """A venv copied from a folder since removed keeps scripts naming that folder."""
    gone = tmp_path / "removed" / "bin" / "python"
    binary = tmp_path / "venv" / "bin" / "tool"
    if missing == "interpreter":
        _script(binary, gone)
    _mark(tmp_path / "venv", binary)
    assert not build.is_complete(_step(tmp_path / "venv"))


def test_a_step_without_its_marker_is_not_complete(tmp_path: Path) -> None:
    (tmp_path / "venv").mkdir()
    assert not build.is_complete(_step(tmp_path / "venv"))
