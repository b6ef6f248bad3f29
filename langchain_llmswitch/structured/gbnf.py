r"""Regular expressions and choices as GBNF grammars, for llama.cpp's ``grammar`` field.

llama.cpp enforces GBNF grammars and JSON schemas, not regular expressions. The common
regex subset maps one to one onto GBNF: literals, character classes, ``.``, escapes
(``\\d \\w \\s`` and their negations), groups, alternation, and the quantifiers
``* + ? {m} {m,} {m,n}``. Anchors at the ends are dropped (a grammar always matches the
whole output). Anything else (look-arounds, back-references) raises `ValueError` before
any request is sent.

Example:
    >>> regex_to_gbnf("[A-Z][a-z ]{10,60}")
    'root ::= [A-Z] [a-z ]{10,60}'
    >>> choice_to_gbnf(["positive", "negative"])
    'root ::= "positive" | "negative"'
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

__all__ = ["choice_to_gbnf", "json_schema_to_gbnf", "regex_to_gbnf"]

_CLASS_ESCAPES = {"d": "0-9", "w": "a-zA-Z0-9_", "s": " \\t\\n\\r"}
_UNSUPPORTED = "look-arounds, back-references and named groups have no GBNF equivalent"


def _literal(text: str) -> str:
    return json.dumps(text)


class _Parser:
    """A recursive-descent translator from the regex subset to GBNF."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.pos = 0

    def error(self, what: str) -> ValueError:
        return ValueError(
            f"cannot turn the regex {self.pattern!r} into a grammar at position {self.pos}: {what}"
        )

    def peek(self) -> str | None:
        return self.pattern[self.pos] if self.pos < len(self.pattern) else None

    def take(self) -> str:
        char = self.pattern[self.pos]
        self.pos += 1
        return char

    def alternation(self) -> str:
        branches = [self.sequence()]
        while self.peek() == "|":
            self.take()
            branches.append(self.sequence())
        return " | ".join(branches)

    def sequence(self) -> str:
        items: list[str] = []
        while (char := self.peek()) is not None and char not in "|)":
            atom = self.atom()
            if atom:
                items.append(atom + self.quantifier())
        return " ".join(items) if items else '""'

    def atom(self) -> str:
        char = self.take()
        if char == "(":
            if self.pattern.startswith("?:", self.pos):
                self.pos += 2
            elif self.peek() == "?":
                raise self.error(_UNSUPPORTED)
            inner = self.alternation()
            if self.peek() != ")":
                raise self.error("unbalanced parenthesis")
            self.take()
            return f"({inner})"
        if char == "[":
            return self.char_class()
        if char == ".":
            return "[^\\n]"
        if char == "\\":
            return self.escape()
        if char == "^" and self.pos == 1:
            return ""
        if char == "$" and self.pos == len(self.pattern):
            return ""
        if char in "*+?{":
            raise self.error(f"quantifier {char!r} with nothing to repeat")
        return _literal(char)

    def escape(self) -> str:
        if self.peek() is None:
            raise self.error("trailing backslash")
        char = self.take()
        if char in _CLASS_ESCAPES:
            return f"[{_CLASS_ESCAPES[char]}]"
        if char.lower() in _CLASS_ESCAPES:
            return f"[^{_CLASS_ESCAPES[char.lower()]}]"
        if char.isdigit() or char in "bBkAZ":
            raise self.error(_UNSUPPORTED)
        return _literal({"n": "\n", "t": "\t", "r": "\r"}.get(char, char))

    def char_class(self) -> str:
        parts: list[str] = []
        if self.peek() == "^":
            parts.append(self.take())
        first = True
        while True:
            char = self.peek()
            if char is None:
                raise self.error("unterminated character class")
            self.take()
            if char == "]" and not first:
                break
            first = False
            if char == "\\":
                escaped = self.take()
                parts.append(_CLASS_ESCAPES.get(escaped, "\\" + escaped))
            else:
                parts.append(char)
        return "[" + "".join(parts) + "]"

    def quantifier(self) -> str:
        char = self.peek()
        if char is None or char not in "*+?{":
            return ""
        self.take()
        result = char
        if char == "{":
            end = self.pattern.find("}", self.pos)
            if end < 0:
                raise self.error("unterminated {m,n}")
            body = self.pattern[self.pos : end]
            self.pos = end + 1
            bounds = body.split(",")
            if len(bounds) > 2 or not all(b.strip().isdigit() or b == "" for b in bounds):  # noqa: PLR2004
                raise self.error(f"bad repetition {{{body}}}")
            result = "{" + body.replace(" ", "") + "}"
        if self.peek() in {"?", "+"}:  # lazy or possessive: same language
            self.take()
        return result


def regex_to_gbnf(pattern: str) -> str:
    """Translate a regular expression into a GBNF grammar with a ``root`` rule.

    Args:
        pattern: A regular expression (Python syntax, the subset described above).

    Returns:
        The grammar.

    Raises:
        ValueError: The pattern uses something GBNF cannot express.
    """
    parser = _Parser(pattern)
    body = parser.alternation()
    if parser.pos != len(pattern):
        raise parser.error("unbalanced parenthesis")
    return f"root ::= {body}"


