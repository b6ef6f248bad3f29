"""From settings to one `Endpoint` per capability: which provider, URL, model and parameters.

Rules (the README's precedence table says the same):
- provider: the capability's own variable (``EMBEDDINGS_PROVIDER``, ``VISION_PROVIDER`` or
  legacy ``OCR_PROVIDER``), else ``LLM_PROVIDER``, else the default: ``embedded`` when
  nothing says where the capability's server is (no URL or model variable or keyword of
  that capability, or of chat, whose settings are the others' defaults), ``ollama`` when
  one does (legacy ``.env`` files name ``OLLAMA_HOST``/``OLLAMA_MODEL`` only). Vision or
  embeddings settings alone never move chat off ``embedded``;
- URL: the capability's own variable, else (same provider, and the provider serves several
  models from one server, or the vision model is the chat model) the chat URL, else the
  provider's legacy variables, else the provider's default URL (chat; and other
  capabilities where the server holds several models). vLLM needs its own embeddings and
  vision URL;
- model: the capability's own variable, else the provider's legacy variable, else (vision
  on the chat provider) the chat model;
- legacy variables are used only for their own provider: ``VLLM_MODEL`` never reaches Ollama.

Example:
    >>> from langchain_llmswitch.config import load_settings
    >>> endpoint = resolve(load_settings(provider="vllm", model="m"), "chat")
    >>> (endpoint.provider, endpoint.base_url)
    ('vllm', 'http://localhost:8000/v1')
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic import SecretStr

from langchain_llmswitch import replay, urls
from langchain_llmswitch.config import LLMSwitchSettings, env_names, load_settings
from langchain_llmswitch.errors import ConfigurationError
from langchain_llmswitch.providers import DEFAULT_PROVIDER, LEGACY_DEFAULT_PROVIDER, PROVIDERS
from langchain_llmswitch.providers.base import (
    PARAMETER_ALIASES,
    Capability,
    Endpoint,
    ProviderSpec,
    Sampling,
)

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "KEYWORD_ALIASES",
    "capability_provider",
    "chat_provider",
    "default_provider",
    "model_variables",
    "resolve",
    "resolve_chain",
    "resolve_endpoint",
    "server_fields",
    "settings_for",
]

DEFAULT_TIMEOUT = 300.0
"""Seconds; long enough for a long CPU generation, short enough that nothing hangs."""
DEFAULT_MAX_RETRIES = 2

_OWN_KEYS: dict[Capability, str] = {
    "chat": "api_key",
    "embeddings": "embeddings_api_key",
    "vision": "vision_api_key",
}
_OWN_KEY_VARIABLES: dict[Capability, str] = {
    "chat": "LLM_API_KEY",
    "embeddings": "EMBEDDINGS_API_KEY",
    "vision": "VISION_API_KEY",
}

_OWN_FIELDS: dict[Capability, tuple[str, str, str]] = {
    # capability: (provider field, url field, model field)
    "chat": ("provider", "base_url", "model"),
    "embeddings": ("embeddings_provider", "embeddings_base_url", "embeddings_model"),
    "vision": ("vision_provider", "vision_base_url", "vision_model"),
}


def server_fields(capability: Capability) -> tuple[str, ...]:
    """Return the settings that say where a capability's server is or which model it serves.

    The capability's own URL and model fields and every provider's legacy URL and model
    fields for it (from the provider table); for embeddings and vision, then the chat
    ones, since the chat settings are the defaults of the other capabilities. Chat's own
    list never holds an embeddings or vision field: configuring one capability never
    moves another off its default.

    Args:
        capability: ``"chat"``, ``"embeddings"`` or ``"vision"``.

    Example:
        >>> server_fields("chat")[:2]
        ('base_url', 'model')
    """
    names: list[str] = []
    for each in dict.fromkeys((capability, "chat")):
        _, url, model = _OWN_FIELDS[each]
        names += [url, model]
        for spec in PROVIDERS.values():
            names += [*spec.legacy_base_url[each], *spec.legacy_model[each]]
    return tuple(dict.fromkeys(names))


def default_provider(
    settings: LLMSwitchSettings, capability: Capability = "chat"
) -> tuple[str, str]:
    """Return a capability's provider when neither its own variable nor ``LLM_PROVIDER`` is set.

    ``embedded`` when no URL or model is configured for the capability (the package then
    runs its own server); ``ollama`` as soon as one is, so that a legacy ``.env`` with
    ``OLLAMA_HOST``/``OLLAMA_MODEL`` and no ``LLM_PROVIDER`` keeps working. Without a model
    Ollama could not answer anyway, so only configurations that used to fail change. What
    counts is `server_fields`: a vision or embeddings setting alone leaves chat on
    ``embedded``; a chat setting is also the default of the other capabilities.

    Args:
        settings: The settings.
        capability: The capability whose default is wanted (chat unless told).

    Returns:
        ``(provider, origin)``, e.g. ``("embedded", "default: nothing configured -> embedded")``.

    Example:
        >>> from langchain_llmswitch.config import load_settings
        >>> default_provider(load_settings(model="llama3.1:8b"))
        ('ollama', 'default: keyword model set without LLM_PROVIDER -> ollama')
        >>> default_provider(load_settings(vision_model="llava:7b"))[0]
        'embedded'
    """
    for field_name in server_fields(capability):
        if getattr(settings, field_name) is not None:
            where = settings.origin(field_name)
            origin = f"default: {where} set without LLM_PROVIDER -> {LEGACY_DEFAULT_PROVIDER}"
            return LEGACY_DEFAULT_PROVIDER, origin
    return DEFAULT_PROVIDER, f"default: nothing configured -> {DEFAULT_PROVIDER}"


def chat_provider(settings: LLMSwitchSettings) -> str:
    """Return the chat provider: ``LLM_PROVIDER``, else `default_provider`.

    Args:
        settings: The settings.
    """
    return settings.provider or default_provider(settings)[0]


def capability_provider(settings: LLMSwitchSettings, capability: Capability) -> str:
    """Return a capability's provider: its own variable, ``LLM_PROVIDER``, else the default.

    Args:
        settings: The settings.
        capability: ``"chat"``, ``"embeddings"`` or ``"vision"``.

    Example:
        >>> from langchain_llmswitch.config import load_settings
        >>> s = load_settings(vision_provider="ollama", vision_model="llava:7b")
        >>> (capability_provider(s, "vision"), capability_provider(s, "chat"))
        ('ollama', 'embedded')
    """
    own, _, _ = _OWN_FIELDS[capability]
    name = getattr(settings, own) or settings.provider
    return str(name) if name else default_provider(settings, capability)[0]


def model_variables(provider: str, capability: Capability) -> tuple[str, ...]:
    """Return the variables that set a capability's model on a provider, for messages.

    The capability's own variable first (``LLM_MODEL``, ``EMBEDDINGS_MODEL``,
    ``VISION_MODEL``), then the provider's legacy ones for that capability.

    Args:
        provider: A provider name of the table.
        capability: ``"chat"``, ``"embeddings"`` or ``"vision"``.

    Example:
        >>> model_variables("ollama", "embeddings")
        ('EMBEDDINGS_MODEL', 'OLLAMA_EMBEDDING_MODEL')
    """
    spec = PROVIDERS[provider]
    _, _, own = _OWN_FIELDS[capability]
    fields = (own, *spec.suggested_fields(spec.legacy_model[capability]))
    return tuple(env_names(LLMSwitchSettings.model_fields[name])[0] for name in fields)


def _names(field_name: str) -> str:
    """All variable names of a field, for messages: ``LLM_MODEL / OLLAMA_MODEL``."""
    return " / ".join(env_names(LLMSwitchSettings.model_fields[field_name]))


class _Resolver:
    """Resolves one capability, recording where each value came from."""

    def __init__(self, settings: LLMSwitchSettings, capability: Capability) -> None:
        self.settings = settings
        self.capability = capability
        self.origins: dict[str, str] = {}

    def take(self, key: str, field_name: str) -> str | None:
        value = getattr(self.settings, field_name)
        if value is None:
            return None
        self.origins[key] = self.settings.origin(field_name)
        return str(value)

    def provider(self) -> ProviderSpec:
        own, _, _ = _OWN_FIELDS[self.capability]
        for field_name in dict.fromkeys((own, "provider")):
            name = self.take("provider", field_name)
            if name is not None:
                return PROVIDERS[name]
        name, self.origins["provider"] = default_provider(self.settings, self.capability)
        return PROVIDERS[name]

    def shares_chat_server(self, spec: ProviderSpec, model: str) -> bool:
        """Whether this capability may use the chat server's URL."""
        if self.capability == "chat":
            return True
        if chat_provider(self.settings) != spec.name:
            return False
        if not spec.one_model_per_server:
            return True
        return model == _chat_model(self.settings, spec)

    def base_url(self, spec: ProviderSpec, model: str) -> str:
        _, own, _ = _OWN_FIELDS[self.capability]
        shares = self.shares_chat_server(spec, model)
        candidates = [own]
        if shares and own != "base_url":
            candidates.append("base_url")
        candidates += spec.legacy_base_url[self.capability]
        if shares and self.capability != "chat":
            candidates += spec.legacy_base_url["chat"]
        for field_name in dict.fromkeys(candidates):
            url = self.take("base_url", field_name)
            if url is not None:
                return spec.base_url_from(field_name, url)
        if self.capability == "chat" or not spec.one_model_per_server:
            started = spec.prepare is not None  # a server the package starts: port chosen then
            self.origins["base_url"] = (
                "default (port chosen on first use)" if started else "default"
            )
            return spec.default_base_url
        if replay.active():  # cassettes match on the path, never the host
            self.origins["base_url"] = "replay placeholder (no server)"
            return replay.PLACEHOLDER_URL
        legacy = spec.suggested_fields(spec.legacy_base_url[self.capability])
        names = [_names(own)] + [_names(f) for f in legacy]
        msg = (
            f"No {self.capability} server URL for provider {spec.name!r}: {spec.label} serves "
            f"one model per server, so {self.capability} needs its own URL. Set "
            f"{' or '.join(names)} (e.g. http://localhost:8001/v1)."
        )
        raise ConfigurationError(msg, setting=env_names(LLMSwitchSettings.model_fields[own])[0])

    def model(self, spec: ProviderSpec) -> str:
        _, _, own = _OWN_FIELDS[self.capability]
        candidates = [own, *spec.legacy_model[self.capability]]
        for field_name in candidates:
            model = self.take("model", field_name)
            if model is not None:
                return model
        if self.capability == "vision" and (chat_provider(self.settings)) == spec.name:
            chat = _chat_model(self.settings, spec)
            if chat is not None:
                self.origins["model"] = "chat model"
                return chat
            candidates += ["model", *spec.legacy_model["chat"]]
        if spec.discovers_model:
            self.origins["model"] = "discovered from the server"
            return ""
        names = " or ".join(_names(f) for f in spec.suggested_fields(tuple(candidates)))
        msg = (
            f"No {self.capability} model is set for provider {spec.name!r}. Set {names} "
            f"(or pass model=...). {spec.hint(self.capability)}"
        )
        raise ConfigurationError(msg, setting=env_names(LLMSwitchSettings.model_fields[own])[0])

    def api_key(self, spec: ProviderSpec, base_url: str) -> SecretStr | None:
        """The capability's own key, else the provider's legacy one, else the chat key.

        The chat key goes to another capability's server only on the chat server's host:
        a key goes only where it was set for.
        """
        own = _OWN_KEYS[self.capability]
        for field_name in dict.fromkeys((own, *spec.legacy_api_key)):
            value = getattr(self.settings, field_name)
            if value is not None:
                self.origins["api_key"] = self.settings.origin(field_name)
                return value  # type: ignore[no-any-return]
        if self.capability == "chat" or self.settings.api_key is None:
            return None
        try:
            chat = resolve(self.settings, "chat")
        except ConfigurationError:
            return None
        if chat.api_key is None or not urls.same_host(chat.base_url, base_url):
            return None
        self.origins["api_key"] = f"{chat.origin('api_key')} (the chat server's host)"
        return chat.api_key

    def credentials_checked(self, base_url: str, api_key: SecretStr | None) -> None:
        """Refuse a URL with ``user:password`` and a key too: one would replace the other."""
        if api_key is None or urls.credentials(base_url) is None:
            return
        key_origin = self.origins.get("api_key", "an API key")
        msg = (
            f"The {self.capability} server URL ({urls.masked(base_url)}, "
            f"{self.origins.get('base_url', 'default')}) holds a user:password and "
            f"{key_origin} sets an API key: both go in the Authorization header, so one "
            "would silently replace the other. Keep the one the server expects: remove the "
            "user:password from the URL, or unset the key."
        )
        raise ConfigurationError(msg, setting=_OWN_KEY_VARIABLES[self.capability])

    def number(self, key: str, default: float) -> float:
        value = getattr(self.settings, key)
        if value is None:
            self.origins[key] = "default"
            return default
        self.origins[key] = self.settings.origin(key)
        return float(value)


