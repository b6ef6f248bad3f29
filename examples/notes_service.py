"""Notes service: meeting notes in, a digest (title, summary, action items) and a summary out.

A hand-written notes service called ``ChatOllama`` built from ``OLLAMA_HOST``/``OLLAMA_MODEL``
and parsed the model's JSON by hand. Here ``get_chat_model()`` reads the same variables (or
``VLLM_URL``/``VLLM_MODEL`` with ``LLM_PROVIDER=vllm``), the digest is structured output the
server enforces and the package checks, and many notes run in parallel with ``batch``.

Run::

    python examples/notes_service.py [notes.txt ...] [--max-tokens N]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field

from langchain_llmswitch import get_chat_model

DIGEST_SYSTEM = (
    "Digest the meeting notes: a short title, a one-sentence summary, and at most three "
    "action items."
)
SUMMARY_SYSTEM = "Summarise the meeting notes in two sentences."
SAMPLE_NOTE = (
    "Meeting notes: the team agreed to move the RAG service from Ollama to vLLM next week. "
    "Vision OCR stays on Ollama. Rollback is by environment variable. Priya writes the "
    "migration guide; Tom checks the latency budget of two seconds."
)


class NoteDigest(BaseModel):
    """A note, digested."""

    title: str = Field(min_length=1, max_length=40)
    summary: str = Field(min_length=1, max_length=160)
    action_items: list[Annotated[str, Field(max_length=60)]] = Field(max_length=3)


class NotesService:
    """Digest and summarise notes on the configured chat model.

    Args:
        max_tokens: Cap on generated tokens (default: the environment's).
        threads: Notes digested at once by `digest_many`.
    """

    def __init__(self, *, max_tokens: int | None = None, threads: int = 4) -> None:
        self.chat = get_chat_model(max_tokens=max_tokens)
        self.threads = threads
        self.digester = self.chat.with_structured_output(NoteDigest)

    def digest(self, note: str) -> NoteDigest:
        """Title, summary and action items of one note (checked against the schema)."""
        result = self.digester.invoke([("system", DIGEST_SYSTEM), ("human", note)])
        return NoteDigest.model_validate(result)

    def digest_many(self, notes: Sequence[str]) -> list[NoteDigest]:
        """Digest several notes, `threads` at a time, in order."""
        inputs: list[Any] = [[("system", DIGEST_SYSTEM), ("human", note)] for note in notes]
        results = self.digester.batch(inputs, config={"max_concurrency": self.threads})
        return [NoteDigest.model_validate(result) for result in results]

    def summarise(self, note: str) -> str:
        """A plain two-sentence summary."""
        return self.chat.invoke([("system", SUMMARY_SYSTEM), ("human", note)]).text.strip()


def main(argv: list[str] | None = None) -> None:
    """Digest note files (or a sample) and print the digests."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notes", nargs="*", type=Path, help="text files (default: a sample)")
    parser.add_argument("--max-tokens", type=int, default=None, help="cap generated tokens")
    args = parser.parse_args(argv)
    notes = [path.read_text() for path in args.notes] or [SAMPLE_NOTE]
    service = NotesService(max_tokens=args.max_tokens)
    for digest in service.digest_many(notes):
        print(f"# {digest.title}\n{digest.summary}")
        for item in digest.action_items:
            print(f"- [ ] {item}")


if __name__ == "__main__":
    main()
