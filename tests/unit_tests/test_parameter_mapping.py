"""A hand-written client's parameters land where each server reads them, and native names map back.

Its settings: temperature 0.3, num_predict 2500, num_ctx 32768, top_p 0.9, top_k 40,
repeat_penalty 1.1 (plus stop and seed).
"""

from __future__ import annotations

from typing import Any

import pytest

from langchain_llmswitch import resolve_endpoint
from langchain_llmswitch.providers import PROVIDERS
from langchain_llmswitch.providers.base import PARAMETERS

from .wire import chat_with_recorder, embeddings_with_recorder, lookup

SEED_NATIVE = {  # as a hand-written Ollama client writes them, in Ollama's names
    "temperature": 0.3,
    "num_predict": 2500,
    "num_ctx": 32768,
    "top_p": 0.9,
    "top_k": 40,
    "repeat_penalty": 1.1,
    "stop": ["</s>"],
    "seed": 7,
}
SEED_OURS = {  # the same, in our names
    "temperature": 0.3,
    "max_tokens": 2500,
    "num_ctx": 32768,
    "top_p": 0.9,
    "top_k": 40,
    "repetition_penalty": 1.1,
    "stop": ["</s>"],
    "seed": 7,
}
ENDPOINTS = {
    "ollama": {"provider": "ollama", "model": "llama3.1:8b"},
    "vllm": {"provider": "vllm", "model": "qwen", "base_url": "http://vllm:8000/v1"},
    "openai": {"provider": "openai", "model": "smollm2", "base_url": "http://llama:8080/v1"},
    # the URL is the embedded server's once started; the wire format does not depend on it
    "embedded": {"provider": "embedded", "model": "smollm2"},
}


def _sent(provider: str, keywords: dict[str, Any]) -> dict[str, Any]:
    endpoint = resolve_endpoint("chat", **ENDPOINTS[provider], **keywords)
    chat, recorder = chat_with_recorder(endpoint)
    chat.invoke("hi")
    assert len(recorder.bodies) == 1
    return recorder.bodies[0]


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
@pytest.mark.parametrize("parameter", PARAMETERS)
def test_every_parameter_lands_where_the_table_says(provider: str, parameter: str) -> None:
    body = _sent(provider, SEED_OURS)
    placement = PROVIDERS[provider].parameters[parameter]
    if placement.where == "server":
        # never sent: the server fixes it when it starts
        assert parameter not in body
        assert parameter not in body.get("options", {})
        return
    expected = SEED_OURS[parameter]
    assert lookup(body, placement.wire) == expected


def test_ollama_payload_in_full() -> None:
    body = _sent("ollama", SEED_NATIVE)
    assert body["options"] == {
        "temperature": 0.3,
        "num_predict": 2500,
        "num_ctx": 32768,
        "top_p": 0.9,
        "top_k": 40,
        "repeat_penalty": 1.1,
        "stop": ["</s>"],
        "seed": 7,
    }
    assert body["model"] == "llama3.1:8b"


def test_vllm_payload_in_full() -> None:
    body = _sent("vllm", SEED_NATIVE)
    body.pop("messages")
    assert body == {
        "model": "qwen",
        "stream": False,
        "temperature": 0.3,
        "max_completion_tokens": 2500,
        "top_p": 0.9,
        "top_k": 40,
        "repetition_penalty": 1.1,
        "stop": ["</s>"],
        "seed": 7,
    }


def test_llamacpp_payload_in_full() -> None:
    body = _sent("openai", SEED_NATIVE)
    body.pop("messages")
    assert body == {
        "model": "smollm2",
        "stream": False,
        "temperature": 0.3,
        "max_completion_tokens": 2500,
        "top_p": 0.9,
        "top_k": 40,
        "repeat_penalty": 1.1,
        "stop": ["</s>"],
        "seed": 7,
    }


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_native_names_and_our_names_send_the_same(provider: str) -> None:
    assert _sent(provider, SEED_NATIVE) == _sent(provider, SEED_OURS)


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_unset_parameters_are_not_sent(provider: str) -> None:
    body = _sent(provider, {})
    for parameter in PARAMETERS:
        placement = PROVIDERS[provider].parameters[parameter]
        with pytest.raises(KeyError):
            lookup(body, placement.wire)


@pytest.mark.parametrize("provider", ["vllm", "openai"])
def test_streaming_asks_for_usage(provider: str) -> None:
    endpoint = resolve_endpoint("chat", **ENDPOINTS[provider])
    chat, recorder = chat_with_recorder(endpoint)
    chunks = list(chat.stream("hi"))
    assert recorder.bodies[0]["stream_options"] == {"include_usage": True}
    total = chunks[0]
    for chunk in chunks[1:]:
        total += chunk
    assert total.usage_metadata is not None
    assert total.usage_metadata["output_tokens"] == 1


@pytest.mark.parametrize("provider", ["vllm", "openai"])
def test_openai_protocol_uses_chat_completions(provider: str) -> None:
    endpoint = resolve_endpoint("chat", **ENDPOINTS[provider])
    chat, recorder = chat_with_recorder(endpoint)
    chat.invoke("hi")
    assert recorder.paths == ["/v1/chat/completions"]


@pytest.mark.parametrize("provider", ["vllm", "openai"])
def test_embeddings_send_raw_text(provider: str) -> None:
    """No tiktoken token arrays: the server receives the strings themselves."""
    endpoint = resolve_endpoint(
        "embeddings", provider=provider, model="minilm", base_url="http://e:8001/v1"
    )
    embeddings, recorder = embeddings_with_recorder(endpoint)
    vectors = embeddings.embed_documents(["a cat", "stock prices"])
    assert recorder.bodies[0]["input"] == ["a cat", "stock prices"]
    assert recorder.bodies[0]["model"] == "minilm"
    assert len(vectors) == 2


def test_ollama_embeddings_payload() -> None:
    endpoint = resolve_endpoint("embeddings", provider="ollama", model="nomic-embed-text")
    embeddings, recorder = embeddings_with_recorder(endpoint)
    embeddings.embed_query("a cat")
    assert recorder.paths == ["/api/embed"]
    assert recorder.bodies[0]["input"] == ["a cat"]
