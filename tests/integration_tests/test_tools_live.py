"""Tools and agents on the real servers: vLLM, llama.cpp (provider openai) and the real Ollama.

What is asserted is wiring, which holds whatever the 135M model writes: a forced choice gives
a call of the right tool whose arguments fit the tool's schema (the package enforces it with
a JSON schema of the call, `langchain_llmswitch.toolcalls`), streamed and not; the tool's
result goes back in the history and the model answers; ``create_agent`` runs its loop to the
end and fills ``structured_response``; ``model.profile`` gives the server's context. What the
model cannot do (call a tool on its own) is a strict xfail. Greedy, seeded, short.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from functools import reduce
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolCall, ToolMessage
from langchain_core.tools import tool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel

from langchain_llmswitch import get_chat_model, server_info
from langchain_llmswitch.structured import check_json_schema

from .conftest import Backend

pytestmark = pytest.mark.live

MAX_TOKENS = 48
QUESTION = "What is the weather in Paris?"

CONTEXT = {"vllm": 2048, "llamacpp": 1024, "ollama": 2048}
"""What each harness server gives a request: vLLM --max-model-len 2048, llama-server -c 4096
over 4 slots, Ollama's default num_ctx (SmolLM2's own context is 8192)."""

MODEL_CHOOSES = (
    "SmolLM2-135M with tool_choice auto answers in prose ('The weather in Paris is ...') and "
    "never writes a <tool_call>: choosing to call a tool is beyond the 135M model"
)


@tool
def get_weather(city: str) -> str:
    """Get the weather of a city."""
    return f"It is sunny in {city}."


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


SCHEMAS = {t.name: convert_to_openai_tool(t)["function"]["parameters"] for t in (get_weather, add)}


class Weather(BaseModel):
    """The city a weather question is about."""

    city: str


def _chat(backend: Backend) -> BaseChatModel:
    server_info.forget()
    settings = backend.chat_settings()
    if backend.provider == "ollama":
        settings["model"] = "smollm2-tools"  # the harness model whose template renders .Tools
    return get_chat_model(**settings, temperature=0, seed=1, max_tokens=MAX_TOKENS)


@pytest.fixture(params=["vllm", "llamacpp", "ollama"])
def chat(request: pytest.FixtureRequest, backend_factory: Callable[[str], Backend]) -> Any:
    backend = backend_factory(str(request.param))
    return backend.name, _chat(backend)


def _valid_call(message: Any, name: str | None = None) -> ToolCall:
    assert isinstance(message, AIMessage)
    assert len(message.tool_calls) == 1, message
    call = message.tool_calls[0]
    assert name is None or call["name"] == name
    assert call["name"] in SCHEMAS
    assert check_json_schema(call["args"], SCHEMAS[call["name"]]) == []
    assert call["id"]
    return call


@pytest.mark.parametrize(
    ("choice", "name"),
    [
        ("any", None),
        ("required", None),
        ("add", "add"),
        ({"type": "function", "function": {"name": "get_weather"}}, "get_weather"),
    ],
)
def test_forced_choice_is_a_valid_call(chat: Any, choice: Any, name: str | None) -> None:
    _, llm = chat
    _valid_call(llm.bind_tools([get_weather, add], tool_choice=choice).invoke(QUESTION), name)


def test_forced_choice_streams_a_tool_call(chat: Any) -> None:
    _, llm = chat
    chunks = list(llm.bind_tools([get_weather], tool_choice="any").stream(QUESTION))
    total = reduce(operator.add, chunks)
    call = _valid_call(total, "get_weather")
    assert total.tool_call_chunks[0]["name"] == call["name"]


async def test_forced_choice_async(chat: Any) -> None:
    _, llm = chat
    bound = llm.bind_tools([get_weather], tool_choice="get_weather")
    _valid_call(await bound.ainvoke(QUESTION), "get_weather")
    chunks = [chunk async for chunk in bound.astream(QUESTION)]
    _valid_call(reduce(operator.add, chunks), "get_weather")


@pytest.mark.xfail(reason=MODEL_CHOOSES, strict=True)
def test_auto_the_model_calls_the_tool_itself(chat: Any) -> None:
    _, llm = chat
    answer = llm.bind_tools([get_weather]).invoke(QUESTION)
    assert isinstance(answer, AIMessage)
    _valid_call(answer, "get_weather")


def test_auto_goes_to_the_server_and_answers(chat: Any) -> None:
    _, llm = chat
    answer = llm.bind_tools([get_weather], tool_choice="auto").invoke(QUESTION)
    assert isinstance(answer, AIMessage)
    assert answer.tool_calls == [] or _valid_call(answer)
    assert answer.content or answer.tool_calls


def test_tool_results_go_back_in_the_history(chat: Any) -> None:
    _, llm = chat
    bound = llm.bind_tools([get_weather])
    call = _valid_call(
        llm.bind_tools([get_weather], tool_choice="any").invoke(QUESTION), "get_weather"
    )
    history = [
        HumanMessage(QUESTION),
        AIMessage(content="", tool_calls=[call]),
        ToolMessage(get_weather.invoke(call["args"]), tool_call_id=call["id"]),
    ]
    answer = bound.invoke(history)
    without = bound.invoke(history[:1])
    assert isinstance(answer, AIMessage)
    assert answer.content
    assert answer.usage_metadata is not None
    assert without.usage_metadata is not None
    # the call and its result are rendered into the prompt
    assert answer.usage_metadata["input_tokens"] > without.usage_metadata["input_tokens"] + 10


def test_profile_has_the_servers_context(chat: Any) -> None:
    name, llm = chat
    assert llm.profile["max_input_tokens"] == CONTEXT[name]
    assert llm.profile["tool_calling"] is True
    assert llm.profile["structured_output"] is True


def _tool_first() -> Any:
    from langchain.agents.middleware import wrap_model_call  # noqa: PLC0415 - langchain: heavy

    @wrap_model_call
    def tool_first(request: Any, handler: Any) -> Any:
        """Force a tool call until a tool has answered (the tiny model would not choose one)."""
        if not any(isinstance(m, ToolMessage) for m in request.messages):
            request = request.override(tool_choice="any")
        return handler(request)

    return tool_first


def test_create_agent_calls_the_tool_and_answers(chat: Any) -> None:
    from langchain.agents import create_agent  # noqa: PLC0415

    _, llm = chat
    agent = create_agent(llm, tools=[get_weather], middleware=[_tool_first()])
    messages = agent.invoke({"messages": [HumanMessage(QUESTION)]})["messages"]
    kinds = [type(m).__name__ for m in messages]
    assert kinds == ["HumanMessage", "AIMessage", "ToolMessage", "AIMessage"], messages
    call = _valid_call(messages[1], "get_weather")
    assert messages[2].tool_call_id == call["id"]
    assert messages[2].content == get_weather.invoke(call["args"])
    assert messages[3].tool_calls == []
    assert messages[3].content


def test_create_agent_response_format_uses_the_providers_structured_output(chat: Any) -> None:
    from langchain.agents import create_agent  # noqa: PLC0415

    _, llm = chat
    agent = create_agent(llm, response_format=Weather)
    out = agent.invoke({"messages": [HumanMessage("The weather in Paris. Answer with the city.")]})
    assert isinstance(out["structured_response"], Weather)
    last = out["messages"][-1]
    assert last.tool_calls == []  # ProviderStrategy (profile structured_output): no tool call


def test_a_fallback_chain_keeps_the_enforced_choice(
    backend_factory: Callable[[str], Backend],
) -> None:
    ollama = backend_factory("ollama")
    chain = get_chat_model(
        provider="vllm",
        base_url="http://127.0.0.1:9/v1",  # nothing listens: the chain falls back
        model="smollm2-135m",
        max_retries=0,
        fallback_providers=["ollama"],
        fallback_base_url=ollama.chat_url,
        fallback_model="smollm2-tools",
        temperature=0,
        seed=1,
        max_tokens=MAX_TOKENS,
    )
    answer = chain.bind_tools([get_weather, add], tool_choice="add").invoke(QUESTION)
    _valid_call(answer, "add")
    assert answer.response_metadata["llmswitch_provider"] == "ollama"
