"""The factory's models against each real backend: vLLM, llama.cpp, the real Ollama server.

Recorded into cassettes by ``make record``; replayed by ``make test``; run for real by
``make test-live``. The models are tiny (SmolLM2-135M): tests assert protocol and wiring,
never the quality of an answer.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Callable
from typing import Any, Literal

import pytest
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk

from langchain_llmswitch import get_chat_model, get_embeddings
from langchain_llmswitch.errors import CapabilityError, ModelNotFoundError
from langchain_llmswitch.providers.openai_chat import SwitchChatOpenAI

from .conftest import Backend

pytestmark = pytest.mark.vcr

PROMPT = "Name three colours."


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def _usage_ok(message: AIMessage, most: int) -> None:
    usage = message.usage_metadata
    assert usage is not None, "no token usage reported"
    assert usage["input_tokens"] > 0
    assert 0 < usage["output_tokens"] <= most


def test_invoke(backend: Backend) -> None:
    chat = get_chat_model(**backend.chat_settings(), max_tokens=12, temperature=0)
    reply = chat.invoke(PROMPT)
    assert isinstance(reply, AIMessage)
    assert isinstance(reply.content, str)
    assert reply.content.strip()
    _usage_ok(reply, 12)


def test_stream_with_usage(backend: Backend) -> None:
    chat = get_chat_model(**backend.chat_settings(), max_tokens=12, temperature=0)
    chunks = list(chat.stream(PROMPT))
    assert len(chunks) >= 2, "a stream of one chunk is not a stream"
    assert all(isinstance(chunk, AIMessageChunk) for chunk in chunks)
    total = chunks[0]
    for chunk in chunks[1:]:
        total += chunk
    assert isinstance(total.content, str)
    assert total.content.strip()
    _usage_ok(total, 12)


async def test_ainvoke(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[threading.Thread] = []
    build = SwitchChatOpenAI._create_chat_result

    def recorded(self: SwitchChatOpenAI, *args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread())
        return build(self, *args, **kwargs)

    monkeypatch.setattr(SwitchChatOpenAI, "_create_chat_result", recorded)
    chat = get_chat_model(**backend.chat_settings(), max_tokens=8, temperature=0)
    reply = await chat.ainvoke(PROMPT)
    assert isinstance(reply.content, str)
    assert reply.content.strip()
    _usage_ok(reply, 8)
    if isinstance(chat, SwitchChatOpenAI):  # built on the event loop's thread, no worker hop
        assert threads == [threading.current_thread()]


async def test_ainvoke_answers_as_invoke_does(backend: Backend) -> None:
    chat = get_chat_model(**backend.chat_settings(), max_tokens=8, temperature=0, seed=0)
    sync_reply = chat.invoke(PROMPT)
    async_reply = await chat.ainvoke(PROMPT)
    assert async_reply.content == sync_reply.content
    counts: tuple[Literal["input_tokens", "output_tokens", "total_tokens"], ...] = (
        "input_tokens",  # not cache reads: the 2nd hits
        "output_tokens",
        "total_tokens",
    )
    assert async_reply.usage_metadata is not None
    assert sync_reply.usage_metadata is not None
    assert [async_reply.usage_metadata[k] for k in counts] == [
        sync_reply.usage_metadata[k] for k in counts
    ]
    assert set(async_reply.response_metadata) == set(sync_reply.response_metadata)
    metadata = async_reply.response_metadata
    assert metadata.get("finish_reason", metadata.get("done_reason")) in {"length", "stop"}


def test_one_event_loop_after_another(backend: Backend) -> None:
    """``asyncio.run`` per job (a worker's way): each loop gets its own connections.

    Without retries, so a connection left from an earlier loop would fail the call
    (ChatOpenAI's shared client: langchain#35783) instead of being hidden by a retry's wait.
    """
    chat = get_chat_model(**backend.chat_settings(), max_tokens=4, temperature=0, max_retries=0)
    embeddings = get_embeddings(**backend.embeddings_settings(), max_retries=0)

    async def job() -> tuple[str, int]:
        reply = await chat.ainvoke(PROMPT)
        chunks = [chunk async for chunk in chat.astream(PROMPT)]
        vectors = await embeddings.aembed_documents(["one", "two"])
        assert isinstance(reply.content, str)
        assert len(chunks) >= 2
        return reply.content, len(vectors)

    answers = [asyncio.run(job()) for _ in range(3)]
    assert [count for _, count in answers] == [2, 2, 2]
    assert all(text for text, _ in answers)


def test_unknown_model_names_what_vllm_serves(
    backend_factory: Callable[[str], Backend],
) -> None:
    backend = backend_factory("vllm")
    settings = {**backend.chat_settings(), "model": "no-such-model", "max_retries": 0}
    chat = get_chat_model(**settings, max_tokens=4)
    served = r"does not serve model 'no-such-model' \(HTTP 404.*Served: smollm2-135m\."
    with pytest.raises(ModelNotFoundError, match=served) as sync_error:
        chat.invoke(PROMPT)
    assert sync_error.value.served == ["smollm2-135m"]


async def test_unknown_model_names_what_vllm_serves_async(
    backend_factory: Callable[[str], Backend],
) -> None:
    # retries left on: langchain-openai shares one async httpx client per URL across event
    # loops (langchain#35783), so a connection of an earlier test's loop fails and is retried
    backend = backend_factory("vllm")
    settings = {**backend.chat_settings(), "model": "no-such-model"}
    chat = get_chat_model(**settings, max_tokens=4)
    with pytest.raises(ModelNotFoundError, match="Served: smollm2-135m") as async_error:
        await chat.ainvoke(PROMPT)
    assert async_error.value.served == ["smollm2-135m"]


async def test_unknown_model_names_what_ollama_serves(
    backend_factory: Callable[[str], Backend],
) -> None:
    """Ollama's 404 ("model not found, try pulling it first") becomes the same
    `ModelNotFoundError` as vLLM's, for chat (invoke, astream) and embeddings alike."""
    backend = backend_factory("ollama")
    served = ["all-minilm:latest", "smollm2-tools:latest", "smollm2:latest", "tiny-llava:latest"]
    chat = get_chat_model(**{**backend.chat_settings(), "model": "no-such-model"}, max_tokens=4)
    with pytest.raises(ModelNotFoundError, match="Served: " + ", ".join(served)) as error:
        chat.invoke(PROMPT)
    assert error.value.served == served  # sorted: Ollama lists them in no fixed order
    with pytest.raises(ModelNotFoundError, match=r"does not serve model 'no-such-model'"):
        async for _ in chat.astream(PROMPT):
            pass
    settings = {**backend.embeddings_settings(), "model": "no-such-model"}
    with pytest.raises(ModelNotFoundError, match=r"\(HTTP 404: model \"no-such-model\" not"):
        get_embeddings(**settings).embed_documents(["one"])


def test_ollama_tools_need_a_template_that_renders_them(
    backend_factory: Callable[[str], Backend],
) -> None:
    """Ollama refuses tools for a model whose template has no ``.Tools`` (HTTP 400): our
    `CapabilityError` says so before any chat request (its ``/api/show`` template is read).
    The same GGUF with a template that renders ``.Tools`` takes them: the tool's schema
    reaches the prompt (more prompt tokens than without tools)."""
    backend = backend_factory("ollama")
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the weather for a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
    plain = get_chat_model(**backend.chat_settings(), max_tokens=4, temperature=0)
    with pytest.raises(CapabilityError, match=r"'smollm2'\) cannot call tools: .* \.Tools"):
        plain.bind_tools([tool]).invoke("What is the weather in Paris?")
    settings = {**backend.chat_settings(), "model": "smollm2-tools"}
    tools_model = get_chat_model(**settings, max_tokens=4, temperature=0)
    with_tools = tools_model.bind_tools([tool]).invoke("What is the weather in Paris?")
    without = tools_model.invoke("What is the weather in Paris?")
    assert isinstance(with_tools, AIMessage)
    assert with_tools.usage_metadata is not None
    assert without.usage_metadata is not None
    assert with_tools.usage_metadata["input_tokens"] > without.usage_metadata["input_tokens"] + 50


async def test_astream(backend: Backend) -> None:
    chat = get_chat_model(**backend.chat_settings(), max_tokens=8, temperature=0)
    chunks = [chunk async for chunk in chat.astream(PROMPT)]
    assert len(chunks) >= 2
    total = chunks[0]
    for chunk in chunks[1:]:
        total += chunk
    assert isinstance(total.content, str)
    assert total.content.strip()
    _usage_ok(total, 8)


PROMPTS: list[LanguageModelInput] = ["Say hello.", "Name a fruit.", "Name an animal."]


def test_batch(backend: Backend) -> None:
    chat = get_chat_model(**backend.chat_settings(), max_tokens=6, temperature=0)
    replies = chat.batch(PROMPTS, config={"max_concurrency": 1})
    assert len(replies) == 3
    for reply in replies:
        assert isinstance(reply.content, str)
        assert reply.content.strip()


async def test_abatch(backend: Backend) -> None:
    chat = get_chat_model(**backend.chat_settings(), max_tokens=6, temperature=0)
    replies = await chat.abatch(PROMPTS, config={"max_concurrency": 1})
    assert len(replies) == 3
    for reply in replies:
        assert isinstance(reply.content, str)
        assert reply.content.strip()


def test_max_tokens_is_honoured(backend: Backend) -> None:
    chat = get_chat_model(**backend.chat_settings(), max_tokens=3, temperature=0)
    reply = chat.invoke("Write a long story about a dragon.")
    _usage_ok(reply, 3)
    metadata = reply.response_metadata  # Ollama says done_reason, the OpenAI protocol finish_reason
    assert metadata.get("finish_reason", metadata.get("done_reason")) == "length"


def test_stop_sequence(backend: Backend) -> None:
    """Greedy decoding twice: the second call stops before a word the first one produced."""
    settings = {**backend.chat_settings(), "temperature": 0, "max_tokens": 24}
    free = str(get_chat_model(**settings).invoke("Count from one to ten in words.").content)
    words = free.split()
    # greedy SmolLM2 on Ollama writes the digits without spaces: then stop inside the run
    stop_word = words[3] if len(words) >= 4 else free.strip()[4:6]
    assert len(free.strip()) >= 8, free
    stopped = str(
        get_chat_model(**settings, stop=[stop_word])
        .invoke("Count from one to ten in words.")
        .content
    )
    assert stop_word not in stopped
    assert free.strip().startswith(stopped.strip())
    assert len(stopped) < len(free)


def test_seed_parameter_set_reaches_the_server(backend: Backend) -> None:
    """A hand-written client's settings (temperature 0.3, top_p 0.9, top_k 40, repeat_penalty
    1.1, seed) are accepted by the real server; the token limit (num_predict) is honoured."""
    chat = get_chat_model(
        **backend.chat_settings(),
        temperature=0.3,
        num_predict=10,
        top_p=0.9,
        top_k=40,
        repeat_penalty=1.1,
        seed=42,
    )
    reply = chat.invoke("Summarise the mission of a space probe.")
    _usage_ok(reply, 10)
    # same seed, same server, same answer: the seed reached the sampler
    again = chat.invoke("Summarise the mission of a space probe.")
    assert again.content == reply.content


def test_embeddings_dimension_and_meaning(backend: Backend) -> None:
    embeddings = get_embeddings(**backend.embeddings_settings())
    cat, kitten, stocks = embeddings.embed_documents(
        ["a cat sleeps on the sofa", "a kitten naps on the couch", "stock prices fell sharply"]
    )
    assert len(cat) == len(kitten) == len(stocks) == 384
    assert _cosine(cat, kitten) > _cosine(cat, stocks) + 0.2
    query = embeddings.embed_query("a cat sleeps on the sofa")
    assert _cosine(query, cat) > 0.999


async def test_async_embeddings(backend: Backend) -> None:
    embeddings = get_embeddings(**backend.embeddings_settings())
    vectors = await embeddings.aembed_documents(["one", "two"])
    assert len(vectors) == 2
    assert all(len(vector) == 384 for vector in vectors)
    query = await embeddings.aembed_query("one")
    assert _cosine(query, vectors[0]) > 0.999
