"""Structured output: what each provider is sent, and how results are checked."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

import pytest
from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableLambda
from langchain_core.utils.function_calling import convert_to_json_schema
from pydantic import BaseModel, Field
from pydantic.v1 import BaseModel as BaseModelV1
from typing_extensions import TypedDict

from langchain_llmswitch import CapabilityError, resolve_endpoint
from langchain_llmswitch.structured import (
    WRAPPER_TOKENS,
    Constraint,
    StructuredOutputError,
    _checked,
    check_json_schema,
    constrained,
    prepare_schema,
    translate_legacy,
)
from langchain_llmswitch.structured.gbnf import choice_to_gbnf, json_schema_to_gbnf, regex_to_gbnf

from . import wire
from .wire import chat_with_recorder


def _rules(grammar: str) -> dict[str, str]:
    """A GBNF grammar's rules by name."""
    return dict(tuple(line.split(" ::= ", 1)) for line in grammar.splitlines())  # type: ignore[misc]


ENDPOINTS = {
    "ollama": {"provider": "ollama", "model": "llama3.1:8b"},
    "vllm": {"provider": "vllm", "model": "qwen", "base_url": "http://vllm:8000/v1"},
    "openai": {"provider": "openai", "model": "smollm2", "base_url": "http://llama:8080/v1"},
}


class Analysis(BaseModel):
    grade: Literal["A", "B", "C", "D", "E", "F"]
    strengths: list[str] = Field(max_length=3)
    improvements: list[str] = Field(max_length=3)


class AnalysisDict(TypedDict):
    grade: str
    strengths: list[str]


def _model(provider: str, reply: str, **overrides: Any) -> tuple[Any, wire.Recorder]:
    endpoint = resolve_endpoint("chat", **ENDPOINTS[provider], **overrides)
    chat, recorder = chat_with_recorder(endpoint)
    recorder.reply_text = reply
    return chat, recorder


# --- JSON schema -----------------------------------------------------------------------------

GOOD = '{"grade": "B", "strengths": ["clear"], "improvements": ["longer"]}'


@pytest.mark.parametrize("provider", sorted(ENDPOINTS))
def test_schema_is_sent_where_the_server_enforces_it(provider: str) -> None:
    chat, recorder = _model(provider, GOOD)
    result = chat.with_structured_output(Analysis).invoke("grade it")
    assert result == Analysis(grade="B", strengths=["clear"], improvements=["longer"])
    body = recorder.bodies[0]
    if provider == "ollama":
        assert body["format"]["properties"]["grade"]["enum"] == list("ABCDEF")
    else:
        assert body["response_format"]["type"] == "json_schema"
        schema = body["response_format"]["json_schema"]["schema"]
        assert schema["properties"]["strengths"]["maxItems"] == 3
    assert not body.get("tools")


@pytest.mark.parametrize("provider", sorted(ENDPOINTS))
@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ('{"grade": "G", "strengths": [], "improvements": []}', "grade"),
        ('{"grade": "A", "strengths": []}', "improvements"),
        ('{"grade": "A", "strengths": ["a", "b', "not valid JSON"),
    ],
)
def test_mismatch_raises_with_raw_text(provider: str, reply: str, reason: str) -> None:
    chat, _ = _model(provider, reply)
    with pytest.raises(StructuredOutputError) as caught:
        chat.with_structured_output(Analysis).invoke("grade it")
    assert caught.value.raw == reply
    assert reason in str(caught.value)


@pytest.mark.parametrize("provider", sorted(ENDPOINTS))
def test_typed_dict_and_json_schema_are_checked(provider: str) -> None:
    chat, _ = _model(provider, '{"grade": "A", "strengths": "not a list"}')
    with pytest.raises(StructuredOutputError, match="expected array"):
        chat.with_structured_output(AnalysisDict).invoke("grade it")
    schema: dict[str, Any] = {
        "title": "Pick",
        "type": "object",
        "properties": {"label": {"type": "string", "enum": ["x", "y"]}},
        "required": ["label"],
    }
    chat, _ = _model(provider, '{"label": "z"}')
    with pytest.raises(StructuredOutputError, match="not one of"):
        chat.with_structured_output(schema).invoke("pick")
    chat, _ = _model(provider, '{"label": "y"}')
    assert chat.with_structured_output(schema).invoke("pick") == {"label": "y"}


