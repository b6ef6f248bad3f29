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
from collections.abc import Sequence

__all__ = ["choice_to_gbnf", "regex_to_gbnf"]

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
