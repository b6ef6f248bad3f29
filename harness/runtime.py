"""Start, reuse, stop and list the servers; the state file in ``<cache>/run``."""

from __future__ import annotations

import json
import shlex
import socket
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from harness import build, paths, process, shell
from harness.locks import file_lock
from harness.servers import HOST, SERVER_NAMES, SPECS, ServerInfo, all_steps, with_deps

LOG_TAIL_LINES = 40
State = dict[str, dict[str, Any]]


class ServerStartError(RuntimeError):
    """A server died or did not become ready in time; the message has its log tail."""


def _log(message: str) -> None:
    print(f"[harness] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- state file


def _state_path() -> Path:
    return paths.run_dir() / "state.json"


def _read_state() -> State:
    try:
        data = json.loads(_state_path().read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    servers = data.get("servers", {}) if isinstance(data, dict) else {}
    return {str(k): v for k, v in servers.items() if isinstance(v, dict)}


def _write_state(state: State) -> None:
    path = _state_path()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(
        json.dumps({"servers": state}, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    tmp.replace(path)


@contextmanager
def _locked_state() -> Iterator[State]:
    """Hold the runtime lock; yield the state and save it afterwards (also on error)."""
    with file_lock(paths.run_dir() / "harness.lock"):
        state = _read_state()
        try:
            yield state
        finally:
            _write_state(state)


def _info(entry: dict[str, Any]) -> ServerInfo:
    return ServerInfo(
        name=str(entry["name"]),
        base_url=str(entry["base_url"]),
        openai_url=str(entry["openai_url"]),
        model=str(entry["model"]),
        pid=int(entry["pid"]),
        log_path=str(entry["log_path"]),
        port=int(entry["port"]),
        embed_model=entry.get("embed_model"),
    )


def _alive(entry: dict[str, Any]) -> bool:
    ticks = entry.get("start_ticks")
    return process.is_alive(int(entry["pid"]), None if ticks is None else int(ticks))


def _ready(entry: dict[str, Any]) -> bool:
    return process.http_ok(str(entry["base_url"]) + SPECS[str(entry["name"])].ready_path)


def _deps_match(entry: dict[str, Any], state: State) -> bool:
    recorded: dict[str, str] = entry.get("deps", {})
    return all(name in state and state[name]["base_url"] == url for name, url in recorded.items())


# --------------------------------------------------------------------------- ports


def _ports_path() -> Path:
    return paths.run_dir() / "ports.json"


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def _port_for(name: str) -> int:
    """Return the port the server had last time if it is free again, else a free one.

    A server started again keeps its address, so whatever was pointed at it (a router in
    front of replicas) finds it again without being restarted itself.
    """
    try:
        ports = json.loads(_ports_path().read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        ports = {}
    previous = ports.get(name) if isinstance(ports, dict) else None
    port = previous if isinstance(previous, int) and _port_is_free(previous) else None
    if port is None:
        port = process.free_port(HOST)
    ports = ports if isinstance(ports, dict) else {}
    ports[name] = port
    _ports_path().write_text(json.dumps(ports, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return port


# --------------------------------------------------------------------------- start


def _wait_ready(name: str, pid: int, url: str, log_path: Path, timeout: float) -> float:
    """Poll ``url`` until HTTP 200; raise if the process dies or the bound passes.

    Returns:
        Seconds it took.
    """
    started = time.monotonic()
    reason = process.wait_http(url, pid, timeout)
    if reason is not None:
        raise ServerStartError(_failure(name, reason, log_path))
    return time.monotonic() - started


def _failure(name: str, reason: str, log_path: Path) -> str:
    last = process.tail(log_path, LOG_TAIL_LINES)
    return f"{name} {reason}\n--- last {LOG_TAIL_LINES} lines of {log_path} ---\n{last}"


def _start(name: str, state: State) -> dict[str, Any]:
    spec = SPECS[name]
    deps = {dep: _info(state[dep]) for dep in spec.deps}
    port = _port_for(name)
    plan = spec.plan(port, deps)
    log_path = paths.logs_dir() / f"{name}.log"
    if log_path.exists():
        log_path.replace(log_path.with_suffix(".prev.log"))
    base_url = f"http://{HOST}:{port}"
    _log(f"{name}: starting on {base_url} (log: {log_path})")
    pid = process.spawn(plan.argv, shell.clean_env(plan.env), plan.cwd or paths.run_dir(), log_path)
    entry: dict[str, Any] = {
        "name": name,
        "base_url": base_url,
        "openai_url": base_url + spec.openai_suffix,
        "model": spec.model,
        "embed_model": spec.embed_model,
        "pid": pid,
        "port": port,
        "log_path": str(log_path),
        "start_ticks": process.start_ticks(pid),
        "deps": {dep: info.base_url for dep, info in deps.items()},
        "argv": plan.argv,
        "started_at": time.time(),
    }
    state[name] = entry  # recorded at once, so a failed wait can still be stopped
    try:
        seconds = _wait_ready(name, pid, base_url + spec.ready_path, log_path, spec.ready_timeout)
    except ServerStartError:
        process.terminate(pid, entry["start_ticks"])
        del state[name]
        raise
    entry["ready_seconds"] = round(seconds, 2)
    _log(f"{name}: ready in {seconds:.1f} s (pid {pid})")
    return entry


def _stale_reason(entry: dict[str, Any], state: State) -> str | None:
    """Return why a recorded server cannot be reused, or None if it can."""
    if not _alive(entry):
        return "its process is gone"
    if not _deps_match(entry, state):
        return "a server it depends on was restarted"
    if not _ready(entry):
        return f"{SPECS[str(entry['name'])].ready_path} does not answer 200"
    return None


def _ensure_one(name: str, state: State) -> ServerInfo:
    entry = state.get(name)
    if entry is not None:
        reason = _stale_reason(entry, state)
        if reason is None:
            return _info(entry)
        _log(f"{name}: restarting ({reason})")
        _stop_entry(entry)
        del state[name]
    return _info(_start(name, state))


def ensure_started(names: Iterable[str] | None = None) -> dict[str, ServerInfo]:
    """Build what is missing and start the servers that are not already running.

    Running, ready servers are reused. Dependencies of a named server are
    started too and included in the result.

    Args:
        names: Server names (default: all).

    Returns:
        Name -> ServerInfo for the named servers and their dependencies.

    Raises:
        ServerStartError: A server died or timed out while starting.
    """
    wanted = with_deps(tuple(names) if names is not None else SERVER_NAMES)
    build.build_steps(all_steps(wanted))
    result: dict[str, ServerInfo] = {}
    with _locked_state() as state:
        for name in wanted:
            result[name] = _ensure_one(name, state)
    return result


# --------------------------------------------------------------------------- stop / list


def _stop_entry(entry: dict[str, Any]) -> None:
    ticks = entry.get("start_ticks")
    process.terminate(int(entry["pid"]), None if ticks is None else int(ticks))


def stop(names: Iterable[str] | None = None) -> list[str]:
    """Stop servers by pid (process group) and remove them from the state.

    Args:
        names: Server names (default: all recorded servers).

    Returns:
        Names that were recorded and are now stopped.
    """
    requested = list(names) if names is not None else list(SERVER_NAMES)
    for name in requested:
        if name not in SPECS:
            msg = f"unknown server {name!r}; known: {', '.join(SERVER_NAMES)}"
            raise KeyError(msg)
    stopped: list[str] = []
    with _locked_state() as state:
        for name in reversed(SERVER_NAMES):  # dependents before their dependencies
            if name in requested and name in state:
                _log(f"{name}: stopping pid {state[name]['pid']}")
                _stop_entry(state.pop(name))
                stopped.append(name)
    return stopped


def running() -> dict[str, ServerInfo]:
    """Return the recorded servers that are alive and answer their readiness probe.

    Returns:
        Name -> ServerInfo.
    """
    state = _read_state()
    return {
        name: _info(state[name])
        for name in SERVER_NAMES
        if name in state and _alive(state[name]) and _ready(state[name])
    }


def launch_argv(name: str) -> list[str]:
    """Return the command line a recorded server was started with.

    Args:
        name: Server name.

    Raises:
        KeyError: The server is not recorded (not started by this cache's harness).
    """
    return [str(arg) for arg in _read_state()[name]["argv"]]


def status_lines() -> list[str]:
    """Return one status line per known server.

    Returns:
        Lines of ``name url pid alive/ready``.
    """
    state = _read_state()
    lines = []
    for name in SERVER_NAMES:
        entry = state.get(name)
        if entry is None:
            lines.append(f"{name:15} {'-':28} {'-':>8} stopped")
            continue
        alive = _alive(entry)
        ready = alive and _ready(entry)
        health = "ready" if ready else ("alive/not-ready" if alive else "dead")
        lines.append(f"{name:15} {entry['openai_url']:28} {entry['pid']:>8} {health}")
    return lines


def env_lines() -> list[str]:
    """Return ``export`` lines for every running server.

    Returns:
        Lines a shell can ``eval``.
    """
    lines = []
    for name, info in running().items():
        prefix = "LLMSWITCH_TEST_" + name.upper().replace("-", "_")
        lines.append(f"export {prefix}_URL={_quote(info.openai_url)}")
        lines.append(f"export {prefix}_MODEL={_quote(info.model)}")
        if info.embed_model is not None:
            lines.append(f"export {prefix}_EMBED_MODEL={_quote(info.embed_model)}")
    return lines


def _quote(value: str) -> str:
    return shlex.quote(value)


def info_as_dict(info: ServerInfo) -> dict[str, Any]:
    """Return a ServerInfo as a JSON-ready dict.

    Args:
        info: The server.

    Returns:
        Its fields.
    """
    return asdict(info)
