"""The three factories: `get_chat_model`, `get_embeddings`, `get_vision_model`.

Each call reads the settings afresh (keywords > environment > ``.env`` > defaults),
resolves the capability's endpoint and returns a LangChain object for it. Objects are
built once per distinct endpoint and handed out as shallow copies, so repeated calls
are cheap and share the HTTP connection pools.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from langchain_llmswitch import keywords, replay, server_info
from langchain_llmswitch.errors import ProviderUnavailableError
from langchain_llmswitch.providers import PROVIDERS
from langchain_llmswitch.providers.base import Capability, Endpoint
from langchain_llmswitch.reliability import readiness
from langchain_llmswitch.resolution import (
    KEYWORD_ALIASES,
    resolve_chain,
    resolve_endpoint,
    settings_for,
    split_keywords,
)
from langchain_llmswitch.server_info import warn_if_context_too_small
from langchain_llmswitch.vision import images

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models import BaseChatModel

__all__ = [
    "KEYWORD_ALIASES",
    "built_endpoint",
    "clear_cache",
    "get_chat_model",
    "get_embeddings",
    "get_vision_model",
    "resolve_endpoint",
]

logger = logging.getLogger(__name__)


@lru_cache(maxsize=64)
def _build(kind: str, endpoint: Endpoint) -> Any:
    spec = PROVIDERS[endpoint.provider]
    if kind == "embeddings":
        return spec.build_embeddings(endpoint)
    model = spec.build_chat(endpoint)
    _check_context(endpoint)
    return model


@lru_cache(maxsize=64)
def _check_context(endpoint: Endpoint) -> None:
    """Warn, once per endpoint, when ``num_ctx`` exceeds what a server fixed at start."""
    spec = PROVIDERS[endpoint.provider]
    if endpoint.sampling.num_ctx is not None and spec.parameters["num_ctx"].where == "server":
        warn_if_context_too_small(endpoint)


def clear_cache() -> None:
    """Forget every built object and every server answer (new HTTP clients on the next call).

    The one place that clears them all: built models, discovered models, servers found
    ready, model listings and the llama.cpp probe (`server_info.forget`), and the answers
    of `check_vision` (`images.clear_checks`).
    """
    _build.cache_clear()
    _check_context.cache_clear()
    server_info.forget()
    images.clear_checks()
    _discovered.clear()
    _ready.clear()


_discovered: dict[Endpoint, Endpoint] = {}
_ready: set[Endpoint] = set()


def _prepared(chain: list[Endpoint], wait_ready: float | None) -> list[Endpoint]:
    """Start provider-run servers (embedded), wait for a cold primary, discover models.

    Runs when models are built, never when settings resolve. While cassettes replay
    (`langchain_llmswitch.replay`) there is no server to wait for.
    """
    chain = [PROVIDERS[endpoint.provider].prepared(endpoint) for endpoint in chain]
    if wait_ready and not replay.active() and chain[0] not in _ready:
        try:
            readiness.wait_for(chain[0], wait_ready)
            _ready.add(chain[0])
        except ProviderUnavailableError:
            if len(chain) == 1:
                raise
            logger.warning("%s not ready; the fallbacks will answer", chain[0].provider)
    prepared = []
    for endpoint in chain:
        if not endpoint.model:
            if endpoint not in _discovered:
                _discovered[endpoint] = readiness.discover_model(endpoint)
            endpoint = _discovered[endpoint]  # noqa: PLW2901 - replaced by the discovered one
        prepared.append(endpoint)
    return prepared


def built_endpoint(capability: Capability, **overrides: Any) -> Endpoint:
    """Return the endpoint a factory builds on, not the one the settings name.

    The embedded provider's server is started (its real URL and model name), and a model
    left unset is discovered, as the factories do: what an embedding space or a log line
    must name is the model that answers.

    Args:
        capability: ``"chat"``, ``"embeddings"`` or ``"vision"``.
        **overrides: The same keywords the factory takes.

    Returns:
        The prepared endpoint of the primary provider.
    """
    return _prepared([resolve_endpoint(capability, **overrides)], None)[0]


def _chain(kind: Capability, overrides: dict[str, Any]) -> Any:
    # langchain-core's model classes (~90 ms), not wanted by `import langchain_llmswitch`.
    from langchain_llmswitch.reliability.fallback import FallbackChatModel, FallbackEmbeddings  # noqa: PLC0415

    setting_keywords, others = split_keywords(kind, overrides)
    settings = settings_for(kind, setting_keywords)
    chain = _prepared(resolve_chain(settings, kind), settings.wait_ready)
    outer: dict[str, Any] = {}  # LangChain's own keywords, for the model the user calls
    if others and kind != "embeddings" and len(chain) > 1:
        standard = keywords.langchain_keywords()
        outer = {k: v for k, v in others.items() if k in standard}
        others = {k: v for k, v in others.items() if k not in standard}
    built = [_with_keywords(kind, endpoint, others) for endpoint in chain]
    if len(built) == 1:
        return built[0]
    providers = [endpoint.provider for endpoint in chain]
    if kind == "embeddings":
        return FallbackEmbeddings(embeddings=built, providers=providers)
    return FallbackChatModel(models=built, providers=providers, **outer)


def _with_keywords(kind: Capability, endpoint: Endpoint, extra: dict[str, Any]) -> Any:
    """The cached model of an endpoint, or a new one built with the user's own keywords."""
    if not extra:
        return _build(kind, endpoint).model_copy()
    spec = PROVIDERS[endpoint.provider]
    given = keywords.class_keywords(spec, kind, extra)
    if kind == "embeddings":
        return spec.build_embeddings(endpoint, given)
    _check_context(endpoint)
    return spec.build_chat(endpoint, given)


