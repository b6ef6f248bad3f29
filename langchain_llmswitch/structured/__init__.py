"""Structured output and constrained decoding that the server really enforces, then checks.

`constrained` binds a regex, a choice or a grammar (and ``with_structured_output`` a JSON
schema) in the spelling the provider's spec names (`ProviderSpec.constraints`): Ollama's
``format`` (regex and choice wrapped in a JSON string; no grammar: `CapabilityError`
before any request), vLLM's ``structured_outputs``, or a llama.cpp GBNF ``grammar``.
`translate_legacy` rewrites the ``guided_*`` fields current vLLM ignores (HTTP 200,
unconstrained) for the server in use, with one warning. Whatever the server did, the
result is checked, and a mismatch raises `StructuredOutputError` with the raw text.

Example:
    >>> from langchain_llmswitch import get_chat_model
    >>> title = constrained(get_chat_model(), regex=r"[A-Z][a-z ]{10,60}")  # doctest: +SKIP
    >>> title.invoke("A title for: notes about moving to vLLM")  # doctest: +SKIP
    'Moving the service to new servers'
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from langchain_llmswitch.errors import CapabilityError, StructuredOutputError
from langchain_llmswitch.providers import PROVIDERS
from langchain_llmswitch.providers.base import ConstraintSpelling
from langchain_llmswitch.structured import gbnf

__all__ = [
    "Constraint",
    "StructuredOutputError",
    "check_json_schema",
    "constrained",
    "request_fields",
    "translate_legacy",
]

logger = logging.getLogger(__name__)

Kind = Literal["json", "regex", "choice", "grammar"]
LEGACY_FIELDS: Mapping[str, Kind] = {
    "guided_json": "json",
    "guided_regex": "regex",
    "guided_choice": "choice",
    "guided_grammar": "grammar",
}
_WARNED: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class Constraint:
    """One constraint on a model's output.

    Attributes:
        kind: ``json``, ``regex``, ``choice`` or ``grammar``.
        value: The JSON schema (dict), the pattern, the list of choices, or the grammar.
    """

    kind: Kind
    value: Any

    def check(self, text: str) -> Any:
        """Validate the model's text; return the value (parsed JSON for ``json``).

        Raises:
            StructuredOutputError: The text does not satisfy the constraint.
        """
        if self.kind == "regex":
            if re.fullmatch(self.value, text) is None:
                reason = f"output does not match regex {self.value!r}"
                raise StructuredOutputError(reason, text)
            return text
        if self.kind == "choice":
            if text not in self.value:
                reason = f"output is not one of {list(self.value)!r}"
                raise StructuredOutputError(reason, text)
            return text
        if self.kind == "json":
            try:
                value = json.loads(text)
            except ValueError as error:
                reason = f"not valid JSON ({error})"
                raise StructuredOutputError(reason, text) from None
            problems = check_json_schema(value, self.value)
            if problems:
                raise StructuredOutputError("; ".join(problems), text)
            return value
        return text  # a grammar is enforced by the server; nothing to re-check here


def _type_ok(value: Any, expected: str) -> bool:
    checks: dict[str, Callable[[Any], bool]] = {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
    }
    return checks.get(expected, lambda _: True)(value)


def check_json_schema(  # noqa: PLR0912 - one flat walk over the JSON-schema keywords
    value: Any,
    schema: Mapping[str, Any],
    path: str = "$",
    defs: Mapping[str, Any] | None = None,
) -> list[str]:
    """Check a JSON value against the JSON-schema keywords structured output uses.

    Covers ``type``, ``enum``, ``const``, ``properties``, ``required``,
    ``additionalProperties: false``, ``items``, ``minItems``/``maxItems``,
    ``minLength``/``maxLength``, ``pattern``, ``minimum``/``maximum``, ``anyOf``/``oneOf``
    and local ``$ref``.

    Args:
        value: The decoded JSON.
        schema: The JSON schema.
        path: Where ``value`` sits, for messages.
        defs: ``$defs`` of the root schema.

    Returns:
        The problems found (empty when the value conforms).

    Example:
        >>> check_json_schema({"grade": "G"}, {"properties": {"grade": {"enum": ["A", "B"]}}})
        ["$.grade: 'G' is not one of ['A', 'B']"]
    """
    defs = defs if defs is not None else schema.get("$defs", schema.get("definitions", {}))
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return check_json_schema(value, defs.get(name, {}), path, defs)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [check_json_schema(value, option, path, defs) for option in schema[key]]
            if all(options):
                return [f"{path}: matches none of the {key} options ({options[0][0]})"]
            return []
    problems: list[str] = []
    expected = schema.get("type")
    types = expected if isinstance(expected, list) else [expected] if expected else []
    if types and not any(_type_ok(value, t) for t in types):
        return [f"{path}: expected {' or '.join(types)}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{path}: {value!r} is not one of {schema['enum']!r}")
    if "const" in schema and value != schema["const"]:
        problems.append(f"{path}: {value!r} is not {schema['const']!r}")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        problems += [f"{path}: missing {k!r}" for k in schema.get("required", []) if k not in value]
        for key, item in value.items():
            if key in properties:
                problems += check_json_schema(item, properties[key], f"{path}.{key}", defs)
            elif schema.get("additionalProperties") is False:
                problems.append(f"{path}: unexpected key {key!r}")
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            problems.append(f"{path}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            problems.append(f"{path}: more than {schema['maxItems']} items")
        if isinstance(schema.get("items"), dict):
            for index, item in enumerate(value):
                problems += check_json_schema(item, schema["items"], f"{path}[{index}]", defs)
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            problems.append(f"{path}: shorter than {schema['minLength']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            problems.append(f"{path}: longer than {schema['maxLength']}")
        if "pattern" in schema and re.search(schema["pattern"], value) is None:
            problems.append(f"{path}: does not match {schema['pattern']!r}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append(f"{path}: below {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            problems.append(f"{path}: above {schema['maximum']}")
    return problems


_WRAPPED = "value"
_LEADING_VALUE = re.compile(r'\s*\{\s*"value"\s*:\s*("(?:[^"\\]|\\.)*")\s*,')
# llama.cpp's pattern grammar (behind Ollama's `format`) lets a negated class such as [^|] match
# a raw quote: the value is then the whole text between the wrapper's quotes (measured, 0.5.4).
_RAW_VALUE = re.compile(r'\s*\{\s*"value"\s*:\s*"(.*)"\s*\}\s*\Z', re.DOTALL)
WRAPPER_TOKENS = 16
"""Tokens added to Ollama's ``num_predict`` for the ``{"value": ...}`` wrapper of a regex or
choice: the wrapper, with the whitespace Ollama's grammar allows, took 8 to 12 tokens, so a
``max_tokens`` sized for the answer alone cut the JSON before the value was closed."""


def _ollama_format(constraint: Constraint) -> dict[str, Any]:
    if constraint.kind == "json":
        return dict(constraint.value)
    if constraint.kind == "regex":
        # llama.cpp's schema-to-grammar (which Ollama uses) honours only anchored patterns
        inner: dict[str, Any] = {"type": "string", "pattern": f"^({constraint.value})$"}
    elif constraint.kind == "choice":
        inner = {"type": "string", "enum": list(constraint.value)}
    else:
        msg = (
            "Ollama cannot enforce a grammar: its `format` takes only a JSON schema. "
            "Use regex=, choice= or a JSON schema, or a vllm / llama.cpp provider."
        )
        raise CapabilityError(msg)
    return {"type": "object", "properties": {_WRAPPED: inner}, "required": [_WRAPPED]}


def _spelling(provider: str) -> ConstraintSpelling:
    """How the provider's server is told a constraint (a name outside the table: GBNF)."""
    spec = PROVIDERS.get(provider)
    return spec.constraints if spec is not None else "gbnf_grammar"


