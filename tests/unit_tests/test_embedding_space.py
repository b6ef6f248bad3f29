"""The embedding-space guard: names, records, and refusals (fake embeddings, no server)."""

from __future__ import annotations

import re

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.vectorstores import InMemoryVectorStore

from langchain_llmswitch import (
    ConfigurationError,
    EmbeddingSpace,
    EmbeddingSpaceError,
    SpaceGuardedEmbeddings,
    configured_space,
    guard_embeddings,
)

VLLM = EmbeddingSpace("vllm", "all-MiniLM-L6-v2", 384)
OLLAMA_SAME_MODEL_NAME = EmbeddingSpace("ollama", "all-MiniLM-L6-v2", 384)
OLLAMA_NOMIC = EmbeddingSpace("ollama", "nomic-embed-text", 768)
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]")


@pytest.mark.parametrize(
    "space",
    [
        VLLM,
        OLLAMA_NOMIC,
        EmbeddingSpace("openai", "BAAI/bge-small-en-v1.5", 384),
        EmbeddingSpace("ollama", "nomic-embed-text:latest", 768),
        EmbeddingSpace("vllm", "Org/" + "very-long-model-name" * 6, 1024),
    ],
)
def test_collection_names_are_valid_store_names(space: EmbeddingSpace) -> None:
    name = space.collection_name("docs")
    assert NAME.fullmatch(name), name
    assert len(name) <= 63
    assert name.startswith(f"docs-{space.provider}-")
    assert f"-{space.dimension}-" in name


def test_every_part_of_the_space_changes_the_name() -> None:
    names = {
        space.collection_name()
        for space in (
            VLLM,
            OLLAMA_SAME_MODEL_NAME,  # same model name and dimension, other provider
            EmbeddingSpace("vllm", "all-MiniLM-L6-v2", 768),
            EmbeddingSpace("vllm", "all-minilm-l6-v2", 384),  # differs only in case
            EmbeddingSpace("vllm", "all/MiniLM/L6/v2", 384),  # same slug
        )
    }
    assert len(names) == 5


def test_names_are_stable_across_runs() -> None:
    assert VLLM.collection_name("docs") == "docs-vllm-all-minilm-l6-v2-384-71a98412"


@pytest.mark.parametrize("prefix", ["", "-docs", "docs/x", "a" * 31, "dö"])
def test_bad_prefix_is_refused(prefix: str) -> None:
    with pytest.raises(ConfigurationError, match="collection prefix"):
        VLLM.collection_name(prefix)


@pytest.mark.parametrize(
    ("provider", "model", "dimension"),
    [("", "m", 3), ("vllm", " ", 3), ("vllm", "m", 0), ("vllm", "m", True), ("vllm", "m", 3.0)],
)
def test_bad_space_is_refused(provider: str, model: str, dimension: object) -> None:
    with pytest.raises(ConfigurationError):
        EmbeddingSpace(provider, model, dimension)  # type: ignore[arg-type]


def test_record_round_trip_and_missing_keys() -> None:
    assert EmbeddingSpace.from_dict(VLLM.to_dict()) == VLLM
    with pytest.raises(ConfigurationError, match="needs dimension"):
        EmbeddingSpace.from_dict({"provider": "vllm", "model": "m"})


def test_check_names_both_spaces_and_says_reindex() -> None:
    with pytest.raises(EmbeddingSpaceError) as caught:
        VLLM.check(OLLAMA_SAME_MODEL_NAME, collection="docs-x")
    message = str(caught.value)
    assert "'docs-x'" in message
    assert "vllm/all-MiniLM-L6-v2 (384 dims)" in message
    assert "ollama/all-MiniLM-L6-v2 (384 dims)" in message
    assert "Re-index" in message
    assert OLLAMA_SAME_MODEL_NAME.collection_name() in message
    assert caught.value.collection == VLLM
    assert caught.value.current == OLLAMA_SAME_MODEL_NAME
    assert isinstance(caught.value, ValueError)
    VLLM.check(EmbeddingSpace("vllm", "all-MiniLM-L6-v2", 384))  # the same space passes


