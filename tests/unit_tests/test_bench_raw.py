"""The raw baseline's one retry: a connection that failed before any response is sent again.

httpx's MockTransport stands in for the server here (the retry is our own logic); the live
case, llama-server closing a kept-alive connection, is what made the retry necessary.
"""

from __future__ import annotations

import asyncio
import base64
import json
import struct
from collections.abc import Callable

import httpx
import pytest

from langchain_llmswitch.bench.raw import RawEndpoint, raw_chat, raw_embeddings

OPENAI = RawEndpoint("openai", "http://server/v1", "m", "sk-test")
OLLAMA = RawEndpoint("ollama", "http://server", "m")


def _sse(tokens: int) -> bytes:
    events: list[dict[str, object]] = [
        {"choices": [{"delta": {"content": f"t{i}"}}]} for i in range(tokens)
    ]
    events.append({"choices": [], "usage": {"completion_tokens": tokens}})
    return b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in events) + b"data: [DONE]\n\n"


def _embeddings(request: httpx.Request) -> httpx.Response:
    texts = json.loads(request.content)["input"]
    vector = base64.b64encode(struct.pack("<2f", 1.0, 2.0)).decode()
    body = {"data": [{"embedding": vector} for _ in texts], "usage": {"prompt_tokens": 7}}
    return httpx.Response(200, json=body)


def _ollama_embed(request: httpx.Request) -> httpx.Response:
    texts = json.loads(request.content)["input"]
    return httpx.Response(200, json={"embeddings": [[1.0] for _ in texts], "prompt_eval_count": 7})


def _failing(
    failures: int, error: Exception, answer: Callable[[httpx.Request], httpx.Response]
) -> tuple[httpx.AsyncClient, list[str]]:
    """A client whose first ``failures`` requests raise ``error``; the others get ``answer``."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if len(seen) <= failures:
            raise error
        return answer(request)

    return httpx.AsyncClient(transport=httpx.MockTransport(handler)), seen


DISCONNECT = httpx.RemoteProtocolError("Server disconnected without sending a response.")


def _chat_answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=_sse(3))


@pytest.mark.parametrize(
    "error",
    [DISCONNECT, httpx.ConnectError("refused"), httpx.ReadError("reset by peer")],
    ids=["disconnect", "connect", "read"],
)
def test_chat_is_sent_once_more_after_a_failure_before_the_response(error: Exception) -> None:
    client, seen = _failing(1, error, _chat_answer)
    timing = asyncio.run(raw_chat(client, OPENAI, "Hi", max_tokens=3, seed=0))
    assert timing.error is None
    assert timing.output_tokens == 3
    assert len(timing.token_times) == 3
    assert seen == ["/v1/chat/completions"] * 2


def test_chat_is_not_sent_a_third_time() -> None:
    client, seen = _failing(2, DISCONNECT, _chat_answer)
    timing = asyncio.run(raw_chat(client, OPENAI, "Hi", max_tokens=3, seed=0))
    assert timing.error == "RemoteProtocolError: Server disconnected without sending a response."
    assert len(seen) == 2


def test_chat_timeout_is_not_retried() -> None:
    client, seen = _failing(1, httpx.ReadTimeout("timed out"), _chat_answer)
    timing = asyncio.run(raw_chat(client, OPENAI, "Hi", max_tokens=3, seed=0))
    assert timing.error == "ReadTimeout: timed out"
    assert len(seen) == 1


def test_chat_server_error_is_not_retried() -> None:
    client, seen = _failing(0, DISCONNECT, lambda _: httpx.Response(503, text="busy"))
    timing = asyncio.run(raw_chat(client, OPENAI, "Hi", max_tokens=3, seed=0))
    assert timing.error is not None
    assert timing.error.startswith("HTTPStatusError")
    assert len(seen) == 1


@pytest.mark.parametrize(
    ("endpoint", "answer", "path"),
    [(OPENAI, _embeddings, "/v1/embeddings"), (OLLAMA, _ollama_embed, "/api/embed")],
    ids=["openai", "ollama"],
)
def test_embeddings_batch_is_sent_once_more_after_a_disconnect(
    endpoint: RawEndpoint, answer: Callable[[httpx.Request], httpx.Response], path: str
) -> None:
    client, seen = _failing(1, DISCONNECT, answer)
    assert asyncio.run(raw_embeddings(client, endpoint, ["a", "b", "c"])) == (3, 7)
    assert seen == [path, path]


def test_embeddings_second_disconnect_is_raised() -> None:
    client, seen = _failing(2, DISCONNECT, _embeddings)
    with pytest.raises(httpx.RemoteProtocolError):
        asyncio.run(raw_embeddings(client, OPENAI, ["a"]))
    assert len(seen) == 2
