"""Where the harness keeps what it builds (cache) and what it runs (state, logs)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from langchain_llmswitch.embedded.cache import cache_root

#: Folder with this package's own files (scripts run inside the server venvs).
PACKAGE_DIR: Final = Path(__file__).resolve().parent


def cache_dir() -> Path:
    """Return the cache root, creating it.

    Returns:
        ``$LLMSWITCH_CACHE_DIR`` if set, else ``~/.cache/langchain-llmswitch`` (the
        package's own rule, `langchain_llmswitch.embedded.cache.cache_root`).
    """
    return cache_root()


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