def request_fields(provider: str, constraint: Constraint) -> dict[str, Any]:
    """Return the request fields that make a provider's server enforce a constraint.

    Args:
        provider: A provider name; its spec says how constraints are spelled.
        constraint: The constraint.

    Returns:
        For Ollama's ``format`` ``{"format": ...}``; otherwise ``{"extra_body": {...}}``
        or ``{"response_format": ...}`` for the OpenAI client.

    Raises:
        CapabilityError: The provider cannot enforce this kind of constraint.
        ValueError: A regex cannot be turned into a llama.cpp grammar.
    """
    spelling = _spelling(provider)
    if spelling == "ollama_format":
        return {"format": _ollama_format(constraint)}
    if constraint.kind == "json":
        schema = dict(constraint.value)
        name = re.sub(r"[^a-zA-Z0-9_-]", "_", str(schema.get("title", "output")))[:64]
        return {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": name, "schema": schema},
            }
        }
    if spelling == "structured_outputs":
        return {"extra_body": {"structured_outputs": {constraint.kind: constraint.value}}}
    if constraint.kind == "regex":
        grammar = gbnf.regex_to_gbnf(constraint.value)
    elif constraint.kind == "choice":
        grammar = gbnf.choice_to_gbnf(constraint.value)
    else:
        grammar = str(constraint.value)
    return {"extra_body": {"grammar": grammar}}