@pytest.mark.parametrize("provider", sorted(ENDPOINTS))
def test_include_raw_returns_the_error_instead(provider: str) -> None:
    chat, _ = _model(provider, '{"grade": "Z"}')
    out = chat.with_structured_output(Analysis, include_raw=True).invoke("grade it")
    assert out["parsed"] is None
    assert isinstance(out["parsing_error"], StructuredOutputError)
    assert out["raw"].content == '{"grade": "Z"}'


@pytest.mark.parametrize("provider", sorted(ENDPOINTS))
def test_retry_once_then_success(provider: str) -> None:
    chat, recorder = _model(provider, GOOD)
    recorder.reply_queue = ['{"grade": "Z"}', GOOD]
    result = chat.with_structured_output(Analysis, retries=1).invoke("grade it")
    assert result.grade == "B"
    assert len(recorder.bodies) == 2


@pytest.mark.parametrize("provider", sorted(ENDPOINTS))
async def test_async_and_stream(provider: str) -> None:
    chat, _ = _model(provider, GOOD)
    runnable = chat.with_structured_output(Analysis)
    assert (await runnable.ainvoke("grade it")).grade == "B"
    assert [item.grade for item in runnable.stream("grade it")] == ["B"]
    assert [item.grade async for item in runnable.astream("grade it")] == ["B"]


def test_cut_at_token_limit_is_explained() -> None:
    chat, recorder = _model("vllm", '{"grade": "A", "strengths": ["a')
    recorder.finish_reason = "length"
    with pytest.raises(StructuredOutputError, match="token limit") as caught:
        chat.with_structured_output(Analysis).invoke("grade it")
    assert caught.value.raw == '{"grade": "A", "strengths": ["a'


# --- regex, choice, grammar --------------------------------------------------------------------

TITLE = r"[A-Z][a-z ]{10,60}"


def test_vllm_constraints_use_structured_outputs() -> None:
    chat, recorder = _model("vllm", "Moving to new servers", top_k=40)
    assert constrained(chat, regex=TITLE).invoke("title") == "Moving to new servers"
    assert recorder.bodies[0]["structured_outputs"] == {"regex": TITLE}
    assert recorder.bodies[0]["top_k"] == 40  # the model's own extra_body is kept
    recorder.reply_text = "positive"
    assert constrained(chat, choice=["positive", "negative"]).invoke("x") == "positive"
    assert recorder.bodies[1]["structured_outputs"] == {"choice": ["positive", "negative"]}
    constrained(chat, grammar='root ::= "positive"').invoke("x")
    assert recorder.bodies[2]["structured_outputs"] == {"grammar": 'root ::= "positive"'}


def test_llamacpp_constraints_use_a_grammar() -> None:
    chat, recorder = _model("openai", "Moving to new servers")
    constrained(chat, regex=TITLE).invoke("title")
    assert recorder.bodies[0]["grammar"] == "root ::= [A-Z] [a-z ]{10,60}"
    recorder.reply_text = "negative"
    constrained(chat, choice=["positive", "negative"]).invoke("x")
    assert recorder.bodies[1]["grammar"] == 'root ::= "positive" | "negative"'


def test_ollama_constraints_use_a_wrapped_format() -> None:
    chat, recorder = _model("ollama", json.dumps({"value": "Moving to new servers"}))
    assert constrained(chat, regex=TITLE).invoke("title") == "Moving to new servers"
    pattern = recorder.bodies[0]["format"]["properties"]["value"]["pattern"]
    assert pattern == f"^({TITLE})$"
    recorder.reply_text = json.dumps({"value": "negative"})
    assert constrained(chat, choice=["positive", "negative"]).invoke("x") == "negative"
    assert recorder.bodies[1]["format"]["properties"]["value"]["enum"] == ["positive", "negative"]


