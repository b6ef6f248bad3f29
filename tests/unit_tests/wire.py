"""Capture the exact JSON our models put on the wire, with httpx mock transports.

Only our own logic is under test here (which fields we set, where they land); what the
servers do with them is tested against real servers in tests/integration_tests.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from langchain_llmswitch.providers import PROVIDERS
from langchain_llmswitch.providers.base import Endpoint
from langchain_llmswitch.reliability.transport import RetryTransport

OPENAI_REPLY = {
    "id": "x",
    "object": "chat.completion",
    "created": 0,
    "model": "m",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
}
OLLAMA_REPLY = {
    "model": "m",
    "created_at": "2026-01-01T00:00:00Z",
    "message": {"role": "assistant", "content": "ok"},
    "done": True,
    "done_reason": "stop",
    "prompt_eval_count": 3,
    "eval_count": 1,
}


def _openai_sse() -> bytes:
    chunk = {
        "id": "x",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "m",
        "choices": [
            {"index": 0, "delta": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
        ],
    }
    usage = {
        "id": "x",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "m",
        "choices": [],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }
    return f"data: {json.dumps(chunk)}\n\ndata: {json.dumps(usage)}\n\ndata: [DONE]\n\n".encode()


class Recorder:
    """Collects request bodies and answers each with a minimal valid reply.

    ``reply_text`` (or, one per request, ``reply_queue``) sets the text the model "says";
    ``finish_reason`` sets the OpenAI finish reason; ``owned_by``, when set, makes
    ``GET /models`` list one model of that owner, else it is a 404 (either way counted in
    ``model_listings``, not kept in ``bodies``).
    """

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.reply_text = "ok"
        self.reply_queue: list[str] = []
        self.finish_reason = "stop"  # OpenAI's finish_reason and Ollama's done_reason
        self.owned_by: str | None = None
        self.model_listings = 0

    def _text(self) -> str:
        return self.reply_queue.pop(0) if self.reply_queue else self.reply_text

    def _openai(self) -> dict[str, Any]:
        reply: dict[str, Any] = json.loads(json.dumps(OPENAI_REPLY))
        reply["choices"][0]["message"]["content"] = self._text()
        reply["choices"][0]["finish_reason"] = self.finish_reason
        return reply

    def _ollama(self) -> dict[str, Any]:
        reply: dict[str, Any] = json.loads(json.dumps(OLLAMA_REPLY))
        reply["message"]["content"] = self._text()
        reply["done_reason"] = self.finish_reason
        return reply

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/models"):
            self.model_listings += 1
            if self.owned_by is None:
                return httpx.Response(404, json={"error": "no model listing"})
            model = {"id": "m", "object": "model", "created": 0, "owned_by": self.owned_by}
            return httpx.Response(200, json={"object": "list", "data": [model]})
        body = json.loads(request.content or b"{}")
        self.bodies.append(body)
        self.paths.append(request.url.path)
        if request.url.path.endswith("/chat/completions"):
            if body.get("stream"):
                return httpx.Response(
                    200, content=_openai_sse(), headers={"content-type": "text/event-stream"}
                )
            return httpx.Response(200, json=self._openai())
        if request.url.path == "/api/chat":
            if body.get("stream", True):
                return httpx.Response(200, content=(json.dumps(self._ollama()) + "\n").encode())
            return httpx.Response(200, json=self._ollama())
        if request.url.path == "/api/embed":
            return httpx.Response(200, json={"model": "m", "embeddings": [[0.1, 0.2]]})
        if request.url.path.endswith("/embeddings"):
            return httpx.Response(
                200,
                json={
                    "object": "list",
                    "model": "m",
                    "data": [
                        {"object": "embedding", "index": i, "embedding": [0.1, 0.2]}
                        for i, _ in enumerate(body.get("input", []))
                    ],
                    "usage": {"prompt_tokens": 1, "total_tokens": 1},
                },
            )
        return httpx.Response(404, json={"error": "unexpected path " + request.url.path})


def chat_with_recorder(endpoint: Endpoint) -> tuple[Any, Recorder]:
    """Build the chat model exactly as the factory does, but with a recording transport."""
    spec = PROVIDERS[endpoint.provider]
    recorder = Recorder()
    kwargs = spec.chat_kwargs(endpoint)
    mock = httpx.MockTransport(recorder.handler)
    async_mock = httpx.MockTransport(recorder.handler)
    if endpoint.provider == "ollama":
        kwargs["sync_client_kwargs"] = {"transport": RetryTransport(0, inner=mock)}
        kwargs["async_client_kwargs"] = {"transport": async_mock}
    else:
        kwargs["http_client"] = httpx.Client(transport=mock)
        kwargs["http_async_client"] = httpx.AsyncClient(transport=async_mock)
    return spec.load_chat_class()(**kwargs), recorder


def embeddings_with_recorder(endpoint: Endpoint) -> tuple[Any, Recorder]:
    """Build the embeddings exactly as the factory does, but with a recording transport."""
    spec = PROVIDERS[endpoint.provider]
    recorder = Recorder()
    kwargs = spec.embeddings_kwargs(endpoint)
    mock = httpx.MockTransport(recorder.handler)
    if endpoint.provider == "ollama":
        kwargs["sync_client_kwargs"] = {"transport": RetryTransport(0, inner=mock)}
    else:
        kwargs["http_client"] = httpx.Client(transport=mock)
    return spec.load_embeddings_class()(**kwargs), recorder


def lookup(body: dict[str, Any], dotted: str) -> Any:
    """Return the value at a dotted path such as ``options.num_predict`` (KeyError if absent)."""
    value: Any = body
    for part in dotted.split("."):
        value = value[part]
    return value
