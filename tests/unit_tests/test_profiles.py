"""model.profile: the provider table at once, the server's facts on first use, cached."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from langchain_llmswitch import get_chat_model, server_info
from langchain_llmswitch.providers.openai_chat import SwitchChatOpenAI


def _profile(llm: Any) -> dict[str, Any]:
    assert llm.profile is not None
    profile: dict[str, Any] = llm.profile
    return profile


class Answers:
    """Stands in for the server probes: records each URL asked, answers from a table."""

    def __init__(self, table: dict[str, Any]) -> None:
        self.table = table
        self.asked: list[str] = []

    def __call__(self, url: str, _key: Any = None, body: Any = None) -> Any:
        self.asked.append(url)
        return self.table.get(url)


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Answers]:
    server_info.forget()
    fake = Answers({})
    monkeypatch.setattr(server_info, "_get_json", fake)
    yield fake
    server_info.forget()


def test_building_and_showing_a_model_asks_nothing(answers: Answers) -> None:
    llm = get_chat_model(provider="vllm", base_url="http://v:8000/v1", model="m")
    assert llm.profile is not None
    repr(llm)
    repr(llm.profile)
    assert answers.asked == []


def test_vllm_context_from_models_list(answers: Answers) -> None:
    answers.table["http://v:8000/v1/models"] = {"data": [{"id": "m", "max_model_len": 2048}]}
    llm = get_chat_model(provider="vllm", base_url="http://v:8000/v1", model="m")
    assert _profile(llm)["max_input_tokens"] == 2048
    assert _profile(llm).get("structured_output") is True
    assert _profile(llm).get("tool_calling") is True
    _profile(llm).get("max_input_tokens")
    _profile(get_chat_model(provider="vllm", base_url="http://v:8000/v1", model="m")).get("x")
    assert answers.asked == ["http://v:8000/v1/models"]  # once per process


def test_llamacpp_context_and_tools_from_props(answers: Answers) -> None:
    answers.table["http://l:8080/props"] = {
        "default_generation_settings": {"n_ctx": 1024},
        "chat_template_caps": {"supports_tools": True},
    }
    llm = get_chat_model(provider="openai", base_url="http://l:8080/v1", model="smollm2")
    assert _profile(llm)["max_input_tokens"] == 1024
    assert _profile(llm)["tool_calling"] is True


def test_other_openai_servers_fall_back_to_the_listing(answers: Answers) -> None:
    answers.table["http://s/v1/models"] = {"data": [{"id": "m", "max_model_len": 4096}]}
    llm = get_chat_model(provider="openai", base_url="http://s/v1", model="m")
    assert _profile(llm).get("max_input_tokens") == 4096
    assert _profile(llm).get("tool_calling") is True  # cannot tell: the server will say


@pytest.mark.parametrize(
    ("show", "num_ctx", "expected"),
    [
        ({"model_info": {"llama.context_length": 8192}}, None, 2048),  # Ollama's default
        ({"model_info": {"llama.context_length": 1024}}, None, 1024),
        ({"parameters": "num_ctx 4096\nstop x", "model_info": {}}, None, 4096),
        ({"model_info": {"llama.context_length": 8192}}, 8000, 8000),  # sent per request
    ],
)
def test_ollama_context(
    answers: Answers, show: dict[str, Any], num_ctx: int | None, expected: int
) -> None:
    answers.table["http://o:11434/api/show"] = {**show, "template": "{{ .Tools }}"}
    llm = get_chat_model(
        provider="ollama", base_url="http://o:11434", model="smollm2", num_ctx=num_ctx
    )
    assert _profile(llm)["max_input_tokens"] == expected
    assert _profile(llm)["tool_calling"] is True


def test_embedded_says_no_tools_without_asking(answers: Answers) -> None:
    llm = SwitchChatOpenAI(
        llmswitch_provider="embedded", base_url="http://e:1/v1", model="m", api_key="x"
    )
    assert llm.profile is not None
    assert _profile(llm)["tool_calling"] is False
    assert _profile(llm)["tool_choice"] is False
    assert _profile(llm)["structured_output"] is True


def test_a_vision_model_reads_images(answers: Answers) -> None:
    from langchain_llmswitch import get_vision_model  # noqa: PLC0415

    llm = get_vision_model(provider="vllm", base_url="http://v:8000/v1", model="vlm")
    assert llm.profile is not None
    assert _profile(llm).get("image_inputs") is True


def test_a_fallback_chain_has_its_primarys_profile(
    answers: Answers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_FALLBACK_PROVIDERS", "ollama")
    monkeypatch.setenv("OLLAMA_MODEL", "smollm2")
    answers.table["http://v:8000/v1/models"] = {"data": [{"id": "m", "max_model_len": 2048}]}
    chain = get_chat_model(provider="vllm", base_url="http://v:8000/v1", model="m")
    assert type(chain).__name__ == "FallbackChatModel"
    assert chain.profile is not None
    assert _profile(chain)["max_input_tokens"] == 2048
