"""A pytest plugin for users' own tests (registered through the ``pytest11`` entry point).

Fixtures:
    ``llmswitch_chat_model``: the configured chat model (``get_chat_model()``), once per
        provider named by ``--llmswitch-providers`` (default: the configured provider).
    ``llmswitch_embeddings``: the configured embeddings, likewise.
    ``llmswitch_provider``: the provider name of the current parametrisation.
    ``llmswitch_vcr_config``: a vcrpy configuration for recording chains against your own
        servers and replaying them in CI: every request header dropped but content-type,
        one placeholder host (so a cassette recorded against ``127.0.0.1:PORT`` replays
        anywhere), request bodies compared as JSON, response headers dropped, local servers
        recorded (``ignore_localhost`` off), the embedded servers' health probes left out.

Use with pytest-recording::

    # conftest.py
    @pytest.fixture(scope="module")
    def vcr_config(llmswitch_vcr_config):
        return llmswitch_vcr_config

    # test_chain.py
    @pytest.mark.vcr
    def test_summary(llmswitch_chat_model):
        assert llmswitch_chat_model.invoke("Say hi").content

    $ pytest --llmswitch-providers=vllm,ollama --record-mode=once   # record
    $ pytest --record-mode=none                                       # replay in CI

Replay is offline: while a test replays its cassette (write-protected: ``--record-mode=none``,
or ``once`` with the cassette recorded), and for the whole session with
``--record-mode=none``, models are built in `langchain_llmswitch.replay` mode: the
``embedded`` default starts no llama-server, needs no ``embedded`` extra and downloads no
model; a URL that no variable gives is a placeholder; nothing waits for a server. Replay needs
pytest-recording and vcrpy (``pip install 'langchain-llmswitch[pytest]'``), and the variables
the cassettes were recorded with, minus the URLs; the header of every run says so in one
line (`NEEDS`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = ["NEEDS", "llmswitch_vcr_config", "scrub_request", "scrub_response"]

# The value of langchain_llmswitch.replay.PLACEHOLDER_HOST (not imported: importing the package
# loads pydantic-settings on every pytest run of every project that has it installed).
PLACEHOLDER_HOST = "http://llmswitch-test-server"
_KEPT_HEADERS = frozenset({"content-type"})
# langchain_llmswitch.embedded.processes.PROBE_HEADER: the embedded servers' health probes.
_PROBE_HEADER = "x-llmswitch-probe"
_CASSETTE_PLUGINS = ("recording", "vcr")  # pytest-recording, pytest-vcr
NEEDS = "pytest-recording and vcrpy: pip install 'langchain-llmswitch[pytest]'"
"""What recording and replaying cassettes needs, as the run's header and errors say it."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--llmswitch-providers``."""
    group = parser.getgroup("llmswitch")
    group.addoption(
        "--llmswitch-providers",
        default="",
        help="comma-separated providers to run llmswitch_* fixtures against "
        "(default: the configured LLM_PROVIDER)",
    )


def _has_cassette_plugin(config: pytest.Config) -> bool:
    return any(config.pluginmanager.hasplugin(name) for name in _CASSETTE_PLUGINS)


def _replays_session(config: pytest.Config) -> bool:
    """``--record-mode=none`` given: nothing in the session may reach a server."""
    return (
        config.pluginmanager.hasplugin("recording")
        and config.getoption("--record-mode", None) == "none"
        and not config.getoption("--disable-recording", default=False)
    )


_SESSION_REPLAY = pytest.StashKey[contextlib.ExitStack]()


def pytest_configure(config: pytest.Config) -> None:
    """With ``--record-mode=none``, replay from the start (module fixtures, collection)."""
    if _replays_session(config):
        from langchain_llmswitch import replay  # noqa: PLC0415 - only replaying sessions

        stack = contextlib.ExitStack()
        stack.enter_context(replay.replaying())
        config.stash[_SESSION_REPLAY] = stack


def pytest_unconfigure(config: pytest.Config) -> None:
    """End the session's replay (its own only: pytester runs sessions inside sessions)."""
    stack = config.stash.get(_SESSION_REPLAY, None)
    if stack is not None:
        stack.close()
        del config.stash[_SESSION_REPLAY]


