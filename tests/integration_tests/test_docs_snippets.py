"""Every Python block of the README and of docs/, run as written against the real servers.

Each block says how it runs in an HTML comment on the line before its fence, which the site
does not show: ``<!-- run: BACKEND [after-previous] -->``.

- ``embedded``: nothing configured: the embedded default, started in a temporary cache (its
  models linked from the real cache, so nothing is fetched again) and stopped at the end;
- ``vllm``, ``llamacpp``, ``ollama``: the variables a user sets for that backend (chat and
  embeddings; vision on the real Ollama's ``tiny-llava``);
- ``pytest``: the block is a test project (``# conftest.py`` / ``# test_x.py`` parts): pytest
  runs it on the embedded default, recording its cassette.
- ``after-previous``: the block continues the page's previous block (run together);
- ``worked-example``: docs/testing.md's worked example, which ``test_replay_offline.py`` runs
  as written (record, then replay offline on a fresh cache);
- ``before``: code the package replaces, shown to contrast (the user's own, with the traps
  the package removes: guided_json that vLLM ignores, a token limit over the context): it is
  compiled, not run, and the next block of its page must be one that runs.

Each block runs in a fresh interpreter, from an empty folder holding the sample files the
pages name (``scan.png`` and ``page1.png``: the package's own invoice image; ``invoice.pdf``: one
page);
answers are short and greedy through the environment (``CAPS``), never through the code.
A block without a directive fails the check, so a new snippet cannot go unrun.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from langchain_llmswitch.embedded.cache import CACHE_ENV
from tests.conftest import SETTINGS_VARIABLES
from tests.unit_tests.test_ocr import make_pdf

from .conftest import Backend

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
INVOICE = ROOT / "langchain_llmswitch" / "data" / "invoice.png"
RUNS = ("embedded", "vllm", "llamacpp", "ollama", "pytest")
"""Directives of the blocks this module runs."""
ELSEWHERE = ("worked-example", "before")
BLOCK = re.compile(r"(?:<!-- run: (?P<directive>[^>]*?) -->\n)?```python\n(?P<code>.*?)```", re.S)
SNIPPET_TIMEOUT = 300.0
CAPS = {"LLM_MAX_TOKENS": "96", "LLM_TEMPERATURE": "0"}
"""Short and greedy answers: set in the environment, where a user would set them."""


@dataclass(frozen=True)
class Snippet:
    """One Python block of a page, with how it runs."""

    where: str
    backend: str
    code: str


def snippets() -> list[Snippet]:
    """Every Python block of the pages, ``after-previous`` ones joined to the block before."""
    found = []
    for path in PAGES:
        previous = ""
        for number, match in enumerate(BLOCK.finditer(path.read_text())):
            words = (match["directive"] or "").split()
            code = match["code"]
            if "after-previous" in words:
                code = previous + code
            previous = code
            found.append(Snippet(f"{path.name}#{number}", words[0] if words else "", code))
    return found


SNIPPETS = snippets()


RUN = [snippet for snippet in SNIPPETS if snippet.backend in RUNS]


def test_every_block_says_how_it_runs() -> None:
    """The check that keeps this suite whole: every block names a known way to run."""
    assert len(RUN) >= 20
    for snippet in SNIPPETS:
        assert snippet.backend in RUNS + ELSEWHERE, f"{snippet.where}: add <!-- run: ... -->"


def test_code_shown_before_is_followed_by_code_that_runs() -> None:
    for before, after in itertools.pairwise(SNIPPETS):
        if before.backend == "before":
            compile(before.code, before.where, "exec")
            assert after.backend in RUNS, before.where
            assert after.where.split("#")[0] == before.where.split("#")[0], before.where


def test_the_worked_example_is_the_one_the_replay_test_runs() -> None:
    from .test_replay_offline import _worked_example  # noqa: PLC0415

    files, _ = _worked_example()
    worked = [s for s in SNIPPETS if s.backend == "worked-example"]
    assert [s.code.partition("\n")[2].lstrip("\n") for s in worked] == list(files.values())


# --- the live run ----------------------------------------------------------------------------


def _clean_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}


@pytest.fixture
def environment_for(
    backend_factory: Callable[[str], Backend], linked_embedded_cache: Path
) -> Callable[[str], dict[str, str]]:
    """Return the environment a block of a backend runs with."""

    def get(name: str) -> dict[str, str]:
        env = {**_clean_environment(), CACHE_ENV: str(linked_embedded_cache), **CAPS}
        if name in ("vllm", "llamacpp", "ollama"):
            env.update(backend_factory(name).environment())
        if name == "ollama":
            backend = backend_factory("ollama")
            env.update(
                VISION_PROVIDER="ollama",
                VISION_BASE_URL=backend.chat_url,
                VISION_MODEL="tiny-llava",
            )
        return env

    return get


def _project(folder: Path, code: str) -> None:
    """Write a ``pytest`` block's files (each part starts with ``# name.py``)."""
    parts = re.split(r"^# (\w+\.py)\n", code, flags=re.M)
    assert parts[0].strip() == "", "a pytest block starts with its first file's name"
    for name, text in zip(parts[1::2], parts[2::2], strict=True):
        with (folder / name).open("a") as file:
            file.write(text)


@pytest.mark.live
@pytest.mark.parametrize("snippet", RUN, ids=[s.where for s in RUN])
def test_snippet_runs_as_written(
    snippet: Snippet,
    environment_for: Callable[[str], dict[str, str]],
    tmp_path: Path,
) -> None:
    for name in ("scan.png", "page1.png"):
        shutil.copy(INVOICE, tmp_path / name)
    (tmp_path / "invoice.pdf").write_bytes(make_pdf([b"0 0 1 rg 10 10 80 30 re f"]))
    env = environment_for(snippet.backend)
    if snippet.backend == "pytest":
        _project(tmp_path, snippet.code)
        argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        argv += ["--record-mode=once"]
    else:
        argv = [sys.executable, "-c", snippet.code]
    done = subprocess.run(
        argv,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=SNIPPET_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"{snippet.where}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
