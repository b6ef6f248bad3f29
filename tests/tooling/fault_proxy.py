"""A small fault-injecting HTTP proxy in front of a real server (test tooling only).

One request per connection (the proxy answers with ``Connection: close``). Modes:
- ``pass``: forward to the upstream and relay its answer;
- ``stall``: read the request, never answer;
- ``status``: answer ``status`` (with ``Retry-After`` if given) the first ``times``
  requests, then pass;
- ``malformed``: answer 200 with a body that is not JSON;
- ``body``: answer 200 with ``body`` as ``content_type`` (an HTML page, a JSON answer
  without choices, wrong embeddings);
- ``truncate``: relay the upstream answer but cut the connection after ``cut_after``
  body bytes (a stream that breaks mid-way);
- ``stall_after``: relay ``cut_after`` body bytes, then hold the connection open and send
  nothing more (a server that hangs mid-stream);
- ``delay``: relay the upstream's response headers at once and its body ``delay`` seconds
  later (a streamed answer slow to its first token, like a long prompt on a CPU).
Every request (method, path, headers) is recorded.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Fault:
    mode: str = "pass"
    status: int = 503
    times: int = 0
    retry_after: str | None = None
    cut_after: int = 0
    delay: float = 0.0
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)  # added to injected statuses
    requests: list[tuple[str, str, dict[str, str], float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _read_head(peer: socket.socket) -> tuple[bytes, bytes] | None:
    """A message's headers (with their blank line) and the body bytes read after them;
    None when the peer closes before its headers are complete."""
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        chunk = peer.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    head, _, body = buffer.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n", body


def _read_request(conn: socket.socket) -> bytes:
    """The client's whole request; empty when it closes before its headers are complete."""
    split = _read_head(conn)
    if split is None:
        return b""
    head, body = split
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + body


def _rewrite(request: bytes, upstream_host: str) -> bytes:
    head, _, body = request.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    kept = [lines[0]]
    for line in lines[1:]:
        name = line.partition(b":")[0].strip().lower()
        if name in {b"host", b"connection", b"keep-alive"}:
            continue
        kept.append(line)
    kept += [b"Host: " + upstream_host.encode(), b"Connection: close"]
    return b"\r\n".join(kept) + b"\r\n\r\n" + body


def _respond(conn: socket.socket, status: int, body: bytes, headers: dict[str, str]) -> None:
    lines = [f"HTTP/1.1 {status} Injected", f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)


def _relay(
    conn: socket.socket,
    request: bytes,
    upstream: str,
    cut_after: int | None,
    hang: bool = False,
    delay: float = 0.0,
) -> None:
    parts = urlsplit(upstream)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    with socket.create_connection((host, port), timeout=300) as up:
        up.sendall(_rewrite(request, f"{host}:{port}"))
        chunk = b""
        if cut_after is not None or delay:  # these faults treat the body apart from the headers
            split = _read_head(up)
            if split is None:
                return
            head, chunk = split
            conn.sendall(head)
            time.sleep(delay)  # the headers are out, the first token is slow
        sent_body = 0
        while True:
            if cut_after is None:
                conn.sendall(chunk)
            else:
                room = cut_after - sent_body
                conn.sendall(chunk[:room])
                sent_body += min(len(chunk), room)
                if sent_body >= cut_after:
                    if hang:
                        time.sleep(3600)  # the stream stalls here, connection open
                    conn.shutdown(socket.SHUT_RDWR)  # the stream breaks here
                    return
            chunk = up.recv(65536)
            if not chunk:
                return


def _serve(conn: socket.socket, fault: Fault, upstream: str) -> None:
    with conn:
        request = _read_request(conn)
        if not request:
            return
        request_line, *header_lines = request.partition(b"\r\n\r\n")[0].decode().split("\r\n")
        method, path, _ = request_line.split(" ", 2)
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        with fault.lock:
            fault.requests.append((method, path, headers, time.monotonic()))
            injected = fault.mode == "status" and fault.times > 0
            if injected:
                fault.times -= 1
        if fault.mode == "stall":
            time.sleep(3600)
            return
        if injected:
            extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            extra.update(fault.headers)
            _respond(
                conn,
                fault.status,
                b'{"error": {"message": "injected"}}',
                {"Content-Type": "application/json", **extra},
            )
            return
        if fault.mode == "body":
            _respond(conn, 200, fault.body, {"Content-Type": fault.content_type})
            return
        if fault.mode == "malformed":
            _respond(conn, 200, b'{"id": "x", "choices": [', {"Content-Type": "application/json"})
            return
        cut = fault.cut_after if fault.mode in {"truncate", "stall_after"} else None
        delay = fault.delay if fault.mode == "delay" else 0.0
        with contextlib.suppress(OSError):
            _relay(conn, request, upstream, cut, hang=fault.mode == "stall_after", delay=delay)


@contextmanager
def fault_proxy(upstream: str, fault: Fault | None = None) -> Iterator[tuple[str, Fault]]:
    """Run the proxy on a free port; yield its root URL and the (mutable) fault."""
    fault = fault or Fault()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    stop = threading.Event()

    def accept_loop() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=_serve, args=(conn, fault, upstream), daemon=True).start()

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", fault
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()
