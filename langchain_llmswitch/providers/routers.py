"""Routers that may stand in front of a provider's replicas, and how each one is read.

A router is not a provider: it forwards the OpenAI API of its replicas (vLLM or
llama-server) unchanged, so the provider stays what the replicas are. What differs is
readiness: behind a router the replicas' health probe answers for the whole pool. vLLM's
Rust router (``vllm-router`` on PyPI; production-stack and llm-d front vLLM otherwise) answers
``/health`` with 503 as soon as ONE worker is down, while it still serves from the
others; its ``/readiness`` answers 200 while one worker is healthy, with the counts, and
``/workers`` lists them. A provider spec names the routers that may front it
(``ProviderSpec.routers``); readiness and ``llmswitch check`` ask for those and use the
first that answers in its own shape (`langchain_llmswitch.server_info.router_status`).

Adding a router is one `RouterSpec` in `ROUTERS` and its name in the provider specs.

Example:
    >>> ROUTERS["vllm-router"].identify({"healthy_workers": 1, "total_workers": 2})
    True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

__all__ = ["ROUTERS", "RouterSpec", "Worker"]


@dataclass(frozen=True, slots=True)
class Worker:
    """One replica a router lists.

    Attributes:
        url: Its root URL, as the router reaches it.
        healthy: Whether the router sends it requests now.
    """

    url: str
    healthy: bool


@dataclass(frozen=True, slots=True)
class RouterSpec:
    """How one kind of router is recognised and read.

    Attributes:
        name: The router's name, for messages and ``llmswitch check``.
        readiness_path: A path of the router's root that answers 200 while it can serve
            (one healthy worker is enough) and a non-200 status when it cannot.
        identify: Whether the decoded JSON of ``readiness_path`` comes from this router
            (any status: a router with no healthy worker answers too).
        counts: ``(healthy, total)`` workers from that JSON.
        workers_path: The path that lists the workers, or None.
        parse_workers: Reads the JSON of ``workers_path``.
    """

    name: str
    readiness_path: str
    identify: Callable[[Any], bool]
    counts: Callable[[Any], tuple[int, int]]
    workers_path: str | None = None
    parse_workers: Callable[[Any], tuple[Worker, ...]] = lambda _payload: ()


def _vllm_router_identify(payload: Any) -> bool:
    return isinstance(payload, dict) and {"healthy_workers", "total_workers"} <= payload.keys()


def _vllm_router_counts(payload: Any) -> tuple[int, int]:
    return int(payload["healthy_workers"]), int(payload["total_workers"])


def _vllm_router_workers(payload: Any) -> tuple[Worker, ...]:
    items = payload.get("workers") if isinstance(payload, dict) else None
    return tuple(
        Worker(url=str(item["url"]), healthy=bool(item.get("is_healthy", True)))
        for item in items or []
        if isinstance(item, dict) and "url" in item
    )


ROUTERS: MappingProxyType[str, RouterSpec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            RouterSpec(
                name="vllm-router",
                readiness_path="/readiness",
                identify=_vllm_router_identify,
                counts=_vllm_router_counts,
                workers_path="/workers",
                parse_workers=_vllm_router_workers,
            ),
        )
    }
)
"""Every router the package recognises, by name."""
