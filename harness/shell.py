"""Running build commands: a cleaned environment, output appended to a log, errors with its tail."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from langchain_llmswitch.embedded.processes import tail

__all__ = ["BuildError", "clean_env", "log", "run_logged"]


class BuildError(RuntimeError):
    """A build step failed; the message ends with the tail of its log."""


def log(message: str) -> None:
    """Print a harness progress line on stderr."""
    print(f"[harness] {message}", file=sys.stderr, flush=True)


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the current environment without variables that leak into other venvs.

    Args:
        extra: Variables to add on top.

    Returns:
        A new environment mapping.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}
    }
    if extra:
        env.update(extra)
    return env


def run_logged(
    cmd: Sequence[str | Path],
    log: Path,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> None:
    """Run a command, appending its output to a log; raise with the log tail on failure.

    Args:
        cmd: The command and its arguments.
        log: Log file to append to.
        env: Extra environment variables.
        cwd: Working folder.

    Raises:
        BuildError: If the command exits non-zero.
    """
    argv = [str(part) for part in cmd]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"$ {shlex.join(argv)}\n")
        handle.flush()
        result = subprocess.run(
            argv,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=clean_env(env),
            cwd=cwd,
            check=False,
        )
    if result.returncode != 0:
        msg = (
            f"command failed with exit code {result.returncode}: {shlex.join(argv)}\n"
            f"--- last lines of {log} ---\n{tail(log)}"
        )
        raise BuildError(msg)
