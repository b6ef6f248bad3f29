"""Tool calls the package can vouch for: forced choices enforced, arguments checked.

Servers differ (docs/tools-and-agents.md has the measurements): Ollama ignores
``tool_choice``, llama-server lets a forced choice fall back to plain text, and vLLM 0.32
makes the forced call but not with the tool's schema. So a forced choice (``"any"``,
``"required"``, ``True`` or a tool's name) that the provider's spec does not list in
`ProviderSpec.server_tool_choices` is enforced here: the tools still go to the server (its
template renders them into the prompt), and a JSON schema for the call itself, the
*envelope* ``{"name": <one of the tools>, "arguments": <that tool's schema>}``, goes as a
constraint the server does enforce (``response_format`` json_schema on the OpenAI protocol,
``format`` on Ollama). The answer is turned back into an ``AIMessage`` with ``tool_calls``.

Every tool call that comes back, parsed by the server or by us, is checked against its
tool's schema; one that does not fit raises `ToolCallError` carrying the raw text.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from langchain_llmswitch.errors import CapabilityError, ToolCallError
from langchain_llmswitch.providers import PROVIDERS
from langchain_llmswitch.structured import check_json_schema

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage
    from langchain_core.outputs import ChatGenerationChunk, ChatResult
    from langchain_core.runnables import Runnable

__all__ = [
    "ANY",
    "FORCED",
    "afinish_stream",
    "bind",
    "check_message",
    "check_result",
    "envelope_schema",
    "finish",
    "finish_stream",
    "forced_choice",
    "from_envelope",
    "malformed",
    "pop_forced",
    "refuse_tools",
]

ANY = "any"
"""`forced_choice`'s answer for "some tool, the model chooses which"."""

ENVELOPE_TITLE = "tool_call"

FORCED = "llmswitch_forced_tool"
"""The keyword `bind` adds for an enforced choice; the chat classes take it out before sending."""


def _function(tool: dict[str, Any]) -> dict[str, Any]:
    function = tool.get("function", tool)
    return function if isinstance(function, dict) else {}


def _names(tools: Sequence[dict[str, Any]]) -> list[str]:
    return [str(_function(tool).get("name", "")) for tool in tools]


def forced_choice(tool_choice: Any, tools: Sequence[dict[str, Any]]) -> str | None:
    """Read a ``tool_choice`` the way LangChain's chat models accept it.

    Args:
        tool_choice: None, ``"auto"``, ``"none"``, ``"any"``, ``"required"``, ``True``, a
            tool's name, or ``{"type": "function", "function": {"name": ...}}``.
        tools: The tools, in OpenAI format.

    Returns:
        None when no call is forced, `ANY` when some call is, else the forced tool's name.

    Raises:
        ValueError: A named tool that is not among the tools.
    """
    if tool_choice in (None, False, "auto", "none"):
        return None
    if tool_choice in (True, "any", "required"):
        return ANY
    name = tool_choice
    if isinstance(tool_choice, dict):
        name = _function(tool_choice).get("name")
    names = _names(tools)
    if isinstance(name, str) and name in names:
        return name
    msg = (
        f"tool_choice={tool_choice!r} names no bound tool; valid: 'auto', 'none', 'any', "
        f"'required', True, or one of {names}"
    )
    raise ValueError(msg)


def _parameters(tool: dict[str, Any]) -> dict[str, Any]:
    parameters = _function(tool).get("parameters")
    return parameters if isinstance(parameters, dict) else {"type": "object", "properties": {}}


def envelope_schema(tools: Sequence[dict[str, Any]], choice: str) -> dict[str, Any]:
    """The JSON schema of one call of the chosen tool (or of any tool, for `ANY`).

    Args:
        tools: The tools, in OpenAI format.
        choice: `ANY` or a tool's name (from `forced_choice`).

    Returns:
        ``{"name": ..., "arguments": ...}`` per tool, an ``anyOf`` when several may be chosen.
    """
    variants = [
        {
            "type": "object",
            "properties": {
                "name": {"type": "string", "enum": [name]},
                "arguments": _parameters(tool),
            },
            "required": ["name", "arguments"],
            "additionalProperties": False,
        }
        for tool, name in zip(tools, _names(tools), strict=True)
        if choice in (ANY, name)
    ]
    schema = variants[0] if len(variants) == 1 else {"anyOf": variants}
    return {"title": ENVELOPE_TITLE, **schema}