def unwrap_ollama(constraint: Constraint, text: str) -> str:
    """Return the constrained text from Ollama's JSON wrapper (regex and choice)."""
    if constraint.kind not in {"regex", "choice"}:
        return text
    try:
        value = json.loads(text)[_WRAPPED]
    except (ValueError, KeyError, TypeError):
        # The value may be whole while the object is not: llama.cpp's grammar (behind Ollama's
        # API) allows other keys after it, and a small model may add them until max_tokens
        # cuts the JSON off (measured). The value is complete, and it is checked next.
        leading = _LEADING_VALUE.match(text)
        if leading is not None:
            return str(json.loads(leading[1]))
        raw = _RAW_VALUE.match(text)
        if raw is not None and constraint.kind == "regex":
            return raw[1]
        reason = (
            'Ollama\'s reply is not the expected JSON wrapper {"value": ...} (cut off? the '
            "wrapper costs about 10 tokens of max_tokens)"
        )
        raise StructuredOutputError(reason, text) from None
    return str(value)


def _warn_once(provider: str, field: str, replacement: str) -> None:
    if (provider, field) in _WARNED:
        return
    _WARNED.add((provider, field))
    msg = (
        f"`{field}` is not honoured by current servers (vLLM removed it in 0.12 and answers "
        f"unconstrained with HTTP 200); sent to {provider} as {replacement} instead."
    )
    warnings.warn(msg, DeprecationWarning, stacklevel=6)
    logger.warning(msg)


