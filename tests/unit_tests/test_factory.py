"""The factories: right classes, copies of one cached object, shared connection pools."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_ollama import ChatOllama, OllamaEmbeddings
from langchain_openai import ChatOpenAI, OpenAIEmbeddings

from langchain_llmswitch import (
    PROVIDERS,
    get_chat_model,
    get_embeddings,
    get_vision_model,
    resolve_endpoint,
    server_info,
)
from langchain_llmswitch.factory import clear_cache
from langchain_llmswitch.vision import images


def test_switch_by_environment_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chat on vLLM, vision on Ollama with llava:7b, no code change."""
    monkeypatch.setenv("LLM_PROVIDER", "vllm")
    monkeypatch.setenv("VLLM_URL", "http://vllm:8000")
    monkeypatch.setenv("VLLM_MODEL", "Qwen/Qwen2.5-7B-Instruct")
    monkeypatch.setenv("OCR_PROVIDER", "ollama")
    monkeypatch.setenv("OLLAMA_HOST", "http://ollama:11434")
    monkeypatch.setenv("OLLAMA_VISION_MODEL", "llava:7b")
    chat = get_chat_model()
    vision = get_vision_model()
    assert isinstance(chat, ChatOpenAI)
    assert chat.model_name == "Qwen/Qwen2.5-7B-Instruct"
    assert chat.openai_api_base == "http://vllm:8000/v1"
    assert isinstance(vision, ChatOllama)
    assert vision.model == "llava:7b"
    assert vision.base_url == "http://ollama:11434"
    # ... and back, by environment only
    monkeypatch.setenv("LLM_PROVIDER", "ollama")
    monkeypatch.setenv("OLLAMA_MODEL", "llama3.1:8b")
    back = get_chat_model()
    assert isinstance(back, ChatOllama)
    assert back.model == "llama3.1:8b"


@pytest.mark.parametrize(
    ("provider", "chat_class", "embeddings_class"),
    [
        ("ollama", ChatOllama, OllamaEmbeddings),
        ("vllm", ChatOpenAI, OpenAIEmbeddings),
        ("openai", ChatOpenAI, OpenAIEmbeddings),
    ],
)
def test_classes(provider: str, chat_class: type, embeddings_class: type) -> None:
    chat = get_chat_model(provider=provider, model="m")
    embeddings = get_embeddings(provider=provider, model="e", base_url="http://e:1/v1")
    assert isinstance(chat, BaseChatModel)
    assert isinstance(embeddings, Embeddings)
    assert isinstance(chat, chat_class)
    assert isinstance(embeddings, embeddings_class)
    assert chat.llmswitch_provider == provider  # type: ignore[attr-defined]


def test_openai_wiring() -> None:
    chat = get_chat_model(provider="vllm", model="m")
    assert chat.stream_usage is True  # type: ignore[attr-defined]
    assert chat.use_responses_api is False  # type: ignore[attr-defined]
    embeddings = get_embeddings(provider="vllm", model="e", base_url="http://e:1/v1")
    assert embeddings.check_embedding_ctx_length is False  # type: ignore[attr-defined]


def test_ollama_timeout_and_retries_take_effect() -> None:
    chat = get_chat_model(provider="ollama", model="m", timeout=12.5, max_retries=4)
    http = chat._client._client  # type: ignore[attr-defined]
    assert http.timeout.read == 12.5
    assert http._transport.max_retries == 4
    async_http = chat._async_client._client  # type: ignore[attr-defined]
    assert async_http.timeout.connect == 12.5
    assert async_http._transport.max_retries == 4


def test_openai_timeout_and_retries() -> None:
    chat = get_chat_model(provider="vllm", model="m", timeout=7, max_retries=3)
    assert chat.root_client.timeout == 7  # type: ignore[attr-defined]
    assert chat.root_client.max_retries == 0  # type: ignore[attr-defined]  # the SDK's: off
    clients: list[Any] = [chat.root_client._client, chat.root_async_client._client]  # type: ignore[attr-defined]
    for client in clients:
        assert client._transport.max_retries == 3  # the package's, the same as Ollama's


