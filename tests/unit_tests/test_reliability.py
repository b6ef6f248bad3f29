"""Fallback chains, readiness and `llmswitch check`, on our own logic (no real server)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from langchain_core.tools import tool
from pydantic import BaseModel

from langchain_llmswitch import ConfigurationError, ProviderUnavailableError, resolve_endpoint
from langchain_llmswitch.cli import main
from langchain_llmswitch.cli.check import configured_capabilities, run_checks
from langchain_llmswitch.config import load_settings
from langchain_llmswitch.errors import (
    ServerConnectionError,
    ServerTimeoutError,
    StructuredOutputError,
)
from langchain_llmswitch.providers import PROVIDERS
from langchain_llmswitch.reliability.fallback import FallbackChatModel, is_unavailable
from langchain_llmswitch.reliability.readiness import discover_model, model_is_served
from langchain_llmswitch.resolution import resolve_chain
from langchain_llmswitch.server_info import ServedModel

from .wire import chat_with_recorder


def _failing(endpoint_kwargs: dict[str, Any], handler: Any) -> Any:
    """An OpenAI-protocol model whose requests all go to `handler`."""
    endpoint = resolve_endpoint("chat", **endpoint_kwargs, max_retries=0)
    kwargs = PROVIDERS[endpoint.provider].chat_kwargs(endpoint)
    kwargs["http_client"] = httpx.Client(transport=httpx.MockTransport(handler))
    kwargs["http_async_client"] = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return PROVIDERS[endpoint.provider].load_chat_class()(**kwargs)


def _down(endpoint_kwargs: dict[str, Any], error: Exception) -> Any:
    """A model whose every request fails with `error` before reaching a server."""

    def fail(request: httpx.Request) -> httpx.Response:
        raise error

    return _failing(endpoint_kwargs, fail)


VLLM = {"provider": "vllm", "model": "qwen", "base_url": "http://vllm:8000/v1"}
OLLAMA = {"provider": "ollama", "model": "llama3"}


def test_is_unavailable() -> None:
    assert is_unavailable(ConnectionError())
    assert is_unavailable(httpx.ReadTimeout("slow"))
    assert is_unavailable(ProviderUnavailableError("x"))
    error = Exception("boom")
    error.status_code = 503  # type: ignore[attr-defined]
    assert is_unavailable(error)
    error.status_code = 429  # type: ignore[attr-defined]
    assert is_unavailable(error)
    error.status_code = 400  # type: ignore[attr-defined]
    assert not is_unavailable(error)
    assert not is_unavailable(StructuredOutputError("x", "raw"))


def test_chain_falls_back_and_maps_parameters() -> None:
    primary = _down(VLLM, httpx.ConnectError("refused"))
    fallback, recorder = chat_with_recorder(
        resolve_endpoint("chat", **OLLAMA, temperature=0.3, max_tokens=9)
    )
    chain = FallbackChatModel(models=[primary, fallback], providers=["vllm", "ollama"])
    reply = chain.invoke("hi")
    assert reply.response_metadata["llmswitch_provider"] == "ollama"
    assert reply.response_metadata["llmswitch_fallback_index"] == 1
    assert recorder.bodies[0]["options"] == {"temperature": 0.3, "num_predict": 9}


def test_chain_does_not_fall_back_on_a_bad_request() -> None:
    primary = _failing(VLLM, lambda _: httpx.Response(400, json={"error": {"message": "bad"}}))
    fallback, recorder_b = chat_with_recorder(resolve_endpoint("chat", **OLLAMA))
    chain = FallbackChatModel(models=[primary, fallback], providers=["vllm", "ollama"])
    with pytest.raises(Exception) as caught:
        chain.invoke("hi")
    assert not is_unavailable(caught.value)
    assert recorder_b.bodies == []


def test_chain_all_down_names_every_failure() -> None:
    a = _down(VLLM, httpx.ConnectError("refused A"))
    b = _down(
        {"provider": "openai", "model": "m", "base_url": "http://b/v1"},
        httpx.ConnectError("refused B"),
    )
    chain = FallbackChatModel(models=[a, b], providers=["vllm", "openai"])
    with pytest.raises(ProviderUnavailableError, match="every provider in the chain failed") as c:
        chain.invoke("hi")
    assert "vllm" in str(c.value)
    assert "openai" in str(c.value)
    assert isinstance(c.value, ServerConnectionError)  # both failed the same way: that kind


def test_chain_all_timed_out_is_a_timeout() -> None:
    """The ``except TimeoutError`` written for one provider catches a chain of them."""
    a = _down(VLLM, httpx.ReadTimeout("slow A"))
    b = _down(
        {"provider": "openai", "model": "m", "base_url": "http://b/v1"},
        httpx.ReadTimeout("slow B"),
    )
    chain = FallbackChatModel(models=[a, b], providers=["vllm", "openai"])
    with pytest.raises(TimeoutError, match="every provider in the chain failed") as c:
        chain.invoke("hi")
    assert isinstance(c.value, ServerTimeoutError)
    assert isinstance(c.value.__cause__, ServerTimeoutError)


def test_chain_failing_in_different_ways_is_unavailable() -> None:
    a = _down(VLLM, httpx.ReadTimeout("slow A"))
    b = _down(
        {"provider": "openai", "model": "m", "base_url": "http://b/v1"},
        httpx.ConnectError("refused B"),
    )
    chain = FallbackChatModel(models=[a, b], providers=["vllm", "openai"])
    with pytest.raises(ProviderUnavailableError) as c:
        chain.invoke("hi")
    assert type(c.value) is ProviderUnavailableError


async def test_chain_async_and_stream_fall_back() -> None:
    primary = _down(VLLM, httpx.ConnectError("refused"))
    fallback, _ = chat_with_recorder(resolve_endpoint("chat", **OLLAMA))
    chain = FallbackChatModel(models=[primary, fallback], providers=["vllm", "ollama"])
    assert (await chain.ainvoke("hi")).content == "ok"
    chunks = list(chain.stream("hi"))
    assert "".join(str(c.content) for c in chunks) == "ok"


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def test_chain_keeps_bind_tools_per_provider_format() -> None:
    primary = _down(VLLM, httpx.ConnectError("refused"))
    fallback, recorder = chat_with_recorder(resolve_endpoint("chat", **OLLAMA))
    chain = FallbackChatModel(models=[primary, fallback], providers=["vllm", "ollama"])
    chain.bind_tools([add]).invoke("add 2 and 3")
    sent = recorder.bodies[0]["tools"]
    assert sent[0]["function"]["name"] == "add"


class Label(BaseModel):
    label: str


def test_chain_keeps_structured_output() -> None:
    primary = _down(VLLM, httpx.ConnectError("refused"))
    fallback, recorder = chat_with_recorder(resolve_endpoint("chat", **OLLAMA))
    recorder.reply_text = json.dumps({"label": "x"})
    chain = FallbackChatModel(models=[primary, fallback], providers=["vllm", "ollama"])
    assert chain.with_structured_output(Label).invoke("label it") == Label(label="x")
    assert recorder.bodies[0]["format"]["properties"]["label"]["type"] == "string"


def test_fallback_chain_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "vllm")
    monkeypatch.setenv("VLLM_MODEL", "qwen")
    monkeypatch.setenv("LLM_API_KEY", "sk-primary")
    monkeypatch.setenv("LLM_FALLBACK_PROVIDERS", "ollama, llama.cpp")
    monkeypatch.setenv("OLLAMA_MODEL", "llama3")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://llama:8080/v1")
    chain = resolve_chain(load_settings(), "chat")
    assert [e.provider for e in chain] == ["vllm", "ollama", "openai"]
    assert chain[1].model == "llama3"
    assert chain[1].origin("model") == "env OLLAMA_MODEL"
    assert chain[2].base_url == "http://llama:8080/v1"
    assert chain[0].api_key is not None
    assert chain[1].api_key is None
    assert chain[2].api_key is None


def test_fallback_base_url_and_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "vllm")
    monkeypatch.setenv("LLM_MODEL", "qwen")
    monkeypatch.setenv("LLM_FALLBACK_PROVIDER", "vllm")
    monkeypatch.setenv("LLM_FALLBACK_BASE_URL", "http://standby:8000/v1")
    monkeypatch.setenv("LLM_FALLBACK_MODEL", "qwen-small")
    chain = resolve_chain(load_settings(), "chat")
    assert (chain[1].base_url, chain[1].model) == ("http://standby:8000/v1", "qwen-small")
    assert chain[1].origin("base_url") == "env LLM_FALLBACK_BASE_URL"


def test_bad_fallback_provider_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_FALLBACK_PROVIDER", "olama")
    with pytest.raises(ConfigurationError, match="Did you mean 'ollama'"):
        load_settings()


def test_embeddings_fallback_needs_same_space(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBEDDINGS_PROVIDER", "ollama")
    monkeypatch.setenv("EMBEDDINGS_MODEL", "nomic-embed-text")
    monkeypatch.setenv("EMBEDDINGS_FALLBACK_PROVIDER", "ollama")
    monkeypatch.setenv("OLLAMA_HOST", "http://standby:11434")
    with pytest.raises(ConfigurationError, match="another space"):
        resolve_chain(load_settings(), "embeddings")
    monkeypatch.setenv("EMBEDDINGS_FALLBACK_SAME_SPACE", "true")
    monkeypatch.setenv("OLLAMA_EMBEDDING_MODEL", "nomic-embed-text")
    chain = resolve_chain(load_settings(), "embeddings")
    assert [e.base_url for e in chain] == ["http://standby:11434", "http://standby:11434"]


def test_model_is_served_accepts_ollama_latest() -> None:
    served = [ServedModel("llama3:latest", None)]
    assert model_is_served("llama3", served)
    assert model_is_served("llama3:latest", served)
    assert not model_is_served("llama2", served)


def test_discover_model_unreachable_is_a_configuration_error() -> None:
    endpoint = resolve_endpoint("chat", provider="vllm", base_url="http://127.0.0.1:9/v1")
    assert endpoint.model == ""
    with pytest.raises(ConfigurationError, match="could not be asked"):
        discover_model(endpoint)


def test_discover_model_names_the_variables_of_its_capability() -> None:
    endpoint = resolve_endpoint("embeddings", provider="vllm", base_url="http://127.0.0.1:9/v1")
    with pytest.raises(ConfigurationError) as caught:
        discover_model(endpoint)
    assert "Set EMBEDDINGS_MODEL or VLLM_EMBEDDINGS_MODEL." in str(caught.value)
    assert caught.value.setting == "EMBEDDINGS_MODEL"


def test_configured_capabilities(monkeypatch: pytest.MonkeyPatch) -> None:
    # the embedded default serves chat and embeddings, with nothing configured
    assert configured_capabilities(load_settings()) == ["chat", "embeddings"]
    assert configured_capabilities(load_settings(provider="ollama", model="m")) == ["chat"]
    monkeypatch.setenv("OCR_PROVIDER", "ollama")
    monkeypatch.setenv("OLLAMA_EMBEDDING_MODEL", "nomic")
    assert configured_capabilities(load_settings()) == ["chat", "embeddings", "vision"]


def test_check_reports_unreachable_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "vllm")
    monkeypatch.setenv("VLLM_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("VLLM_MODEL", "qwen")
    results = run_checks(load_settings())
    assert len(results) == 1
    assert not results[0].ok
    assert not results[0].reachable
    assert results[0].error
    assert main(["check", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data[0]["provider"] == "vllm"
    assert data[0]["ok"] is False


def test_check_unknown_capability(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--capability", "audio"]) == 2
    assert "valid: chat, embeddings, vision" in capsys.readouterr().err
