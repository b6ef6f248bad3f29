"""Every answer says which provider gave it: ``response_metadata["llmswitch_provider"]``.

On every chat provider of the table, through the wire recorder: invoke (sync and async),
stream chunks (sync and async), structured output with ``include_raw``, and the same
through a fallback chain, whose ``model_name`` is the primary's.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessageChunk, BaseMessage
from pydantic import BaseModel

from langchain_llmswitch import resolve_endpoint
from langchain_llmswitch.providers import PROVIDERS
from langchain_llmswitch.reliability.fallback import FallbackChatModel
from langchain_llmswitch.reliability.guards import PROVIDER_KEY

from .wire import Recorder, chat_with_recorder

CHAT_PROVIDERS = [name for name, spec in PROVIDERS.items() if "chat" in spec.capabilities]


class Label(BaseModel):
    label: str


def _chat(provider: str) -> tuple[Any, Recorder]:
    return chat_with_recorder(resolve_endpoint("chat", provider=provider, model="m"))


def _down(provider: str) -> Any:
    """A model of the provider whose every request fails to connect."""
    endpoint = resolve_endpoint("chat", provider=provider, model="down", max_retries=0)
    spec = PROVIDERS[endpoint.provider]
    kwargs = spec.chat_kwargs(endpoint)

    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    kwargs["http_client"] = httpx.Client(transport=httpx.MockTransport(fail))
    kwargs["http_async_client"] = httpx.AsyncClient(transport=httpx.MockTransport(fail))
    return spec.load_chat_class()(**kwargs)


def _merged(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return total


@pytest.mark.parametrize("provider", CHAT_PROVIDERS)
def test_invoke_says_the_provider(provider: str) -> None:
    chat, _ = _chat(provider)
    assert chat.invoke("hi").response_metadata[PROVIDER_KEY] == provider


@pytest.mark.parametrize("provider", CHAT_PROVIDERS)
async def test_ainvoke_says_the_provider(provider: str) -> None:
    chat, _ = _chat(provider)
    assert (await chat.ainvoke("hi")).response_metadata[PROVIDER_KEY] == provider


@pytest.mark.parametrize("provider", CHAT_PROVIDERS)
def test_stream_says_the_provider_once(provider: str) -> None:
    chat, _ = _chat(provider)
    chunks = list(chat.stream("hi"))
    assert chunks[0].response_metadata[PROVIDER_KEY] == provider
    assert _merged(chunks).response_metadata[PROVIDER_KEY] == provider  # not concatenated


@pytest.mark.parametrize("provider", CHAT_PROVIDERS)
async def test_astream_says_the_provider_once(provider: str) -> None:
    chat, _ = _chat(provider)
    chunks = [chunk async for chunk in chat.astream("hi")]
    assert chunks[0].response_metadata[PROVIDER_KEY] == provider
    assert _merged(chunks).response_metadata[PROVIDER_KEY] == provider


@pytest.mark.parametrize("provider", CHAT_PROVIDERS)
def test_structured_output_raw_says_the_provider(provider: str) -> None:
    chat, recorder = _chat(provider)
    recorder.reply_text = json.dumps({"label": "x"})
    result = chat.with_structured_output(Label, include_raw=True).invoke("label it")
    assert result["parsed"] == Label(label="x")
    assert isinstance(result["raw"], BaseMessage)
    assert result["raw"].response_metadata[PROVIDER_KEY] == provider


@pytest.mark.parametrize("provider", CHAT_PROVIDERS)
def test_vision_model_answers_say_the_provider(provider: str) -> None:
    """A vision model is a chat model of the same classes: the same metadata."""
    chat, _ = _chat(provider)
    assert chat.invoke([("human", "what is this?")]).response_metadata[PROVIDER_KEY] == provider


# --------------------------------------------------------------------------- fallback


def _chain() -> tuple[FallbackChatModel, Recorder]:
    fallback, recorder = _chat("ollama")
    chain = FallbackChatModel(models=[_down("vllm"), fallback], providers=["vllm", "ollama"])
    return chain, recorder


def test_fallback_invoke_says_who_answered() -> None:
    chain, _ = _chain()
    metadata = chain.invoke("hi").response_metadata
    assert (metadata[PROVIDER_KEY], metadata["llmswitch_fallback_index"]) == ("ollama", 1)


def test_fallback_without_falling_back_says_the_primary() -> None:
    primary, _ = _chat("vllm")
    other, _ = _chat("ollama")
    chain = FallbackChatModel(models=[primary, other], providers=["vllm", "ollama"])
    metadata = chain.invoke("hi").response_metadata
    assert (metadata[PROVIDER_KEY], metadata["llmswitch_fallback_index"]) == ("vllm", 0)


def test_fallback_stream_says_who_answered_once() -> None:
    chain, _ = _chain()
    chunks = list(chain.stream("hi"))
    merged = _merged(chunks).response_metadata
    assert (merged[PROVIDER_KEY], merged["llmswitch_fallback_index"]) == ("ollama", 1)


async def test_fallback_astream_and_ainvoke_say_who_answered() -> None:
    chain, _ = _chain()
    assert (await chain.ainvoke("hi")).response_metadata[PROVIDER_KEY] == "ollama"
    chunks = [chunk async for chunk in chain.astream("hi")]
    assert _merged(chunks).response_metadata[PROVIDER_KEY] == "ollama"


def test_fallback_structured_output_raw_says_who_answered() -> None:
    chain, recorder = _chain()
    recorder.reply_text = json.dumps({"label": "x"})
    result = chain.with_structured_output(Label, include_raw=True).invoke("label it")
    assert result["parsed"] == Label(label="x")
    metadata = result["raw"].response_metadata
    assert (metadata[PROVIDER_KEY], metadata["llmswitch_fallback_index"]) == ("ollama", 1)


async def test_fallback_async_structured_output_raw_says_who_answered() -> None:
    chain, recorder = _chain()
    recorder.reply_text = json.dumps({"label": "x"})
    result = await chain.with_structured_output(Label, include_raw=True).ainvoke("label it")
    assert result["raw"].response_metadata[PROVIDER_KEY] == "ollama"


def test_fallback_model_name_is_the_primary_s() -> None:
    """The chain is for its primary's model; the one that answered is in the metadata."""
    chain, _ = _chain()
    assert chain.model_name == "down"
    assert chain._get_ls_params()["ls_model_name"] == "down"  # what traces show
    other = FallbackChatModel(models=[_chat("ollama")[0], _down("vllm")], providers=["a", "b"])
    assert other.model_name == "m"  # ChatOllama's `model`
