"""Every bad input gets a ConfigurationError naming the variable or keyword and what is valid."""

from __future__ import annotations

import ast
import builtins
import inspect
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from langchain_llmswitch import (
    ConfigurationError,
    LLMSwitchError,
    MissingDependencyError,
    errors,
    get_chat_model,
    get_embeddings,
    load_settings,
    resolve_endpoint,
)
from langchain_llmswitch.config import LLMSwitchSettings, env_names
from langchain_llmswitch.providers import PROVIDERS
from langchain_llmswitch.providers.base import CAPABILITIES, Capability

BASE = {"LLM_PROVIDER": "vllm", "VLLM_MODEL": "m"}

# (id, environment, keywords, substrings the message must contain)
BAD: list[tuple[str, dict[str, str], dict[str, Any], list[str]]] = [
    (
        "unknown provider env",
        {"LLM_PROVIDER": "vlm"},
        {},
        ["LLM_PROVIDER='vlm'", "unknown provider", "ollama, vllm, openai", "Did you mean 'vllm'"],
    ),
    (
        "unknown provider keyword",
        {},
        {"provider": "olama"},
        ["keyword provider='olama'", "Did you mean 'ollama'"],
    ),
    (
        "unknown vision provider",
        {"OCR_PROVIDER": "tesseract"},
        {},
        ["OCR_PROVIDER='tesseract'", "unknown provider"],
    ),
    (
        "url without scheme",
        {**BASE, "LLM_BASE_URL": "localhost:8000/v1"},
        {},
        ["LLM_BASE_URL='localhost:8000/v1'", "http://HOST:PORT"],
    ),
    (
        "url bad port",
        {**BASE, "VLLM_URL": "http://vllm:99999"},
        {},
        ["VLLM_URL='http://vllm:99999'", "port", "1 to 65535"],
    ),
    (
        "url non-numeric port",
        {**BASE},
        {"base_url": "http://vllm:eighty/v1"},
        ["keyword base_url", "port"],
    ),
    (
        "ollama host bad port",
        {"OLLAMA_HOST": "gpu:0", "OLLAMA_MODEL": "m"},
        {},
        ["OLLAMA_HOST='gpu:0'", "port"],
    ),
    (
        "non-numeric timeout",
        {**BASE, "LLM_TIMEOUT": "ten"},
        {},
        ["LLM_TIMEOUT='ten'", "valid number", "Seconds"],
    ),
    (
        "negative timeout legacy",
        {**BASE, "OLLAMA_TIMEOUT": "-5"},
        {},
        ["OLLAMA_TIMEOUT='-5'", "greater than 0"],
    ),
    (
        "temperature too high",
        {**BASE, "LLM_TEMPERATURE": "3"},
        {},
        ["LLM_TEMPERATURE='3'", "less than or equal to 2"],
    ),
    ("temperature keyword", BASE, {"temperature": -1}, ["keyword temperature=-1", "0 to 2"]),
    ("top_p zero", {**BASE, "LLM_TOP_P": "0"}, {}, ["LLM_TOP_P='0'", "greater than 0"]),
    ("num_ctx zero", {**BASE, "OLLAMA_NUM_CTX": "0"}, {}, ["OLLAMA_NUM_CTX='0'"]),
    ("max_retries negative", {**BASE, "LLM_MAX_RETRIES": "-1"}, {}, ["LLM_MAX_RETRIES='-1'"]),
    ("timeout infinite", {**BASE, "LLM_TIMEOUT": "inf"}, {}, ["LLM_TIMEOUT='inf'", "finite"]),
    ("temperature nan", BASE, {"temperature": float("nan")}, ["temperature=nan", "finite"]),
    (
        "url with an endpoint path",
        {**BASE, "VLLM_URL": "http://v:8000/v1/chat/completions"},
        {},
        ["VLLM_URL=", "endpoint path", "'http://v:8000/v1'"],
    ),
    (
        "ollama url with an endpoint path",
        {"LLM_PROVIDER": "ollama", "OLLAMA_MODEL": "m", "OLLAMA_HOST": "http://o:11434/api/chat"},
        {},
        ["OLLAMA_HOST=", "endpoint path", "'http://o:11434'"],
    ),
    ("url with a query", BASE, {"base_url": "http://v:8000/v1?key=1"}, ["base_url=", "query"]),
    ("url with a fragment", BASE, {"base_url": "http://v:8000/v1#x"}, ["base_url=", "fragment"]),
    (
        "conflicting keywords",
        BASE,
        {"max_tokens": 5, "num_predict": 7},
        ["'max_tokens' and 'num_predict'", "only one"],
    ),
    (
        "missing env file",
        {**BASE, "LLMSWITCH_ENV_FILE": "/no/such/dir/.env"},
        {},
        ["LLMSWITCH_ENV_FILE='/no/such/dir/.env'", "no such file"],
    ),
    (
        "unknown keyword",
        BASE,
        {"temprature": 0.3},
        ["Unknown setting keyword 'temprature'", "Did you mean 'temperature'"],
    ),
    (
        "chat model missing ollama",
        {"OLLAMA_HOST": "ollama:11434"},
        {},
        ["No chat model", "LLM_MODEL or OLLAMA_MODEL"],
    ),
    (
        "vision on embedded",
        {"VISION_PROVIDER": "embedded"},
        {},
        ["embedded provider", "has no vision model", "VISION_PROVIDER / OCR_PROVIDER"],
    ),
    (
        "embeddings model missing",
        {"OLLAMA_MODEL": "m"},
        {},
        ["No embeddings model", "EMBEDDINGS_MODEL"],
    ),
]


