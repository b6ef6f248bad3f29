"""Tool calls: forced choices read, the envelope schema, answers turned into checked calls."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.runnables import RunnableBinding
from langchain_core.tools import tool
from langchain_core.utils.function_calling import convert_to_openai_tool

from langchain_llmswitch import get_chat_model, server_info, toolcalls
from langchain_llmswitch.errors import CapabilityError, LLMSwitchError, ToolCallError
from langchain_llmswitch.providers.openai_chat import SwitchChatOpenAI
from langchain_llmswitch.structured import check_json_schema


@tool
def get_weather(city: str) -> str:
    """Get the weather of a city."""
    return city


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


TOOLS = [convert_to_openai_tool(get_weather), convert_to_openai_tool(add)]


@pytest.fixture(autouse=True)
def _no_server_answers() -> Any:
    server_info.forget()
    yield
    server_info.forget()


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (None, None),
        ("auto", None),
        ("none", None),
        ("any", "any"),
        ("required", "any"),
        (True, "any"),
        ("add", "add"),
        ({"type": "function", "function": {"name": "get_weather"}}, "get_weather"),
    ],
)
def test_forced_choice(choice: Any, expected: str | None) -> None:
    assert toolcalls.forced_choice(choice, TOOLS) == expected


def test_forced_choice_of_an_unknown_tool_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match=r"names no bound tool.*'get_weather', 'add'"):
        toolcalls.forced_choice("multiply", TOOLS)


def test_envelope_of_a_named_tool_is_that_tool_only() -> None:
    schema = toolcalls.envelope_schema(TOOLS, "add")
    assert schema["properties"]["name"] == {"type": "string", "enum": ["add"]}
    assert schema["properties"]["arguments"]["required"] == ["a", "b"]
    assert not check_json_schema({"name": "add", "arguments": {"a": 1, "b": 2}}, schema)
    assert check_json_schema({"name": "add", "arguments": {"a": "1", "b": 2}}, schema)


def test_envelope_of_any_tool_is_one_variant_per_tool() -> None:
    schema = toolcalls.envelope_schema(TOOLS, toolcalls.ANY)
    assert [v["properties"]["name"]["enum"] for v in schema["anyOf"]] == [["get_weather"], ["add"]]
    assert not check_json_schema({"name": "get_weather", "arguments": {"city": "Rome"}}, schema)
    assert check_json_schema({"name": "get_weather", "arguments": {"a": 1, "b": 2}}, schema)


def test_from_envelope_makes_a_tool_call() -> None:
    answer = AIMessage(content='{"name":"get_weather","arguments":{"city":"Paris"}}')
    message = toolcalls.from_envelope(answer, TOOLS)
    assert isinstance(message, AIMessage)
    assert message.content == ""
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [
        ("get_weather", {"city": "Paris"})
    ]
    assert message.tool_calls[0]["id"]


def test_from_envelope_in_a_stream_keeps_the_call_when_chunks_are_added() -> None:
    answer = AIMessageChunk(content='{"name":"add","arguments":{"a":1,"b":2}}')
    message = toolcalls.from_envelope(answer, TOOLS)
    assert isinstance(message, AIMessageChunk)
    total = message + AIMessageChunk(content="")
    assert [(c["name"], c["args"]) for c in total.tool_calls] == [("add", {"a": 1, "b": 2})]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("The weather is nice", "not JSON"),
        ('{"city": "Paris"}', 'not {"name"'),
        ('{"name":"multiply","arguments":{}}', "not a bound tool"),
        ('{"name":"get_weather","arguments":"Paris"}', "not a JSON object"),
        ('{"name":"add","arguments":{"a":"one","b":2}}', "a"),
    ],
)
def test_from_envelope_refuses_what_cannot_run_with_the_raw_text(content: str, reason: str) -> None:
    with pytest.raises(ToolCallError, match=reason) as caught:
        toolcalls.from_envelope(AIMessage(content=content), TOOLS)
    assert caught.value.raw == content
    assert isinstance(caught.value, LLMSwitchError)
    assert isinstance(caught.value, ValueError)


def test_server_parsed_calls_are_checked_against_the_schema() -> None:
    good = AIMessage(content="", tool_calls=[{"name": "add", "args": {"a": 1, "b": 2}, "id": "1"}])
    assert toolcalls.check_message(good, TOOLS) is good
    bad = AIMessage(content="", tool_calls=[{"name": "add", "args": {"a": 1}, "id": "1"}])
    with pytest.raises(ToolCallError, match="'add'") as caught:
        toolcalls.check_message(bad, TOOLS)
    assert json.loads(caught.value.raw) == {"a": 1}


def test_unparsable_arguments_are_an_error_not_an_invalid_call() -> None:
    broken = AIMessage(
        content="",
        invalid_tool_calls=[{"name": "add", "args": '{"a": 1,', "id": "1", "error": "bad"}],
    )
    with pytest.raises(ToolCallError) as caught:
        toolcalls.check_message(broken, TOOLS)
    assert caught.value.raw == '{"a": 1,'


def test_a_bare_string_as_arguments_is_our_error_with_the_raw_text() -> None:
    """vLLM 0.32's forced-choice answer, which crashes ChatOpenAI inside AIMessage."""
    response = {
        "choices": [
            {
                "message": {
                    "tool_calls": [{"function": {"name": "get_weather", "arguments": '"Paris"'}}]
                }
            }
        ]
    }
    error = toolcalls.malformed(response)
    assert isinstance(error, ToolCallError)
    assert error.raw == '"Paris"'
    assert error.tool == "get_weather"


