"""Local server processes: free ports, spawning, liveness, stopping, HTTP probes (stdlib only).

Shared by the embedded provider (`langchain_llmswitch.embedded.server`) and the test
harness. A server is started in its own session (process group) so it outlives the
process that started it; its pid and start time identify it later, so a reused pid is
never signalled.

Example:
    >>> port = free_port()
    >>> 0 < port < 65536
    True
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Final

#: Popen objects of servers this process started, so they can be reaped.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}
#: No proxy for 127.0.0.1, whatever http_proxy says.
_OPENER: Final = urllib.request.build_opener(urllib.request.ProxyHandler({}))
PROBE_HEADER: Final = "X-LLMSwitch-Probe"
"""Sent by the health probes, so that the pytest plugin leaves them out of cassettes (a
recording on the embedded default would otherwise hold a varying number of them)."""
TERM_GRACE: Final = 15.0
POLL_INTERVAL: Final = 0.25
_STAT_FIELDS: Final = 20  # /proc/PID/stat fields up to starttime, after the name
_HTTP_OK: Final = 200


def free_port(host: str = "127.0.0.1") -> int:
    """Ask the kernel for a free TCP port on ``host`` (bind to port 0).

    Args:
        host: Address to bind.

    Returns:
        A port number that was free a moment ago.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def spawn(argv: list[str], env: dict[str, str], cwd: Path, log_path: Path) -> int:
    """Start a server in its own session (process group), output to a log.

    Args:
        argv: Command line.
        env: Complete environment.
        cwd: Working folder.
        log_path: Log file (truncated).

    Returns:
        The pid, which is also the process-group id.
    """
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
    _CHILDREN[proc.pid] = proc
    return proc.pid


def start_ticks(pid: int) -> int | None:
    """Return a process's start time in clock ticks (``/proc/PID/stat`` field 22).

    Args:
        pid: Process id.

    Returns:
        The start time, or None if there is no such (live) process.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    # fields[0] is the state (field 3); field 22 is at index 19.
    if len(fields) < _STAT_FIELDS or fields[0] in {"Z", "X"}:
        return None
    return int(fields[19])


def is_alive(pid: int, ticks: int | None) -> bool:
    """Tell whether ``pid`` is the same live process that was recorded.

    Args:
        pid: Process id.
        ticks: Start ticks recorded when it was started (None: do not compare).

    Returns:
        True if the process runs and is not a zombie or a reused pid.
    """
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        return False
    current = start_ticks(pid)
    if current is None:
        return False
    return ticks is None or current == ticks


def exited(pid: int) -> int | None:
    """Return the exit code of a server this process started, if it has exited.

    Args:
        pid: Process id.

    Returns:
        Exit code, or None while it runs (or if it is not our child).
    """
    child = _CHILDREN.get(pid)
    return None if child is None else child.poll()


def _group_exists(pgid: int) -> bool:
    child = _CHILDREN.get(pgid)
    if child is not None:
        child.poll()
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _wait_group(pgid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _group_exists(pgid):
            return True
        time.sleep(POLL_INTERVAL)
    return not _group_exists(pgid)


def terminate(pid: int, ticks: int | None) -> None:
    """Stop a server's process group: SIGTERM, then SIGKILL after 15 s.

    Nothing is signalled if ``pid`` now belongs to another process (reused pid).

    Args:
        pid: Server pid (= its process-group id).
        ticks: Start ticks recorded at start.
    """
    current = start_ticks(pid)
    if current is not None and ticks is not None and current != ticks:
        return  # the pid was reused: our group is gone
    for sig, grace in ((signal.SIGTERM, TERM_GRACE), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            break
        if _wait_group(pid, grace):
            break
    child = _CHILDREN.pop(pid, None)
    if child is not None:
        child.poll()


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """Tell whether a GET of ``url`` answers HTTP 200.

    Args:
        url: Full URL.
        timeout: Seconds for connect and read.

    Returns:
        True on HTTP 200.
    """
    request = urllib.request.Request(url, headers={PROBE_HEADER: "1"})  # noqa: S310 - 127.0.0.1
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status: int = response.status
            return status == _HTTP_OK
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_http(url: str, pid: int, timeout: float) -> str | None:
    """Poll ``url`` until HTTP 200 while the process ``pid`` lives.

    Args:
        url: Full URL of the readiness probe.
        pid: The server process.
        timeout: Seconds to wait at most.

    Returns:
        None once it answers, else why not ("exited with code N", "died", "not ready after").
    """
    deadline = time.monotonic() + timeout
    while True:
        if http_ok(url):
            return None
        alive = is_alive(pid, None)  # first: a process that ends between the looks has a code
        code = exited(pid)
        if code is not None or not alive:
            return f"exited with code {code}" if code is not None else "died"
        if time.monotonic() > deadline:
            return f"not ready after {timeout:.0f} s"
        time.sleep(POLL_INTERVAL)


def post_json(url: str, payload: object, timeout: float = 60.0) -> object:
    """POST a JSON body and return the decoded JSON answer.

    Args:
        url: Full URL.
        payload: JSON-serialisable body.
        timeout: Seconds for the whole request.

    Returns:
        The decoded response body.
    """
    request = urllib.request.Request(  # noqa: S310 - callers pass http://127.0.0.1 URLs
        url,
        data=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with _OPENER.open(request, timeout=timeout) as response:
        body: bytes = response.read()
    result: object = json.loads(body)
    return result


def tail(path: Path, lines: int = 40) -> str:
    """Return the last lines of a text file (empty if it does not exist).

    Args:
        path: The file, e.g. a server log.
        lines: How many lines to keep.

    Returns:
        The last ``lines`` lines joined by newlines.
    """
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
