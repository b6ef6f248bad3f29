"""The fault matrix: every failure, on every backend, in every call style (test tooling).

Each fault is made real where no model is needed: a closed port (refused), and the fault
proxy (tests/tooling/fault_proxy.py) for a stalled server, 503 and 429 answers, a body that
is not JSON, an HTML page, an answer without choices and wrong embeddings. Each cell
records the class raised, its message and the time it took. The table of
docs/reliability.md (between the ``fault-matrix`` markers) is rendered from the results;
``python -m tests.tooling.fault_matrix --write`` rewrites it, and
tests/integration_tests/test_fault_matrix.py fails when the page is stale.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .fault_proxy import Fault, fault_proxy

PROVIDERS = ("vllm", "openai", "ollama")
"""One per protocol and client: vLLM and llama.cpp-style OpenAI servers, Ollama's own."""
PROVIDER_PATH = {"vllm": "/v1", "openai": "/v1", "ollama": ""}
CHAT_STYLES = ("invoke", "ainvoke", "stream", "astream", "batch")
EMBED_STYLES = ("embed", "aembed")
TIMEOUT = 2.0
"""``timeout`` of the stalled-server cells (seconds)."""
FAST_TIMEOUT = 30.0
"""``timeout`` of the other cells: they must end at once, never by a timeout, however busy
the machine is."""
RETRIES = 1
PAGE = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"
START, END = "<!-- fault-matrix:start -->", "<!-- fault-matrix:end -->"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _embeddings_body(provider: str, vectors: list[list[float]]) -> bytes:
    if provider == "ollama":
        return json.dumps({"model": "m", "embeddings": vectors}).encode()
    data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
    usage = {"prompt_tokens": 1, "total_tokens": 1}
    return json.dumps({"object": "list", "data": data, "model": "m", "usage": usage}).encode()


def _no_choices(provider: str) -> bytes:
    if provider == "ollama":  # a line without message and without done
        return b'{"model": "m", "created_at": "2026-01-01T00:00:00Z"}\n'
    return b'{"id": "x", "object": "chat.completion", "created": 0, "model": "m", "choices": []}'


@dataclass(frozen=True)
class Case:
    """One failure: how it is made, what must be raised, and how fast."""

    name: str
    label: str
    capabilities: tuple[str, ...]
    fault: Callable[[str], Fault | None]  # None: a closed port
    expected: str
    slow: bool = False  # True: takes the timeout; otherwise "at once" (retries included)


CASES: tuple[Case, ...] = (
    Case("refused", "connection refused (nothing listens)", ("chat", "embeddings"),
         lambda _: None, "ServerConnectionError"),
    Case("stall", "server accepts, never answers", ("chat", "embeddings"),
         lambda _: Fault(mode="stall"), "ServerTimeoutError", slow=True),
    Case("http_503", "HTTP 503 on every try", ("chat", "embeddings"),
         lambda _: Fault(mode="status", status=503, times=99), "ServerStatusError"),
    Case("http_429", "HTTP 429 on every try (Retry-After: 0)", ("chat", "embeddings"),
         lambda _: Fault(mode="status", status=429, times=99, retry_after="0"),
         "RateLimitExhaustedError"),
    Case("malformed_json", "200 with a body that is not JSON", ("chat", "embeddings"),
         lambda _: Fault(mode="malformed"), "MalformedResponseError"),
    Case("html", "200 with an HTML page", ("chat", "embeddings"),
         lambda _: Fault(mode="body", body=b"<html><body>Sign in</body></html>",
                         content_type="text/html"), "MalformedResponseError"),
    Case("no_choices", "200 with an answer without choices (Ollama: without message)",
         ("chat",), lambda p: Fault(mode="body", body=_no_choices(p)), "MalformedResponseError"),
    Case("missing_vector", "fewer embeddings than texts", ("embeddings",),
         lambda p: Fault(mode="body", body=_embeddings_body(p, [[0.1, 0.2]])),
         "MalformedResponseError"),
    Case("mixed_dimensions", "embeddings of two dimensions", ("embeddings",),
         lambda p: Fault(mode="body", body=_embeddings_body(p, [[0.1, 0.2], [0.1]])),
         "MalformedResponseError"),
    Case("nan", "an embedding holding NaN", ("embeddings",),
         lambda p: Fault(mode="body", body=_embeddings_body(p, [[0.1, 0.2], [float("nan"), 1]])),
         "MalformedResponseError"),
)  # fmt: skip


@dataclass
class Cell:
    """What one call raised."""

    case: str
    provider: str
    style: str
    error: BaseException | None
    elapsed: float

    @property
    def cls(self) -> str:
        return type(self.error).__name__ if self.error is not None else "(no error)"

    @property
    def message(self) -> str:
        return str(self.error) if self.error is not None else ""


@contextlib.contextmanager
def _server(case: Case, provider: str) -> Iterator[str]:
    fault = case.fault(provider)
    if fault is None:
        yield f"http://127.0.0.1:{_closed_port()}"
        return
    with fault_proxy("http://127.0.0.1:9", fault) as (url, _):
        yield url


