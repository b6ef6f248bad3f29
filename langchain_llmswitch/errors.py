"""The one error hierarchy of the package: every exception class it defines lives here.

Every error the package raises on purpose is an `LLMSwitchError`. Each child also
inherits from the built-in exception a caller would naturally catch (`ValueError`
for bad configuration, `ImportError` for a missing package), so existing
`except ValueError:` code keeps working::

    LLMSwitchError (Exception)
    ├── ConfigurationError (ValueError)        a setting is bad or missing
    │   └── ModelNotFoundError                 the server does not serve the model
    ├── MissingDependencyError (ImportError)   a provider's package is not installed
    │   └── PdfRendererMissingError            a PDF, and no pypdfium2
    ├── CapabilityError                        the model cannot do it (e.g. images)
    ├── ImageError (ValueError)                an image cannot be sent
    ├── StructuredOutputError (ValueError)     output does not match the constraint
    ├── ToolCallError (ValueError)             a tool call's arguments do not fit the tool
    ├── ProviderUnavailableError (ConnectionError)  unreachable or not ready
    ├── EmbeddingSpaceError (ValueError)       vectors of two embedding spaces met
    └── ServerError                            a server call failed (provider, URL, what to check)
        ├── ServerTimeoutError (TimeoutError)          no answer within LLM_TIMEOUT
        ├── ServerConnectionError (ProviderUnavailableError)  refused, reset, unreachable
        ├── ServerStatusError                          HTTP 5xx after retries
        ├── RateLimitExhaustedError                    HTTP 429 after retries
        ├── MalformedResponseError (ValueError)        not a valid answer (HTML, bad JSON,
        │                                              no choices, wrong embeddings)
        └── StreamInterruptedError (ProviderUnavailableError)  a stream ended early
            └── StreamStalledError (ServerTimeoutError)        ... because it stalled

The server errors also inherit langchain-core's model errors (``ModelTimeoutError``,
``ModelConnectionError``, ``ModelAPIError``, ``ModelRateLimitError``; `ModelNotFoundError`
inherits ``langchain_core.exceptions.ModelNotFoundError``) when the installed version has them.

Example:
    >>> from langchain_llmswitch.errors import ConfigurationError, LLMSwitchError
    >>> issubclass(ConfigurationError, (LLMSwitchError, ValueError))
    True
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

try:  # langchain-core's provider-independent model errors (1.7.x); plain bases before them
    from langchain_core.exceptions import ModelAPIError as _CoreAPIError
    from langchain_core.exceptions import ModelConnectionError as _CoreConnectionError
    from langchain_core.exceptions import ModelNotFoundError as _CoreNotFoundError
    from langchain_core.exceptions import ModelRateLimitError as _CoreRateLimitError
    from langchain_core.exceptions import ModelTimeoutError as _CoreTimeoutError
except ImportError:  # pragma: no cover - an older langchain-core

    class _CoreAPIError(Exception):  # type: ignore[no-redef]
        is_retryable = True

    class _CoreConnectionError(Exception):  # type: ignore[no-redef]
        is_retryable = True

    class _CoreNotFoundError(Exception):  # type: ignore[no-redef]
        is_retryable = False

    class _CoreRateLimitError(Exception):  # type: ignore[no-redef]
        is_retryable = True

    class _CoreTimeoutError(Exception):  # type: ignore[no-redef]
        is_retryable = True


__all__ = [
    "CapabilityError",
    "ConfigurationError",
    "EmbeddingSpaceError",
    "ImageError",
    "LLMSwitchError",
    "MalformedResponseError",
    "MissingDependencyError",
    "ModelNotFoundError",
    "PdfRendererMissingError",
    "ProviderUnavailableError",
    "RateLimitExhaustedError",
    "ServerConnectionError",
    "ServerError",
    "ServerStatusError",
    "ServerTimeoutError",
    "StreamInterruptedError",
    "StreamStalledError",
    "StructuredOutputError",
    "ToolCallError",
    "did_you_mean",
]


class LLMSwitchError(Exception):
    """Base class of every error raised by langchain-llmswitch."""


class ConfigurationError(LLMSwitchError, ValueError):
    """A setting has a bad value, or a needed setting is missing.

    The message names where the value came from (an environment variable or a
    keyword argument), the value itself (never for secrets) and what would be valid.

    Attributes:
        setting: The environment variable or keyword that holds the bad value.
    """

    def __init__(self, message: str, *, setting: str | None = None) -> None:
        """Build the error.

        Args:
            message: The full, actionable message.
            setting: The environment variable or keyword at fault, if one is.
        """
        super().__init__(message)
        self.setting = setting


class MissingDependencyError(LLMSwitchError, ImportError):
    """A provider needs a package that is not installed.

    Attributes:
        package: The distribution to install.
    """

    def __init__(
        self, provider: str, package: str, *, command: str | None = None, reason: str = ""
    ) -> None:
        """Build the error with the pip command that fixes it.

        Args:
            provider: The provider that needs the package.
            package: The distribution name to install.
            command: The install command, when it is not ``pip install PACKAGE``.
            reason: Why it could not be had otherwise, appended to the message.
        """
        msg = (
            f"Provider {provider!r} needs the package {package!r}, which is not installed"
            f"{f' ({reason})' if reason else ''}. "
            f"Install it with: {command or f'pip install {package}'}"
        )
        super().__init__(msg, name=package)
        self.package = package


class PdfRendererMissingError(MissingDependencyError):
    """A PDF was given but no page renderer (``pypdfium2``) is installed."""

    def __init__(self) -> None:
        """Build the error with the pip command that fixes it."""
        msg = (
            "Reading a PDF needs a page renderer, and the package 'pypdfium2' is not installed. "
            "Install it with: pip install pypdfium2 (or pass the pages as images)."
        )
        ImportError.__init__(self, msg, name="pypdfium2")
        self.package = "pypdfium2"


class ModelNotFoundError(ConfigurationError, _CoreNotFoundError):
    """The server does not serve the configured model (vLLM's 404 "model does not exist").

    Attributes:
        served: The models the server does serve, when it could be asked.
    """

    def __init__(
        self, message: str, *, served: list[str] | None = None, setting: str = "LLM_MODEL"
    ) -> None:
        """Build the error.

        Args:
            message: The full message, naming the model and what is served.
            served: The served models.
            setting: The variable that sets the model (``EMBEDDINGS_MODEL`` for embeddings).
        """
        super().__init__(message, setting=setting)
        self.served = served or []


class CapabilityError(LLMSwitchError):
    """A model or server was asked for something it cannot do (e.g. vision of a text model)."""


class ImageError(LLMSwitchError, ValueError):
    """An image cannot be sent: unreadable, not an image, too large, or not fetchable.

    Raised before any request reaches the model.

    Attributes:
        source: A short description of the image at fault (path, URL or byte count).
    """

    def __init__(self, message: str, *, source: str) -> None:
        """Build the error.

        Args:
            message: The full, actionable message.
            source: A short description of the image at fault.
        """
        super().__init__(message)
        self.source = source


class StructuredOutputError(LLMSwitchError, ValueError):
    """The model's output does not satisfy the requested schema, regex or choice.

    Attributes:
        raw: The text the model produced.
        reason: What did not match.
    """

    def __init__(self, reason: str, raw: str) -> None:
        """Build the error.

        Args:
            reason: What did not match.
            raw: The text the model produced.
        """
        shown = raw if len(raw) <= 300 else raw[:300] + "..."  # noqa: PLR2004
        super().__init__(f"structured output does not match: {reason}. Raw output: {shown!r}")
        self.raw = raw
        self.reason = reason


# --- tool calls (issue 15) -------------------------------------------------------------------


class ToolCallError(LLMSwitchError, ValueError):
    """A tool call came back that cannot be run (unknown tool, or arguments that do not fit).

    Its arguments do not parse as a JSON object or do not match the tool's schema. Raised in
    place of LangChain's own crash (a pydantic ``ValidationError`` inside ``AIMessage`` when a
    server sends a bare JSON string as the arguments) or a silently invalid call.

    Attributes:
        tool: The tool name the model gave ("" when there was none).
        raw: The text the model produced for the call (its arguments, or the whole answer).
        reason: What is wrong with it.
    """

    def __init__(self, reason: str, raw: str, *, tool: str = "") -> None:
        """Build the error.

        Args:
            reason: What is wrong with the call.
            raw: The text the model produced.
            tool: The tool name the model gave.
        """
        shown = raw if len(raw) <= 300 else raw[:300] + "..."  # noqa: PLR2004
        named = f" of {tool!r}" if tool else ""
        super().__init__(f"tool call{named} cannot be run: {reason}. Raw output: {shown!r}")
        self.tool = tool
        self.raw = raw
        self.reason = reason


# --------------------------------------------------------------------------------------------


class ProviderUnavailableError(LLMSwitchError, ConnectionError):
    """A server could not be reached, or did not become ready in time."""


class EmbeddingSpaceError(LLMSwitchError, ValueError):
    """Vectors of one embedding space were about to meet a collection of another.

    Vectors of two models (or of one model served two ways) cannot be compared: a search
    would return nonsense, silently. The message says which space the collection holds,
    which space the embeddings are, and that the collection must be re-indexed.

    Attributes:
        collection: The space the collection was indexed with.
        current: The space of the embeddings in use.
    """

    def __init__(self, message: str, *, collection: object, current: object) -> None:
        """Build the error.

        Args:
            message: The full message.
            collection: The collection's `EmbeddingSpace`.
            current: The embeddings' `EmbeddingSpace`.
        """
        super().__init__(message)
        self.collection = collection
        self.current = current


# --- server errors: one class per kind of failure, the same on every provider -------------


class ServerError(LLMSwitchError):
    """A call to a model server failed; the message names the server and what to check.

    Raised the same way by every provider and call style (invoke, ainvoke, stream, astream,
    batch, embed, aembed); the client's own exception is kept as ``__cause__``.

    Attributes:
        provider: The provider of the table (``vllm``, ``ollama``, ...), or "".
        url: The server URL, with any password masked, or "".
        check: What to check, one sentence.
        unavailable: Whether another provider might answer (a fallback is tried).
    """

    unavailable = True

    def __init__(self, what: str, *, provider: str = "", url: str = "", check: str = "") -> None:
        """Build the error.

        Args:
            what: What went wrong, without the server (added in front).
            provider: The provider name.
            url: The server URL, already masked.
            check: What to check.
        """
        where = f"{provider} at {url}" if provider and url else provider or url
        text = f"{where}: {what}" if where else what
        super().__init__(f"{text}. {check}" if check else text)
        self.provider = provider
        self.url = url
        self.check = check


class ServerTimeoutError(ServerError, TimeoutError, _CoreTimeoutError):
    """The server did not answer (or send the next chunk) within ``LLM_TIMEOUT`` seconds."""


class ServerConnectionError(ServerError, ProviderUnavailableError, _CoreConnectionError):
    """The server could not be reached: refused, reset, closed early, or name not found."""


class ServerStatusError(ServerError, _CoreAPIError):
    """The server answered an HTTP error status (5xx) after the retries.

    Attributes:
        status_code: The HTTP status (-1 when the server reported an error inside a stream).
    """

    def __init__(self, what: str, *, status_code: int, **where: str) -> None:
        """Build the error.

        Args:
            what: What went wrong.
            status_code: The HTTP status.
            **where: ``provider``, ``url`` and ``check``, as for `ServerError`.
        """
        super().__init__(what, **where)
        self.status_code = status_code


class RateLimitExhaustedError(ServerError, _CoreRateLimitError):
    """The server answered HTTP 429 (too many requests) to every retry.

    Attributes:
        status_code: 429.
    """

    status_code = 429


class MalformedResponseError(ServerError, ValueError):
    """The server's answer is not a valid one: not JSON, HTML, no choices, bad embeddings."""


class StreamInterruptedError(ServerError, ProviderUnavailableError):
    """A stream ended or broke before the server said it was complete."""


class StreamStalledError(StreamInterruptedError, ServerTimeoutError):
    """A stream stopped sending chunks for ``LLM_TIMEOUT`` seconds after its first one."""


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """Return a ' Did you mean X?' suffix for a near miss, or an empty string.

    Args:
        value: What the user gave.
        choices: The valid values.

    Returns:
        The suffix to append to an error message.

    Example:
        >>> did_you_mean("vlm", ["ollama", "vllm", "openai"])
        " Did you mean 'vllm'?"
    """
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""
