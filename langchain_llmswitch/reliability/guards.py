"""What every chat model of this package does around a server call, written once.

- `translated`: a server's answer becomes our clearer error (an unknown model becomes
  `ModelNotFoundError`, "no images here" becomes `CapabilityError`, a timeout
  `ServerTimeoutError`: `langchain_llmswitch.reliability.server_errors`), or passes unchanged;
- `guard_stream` / `aguard_stream`: a stream must end with the server saying it is
  complete; one that stalls after its first chunk raises `StreamStalledError` (a timeout),
  one that breaks or simply ends early `StreamInterruptedError`, instead of passing a
  partial message off as complete; `aguard_stream` also bounds each wait for a chunk
  (``chunk_timeout``);
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

from langchain_llmswitch.errors import (
    MalformedResponseError,
    ServerConnectionError,
    ServerError,
    ServerTimeoutError,
    StreamInterruptedError,
    StreamStalledError,
)
from langchain_llmswitch.reliability import server_errors
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


def _ended(provider: str, url: str, chunks: int) -> ServerError:
    """A stream that ended without the server saying it was complete."""
    if not chunks:  # a clean end without one chunk: the body was not a stream of answers
        return server_errors.malformed("the stream ended without a single chunk", provider, url)
    what = f"the stream broke after {chunks} chunks, before the server said it was complete"
    return StreamInterruptedError(
        what, provider=provider, url=server_errors.masked(url), check=_INTERRUPTED
    )


def _stream_error(
    error: Exception, translate: Translate, provider: str, url: str, chunks: int
) -> Exception:
    """What to raise for an error inside a stream.

    After the first chunk, a stall is a `StreamStalledError` and a break a
    `StreamInterruptedError`; before it, the model's translation of the error.
    """
    replacement = translate(error) or error
    if not chunks:
        return replacement
    cause = f"{type(error).__name__}: {server_errors.masked(str(error)) or 'no message'}"
    shown = server_errors.masked(url)
    if isinstance(replacement, TimeoutError):
        what = f"the stream stalled after {chunks} chunks, before it was complete ({cause})"
        return StreamStalledError(what, provider=provider, url=shown, check=_STALLED)
    if isinstance(replacement, ServerConnectionError | MalformedResponseError) or is_unavailable(
        replacement
    ):
        what = f"the stream broke after {chunks} chunks, before it was complete ({cause})"
        return StreamInterruptedError(what, provider=provider, url=shown, check=_INTERRUPTED)
    return replacement


_TIMED_OUT = "Check that the server is up and not overloaded; LLM_TIMEOUT bounds each wait"
_STALLED = "Check the server's load; LLM_TIMEOUT bounds each wait for a chunk"
_INTERRUPTED = "Check the server's log (killed, restarted, or a proxy that cuts long answers)"


def guard_stream(
    chunks: Iterator[ChatGenerationChunk],
    *,
    complete: Callable[[ChatGenerationChunk], bool],
    provider: str,
    url: str,
    translate: Translate,
) -> Iterator[ChatGenerationChunk]:
    """Pass the chunks through; raise if the stream breaks or ends before it is complete.

    Args:
        chunks: The model's own stream.
        complete: Whether a chunk says the answer is complete (a finish reason, ``done``).
        provider: The provider, for the message.
        url: The server URL, for the message (masked there).
        translate: The model's translation of server errors.

    Yields:
        The chunks.

    Raises:
        ServerError: Before the first chunk, the translated error (a timeout, a refused
            connection ...); after it, `StreamStalledError` (no chunk within the timeout)
            or `StreamInterruptedError` (the stream broke or ended early).
    """
    count, finished = 0, False
    try:
        for chunk in chunks:
            finished = finished or complete(chunk)
            count += 1
            yield chunk
    except Exception as error:
        replacement = _stream_error(error, translate, provider, url, count)
        if replacement is error:
            raise
        raise replacement from error
    if not finished:
        raise _ended(provider, url, count)


async def aguard_stream(
    chunks: AsyncIterator[ChatGenerationChunk],
    *,
    complete: Callable[[ChatGenerationChunk], bool],
    provider: str,
    url: str,
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
        provider: The provider, for the message.
        url: The server URL, for the message (masked there).
        translate: The model's translation of server errors.
        chunk_timeout: Seconds to wait for each chunk; None waits as long as the transport.

    Yields:
        The chunks.

    Raises:
        ServerError: As `guard_stream`: a `ServerTimeoutError` when no first chunk came
            within ``chunk_timeout`` seconds, a `StreamStalledError` when a later one did not.
    """
    count, finished = 0, False
    source = chunks.__aiter__()
    try:
        while True:
            try:
                async with asyncio.timeout(chunk_timeout):
                    chunk = await anext(source)
            except StopAsyncIteration:
                break
            except TimeoutError as error:
                what = f"no chunk within {chunk_timeout:g} s (LLM_TIMEOUT)"
                shown = server_errors.masked(url)
                raise ServerTimeoutError(
                    what, provider=provider, url=shown, check=_TIMED_OUT
                ) from error
            finished = finished or complete(chunk)
            count += 1
            yield chunk
    except Exception as error:
        replacement = _stream_error(error, translate, provider, url, count)
        if replacement is error:
            raise
        raise replacement from error
    if not finished:
        raise _ended(provider, url, count)


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