def choice_to_gbnf(choices: Sequence[str]) -> str:
    """Return a GBNF grammar that matches exactly one of the choices.

    Args:
        choices: The allowed outputs.

    Raises:
        ValueError: No choices were given.
    """
    if not choices:
        msg = "choice needs at least one option"
        raise ValueError(msg)
    return "root ::= " + " | ".join(_literal(choice) for choice in choices)


# --- JSON schemas, without the whitespace llama.cpp's own conversion allows ---------------

_JSON_PRIMITIVES = {
    "boolean": 'boolean ::= "true" | "false"',
    "null": 'null ::= "null"',
    "integer": 'integer ::= "-"? ([0-9] | [1-9] [0-9]{1,15})',
    "number": (
        'number ::= "-"? ([0-9] | [1-9] [0-9]{1,15}) ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,3})?'
    ),
    "char": 'char ::= [^"\\\\\\x7F\\x00-\\x1F] | "\\\\" (["\\\\/bfnrt] | "u" [0-9a-fA-F]{4})',
    "string": 'string ::= "\\"" char* "\\""',
    "value": "value ::= object | array | string | number | boolean | null",
    "object": 'object ::= "{" (string ":" value ("," string ":" value)*)? "}"',
    "array": 'array ::= "[" (value ("," value)*)? "]"',
}
_JSON_NEEDS = {
    "string": ("char",),
    "value": ("object", "array", "string", "number", "boolean", "null"),
    "object": ("string", "value"),
    "array": ("value",),
}
_IGNORED_KEYWORDS = frozenset(
    {"title", "description", "default", "examples", "$schema", "$id", "$comment", "deprecated"}
)
_KEYWORDS = frozenset(
    {
        "type", "properties", "required", "additionalProperties", "items", "minItems",
        "maxItems", "enum", "const", "anyOf", "oneOf", "allOf", "$ref", "$defs",
        "definitions", "minLength", "maxLength",
    }
)  # fmt: skip


