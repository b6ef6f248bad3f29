"""The user cache folder (outside any checkout) and an inter-process lock on a file.

The embedded provider keeps its models, state and logs under ``<cache>/embedded``; the
test harness keeps its builds under the same root.

Example:
    >>> import os
    >>> os.environ["LLMSWITCH_CACHE_DIR"] = "/tmp/llmswitch-cache"
    >>> str(cache_root())
    '/tmp/llmswitch-cache'
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

__all__ = ["CACHE_ENV", "cache_root", "file_lock"]

CACHE_ENV: Final = "LLMSWITCH_CACHE_DIR"
"""Environment variable that moves the whole cache."""

_LOCK_POLL_SECONDS: Final = 0.2


def cache_root() -> Path:
    """Return the cache root, creating it.

    Returns:
        ``$LLMSWITCH_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/langchain-llmswitch``, else
        ``~/.cache/langchain-llmswitch`` (resolved to an absolute path).
    """
    configured = os.environ.get(CACHE_ENV, "").strip()
    if configured:
        root = Path(configured).expanduser()
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
        root = (Path(xdg) if xdg else Path.home() / ".cache") / "langchain-llmswitch"
    root.mkdir(parents=True, exist_ok=True)
    return root.resolve()


@contextmanager
def file_lock(path: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (``fcntl.flock``) for the duration of the block.

    Args:
        path: Lock file (created if missing).
        timeout: Seconds to wait for another holder; ``None`` waits as long as it takes.

    Yields:
        Nothing; the lock is held inside the ``with`` block.

    Raises:
        TimeoutError: Another process held the lock for longer than ``timeout``.

    Example:
        >>> with file_lock(Path("/tmp/demo.lock"), timeout=5):
        ...     pass
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = None if timeout is None else time.monotonic() + timeout
    with path.open("a") as handle:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    msg = f"another process held the lock {path} for more than {timeout:.0f} s"
                    raise TimeoutError(msg) from None
                time.sleep(_LOCK_POLL_SECONDS)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
