"""Unit tests only: a fresh cache folder for each test.

An embedded server running from the user's cache (``llmswitch embedded start``) must not
reach the unit tests through its state file: ``llmswitch config`` would ask its ``/health``,
with sockets disabled. (The integration tests keep the harness's cache.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from langchain_llmswitch.embedded.cache import CACHE_ENV


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Point the cache at an empty folder of the test's own."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
