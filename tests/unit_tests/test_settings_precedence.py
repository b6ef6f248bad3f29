"""Precedence: keyword > new name > legacy name > default, per capability (table-driven)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from langchain_llmswitch import resolve_endpoint
from langchain_llmswitch.providers.base import Capability

VLLM = {"LLM_PROVIDER": "vllm", "VLLM_MODEL": "qwen"}

# (id, environment, keywords, capability, attribute, expected value, expected origin)
CASES: list[tuple[str, dict[str, str], dict[str, Any], Capability, str, Any, str]] = [
    (
        "default provider",
        {"LLM_MODEL": "m"},
        {},
        "chat",
        "provider",
        "ollama",
        "default: env LLM_MODEL set without LLM_PROVIDER -> ollama",
    ),
    ("provider env", VLLM, {}, "chat", "provider", "vllm", "env LLM_PROVIDER"),
    (
        "provider keyword",
        VLLM,
        {"provider": "ollama", "model": "l3"},
        "chat",
        "provider",
        "ollama",
        "keyword provider",
    ),
    (
        "provider spelling",
        {"LLM_PROVIDER": " vLLM ", "LLM_MODEL": "m"},
        {},
        "chat",
        "provider",
        "vllm",
        "env LLM_PROVIDER",
    ),
    (
        "provider alias",
        {"LLM_PROVIDER": "llama.cpp", "LLM_MODEL": "m"},
        {},
        "chat",
        "provider",
        "openai",
        "env LLM_PROVIDER",
    ),
    ("vllm default url", VLLM, {}, "chat", "base_url", "http://localhost:8000/v1", "default"),
    (
        "VLLM_URL gets /v1",
        {**VLLM, "VLLM_URL": "http://gpu:8000"},
        {},
        "chat",
        "base_url",
        "http://gpu:8000/v1",
        "env VLLM_URL",
    ),
    (
        "VLLM_URL keeps /v1",
        {**VLLM, "VLLM_URL": "http://gpu:8000/v1/"},
        {},
        "chat",
        "base_url",
        "http://gpu:8000/v1",
        "env VLLM_URL",
    ),
    (
        "LLM_BASE_URL beats VLLM_URL",
        {**VLLM, "VLLM_URL": "http://old:8000", "LLM_BASE_URL": "http://new:8000/v1"},
        {},
        "chat",
        "base_url",
        "http://new:8000/v1",
        "env LLM_BASE_URL",
    ),
    (
        "keyword beats LLM_BASE_URL",
        {**VLLM, "LLM_BASE_URL": "http://new:8000/v1"},
        {"base_url": "http://kw:9000/v1"},
        "chat",
        "base_url",
        "http://kw:9000/v1",
        "keyword base_url",
    ),
    (
        "ollama default url",
        {"OLLAMA_MODEL": "llama3"},
        {},
        "chat",
        "base_url",
        "http://localhost:11434",
        "default",
    ),
    (
        "OLLAMA_HOST as is",
        {"OLLAMA_HOST": "http://gpu:11434", "OLLAMA_MODEL": "m"},
        {},
        "chat",
        "base_url",
        "http://gpu:11434",
        "env OLLAMA_HOST",
    ),
    (
        "OLLAMA_HOST host:port",
        {"OLLAMA_HOST": "gpu:11434", "OLLAMA_MODEL": "m"},
        {},
        "chat",
        "base_url",
        "http://gpu:11434",
        "env OLLAMA_HOST",
    ),
    (
        "OLLAMA_URL legacy",
        {"OLLAMA_URL": "http://box:11434", "OLLAMA_MODEL": "m"},
        {},
        "chat",
        "base_url",
        "http://box:11434",
        "env OLLAMA_URL",
    ),
    (
        "ollama strips /v1",
        {"LLM_BASE_URL": "http://box:11434/v1", "OLLAMA_MODEL": "m"},
        {},
        "chat",
        "base_url",
        "http://box:11434",
        "env LLM_BASE_URL",
    ),
    (
        "openai uses OLLAMA_HOST + /v1",
        {"LLM_PROVIDER": "openai", "OLLAMA_HOST": "http://box:11434", "LLM_MODEL": "m"},
        {},
        "chat",
        "base_url",
        "http://box:11434/v1",
        "env OLLAMA_HOST",
    ),
    (
        "openai default url",
        {"LLM_PROVIDER": "openai", "LLM_MODEL": "m"},
        {},
        "chat",
        "base_url",
        "http://localhost:8080/v1",
        "default",
    ),
    (
        "OLLAMA_HOST unused by vllm",
        {**VLLM, "OLLAMA_HOST": "http://box:11434"},
        {},
        "chat",
        "base_url",
        "http://localhost:8000/v1",
        "default",
    ),
    ("OLLAMA_MODEL", {"OLLAMA_MODEL": "llama3"}, {}, "chat", "model", "llama3", "env OLLAMA_MODEL"),
    (
        "LLM_MODEL beats OLLAMA_MODEL",
        {"OLLAMA_MODEL": "old", "LLM_MODEL": "new"},
        {},
        "chat",
        "model",
        "new",
        "env LLM_MODEL",
    ),
    (
        "VLLM_MODEL for vllm",
        {**VLLM, "OLLAMA_MODEL": "llama3"},
        {},
        "chat",
        "model",
        "qwen",
        "env VLLM_MODEL",
    ),
    (
        "OLLAMA_MODEL for ollama",
        {"OLLAMA_MODEL": "llama3", "VLLM_MODEL": "qwen"},
        {},
        "chat",
        "model",
        "llama3",
        "env OLLAMA_MODEL",
    ),
    ("keyword model", VLLM, {"model": "kw"}, "chat", "model", "kw", "keyword model"),
    ("timeout default", VLLM, {}, "chat", "timeout", 300.0, "default"),
    (
        "OLLAMA_TIMEOUT",
        {**VLLM, "OLLAMA_TIMEOUT": "60"},
        {},
        "chat",
        "timeout",
        60.0,
        "env OLLAMA_TIMEOUT",
    ),
    (
        "LLM_TIMEOUT beats OLLAMA_TIMEOUT",
        {**VLLM, "OLLAMA_TIMEOUT": "60", "LLM_TIMEOUT": "30"},
        {},
        "chat",
        "timeout",
        30.0,
        "env LLM_TIMEOUT",
    ),
    ("max_retries default", VLLM, {}, "chat", "max_retries", 2, "default"),
    (
        "LLM_MAX_RETRIES",
        {**VLLM, "LLM_MAX_RETRIES": "5"},
        {},
        "chat",
        "max_retries",
        5,
        "env LLM_MAX_RETRIES",
    ),
    (
        "VLLM_API_KEY",
        {**VLLM, "VLLM_API_KEY": "k1"},
        {},
        "chat",
        "api_key",
        "k1",
        "env VLLM_API_KEY",
    ),
    (
        "LLM_API_KEY beats VLLM_API_KEY",
        {**VLLM, "VLLM_API_KEY": "k1", "LLM_API_KEY": "k2"},
        {},
        "chat",
        "api_key",
        "k2",
        "env LLM_API_KEY",
    ),
    (
        "VLLM_API_KEY not for openai",
        {"LLM_PROVIDER": "openai", "LLM_MODEL": "m", "VLLM_API_KEY": "k1"},
        {},
        "chat",
        "api_key",
        None,
        "default",
    ),
    (
        "OLLAMA_NUM_CTX",
        {"OLLAMA_MODEL": "m", "OLLAMA_NUM_CTX": "32768"},
        {},
        "chat",
        "num_ctx",
        32768,
        "env OLLAMA_NUM_CTX",
    ),
    (
        "LLM_NUM_CTX beats OLLAMA_NUM_CTX",
        {"OLLAMA_MODEL": "m", "OLLAMA_NUM_CTX": "32768", "LLM_NUM_CTX": "8192"},
        {},
        "chat",
        "num_ctx",
        8192,
        "env LLM_NUM_CTX",
    ),
    (
        "keyword num_predict",
        {"OLLAMA_MODEL": "m"},
        {"num_predict": 2500},
        "chat",
        "max_tokens",
        2500,
        "keyword max_tokens",
    ),
    (
        "keyword repeat_penalty",
        {"OLLAMA_MODEL": "m"},
        {"repeat_penalty": 1.1},
        "chat",
        "repetition_penalty",
        1.1,
        "keyword repetition_penalty",
    ),
    (
        "LLM_STOP comma list",
        {"OLLAMA_MODEL": "m", "LLM_STOP": "END,###"},
        {},
        "chat",
        "stop",
        ("END", "###"),
        "env LLM_STOP",
    ),
    (
        "LLM_STOP json list",
        {"OLLAMA_MODEL": "m", "LLM_STOP": '["a,b"]'},
        {},
        "chat",
        "stop",
        ("a,b",),
        "env LLM_STOP",
    ),
    # --- each capability on its own provider: text on vLLM, OCR on Ollama ---------------------
    (
        "plan: chat on vllm",
        {**VLLM, "OCR_PROVIDER": "ollama", "OLLAMA_VISION_MODEL": "llava:7b"},
        {},
        "chat",
        "provider",
        "vllm",
        "env LLM_PROVIDER",
    ),
    (
        "plan: vision on ollama",
        {**VLLM, "OCR_PROVIDER": "ollama", "OLLAMA_VISION_MODEL": "llava:7b"},
        {},
        "vision",
        "provider",
        "ollama",
        "env OCR_PROVIDER",
    ),
    (
        "plan: vision model",
        {**VLLM, "OCR_PROVIDER": "ollama", "OLLAMA_VISION_MODEL": "llava:7b"},
        {},
        "vision",
        "model",
        "llava:7b",
        "env OLLAMA_VISION_MODEL",
    ),
    (
        "plan: vision url",
        {
            **VLLM,
            "OCR_PROVIDER": "ollama",
            "OLLAMA_VISION_MODEL": "llava:7b",
            "OLLAMA_HOST": "http://ollama:11434",
        },
        {},
        "vision",
        "base_url",
        "http://ollama:11434",
        "env OLLAMA_HOST",
    ),
    (
        "VISION_PROVIDER beats OCR_PROVIDER",
        {
            **VLLM,
            "OCR_PROVIDER": "ollama",
            "VISION_PROVIDER": "vllm",
            "VISION_MODEL": "smolvlm",
            "VISION_BASE_URL": "http://v2:8000/v1",
        },
        {},
        "vision",
        "provider",
        "vllm",
        "env VISION_PROVIDER",
    ),
    (
        "vision keyword provider",
        {**VLLM, "OLLAMA_VISION_MODEL": "llava"},
        {"provider": "ollama"},
        "vision",
        "provider",
        "ollama",
        "keyword vision_provider",
    ),
    (
        "vision defaults to chat model",
        {"OLLAMA_MODEL": "llava:13b"},
        {},
        "vision",
        "model",
        "llava:13b",
        "chat model",
    ),
    (
        "vision inherits ollama url",
        {"OLLAMA_MODEL": "m", "LLM_BASE_URL": "http://o:11434"},
        {},
        "vision",
        "base_url",
        "http://o:11434",
        "env LLM_BASE_URL",
    ),
    (
        "VLLM_VISION_URL",
        {**VLLM, "VISION_MODEL": "smolvlm", "VLLM_VISION_URL": "http://v:8002"},
        {},
        "vision",
        "base_url",
        "http://v:8002/v1",
        "env VLLM_VISION_URL",
    ),
    (
        "vllm vision = chat model shares url",
        {**VLLM, "VLLM_URL": "http://v:8000"},
        {},
        "vision",
        "base_url",
        "http://v:8000/v1",
        "env VLLM_URL",
    ),
    (
        "embeddings provider defaults",
        {"OLLAMA_MODEL": "m", "EMBEDDINGS_MODEL": "nomic"},
        {},
        "embeddings",
        "provider",
        "ollama",
        "default: env EMBEDDINGS_MODEL set without LLM_PROVIDER -> ollama",
    ),
    (
        "EMBEDDINGS_PROVIDER",
        {**VLLM, "EMBEDDINGS_PROVIDER": "ollama", "OLLAMA_EMBEDDING_MODEL": "nomic"},
        {},
        "embeddings",
        "model",
        "nomic",
        "env OLLAMA_EMBEDDING_MODEL",
    ),
    (
        "embeddings inherit ollama url",
        {"OLLAMA_HOST": "http://o:11434", "EMBEDDINGS_MODEL": "nomic"},
        {},
        "embeddings",
        "base_url",
        "http://o:11434",
        "env OLLAMA_HOST",
    ),
    (
        "vllm embeddings url",
        {**VLLM, "EMBEDDINGS_MODEL": "minilm", "EMBEDDINGS_BASE_URL": "http://e:8001/v1"},
        {},
        "embeddings",
        "base_url",
        "http://e:8001/v1",
        "env EMBEDDINGS_BASE_URL",
    ),
    (
        "embeddings keyword model",
        {**VLLM, "EMBEDDINGS_BASE_URL": "http://e:8001/v1"},
        {"model": "minilm"},
        "embeddings",
        "model",
        "minilm",
        "keyword embeddings_model",
    ),
    (
        "embeddings have no sampling",
        {
            **VLLM,
            "EMBEDDINGS_MODEL": "e",
            "LLM_TEMPERATURE": "0.3",
            "EMBEDDINGS_BASE_URL": "http://e:1/v1",
        },
        {},
        "embeddings",
        "temperature",
        None,
        "default",
    ),
    (
        "empty value is unset",
        {"OLLAMA_MODEL": "m", "LLM_MODEL": ""},
        {},
        "chat",
        "model",
        "m",
        "env OLLAMA_MODEL",
    ),
]


def _value(endpoint: Any, attribute: str) -> Any:
    if attribute == "api_key":
        return endpoint.api_key.get_secret_value() if endpoint.api_key else None
    if hasattr(endpoint.sampling, attribute):
        return getattr(endpoint.sampling, attribute)
    return getattr(endpoint, attribute)


@pytest.mark.parametrize(
    ("environment", "keywords", "capability", "attribute", "expected", "origin"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_precedence(
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    keywords: dict[str, Any],
    capability: Capability,
    attribute: str,
    expected: Any,
    origin: str,
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    endpoint = resolve_endpoint(capability, **keywords)
    assert _value(endpoint, attribute) == expected
    assert endpoint.origin(attribute) == origin


def test_dotenv_is_read_and_layered(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A new name in .env beats a legacy name in the process; same name: the process wins."""
    (tmp_path / ".env").write_text(
        "LLM_PROVIDER=vllm\nLLM_MODEL=from-dotenv\nVLLM_URL=http://dotenv:8000\n"
        "LLM_TEMPERATURE=0.1\n"
    )
    monkeypatch.setenv("VLLM_MODEL", "legacy-in-process")
    monkeypatch.setenv("LLM_TEMPERATURE", "0.7")
    endpoint = resolve_endpoint("chat")
    assert endpoint.provider == "vllm"
    assert endpoint.model == "from-dotenv"
    assert endpoint.base_url == "http://dotenv:8000/v1"
    assert endpoint.sampling.temperature == 0.7


def test_env_file_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere.env"
    other.write_text("OLLAMA_MODEL=from-elsewhere\n")
    monkeypatch.setenv("LLMSWITCH_ENV_FILE", str(other))
    assert resolve_endpoint("chat").model == "from-elsewhere"


def test_settings_are_read_per_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_MODEL", "first")
    assert resolve_endpoint("chat").model == "first"
    monkeypatch.setenv("OLLAMA_MODEL", "second")
    assert resolve_endpoint("chat").model == "second"
