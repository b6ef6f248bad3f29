"""Types shared by every provider module: the provider spec and the resolved endpoint.

A provider is one module exposing a `SPEC: ProviderSpec`; the table in
`langchain_llmswitch.providers` lists them. The spec says everything the rest of the
package needs to know: names, where legacy variables apply, default URL, how each
sampling parameter reaches the server, and how to build the LangChain objects.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

from pydantic import SecretStr

from langchain_llmswitch import urls
from langchain_llmswitch.errors import MissingDependencyError

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models import BaseChatModel

__all__ = [
    "CAPABILITIES",
    "PARAMETERS",
    "Capability",
    "ClientErrors",
    "ConstraintSpelling",
    "ContextProbe",
    "Endpoint",
    "ErrorKind",
    "Placement",
    "Protocol",
    "ProviderSpec",
    "ReasoningSpelling",
    "Sampling",
    "ToolChoiceMode",
    "ToolSupport",
    "ToolsProbe",
    "VisionProbe",
    "import_provider_package",
    "reasoning_kwargs",
]

Capability = Literal["chat", "embeddings", "vision"]
CAPABILITIES: tuple[Capability, ...] = ("chat", "embeddings", "vision")

Protocol = Literal["openai", "ollama"]
"""The wire protocol: OpenAI's ``/v1`` API (Bearer key), or Ollama's native ``/api``."""

ConstraintSpelling = Literal["ollama_format", "structured_outputs", "gbnf_grammar"]
"""How a server is told to enforce a regex, a choice or a grammar (a JSON schema goes in
``response_format`` on every OpenAI-protocol server): Ollama's ``format`` (a JSON schema
only, so regex and choice are wrapped in one), vLLM's ``structured_outputs`` in the
request body, or a llama.cpp GBNF ``grammar``."""

VisionProbe = Literal["ollama_show", "vllm_tokenize", "models_list"]
"""How `check_vision` asks a server whether a model reads images: Ollama's ``/api/show``
capabilities, a vLLM ``/tokenize`` request holding a 1x1 image, or
``architecture.input_modalities`` in ``GET /models`` (llama.cpp; others do not say)."""

ReasoningSpelling = Literal["chat_template_kwargs", "ollama_think"]
"""How thinking is turned on or off: ``chat_template_kwargs.enable_thinking`` in the request
body (vLLM and llama-server hand it to the chat template, as Qwen3's reads it), or Ollama's
``think`` (ChatOllama's ``reasoning``; Ollama 0.9 and later)."""

ToolChoiceMode = Literal["auto", "any", "named"]
"""A kind of ``tool_choice``: the model decides, some tool is forced, one named tool is forced."""

ToolSupport = Literal["native", "none"]
"""Whether a provider's servers call tools (``native``: the server parses tool calls out of the
model's output) or never do (``none``: binding tools is a `CapabilityError`)."""

ToolsProbe = Literal["llamacpp_props", "ollama_template"]
"""How a server is asked, before any chat request, whether it can call tools: llama.cpp's
``/props`` (``chat_template_caps.supports_tools``; only when the server is llama.cpp), or
whether the Ollama model's template (``/api/show``) renders ``.Tools``."""

ContextProbe = Literal["models_list", "llamacpp_props", "ollama_show"]
"""Where a server tells a model's context length: vLLM's ``max_model_len`` in ``GET /models``,
llama.cpp's per-slot ``n_ctx`` in ``/props``, or Ollama's ``/api/show`` (``num_ctx`` of the
Modelfile, else Ollama's default capped by the model's ``context_length``)."""

ErrorKind = Literal["timeout", "connection", "status", "malformed"]
"""What a client's exception means: no answer in time, no connection, an HTTP error status
(its ``status_code`` says which), or an answer that is not a valid response."""

ClientErrors = tuple[tuple[str, ErrorKind], ...]
"""Client exception classes (``module:Class``) and what each means, first match wins."""

PARAMETERS: tuple[str, ...] = (
    "temperature",
    "max_tokens",
    "top_p",
    "top_k",
    "repetition_penalty",
    "seed",
    "stop",
    "num_ctx",
)
"""Our names of the sampling parameters, in the order tables show them."""

PARAMETER_ALIASES: dict[str, str] = {
    "num_predict": "max_tokens",
    "max_completion_tokens": "max_tokens",
    "repeat_penalty": "repetition_penalty",
}
"""Native spellings of our parameter names, accepted by the factories and per call."""


@dataclass(frozen=True, slots=True)
class Placement:
    """Where one sampling parameter goes for one provider.

    Attributes:
        where: ``"field"`` (a constructor field of the LangChain class, sent by it),
            ``"extra_body"`` (merged into the top level of an OpenAI request body), or
            ``"server"`` (set when the server starts; only checked, never sent).
        name: The name the server (or LangChain class) reads.
        wire: Where it lands in the JSON the server receives, e.g. ``options.num_predict``.
    """

    where: Literal["field", "extra_body", "server"]
    name: str
    wire: str


@dataclass(frozen=True, slots=True)
class Sampling:
    """Sampling parameters in our names; `None` means "not sent, server default"."""

    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    top_k: int | None = None
    repetition_penalty: float | None = None
    seed: int | None = None
    stop: tuple[str, ...] | None = None
    num_ctx: int | None = None


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Everything resolved for one capability: which server, which model, which parameters.

    Attributes:
        capability: chat, embeddings or vision.
        provider: The provider name (a key of the provider table).
        base_url: The URL handed to the LangChain class.
        model: The model name the server expects.
        api_key: The key for OpenAI-compatible servers (never printed).
        timeout: Seconds for connect and for each read.
        max_retries: Retries on connection errors, 429 and 5xx.
        sampling: Sampling parameters (empty for embeddings).
        embeddings_batch_size: Texts per embeddings request (None: the provider's default).
        embeddings_concurrency: Embeddings requests in flight (None: the provider's default).
        reasoning: Thinking on or off (None: the model's default), sent as `ProviderSpec`'s
            ``reasoning`` spelling says.
        origins: For each resolved name, where its value came from.
    """

    capability: Capability
    provider: str
    base_url: str
    model: str
    api_key: SecretStr | None
    timeout: float
    max_retries: int
    sampling: Sampling = field(default_factory=Sampling)
    embeddings_batch_size: int | None = None
    embeddings_concurrency: int | None = None
    reasoning: bool | None = None
    origins: tuple[tuple[str, str], ...] = field(default=(), compare=False, hash=False)

    def __repr__(self) -> str:
        """The endpoint with any password in its URL masked (the key is never shown)."""
        shown = urls.masked(self.base_url)
        return (
            f"Endpoint(capability={self.capability!r}, provider={self.provider!r}, "
            f"base_url={shown!r}, model={self.model!r}, timeout={self.timeout!r}, "
            f"max_retries={self.max_retries!r})"
        )

    @property
    def client_url(self) -> str:
        """The URL the LangChain object gets: without ``user:password@`` (see `basic_auth`)."""
        return urls.without_credentials(self.base_url)

    @property
    def basic_auth(self) -> tuple[str, str] | None:
        """The ``(user, password)`` of the URL, sent as the HTTP client's basic auth."""
        return urls.credentials(self.base_url)

    def origin(self, name: str) -> str:
        """Return where a resolved value came from (``"default"`` when not recorded).

        Args:
            name: ``provider``, ``base_url``, ``model``, ``api_key``, ``timeout``, ...
        """
        return dict(self.origins).get(name, "default")


KwargsBuilder = Callable[[Endpoint], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    """One row of the provider table.

    Attributes:
        name: Canonical name, as in ``LLM_PROVIDER``.
        label: Human name for messages.
        aliases: Other spellings accepted for the name (already lower-case).
        description: One line for docs and the CLI.
        package: Distribution to pip-install for this provider.
        install_command: The command that installs it, when ``pip install PACKAGE`` is not
            enough (the embedded extra compiles llama.cpp with ``CMAKE_ARGS``).
        import_name: Module that must be importable.
        default_base_url: URL used when nothing is configured (chat).
        one_model_per_server: Whether each model needs its own server (vLLM), so
            embeddings and vision never inherit the chat URL.
        discovers_model: Whether, with no model configured, the model is taken from the
            server when it serves exactly one (``/v1/models``).
        legacy_base_url: Per capability, the legacy URL fields (of the settings) to try.
        legacy_model: Per capability, the legacy model fields to try.
        legacy_api_key: Legacy key fields to try.
        parameters: How each of `PARAMETERS` reaches the server.
        base_url_from: Turns a URL read from a given settings field into the URL the
            LangChain class needs (adds or strips ``/v1``).
        chat_class: The LangChain chat class (``module:attribute``, imported when needed).
        embeddings_class: The LangChain embeddings class (``module:attribute``).
        chat_kwargs: The constructor arguments of the chat class for an endpoint.
        embeddings_kwargs: The constructor arguments of the embeddings class.
        capabilities: What the provider serves; resolving another capability on it is a
            `ConfigurationError` naming the variables to set.
        prepare: Called when a model of an endpoint is about to be built (never when
            settings resolve): returns the endpoint to build, e.g. with the URL of a server
            it has just started (the embedded provider).
        protocol: The wire protocol of the server (the bench's raw baseline speaks it;
            server metadata is read with it).
        health_path: A path of the server root that answers 200 only once the server is
            ready (vLLM ``/health``), or None: then the model list alone tells.
        models_path: The path, under ``base_url``, that lists the served models.
        constraints: How regex, choice and grammar constraints are spelled for the server.
        vision_probe: How the server is asked whether a model reads images.
        model_hint: One sentence for messages about a missing or unknown model name;
            ``{example}`` stands for the capability's entry of `example_models`.
        example_models: Per capability, a model name to show in messages (an Ollama
            embeddings message shows an embeddings model, never a chat tag).
        borrowed_fields: Legacy settings of another provider that this one also reads
            (the ``openai`` provider turns ``OLLAMA_HOST`` into Ollama's ``/v1`` URL).
            They are read, but never suggested in messages about this provider.
        native_chat_classes: LangChain chat classes (``module:attribute``) that talk this
            provider's protocol when a model was not built by this package; a model of
            such a class is taken to be for this provider (only when its module is
            already imported: asking never imports a provider package).
        llamacpp_server: Whether the server is always llama.cpp's ``llama-server`` (the
            embedded provider); otherwise an OpenAI-compatible server is asked once.
        keyword_translations: Factory keywords of another provider's class that this
            provider's class spells differently: keyword -> its constructor keywords
            (`langchain_llmswitch.keywords`).
        routers: Routers (names in `langchain_llmswitch.providers.routers.ROUTERS`) that may
            stand in front of this provider's replicas; readiness asks for them (once per
            URL) and then uses the router's own probe instead of ``health_path``.
        tools: Whether the provider's servers call tools at all.
        tools_probe: How a server is asked whether it can call tools (None: not asked).
        server_tool_choices: The ``tool_choice`` kinds the server itself enforces; the others
            are enforced by the package with a JSON schema of the call (`toolcalls`).
        context_probe: Where the server tells the context length, for ``model.profile``.
        client_errors: What the provider's own client raises and which kind of failure
            each class means (httpx's and the built-ins are common to all); the package's
            server errors are built from it (`langchain_llmswitch.reliability.server_errors`).
        reasoning: How thinking is turned on or off (`langchain_llmswitch.reasoning`).
    """

    name: str
    label: str
    aliases: tuple[str, ...]
    description: str
    package: str
    import_name: str
    default_base_url: str
    one_model_per_server: bool
    discovers_model: bool
    legacy_base_url: Mapping[Capability, tuple[str, ...]]
    legacy_model: Mapping[Capability, tuple[str, ...]]
    legacy_api_key: tuple[str, ...]
    parameters: Mapping[str, Placement]
    base_url_from: Callable[[str, str], str]
    chat_class: str
    embeddings_class: str
    chat_kwargs: KwargsBuilder
    embeddings_kwargs: KwargsBuilder
    capabilities: tuple[Capability, ...] = CAPABILITIES
    install_command: str | None = None
    prepare: Callable[[Endpoint], Endpoint] | None = None
    protocol: Protocol = "openai"
    health_path: str | None = None
    models_path: str = "/models"
    constraints: ConstraintSpelling = "gbnf_grammar"
    vision_probe: VisionProbe = "models_list"
    model_hint: str = "Use the name the server serves (see GET /v1/models), e.g. {example!r}."
    example_models: Mapping[Capability, str] = field(
        default_factory=lambda: {
            "chat": "qwen2.5-7b-instruct",
            "embeddings": "nomic-embed-text-v1.5",
            "vision": "qwen2-vl-2b-instruct",
        }
    )
    borrowed_fields: tuple[str, ...] = ()
    native_chat_classes: tuple[str, ...] = ()
    llamacpp_server: bool = False
    keyword_translations: Mapping[str, Callable[[Any], dict[str, Any]]] = field(
        default_factory=dict
    )
    routers: tuple[str, ...] = ()
    tools: ToolSupport = "native"
    tools_probe: ToolsProbe | None = None
    server_tool_choices: tuple[ToolChoiceMode, ...] = ("auto",)
    context_probe: ContextProbe = "models_list"
    client_errors: ClientErrors = ()
    reasoning: ReasoningSpelling = "chat_template_kwargs"

    def hint(self, capability: Capability) -> str:
        """Return `model_hint` with the capability's example model.

        Args:
            capability: chat, embeddings or vision.
        """
        return self.model_hint.format(example=self.example_models.get(capability, ""))

    def suggested_fields(self, fields: tuple[str, ...]) -> tuple[str, ...]:
        """Return the settings fields worth suggesting in a message (no borrowed ones).

        Args:
            fields: Settings fields this provider reads, in precedence order.
        """
        return tuple(name for name in fields if name not in self.borrowed_fields)

    def prepared(self, endpoint: Endpoint) -> Endpoint:
        """Return the endpoint to build (after `prepare`, when the provider has one).

        Args:
            endpoint: The resolved endpoint.
        """
        return endpoint if self.prepare is None else self.prepare(endpoint)

    def owns(self, model: object) -> bool:
        """Whether a chat model not built by this package talks to this provider.

        Args:
            model: A LangChain chat model.
        """
        for target in self.native_chat_classes:
            module_name, _, attribute = target.partition(":")
            module = sys.modules.get(module_name)
            cls = getattr(module, attribute, None) if module is not None else None
            if isinstance(cls, type) and isinstance(model, cls):
                return True
        return False

    def load_chat_class(self) -> type[BaseChatModel]:
        """Import and return the chat class (raises `MissingDependencyError`)."""
        return self._load(self.chat_class)  # type: ignore[no-any-return]

    def load_embeddings_class(self) -> type[Embeddings]:
        """Import and return the embeddings class (raises `MissingDependencyError`)."""
        return self._load(self.embeddings_class)  # type: ignore[no-any-return]

    def build_chat(
        self, endpoint: Endpoint, extra: Mapping[str, Any] | None = None
    ) -> BaseChatModel:
        """Build the chat model of an endpoint.

        Args:
            endpoint: The resolved endpoint.
            extra: The user's own constructor keywords (dict values merged one level).

        Thinking on or off (``endpoint.reasoning``) is spelled as the table's ``reasoning``
        says, for every provider here.
        """
        own = merged_kwargs(
            self.chat_kwargs(endpoint), reasoning_kwargs(self.reasoning, endpoint.reasoning)
        )
        return self.load_chat_class()(**merged_kwargs(own, extra or {}))

    def build_embeddings(
        self, endpoint: Endpoint, extra: Mapping[str, Any] | None = None
    ) -> Embeddings:
        """Build the embeddings of an endpoint.

        Args:
            endpoint: The resolved endpoint.
            extra: The user's own constructor keywords (dict values merged one level).
        """
        return self.load_embeddings_class()(
            **merged_kwargs(self.embeddings_kwargs(endpoint), extra or {})
        )

    def _load(self, target: str) -> Any:
        import_provider_package(
            self.name, self.import_name, self.package, command=self.install_command
        )
        module_name, _, attribute = target.partition(":")
        return getattr(importlib.import_module(module_name), attribute)


def reasoning_kwargs(spelling: ReasoningSpelling, on: bool | None) -> dict[str, Any]:
    """Return the chat class's constructor keywords that turn thinking on or off.

    Args:
        spelling: The provider table's ``reasoning``.
        on: The setting (None: nothing sent, the model's default).

    Example:
        >>> reasoning_kwargs("chat_template_kwargs", False)
        {'extra_body': {'chat_template_kwargs': {'enable_thinking': False}}}
        >>> reasoning_kwargs("ollama_think", True)
        {'reasoning': True}
    """
    if on is None:
        return {}
    if spelling == "ollama_think":
        return {"reasoning": on}
    return {"extra_body": {"chat_template_kwargs": {"enable_thinking": on}}}


def merged_kwargs(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``base`` updated with ``extra``, dict values merged one level (extra wins).

    Args:
        base: Constructor keywords (the package's own).
        extra: Keywords to add (the user's): ``extra_body={"min_p": 0.1}`` adds to the
            package's ``extra_body`` (``top_k``, penalties) instead of replacing it.

    Example:
        >>> merged_kwargs({"extra_body": {"top_k": 40}}, {"extra_body": {"min_p": 0.1}})
        {'extra_body': {'top_k': 40, 'min_p': 0.1}}
    """
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def import_provider_package(
    provider: str, import_name: str, package: str, *, command: str | None = None
) -> ModuleType:
    """Import a provider's LangChain package, or say how to install it.

    Args:
        provider: The provider name, for the message.
        import_name: The module to import.
        package: The distribution that provides it.
        command: The install command, when not ``pip install PACKAGE``.

    Returns:
        The imported module.

    Raises:
        MissingDependencyError: The package is not installed.
    """
    try:
        return importlib.import_module(import_name)
    except ModuleNotFoundError as error:
        if error.name and import_name.startswith(error.name.split(".")[0]):
            raise MissingDependencyError(provider, package, command=command) from error
        raise
