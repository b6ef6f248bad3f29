"""Document processor: OCR on the vision model, then the text model reads what was found.

A hand-written doc-processor ran ``llava:7b`` on Ollama for OCR (``OCR_PROVIDER=ollama``,
``OLLAMA_VISION_MODEL=llava:7b``) while its text moved to vLLM. Here the vision model comes
from ``VISION_PROVIDER``/``VISION_MODEL``/``VISION_BASE_URL`` (legacy ``OCR_PROVIDER``,
``OLLAMA_VISION_MODEL`` still read), the text model from ``LLM_PROVIDER``/``LLM_MODEL``/...:
two providers, two servers, no provider named in the code. Images and PDF pages are checked
before any request; PDFs need ``pypdfium2``.

Run::

    python examples/doc_processor.py scan.png|document.pdf [--max-tokens N]
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from langchain_llmswitch import get_chat_model, get_vision_model, resolve_endpoint
from langchain_llmswitch.vision.images import ImageSource
from langchain_llmswitch.vision.ocr import ocr_text

SUMMARY_SYSTEM = (
    "The text below was read from a scanned document by OCR and may contain errors. "
    "Say in one sentence what the document is about."
)


@dataclass(frozen=True)
class ProcessedDocument:
    """What the processor found, and who found it."""

    text: str
    summary: str
    vision: str
    """``provider/model`` that read the document."""
    text_model: str
    """``provider/model`` that summarised it."""


def _who(capability: str) -> str:
    endpoint = resolve_endpoint(capability)  # type: ignore[arg-type]
    return f"{endpoint.provider}/{endpoint.model}"


def read_document(source: ImageSource, *, max_tokens: int | None = None, page: int = 0) -> str:
    """OCR one image or one PDF page on the vision model (greedy: transcription)."""
    vision = get_vision_model(temperature=0, max_tokens=max_tokens)
    return ocr_text(source, model=vision, pages=page).strip()


def process(source: ImageSource, *, max_tokens: int | None = None) -> ProcessedDocument:
    """OCR a document on the vision model, then summarise the text on the text model.

    Args:
        source: An image (path, bytes, URL) or a PDF.
        max_tokens: Cap on generated tokens of each step (default: the environment's).
    """
    text = read_document(source, max_tokens=max_tokens)
    chat = get_chat_model(max_tokens=max_tokens)
    reply = chat.invoke([("system", SUMMARY_SYSTEM), ("human", text or "(no text found)")])
    return ProcessedDocument(text, reply.text.strip(), _who("vision"), _who("chat"))


def main(argv: list[str] | None = None) -> None:
    """Process one document and print what was read and what it is about."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("document", type=Path, help="an image or a PDF")
    parser.add_argument("--max-tokens", type=int, default=None, help="cap generated tokens")
    args = parser.parse_args(argv)
    result = process(args.document, max_tokens=args.max_tokens)
    print(f"== OCR ({result.vision})\n{result.text}")
    print(f"== summary ({result.text_model})\n{result.summary}")


if __name__ == "__main__":
    main()
