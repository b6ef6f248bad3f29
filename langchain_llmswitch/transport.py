"""httpx transports that retry, shared by every client the package builds for Ollama.

ChatOllama and OllamaEmbeddings ignore ``max_retries`` (langchain#38045); the Ollama
client does accept httpx keyword arguments, so retries live one level down, in the
transport: connection errors, 429 (honouring ``Retry-After``) and 5xx are retried with
exponential backoff and full jitter. The transports are cached per retry count, so every
model object built with the same settings shares one connection pool.

Example:
    >>> transport = sync_transport(max_retries=2)
    >>> transport is sync_transport(max_retries=2)
    True
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
import weakref
from functools import lru_cache

import httpx

__all__ = [
    "RETRY_STATUS",
    "AsyncRetryTransport",
    "RetryTransport",
    "async_transport",
    "backoff_delay",
    "sync_transport",
]

logger = logging.getLogger(__name__)

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
"""Statuses worth another try: rate limited, or a server error that may pass."""

_RETRY_EXCEPTIONS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError)
_BASE_DELAY = 0.5
_MAX_DELAY = 8.0
_MAX_RETRY_AFTER = 60.0


def backoff_delay(attempt: int, retry_after: str | None = None) -> float:
    """Return how long to wait before retry number ``attempt`` (0-based).

    Args:
        attempt: How many retries were already made.
        retry_after: The ``Retry-After`` header of the last response, if any
            (seconds or an HTTP date); honoured up to 60 s.

    Returns:
        Seconds to sleep.

    Example:
        >>> backoff_delay(0, retry_after="2")
        2.0
    """
    if retry_after:
        try:
            return min(max(float(retry_after), 0.0), _MAX_RETRY_AFTER)
        except ValueError:
            when = email.utils.parsedate_to_datetime(retry_after)
            if when is not None:
                return min(max(when.timestamp() - time.time(), 0.0), _MAX_RETRY_AFTER)
    ceiling = min(_MAX_DELAY, _BASE_DELAY * (2**attempt))
    return random.uniform(0, ceiling)  # noqa: S311 - jitter, not cryptography


class RetryTransport(httpx.BaseTransport):
    """A synchronous transport that retries connection errors, 429 and 5xx."""

    def __init__(self, max_retries: int, inner: httpx.BaseTransport | None = None) -> None:
        """Wrap a transport.

        Args:
            max_retries: Retries after the first attempt.
            inner: The transport that does the work (a new pooled one by default).
        """
        self.max_retries = max_retries
        self._inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request, retrying as configured."""
        attempt = 0
        while True:
            try:
                response = self._inner.handle_request(request)
            except _RETRY_EXCEPTIONS as error:
                if attempt >= self.max_retries:
                    raise
                delay = backoff_delay(attempt)
                logger.info(
                    "retrying %s after %s in %.2fs", request.url.path, type(error).__name__, delay
                )
            else:
                if response.status_code not in RETRY_STATUS or attempt >= self.max_retries:
                    return response
                delay = backoff_delay(attempt, response.headers.get("retry-after"))
                response.close()
                logger.info(
                    "retrying %s after HTTP %s in %.2fs",
                    request.url.path,
                    response.status_code,
                    delay,
                )
            attempt += 1
            time.sleep(delay)

    def close(self) -> None:
        """Close the pooled connections."""
        self._inner.close()


class AsyncRetryTransport(httpx.AsyncBaseTransport):
    """An asynchronous transport that retries connection errors, 429 and 5xx.

    Pooled connections belong to the event loop that opened them, and a model object
    outlives loops (``asyncio.run`` twice, one loop per test): this transport keeps one
    pool per running loop, dropped when the loop is garbage-collected.
    """

    def __init__(self, max_retries: int) -> None:
        """Build the transport.

        Args:
            max_retries: Retries after the first attempt.
        """
        self.max_retries = max_retries
        self._pools: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, httpx.AsyncHTTPTransport
        ] = weakref.WeakKeyDictionary()

    @property
    def _inner(self) -> httpx.AsyncHTTPTransport:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            pool = self._pools[loop] = httpx.AsyncHTTPTransport()
        return pool

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request, retrying as configured."""
        attempt = 0
        while True:
            try:
                response = await self._inner.handle_async_request(request)
            except _RETRY_EXCEPTIONS as error:
                if attempt >= self.max_retries:
                    raise
                delay = backoff_delay(attempt)
                logger.info(
                    "retrying %s after %s in %.2fs", request.url.path, type(error).__name__, delay
                )
            else:
                if response.status_code not in RETRY_STATUS or attempt >= self.max_retries:
                    return response
                delay = backoff_delay(attempt, response.headers.get("retry-after"))
                await response.aclose()
                logger.info(
                    "retrying %s after HTTP %s in %.2fs",
                    request.url.path,
                    response.status_code,
                    delay,
                )
            attempt += 1
            await asyncio.sleep(delay)

    async def aclose(self) -> None:
        """Close the pooled connections of the running loop."""
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            await pool.aclose()


@lru_cache(maxsize=32)
def sync_transport(max_retries: int) -> RetryTransport:
    """Return the shared synchronous transport for a retry count.

    Args:
        max_retries: Retries after the first attempt.
    """
    return RetryTransport(max_retries)


@lru_cache(maxsize=32)
def async_transport(max_retries: int) -> AsyncRetryTransport:
    """Return the shared asynchronous transport for a retry count.

    Args:
        max_retries: Retries after the first attempt.
    """
    return AsyncRetryTransport(max_retries)
