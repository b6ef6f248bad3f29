"""ChatOllama as this package configures it.

Adds to ChatOllama, without changing its interface:
- a ``<think>`` in the answer (a thinking model on an Ollama without ``think``) is moved to
  ``additional_kwargs["reasoning_content"]``, where ChatOllama keeps Ollama's ``thinking``;
  ``reasoning`` on an Ollama older than 0.9 is a `CapabilityError` (it would be ignored);
- legacy ``guided_json`` (top level or in ``extra_body``) becomes Ollama's ``format``;
- ``with_structured_output`` sends a JSON schema as ``format``, re-checks the result, and
  raises `StructuredOutputError` with the raw text on a mismatch;
- the server's 404 for an unknown model becomes `ModelNotFoundError` listing what it serves,
  and its 400 "does not support tools" (a template without ``.Tools``) a `CapabilityError`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, Literal

import ollama
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LanguageModelInput, ModelProfile
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_ollama import ChatOllama
from pydantic import Field

from langchain_llmswitch import profiles, reasoning, server_info, structured, toolcalls
from langchain_llmswitch.errors import (
    CapabilityError,
    ModelNotFoundError,
    StreamInterruptedError,
)
from langchain_llmswitch.providers import PROVIDERS, per_call
from langchain_llmswitch.providers.base import Capability
from langchain_llmswitch.providers.ollama import SPEC
from langchain_llmswitch.reliability import server_errors
from langchain_llmswitch.reliability.guards import (
    aguard_stream,
    atag_stream,
    guard_stream,
    tag_result,
    tag_stream,
    translated,
)
from langchain_llmswitch.resolution import model_variables
from langchain_llmswitch.vision.images import capability_error_from, checked_messages

__all__ = ["SwitchChatOllama"]


DEFAULT_URL = "http://localhost:11434"  # the ollama client's default server
_shown = server_errors.masked  # a URL without its password, for messages


def served_models(base_url: str) -> list[str]:
    """The models an Ollama server lists at ``/api/tags``, sorted (2 s, no retries; [] if not)."""
    with contextlib.suppress(Exception):  # the listing is a courtesy; the 404 stands
        response = server_info.get_listing(f"{base_url}/api/tags", None)
        response.raise_for_status()
        return sorted(model.id for model in server_info.parse_models(response.json()))
    return []


def ollama_error(
    error: Exception, model: str, base_url: str | None, capability: Capability = "chat"
) -> Exception | None:
    """Our error for an Ollama answer that means a wrong model, or None for any other error.

    Args:
        error: What the ollama client raised.
        model: The model the request named.
        base_url: The server root (None: the client's default).
        capability: What the model is for; the message names that capability's variables.
    """
    if not isinstance(error, ollama.ResponseError):
        return None
    root = base_url or DEFAULT_URL
    text = str(error.error)
    if error.status_code == 404 and "not found" in text:  # noqa: PLR2004
        served = served_models(root)
        listed = ", ".join(served) if served else "(the server could not be asked)"
        names = model_variables(SPEC.name, capability)
        msg = (
            f"ollama at {_shown(root)} does not serve model {model!r} (HTTP 404: {text}). "
            f"Served: {listed}. Set {' or '.join(names)} (the {capability} model) to one of "
            "them, or create it on the server (ollama pull / ollama create)."
        )
        return ModelNotFoundError(msg, served=served, setting=names[0])
    if error.status_code == 400 and "does not support tools" in text:  # noqa: PLR2004
        msg = (
            f"ollama at {_shown(root)}: model {model!r} does not take tools (HTTP 400: {text}). "
            "Its chat template does not render .Tools: use a tool-capable model, or give it a "
            "Modelfile TEMPLATE that renders .Tools and .ToolCalls."
        )
        return CapabilityError(msg)
    return None


def client_timeout(client_kwargs: dict[str, Any] | None) -> float | None:
    """The timeout in seconds the package gave the Ollama client, for messages."""
    value = (client_kwargs or {}).get("timeout")
    return float(value) if isinstance(value, int | float) else None


def _done(chunk: ChatGenerationChunk) -> bool:
    """An Ollama stream is complete once a chunk says ``done``."""
    return bool((chunk.generation_info or {}).get("done"))


class SwitchChatOllama(ChatOllama):
    """ChatOllama for a server named by langchain-llmswitch's settings."""

    llmswitch_provider: str = Field(default="ollama", exclude=True)
    """The provider of the table this model was built for."""

    llmswitch_capability: Capability = Field(default="chat", exclude=True)
    """What it was built for (chat or vision), for messages naming its variables."""

    structured_retries: int = Field(default=0, ge=0, exclude=True)
    """Extra attempts of ``with_structured_output`` after a mismatch."""

    @property
    def llmswitch_where(self) -> str:
        """The server and model, for messages."""
        return f"{_shown(self.base_url or DEFAULT_URL)} (model {self.model!r})"

    def _resolve_model_profile(self) -> ModelProfile | None:
        """The profile from the provider table; the server's facts are read on first use."""
        return profiles.build_profile(  # type: ignore[return-value]
            self.llmswitch_provider,
            self.llmswitch_capability,
            self.base_url or DEFAULT_URL,
            self.model,
            num_ctx=self.num_ctx,
        )

    def bind_tools(
        self,
        tools: Sequence[Any],
        *,
        tool_choice: Any = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """ChatOllama's ``bind_tools``, with forced choices enforced and calls checked.

        Ollama ignores ``tool_choice`` (ollama#17921): a forced choice goes as ``format``, a
        JSON schema of the call (`toolcalls`). OpenAI's ``strict`` (``create_agent`` sends it)
        has no Ollama counterpart and is dropped.

        Args:
            tools: The tools, in any form LangChain accepts.
            tool_choice: ``"auto"``, ``"none"``, ``"any"``/``"required"``/``True`` or a tool's
                name.
            **kwargs: Passed to ChatOllama.

        Raises:
            CapabilityError: The model's template cannot render tools (before any request).
        """
        kwargs.pop("strict", None)
        return toolcalls.bind(self, super().bind_tools, tools, tool_choice, **kwargs)

    def _chat_params(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        structured.translate_legacy(self.llmswitch_provider, kwargs)
        reasoning.check_ollama_think(self._url, kwargs.get("reasoning", self.reasoning))
        spec = PROVIDERS[self.llmswitch_provider]
        messages = checked_messages(messages, inline_urls=spec.protocol == "ollama")
        fields, extras = per_call.place(spec.parameters, kwargs, spec.name, "options")
        given = kwargs.pop("options", None)  # merged with the model's, not replacing them
        params = super()._chat_params(messages, stop, **kwargs)
        params["options"] = {**(params.get("options") or {}), **(given or {}), **fields, **extras}
        return params

    def _translated(self, error: Exception) -> Exception | None:
        """Our clearer error for a server's answer, or None to let the original through."""
        found = ollama_error(error, self.model, self.base_url, self.llmswitch_capability)
        return (
            found
            or capability_error_from(error, self.model)
            or server_errors.server_error(
                error,
                provider=self.llmswitch_provider,
                url=self._url,
                client_errors=SPEC.client_errors,
                timeout=client_timeout(self.client_kwargs),
            )
        )

    @property
    def _url(self) -> str:
        return self.base_url or SPEC.default_base_url

    def _complete(self, result: ChatResult) -> ChatResult:
        # ChatOllama streams even an invoke; an answer without `done` was cut short
        if not (result.generations[0].generation_info or {}).get("done"):
            what = "the answer ended before the server said it was done"
            raise StreamInterruptedError(
                what,
                provider=self.llmswitch_provider,
                url=server_errors.masked(self._url),
                check="Check the server's log (killed, restarted, or a proxy that cuts answers)",
            )
        return tag_result(reasoning.keep_result(result), self.llmswitch_provider)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        forced = toolcalls.pop_forced(kwargs)
        with translated(self._translated):
            result = super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)
        toolcalls.finish(result, forced, kwargs.get("tools"))
        return self._complete(result)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        forced = toolcalls.pop_forced(kwargs)
        with translated(self._translated):
            result = await super()._agenerate(
                messages, stop=stop, run_manager=run_manager, **kwargs
            )
        toolcalls.finish(result, forced, kwargs.get("tools"))
        return self._complete(result)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        forced = toolcalls.pop_forced(kwargs)
        tagged = tag_stream(
            guard_stream(
                super()._stream(messages, stop=stop, run_manager=run_manager, **kwargs),
                complete=_done,
                provider=self.llmswitch_provider,
                url=self._url,
                translate=self._translated,
            ),
            self.llmswitch_provider,
        )
        split = reasoning.split_stream(tagged, _done)
        yield from toolcalls.finish_stream(split, forced, kwargs.get("tools"))

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        forced = toolcalls.pop_forced(kwargs)
        guarded = aguard_stream(
            super()._astream(messages, stop=stop, run_manager=run_manager, **kwargs),
            complete=_done,
            provider=self.llmswitch_provider,
            url=self._url,
            translate=self._translated,
        )
        tagged = atag_stream(guarded, self.llmswitch_provider)
        split = reasoning.split_astream(tagged, _done)
        async for chunk in toolcalls.afinish_stream(split, forced, kwargs.get("tools")):
            yield chunk

    def with_structured_output(
        self,
        schema: Any = None,
        *,
        method: Literal["function_calling", "json_mode", "json_schema"] = "json_schema",
        include_raw: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Structured output Ollama enforces (``format`` = the JSON schema), then checked.

        Args:
            schema: A pydantic class, a TypedDict or a JSON schema.
            method: ``json_schema`` (default), ``json_mode`` or ``function_calling``.
            include_raw: Return ``{"raw", "parsed", "parsing_error"}`` instead of raising.
            **kwargs: Passed to ChatOllama (``retries`` is ours: extra attempts).

        Returns:
            A runnable giving the parsed value.
        """
        retries = int(kwargs.pop("retries", self.structured_retries))
        json_schema, validate = structured.prepare_schema(schema)
        bound = super().with_structured_output(
            json_schema,
            method=method,
            include_raw=True,
            **kwargs,
        )
        return structured.validated_structured_output(
            bound, json_schema, validate, include_raw=include_raw, retries=retries
        )
