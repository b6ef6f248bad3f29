"""``model.profile`` for every chat model the factories build (langchain-core's ModelProfile).

Agents read it: langchain's ``create_agent`` uses the provider's own structured output only
when ``profile["structured_output"]`` is true (otherwise a forced tool call), and its
summarisation middleware needs ``profile["max_input_tokens"]``. What the provider table says
is filled in when the model is built; what only the server knows (its context length, and
whether this server and model can call tools) is read on first use of the profile and kept
with the other server answers (`server_info`): building a model still sends no request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from langchain_llmswitch import server_info
from langchain_llmswitch.providers import PROVIDERS
from langchain_llmswitch.providers.base import Capability, ProviderSpec

__all__ = ["OLLAMA_DEFAULT_NUM_CTX", "LazyProfile", "build_profile", "server_facts"]

OLLAMA_DEFAULT_NUM_CTX = 2048
"""The context Ollama (0.5.4) gives a request that sends no ``num_ctx``."""


class LazyProfile(dict[str, Any]):
    """A ModelProfile (a dict) whose server facts are read when one is first looked up.

    ``get``, ``[]``, ``in``, ``items``, ``values`` and ``copy`` read the server once; iterating,
    ``len``, ``repr`` and LangChain's own key check at construction do not (they see what the
    provider table says, and the server's facts once read).
    """

    def __init__(self, known: Mapping[str, Any], load: Callable[[], Mapping[str, Any]]) -> None:
        """Build the profile.

        Args:
            known: What the provider table says.
            load: Reads what the server says (called once, on first use).
        """
        super().__init__(known)
        self._load: Callable[[], Mapping[str, Any]] | None = load

    def _fill(self) -> None:
        load, self._load = self._load, None
        if load is not None:
            super().update({k: v for k, v in load().items() if v is not None})

    def __getitem__(self, key: str) -> Any:
        """As dict's, after reading the server once."""
        self._fill()
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        """Return a value (reading the server first, once)."""
        self._fill()
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        """As dict's, after reading the server once."""
        self._fill()
        return super().__contains__(key)

    def items(self) -> Any:  # noqa: D102 - dict's
        self._fill()
        return super().items()

    def values(self) -> Any:  # noqa: D102 - dict's
        self._fill()
        return super().values()

    __hash__ = None

    def __repr__(self) -> str:
        """The values known so far: a repr (or a log line) never asks the server."""
        pending = "" if self._load is None else ", server facts not read yet"
        return f"LazyProfile({dict(super().items())!r}{pending})"

    def copy(self) -> dict[str, Any]:
        """Return a plain dict with every value."""
        self._fill()
        return dict(super().items())


def _ollama_context(show: Mapping[str, Any] | None, num_ctx: int | None) -> int | None:
    if num_ctx:
        return num_ctx
    if show is None:
        return None
    for line in str(show.get("parameters") or "").splitlines():
        name, _, value = line.partition(" ")
        if name == "num_ctx" and value.strip().isdigit():
            return int(value.strip())
    info = show.get("model_info")
    trained = (
        [int(v) for k, v in (info or {}).items() if k.endswith(".context_length") and v]
        if isinstance(info, dict)
        else []
    )
    return min([OLLAMA_DEFAULT_NUM_CTX, *trained])


def server_facts(
    spec: ProviderSpec, base_url: str, model: str, api_key: str | None, num_ctx: int | None
) -> dict[str, Any]:
    """What the server says about a model: its context and whether it can call tools.

    ``tool_calling`` is given only where the server tells (a template that cannot render
    tools says False).

    Args:
        spec: The provider's table entry.
        base_url: The URL the chat class talks to.
        model: The model name.
        api_key: The Bearer key (OpenAI protocol).
        num_ctx: The configured context (Ollama applies it per request).
    """
    facts: dict[str, Any] = {}
    if spec.context_probe == "ollama_show" or spec.tools_probe == "ollama_template":
        show = server_info.ollama_show(base_url, model)
        facts["max_input_tokens"] = _ollama_context(show, num_ctx)
        if show is not None and spec.tools_probe == "ollama_template":
            facts["tool_calling"] = ".Tools" in str(show.get("template") or "")
    if spec.context_probe == "llamacpp_props" or spec.tools_probe == "llamacpp_props":
        props = server_info.llamacpp_props(base_url, api_key)
        if props is not None:
            settings = props.get("default_generation_settings")
            if isinstance(settings, dict) and settings.get("n_ctx"):
                facts["max_input_tokens"] = int(settings["n_ctx"])
            caps = props.get("chat_template_caps")
            if spec.tools_probe == "llamacpp_props" and isinstance(caps, dict):
                facts["tool_calling"] = bool(caps.get("supports_tools"))
    if facts.get("max_input_tokens") is None and spec.protocol == "openai":
        facts["max_input_tokens"] = server_info.listed_context(base_url, model, api_key)
    if spec.tools == "none":
        facts["tool_calling"] = False
    if "tool_calling" in facts:
        facts["tool_choice"] = facts["tool_call_streaming"] = facts["tool_calling"]
    return facts


def build_profile(
    provider: str,
    capability: Capability,
    base_url: str,
    model: str,
    *,
    api_key: str | None = None,
    num_ctx: int | None = None,
) -> LazyProfile:
    """The profile of a chat model this package built (no request until it is read).

    Args:
        provider: The provider name.
        capability: chat or vision.
        base_url: The URL the chat class talks to.
        model: The model name.
        api_key: The Bearer key (OpenAI protocol).
        num_ctx: The configured context.
    """
    spec = PROVIDERS[provider]
    tools = spec.tools == "native"
    known = {
        "name": model,
        "text_inputs": True,
        "text_outputs": True,
        "image_inputs": capability == "vision",
        "image_url_inputs": capability == "vision",
        "reasoning_output": False,
        "tool_calling": tools,
        "tool_choice": tools,  # forced choices are enforced (`toolcalls`)
        "tool_call_streaming": tools,
        "structured_output": True,  # every provider enforces a JSON schema
    }
    return LazyProfile(known, lambda: server_facts(spec, base_url, model, api_key, num_ctx))
