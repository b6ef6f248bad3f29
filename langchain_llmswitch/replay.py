"""Cassette replay: models are built without starting, waiting for or asking any server.

The pytest plugin turns replay on while a test replays a VCR cassette (a write-protected
cassette: ``--record-mode=none``, or ``once`` with the cassette already recorded), and for
the whole session when ``--record-mode=none`` is given. While it is on:

- the ``embedded`` provider starts no llama-server, imports nothing of the ``embedded``
  extra and fetches no model: its models point at `PLACEHOLDER_URL` with the model names
  its servers answer to (the names the cassettes were recorded with);
- a URL that no variable gives and that has no default (vLLM embeddings, one model per
  server) is `PLACEHOLDER_URL` instead of a `ConfigurationError`;
- ``LLM_WAIT_READY`` waits for nothing.

Cassettes match requests on method, path, query and JSON body, never on the host (the
plugin records one placeholder host), so the placeholder replays any recorded server.

Example:
    >>> with replaying():
    ...     active()
    True
    >>> active()
    False
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

__all__ = ["PLACEHOLDER_HOST", "PLACEHOLDER_URL", "active", "replaying"]

PLACEHOLDER_HOST: Final = "http://llmswitch-test-server"
"""The one host the pytest plugin records every request under (never resolved)."""
PLACEHOLDER_URL: Final = PLACEHOLDER_HOST + "/v1"
"""The OpenAI-protocol URL of replayed models that no variable gives a URL."""

_lock = threading.Lock()
_depth = 0


def active() -> bool:
    """Whether cassettes are being replayed (no server may be started or asked)."""
    return _depth > 0


@contextmanager
def replaying() -> Iterator[None]:
    """Turn replay on for the duration of the block (blocks nest; process-wide)."""
    global _depth  # noqa: PLW0603 - one process-wide switch, set by the pytest plugin
    with _lock:
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
