"""Shared fixtures: every test starts with no llmswitch variable set and no .env file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from langchain_llmswitch.config import ENV_FILE_VARIABLE, LLMSwitchSettings, env_names
from langchain_llmswitch.factory import clear_cache

SETTINGS_VARIABLES = sorted(
    {name for field in LLMSwitchSettings.model_fields.values() for name in env_names(field)}
    | {ENV_FILE_VARIABLE}
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Remove every variable the settings read, and run from an empty folder."""
    for name in SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    clear_cache()
    yield
    clear_cache()
