"""Constrained outputs on every real backend: a graded JSON analysis, a title matching a
regex, transcript lines in `LINE_NUMBER|corrected text` form, a fixed label."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field

from langchain_llmswitch import get_chat_model
from langchain_llmswitch.structured import constrained

from .conftest import Backend

pytestmark = pytest.mark.vcr

TITLE = r"[A-Z][a-z ]{10,60}"
LINE = r"[0-9]{1,3}\|[^|\n]{1,80}"
LABELS = ["positive", "negative", "neutral"]


class Analysis(BaseModel):
    """An essay's graded analysis (lists bounded: a tiny model otherwise lists forever)."""

    grade: Literal["A", "B", "C", "D", "E", "F"]
    strengths: list[str] = Field(max_length=3)
    improvements: list[str] = Field(max_length=3)


def _chat(backend: Backend, max_tokens: int = 96) -> object:
    """Greedy, with a token budget for the answer (the package adds Ollama's JSON wrapper)."""
    return get_chat_model(**backend.chat_settings(), max_tokens=max_tokens, temperature=0)


def test_json_analysis(backend: Backend) -> None:
    chat: Any = _chat(backend)
    result = chat.with_structured_output(Analysis).invoke(
        "Grade this essay from A to F: 'Cats are nice. They sleep a lot.'"
    )
    assert isinstance(result, Analysis)
    assert result.grade in "ABCDEF"
    assert len(result.strengths) <= 3


async def test_json_analysis_async(backend: Backend) -> None:
    runnable = _chat(backend).with_structured_output(Analysis)  # type: ignore[attr-defined]
    result = await runnable.ainvoke("Grade this essay: 'Dogs bark.'")
    assert isinstance(result, Analysis)


def test_title_matches_regex(backend: Backend) -> None:
    title = constrained(_chat(backend), regex=TITLE).invoke(
        "Write a title for notes about moving a RAG service to vLLM."
    )
    assert re.fullmatch(TITLE, title), title


def test_transcript_line(backend: Backend) -> None:
    line = constrained(_chat(backend), regex=LINE).invoke(
        "Correct the spelling, keep the line number, answer as LINE_NUMBER|text:\n"
        "7|teh cat si happy"
    )
    assert re.fullmatch(LINE, line), line
    assert line.split("|", 1)[0].isdigit()


def test_choice(backend: Backend) -> None:
    label = constrained(_chat(backend, 40), choice=LABELS).invoke(
        "Sentiment of 'I love this product!' (positive, negative or neutral):"
    )
    assert label in LABELS


def test_choice_in_the_tokens_of_the_label(backend: Backend) -> None:
    """max_tokens sized for the label alone: on Ollama the package adds the JSON wrapper's
    tokens (with 8 tokens, 0.5.4 cut the answer inside the wrapper before it did)."""
    label = constrained(_chat(backend, 8), choice=LABELS).invoke(
        "Sentiment of 'I love this product!' (positive, negative or neutral):"
    )
    assert label in LABELS


def test_legacy_guided_fields_are_enforced(backend: Backend) -> None:
    """vLLM's legacy spelling: `extra_body={"guided_choice": [...]}` (vLLM 0.12+ would
    ignore it). Translated, the output is constrained on vLLM and llama.cpp; on Ollama only
    `guided_json` has a meaning (format)."""
    chat = _chat(backend, 60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if backend.provider == "ollama":
            reply = chat.invoke(  # type: ignore[attr-defined]
                "Grade this essay: 'Cats.'",
                extra_body={"guided_json": Analysis.model_json_schema()},
            )
            Analysis.model_validate_json(reply.content)
        else:
            reply = chat.invoke(  # type: ignore[attr-defined]
                "Is 'I love it' positive or negative?",
                extra_body={"guided_choice": ["positive", "negative"]},
            )
            assert reply.content in {"positive", "negative"}


class Ingredient(BaseModel):
    name: str = Field(min_length=1, max_length=20)
    grams: int | None


class Recipe(BaseModel):
    """Nested objects, optional keys (one before the required ones, not ASCII), a nullable
    number, bounded strings and arrays."""

    region: str | None = Field(default=None, alias="région", max_length=20)
    title: str = Field(max_length=40)
    course: Literal["starter", "main", "dessert"]
    vegetarian: bool
    ingredients: list[Ingredient] = Field(min_length=1, max_length=3)
    note: str | None = None


def _outside_strings(text: str) -> str:
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)


def test_llamacpp_writes_compact_json_through_the_grammar(
    backend_factory: Callable[[str], Backend],
) -> None:
    """llama-server takes the package's grammar for a nested schema; the JSON it writes has no
    whitespace between tokens (llama.cpp's own grammar allows a newline and 20 spaces)."""
    chat = _chat(backend_factory("llamacpp"), 160)
    result = chat.with_structured_output(Recipe, include_raw=True).invoke(  # type: ignore[attr-defined]
        "Give a short recipe for a cheese sandwich."
    )
    raw = result["raw"].content
    assert result["parsing_error"] is None, raw
    assert isinstance(result["parsed"], Recipe)
    assert 1 <= len(result["parsed"].ingredients) <= 3
    assert not re.search(r"\s", _outside_strings(raw)), raw
