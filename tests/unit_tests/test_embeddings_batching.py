"""Concurrent embeddings batches: input order kept, errors raised, settings honoured."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from langchain_llmswitch import get_embeddings
from langchain_llmswitch.errors import ConfigurationError
from langchain_llmswitch.providers.openai_embeddings import (
    SwitchOpenAIEmbeddings,
    abatched,
    batched,
)

TEXTS = [f"text {index}" for index in range(23)]


def _vector(text: str) -> list[float]:
    return [float(text.split()[1])]


def test_sync_batches_run_concurrently_and_keep_order() -> None:
    in_flight = 0
    peak = 0
    sizes: list[int] = []
    lock = threading.Lock()

    def embed(batch: list[str]) -> list[list[float]]:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
            sizes.append(len(batch))
        # Later batches answer first: order must come from the input, not from completion.
        time.sleep(0.02 * (10 - int(batch[0].split()[1]) // 5))
        with lock:
            in_flight -= 1
        return [_vector(text) for text in batch]

    vectors = batched(TEXTS, 5, 3, embed)
    assert vectors == [[float(index)] for index in range(23)]
    assert sorted(sizes) == [3, 5, 5, 5, 5]
    assert peak == 3


async def test_async_batches_respect_the_concurrency_limit_and_keep_order() -> None:
    in_flight = 0
    peak = 0

    async def embed(batch: list[str]) -> list[list[float]]:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01 * (10 - int(batch[0].split()[1]) // 4))
        in_flight -= 1
        return [_vector(text) for text in batch]

    vectors = await abatched(TEXTS, 4, 2, embed)
    assert vectors == [[float(index)] for index in range(23)]
    assert peak == 2


def test_sync_error_is_raised_and_later_batches_are_not_sent() -> None:
    started: list[int] = []

    def embed(batch: list[str]) -> list[list[float]]:
        first = int(batch[0].split()[1])
        started.append(first)
        if first == 5:
            msg = "server said no"
            raise RuntimeError(msg)
        time.sleep(0.05)
        return [_vector(text) for text in batch]

    with pytest.raises(RuntimeError, match="server said no"):
        batched(TEXTS, 5, 2, embed)
    assert 20 not in started  # the last batch was cancelled before it started


async def test_async_error_is_raised_and_the_other_batches_are_cancelled() -> None:
    finished: list[int] = []

    async def embed(batch: list[str]) -> list[list[float]]:
        first = int(batch[0].split()[1])
        if first == 0:
            msg = "bad batch"
            raise ValueError(msg)
        await asyncio.sleep(0.05)
        finished.append(first)
        return [_vector(text) for text in batch]

    with pytest.raises(ValueError, match="bad batch"):
        await abatched(TEXTS, 5, 3, embed)
    await asyncio.sleep(0.1)
    assert finished == []


def test_a_batch_with_the_wrong_number_of_vectors_is_an_error() -> None:
    with pytest.raises(ValueError, match="returned 1 embeddings for a batch of 5"):
        batched(TEXTS, 5, 1, lambda batch: [[0.0]])


def test_sequential_when_concurrency_is_one() -> None:
    threads: set[int] = set()

    def embed(batch: list[str]) -> list[list[float]]:
        threads.add(threading.get_ident())
        return [_vector(text) for text in batch]

    assert len(batched(TEXTS, 4, 1, embed)) == 23
    assert threads == {threading.get_ident()}


def test_settings_reach_the_embeddings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBEDDINGS_BATCH_SIZE", "16")
    monkeypatch.setenv("EMBEDDINGS_CONCURRENCY", "8")
    emb = get_embeddings(provider="vllm", model="m", base_url="http://vllm-embed:8001/v1")
    assert isinstance(emb, SwitchOpenAIEmbeddings)
    assert (emb.chunk_size, emb.max_concurrency) == (16, 8)
    emb = get_embeddings(
        provider="openai", model="m", base_url="http://llama:8080/v1", batch_size=3, concurrency=2
    )
    assert isinstance(emb, SwitchOpenAIEmbeddings)
    assert (emb.chunk_size, emb.max_concurrency) == (3, 2)


def test_defaults() -> None:
    emb = get_embeddings(provider="openai", model="m", base_url="http://llama:8080/v1")
    assert isinstance(emb, SwitchOpenAIEmbeddings)
    assert (emb.chunk_size, emb.max_concurrency) == (64, 4)


def test_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBEDDINGS_CONCURRENCY", "0")
    with pytest.raises(ConfigurationError, match="EMBEDDINGS_CONCURRENCY='0'"):
        get_embeddings(provider="openai", model="m", base_url="http://llama:8080/v1")
