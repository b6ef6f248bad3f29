"""The reasoning setting per backend, and reasoning kept out of ``content`` (our logic only)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from langchain_llmswitch import get_chat_model, reasoning
from langchain_llmswitch.config import load_settings
from langchain_llmswitch.errors import CapabilityError, ConfigurationError
from langchain_llmswitch.providers import PROVIDERS


@pytest.mark.parametrize(
    ("value", "expected"), [("on", True), ("off", False), ("true", True), ("0", False)]
)
def test_the_environment_turns_thinking_on_or_off(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    monkeypatch.setenv("LLM_REASONING", value)
    assert load_settings().reasoning is expected


def test_an_unknown_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_REASONING", "sometimes")
    with pytest.raises(ConfigurationError, match="LLM_REASONING"):
        load_settings()


@pytest.mark.parametrize("on", [True, False])
def test_vllm_and_llamacpp_send_enable_thinking(on: bool) -> None:
    for provider in ("vllm", "openai"):
        chat: Any = get_chat_model(provider=provider, model="m", reasoning=on, top_k=5)
        assert chat.extra_body == {"top_k": 5, "chat_template_kwargs": {"enable_thinking": on}}
        payload = chat._get_request_payload("hi")
        assert payload["extra_body"]["chat_template_kwargs"] == {"enable_thinking": on}


def test_unset_sends_nothing() -> None:
    chat: Any = get_chat_model(provider="vllm", model="m")
    assert "chat_template_kwargs" not in (chat.extra_body or {})
    assert "extra_body" not in chat._get_request_payload("hi")


def test_ollama_spells_it_think() -> None:
    assert PROVIDERS["ollama"].reasoning == "ollama_think"
    chat: Any = get_chat_model(provider="ollama", model="m", reasoning=True)
    assert chat.reasoning is True


def test_per_call_reasoning_goes_in_extra_body() -> None:
    chat: Any = get_chat_model(provider="vllm", model="m", top_k=5)
    payload = chat._get_request_payload("hi", reasoning=False)
    assert payload["extra_body"] == {"top_k": 5, "chat_template_kwargs": {"enable_thinking": False}}
    assert "reasoning" not in payload


def test_openai_reasoning_dict_is_left_to_chatopenai() -> None:
    kwargs: dict[str, Any] = {"reasoning": {"effort": "low"}}
    assert reasoning.payload_kwargs(kwargs) == {}
    assert kwargs == {"reasoning": {"effort": "low"}}


@pytest.mark.parametrize(
    ("content", "thought", "answer"),
    [
        ("<think>\nadd\n</think>\n\n4", "add", "4"),
        ("  <think>never closed", "never closed", ""),
        ("add them</think>\n4", "add them", "4"),  # the template opened it
        ("4", None, "4"),
        ("x <think> y", None, "x <think> y"),
    ],
)
def test_split(content: str, thought: str | None, answer: str) -> None:
    assert reasoning.split(content) == (thought, answer)


def test_server_field_kept_and_shown_as_a_block() -> None:
    reasoning.register_content_blocks()
    message = AIMessage(content="4", response_metadata={"model_provider": "openai"})
    result = ChatResult(generations=[ChatGeneration(message=message)])
    reasoning.keep_result(result, [{"content": "4", "reasoning": "add"}])
    assert message.additional_kwargs[reasoning.KEY] == "add"
    assert message.content_blocks == [
        {"type": "reasoning", "reasoning": "add"},
        {"type": "text", "text": "4"},
    ]


def test_think_in_text_moved_out_and_generation_text_follows() -> None:
    message = AIMessage(content="<think>add</think>4")
    result = ChatResult(generations=[ChatGeneration(message=message)])
    reasoning.keep_result(result)
    assert (message.content, result.generations[0].text) == ("4", "4")
    assert message.additional_kwargs[reasoning.KEY] == "add"


def _chunks(pieces: list[str]) -> list[ChatGenerationChunk]:
    out = [ChatGenerationChunk(message=AIMessageChunk(content=p)) for p in pieces]
    out[-1] = ChatGenerationChunk(message=out[-1].message, generation_info={"done": True})
    return out


@pytest.mark.parametrize(
    "pieces",
    [
        ["<th", "ink>\nad", "d</th", "ink>\n", "4", ""],
        ["<think>add</think>4"],
        ["", " <think>a", "dd", "</think>", "4"],
    ],
)
def test_stream_split_across_chunks(pieces: list[str]) -> None:
    chunks = list(reasoning.split_stream(iter(_chunks(pieces)), lambda c: bool(c.generation_info)))
    merged = chunks[0].message
    for chunk in chunks[1:]:
        merged += chunk.message
    assert merged.content == "4"
    assert merged.additional_kwargs[reasoning.KEY].strip() == "add"


def test_stream_without_think_is_unchanged() -> None:
    chunks = _chunks(["<", "b>4", ""])
    out = list(reasoning.split_stream(iter(chunks), lambda c: bool(c.generation_info)))
    assert "".join(str(c.message.content) for c in out) == "<b>4"
    assert all(reasoning.KEY not in c.message.additional_kwargs for c in out)


def test_unclosed_think_in_stream_is_all_reasoning() -> None:
    chunks = _chunks(["<think>", "still </thi", "nking"])
    out = list(reasoning.split_stream(iter(chunks), lambda c: bool(c.generation_info)))
    assert "".join(str(c.message.content) for c in out) == ""
    assert "".join(c.message.additional_kwargs.get(reasoning.KEY, "") for c in out) == (
        "still </thinking"
    )


def test_old_ollama_refuses_think(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(reasoning._versions, "http://old:11434", (0, 5, 4))
    with pytest.raises(CapabilityError, match=r"0\.5\.4.*0\.9"):
        reasoning.check_ollama_think("http://old:11434", True)
    reasoning.check_ollama_think("http://old:11434", None)  # not sent: not checked
    monkeypatch.setitem(reasoning._versions, "http://new:11434", (0, 9, 0))
    reasoning.check_ollama_think("http://new:11434", False)
