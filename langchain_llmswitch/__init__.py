"""Move LangChain chat, embeddings and vision between Ollama, vLLM and OpenAI-compatible servers.

The move, and the way back, is a change of environment variables, never of code.

Example:
    >>> from langchain_llmswitch import get_chat_model
    >>> chat = get_chat_model(provider="ollama", model="llama3.1:8b")
    >>> chat.model
    'llama3.1:8b'
"""

from __future__ import annotations

from importlib import metadata

from langchain_llmswitch.config import LLMSwitchSettings, load_settings
from langchain_llmswitch.errors import (
    CapabilityError,
    ConfigurationError,
    LLMSwitchError,
    MissingDependencyError,
    ProviderUnavailableError,
)
from langchain_llmswitch.factory import (
    get_chat_model,
    get_embeddings,
    get_vision_model,
    resolve_endpoint,
)
from langchain_llmswitch.images import ImageError, check_vision, image_message
from langchain_llmswitch.providers import PROVIDERS

try:
    __version__ = metadata.version("langchain-llmswitch")
except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "PROVIDERS",
    "CapabilityError",
    "ConfigurationError",
    "ImageError",
    "LLMSwitchError",
    "LLMSwitchSettings",
    "MissingDependencyError",
    "ProviderUnavailableError",
    "__version__",
    "check_vision",
    "get_chat_model",
    "get_embeddings",
    "get_vision_model",
    "image_message",
    "load_settings",
    "resolve_endpoint",
]