class _SchemaTranslator:
    """Writes one GBNF rule per schema node; shared primitives are added once."""

    def __init__(self, root: dict[str, object]) -> None:
        self.root = root
        self.rules: dict[str, str] = {}
        self.refs: dict[str, str] = {}

    def unsupported(self, what: str) -> ValueError:
        return ValueError(f"no compact grammar for {what}; the server's conversion is used")

    def primitive(self, name: str) -> str:
        if name not in self.rules:
            self.rules[name] = _JSON_PRIMITIVES[name]
            for needed in _JSON_NEEDS.get(name, ()):
                self.primitive(needed)
        return name

    def unique(self, name: str) -> str:
        """``name``, or ``name-2``, ``name-3``... if a rule has it (keys ``a_b`` and ``a-b``)."""
        candidate, number = name, 1
        while candidate in self.rules or candidate in self.refs.values():
            number += 1
            candidate = f"{name}-{number}"
        return candidate

    def add(self, name: str, body: str) -> str:
        self.rules[name] = f"{name} ::= {body}"
        return name

    def ref(self, target: str) -> str:
        if target not in self.refs:
            prefix = next((p for p in ("#/$defs/", "#/definitions/") if target.startswith(p)), None)
            if prefix is None:
                raise self.unsupported(f"the reference {target!r}")
            defs = self.root.get(prefix[2:-1])
            key = target[len(prefix) :]
            if not isinstance(defs, dict) or not isinstance(defs.get(key), dict):
                raise self.unsupported(f"the reference {target!r} (not found)")
            name = self.unique(f"def-{_rule_part(key)}")
            self.refs[target] = name
            self.rules[name] = ""  # reserved: a recursive reference finds the name
            expression = self.node(defs[key], name)
            if expression != name:  # objects and arrays add their rule under the name
                self.add(name, expression)
        return self.refs[target]

    def node(self, schema: object, name: str) -> str:
        """Return a GBNF expression for a schema (adding the rules it needs)."""
        if schema is True or schema == {}:
            return self.primitive("value")
        if not isinstance(schema, dict):
            raise self.unsupported(f"the schema {schema!r}")
        unknown = set(schema) - _KEYWORDS - _IGNORED_KEYWORDS
        if unknown:
            raise self.unsupported(", ".join(sorted(unknown)))
        if "$ref" in schema:
            if set(schema) - _IGNORED_KEYWORDS - {"$ref", "$defs", "definitions"}:
                raise self.unsupported("$ref next to other keywords")
            return self.ref(str(schema["$ref"]))
        if "const" in schema:
            return _json_literal(schema["const"])
        if "enum" in schema:
            return "(" + " | ".join(_json_literal(item) for item in schema["enum"]) + ")"
        options = schema.get("anyOf", schema.get("oneOf"))
        if options is not None:
            parts = [self.node(item, f"{name}-{i}") for i, item in enumerate(options)]
            return "(" + " | ".join(parts) + ")"
        if "allOf" in schema:
            if len(schema["allOf"]) != 1:
                raise self.unsupported("allOf with more than one schema")
            return self.node(schema["allOf"][0], name)
        return self.typed(schema, name)

    def typed(self, schema: dict[str, Any], name: str) -> str:
        """The expression for a schema by its ``type`` (a list of types is an alternation)."""
        kind = schema.get("type")
        if isinstance(kind, list):
            parts = [self.node({**schema, "type": item}, f"{name}-{item}") for item in kind]
            return "(" + " | ".join(parts) + ")"
        if kind == "object" and not {"properties", "additionalProperties"} & set(schema):
            return self.primitive("object")  # any object, as llama.cpp reads it too
        if kind == "object" or (kind is None and "properties" in schema):
            return self.add(name, self.object_body(schema, name))
        if kind == "array":
            return self.add(name, self.array_body(schema, name))
        if kind == "string" and ("minLength" in schema or "maxLength" in schema):
            high = schema.get("maxLength")
            bounds = f"{int(schema.get('minLength', 0))},{'' if high is None else int(high)}"
            return f'"\\"" {self.primitive("char")}{{{bounds}}} "\\""'
        if kind in {"string", "integer", "number", "boolean", "null"}:
            return self.primitive(str(kind))
        if kind is None:
            return self.primitive("value")
        raise self.unsupported(f"the type {kind!r}")

    def object_body(self, schema: dict[str, object], name: str) -> str:
        extra = schema.get("additionalProperties", False)
        if extra is not False:
            raise self.unsupported("additionalProperties other than false")
        properties = schema.get("properties") or {}
        required = set(schema.get("required") or [])  # type: ignore[call-overload]
        if not isinstance(properties, dict) or required - set(properties):
            raise self.unsupported("required keys that are not properties")
        pairs: list[tuple[bool, str]] = []
        for key, sub in properties.items():
            value = self.node(sub, self.unique(f"{name}-{_rule_part(key)}"))
            pairs.append((key in required, f'{_json_literal(key)} ":" {value}'))
        # From the last key back: `rest` writes the keys from here on after one was written
        # (each with its comma); `first` the alternatives when none was written yet, of which
        # `optional` says whether writing none is allowed too.
        rest, first, optional, alternatives = "", "", True, False
        for position in range(len(pairs) - 1, -1, -1):
            is_required, pair = pairs[position]
            here = f"{pair} {rest}".strip()
            if is_required:
                first, optional, alternatives = here, False, False
            elif optional:
                first, alternatives = (f"{here} | {first}", True) if first else (here, False)
            else:
                first = f"{here} | {self.add(f'{name}--from{position + 1}', first)}"
                alternatives = True
            rest = f'("," {pair}){"" if is_required else "?"} {rest}'.strip()
        if not first:
            return '"{" "}"'
        body = f"({first})" if alternatives or optional else first
        return f'"{{" {body}{"?" if optional else ""} "}}"'

    def array_body(self, schema: dict[str, object], name: str) -> str:
        item = self.node(schema.get("items", True), f"{name}-item")
        low = int(schema.get("minItems", 0))  # type: ignore[call-overload]
        high = schema.get("maxItems")
        if high is not None and int(high) == 0:  # type: ignore[call-overload]
            return '"[" "]"'
        more_high = "" if high is None else str(int(high) - 1)  # type: ignore[call-overload]
        more = f'("," {item}){{{max(low - 1, 0)},{more_high}}}'
        items = f"{item} {more}"
        return f'"[" {items if low > 0 else f"({items})?"} "]"'


def _json_literal(value: object) -> str:
    return _literal(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def _rule_part(key: str) -> str:
    return re.sub(r"[^a-zA-Z0-9]+", "-", key).strip("-").lower() or "key"


def json_schema_to_gbnf(schema: dict[str, object]) -> str:
    r"""Translate a JSON schema into a GBNF grammar for compact JSON (no whitespace).

    llama.cpp turns ``response_format`` schemas into grammars that allow a newline and up to
    20 spaces around every token of the JSON; small models fill them, spend the token budget
    on indentation and get cut off. This grammar allows none, as vLLM's
    ``disable_any_whitespace`` does. Keys come in the schema's order; optional ones may be
    left out.

    Args:
        schema: A JSON schema (objects, arrays, strings with length bounds, numbers,
            booleans, null, enum, const, anyOf/oneOf, ``$ref`` to ``$defs``).

    Returns:
        The grammar, with a ``root`` rule.

    Raises:
        ValueError: The schema uses a keyword this translation does not cover (a pattern,
            a format, numeric bounds, ...): the caller then lets the server convert it.

    Example:
        >>> schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}}
        >>> print(json_schema_to_gbnf({**schema, "required": ["ok"]}))
        root ::= "{" "\"ok\"" ":" boolean "}"
        boolean ::= "true" | "false"
    """
    translator = _SchemaTranslator(schema)
    top = translator.node(schema, "root")
    if top != "root":
        translator.add("root", top)
    rules = translator.rules
    return "\n".join([rules.pop("root"), *rules.values()])
