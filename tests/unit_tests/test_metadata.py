"""Every answer says which provider gave it: ``response_metadata["llmswitch_provider"]``.

On every chat provider of the table, through the wire recorder: invoke (sync and async),
stream chunks (sync and async), structured output with ``include_raw``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk, BaseMessage
from pydantic import BaseModel

from langchain_llmswitch import resolve_endpoint
from langchain_llmswitch.providers import PROVIDERS
from langchain_llmswitch.reliability.guards import PROVIDER_KEY

from .wire import Recorder, chat_with_recorder

CHAT_PROVIDERS = [name for name, spec in PROVIDERS.items() if "chat" in spec.capabilities]


class Label(BaseModel):
    label: str


def _chat(provider: str) -> tuple[Any, Recorder]:
    return chat_with_recorder(resolve_endpoint("chat", provider=provider, model="m"))


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
