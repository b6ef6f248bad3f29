"""OllamaEmbeddings as this package configures it.

Adds to OllamaEmbeddings, without changing its interface: the server's 404 for an unknown
model becomes `ModelNotFoundError` listing what the server serves, as on every provider.
"""

from __future__ import annotations

from langchain_ollama import OllamaEmbeddings

from langchain_llmswitch.providers.ollama_chat import ollama_error
from langchain_llmswitch.reliability.guards import translated

__all__ = ["SwitchOllamaEmbeddings"]


class SwitchOllamaEmbeddings(OllamaEmbeddings):
    """OllamaEmbeddings for a server named by langchain-llmswitch's settings."""

    def _translated(self, error: Exception) -> Exception | None:
        return ollama_error(error, self.model, self.base_url, "embeddings")

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed texts (see OllamaEmbeddings), with the package's errors."""
        with translated(self._translated):
            return super().embed_documents(texts)

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed texts asynchronously (see OllamaEmbeddings), with the package's errors."""
        with translated(self._translated):
            return await super().aembed_documents(texts)
