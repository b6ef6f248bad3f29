"""OllamaEmbeddings as this package configures it.

Adds to OllamaEmbeddings, without changing its interface: the server's 404 for an unknown
model becomes `ModelNotFoundError` listing what the server serves, other failures the
package's server errors, and the vectors are checked (one per text, one dimension, finite
values) before they are returned, as on every provider.
"""

from __future__ import annotations

from langchain_ollama import OllamaEmbeddings

from langchain_llmswitch.providers.ollama import SPEC
from langchain_llmswitch.providers.ollama_chat import client_timeout, ollama_error
from langchain_llmswitch.reliability import server_errors
from langchain_llmswitch.reliability.guards import translated

__all__ = ["SwitchOllamaEmbeddings"]


class SwitchOllamaEmbeddings(OllamaEmbeddings):
    """OllamaEmbeddings for a server named by langchain-llmswitch's settings."""

    @property
    def _url(self) -> str:
        return self.base_url or SPEC.default_base_url

    def _translated(self, error: Exception) -> Exception | None:
        return ollama_error(error, self.model, self.base_url, "embeddings") or (
            server_errors.server_error(
                error,
                provider=SPEC.name,
                url=self._url,
                client_errors=SPEC.client_errors,
                timeout=client_timeout(self.client_kwargs),
            )
        )

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed texts (see OllamaEmbeddings), with the package's errors and checks."""
        with translated(self._translated):
            vectors = super().embed_documents(texts)
        return server_errors.checked_vectors(vectors, len(texts), provider=SPEC.name, url=self._url)

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed texts asynchronously (see OllamaEmbeddings), with the package's errors."""
        with translated(self._translated):
            vectors = await super().aembed_documents(texts)
        return server_errors.checked_vectors(vectors, len(texts), provider=SPEC.name, url=self._url)
