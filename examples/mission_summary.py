"""Mission summariser: a mission debrief in, a graded analysis out (JSON, checked).

A hand-written client on Ollama was ``ChatOllama(model=OLLAMA_MODEL, temperature=0.3,
num_predict=2500, num_ctx=32768, top_p=0.9, top_k=40, repeat_penalty=1.1)`` asked for JSON,
and on vLLM ``ChatOpenAI(...).invoke(prompt, extra_body={"guided_json": schema})``, which
vLLM 0.12+ silently ignores. Here the same parameters go to whichever provider the
environment names (``LLM_PROVIDER``, ``LLM_BASE_URL``, ``LLM_MODEL`` or the legacy
``OLLAMA_*`` / ``VLLM_*`` variables), and the schema is enforced by the server and checked.

Run::

    python examples/mission_summary.py [debrief.txt] [--max-tokens N]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from langchain_llmswitch import get_chat_model

# The settings such a client hard-coded, in our names; every provider gets its own spelling.
SAMPLING: dict[str, Any] = {
    "temperature": 0.3,
    "max_tokens": 2500,
    "num_ctx": 32768,
    "top_p": 0.9,
    "top_k": 40,
    "repetition_penalty": 1.1,
}

SYSTEM = (
    "You review mission debriefs. Summarise the mission in two sentences, grade it from A "
    "(flawless) to F (failed), and list at most three strengths and three improvements."
)

SAMPLE_DEBRIEF = """\
Mission 14, supply run to the northern station. Launch was on time and the cargo arrived
intact. The crew handled a radio failure calmly and switched to the backup channel. Fuel use
was 12% over plan because of a late course correction. Docking took two attempts.
"""

Item = Annotated[str, Field(max_length=60)]


class MissionAnalysis(BaseModel):
    """A mission debrief's JSON analysis: a summary, a grade A-F, strengths and improvements."""

    summary: str = Field(min_length=1, max_length=200, description="Two sentences.")
    grade: Literal["A", "B", "C", "D", "E", "F"]
    strengths: list[Item] = Field(max_length=3)
    improvements: list[Item] = Field(max_length=3)


def analyse_mission(debrief: str, *, max_tokens: int | None = None) -> MissionAnalysis:
    """Return the graded analysis of a debrief (the server enforces the schema).

    Args:
        debrief: The debrief text.
        max_tokens: Cap on generated tokens (default: 2500).
    """
    chat = get_chat_model(**{**SAMPLING, "max_tokens": max_tokens or SAMPLING["max_tokens"]})
    result = chat.with_structured_output(MissionAnalysis).invoke(
        [("system", SYSTEM), ("human", debrief)]
    )
    return MissionAnalysis.model_validate(result)


def main(argv: list[str] | None = None) -> None:
    """Analyse the debrief in a file (or a sample) and print it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("debrief", nargs="?", type=Path, help="a text file (default: a sample)")
    parser.add_argument("--max-tokens", type=int, default=None, help="cap generated tokens")
    args = parser.parse_args(argv)
    text = args.debrief.read_text() if args.debrief else SAMPLE_DEBRIEF
    analysis = analyse_mission(text, max_tokens=args.max_tokens)
    print(f"Grade {analysis.grade}: {analysis.summary}")
    for label, items in (("+", analysis.strengths), ("-", analysis.improvements)):
        for item in items:
            print(f"  {label} {item}")


if __name__ == "__main__":
    main()
