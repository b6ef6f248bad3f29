"""A chat model that falls back to the next provider when one is unavailable.

LangChain's ``Runnable.with_fallbacks`` returns an object without ``bind_tools`` or
``with_structured_output`` (langchain#22134). `FallbackChatModel` is a real
``BaseChatModel``: each call goes to the first model; on a connection error, a timeout,
a 5xx or a 429 (after that model's own retries) it goes to the next, each model with its
own provider's parameter names. Tools and structured output are bound on every model of
the chain. A stream falls back only before its first chunk; a stream that breaks later
raises `StreamInterruptedError`, never a partial message passed off as complete.

Example:
    >>> # LLM_PROVIDER=vllm LLM_FALLBACK_PROVIDER=ollama  (+ VLLM_*/OLLAMA_* variables)
    >>> chat = get_chat_model()  # doctest: +SKIP
    >>> chat.invoke("hi").response_metadata["llmswitch_provider"]  # doctest: +SKIP
    'ollama'
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import (
    BaseChatModel,
    LangSmithParams,
    LanguageModelInput,
    ModelProfile,
)
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from pydantic import ConfigDict

from langchain_llmswitch.errors import (
    LLMSwitchError,
    ProviderUnavailableError,
    ServerError,
    ServerStatusError,
)

__all__ = [
    "FallbackChatModel",
    "FallbackEmbeddings",
    "first_available",
    "is_unavailable",
]

logger = logging.getLogger(__name__)

_UNAVAILABLE_NAMES = frozenset(
    {
        # openai SDK
        "APIConnectionError",
        "APITimeoutError",
        "InternalServerError",
        "RateLimitError",
        # httpx (Ollama's client lets these through)
        "ConnectError",
        "ConnectTimeout",
        "ReadTimeout",
        "WriteTimeout",
        "PoolTimeout",
        "ReadError",
        "RemoteProtocolError",
    }
)


def is_unavailable(error: BaseException) -> bool:
    """Whether an error means "this server cannot answer now" (worth another provider).

    Connection errors, timeouts, HTTP 5xx and 429 are; bad requests, unknown models and
    structured-output mismatches are not (another server would not fix them).

    Args:
        error: The exception a model call raised.

    Example:
        >>> is_unavailable(ConnectionError("refused"))
        True
        >>> is_unavailable(ValueError("bad schema"))
        False
    """
    if isinstance(error, ConnectionError | TimeoutError | ProviderUnavailableError):
        return True
    if any(cls.__name__ in _UNAVAILABLE_NAMES for cls in type(error).__mro__):
        return True
    status = getattr(error, "status_code", None)
    return isinstance(status, int) and (status >= 500 or status == 429)  # noqa: PLR2004


_CHAIN = "every provider in the chain"
_EMBEDDINGS_CHAIN = "every embeddings provider"


def exhausted(what: str, failures: list[str], errors: list[BaseException]) -> LLMSwitchError:
    """The error raised when every member of a chain failed.

    When every member failed the same way (all timed out, all refused the connection), the
    error is of that kind, so the ``except TimeoutError`` a user wrote for one provider
    still catches a chain of them; otherwise a `ProviderUnavailableError`. The message
    lists each member's failure; the last error is the ``__cause__``.

    Args:
        what: The chain, e.g. ``"every provider in the chain"``.
        failures: One line per member, in order.
        errors: What each member raised, in order.
    """
    last = errors[-1]
    kinds = {type(error) for error in errors}
    text = f"{what} failed: " + "; ".join(failures)
    failure: LLMSwitchError
    if len(kinds) == 1 and isinstance(last, ServerStatusError):
        failure = ServerStatusError(text, status_code=last.status_code, check=last.check)
    elif len(kinds) == 1 and isinstance(last, ServerError):
        failure = type(last)(text, check=last.check)
    else:
        failure = ProviderUnavailableError(text)
    failure.__cause__ = last
    return failure


def _tag(message: BaseMessage, provider: str, index: int) -> None:
    message.response_metadata["llmswitch_provider"] = provider
    message.response_metadata["llmswitch_fallback_index"] = index


class FallbackChatModel(BaseChatModel):
    """Chat models tried in order; the next one answers when one is unavailable."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    models: list[BaseChatModel]
    """The chain, primary first."""

    providers: list[str]
    """The provider name of each model, for messages and response metadata."""

    @property
    def _llm_type(self) -> str:
        return "llmswitch-fallback"

    @property
    def llmswitch_provider(self) -> str:
        """The primary provider."""
        return self.providers[0]

    @property
    def model_name(self) -> str:
        """The primary's model: the model this chain is for, whichever answers a call.

        Which one did answer is in each answer's ``response_metadata``:
        ``llmswitch_provider``, ``llmswitch_fallback_index`` and the provider's own
        ``model_name``.
        """
        primary = self.models[0]
        name = getattr(primary, "model_name", None) or getattr(primary, "model", None)
        return str(name or "")

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        """Trace as the primary model (the chain runs as one LangSmith run)."""
        primary = self.models[0]
        params = primary._get_ls_params(stop=stop, **kwargs)
        params["ls_model_name"] = self.model_name
        return params

    def _resolve_model_profile(self) -> ModelProfile | None:
        """The primary's profile: what the chain is for (its tools are bound on every model)."""
        return self.models[0].profile if self.models else None

    def _kwargs_for(self, index: int, kwargs: dict[str, Any]) -> dict[str, Any]:
        per_model = kwargs.get("llmswitch_per_model")
        merged = {k: v for k, v in kwargs.items() if k != "llmswitch_per_model"}
        if per_model:
            merged.update(per_model[index])
        return merged

    def _note(
        self, index: int, error: BaseException, failures: list[str], errors: list[BaseException]
    ) -> None:
        failures.append(f"{self.providers[index]} ({type(error).__name__}: {error})")
        errors.append(error)
        if index + 1 < len(self.models):
            logger.warning(
                "%s unavailable (%s); falling back to %s",
                self.providers[index],
                type(error).__name__,
                self.providers[index + 1],
            )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        failures: list[str] = []
        errors: list[BaseException] = []
        for index, model in enumerate(self.models):
            try:
                result = model._generate(
                    messages, stop=stop, run_manager=run_manager, **self._kwargs_for(index, kwargs)
                )
            except Exception as error:
                if not is_unavailable(error):
                    raise
                self._note(index, error, failures, errors)
                continue
            for generation in result.generations:
                _tag(generation.message, self.providers[index], index)
            return result
        raise exhausted(_CHAIN, failures, errors)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        failures: list[str] = []
        errors: list[BaseException] = []
        for index, model in enumerate(self.models):
            try:
                result = await model._agenerate(
                    messages, stop=stop, run_manager=run_manager, **self._kwargs_for(index, kwargs)
                )
            except Exception as error:
                if not is_unavailable(error):
                    raise
                self._note(index, error, failures, errors)
                continue
            for generation in result.generations:
                _tag(generation.message, self.providers[index], index)
            return result
        raise exhausted(_CHAIN, failures, errors)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        failures: list[str] = []
        errors: list[BaseException] = []
        for index, model in enumerate(self.models):
            started = False
            try:
                for chunk in model._stream(
                    messages, stop=stop, run_manager=run_manager, **self._kwargs_for(index, kwargs)
                ):
                    if not started:
                        _tag(chunk.message, self.providers[index], index)
                    started = True
                    yield chunk
            except Exception as error:
                if started or not is_unavailable(error):
                    raise
                self._note(index, error, failures, errors)
                continue
            return
        raise exhausted(_CHAIN, failures, errors)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        failures: list[str] = []
        errors: list[BaseException] = []
        for index, model in enumerate(self.models):
            started = False
            try:
                async for chunk in model._astream(
                    messages, stop=stop, run_manager=run_manager, **self._kwargs_for(index, kwargs)
                ):
                    if not started:
                        _tag(chunk.message, self.providers[index], index)
                    started = True
                    yield chunk
            except Exception as error:
                if started or not is_unavailable(error):
                    raise
                self._note(index, error, failures, errors)
                continue
            return
        raise exhausted(_CHAIN, failures, errors)

    def bind_tools(
        self,
        tools: Sequence[Any],
        *,
        tool_choice: Any = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools on every model of the chain, each in its own provider's format.

        Args:
            tools: Tools, as for any LangChain chat model.
            tool_choice: As for any LangChain chat model.
            **kwargs: Passed to each model's ``bind_tools``.

        Returns:
            This chain with the tools bound.
        """
        per_model = []
        for model in self.models:
            bound = model.bind_tools(tools, tool_choice=tool_choice, **kwargs)
            per_model.append(dict(getattr(bound, "kwargs", {})))
        return self.bind(llmswitch_per_model=per_model)

    def with_structured_output(
        self,
        schema: Any = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, Any]:
        """Structured output on every model of the chain, with fallback between them.

        Args:
            schema: As for the models' own ``with_structured_output``.
            **kwargs: As for the models' own ``with_structured_output``.

        Returns:
            A runnable trying each model's structured output in order.
        """
        runnables = [model.with_structured_output(schema, **kwargs) for model in self.models]
        return first_available(runnables, self.providers)


def _tag_raw(output: Any, provider: str, index: int) -> Any:
    """Tag the raw message of a structured output with ``include_raw`` (or a message)."""
    raw = output.get("raw") if isinstance(output, dict) else output
    if isinstance(raw, BaseMessage):
        _tag(raw, provider, index)
    return output


def first_available(
    runnables: Sequence[Runnable[Any, Any]], providers: Sequence[str]
) -> Runnable[Any, Any]:
    """Return a runnable that tries each runnable in order while they are unavailable.

    Unlike ``Runnable.with_fallbacks``, only errors for which `is_unavailable` is true move
    on (a structured-output mismatch does not: another server would not fix the prompt).

    Args:
        runnables: Primary first.
        providers: Their provider names, for messages.
    """
    from langchain_core.runnables import RunnableLambda  # noqa: PLC0415

    def run(value: Any, config: Any = None) -> Any:
        failures: list[str] = []
        errors: list[BaseException] = []
        for index, (runnable, provider) in enumerate(zip(runnables, providers, strict=True)):
            try:
                return _tag_raw(runnable.invoke(value, config), provider, index)
            except Exception as error:
                if not is_unavailable(error):
                    raise
                failures.append(f"{provider} ({type(error).__name__}: {error})")
                errors.append(error)
        raise exhausted(_CHAIN, failures, errors)

    async def arun(value: Any, config: Any = None) -> Any:
        failures: list[str] = []
        errors: list[BaseException] = []
        for index, (runnable, provider) in enumerate(zip(runnables, providers, strict=True)):
            try:
                return _tag_raw(await runnable.ainvoke(value, config), provider, index)
            except Exception as error:
                if not is_unavailable(error):
                    raise
                failures.append(f"{provider} ({type(error).__name__}: {error})")
                errors.append(error)
        raise exhausted(_CHAIN, failures, errors)

    return RunnableLambda(run, afunc=arun, name="first_available")


class FallbackEmbeddings(Embeddings):
    """Embeddings tried in order when one server is unavailable.

    Only built when ``EMBEDDINGS_FALLBACK_SAME_SPACE=true`` confirms every member serves
    the same model: vectors of different models must never mix in one store.
    """

    def __init__(self, embeddings: Sequence[Embeddings], providers: Sequence[str]) -> None:
        """Build the chain.

        Args:
            embeddings: Primary first.
            providers: Their provider names.
        """
        self.embeddings = list(embeddings)
        self.providers = list(providers)

    def _first(self, call: str, *args: Any) -> Any:
        failures: list[str] = []
        errors: list[BaseException] = []
        for member, provider in zip(self.embeddings, self.providers, strict=True):
            try:
                return getattr(member, call)(*args)
            except Exception as error:
                if not is_unavailable(error):
                    raise
                failures.append(f"{provider} ({type(error).__name__}: {error})")
                errors.append(error)
        raise exhausted(_EMBEDDINGS_CHAIN, failures, errors)

    async def _afirst(self, call: str, *args: Any) -> Any:
        failures: list[str] = []
        errors: list[BaseException] = []
        for member, provider in zip(self.embeddings, self.providers, strict=True):
            try:
                return await getattr(member, call)(*args)
            except Exception as error:
                if not is_unavailable(error):
                    raise
                failures.append(f"{provider} ({type(error).__name__}: {error})")
                errors.append(error)
        raise exhausted(_EMBEDDINGS_CHAIN, failures, errors)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents with the first available member."""
        result: list[list[float]] = self._first("embed_documents", texts)
        return result

    def embed_query(self, text: str) -> list[float]:
        """Embed a query with the first available member."""
        result: list[float] = self._first("embed_query", text)
        return result

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents with the first available member."""
        result: list[list[float]] = await self._afirst("aembed_documents", texts)
        return result

    async def aembed_query(self, text: str) -> list[float]:
        """Embed a query with the first available member."""
        result: list[float] = await self._afirst("aembed_query", text)
        return result
