"""ChatOllama as this package configures it.

Adds to ChatOllama, without changing its interface:
- legacy ``guided_json`` (top level or in ``extra_body``) becomes Ollama's ``format``;
- ``with_structured_output`` sends a JSON schema as ``format``, re-checks the result, and
  raises `StructuredOutputError` with the raw text on a mismatch.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_ollama import ChatOllama
from pydantic import Field

from langchain_llmswitch import structured
from langchain_llmswitch.errors import StreamInterruptedError
from langchain_llmswitch.reliability.guards import aguard_stream, guard_stream, translated
from langchain_llmswitch.vision.images import capability_error_from

__all__ = ["SwitchChatOllama"]


def _done(chunk: ChatGenerationChunk) -> bool:
    """An Ollama stream is complete once a chunk says ``done``."""
    return bool((chunk.generation_info or {}).get("done"))


class SwitchChatOllama(ChatOllama):
    """ChatOllama for a server named by langchain-llmswitch's settings."""

    llmswitch_provider: str = Field(default="ollama", exclude=True)
    """The provider of the table this model was built for."""

    structured_retries: int = Field(default=0, ge=0, exclude=True)
    """Extra attempts of ``with_structured_output`` after a mismatch."""

    def _chat_params(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        structured.translate_legacy(self.llmswitch_provider, kwargs)
        return super()._chat_params(messages, stop, **kwargs)

    def _translated(self, error: Exception) -> Exception | None:
        """Our clearer error for a server's answer, or None to let the original through."""
        return capability_error_from(error, self.model)

    def _complete(self, result: ChatResult) -> ChatResult:
        # ChatOllama streams even an invoke; an answer without `done` was cut short
        if not (result.generations[0].generation_info or {}).get("done"):
            msg = (
                f"the answer from ollama at {self.base_url} ended before the server said it "
                "was done"
            )
            raise StreamInterruptedError(msg)
        return result

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with translated(self._translated):
            result = super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)
        return self._complete(result)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with translated(self._translated):
            result = await super()._agenerate(
                messages, stop=stop, run_manager=run_manager, **kwargs
            )
        return self._complete(result)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        yield from guard_stream(
            super()._stream(messages, stop=stop, run_manager=run_manager, **kwargs),
            complete=_done,
            where=f"ollama at {self.base_url}",
            translate=self._translated,
        )

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        async for chunk in aguard_stream(
            super()._astream(messages, stop=stop, run_manager=run_manager, **kwargs),
            complete=_done,
            where=f"ollama at {self.base_url}",
            translate=self._translated,
        ):
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
