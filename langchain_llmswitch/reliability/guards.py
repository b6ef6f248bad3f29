"""What every chat model of this package does around a server call, written once.

- `translated`: a server's answer becomes our clearer error (an unknown model becomes
  `ModelNotFoundError`, "no images here" becomes `CapabilityError`), or passes unchanged;
- `guard_stream` / `aguard_stream`: a stream must end with the server saying it is
  complete; one that breaks after its first chunk, or simply ends early, raises
  `StreamInterruptedError` instead of passing a partial message off as complete;
  `aguard_stream` also bounds each wait for a chunk (``chunk_timeout``);
- `tag_result` / `tag_stream` / `atag_stream`: every answer says which provider of the
  table gave it, in ``response_metadata["llmswitch_provider"]``: each message of a result,
  and the first chunk of a stream (response metadata of chunks is merged by concatenating
  strings, so one chunk carries it and the aggregated message holds it once).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager

from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult

from langchain_llmswitch.errors import StreamInterruptedError
from langchain_llmswitch.reliability.fallback import is_unavailable

__all__ = [
    "PROVIDER_KEY",
    "Translate",
    "aguard_stream",
    "atag_stream",
    "guard_stream",
    "tag",
    "tag_result",
    "tag_stream",
    "translated",
]

PROVIDER_KEY = "llmswitch_provider"
"""The ``response_metadata`` key naming the provider that answered."""

Translate = Callable[[Exception], Exception | None]
"""Returns the error to raise instead, or None to let the original through."""


@contextmanager
def translated(translate: Translate) -> Iterator[None]:
    """Raise ``translate(error)`` instead of an error that it recognises.

    Args:
        translate: The model's translation of server errors.

    Example:
        >>> with translated(lambda error: None):
        ...     pass
    """
    try:
        yield
    except Exception as error:
        replacement = translate(error)
        if replacement is None:
            raise
        raise replacement from error


def _broken(where: str, error: BaseException | None, chunks: int) -> StreamInterruptedError:
    cause = f": {type(error).__name__}: {error}" if error else ""
    msg = (
        f"the stream from {where} broke after {chunks} chunks, before the server said it "
        f"was complete{cause}"
    )
    return StreamInterruptedError(msg)


def guard_stream(
    chunks: Iterator[ChatGenerationChunk],
    *,
    complete: Callable[[ChatGenerationChunk], bool],
    where: str,
    translate: Translate,
) -> Iterator[ChatGenerationChunk]:
    """Pass the chunks through; raise if the stream breaks or ends before it is complete.

    Args:
        chunks: The model's own stream.
        complete: Whether a chunk says the answer is complete (a finish reason, ``done``).
        where: The provider and URL, for the message.
        translate: The model's translation of server errors.

    Yields:
        The chunks.
    """
    count, finished = 0, False
    with translated(translate):
        try:
            for chunk in chunks:
                finished = finished or complete(chunk)
                count += 1
                yield chunk
        except Exception as error:
            if count and is_unavailable(error):
                raise _broken(where, error, count) from error
            raise
    if not finished:
        raise _broken(where, None, count)


async def aguard_stream(
    chunks: AsyncIterator[ChatGenerationChunk],
    *,
    complete: Callable[[ChatGenerationChunk], bool],
    where: str,
    translate: Translate,
    chunk_timeout: float | None = None,
) -> AsyncIterator[ChatGenerationChunk]:
    """The asynchronous `guard_stream`, with a bound on each wait for a chunk.

    The bound counts only the time spent waiting for the server, not the consumer's time
    between chunks. It is one timer per chunk (``asyncio.timeout``), where
    ``asyncio.wait_for`` would start a task per chunk (Python 3.11).

    Args:
        chunks: The model's own stream.
        complete: Whether a chunk says the answer is complete.
        where: The provider and URL, for the message.
        translate: The model's translation of server errors.
        chunk_timeout: Seconds to wait for each chunk; None waits as long as the transport.

    Yields:
        The chunks.

    Raises:
        TimeoutError: No first chunk within ``chunk_timeout`` seconds.
        StreamInterruptedError: The stream broke, stalled or ended after its first chunk,
            before it was complete.
    """
    count, finished = 0, False
    source = chunks.__aiter__()
    with translated(translate):
        try:
            while True:
                try:
                    async with asyncio.timeout(chunk_timeout):
                        chunk = await anext(source)
                except StopAsyncIteration:
                    break
                except TimeoutError as error:
                    msg = f"no chunk from {where} within {chunk_timeout} s (LLM_TIMEOUT)"
                    raise TimeoutError(msg) from error
                finished = finished or complete(chunk)
                count += 1
                yield chunk
        except Exception as error:
            if count and is_unavailable(error):
                raise _broken(where, error, count) from error
            raise
    if not finished:
        raise _broken(where, None, count)


def tag(message: BaseMessage, provider: str) -> None:
    """Write the provider into a message's ``response_metadata``.

    Args:
        message: An answer (message or chunk).
        provider: The provider name of the table.
    """
    message.response_metadata[PROVIDER_KEY] = provider


def tag_result(result: ChatResult, provider: str) -> ChatResult:
    """Tag every message of a result with the provider, and return the result.

    Args:
        result: What a model's ``_generate`` returned.
        provider: The provider name of the table.
    """
    for generation in result.generations:
        tag(generation.message, provider)
    return result


def tag_stream(
    chunks: Iterator[ChatGenerationChunk], provider: str
) -> Iterator[ChatGenerationChunk]:
    """Yield the chunks, the first tagged with the provider.

    Args:
        chunks: A model's ``_stream``.
        provider: The provider name of the table.
    """
    first = True
    for chunk in chunks:
        if first:
            tag(chunk.message, provider)
            first = False
        yield chunk


async def atag_stream(
    chunks: AsyncIterator[ChatGenerationChunk], provider: str
) -> AsyncIterator[ChatGenerationChunk]:
    """Yield the chunks of an async stream, the first tagged with the provider.

    Args:
        chunks: A model's ``_astream``.
        provider: The provider name of the table.
    """
    first = True
    async for chunk in chunks:
        if first:
            tag(chunk.message, provider)
            first = False
        yield chunk
