"""Where the harness keeps what it builds (cache) and what it runs (state, logs)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

#: Environment variable that moves the whole cache.
CACHE_ENV: Final = "LLMSWITCH_CACHE_DIR"

#: Folder with this package's own files (scripts run inside the server venvs).
PACKAGE_DIR: Final = Path(__file__).resolve().parent


def cache_dir() -> Path:
    """Return the cache root, creating it.

    Returns:
        ``$LLMSWITCH_CACHE_DIR`` if set, else ``~/.cache/langchain-llmswitch``.
    """
    configured = os.environ.get(CACHE_ENV, "").strip()
    root = Path(configured).expanduser() if configured else _default_cache()
    root.mkdir(parents=True, exist_ok=True)
    return root.resolve()


def _default_cache() -> Path:
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "langchain-llmswitch"


def venvs_dir() -> Path:
    """Return the folder of the version-keyed virtual environments."""
    return cache_dir() / "venvs"


def models_dir() -> Path:
    """Return the folder of the extracted and converted models."""
    return cache_dir() / "models"


def downloads_dir() -> Path:
    """Return the folder of downloaded wheels (model carriers)."""
    return cache_dir() / "downloads"


def run_dir() -> Path:
    """Return the runtime folder (state file, logs, working folders), creating it."""
    path = cache_dir() / "run"
    path.mkdir(parents=True, exist_ok=True)
    return path


def logs_dir() -> Path:
    """Return the folder of the server logs, creating it."""
    path = run_dir() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def venv_python(venv: Path) -> Path:
    """Return the interpreter of a virtual environment.

    Args:
        venv: Root of the virtual environment.

    Returns:
        Path of its ``bin/python``.
    """
    return venv / "bin" / "python"
