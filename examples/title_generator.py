"""Title generator: a text in, a title matching ``[A-Z][a-z ]{10,60}`` out.

A hand-written client asked vLLM for ``extra_body={"guided_regex": "[A-Z][a-z ]{10,60}"}`` (ignored
by vLLM 0.12+ without a word) and had no way to ask Ollama at all. ``constrained()`` sends
each server its own form of the regex (vLLM structured outputs, a llama.cpp grammar, an
Ollama JSON-schema pattern) and checks the answer.

Run::

    python examples/title_generator.py [text.txt] [--max-tokens N]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from langchain_llmswitch import get_chat_model
from langchain_llmswitch.structured import constrained

SAMPLING: dict[str, Any] = {
    "temperature": 0.3,
    "max_tokens": 2500,
    "num_ctx": 32768,
    "top_p": 0.9,
    "top_k": 40,
    "repetition_penalty": 1.1,
}

TITLE = r"[A-Z][a-z ]{10,60}"
"""The title regex: a capital, then 10 to 60 lower-case letters and spaces."""
SYSTEM = "Write a short title for the text. Answer with the title only."
SAMPLE_TEXT = (
    "Notes from the weekly meeting: the team moves the question answering service from "
    "Ollama to vLLM next week; the OCR stays on Ollama; rollback is one variable."
)


def generate_title(text: str, *, max_tokens: int | None = None, retries: int = 1) -> str:
    """Return a title matching `TITLE` (enforced by the server, then checked).

    Args:
        text: What to title.
        max_tokens: Cap on generated tokens (default: 2500).
        retries: Extra attempts if an answer does not match.
    """
    chat = get_chat_model(**{**SAMPLING, "max_tokens": max_tokens or SAMPLING["max_tokens"]})
    title: str = constrained(chat, regex=TITLE, retries=retries).invoke(
        [("system", SYSTEM), ("human", text)]
    )
    return title


def main(argv: list[str] | None = None) -> None:
    """Print a title for a file's text (or a sample)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("text", nargs="?", type=Path, help="a text file (default: a sample)")
    parser.add_argument("--max-tokens", type=int, default=None, help="cap generated tokens")
    args = parser.parse_args(argv)
    print(
        generate_title(
            args.text.read_text() if args.text else SAMPLE_TEXT, max_tokens=args.max_tokens
        )
    )


if __name__ == "__main__":
    main()
