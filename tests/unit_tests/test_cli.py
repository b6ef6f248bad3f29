from __future__ import annotations

import json

import pytest

from langchain_llmswitch.cli import main

SECRET = "sk-cli-secret-42"


def test_config_text_shows_origins(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "vllm")
    monkeypatch.setenv("VLLM_URL", "http://gpu:8000")
    monkeypatch.setenv("VLLM_MODEL", "qwen")
    monkeypatch.setenv("VLLM_API_KEY", SECRET)
    monkeypatch.setenv("OLLAMA_NUM_CTX", "32768")
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert "http://gpu:8000/v1" in out
    assert "from env VLLM_URL" in out
    assert "from env VLLM_API_KEY" in out
    assert "checked, not sent" in out
    assert SECRET not in out


def test_config_json(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "vllm")
    monkeypatch.setenv("VLLM_MODEL", "qwen")
    monkeypatch.setenv("LLM_API_KEY", SECRET)
    monkeypatch.setenv("OCR_PROVIDER", "ollama")
    monkeypatch.setenv("OLLAMA_VISION_MODEL", "llava:7b")
    assert main(["config", "--json"]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert data["chat"]["settings"]["provider"] == {"value": "vllm", "from": "env LLM_PROVIDER"}
    assert data["vision"]["settings"]["model"]["value"] == "llava:7b"
    assert data["chat"]["settings"]["api_key"]["value"] == "**********"
    assert data["embeddings"]["ok"] is False
    assert "EMBEDDINGS_BASE_URL" in data["embeddings"]["error"]
    assert SECRET not in out


def test_config_bad_setting_exit_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "olama")
    assert main(["config"]) == 2
    assert "Did you mean 'ollama'" in capsys.readouterr().err