def _checked_call(
    name: str, args: Any, raw: str, tools: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    by_name = dict(zip(_names(tools), tools, strict=True))
    if name not in by_name:
        reason = f"the model called {name!r}, which is not a bound tool ({list(by_name)})"
        raise ToolCallError(reason, raw, tool=name)
    if not isinstance(args, dict):
        reason = f"the arguments are {type(args).__name__}, not a JSON object"
        raise ToolCallError(reason, raw, tool=name)
    problems = check_json_schema(args, _parameters(by_name[name]))
    if problems:
        raise ToolCallError("; ".join(problems), raw, tool=name)
    return args


def from_envelope(message: BaseMessage, tools: Sequence[dict[str, Any]]) -> BaseMessage:
    """Turn an answer under the envelope constraint into an ``AIMessage`` with the call.

    A server that parsed the envelope itself (Ollama does) already gave ``tool_calls``:
    those are checked and kept.

    Args:
        message: The model's answer.
        tools: The tools, in OpenAI format.

    Raises:
        ToolCallError: The answer is not one call of a bound tool with valid arguments.
    """
    from langchain_core.messages import AIMessage, AIMessageChunk  # noqa: PLC0415 - heavy

    if not isinstance(message, AIMessage):
        return message
    if message.tool_calls or message.invalid_tool_calls:
        return check_message(message, tools)
    raw = message.text if isinstance(message.content, list) else str(message.content)
    try:
        envelope = json.loads(raw)
    except json.JSONDecodeError as error:
        reason = f"the answer is not JSON ({error.msg})"
        if _cut(message):
            reason = "the answer was cut at the token limit before the call was complete"
        raise ToolCallError(reason, raw) from error
    if not isinstance(envelope, dict) or not isinstance(envelope.get("name"), str):
        reason = 'the answer is not {"name": ..., "arguments": {...}}'
        raise ToolCallError(reason, raw)
    name = envelope["name"]
    args = _checked_call(name, envelope.get("arguments"), raw, tools)
    call_id = f"call_{uuid.uuid4().hex[:24]}"
    update: dict[str, Any] = {
        "content": "",
        "tool_calls": [{"name": name, "args": args, "id": call_id, "type": "tool_call"}],
        "invalid_tool_calls": [],
    }
    if isinstance(message, AIMessageChunk):  # a stream: chunks added later rebuild the calls
        chunk = {"name": name, "args": json.dumps(args), "id": call_id, "index": 0}
        update["tool_call_chunks"] = [{**chunk, "type": "tool_call_chunk"}]
    return message.model_copy(update=update)


def _cut(message: BaseMessage) -> bool:
    """Whether the server stopped the answer at its token limit (OpenAI and Ollama spelling)."""
    metadata = message.response_metadata or {}
    return "length" in (metadata.get("finish_reason"), metadata.get("done_reason"))


def check_message(message: BaseMessage, tools: Sequence[dict[str, Any]] | None) -> BaseMessage:
    """Check every tool call of an answer against the bound tools.

    Args:
        message: The model's answer.
        tools: The tools sent with the request, in OpenAI format (None: none were).

    Returns:
        The message, unchanged.

    Raises:
        ToolCallError: A call names no bound tool, or its arguments do not parse or do not
            match the tool's schema (LangChain keeps such calls in ``invalid_tool_calls``).
    """
    calls = getattr(message, "tool_calls", None) or []
    invalid = getattr(message, "invalid_tool_calls", None) or []
    if not tools or not (calls or invalid):
        return message
    for bad in invalid:
        reason = f"the arguments do not parse as JSON ({bad.get('error') or 'invalid'})"
        raise ToolCallError(reason, str(bad.get("args") or ""), tool=str(bad.get("name") or ""))
    for call in calls:
        _checked_call(call["name"], call["args"], json.dumps(call["args"]), tools)
    return message


def check_result(result: ChatResult, tools: Any) -> ChatResult:
    """`check_message` on each generation of a result (``tools`` as bound: a list or None)."""
    if isinstance(tools, list) and tools:
        for generation in result.generations:
            check_message(generation.message, tools)
    return result


def malformed(response: Any) -> ToolCallError | None:
    """The error for a response whose tool call arguments are no JSON object (or None).

    vLLM 0.32 answers a forced choice with a bare JSON string as the arguments: ChatOpenAI then
    fails inside ``AIMessage`` with a pydantic error that hides the raw text.

    Args:
        response: The OpenAI SDK's response (or its dict).
    """
    payload = response if isinstance(response, dict) else response.model_dump()
    for choice in payload.get("choices") or []:
        for call in (choice.get("message") or {}).get("tool_calls") or []:
            function = call.get("function") or {}
            raw = function.get("arguments")
            try:
                args = json.loads(raw) if isinstance(raw, str) else raw
            except json.JSONDecodeError:
                args = None
            if not isinstance(args, dict):
                reason = "the arguments are not a JSON object"
                return ToolCallError(reason, str(raw), tool=str(function.get("name") or ""))
    return None


def _reason(provider: str) -> str:
    spec = PROVIDERS[provider]
    if spec.tools == "none":
        return f"{spec.label} never calls tools (its server renders no tools into the prompt)"
    if spec.tools_probe == "llamacpp_props":
        return (
            "its /props say supports_tools: false; start llama-server with --jinja (and a "
            "--chat-template-file that renders tools, if the model's own does not)"
        )
    if spec.tools_probe == "ollama_template":
        return (
            "the model's chat template does not render .Tools; use a tool-capable model, or "
            "give it a Modelfile TEMPLATE that renders .Tools and .ToolCalls"
        )
    return "the server says it cannot"


def refuse_tools(provider: str, where: str) -> CapabilityError:
    """The error for tools asked of a server or model that cannot call them.

    Args:
        provider: The provider name.
        where: The server (URL) and model, for the message.
    """
    msg = (
        f"{provider} at {where} cannot call tools: {_reason(provider)}. Use a provider and "
        "model that call tools (LLM_PROVIDER=ollama, vllm or openai; see "
        "docs/tools-and-agents.md), or ask for structured output instead (with_structured_output)."
    )
    return CapabilityError(msg)


def bind(
    model: Any,
    base_bind: Callable[..., Runnable[Any, Any]],
    tools: Sequence[Any],
    tool_choice: Any,
    **kwargs: Any,
) -> Runnable[Any, Any]:
    """``bind_tools`` for a model of a provider: the server's own, or an enforced envelope.

    Args:
        model: The chat model (``llmswitch_provider`` names its provider, whose spec says
            which choices the server enforces and how a JSON schema is sent; ``profile``
            says whether this server and model call tools).
        base_bind: The LangChain class's own ``bind_tools``.
        tools: The tools, in any form LangChain accepts.
        tool_choice: As LangChain accepts it.
        **kwargs: Passed to ``base_bind``.

    Returns:
        The model bound with the tools (a ``RunnableBinding``, as LangChain's own).

    Raises:
        CapabilityError: Tools were given, and the server or model cannot call them (asked
            before any chat request).
    """
    from langchain_core.utils.function_calling import convert_to_openai_tool  # noqa: PLC0415

    provider = str(model.llmswitch_provider)
    spec = PROVIDERS[provider]
    if tools and (spec.tools == "none" or not (model.profile or {}).get("tool_calling", True)):
        raise refuse_tools(provider, model.llmswitch_where)
    if not tools:  # create_agent's ProviderStrategy without tools: `tools: []` is a 400 on vLLM
        for name in ("strict", "parallel_tool_calls", "tool_choice"):
            kwargs.pop(name, None)
        return model.bind(**kwargs)  # type: ignore[no-any-return]
    formatted = [convert_to_openai_tool(tool) for tool in tools]
    forced = forced_choice(tool_choice, formatted)
    mode = "auto" if forced is None else ("any" if forced == ANY else "named")
    if forced is None or mode in spec.server_tool_choices:
        return base_bind(tools, tool_choice=tool_choice, **kwargs)
    schema = envelope_schema(formatted, forced)
    if spec.protocol == "ollama":
        constraint: dict[str, Any] = {"format": schema}
    else:  # in extra_body: ChatOpenAI's `response_format` path (SDK parse) refuses non-strict tools
        rule = {"type": "json_schema", "json_schema": {"name": ENVELOPE_TITLE, "schema": schema}}
        constraint = {"extra_body": {**kwargs.pop("extra_body", {}), "response_format": rule}}
    return base_bind(tools, **kwargs).bind(**constraint, **{FORCED: forced})


def pop_forced(kwargs: dict[str, Any]) -> str | None:
    """Take the envelope marker `bind` left among a call's keyword arguments (not sent)."""
    forced = kwargs.pop(FORCED, None)
    return forced if isinstance(forced, str) else None


def finish(result: ChatResult, forced: str | None, tools: Any) -> ChatResult:
    """A result: its envelope answers turned into tool calls, every call checked.

    Args:
        result: The chat result.
        forced: The marker `pop_forced` took (None: no envelope was asked for).
        tools: The tools sent with the request (OpenAI format).
    """
    if forced is None or not isinstance(tools, list):
        return check_result(result, tools)
    for generation in result.generations:
        generation.message = from_envelope(generation.message, tools)
    return result


def _merged(chunks: list[ChatGenerationChunk], tools: list[Any]) -> ChatGenerationChunk:
    from langchain_core.outputs import ChatGenerationChunk  # noqa: PLC0415 - heavy

    total = chunks[0]
    for chunk in chunks[1:]:
        total += chunk
    info = chunks[-1].generation_info
    return ChatGenerationChunk(message=from_envelope(total.message, tools), generation_info=info)


def finish_stream(
    chunks: Iterator[ChatGenerationChunk], forced: str | None, tools: Any
) -> Iterator[ChatGenerationChunk]:
    """A stream: under the envelope, one chunk carrying the call once the answer is complete.

    Args:
        chunks: The model's chunks.
        forced: The marker `pop_forced` took (None: the chunks pass unchanged).
        tools: The tools sent with the request (OpenAI format).
    """
    if forced is None or not isinstance(tools, list):
        yield from chunks
        return
    buffered = list(chunks)
    if buffered:
        yield _merged(buffered, tools)


async def afinish_stream(
    chunks: AsyncIterator[ChatGenerationChunk], forced: str | None, tools: Any
) -> AsyncIterator[ChatGenerationChunk]:
    """`finish_stream` for an async stream."""
    if forced is None or not isinstance(tools, list):
        async for chunk in chunks:
            yield chunk
        return
    buffered = [chunk async for chunk in chunks]
    if buffered:
        yield _merged(buffered, tools)
