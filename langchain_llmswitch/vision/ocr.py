"""Read documents with the vision model: images or PDF pages to text, or to fields of a schema.

`ocr_text` sends the images (or the PDF pages, rendered to PNG) with a prompt and returns
the model's text; `ocr_fields` extracts fields into a schema with the model's
``with_structured_output``, which on this package's models is enforced by the server and
checked (`StructuredOutputError` on a mismatch). PDF pages are rendered with ``pypdfium2``
when it is installed (``pip install pypdfium2``; not a dependency of this package), without
Pillow. The model defaults to `get_vision_model()`; every image is checked before any
request (`ImageError`).

Example:
    >>> from pydantic import BaseModel
    >>> class Invoice(BaseModel):
    ...     number: str
    ...     total: float
    >>> ocr_text("scan.png")  # doctest: +SKIP
    'INVOICE 2024-117 ...'
    >>> ocr_fields("invoice.pdf", Invoice, pages=[0, 1])  # doctest: +SKIP
    Invoice(number='2024-117', total=99.5)
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_llmswitch import factory
from langchain_llmswitch.errors import PdfRendererMissingError
from langchain_llmswitch.vision.images import (
    DEFAULT_FETCH_TIMEOUT,
    DEFAULT_MAX_IMAGE_BYTES,
    ImageError,
    ImageSource,
    image_message,
)

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import HumanMessage

__all__ = [
    "DEFAULT_FIELDS_PROMPT",
    "DEFAULT_TEXT_PROMPT",
    "document_images",
    "ocr_fields",
    "ocr_text",
    "render_pdf_page",
]

DEFAULT_TEXT_PROMPT = (
    "Transcribe all the text in the image exactly as written, keeping the line breaks. "
    "Answer with the text only."
)
"""The prompt of `ocr_text` unless one is given."""
DEFAULT_FIELDS_PROMPT = (
    "Extract the requested fields from the document in the image. Use only what is written there."
)
"""The prompt of `ocr_fields` unless one is given."""
DEFAULT_DPI = 150
"""Resolution of rendered PDF pages (an A4 page becomes 1240 x 1754 pixels)."""
_PDF_MAGIC = b"%PDF-"


def _png(width: int, height: int, stride: int, channels: int, pixels: bytes) -> bytes:
    """Encode raw 8-bit pixels (gray, RGB or RGBA rows of ``stride`` bytes) as a PNG."""
    color_type = {1: 0, 3: 2, 4: 6}[channels]
    row = width * channels
    raw = b"".join(
        b"\x00" + pixels[y * stride : y * stride + row] for y in range(height)
    )  # filter type 0 on every row

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def _pdfium() -> Any:
    try:
        import pypdfium2  # type: ignore[import-untyped, import-not-found, unused-ignore]  # noqa: PLC0415
    except ModuleNotFoundError as error:
        if error.name == "pypdfium2":
            raise PdfRendererMissingError from error
        raise
    return pypdfium2


def render_pdf_page(
    pdf: str | os.PathLike[str] | bytes, page: int = 0, *, dpi: int = DEFAULT_DPI
) -> bytes:
    """Render one page of a PDF to a PNG (needs ``pypdfium2``; Pillow is not used).

    Args:
        pdf: The PDF file (a path) or its bytes.
        page: The page number, from 0; negative numbers count from the end.
        dpi: Resolution in dots per inch.

    Returns:
        The page as PNG bytes.

    Raises:
        PdfRendererMissingError: ``pypdfium2`` is not installed.
        ImageError: The PDF cannot be read, or has no such page.

    Example:
        >>> png = render_pdf_page("invoice.pdf", page=0, dpi=100)  # doctest: +SKIP
        >>> png[1:4]  # doctest: +SKIP
        b'PNG'
    """
    pdfium = _pdfium()
    source = f"<{len(pdf)} bytes>" if isinstance(pdf, bytes) else str(pdf)
    try:
        document = pdfium.PdfDocument(pdf if isinstance(pdf, bytes) else Path(pdf))
    except (pdfium.PdfiumError, OSError) as error:
        msg = f"PDF {source} cannot be read: {str(error).rstrip('.')}."
        raise ImageError(msg, source=source) from None
    try:
        count = len(document)
        index = page + count if page < 0 else page
        if not 0 <= index < count:
            msg = f"PDF {source} has {count} page(s); there is no page {page} (pages count from 0)."
            raise ImageError(msg, source=source)
        bitmap = document[index].render(scale=dpi / 72, rev_byteorder=True)
        pixels = bytes(bitmap.buffer)
        return _png(bitmap.width, bitmap.height, bitmap.stride, bitmap.n_channels, pixels)
    finally:
        document.close()


def _is_pdf(source: object) -> bool:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source[:5]) == _PDF_MAGIC
    if isinstance(source, os.PathLike) or (
        isinstance(source, str) and not source.startswith(("http://", "https://", "data:"))
    ):
        path = Path(os.fspath(source)).expanduser()
        try:
            with path.open("rb") as handle:
                return handle.read(5) == _PDF_MAGIC
        except OSError:
            return False  # read_image gives the clear error
    return False


def document_images(
    sources: ImageSource | Sequence[ImageSource],
    *,
    pages: int | Sequence[int] = 0,
    dpi: int = DEFAULT_DPI,
) -> list[ImageSource]:
    """Return the images of a document: images as given, PDFs as their rendered pages.

    Args:
        sources: One image or PDF, or a list (paths, bytes, Pillow images, URLs).
        pages: The PDF page(s) to render, from 0.
        dpi: Resolution of rendered pages.

    Returns:
        The images, in order (PNG bytes for PDF pages).

    Raises:
        PdfRendererMissingError: A PDF was given and ``pypdfium2`` is not installed.
        ImageError: A PDF cannot be read or lacks a page.

    Example:
        >>> document_images(["page1.png", "page2.png"])
        ['page1.png', 'page2.png']
    """
    single = isinstance(sources, str | bytes | bytearray | memoryview | os.PathLike)
    items: list[Any] = [sources] if single or not isinstance(sources, Sequence) else list(sources)
    wanted = [pages] if isinstance(pages, int) else list(pages)
    images: list[ImageSource] = []
    for source in items:
        if not _is_pdf(source):
            images.append(source)
            continue
        is_bytes = isinstance(source, bytes | bytearray | memoryview)
        pdf = bytes(source) if is_bytes else os.fspath(source)
        images.extend(render_pdf_page(pdf, page, dpi=dpi) for page in wanted)
    return images


def _message(
    sources: ImageSource | Sequence[ImageSource],
    prompt: str,
    model: Any,
    *,
    pages: int | Sequence[int],
    dpi: int,
    max_bytes: int,
    timeout: float,
) -> HumanMessage:
    return image_message(
        prompt,
        document_images(sources, pages=pages, dpi=dpi),
        model=model,
        max_bytes=max_bytes,
        timeout=timeout,
    )


def _vision_model(model: BaseChatModel | None) -> Any:
    if model is not None:
        return model

    return factory.get_vision_model()  # looked up per call, so a patched factory applies


def ocr_text(
    sources: ImageSource | Sequence[ImageSource],
    *,
    model: BaseChatModel | None = None,
    prompt: str = DEFAULT_TEXT_PROMPT,
    pages: int | Sequence[int] = 0,
    dpi: int = DEFAULT_DPI,
    max_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
    timeout: float = DEFAULT_FETCH_TIMEOUT,
) -> str:
    """Return the text the vision model reads in images or PDF pages (one request).

    Args:
        sources: One image or PDF, or a list, sent together in one message.
        model: The vision model (default: `get_vision_model()`).
        prompt: What to ask; the default asks for a verbatim transcription.
        pages: The PDF page(s) to send, from 0.
        dpi: Resolution of rendered PDF pages.
        max_bytes: Largest image accepted.
        timeout: Seconds to wait when fetching an image URL.

    Returns:
        The model's answer.

    Raises:
        ImageError: An image is unreadable, not an image, or too large (before any request).
        PdfRendererMissingError: A PDF was given and ``pypdfium2`` is not installed.
        CapabilityError: The server says the model reads no images.

    Example:
        >>> ocr_text(["scan-1.png", "scan-2.png"], prompt="List the names.")  # doctest: +SKIP
        'Ada Lovelace, Alan Turing'
    """
    chat = _vision_model(model)
    message = _message(
        sources, prompt, chat, pages=pages, dpi=dpi, max_bytes=max_bytes, timeout=timeout
    )
    return str(chat.invoke([message]).text)


def ocr_fields(
    sources: ImageSource | Sequence[ImageSource],
    schema: Any,
    *,
    model: BaseChatModel | None = None,
    prompt: str = DEFAULT_FIELDS_PROMPT,
    pages: int | Sequence[int] = 0,
    dpi: int = DEFAULT_DPI,
    include_raw: bool = False,
    max_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
    timeout: float = DEFAULT_FETCH_TIMEOUT,
) -> Any:
    """Extract fields from images or PDF pages into a schema (structured output, checked).

    Args:
        sources: One image or PDF, or a list, sent together in one message.
        schema: A pydantic class, a TypedDict or a JSON schema.
        model: The vision model (default: `get_vision_model()`).
        prompt: What to ask, before the images.
        pages: The PDF page(s) to send, from 0.
        dpi: Resolution of rendered PDF pages.
        include_raw: Return ``{"raw", "parsed", "parsing_error"}`` instead of raising.
        max_bytes: Largest image accepted.
        timeout: Seconds to wait when fetching an image URL.

    Returns:
        The parsed value (an instance of a pydantic schema, else a dict).

    Raises:
        StructuredOutputError: The answer does not match the schema (this package's models).
        ImageError: An image is unreadable, not an image, or too large (before any request).
        PdfRendererMissingError: A PDF was given and ``pypdfium2`` is not installed.
        CapabilityError: The server says the model reads no images.

    Example:
        >>> ocr_fields("receipt.jpg", Receipt)  # doctest: +SKIP
        Receipt(shop='Corner Bakery', total=7.2)
    """
    chat = _vision_model(model)
    message = _message(
        sources, prompt, chat, pages=pages, dpi=dpi, max_bytes=max_bytes, timeout=timeout
    )
    return chat.with_structured_output(schema, include_raw=include_raw).invoke([message])
