"""The settings object: every environment variable the package reads, and its validation.

Precedence, for every field: keyword argument > new name (``LLM_*``) > legacy names in the
order listed > default. The process environment and a ``.env`` file are one layer: for the
same variable name the process environment wins, but a new name found only in ``.env``
still beats a legacy name found in the process environment. (pydantic-settings' default
sources would let any process variable beat any ``.env`` variable whatever its name.)
Empty values (``OLLAMA_MODEL=``) count as unset.

Settings are built per call; there is no module-level singleton.

Example:
    >>> from langchain_llmswitch.config import load_settings
    >>> load_settings(provider="vLLM", model="smollm2").provider
    'vllm'
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from pydantic import Field, PrivateAttr, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from langchain_llmswitch import urls
from langchain_llmswitch.errors import ConfigurationError, did_you_mean
from langchain_llmswitch.providers import normalise_provider_name

__all__ = [
    "ENV_FILE_VARIABLE",
    "LLMSwitchSettings",
    "check_url",
    "env_names",
    "load_settings",
    "read_environment",
]

ENV_FILE_VARIABLE = "LLMSWITCH_ENV_FILE"
"""Points at the dotenv file to read instead of ``./.env``."""


def _env(*names: str) -> Any:
    """Attach the environment variable names of a field, in precedence order."""
    return {"env": list(names)}


def env_names(field: FieldInfo) -> tuple[str, ...]:
    """Return the environment variable names a settings field reads, new name first.

    Args:
        field: A field of `LLMSwitchSettings`.

    Returns:
        The names, in precedence order.
    """
    extra = field.json_schema_extra
    if isinstance(extra, dict):
        names = extra.get("env", [])
        if isinstance(names, list):
            return tuple(str(name) for name in names)
    return ()


def read_environment(env_file: str | Path | None = None) -> dict[str, str]:
    """Return the process environment layered over the dotenv file, keys upper-cased.

    Args:
        env_file: The dotenv file. Defaults to ``$LLMSWITCH_ENV_FILE`` or ``./.env``.

    Returns:
        A mapping of variable name to value; empty values are dropped.
    """
    named = env_file or os.environ.get(ENV_FILE_VARIABLE)
    path = Path(named or ".env")
    merged: dict[str, str] = {}
    if named and not path.exists():
        origin = "env_file" if env_file else ENV_FILE_VARIABLE
        msg = f"{origin}={str(named)!r}: no such file (give the path of a dotenv file, or unset it)"
        raise ConfigurationError(msg, setting=origin)
    if path.is_file():
        for key, value in _dotenv(path).items():
            if value is not None:
                merged[key.upper()] = value
    for key, value in os.environ.items():
        merged[key.upper()] = value
    return {key: value for key, value in merged.items() if value.strip() != ""}


def _dotenv(path: Path) -> dict[str, str | None]:
    """The values of a dotenv file; an unreadable or non-UTF-8 file is an error naming it."""
    from dotenv import dotenv_values  # noqa: PLC0415 - only when a file exists

    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        msg = (
            f"The env file {str(path)!r} is not UTF-8 (byte {error.start}): save it as UTF-8 "
            f"({ENV_FILE_VARIABLE} names another file)"
        )
        raise ConfigurationError(msg, setting=ENV_FILE_VARIABLE) from None
    except OSError as error:
        msg = f"The env file {str(path)!r} cannot be read ({error.strerror}) ({ENV_FILE_VARIABLE})"
        raise ConfigurationError(msg, setting=ENV_FILE_VARIABLE) from None
    return dict(dotenv_values(stream=io.StringIO(text)))


_ENDPOINT_PATHS = (
    "/chat/completions",
    "/completions",
    "/embeddings",
    "/api/chat",
    "/api/generate",
    "/api/embed",
    "/api/embeddings",
    "/api/tags",
)
"""Paths of an endpoint, which a server URL must not end with (the clients append them)."""


def check_url(value: str) -> str:
    """Validate an http(s) URL and return it without a trailing slash.

    Args:
        value: The URL.

    Returns:
        The cleaned URL.

    Raises:
        ValueError: The URL has no http/https scheme, no host, or a bad port.

    Example:
        >>> check_url("http://localhost:8000/v1/")
        'http://localhost:8000/v1'
    """
    url = value.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        msg = "not a URL with a scheme; write it as http://HOST:PORT (or https://...)"
        raise ValueError(msg)
    if not parts.hostname:
        msg = "no host name; write it as http://HOST:PORT"
        raise ValueError(msg)
    try:
        port = parts.port
    except ValueError:
        msg = "bad port; a port is a whole number from 1 to 65535"
        raise ValueError(msg) from None
    if port == 0:
        msg = "bad port; a port is a whole number from 1 to 65535"
        raise ValueError(msg)
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        msg = "a server URL holds no query (?...) or fragment (#...); write it as http://HOST:PORT"
        raise ValueError(msg)
    path = parts.path.lower()
    endpoint = next((e for e in _ENDPOINT_PATHS if path.endswith(e)), None)
    if endpoint is not None:
        root = url[: len(url) - len(endpoint)]
        msg = (
            f"the URL holds an endpoint path ({endpoint!r}); give the server's URL without it "
            f"({root!r}): the client adds the endpoint itself"
        )
        raise ValueError(msg)
    return url


_ENVIRONMENT: ContextVar[Mapping[str, str] | None] = ContextVar("_ENVIRONMENT", default=None)
"""The environment snapshot of the settings object being built (read once per build)."""


class _LayeredEnvironmentSource(PydanticBaseSettingsSource):
    """Reads each field from the first of its environment names that is set."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self._environ = environ

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        for name in env_names(field):
            if name in self._environ:
                return self._environ[name], name, False
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for field_name, field in self.settings_cls.model_fields.items():
            value, _, _ = self.get_field_value(field, field_name)
            if value is not None:
                values[field_name] = value
        return values


