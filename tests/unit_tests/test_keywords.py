"""Factory keywords that are not settings: LangChain's own, and the provider class's own."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.caches import InMemoryCache
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.rate_limiters import InMemoryRateLimiter

from langchain_llmswitch import ConfigurationError, get_chat_model, get_embeddings, get_vision_model
from langchain_llmswitch.reliability.fallback import FallbackChatModel
from langchain_llmswitch.resolution import split_keywords

URLS = {"vllm": "http://127.0.0.1:9/v1", "openai": "http://127.0.0.1:9/v1", "ollama": None}


def _chat(provider: str, **keywords: Any) -> Any:
    return get_chat_model(provider=provider, model="m", base_url=URLS[provider], **keywords)


def test_settings_and_other_keywords_are_told_apart() -> None:
    settings, others = split_keywords(
        "embeddings", {"model": "e", "batch_size": 8, "num_predict": 3, "default_headers": {}}
    )
    assert settings == {"model": "e", "batch_size": 8, "num_predict": 3}
    assert others == {"default_headers": {}}


@pytest.mark.parametrize("provider", sorted(URLS))
def test_langchain_keywords_pass_through_on_every_provider(provider: str) -> None:
    handler, limiter, cache = BaseCallbackHandler(), InMemoryRateLimiter(), InMemoryCache()
    chat = _chat(
        provider,
        callbacks=[handler],
        tags=["rag"],
        metadata={"team": "ops"},
        rate_limiter=limiter,
        cache=cache,
        name="answerer",
        disable_streaming=True,
    )
    assert chat.callbacks == [handler]
    assert chat.tags == ["rag"]
    assert chat.metadata is not None
    assert chat.metadata["team"] == "ops"
    assert (chat.rate_limiter, chat.cache, chat.name) == (limiter, cache, "answerer")
    assert chat.disable_streaming is True


def test_langchain_keywords_of_a_fallback_chain_go_on_the_chain() -> None:
    """The chain is the model the user calls: its callbacks fire once, not once per member."""
    handler = BaseCallbackHandler()
    chat = _chat("vllm", fallback_providers="ollama", fallback_model="n", callbacks=[handler])
    assert isinstance(chat, FallbackChatModel)
    assert chat.callbacks == [handler]
    assert [member.callbacks for member in chat.models] == [None, None]


def test_vision_takes_them_too() -> None:
    vision = get_vision_model(provider="ollama", model="llava:7b", tags=["ocr"])
    assert vision.tags == ["ocr"]


def test_a_class_keyword_is_taken_and_dicts_are_merged_with_the_packages() -> None:
    chat = _chat("vllm", top_k=40, extra_body={"min_p": 0.1}, presence_penalty=0.5)
    assert chat.extra_body == {"top_k": 40, "min_p": 0.1}  # top_k kept: merged, not replaced
    assert chat.presence_penalty == 0.5


def test_ollama_keywords_are_taken_by_ollama() -> None:
    chat = _chat("ollama", keep_alive="5m")
    assert chat.keep_alive == "5m"


def test_default_headers_are_translated_for_ollama() -> None:
    """ChatOpenAI code passes ``default_headers``; Ollama's client calls them ``headers``."""
    chat = _chat("ollama", default_headers={"X-Team": "ops"})
    assert chat.client_kwargs is not None
    assert chat.client_kwargs["headers"] == {"X-Team": "ops"}
    assert chat.client_kwargs["timeout"] == 300.0  # the package's own client keywords kept
    embeddings = get_embeddings(provider="ollama", model="e", default_headers={"X-Team": "ops"})
    assert getattr(embeddings, "client_kwargs", {})["headers"] == {"X-Team": "ops"}


def test_a_keyword_of_another_provider_is_refused_naming_where_it_works() -> None:
    with pytest.raises(ConfigurationError, match=r"'keep_alive'.*ChatOpenAI \(provider 'vllm'\)"):
        _chat("vllm", keep_alive="5m")
    with pytest.raises(ConfigurationError, match="works with provider 'ollama', not 'vllm'"):
        _chat("vllm", keep_alive="5m")
    with pytest.raises(ConfigurationError, match=r"'extra_body'.*not 'ollama'"):
        _chat("ollama", extra_body={"top_k": 5})


def test_a_fallback_member_that_lacks_a_keyword_refuses_it() -> None:
    with pytest.raises(ConfigurationError, match=r"'extra_body'.*provider 'ollama'"):
        _chat("vllm", fallback_providers="ollama", fallback_model="n", extra_body={"a": 1})


def test_a_typo_gets_a_suggestion_and_the_value_is_never_shown() -> None:
    with pytest.raises(ConfigurationError, match="Did you mean 'callbacks'") as caught:
        _chat("openai", callbaks="sk-secret-value")
    assert "sk-secret-value" not in str(caught.value)


def test_embeddings_refuse_chat_keywords() -> None:
    with pytest.raises(ConfigurationError, match="get_embeddings\\(\\) got the keyword 'tags'"):
        get_embeddings(provider="vllm", model="e", base_url=URLS["vllm"], tags=["x"])


def test_guided_fields_in_a_construction_extra_body_are_translated(
    recwarn: pytest.WarningsRecorder,
) -> None:
    chat = _chat("vllm", extra_body={"guided_regex": "a+"})
    payload = chat._get_request_payload("hi")
    assert payload["extra_body"] == {"structured_outputs": {"regex": "a+"}}
    assert any("guided_regex" in str(w.message) for w in recwarn)
