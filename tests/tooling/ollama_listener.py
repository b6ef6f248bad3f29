"""A local HTTP listener that speaks just enough of Ollama's native API to record requests.

No real Ollama can be installed here; this records the exact JSON our Ollama provider puts
on the wire (through the real HTTP stack: ollama client, httpx, our retrying transport) and
answers with minimal valid Ollama responses. It can also misbehave on purpose: answer a
status a given number of times, or stall.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    method: str
    path: str
    body: dict[str, Any]
    at: float


@dataclass
class Behaviour:
    """What the listener does: fail `fail_times` requests with `fail_status`, or stall."""

    fail_status: int = 0
    fail_times: int = 0
    retry_after: str | None = None
    stall_seconds: float = 0.0
    requests: list[Recorded] = field(default_factory=list)


def _chat_reply(model: str, stream: bool) -> bytes:
    done = {
        "model": model,
        "created_at": "2026-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": "" if stream else "ok"},
        "done": True,
        "done_reason": "stop",
        "prompt_eval_count": 3,
        "eval_count": 1,
    }
    if not stream:
        return json.dumps(done).encode()
    part = {
        "model": model,
        "created_at": "2026-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": "ok"},
        "done": False,
    }
    return (json.dumps(part) + "\n" + json.dumps(done) + "\n").encode()


def _handler(behaviour: Behaviour) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            behaviour.requests.append(Recorded("GET", self.path, {}, time.monotonic()))
            if self.path == "/api/version":
                self._send(200, b'{"version":"0.0.0-listener"}')
            else:
                self._send(200, b'{"models":[]}')

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            behaviour.requests.append(Recorded("POST", self.path, body, time.monotonic()))
            if behaviour.stall_seconds:
                time.sleep(behaviour.stall_seconds)
            if behaviour.fail_times > 0:
                behaviour.fail_times -= 1
                headers = {"Retry-After": behaviour.retry_after} if behaviour.retry_after else None
                self._send(behaviour.fail_status, b'{"error":"injected"}', headers)
                return
            model = str(body.get("model", "m"))
            if self.path == "/api/chat":
                self._send(200, _chat_reply(model, bool(body.get("stream", True))))
            elif self.path == "/api/embed":
                vectors = [[0.1, 0.2, 0.3] for _ in body.get("input", [])]
                self._send(200, json.dumps({"model": model, "embeddings": vectors}).encode())
            else:
                self._send(404, b'{"error":"not found"}')

    return Handler


@contextmanager
def ollama_listener(behaviour: Behaviour | None = None) -> Iterator[tuple[str, Behaviour]]:
    """Run the listener on a free port of 127.0.0.1; yield its URL and its behaviour/record."""
    behaviour = behaviour or Behaviour()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(behaviour))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", behaviour
    finally:
        server.shutdown()
        server.server_close()