class LLMSwitchSettings(BaseSettings):
    """Every setting of langchain-llmswitch, read from keywords, the environment and ``.env``.

    The chat settings (`provider`, `base_url`, `model`, sampling parameters) are the
    defaults for the other capabilities; `embeddings_*` and `vision_*` override them.
    Fields prefixed `ollama_`, `vllm_` and `openai_` hold legacy variables; they are used
    only when the capability's provider is that provider.

    Example:
        >>> s = LLMSwitchSettings(provider="ollama", model="llama3.1:8b", temperature=0.3)
        >>> (s.provider, s.model, s.temperature)
        ('ollama', 'llama3.1:8b', 0.3)
    """

    model_config = SettingsConfigDict(extra="ignore", validate_default=False, allow_inf_nan=False)

    # --- chat, and the defaults of every capability -------------------------------------
    provider: str | None = Field(
        None,
        description="Provider of every capability unless overridden: ollama, vllm or openai.",
        json_schema_extra=_env("LLM_PROVIDER"),
    )
    base_url: str | None = Field(
        None,
        description="Server URL for chat (OpenAI-compatible providers: the /v1 URL).",
        json_schema_extra=_env("LLM_BASE_URL"),
    )
    model: str | None = Field(
        None,
        description="Chat model (an Ollama tag or the vLLM --served-model-name).",
        json_schema_extra=_env("LLM_MODEL"),
    )
    api_key: SecretStr | None = Field(
        None,
        description="API key for OpenAI-compatible servers; a placeholder when unset.",
        json_schema_extra=_env("LLM_API_KEY"),
    )
    timeout: float | None = Field(
        None,
        gt=0,
        description=(
            "Seconds to wait for a server (connect, each read, each streamed chunk). Default 300."
        ),
        json_schema_extra=_env("LLM_TIMEOUT", "OLLAMA_TIMEOUT"),
    )
    max_retries: int | None = Field(
        None,
        ge=0,
        le=20,
        description="Retries on connection errors, 429 and 5xx, every provider. Default 2.",
        json_schema_extra=_env("LLM_MAX_RETRIES"),
    )
    temperature: float | None = Field(
        None,
        ge=0,
        le=2,
        description="Sampling temperature, 0 to 2.",
        json_schema_extra=_env("LLM_TEMPERATURE", "OLLAMA_TEMPERATURE"),
    )
    max_tokens: int | None = Field(
        None,
        ge=1,
        description="Most tokens to generate (Ollama num_predict).",
        json_schema_extra=_env("LLM_MAX_TOKENS", "OLLAMA_NUM_PREDICT"),
    )
    top_p: float | None = Field(
        None,
        gt=0,
        le=1,
        description="Nucleus sampling, above 0 and at most 1.",
        json_schema_extra=_env("LLM_TOP_P", "OLLAMA_TOP_P"),
    )
    top_k: int | None = Field(
        None,
        ge=0,
        description="Sample among the k likeliest tokens (0 = off).",
        json_schema_extra=_env("LLM_TOP_K", "OLLAMA_TOP_K"),
    )
    repetition_penalty: float | None = Field(
        None,
        gt=0,
        description="Repetition penalty (Ollama repeat_penalty), above 0; 1 = off.",
        json_schema_extra=_env("LLM_REPETITION_PENALTY", "OLLAMA_REPEAT_PENALTY"),
    )
    seed: int | None = Field(
        None,
        description="Sampling seed.",
        json_schema_extra=_env("LLM_SEED"),
    )
    stop: list[str] | None = Field(
        None,
        description="Stop sequences (environment: a JSON list or comma-separated).",
        json_schema_extra=_env("LLM_STOP"),
    )
    reasoning: bool | None = Field(
        None,
        description=(
            "Thinking of a reasoning model: on, off, or unset (the model's default). vLLM and "
            "llama.cpp: chat_template_kwargs.enable_thinking; Ollama: think (Ollama 0.9+)."
        ),
        json_schema_extra=_env("LLM_REASONING"),
    )
    num_ctx: int | None = Field(
        None,
        ge=1,
        description=(
            "Context length. Sent to Ollama; vLLM and other OpenAI-compatible servers set it "
            "server-side (vLLM --max-model-len), so it is only checked against the server."
        ),
        json_schema_extra=_env("LLM_NUM_CTX", "OLLAMA_NUM_CTX"),
    )

    # --- embeddings -----------------------------------------------------------------------
    embeddings_provider: str | None = Field(
        None,
        description="Provider of embeddings; defaults to LLM_PROVIDER.",
        json_schema_extra=_env("EMBEDDINGS_PROVIDER", "EMBEDDING_PROVIDER"),
    )
    embeddings_model: str | None = Field(
        None,
        description="Embeddings model.",
        json_schema_extra=_env("EMBEDDINGS_MODEL", "EMBEDDING_MODEL"),
    )
    embeddings_base_url: str | None = Field(
        None,
        description=(
            "Embeddings server URL; defaults to the chat URL when the provider is the same "
            "and serves several models (Ollama). vLLM needs its own."
        ),
        json_schema_extra=_env("EMBEDDINGS_BASE_URL", "EMBEDDING_BASE_URL"),
    )
    embeddings_api_key: SecretStr | None = Field(
        None,
        description=(
            "API key of the embeddings server; else LLM_API_KEY when it is on the chat "
            "server's host."
        ),
        json_schema_extra=_env("EMBEDDINGS_API_KEY", "EMBEDDING_API_KEY"),
    )
    embeddings_batch_size: int | None = Field(
        None,
        ge=1,
        description=(
            "Texts per embeddings request (vllm, openai). Default 64; Ollama sends one request."
        ),
        json_schema_extra=_env("EMBEDDINGS_BATCH_SIZE"),
    )
    embeddings_concurrency: int | None = Field(
        None,
        ge=1,
        description="Embeddings requests in flight at once (vllm, openai). Default 4.",
        json_schema_extra=_env("EMBEDDINGS_CONCURRENCY"),
    )

    # --- vision -----------------------------------------------------------------------------
    vision_provider: str | None = Field(
        None,
        description="Provider of the vision model; defaults to LLM_PROVIDER.",
        json_schema_extra=_env("VISION_PROVIDER", "OCR_PROVIDER"),
    )
    vision_model: str | None = Field(
        None,
        description="Vision model; defaults to the chat model.",
        json_schema_extra=_env("VISION_MODEL"),
    )
    vision_base_url: str | None = Field(
        None,
        description="Vision server URL; defaults like the embeddings URL.",
        json_schema_extra=_env("VISION_BASE_URL"),
    )
    vision_api_key: SecretStr | None = Field(
        None,
        description=(
            "API key of the vision server; else LLM_API_KEY when it is on the chat server's host."
        ),
        json_schema_extra=_env("VISION_API_KEY", "OCR_API_KEY"),
    )

    # --- reliability ----------------------------------------------------------------------
    fallback_providers: list[str] | None = Field(
        None,
        description=(
            "Chat providers tried in order when the primary is unavailable (connection error, "
            "timeout, 5xx, 429 after retries); comma-separated."
        ),
        json_schema_extra=_env("LLM_FALLBACK_PROVIDERS", "LLM_FALLBACK_PROVIDER"),
    )
    fallback_base_url: str | None = Field(
        None,
        description="URL of the first chat fallback (else its provider's own variables).",
        json_schema_extra=_env("LLM_FALLBACK_BASE_URL"),
    )
    fallback_model: str | None = Field(
        None,
        description="Model of the first chat fallback (else its provider's own variables).",
        json_schema_extra=_env("LLM_FALLBACK_MODEL"),
    )
    vision_fallback_providers: list[str] | None = Field(
        None,
        description="Vision providers tried in order when the primary is unavailable.",
        json_schema_extra=_env("VISION_FALLBACK_PROVIDERS", "VISION_FALLBACK_PROVIDER"),
    )
    embeddings_fallback_providers: list[str] | None = Field(
        None,
        description=(
            "Embeddings providers tried in order; refused unless EMBEDDINGS_FALLBACK_SAME_SPACE "
            "says they serve the same model (vectors of two models must never mix)."
        ),
        json_schema_extra=_env("EMBEDDINGS_FALLBACK_PROVIDERS", "EMBEDDINGS_FALLBACK_PROVIDER"),
    )
    embeddings_fallback_same_space: bool = Field(
        False,  # noqa: FBT003 - a pydantic default
        description="Confirms the embeddings fallbacks serve the same model (same vector space).",
        json_schema_extra=_env("EMBEDDINGS_FALLBACK_SAME_SPACE"),
    )
    wait_ready: float | None = Field(
        None,
        ge=0,
        description=(
            "Seconds the first factory call waits for a cold server to become ready "
            "(vLLM /health + model served; Ollama /api/version + model present); off by default."
        ),
        json_schema_extra=_env("LLM_WAIT_READY"),
    )

    # --- legacy variables, used only for their own provider ----------------------------
    ollama_host: str | None = Field(
        None,
        description="Legacy Ollama server (host:port allowed, as Ollama itself reads it).",
        json_schema_extra=_env("OLLAMA_HOST", "OLLAMA_URL", "OLLAMA_BASE_URL"),
    )
    ollama_model: str | None = Field(
        None, description="Legacy Ollama chat model.", json_schema_extra=_env("OLLAMA_MODEL")
    )
    ollama_vision_model: str | None = Field(
        None,
        description="Legacy Ollama vision model.",
        json_schema_extra=_env("OLLAMA_VISION_MODEL", "OLLAMA_OCR_MODEL"),
    )
    ollama_embeddings_model: str | None = Field(
        None,
        description="Legacy Ollama embeddings model.",
        json_schema_extra=_env("OLLAMA_EMBEDDING_MODEL", "OLLAMA_EMBED_MODEL"),
    )
    vllm_url: str | None = Field(
        None,
        description="Legacy vLLM chat server URL, with or without /v1.",
        json_schema_extra=_env("VLLM_URL", "VLLM_BASE_URL"),
    )
    vllm_api_key: SecretStr | None = Field(
        None, description="Legacy vLLM API key.", json_schema_extra=_env("VLLM_API_KEY")
    )
    vllm_model: str | None = Field(
        None, description="Legacy vLLM chat model.", json_schema_extra=_env("VLLM_MODEL")
    )
    vllm_embeddings_url: str | None = Field(
        None,
        description="Legacy vLLM embeddings server URL.",
        json_schema_extra=_env("VLLM_EMBEDDINGS_URL", "VLLM_EMBEDDING_URL"),
    )
    vllm_embeddings_model: str | None = Field(
        None,
        description="Legacy vLLM embeddings model.",
        json_schema_extra=_env("VLLM_EMBEDDINGS_MODEL", "VLLM_EMBEDDING_MODEL"),
    )
    vllm_vision_url: str | None = Field(
        None,
        description="Legacy vLLM vision server URL.",
        json_schema_extra=_env("VLLM_VISION_URL"),
    )
    vllm_vision_model: str | None = Field(
        None, description="Legacy vLLM vision model.", json_schema_extra=_env("VLLM_VISION_MODEL")
    )
    openai_base_url: str | None = Field(
        None,
        description="OpenAI SDK's own base URL variable, for the openai provider.",
        json_schema_extra=_env("OPENAI_BASE_URL", "OPENAI_API_BASE"),
    )
    openai_api_key: SecretStr | None = Field(
        None,
        description="OpenAI SDK's own key variable, for the openai provider.",
        json_schema_extra=_env("OPENAI_API_KEY"),
    )

    _keywords: frozenset[str] = PrivateAttr(default_factory=frozenset)
    _environ: Mapping[str, str] = PrivateAttr(default_factory=dict)

    SECRET_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"api_key", "embeddings_api_key", "vision_api_key", "vllm_api_key", "openai_api_key"}
    )

    def __init__(self, **values: Any) -> None:
        """Build the settings; keywords win over the environment.

        Args:
            **values: Field values by field name.
        """
        environ = read_environment()
        token = _ENVIRONMENT.set(environ)
        try:
            super().__init__(**values)
        finally:
            _ENVIRONMENT.reset(token)
        self._keywords = frozenset(key for key, value in values.items() if value is not None)
        self._environ = environ

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,  # noqa: ARG003 - replaced by ours
        dotenv_settings: PydanticBaseSettingsSource,  # noqa: ARG003 - replaced by ours
        file_secret_settings: PydanticBaseSettingsSource,  # noqa: ARG003 - not used
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Keywords first, then one layered environment + ``.env`` source."""
        if isinstance(init_settings, InitSettingsSource):
            init_settings.init_kwargs = {
                key: value for key, value in init_settings.init_kwargs.items() if value is not None
            }
        environ = _ENVIRONMENT.get()
        if environ is None:
            environ = read_environment()
        return init_settings, _LayeredEnvironmentSource(settings_cls, environ)

    @field_validator("provider", "embeddings_provider", "vision_provider", mode="before")
    @classmethod
    def _normalise_provider(cls, value: object) -> object:
        if isinstance(value, str):
            return normalise_provider_name(value)
        return value

    @field_validator(
        "fallback_providers",
        "vision_fallback_providers",
        "embeddings_fallback_providers",
        mode="before",
    )
    @classmethod
    def _normalise_provider_list(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            return [normalise_provider_name(str(item)) for item in value]
        return value

    @field_validator(
        "base_url",
        "embeddings_base_url",
        "vision_base_url",
        "fallback_base_url",
        "vllm_url",
        "openai_base_url",
        "vllm_embeddings_url",
        "vllm_vision_url",
        mode="after",
    )
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        return None if value is None else check_url(value)

    @field_validator("ollama_host", mode="after")
    @classmethod
    def _check_ollama_host(cls, value: str | None) -> str | None:
        if value is None:
            return None
        host = value.strip()
        if "://" not in host:
            # Ollama itself accepts OLLAMA_HOST=host:port; so do we.
            host = f"http://{host}"
        return check_url(host)

    @field_validator("stop", mode="before")
    @classmethod
    def _parse_stop(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part for part in text.split(",") if part]
        return value

    @field_validator("model", "embeddings_model", "vision_model", mode="before")
    @classmethod
    def _strip_model(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        """Pydantic's repr fields, with any password inside a URL masked."""
        for name, value in super().__repr_args__():
            yield name, urls.masked(value) if isinstance(value, str) else value

    def origin(self, field_name: str) -> str:
        """Say where a field's value came from.

        Args:
            field_name: A field of this object.

        Returns:
            ``"keyword <name>"``, ``"env <VAR>"`` or ``"default"``.
        """
        if field_name in self._keywords:
            return f"keyword {field_name}"
        for name in env_names(type(self).model_fields[field_name]):
            if name in self._environ:
                return f"env {name}"
        return "default"


