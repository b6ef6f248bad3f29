"""A local server that answers OpenAI and Ollama requests instantly (stdlib only).

It exists to measure what the *client* costs: the answers are computed in microseconds,
so whatever time or CPU a request takes on the client side is the client's own. It speaks
just enough of both protocols for `langchain_llmswitch.bench`:

- OpenAI: ``GET /v1/models``, ``POST /v1/chat/completions`` (plain and streamed, with
  ``stream_options.include_usage``), ``POST /v1/embeddings`` (float or base64);
- Ollama: ``GET /api/version``, ``GET /api/tags``, ``POST /api/chat`` (NDJSON stream or
  one object), ``POST /api/embed``.

A chat answer has as many tokens as the request's token limit (``max_completion_tokens``,
``max_tokens`` or ``options.num_predict``; 16 when absent), one per streamed chunk. An
optional delay per token makes latencies visible in tests: a streamed answer sends its
chunks that far apart (time to first token = one delay), a plain answer waits for all of
them. Connections are kept alive (HTTP/1.1 with ``Content-Length``), as real servers do.

Run it in its own process (so its CPU time is not the client's)::

    python -m langchain_llmswitch.bench.stub --port 0   # prints the root URL, then serves

Example:
    >>> with StubServer() as root:  # doctest: +SKIP
    ...     print(root)
    http://127.0.0.1:40123
"""

from __future__ import annotations

import argparse
import base64
import json
import socket
import struct
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

__all__ = ["StubServer", "main", "text_vector"]

DEFAULT_TOKENS = 16
WORD = " tok"
EMBEDDING_DIMENSIONS = 8
_CREATED = 1_700_000_000


def _token_limit(body: dict[str, Any]) -> int:
    options = body.get("options") or {}
    for value in (
        body.get("max_completion_tokens"),
        body.get("max_tokens"),
        options.get("num_predict"),
    ):
        if isinstance(value, int) and value > 0:
            return value
    return DEFAULT_TOKENS


def _prompt_tokens(body: dict[str, Any]) -> int:
    words = 0
    for message in body.get("messages") or []:
        content = message.get("content")
        if isinstance(content, str):
            words += len(content.split())
    return max(words, 1)


def _texts(body: dict[str, Any]) -> list[str]:
    raw = body.get("input", [])
    return [raw] if isinstance(raw, str) else [str(text) for text in raw]


def text_vector(text: str) -> list[float]:
    """The stub's embedding of a text: a function of the text alone (checks order).

    Args:
        text: The text.

    Example:
        >>> text_vector("a") == text_vector("a") != text_vector("b")
        True
    """
    seed = zlib.crc32(text.encode())
    return [((seed >> dim) % 97) / 97.0 + 0.125 for dim in range(EMBEDDING_DIMENSIONS)]


