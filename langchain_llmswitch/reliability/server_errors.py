"""The one translation of a client's exception into the package's server errors.

Every provider's ``_translated`` hook and the stream guards end here, so the same failure
raises the same class on every backend and call style (see `langchain_llmswitch.errors`).
Which client exception means which kind of failure is declared: `COMMON_CLIENT_ERRORS`
for httpx, JSON and the built-ins, and ``ProviderSpec.client_errors`` for what a
provider's own client raises (``openai.*`` or ``ollama.ResponseError``). A class is looked
up only when its module is already imported: translating never imports a provider package.
Responses are checked here too: one embedding per input, one dimension, finite values.

Example:
    >>> import httpx
    >>> error = server_error(httpx.ConnectError("refused"), provider="vllm", url="http://v:8000")
    >>> type(error).__name__, isinstance(error, ConnectionError)
    ('ServerConnectionError', True)
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence

from langchain_llmswitch.errors import (
    LLMSwitchError,
    MalformedResponseError,
    RateLimitExhaustedError,
    ServerConnectionError,
    ServerError,
    ServerStatusError,
    ServerTimeoutError,
)
from langchain_llmswitch.providers.base import ClientErrors, ErrorKind
from langchain_llmswitch.urls import MASKED, masked

__all__ = [
    "COMMON_CLIENT_ERRORS",
    "MASKED",
    "checked_vectors",
    "kind_of",
    "masked",
    "server_error",
]

COMMON_CLIENT_ERRORS: ClientErrors = (
    ("httpx:TimeoutException", "timeout"),
    ("httpx:DecodingError", "malformed"),
    ("httpx:TransportError", "connection"),
    ("json:JSONDecodeError", "malformed"),
    ("builtins:TimeoutError", "timeout"),
    ("builtins:ConnectionError", "connection"),
)
"""What the clients every provider shares raise (httpx, ``json``, asyncio's timeouts).
Order matters: the first class an error is an instance of decides."""


_CHECK = {
    "timeout": (
        "Check that the server is up and not overloaded; LLM_TIMEOUT (seconds) bounds each "
        "wait, and a timeout is not retried (a fallback provider answers instead)"
    ),
    "connection": (
        "Check that the server is running and listens at this URL (the provider's URL "
        "variable); connection errors were retried LLM_MAX_RETRIES times"
    ),
    "status": (
        "Check the server's log; 5xx answers were retried LLM_MAX_RETRIES times within LLM_TIMEOUT"
    ),
    "rate_limit": (
        "Send fewer requests, raise LLM_MAX_RETRIES, or configure a fallback "
        "(LLM_FALLBACK_PROVIDERS); Retry-After was honoured"
    ),
    "malformed": (
        "Check that the URL points at the model server itself (not a web page, a proxy's "
        "error page or another API)"
    ),
    "vectors": (
        "Nothing was returned, so nothing reached a vector store; check the server's "
        "embeddings model (and its log)"
    ),
}


def _loaded(target: str) -> type | None:
    module_name, _, attribute = target.partition(":")
    found = getattr(sys.modules.get(module_name), attribute, None)
    return found if isinstance(found, type) else None


def kind_of(error: BaseException, client_errors: ClientErrors = ()) -> ErrorKind | None:
    """Return the kind of failure a client's exception means, or None for another error.

    Args:
        error: What the client raised.
        client_errors: The provider's own declarations, tried before the common ones.
    """
    for target, kind in (*client_errors, *COMMON_CLIENT_ERRORS):
        cls = _loaded(target)
        if cls is not None and isinstance(error, cls):
            return kind
    return None


def _detail(error: BaseException) -> str:
    text = str(error).strip() or "no message"
    shown = text if len(text) <= 300 else text[:300] + "..."  # noqa: PLR2004
    return f"{type(error).__name__}: {masked(shown)}"


def _status_error(error: BaseException, status: int, provider: str, url: str) -> ServerError | None:
    detail = _detail(error)
    if status == 429:  # noqa: PLR2004
        what = f"HTTP 429 (rate limited) after the retries ({detail})"
        return RateLimitExhaustedError(what, provider=provider, url=url, check=_CHECK["rate_limit"])
    if 300 <= status < 400:  # noqa: PLR2004 - redirects are not followed
        location = getattr(getattr(error, "response", None), "headers", {}).get("location", "")
        return ServerStatusError(
            f"HTTP {status}: the server redirects to {masked(location) or 'another URL'}, which "
            "is not followed (the prompt and the API key go only to the configured server)",
            status_code=status,
            provider=provider,
            url=url,
            check="Set the URL variable to the server that answers",
        )
    if status >= 500 or status < 0:  # noqa: PLR2004 - ollama: -1 is an error inside a stream
        label = f"HTTP {status} after the retries" if status > 0 else "an error inside the answer"
        return ServerStatusError(
            f"{label} ({detail})",
            status_code=status,
            provider=provider,
            url=url,
            check=_CHECK["status"],
        )
    return None  # 4xx: a bad request that another try or server would not fix; as it is


def server_error(
    error: BaseException,
    *,
    provider: str,
    url: str,
    client_errors: ClientErrors = (),
    timeout: float | None = None,
) -> ServerError | None:
    """Return the package's error for a client's exception, or None to let it through.

    Errors of the package itself, 4xx answers (a bad request, handled by each provider's
    own translation when it means a missing model or capability) and anything not declared
    pass unchanged.

    Args:
        error: What the client raised.
        provider: The provider name, for the message.
        url: The server URL (masked here).
        client_errors: The provider's declarations (``ProviderSpec.client_errors``).
        timeout: The configured timeout in seconds, for the message.

    Returns:
        The error to raise instead (the caller chains ``error`` as its cause), or None.
    """
    if isinstance(error, LLMSwitchError):
        return None
    kind = kind_of(error, client_errors)
    shown = masked(url)
    if kind == "status":
        status = getattr(error, "status_code", None)
        return _status_error(error, status, provider, shown) if isinstance(status, int) else None
    if kind == "timeout":
        within = f" within {timeout:g} s" if timeout else ""
        return ServerTimeoutError(
            f"no answer{within} ({_detail(error)})",
            provider=provider,
            url=shown,
            check=_CHECK["timeout"],
        )
    if kind == "connection":
        return ServerConnectionError(
            f"cannot reach the server ({_detail(error)})",
            provider=provider,
            url=shown,
            check=_CHECK["connection"],
        )
    if kind == "malformed":
        return malformed(f"the answer is not a valid response ({_detail(error)})", provider, url)
    return None


def malformed(
    what: str, provider: str, url: str, check: str = _CHECK["malformed"]
) -> MalformedResponseError:
    """Return the error for an answer that is not valid (the URL masked).

    Args:
        what: What is wrong with it.
        provider: The provider name.
        url: The server URL.
        check: What to check.
    """
    return MalformedResponseError(what, provider=provider, url=masked(url), check=check)


def checked_vectors(
    vectors: Sequence[Sequence[float]], count: int, *, provider: str, url: str
) -> list[list[float]]:
    """Return the vectors when there is one per input, all of one dimension, all finite.

    A vector store takes what it is given: a missing vector shifts every later text onto
    the wrong vector, and a NaN or a second dimension corrupts the index silently.

    Args:
        vectors: What the server returned.
        count: How many texts were sent.
        provider: The provider name, for the message.
        url: The server URL.

    Raises:
        MalformedResponseError: A vector is missing, extra, of another dimension, or holds
            a NaN or an infinity.

    Example:
        >>> checked_vectors([[0.5, 1.0]], 1, provider="ollama", url="http://o:11434")
        [[0.5, 1.0]]
    """
    if len(vectors) != count:
        what = f"{len(vectors)} embeddings came back for {count} texts"
        raise malformed(what, provider, url, _CHECK["vectors"])
    dimensions = sorted({len(vector) for vector in vectors})
    if len(dimensions) > 1 or dimensions == [0]:
        what = f"the embeddings have dimensions {dimensions}: one non-zero dimension expected"
        raise malformed(what, provider, url, _CHECK["vectors"])
    for index, vector in enumerate(vectors):
        if not all(math.isfinite(value) for value in vector):
            what = f"embedding {index} holds a NaN or an infinite value"
            raise malformed(what, provider, url, _CHECK["vectors"])
    return [list(vector) for vector in vectors]
