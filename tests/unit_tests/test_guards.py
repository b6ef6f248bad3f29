"""`aguard_stream`: completeness and the bound on each wait for a chunk (fake streams)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk

from langchain_llmswitch.errors import StreamInterruptedError, StreamStalledError
from langchain_llmswitch.reliability.guards import aguard_stream

WHERE = "vllm at http://s:1/v1"


def _chunk(text: str, *, last: bool = False) -> ChatGenerationChunk:
    info = {"finish_reason": "stop"} if last else None
    return ChatGenerationChunk(message=AIMessageChunk(content=text), generation_info=info)


async def _server(waits: list[float]) -> AsyncIterator[ChatGenerationChunk]:
    """One chunk after each wait; the last one says the answer is complete."""
    for index, wait in enumerate(waits):
        await asyncio.sleep(wait)
        yield _chunk(str(index), last=index == len(waits) - 1)


def _guarded(waits: list[float], chunk_timeout: float | None) -> AsyncIterator[ChatGenerationChunk]:
    return aguard_stream(
        _server(waits),
        complete=lambda chunk: bool((chunk.generation_info or {}).get("finish_reason")),
        provider="vllm",
        url="http://s:1/v1",
        translate=lambda _error: None,
        chunk_timeout=chunk_timeout,
    )


async def test_waits_within_the_bound_pass() -> None:
    texts = [str(chunk.text) async for chunk in _guarded([0.05, 0.05, 0.05], chunk_timeout=0.5)]
    assert texts == ["0", "1", "2"]


async def test_a_slow_first_chunk_is_a_timeout_naming_the_server_and_the_setting() -> None:
    start = time.monotonic()
    with pytest.raises(TimeoutError) as caught:
        [chunk async for chunk in _guarded([1.0, 0.0], chunk_timeout=0.2)]
    assert time.monotonic() - start < 0.6
    assert WHERE in str(caught.value)
    assert "LLM_TIMEOUT" in str(caught.value)


async def test_a_stall_after_chunks_is_an_interrupted_stream() -> None:
    received: list[str] = []

    async def consume() -> None:
        async for chunk in _guarded([0.0, 1.0, 0.0], chunk_timeout=0.2):
            received.append(str(chunk.text))  # noqa: PERF401 - kept when the stream breaks

    with pytest.raises(StreamStalledError, match="after 1 chunks") as caught:
        await consume()
    assert received == ["0"]
    assert isinstance(caught.value, TimeoutError)  # a stall is a timeout
    assert isinstance(caught.value, StreamInterruptedError)  # and the answer is partial


async def test_the_consumers_own_time_is_not_counted() -> None:
    texts = []
    async for chunk in _guarded([0.0, 0.0, 0.0], chunk_timeout=0.1):
        await asyncio.sleep(0.3)  # slower than the bound, between chunks
        texts.append(str(chunk.text))
    assert texts == ["0", "1", "2"]


async def test_no_bound_waits_as_long_as_the_server() -> None:
    texts = [str(chunk.text) async for chunk in _guarded([0.3, 0.0], chunk_timeout=None)]
    assert texts == ["0", "1"]
