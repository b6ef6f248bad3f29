"""Replay mode: models built without starting, waiting for or asking any server.

The pytest plugin's switching is run in inner pytest sessions (pytester); the offline run of
docs/testing.md's worked example is tests/integration_tests/test_replay_offline.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from langchain_llmswitch import ConfigurationError, get_chat_model, get_embeddings, pytest_plugin
from langchain_llmswitch import replay as replay_mode
from langchain_llmswitch.embedded import server as embedded_server
from langchain_llmswitch.reliability import readiness

pytest_plugins = ["pytester"]

RECORDED = Path(__file__).parents[2] / "cassettes" / "test_providers" / "test_invoke[llamacpp].yaml"


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """Starting an embedded server, or waiting for any server, fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a server was started or asked")

    monkeypatch.setattr(embedded_server, "ensure_running", refuse)
    monkeypatch.setattr(embedded_server, "llama_server_binary", refuse)
    monkeypatch.setattr(readiness, "wait_for", refuse)


def test_the_switch_nests_and_ends() -> None:
    assert not replay_mode.active()
    with replay_mode.replaying():
        with replay_mode.replaying():
            assert replay_mode.active()
        assert replay_mode.active()
    assert not replay_mode.active()


def test_the_plugin_records_the_host_replay_uses() -> None:
    assert pytest_plugin.PLACEHOLDER_HOST == replay_mode.PLACEHOLDER_HOST
    assert replay_mode.PLACEHOLDER_URL.startswith(replay_mode.PLACEHOLDER_HOST + "/")


def test_embedded_default_replays_without_a_server_or_the_extra(no_server: None) -> None:
    with replay_mode.replaying():
        chat: Any = get_chat_model(max_tokens=12)
        embeddings: Any = get_embeddings()
    assert (chat.openai_api_base, chat.model_name) == (replay_mode.PLACEHOLDER_URL, "smollm2")
    assert (embeddings.openai_api_base, embeddings.model) == (
        replay_mode.PLACEHOLDER_URL,
        "all-MiniLM-L6-v2",
    )
    assert chat.llmswitch_provider == "embedded"
    assert embedded_server.model_name("chat") == "smollm2"


def test_embedded_default_starts_its_server_outside_replay(no_server: None) -> None:
    with pytest.raises(AssertionError, match="a server was started"):
        get_chat_model()


def test_a_url_no_variable_gives_is_the_placeholder_in_replay(no_server: None) -> None:
    with pytest.raises(ConfigurationError, match="EMBEDDINGS_BASE_URL"):
        get_embeddings(provider="vllm", model="all-MiniLM-L6-v2")
    with replay_mode.replaying():
        embeddings: Any = get_embeddings(provider="vllm", model="all-MiniLM-L6-v2")
    assert embeddings.openai_api_base == replay_mode.PLACEHOLDER_URL


def test_a_configured_url_stays_in_replay(no_server: None) -> None:
    with replay_mode.replaying():
        chat: Any = get_chat_model(provider="vllm", base_url="http://gpu:8000/v1", model="m")
    assert chat.openai_api_base == "http://gpu:8000/v1"


def test_wait_ready_waits_for_nothing_in_replay(
    no_server: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_WAIT_READY", "30")
    with replay_mode.replaying():
        assert get_chat_model(provider="ollama", model="smollm2")
    with pytest.raises(AssertionError, match="a server was started or asked"):
        get_chat_model(provider="ollama", model="smollm2")


# --- the plugin, in inner pytest sessions ----------------------------------------------------

INNER = """
import pytest

from langchain_llmswitch import replay


@pytest.mark.vcr
def test_marked():
    print("marked replays:", replay.active())


def test_unmarked():
    print("unmarked replays:", replay.active())
"""


def _inner(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_inner=INNER)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    return pytester.runpytest("-s", "-p", "no:cacheprovider", *args)


@pytest.mark.parametrize(
    ("args", "marked", "unmarked"),
    [
        pytest.param((), True, False, id="default-none-per-test"),
        pytest.param(("--record-mode=none",), True, True, id="none-whole-session"),
        pytest.param(("--record-mode=once",), False, False, id="once-no-cassette-records"),
        pytest.param(("--record-mode=rewrite",), False, False, id="rewrite-records"),
        pytest.param(("--record-mode=none", "--disable-recording"), False, False, id="disabled"),
    ],
)
def test_the_plugin_replays_when_the_cassette_only_replays(
    pytester: pytest.Pytester, args: tuple[str, ...], marked: bool, unmarked: bool
) -> None:
    result = _inner(pytester, *args)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([f"*marked replays: {marked}*", f"*unmarked replays: {unmarked}*"])
    assert not replay_mode.active()  # the inner session's replay ended with it


def test_once_with_a_recorded_cassette_replays(pytester: pytest.Pytester) -> None:
    cassettes = pytester.path / "cassettes" / "test_inner"
    cassettes.mkdir(parents=True)
    shutil.copyfile(RECORDED, cassettes / "test_marked.yaml")
    result = _inner(pytester, "--record-mode=once")
    result.stdout.fnmatch_lines(["*marked replays: True*", "*unmarked replays: False*"])


def test_the_header_says_what_cassettes_need(pytester: pytest.Pytester) -> None:
    result = _inner(pytester)
    line = f"llmswitch: cassettes need {pytest_plugin.NEEDS} (installed); replay starts no server"
    assert line in result.stdout.lines
    assert pytest_plugin.NEEDS == (
        "pytest-recording and vcrpy: pip install 'langchain-llmswitch[pytest]'"
    )


def test_a_vcr_test_without_a_cassette_plugin_fails_in_one_line(
    pytester: pytest.Pytester,
) -> None:
    result = _inner(pytester, "-p", "no:recording", "-W", "ignore::pytest.PytestUnknownMarkWarning")
    result.assert_outcomes(passed=1, errors=1)  # failed in its setup
    output = result.stdout.str()
    assert f"llmswitch: cassettes need {pytest_plugin.NEEDS} (MISSING)" in output
    assert f"@pytest.mark.vcr records and replays nothing without {pytest_plugin.NEEDS}" in output


def test_an_inner_session_ends_only_its_own_replay(pytester: pytest.Pytester) -> None:
    with replay_mode.replaying():
        _inner(pytester, "--record-mode=none").assert_outcomes(passed=2)
        assert replay_mode.active()
    assert not replay_mode.active()


def test_the_embedded_health_probes_stay_out_of_cassettes(monkeypatch: pytest.MonkeyPatch) -> None:
    from vcr.request import Request  # noqa: PLC0415

    from langchain_llmswitch.embedded import processes  # noqa: PLC0415

    sent: list[Any] = []

    def fake_open(request: Any, timeout: float) -> Any:
        sent.append(request)
        raise OSError("no server here")

    monkeypatch.setattr(processes._OPENER, "open", fake_open)
    assert not processes.http_ok("http://127.0.0.1:9/health")
    headers = dict(sent[0].header_items())
    assert headers == {processes.PROBE_HEADER.capitalize(): "1"}
    probe = Request("GET", "http://127.0.0.1:9/health", None, headers)
    assert pytest_plugin.scrub_request(probe) is None
    chat = Request("POST", "http://127.0.0.1:9/v1/chat/completions", "{}", {"X-Other": "1"})
    assert pytest_plugin.scrub_request(chat).uri == (
        pytest_plugin.PLACEHOLDER_HOST + "/v1/chat/completions"
    )