def test_ollama_wrapper_tokens_come_on_top_of_max_tokens() -> None:
    """Measured on Ollama 0.5.4: choice= with max_tokens=8 was cut inside the JSON wrapper."""
    chat, recorder = _model("ollama", json.dumps({"value": "negative"}), max_tokens=8)
    assert constrained(chat, choice=["positive", "negative"]).invoke("x") == "negative"
    assert recorder.bodies[0]["options"]["num_predict"] == 8 + WRAPPER_TOKENS
    assert chat.num_predict == 8  # the user's model is unchanged
    recorder.reply_text = json.dumps({"grade": "B", "strengths": [], "improvements": []})
    chat.with_structured_output(Analysis).invoke("x")  # a JSON schema has no wrapper
    assert recorder.bodies[1]["options"]["num_predict"] == 8


def test_ollama_cannot_take_a_grammar_and_says_so_before_any_request() -> None:
    chat, recorder = _model("ollama", "x")
    with pytest.raises(CapabilityError, match="grammar"):
        constrained(chat, grammar='root ::= "x"')
    assert recorder.bodies == []


@pytest.mark.parametrize("provider", sorted(ENDPOINTS))
def test_constraint_mismatch_raises(provider: str) -> None:
    reply = json.dumps({"value": "lowercase title"}) if provider == "ollama" else "lowercase"
    chat, _ = _model(provider, reply)
    with pytest.raises(StructuredOutputError, match="regex"):
        constrained(chat, regex=TITLE).invoke("title")


def test_constrained_needs_exactly_one_constraint() -> None:
    chat, _ = _model("vllm", "x")
    with pytest.raises(ValueError, match="exactly one"):
        constrained(chat, regex="a", choice=["a"])
    with pytest.raises(ValueError, match="exactly one"):
        constrained(chat)


# --- legacy guided_* --------------------------------------------------------------------------


def test_vllm_guided_fields_are_translated_with_one_warning() -> None:
    chat, recorder = _model("vllm", "positive", top_k=40)
    with pytest.warns(DeprecationWarning, match="guided_choice"):
        chat.invoke("x", extra_body={"guided_choice": ["positive", "negative"]})
    body = recorder.bodies[0]
    assert "guided_choice" not in body
    assert body["structured_outputs"] == {"choice": ["positive", "negative"]}
    assert body["top_k"] == 40


def test_llamacpp_guided_json_becomes_response_format() -> None:
    chat, recorder = _model("openai", GOOD)
    schema = Analysis.model_json_schema()
    chat.invoke("x", extra_body={"guided_json": schema, "guided_decoding_backend": "xgrammar"})
    body = recorder.bodies[0]
    assert body["response_format"]["json_schema"]["schema"] == schema
    assert not any(key.startswith("guided") for key in body)


def test_ollama_guided_json_becomes_format() -> None:
    chat, recorder = _model("ollama", GOOD)
    schema = Analysis.model_json_schema()
    chat.invoke("x", extra_body={"guided_json": schema})
    assert recorder.bodies[0]["format"] == schema


def test_ollama_guided_regex_is_refused() -> None:
    chat, _ = _model("ollama", "x")
    with pytest.raises(CapabilityError, match="constrained"):
        chat.invoke("x", extra_body={"guided_regex": "[a-z]+"})


def test_translate_legacy_top_level_fields() -> None:
    payload: dict[str, Any] = {"guided_regex": "[0-9]+", "model": "m"}
    translate_legacy("vllm", payload)
    assert payload == {"model": "m", "extra_body": {"structured_outputs": {"regex": "[0-9]+"}}}


