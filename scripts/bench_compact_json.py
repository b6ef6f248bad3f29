"""Structured output on llama.cpp: the package's compact grammar vs llama.cpp's own conversion.

Both modes run in the same process against the configured chat server (``LLM_*`` variables;
it must be llama-server), in pairs with the same seed, for two schemas of the examples: the
RAG service's question analysis and the mission summary. Printed per schema and mode:
answers that did not match (cut at ``max_tokens``, invalid), median and largest completion
tokens, median latency; then the ratios compact / server.

Run::

    LLM_PROVIDER=openai LLM_BASE_URL=http://127.0.0.1:8080/v1 \\
        python scripts/bench_compact_json.py [--pairs 100]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the examples/ folder

from pydantic import BaseModel

from examples.mission_summary import SAMPLE_DEBRIEF, MissionAnalysis
from examples.mission_summary import SYSTEM as MISSION_SYSTEM
from examples.rag_service import ANALYSIS_SYSTEM, QuestionAnalysis
from langchain_llmswitch import get_chat_model

Messages = list[tuple[str, str]]
RAG_QUESTION: Messages = [("system", ANALYSIS_SYSTEM), ("human", "What do cats drink?")]
MISSION: Messages = [("system", MISSION_SYSTEM), ("human", SAMPLE_DEBRIEF)]
CASES: list[tuple[str, type[BaseModel], Messages, int]] = [
    ("rag analysis", QuestionAnalysis, RAG_QUESTION, 96),
    ("mission summary", MissionAnalysis, MISSION, 320),
]
MODES = {"server": False, "compact": True}


def run_once(
    schema: type[BaseModel], messages: Messages, max_tokens: int, seed: int, *, compact: bool
) -> tuple[bool, int, float]:
    """One structured call: whether it matched, its completion tokens, its seconds."""
    chat = get_chat_model(max_tokens=max_tokens, seed=seed)
    runnable = chat.with_structured_output(schema, include_raw=True, compact_json=compact)
    start = time.perf_counter()
    result = cast("dict[str, Any]", runnable.invoke(messages))  # include_raw: a dict
    seconds = time.perf_counter() - start
    usage = getattr(result["raw"], "usage_metadata", None) or {}
    return result["parsing_error"] is None, int(usage.get("output_tokens", 0)), seconds


def main() -> None:
    """Run the pairs and print the table and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100, help="pairs per schema (default 100)")
    args = parser.parse_args()
    for name, schema, messages, max_tokens in CASES:
        runs: dict[str, list[tuple[bool, int, float]]] = {mode: [] for mode in MODES}
        for seed in range(args.pairs):
            order = list(MODES.items()) if seed % 2 == 0 else list(MODES.items())[::-1]
            for mode, compact in order:
                runs[mode].append(run_once(schema, messages, max_tokens, seed, compact=compact))
        medians = {}
        for mode, results in runs.items():
            failed = sum(not ok for ok, _, _ in results)
            tokens = [count for _, count, _ in results]
            seconds = statistics.median(s for _, _, s in results)
            medians[mode] = (statistics.median(tokens), seconds)
            print(
                f"{name:16} {mode:8} failed {failed}/{len(results)}  tokens median "
                f"{statistics.median(tokens):5.1f} max {max(tokens):4d}  latency median "
                f"{seconds * 1000:6.0f} ms"
            )
        tokens_ratio = medians["compact"][0] / medians["server"][0]
        latency_ratio = medians["compact"][1] / medians["server"][1]
        print(f"{name:16} compact/server: tokens {tokens_ratio:.2f}x, latency {latency_ratio:.2f}x")


if __name__ == "__main__":
    main()
