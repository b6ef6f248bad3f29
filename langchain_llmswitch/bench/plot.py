"""``llmswitch bench --plot``: throughput and p99 latency against concurrency (matplotlib).

One colour per target; the package as a solid line, the raw httpx baseline dashed; levels
with errors are left out (the table shows them).
Panels: chat output tokens/s, chat end-to-end p99 latency, and (when measured) embeddings
texts/s. matplotlib is imported only here (``pip install 'langchain-llmswitch[bench]'``).

Example:
    >>> plot(result, "docs/bench.png")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langchain_llmswitch.errors import MissingDependencyError

__all__ = ["plot", "plot_ceiling"]


def _series(
    rows: list[dict[str, Any]],
    value: Any,
) -> dict[tuple[str, str], tuple[list[int], list[float]]]:
    """(target, client) -> (levels, values), in level order.

    Rows with errors are left out: their rates count only what succeeded (the table and
    the JSON keep them, with their error counts).
    """
    series: dict[tuple[str, str], tuple[list[int], list[float]]] = {}
    for row in sorted(rows, key=lambda r: r["concurrency"]):
        number = value(row) if callable(value) else row.get(value)
        if number is None or row.get("errors"):
            continue
        levels, values = series.setdefault((row["target"], row["client"]), ([], []))
        levels.append(int(row["concurrency"]))
        values.append(float(number))
    return series


def plot(result: dict[str, Any], path: str | Path) -> Path:
    """Draw the bench result into a PNG file.

    Args:
        result: What `langchain_llmswitch.bench.run_bench` returned (or its JSON, loaded).
        path: The PNG file to write.

    Returns:
        The path written.

    Raises:
        MissingDependencyError: matplotlib is not installed.
        ValueError: The result has no chat or embeddings rows.
    """
    try:
        import matplotlib as mpl  # noqa: PLC0415

        mpl.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError as error:
        feature = "bench --plot"
        raise MissingDependencyError(feature, "langchain-llmswitch[bench]") from error
    chat = result.get("chat") or []
    embeddings = result.get("embeddings") or []
    panels = [
        ("chat: output tokens/s", chat, "output_tokens_per_s"),
        ("chat: end-to-end latency p99 (ms)", chat, lambda row: row["e2e_ms"]["p99"]),
    ]
    if embeddings:
        panels.append(("embeddings: texts/s", embeddings, "texts_per_s"))
    panels = [panel for panel in panels if panel[1]]
    if not panels:
        msg = "nothing to plot: the result has no chat or embeddings rows"
        raise ValueError(msg)
    figure, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.2), squeeze=False)
    targets = list(dict.fromkeys(row["target"] for row in chat + embeddings))
    colours = {target: f"C{index}" for index, target in enumerate(targets)}
    for axis, (title, rows, value) in zip(axes[0], panels, strict=True):
        for (target, client), (levels, values) in _series(rows, value).items():
            axis.plot(
                levels,
                values,
                marker="o" if client == "package" else "x",
                linestyle="-" if client == "package" else "--",
                color=colours[target],
                label=f"{target} ({client})",
            )
        axis.set_xscale("log", base=2)
        levels_seen = sorted({int(row["concurrency"]) for row in rows})
        axis.set_xticks(levels_seen, [str(level) for level in levels_seen])
        axis.set_xlabel("concurrent requests")
        axis.set_title(title, fontsize=10)
        axis.grid(visible=True, alpha=0.3)
        axis.set_ylim(bottom=0)
    axes[0][0].legend(fontsize=7, loc="best")
    machine = (result.get("meta") or {}).get("machine") or {}
    subtitle = f"{machine.get('cpus', '?')} CPUs, {machine.get('memory_gib', '?')} GiB, no GPU"
    figure.suptitle(f"llmswitch bench (package solid, raw httpx dashed) - {subtitle}", fontsize=10)
    figure.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110)
    plt.close(figure)
    return out


def plot_ceiling(ceiling: dict[str, Any], path: str | Path) -> Path:
    """Draw ``llmswitch bench --ceiling``: requests/s and tokens/s against concurrency.

    Args:
        ceiling: The ``ceiling`` part of a bench result (`bench.ceiling.measure_ceiling`).
        path: The PNG file to write.

    Returns:
        The path written.

    Raises:
        MissingDependencyError: matplotlib is not installed.
    """
    try:
        import matplotlib as mpl  # noqa: PLC0415

        mpl.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError as error:
        feature = "bench --ceiling-plot"
        raise MissingDependencyError(feature, "langchain-llmswitch[bench]") from error
    memory = {row["client"]: row["kib_per_stream"] for row in ceiling.get("memory") or []}
    panels = [("requests/s", "requests_per_s"), ("streamed tokens/s", "tokens_per_s")]
    figure, axes = plt.subplots(1, len(panels), figsize=(10.4, 4.2), squeeze=False)
    clients = list(dict.fromkeys(row["client"] for row in ceiling["rows"]))
    for axis, (title, key) in zip(axes[0], panels, strict=True):
        for index, client in enumerate(clients):
            rows = sorted(
                (row for row in ceiling["rows"] if row["client"] == client and not row["errors"]),
                key=lambda row: row["concurrency"],
            )
            label = client
            if client in memory:
                label += f" ({memory[client]:.0f} KiB/open stream)"
            axis.plot(
                [row["concurrency"] for row in rows],
                [row[key] for row in rows],
                marker="o",
                color=f"C{index}",
                label=label,
            )
        levels = sorted({int(row["concurrency"]) for row in ceiling["rows"]})
        axis.set_xscale("log", base=2)
        axis.set_xticks(levels, [str(level) for level in levels])
        axis.set_xlabel("streams in flight")
        axis.set_title(title, fontsize=10)
        axis.grid(visible=True, alpha=0.3)
        axis.set_ylim(bottom=0)
    axes[0][0].legend(fontsize=7, loc="best")
    tokens = ceiling.get("tokens_per_answer")
    figure.suptitle(
        f"one client process against the instant stub ({tokens}-token streamed answers)",
        fontsize=10,
    )
    figure.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110)
    plt.close(figure)
    return out
