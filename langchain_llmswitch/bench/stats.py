"""The arithmetic of ``llmswitch bench``: percentiles, rates and per-level summaries.

Pure functions of recorded timings (seconds from ``time.perf_counter``), so they are tested
with fixed synthetic numbers.

Example:
    >>> percentile([1.0, 2.0, 3.0, 4.0], 50)
    2.5
    >>> timing = ChatTiming(start=0.0, end=1.0, first_token=0.2, token_times=(0.2, 0.6, 1.0),
    ...                     output_tokens=3)
    >>> summarize_chat([timing], wall_seconds=1.0)["requests_per_s"]
    1.0
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ChatTiming",
    "EmbeddingsTiming",
    "percentile",
    "rate",
    "summarize_chat",
    "summarize_embeddings",
]


def percentile(values: Sequence[float], q: float) -> float:
    """Return the q-th percentile, interpolating linearly between ranks (numpy's default).

    Args:
        values: The sample (any order); must not be empty.
        q: The percentile, 0 to 100.

    Returns:
        The percentile.

    Raises:
        ValueError: The sample is empty or q is outside 0..100.

    Example:
        >>> percentile([10.0, 20.0, 30.0], 99)
        29.8
    """
    if not values:
        msg = "percentile of an empty sample"
        raise ValueError(msg)
    if not 0 <= q <= 100:  # noqa: PLR2004 - percent bounds
        msg = f"percentile q must be within 0..100, not {q}"
        raise ValueError(msg)
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    fraction = position - low
    return ordered[low] + (ordered[high] - ordered[low]) * fraction


def rate(count: float, seconds: float) -> float:
    """Return ``count / seconds``, or 0 when no time passed.

    Args:
        count: Requests, tokens or texts.
        seconds: Wall time.

    Example:
        >>> rate(10, 4.0)
        2.5
    """
    return count / seconds if seconds > 0 else 0.0


@dataclass(frozen=True, slots=True)
class ChatTiming:
    """One chat request as the client saw it (``perf_counter`` seconds).

    Attributes:
        start: When the request was sent.
        end: When the answer (or the error) was complete.
        first_token: When the first chunk with text arrived; None if none did.
        token_times: When each chunk with text arrived.
        output_tokens: Tokens the server reported generating (usage), 0 if unknown.
        error: The error's type and message, None on success.
    """

    start: float
    end: float
    first_token: float | None = None
    token_times: tuple[float, ...] = ()
    output_tokens: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class EmbeddingsTiming:
    """One embeddings run (all texts) as the client saw it.

    Attributes:
        start: When the first request was sent.
        end: When the last vector arrived.
        texts: Texts embedded.
        tokens: Input tokens the server counted (0 if unknown).
        error: The error's type and message, None on success.
    """

    start: float
    end: float
    texts: int
    tokens: int = 0
    error: str | None = None


def _ms(value: float) -> float:
    return round(value * 1000, 3)


def _distribution(values: Sequence[float]) -> dict[str, float | None]:
    """mean, p50 and p99 in milliseconds (None for an empty sample)."""
    if not values:
        return {"mean": None, "p50": None, "p99": None}
    return {
        "mean": _ms(statistics.fmean(values)),
        "p50": _ms(percentile(values, 50)),
        "p99": _ms(percentile(values, 99)),
    }


def summarize_chat(timings: Sequence[ChatTiming], wall_seconds: float) -> dict[str, Any]:
    """Summarise the requests of one concurrency level.

    Rates count successful requests only, over the wall time of the whole level.
    Time to first token (TTFT) and end-to-end latency (E2E) are per successful request;
    inter-token latency (ITL) is every gap between consecutive text chunks.

    Args:
        timings: One per request.
        wall_seconds: From the first request sent to the last answer complete.

    Returns:
        ``requests``, ``errors``, ``wall_s``, ``requests_per_s``, ``output_tokens``,
        ``output_tokens_per_s``, and ``ttft_ms``, ``e2e_ms``, ``itl_ms`` as
        ``{"mean", "p50", "p99"}`` in milliseconds.

    Example:
        >>> ok = ChatTiming(start=0.0, end=2.0, first_token=0.5, token_times=(0.5, 2.0),
        ...                 output_tokens=2)
        >>> summary = summarize_chat([ok, ChatTiming(0.0, 0.1, error="boom")], 2.0)
        >>> (summary["errors"], summary["output_tokens_per_s"], summary["itl_ms"]["p50"])
        (1, 1.0, 1500.0)
    """
    ok = [timing for timing in timings if timing.error is None]
    gaps = [
        later - earlier
        for timing in ok
        for earlier, later in zip(timing.token_times, timing.token_times[1:], strict=False)
    ]
    output_tokens = sum(timing.output_tokens for timing in ok)
    return {
        "requests": len(ok),
        "errors": len(timings) - len(ok),
        "wall_s": round(wall_seconds, 4),
        "requests_per_s": round(rate(len(ok), wall_seconds), 4),
        "output_tokens": output_tokens,
        "output_tokens_per_s": round(rate(output_tokens, wall_seconds), 3),
        "ttft_ms": _distribution(
            [t.first_token - t.start for t in ok if t.first_token is not None]
        ),
        "e2e_ms": _distribution([t.end - t.start for t in ok]),
        "itl_ms": _distribution(gaps),
    }


def summarize_embeddings(timing: EmbeddingsTiming) -> dict[str, Any]:
    """Summarise one embeddings run.

    Args:
        timing: The run.

    Returns:
        ``texts``, ``tokens``, ``errors`` (0 or 1), ``wall_s``, ``texts_per_s``,
        ``tokens_per_s`` (rates are 0 for a failed run).

    Example:
        >>> summarize_embeddings(EmbeddingsTiming(0.0, 2.0, texts=100, tokens=700))["texts_per_s"]
        50.0
    """
    wall = timing.end - timing.start
    failed = timing.error is not None
    return {
        "texts": timing.texts,
        "tokens": timing.tokens,
        "errors": int(failed),
        "wall_s": round(wall, 4),
        "texts_per_s": 0.0 if failed else round(rate(timing.texts, wall), 3),
        "tokens_per_s": 0.0 if failed else round(rate(timing.tokens, wall), 3),
    }