def translate_legacy(provider: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Rewrite ``guided_*`` fields (top level or in ``extra_body``) for the server in use.

    Args:
        provider: A provider name.
        payload: The request keyword arguments; changed in place and returned.

    Returns:
        The payload.

    Raises:
        CapabilityError: The provider cannot enforce that kind of constraint.
    """
    extra = payload.get("extra_body") if isinstance(payload.get("extra_body"), dict) else None
    found: list[tuple[str, Any]] = []
    for container in (payload, extra):
        if not container:
            continue
        found.extend((field, container.pop(field)) for field in LEGACY_FIELDS if field in container)
        container.pop("guided_decoding_backend", None)
        container.pop("guided_whitespace_pattern", None)
    for field, value in found:
        constraint = Constraint(LEGACY_FIELDS[field], value)
        if _spelling(provider) == "ollama_format" and constraint.kind != "json":
            msg = (
                f"`{field}` cannot be sent to Ollama, whose `format` takes only a JSON schema: "
                f"use constrained(model, {constraint.kind}=...), which wraps it in one."
            )
            raise CapabilityError(msg)
        fields = request_fields(provider, constraint)
        _warn_once(provider, field, ", ".join(_describe(fields)))
        for key, item in fields.items():
            if key == "extra_body":
                merged = dict(payload.get("extra_body") or {})
                merged.update(item)
                payload["extra_body"] = merged
            else:
                payload[key] = item
    if payload.get("extra_body") == {}:
        payload.pop("extra_body")
    return payload


def _describe(fields: Mapping[str, Any]) -> list[str]:
    described: list[str] = []
    for key, item in fields.items():
        described.extend(f"`{name}`" for name in (item if key == "extra_body" else [key]))
    return described


def constrained(
    model: Any,
    *,
    regex: str | None = None,
    choice: Sequence[str] | None = None,
    grammar: str | None = None,
    retries: int = 0,
) -> Any:
    """Return a runnable whose output the server constrains to a regex, a choice or a grammar.

    Exactly one of ``regex``, ``choice`` and ``grammar`` is given. The server enforces the
    constraint (see the module table); the output is then checked, and a mismatch raises
    `StructuredOutputError` with the raw text (after ``retries`` more attempts).

    Args:
        model: A chat model returned by `get_chat_model` or `get_vision_model`.
        regex: The whole output must match this regular expression.
        choice: The output must be exactly one of these strings.
        grammar: A GBNF grammar (vLLM and llama.cpp only).
        retries: Extra attempts after a mismatch.

    Returns:
        A runnable from the model's input to the constrained string.

    Raises:
        CapabilityError: The provider cannot enforce that kind of constraint (before any
            request is sent).
        ValueError: Not exactly one constraint given, or a regex llama.cpp cannot take.

    Example:
        >>> label = constrained(chat, choice=["positive", "negative"])  # doctest: +SKIP
        >>> label.invoke("Great product!")  # doctest: +SKIP
        'positive'
    """
    given = {k: v for k, v in (("regex", regex), ("choice", choice), ("grammar", grammar)) if v}
    if len(given) != 1:
        msg = "constrained() takes exactly one of regex=, choice= or grammar="
        raise ValueError(msg)
    kind, value = next(iter(given.items()))
    if kind == "choice":
        value = list(value)
    constraint = Constraint(kind, value)  # type: ignore[arg-type]
    provider = str(getattr(model, "llmswitch_provider", ""))
    if not provider:
        msg = "constrained() needs a model from get_chat_model() or get_vision_model()"
        raise ValueError(msg)
    fields = request_fields(provider, constraint)
    budget = getattr(model, "num_predict", None)
    if "format" in fields and constraint.kind in {"regex", "choice"} and budget:
        # max_tokens means the answer's tokens, not the JSON wrapper's around it
        model = model.model_copy(update={"num_predict": int(budget) + WRAPPER_TOKENS})
    return _checked(model.bind(**fields), constraint, provider, retries)


SERVER_FORMAT_FAILURE = "does not match the expected"
"""How llama.cpp says its own parser could not read a constrained answer ("The model produced
output that does not match the expected peg-native format"): an HTTP error, at random with a
sampling temperature, for the same request that succeeds on a second try."""


def as_mismatch(error: Exception) -> StructuredOutputError | None:
    """Return the mismatch a model call's error stands for, or None for any other error.

    Two errors are mismatches, reported and retried like one: the OpenAI SDK's
    ``LengthFinishReasonError`` (JSON cut at the token limit; its text is kept) and llama.cpp's
    "output does not match the expected ... format" (its parser rejected its own answer).

    Args:
        error: What the model call raised.
    """
    if type(error).__name__ == "LengthFinishReasonError":
        completion = getattr(error, "completion", None)
        choices = getattr(completion, "choices", None) or []
        text = choices[0].message.content or "" if choices else ""
        return StructuredOutputError(
            "the output was cut at the token limit before it was complete", text
        )
    if SERVER_FORMAT_FAILURE in str(error):
        msg = f"the server could not parse its own constrained output ({error})"
        return StructuredOutputError(msg, "")
    return None


def _checked(bound: Any, constraint: Constraint, provider: str, retries: int) -> Any:
    from langchain_core.runnables import RunnableLambda  # noqa: PLC0415 - heavy

    wrapped = _spelling(provider) == "ollama_format"

    def text_of(message: Any) -> str:
        text = _raw_text(message)
        if wrapped:
            text = unwrap_ollama(constraint, text)
        return str(text)

    def run(value: Any) -> Any:
        for attempt in range(retries + 1):
            try:
                message = bound.invoke(value)
            except Exception as error:
                failure = as_mismatch(error)
                if failure is None:
                    raise
                if attempt == retries:
                    raise failure from error
                continue
            try:
                return constraint.check(text_of(message))
            except StructuredOutputError:
                if attempt == retries:
                    raise
        raise AssertionError  # pragma: no cover - the loop returns or raises

    async def arun(value: Any) -> Any:
        for attempt in range(retries + 1):
            try:
                message = await bound.ainvoke(value)
            except Exception as error:
                failure = as_mismatch(error)
                if failure is None:
                    raise
                if attempt == retries:
                    raise failure from error
                continue
            try:
                return constraint.check(text_of(message))
            except StructuredOutputError:
                if attempt == retries:
                    raise
        raise AssertionError  # pragma: no cover

    return RunnableLambda(run, afunc=arun, name=f"constrained_{constraint.kind}")


def prepare_schema(schema: Any) -> tuple[dict[str, Any], Callable[[Any], Any]]:
    """Turn any schema form into (the JSON schema to send, a validator of the parsed JSON).

    The JSON schema itself is sent (never a pydantic class): the OpenAI SDK's ``parse``
    path would raise on a mismatch and lose the raw text, which the error must carry.

    Args:
        schema: A pydantic class, a TypedDict, or a JSON schema dict.

    Returns:
        The JSON schema (with a ``title``, which OpenAI-style servers need as a name), and
        a function that validates the parsed JSON into the value to return.
    """
    from langchain_core.utils.function_calling import convert_to_json_schema  # noqa: PLC0415
    from pydantic import BaseModel, TypeAdapter  # noqa: PLC0415
    from pydantic.v1 import BaseModel as BaseModelV1  # noqa: PLC0415

    if isinstance(schema, dict):
        json_schema = dict(schema)
        json_schema.setdefault("title", "output")
        return json_schema, lambda value: value
    # the schema LangChain itself would send (and report to callbacks and tracing)
    converted = convert_to_json_schema(schema)
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        return converted, schema.model_validate
    if isinstance(schema, type) and issubclass(schema, BaseModelV1):
        return converted, schema.parse_obj
    # A TypedDict: the JSON schema check is the whole validation. pydantic would call every key
    # of a total TypedDict required, also LangChain's `Annotated[T, default, "..."]` keys, which
    # the schema sent to the server leaves optional.
    TypeAdapter(schema)  # still refuses what pydantic cannot read
    return converted, lambda value: value


def _raw_text(message: Any) -> str:
    if message is None:
        return ""
    content = getattr(message, "content", message)
    if isinstance(content, list):
        return "".join(
            part.get("text", "") if isinstance(part, dict) else str(part) for part in content
        )
    return str(content)


def _json_problems(text: str) -> list[str]:
    """LangChain parses cut-off JSON leniently; the raw text must be whole JSON."""
    if not text.strip():
        return []  # tool-call arguments: no text to check
    try:
        json.loads(text)
    except ValueError as error:
        return [f"not valid JSON ({error})"]
    return []


def validated_structured_output(
    bound: Any,
    json_schema: dict[str, Any],
    validate: Callable[[Any], Any],
    *,
    include_raw: bool,
    retries: int,
) -> Any:
    """Wrap LangChain's structured output so that a mismatch is an error with the raw text.

    Args:
        bound: The model's ``with_structured_output(json_schema, include_raw=True)``.
        json_schema: The JSON schema that was sent.
        validate: Turns the parsed JSON into the value to return (pydantic validation).
        include_raw: Return ``{"raw", "parsed", "parsing_error"}`` instead of raising.
        retries: Extra attempts after a mismatch.

    Returns:
        A runnable giving the parsed value (or the raw dict).
    """
    from langchain_core.runnables import RunnableLambda  # noqa: PLC0415 - heavy
    from pydantic import ValidationError  # noqa: PLC0415
    from pydantic.v1 import ValidationError as ValidationErrorV1  # noqa: PLC0415

    def judge(result: dict[str, Any]) -> dict[str, Any]:
        raw = result.get("raw")
        parsed = result.get("parsed")
        error = result.get("parsing_error")
        text = _raw_text(raw)
        metadata = getattr(raw, "response_metadata", {}) if raw else {}
        # ChatOpenAI's `finish_reason`, ChatOllama's `done_reason`: "length" when cut
        finish = metadata.get("finish_reason") or metadata.get("done_reason")
        cut = finish == "length" and bool(_json_problems(text))  # parsers accept cut JSON
        if error is not None or parsed is None or cut:
            reason = (
                "the output was cut at the token limit before it was complete"
                if finish == "length"
                else f"could not be parsed ({error})"
                if error is not None
                else "no structured output was produced"
            )
            return {
                "raw": raw,
                "parsed": None,
                "parsing_error": StructuredOutputError(reason, text),
            }
        problems = _json_problems(text) or check_json_schema(parsed, json_schema)
        if not problems:
            try:
                return {"raw": raw, "parsed": validate(parsed), "parsing_error": None}
            except (ValidationError, ValidationErrorV1) as invalid:
                problems = [str(item["msg"]) + f" at {item['loc']}" for item in invalid.errors()]
        failure = StructuredOutputError("; ".join(problems), text)
        return {"raw": raw, "parsed": None, "parsing_error": failure}

    def finish(result: dict[str, Any]) -> Any:
        if include_raw:
            return result
        if result["parsing_error"] is not None:
            raise result["parsing_error"]
        return result["parsed"]

    def run(value: Any) -> Any:
        result: dict[str, Any] = {}
        for _ in range(retries + 1):
            try:
                result = judge(bound.invoke(value))
            except Exception as error:
                failure = as_mismatch(error)
                if failure is None:
                    raise
                result = {"raw": None, "parsed": None, "parsing_error": failure}
            if result["parsing_error"] is None:
                break
        return finish(result)

    async def arun(value: Any) -> Any:
        result: dict[str, Any] = {}
        for _ in range(retries + 1):
            try:
                result = judge(await bound.ainvoke(value))
            except Exception as error:
                failure = as_mismatch(error)
                if failure is None:
                    raise
                result = {"raw": None, "parsed": None, "parsing_error": failure}
            if result["parsing_error"] is None:
                break
        return finish(result)

    return RunnableLambda(run, afunc=arun, name="validated_structured_output")
