"""Narrative generator: a premise in, a story streamed chunk by chunk as it is written.

A hand-written client streamed from ``ChatOllama`` with its settings (temperature 0.3,
num_predict 2500, num_ctx 32768, top_p 0.9, top_k 40, repeat_penalty 1.1). Here the same
code streams from Ollama, vLLM or llama.cpp, whichever the environment names; a stream cut
short by the server raises ``StreamInterruptedError`` instead of passing as a short story.

Run::

    python examples/story_stream.py ["a premise"] [--max-tokens N]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

from langchain_llmswitch import get_chat_model

SAMPLING: dict[str, Any] = {
    "temperature": 0.3,
    "max_tokens": 2500,
    "num_ctx": 32768,
    "top_p": 0.9,
    "top_k": 40,
    "repetition_penalty": 1.1,
}

SYSTEM = "You are a storyteller. Write a short story from the premise, in plain prose."
SAMPLE_PREMISE = "A lighthouse keeper finds a message in a bottle addressed to her."


def _messages(premise: str) -> list[tuple[str, str]]:
    return [("system", SYSTEM), ("human", premise)]


def stream_story(premise: str, *, max_tokens: int | None = None) -> Iterator[str]:
    """Yield the story's text as the server writes it.

    Args:
        premise: What the story is about.
        max_tokens: Cap on generated tokens (default: 2500).
    """
    chat = get_chat_model(**{**SAMPLING, "max_tokens": max_tokens or SAMPLING["max_tokens"]})
    for chunk in chat.stream(_messages(premise)):
        if chunk.text:
            yield chunk.text


async def astream_story(premise: str, *, max_tokens: int | None = None) -> AsyncIterator[str]:
    """The same, for async code (a web handler streaming to its client)."""
    chat = get_chat_model(**{**SAMPLING, "max_tokens": max_tokens or SAMPLING["max_tokens"]})
    async for chunk in chat.astream(_messages(premise)):
        if chunk.text:
            yield chunk.text


def main(argv: list[str] | None = None) -> None:
    """Stream a story to the terminal."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("premise", nargs="?", default=SAMPLE_PREMISE)
    parser.add_argument("--max-tokens", type=int, default=None, help="cap generated tokens")
    args = parser.parse_args(argv)
    for text in stream_story(args.premise, max_tokens=args.max_tokens):
        sys.stdout.write(text)
        sys.stdout.flush()
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
