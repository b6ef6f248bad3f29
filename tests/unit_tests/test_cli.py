from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from langchain_llmswitch.cli import EXIT_BROKEN_PIPE, main
from langchain_llmswitch.cli.check import configured_capabilities
from langchain_llmswitch.config import load_settings
from langchain_llmswitch.embedded import processes
from langchain_llmswitch.embedded import server as embedded_server
from langchain_llmswitch.embedded.cache import CACHE_ENV
from langchain_llmswitch.errors import ProviderUnavailableError
from langchain_llmswitch.providers.embedded import UNSTARTED_URL

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


# ------------------------------------------------ the embedded server as config, check, bench


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty cache folder; starting a server there is a test failure."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))

    def start(role: embedded_server.Role, timeout: float) -> embedded_server.ServerState:
        pytest.fail(f"the embedded {role} server was started")

    monkeypatch.setattr(embedded_server, "_start", start)
    return tmp_path / "cache" / "embedded"


@pytest.fixture
def live(cache: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """State files of running embedded servers (this live process, answering /health)."""
    ports = {"chat": 41234, "embeddings": 41235}
    for role, port in ports.items():
        embedded_server._write_state(
            embedded_server.ServerState(
                role=role,  # type: ignore[arg-type]
                pid=os.getpid(),
                start_ticks=processes.start_ticks(os.getpid()),
                port=port,
                model="smollm2" if role == "chat" else "all-MiniLM-L6-v2",
                model_path="/models/x.gguf",
                started_at=time.time(),
                log="x.log",
            )
        )

    def healthy(state: embedded_server.ServerState, timeout: float = 2.0) -> bool:
        return state.port in ports.values()

    monkeypatch.setattr(embedded_server, "_healthy", healthy)
    return ports


def test_config_without_a_server_says_the_port_is_chosen_on_first_use(
    cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for capability in ("chat", "embeddings"):
        row = data[capability]["settings"]["base_url"]
        assert row == {"value": UNSTARTED_URL, "from": "default (port chosen on first use)"}
    assert not (cache / "chat.json").exists()


def test_config_shows_the_running_servers_port(
    live: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert "http://127.0.0.1:41234/v1" in out
    assert "http://127.0.0.1:41235/v1" in out
    assert f"from embedded chat server, pid {os.getpid()} (running)" in out
    assert "all-MiniLM-L6-v2" in out
    assert "first use" not in out
    assert ":0/v1" not in out


def test_config_ignores_a_server_that_does_not_answer(
    live: dict[str, int], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(embedded_server, "_healthy", lambda state, timeout=2.0: False)
    assert main(["config", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["chat"]["settings"]["base_url"]["value"] == UNSTARTED_URL


def test_config_says_why_each_provider_resolved(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "ollama")
    monkeypatch.setenv("OLLAMA_HOST", "gpu:11434")
    monkeypatch.setenv("OLLAMA_MODEL", "llama3.1:8b")
    monkeypatch.setenv("OLLAMA_EMBEDDING_MODEL", "nomic-embed-text")
    monkeypatch.setenv("OCR_PROVIDER", "vllm")
    monkeypatch.setenv("VLLM_VISION_URL", "http://vllm:8002")
    monkeypatch.setenv("VLLM_VISION_MODEL", "qwen-vl")
    assert main(["config", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["chat"]["settings"]["provider"] == {"value": "ollama", "from": "env LLM_PROVIDER"}
    assert data["embeddings"]["settings"]["provider"] == {
        "value": "ollama",
        "from": "env LLM_PROVIDER",
        "note": "the chat provider; EMBEDDINGS_PROVIDER is unset",
    }
    assert data["vision"]["settings"]["provider"] == {
        "value": "vllm",
        "from": "env OCR_PROVIDER",
        "note": "legacy name of VISION_PROVIDER",
    }
    assert data["chat"]["settings"]["base_url"]["note"] == "legacy variable, read for ollama only"
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert "from env OCR_PROVIDER (legacy name of VISION_PROVIDER)" in out
    assert "from env LLM_PROVIDER (the chat provider; EMBEDDINGS_PROVIDER is unset)" in out


def test_check_on_the_default_covers_chat_and_embeddings(
    cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert configured_capabilities(load_settings()) == ["chat", "embeddings"]
    asked: list[str] = []

    def ensure_running(role: embedded_server.Role, timeout: float = 0) -> Any:
        asked.append(role)
        msg = f"no {role} server in a unit test"
        raise ProviderUnavailableError(msg)

    monkeypatch.setattr(embedded_server, "ensure_running", ensure_running)
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert asked == ["chat", "embeddings"]
    assert "FAIL chat       primary    embedded" in out
    assert "FAIL embeddings primary    embedded" in out


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"LLM_PROVIDER": "embedded"}, ["chat", "embeddings"]),
        ({"LLM_PROVIDER": "openai", "LLM_MODEL": "m"}, ["chat"]),
        ({"LLM_PROVIDER": "ollama", "OLLAMA_MODEL": "m"}, ["chat"]),
        (
            {"LLM_PROVIDER": "vllm", "VLLM_MODEL": "m", "EMBEDDINGS_MODEL": "e"},
            ["chat", "embeddings"],
        ),
        # a chat model without LLM_PROVIDER: the default is ollama, which needs its own
        # embeddings model
        ({"OLLAMA_MODEL": "m"}, ["chat"]),
        # the provider of another capability leaves chat and embeddings on embedded
        ({"VISION_PROVIDER": "ollama"}, ["chat", "embeddings", "vision"]),
    ],
)
def test_configured_capabilities(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], expected: list[str]
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert configured_capabilities(load_settings()) == expected


def test_bench_raw_baseline_targets_the_live_embedded_server(live: dict[str, int]) -> None:
    from langchain_llmswitch.bench import _raw_endpoint  # noqa: PLC0415

    chat = _raw_endpoint("chat", {"provider": "embedded"}, None)
    embeddings = _raw_endpoint("embeddings", {"provider": "embedded"}, None)
    assert chat is not None
    assert embeddings is not None
    assert (chat.base_url, chat.model) == ("http://127.0.0.1:41234/v1", "smollm2")
    assert (embeddings.base_url, embeddings.model) == (
        "http://127.0.0.1:41235/v1",
        "all-MiniLM-L6-v2",
    )


def test_bench_raw_baseline_of_other_providers_is_the_resolved_url() -> None:
    from langchain_llmswitch.bench import _raw_endpoint  # noqa: PLC0415

    raw = _raw_endpoint("chat", {"provider": "vllm", "model": "m"}, None)
    assert raw is not None
    assert (raw.base_url, raw.model) == ("http://localhost:8000/v1", "m")


# --------------------------------------------------------------------------- broken pipe


@pytest.mark.parametrize(
    "arguments", [["config"], ["config", "--json"], ["embedded", "status"], ["--help"]]
)
def test_a_closed_pipe_ends_quietly(tmp_path: Path, arguments: list[str]) -> None:
    """``llmswitch ... | head``: the reader is gone before the first write (so the write fails
    whatever the timing); no traceback, the exit code of a command killed by SIGPIPE."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "langchain_llmswitch.cli", *arguments],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env={**os.environ, CACHE_ENV: str(tmp_path / "cache")},
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.stderr.decode() == ""
    # argparse swallows a failed write of --help itself, and exits 0
    assert done.returncode == (0 if arguments == ["--help"] else EXIT_BROKEN_PIPE)
