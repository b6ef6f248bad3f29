"""Benchmark the core's costs, as ratios against baselines measured in the same run.

1. Whole-process import time of ``import langchain_llmswitch`` vs
   ``import langchain_core.language_models`` (goal: ratio <= 1.2), and of the provider
   packages we must not import eagerly.
2. ``get_chat_model()`` called repeatedly with the same settings (goal: <= 1 ms a call) vs
   building a fresh ChatOllama / ChatOpenAI each time.

Run: ``python scripts/bench_core.py`` (medians of several runs; the machine is shared).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 9


def import_seconds(statement: str) -> float:
    """Median wall time of a fresh interpreter running one import (minus a bare start)."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def per_call_ms(function: object, calls: int = 2000) -> float:
    """Median over 5 rounds of the mean cost of one call, in milliseconds."""
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(calls):
            function()  # type: ignore[operator]
        rounds.append((time.perf_counter() - start) / calls * 1000)
    return statistics.median(rounds)


def main() -> None:
    bare = import_seconds("pass")
    ours = import_seconds("import langchain_llmswitch") - bare
    core = import_seconds("import langchain_core.language_models") - bare
    openai = import_seconds("import langchain_openai") - bare
    ollama = import_seconds("import langchain_ollama") - bare
    print(f"import langchain_llmswitch            {ours:7.3f} s")
    print(f"import langchain_core.language_models {core:7.3f} s")
    print(f"import langchain_openai               {openai:7.3f} s   (not imported by us)")
    print(f"import langchain_ollama               {ollama:7.3f} s   (not imported by us)")
    print(f"ratio ours / langchain_core           {ours / core:7.2f}   (goal <= 1.2)")

    from langchain_ollama import ChatOllama
    from langchain_openai import ChatOpenAI

    from langchain_llmswitch import get_chat_model

    ollama_kw = {"provider": "ollama", "model": "llama3.1:8b", "temperature": 0.3}
    vllm_kw = {"provider": "vllm", "model": "qwen", "temperature": 0.3}
    get_chat_model(**ollama_kw)
    get_chat_model(**vllm_kw)
    ours_ollama = per_call_ms(lambda: get_chat_model(**ollama_kw))
    ours_vllm = per_call_ms(lambda: get_chat_model(**vllm_kw))
    raw_ollama = per_call_ms(lambda: ChatOllama(model="llama3.1:8b", temperature=0.3), 50)
    raw_vllm = per_call_ms(
        lambda: ChatOpenAI(model="qwen", base_url="http://localhost:8000/v1", api_key="x"), 200
    )
    print(f"get_chat_model(ollama)  {ours_ollama:7.3f} ms/call  (goal <= 1 ms)")
    print(f"get_chat_model(vllm)    {ours_vllm:7.3f} ms/call  (goal <= 1 ms)")
    for label, raw, mine in (
        ("ChatOllama(...) fresh", raw_ollama, ours_ollama),
        ("ChatOpenAI(...) fresh", raw_vllm, ours_vllm),
    ):
        print(f"{label}   {raw:7.3f} ms/call  ours/raw {mine / raw:.3f}")


if __name__ == "__main__":
    main()
