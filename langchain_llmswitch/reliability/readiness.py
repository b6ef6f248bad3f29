"""Is the server ready, and which model does it serve?

- vLLM: ``/health`` answers 200 only after the model is loaded (seconds to minutes after
  the process starts), and ``/v1/models`` must list the served model;
- other OpenAI-compatible servers: ``/v1/models`` lists the model;
- Ollama: ``/api/version`` answers and ``/api/tags`` lists the model (Ollama loads it on
  the first request; ``keep_alive`` decides how long it stays);
- a router in front of replicas (`langchain_llmswitch.providers.routers`): its own
  readiness path replaces the provider's health path, which a router answers for the
  whole pool (vllm-router's ``/health`` is 503 while one worker of several is down);
  the model list is the router's, forwarded from a worker.

`wait_until_ready` polls these with a bound; `discover_model` picks the model when the
configuration names none and the server serves exactly one.

Example:
    >>> wait_until_ready("chat", timeout=120)  # doctest: +SKIP
    Endpoint(capability='chat', provider='vllm', ...)
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any

from langchain_llmswitch import urls
from langchain_llmswitch.errors import ConfigurationError, ProviderUnavailableError
from langchain_llmswitch.providers import PROVIDERS
from langchain_llmswitch.providers.base import Capability, Endpoint
from langchain_llmswitch.resolution import model_variables, resolve_endpoint
from langchain_llmswitch.server_info import RouterStatus, ServedModel, fetch_models, router_status

__all__ = ["Probe", "discover_model", "probe", "wait_for", "wait_until_ready"]

_POLL_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class Probe:
    """What one readiness check found.

    Attributes:
        ready: The server answers and serves the configured model.
        reachable: The server answered at all.
        reason: Why it is not ready (empty when ready).
        models: The models it serves.
        seconds: How long the check took.
        router: The router found in front of the replicas, with its workers; None when
            the URL is a server itself.
    """

    ready: bool
    reachable: bool
    reason: str
    models: tuple[ServedModel, ...]
    seconds: float
    router: RouterStatus | None = None


def _root(endpoint: Endpoint) -> str:
    url = endpoint.base_url
    return url[: -len("/v1")] if url.endswith("/v1") else url


def model_is_served(model: str, served: list[ServedModel] | tuple[ServedModel, ...]) -> bool:
    """Whether a configured model name is among the served ones (``llama3`` = ``llama3:latest``).

    Args:
        model: The configured name.
        served: What the server lists.
    """
    names = {item.id for item in served}
    return model in names or f"{model}:latest" in names


def _failed(
    reason: str, start: float, *, reachable: bool, router: RouterStatus | None = None
) -> Probe:
    return Probe(
        ready=False,
        reachable=reachable,
        reason=reason,
        models=(),
        seconds=time.perf_counter() - start,
        router=router,
    )


def _router_reason(router: RouterStatus) -> str:
    return (
        f"the {router.name} in front answered HTTP {router.status_code}: "
        f"{router.healthy_workers} of {router.total_workers} workers healthy"
    )


def probe(endpoint: Endpoint, timeout: float = 2.0) -> Probe:
    """Check an endpoint's server once.

    Args:
        endpoint: The resolved endpoint.
        timeout: Seconds for each HTTP request.

    Returns:
        What was found; never raises for an unreachable server.
    """
    import httpx  # noqa: PLC0415 - only when a server is asked

    start = time.perf_counter()
    spec = PROVIDERS[endpoint.provider]
    router = router_status(_root(endpoint), spec.routers, timeout=timeout)
    if router is not None and not router.ready:
        return _failed(_router_reason(router), start, reachable=True, router=router)
    health = spec.health_path if router is None else None  # a router answered for the pool
    try:
        if health is not None:
            response = httpx.get(_root(endpoint) + health, timeout=timeout)
            if response.status_code != 200:  # noqa: PLR2004
                reason = f"{health} answered HTTP {response.status_code} (still loading?)"
                return _failed(reason, start, reachable=True)
        models = tuple(fetch_models(endpoint, timeout=timeout))
    except httpx.HTTPStatusError as error:
        reason = f"HTTP {error.response.status_code} from {error.request.url}"
        return _failed(reason, start, reachable=True, router=router)
    except Exception as error:  # noqa: BLE001 - a probe reports, it never raises
        return _failed(f"{type(error).__name__}: {error}", start, reachable=False, router=router)
    seconds = time.perf_counter() - start
    if endpoint.model and not model_is_served(endpoint.model, models):
        served = ", ".join(item.id for item in models) or "none"
        reason = f"model {endpoint.model!r} is not served (served: {served})"
        return Probe(
            ready=False,
            reachable=True,
            reason=reason,
            models=models,
            seconds=seconds,
            router=router,
        )
    return Probe(
        ready=True, reachable=True, reason="", models=models, seconds=seconds, router=router
    )


def wait_for(endpoint: Endpoint, timeout: float) -> Probe:
    """Poll an endpoint until it is ready.

    Args:
        endpoint: The resolved endpoint.
        timeout: Seconds to wait at most.

    Returns:
        The probe that found it ready.

    Raises:
        ProviderUnavailableError: Not ready within ``timeout``; says what was last seen.
    """
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        found = probe(endpoint, timeout=max(0.1, min(2.0, remaining)))
        if found.ready:
            return found
        if time.monotonic() + _POLL_SECONDS > deadline:
            msg = (
                f"{endpoint.provider} at {urls.masked(endpoint.base_url)} ({endpoint.capability}) "
                f"was not ready "
                f"within {timeout:g} s: {found.reason}"
            )
            raise ProviderUnavailableError(msg)
        time.sleep(_POLL_SECONDS)


def wait_until_ready(
    capability: Capability = "chat",
    timeout: float = 60.0,
    **overrides: Any,
) -> Endpoint:
    """Wait until the configured server of a capability is ready to answer.

    Args:
        capability: ``"chat"``, ``"embeddings"`` or ``"vision"``.
        timeout: Seconds to wait at most.
        **overrides: The same keywords the factory takes.

    Returns:
        The endpoint, with its model discovered if none was configured.

    Raises:
        ProviderUnavailableError: Not ready in time.
    """
    endpoint = resolve_endpoint(capability, **overrides)
    endpoint = PROVIDERS[endpoint.provider].prepared(endpoint)  # the embedded server, started
    deadline = time.monotonic() + timeout
    if not endpoint.model:
        while True:
            try:
                endpoint = discover_model(endpoint)
                break
            except ConfigurationError:
                if time.monotonic() + _POLL_SECONDS > deadline:
                    raise
                time.sleep(_POLL_SECONDS)
    wait_for(endpoint, max(0.0, deadline - time.monotonic()))
    return endpoint


def discover_model(endpoint: Endpoint) -> Endpoint:
    """Fill in the model when none is configured and the server serves exactly one.

    Args:
        endpoint: An endpoint whose ``model`` is empty.

    Returns:
        The endpoint with the served model.

    Raises:
        ConfigurationError: The server could not be asked, or serves none or several.
    """
    variables = model_variables(endpoint.provider, endpoint.capability)
    names, setting = " or ".join(variables), variables[0]
    try:
        served = fetch_models(endpoint)
    except Exception as error:  # noqa: BLE001 - whatever stops us asking, the advice is the same
        msg = (
            f"No {endpoint.capability} model is configured and {urls.masked(endpoint.base_url)} "
            "could not be "
            f"asked which it serves ({type(error).__name__}). Set {names}."
        )
        raise ConfigurationError(msg, setting=setting) from None
    if len(served) != 1:
        listed = ", ".join(item.id for item in served) or "none"
        msg = (
            f"No {endpoint.capability} model is configured and {urls.masked(endpoint.base_url)} "
            "serves "
            f"{len(served)} ({listed}): set {names} to one of them."
        )
        raise ConfigurationError(msg, setting=setting)
    origins = dict(endpoint.origins)
    origins["model"] = "discovered from the server"
    return dataclasses.replace(endpoint, model=served[0].id, origins=tuple(sorted(origins.items())))
