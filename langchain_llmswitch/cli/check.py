"""``llmswitch check``: is every configured server reachable, serving the model, answering?

For each capability (and each fallback in its chain): the resolved endpoint, reachable or
not, the served models, whether the configured model is among them, the context length,
and the latency of one tiny round trip (a one-token chat answer, or one embedding). The
exit code is non-zero on any failure, so the command serves as a container health check.
Behind a router (vllm-router) it also names the router and lists its workers, healthy
or not: one worker down is reported, not a failure, while the router still serves.

Example:
    $ llmswitch check --wait 120 --json
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any

from langchain_llmswitch import urls
from langchain_llmswitch.config import LLMSwitchSettings
from langchain_llmswitch.errors import LLMSwitchError
from langchain_llmswitch.providers import PROVIDERS
from langchain_llmswitch.providers.base import CAPABILITIES, Capability, Endpoint, Sampling
from langchain_llmswitch.reliability.readiness import discover_model, model_is_served, probe
from langchain_llmswitch.resolution import resolve, resolve_chain

__all__ = ["EndpointCheck", "configured_capabilities", "run_checks"]

_CONFIGURED_BY: dict[Capability, tuple[str, ...]] = {
    "chat": (),
    "embeddings": (
        "embeddings_provider",
        "embeddings_model",
        "embeddings_base_url",
        "ollama_embeddings_model",
        "vllm_embeddings_model",
        "vllm_embeddings_url",
    ),
    "vision": (
        "vision_provider",
        "vision_model",
        "vision_base_url",
        "ollama_vision_model",
        "vllm_vision_model",
        "vllm_vision_url",
    ),
}


@dataclass
class EndpointCheck:
    """The result of checking one endpoint."""

    capability: str
    role: str
    provider: str
    base_url: str
    model: str
    ok: bool = False
    reachable: bool = False
    model_served: bool = False
    served_models: list[str] = field(default_factory=list)
    context_length: int | None = None
    latency_seconds: float | None = None
    error: str = ""
    router: str = ""
    healthy_workers: int | None = None
    total_workers: int | None = None
    workers: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return dataclasses.asdict(self)


def configured_capabilities(settings: LLMSwitchSettings) -> list[Capability]:
    """Chat always; embeddings and vision when configured or served by the package.

    Configured: any of their variables is set. Served by the package: with none set, they
    resolve to a provider that runs its own server and serves them. The embedded default
    serves chat and embeddings with nothing configured, so both are checked; a chat server
    elsewhere is never assumed to serve embeddings (an OpenAI-compatible chat server often
    does not), and the embedded provider has no vision.

    Args:
        settings: The settings.
    """
    return [
        capability
        for capability in CAPABILITIES
        if capability == "chat"
        or any(getattr(settings, name) is not None for name in _CONFIGURED_BY[capability])
        or _served_by_the_package(settings, capability)
    ]


def _served_by_the_package(settings: LLMSwitchSettings, capability: Capability) -> bool:
    """Whether the capability resolves to a provider the package starts (``prepare``)."""
    try:
        endpoint = resolve(settings, capability)
    except LLMSwitchError:
        return False
    return PROVIDERS[endpoint.provider].prepare is not None


def _round_trip(endpoint: Endpoint) -> float:
    spec = PROVIDERS[endpoint.provider]
    start = time.perf_counter()
    if endpoint.capability == "embeddings":
        spec.build_embeddings(endpoint).embed_query("ping")
    else:
        tiny = dataclasses.replace(endpoint, sampling=Sampling(max_tokens=1, temperature=0.0))
        spec.build_chat(tiny).invoke("ping")
    return time.perf_counter() - start


def _check(endpoint: Endpoint, role: str, wait: float) -> EndpointCheck:
    try:
        endpoint = PROVIDERS[endpoint.provider].prepared(endpoint)  # starts an embedded server
    except LLMSwitchError as error:
        return EndpointCheck(
            capability=endpoint.capability,
            role=role,
            provider=endpoint.provider,
            base_url=urls.masked(endpoint.base_url),
            model=endpoint.model,
            error=urls.masked(str(error)),
        )
    result = EndpointCheck(
        capability=endpoint.capability,
        role=role,
        provider=endpoint.provider,
        base_url=urls.masked(endpoint.base_url),
        model=endpoint.model,
    )
    deadline = time.monotonic() + wait
    while True:
        found = probe(endpoint)
        if found.ready or time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    result.reachable = found.reachable
    result.served_models = [model.id for model in found.models]
    if found.router is not None:
        result.router = found.router.name
        result.healthy_workers = found.router.healthy_workers
        result.total_workers = found.router.total_workers
        result.workers = [dataclasses.asdict(worker) for worker in found.router.workers]
    if not found.ready:
        result.error = urls.masked(found.reason)
        return result
    try:
        if not endpoint.model:
            endpoint = discover_model(endpoint)
            result.model = endpoint.model
        result.model_served = model_is_served(endpoint.model, list(found.models))
        result.context_length = next(
            (m.context_length for m in found.models if m.id == endpoint.model), None
        )
        result.latency_seconds = _round_trip(endpoint)
    except Exception as error:  # noqa: BLE001 - every failure is reported, none is fatal here
        result.error = urls.masked(f"{type(error).__name__}: {error}")
        return result
    result.ok = result.model_served
    return result


def run_checks(
    settings: LLMSwitchSettings,
    capabilities: list[Capability] | None = None,
    wait: float = 0.0,
) -> list[EndpointCheck]:
    """Check every endpoint of the given capabilities (default: the configured ones).

    Args:
        settings: The settings.
        capabilities: Which capabilities; default `configured_capabilities`.
        wait: Seconds to wait for each server to become ready (cold starts).

    Returns:
        One result per endpoint, fallbacks included.
    """
    results: list[EndpointCheck] = []
    for capability in capabilities or configured_capabilities(settings):
        try:
            chain = resolve_chain(settings, capability)
        except LLMSwitchError as error:
            results.append(
                EndpointCheck(
                    capability=capability,
                    role="primary",
                    provider="?",
                    base_url="?",
                    model="?",
                    error=urls.masked(str(error)),
                )
            )
            continue
        for index, endpoint in enumerate(chain):
            role = "primary" if index == 0 else f"fallback {index}"
            results.append(_check(endpoint, role, wait))
    return results
