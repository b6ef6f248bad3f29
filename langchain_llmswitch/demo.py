"""``llmswitch demo``: the package's main job on whatever provider is configured.

Runs a small RAG chain over documents that ship with the package, then a note summary
with a short title, and prints which provider, model and URL served each step, with
tokens and timings. The code never names a provider: only the environment does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from langchain_llmswitch.factory import get_chat_model, get_embeddings, resolve_endpoint

__all__ = ["DOCUMENTS", "StepReport", "run_demo"]

DOCUMENTS: tuple[tuple[str, str], ...] = (
    ("ollama", "Ollama runs models locally on CPU or GPU and loads a model on first request."),
    ("vllm", "vLLM serves one model per process with continuous batching and paged attention."),
    ("llamacpp", "llama.cpp's llama-server runs GGUF models with several parallel slots."),
    ("switch", "langchain-llmswitch moves chains between servers by environment variables."),
    ("bread", "Bread is baked from flour, water, salt and yeast."),
)

NOTE = (
    "Meeting notes: the team agreed to move the RAG service from Ollama to vLLM next week. "
    "Vision OCR stays on Ollama. Rollback is by environment variable. Benchmarks showed "
    "higher throughput with continuous batching; latency p99 must stay under two seconds."
)


@dataclass(frozen=True)
class StepReport:
    """What one step of the demo did."""

    step: str
    provider: str
    model: str
    base_url: str
    seconds: float
    input_tokens: int | None
    output_tokens: int | None
    output: str


def _usage(message: Any) -> tuple[int | None, int | None]:  # noqa: ANN401 - an AIMessage
    usage = getattr(message, "usage_metadata", None) or {}
    return usage.get("input_tokens"), usage.get("output_tokens")


def _rag(question: str, max_tokens: int) -> StepReport:
    from langchain_core.vectorstores import InMemoryVectorStore  # noqa: PLC0415

    start = time.perf_counter()
    store = InMemoryVectorStore(get_embeddings())
    store.add_texts([text for _, text in DOCUMENTS], ids=[key for key, _ in DOCUMENTS])
    found = store.similarity_search(question, k=2)
    context = "\n".join(doc.page_content for doc in found)
    chat = get_chat_model(max_tokens=max_tokens, temperature=0)
    reply = chat.invoke(
        [
            ("system", f"Answer in one sentence from this context only:\n{context}"),
            ("human", question),
        ]
    )
    endpoint = resolve_endpoint("chat")
    tokens_in, tokens_out = _usage(reply)
    sources = ", ".join(str(doc.id) for doc in found)
    return StepReport(
        step=f"rag (retrieved: {sources})",
        provider=endpoint.provider,
        model=endpoint.model,
        base_url=endpoint.base_url,
        seconds=time.perf_counter() - start,
        input_tokens=tokens_in,
        output_tokens=tokens_out,
        output=str(reply.content).strip(),
    )


def _summary(max_tokens: int) -> StepReport:
    start = time.perf_counter()
    chat = get_chat_model(max_tokens=max_tokens, temperature=0)
    reply = chat.invoke([("system", "Summarise the note in two sentences."), ("human", NOTE)])
    endpoint = resolve_endpoint("chat")
    tokens_in, tokens_out = _usage(reply)
    return StepReport(
        step="note summary",
        provider=endpoint.provider,
        model=endpoint.model,
        base_url=endpoint.base_url,
        seconds=time.perf_counter() - start,
        input_tokens=tokens_in,
        output_tokens=tokens_out,
        output=str(reply.content).strip(),
    )


def run_demo(max_tokens: int = 48) -> list[StepReport]:
    """Run every step of the demo and return what each did.

    Args:
        max_tokens: Token limit of each generation.

    Returns:
        One report per step.

    Example:
        >>> reports = run_demo()  # doctest: +SKIP
    """
    return [_rag("How does vLLM serve models?", max_tokens), _summary(max_tokens)]


def print_reports(reports: list[StepReport]) -> None:
    """Print the reports for a person."""
    for report in reports:
        print(f"== {report.step}")
        print(f"   served by {report.provider} / {report.model} at {report.base_url}")
        print(
            f"   {report.seconds:.2f} s, tokens in {report.input_tokens}, "
            f"out {report.output_tokens}"
        )
        print(f"   -> {report.output}")