def _openai_chat(body: dict[str, Any]) -> tuple[list[bytes], str]:
    model = str(body.get("model", "stub"))
    tokens = _token_limit(body)
    usage = {
        "prompt_tokens": _prompt_tokens(body),
        "completion_tokens": tokens,
        "total_tokens": _prompt_tokens(body) + tokens,
    }
    head = {"id": "chatcmpl-stub", "created": _CREATED, "model": model}
    if not body.get("stream"):
        reply = {
            **head,
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": WORD * tokens},
                    "finish_reason": "length",
                }
            ],
            "usage": usage,
        }
        return [json.dumps(reply).encode()], "application/json"
    chunk = {**head, "object": "chat.completion.chunk"}

    def event(delta: dict[str, Any], finish: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return "data: " + json.dumps({**chunk, "choices": [choice]}) + "\n\n"

    # One part per token; the role chunk travels with the first token, the end with the last.
    parts = [event({"content": WORD}) for _ in range(tokens)]
    parts[0] = event({"role": "assistant", "content": ""}) + parts[0]
    tail = event({}, "length")
    if (body.get("stream_options") or {}).get("include_usage"):
        tail += "data: " + json.dumps({**chunk, "choices": [], "usage": usage}) + "\n\n"
    parts[-1] += tail + "data: [DONE]\n\n"
    return [part.encode() for part in parts], "text/event-stream"


def _openai_embeddings(body: dict[str, Any]) -> bytes:
    texts = _texts(body)
    as_base64 = body.get("encoding_format") == "base64"
    data = []
    for index, text in enumerate(texts):
        vector = text_vector(text)
        embedding: Any = (
            base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            if as_base64
            else vector
        )
        data.append({"object": "embedding", "index": index, "embedding": embedding})
    tokens = sum(max(len(text.split()), 1) for text in texts)
    reply = {
        "object": "list",
        "model": str(body.get("model", "stub")),
        "data": data,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    return json.dumps(reply).encode()


def _ollama_chat(body: dict[str, Any]) -> tuple[list[bytes], str]:
    model = str(body.get("model", "stub"))
    tokens = _token_limit(body)
    done = {
        "model": model,
        "created_at": "2026-01-01T00:00:00Z",
        "done": True,
        "done_reason": "length",
        "prompt_eval_count": _prompt_tokens(body),
        "eval_count": tokens,
        "total_duration": 1,
        "load_duration": 0,
        "prompt_eval_duration": 1,
        "eval_duration": 1,
    }
    if not body.get("stream", True):
        done["message"] = {"role": "assistant", "content": WORD * tokens}
        return [json.dumps(done).encode()], "application/json"
    part = {
        "model": model,
        "created_at": "2026-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": WORD},
        "done": False,
    }
    lines = [json.dumps(part) + "\n" for _ in range(tokens)]
    done["message"] = {"role": "assistant", "content": ""}
    lines[-1] += json.dumps(done) + "\n"
    return [line.encode() for line in lines], "application/x-ndjson"


def _ollama_embed(body: dict[str, Any]) -> bytes:
    texts = _texts(body)
    reply = {
        "model": str(body.get("model", "stub")),
        "embeddings": [text_vector(text) for text in texts],
        "prompt_eval_count": sum(max(len(text.split()), 1) for text in texts),
    }
    return json.dumps(reply).encode()


def _handler(token_delay: float) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            """Send each chunk at once (no Nagle delay), as real servers do."""
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Stay quiet."""

        def _send(
            self,
            status: int,
            body: bytes | list[bytes],
            content_type: str = "application/json",
            delay: float = 0.0,
        ) -> None:
            """Send the parts of a body, ``delay`` seconds before each (streamed answers)."""
            parts = [body] if isinstance(body, bytes) else body
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(sum(len(part) for part in parts)))
            self.end_headers()
            for part in parts:
                if delay:
                    time.sleep(delay)
                self.wfile.write(part)
                self.wfile.flush()

        def do_GET(self) -> None:
            if self.path == "/v1/models":
                models = {"object": "list", "data": [{"id": "stub", "object": "model"}]}
                self._send(200, json.dumps(models).encode())
            elif self.path == "/api/version":
                self._send(200, b'{"version":"0.0.0-stub"}')
            elif self.path == "/api/tags":
                self._send(200, b'{"models":[{"name":"stub","model":"stub"}]}')
            else:
                self._send(404, b'{"error":"not found"}')

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except json.JSONDecodeError:
                self._send(400, b'{"error":"bad json"}')
                return
            if self.path in {"/v1/chat/completions", "/api/chat"}:
                openai = self.path.startswith("/v1")
                parts, kind = _openai_chat(body) if openai else _ollama_chat(body)
                if kind == "application/json":  # plain: every token before the first byte
                    if token_delay:
                        time.sleep(token_delay * _token_limit(body))
                    self._send(200, parts, kind)
                else:
                    self._send(200, parts, kind, delay=token_delay)
            elif self.path == "/v1/embeddings":
                self._send(200, _openai_embeddings(body))
            elif self.path == "/api/embed":
                self._send(200, _ollama_embed(body))
            else:
                self._send(404, b'{"error":"not found"}')

    return Handler


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # many clients connect at once; the default 5 drops SYNs
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients closing kept-alive connections are normal; report anything else."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class StubServer:
    """The stub, served from a background thread of this process.

    For CPU measurements run it in another process instead (``python -m
    langchain_llmswitch.bench.stub``), so that its work is not counted as the client's.

    Example:
        >>> with StubServer() as root:  # doctest: +SKIP
        ...     httpx.get(root + "/v1/models").json()["data"][0]["id"]
        'stub'
    """

    def __init__(self, port: int = 0, token_delay: float = 0.0) -> None:
        """Bind the server (not yet serving).

        Args:
            port: TCP port on 127.0.0.1; 0 picks a free one.
            token_delay: Seconds the server waits per generated token before answering.
        """
        self._server = _Server(("127.0.0.1", port), _handler(token_delay))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The root URL, e.g. ``http://127.0.0.1:40123`` (add ``/v1`` for OpenAI clients)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> str:
        """Serve from a daemon thread; return the root URL."""
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def serve_forever(self) -> None:
        """Serve from the calling thread until interrupted."""
        self._server.serve_forever()

    def __enter__(self) -> str:
        """Start serving; return the root URL."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop serving."""
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """Run the stub in the foreground, printing its root URL on the first line of stdout.

    Args:
        argv: Arguments (default: the command line): ``--port``, ``--token-delay``.

    Returns:
        The exit code.

    Example:
        $ python -m langchain_llmswitch.bench.stub --port 8089
    """
    parser = argparse.ArgumentParser(prog="python -m langchain_llmswitch.bench.stub")
    parser.add_argument("--port", type=int, default=0, help="port (0: a free one)")
    parser.add_argument("--token-delay", type=float, default=0.0, help="seconds per token")
    args = parser.parse_args(argv)
    server = StubServer(args.port, args.token_delay)
    print(server.url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
