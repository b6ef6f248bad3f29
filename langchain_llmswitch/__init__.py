"""Move LangChain chat, embeddings and vision between Ollama, vLLM and OpenAI-compatible servers.

The move, and the way back, is a change of environment variables, never of code.

Example:
    >>> from langchain_llmswitch import get_chat_model
    >>> chat = get_chat_model(provider="ollama", model="llama3.1:8b")
    >>> chat.model
    'llama3.1:8b'
"""

from __future__ import annotations

import importlib
from importlib import metadata
from typing import TYPE_CHECKING, Any

from langchain_llmswitch.config import LLMSwitchSettings, load_settings
from langchain_llmswitch.errors import (
    CapabilityError,
    ConfigurationError,
    EmbeddingSpaceError,
    ImageError,
    LLMSwitchError,
    MalformedResponseError,
    MissingDependencyError,
    ProviderUnavailableError,
    RateLimitExhaustedError,
    ServerConnectionError,
    ServerError,
    ServerStatusError,
    ServerTimeoutError,
    StreamInterruptedError,
    StreamStalledError,
)
from langchain_llmswitch.factory import (
    get_chat_model,
    get_embeddings,
    get_vision_model,
)
from langchain_llmswitch.providers import PROVIDERS
from langchain_llmswitch.resolution import resolve_endpoint
from langchain_llmswitch.vision.images import check_vision, image_message

if TYPE_CHECKING:
    from langchain_llmswitch.embedding_space import (
        EmbeddingSpace,
        SpaceGuardedEmbeddings,
        configured_space,
        guard_embeddings,
    )

_LAZY = {
    # langchain-core's Embeddings base class pulls in its runnables (~90 ms): imported on use.
    "EmbeddingSpace": "langchain_llmswitch.embedding_space",
    "SpaceGuardedEmbeddings": "langchain_llmswitch.embedding_space",
    "configured_space": "langchain_llmswitch.embedding_space",
    "guard_embeddings": "langchain_llmswitch.embedding_space",
}


def __getattr__(name: str) -> Any:
    """Import the public names of heavier modules on first use."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


try:
    __version__ = metadata.version("langchain-llmswitch")
except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "PROVIDERS",
    "CapabilityError",
    "ConfigurationError",
    "EmbeddingSpace",
    "EmbeddingSpaceError",
    "ImageError",
    "LLMSwitchError",
    "LLMSwitchSettings",
    "MalformedResponseError",
    "MissingDependencyError",
    "ProviderUnavailableError",
    "RateLimitExhaustedError",
    "ServerConnectionError",
    "ServerError",
    "ServerStatusError",
    "ServerTimeoutError",
    "SpaceGuardedEmbeddings",
    "StreamInterruptedError",
    "StreamStalledError",
    "__version__",
    "check_vision",
    "configured_space",
    "get_chat_model",
    "get_embeddings",
    "get_vision_model",
    "guard_embeddings",
    "image_message",
    "load_settings",
    "resolve_endpoint",
]
