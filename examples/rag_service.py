"""RAG service: documents embedded into a vector store, question analysis, answer synthesis.

A hand-written RAG service read ``OLLAMA_HOST``/``OLLAMA_MODEL`` (and ``VLLM_URL``/
``VLLM_MODEL`` once moved) from ``.env`` and built ``OllamaEmbeddings`` and ``ChatOllama``
itself. Here ``get_embeddings()`` and ``get_chat_model()`` read the same variables, and the
index is guarded: it is stored under a collection named for its embedding space (provider +
model + dimension), and opening it with embeddings of another space refuses every query with
`EmbeddingSpaceError`, telling you to re-index, instead of returning unrelated documents.

``InMemoryVectorStore`` needs numpy, which langchain-core does not install
(``pip install numpy``; the ``embedded`` extra has it).

Run::

    python examples/rag_service.py "What do cats drink?" [--index-dir DIR] [--max-tokens N]
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import InMemoryVectorStore
from pydantic import BaseModel, Field

from langchain_llmswitch import (
    EmbeddingSpace,
    SpaceGuardedEmbeddings,
    configured_space,
    get_chat_model,
    get_embeddings,
)
from langchain_llmswitch.errors import StructuredOutputError

logger = logging.getLogger("rag_service")

DOCUMENTS = [
    Document(id="cats", page_content="Cats drink water and like to sleep in the sun."),
    Document(id="stocks", page_content="The stock market fell sharply on Monday."),
    Document(id="mars", page_content="Mars is the fourth planet from the sun."),
    Document(id="bread", page_content="Bread is baked from flour, water and yeast."),
]

ANALYSIS_SYSTEM = "Classify the user's question and give up to three search keywords."
ANSWER_SYSTEM = (
    "Answer the {kind} question in one sentence, from the context only. If the context "
    "does not say, answer that you do not know.\nContext:\n{context}"
)


class QuestionAnalysis(BaseModel):
    """What kind of question it is, and what to look for."""

    kind: Literal["fact", "how-to", "opinion", "other"]
    keywords: list[Annotated[str, Field(max_length=30)]] = Field(max_length=3)


UNANALYSED = QuestionAnalysis(kind="other", keywords=[])
"""What a question is taken for when its analysis fails."""


@dataclass(frozen=True)
class Answer:
    """An answer, the documents it came from, and the question's analysis."""

    text: str
    sources: list[str]
    analysis: QuestionAnalysis


class RagService:
    """Index documents, analyse questions, answer from the best matches.

    Args:
        index_dir: Where the index is saved (``None``: in memory only).
        prefix: What the collection holds; its name adds the embedding space.
        k: Documents retrieved per question.
        max_tokens: Cap on generated tokens (default: the environment's).
    """

    def __init__(
        self,
        index_dir: Path | None = None,
        *,
        prefix: str = "docs",
        k: int = 2,
        max_tokens: int | None = None,
    ) -> None:
        self.index_dir = index_dir
        self.prefix = prefix
        self.k = k
        self.max_tokens = max_tokens
        embeddings = get_embeddings()
        self.space = configured_space(embeddings)  # provider + model + measured dimension
        self.embeddings = self._guard(embeddings, self.space, self.space.collection_name(prefix))
        self.store = InMemoryVectorStore(self.embeddings)

    def _guard(
        self, embeddings: Embeddings, collection: EmbeddingSpace, name: str
    ) -> SpaceGuardedEmbeddings:
        return SpaceGuardedEmbeddings(
            embeddings, collection=collection, current=self.space, collection_name=name
        )

    @property
    def collection(self) -> str:
        """The collection's name: the prefix and the embedding space."""
        return self.embeddings.collection_name

    def index(self, documents: Sequence[Document]) -> str:
        """Embed documents into a new collection of the space in use; save it if asked.

        Returns:
            The collection's name.
        """
        name = self.space.collection_name(self.prefix)
        self.embeddings = self._guard(self.embeddings.embeddings, self.space, name)
        self.store = InMemoryVectorStore(self.embeddings)
        self.store.add_documents(list(documents))
        if self.index_dir is not None:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            self.store.dump(str(self.index_dir / f"{self.collection}.json"))
            record = {"collection": self.collection, "space": self.space.to_dict()}
            (self.index_dir / f"{self.prefix}.index.json").write_text(json.dumps(record))
        return self.collection

    @classmethod
    def open(
        cls, index_dir: Path, *, prefix: str = "docs", k: int = 2, max_tokens: int | None = None
    ) -> RagService:
        """Open a saved index; queries are refused if its space is not the one in use."""
        service = cls(index_dir, prefix=prefix, k=k, max_tokens=max_tokens)
        record = json.loads((index_dir / f"{prefix}.index.json").read_text())
        recorded = EmbeddingSpace.from_dict(record["space"])
        service.embeddings = service._guard(
            service.embeddings.embeddings, recorded, record["collection"]
        )
        path = index_dir / f"{record['collection']}.json"
        service.store = InMemoryVectorStore.load(str(path), service.embeddings)
        return service

    def retrieve(self, question: str) -> list[Document]:
        """The documents closest to the question."""
        return self.store.similarity_search(question, k=self.k)

    def analyse(self, question: str) -> QuestionAnalysis:
        """Classify the question (structured output, enforced by the server and checked).

        The analysis only steers the answer, so a failed one does not fail the question:
        after one retry, a mismatch (JSON cut at ``max_tokens``: a small model looping in a
        string, or padding the JSON with whitespace where the server's grammar allows it) is
        logged with its raw text and the question is answered as kind ``other``.
        """
        chat = get_chat_model(max_tokens=self.max_tokens)
        analyser = chat.with_structured_output(QuestionAnalysis, retries=1)
        try:
            result = analyser.invoke([("system", ANALYSIS_SYSTEM), ("human", question)])
        except StructuredOutputError as error:
            logger.warning("question analysis failed, answering as 'other': %s", error)
            return UNANALYSED
        return QuestionAnalysis.model_validate(result)

    def answer(self, question: str) -> Answer:
        """Retrieve, analyse, and synthesise one answer."""
        found = self.retrieve(question)
        analysis = self.analyse(question)
        context = "\n".join(doc.page_content for doc in found)
        chat = get_chat_model(max_tokens=self.max_tokens)
        reply = chat.invoke(
            [
                ("system", ANSWER_SYSTEM.format(kind=analysis.kind, context=context)),
                ("human", question),
            ]
        )
        return Answer(reply.text.strip(), [str(doc.id) for doc in found], analysis)


def main(argv: list[str] | None = None) -> None:
    """Answer a question from the sample documents (or a saved index)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("question", nargs="?", default="What do cats drink?")
    parser.add_argument("--index-dir", type=Path, default=None, help="save/open the index here")
    parser.add_argument("--max-tokens", type=int, default=None, help="cap generated tokens")
    args = parser.parse_args(argv)
    saved = args.index_dir is not None and (args.index_dir / "docs.index.json").exists()
    if saved:
        service = RagService.open(args.index_dir, max_tokens=args.max_tokens)
    else:
        service = RagService(args.index_dir, max_tokens=args.max_tokens)
        service.index(DOCUMENTS)
    print(f"collection: {service.collection}")
    answer = service.answer(args.question)
    print(f"[{answer.analysis.kind}; keywords {answer.analysis.keywords}]")
    print(f"{answer.text}\n(sources: {', '.join(answer.sources)})")


if __name__ == "__main__":
    main()
