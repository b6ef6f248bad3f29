"""The factories' keywords that are not settings: LangChain's own and the provider class's.

A factory keyword is one of three kinds:

- a setting (``temperature``, ``base_url``, ...: `langchain_llmswitch.config`), mapped per
  backend by the provider table;
- a LangChain keyword of every chat model (``callbacks``, ``tags``, ``metadata``,
  ``rate_limiter``, ``cache``, ...: the fields of ``BaseChatModel``), passed on unchanged;
- a keyword of the provider's own class (``extra_body`` or ``default_headers`` of
  ``ChatOpenAI``, ``keep_alive`` of ``ChatOllama``): taken where the class has it,
  translated where the provider table says another provider spells it differently, and
  refused otherwise, naming the provider and where the keyword does work.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_llmswitch.config import LLMSwitchSettings
from langchain_llmswitch.errors import ConfigurationError, MissingDependencyError, did_you_mean
from langchain_llmswitch.providers import PROVIDERS
from langchain_llmswitch.providers.base import Capability, ProviderSpec, merged_kwargs

__all__ = ["class_keywords", "langchain_keywords"]

_FACTORIES: dict[Capability, str] = {
    "chat": "get_chat_model",
    "embeddings": "get_embeddings",
    "vision": "get_vision_model",
}


def langchain_keywords() -> frozenset[str]:
    """Return the keywords every LangChain chat model takes (``BaseChatModel``'s fields)."""
    from langchain_core.language_models import BaseChatModel  # noqa: PLC0415 - heavy

    return frozenset(BaseChatModel.model_fields)


def _accepted(cls: type) -> set[str]:
    """The keywords a LangChain class takes: its fields and their aliases."""
    fields = getattr(cls, "model_fields", {})
    names = set(fields)
    names |= {field.alias for field in fields.values() if getattr(field, "alias", None)}
    return names


def _class(spec: ProviderSpec, capability: Capability) -> type:
    if capability == "embeddings":
        return spec.load_embeddings_class()
    return spec.load_chat_class()


def _where_else(key: str, capability: Capability, here: str) -> list[str]:
    """The other providers whose class takes ``key`` (their packages installed)."""
    found = []
    for name, spec in sorted(PROVIDERS.items()):
        if name == here:
            continue
        try:
            if key in _accepted(_class(spec, capability)):
                found.append(name)
        except MissingDependencyError:
            continue
    return found


def class_keywords(
    spec: ProviderSpec, capability: Capability, keywords: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the constructor keywords of the provider's class for the user's keywords.

    Args:
        spec: The provider the model is built for.
        capability: chat, embeddings or vision (the factory's).
        keywords: Keywords that are not settings.

    Returns:
        The keywords to give the class (translated where the table says so).

    Raises:
        ConfigurationError: The class has no such keyword and no translation exists; the
            message names the provider and the providers where the keyword works.
    """
    if not keywords:
        return {}
    cls = _class(spec, capability)
    accepted = _accepted(cls)
    out: dict[str, Any] = {}
    for key, value in keywords.items():
        translate = spec.keyword_translations.get(key)
        if translate is not None:
            out = merged_kwargs(out, translate(value))
        elif key in accepted:
            out = merged_kwargs(out, {key: value})
        else:
            raise _refused(key, spec, capability, accepted)
    return out


def _refused(
    key: str, spec: ProviderSpec, capability: Capability, accepted: set[str]
) -> ConfigurationError:
    factory = _FACTORIES[capability]
    cls = _class(spec, capability)
    name = next(c.__name__ for c in cls.__mro__ if not c.__name__.startswith("Switch"))
    others = _where_else(key, capability, spec.name)
    where = (
        f" It works with provider {' and '.join(map(repr, others))}, not {spec.name!r}."
        if others
        else ""
    )
    choices = set(LLMSwitchSettings.model_fields) | accepted
    msg = (
        f"{factory}() got the keyword {key!r}, which is neither a setting nor a keyword of "
        f"{name} (provider {spec.name!r}).{where}{did_you_mean(key, choices)} "
        "Settings are listed in docs/configuration.md"
    )
    if capability != "embeddings":
        msg += "; LangChain's own keywords (callbacks, tags, metadata, rate_limiter, ...) work"
        msg += " with every provider"
    msg += "."
    return ConfigurationError(msg, setting=key)