@pytest.mark.parametrize("provider", ["vllm", "openai"])
def test_openai_protocol_stream_chunk_waits_follow_the_timeout(
    provider: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """langchain-openai's own per-chunk limit of async streams (120 s) never undercuts ours."""
    monkeypatch.setenv("LANGCHAIN_OPENAI_STREAM_CHUNK_TIMEOUT_S", "1")
    chat = get_chat_model(provider=provider, base_url="http://s:1/v1", model="m", timeout=600)
    assert chat.stream_chunk_timeout is None  # type: ignore[attr-defined]
    assert chat.chunk_timeout == 600  # type: ignore[attr-defined]
    default = get_chat_model(provider=provider, base_url="http://s:1/v1", model="m")
    assert default.chunk_timeout == default.request_timeout == 300  # type: ignore[attr-defined]


def test_repeated_calls_return_copies_sharing_clients() -> None:
    first = get_chat_model(provider="ollama", model="m", temperature=0.1)
    second = get_chat_model(provider="ollama", model="m", temperature=0.1)
    assert first is not second
    assert first._client is second._client  # type: ignore[attr-defined]
    first.temperature = 0.9  # type: ignore[attr-defined]
    assert get_chat_model(provider="ollama", model="m", temperature=0.1).temperature == 0.1  # type: ignore[attr-defined]


def test_different_settings_give_different_objects() -> None:
    a = get_chat_model(provider="ollama", model="m", temperature=0.1)
    b = get_chat_model(provider="ollama", model="m", temperature=0.2)
    assert a.temperature == 0.1  # type: ignore[attr-defined]
    assert b.temperature == 0.2  # type: ignore[attr-defined]


def test_ollama_models_share_one_pool() -> None:
    a = get_chat_model(provider="ollama", model="a")
    b = get_chat_model(provider="ollama", model="b")
    e = get_embeddings(provider="ollama", model="e")
    transport = a._client._client._transport  # type: ignore[attr-defined]
    assert b._client._client._transport is transport  # type: ignore[attr-defined]
    assert e._client._client._transport is transport  # type: ignore[attr-defined]


def test_environment_change_is_seen_despite_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_MODEL", "one")
    assert get_chat_model().model == "one"  # type: ignore[attr-defined]
    monkeypatch.setenv("OLLAMA_MODEL", "two")
    assert get_chat_model().model == "two"  # type: ignore[attr-defined]
    clear_cache()
    assert get_chat_model().model == "two"  # type: ignore[attr-defined]


def test_num_ctx_against_unreachable_server_does_not_fail() -> None:
    """The context check asks the server; an unreachable one is not an error."""
    chat = get_chat_model(
        provider="vllm", model="m", base_url="http://127.0.0.1:9/v1", num_ctx=32768
    )
    assert chat is not None


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_every_embeddings_class_takes_every_constructor_argument(provider: str) -> None:
    """An argument the class does not know would land in ``model_kwargs`` and be sent to the
    server (`Embeddings.create() got an unexpected keyword argument`): none may."""
    spec = PROVIDERS[provider]
    endpoint = resolve_endpoint("embeddings", provider=provider, model="m", base_url="http://h:1")
    embeddings = spec.build_embeddings(endpoint)  # built as is: no embedded server started
    assert not getattr(embeddings, "model_kwargs", None), embeddings


def test_clear_cache_forgets_every_server_answer() -> None:
    target = images._Target("vllm", "http://x/v1", "m", "EMPTY")
    images._VERDICTS[target] = None
    server_info._llamacpp["http://x/v1"] = True
    clear_cache()
    assert target not in images._VERDICTS
    assert "http://x/v1" not in server_info._llamacpp


@pytest.mark.parametrize("provider", ["vllm", "openai", "ollama"])
def test_tracing_names_the_provider_of_the_table(provider: str) -> None:
    """LangSmith groups and prices by ``ls_provider``: a vLLM run must not say "openai"."""
    chat = get_chat_model(provider=provider, model="m", base_url="http://127.0.0.1:9")
    params = chat._get_ls_params()
    assert (params["ls_provider"], params["ls_model_name"]) == (provider, "m")


def test_a_fallback_chain_traces_as_its_primary() -> None:
    chat = get_chat_model(
        provider="vllm",
        model="m",
        base_url="http://127.0.0.1:9",
        fallback_providers="ollama",
        fallback_model="n",
    )
    params = chat._get_ls_params()
    assert (params["ls_provider"], params["ls_model_name"]) == ("vllm", "m")