def _chat_model(settings: LLMSwitchSettings, spec: ProviderSpec) -> str | None:
    """The chat model the settings name for a provider, if any."""
    for field_name in ("model", *spec.legacy_model["chat"]):
        value = getattr(settings, field_name)
        if value is not None:
            return str(value)
    return None


def _unserved(spec: ProviderSpec, capability: Capability) -> ConfigurationError:
    own_provider, own_url, own_model = _OWN_FIELDS[capability]
    others = ", ".join(
        name for name, other in PROVIDERS.items() if capability in other.capabilities
    )
    msg = (
        f"The {spec.name} provider ({spec.label}) has no {capability} model. Set "
        f"{_names(own_provider)} to a provider that has one ({others}), with "
        f"{_names(own_model)} and, unless it runs on the default URL, {_names(own_url)}."
    )
    return ConfigurationError(
        msg, setting=env_names(LLMSwitchSettings.model_fields[own_provider])[0]
    )


def _sampling(settings: LLMSwitchSettings, resolver: _Resolver) -> Sampling:
    for name in Sampling.__dataclass_fields__:
        if getattr(settings, name) is not None:
            resolver.origins[name] = settings.origin(name)
    return Sampling(
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        top_p=settings.top_p,
        top_k=settings.top_k,
        repetition_penalty=settings.repetition_penalty,
        seed=settings.seed,
        stop=tuple(settings.stop) if settings.stop is not None else None,
        num_ctx=settings.num_ctx,
    )


