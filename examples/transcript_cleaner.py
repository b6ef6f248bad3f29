"""Transcript cleaner: raw transcript lines in, ``LINE_NUMBER|corrected text`` lines out.

A hand-written client sent batches of lines to the model on several threads and parsed
``LINE_NUMBER|corrected text`` from free text. Here each line's answer is constrained to
that form with its own line number (``7\\|[^|\\n]{1,200}`` for line 7), by the server and
checked, so no line comes back renumbered, merged or missing; batches of lines run on a
pool of threads (LangChain's ``batch`` with ``max_concurrency``), on any provider.

Run::

    python examples/transcript_cleaner.py [transcript.txt] [--batch-size 8] [--threads 4]
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda

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

MAX_LINE = 200
"""Longest corrected line, in characters."""
NUMBERED = re.compile(r"(\d+)\|(.*)")
SYSTEM = (
    "You correct transcripts. Fix spelling, punctuation and obvious mishearings of the line; "
    "keep its meaning and its line number. Answer as LINE_NUMBER|corrected text."
)
PROMPT = ChatPromptTemplate.from_messages([("system", SYSTEM), ("human", "{line}")])
SAMPLE = """\
1|so um we gonna move teh service next weak
2|the the ocr stays on olama for now
3|rollback is just changing won variable
"""


def number_lines(lines: Sequence[str]) -> list[tuple[int, str]]:
    """Return (number, text) for each non-empty line; ``N|text`` lines keep their number.

    Example:
        >>> number_lines(["7|hello", "world", ""])
        [(7, 'hello'), (2, 'world')]
    """
    numbered: list[tuple[int, str]] = []
    for index, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        match = NUMBERED.fullmatch(line.strip())
        numbered.append((int(match[1]), match[2]) if match else (index, line.strip()))
    return numbered


def line_pattern(number: int) -> str:
    """The regex one cleaned line must match: its own number, a bar, the text."""
    return rf"{number}\|[^|\n]{{1,{MAX_LINE}}}"


def clean_transcript(
    lines: Sequence[str],
    *,
    batch_size: int = 8,
    threads: int = 4,
    max_tokens: int | None = None,
) -> list[str]:
    """Return one ``N|corrected text`` line per input line, in order.

    Args:
        lines: The transcript lines (``N|text`` or plain text, numbered from 1).
        batch_size: Lines per batch.
        threads: Lines of a batch cleaned at once.
        max_tokens: Cap on generated tokens per line (default: 2500).
    """
    chat = get_chat_model(**{**SAMPLING, "max_tokens": max_tokens or SAMPLING["max_tokens"]})

    def clean_line(item: tuple[int, str]) -> str:
        number, text = item
        cleaner = PROMPT | constrained(chat, regex=line_pattern(number), retries=1)
        cleaned: str = cleaner.invoke({"line": f"{number}|{text}"})
        return cleaned

    worker = RunnableLambda(clean_line)
    numbered = number_lines(lines)
    cleaned: list[str] = []
    for start in range(0, len(numbered), batch_size):
        batch = numbered[start : start + batch_size]
        cleaned.extend(worker.batch(batch, config={"max_concurrency": threads}))
    return cleaned


def main(argv: list[str] | None = None) -> None:
    """Clean a transcript file (or a sample) and print the lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("transcript", nargs="?", type=Path, help="default: a sample")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=None, help="cap tokens per line")
    args = parser.parse_args(argv)
    text = args.transcript.read_text() if args.transcript else SAMPLE
    for line in clean_transcript(
        text.splitlines(),
        batch_size=args.batch_size,
        threads=args.threads,
        max_tokens=args.max_tokens,
    ):
        print(line)


if __name__ == "__main__":
    main()
