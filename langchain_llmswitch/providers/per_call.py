"""Parameters given per call (``bind``, ``invoke(**kwargs)``, ``stream``), placed per backend.

The factories take our names (``max_tokens``, ``top_k``, ``repetition_penalty``, ...) and
the native spellings (``num_predict``, ``repeat_penalty``); a call takes the same names and
each provider's parameter table places them, exactly as at construction: ChatOpenAI's own
fields, ``extra_body`` for vLLM's and llama.cpp's extras, Ollama's ``options``. The other
side's containers are translated too: ``extra_body`` given to an Ollama model becomes
``options`` entries, and ``options`` given to an OpenAI-protocol model goes in
``extra_body``. ``num_ctx`` of a server that fixes its context at start is dropped with a
warning (as at construction: there it is only checked). Two spellings of one parameter
with different values in one call (``max_tokens`` and ``num_predict``) are refused.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final

from langchain_llmswitch.errors import ConfigurationError
from langchain_llmswitch.providers.base import PARAMETER_ALIASES, Placement

__all__ = ["Placed", "place"]

logger = logging.getLogger(__name__)

Placed = tuple[dict[str, Any], dict[str, Any]]
"""``(fields, extras)``: keywords of the LangChain class, and entries of the provider's
container (``extra_body`` for the OpenAI protocol, ``options`` for Ollama)."""

_CONTAINERS: Final = ("extra_body", "options")


def place(
    parameters: Mapping[str, Placement],
    kwargs: dict[str, Any],
    provider: str,
    container: str,
) -> Placed:
    """Pop our parameters (and the other protocol's container) out of a call's keywords.

    Args:
        parameters: The provider's parameter table.
        kwargs: The call's keywords; the parameters found are removed.
        provider: The provider name, for the warning about a server-side parameter.
        container: The class's own container of extras (``extra_body`` or ``options``);
            the other one, when given, is translated into it.

    Returns:
        The class's keywords and the container entries, in the backend's names.

    Example:
        >>> from langchain_llmswitch.providers.vllm import PARAMETERS
        >>> place(PARAMETERS, {"num_predict": 16, "top_k": 5}, "vllm", "extra_body")
        ({'max_tokens': 16}, {'top_k': 5})
    """
    fields: dict[str, Any] = {}
    extras: dict[str, Any] = {}
    found = [(key, kwargs.pop(key)) for key in list(kwargs) if _ours(key, parameters)]
    for other in _CONTAINERS:
        given = kwargs.get(other)
        if isinstance(given, Mapping) and other != container:
            del kwargs[other]
            for key, value in given.items():
                if _ours(key, parameters):
                    found.append((key, value))
                else:
                    extras[key] = value  # the backend's own extras, unchanged
    seen: dict[str, tuple[str, Any]] = {}
    for key, value in found:
        name = PARAMETER_ALIASES.get(key, key)
        placement = parameters[name]
        if value is None:
            continue
        if name in seen and seen[name][1] != value:
            msg = (
                f"{seen[name][0]}={seen[name][1]!r} and {key}={value!r} set the same parameter "
                f"({name}) in one call: give one of them."
            )
            raise ConfigurationError(msg, setting=key)
        seen[name] = (key, value)
        if name == "stop" and not isinstance(value, str):
            value = list(value)  # noqa: PLW2901 - a tuple of stop words, as a JSON list
        if placement.where == "field":
            fields[placement.name] = value
        elif placement.where == "extra_body":
            extras[placement.name] = value
        else:
            logger.warning(
                "%s=%r cannot be applied per call on %s: it is fixed when the server starts (%s)",
                key,
                value,
                provider,
                placement.name,
            )
    return fields, extras


def _ours(key: str, parameters: Mapping[str, Placement]) -> bool:
    return PARAMETER_ALIASES.get(key, key) in parameters
