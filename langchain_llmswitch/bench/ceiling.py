"""What one client process sustains against the instant stub, and what an open stream costs.

``llmswitch bench --ceiling``: streamed chat answers from `bench.stub` (its own process)
through the package's chat model (``astream``), the raw openai SDK and bare httpx (the
bench's raw baseline), ``concurrency`` requests in flight at a time. The stub answers at
once, so the rates are the client's ceiling: how many requests and streamed tokens per
second one Python process gets through. The stub's own CPU is reported beside them
(``stub_cpu_share``: near 1.0 would mean the stub, not the client, set the rate). Each client
and level has a stub process of its own: with one stub for all, whichever client came later
at 64 or 256 streams in flight was several times slower (the idle kept-alive connections of
the clients before it are threads of the stub).

Memory per open stream: ``streams`` answers held open at once (the stub sends a token every
``token_delay`` seconds), traced Python memory (``tracemalloc``) while all are open, less
before, per stream.

Example:
    >>> result = measure_ceiling(levels=(1, 16), requests=64)  # doctest: +SKIP
    >>> [(r["client"], r["concurrency"], r["tokens_per_s"]) for r in result["rows"]][:1]
    ... # doctest: +SKIP
    [('langchain-llmswitch', 1, 7400.0)]
"""

from __future__ import annotations

import asyncio
import os
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from langchain_llmswitch.bench.overhead import PROMPT, stub_child
from langchain_llmswitch.factory import get_chat_model

__all__ = ["CEILING_CLIENTS", "CEILING_LEVELS", "measure_ceiling"]

CEILING_CLIENTS = ("langchain-llmswitch", "openai-sdk", "raw-httpx")
CEILING_LEVELS = (1, 4, 16, 64, 256)

Stream = Callable[[Callable[[], None] | None], Awaitable[int]]
"""One streamed answer; calls the callback at its first chunk; returns the chunks with text."""


def _clients(root: str, tokens: int) -> dict[str, tuple[Stream, Callable[[], Awaitable[None]]]]:
    """(stream, close) per client, each with its own connection pool."""
    import httpx  # noqa: PLC0415
    import openai  # noqa: PLC0415

    model = get_chat_model(
        provider="openai", base_url=f"{root}/v1", model="stub", max_tokens=tokens
    )
    sdk = openai.AsyncOpenAI(base_url=f"{root}/v1", api_key="EMPTY")
    raw = httpx.AsyncClient(timeout=60.0, limits=openai.DEFAULT_CONNECTION_LIMITS)
    messages: Any = [{"role": "user", "content": PROMPT}]
    body = {
        "model": "stub",
        "messages": messages,
        "max_completion_tokens": tokens,
        "stream": True,
        "stream_options": {"include_usage": True},
    }

    async def package(first: Callable[[], None] | None) -> int:
        texts = 0
        async for chunk in model.astream(PROMPT):
            if chunk.content:
                if not texts and first is not None:
                    first()
                texts += 1
        return texts

    async def openai_sdk(first: Callable[[], None] | None) -> int:
        texts = 0
        response = await sdk.chat.completions.create(
            model="stub",
            messages=messages,
            max_completion_tokens=tokens,
            stream=True,
            stream_options={"include_usage": True},
        )
        async for chunk in response:
            if chunk.choices and chunk.choices[0].delta.content:
                if not texts and first is not None:
                    first()
                texts += 1
        return texts

    async def raw_httpx(first: Callable[[], None] | None) -> int:
        import json  # noqa: PLC0415

        texts = 0
        async with raw.stream("POST", f"{root}/v1/chat/completions", json=body) as response:
            async for line in response.aiter_lines():
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                event = json.loads(line[6:])
                choices = event.get("choices") or []
                if choices and (choices[0].get("delta") or {}).get("content"):
                    if not texts and first is not None:
                        first()
                    texts += 1
        return texts

    async def close_sdk() -> None:
        await sdk.close()

    async def close_raw() -> None:
        await raw.aclose()

    async def nothing() -> None:
        return None

    return {
        "langchain-llmswitch": (package, nothing),
        "openai-sdk": (openai_sdk, close_sdk),
        "raw-httpx": (raw_httpx, close_raw),
    }


