"""Chat Completions through the openai SDK's request path, with the answer parsed once.

ChatOpenAI turns every answer into the SDK's pydantic objects, then back into dicts
(``model_dump``), then into LangChain messages; for a streamed answer that is done per
chunk and is most of the client's CPU beyond LangChain's own per-chunk work. Here the
request still goes through the SDK (`openai.AsyncOpenAI.post`: its headers, auth, base URL,
``extra_*`` options, status errors, timeouts and the package's transport with its
retries), but the answer is read straight from the HTTP response: server-sent events
decoded once, each JSON event handed to ChatOpenAI's own dict-to-chunk conversion.

`body_and_options` decides whether a payload can go this way: only what
``chat.completions.create`` itself accepts, whose parameter transform is the identity for
Chat Completions (no aliases or formats), so the body on the wire is the one ChatOpenAI
sends; anything else (``response_format``, the Responses API, response headers) stays on
ChatOpenAI's path.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Iterator
from functools import cache
from typing import Any

import openai

__all__ = [
    "DONE",
    "aevents",
    "body_and_options",
    "completion_dict",
    "events",
    "stream_error",
]

DONE = "[DONE]"
"""The data of the event that ends an OpenAI stream; nothing after it is read as an event."""

_OPTIONS = ("extra_headers", "extra_query", "extra_body", "timeout")

_make_options: Any
try:  # the SDK's own options builder, as ``create`` calls it
    from openai._base_client import make_request_options as _make_options
except ImportError:  # pragma: no cover - another openai: ChatOpenAI's path only
    _make_options = None


@cache
def _create_parameters() -> frozenset[str]:
    """The keyword arguments ``chat.completions.create`` accepts (read once)."""
    from openai.resources.chat.completions import AsyncCompletions  # noqa: PLC0415

    signature = inspect.signature(AsyncCompletions.create)
    return frozenset(name for name in signature.parameters if name != "self")


def body_and_options(payload: dict[str, Any]) -> tuple[dict[str, Any], Any] | None:
    """Split ChatOpenAI's payload into the JSON body and the SDK's request options.

    Args:
        payload: What ChatOpenAI would pass to ``chat.completions.create``.

    Returns:
        ``(body, options)`` for `openai.AsyncOpenAI.post`, or None when the payload holds
        something ``create`` would treat otherwise (``response_format``, which ChatOpenAI
        sends through the SDK's parsing helpers) or reject (an unknown keyword, left to
        raise where it always did).
    """
    if _make_options is None or "response_format" in payload:
        return None
    accepted = _create_parameters()
    if not accepted.issuperset(payload) or "messages" not in payload or "model" not in payload:
        return None
    body = {key: value for key, value in payload.items() if key not in _OPTIONS}
    given = {key: payload[key] for key in _OPTIONS if key in payload}
    options = _make_options(security={"bearer_auth": True}, **given)
    return body, options


def completion_dict(data: Any) -> Any:
    """A completion's JSON as ChatOpenAI reads it from the SDK's ``model_dump()``.

    The SDK's objects carry every field they declare, None when the server left it out;
    ChatOpenAI reads a few of them by presence: ``logprobs`` of a choice, the message's
    ``refusal``, ``system_fingerprint``. They are set here the same way, so the message
    and its metadata are those of ChatOpenAI's own path.

    Args:
        data: The parsed JSON body (anything; a non-completion is returned unchanged).
    """
    if not isinstance(data, dict) or not isinstance(data.get("choices"), list):
        return data
    data.setdefault("system_fingerprint", None)
    for choice in data["choices"]:
        if isinstance(choice, dict):
            choice.setdefault("logprobs", None)
    usage = data.get("usage")
    if isinstance(usage, dict):  # reaches response_metadata["token_usage"] as it is
        for name, fields in _usage_fields().items():
            if name:
                details = usage.get(name)
                if isinstance(details, dict):
                    for field in fields:
                        details.setdefault(field, None)
            else:
                for field in fields:
                    usage.setdefault(field, None)
    return data


@cache
def _usage_fields() -> dict[str, tuple[str, ...]]:
    """The fields of the SDK's ``CompletionUsage`` ("") and of its details objects."""
    from openai.types import CompletionUsage  # noqa: PLC0415
    from openai.types.completion_usage import (  # noqa: PLC0415
        CompletionTokensDetails,
        PromptTokensDetails,
    )

    return {
        "": tuple(CompletionUsage.model_fields),
        "completion_tokens_details": tuple(CompletionTokensDetails.model_fields),
        "prompt_tokens_details": tuple(PromptTokensDetails.model_fields),
    }


