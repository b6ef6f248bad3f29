"""The README, the CLI help and the provider table agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from langchain_llmswitch.cli import build_parser
from langchain_llmswitch.config import LLMSwitchSettings, env_names
from langchain_llmswitch.providers import PROVIDERS
from langchain_llmswitch.providers.base import PARAMETERS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


@pytest.mark.parametrize(
    "variable",
    sorted({name for f in LLMSwitchSettings.model_fields.values() for name in env_names(f)}),
)
def test_readme_lists_every_variable(variable: str) -> None:
    assert f"`{variable}`" in README


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_readme_and_cli_list_every_provider(provider: str) -> None:
    assert f"`{provider}`" in README
    assert provider in build_parser().description  # type: ignore[operator]


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
@pytest.mark.parametrize("parameter", PARAMETERS)
def test_readme_parameter_table_matches_the_provider_table(provider: str, parameter: str) -> None:
    row = next(line for line in README.splitlines() if line.startswith(f"| `{parameter}` |"))
    placement = PROVIDERS[provider].parameters[parameter]
    if placement.where == "server":
        assert "checked, not sent" in row
    else:
        assert f"`{placement.wire}`" in row
