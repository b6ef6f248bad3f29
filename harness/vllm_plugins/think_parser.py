"""A vLLM reasoning parser for the harness's SmolLM2: the ``<think>`` its chat template opens.

vLLM's own ``<think>`` parsers look the tags up as tokens of the vocabulary, which
SmolLM2's has not (they refuse to start); this one reads text. Thinking is off unless the
request's ``chat_template_kwargs`` turn ``enable_thinking`` on (then the template opens a
``<think>``): the output up to ``</think>`` is reasoning, the rest content; SmolLM2 never
writes ``</think>``, so all of it is reasoning. Off, the output is content, unchanged.
Loaded by vLLM (``--reasoning-parser-plugin``), never by the harness itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vllm.entrypoints.generate.base.protocol import DeltaMessage
from vllm.reasoning import ReasoningParser, ReasoningParserManager

CLOSE = "</think>"


@ReasoningParserManager.register_module("harness_think")
class HarnessThinkParser(ReasoningParser):  # type: ignore[misc]
    """Reasoning up to ``</think>`` when the request turned thinking on; else none."""

    def __init__(self, tokenizer: Any, *args: Any, **kwargs: Any) -> None:
        """Read the request's ``enable_thinking`` (vLLM builds a parser per request)."""
        super().__init__(tokenizer, *args, **kwargs)
        template_kwargs = kwargs.get("chat_template_kwargs") or {}
        self.thinking = bool(template_kwargs.get("enable_thinking"))

    def _closed(self, input_ids: Sequence[int]) -> bool:
        return CLOSE in self.model_tokenizer.decode(list(input_ids))

    def is_reasoning_end(self, input_ids: Sequence[int]) -> bool:
        """Whether structured output may start: thinking off, or ``</think>`` written."""
        return not self.thinking or self._closed(input_ids)

    def is_reasoning_end_streaming(self, input_ids: Sequence[int], delta_ids: Any) -> bool:  # noqa: ARG002 - vLLM's interface
        """`is_reasoning_end` of the tokens so far."""
        return not self.thinking or self._closed(input_ids)

    def extract_content_ids(self, input_ids: list[int]) -> list[int]:
        """The tokens after ``</think>`` (all of them, thinking off)."""
        if not self.thinking:
            return input_ids
        for end in range(1, len(input_ids) + 1):
            if self._closed(input_ids[:end]):
                return input_ids[end:]
        return []

    def extract_reasoning(self, model_output: str, request: Any) -> tuple[str | None, str | None]:  # noqa: ARG002
        """``(reasoning, content)`` of a whole answer."""
        if not self.thinking:
            return None, model_output
        reasoning, closed, content = model_output.partition(CLOSE)
        return reasoning or None, (content.lstrip() or None) if closed else None

    def extract_reasoning_streaming(  # noqa: PLR0917 - vLLM's interface
        self,
        previous_text: str,
        current_text: str,
        delta_text: str,
        previous_token_ids: Sequence[int],  # noqa: ARG002
        current_token_ids: Sequence[int],  # noqa: ARG002
        delta_token_ids: Sequence[int],  # noqa: ARG002
    ) -> DeltaMessage | None:
        """The delta's reasoning and content, from the text so far."""
        if not self.thinking or CLOSE in previous_text:
            return DeltaMessage(content=delta_text)
        if CLOSE not in current_text:
            return DeltaMessage(reasoning=delta_text)
        start = len(previous_text)
        end = current_text.index(CLOSE)
        reasoning = current_text[start:end] if end > start else ""
        content = current_text[end + len(CLOSE) :].lstrip()
        return DeltaMessage(reasoning=reasoning or None, content=content or None)