def resolve(settings: LLMSwitchSettings, capability: Capability) -> Endpoint:
    """Resolve the endpoint of one capability.

    Args:
        settings: The settings.
        capability: ``"chat"``, ``"embeddings"`` or ``"vision"``.

    Returns:
        The endpoint, with the origin of every value.

    Raises:
        ConfigurationError: A needed model or URL is missing; the message names the
            variables that would set it.
    """
    resolver = _Resolver(settings, capability)
    spec = resolver.provider()
    if capability not in spec.capabilities:
        raise _unserved(spec, capability)
    model = resolver.model(spec)
    base_url = resolver.base_url(spec, model)
    sampling = Sampling() if capability == "embeddings" else _sampling(settings, resolver)
    batching: dict[str, int | None] = {}
    if capability == "embeddings":
        for name in ("embeddings_batch_size", "embeddings_concurrency"):
            batching[name] = getattr(settings, name)
            if batching[name] is not None:
                resolver.origins[name] = settings.origin(name)
    api_key = resolver.api_key(spec, base_url)
    resolver.credentials_checked(base_url, api_key)
    reasoning = None if capability == "embeddings" else settings.reasoning
    if reasoning is not None:
        resolver.origins["reasoning"] = settings.origin("reasoning")
    return Endpoint(
        capability=capability,
        provider=spec.name,
        base_url=base_url,
        model=model,
        api_key=api_key,
        timeout=resolver.number("timeout", DEFAULT_TIMEOUT),
        max_retries=int(resolver.number("max_retries", DEFAULT_MAX_RETRIES)),
        sampling=sampling,
        reasoning=reasoning,
        **batching,
        origins=tuple(sorted(resolver.origins.items())),
    )


