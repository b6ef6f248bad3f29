"""Keep vectors of different embedding spaces apart: name collections by space, guard them.

A vector store holds the vectors of one embedding space: one model, served one way, of one
dimension. Switch ``EMBEDDINGS_PROVIDER`` or ``EMBEDDINGS_MODEL`` and a store indexed before
answers queries with unrelated documents and no error at all (same dimension), or fails
deep inside the store (another dimension). Here:

- `EmbeddingSpace` (provider + model + dimension) names a collection for its space
  (`EmbeddingSpace.collection_name`), so two spaces never share one;
- `configured_space` measures the space the configuration gives (one embedding);
- `SpaceGuardedEmbeddings` wraps the embeddings a store uses and refuses to add or query
  when the collection's space is not the one in use (`EmbeddingSpaceError`, telling the user
  to re-index), also when the server returns vectors of another dimension than recorded.

The provider is part of the space, not only the model: the same model name served by two
servers (an Ollama tag and a vLLM folder, quantised or not, pooled differently) does not
promise the same vectors.

Example:
    >>> space = EmbeddingSpace("vllm", "BAAI/bge-small-en-v1.5", 384)
    >>> space.collection_name("docs")
    'docs-vllm-baai-bge-small-en-v1-5-384-6f185877'
    >>> space.check(EmbeddingSpace("ollama", "nomic-embed-text", 768))
    Traceback (most recent call last):
    ...
    langchain_llmswitch.errors.EmbeddingSpaceError: The collection holds vectors of ...
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from langchain_core.embeddings import Embeddings  # cheap: no model or HTTP stack

from langchain_llmswitch.errors import ConfigurationError, EmbeddingSpaceError
from langchain_llmswitch.factory import built_endpoint, get_embeddings

__all__ = [
    "EmbeddingSpace",
    "SpaceGuardedEmbeddings",
    "configured_space",
    "guard_embeddings",
]

DIMENSION_PROBE = "dimension probe"
"""The text embedded once to measure a space's dimension."""
_MAX_NAME = 63
"""Longest collection name (Chroma's limit; Qdrant, pgvector and Milvus take it too)."""
_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,29}")


