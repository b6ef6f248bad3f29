"""Connection pools per event loop (`transport.LoopPools`), on our own logic.

The live proof (asyncio.run again and again against vLLM, llama.cpp and the Ollama API, no
retries) is in tests/integration_tests/test_providers.py.
"""

from __future__ import annotations

import asyncio

import httpx

from langchain_llmswitch.reliability.transport import (
    AsyncRetryTransport,
    LoopLocalTransport,
    LoopPools,
    loop_local_async_client,
)


def _counting() -> tuple[LoopPools, list[httpx.AsyncHTTPTransport]]:
    made: list[httpx.AsyncHTTPTransport] = []

    def factory() -> httpx.AsyncHTTPTransport:
        made.append(httpx.AsyncHTTPTransport())
        return made[-1]

    return LoopPools(factory), made


def test_one_pool_per_loop_reused_within_it() -> None:
    pools, made = _counting()

    async def twice() -> bool:
        return pools.current() is pools.current()

    assert asyncio.run(twice())
    assert len(made) == 1


def test_a_new_loop_gets_a_new_pool_and_closed_loops_are_dropped() -> None:
    pools, made = _counting()

    async def use() -> httpx.AsyncHTTPTransport:
        return pools.current()

    first = asyncio.run(use())
    second = asyncio.run(use())
    third = asyncio.run(use())
    assert len({id(first), id(second), id(third)}) == 3
    assert len(made) == 3
    assert len(pools) == 1  # the two closed loops' pools were let go


def test_open_loops_keep_their_pools() -> None:
    pools, made = _counting()
    loops = [asyncio.new_event_loop() for _ in range(2)]
    try:
        got = [loop.run_until_complete(_current(pools)) for loop in loops]
        again = [loop.run_until_complete(_current(pools)) for loop in loops]
        assert got == again
        assert len(pools) == 2
        assert len(made) == 2
    finally:
        for loop in loops:
            loop.close()


async def _current(pools: LoopPools) -> httpx.AsyncHTTPTransport:
    return pools.current()


def test_aclose_closes_the_running_loops_pool_only() -> None:
    pools, _ = _counting()

    async def use_then_close() -> int:
        pools.current()
        await pools.aclose()
        return len(pools)

    assert asyncio.run(use_then_close()) == 0


def test_transports_route_through_their_loop_pools() -> None:
    answered: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        answered.append(request.url.path)
        return httpx.Response(200, json={"ok": True})

    transport = LoopLocalTransport(lambda: httpx.MockTransport(handler))  # type: ignore[arg-type, return-value]

    async def get() -> int:
        async with httpx.AsyncClient(transport=transport) as client:
            return (await client.get("http://server/x")).status_code

    assert [asyncio.run(get()) for _ in range(3)] == [200, 200, 200]
    assert answered == ["/x"] * 3
    assert len(transport.pools) <= 1
    assert isinstance(AsyncRetryTransport(0).pools, LoopPools)


def test_the_openai_client_uses_a_loop_local_transport() -> None:
    client = loop_local_async_client(timeout=12.0, max_retries=3)
    assert isinstance(client._transport, AsyncRetryTransport)  # the package's retries
    assert isinstance(client._transport.pools, LoopPools)  # on pools of one loop each
    assert client._transport.max_retries == 3
    assert client.timeout.read == 12.0