# --- the checks themselves ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "schema", "problem"),
    [
        ({"a": 1}, {"type": "object", "required": ["b"]}, "missing 'b'"),
        ({"a": "x"}, {"properties": {"a": {"type": "integer"}}}, "expected integer"),
        ({"a": 1, "b": 2}, {"properties": {"a": {}}, "additionalProperties": False}, "unexpected"),
        ([1, 2, 3], {"type": "array", "maxItems": 2}, "more than 2"),
        ("abc", {"type": "string", "pattern": "^[0-9]+$"}, "does not match"),
        (5, {"type": "integer", "maximum": 3}, "above 3"),
        (
            {"x": "q"},
            {"$defs": {"X": {"enum": ["p"]}}, "properties": {"x": {"$ref": "#/$defs/X"}}},
            "not one of",
        ),
        (True, {"type": "integer"}, "expected integer"),
    ],
)
def test_check_json_schema_finds(value: Any, schema: dict[str, Any], problem: str) -> None:
    problems = check_json_schema(value, schema)
    assert problems
    assert problem in problems[0]


def test_check_json_schema_accepts_conforming() -> None:
    assert (
        check_json_schema(
            {"grade": "A", "strengths": [], "improvements": ["x"]}, Analysis.model_json_schema()
        )
        == []
    )
    assert (
        check_json_schema(
            {"a": None}, {"properties": {"a": {"anyOf": [{"type": "null"}, {"type": "string"}]}}}
        )
        == []
    )


@pytest.mark.parametrize(
    ("pattern", "grammar"),
    [
        (r"[A-Z][a-z ]{10,60}", "root ::= [A-Z] [a-z ]{10,60}"),
        (r"^\d+\|.+$", r'root ::= [0-9]+ "|" [^\n]+'),
        (
            r"(?:yes|no)!?",
            "root ::= (yes_no_placeholder)".replace("yes_no_placeholder", '"y" "e" "s" | "n" "o"')
            + ' "!"?',
        ),
        (r"[\w-]{2}", "root ::= [a-zA-Z0-9_-]{2}"),
        (r"a*?b+", 'root ::= "a"* "b"+'),
    ],
)
def test_regex_to_gbnf(pattern: str, grammar: str) -> None:
    assert regex_to_gbnf(pattern) == grammar


@pytest.mark.parametrize("pattern", [r"(a)\1", r"(?=a)b", r"(?P<x>a)", "(a", "a{1,2,3}"])
def test_regex_to_gbnf_refuses_what_gbnf_cannot_say(pattern: str) -> None:
    with pytest.raises(ValueError, match="cannot turn the regex"):
        regex_to_gbnf(pattern)


def test_choice_to_gbnf_escapes() -> None:
    assert choice_to_gbnf(['say "hi"', "a\\b"]) == r'root ::= "say \"hi\"" | "a\\b"'


def test_constraint_check_regex_is_full_match() -> None:
    with pytest.raises(StructuredOutputError):
        Constraint("regex", "[a-z]+").check("abc1")
    assert Constraint("regex", "[a-z]+").check("abc") == "abc"
    assert re.fullmatch("[a-z]+", "abc")


def test_schema_sent_is_langchains_own_conversion() -> None:
    """Callbacks and tracing see the schema LangChain itself would send (no field titles)."""
    sent, validate = prepare_schema(Analysis)
    assert sent == convert_to_json_schema(Analysis)
    assert "title" not in sent["properties"]["grade"]
    assert validate({"grade": "A", "strengths": [], "improvements": []}).grade == "A"


@pytest.mark.parametrize("provider", sorted(ENDPOINTS))
def test_pydantic_v1_models_work(provider: str) -> None:
    class Joke(BaseModelV1):
        setup: str
        punchline: str

    chat, _ = _model(provider, '{"setup": "a", "punchline": "b"}')
    assert chat.with_structured_output(Joke).invoke("joke") == Joke(setup="a", punchline="b")
    chat, _ = _model(provider, '{"setup": "a"}')
    with pytest.raises(StructuredOutputError, match="punchline"):
        chat.with_structured_output(Joke).invoke("joke")


