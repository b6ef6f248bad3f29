"""Integration tests: the real servers (``--live``) or cassettes recorded from them (default).

- Default (``make test``): ``--record-mode=none``; every ``@pytest.mark.vcr`` test replays its
  cassette; a missing cassette or an unused recorded request fails the test.
- ``--live`` (``make test-live``): the harness starts the real servers a test needs; cassettes
  are not used unless recording (``make record``: ``--live --record-mode=rewrite``).
Tests marked ``live`` need a real server (the standard suites, faults) and are deselected
in the fast suite with ``-m "not live"``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

# The server every logical backend runs on, and the model names it serves. Names are fixed
# so that cassettes recorded against one port replay against any other.
BACKENDS: dict[str, dict[str, str]] = {
    "vllm": {
        "chat": "vllm-chat",
        "embed": "vllm-embed",
        "provider": "vllm",
        "chat_model": "smollm2-135m",
        "embed_model": "all-MiniLM-L6-v2",
    },
    "llamacpp": {
        "chat": "llamacpp-chat",
        "embed": "llamacpp-embed",
        "provider": "openai",
        "chat_model": "smollm2",
        "embed_model": "all-MiniLM-L6-v2",
    },
    "ollama": {
        "chat": "ollama-proxy",
        "embed": "ollama-proxy",
        "provider": "ollama",
        "chat_model": "llama/smollm2",
        "embed_model": "emb/minilm",
    },
}
REPLAY_URL = "http://127.0.0.1:9"  # never contacted: vcr answers


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--live",
        action="store_true",
        default=False,
        help="run against the real servers of the harness (started when not running)",
    )


def is_live(config: pytest.Config) -> bool:
    return bool(config.getoption("--live"))


def pytest_sessionstart(session: pytest.Session) -> None:
    """Live runs start every server first, outside any cassette (health polls are not
    recorded)."""
    if is_live(session.config):
        names = sorted({spec[role] for spec in BACKENDS.values() for role in ("chat", "embed")})
        _LIVE_SERVERS.update(_start(names))


_LIVE_SERVERS: dict[str, Any] = {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if is_live(config):
        return
    for item in items:
        if item.get_closest_marker("live") is not None:
            item.add_marker(pytest.mark.skip(reason="needs --live (real servers)"))


@dataclass(frozen=True)
class Backend:
    """Where one backend's chat and embeddings are served, live or replayed."""

    name: str
    provider: str
    chat_url: str
    chat_model: str
    embed_url: str
    embed_model: str

    def chat_settings(self) -> dict[str, Any]:
        return {"provider": self.provider, "base_url": self.chat_url, "model": self.chat_model}

    def embeddings_settings(self) -> dict[str, Any]:
        return {"provider": self.provider, "base_url": self.embed_url, "model": self.embed_model}

    def environment(self) -> dict[str, str]:
        """The environment variables a user would set for this backend."""
        return {
            "LLM_PROVIDER": self.provider,
            "LLM_BASE_URL": self.chat_url,
            "LLM_MODEL": self.chat_model,
            "EMBEDDINGS_BASE_URL": self.embed_url,
            "EMBEDDINGS_MODEL": self.embed_model,
        }


def _start(names: list[str]) -> dict[str, Any]:
    import harness  # noqa: PLC0415 - only live runs need the harness

    return harness.ensure_started(names)


@pytest.fixture(scope="session")
def backend_factory(request: pytest.FixtureRequest) -> Callable[[str], Backend]:
    """Return a function giving the Backend of a name, starting its servers when live."""
    cache: dict[str, Backend] = {}

    def get(name: str) -> Backend:
        if name in cache:
            return cache[name]
        spec = BACKENDS[name]
        if is_live(request.config):
            infos = _LIVE_SERVERS
            chat_url = infos[spec["chat"]].openai_url
            embed_url = infos[spec["embed"]].openai_url
        else:
            suffix = "" if spec["provider"] == "ollama" else "/v1"
            chat_url = embed_url = REPLAY_URL + suffix
        cache[name] = Backend(
            name=name,
            provider=spec["provider"],
            chat_url=chat_url,
            chat_model=spec["chat_model"],
            embed_url=embed_url,
            embed_model=spec["embed_model"],
        )
        return cache[name]

    return get


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, backend_factory: Callable[[str], Backend]) -> Backend:
    """Each backend in turn: vLLM, llama.cpp (openai provider), Ollama API (proxy)."""
    return backend_factory(str(request.param))


# --- cassettes: the package's own pytest plugin gives the vcr configuration ------------------


@pytest.fixture(scope="session")
def vcr_config(llmswitch_vcr_config: dict[str, Any]) -> dict[str, Any]:
    return llmswitch_vcr_config


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    root = os.path.join(str(request.config.rootpath), "cassettes")  # noqa: PTH118
    return os.path.join(root, request.module.__name__.rsplit(".", 1)[-1])  # noqa: PTH118


@pytest.fixture(autouse=True)
def _cassette_fully_played(request: pytest.FixtureRequest) -> Iterator[None]:
    """In replay, every recorded request must have been asked for (no stale cassettes)."""
    replaying = (
        request.node.get_closest_marker("vcr") is not None
        and not is_live(request.config)
        and request.config.getoption("--record-mode") == "none"
    )
    cassette = request.getfixturevalue("vcr") if replaying else None
    yield
    if cassette is None:
        return
    assert cassette.all_played, (
        f"cassette {cassette._path} has {len(cassette.data) - cassette.play_count} unused "
        "recorded requests: re-record with `make record`"
    )
