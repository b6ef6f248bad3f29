"""Building ChatOpenAI and OpenAIEmbeddings for servers that speak the OpenAI protocol.

Shared by the vLLM, OpenAI-compatible and embedded providers, which differ in their
parameter table and URL rules. What it handles for the user:
- parameters that are not OpenAI fields (``top_k``, repetition penalty) go in ``extra_body``;
- ``timeout`` (``LLM_TIMEOUT``) bounds every wait of a stream, async as well as sync:
  langchain-openai's own ``stream_chunk_timeout`` is off and `SwitchChatOpenAI` bounds
  each chunk wait by ``timeout`` (a long prompt on a CPU server no longer fails ``astream``);
- streamed token usage is on (with a custom ``base_url`` ChatOpenAI would report none);
- Chat Completions, never the Responses API, which these servers do not all serve;
- embeddings send raw text, not tiktoken arrays (which vLLM and llama.cpp mis-embed), in
  batches of ``EMBEDDINGS_BATCH_SIZE`` with ``EMBEDDINGS_CONCURRENCY`` requests in flight;
- the API key defaults to a placeholder, for local servers that ignore it;
- retries are the package's (`langchain_llmswitch.reliability.transport`), the same as on
  Ollama: the openai SDK's own (which also retry timeouts) are off;
- async calls use connections of the running event loop only (langchain#35783).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_llmswitch.providers.base import (
    ClientErrors,
    Endpoint,
    Placement,
)

# Constants only: the module itself (and langchain_openai) loads when a model is built.
DEFAULT_BATCH_SIZE = 64
DEFAULT_CONCURRENCY = 4

__all__ = [
    "CLIENT_ERRORS",
    "EMBEDDINGS_CLASS",
    "PACKAGE",
    "PLACEHOLDER_API_KEY",
    "chat_kwargs",
    "embeddings_kwargs",
    "ensure_v1",
    "sampling_kwargs",
]

PACKAGE = "langchain-openai"
EMBEDDINGS_CLASS = "langchain_llmswitch.providers.openai_embeddings:SwitchOpenAIEmbeddings"
"""The embeddings class of every OpenAI-protocol provider (batches sent concurrently); its
constructor takes what `embeddings_kwargs` returns."""
CLIENT_ERRORS: ClientErrors = (
    ("openai:APITimeoutError", "timeout"),  # a subclass of APIConnectionError: first
    ("openai:APIConnectionError", "connection"),
    ("openai:APIResponseValidationError", "malformed"),
    ("openai:APIStatusError", "status"),
)
"""What the openai SDK raises, for every OpenAI-protocol provider."""
PLACEHOLDER_API_KEY = "EMPTY"
"""Sent when no key is configured: local servers ignore it, the SDK needs one."""


def ensure_v1(url: str) -> str:
    """Append ``/v1`` unless the URL already ends with it.

    Args:
        url: A server URL.

    Example:
        >>> ensure_v1("http://vllm:8000")
        'http://vllm:8000/v1'
    """
    return url if url.endswith("/v1") else f"{url}/v1"


def sampling_kwargs(endpoint: Endpoint, parameters: Mapping[str, Placement]) -> dict[str, Any]:
    """Return ChatOpenAI's keyword arguments for the endpoint's sampling parameters.

    Args:
        endpoint: The resolved endpoint.
        parameters: The provider's parameter table.

    Returns:
        Constructor fields, with ``extra_body`` holding the non-OpenAI ones.
    """
    kwargs: dict[str, Any] = {}
    extra_body: dict[str, Any] = {}
    for name, placement in parameters.items():
        value = getattr(endpoint.sampling, name)
        if value is None:
            continue
        if name == "stop":
            value = list(value)
        if placement.where == "field":
            kwargs[placement.name] = value
        elif placement.where == "extra_body":
            extra_body[placement.name] = value
    if extra_body:
        kwargs["extra_body"] = extra_body
    return kwargs


def _api_key(endpoint: Endpoint) -> str:
    return endpoint.api_key.get_secret_value() if endpoint.api_key else PLACEHOLDER_API_KEY


def _clients(endpoint: Endpoint) -> dict[str, Any]:
    """The HTTP clients, with the package's retries (the SDK's are off: ``max_retries=0``).

    The async client keeps connections per event loop (`transport.loop_local_async_client`).
    A ``user:password`` of the URL becomes their basic auth, so the model's URL holds none.
    """
    from langchain_llmswitch.reliability import transport  # noqa: PLC0415 - httpx

    auth = endpoint.basic_auth
    return {
        "max_retries": 0,
        "http_client": transport.retrying_sync_client(
            endpoint.timeout, endpoint.max_retries, auth=auth
        ),
        "http_async_client": transport.loop_local_async_client(
            endpoint.timeout, endpoint.max_retries, auth=auth
        ),
    }


def chat_kwargs(
    endpoint: Endpoint, parameters: Mapping[str, Placement], provider: str
) -> dict[str, Any]:
    """Return ChatOpenAI's constructor arguments for an OpenAI-compatible endpoint.

    Args:
        endpoint: The resolved endpoint.
        parameters: The provider's parameter table.
        provider: The provider name (the model remembers it, for structured output).
    """
    return {
        "llmswitch_provider": provider,
        "llmswitch_capability": endpoint.capability,
        "model": endpoint.model,
        "base_url": endpoint.client_url,
        "api_key": _api_key(endpoint),
        "timeout": endpoint.timeout,
        "stream_chunk_timeout": None,
        **_clients(endpoint),
        "stream_usage": True,
        "use_responses_api": False,
        **sampling_kwargs(endpoint, parameters),
    }


def embeddings_kwargs(endpoint: Endpoint) -> dict[str, Any]:
    """Return OpenAIEmbeddings' constructor arguments for an OpenAI-compatible endpoint.

    Args:
        endpoint: The resolved endpoint.
    """
    return {
        "model": endpoint.model,
        "base_url": endpoint.client_url,
        "api_key": _api_key(endpoint),
        "llmswitch_provider": endpoint.provider,
        "timeout": endpoint.timeout,
        **_clients(endpoint),
        "check_embedding_ctx_length": False,
        "tiktoken_enabled": False,
        "chunk_size": endpoint.embeddings_batch_size or DEFAULT_BATCH_SIZE,
        "max_concurrency": endpoint.embeddings_concurrency or DEFAULT_CONCURRENCY,
    }