@pytest.mark.parametrize(
    ("environment", "keywords", "expected"),
    [case[1:] for case in BAD],
    ids=[case[0] for case in BAD],
)
def test_bad_input_is_explained(
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    keywords: dict[str, Any],
    expected: list[str],
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    joined = " ".join(expected)
    capability: Capability = (
        "embeddings" if "embeddings" in joined else "vision" if "vision" in joined else "chat"
    )
    with pytest.raises(ConfigurationError) as caught:
        resolve_endpoint(capability, **keywords)
    message = str(caught.value)
    for part in expected:
        assert part in message, message
    assert "validation error" not in message.lower()  # never a raw pydantic error
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, LLMSwitchError)


def test_vllm_without_model_and_no_server_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With no model, vLLM's is discovered from the server; unreachable: a clear error."""
    monkeypatch.setenv("LLM_PROVIDER", "vllm")
    monkeypatch.setenv("VLLM_URL", "http://127.0.0.1:9")
    with pytest.raises(ConfigurationError) as caught:
        get_chat_model()
    assert "No chat model is configured" in str(caught.value)
    assert "could not be asked" in str(caught.value)
    assert "LLM_MODEL" in str(caught.value)


def test_error_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "nope")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert caught.value.setting == "LLM_PROVIDER"


def test_vllm_embeddings_need_their_own_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "vllm")
    monkeypatch.setenv("EMBEDDINGS_MODEL", "minilm")
    with pytest.raises(ConfigurationError, match="one model per server") as caught:
        get_embeddings()
    assert "EMBEDDINGS_BASE_URL" in str(caught.value)


def _missing_setting_message(provider: str, capability: Capability) -> str | None:
    """The message of resolving a capability on a provider with nothing else set, if any."""
    keywords: dict[str, Any] = {"provider": provider}
    try:
        resolve_endpoint(capability, **keywords)
    except ConfigurationError as error:
        return str(error)
    try:  # no model needed (discovered): then the URL is what may be missing
        resolve_endpoint(capability, model="some-model", **keywords)
    except ConfigurationError as error:
        return str(error)
    return None


CASES = [
    (name, capability)
    for name, spec in PROVIDERS.items()
    for capability in CAPABILITIES
    if capability in spec.capabilities
]


@pytest.mark.parametrize(("provider", "capability"), CASES)
def test_messages_point_at_the_capability_and_provider_in_question(
    provider: str, capability: Capability
) -> None:
    """Examples are the capability's own; variables are ones this provider reads for it."""
    spec = PROVIDERS[provider]
    message = _missing_setting_message(provider, capability)
    if message is None:
        return
    for other, example in spec.example_models.items():
        if other != capability and example != spec.example_models.get(capability):
            assert repr(example) not in message, message
    if "model is set" in message:
        assert repr(spec.example_models[capability]) in message, message
    for field_name in spec.borrowed_fields:
        for name in env_names(LLMSwitchSettings.model_fields[field_name]):
            assert name not in message, message
    for other_spec in PROVIDERS.values():  # never another provider's own legacy variables
        if other_spec.name == provider:
            continue
        for field_name in other_spec.legacy_model[capability]:
            for name in env_names(LLMSwitchSettings.model_fields[field_name]):
                assert name not in message, message


def test_ollama_embeddings_message_shows_an_embeddings_model() -> None:
    with pytest.raises(ConfigurationError) as caught:
        get_embeddings(provider="ollama")
    message = str(caught.value)
    assert "'nomic-embed-text'" in message
    assert "llama3.1:8b" not in message
    assert "EMBEDDINGS_MODEL" in message
    assert "OLLAMA_EMBEDDING_MODEL" in message