def stream_error(data: Any, request: Any) -> openai.APIError | None:
    """The SDK's error for an event that carries ``error`` (a server's mid-stream failure)."""
    if not isinstance(data, dict) or not data.get("error"):
        return None
    error = data["error"]
    message = error.get("message") if isinstance(error, dict) else None
    if not message or not isinstance(message, str):
        message = "An error occurred during streaming"
    return openai.APIError(message=message, request=request, body=error)


class _Decoder:
    r"""Server-sent events to their ``data`` (fields joined as the spec says), bytes in.

    Events are split at blank lines (``\n\n``; ``\r\n`` and ``\r`` line ends are
    read as ``\n``); comment lines and fields other than ``data`` are skipped, as the
    openai SDK's decoder skips them for Chat Completions; an event without data is none,
    and so is an unterminated last one.
    """

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[str]:
        buffer = self._buffer + chunk
        if b"\r" in buffer:
            # a lone \r may be the first half of a \r\n; after a line end it ends an event
            held = buffer.endswith(b"\r") and not buffer.endswith((b"\r\r", b"\n\r"))
            if held:
                buffer = buffer[:-1]
            buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            if held:
                buffer += b"\r"
        *blocks, self._buffer = buffer.split(b"\n\n")
        return [data for block in blocks if (data := _data(block)) is not None]


def _data(block: bytes) -> str | None:
    if block.startswith(b"data: ") and b"\n" not in block:  # the usual one-line event
        return block[6:].decode()
    lines = []
    for line in block.split(b"\n"):
        if line.startswith(b"data:"):
            value = line[5:]
            lines.append(value[1:] if value.startswith(b" ") else value)
    return b"\n".join(lines).decode() if lines else None


def _parsed(data: str, request: Any) -> Any:
    value = json.loads(data)
    error = stream_error(value, request)
    if error is not None:
        raise error
    return value


async def aevents(response: Any) -> AsyncIterator[dict[str, Any]]:
    """The JSON events of a streamed answer, up to ``[DONE]``; the response is closed after.

    After ``[DONE]`` the rest of the body (the end of the chunked encoding) is read, so
    the connection goes back to the pool; the SDK closes it instead, and a new connection
    per streamed answer costs the client more CPU than parsing the answer.

    Args:
        response: An ``httpx.Response`` opened with ``stream=True``.

    Raises:
        openai.APIError: An event carried an ``error`` (as the SDK raises it).
    """
    decoder = _Decoder()
    request = response.request
    done = False
    try:
        async for chunk in response.aiter_bytes():
            if done:
                continue
            for data in decoder.feed(chunk):
                if data.startswith(DONE):
                    done = True
                    break
                yield _parsed(data, request)
    finally:
        await response.aclose()


def events(response: Any) -> Iterator[dict[str, Any]]:
    """The synchronous `aevents`.

    Args:
        response: An ``httpx.Response`` opened with ``stream=True``.

    Raises:
        openai.APIError: An event carried an ``error`` (as the SDK raises it).
    """
    decoder = _Decoder()
    request = response.request
    done = False
    try:
        for chunk in response.iter_bytes():
            if done:
                continue
            for data in decoder.feed(chunk):
                if data.startswith(DONE):
                    done = True
                    break
                yield _parsed(data, request)
    finally:
        response.close()
