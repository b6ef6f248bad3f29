"""An inter-process lock on a file: the package's own (`langchain_llmswitch.embedded.cache`)."""

from __future__ import annotations

from langchain_llmswitch.embedded.cache import file_lock

__all__ = ["file_lock"]
