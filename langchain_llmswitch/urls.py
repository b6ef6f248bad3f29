"""Credentials inside server URLs: masked wherever a URL is shown, never sent elsewhere.

A URL may carry ``user:password@`` (a reverse proxy with basic auth in front of Ollama, a
gateway). The password is shown as ``***`` in every message, repr, log line and CLI table;
the LangChain objects get the URL without it and the credentials as the HTTP client's
basic auth, so nothing that prints a model prints the password.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urlsplit, urlunsplit

__all__ = ["MASKED", "credentials", "masked", "same_host", "without_credentials"]

MASKED: Final = "***"
"""What a password inside a URL is shown as."""

_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^/@\s:]*):[^/@\s]+@", re.I)


def masked(text: str) -> str:
    """Return the text with the password of every URL in it replaced by ``***``.

    Args:
        text: A URL, or a message holding URLs.

    Example:
        >>> masked("http://me:secret@host:8000/v1")
        'http://me:***@host:8000/v1'
    """
    return _PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{MASKED}@", text)


def credentials(url: str) -> tuple[str, str] | None:
    """Return the ``(user, password)`` a URL carries, or None.

    Args:
        url: A server URL.

    Example:
        >>> credentials("http://me:secret@host:8000/v1")
        ('me', 'secret')
    """
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return None
    return parts.username or "", parts.password or ""


def without_credentials(url: str) -> str:
    """Return the URL without its ``user:password@``.

    Args:
        url: A server URL.

    Example:
        >>> without_credentials("http://me:secret@host:8000/v1")
        'http://host:8000/v1'
    """
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def same_host(first: str, second: str) -> bool:
    """Whether two URLs name the same host (the port may differ: one machine).

    Args:
        first: A URL.
        second: Another URL.

    Example:
        >>> same_host("http://gpu1:8000/v1", "http://gpu1:8001/v1")
        True
    """
    one, other = urlsplit(first).hostname, urlsplit(second).hostname
    return one is not None and one == other
