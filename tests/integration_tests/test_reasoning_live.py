"""Reasoning on the real servers: thinking turned on and off, kept apart from the answer.

The harness's SmolLM2 template opens a ``<think>`` when a request sets the chat-template kwarg
``enable_thinking`` (as Qwen3's does), and each server splits what follows with its own
reasoning parser: llama-server ``--reasoning-format deepseek`` (the harness's
``llamacpp-think``, whose template also renders reasoning), vLLM a text parser of the harness
(``harness/vllm_plugins/think_parser.py``). SmolLM2 never writes ``</think>``, so with
thinking on the whole answer is reasoning and ``content`` is empty: what is asserted is the
wiring (the setting reaches the template; the reasoning is kept in
``additional_kwargs["reasoning_content"]`` and ``content_blocks``, invoke and stream, never in
``content`` nor parsed as structured output), not wording. Ollama 0.5.4 has no ``think``: the
setting is refused before any request. Greedy, seeded, short.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from functools import reduce
from typing import Any

import pytest
from langchain_core.messages import AIMessage
from pydantic import BaseModel

from langchain_llmswitch import get_chat_model, server_info
from langchain_llmswitch.errors import CapabilityError

from .conftest import Backend

pytestmark = pytest.mark.live

QUESTION = "What is 2+2?"
MAX_TOKENS = 24


def reasoning_settings(backend: Backend) -> dict[str, Any]:
    """The chat keywords of a backend, on llama.cpp its server that reasons (llamacpp-think)."""
    settings = backend.chat_settings()
    if backend.name == "llamacpp":
        import harness  # noqa: PLC0415 - only live runs need the harness

        settings["base_url"] = harness.ensure_started(["llamacpp-think"])[
            "llamacpp-think"
        ].openai_url
    return settings


def _chat(backend: Backend, **settings: Any) -> Any:
    server_info.forget()
    given = {"temperature": 0, "seed": 1, "max_tokens": MAX_TOKENS, **settings}
    return get_chat_model(**reasoning_settings(backend), **given)


@pytest.fixture(params=["vllm", "llamacpp"])
def backend(request: pytest.FixtureRequest, backend_factory: Callable[[str], Backend]) -> Backend:
    return backend_factory(str(request.param))


def _thought(message: Any) -> str:
    return str(message.additional_kwargs.get("reasoning_content") or "")


def _assert_kept_apart(message: Any) -> None:
    thought = _thought(message)
    assert thought.strip(), f"no reasoning kept: {message!r}"
    assert "<think>" not in str(message.content)
    assert thought.strip() not in str(message.content)
    blocks = message.content_blocks
    assert blocks[0] == {"type": "reasoning", "reasoning": thought}, blocks


def test_thinking_on_keeps_reasoning_apart(backend: Backend) -> None:
    chat = _chat(backend, reasoning=True)
    answer = chat.invoke(QUESTION)
    _assert_kept_apart(answer)
    streamed = reduce(operator.add, chat.stream(QUESTION))
    _assert_kept_apart(streamed)
    assert _thought(streamed) == _thought(answer)  # greedy: the same thought, chunk by chunk
    assert streamed.content == answer.content


async def test_thinking_on_async(backend: Backend) -> None:
    chat = _chat(backend, reasoning=True)
    answer = await chat.ainvoke(QUESTION)
    _assert_kept_apart(answer)
    chunks = [chunk async for chunk in chat.astream(QUESTION)]
    streamed = reduce(operator.add, chunks)
    assert _thought(streamed) == _thought(answer)


def test_thinking_off_or_unset_gives_no_reasoning(backend: Backend) -> None:
    unset = _chat(backend).invoke(QUESTION)
    off = _chat(backend, reasoning=False).invoke(QUESTION)
    for message in (unset, off):
        assert isinstance(message, AIMessage)
        assert "reasoning_content" not in message.additional_kwargs
        assert str(message.content).strip()
        assert [b["type"] for b in message.content_blocks] == ["text"]
    assert off.content == unset.content  # off is today's prompt: the same greedy answer
    usage_on = _chat(backend, reasoning=True).invoke(QUESTION).usage_metadata
    assert unset.usage_metadata
    assert off.usage_metadata
    assert usage_on
    assert off.usage_metadata["input_tokens"] == unset.usage_metadata["input_tokens"]
    assert usage_on["input_tokens"] > unset.usage_metadata["input_tokens"]  # the <think>


def test_per_call_reasoning(backend: Backend) -> None:
    chat = _chat(backend)
    _assert_kept_apart(chat.invoke(QUESTION, reasoning=True))
    assert "reasoning_content" not in chat.invoke(QUESTION).additional_kwargs
    streamed = reduce(operator.add, chat.bind(reasoning=True).stream(QUESTION))
    _assert_kept_apart(streamed)


class Sum(BaseModel):
    """The answer to a sum."""

    answer: int


def test_structured_output_parses_only_content(backend: Backend) -> None:
    chat = _chat(backend, reasoning=True, max_tokens=32)
    result = chat.with_structured_output(Sum, include_raw=True).invoke(
        f"{QUESTION} Answer in JSON."
    )
    raw = result["raw"]
    thought = _thought(raw)
    assert thought.strip(), "thinking on: the server should have reasoned"
    assert "<think>" not in str(raw.content)
    if result["parsed"] is not None:
        assert Sum.model_validate_json(str(raw.content)) == result["parsed"]
    else:  # nothing after the reasoning: the parser saw the empty content, not the reasoning
        assert str(raw.content).strip() == ""
        assert "Raw output: ''" in str(result["parsing_error"])


def test_ollama_refuses_thinking(backend_factory: Callable[[str], Backend]) -> None:
    backend = backend_factory("ollama")
    for on in (True, False):
        with pytest.raises(CapabilityError, match=r"version 0\.5\.4.*0\.9"):
            _chat(backend, reasoning=on).invoke(QUESTION)
    with pytest.raises(CapabilityError, match="think"):
        _chat(backend).invoke(QUESTION, reasoning=True)
    answer = _chat(backend).invoke(QUESTION)  # unset: not sent, not refused
    assert str(answer.content).strip()
    assert "<think>" not in str(answer.content)