def test_ollama_value_is_kept_when_the_model_rambles_on_in_other_keys() -> None:
    """llama.cpp's grammar behind Ollama's API allows keys after "value"; a small model may
    add them until max_tokens cuts the JSON off. The value is whole, and it is checked."""
    rambling = '{\n  "value": "2|the \\"ocr\\" stays", "vale": "2", "vale": "2", "va'
    chat, _ = _model("ollama", rambling)
    assert constrained(chat, regex=r"2\|[^|\n]{1,200}").invoke("x") == '2|the "ocr" stays'
    chat, _ = _model("ollama", '{"value": "3|wrong number", "x": "')
    with pytest.raises(StructuredOutputError, match="does not match regex"):
        constrained(chat, regex=r"2\|[^|\n]{1,200}").invoke("x")
    chat, _ = _model("ollama", '{"value": "2|cut off before the end')
    with pytest.raises(StructuredOutputError, match="JSON wrapper"):
        constrained(chat, regex=r"2\|[^|\n]{1,200}").invoke("x")


def test_ollama_value_with_raw_quotes_is_the_text_between_the_wrapper_quotes() -> None:
    """Ollama 0.5.4's pattern grammar lets ``[^|\n]`` match a raw quote (measured): the JSON is
    then invalid, and the value is everything between the wrapper's quotes, checked next."""
    raw = '{\n  "value" :"105|2.3.4.98."; { }; { }"}\n'
    chat, _ = _model("ollama", raw)
    line = constrained(chat, regex=r"[0-9]{1,3}\|[^|\n]{1,80}").invoke("x")
    assert line == '105|2.3.4.98."; { }; { }'
    chat, _ = _model("ollama", raw)
    with pytest.raises(StructuredOutputError, match="does not match regex"):
        constrained(chat, regex=r"[0-9]{1,3}\|[a-z]{1,80}").invoke("x")
    chat, _ = _model("ollama", '{"value": "positive"; x"}')
    with pytest.raises(StructuredOutputError, match="JSON wrapper"):  # a choice stays strict
        constrained(chat, choice=["positive", "negative"]).invoke("x")


def test_typed_dict_keys_with_a_langchain_default_may_be_left_out() -> None:
    """LangChain reads ``Annotated[T, None, "..."]`` in a TypedDict as optional, and the schema
    it sends says so: the validation of the answer agrees with that schema."""

    class JokeDict(TypedDict):
        setup: Annotated[str, ..., "question to set up a joke"]
        punchline: Annotated[str | None, None, "answer to resolve the joke"]

    json_schema, validate = prepare_schema(JokeDict)
    assert json_schema["required"] == ["setup"]
    assert validate({"setup": "why?"}) == {"setup": "why?"}
    assert check_json_schema({"punchline": "x"}, json_schema)  # setup is still required


def _flaky_server(failures: int) -> Any:
    """A model that answers like llama.cpp whose parser rejected its own constrained output."""

    calls = {"n": 0}

    def answer(_: Any) -> AIMessage:
        calls["n"] += 1
        if calls["n"] <= failures:
            msg = "The model produced output that does not match the expected peg-native format"
            raise RuntimeError(msg)
        return AIMessage(content="3|we ship on friday")

    return RunnableLambda(answer, afunc=None), calls


@pytest.mark.parametrize("retries", [0, 1])
async def test_server_format_failure_is_a_mismatch_and_retried(retries: int) -> None:

    constraint = Constraint("regex", r"3\|[^|\n]{1,80}")
    model, calls = _flaky_server(failures=1)
    checked = _checked(model, constraint, "openai", retries)
    if retries:
        assert checked.invoke("x") == "3|we ship on friday"
        assert calls["n"] == 2
    else:
        with pytest.raises(StructuredOutputError, match="could not parse its own"):
            checked.invoke("x")
    other, _ = _flaky_server(failures=0)
    assert await _checked(other, constraint, "openai", 0).ainvoke("x") == "3|we ship on friday"


