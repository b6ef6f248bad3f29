"""ChatOpenAI as this package configures it for vLLM and OpenAI-compatible servers.

Adds to ChatOpenAI, without changing its interface:
- parameters given per call take the factories' names and go where the provider table
  says (`per_call`); ``extra_body`` given per call is merged with the model's own
  (``top_k``, penalties) instead of replacing it;
- reasoning (the server's ``reasoning_content`` / ``reasoning``, which ChatOpenAI drops, or
  a ``<think>`` in the text) is kept in ``additional_kwargs["reasoning_content"]``, never
  in ``content`` (`langchain_llmswitch.reasoning`); ``reasoning=`` per call turns it on/off;
- legacy ``guided_*`` fields are rewritten for the server in use (vLLM ignores them);
- ``with_structured_output`` uses a JSON schema the server enforces, re-checks the result,
  and raises `StructuredOutputError` with the raw text on a mismatch; on llama-server the
  schema goes as a grammar for JSON without whitespace (no tokens spent on indentation).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from operator import itemgetter
from typing import Any, Literal

import httpx
import openai
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LangSmithParams, LanguageModelInput, ModelProfile
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, BaseMessageChunk
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_openai import ChatOpenAI
from pydantic import Field, SecretStr, ValidationError

from langchain_llmswitch import profiles, reasoning, server_info, structured, toolcalls
from langchain_llmswitch.errors import ModelNotFoundError
from langchain_llmswitch.providers import PROVIDERS, openai_wire, per_call
from langchain_llmswitch.providers.base import Capability
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
from langchain_llmswitch.structured import gbnf
from langchain_llmswitch.vision.images import capability_error_from, checked_messages

__all__ = ["SwitchChatOpenAI"]

logger = logging.getLogger(__name__)
reasoning.register_content_blocks()  # content_blocks shows the reasoning kept below

try:  # ChatOpenAI's own error mapping, used by the same-thread completion below
    from langchain_openai.chat_models.base import (
        _add_gateway_metadata,
        _handle_openai_api_error,
        _handle_openai_bad_request,
    )
    from openai.resources.chat.completions import AsyncCompletions, Completions

    _SAME_THREAD = True
    _RESOURCES: tuple[type, ...] = (Completions, AsyncCompletions)
except ImportError:  # pragma: no cover - another langchain-openai: its _agenerate as it is
    _SAME_THREAD = False
    _RESOURCES = ()


@contextlib.contextmanager
def _chatopenai_errors() -> Iterator[None]:
    """ChatOpenAI's handling of the SDK's errors, for the requests this class sends itself."""
    try:
        yield
    except openai.BadRequestError as error:
        _handle_openai_bad_request(error)
        raise
    except openai.APIError as error:
        _handle_openai_api_error(error)
        raise


def _messages(response: Any) -> list[dict[str, Any]]:
    """The reasoning fields of a completion's messages, which ChatOpenAI drops (no dump)."""
    if isinstance(response, dict):
        return [choice.get("message") or {} for choice in response.get("choices") or []]
    return [
        {name: getattr(choice.message, name, None) for name in reasoning.SERVER_FIELDS}
        for choice in response.choices or []
    ]


def _finished(chunk: ChatGenerationChunk) -> bool:
    """An OpenAI-protocol stream is complete once a chunk carries a finish reason."""
    return bool((chunk.generation_info or {}).get("finish_reason"))


