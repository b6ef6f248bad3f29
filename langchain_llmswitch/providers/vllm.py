"""vLLM, through its OpenAI-compatible server (ChatOpenAI and OpenAIEmbeddings).

What this module handles for the user:
- ``top_k`` and ``repetition_penalty`` (Ollama's ``repeat_penalty``) travel in
  ``extra_body``: vLLM reads them at the top level of the request;
- ``num_ctx`` cannot be sent: vLLM's context is fixed when the server starts
  (``--max-model-len``); it is only compared with ``max_model_len`` from ``/v1/models``;
- every URL ends in ``/v1`` (``VLLM_URL`` is accepted with or without it);
- one model per vLLM process: embeddings and vision never inherit the chat URL.
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
    "repetition_penalty": Placement("extra_body", "repetition_penalty", "repetition_penalty"),
    "seed": Placement("field", "seed", "seed"),
    "stop": Placement("field", "stop", "stop"),
    "num_ctx": Placement("server", "--max-model-len", "(server flag; checked, not sent)"),
}


def base_url_from(field: str, url: str) -> str:  # noqa: ARG001 - same rule for every field
    """Return the ``/v1`` URL the OpenAI client needs.

    Args:
        field: The settings field the URL came from.
        url: The URL.
    """
    return openai_protocol.ensure_v1(url)


def chat_kwargs(endpoint: Endpoint) -> dict[str, Any]:
    """Return ChatOpenAI's constructor arguments for an endpoint.

    Args:
        endpoint: The resolved endpoint.
    """
    return openai_protocol.chat_kwargs(endpoint, PARAMETERS, "vllm")


SPEC = ProviderSpec(
    name="vllm",
    label="vLLM",
    aliases=("v-llm",),
    description="vLLM's OpenAI-compatible server; one model per server process.",
    package=openai_protocol.PACKAGE,
    import_name="langchain_openai",
    default_base_url="http://localhost:8000/v1",
    discovers_model=True,
    one_model_per_server=True,
    legacy_base_url={
        "chat": ("vllm_url",),
        "embeddings": ("vllm_embeddings_url",),
        "vision": ("vllm_vision_url",),
    },
    legacy_model={
        "chat": ("vllm_model",),
        "embeddings": ("vllm_embeddings_model",),
        "vision": ("vllm_vision_model",),
    },
    legacy_api_key=("vllm_api_key",),
    parameters=PARAMETERS,
    base_url_from=base_url_from,
    chat_class="langchain_llmswitch.providers.openai_chat:SwitchChatOpenAI",
    embeddings_class=openai_protocol.EMBEDDINGS_CLASS,
    chat_kwargs=chat_kwargs,
    embeddings_kwargs=openai_protocol.embeddings_kwargs,
    health_path="/health",
    routers=("vllm-router",),
    client_errors=openai_protocol.CLIENT_ERRORS,
    constraints="structured_outputs",
    vision_probe="vllm_tokenize",
    model_hint=(
        "Use the name the server serves (its --served-model-name, e.g. {example!r}; "
        "see GET /v1/models)."
    ),
    example_models={
        "chat": "Qwen/Qwen2.5-7B-Instruct",
        "embeddings": "BAAI/bge-small-en-v1.5",
        "vision": "Qwen/Qwen2-VL-2B-Instruct",
    },
    context_probe="models_list",
)
