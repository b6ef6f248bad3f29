"""``llmswitch demo``: the package's main job on whatever provider is configured.

Runs a small RAG chain over documents that ship with the package, a note summary, a title
for the note constrained by a regex (enforced by the server: GBNF on llama.cpp, structured
outputs on vLLM, ``format`` on Ollama), and, when a vision model is configured, an OCR
step on an image that ships with the package. For each step it prints which provider,
model and URL served it, the tokens and the time. The code never names a provider: only
the environment does, and with nothing configured that is the embedded llama.cpp server.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_llmswitch.cli.check import configured_capabilities
from langchain_llmswitch.config import load_settings
from langchain_llmswitch.factory import (
    get_chat_model,
    get_embeddings,
    get_vision_model,
)
from langchain_llmswitch.resolution import resolve_endpoint
from langchain_llmswitch.structured import constrained
from langchain_llmswitch.vision.ocr import ocr_text

__all__ = ["DOCUMENTS", "IMAGE", "NOTE", "TITLE_REGEX", "StepReport", "print_reports", "run_demo"]

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

TITLE_REGEX = r"[A-Z][a-z ]{10,60}"
"""The title's shape: a capital, then 10 to 60 lower-case letters or spaces."""

IMAGE = Path(__file__).resolve().parents[1] / "data" / "invoice.png"
"""A small scanned-looking invoice (three printed lines) for the OCR step."""


@dataclass(frozen=True)
class StepReport:
    """What one step of the demo did.

    Attributes:
        step: The step's name (and what it retrieved, for RAG).
        provider: The provider that served it.
        model: The model name the server answered to.
        base_url: The server's URL.
        seconds: Wall time of the step.
        input_tokens: Prompt tokens the server reported (all calls of the step).
        output_tokens: Generated tokens the server reported.
        output: The answer, or the error when the step failed.
        ok: Whether the step succeeded.
    """

    step: str
    provider: str
    model: str
    base_url: str
    seconds: float
    input_tokens: int | None
    output_tokens: int | None
    output: str
    ok: bool = True


def _served_by(model: Any, capability: str) -> tuple[str, str, str]:
    """(provider, model, URL) of a built model: the URL of a started server, not a setting."""
    provider = getattr(model, "llmswitch_provider", None)
    if not isinstance(provider, str):
        provider = resolve_endpoint(capability).provider  # type: ignore[arg-type]
    name = getattr(model, "model_name", None) or getattr(model, "model", None) or "?"
    url = getattr(model, "openai_api_base", None) or getattr(model, "base_url", None) or "?"
    return provider, str(name), str(url)


def _run(step: str, capability: str, work: Callable[[], tuple[Any, str]]) -> tuple[StepReport, str]:
    """Run one step, collecting token usage from every model call inside it."""
    from langchain_core.callbacks import get_usage_metadata_callback  # noqa: PLC0415 - heavy

    start = time.perf_counter()
    with get_usage_metadata_callback() as usage:
        try:
            model, output = work()
        except Exception as error:  # noqa: BLE001 - a failed step is reported, the rest run
            try:
                endpoint = resolve_endpoint(capability)  # type: ignore[arg-type]
                where = (endpoint.provider, endpoint.model or "?", endpoint.base_url)
            except Exception:  # noqa: BLE001 - the configuration itself may be the failure
                where = ("?", "?", "?")
            report = StepReport(
                step, *where, time.perf_counter() - start, None, None,
                f"{type(error).__name__}: {error}", ok=False,
            )  # fmt: skip
            return report, ""
    seconds = time.perf_counter() - start
    totals = list(usage.usage_metadata.values())
    tokens_in = sum(item.get("input_tokens", 0) for item in totals) if totals else None
    tokens_out = sum(item.get("output_tokens", 0) for item in totals) if totals else None
    provider, name, url = _served_by(model, capability)
    report = StepReport(step, provider, name, url, seconds, tokens_in, tokens_out, output)
    return report, output


def _rag(question: str, max_tokens: int) -> tuple[Any, str]:
    from langchain_core.vectorstores import InMemoryVectorStore  # noqa: PLC0415

    embeddings = get_embeddings()
    store = InMemoryVectorStore(embeddings)
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
    sources = ", ".join(str(doc.id) for doc in found)
    _, embedder, embed_url = _served_by(embeddings, "embeddings")
    answer = str(reply.content).strip()
    return chat, f"[retrieved {sources} with {embedder} at {embed_url}] {answer}"


def _summary(max_tokens: int) -> tuple[Any, str]:
    chat = get_chat_model(max_tokens=max_tokens, temperature=0)
    reply = chat.invoke([("system", "Summarise the note in two sentences."), ("human", NOTE)])
    return chat, str(reply.content).strip()


def _title(max_tokens: int) -> tuple[Any, str]:

    chat = get_chat_model(max_tokens=max_tokens, temperature=0)
    title = constrained(chat, regex=TITLE_REGEX).invoke(
        [("system", "Write a short title for the note."), ("human", NOTE)]
    )
    return chat, str(title)


def _ocr(max_tokens: int) -> tuple[Any, str]:

    vision = get_vision_model(max_tokens=max_tokens, temperature=0)
    return vision, ocr_text(IMAGE, model=vision).strip()


def vision_configured() -> bool:
    """Whether any vision variable is set (``VISION_MODEL``, ``VISION_PROVIDER``, ...)."""
    return "vision" in configured_capabilities(load_settings())


def run_demo(max_tokens: int = 48) -> list[StepReport]:
    """Run every step of the demo and return what each did.

    Args:
        max_tokens: Token limit of each generation.

    Returns:
        One report per step (OCR only when a vision model is configured).

    Example:
        >>> reports = run_demo()  # doctest: +SKIP
        >>> [report.step for report in reports]  # doctest: +SKIP
        ['rag', 'note summary', 'title (regex)']
    """
    steps: list[tuple[str, str, Callable[[], tuple[Any, str]]]] = [
        ("rag", "chat", lambda: _rag("How does vLLM serve models?", max_tokens)),
        ("note summary", "chat", lambda: _summary(max_tokens)),
        ("title (regex)", "chat", lambda: _title(max_tokens)),
    ]
    if vision_configured():
        steps.append(("ocr", "vision", lambda: _ocr(max_tokens)))
    return [_run(name, capability, work)[0] for name, capability, work in steps]


def print_reports(reports: list[StepReport]) -> None:
    """Print the reports for a person.

    Args:
        reports: What `run_demo` returned.
    """
    for report in reports:
        print(f"== {report.step}{'' if report.ok else '  FAILED'}")
        print(f"   served by {report.provider} / {report.model} at {report.base_url}")
        print(
            f"   {report.seconds:.2f} s, tokens in {report.input_tokens}, "
            f"out {report.output_tokens}"
        )
        print(f"   -> {report.output}")
    if not any(report.step == "ocr" for report in reports):
        print("== ocr: skipped (no vision model configured: set VISION_PROVIDER/VISION_MODEL)")