class SwitchChatOpenAI(ChatOpenAI):
    """ChatOpenAI for a server named by langchain-llmswitch's settings."""

    llmswitch_provider: str = Field(default="openai", exclude=True)
    """The provider of the table this model was built for (``vllm`` or ``openai``)."""

    llmswitch_capability: Capability = Field(default="chat", exclude=True)
    """What it was built for (chat or vision), for messages naming its variables."""

    structured_retries: int = Field(default=0, ge=0, exclude=True)
    """Extra attempts of ``with_structured_output`` after a mismatch."""

    @property
    def chunk_timeout(self) -> float | None:
        """Seconds to wait for each chunk of an async stream: the client's ``timeout``.

        It takes the place of ChatOpenAI's ``stream_chunk_timeout``, which this package turns
        off: that one is 120 s whatever the client's timeout (an answer slow to its first
        token failed ``astream`` while ``stream`` waited), and it costs a task per chunk.
        None (a timeout given as a tuple or ``httpx.Timeout``) leaves it to the transport.
        """
        timeout = self.request_timeout
        return float(timeout) if isinstance(timeout, int | float) else None

    @classmethod
    def lc_id(cls) -> list[str]:
        """Serialise as the ChatOpenAI it configures (loadable with LangChain's allowlist).

        A loaded copy is a plain ChatOpenAI with the same server and parameters; the
        additions of this class (checked structured output, ``guided_*`` translation, the
        package's errors and retries: the copy's ``max_retries`` is 0) are not carried
        through serialisation.
        """
        return ChatOpenAI.lc_id()

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        """Trace under the provider of the table (``vllm``), not ChatOpenAI's ``openai``.

        LangSmith groups and prices runs by ``ls_provider``; a vLLM run is not an OpenAI run.
        """
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = self.llmswitch_provider
        return params

    @property
    def llmswitch_where(self) -> str:
        """The server and model, for messages."""
        return f"{self.openai_api_base} (model {self.model_name!r})"

    def _resolve_model_profile(self) -> ModelProfile | None:
        """The profile from the provider table; the server's facts are read on first use."""
        secret = self.openai_api_key
        key = secret.get_secret_value() if isinstance(secret, SecretStr) else None
        return profiles.build_profile(  # type: ignore[return-value]
            self.llmswitch_provider,
            self.llmswitch_capability,
            str(self.openai_api_base),
            str(self.model_name),
            api_key=key,
        )

    def bind_tools(
        self,
        tools: Sequence[Any],
        *,
        tool_choice: Any = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """ChatOpenAI's ``bind_tools``, with forced choices enforced and calls checked.

        Args:
            tools: The tools, in any form LangChain accepts.
            tool_choice: ``"auto"``, ``"none"``, ``"any"``/``"required"``/``True`` or a tool's
                name. A forced choice the server does not enforce goes as a JSON schema of
                the call (`toolcalls`).
            **kwargs: Passed to ChatOpenAI.

        Raises:
            CapabilityError: The server or model cannot call tools (before any request).
        """
        return toolcalls.bind(self, super().bind_tools, tools, tool_choice, **kwargs)

    def _served_models(self) -> list[server_info.ServedModel]:
        """The server's ``GET /models`` through this model's own client: 2 s, no retries.

        Raises:
            openai.OpenAIError: The server could not be asked, or answered an error.
        """
        client = self.root_client.with_options(timeout=2.0, max_retries=0)
        listed = [model.model_dump() for model in client.models.list()]
        return server_info.parse_models({"data": listed})

    def _not_found(self, error: openai.NotFoundError) -> ModelNotFoundError:
        """Turn the server's 404 into an error that lists what it does serve."""
        served: list[str] = []
        with contextlib.suppress(Exception):  # the listing is a courtesy; the 404 stands
            served = [model.id for model in self._served_models()]
        listed = ", ".join(served) if served else "(the server could not be asked)"
        capability = self.llmswitch_capability
        names = model_variables(self.llmswitch_provider, capability)
        spec = PROVIDERS.get(self.llmswitch_provider)
        hint = f" {spec.hint(capability)}" if spec is not None else ""
        unset = (
            ", or leave it unset to use the only one served"
            if spec is not None and spec.discovers_model
            else ""
        )
        msg = (
            f"{self.llmswitch_provider} at {self.openai_api_base} does not serve model "
            f"{self.model_name!r} (HTTP 404: {error.message}). Served: {listed}. Set "
            f"{' or '.join(names)} (the {capability} model) to one of them{unset}.{hint}"
        )
        return ModelNotFoundError(msg, served=served, setting=names[0])

    def _translated(self, error: Exception) -> Exception | None:
        """Our clearer error for a server's answer, or None to let the original through."""
        if isinstance(error, openai.NotFoundError):
            return self._not_found(error)
        spec = PROVIDERS.get(self.llmswitch_provider)
        return capability_error_from(error, str(self.model_name)) or server_errors.server_error(
            error,
            provider=self.llmswitch_provider,
            url=str(self.openai_api_base),
            client_errors=spec.client_errors if spec is not None else (),
            timeout=self.chunk_timeout,
        )

    def _create_chat_result(self, response: Any, generation_info: Any = None) -> ChatResult:
        """ChatOpenAI's result, once the answer is known to hold choices.

        A 200 whose body is not a completion (an HTML page, ``choices: []``) would otherwise
        fail deep in ChatOpenAI with an ``AttributeError`` or an ``IndexError``; a tool call
        whose arguments are no JSON object, with a pydantic ``ValidationError``.
        """
        if isinstance(response, dict):
            choices = response.get("choices")
        else:
            choices = getattr(response, "choices", None)
        if not choices:
            shown = repr(response)[:80] if isinstance(response, str | bytes) else "no choices"
            what = f"the answer is not a chat completion ({shown})"
            raise server_errors.malformed(what, self.llmswitch_provider, str(self.openai_api_base))
        try:
            result = super()._create_chat_result(response, generation_info)
        except ValidationError as error:  # a tool call's arguments that are no JSON object
            raise toolcalls.malformed(response) or error from error
        return reasoning.keep_result(result, _messages(response))

    def _convert_chunk_to_generation_chunk(
        self,
        chunk: dict[str, Any],
        default_chunk_class: type,
        base_generation_info: dict[str, Any] | None,
    ) -> ChatGenerationChunk | None:
        """ChatOpenAI's chunk, with the delta's reasoning kept (`reasoning.keep_delta`)."""
        generation = super()._convert_chunk_to_generation_chunk(
            chunk, default_chunk_class, base_generation_info
        )
        choices = chunk.get("choices") or [{}]
        reasoning.keep_delta(generation, choices[0].get("delta"))
        return generation

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        forced = toolcalls.pop_forced(kwargs)
        with translated(self._translated):
            payload = self._get_request_payload(messages, stop=stop, **kwargs)
            result = self._complete(payload) if self.client is not None else None
            if result is None:
                result = super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)
        toolcalls.finish(result, forced, kwargs.get("tools"))
        return tag_result(result, self.llmswitch_provider)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        forced = toolcalls.pop_forced(kwargs)
        with translated(self._translated):
            payload = self._get_request_payload(messages, stop=stop, **kwargs)
            if _SAME_THREAD and not (
                "response_format" in payload or self._use_responses_api(payload)
            ):
                result = await self._acomplete(payload)
            else:
                result = await super()._agenerate(
                    messages, stop=stop, run_manager=run_manager, **kwargs
                )
        toolcalls.finish(result, forced, kwargs.get("tools"))
        return tag_result(result, self.llmswitch_provider)

    def _wire(self, payload: dict[str, Any], client: Any) -> tuple[dict[str, Any], Any] | None:
        """The body and SDK options to send ``payload`` with `openai_wire`, or None.

        None leaves the request to ChatOpenAI: structured output (``response_format``), the
        Responses API, response headers or the LangSmith gateway in the metadata, a client
        that is not the SDK's Chat Completions resource, or a keyword ``create`` rejects.
        """
        if not _SAME_THREAD or not isinstance(client, _RESOURCES):
            return None
        if self.include_response_headers or self._uses_gateway:
            return None
        if self._use_responses_api(payload):
            return None
        return openai_wire.body_and_options(payload)

    def _wire_result(self, response: httpx.Response) -> ChatResult:
        """ChatOpenAI's result from the HTTP response of a plain completion.

        As the SDK parses it: JSON unless the content type says otherwise (then the JSON
        if it is JSON, else the text, which `_create_chat_result` refuses), then
        ChatOpenAI's conversion of the dict its ``model_dump()`` gives (`completion_dict`);
        the first message's ``refusal`` goes where ChatOpenAI puts the SDK object's.
        """
        content_type = response.headers.get("content-type", "*").split(";")[0]
        data: Any
        if content_type.endswith("json"):
            data = response.json()
        else:
            try:
                data = response.json()
            except ValueError:
                data = response.text
        data = openai_wire.completion_dict(data)
        generation_info: dict[str, Any] = {}
        _add_gateway_metadata(generation_info, response)
        result = self._create_chat_result(data, generation_info)
        message = data["choices"][0].get("message") if isinstance(data, dict) else None
        if result.generations and isinstance(message, dict):
            result.generations[0].message.additional_kwargs["refusal"] = message.get("refusal")
        return result

    def _complete(self, payload: dict[str, Any]) -> ChatResult | None:
        """A plain completion through `openai_wire`; None when it must go through ChatOpenAI."""
        wire = self._wire(payload, self.client)
        if wire is None:
            return None
        body, options = wire
        with _chatopenai_errors():
            response = self.client._post(
                "/chat/completions", body=body, options=options, cast_to=httpx.Response
            )
        return self._wire_result(response)

    async def _acomplete(self, payload: dict[str, Any]) -> ChatResult:
        """ChatOpenAI's ``_agenerate`` for a plain completion, without its thread hop.

        ChatOpenAI builds the result of every awaited call in a worker thread
        (``run_in_executor``); for a chat answer that hop is most of what the client costs
        beyond the openai SDK (docs/benchmark.md has the measurements). The request goes
        through the SDK; the answer is parsed once (`openai_wire`), unless the payload needs
        the SDK's objects (`_wire`). The errors it raises and the result are ChatOpenAI's;
        structured output and the Responses API still go through ChatOpenAI.

        Args:
            payload: ChatOpenAI's request payload.
        """
        wire = self._wire(payload, self.async_client)
        with _chatopenai_errors():
            if wire is not None:
                body, options = wire
                http_response = await self.async_client._post(
                    "/chat/completions", body=body, options=options, cast_to=httpx.Response
                )
                return self._wire_result(http_response)
            raw_response = await self.async_client.with_raw_response.create(**payload)
            response = raw_response.parse()
        generation_info: dict[str, Any] = {}
        if self.include_response_headers:
            generation_info["headers"] = dict(raw_response.headers)
        _add_gateway_metadata(generation_info, raw_response)
        return self._create_chat_result(response, generation_info)

    def _stream_payload(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        """The payload of a streamed request, built as ChatOpenAI's ``_stream`` builds it."""
        kwargs = {**kwargs, "stream": True}
        stream_usage = self._should_stream_usage(kwargs.pop("stream_usage", None), **kwargs)
        if stream_usage:
            kwargs["stream_options"] = {"include_usage": stream_usage}
        return self._get_request_payload(messages, stop=stop, **kwargs)

    def _chunk(
        self, data: dict[str, Any], default: type[BaseMessageChunk]
    ) -> ChatGenerationChunk | None:
        """ChatOpenAI's chunk of one streamed event (None for an event without one)."""
        return self._convert_chunk_to_generation_chunk(data, default, {})

    def _wire_chunks(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        run_manager: CallbackManagerForLLMRun | None,
        kwargs: dict[str, Any],
    ) -> Iterator[ChatGenerationChunk]:
        """ChatOpenAI's ``_stream``, its answer parsed once (`openai_wire`) when it can be."""
        payload = self._stream_payload(messages, stop, kwargs)
        wire = self._wire(payload, self.client)
        if wire is None:
            yield from super()._stream(messages, stop=stop, run_manager=run_manager, **kwargs)
            return
        body, options = wire
        default: type[BaseMessageChunk] = AIMessageChunk
        with _chatopenai_errors():
            response = self.client._post(
                "/chat/completions",
                body=body,
                options=options,
                cast_to=httpx.Response,
                stream=True,
            )
            for data in openai_wire.events(response):
                chunk = self._chunk(data, default)
                if chunk is None:
                    continue
                default = chunk.message.__class__
                if run_manager:
                    logprobs = (chunk.generation_info or {}).get("logprobs")
                    run_manager.on_llm_new_token(chunk.text, chunk=chunk, logprobs=logprobs)
                yield chunk

    async def _awire_chunks(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        run_manager: AsyncCallbackManagerForLLMRun | None,
        kwargs: dict[str, Any],
    ) -> AsyncIterator[ChatGenerationChunk]:
        """ChatOpenAI's ``_astream``, its answer parsed once (`openai_wire`) when it can be."""
        payload = self._stream_payload(messages, stop, kwargs)
        wire = self._wire(payload, self.async_client)
        if wire is None:
            async for original in super()._astream(
                messages, stop=stop, run_manager=run_manager, **kwargs
            ):
                yield original
            return
        body, options = wire
        default: type[BaseMessageChunk] = AIMessageChunk
        with _chatopenai_errors():
            response = await self.async_client._post(
                "/chat/completions",
                body=body,
                options=options,
                cast_to=httpx.Response,
                stream=True,
            )
            async for data in openai_wire.aevents(response):
                chunk = self._chunk(data, default)
                if chunk is None:
                    continue
                default = chunk.message.__class__
                if run_manager:
                    logprobs = (chunk.generation_info or {}).get("logprobs")
                    await run_manager.on_llm_new_token(chunk.text, chunk=chunk, logprobs=logprobs)
                yield chunk

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
                self._wire_chunks(messages, stop, run_manager, kwargs),
                complete=_finished,
                provider=self.llmswitch_provider,
                url=str(self.openai_api_base),
                translate=self._translated,
            ),
            self.llmswitch_provider,
        )
        split = reasoning.split_stream(tagged, _finished)
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
            self._awire_chunks(messages, stop, run_manager, kwargs),
            complete=_finished,
            provider=self.llmswitch_provider,
            url=str(self.openai_api_base),
            translate=self._translated,
            chunk_timeout=self.chunk_timeout,
        )
        tagged = atag_stream(guarded, self.llmswitch_provider)
        split = reasoning.split_astream(tagged, _finished)
        async for chunk in toolcalls.afinish_stream(split, forced, kwargs.get("tools")):
            yield chunk

    def _get_request_payload(
        self,
        input_: LanguageModelInput,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        spec = PROVIDERS[self.llmswitch_provider]
        input_ = checked_messages(
            self._convert_input(input_).to_messages(), inline_urls=spec.protocol == "ollama"
        )
        fields, extras = per_call.place(spec.parameters, kwargs, spec.name, "extra_body")
        extras.update(reasoning.payload_kwargs(kwargs, spec.reasoning))  # per call
        kwargs.update(fields)
        if extras:
            kwargs["extra_body"] = {**(kwargs.get("extra_body") or {}), **extras}
        if isinstance(kwargs.get("extra_body"), dict):  # a copy: translate_legacy edits it
            kwargs["extra_body"] = {**(self.extra_body or {}), **kwargs["extra_body"]}
        payload = super()._get_request_payload(input_, stop=stop, **kwargs)
        return structured.translate_legacy(self.llmswitch_provider, payload)

    def with_structured_output(
        self,
        schema: Any = None,
        *,
        method: Literal["function_calling", "json_mode", "json_schema"] = "json_schema",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        """Structured output the server enforces (JSON schema by default), then checked.

        Args:
            schema: A pydantic class, a TypedDict or a JSON schema.
            method: ``json_schema`` (default; enforced by vLLM and llama.cpp),
                ``json_mode`` or ``function_calling``.
            include_raw: Return ``{"raw", "parsed", "parsing_error"}`` instead of raising.
            strict: Passed to ChatOpenAI.
            **kwargs: Passed to ChatOpenAI. Two are ours: ``retries`` (extra attempts) and
                ``compact_json`` (default True: on llama-server, a grammar for JSON without
                whitespace in place of ``response_format``; see `_compact_on_llamacpp`).

        Returns:
            A runnable giving the parsed value.

        Raises:
            StructuredOutputError: (when the runnable runs) the output does not match.
        """
        retries = int(kwargs.pop("retries", self.structured_retries))
        compact = bool(kwargs.pop("compact_json", True))
        json_schema, validate = structured.prepare_schema(schema)
        bound = super().with_structured_output(
            json_schema,
            method=method,
            include_raw=True,
            strict=strict,
            **kwargs,
        )
        if compact and method == "json_schema" and not kwargs:
            bound = self._compact_on_llamacpp(bound, json_schema)
        return structured.validated_structured_output(
            bound, json_schema, validate, include_raw=include_raw, retries=retries
        )

    def _compact_on_llamacpp(self, bound: Any, json_schema: dict[str, Any]) -> Any:
        """Send llama.cpp a grammar for compact JSON in place of ``response_format``.

        llama.cpp's own conversion of a schema allows a newline and 20 spaces around every
        JSON token, and small models spend ``max_tokens`` on them (the README has the
        measurements: answers cut at the token limit, tokens and latency). The grammar is used
        when the server is llama.cpp (asked once: `server_info.serves_llamacpp`) and the
        schema translates (`gbnf.json_schema_to_gbnf`); otherwise ``bound`` runs as it is.

        Args:
            bound: LangChain's structured-output runnable (``include_raw=True``).
            json_schema: The schema it sends.

        Returns:
            A runnable with the same output: ``{"raw", "parsed", "parsing_error"}``.
        """
        from langchain_core.output_parsers import JsonOutputParser  # noqa: PLC0415 - heavy
        from langchain_core.runnables import (  # noqa: PLC0415
            RunnableLambda,
            RunnableMap,
            RunnablePassthrough,
        )

        spec = PROVIDERS.get(self.llmswitch_provider)
        if spec is None or spec.constraints != "gbnf_grammar":
            return bound  # vLLM: compact with --structured-outputs-config disable_any_whitespace
        try:
            grammar = gbnf.json_schema_to_gbnf(json_schema)
        except ValueError as unsupported:
            logger.debug("%s", unsupported)
            return bound
        traced = {"kwargs": {"method": "json_schema"}, "schema": json_schema}
        llm = self.bind(extra_body={"grammar": grammar}, ls_structured_output_format=traced)
        parse = RunnablePassthrough.assign(
            parsed=itemgetter("raw") | JsonOutputParser(),
            parsing_error=lambda _: None,
        ).with_fallbacks(
            [RunnablePassthrough.assign(parsed=lambda _: None)], exception_key="parsing_error"
        )
        compact = RunnableMap(raw=llm) | parse

        def owners() -> list[str]:
            return [model.owned_by for model in self._served_models()]

        def route(_: Any) -> Any:
            base_url = str(self.openai_api_base)
            llamacpp = spec.llamacpp_server or server_info.serves_llamacpp(base_url, owners)
            return compact if llamacpp else bound

        return RunnableLambda(route, name="llmswitch_structured_output")
