"""A password in a server URL and the API keys reach only their server, and are never shown."""

from __future__ import annotations

import logging

import httpx
import pytest
from langchain_core.load import dumps

from langchain_llmswitch import (
    ConfigurationError,
    get_chat_model,
    get_embeddings,
    get_vision_model,
    load_settings,
    resolve_endpoint,
)
from langchain_llmswitch.cli import main

SECRET = "s3cr3t-pw"
KEY = "sk-never-shown-0042"
URLS = {
    "vllm": {
        "LLM_PROVIDER": "vllm",
        "LLM_BASE_URL": f"http://me:{SECRET}@127.0.0.1:9/v1",
        "LLM_MODEL": "m",
        "EMBEDDINGS_BASE_URL": f"http://me:{SECRET}@127.0.0.1:9/v1",
        "EMBEDDINGS_MODEL": "e",
        "VISION_BASE_URL": f"http://me:{SECRET}@127.0.0.1:9/v1",
        "VISION_MODEL": "v",
    },
    "ollama": {
        "LLM_PROVIDER": "ollama",
        "OLLAMA_HOST": f"http://me:{SECRET}@127.0.0.1:9",
        "LLM_MODEL": "m",
        "EMBEDDINGS_MODEL": "e",
    },
}


@pytest.fixture(params=sorted(URLS))
def env_with_password(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    for name, value in URLS[request.param].items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LLM_MAX_RETRIES", "0")
    monkeypatch.setenv("LLM_TIMEOUT", "2")
    return str(request.param)


def test_models_hold_no_password(env_with_password: str) -> None:
    models = [get_chat_model(), get_embeddings(), get_vision_model()]
    for model in models:
        for shown in (repr(model), str(model), dumps(model), str(vars(model))):
            assert SECRET not in shown, (env_with_password, type(model).__name__)


def test_settings_repr_masks_the_password(env_with_password: str) -> None:
    settings = load_settings()
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings)


def test_endpoint_repr_masks_the_password(env_with_password: str) -> None:
    endpoint = resolve_endpoint("chat")
    assert SECRET in endpoint.base_url  # kept for the package's own probes
    assert SECRET not in repr(endpoint)
    assert "me:***@" in repr(endpoint)
    assert SECRET not in endpoint.client_url
    assert endpoint.basic_auth == ("me", SECRET)


@pytest.mark.enable_socket
def test_errors_logs_and_cli_hold_no_password(
    env_with_password: str,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(Exception) as caught:
        get_chat_model().invoke("hi")
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value)
    for command in (["config"], ["config", "--json"], ["check"], ["check", "--json"]):
        main(command)
    out = capsys.readouterr()
    assert SECRET not in out.out + out.err, env_with_password
    assert "***" in out.out + out.err
    assert SECRET not in caplog.text


def test_a_bad_url_with_a_password_is_refused_without_showing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "vllm")
    monkeypatch.setenv("LLM_BASE_URL", f"http://me:{SECRET}@host:99999/v1")
    with pytest.raises(ConfigurationError) as caught:
        resolve_endpoint("chat", model="m")
    assert "LLM_BASE_URL" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_a_password_and_a_key_for_one_server_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_API_KEY", KEY)
    with pytest.raises(ConfigurationError, match="user:password") as caught:
        resolve_endpoint(
            "chat", provider="vllm", model="m", base_url=f"http://me:{SECRET}@h:8000/v1"
        )
    assert caught.value.setting == "LLM_API_KEY"
    assert SECRET not in str(caught.value)
    assert KEY not in str(caught.value)


def test_the_password_goes_as_basic_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    """The model's URL has no password, yet the server gets it: as the client's basic auth."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(401)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", lambda _, r: answer(r))
    model = get_chat_model(provider="vllm", model="m", base_url=f"http://me:{SECRET}@h:8000/v1")
    with pytest.raises(Exception):  # noqa: B017 - the 401 itself is not the point
        model.invoke("hi")
    assert seen
    assert seen[0].headers["authorization"] == httpx.BasicAuth("me", SECRET)._auth_header
    assert SECRET not in str(seen[0].url)


@pytest.mark.parametrize(
    ("env", "sent"),
    [
        ({"EMBEDDINGS_BASE_URL": "http://gpu1:8001/v1"}, KEY),  # same host: the chat key
        ({"EMBEDDINGS_BASE_URL": "http://other:8001/v1"}, None),  # another host: none
        (
            {"EMBEDDINGS_BASE_URL": "http://other:8001/v1", "EMBEDDINGS_API_KEY": "own"},
            "own",
        ),
    ],
)
def test_the_chat_key_goes_to_another_server_only_on_its_host(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], sent: str | None
) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "vllm")
    monkeypatch.setenv("LLM_BASE_URL", "http://gpu1:8000/v1")
    monkeypatch.setenv("LLM_API_KEY", KEY)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    endpoint = resolve_endpoint("embeddings", model="e")
    got = endpoint.api_key.get_secret_value() if endpoint.api_key else None
    assert got == sent
    if sent == KEY:
        assert "chat server's host" in endpoint.origin("api_key")


def test_vision_key_keyword(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_API_KEY", KEY)
    endpoint = resolve_endpoint(
        "vision", provider="vllm", model="v", base_url="http://elsewhere:8002/v1", api_key="vk"
    )
    assert endpoint.api_key is not None
    assert endpoint.api_key.get_secret_value() == "vk"
