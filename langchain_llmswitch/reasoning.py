"""Reasoning of thinking models: turned on or off per backend, kept apart from the answer.

The setting ``reasoning`` (``LLM_REASONING``: on, off, unset) is spelled per backend as
the provider table's ``reasoning`` says (`providers.base.reasoning_kwargs`). What a model
thinks is kept where ChatOllama and ChatDeepSeek keep it,
``additional_kwargs["reasoning_content"]``, so that ``AIMessage.content_blocks`` shows a
``reasoning`` block, in ``invoke`` and in ``stream`` (the chunks' text merges):

- the server's own field: ``reasoning_content`` (llama-server, older vLLM) or
  ``reasoning`` (vLLM), which ChatOpenAI drops (langchain#34706);
- a ``<think>...</think>`` at the start of ``content``, from a server that has no reasoning
  parser (an older Ollama, llama-server with ``--reasoning-format none``): moved out of
  ``content``, so it never reaches the answer or structured-output parsing.

Light at import: LangChain is imported inside the functions that need it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeVar

from langchain_llmswitch import server_info
from langchain_llmswitch.errors import CapabilityError
from langchain_llmswitch.providers.base import ReasoningSpelling, reasoning_kwargs

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage
    from langchain_core.outputs import ChatGenerationChunk, ChatResult


__all__ = [
    "KEY",
    "ThinkSplitter",
    "check_ollama_think",
    "keep",
    "keep_delta",
    "keep_result",
    "payload_kwargs",
    "register_content_blocks",
    "split",
    "split_astream",
    "split_stream",
]

R = TypeVar("R", bound="ChatResult")

KEY: Final = "reasoning_content"
"""Where a message keeps its reasoning (``additional_kwargs``), as ChatOllama does."""

OPEN: Final = "<think>"
CLOSE: Final = "</think>"
SERVER_FIELDS: Final = ("reasoning_content", "reasoning")
"""Fields of an OpenAI-protocol message or delta that hold reasoning (llama-server, vLLM)."""

OLLAMA_THINK_SINCE: Final = (0, 9)
"""The first Ollama version that reads ``think``."""


def payload_kwargs(
    kwargs: dict[str, Any], spelling: ReasoningSpelling = "chat_template_kwargs"
) -> dict[str, Any]:
    """Pop a per-call ``reasoning=True/False`` of an OpenAI-protocol call: its ``extra_body``.

    ChatOpenAI's own ``reasoning`` (a dict of OpenAI's reasoning models) is left alone.

    Args:
        kwargs: The call's keywords; a boolean ``reasoning`` is removed.
        spelling: The provider table's ``reasoning`` (an ``extra_body`` one).

    Returns:
        The ``extra_body`` entries to merge (empty when the call does not say).
    """
    if not isinstance(kwargs.get("reasoning"), bool):
        return {}
    on = kwargs.pop("reasoning")
    return dict(reasoning_kwargs(spelling, on)["extra_body"])


def split(content: str) -> tuple[str | None, str]:
    r"""Split a leading ``<think>...</think>`` (or a forced-open one) off an answer.

    Args:
        content: The message's text.

    Returns:
        ``(reasoning, answer)``; reasoning is None when the text holds none.

    Example:
        >>> split("<think>\\nadd them\\n</think>\\n\\n4")
        ('add them', '4')
        >>> split("4")
        (None, '4')
    """
    text = content.lstrip()
    if text.startswith(OPEN):
        thought, closed, rest = text[len(OPEN) :].partition(CLOSE)
        return thought.strip(), rest.lstrip() if closed else ""
    if CLOSE in content and OPEN not in content:  # the template opened it (forced open)
        thought, _, rest = content.partition(CLOSE)
        return thought.strip(), rest.lstrip()
    return None, content


def keep(message: BaseMessage, fields: Mapping[str, Any] | None = None) -> None:
    """Keep a message's reasoning in ``additional_kwargs``, never in ``content``.

    Args:
        message: The answer, changed in place.
        fields: The server's message (a dict), whose ``reasoning_content`` or ``reasoning``
            ChatOpenAI dropped.
    """
    given = fields or {}
    found = [str(given[name]) for name in SERVER_FIELDS if given.get(name)][:1]
    if isinstance(message.content, str):
        thought, answer = split(message.content)
        if thought is not None:
            message.content = answer
            found.append(thought)
    if found and not message.additional_kwargs.get(KEY):
        message.additional_kwargs[KEY] = "\n".join(found)


def keep_result(result: R, messages: Sequence[Mapping[str, Any]] | None = None) -> R:
    """`keep` for every generation of a ``ChatResult``; return the result.

    Args:
        result: A ``ChatResult``, changed in place (each generation's text follows).
        messages: The server's messages, one per generation (OpenAI's ``choices``).
    """
    for index, generation in enumerate(result.generations):
        fields = messages[index] if messages and index < len(messages) else None
        keep(generation.message, fields)
        if isinstance(generation.message.content, str):
            generation.text = generation.message.content
    return result


def keep_delta(chunk: ChatGenerationChunk | None, delta: Mapping[str, Any] | None) -> None:
    """Keep the reasoning of a streamed delta (the server's field) in the chunk's message.

    Args:
        chunk: ChatOpenAI's chunk for the delta (None: nothing to do).
        delta: The delta as the server sent it.
    """
    if chunk is None or not delta:
        return
    for name in SERVER_FIELDS:
        text = delta.get(name)
        if text:
            chunk.message.additional_kwargs[KEY] = str(text)
            return


class ThinkSplitter:
    """Moves a leading ``<think>...</think>`` of a streamed answer out of its text.

    ``feed`` takes each piece of text and returns ``(reasoning, content)``; text that may
    still turn out to be a tag is held back until the next piece or `flush`.
    """

    def __init__(self) -> None:
        """Start before the first piece: a tag may open the answer."""
        self._state = "start"  # start -> think -> answer
        self._held = ""

    def feed(self, text: str) -> tuple[str, str]:
        """Return the reasoning and the content of the next piece of text."""
        if self._state == "answer":
            return "", text
        self._held += text
        if self._state == "start":
            stripped = self._held.lstrip()
            if not stripped or OPEN.startswith(stripped):
                return "", ""  # maybe a tag still to come
            if not stripped.startswith(OPEN):
                self._state = "answer"
                held, self._held = self._held, ""
                return "", held
            self._state = "think"
            self._held = stripped[len(OPEN) :]
        thought, closed, rest = self._held.partition(CLOSE)
        if closed:
            self._state = "answer"
            self._held = ""
            return thought, rest.lstrip()
        keep_back = next(
            (n for n in range(len(CLOSE) - 1, 0, -1) if self._held.endswith(CLOSE[:n])), 0
        )
        out = self._held[: len(self._held) - keep_back]
        self._held = self._held[len(out) :]
        return out, ""

    def flush(self) -> tuple[str, str]:
        """Return what was held back, at the end of the stream."""
        held, self._held = self._held, ""
        if self._state == "think":
            return held, ""
        return "", held


def _rebuilt(chunk: ChatGenerationChunk, thought: str, answer: str) -> ChatGenerationChunk:
    from langchain_core.outputs import ChatGenerationChunk  # noqa: PLC0415 - heavy

    message = chunk.message
    extra = dict(message.additional_kwargs)
    if thought:
        extra[KEY] = extra.get(KEY, "") + thought
    copied = message.model_copy(update={"content": answer, "additional_kwargs": extra})
    return ChatGenerationChunk(message=copied, generation_info=chunk.generation_info)


def _split_one(
    splitter: ThinkSplitter, chunk: ChatGenerationChunk, last: Callable[[Any], bool]
) -> ChatGenerationChunk:
    content = chunk.message.content
    if not isinstance(content, str):
        return chunk
    thought, answer = splitter.feed(content)
    if last(chunk):
        more_thought, more_answer = splitter.flush()
        thought, answer = thought + more_thought, answer + more_answer
    if (thought, answer) == ("", content):
        return chunk
    return _rebuilt(chunk, thought, answer)


def split_stream(
    chunks: Iterator[ChatGenerationChunk], last: Callable[[Any], bool]
) -> Iterator[ChatGenerationChunk]:
    """Yield the chunks with a leading ``<think>...</think>`` moved out of their text.

    Args:
        chunks: A model's ``_stream``.
        last: Whether a chunk ends the answer (what is held back is flushed into it).
    """
    splitter = ThinkSplitter()
    for chunk in chunks:
        yield _split_one(splitter, chunk, last)


async def split_astream(
    chunks: AsyncIterator[ChatGenerationChunk], last: Callable[[Any], bool]
) -> AsyncIterator[ChatGenerationChunk]:
    """`split_stream` for an async stream."""
    splitter = ThinkSplitter()
    async for chunk in chunks:
        yield _split_one(splitter, chunk, last)


_versions: dict[str, tuple[int, ...] | None] = {}
_versions_lock = threading.Lock()


def _ollama_version(base_url: str) -> tuple[int, ...] | None:
    """The Ollama version at ``base_url`` (``/api/version``, asked once; None: unknown)."""
    with _versions_lock:
        if base_url in _versions:
            return _versions[base_url]
    found: tuple[int, ...] | None = None
    with contextlib.suppress(Exception):  # not asked: the request itself will tell
        response = server_info.get_listing(f"{base_url}/api/version", None)
        response.raise_for_status()
        text = str(response.json().get("version", ""))
        found = tuple(int(part) for part in text.split("-", maxsplit=1)[0].split(".")[:3])
    with _versions_lock:
        _versions[base_url] = found
    return found


def check_ollama_think(base_url: str, think: object) -> None:
    """Refuse ``think`` on an Ollama that does not read it (it would be ignored silently).

    Args:
        base_url: The server root.
        think: ChatOllama's ``reasoning`` for the request (None: not sent, not checked).

    Raises:
        CapabilityError: The server's version is older than 0.9.
    """
    if think is None:
        return
    version = _ollama_version(base_url)
    if version is not None and version < OLLAMA_THINK_SINCE:
        shown = ".".join(map(str, version))
        since = ".".join(map(str, OLLAMA_THINK_SINCE))
        msg = (
            f"ollama at {base_url} is version {shown}, which has no 'think' field: "
            f"reasoning={think!r} cannot be honoured (Ollama {since}+ reads it). Upgrade "
            "Ollama, or leave LLM_REASONING / reasoning= unset; a thinking model's "
            "<think> text is still moved out of the answer."
        )
        raise CapabilityError(msg)


_registered = False


def register_content_blocks() -> None:
    """Make ``content_blocks`` of a Chat Completions message show its kept reasoning.

    ``content_blocks`` of a ChatOpenAI message goes through LangChain's ``openai``
    translator, which reads no ``reasoning_content`` (plain ChatOpenAI never keeps one);
    the wrapped translator puts a ``reasoning`` block first, as LangChain's best-effort
    parsing does for every other provider. Messages without it are translated unchanged.
    """
    global _registered  # noqa: PLW0603 - once per process
    if _registered:
        return
    from langchain_core.messages.block_translators import (  # noqa: PLC0415 - heavy
        get_translator,
        register_translator,
    )

    original = get_translator("openai")
    if original is None:  # pragma: no cover - a LangChain without the openai translator
        return

    def wrap(translate: Callable[[Any], list[Any]]) -> Callable[[Any], list[Any]]:
        def translated(message: Any) -> list[Any]:
            blocks = translate(message)
            thought = message.additional_kwargs.get(KEY)
            shown = any(block.get("type") == "reasoning" for block in blocks)
            if isinstance(thought, str) and thought and not shown:
                blocks.insert(0, {"type": "reasoning", "reasoning": thought})
            return blocks

        return translated

    register_translator(
        "openai",
        wrap(original["translate_content"]),
        wrap(original["translate_content_chunk"]),
    )
    _registered = True
