"""What the client itself costs: CPU time per request against a stub that answers instantly.

The stub (`bench.stub`) runs in its own process, so the CPU time this process spends
(``time.process_time``, all threads) is the client's: building the request, parsing the
answer, LangChain's callbacks and message objects. The same sequential requests go through
the package's chat model, the raw openai SDK and LiteLLM (when ``import litellm`` works;
it is not a dependency), non-streamed and streamed. Rounds alternate the clients' order;
the median round is reported, with the ratio to the openai SDK.

Example:
    >>> result = measure_overhead(requests=50)  # doctest: +SKIP
    >>> [(r["client"], r["mode"], r["ratio_vs_openai_sdk"]) for r in result["rows"]][:2]
    ... # doctest: +SKIP
    [('langchain-llmswitch', 'invoke', 1.4), ('openai-sdk', 'invoke', 1.0)]
"""

from __future__ import annotations

import asyncio
import importlib.util
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from langchain_llmswitch.factory import get_chat_model

__all__ = ["CLIENTS", "MODES", "measure_overhead", "stub_child", "stub_process"]

CLIENTS = ("langchain-llmswitch", "openai-sdk", "litellm")
MODES = ("invoke", "stream")
PROMPT = "Say something short."

Call = Callable[[], Awaitable[None]]


@contextmanager
def stub_process(token_delay: float = 0.0, timeout: float = 30.0) -> Iterator[str]:
    """Run `bench.stub` in a child process; yield its root URL; stop it afterwards.

    Args:
        token_delay: Seconds per generated token.
        timeout: Seconds to wait for it to start.

    Yields:
        The root URL, e.g. ``http://127.0.0.1:40123``.

    Raises:
        RuntimeError: The stub did not start.
    """
    with stub_child(token_delay, timeout) as (url, _):
        yield url


@contextmanager
def stub_child(token_delay: float = 0.0, timeout: float = 30.0) -> Iterator[tuple[str, int]]:
    """`stub_process`, yielding the child's process id too (to read its CPU time).

    Args:
        token_delay: Seconds per generated token.
        timeout: Seconds to wait for it to start.

    Yields:
        ``(root URL, process id)``.

    Raises:
        RuntimeError: The stub did not start.
    """
    command = [sys.executable, "-m", "langchain_llmswitch.bench.stub", "--port", "0"]
    command += ["--token-delay", str(token_delay)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        url = _first_line(process, timeout)
        if not url.startswith("http://"):
            msg = f"the bench stub did not start (exit code {process.poll()})"
            raise RuntimeError(msg)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _first_line(process: subprocess.Popen[str], timeout: float) -> str:
    result: list[str] = []

    def read() -> None:
        if process.stdout is not None:
            result.append(process.stdout.readline().strip())

    import threading  # noqa: PLC0415

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    return result[0] if result else ""


def _package_calls(root: str, tokens: int) -> dict[str, Call]:

    model = get_chat_model(
        provider="openai", base_url=f"{root}/v1", model="stub", max_tokens=tokens
    )

    async def invoke() -> None:
        await model.ainvoke(PROMPT)

    async def stream() -> None:
        async for _ in model.astream(PROMPT):
            pass

    return {"invoke": invoke, "stream": stream}


def _sdk_calls(root: str, tokens: int) -> dict[str, Call]:
    import openai  # noqa: PLC0415

    client = openai.AsyncOpenAI(base_url=f"{root}/v1", api_key="EMPTY")
    messages: Any = [{"role": "user", "content": PROMPT}]

    async def invoke() -> None:
        await client.chat.completions.create(
            model="stub", messages=messages, max_completion_tokens=tokens
        )

    async def stream() -> None:
        response = await client.chat.completions.create(
            model="stub",
            messages=messages,
            max_completion_tokens=tokens,
            stream=True,
            stream_options={"include_usage": True},
        )
        async for _ in response:
            pass

    return {"invoke": invoke, "stream": stream}


def _litellm_calls(root: str, tokens: int) -> dict[str, Call]:
    import litellm  # type: ignore[import-not-found]  # noqa: PLC0415 - optional, not a dependency

    options: dict[str, Any] = {
        "model": "openai/stub",
        "api_base": f"{root}/v1",
        "api_key": "EMPTY",
        "messages": [{"role": "user", "content": PROMPT}],
        "max_tokens": tokens,
    }

    async def invoke() -> None:
        await litellm.acompletion(**options)

    async def stream() -> None:
        response = await litellm.acompletion(**options, stream=True)
        async for _ in response:
            pass

    return {"invoke": invoke, "stream": stream}


async def _cpu_per_call(call: Call, requests: int, warmup: int) -> tuple[float, float]:
    """(CPU seconds, wall seconds) per call, over ``requests`` sequential calls."""
    for _ in range(warmup):
        await call()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(requests):
        await call()
    return (time.process_time() - cpu) / requests, (time.perf_counter() - wall) / requests


async def _measure(root: str, requests: int, tokens: int, rounds: int) -> dict[str, Any]:
    builders = {"langchain-llmswitch": _package_calls, "openai-sdk": _sdk_calls}
    notes: dict[str, str] = {}
    if importlib.util.find_spec("litellm") is not None:
        builders["litellm"] = _litellm_calls
    else:
        notes["litellm"] = "not installed"
    calls = {name: build(root, tokens) for name, build in builders.items()}
    samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
    names = list(calls)
    for mode in MODES:
        for index in range(rounds):
            order = names[index % len(names) :] + names[: index % len(names)]
            for name in order:
                sample = await _cpu_per_call(calls[name][mode], requests, warmup=5)
                samples.setdefault((name, mode), []).append(sample)
    rows: list[dict[str, Any]] = []
    for mode in MODES:
        cpu = {name: statistics.median(s[0] for s in samples[(name, mode)]) for name in calls}
        for name in CLIENTS:
            if name not in calls:
                rows.append({"client": name, "mode": mode, "note": notes.get(name)})
                continue
            wall = statistics.median(s[1] for s in samples[(name, mode)])
            row: dict[str, Any] = {
                "client": name,
                "mode": mode,
                "cpu_us_per_request": round(cpu[name] * 1e6, 1),
                "wall_us_per_request": round(wall * 1e6, 1),
                "ratio_vs_openai_sdk": round(cpu[name] / cpu["openai-sdk"], 3),
            }
            if name == "langchain-llmswitch" and "litellm" in cpu:
                row["ratio_vs_litellm"] = round(cpu[name] / cpu["litellm"], 3)
            rows.append(row)
    return {
        "requests": requests,
        "rounds": rounds,
        "tokens_per_answer": tokens,
        "rows": rows,
    }


def measure_overhead(requests: int = 200, tokens: int = 16, rounds: int = 3) -> dict[str, Any]:
    """Measure CPU time per request of each client against the instant stub.

    Args:
        requests: Sequential requests per client, mode and round.
        tokens: Tokens in every answer (one streamed chunk each).
        rounds: Rounds; the median is reported.

    Returns:
        ``{"requests", "rounds", "tokens_per_answer", "rows": [...]}``; a row per client and
        mode with ``cpu_us_per_request``, ``wall_us_per_request``, ``ratio_vs_openai_sdk``
        (and ``ratio_vs_litellm`` for the package), or a ``note`` (LiteLLM not installed).
    """
    with stub_process() as root:
        return asyncio.run(_measure(root, requests, tokens, rounds))
