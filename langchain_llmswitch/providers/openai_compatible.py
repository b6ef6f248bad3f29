"""Any OpenAI-compatible server: llama.cpp's llama-server, LM Studio, Ollama's ``/v1``, OpenAI.

What this module handles for the user:
- ``top_k`` and ``repeat_penalty`` travel in ``extra_body`` under the names llama.cpp
  reads (LM Studio reads the same; servers that know neither ignore them);
- ``num_ctx`` cannot be sent (llama-server's ``-c``); it is only checked where the
  server reports its context;
- ``OLLAMA_HOST`` (a legacy variable) is turned into Ollama's ``/v1`` URL, and the SDK's own
  ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY`` are read as legacy names; ``LLM_BASE_URL`` is
  used exactly as given, since servers differ in their path.
"""

from __future__ import annotations

from typing import Any

from langchain_llmswitch.providers import openai_protocol
from langchain_llmswitch.providers.base import Endpoint, Placement, ProviderSpec

__all__ = ["SPEC"]

PARAMETERS = {
    "temperature": Placement("field", "temperature", "temperature"),
    "max_tokens": Placement("field", "max_tokens", "max_completion_tokens"),
    "top_p": Placement("field", "top_p", "top_p"),
    "top_k": Placement("extra_body", "top_k", "top_k"),
    "repetition_penalty": Placement("extra_body", "repeat_penalty", "repeat_penalty"),
    "seed": Placement("field", "seed", "seed"),
    "stop": Placement("field", "stop", "stop"),
    "num_ctx": Placement("server", "-c / --ctx-size", "(server flag; checked, not sent)"),
}


def base_url_from(field: str, url: str) -> str:
    """Return the URL the OpenAI client needs: Ollama's host gets ``/v1``, others stay.

    Args:
        field: The settings field the URL came from.
        url: The URL.
    """
    return openai_protocol.ensure_v1(url) if field == "ollama_host" else url


def chat_kwargs(endpoint: Endpoint) -> dict[str, Any]:
    """Return ChatOpenAI's constructor arguments for an endpoint.

    Args:
        endpoint: The resolved endpoint.
    """
    return openai_protocol.chat_kwargs(endpoint, PARAMETERS, "openai")


SPEC = ProviderSpec(
    name="openai",
    label="OpenAI-compatible",
    aliases=(
        "openai-compatible",
        "openai_compatible",
        "llama.cpp",
        "llamacpp",
        "llama-cpp",
        "llama-server",
        "lmstudio",
        "lm-studio",
    ),
    description=(
        "Any OpenAI-compatible server: llama.cpp llama-server, LM Studio, Ollama /v1, OpenAI."
    ),
    package=openai_protocol.PACKAGE,
    import_name="langchain_openai",
    default_base_url="http://localhost:8080/v1",
    discovers_model=True,
    one_model_per_server=True,
    legacy_base_url={
        "chat": ("openai_base_url", "ollama_host"),
        "embeddings": ("openai_base_url", "ollama_host"),
        "vision": ("openai_base_url", "ollama_host"),
    },
    legacy_model={"chat": (), "embeddings": (), "vision": ()},
    legacy_api_key=("openai_api_key",),
    borrowed_fields=("ollama_host",),
    parameters=PARAMETERS,
    base_url_from=base_url_from,
    chat_class="langchain_llmswitch.providers.openai_chat:SwitchChatOpenAI",
    embeddings_class=openai_protocol.EMBEDDINGS_CLASS,
    chat_kwargs=chat_kwargs,
    embeddings_kwargs=openai_protocol.embeddings_kwargs,
    native_chat_classes=("langchain_openai.chat_models.base:BaseChatOpenAI",),
    routers=("vllm-router",),  # llama-server replicas behind vLLM's router
    tools_probe="llamacpp_props",
    context_probe="llamacpp_props",
    client_errors=openai_protocol.CLIENT_ERRORS,
)