def _describe_origin(field_name: str, keywords: Mapping[str, Any]) -> tuple[str, str | None]:
    """Return (where the value came from, the raw value) for an error message."""
    if keywords.get(field_name) is not None:
        return f"keyword {field_name}", repr(keywords[field_name])
    environ = read_environment()
    for name in env_names(LLMSwitchSettings.model_fields[field_name]):
        if name in environ:
            return name, repr(environ[name])
    return field_name, None


def _translate(error: ValidationError, keywords: Mapping[str, Any]) -> ConfigurationError:
    """Turn pydantic's ValidationError into one message that names the variable or keyword."""
    lines: list[str] = []
    first_setting: str | None = None
    for item in error.errors():
        field_name = str(item["loc"][0]) if item["loc"] else ""
        if field_name not in LLMSwitchSettings.model_fields:
            lines.append(item["msg"])
            continue
        where, raw = _describe_origin(field_name, keywords)
        first_setting = first_setting or where
        if field_name in LLMSwitchSettings.SECRET_FIELDS:
            raw = "'**********'"
        field = LLMSwitchSettings.model_fields[field_name]
        reason = str(item["msg"]).removeprefix("Value error, ").rstrip(".")
        shown = f"{where}={urls.masked(raw)}" if raw is not None else where
        lines.append(f"{shown}: {reason}. [{field_name}: {field.description}]")
    return ConfigurationError("Invalid configuration: " + "; ".join(lines), setting=first_setting)


def load_settings(**keywords: Any) -> LLMSwitchSettings:
    """Build the settings from keywords, the environment and ``.env``.

    Args:
        **keywords: Field values that win over the environment (``None`` means unset).

    Returns:
        The validated settings.

    Raises:
        ConfigurationError: A keyword is unknown or a value is invalid; the message names
            the keyword or environment variable, the bad value and what is valid.

    Example:
        >>> load_settings(provider="ollama", temperature=0.2).temperature
        0.2
    """
    fields = LLMSwitchSettings.model_fields
    for key in keywords:
        if key not in fields:
            msg = (
                f"Unknown setting keyword {key!r}.{did_you_mean(key, fields)} "
                f"Valid keywords: {', '.join(sorted(fields))}."
            )
            raise ConfigurationError(msg, setting=key)
    try:
        return LLMSwitchSettings(**keywords)
    except ValidationError as error:
        raise _translate(error, keywords) from None