def pytest_report_header(config: pytest.Config) -> str:
    """One line: what recording and replaying cassettes needs, and whether it is there."""
    found = "installed" if _has_cassette_plugin(config) else "MISSING"
    return f"llmswitch: cassettes need {NEEDS} ({found}); replay starts no server"


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A ``vcr`` test without a cassette plugin would reach the real servers: fail it."""
    if item.get_closest_marker("vcr") is not None and not _has_cassette_plugin(item.config):
        pytest.fail(f"@pytest.mark.vcr records and replays nothing without {NEEDS}")


@pytest.fixture(autouse=True)
def _llmswitch_replay(request: pytest.FixtureRequest) -> Iterator[None]:
    """Build models in replay mode while the test's cassette only replays."""
    cassette = None
    if "vcr" in request.fixturenames and request.node.get_closest_marker("vcr") is not None:
        cassette = request.getfixturevalue("vcr")  # pytest-recording's cassette, or None
    if not getattr(cassette, "write_protected", False):
        yield
        return
    from langchain_llmswitch import replay  # noqa: PLC0415 - only replayed tests

    with replay.replaying():
        yield


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise the llmswitch fixtures over the providers asked for."""
    wanted = {"llmswitch_chat_model", "llmswitch_embeddings", "llmswitch_provider"}
    if not wanted & set(metafunc.fixturenames):
        return
    option = str(metafunc.config.getoption("--llmswitch-providers") or "")
    providers = [name.strip() for name in option.split(",") if name.strip()] or [""]
    ids = [name or "configured" for name in providers]
    metafunc.parametrize("llmswitch_provider", providers, ids=ids, indirect=True)


@pytest.fixture
def llmswitch_provider(request: pytest.FixtureRequest) -> str:
    """The provider of this run ("" means the configured one)."""
    return str(getattr(request, "param", ""))


@pytest.fixture
def llmswitch_chat_model(llmswitch_provider: str, _llmswitch_replay: None) -> Any:
    """The chat model the configuration names, for the provider of this run."""
    from langchain_llmswitch import get_chat_model  # noqa: PLC0415 - pydantic-settings: not on every pytest run

    return get_chat_model(provider=llmswitch_provider or None)


@pytest.fixture
def llmswitch_embeddings(llmswitch_provider: str, _llmswitch_replay: None) -> Any:
    """The embeddings the configuration names, for the provider of this run."""
    from langchain_llmswitch import get_embeddings  # noqa: PLC0415

    return get_embeddings(provider=llmswitch_provider or None)


def scrub_request(request: Any) -> Any:
    """Drop every request header but content-type; record one placeholder host.

    The embedded servers' health probes (`langchain_llmswitch.embedded.processes.http_ok`)
    are not recorded (None): a replay starts no server and probes nothing.
    """
    if any(name.lower() == _PROBE_HEADER for name in request.headers):
        return None
    request.headers = {k: v for k, v in request.headers.items() if k.lower() in _KEPT_HEADERS}
    path_start = request.uri.find("/", request.uri.find("//") + 2)
    request.uri = PLACEHOLDER_HOST + (request.uri[path_start:] if path_start > 0 else "/")
    return request


def _local_paths() -> list[str]:
    return sorted({str(Path.home()), str(Path.cwd())}, key=len, reverse=True)


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """Drop response headers but content-type; replace local paths in bodies."""
    headers = response.get("headers", {})
    response["headers"] = {k: v for k, v in headers.items() if k.lower() in _KEPT_HEADERS}
    body = response.get("body", {}).get("string")
    if isinstance(body, bytes | str):
        text = body.decode(errors="replace") if isinstance(body, bytes) else body
        for path in _local_paths():
            if len(path) > 1:
                text = text.replace(path, "/local-path")
        response["body"]["string"] = text.encode() if isinstance(body, bytes) else text
    return response


def _json_body(first: Any, second: Any) -> None:
    def load(body: Any) -> Any:
        if not body:
            return None
        text = body.decode() if isinstance(body, bytes) else body
        try:
            return json.loads(text)
        except ValueError:
            return text

    if load(first.body) != load(second.body):
        msg = "request bodies differ"
        raise AssertionError(msg)


@pytest.hookimpl(optionalhook=True)  # pytest-recording's hook: absent without it
def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:  # noqa: ARG001 - the hook's signature
    """Register the JSON body matcher with pytest-recording's vcr."""
    vcr.register_matcher("json_body", _json_body)


def vcr_settings() -> dict[str, Any]:
    """The vcrpy configuration (also usable without pytest-recording)."""
    return {
        "match_on": ["method", "path", "query", "json_body"],
        "before_record_request": scrub_request,
        "before_record_response": scrub_response,
        "decode_compressed_response": True,
        "ignore_localhost": False,
        "allow_playback_repeats": False,
        "record_on_exception": False,
    }


@pytest.fixture(scope="session")
def llmswitch_vcr_config() -> dict[str, Any]:
    """The vcrpy configuration described in this module's docstring."""
    return vcr_settings()
