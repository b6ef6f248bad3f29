"""Integration tests: the real servers (``--live``) or cassettes recorded from them (default).

- Default (``make test``): ``--record-mode=none``; every ``@pytest.mark.vcr`` test replays its
  cassette; a missing cassette or an unused recorded request fails the test.
- ``--live`` (``make test-live``): the harness starts the real servers a test needs; cassettes
  are not used unless recording (``make record``: ``--live --record-mode=rewrite``).
Tests marked ``live`` need a real server (the standard suites, faults) and are deselected
in the fast suite with ``-m "not live"``.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from . import portability

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
        "chat": "ollama",
        "embed": "ollama",
        "provider": "ollama",
        "chat_model": "smollm2",
        "embed_model": "all-minilm",
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
        only = os.environ.get("LLMSWITCH_LIVE_BACKENDS")  # e.g. "ollama" with -k ollama
        wanted = [name.strip() for name in only.split(",")] if only else list(BACKENDS)
        names = sorted({BACKENDS[b][role] for b in wanted for role in ("chat", "embed")})
        _LIVE_SERVERS.update(_start(names))


_LIVE_SERVERS: dict[str, Any] = {}


def _processes_mentioning(text: str) -> list[tuple[int, str]]:
    """Return (pid, command line) of every process whose command line contains ``text``."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # gone, or not ours to read
        line = " ".join(arg.decode(errors="replace") for arg in argv if arg)
        if text in line and int(entry.name) != os.getpid():
            found.append((int(entry.name), line))
    return found


_MATRIX = portability.Matrix()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Collect the cells of the portability matrix (``@pytest.mark.portability``)."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    marker = item.get_closest_marker("portability")
    if marker is None or not is_live(item.config):
        return
    feature, backend = marker.args
    note = " ".join(str(v) for k, v in report.user_properties if k == "cell")
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        if hasattr(report, "wasxfail"):
            _MATRIX.record(feature, backend, "no", report.wasxfail)
        elif report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
            _MATRIX.record(feature, backend, "n/a", str(reason).removeprefix("Skipped: "))
        else:
            _MATRIX.record(feature, backend, report.outcome, note)


def _check_matrix(session: pytest.Session) -> None:
    """A live run of every cell rewrites (``make matrix``) or checks docs/portability.md."""
    if not _MATRIX.complete():
        return
    text = portability.PAGE.read_text()
    table = _MATRIX.table()
    if os.environ.get(portability.WRITE_VARIABLE) == "1":
        portability.PAGE.write_text(portability.rewritten(text, table))
        return
    if portability.page_table(text) != table:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                "\nFAILED: docs/portability.md is stale: this run's matrix differs. Run "
                f"`make matrix` to rewrite it from a live run.\n{table}",
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Live runs fail if a server started in a test's temporary folder outlived the session.

    Servers in temporary caches (the embedded provider's tests) are the tests' to stop; one
    that is left runs on after CI and ``harness stop`` never sees it (found: a vLLM vision
    server, 3.5 GB, left by every run). They are stopped here and the run fails.
    """
    if is_live(session.config):
        _check_matrix(session)
    factory = getattr(session.config, "_tmp_path_factory", None)
    if not is_live(session.config) or factory is None or factory._basetemp is None:
        return
    leaked = _processes_mentioning(str(factory.getbasetemp()) + os.sep)
    for pid, _line in leaked:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    if leaked:
        listing = "\n".join(f"  pid {pid}: {line[:300]}" for pid, line in leaked)
        message = (
            "\nFAILED: processes started under the tests' temporary folder outlived the "
            f"session (now stopped):\n{listing}"
        )
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(message, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


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
    """Each backend in turn: vLLM, llama.cpp (openai provider), the real Ollama server."""
    return backend_factory(str(request.param))


@pytest.fixture(scope="module")
def linked_embedded_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A temporary cache for the embedded default, its models linked from the real cache
    (nothing fetched again); every embedded server started in it is stopped at the end."""
    from langchain_llmswitch.embedded import server as embedded_server  # noqa: PLC0415
    from langchain_llmswitch.embedded.cache import CACHE_ENV, cache_root  # noqa: PLC0415

    real = cache_root()
    cache = tmp_path_factory.mktemp("embedded-cache")
    (cache / "embedded").mkdir()
    if (real / "embedded" / "models").is_dir():
        (cache / "embedded" / "models").symlink_to(real / "embedded" / "models")
    try:
        yield cache
    finally:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(CACHE_ENV, str(cache))
            embedded_server.stop()


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
