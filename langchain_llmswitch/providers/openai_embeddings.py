"""OpenAIEmbeddings that sends its batches concurrently (vLLM and OpenAI-compatible servers).

OpenAIEmbeddings splits a document list into batches of ``chunk_size`` texts and sends them
one after another, so a server with spare capacity (vLLM's scheduler, llama-server's
parallel slots, a replica router) waits idle between batches. `SwitchOpenAIEmbeddings`
keeps up to ``max_concurrency`` batches in flight (threads for the sync methods, tasks for
the async ones). Vectors come back in input order, checked (one per text, one dimension,
finite values); the first failing batch's error is raised as the package's server error
(the batches still running are cancelled or awaited, never left behind).
``EMBEDDINGS_BATCH_SIZE`` sets ``chunk_size`` and ``EMBEDDINGS_CONCURRENCY`` sets
``max_concurrency``.

Example:
    >>> from langchain_llmswitch import get_embeddings
    >>> emb = get_embeddings(provider="vllm", model="m", base_url="http://vllm-embed:8001")
    >>> (type(emb).__name__, emb.chunk_size, emb.max_concurrency)
    ('SwitchOpenAIEmbeddings', 64, 4)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Any

from langchain_openai import OpenAIEmbeddings
from pydantic import Field

from langchain_llmswitch.providers import PROVIDERS, openai_protocol
from langchain_llmswitch.reliability import server_errors
from langchain_llmswitch.reliability.guards import translated

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_CONCURRENCY",
    "SwitchOpenAIEmbeddings",
    "abatched",
    "batched",
]

DEFAULT_BATCH_SIZE = openai_protocol.DEFAULT_BATCH_SIZE
"""Texts per request when ``EMBEDDINGS_BATCH_SIZE`` is unset."""
DEFAULT_CONCURRENCY = openai_protocol.DEFAULT_CONCURRENCY
"""Requests in flight when ``EMBEDDINGS_CONCURRENCY`` is unset."""

Vectors = list[list[float]]


def _slices(count: int, size: int) -> list[tuple[int, int]]:
    return [(start, min(start + size, count)) for start in range(0, count, size)]


def batched(
    texts: list[str], size: int, concurrency: int, embed: Callable[[list[str]], Vectors]
) -> Vectors:
    """Embed ``texts`` in batches of ``size``, ``concurrency`` batches at a time, in order.

    Args:
        texts: The texts.
        size: Texts per batch (at least 1).
        concurrency: Batches in flight (1: one after another, in this thread).
        embed: Embeds one batch, returning one vector per text.

    Returns:
        One vector per text, in input order.

    Raises:
        ValueError: A batch returned a different number of vectors than it was given.
        Exception: The first error a batch raised (batches not yet started are cancelled).

    Example:
        >>> batched(["a", "bb", "ccc"], 2, 2, lambda batch: [[len(t)] for t in batch])
        [[1], [2], [3]]
    """
    slices = _slices(len(texts), size)
    if concurrency <= 1 or len(slices) <= 1:
        return _joined(slices, [embed(texts[start:end]) for start, end in slices])
    with ThreadPoolExecutor(max_workers=min(concurrency, len(slices))) as pool:
        futures = [pool.submit(embed, texts[start:end]) for start, end in slices]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        error = next((f.exception() for f in futures if f in done and f.exception()), None)
        if error is not None:
            for future in futures:
                future.cancel()  # those not started; the running ones finish at shutdown
            raise error
        results = [future.result() for future in futures]
    return _joined(slices, results)


async def abatched(
    texts: list[str],
    size: int,
    concurrency: int,
    embed: Callable[[list[str]], Awaitable[Vectors]],
) -> Vectors:
    """Embed ``texts`` in batches of ``size``, ``concurrency`` requests in flight, in order.

    Args:
        texts: The texts.
        size: Texts per batch (at least 1).
        concurrency: Batches in flight.
        embed: Embeds one batch, returning one vector per text.

    Returns:
        One vector per text, in input order.

    Raises:
        ValueError: A batch returned a different number of vectors than it was given.
        Exception: The first error a batch raised (the other batches are cancelled).

    Example:
        >>> async def lengths(batch):
        ...     return [[len(t)] for t in batch]
        >>> asyncio.run(abatched(["a", "bb", "ccc"], 2, 2, lengths))
        [[1], [2], [3]]
    """
    slices = _slices(len(texts), size)
    gate = asyncio.Semaphore(max(concurrency, 1))

    async def one(start: int, end: int) -> Vectors:
        async with gate:
            return await embed(texts[start:end])

    tasks = [asyncio.ensure_future(one(start, end)) for start, end in slices]
    try:
        results = await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return _joined(slices, list(results))


def _joined(slices: list[tuple[int, int]], results: list[Vectors]) -> Vectors:
    vectors: Vectors = []
    for (start, end), result in zip(slices, results, strict=True):
        if len(result) != end - start:
            msg = (
                f"the server returned {len(result)} embeddings for a batch of {end - start} "
                f"texts (texts {start} to {end - 1})"
            )
            raise ValueError(msg)
        vectors.extend(result)
    return vectors


def _vectors(response: Any) -> Vectors:
    """The vectors of one response, by their ``index`` (servers may answer out of order)."""
    data = response["data"] if isinstance(response, dict) else response.data
    items = [
        (item["index"], item["embedding"])
        if isinstance(item, dict)
        else (item.index, item.embedding)
        for item in data
    ]
    return [vector for _, vector in sorted(items, key=lambda pair: pair[0])]


class SwitchOpenAIEmbeddings(OpenAIEmbeddings):
    """OpenAIEmbeddings with concurrent batches, for a server named by the settings."""

    max_concurrency: int = Field(default=DEFAULT_CONCURRENCY, ge=1)
    """Batches of ``chunk_size`` texts in flight at once (``EMBEDDINGS_CONCURRENCY``)."""

    llmswitch_provider: str = Field(default="openai", exclude=True)
    """The provider of the table this model was built for, for messages."""

    @property
    def _url(self) -> str:
        return str(self.openai_api_base or "")

    def _translated(self, error: Exception) -> Exception | None:
        """The package's error for a server's failure, or None to let the original through."""
        spec = PROVIDERS.get(self.llmswitch_provider)
        timeout = self.request_timeout
        return server_errors.server_error(
            error,
            provider=self.llmswitch_provider,
            url=self._url,
            client_errors=spec.client_errors if spec is not None else (),
            timeout=float(timeout) if isinstance(timeout, int | float) else None,
        )

    def _checked(self, vectors: Vectors, count: int) -> Vectors:
        return server_errors.checked_vectors(
            vectors, count, provider=self.llmswitch_provider, url=self._url
        )

    def _read(self, response: Any, count: int) -> Vectors:
        """The checked vectors of one response."""
        if not isinstance(response, dict) and not hasattr(response, "data"):
            raise self._not_embeddings(repr(response)[:80])
        return self._checked(_vectors(response), count)

    def _not_embeddings(self, shown: str) -> Exception:
        what = f"the answer is not an embeddings response ({shown})"
        return server_errors.malformed(what, self.llmswitch_provider, self._url)

    def _plain(self) -> bool:
        """Whether texts go as they are (our configuration), not as checked token arrays."""
        return not self.check_embedding_ctx_length

    def embed_documents(
        self,
        texts: list[str],
        chunk_size: int | None = None,
        **kwargs: Any,
    ) -> Vectors:
        """Embed documents: batches of ``chunk_size``, ``max_concurrency`` at a time.

        Args:
            texts: The texts.
            chunk_size: Texts per request (default: the ``chunk_size`` field).
            **kwargs: Extra arguments of the embeddings request.

        Returns:
            One vector per text, in input order.
        """
        if not self._plain():
            return super().embed_documents(texts, chunk_size, **kwargs)
        self._ensure_sync_client_available()
        params = {**self._invocation_params, **kwargs}

        def embed(batch: list[str]) -> Vectors:
            try:
                response = self.client.create(input=batch, **params)
            except AttributeError as error:  # the SDK's parser, given a page that is not JSON
                raise self._not_embeddings(str(error)) from error
            return self._read(response, len(batch))

        with translated(self._translated):
            vectors = batched(texts, chunk_size or self.chunk_size, self.max_concurrency, embed)
        return self._checked(vectors, len(texts))

    async def aembed_documents(
        self,
        texts: list[str],
        chunk_size: int | None = None,
        **kwargs: Any,
    ) -> Vectors:
        """Embed documents asynchronously: up to ``max_concurrency`` requests in flight.

        Args:
            texts: The texts.
            chunk_size: Texts per request (default: the ``chunk_size`` field).
            **kwargs: Extra arguments of the embeddings request.

        Returns:
            One vector per text, in input order.
        """
        if not self._plain():
            return await super().aembed_documents(texts, chunk_size, **kwargs)
        params = {**self._invocation_params, **kwargs}

        async def embed(batch: list[str]) -> Vectors:
            try:
                response = await self.async_client.create(input=batch, **params)
            except AttributeError as error:  # the SDK's parser, given a page that is not JSON
                raise self._not_embeddings(str(error)) from error
            return self._read(response, len(batch))

        with translated(self._translated):
            vectors = await abatched(
                texts, chunk_size or self.chunk_size, self.max_concurrency, embed
            )
        return self._checked(vectors, len(texts))