def _guarded(collection: EmbeddingSpace, current: EmbeddingSpace, size: int) -> InMemoryVectorStore:
    inner = DeterministicFakeEmbedding(size=size)
    return InMemoryVectorStore(
        SpaceGuardedEmbeddings(inner, collection=collection, current=current)
    )


def test_same_space_adds_and_queries() -> None:
    store = _guarded(VLLM, VLLM, 384)
    store.add_texts(["cats drink water", "mars is red"], ids=["cats", "mars"])
    assert store.similarity_search("cats drink water", k=1)[0].id == "cats"


def test_other_space_is_refused_before_any_request() -> None:
    calls: list[str] = []

    class Counting(DeterministicFakeEmbedding):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            calls.append("documents")
            return super().embed_documents(texts)

        def embed_query(self, text: str) -> list[float]:
            calls.append("query")
            return super().embed_query(text)

    guard = SpaceGuardedEmbeddings(
        Counting(size=384), collection=VLLM, current=OLLAMA_SAME_MODEL_NAME
    )
    store = InMemoryVectorStore(guard)
    with pytest.raises(EmbeddingSpaceError, match="Re-index"):
        store.add_texts(["cats drink water"])
    with pytest.raises(EmbeddingSpaceError, match="Re-index"):
        store.similarity_search("cats")
    assert calls == []


async def test_other_space_is_refused_async() -> None:
    store = _guarded(VLLM, OLLAMA_NOMIC, 768)
    with pytest.raises(EmbeddingSpaceError):
        await store.aadd_texts(["cats"])
    with pytest.raises(EmbeddingSpaceError):
        await store.asimilarity_search("cats")


def test_server_returning_another_dimension_is_refused() -> None:
    """The configuration claims the recorded space, but the server's vectors disagree."""
    store = _guarded(VLLM, VLLM, 768)
    with pytest.raises(EmbeddingSpaceError, match="returned 768-dimensional vectors"):
        store.add_texts(["cats"])
    with pytest.raises(EmbeddingSpaceError, match="returned 768-dimensional vectors"):
        store.similarity_search("cats")


def test_configured_space_reads_the_configuration_and_measures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EMBEDDINGS_PROVIDER", "vllm")
    monkeypatch.setenv("EMBEDDINGS_MODEL", "all-MiniLM-L6-v2")
    monkeypatch.setenv("EMBEDDINGS_BASE_URL", "http://127.0.0.1:9/v1")
    space = configured_space(DeterministicFakeEmbedding(size=384))
    assert space == VLLM
    other = configured_space(
        DeterministicFakeEmbedding(size=768), provider="ollama", model="nomic-embed-text"
    )
    assert other == OLLAMA_NOMIC


def test_configured_space_names_the_model_that_answers_on_the_embedded_default() -> None:
    """Nothing configured: the space is the embedded server's model, not an empty name."""
    from langchain_llmswitch import replay  # noqa: PLC0415
    from langchain_llmswitch.embedded import server  # noqa: PLC0415

    with replay.replaying():  # the embedded endpoint is prepared without starting a server
        space = configured_space(DeterministicFakeEmbedding(size=384))
    assert space == EmbeddingSpace("embedded", server.model_name("embeddings"), 384)


def test_guard_embeddings_defaults_to_a_new_collection_of_the_space_in_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EMBEDDINGS_PROVIDER", "ollama")
    monkeypatch.setenv("EMBEDDINGS_MODEL", "nomic-embed-text")
    fake = DeterministicFakeEmbedding(size=768)
    guard = guard_embeddings(fake)
    assert guard.collection == guard.current == OLLAMA_NOMIC
    assert guard.collection_name == OLLAMA_NOMIC.collection_name()
    refused = guard_embeddings(fake, collection=VLLM, collection_name="docs-old")
    with pytest.raises(EmbeddingSpaceError, match="'docs-old'"):
        refused.embed_query("cats")