@dataclass(frozen=True)
class EmbeddingSpace:
    """The space vectors live in: who embedded them, with which model, in how many dimensions.

    Attributes:
        provider: The embeddings provider (``ollama``, ``vllm``, ``openai``, ...).
        model: The model name the provider serves.
        dimension: The length of every vector.

    Example:
        >>> EmbeddingSpace("ollama", "nomic-embed-text", 768).label
        'ollama/nomic-embed-text (768 dims)'
    """

    provider: str
    model: str
    dimension: int

    def __post_init__(self) -> None:
        """Refuse an empty provider or model and a dimension below 1."""
        if not self.provider.strip() or not self.model.strip():
            msg = f"an embedding space needs a provider and a model, got {self!r}"
            raise ConfigurationError(msg)
        if isinstance(self.dimension, bool) or not isinstance(self.dimension, int):
            msg = f"an embedding space's dimension is a whole number, got {self.dimension!r}"
            raise ConfigurationError(msg)
        if self.dimension < 1:
            msg = f"an embedding space's dimension is at least 1, got {self.dimension}"
            raise ConfigurationError(msg)

    @property
    def label(self) -> str:
        """The space for a person: ``provider/model (N dims)``."""
        return f"{self.provider}/{self.model} ({self.dimension} dims)"

    def collection_name(self, prefix: str = "docs") -> str:
        """Return the collection name of this space: readable, unique, at most 63 characters.

        The name is ``PREFIX-PROVIDER-MODEL-DIMENSION-HASH`` in lower case, with every run of
        other characters turned into ``-``; the hash (of the exact provider, model and
        dimension) keeps two spaces apart even when their readable parts look alike.

        Args:
            prefix: What the collection holds (letters, digits, ``_`` and ``-``; 1 to 30
                characters, starting with a letter or digit).

        Returns:
            A name valid for Chroma, Qdrant, pgvector, Milvus and file names.

        Raises:
            ConfigurationError: The prefix is not of that form.

        Example:
            >>> EmbeddingSpace("ollama", "nomic-embed-text:latest", 768).collection_name("notes")
            'notes-ollama-nomic-embed-text-latest-768-d8980e9b'
        """
        if not _PREFIX.fullmatch(prefix):
            msg = (
                f"collection prefix {prefix!r} is not valid: use 1 to 30 letters, digits, "
                "'_' or '-', starting with a letter or digit"
            )
            raise ConfigurationError(msg, setting="prefix")
        key = f"{self.provider}\n{self.model}\n{self.dimension}".encode()
        digest = hashlib.sha256(key).hexdigest()[:8]
        slug = re.sub(r"[^a-z0-9]+", "-", f"{self.provider}-{self.model}".lower()).strip("-")
        tail = f"-{self.dimension}-{digest}"
        room = _MAX_NAME - len(prefix) - 1 - len(tail)
        slug = slug[:room].strip("-")
        return f"{prefix}-{slug}{tail}"

    def to_dict(self) -> dict[str, Any]:
        """Return the space as JSON-ready data (to store beside a collection).

        Example:
            >>> EmbeddingSpace("vllm", "m", 3).to_dict()
            {'provider': 'vllm', 'model': 'm', 'dimension': 3}
        """
        return {"provider": self.provider, "model": self.model, "dimension": self.dimension}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EmbeddingSpace:
        """Read a space written by `to_dict`.

        Args:
            data: The mapping.

        Returns:
            The space.

        Raises:
            ConfigurationError: A key is missing or has a bad value.

        Example:
            >>> EmbeddingSpace.from_dict({"provider": "vllm", "model": "m", "dimension": 3})
            EmbeddingSpace(provider='vllm', model='m', dimension=3)
        """
        missing = sorted({"provider", "model", "dimension"} - set(data))
        if missing:
            msg = f"an embedding space record needs {', '.join(missing)}; got {dict(data)!r}"
            raise ConfigurationError(msg)
        return cls(str(data["provider"]), str(data["model"]), data["dimension"])

    def check(self, current: EmbeddingSpace, *, collection: str | None = None) -> None:
        """Refuse embeddings of another space for a collection of this one.

        Args:
            current: The space of the embeddings about to be used.
            collection: The collection's name, for the message.

        Raises:
            EmbeddingSpaceError: ``current`` is another space; the message says which, and
                that the collection must be re-indexed.
        """
        if current == self:
            return
        raise _mismatch(self, current, collection)


def _mismatch(
    recorded: EmbeddingSpace, current: EmbeddingSpace, collection: str | None
) -> EmbeddingSpaceError:
    where = f"The collection {collection!r}" if collection else "The collection"
    msg = (
        f"{where} holds vectors of {recorded.label}, but the embeddings in use are "
        f"{current.label}. Vectors of two embedding spaces cannot be compared (a search "
        "would return unrelated documents without any error). Re-index the collection with "
        "the embeddings in use (into a collection of their own, e.g. "
        f"{current.collection_name()!r}), or set EMBEDDINGS_PROVIDER={recorded.provider} "
        f"and EMBEDDINGS_MODEL={recorded.model} back."
    )
    return EmbeddingSpaceError(msg, collection=recorded, current=current)


def _wrong_dimension(
    recorded: EmbeddingSpace, got: int, collection: str | None
) -> EmbeddingSpaceError:
    where = f"The collection {collection!r}" if collection else "The collection"
    current = EmbeddingSpace(recorded.provider, recorded.model, got)
    msg = (
        f"{where} holds vectors of {recorded.label}, but the embeddings server returned "
        f"{got}-dimensional vectors: it does not serve that model as it was when the "
        "collection was indexed. Re-index the collection with the embeddings in use, or "
        "point EMBEDDINGS_BASE_URL at a server of the recorded model."
    )
    return EmbeddingSpaceError(msg, collection=recorded, current=current)


