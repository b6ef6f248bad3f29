"""Process and HTTP helpers: the package's own, shared with the embedded provider."""

from __future__ import annotations

from langchain_llmswitch.embedded.processes import (
    POLL_INTERVAL,
    TERM_GRACE,
    exited,
    free_port,
    http_ok,
    is_alive,
    post_json,
    spawn,
    start_ticks,
    tail,
    terminate,
    wait_http,
)

__all__ = [
    "POLL_INTERVAL",
    "TERM_GRACE",
    "exited",
    "free_port",
    "http_ok",
    "is_alive",
    "post_json",
    "spawn",
    "start_ticks",
    "tail",
    "terminate",
    "wait_http",
]