def get_chat_model(**overrides: Any) -> BaseChatModel:
    """Return the chat model the configuration names.

    Args:
        **overrides: Settings that win over the environment: ``provider``, ``base_url``,
            ``model``, ``api_key``, ``timeout``, ``max_retries``, ``temperature``,
            ``max_tokens`` (or ``num_predict``), ``top_p``, ``top_k``,
            ``repetition_penalty`` (or ``repeat_penalty``), ``seed``, ``stop``, ``num_ctx``;
            LangChain's own keywords (``callbacks``, ``tags``, ``metadata``, ...); and
            keywords of the provider's class (``extra_body``, ``keep_alive``, ...), taken,
            translated or refused as `langchain_llmswitch.keywords` says.

    Returns:
        A ChatOllama (provider ``ollama``) or ChatOpenAI (``vllm``, ``openai``): subclasses
        that add checked structured output and translate legacy ``guided_*`` fields.

    Raises:
        ConfigurationError: A setting is invalid or missing.
        MissingDependencyError: The provider's package is not installed.

    Example:
        >>> from langchain_openai import ChatOpenAI
        >>> chat = get_chat_model(provider="vllm", model="smollm2-135m", max_tokens=64)
        >>> isinstance(chat, ChatOpenAI)
        True
    """
    model: BaseChatModel = _chain("chat", overrides)
    return model


def get_vision_model(**overrides: Any) -> BaseChatModel:
    """Return the chat model that reads images, on its own provider, URL and model.

    ``VISION_PROVIDER`` (legacy ``OCR_PROVIDER``), ``VISION_MODEL`` (legacy
    ``OLLAMA_VISION_MODEL``) and ``VISION_BASE_URL`` default to the chat settings.
    Calls raise `CapabilityError` when the server answers that the model reads no images
    (every model of this package does).

    Args:
        **overrides: As `get_chat_model`; ``provider``, ``model`` and ``base_url`` set the
            vision ones. ``check=True`` also asks the server whether the model reads
            images (`langchain_llmswitch.vision.images.check_vision`, cached; a server that cannot
            be asked is logged, never an error).

    Returns:
        A chat model for the vision endpoint.

    Raises:
        CapabilityError: With ``check=True``, the server says the model reads no images.

    Example:
        >>> vision = get_vision_model(provider="ollama", model="llava:7b")
        >>> vision.model
        'llava:7b'
    """
    check = bool(overrides.pop("check", False))
    model: BaseChatModel = _chain("vision", overrides)
    if check:
        images.check_vision(model)
    return model


def get_embeddings(**overrides: Any) -> Embeddings:
    """Return the embeddings the configuration names.

    Args:
        **overrides: ``provider``, ``model``, ``base_url`` (the embeddings ones),
            ``api_key``, ``timeout``, ``max_retries``, ``batch_size`` (texts per request)
            and ``concurrency`` (requests in flight; vllm and openai).

    Returns:
        OllamaEmbeddings (provider ``ollama``: `SwitchOllamaEmbeddings`) or OpenAIEmbeddings
        sending raw text in concurrent batches (`SwitchOpenAIEmbeddings`).

    Example:
        >>> emb = get_embeddings(provider="ollama", model="nomic-embed-text")
        >>> type(emb).__name__
        'SwitchOllamaEmbeddings'
    """
    embeddings: Embeddings = _chain("embeddings", overrides)
    return embeddings
