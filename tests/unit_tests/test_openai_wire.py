"""The answer parsed once (`openai_wire`) gives what ChatOpenAI's own path gives.

Each case runs the same request twice through `SwitchChatOpenAI` against an httpx mock
transport: once on the package's path, once with that path turned off (ChatOpenAI's SDK
objects, ``model_dump``, conversion). Messages, chunks, callbacks, request bodies and errors
must be equal; only our own logic is under test (what servers send is the live suites').
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage
from openai._streaming import SSEDecoder

from langchain_llmswitch import resolve_endpoint
from langchain_llmswitch.errors import StreamInterruptedError
from langchain_llmswitch.providers import PROVIDERS, openai_wire

HEAD = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": "m"}
USAGE = {
    "prompt_tokens": 5,
    "completion_tokens": 3,
    "total_tokens": 8,
    "prompt_tokens_details": {"cached_tokens": 2},
}


def _event(delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> str:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return "data: " + json.dumps({**HEAD, "choices": choices, **extra}) + "\n\n"


TEXT_STREAM = (
    _event({"role": "assistant", "content": ""})
    + _event({"content": "Hel"})
    + _event({"content": "lo"}, logprobs=None)
    + _event({}, "stop", system_fingerprint="fp1")
    + _event(None, usage=USAGE)
    + "data: [DONE]\n\n"
)
TOOL_STREAM = (
    _event(
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "index": 0,
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "add", "arguments": '{"a": '},
                }
            ],
        }
    )
    + _event({"tool_calls": [{"index": 0, "function": {"arguments": "1}"}}]})
    + _event({}, "tool_calls")
    + "data: [DONE]\n\n"
)
COMPLETION = {
    "id": "chatcmpl-2",
    "object": "chat.completion",
    "created": 0,
    "model": "m",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_2",
                        "type": "function",
                        "function": {"name": "add", "arguments": '{"a": 1}'},
                    }
                ],
                "reasoning_content": "thinking",
            },
            "finish_reason": "tool_calls",
        }
    ],
    "usage": USAGE,
}
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "add",
            "description": "Add.",
            "parameters": {"type": "object", "properties": {"a": {"type": "integer"}}},
        },
    }
]


class Server:
    """Answers every chat request with a fixed body; keeps the request bodies."""

    def __init__(self, stream: str = TEXT_STREAM, completion: Any = None) -> None:
        self.stream = stream
        self.completion = COMPLETION if completion is None else completion
        self.bodies: list[Any] = []
        self.responses: list[httpx.Response] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        if body.get("stream"):
            response = httpx.Response(
                200, content=self.stream.encode(), headers={"content-type": "text/event-stream"}
            )
        else:
            response = httpx.Response(200, json=self.completion)
        self.responses.append(response)
        return response


def _model(server: Server, **overrides: Any) -> Any:
    endpoint = resolve_endpoint(
        "chat", provider="vllm", model="m", base_url="http://vllm:8000/v1", **overrides
    )
    spec = PROVIDERS["vllm"]
    kwargs = spec.chat_kwargs(endpoint)
    kwargs["http_client"] = httpx.Client(transport=httpx.MockTransport(server.handler))
    kwargs["http_async_client"] = httpx.AsyncClient(transport=httpx.MockTransport(server.handler))
    return spec.load_chat_class()(**kwargs)


class Tokens(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[Any] = []

    def on_llm_new_token(self, token: Any, **kwargs: Any) -> None:
        self.tokens.append((token, kwargs.get("logprobs")))


def _dump(message: BaseMessage) -> dict[str, Any]:
    dumped = message.model_dump()
    dumped.pop("id")  # LangChain's run id: new for every run
    return dumped


def _runs(model: Any, **call: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("invoke", "stream", "ainvoke", "astream"):
        tokens = Tokens()
        config = {"callbacks": [tokens]}
        if name == "invoke":
            out[name] = _dump(model.invoke("hi", config=config, **call))
        elif name == "ainvoke":
            out[name] = _dump(asyncio.run(model.ainvoke("hi", config=config, **call)))
        else:
            if name == "stream":
                chunks = list(model.stream("hi", config=config, **call))
            else:

                async def collect(config: Any) -> list[Any]:
                    return [chunk async for chunk in model.astream("hi", config=config, **call)]

                chunks = asyncio.run(collect(config))
            total = chunks[0]
            for chunk in chunks[1:]:
                total += chunk
            out[name] = ([_dump(chunk) for chunk in chunks], _dump(total))
        out[name + " tokens"] = tokens.tokens
    return out


@pytest.fixture
def chatopenai_path(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    def turn_off() -> None:
        monkeypatch.setattr(openai_wire, "body_and_options", lambda payload: None)

    return turn_off


@pytest.mark.parametrize(
    ("stream", "call"),
    [(TEXT_STREAM, {}), (TOOL_STREAM, {"tools": TOOLS}), (TEXT_STREAM, {"top_k": 5, "seed": 1})],
    ids=["text", "tools", "parameters"],
)
def test_same_messages_chunks_callbacks_and_bodies_as_chatopenai(
    stream: str, call: dict[str, Any], chatopenai_path: Callable[[], None]
) -> None:
    server = Server(stream)
    ours = _runs(_model(server), **call)
    ours_bodies = list(server.bodies)
    assert ours["astream"][1]["response_metadata"]["finish_reason"] in {"stop", "tool_calls"}
    chatopenai_path()
    server.bodies.clear()
    theirs = _runs(_model(server), **call)
    assert ours == theirs
    assert ours_bodies == server.bodies


def test_the_usage_and_the_refusal_are_where_chatopenai_puts_them(
    chatopenai_path: Callable[[], None],
) -> None:
    server = Server()
    ours = _model(server).invoke("hi")
    metadata = ours.response_metadata
    details = metadata["token_usage"]["prompt_tokens_details"]
    assert details["cached_tokens"] == 2
    assert details["audio_tokens"] is None  # a field of the SDK's object the server left out
    assert metadata["system_fingerprint"] is None
    # the server's reasoning field, which ChatOpenAI drops, is kept on both paths
    assert ours.additional_kwargs == {"refusal": None, "reasoning_content": "thinking"}
    assert ours.tool_calls[0]["args"] == {"a": 1}
    chatopenai_path()
    assert _dump(_model(server).invoke("hi")) == _dump(ours)


def test_the_stream_is_read_to_its_end_so_the_connection_is_kept() -> None:
    server = Server(TEXT_STREAM + ": trailing comment after the end\n\n")
    list(_model(server).stream("hi"))
    asyncio.run(_drain(_model(server)))
    assert [response.is_stream_consumed for response in server.responses] == [True, True]
    assert all(response.is_closed for response in server.responses)


async def _drain(model: Any) -> None:
    async for _ in model.astream("hi"):
        pass


def test_an_error_event_raises_what_chatopenais_path_raises(
    chatopenai_path: Callable[[], None],
) -> None:
    failing = (
        _event({"role": "assistant", "content": "a"})
        + 'data: {"error": {"message": "engine died"}}\n\n'
    )
    errors = []
    for turn_off in (None, chatopenai_path):
        if turn_off is not None:
            turn_off()
        with pytest.raises(Exception, match="engine died") as caught:
            list(_model(Server(failing)).stream("hi"))
        cause = caught.value if caught.value.__cause__ is None else caught.value.__cause__
        assert isinstance(cause, openai.APIError)
        errors.append((type(caught.value), str(caught.value), cause.message, cause.body))
    assert errors[0] == errors[1]


def test_a_stream_cut_before_its_end_is_interrupted_on_both_paths(
    chatopenai_path: Callable[[], None],
) -> None:
    cut = _event({"role": "assistant", "content": "a"}) + _event({"content": "b"})
    for turn_off in (None, chatopenai_path):
        if turn_off is not None:
            turn_off()
        with pytest.raises(StreamInterruptedError, match="after 2 chunks"):
            asyncio.run(_drain(_model(Server(cut))))


@pytest.mark.parametrize(
    "payload",
    [
        {"model": "m", "messages": [], "response_format": {"type": "json_object"}},
        {"model": "m", "messages": [], "unknown_keyword": 1},
        {"messages": []},
    ],
    ids=["response_format", "unknown keyword", "no model"],
)
def test_payloads_it_does_not_take_stay_on_chatopenais_path(payload: dict[str, Any]) -> None:
    assert openai_wire.body_and_options(payload) is None


def test_the_sdks_options_are_taken_out_of_the_body() -> None:
    payload = {"model": "m", "messages": [], "extra_body": {"top_k": 2}, "timeout": 3.0}
    wire = openai_wire.body_and_options(payload)
    assert wire is not None
    body, options = wire
    assert body == {"model": "m", "messages": []}
    assert options["extra_json"] == {"top_k": 2}
    assert options["timeout"] == 3.0


SSE_SAMPLES = [
    TEXT_STREAM,
    TEXT_STREAM.replace("\n", "\r\n"),
    TEXT_STREAM.replace("\n", "\r"),
    ': comment\n\nevent: message\ndata: {"a":\ndata: 1}\nid: 3\n\ndata:{}\n\n',
    'data: {"x": "é ✓"}\n\ndata: {"unterminated": true}',
]


def _pieces(raw: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(raw), size):
        yield raw[start : start + size]


@pytest.mark.parametrize("sample", SSE_SAMPLES)
@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 10_000])
def test_events_are_decoded_as_the_sdk_decodes_them(sample: str, size: int) -> None:
    raw = sample.encode()
    expected = [sse.data for sse in SSEDecoder().iter_bytes(iter([raw])) if sse.data]
    decoder = openai_wire._Decoder()
    got = [data for piece in _pieces(raw, size) for data in decoder.feed(piece)]
    assert got == expected