def _process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) of another process, from /proc (None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _level(stream: Stream, concurrency: int, requests: int) -> tuple[float, int, int]:
    """(wall seconds, text chunks, errors) of ``requests`` answers, ``concurrency`` at a time."""
    remaining = requests
    texts = errors = 0

    async def worker() -> None:
        nonlocal remaining, texts, errors
        while remaining > 0:
            remaining -= 1
            try:
                got = await stream(None)
            except Exception:  # noqa: BLE001 - counted, the level goes on
                errors += 1
            else:
                texts += got

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - start, texts, errors


async def _memory(stream: Stream, streams: int) -> float:
    """Traced Python bytes per open stream, ``streams`` open at once."""
    opened = 0
    all_open = asyncio.Event()

    def first() -> None:
        nonlocal opened
        opened += 1
        if opened == streams:
            all_open.set()

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tasks = [asyncio.ensure_future(stream(first)) for _ in range(streams)]
        await asyncio.wait_for(all_open.wait(), timeout=120)
        during = tracemalloc.get_traced_memory()[0]
        await asyncio.gather(*tasks)
    finally:
        tracemalloc.stop()
    return (during - before) / streams


async def _one(
    root: str, stub_pid: int, name: str, *, concurrency: int, requests: int, tokens: int
) -> dict[str, Any]:
    """One client at one level, after a warm-up at that level (pool, imports, first calls)."""
    clients = _clients(root, tokens)
    stream = clients[name][0]
    try:
        await _level(stream, concurrency, 2 * concurrency)
        cpu, stub = time.process_time(), _process_cpu(stub_pid)
        wall, texts, errors = await _level(stream, concurrency, requests)
        cpu = time.process_time() - cpu
        stub_after = _process_cpu(stub_pid)
    finally:
        for _, close in clients.values():
            await close()
    share = None
    if stub is not None and stub_after is not None:
        share = round((stub_after - stub) / wall, 3)
    return {
        "client": name,
        "concurrency": concurrency,
        "requests": requests,
        "errors": errors,
        "requests_per_s": round((requests - errors) / wall, 1),
        "tokens_per_s": round(texts / wall, 1),
        "cpu_us_per_request": round(cpu / requests * 1e6, 1),
        "stub_cpu_share": share,
    }


async def _measure_memory(root: str, streams: int, tokens: int) -> list[dict[str, Any]]:
    clients = _clients(root, tokens)
    rows: list[dict[str, Any]] = []
    try:
        for name, (stream, _) in clients.items():
            per_stream = await _memory(stream, streams)
            kib = round(per_stream / 1024, 1)
            rows.append({"client": name, "streams": streams, "kib_per_stream": kib})
    finally:
        for _, close in clients.values():
            await close()
    return rows


def measure_ceiling(
    levels: tuple[int, ...] = CEILING_LEVELS,
    requests: int = 512,
    tokens: int = 16,
    *,
    streams: int = 256,
    token_delay: float = 0.02,
    hold: float = 4.0,
) -> dict[str, Any]:
    """Measure each client's requests/s and streamed tokens/s against the instant stub.

    Args:
        levels: Requests in flight, one level after another.
        requests: Streamed answers per client and level (at least twice the level).
        tokens: Tokens in every answer (one text chunk each).
        streams: Streams held open at once for the memory figure.
        token_delay: Seconds between the stub's tokens in the memory measurement.
        hold: Seconds each stream of the memory measurement stays open (about).

    Returns:
        ``{"levels", "requests", "tokens_per_answer", "rows": [...], "memory": [...]}``: a
        row per client and level (``requests_per_s``, ``tokens_per_s``,
        ``cpu_us_per_request``, ``stub_cpu_share``, ``errors``), and per client the traced
        memory per open stream (``kib_per_stream``).
    """
    rows: list[dict[str, Any]] = []
    for index, concurrency in enumerate(levels):
        order = list(CEILING_CLIENTS) if index % 2 == 0 else list(reversed(CEILING_CLIENTS))
        for name in order:  # a stub of its own: no other client's idle connections on it
            with stub_child() as (root, pid):
                count = max(requests, 2 * concurrency)
                row = _one(root, pid, name, concurrency=concurrency, requests=count, tokens=tokens)
                rows.append(asyncio.run(row))
    memory_tokens = max(tokens, int(hold / token_delay) if token_delay > 0 else tokens)
    with stub_child(token_delay=token_delay) as (root, _):
        memory = asyncio.run(_measure_memory(root, streams, memory_tokens))
    return {
        "levels": list(levels),
        "requests": requests,
        "tokens_per_answer": tokens,
        "rows": rows,
        "memory": memory,
    }