def test_other_server_errors_are_not_retried() -> None:

    calls = []

    def broken(_: Any) -> Any:
        calls.append(1)
        raise RuntimeError("connection reset")

    checked = _checked(RunnableLambda(broken), Constraint("choice", ["a"]), "openai", 3)
    with pytest.raises(RuntimeError, match="connection reset"):
        checked.invoke("x")
    assert len(calls) == 1


# --- compact JSON grammars for llama.cpp -------------------------------------------------------


def test_json_schema_to_gbnf_writes_compact_json_with_bounds() -> None:
    grammar = json_schema_to_gbnf(convert_to_json_schema(Analysis))
    rules = dict(line.split(" ::= ", 1) for line in grammar.splitlines())
    assert grammar.startswith("root ::= ")  # llama.cpp starts at the first rule named root
    assert rules["root"] == (
        '"{" "\\"grade\\"" ":" ("\\"A\\"" | "\\"B\\"" | "\\"C\\"" | "\\"D\\"" | "\\"E\\"" | '
        '"\\"F\\"") ("," "\\"strengths\\"" ":" root-strengths) '
        '("," "\\"improvements\\"" ":" root-improvements) "}"'
    )
    assert rules["root-strengths"] == '"[" (string ("," string){0,2})? "]"'  # maxItems 3
    literals = re.findall(r'"(?:[^"\\\\]|\\\\.)*"', grammar)
    assert literals
    assert not [text for text in literals if text.strip('"').isspace() or "\\n" in text]


def test_json_schema_to_gbnf_optional_keys_keep_their_order() -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "string"}, "c": {"type": "null"}},
        "required": ["b"],
    }
    rules = _rules(json_schema_to_gbnf(schema))
    # a may be left out; b may not; c may follow
    assert rules["root"] == (
        '"{" ("\\"a\\"" ":" integer ("," "\\"b\\"" ":" string) ("," "\\"c\\"" ":" null)? '
        '| root--from1) "}"'
    )
    assert rules["root--from1"] == '"\\"b\\"" ":" string ("," "\\"c\\"" ":" null)?'
    everything_optional = json_schema_to_gbnf({**schema, "required": []}).splitlines()[0]
    assert everything_optional.endswith(')? "}"')  # {} is allowed


def test_json_schema_to_gbnf_follows_refs_strings_and_unions() -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "label": {"anyOf": [{"const": "x"}, {"type": "null"}]},
            "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}, "minItems": 1},
            "children": {"type": "array", "items": {"$ref": "#/$defs/Tree"}},
        },
        "required": ["label", "items", "children"],
        "$defs": {
            "Item": {
                "type": "object",
                "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 40}},
                "required": ["text"],
            },
            "Tree": {"$ref": "#"},
        },
    }
    with pytest.raises(ValueError, match="'#'"):  # only $defs and definitions are followed
        json_schema_to_gbnf(schema)
    schema["$defs"]["Tree"] = {"type": ["string", "array"], "items": {"$ref": "#/$defs/Tree"}}
    rules = _rules(json_schema_to_gbnf(schema))
    assert rules["def-item"] == '"{" "\\"text\\"" ":" "\\"" char{1,40} "\\"" "}"'
    assert rules["root-items"] == '"[" def-item ("," def-item){0,} "]"'  # minItems 1
    assert rules["def-tree"] == "(string | def-tree-array)"  # a recursive definition
    assert rules["def-tree-array"] == '"[" (def-tree ("," def-tree){0,})? "]"'
    assert rules["root"].startswith('"{" "\\"label\\"" ":" ("\\"x\\"" | null) ')


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "pattern": "^a+$"},
        {"type": "string", "format": "date"},
        {"type": "integer", "minimum": 0},
        {"type": "object", "additionalProperties": {"type": "string"}},
        {"allOf": [{"type": "string"}, {"maxLength": 3}]},
        {"$ref": "#/$defs/Missing"},
    ],
)
def test_json_schema_to_gbnf_refuses_what_it_does_not_cover(schema: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="the server's conversion is used"):
        json_schema_to_gbnf(schema)


