"""The portability matrix: the code a user writes, on every backend, against the real servers.

One test per cell (feature x backend: ``portability.FEATURES`` x ``portability.BACKENDS``);
docs/portability.md is generated from their outcomes (`portability`). Each test runs the
same user code on every backend and asserts wiring (what came back, its type, where the
parameters landed), not wording: the models are 135M. A refusal that is the right answer
(no vision model on a text server) is asserted as such and noted in its cell.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from functools import reduce
from pathlib import Path
from typing import Any, Literal

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from pydantic import BaseModel

from langchain_llmswitch import (
    CapabilityError,
    ConfigurationError,
    get_chat_model,
    get_embeddings,
    get_vision_model,
    image_message,
)
from langchain_llmswitch.embedded.cache import CACHE_ENV
from langchain_llmswitch.structured import constrained

from .conftest import Backend
from .portability import BACKENDS, FEATURES
from .test_reasoning_live import reasoning_settings
from .test_tools_live import Weather, _tool_first, get_weather
from .test_vision_live import RED

pytestmark = pytest.mark.live

SAMPLING: dict[str, Any] = {"temperature": 0, "seed": 0, "max_tokens": 12}
PROMPT = "Name a colour."


def cells(feature: str) -> list[Any]:
    """The parameters of one feature's row: a cell per backend, marked for the matrix."""
    assert feature in FEATURES
    return [pytest.param(b, marks=pytest.mark.portability(feature, b), id=b) for b in BACKENDS]


@pytest.fixture
def settings_of(
    backend_factory: Callable[[str], Backend],
    linked_embedded_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[str, str], dict[str, Any]]:
    """Return the factory keywords of a backend: nothing at all for the embedded default."""

    def get(name: str, capability: str = "chat") -> dict[str, Any]:
        if name == "embedded":
            monkeypatch.setenv(CACHE_ENV, str(linked_embedded_cache))
            return {}
        backend = backend_factory(name)
        if capability == "embeddings":
            return backend.embeddings_settings()
        return backend.chat_settings()

    return get


def _chat(settings_of: Callable[..., dict[str, Any]], name: str, **extra: Any) -> Any:
    return get_chat_model(**{**settings_of(name), **SAMPLING, **extra})


# --- calls --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", cells("invoke"))
def test_invoke_and_batch(settings_of: Callable[..., dict[str, Any]], name: str) -> None:
    chat = _chat(settings_of, name)
    answer = chat.invoke(PROMPT)
    assert isinstance(answer, AIMessage)
    assert answer.text
    answers = chat.batch([PROMPT, "Name a fruit."])
    assert [type(a) for a in answers] == [AIMessage, AIMessage]
    assert answers[0].text == answer.text  # greedy and seeded: the same prompt, the same text


@pytest.mark.parametrize("name", cells("async"))
async def test_ainvoke_and_abatch(settings_of: Callable[..., dict[str, Any]], name: str) -> None:
    chat = _chat(settings_of, name)
    answer = await chat.ainvoke(PROMPT)
    assert answer.text
    answers = await chat.abatch([PROMPT, "Name a fruit."])
    assert len(answers) == 2
    assert answers[0].text == answer.text


@pytest.mark.parametrize("name", cells("stream"))
async def test_stream_and_astream(settings_of: Callable[..., dict[str, Any]], name: str) -> None:
    chat = _chat(settings_of, name)
    chunks = list(chat.stream(PROMPT))
    achunks = [chunk async for chunk in chat.astream(PROMPT)]
    for got in (chunks, achunks):
        assert all(isinstance(c, AIMessageChunk) for c in got)
        whole = got[0]
        for chunk in got[1:]:
            whole += chunk
        assert whole.text == chat.invoke(PROMPT).text
        assert whole.usage_metadata is not None
        assert whole.usage_metadata["output_tokens"] > 0


# --- the user's own keywords ----------------------------------------------------------------


@pytest.mark.parametrize("name", cells("per-call"))
def test_per_call_parameters(settings_of: Callable[..., dict[str, Any]], name: str) -> None:
    chat = _chat(settings_of, name, max_tokens=40)
    short = chat.bind(max_tokens=3).invoke("Write a long story about the sea.")
    assert short.usage_metadata is not None
    assert short.usage_metadata["output_tokens"] <= 3
    again = chat.invoke(PROMPT, top_k=1, repetition_penalty=1.0, num_predict=5)
    assert again.usage_metadata is not None
    assert again.usage_metadata["output_tokens"] <= 5


