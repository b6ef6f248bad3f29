"""The provider table: one typed entry per provider, one module per provider.

Adding a provider means writing one module with a ``SPEC`` (a `ProviderSpec`: names,
URLs, parameters, protocol, how constraints and vision checks are spelled) and adding it
to the table below; nothing else in the package names a provider
(``tests/unit_tests/test_new_provider.py`` does exactly that). Importing this package is
cheap: provider modules import their LangChain package only when a model is built.

Example:
    >>> from langchain_llmswitch.providers import PROVIDERS, normalise_provider_name
    >>> normalise_provider_name(" vLLM ")
    'vllm'
    >>> sorted(PROVIDERS)
    ['embedded', 'ollama', 'openai', 'vllm']
"""

from __future__ import annotations

from types import MappingProxyType

from langchain_llmswitch.errors import did_you_mean
from langchain_llmswitch.providers import embedded, ollama, openai_compatible, vllm
from langchain_llmswitch.providers.base import ProviderSpec

__all__ = [
    "DEFAULT_PROVIDER",
    "LEGACY_DEFAULT_PROVIDER",
    "PROVIDERS",
    "get_provider",
    "normalise_provider_name",
]

_TABLE: dict[str, ProviderSpec] = {
    spec.name: spec for spec in (ollama.SPEC, vllm.SPEC, openai_compatible.SPEC, embedded.SPEC)
}

PROVIDERS: MappingProxyType[str, ProviderSpec] = MappingProxyType(_TABLE)
"""Every provider, by canonical name (a read-only view of the one table)."""

DEFAULT_PROVIDER = "embedded"
"""The provider when nothing is configured: no provider, and no URL or model variable."""

LEGACY_DEFAULT_PROVIDER = "ollama"
"""The provider when a URL or model is configured without a provider (legacy ``.env``
files hold ``OLLAMA_HOST``/``OLLAMA_MODEL`` and no ``LLM_PROVIDER``)."""


def _aliases() -> dict[str, str]:
    return {alias: spec.name for spec in PROVIDERS.values() for alias in (spec.name, *spec.aliases)}


def normalise_provider_name(value: str) -> str:
    """Return the canonical provider name for a spelling, e.g. ``" vLLM "`` -> ``"vllm"``.

    Args:
        value: A provider name as a user wrote it.

    Returns:
        The canonical name.

    Raises:
        ValueError: The name is not a provider; the message lists the valid names and
            suggests the nearest one.
    """
    key = value.strip().lower().replace(" ", "")
    aliases = _aliases()
    if key in aliases:
        return aliases[key]
    msg = (
        f"unknown provider; valid: {', '.join(PROVIDERS)} "
        f"(also accepted: {', '.join(a for a in aliases if a not in PROVIDERS)})."
        f"{did_you_mean(key, aliases)}"
    )
    raise ValueError(msg)


def get_provider(name: str) -> ProviderSpec:
    """Return the table entry of a provider.

    Args:
        name: Any accepted spelling of a provider name.

    Raises:
        ValueError: The name is not a provider.
    """
    return PROVIDERS[normalise_provider_name(name)]
