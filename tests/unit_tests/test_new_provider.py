"""A new provider is one module with a ``SPEC`` plus one entry in the provider table.

The "module" here is a namespace defined in this test; the entry is added to the table
for the test only. The factories, the settings, readiness and structured output then
serve it with no other change to the package. Its requests go to the unit tests' recorder.
"""

from __future__ import annotations

import types
from typing import Any

import httpx
import pytest
from langchain_openai import ChatOpenAI, OpenAIEmbeddings

from langchain_llmswitch import (
    ConfigurationError,
    get_chat_model,
    get_embeddings,
    load_settings,
    resolve_endpoint,
)
from langchain_llmswitch import providers as provider_table
from langchain_llmswitch.providers import PROVIDERS, normalise_provider_name, openai_protocol
from langchain_llmswitch.providers.base import Endpoint, Placement, ProviderSpec
from langchain_llmswitch.reliability import readiness
from langchain_llmswitch.structured import Constraint, request_fields

from .wire import Recorder

RECORDER = Recorder()

PARAMETERS = {
    "temperature": Placement("field", "temperature", "temperature"),
    "max_tokens": Placement("field", "max_tokens", "max_completion_tokens"),
    "top_p": Placement("field", "top_p", "top_p"),
    "top_k": Placement("extra_body", "top_k", "top_k"),
    "repetition_penalty": Placement("extra_body", "repetition_penalty", "repetition_penalty"),
    "seed": Placement("field", "seed", "seed"),
    "stop": Placement("field", "stop", "stop"),
    "num_ctx": Placement("server", "--ctx", "(server flag; checked, not sent)"),
}


def _clients() -> dict[str, Any]:
    # A real provider module would leave these out (the SDK's own clients); here every
    # request goes to the recorder, since the unit tests have no sockets.
    return {
        "http_client": httpx.Client(transport=httpx.MockTransport(RECORDER.handler)),
        "http_async_client": httpx.AsyncClient(transport=httpx.MockTransport(RECORDER.handler)),
    }


def _chat_kwargs(endpoint: Endpoint) -> dict[str, Any]:
    return {**openai_protocol.chat_kwargs(endpoint, PARAMETERS, "acme"), **_clients()}


def _embeddings_kwargs(endpoint: Endpoint) -> dict[str, Any]:
    return {**openai_protocol.embeddings_kwargs(endpoint), **_clients()}


acme = types.SimpleNamespace(
    SPEC=ProviderSpec(
        name="acme",
        label="Acme Inference",
        aliases=("acme-ai",),
        description="A made-up OpenAI-compatible server that enforces vLLM-style constraints.",
        package=openai_protocol.PACKAGE,
        import_name="langchain_openai",
        default_base_url="http://acme.test:9000/v1",
        one_model_per_server=True,
        discovers_model=False,
        legacy_base_url={"chat": (), "embeddings": (), "vision": ()},
        legacy_model={"chat": (), "embeddings": (), "vision": ()},
        legacy_api_key=(),
        parameters=PARAMETERS,
        base_url_from=lambda _field, url: openai_protocol.ensure_v1(url),
        chat_class="langchain_llmswitch.providers.openai_chat:SwitchChatOpenAI",
        embeddings_class=openai_protocol.EMBEDDINGS_CLASS,
        chat_kwargs=_chat_kwargs,
        embeddings_kwargs=_embeddings_kwargs,
        health_path="/ready",
        constraints="structured_outputs",
        model_hint="Use an Acme model id (see the Acme console).",
    )
)
"""The provider module: everything the package needs to know is its ``SPEC``."""


@pytest.fixture(autouse=True)
def acme_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one table entry, for this module's tests only."""
    monkeypatch.setitem(provider_table._TABLE, "acme", acme.SPEC)
    RECORDER.bodies.clear()
    RECORDER.paths.clear()


def test_the_table_lists_it_by_name_and_alias() -> None:
    assert PROVIDERS["acme"] is acme.SPEC
    assert normalise_provider_name(" Acme-AI ") == "acme"
    assert load_settings(provider="acme").provider == "acme"


def test_chat_goes_to_the_new_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "acme")
    monkeypatch.setenv("LLM_MODEL", "acme-small")
    monkeypatch.setenv("LLM_TOP_K", "7")
    chat = get_chat_model()
    assert isinstance(chat, ChatOpenAI)
    assert chat.invoke("hi").content == "ok"
    (body,) = RECORDER.bodies
    assert body["model"] == "acme-small"
    assert body["top_k"] == 7
    assert RECORDER.paths == ["/v1/chat/completions"]
    assert resolve_endpoint("chat").base_url == "http://acme.test:9000/v1"


def test_embeddings_go_to_the_new_server() -> None:
    embeddings = get_embeddings(
        provider="acme", base_url="http://acme.test:9001", model="acme-embed"
    )
    assert isinstance(embeddings, OpenAIEmbeddings)
    assert embeddings.embed_documents(["a", "b"]) == [[0.1, 0.2], [0.1, 0.2]]
    (body,) = RECORDER.bodies
    assert body["model"] == "acme-embed"
    assert body["input"] == ["a", "b"]


def test_the_spec_decides_constraints_hints_and_readiness(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fields = request_fields("acme", Constraint("regex", "[a-z]+"))
    assert fields == {"extra_body": {"structured_outputs": {"regex": "[a-z]+"}}}
    asked: list[str] = []

    def get(url: str, **_: Any) -> httpx.Response:
        asked.append(url)
        return httpx.Response(503)

    monkeypatch.setattr(httpx, "get", get)
    found = readiness.probe(resolve_endpoint("chat", provider="acme", model="m"), timeout=1)
    assert not found.ready
    assert asked == ["http://acme.test:9000/ready"]
    with pytest.raises(ConfigurationError, match="Use an Acme model id"):
        resolve_endpoint("chat", provider="acme")