class _Seen(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tags: list[list[str] | None] = []
        self.metadata: list[dict[str, Any] | None] = []

    def on_chat_model_start(self, *args: Any, **kwargs: Any) -> None:
        self.tags.append(kwargs.get("tags"))
        self.metadata.append(kwargs.get("metadata"))


@pytest.mark.parametrize("name", cells("keywords"))
def test_langchain_keywords(settings_of: Callable[..., dict[str, Any]], name: str) -> None:
    seen = _Seen()
    chat = _chat(settings_of, name, callbacks=[seen], tags=["rag"], metadata={"team": "ops"})
    chat.invoke(PROMPT)
    assert seen.tags == [["rag"]]
    assert seen.metadata[0] is not None
    assert seen.metadata[0]["team"] == "ops"


# --- structured output ----------------------------------------------------------------------


class Verdict(BaseModel):
    mood: Literal["happy", "sad"]
    stars: int


@pytest.mark.parametrize("name", cells("structured"))
def test_structured_output(settings_of: Callable[..., dict[str, Any]], name: str) -> None:
    chat = _chat(settings_of, name, max_tokens=48)  # Ollama's grammar allows indentation
    verdict = chat.with_structured_output(Verdict).invoke("The film was great. Rate it.")
    assert isinstance(verdict, Verdict)


@pytest.mark.parametrize("name", cells("constrained"))
def test_constrained_text(settings_of: Callable[..., dict[str, Any]], name: str) -> None:
    chat = _chat(settings_of, name)
    label = constrained(chat, choice=["positive", "negative"]).invoke("I love it.")
    assert label in {"positive", "negative"}
    code = constrained(chat, regex=r"[A-Z]{3}-[0-9]{2}").invoke("A ticket code:")
    assert re.fullmatch(r"[A-Z]{3}-[0-9]{2}", code)


# --- tools and agents -------------------------------------------------------------------------


WEATHER = "What is the weather in Paris?"


def _tool_chat(settings_of: Callable[..., dict[str, Any]], name: str) -> Any:
    settings = settings_of(name)
    if name == "ollama":
        settings["model"] = "smollm2-tools"  # an Ollama model whose template renders .Tools
    return get_chat_model(**{**settings, **SAMPLING, "max_tokens": 48})


@pytest.mark.parametrize("name", cells("tools"))
def test_forced_tool_calls(
    settings_of: Callable[..., dict[str, Any]], name: str, record_property: Any
) -> None:
    chat = _tool_chat(settings_of, name)
    if name == "embedded":
        with pytest.raises(CapabilityError):
            chat.bind_tools([get_weather], tool_choice="any")
        record_property("cell", "refused: `CapabilityError` (no tools on the embedded server)")
        return
    bound = chat.bind_tools([get_weather], tool_choice="any")
    invoked = bound.invoke(WEATHER)
    streamed = None
    for chunk in bound.stream(WEATHER):
        streamed = chunk if streamed is None else streamed + chunk
    for message in (invoked, streamed):
        assert isinstance(message, AIMessage | AIMessageChunk)
        assert [call["name"] for call in message.tool_calls] == ["get_weather"]
        assert isinstance(message.tool_calls[0]["args"].get("city"), str)


@pytest.mark.parametrize("name", cells("agent-tools"))
def test_agent_with_a_tool(
    settings_of: Callable[..., dict[str, Any]], name: str, record_property: Any
) -> None:
    from langchain.agents import create_agent  # noqa: PLC0415 - langchain: heavy

    chat = _tool_chat(settings_of, name)
    agent = create_agent(chat, tools=[get_weather], middleware=[_tool_first()])
    if name == "embedded":
        with pytest.raises(CapabilityError):
            agent.invoke({"messages": [HumanMessage(WEATHER)]})
        record_property("cell", "refused: `CapabilityError` (no tools on the embedded server)")
        return
    messages = agent.invoke({"messages": [HumanMessage(WEATHER)]})["messages"]
    kinds = [type(m).__name__ for m in messages]
    assert kinds == ["HumanMessage", "AIMessage", "ToolMessage", "AIMessage"], kinds


@pytest.mark.parametrize("name", cells("agent-format"))
def test_agent_with_a_response_format(
    settings_of: Callable[..., dict[str, Any]], name: str
) -> None:
    from langchain.agents import create_agent  # noqa: PLC0415 - langchain: heavy

    agent = create_agent(_tool_chat(settings_of, name), response_format=Weather)
    out = agent.invoke({"messages": [HumanMessage("The weather in Paris. Answer with the city.")]})
    assert isinstance(out["structured_response"], Weather)


# --- reasoning --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", cells("reasoning"))
def test_reasoning(
    settings_of: Callable[..., dict[str, Any]],
    backend_factory: Callable[[str], Backend],
    name: str,
    record_property: Any,
) -> None:
    if name == "ollama":
        with pytest.raises(CapabilityError, match="think"):
            _chat(settings_of, name, reasoning=True).invoke(PROMPT)
        record_property("cell", "refused: `CapabilityError` (Ollama 0.5.4 has no `think`: 0.9+)")
        return
    settings = {**settings_of(name), **SAMPLING}
    if name in {"vllm", "llamacpp"}:
        settings.update(reasoning_settings(backend_factory(name)))  # llamacpp-think
    on = get_chat_model(**settings, reasoning=True)
    invoked = on.invoke(PROMPT)
    streamed = reduce(operator.add, on.stream(PROMPT))
    off = get_chat_model(**settings, reasoning=False).invoke(PROMPT)
    assert "reasoning_content" not in off.additional_kwargs
    for message in (invoked, streamed):
        assert "<think>" not in str(message.content)
    if name == "embedded":  # SmolLM2's own template, which ignores enable_thinking
        assert "reasoning_content" not in invoked.additional_kwargs
        assert invoked.content == off.content
        record_property("cell", "no reasoning: the model's own template does not think")
        return
    for message in (invoked, streamed):
        thought = message.additional_kwargs["reasoning_content"]
        assert thought.strip()
        assert message.content_blocks[0] == {"type": "reasoning", "reasoning": thought}


# --- images -----------------------------------------------------------------------------------


@pytest.fixture
def vision_settings(
    settings_of: Callable[..., dict[str, Any]], request: pytest.FixtureRequest
) -> Callable[[str], dict[str, Any]]:
    """The vision keywords of a backend: its vision server and model, where it has one."""

    def get(name: str) -> dict[str, Any]:
        if name == "vllm":
            import harness  # noqa: PLC0415 - only live runs need the harness

            info = harness.ensure_started(["vllm-vision"])["vllm-vision"]
            return {"provider": "vllm", "base_url": info.openai_url, "model": info.model}
        if name == "ollama":
            return {**settings_of("ollama"), "model": "tiny-llava"}
        return settings_of(name)

    return get


@pytest.mark.parametrize("name", cells("images"))
def test_images(
    vision_settings: Callable[[str], dict[str, Any]], name: str, record_property: Any
) -> None:
    settings = vision_settings(name)
    if name == "embedded":
        with pytest.raises(ConfigurationError, match="has no vision model"):
            get_vision_model(**settings)
        record_property("cell", "refused: `ConfigurationError` (no vision model)")
        return
    vision = get_vision_model(**settings, **SAMPLING)
    message = image_message("Describe the image.", RED, model=vision)
    url = message.content[1]["image_url"]["url"]  # type: ignore[index]
    own = HumanMessage(
        content=[
            {"type": "text", "text": "Describe the image."},
            {"type": "image_url", "image_url": {"url": url}},
        ]
    )
    if name == "llamacpp":
        with pytest.raises(CapabilityError):
            vision.invoke([message])
        record_property("cell", "refused: `CapabilityError` (text model)")
        return
    assert vision.invoke([message]).text == vision.invoke([own]).text


# --- embeddings ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", cells("embeddings"))
async def test_embeddings(settings_of: Callable[..., dict[str, Any]], name: str) -> None:
    embeddings = get_embeddings(**settings_of(name, "embeddings"))
    vectors = embeddings.embed_documents(["a cat", "a dog", "a car"])
    query = await embeddings.aembed_query("a cat")
    assert len(vectors) == 3
    assert {len(v) for v in vectors} == {len(query)} == {384}
    assert all(math.isfinite(x) for v in vectors for x in v)
    assert max(abs(a - b) for a, b in zip(vectors[0], query, strict=True)) < 1e-3


# --- metadata -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", cells("usage"))
def test_usage_metadata(settings_of: Callable[..., dict[str, Any]], name: str) -> None:
    answer = _chat(settings_of, name).invoke(PROMPT)
    assert answer.usage_metadata is not None
    usage = answer.usage_metadata
    assert usage["input_tokens"] > 0
    assert usage["output_tokens"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


@pytest.mark.parametrize("name", cells("tracing"))
def test_tracing_names(
    settings_of: Callable[..., dict[str, Any]], name: str, record_property: Any
) -> None:
    chat = _chat(settings_of, name)
    params = chat._get_ls_params()
    provider = {"llamacpp": "openai"}.get(name, name)
    assert params["ls_provider"] == provider
    assert params["ls_model_name"] == chat.invoke(PROMPT).response_metadata["model_name"]
    record_property("cell", f"`{provider}`")


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", cells("server-down"))
def test_server_down(
    settings_of: Callable[..., dict[str, Any]], name: str, record_property: Any
) -> None:
    if name == "embedded":
        pytest.skip("the package runs the embedded server itself: no URL to get wrong")
    settings = {**settings_of(name), "base_url": "http://127.0.0.1:9", "max_retries": 0}
    chat = get_chat_model(**settings, **SAMPLING, timeout=5)
    with pytest.raises(ConnectionError) as caught:
        chat.invoke(PROMPT)
    record_property("cell", f"`{type(caught.value).__name__}` (a `ConnectionError`)")