def test_llamacpp_server_gets_the_compact_grammar_once_asked() -> None:
    chat, recorder = _model("openai", GOOD)
    recorder.owned_by = "llamacpp"
    runnable = chat.with_structured_output(Analysis)
    assert recorder.model_listings == 0  # nothing is asked before the first call
    assert runnable.invoke("grade it").grade == "B"
    assert runnable.invoke("grade it").grade == "B"
    assert recorder.model_listings == 1  # asked once per server and process
    for body in recorder.bodies:
        assert "response_format" not in body
        assert body["grammar"] == json_schema_to_gbnf(convert_to_json_schema(Analysis))


@pytest.mark.parametrize("owner", ["vllm", "lmstudio", None])  # None: /models is a 404
def test_other_openai_compatible_servers_keep_response_format(owner: str | None) -> None:
    chat, recorder = _model("openai", GOOD)
    recorder.owned_by = owner
    assert chat.with_structured_output(Analysis).invoke("grade it").grade == "B"
    assert recorder.bodies[0]["response_format"]["type"] == "json_schema"
    assert "grammar" not in recorder.bodies[0]


def test_compact_grammar_can_be_turned_off_and_untranslatable_schemas_fall_back() -> None:
    chat, recorder = _model("openai", GOOD)
    recorder.owned_by = "llamacpp"
    chat.with_structured_output(Analysis, compact_json=False).invoke("grade it")
    assert recorder.bodies[-1]["response_format"]["type"] == "json_schema"
    dated = {
        "title": "Dated",
        "type": "object",
        "properties": {"day": {"type": "string", "format": "date"}},
        "required": ["day"],
    }
    recorder.reply_text = '{"day": "2026-11-30"}'
    assert chat.with_structured_output(dated).invoke("when") == {"day": "2026-11-30"}
    sent = recorder.bodies[-1]["response_format"]["json_schema"]["schema"]
    assert sent["properties"] == dated["properties"]
    assert recorder.model_listings == 0  # nothing to decide: no probe


async def test_compact_grammar_async_and_cut_output_is_explained() -> None:
    chat, recorder = _model("openai", '{"grade":"A","strengths":["a')
    recorder.owned_by = "llamacpp"
    recorder.finish_reason = "length"
    with pytest.raises(StructuredOutputError, match="cut at the token limit"):
        await chat.with_structured_output(Analysis).ainvoke("grade it")
    assert "grammar" in recorder.bodies[0]


def test_json_cut_at_the_token_limit_on_ollama_is_explained_as_such() -> None:
    """Ollama's grammar allows indentation, which a small token limit runs out in."""
    chat, recorder = _model("ollama", '{\n  "grade" : "A",\n  "strengths" : ["a')
    recorder.finish_reason = "length"  # Ollama's done_reason
    with pytest.raises(StructuredOutputError, match="cut at the token limit"):
        chat.with_structured_output(Analysis).invoke("grade it")


def test_vllm_and_ollama_never_ask_which_server_it_is() -> None:
    for provider in ("vllm", "ollama"):
        chat, recorder = _model(provider, GOOD)
        recorder.owned_by = "llamacpp"
        chat.with_structured_output(Analysis).invoke("grade it")
        assert recorder.model_listings == 0
        assert "grammar" not in recorder.bodies[0]


def test_json_schema_to_gbnf_keeps_rule_names_apart_and_keys_as_written() -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "a_b": {"type": "object", "properties": {"x": {"type": "integer"}}},
            "a-b": {"type": "array", "items": {"type": "string"}},
            "café": {"type": "object"},
        },
        "required": ["a_b", "a-b", "café"],
    }
    rules = _rules(json_schema_to_gbnf(schema))
    assert rules["root-a-b"] == '"{" ("\\"x\\"" ":" integer)? "}"'
    assert rules["root-a-b-2"] == '"[" (string ("," string){0,})? "]"'  # not overwritten
    assert '"\\"caf\\u00e9\\"" ":" object' in rules["root"]  # GBNF's escape: the model writes é
    assert rules["object"].startswith('"{" (string ":" value')  # {"type": "object"}: any object