@pytest.mark.parametrize(
    ("provider", "field"),
    [("vllm", "extra_body"), ("openai", "extra_body"), ("ollama", "format")],
)
def test_forced_choice_binds_the_envelope_in_the_providers_spelling(
    provider: str, field: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server_info, "_get_json", lambda *_args, **_kw: None)  # cannot tell
    llm = get_chat_model(provider=provider, base_url="http://127.0.0.1:9", model="m")
    bound = llm.bind_tools([get_weather, add], tool_choice="add")
    assert isinstance(bound, RunnableBinding)
    assert bound.kwargs[toolcalls.FORCED] == "add"
    assert "tool_choice" not in bound.kwargs  # never left to a server that does not enforce it
    sent = bound.kwargs[field]
    schema = sent["response_format"]["json_schema"]["schema"] if field == "extra_body" else sent
    assert schema == toolcalls.envelope_schema(TOOLS, "add")


def test_auto_goes_to_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_info, "_get_json", lambda *_args, **_kw: None)
    llm = get_chat_model(provider="vllm", base_url="http://127.0.0.1:9/v1", model="m")
    bound = llm.bind_tools([get_weather], tool_choice="auto")
    assert isinstance(bound, RunnableBinding)
    assert toolcalls.FORCED not in bound.kwargs
    assert bound.kwargs["tool_choice"] == "auto"


def test_embedded_refuses_tools_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_request(*_args: Any, **_kw: Any) -> None:
        pytest.fail("a request was sent")

    monkeypatch.setattr(server_info, "_get_json", no_request)
    llm = SwitchChatOpenAI(
        llmswitch_provider="embedded", base_url="http://127.0.0.1:9/v1", model="m", api_key="x"
    )
    with pytest.raises(CapabilityError, match="never calls tools"):
        llm.bind_tools([get_weather])
    assert llm.bind_tools([]) is not None  # no tools (create_agent's ProviderStrategy): fine


def test_llamacpp_without_jinja_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    props = {"chat_template_caps": {"supports_tools": False}, "default_generation_settings": {}}
    monkeypatch.setattr(
        server_info, "_get_json", lambda url, *_a, **_k: props if url.endswith("/props") else None
    )
    llm = get_chat_model(provider="openai", base_url="http://127.0.0.1:9/v1", model="m")
    with pytest.raises(CapabilityError, match=r"supports_tools: false.*--jinja"):
        llm.bind_tools([get_weather])


def test_ollama_template_without_tools_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    show = {"template": "{{ .Prompt }}", "model_info": {"llama.context_length": 8192}}
    monkeypatch.setattr(server_info, "_get_json", lambda *_a, **_k: show)
    llm = get_chat_model(provider="ollama", base_url="http://127.0.0.1:9", model="m")
    with pytest.raises(CapabilityError, match=r"does not render \.Tools"):
        llm.bind_tools([get_weather], tool_choice="any")


def test_an_answer_cut_at_the_token_limit_says_so() -> None:
    cut = AIMessage(
        content='{"name":"add","arguments":{"a":1,', response_metadata={"finish_reason": "length"}
    )
    with pytest.raises(ToolCallError, match="cut at the token limit") as caught:
        toolcalls.from_envelope(cut, TOOLS)
    assert caught.value.raw == '{"name":"add","arguments":{"a":1,'
