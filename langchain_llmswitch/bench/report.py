"""How ``llmswitch bench`` shows itself: a progress bar while it runs, tables at the end.

Example:
    >>> row = {"target": "vllm", "client": "package", "concurrency": 1, "requests_per_s": 2.0,
    ...        "output_tokens_per_s": 64.0, "errors": 0, "ratio_vs_raw": 0.99,
    ...        "ttft_ms": {"mean": 50.0, "p50": 50.0, "p99": 60.0},
    ...        "e2e_ms": {"mean": 500.0, "p50": 490.0, "p99": 700.0},
    ...        "itl_ms": {"mean": 14.0, "p50": 14.0, "p99": 30.0}}
    >>> print(chat_table([row]).splitlines()[2])
    vllm    package   1    2.00    64.0     50     60     500     490     700   14.0    0  0.99
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

__all__ = [
    "Progress",
    "ceiling_table",
    "chat_table",
    "embeddings_table",
    "format_report",
    "overhead_table",
]


class Progress:
    """A one-line progress bar on stderr (a line per phase when stderr is not a terminal)."""

    WIDTH = 24

    def __init__(self, *, enabled: bool = True, stream: TextIO | None = None) -> None:
        """Prepare the bar.

        Args:
            enabled: Draw anything at all.
            stream: Where to draw (default: stderr).
        """
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.label = ""
        self.total = 0
        self.done = 0
        self._drawn = 0.0
        self._started = 0.0

    def start(self, label: str, total: int) -> None:
        """Begin a phase of ``total`` steps (ends the previous one)."""
        self._finish()
        self.label, self.total, self.done = label, total, 0
        self._started = time.perf_counter()
        self._draw(force=True)

    def advance(self, steps: int = 1) -> None:
        """Count finished steps."""
        self.done += steps
        self._draw(force=self.done >= self.total)

    def close(self) -> None:
        """End the last phase."""
        self._finish()
        self.label = ""

    def _finish(self) -> None:
        if not self.enabled or not self.label:
            return
        seconds = time.perf_counter() - self._started
        if self.tty:
            self.stream.write("\n")
        else:
            self.stream.write(f"{self.label}: {self.done}/{self.total} in {seconds:.1f} s\n")
        self.stream.flush()

    def _draw(self, *, force: bool = False) -> None:
        if not (self.enabled and self.tty):
            return
        now = time.perf_counter()
        if not force and now - self._drawn < 0.1:  # noqa: PLR2004 - redraw at most 10 times/s
            return
        self._drawn = now
        filled = self.WIDTH * self.done // max(self.total, 1)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self.stream.write(f"\r[{bar}] {self.done}/{self.total} {self.label}\x1b[K")
        self.stream.flush()


def _number(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = []
    for index, cells in enumerate([header, *rows]):
        parts = [
            cell.ljust(width) if column < 2 else cell.rjust(width)  # noqa: PLR2004 - text columns
            for column, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        lines.append("  ".join(parts).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def chat_table(rows: Sequence[dict[str, Any]]) -> str:
    """The chat rows as a text table (latencies in milliseconds; ``x raw``: req/s ratio).

    Args:
        rows: The ``chat`` rows of a bench result.
    """
    header = (
        "target", "client", "conc", "req/s", "tok/s", "ttft50", "ttft99",
        "e2e_avg", "e2e50", "e2e99", "itl50", "err", "x raw",
    )  # fmt: skip
    body = [
        (
            row["target"],
            row["client"],
            str(row["concurrency"]),
            _number(row["requests_per_s"], 2),
            _number(row["output_tokens_per_s"], 1),
            _number(row["ttft_ms"]["p50"]),
            _number(row["ttft_ms"]["p99"]),
            _number(row["e2e_ms"]["mean"]),
            _number(row["e2e_ms"]["p50"]),
            _number(row["e2e_ms"]["p99"]),
            _number(row["itl_ms"]["p50"], 1),
            str(row["errors"]),
            _number(row.get("ratio_vs_raw"), 2),
        )
        for row in rows
    ]
    return _table(header, body)


def embeddings_table(rows: Sequence[dict[str, Any]]) -> str:
    """The embeddings rows as a text table.

    Args:
        rows: The ``embeddings`` rows of a bench result.
    """
    header = ("target", "client", "conc", "batch", "texts", "texts/s", "tok/s", "err", "x raw")
    body = [
        (
            row["target"],
            row["client"],
            str(row["concurrency"]),
            str(row["batch_size"]),
            str(row["texts"]),
            _number(row["texts_per_s"], 1),
            _number(row["tokens_per_s"] or None, 0),
            str(row["errors"]),
            _number(row.get("ratio_vs_raw"), 2),
        )
        for row in rows
    ]
    return _table(header, body)


def overhead_table(overhead: dict[str, Any]) -> str:
    """The client-overhead rows as a text table (CPU microseconds per request).

    Args:
        overhead: The ``overhead`` part of a bench result.
    """
    header = ("client", "mode", "cpu_us/req", "x openai sdk", "note")
    body = [
        (
            row["client"],
            row["mode"],
            _number(row.get("cpu_us_per_request")),
            _number(row.get("ratio_vs_openai_sdk"), 2),
            row.get("note") or "",
        )
        for row in overhead["rows"]
    ]
    return _table(header, body)


def ceiling_table(ceiling: dict[str, Any]) -> str:
    """The ceiling rows (`bench.ceiling`) as a text table, memory per open stream after.

    Args:
        ceiling: The ``ceiling`` part of a bench result.
    """
    header = ("client", "conc", "req/s", "tok/s", "cpu_us/req", "stub cpu", "errors")
    body = [
        (
            row["client"],
            str(row["concurrency"]),
            _number(row.get("requests_per_s"), 1),
            _number(row.get("tokens_per_s")),
            _number(row.get("cpu_us_per_request")),
            _number(row.get("stub_cpu_share"), 2),
            str(row["errors"]),
        )
        for row in sorted(ceiling["rows"], key=lambda r: (r["concurrency"], r["client"]))
    ]
    memory = ", ".join(
        f"{row['client']} {row['kib_per_stream']:.1f}" for row in ceiling.get("memory") or []
    )
    table = _table(header, body)
    return f"{table}\n\nKiB of Python memory per open stream: {memory}" if memory else table


def format_report(result: dict[str, Any]) -> str:
    """The whole result as text: tables, then notes.

    Args:
        result: What `langchain_llmswitch.bench.run_bench` returned.

    Returns:
        The report.
    """
    parts: list[str] = []
    if result.get("chat"):
        parts += ["Chat (streamed; latencies in ms; x raw = req/s of package / raw)", ""]
        parts += [chat_table(result["chat"]), ""]
    if result.get("embeddings"):
        parts += ["Embeddings (x raw = texts/s of package / raw)", ""]
        parts += [embeddings_table(result["embeddings"]), ""]
    if result.get("overhead"):
        parts += ["Client CPU per request against an instant local stub", ""]
        parts += [overhead_table(result["overhead"]), ""]
    if result.get("ceiling"):
        parts += ["One client process against the instant stub (streamed)", ""]
        parts += [ceiling_table(result["ceiling"]), ""]
    for note in result.get("notes") or []:
        parts.append(f"note: {note}")
    return "\n".join(parts).rstrip() + "\n"