_FALLBACK_FIELDS: dict[Capability, str] = {
    "chat": "fallback_providers",
    "embeddings": "embeddings_fallback_providers",
    "vision": "vision_fallback_providers",
}


def resolve_chain(settings: LLMSwitchSettings, capability: Capability) -> list[Endpoint]:
    """Resolve the primary endpoint and each configured fallback, in order.

    A fallback is resolved like the primary with its provider swapped in and the
    capability's own URL, model and key cleared, so that the fallback provider's own
    variables apply (``OLLAMA_HOST``/``OLLAMA_MODEL`` for ollama, ``VLLM_*`` for vllm);
    ``LLM_FALLBACK_BASE_URL`` / ``LLM_FALLBACK_MODEL`` set the first chat fallback directly.
    ``LLM_API_KEY`` (and the capability's own key) is never sent to a fallback.

    Args:
        settings: The settings.
        capability: ``"chat"``, ``"embeddings"`` or ``"vision"``.

    Returns:
        The endpoints, primary first.

    Raises:
        ConfigurationError: A fallback cannot be resolved, or an embeddings fallback was
            configured without ``EMBEDDINGS_FALLBACK_SAME_SPACE=true``.
    """
    chain = [resolve(settings, capability)]
    names = getattr(settings, _FALLBACK_FIELDS[capability]) or []
    if names and capability == "embeddings" and not settings.embeddings_fallback_same_space:
        msg = (
            f"EMBEDDINGS_FALLBACK_PROVIDERS={','.join(names)} is refused: vectors from another "
            "embeddings model live in another space and would silently corrupt a vector store "
            "built with the primary. If the fallback serves the very same model, set "
            "EMBEDDINGS_FALLBACK_SAME_SPACE=true; otherwise re-index instead of falling back."
        )
        raise ConfigurationError(msg, setting="EMBEDDINGS_FALLBACK_PROVIDERS")
    own_provider, own_url, own_model = _OWN_FIELDS[capability]
    for index, name in enumerate(names):
        update: dict[str, object] = {own_provider: name, own_url: None, own_model: None}
        update["api_key"] = None
        update[_OWN_KEYS[capability]] = None
        if capability == "chat":
            update["base_url"] = settings.fallback_base_url if index == 0 else None
            update["model"] = settings.fallback_model if index == 0 else None
        fallback = settings.model_copy(update=update)
        try:
            endpoint = resolve(fallback, capability)
        except ConfigurationError as error:
            msg = f"Fallback {index + 1} ({name}) of {capability}: {error}"
            raise ConfigurationError(msg, setting=error.setting) from None
        origins = dict(endpoint.origins)
        for key in ("base_url", "model"):
            if capability == "chat" and index == 0 and update[key] is not None:
                origins[key] = settings.origin(f"fallback_{key}")
        chain.append(dataclasses.replace(endpoint, origins=tuple(sorted(origins.items()))))
    return chain


