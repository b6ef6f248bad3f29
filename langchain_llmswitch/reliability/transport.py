"""httpx transports: the one retry policy of every provider, and pools that belong to one loop.

- Retries live in the transport, for every provider (the openai SDK's own are off, and
  ChatOllama ignores ``max_retries``: langchain#38045): connection errors before an answer,
  429 (honouring ``Retry-After``) and 5xx, with exponential backoff and full jitter. A
  timeout is not retried. Every retry happens within the request's own timeout of its
  start (`Budget`), so a call gives up after about ``LLM_TIMEOUT`` seconds whatever the
  retry count, and a fallback answers in the time the user configured. Ollama's
  transports are cached per retry count, so models built with the same settings share one
  pool.
- Pooled connections belong to the loop that opened them, while a model outlives loops
  (``asyncio.run`` per job). ChatOpenAI shares one async client per URL across loops
  (langchain#35783), so a later loop meets dead connections and fails or waits out a
  retry (the README has the timings). `LoopPools` keeps one pool per running loop and
  drops those of closed loops.

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
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import httpx

__all__ = [
    "RETRY_STATUS",
    "AsyncRetryTransport",
    "Budget",
    "LoopLocalTransport",
    "LoopPools",
    "RetryTransport",
    "async_transport",
    "backoff_delay",
    "loop_local_async_client",
    "retrying_sync_client",
    "sync_transport",
]

logger = logging.getLogger(__name__)

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
"""Statuses worth another try: rate limited, or a server error that may pass."""

_RETRY_EXCEPTIONS = (httpx.NetworkError, httpx.RemoteProtocolError)
"""Connection failures before an answer began (refused, reset, closed): worth another try.
A timeout is not: the server is there but slow, and another wait of the same length would
only delay the fallback. An error after the answer began is never retried (it is raised
while the body is read, outside the transport)."""
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


class Budget:
    """The time a request may take until its answer begins, retries included.

    It is the request's own timeout (the largest of httpx's connect, read, write and pool
    timeouts: ``LLM_TIMEOUT``), counted from the first attempt. A retry whose backoff would
    end past it is not made; a retry gets only the time left as its timeouts.
    """

    def __init__(self, request: httpx.Request) -> None:
        """Start the clock for a request.

        Args:
            request: The request, with httpx's ``timeout`` extension.
        """
        timeouts = request.extensions.get("timeout") or {}
        limits = [float(value) for value in timeouts.values() if value is not None]
        self.total = max(limits) if limits else None
        self._deadline = time.monotonic() + self.total if self.total is not None else None

    def allows(self, delay: float) -> bool:
        """Whether a retry after ``delay`` seconds would still start in time."""
        return self._deadline is None or time.monotonic() + delay < self._deadline

    def narrow(self, request: httpx.Request) -> None:
        """Bound the next attempt's timeouts by the time left."""
        if self._deadline is None:
            return
        left = max(self._deadline - time.monotonic(), 0.001)
        timeouts = request.extensions.get("timeout") or {}
        request.extensions["timeout"] = {
            key: left if value is None else min(float(value), left)
            for key, value in timeouts.items()
        }


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
        attempt, budget = 0, Budget(request)
        while True:
            try:
                response = self._inner.handle_request(request)
            except _RETRY_EXCEPTIONS as error:
                delay = backoff_delay(attempt)
                if attempt >= self.max_retries or not budget.allows(delay):
                    raise
                logger.info(
                    "retrying %s after %s in %.2fs", request.url.path, type(error).__name__, delay
                )
            else:
                delay = backoff_delay(attempt, response.headers.get("retry-after"))
                if (
                    response.status_code not in RETRY_STATUS
                    or attempt >= self.max_retries
                    or not budget.allows(delay)
                ):
                    return response
                response.close()
                logger.info(
                    "retrying %s after HTTP %s in %.2fs",
                    request.url.path,
                    response.status_code,
                    delay,
                )
            attempt += 1
            time.sleep(delay)
            budget.narrow(request)

    def close(self) -> None:
        """Close the pooled connections."""
        self._inner.close()


class LoopPools:
    """One httpx connection pool per running event loop.

    A pool is made on a loop's first request. When a new loop arrives, the pools of loops
    that have closed are dropped: their connections cannot be used or closed from another
    loop, and once unreferenced the garbage collector closes their sockets.
    """

    def __init__(self, factory: Callable[[], httpx.AsyncHTTPTransport]) -> None:
        """Build the holder.

        Args:
            factory: Makes the pool of a new loop.
        """
        self._factory = factory
        self._pools: dict[asyncio.AbstractEventLoop, httpx.AsyncHTTPTransport] = {}

    def __len__(self) -> int:
        """How many loops hold a pool."""
        return len(self._pools)

    def current(self) -> httpx.AsyncHTTPTransport:
        """Return the running loop's pool, made on first use."""
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            for closed in [other for other in self._pools if other.is_closed()]:
                del self._pools[closed]
            pool = self._pools[loop] = self._factory()
        return pool

    async def aclose(self) -> None:
        """Close the running loop's pool."""
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            await pool.aclose()


