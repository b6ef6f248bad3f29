"""The seed's constrained outputs on every real backend: a graded JSON analysis, a title
matching a regex, transcript lines in `LINE_NUMBER|corrected text` form, a fixed label."""

from __future__ import annotations

import re
import warnings
from typing import Literal

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
    """The seed's essay analysis (lists bounded: a tiny model otherwise lists forever)."""

    grade: Literal["A", "B", "C", "D", "E", "F"]
    strengths: list[str] = Field(max_length=3)
    improvements: list[str] = Field(max_length=3)


def _chat(backend: Backend, max_tokens: int = 96) -> object:
    """Token budgets leave room for Ollama's JSON wrapper of regex/choice (~10 tokens)."""
    return get_chat_model(**backend.chat_settings(), max_tokens=max_tokens, temperature=0)


def test_json_analysis(backend: Backend) -> None:
    result = (
        _chat(backend)
        .with_structured_output(Analysis)
        .invoke(  # type: ignore[attr-defined]
            "Grade this essay from A to F: 'Cats are nice. They sleep a lot.'"
        )
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


def test_legacy_guided_fields_are_enforced(backend: Backend) -> None:
    """The seed's vLLM-only spelling: `extra_body={"guided_choice": [...]}` (vLLM 0.12+ would
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
