"""The OCR helper: PDF pages rendered to PNG, the request it sends, text and fields back."""

from __future__ import annotations

import base64
import struct
import sys
import types
import zlib
from pathlib import Path
from typing import Any, ClassVar, cast

import pytest
from pydantic import BaseModel

from langchain_llmswitch import ImageError, MissingDependencyError, resolve_endpoint
from langchain_llmswitch import factory as factory_module
from langchain_llmswitch.errors import PdfRendererMissingError, StructuredOutputError
from langchain_llmswitch.vision.ocr import (
    DEFAULT_FIELDS_PROMPT,
    DEFAULT_TEXT_PROMPT,
    _png,
    document_images,
    ocr_fields,
    ocr_text,
    render_pdf_page,
)

from .test_images import BLUE, GIF, RED, data_url, image_block
from .wire import chat_with_recorder


def make_pdf(contents: list[bytes]) -> bytes:
    """A minimal PDF, one 100 x 50 pt page per content stream."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        (
            "<< /Type /Pages /Kids ["
            + " ".join(f"{3 + 2 * i} 0 R" for i in range(len(contents)))
            + f"] /Count {len(contents)} >>"
        ).encode(),
    ]
    for i, content in enumerate(contents):
        page = f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 50] /Contents {4 + 2 * i} 0 R >>"
        objects.append(page.encode())
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


PDF = make_pdf([b"1 0 0 rg 0 0 50 50 re f", b"0 0 1 rg 50 0 50 50 re f"])  # red left, blue right


def pixels(png: bytes) -> tuple[int, int, bytes]:
    """Width, height and the filtered scanlines of a PNG we wrote (one IDAT)."""
    width, height = struct.unpack(">II", png[16:24])
    start = png.index(b"IDAT") + 4
    end = png.index(b"IEND") - 8
    return width, height, zlib.decompress(png[start:end])


# --- PNG encoding and PDF rendering --------------------------------------------------------


@pytest.mark.parametrize(("channels", "color_type"), [(1, 0), (3, 2), (4, 6)])
def test_png_encoder(channels: int, color_type: int) -> None:
    width, height, stride = 3, 2, 3 * channels + 2  # padded rows, as pdfium may give
    rows = [bytes(range(y * 10, y * 10 + width * channels)) + b"PP" for y in range(height)]
    png = _png(width, height, stride, channels, b"".join(rows))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert png[25] == color_type
    assert pixels(png) == (width, height, b"".join(b"\x00" + row[:-2] for row in rows))


class FakeBitmap:
    def __init__(self, scale: float) -> None:
        self.width, self.height = round(100 * scale), round(50 * scale)
        self.stride = self.width * 3
        self.n_channels = 3
        self.buffer = bytes([200, 10, 20]) * (self.width * self.height)


class FakeDocument:
    opened: ClassVar[list[Any]] = []
    closed = 0

    def __init__(self, source: Any) -> None:
        if isinstance(source, bytes) and not source.startswith(b"%PDF-1.4"):
            msg = "Failed to load document (PDFium: Data format error)."
            raise FakePdfium.PdfiumError(msg)
        FakeDocument.opened.append(source)
        self.renders: list[dict[str, Any]] = []

    def __len__(self) -> int:
        return 2

    def __getitem__(self, index: int) -> Any:
        document = self

        class Page:
            def render(self, **kwargs: Any) -> FakeBitmap:
                document.renders.append({"page": index, **kwargs})
                FakePdfium.renders.append({"page": index, **kwargs})
                return FakeBitmap(kwargs["scale"])

        return Page()

    def close(self) -> None:
        FakeDocument.closed += 1


class FakePdfium(types.ModuleType):
    renders: ClassVar[list[dict[str, Any]]] = []

    class PdfiumError(RuntimeError):
        pass

    PdfDocument = FakeDocument


@pytest.fixture
def fake_pdfium(monkeypatch: pytest.MonkeyPatch) -> type[FakePdfium]:
    FakePdfium.renders = []
    FakeDocument.opened = []
    FakeDocument.closed = 0
    monkeypatch.setitem(sys.modules, "pypdfium2", FakePdfium("pypdfium2"))
    return FakePdfium


def test_render_uses_the_page_and_dpi(fake_pdfium: type[FakePdfium], tmp_path: Path) -> None:
    png = render_pdf_page(PDF, 1, dpi=144)
    assert fake_pdfium.renders == [{"page": 1, "scale": 2.0, "rev_byteorder": True}]
    width, height, raw = pixels(png)
    assert (width, height) == (200, 100)
    assert raw[:4] == b"\x00\xc8\x0a\x14"  # filter byte, then RGB as rendered
    file = tmp_path / "doc.pdf"
    file.write_bytes(PDF)
    render_pdf_page(str(file), -1)
    assert fake_pdfium.renders[-1] == {"page": 1, "scale": 150 / 72, "rev_byteorder": True}
    assert FakeDocument.opened[-1] == file
    assert FakeDocument.closed == 2


def test_render_errors(fake_pdfium: type[FakePdfium]) -> None:
    with pytest.raises(ImageError, match="has 2 page\\(s\\); there is no page 2"):
        render_pdf_page(PDF, 2)
    with pytest.raises(ImageError, match="cannot be read: Failed to load document"):
        render_pdf_page(b"%PDF-9 broken", 0)
    assert FakeDocument.closed == 1  # a document that opened is closed, also on error


def test_missing_renderer_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pypdfium2", None)  # import fails as if not installed
    with pytest.raises(PdfRendererMissingError) as caught:
        document_images(PDF)
    assert "pip install pypdfium2" in str(caught.value)
    assert caught.value.package == "pypdfium2"
    assert isinstance(caught.value, MissingDependencyError)
    assert isinstance(caught.value, ImportError)
    assert document_images(RED) == [RED]  # images alone need no renderer


def test_document_images(fake_pdfium: type[FakePdfium], tmp_path: Path) -> None:
    file = tmp_path / "scan.bin"  # a PDF is known by its first bytes, not its name
    file.write_bytes(PDF)
    images = document_images([RED, file, bytearray(PDF), "https://x.test/a.png"], pages=[0, 1])
    assert images[0] == RED
    assert all(cast("bytes", sniff).startswith(b"\x89PNG") for sniff in images[1:5])
    assert images[5] == "https://x.test/a.png"
    assert [r["page"] for r in fake_pdfium.renders] == [0, 1, 0, 1]
    assert document_images(tmp_path / "missing.png") == [tmp_path / "missing.png"]


def test_real_pypdfium2_renders_the_pixels() -> None:
    pytest.importorskip("pypdfium2")
    _, _, left = pixels(render_pdf_page(PDF, 0, dpi=72))
    _, _, right = pixels(render_pdf_page(PDF, 1, dpi=72))
    assert left[1:4] == b"\xff\x00\x00"  # red at the left of page 0
    assert right[1 + 3 * 60 : 1 + 3 * 61] == b"\x00\x00\xff"  # blue at x=60 of page 1
    assert right[1:4] == b"\xff\xff\xff"  # white where nothing is drawn


# --- requests and answers ----------------------------------------------------------------------

ENDPOINTS = {
    "ollama": {"provider": "ollama", "model": "llava:7b"},
    "vllm": {"provider": "vllm", "model": "smolvlm", "base_url": "http://vllm:8000/v1"},
}


def _model(provider: str, reply: str) -> tuple[Any, Any]:
    chat, recorder = chat_with_recorder(resolve_endpoint("vision", **ENDPOINTS[provider]))
    recorder.reply_text = reply
    return chat, recorder


def test_ocr_text_request(fake_pdfium: type[FakePdfium]) -> None:
    chat, recorder = _model("vllm", "INVOICE 7")
    assert ocr_text([RED, BLUE], model=chat) == "INVOICE 7"
    assert recorder.bodies[-1]["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": DEFAULT_TEXT_PROMPT},
                image_block(data_url(RED)),
                image_block(data_url(BLUE)),
            ],
        }
    ]
    ocr_text(PDF, model=chat, prompt="Only the total.", pages=1, dpi=72)
    content = recorder.bodies[-1]["messages"][0]["content"]
    assert content[0] == {"type": "text", "text": "Only the total."}
    assert content[1]["image_url"]["url"].startswith("data:image/png;base64,iVBOR")
    assert fake_pdfium.renders == [{"page": 1, "scale": 1.0, "rev_byteorder": True}]


def test_ocr_text_on_ollama_sends_base64_images() -> None:
    chat, recorder = _model("ollama", "hello")
    assert ocr_text(GIF, model=chat, prompt="Read.") == "hello"
    message = recorder.bodies[-1]["messages"][0]
    assert message["images"] == [base64.b64encode(GIF).decode()]
    assert message["content"] == "\nRead."


def test_bad_images_fail_before_any_request() -> None:
    chat, recorder = _model("vllm", "x")
    with pytest.raises(ImageError, match="not an image"):
        ocr_text([RED, b"plain text"], model=chat)
    assert recorder.bodies == []


def test_ocr_text_defaults_to_the_vision_model(monkeypatch: pytest.MonkeyPatch) -> None:
    chat, recorder = _model("vllm", "from the default model")
    monkeypatch.setattr(factory_module, "get_vision_model", lambda: chat)
    assert ocr_text(RED) == "from the default model"
    assert len(recorder.bodies) == 1


class Invoice(BaseModel):
    number: str
    total: float


@pytest.mark.parametrize("provider", sorted(ENDPOINTS))
def test_ocr_fields(provider: str) -> None:
    chat, recorder = _model(provider, '{"number": "A-17", "total": 99.5}')
    assert ocr_fields(RED, Invoice, model=chat) == Invoice(number="A-17", total=99.5)
    body = recorder.bodies[-1]
    if provider == "ollama":
        assert body["format"]["properties"]["total"] == {"type": "number"}
        assert body["messages"][0]["content"] == "\n" + DEFAULT_FIELDS_PROMPT
        assert body["messages"][0]["images"] == [base64.b64encode(RED).decode()]
    else:
        assert body["response_format"]["type"] == "json_schema"
        assert body["messages"][0]["content"][1] == image_block(data_url(RED))


def test_ocr_fields_mismatch_is_an_error_or_raw() -> None:
    chat, _ = _model("vllm", '{"number": "A-17"}')
    with pytest.raises(StructuredOutputError, match="total"):
        ocr_fields(RED, Invoice, model=chat)
    result = ocr_fields(RED, Invoice, model=chat, include_raw=True)
    assert result["parsed"] is None
    assert result["raw"].content == '{"number": "A-17"}'