def test_openai_embeddings_url_message_does_not_suggest_ollama_host() -> None:
    with pytest.raises(ConfigurationError, match="one model per server") as caught:
        resolve_endpoint("embeddings", provider="openai", model="bge")
    message = str(caught.value)
    assert "OLLAMA_HOST" not in message
    assert "EMBEDDINGS_BASE_URL" in message
    assert "OPENAI_BASE_URL" in message


def test_openai_still_reads_ollama_host(monkeypatch: pytest.MonkeyPatch) -> None:
    """Borrowed variables are read, only never suggested."""
    monkeypatch.setenv("OLLAMA_HOST", "ollama:11434")
    endpoint = resolve_endpoint("chat", provider="openai", model="m")
    assert endpoint.base_url == "http://ollama:11434/v1"


def test_missing_package_names_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("langchain_ollama"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(__import__("sys").modules, "langchain_ollama", raising=False)
    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(MissingDependencyError) as caught:
        get_chat_model(provider="ollama", model="m")
    assert "pip install langchain-ollama" in str(caught.value)
    assert isinstance(caught.value, ImportError)


SECRET = "sk-very-secret-0123456789"


def test_secret_never_shown(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("LLM_PROVIDER", "vllm")
    monkeypatch.setenv("VLLM_MODEL", "m")
    monkeypatch.setenv("LLM_API_KEY", SECRET)
    settings = load_settings()
    endpoint = resolve_endpoint("chat")
    chat = get_chat_model()
    shown = [repr(settings), str(settings), repr(endpoint), str(endpoint), repr(chat), str(chat)]
    # an invalid setting next to the key: the error must not carry the key either
    monkeypatch.setenv("LLM_TIMEOUT", "bad")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    shown.append(str(caught.value))
    shown.append(caplog.text)
    for text in shown:
        assert SECRET not in text


def test_secret_with_bad_type_is_masked() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(api_key=12345)
    assert "12345" not in str(caught.value)
    assert "**********" in str(caught.value)


def test_every_exception_class_lives_in_errors() -> None:
    """The package's exception classes are all in `errors.py`, and all `LLMSwitchError`s."""
    package = Path(errors.__file__).parent
    defined = {
        f"{path.relative_to(package)}:{node.name}"
        for path in package.rglob("*.py")
        if path.name != "errors.py"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef)
        and any(ast.unparse(base).endswith(("Error", "Exception")) for base in node.bases)
    }
    assert defined == set()
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass)]
    assert classes
    for cls in classes:
        if cls.__module__ == errors.__name__:
            assert issubclass(cls, LLMSwitchError)
            assert cls.__name__ in errors.__all__
            assert cls.__name__ in (errors.__doc__ or "")


def _not_found(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/models"):
        data = [{"id": "served-vl", "object": "model", "created": 0, "owned_by": "vllm"}]
        return httpx.Response(200, json={"object": "list", "data": data})
    error = {"message": "The model `nope` does not exist.", "type": "NotFoundError", "code": 404}
    return httpx.Response(404, json={"error": error})


@pytest.mark.parametrize(
    ("capability", "variables"),
    [("chat", "LLM_MODEL or VLLM_MODEL"), ("vision", "VISION_MODEL or VLLM_VISION_MODEL")],
)
def test_vllm_unknown_model_names_the_variables_of_its_capability(
    capability: Capability, variables: str
) -> None:
    endpoint = resolve_endpoint(
        capability, provider="vllm", model="nope", base_url="http://v:8000/v1", max_retries=0
    )
    kwargs = PROVIDERS["vllm"].chat_kwargs(endpoint)
    kwargs["http_client"] = httpx.Client(transport=httpx.MockTransport(_not_found))
    chat = PROVIDERS["vllm"].load_chat_class()(**kwargs)
    with pytest.raises(errors.ModelNotFoundError) as caught:
        chat.invoke("hi")
    message = str(caught.value)
    assert f"Set {variables} (the {capability} model) to one of them" in message
    assert "Served: served-vl" in message
    assert repr(PROVIDERS["vllm"].example_models[capability]) in message
    assert caught.value.setting == variables.split(" or ", maxsplit=1)[0]


def test_an_env_file_that_is_not_utf8_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env = tmp_path / "latin1.env"
    env.write_bytes(b"LLM_PROVIDER=vllm\nVLLM_MODEL=caf\xe9\n")
    monkeypatch.setenv("LLMSWITCH_ENV_FILE", str(env))
    with pytest.raises(ConfigurationError, match="not UTF-8") as caught:
        resolve_endpoint("chat")
    assert str(env) in str(caught.value)
    assert caught.value.setting == "LLMSWITCH_ENV_FILE"
