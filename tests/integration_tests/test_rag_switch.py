"""One RAG chain, three backends, only the environment changes (the product's promise)."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough
from langchain_core.vectorstores import InMemoryVectorStore

from langchain_llmswitch import get_chat_model, get_embeddings

from .conftest import Backend

pytestmark = pytest.mark.vcr

DOCUMENTS = [
    Document(
        page_content="Cats drink water and like to sleep in the sun.", metadata={"id": "cats"}
    ),
    Document(page_content="The stock market fell sharply on Monday.", metadata={"id": "stocks"}),
    Document(page_content="Mars is the fourth planet from the sun.", metadata={"id": "mars"}),
    Document(page_content="Bread is baked from flour, water and yeast.", metadata={"id": "bread"}),
]


def build_rag_answer(question: str) -> tuple[str, list[str]]:
    """The user's code: it never names a provider."""
    store = InMemoryVectorStore(get_embeddings())
    store.add_documents(DOCUMENTS)
    retriever = store.as_retriever(search_kwargs={"k": 1})
    found = retriever.invoke(question)
    prompt = ChatPromptTemplate.from_messages(
        [("system", "Answer from the context only.\nContext: {context}"), ("human", "{question}")]
    )
    chain = (
        {"context": lambda _: found[0].page_content, "question": RunnablePassthrough()}
        | prompt
        | get_chat_model()
        | StrOutputParser()
    )
    return chain.invoke(question), [doc.metadata["id"] for doc in found]


def test_same_chain_every_backend(monkeypatch: pytest.MonkeyPatch, backend: Backend) -> None:
    for name, value in backend.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LLM_MAX_TOKENS", "16")
    monkeypatch.setenv("LLM_TEMPERATURE", "0")
    answer, sources = build_rag_answer("What do cats drink?")
    assert sources == ["cats"]
    assert answer.strip()
