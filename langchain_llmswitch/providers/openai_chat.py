"""ChatOpenAI as this package configures it for vLLM and OpenAI-compatible servers.

Adds to ChatOpenAI, without changing its interface:
- ``extra_body`` given per call is merged with the model's own (``top_k``, penalties)
  instead of replacing it;
- legacy ``guided_*`` fields are rewritten for the server in use (vLLM ignores them);
- ``with_structured_output`` uses a JSON schema the server enforces, re-checks the result,
  and raises `StructuredOutputError` with the raw text on a mismatch.
"""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.language_models import LanguageModelInput
from langchain_openai import ChatOpenAI
from pydantic import Field

from langchain_llmswitch import structured

__all__ = ["SwitchChatOpenAI"]


class SwitchChatOpenAI(ChatOpenAI):
    """ChatOpenAI for a server named by langchain-llmswitch's settings."""

    llmswitch_provider: str = Field(default="openai", exclude=True)
    """The provider of the table this model was built for (``vllm`` or ``openai``)."""

    structured_retries: int = Field(default=0, ge=0, exclude=True)
    """Extra attempts of ``with_structured_output`` after a mismatch."""

    @classmethod
    def lc_id(cls) -> list[str]:
        """Serialise as the ChatOpenAI it configures (loadable with LangChain's allowlist).

        A loaded copy is a plain ChatOpenAI with the same server and parameters; the
        additions of this class (checked structured output, ``guided_*`` translation) are
        not carried through serialisation.
        """
        return ChatOpenAI.lc_id()

    def _get_request_payload(
        self,
        input_: LanguageModelInput,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,  # noqa: ANN401 - ChatOpenAI's own signature
    ) -> dict[str, Any]:
        if isinstance(kwargs.get("extra_body"), dict) and self.extra_body:
            kwargs["extra_body"] = {**self.extra_body, **kwargs["extra_body"]}
        payload = super()._get_request_payload(input_, stop=stop, **kwargs)
        return structured.translate_legacy(self.llmswitch_provider, payload)

    def with_structured_output(
        self,
        schema: Any = None,  # noqa: ANN401 - pydantic class, TypedDict or JSON schema
        *,
        method: Literal["function_calling", "json_mode", "json_schema"] = "json_schema",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,  # noqa: ANN401 - passed through to LangChain
    ) -> Any:  # noqa: ANN401 - a Runnable
        """Structured output the server enforces (JSON schema by default), then checked.

        Args:
            schema: A pydantic class, a TypedDict or a JSON schema.
            method: ``json_schema`` (default; enforced by vLLM and llama.cpp),
                ``json_mode`` or ``function_calling``.
            include_raw: Return ``{"raw", "parsed", "parsing_error"}`` instead of raising.
            strict: Passed to ChatOpenAI.
            **kwargs: Passed to ChatOpenAI (``retries`` is ours: extra attempts).

        Returns:
            A runnable giving the parsed value.

        Raises:
            StructuredOutputError: (when the runnable runs) the output does not match.
        """
        retries = int(kwargs.pop("retries", self.structured_retries))
        json_schema, validate = structured.prepare_schema(schema)
        bound = super().with_structured_output(
            json_schema,
            method=method,
            include_raw=True,
            strict=strict,
            **kwargs,
        )
        return structured.validated_structured_output(
            bound, json_schema, validate, include_raw=include_raw, retries=retries
        )