KEYWORD_ALIASES: dict[str, str] = {
    **PARAMETER_ALIASES,
    "request_timeout": "timeout",
    "host": "base_url",
}
"""Provider-native keyword spellings accepted by the factories, mapped to ours."""

_CAPABILITY_KEYWORDS: dict[Capability, dict[str, str]] = {
    "chat": {},
    "embeddings": {
        "provider": "embeddings_provider",
        "model": "embeddings_model",
        "base_url": "embeddings_base_url",
        "api_key": "embeddings_api_key",
        "batch_size": "embeddings_batch_size",
        "concurrency": "embeddings_concurrency",
    },
    "vision": {
        "provider": "vision_provider",
        "model": "vision_model",
        "base_url": "vision_base_url",
        "api_key": "vision_api_key",
    },
}


def settings_for(capability: Capability, overrides: dict[str, Any]) -> LLMSwitchSettings:
    """Load the settings with a factory's keywords (native spellings and per-capability names).

    Args:
        capability: The factory's capability; ``model=`` of `get_embeddings` sets
            ``embeddings_model``, and so on.
        overrides: The factory's keywords.
    """
    renamed: dict[str, Any] = {}
    given: dict[str, str] = {}
    for key, value in overrides.items():
        name = KEYWORD_ALIASES.get(key, key)
        name = _CAPABILITY_KEYWORDS[capability].get(name, name)
        if name in given and value is not None and renamed[name] is not None:
            msg = (
                f"Keywords {given[name]!r} and {key!r} set the same setting ({name}); "
                "give only one of them"
            )
            raise ConfigurationError(msg, setting=key)
        if value is not None or name not in given:
            renamed[name], given[name] = value, key
    return load_settings(**renamed)


def split_keywords(
    capability: Capability, overrides: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Separate a factory's setting keywords from the keywords for the LangChain class.

    Args:
        capability: The factory's capability.
        overrides: The factory's keywords.

    Returns:
        ``(settings keywords, other keywords)``; the others are LangChain's own or the
        provider class's (`langchain_llmswitch.keywords`).

    Example:
        >>> split_keywords("chat", {"temperature": 0, "tags": ["rag"]})
        ({'temperature': 0}, {'tags': ['rag']})
    """
    settings: dict[str, Any] = {}
    others: dict[str, Any] = {}
    fields = LLMSwitchSettings.model_fields
    for key, value in overrides.items():
        name = KEYWORD_ALIASES.get(key, key)
        name = _CAPABILITY_KEYWORDS[capability].get(name, name)  # as settings_for() does
        (settings if name in fields else others)[key] = value
    return settings, others


def resolve_endpoint(capability: Capability, **overrides: Any) -> Endpoint:
    """Resolve what a factory would use, without building anything.

    Args:
        capability: ``"chat"``, ``"embeddings"`` or ``"vision"``.
        **overrides: The same keywords the factory takes.

    Returns:
        The endpoint (provider, URL, model, parameters and where each came from).

    Example:
        >>> resolve_endpoint("embeddings", provider="ollama", model="nomic-embed-text").base_url
        'http://localhost:11434'
    """
    return resolve(settings_for(capability, overrides), capability)
