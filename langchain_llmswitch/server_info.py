"""What a server says about itself: served models, their context length, which server it is.

The one reader of model listings (``GET /models``, Ollama's ``/api/tags``): readiness,
``llmswitch check``, `check_vision`, the ``num_ctx`` check (a setting only vLLM and
llama.cpp apply, at start) and the llama.cpp probe of `SwitchChatOpenAI` all parse
them with `parse_models`. `router_status` tells whether a router of the table in
`langchain_llmswitch.providers.routers` stands at a URL, and how many of its workers
are healthy. `forget` clears the answers kept here.

Example:
    >>> parse_models({"data": [{"id": "m", "max_model_len": 2048}]})
    [ServedModel(id='m', context_length=2048)]
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from langchain_llmswitch import urls
from langchain_llmswitch.providers import PROVIDERS
from langchain_llmswitch.providers.base import Endpoint
from langchain_llmswitch.providers.routers import ROUTERS, RouterSpec, Worker

if TYPE_CHECKING:
    import httpx

__all__ = [
    "RouterStatus",
    "ServedModel",
    "fetch_models",
    "forget",
    "get_listing",
    "listed_context",
    "llamacpp_props",
    "ollama_show",
    "parse_models",
    "router_status",
    "serves_llamacpp",
    "warn_if_context_too_small",
]

logger = logging.getLogger(__name__)

_PROBE_TIMEOUT = 2.0


@dataclass(frozen=True, slots=True)
class ServedModel:
    """One model a server lists.

    Attributes:
        id: The name a request must send.
        context_length: The server's context limit for it, where the server says.
        owned_by: The ``owned_by`` of an OpenAI-style listing (llama.cpp: ``llamacpp``).
        aliases: Other names the server accepts for it (llama.cpp's ``aliases``).
        input_modalities: What it reads, where the server says (llama.cpp's
            ``architecture.input_modalities``, e.g. ``["text", "image"]``); None: not said.
    """

    id: str
    context_length: int | None
    owned_by: str = field(default="", compare=False, repr=False)
    aliases: tuple[str, ...] = field(default=(), compare=False, repr=False)
    input_modalities: tuple[str, ...] | None = field(default=None, compare=False, repr=False)


def parse_models(payload: Any) -> list[ServedModel]:
    """Read an OpenAI-style ``/v1/models`` answer (vLLM, llama.cpp) or Ollama ``/api/tags``.

    Args:
        payload: The decoded JSON.

    Returns:
        The models, with context length from vLLM's ``max_model_len`` or llama.cpp's
        ``meta.n_ctx`` / ``meta.n_ctx_train`` when present.
    """
    models: list[ServedModel] = []
    if not isinstance(payload, dict):
        return models
    for item in payload.get("data") or payload.get("models") or []:
        if not isinstance(item, dict):
            continue
        name = item.get("id") or item.get("name") or item.get("model")
        if not name:
            continue
        context = item.get("max_model_len")
        meta = item.get("meta")
        if context is None and isinstance(meta, dict):
            context = meta.get("n_ctx") or meta.get("n_ctx_train")
        architecture = item.get("architecture")
        modalities = (
            architecture.get("input_modalities") if isinstance(architecture, dict) else None
        )
        aliases = item.get("aliases")
        models.append(
            ServedModel(
                str(name),
                int(context) if context else None,
                owned_by=str(item.get("owned_by") or ""),
                aliases=tuple(map(str, aliases)) if isinstance(aliases, list) else (),
                input_modalities=(
                    tuple(map(str, modalities)) if isinstance(modalities, list) else None
                ),
            )
        )
    return models


def fetch_models(endpoint: Endpoint, timeout: float = _PROBE_TIMEOUT) -> list[ServedModel]:
    """Ask the endpoint's server which models it serves.

    Args:
        endpoint: The resolved endpoint.
        timeout: Seconds to wait.

    Returns:
        The served models.

    Raises:
        httpx.HTTPError: The server could not be reached or answered an error.
    """
    spec = PROVIDERS[endpoint.provider]
    key = None
    if spec.protocol == "openai":
        key = endpoint.api_key.get_secret_value() if endpoint.api_key else "EMPTY"
    response = get_listing(f"{endpoint.base_url}{spec.models_path}", key, timeout)
    response.raise_for_status()
    return parse_models(response.json())


def get_listing(url: str, api_key: str | None, timeout: float = _PROBE_TIMEOUT) -> httpx.Response:
    """``GET`` a model listing (``/v1/models``, ``/api/tags``); `parse_models` reads it.

    Args:
        url: The listing's URL.
        api_key: The Bearer key (OpenAI protocol), or None to send no ``Authorization``.
        timeout: Seconds to wait.

    Raises:
        httpx.HTTPError: The server could not be reached.
    """
    import httpx  # noqa: PLC0415 - only when a server is asked

    headers = {"Authorization": f"Bearer {api_key}"} if api_key is not None else {}
    return httpx.get(url, headers=headers, timeout=timeout)


@lru_cache(maxsize=64)
def _served_context(endpoint: Endpoint) -> int | None:
    try:
        models = fetch_models(endpoint)
    except Exception as error:  # noqa: BLE001 - a check that must never break model building
        logger.debug(
            "could not read %s/models: %s", urls.masked(endpoint.base_url), type(error).__name__
        )
        return None
    for model in models:
        if model.id == endpoint.model:
            return model.context_length
    return None


def warn_if_context_too_small(endpoint: Endpoint) -> bool:
    """Warn when the configured ``num_ctx`` is larger than the server's context.

    vLLM and llama.cpp fix the context when they start; the configured value cannot be
    applied, only compared. The server is asked once per process (2 s at most).

    Args:
        endpoint: An endpoint whose sampling has ``num_ctx`` set.

    Returns:
        Whether a warning was given.
    """
    wanted = endpoint.sampling.num_ctx
    served = _served_context(endpoint)
    if wanted is None or served is None or wanted <= served:
        return False
    msg = (
        f"LLM_NUM_CTX={wanted} cannot be applied by {endpoint.provider}: the server at "
        f"{urls.masked(endpoint.base_url)} serves {endpoint.model!r} with a context of "
        f"{served} tokens, "
        "set when it started (vLLM --max-model-len, llama.cpp -c). Prompts plus output "
        f"longer than {served} tokens will be rejected."
    )
    warnings.warn(msg, UserWarning, stacklevel=4)
    logger.warning(msg)
    return True


_LLAMACPP_OWNER = "llamacpp"
_llamacpp: dict[str, bool] = {}


def serves_llamacpp(base_url: str, list_owners: Callable[[], Iterable[str]]) -> bool:
    """Whether the OpenAI-compatible server at ``base_url`` is llama.cpp's ``llama-server``.

    llama-server lists its models as ``owned_by: "llamacpp"``. The answer is kept for the
    process; a server that cannot be asked counts as not llama.cpp and is asked again the
    next time.

    Args:
        base_url: The server's OpenAI base URL (``.../v1``), the key of the answer.
        list_owners: Asks the server (``GET /models``) for its models' ``owned_by``.
    """
    known = _llamacpp.get(base_url)
    if known is not None:
        return known
    try:
        found = _LLAMACPP_OWNER in list(list_owners())
    except Exception as error:  # noqa: BLE001 - a probe that must never break a request
        logger.debug("could not read %s/models: %s", base_url, type(error).__name__)
        return False
    _llamacpp[base_url] = found
    return found


@dataclass(frozen=True, slots=True)
class RouterStatus:
    """What a router in front of replicas says about itself.

    Attributes:
        name: The router (a `RouterSpec` name, e.g. ``vllm-router``).
        ready: Its readiness path answered 200: it can serve (one healthy worker is enough).
        status_code: The HTTP status of that answer.
        healthy_workers: Workers it sends requests to now.
        total_workers: Workers it knows.
        workers: The workers it lists, where it lists them.
    """

    name: str
    ready: bool
    status_code: int
    healthy_workers: int
    total_workers: int
    workers: tuple[Worker, ...] = ()


_not_routers: set[str] = set()


def router_status(
    root: str, routers: Iterable[str], timeout: float = _PROBE_TIMEOUT
) -> RouterStatus | None:
    """Ask the server at ``root`` whether it is one of ``routers``, and how its workers are.

    Each router is asked on its readiness path; the first that answers in its own shape
    is the one. A server that answers none of them is remembered as no
    router for the process (one extra request per server, not per probe); one that
    cannot be reached is asked again next time.

    Args:
        root: The server's root URL (without ``/v1``).
        routers: Names of `ROUTERS` to ask for (a provider's ``routers``).
        timeout: Seconds for each request.

    Returns:
        The router's status, or None when none of them answers there.
    """
    names = tuple(routers)
    if not names or root in _not_routers:
        return None
    answered = False
    for spec in (ROUTERS[name] for name in names):
        reached, found = _ask_router(spec, root, timeout)
        if found is not None:
            return found
        answered = answered or reached
    if answered:
        _not_routers.add(root)
    return None


def _ask_router(spec: RouterSpec, root: str, timeout: float) -> tuple[bool, RouterStatus | None]:
    """Return (whether the server answered, its status if it is this router)."""
    import httpx  # noqa: PLC0415 - only when a server is asked

    try:
        response = httpx.get(root + spec.readiness_path, timeout=timeout)
    except Exception:  # noqa: BLE001 - unreachable for whatever reason: asked again next time
        return False, None
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if not spec.identify(payload):
        return True, None
    healthy, total = spec.counts(payload)
    status = RouterStatus(
        name=spec.name,
        ready=response.status_code == 200,  # noqa: PLR2004
        status_code=response.status_code,
        healthy_workers=healthy,
        total_workers=total,
        workers=_router_workers(spec, root, timeout),
    )
    return True, status


def _router_workers(spec: RouterSpec, root: str, timeout: float) -> tuple[Worker, ...]:
    import httpx  # noqa: PLC0415 - only when a server is asked

    if spec.workers_path is None:
        return ()
    try:
        response = httpx.get(root + spec.workers_path, timeout=timeout)
        response.raise_for_status()
        return spec.parse_workers(response.json())
    except Exception:  # noqa: BLE001 - the counts still tell; the list is a detail
        return ()


def _get_json(
    url: str, api_key: str | None, body: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """One probe (2 s, no retries): the decoded JSON object, or None if there is none."""
    import httpx  # noqa: PLC0415 - only when a server is asked

    headers = {"Authorization": f"Bearer {api_key}"} if api_key is not None else {}
    try:
        if body is None:
            response = httpx.get(url, headers=headers, timeout=_PROBE_TIMEOUT)
        else:
            response = httpx.post(url, headers=headers, json=body, timeout=_PROBE_TIMEOUT)
        response.raise_for_status()
        payload = response.json()
    except Exception as error:  # noqa: BLE001 - a probe that must never break a request
        logger.debug("could not read %s: %s", url, type(error).__name__)
        return None
    return payload if isinstance(payload, dict) else None


_answers: dict[tuple[str, ...], dict[str, Any] | None] = {}


def llamacpp_props(base_url: str, api_key: str | None = None) -> dict[str, Any] | None:
    """llama-server's ``/props`` (chat template capabilities, per-slot ``n_ctx``), once.

    Args:
        base_url: The server's OpenAI base URL (``.../v1``) or its root.
        api_key: The Bearer key, if the server needs one.

    Returns:
        The decoded answer, or None when the server has no ``/props`` (not llama.cpp) or
        cannot be asked (then it is asked again next time).
    """
    root = base_url.removesuffix("/").removesuffix("/v1")
    key = ("props", root)
    if key not in _answers or _answers[key] is None:
        _answers[key] = _get_json(f"{root}/props", api_key)
    return _answers[key]


def ollama_show(root: str, model: str) -> dict[str, Any] | None:
    """Ollama's ``/api/show`` of a model (template, parameters, model_info), once.

    Args:
        root: The Ollama server root.
        model: The model tag.

    Returns:
        The decoded answer, or None when it cannot be read (asked again next time).
    """
    key = ("show", root, model)
    if key not in _answers or _answers[key] is None:
        _answers[key] = _get_json(f"{root}/api/show", None, {"model": model})
    return _answers[key]


def listed_context(base_url: str, model: str, api_key: str | None) -> int | None:
    """The context length ``GET /models`` gives for a model (vLLM ``max_model_len``), once.

    Args:
        base_url: The OpenAI base URL (``.../v1``).
        model: The model name.
        api_key: The Bearer key.
    """
    key = ("models", base_url)
    if key not in _answers or _answers[key] is None:
        _answers[key] = _get_json(f"{base_url}/models", api_key)
    for served in parse_models(_answers[key]):
        if model in (served.id, *served.aliases):
            return served.context_length
    return None


def forget() -> None:
    """Forget every server answer (the next check asks again)."""
    _served_context.cache_clear()
    _llamacpp.clear()
    _not_routers.clear()
    _answers.clear()