class SpaceGuardedEmbeddings(Embeddings):
    """Embeddings that refuse to serve a collection of another space.

    Give it to the vector store instead of the embeddings themselves: every add and every
    query goes through it. Before any request it compares the collection's space with the
    space of the embeddings in use; after each request it checks the vectors' dimension.
    Vectors handed to a store directly (``similarity_search_by_vector``) bypass it.

    Attributes:
        embeddings: The wrapped embeddings.
        collection: The space the collection was (or is being) indexed with.
        current: The space of the wrapped embeddings.
        collection_name: The collection's name, for messages.
    """

    def __init__(
        self,
        embeddings: Embeddings,
        *,
        collection: EmbeddingSpace,
        current: EmbeddingSpace,
        collection_name: str | None = None,
    ) -> None:
        """Wrap the embeddings.

        Args:
            embeddings: The embeddings in use.
            collection: The collection's space (a new collection: ``current``).
            current: The space of ``embeddings`` (see `configured_space`).
            collection_name: The collection's name (default: ``collection``'s own).
        """
        self.embeddings = embeddings
        self.collection = collection
        self.current = current
        self.collection_name = collection_name or collection.collection_name()

    def _before(self) -> None:
        self.collection.check(self.current, collection=self.collection_name)

    def _after(self, vectors: list[list[float]]) -> list[list[float]]:
        for vector in vectors:
            if len(vector) != self.collection.dimension:
                raise _wrong_dimension(self.collection, len(vector), self.collection_name)
        return vectors

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents for the collection (refused for another space)."""
        self._before()
        return self._after(self.embeddings.embed_documents(texts))

    def embed_query(self, text: str) -> list[float]:
        """Embed a query for the collection (refused for another space)."""
        self._before()
        return self._after([self.embeddings.embed_query(text)])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents asynchronously (refused for another space)."""
        self._before()
        return self._after(await self.embeddings.aembed_documents(texts))

    async def aembed_query(self, text: str) -> list[float]:
        """Embed a query asynchronously (refused for another space)."""
        self._before()
        return self._after([await self.embeddings.aembed_query(text)])[0]


def configured_space(
    embeddings: Embeddings | None = None,
    **overrides: Any,
) -> EmbeddingSpace:
    """Return the space of the configured embeddings, measuring its dimension (one request).

    The provider and model come from the configuration (``EMBEDDINGS_PROVIDER``,
    ``EMBEDDINGS_MODEL``, ... or the keywords); the dimension from one embedding.

    Args:
        embeddings: The embeddings to measure (default: ``get_embeddings(**overrides)``);
            they must be the ones the configuration names.
        **overrides: The keywords `get_embeddings` takes.

    Returns:
        The space.

    Example:
        >>> space = configured_space()  # doctest: +SKIP
        >>> space.label  # doctest: +SKIP
        'vllm/all-MiniLM-L6-v2 (384 dims)'
    """
    endpoint = built_endpoint("embeddings", **overrides)
    model = embeddings if embeddings is not None else get_embeddings(**overrides)
    dimension = len(model.embed_query(DIMENSION_PROBE))
    return EmbeddingSpace(endpoint.provider, endpoint.model, dimension)


def guard_embeddings(
    embeddings: Embeddings | None = None,
    *,
    collection: EmbeddingSpace | None = None,
    collection_name: str | None = None,
    **overrides: Any,
) -> SpaceGuardedEmbeddings:
    """Return the configured embeddings, guarded for a collection.

    Args:
        embeddings: The embeddings in use (default: ``get_embeddings(**overrides)``).
        collection: The space the collection was indexed with (read it from where you
            stored `EmbeddingSpace.to_dict`); ``None`` for a new collection, which then
            takes the space of the embeddings in use.
        collection_name: The collection's name, for messages.
        **overrides: The keywords `get_embeddings` takes.

    Returns:
        The embeddings for the vector store; ``.current`` is the space in use and
        ``.collection_name`` the collection's name.

    Raises:
        EmbeddingSpaceError: On the first add or query, when ``collection`` is another space.

    Example:
        >>> from langchain_core.vectorstores import InMemoryVectorStore
        >>> guarded = guard_embeddings()  # doctest: +SKIP
        >>> store = InMemoryVectorStore(guarded)  # doctest: +SKIP
    """
    model = embeddings if embeddings is not None else get_embeddings(**overrides)
    current = configured_space(model, **overrides)
    return SpaceGuardedEmbeddings(
        model,
        collection=collection or current,
        current=current,
        collection_name=collection_name,
    )
