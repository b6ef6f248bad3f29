"""What our Ollama provider sends, recorded at a local HTTP listener (no real Ollama here),
and what its timeout and retries do over real sockets."""

from __future__ import annotations

import time

import pytest

from langchain_llmswitch import get_chat_model, get_embeddings

from ..tooling.ollama_listener import Behaviour, ollama_listener

SEED = {
    "temperature": 0.3,
    "num_predict": 2500,
    "num_ctx": 32768,
    "top_p": 0.9,
    "top_k": 40,
    "repeat_penalty": 1.1,
}
SEED_OPTIONS = {
    "temperature": 0.3,
    "num_predict": 2500,
    "num_ctx": 32768,
    "top_p": 0.9,
    "top_k": 40,
    "repeat_penalty": 1.1,
}


def test_seed_options_on_the_wire() -> None:
    with ollama_listener() as (url, behaviour):
        chat = get_chat_model(provider="ollama", base_url=url, model="llama3.1:8b", **SEED)
        assert chat.invoke("hi").content == "ok"
        assert "".join(str(c.content) for c in chat.stream("hi")) == "ok"
    sent = [r for r in behaviour.requests if r.path == "/api/chat"]
    assert len(sent) == 2
    for request in sent:
        assert request.body["model"] == "llama3.1:8b"
        assert request.body["options"] == SEED_OPTIONS
        assert request.body["messages"][-1]["content"] == "hi"


async def test_async_options_on_the_wire() -> None:
    with ollama_listener() as (url, behaviour):
        chat = get_chat_model(provider="ollama", base_url=url, model="m", **SEED)
        reply = await chat.ainvoke("hi")
        assert reply.content == "ok"
    assert behaviour.requests[-1].body["options"] == SEED_OPTIONS


def test_embeddings_on_the_wire() -> None:
    with ollama_listener() as (url, behaviour):
        embeddings = get_embeddings(provider="ollama", base_url=url, model="nomic-embed-text")
        assert embeddings.embed_documents(["a", "b"]) == [[0.1, 0.2, 0.3]] * 2
    assert behaviour.requests[-1].path == "/api/embed"
    assert behaviour.requests[-1].body["input"] == ["a", "b"]


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_retries_then_success(status: int) -> None:
    with ollama_listener(Behaviour(fail_status=status, fail_times=2)) as (url, behaviour):
        chat = get_chat_model(provider="ollama", base_url=url, model="m", max_retries=2)
        assert chat.invoke("hi").content == "ok"
    assert len(behaviour.requests) == 3


def test_retries_exhausted_raise() -> None:
    with ollama_listener(Behaviour(fail_status=503, fail_times=5)) as (url, behaviour):
        chat = get_chat_model(provider="ollama", base_url=url, model="m", max_retries=1)
        with pytest.raises(Exception, match="injected"):
            chat.invoke("hi")
    assert len(behaviour.requests) == 2


def test_retry_after_is_honoured() -> None:
    with ollama_listener(Behaviour(fail_status=429, fail_times=1, retry_after="1")) as (
        url,
        behaviour,
    ):
        chat = get_chat_model(provider="ollama", base_url=url, model="m", max_retries=1)
        assert chat.invoke("hi").content == "ok"
    first, second = behaviour.requests
    assert second.at - first.at >= 0.95


def test_timeout_is_honoured() -> None:
    """ChatOllama ignores `timeout`; ours reaches the HTTP client."""
    with ollama_listener(Behaviour(stall_seconds=5)) as (url, _):
        chat = get_chat_model(provider="ollama", base_url=url, model="m", timeout=1, max_retries=0)
        start = time.monotonic()
        with pytest.raises(Exception, match=r"(?i)timed? ?out"):
            chat.invoke("hi")
        elapsed = time.monotonic() - start
    assert 0.9 <= elapsed <= 1.5
