"""Real inference servers for langchain-llmswitch's live tests.

Builds (into a cache outside the checkout) and runs vLLM CPU, llama.cpp's
``llama-server`` and the real Ollama server on 127.0.0.1 with free ports. Run
``python -m harness --help`` for the command line; tests use the API below.
It imports only the standard library and the project's own package (its process,
lock and cache helpers, which the embedded provider shares).
"""

from __future__ import annotations

from harness.runtime import ServerStartError, ensure_started, running, stop
from harness.servers import SERVER_NAMES, ServerInfo

__all__ = [
    "SERVER_NAMES",
    "ServerInfo",
    "ServerStartError",
    "ensure_started",
    "running",
    "stop",
]
