"""Parameters given per call take the factories' names and land where each backend reads them.

The JSON is captured on the wire (`wire.Recorder`); what the servers do with it is tested
against the real servers in tests/integration_tests.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from langchain_llmswitch import ConfigurationError
from langchain_llmswitch.resolution import resolve_endpoint

from .wire import Recorder, chat_with_recorder

SETTINGS: dict[str, dict[str, Any]] = {
    "vllm": {"provider": "vllm", "model": "m", "base_url": "http://127.0.0.1:9/v1", "top_k": 40},
    "openai": {"provider": "openai", "model": "m", "base_url": "http://127.0.0.1:9/v1"},
    "ollama": {"provider": "ollama", "model": "m", "base_url": "http://127.0.0.1:9", "top_k": 40},
}
#: Where each of our names lands in the request body, per backend.
WIRE: dict[str, dict[str, tuple[str, ...]]] = {
    "vllm": {
        "max_tokens": ("max_completion_tokens",),
        "temperature": ("temperature",),
        "top_k": ("top_k",),
        "repetition_penalty": ("repetition_penalty",),
    },
    "openai": {
        "max_tokens": ("max_completion_tokens",),
        "temperature": ("temperature",),
        "top_k": ("top_k",),
        "repetition_penalty": ("repeat_penalty",),
    },
    "ollama": {
        "max_tokens": ("options", "num_predict"),
        "temperature": ("options", "temperature"),
        "top_k": ("options", "top_k"),
        "repetition_penalty": ("options", "repeat_penalty"),
    },
}
VALUES: dict[str, Any] = {
    "max_tokens": 16,
    "temperature": 0.7,
    "top_k": 5,
    "repetition_penalty": 1.2,
}
SPELLINGS = {"max_tokens": "num_predict", "repetition_penalty": "repeat_penalty"}


def _model(provider: str) -> tuple[Any, Recorder]:
    return chat_with_recorder(resolve_endpoint("chat", **SETTINGS[provider]))


def _at(body: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        body = body[key]
    return body


@pytest.mark.parametrize("provider", sorted(SETTINGS))
@pytest.mark.parametrize("name", sorted(VALUES))
@pytest.mark.parametrize("how", ["bind", "invoke", "stream", "native spelling"])
def test_a_parameter_per_call_lands_where_the_backend_reads_it(
    provider: str, name: str, how: str
) -> None:
    model, recorder = _model(provider)
    value = VALUES[name]
    if how == "bind":
        model.bind(**{name: value}).invoke("hi")
    elif how == "invoke":
        model.invoke("hi", **{name: value})
    elif how == "stream":
        list(model.stream("hi", **{name: value}))
    else:
        model.invoke("hi", **{SPELLINGS.get(name, name): value})
    assert _at(recorder.bodies[-1], WIRE[provider][name]) == value


@pytest.mark.parametrize("provider", sorted(SETTINGS))
async def test_async_calls_map_them_too(provider: str) -> None:
    model, recorder = _model(provider)
    await model.ainvoke("hi", max_tokens=16)
    assert _at(recorder.bodies[-1], WIRE[provider]["max_tokens"]) == 16


def test_the_other_protocols_container_is_translated() -> None:
    ollama, on_ollama = _model("ollama")
    ollama.invoke("hi", extra_body={"top_k": 9, "min_p": 0.1})
    assert on_ollama.bodies[-1]["options"]["top_k"] == 9
    assert on_ollama.bodies[-1]["options"]["min_p"] == 0.1
    vllm, on_vllm = _model("vllm")
    vllm.invoke("hi", options={"num_predict": 8, "min_p": 0.1})
    body = on_vllm.bodies[-1]
    assert body["max_completion_tokens"] == 8
    assert body["top_k"] == 40  # the model's own extra_body is kept
    assert body["min_p"] == 0.1


def test_per_call_options_on_ollama_are_merged_with_the_models() -> None:
    model, recorder = _model("ollama")
    model.invoke("hi", options={"min_p": 0.1})
    assert recorder.bodies[-1]["options"]["top_k"] == 40
    assert recorder.bodies[-1]["options"]["min_p"] == 0.1


def test_two_spellings_of_one_parameter_in_one_call_are_refused() -> None:
    model, recorder = _model("ollama")
    with pytest.raises(ConfigurationError, match="max_tokens=16 and num_predict=8"):
        model.invoke("hi", max_tokens=16, num_predict=8)
    assert recorder.bodies == []


def test_a_context_length_per_call_on_a_server_that_fixes_it_is_dropped_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    model, recorder = _model("vllm")
    with caplog.at_level(logging.WARNING):
        model.invoke("hi", num_ctx=4096)
    assert "num_ctx" not in recorder.bodies[-1]
    assert "fixed when the server starts" in caplog.text
