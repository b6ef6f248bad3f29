"""Ollama's error answers turned into the package's errors (the wording of Ollama 0.5.4).

The real server's answers are exercised in tests/integration_tests/test_providers.py; here
only our own mapping, including what the message shows of the URL.
"""

from __future__ import annotations

import ollama
import pytest

from langchain_llmswitch import resolve_endpoint
from langchain_llmswitch.errors import CapabilityError, ModelNotFoundError
from langchain_llmswitch.providers import PROVIDERS, ollama_chat
from langchain_llmswitch.providers.base import Capability


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    models = ["smollm2:latest", "all-minilm:latest"]
    monkeypatch.setattr(ollama_chat, "served_models", lambda _root: models)
    return models


def test_unknown_model_lists_what_is_served(served: list[str]) -> None:
    error = ollama.ResponseError('model "nope" not found, try pulling it first', 404)
    mapped = ollama_chat.ollama_error(error, "nope", "http://127.0.0.1:11434")
    assert isinstance(mapped, ModelNotFoundError)
    assert mapped.served == served
    assert "does not serve model 'nope' (HTTP 404" in str(mapped)
    assert "Served: smollm2:latest, all-minilm:latest" in str(mapped)
    assert "LLM_MODEL" in str(mapped)


def test_model_without_tool_template_is_a_capability_error(served: list[str]) -> None:
    text = "registry.ollama.ai/library/smollm2:latest does not support tools"
    mapped = ollama_chat.ollama_error(ollama.ResponseError(text, 400), "smollm2", None)
    assert isinstance(mapped, CapabilityError)
    assert "'smollm2' does not take tools" in str(mapped)
    assert "http://localhost:11434" in str(mapped)  # the client's default root
    assert ".Tools" in str(mapped)


def test_password_in_the_url_is_not_shown(served: list[str]) -> None:
    error = ollama.ResponseError('model "x" not found', 404)
    mapped = ollama_chat.ollama_error(error, "x", "http://user:s3cret@ollama.internal:11434")
    assert "s3cret" not in str(mapped)
    assert "user:***@ollama.internal" in str(mapped)


@pytest.mark.parametrize(
    "error",
    [
        ollama.ResponseError("server busy", 503),
        ollama.ResponseError('"all-minilm" does not support chat', 400),
        ValueError("not an ollama error"),
    ],
)
def test_other_errors_pass_through(error: Exception, served: list[str]) -> None:
    assert ollama_chat.ollama_error(error, "m", None) is None


def test_served_models_is_empty_when_the_server_cannot_be_asked() -> None:
    # sockets are disabled in the unit tests: the listing fails, and the mapping still works
    assert ollama_chat.served_models("http://127.0.0.1:9") == []


@pytest.mark.parametrize(
    ("capability", "variables", "other"),
    [
        ("chat", "LLM_MODEL or OLLAMA_MODEL", "EMBEDDINGS_MODEL"),
        ("embeddings", "EMBEDDINGS_MODEL or OLLAMA_EMBEDDING_MODEL", "LLM_MODEL"),
        ("vision", "VISION_MODEL or OLLAMA_VISION_MODEL", "EMBEDDINGS_MODEL"),
    ],
)
def test_unknown_model_names_the_variables_of_its_capability(
    served: list[str], capability: Capability, variables: str, other: str
) -> None:
    error = ollama.ResponseError('model "nope" not found', 404)
    mapped = ollama_chat.ollama_error(error, "nope", None, capability)
    assert isinstance(mapped, ModelNotFoundError)
    assert f"Set {variables} (the {capability} model)" in str(mapped)
    assert other not in str(mapped)
    assert mapped.setting == variables.split(" or ", maxsplit=1)[0]


def test_the_models_know_their_capability() -> None:
    """The factory's keywords tell a vision model it is one (its 404 then names VISION_*)."""
    for provider in ("ollama", "vllm", "openai"):
        endpoint = resolve_endpoint("vision", provider=provider, model="m", base_url="http://h:1")
        kwargs = PROVIDERS[provider].chat_kwargs(endpoint)
        assert kwargs["llmswitch_capability"] == "vision"