class LoopLocalTransport(httpx.AsyncBaseTransport):
    """An async transport whose connections belong to the loop that uses them."""

    def __init__(self, factory: Callable[[], httpx.AsyncHTTPTransport]) -> None:
        """Build the transport.

        Args:
            factory: Makes the pool of a new loop.
        """
        self.pools = LoopPools(factory)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request through the running loop's pool."""
        return await self.pools.current().handle_async_request(request)

    async def aclose(self) -> None:
        """Close the pooled connections of the running loop."""
        await self.pools.aclose()


def loop_local_async_client(
    timeout: float | None, max_retries: int = 0, auth: tuple[str, str] | None = None
) -> httpx.AsyncClient:
    """Return an async client for the openai SDK whose connections never cross loops.

    The pool of each loop has the openai SDK's limits and langchain-openai's default socket
    options (TCP keepalive), as the client langchain-openai would have built; retries are
    the package's (`AsyncRetryTransport`), the SDK's own being off. Redirects are not
    followed: the prompt and the key go only to the configured server.

    Args:
        timeout: Seconds, as the model's ``timeout`` (the SDK sends its own per request).
        max_retries: Retries after the first attempt.
        auth: Basic-auth ``(user, password)`` taken out of the server URL, if any.
    """
    import openai  # noqa: PLC0415 - only the OpenAI-protocol providers need it

    options = _default_socket_options()

    def pool() -> httpx.AsyncHTTPTransport:
        return httpx.AsyncHTTPTransport(
            limits=openai.DEFAULT_CONNECTION_LIMITS,
            socket_options=list(options) or None,
        )

    return openai.DefaultAsyncHttpxClient(
        timeout=timeout,
        transport=AsyncRetryTransport(max_retries, pool),
        follow_redirects=False,
        auth=auth,
    )


def retrying_sync_client(
    timeout: float | None, max_retries: int, auth: tuple[str, str] | None = None
) -> httpx.Client:
    """Return the sync client for the openai SDK: its pool, with the package's retries.

    Args:
        timeout: Seconds, as the model's ``timeout``.
        max_retries: Retries after the first attempt.
        auth: Basic-auth ``(user, password)`` taken out of the server URL, if any.
    """
    import openai  # noqa: PLC0415 - only the OpenAI-protocol providers need it

    options = _default_socket_options()
    inner = httpx.HTTPTransport(
        limits=openai.DEFAULT_CONNECTION_LIMITS, socket_options=list(options) or None
    )
    return openai.DefaultHttpxClient(
        timeout=timeout,
        transport=RetryTransport(max_retries, inner=inner),
        follow_redirects=False,
        auth=auth,
    )


def _default_socket_options() -> tuple[Any, ...]:
    try:
        from langchain_openai.chat_models._client_utils import (  # noqa: PLC0415
            _resolve_socket_options,
        )
    except ImportError:  # pragma: no cover - another langchain-openai: no socket options
        return ()
    return tuple(_resolve_socket_options(None))


class AsyncRetryTransport(httpx.AsyncBaseTransport):
    """An asynchronous transport that retries connection errors, 429 and 5xx.

    Pooled connections belong to the event loop that opened them, and a model object
    outlives loops: this transport keeps one pool per running loop (`LoopPools`).
    """

    def __init__(
        self,
        max_retries: int,
        factory: Callable[[], httpx.AsyncHTTPTransport] = httpx.AsyncHTTPTransport,
    ) -> None:
        """Build the transport.

        Args:
            max_retries: Retries after the first attempt.
            factory: Makes the pool of a new loop.
        """
        self.max_retries = max_retries
        self.pools = LoopPools(factory)

    @property
    def _inner(self) -> httpx.AsyncHTTPTransport:
        return self.pools.current()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request, retrying as configured."""
        attempt, budget = 0, Budget(request)
        while True:
            try:
                response = await self._inner.handle_async_request(request)
            except _RETRY_EXCEPTIONS as error:
                delay = backoff_delay(attempt)
                if attempt >= self.max_retries or not budget.allows(delay):
                    raise
                logger.info(
                    "retrying %s after %s in %.2fs", request.url.path, type(error).__name__, delay
                )
            else:
                delay = backoff_delay(attempt, response.headers.get("retry-after"))
                if (
                    response.status_code not in RETRY_STATUS
                    or attempt >= self.max_retries
                    or not budget.allows(delay)
                ):
                    return response
                await response.aclose()
                logger.info(
                    "retrying %s after HTTP %s in %.2fs",
                    request.url.path,
                    response.status_code,
                    delay,
                )
            attempt += 1
            await asyncio.sleep(delay)
            budget.narrow(request)

    async def aclose(self) -> None:
        """Close the pooled connections of the running loop."""
        await self.pools.aclose()


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
