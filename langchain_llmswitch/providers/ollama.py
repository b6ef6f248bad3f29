"""Ollama, through its native API (langchain-ollama's ChatOllama and OllamaEmbeddings).

What this module handles for the user:
- sampling parameters go into Ollama's ``options`` under Ollama's names
  (``num_predict``, ``repeat_penalty``), and ``num_ctx`` is always sent when configured,
  because Ollama otherwise truncates silently to its default context (ollama#5902);
- ``timeout`` and ``max_retries`` take effect (ChatOllama ignores both: langchain#38045):
  the timeout through the httpx client, retries through a shared retrying transport;
- redirects are not followed (the prompt goes only to the configured server);
- ``reasoning`` on or off goes as ChatOllama's ``reasoning`` (Ollama's ``think``), refused
  on an Ollama older than 0.9, which would ignore it;
- one Ollama serves chat, embeddings and vision, so every capability inherits the URL;
- a URL given with ``/v1`` or ``/api`` is cut back to the server root the native client needs.
"""

from __future__ import annotations

from typing import Any

from langchain_llmswitch.providers.base import Endpoint, Placement, ProviderSpec

__all__ = ["SPEC"]

PACKAGE = "langchain-ollama"

PARAMETERS = {
    "temperature": Placement("field", "temperature", "options.temperature"),
    "max_tokens": Placement("field", "num_predict", "options.num_predict"),
    "top_p": Placement("field", "top_p", "options.top_p"),
    "top_k": Placement("field", "top_k", "options.top_k"),
    "repetition_penalty": Placement("field", "repeat_penalty", "options.repeat_penalty"),
    "seed": Placement("field", "seed", "options.seed"),
    "stop": Placement("field", "stop", "options.stop"),
    "num_ctx": Placement("field", "num_ctx", "options.num_ctx"),
}


def base_url_from(field: str, url: str) -> str:  # noqa: ARG001 - same rule for every field
    """Return the server root the native client needs (no ``/v1``, no ``/api``).

    Args:
        field: The settings field the URL came from.
        url: The URL.
    """
    for suffix in ("/v1", "/api"):
        if url.endswith(suffix):
            return url[: -len(suffix)]
    return url


def _client_kwargs(endpoint: Endpoint) -> dict[str, Any]:
    from langchain_llmswitch.reliability.transport import async_transport, sync_transport  # noqa: PLC0415 - httpx

    client: dict[str, Any] = {"timeout": endpoint.timeout, "follow_redirects": False}
    if endpoint.basic_auth is not None:  # out of the URL, so the model's repr never shows it
        import httpx  # noqa: PLC0415 - ollama's client is httpx

        client["auth"] = httpx.BasicAuth(*endpoint.basic_auth)
    return {
        "client_kwargs": client,
        "sync_client_kwargs": {"transport": sync_transport(endpoint.max_retries)},
        "async_client_kwargs": {"transport": async_transport(endpoint.max_retries)},
    }


def sampling_kwargs(endpoint: Endpoint) -> dict[str, Any]:
    """Return ChatOllama's keyword arguments for the endpoint's sampling parameters.

    Args:
        endpoint: The resolved endpoint.
    """
    kwargs: dict[str, Any] = {}
    for name, placement in PARAMETERS.items():
        value = getattr(endpoint.sampling, name)
        if value is not None:
            kwargs[placement.name] = list(value) if name == "stop" else value
    return kwargs


def chat_kwargs(endpoint: Endpoint) -> dict[str, Any]:
    """Return ChatOllama's constructor arguments for an endpoint.

    Args:
        endpoint: The resolved endpoint.
    """
    return {
        "model": endpoint.model,
        "base_url": endpoint.client_url,
        "llmswitch_provider": "ollama",
        "llmswitch_capability": endpoint.capability,
        **sampling_kwargs(endpoint),
        **_client_kwargs(endpoint),
    }


def embeddings_kwargs(endpoint: Endpoint) -> dict[str, Any]:
    """Return OllamaEmbeddings' constructor arguments for an endpoint.

    Args:
        endpoint: The resolved endpoint.
    """
    return {"model": endpoint.model, "base_url": endpoint.client_url, **_client_kwargs(endpoint)}


def _headers(headers: Any) -> dict[str, Any]:
    """``default_headers=`` of ChatOpenAI code: Ollama's client takes ``headers``."""
    return {"client_kwargs": {"headers": dict(headers)}}


SPEC = ProviderSpec(
    name="ollama",
    label="Ollama",
    aliases=("ollama-native",),
    description="Ollama's native API (ChatOllama, OllamaEmbeddings); one server for all models.",
    package=PACKAGE,
    import_name="langchain_ollama",
    default_base_url="http://localhost:11434",
    discovers_model=False,
    one_model_per_server=False,
    legacy_base_url={
        "chat": ("ollama_host",),
        "embeddings": ("ollama_host",),
        "vision": ("ollama_host",),
    },
    legacy_model={
        "chat": ("ollama_model",),
        "embeddings": ("ollama_embeddings_model",),
        "vision": ("ollama_vision_model",),
    },
    legacy_api_key=(),
    parameters=PARAMETERS,
    base_url_from=base_url_from,
    chat_class="langchain_llmswitch.providers.ollama_chat:SwitchChatOllama",
    embeddings_class="langchain_llmswitch.providers.ollama_embeddings:SwitchOllamaEmbeddings",
    chat_kwargs=chat_kwargs,
    embeddings_kwargs=embeddings_kwargs,
    protocol="ollama",
    health_path="/api/version",
    models_path="/api/tags",
    constraints="ollama_format",
    vision_probe="ollama_show",
    model_hint="Use an Ollama tag such as {example!r} (see `ollama list`).",
    example_models={"chat": "llama3.1:8b", "embeddings": "nomic-embed-text", "vision": "llava:7b"},
    native_chat_classes=("langchain_ollama.chat_models:ChatOllama",),
    keyword_translations={"default_headers": _headers},
    tools_probe="ollama_template",
    context_probe="ollama_show",
    reasoning="ollama_think",
    client_errors=(
        ("ollama:ResponseError", "status"),  # its status_code: HTTP, or -1 inside a stream
        ("pydantic:ValidationError", "malformed"),  # an answer the client cannot read
    ),
)