async def _acollect(chat: Any) -> list[Any]:
    return [chunk async for chunk in chat.astream("hi")]


def call_style(model: Any, style: str) -> Any:
    """Make one call of a call style (invoke, astream, embed ...) with a short input."""
    calls: dict[str, Callable[[], Any]] = {
        "invoke": lambda: model.invoke("hi"),
        "ainvoke": lambda: asyncio.run(model.ainvoke("hi")),
        "stream": lambda: list(model.stream("hi")),
        "astream": lambda: asyncio.run(_acollect(model)),
        "batch": lambda: model.batch(["hi"]),
        "embed": lambda: model.embed_documents(["a", "b"]),
        "aembed": lambda: asyncio.run(model.aembed_documents(["a", "b"])),
    }
    return calls[style]()


def run_cell(case: Case, provider: str, style: str) -> Cell:
    """Make the fault, make one call, and record what it raised and when."""
    from langchain_llmswitch import get_chat_model, get_embeddings  # noqa: PLC0415

    settings = {"timeout": TIMEOUT if case.slow else FAST_TIMEOUT, "max_retries": RETRIES}
    with _server(case, provider) as url:
        base_url = url + PROVIDER_PATH[provider]
        model: Any
        if style in EMBED_STYLES:
            model = get_embeddings(provider=provider, base_url=base_url, model="m", **settings)
        else:
            model = get_chat_model(
                provider=provider, base_url=base_url, model="m", max_tokens=5, **settings
            )
        start = time.monotonic()
        error: BaseException | None = None
        try:
            call_style(model, style)
        except Exception as caught:  # noqa: BLE001 - recorded, judged by the test
            error = caught
        return Cell(case.name, provider, style, error, time.monotonic() - start)


def cells() -> Iterator[tuple[Case, str, str]]:
    """Every (case, provider, style) of the matrix."""
    for case in CASES:
        for provider in PROVIDERS:
            if "chat" in case.capabilities:
                for style in CHAT_STYLES:
                    yield case, provider, style
            if "embeddings" in case.capabilities:
                for style in EMBED_STYLES:
                    yield case, provider, style


def run_matrix(workers: int = 4) -> list[Cell]:
    """Run every cell, ``workers`` at a time (each times its own call), in matrix order."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda cell: run_cell(*cell), cells()))


_CATCHABLE = ("TimeoutError", "ConnectionError", "ValueError")


def _also(error: BaseException) -> str:
    """The standard and langchain-core classes an error can be caught as."""
    names = [c.__name__ for c in type(error).__mro__ if c.__name__ in _CATCHABLE]
    core = [
        c.__name__
        for c in type(error).__mro__
        if c.__module__ == "langchain_core.exceptions" and c.__name__.startswith("Model")
    ]
    core = [name for name in core if name != "ModelError"] or core
    return ", ".join(f"`{name}`" for name in [*names, *core[:1]]) or "-"


def render(results: list[Cell]) -> str:
    """The markdown table of the page, from the results."""
    lines = [
        f"| failure | raised on {', '.join(PROVIDERS)} by "
        f"{', '.join(CHAT_STYLES + EMBED_STYLES)} | also an instance of | when |",
        "|---|---|---|---|",
    ]
    for case in CASES:
        mine = [cell for cell in results if cell.case == case.name]
        by_class: dict[str, list[Cell]] = {}
        for cell in mine:
            by_class.setdefault(cell.cls, []).append(cell)
        if len(by_class) == 1:
            raised = f"`{mine[0].cls}`"
        else:
            raised = "; ".join(
                f"`{cls}` ({', '.join(f'{c.provider} {c.style}' for c in group)})"
                for cls, group in sorted(by_class.items())
            )
        first = next((c.error for c in mine if c.error is not None), None)
        also = _also(first) if first is not None else "-"
        when = f"after `LLM_TIMEOUT` ({TIMEOUT:g} s here)" if case.slow else "at once"
        only = "" if len(case.capabilities) > 1 else f" ({case.capabilities[0]} only)"
        lines.append(f"| {case.label}{only} | {raised} | {also} | {when} |")
    return "\n".join(lines) + "\n"


def page_table(page: Path = PAGE) -> str:
    """The table the page holds between the markers."""
    text = page.read_text()
    return text.split(START, 1)[1].split(END, 1)[0].strip("\n") + "\n"


def write(table: str, page: Path = PAGE) -> None:
    """Put the table between the page's markers."""
    text = page.read_text()
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    page.write_text(f"{head}{START}\n{table}{END}{tail}")


def main() -> None:
    """Print the matrix (class, elapsed, message); with --write, update the page."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite docs/reliability.md")
    args = parser.parse_args()
    results = run_matrix()
    for cell in results:
        print(  # noqa: T201
            f"{cell.case:16} {cell.provider:7} {cell.style:8} {cell.elapsed:6.2f}s "
            f"{cell.cls:28} {cell.message[:150]!r}"
        )
    if args.write:
        write(render(results))


if __name__ == "__main__":
    main()
