"""Vision on the real servers: the tiny Idefics3 model on vLLM (``vllm-vision``), the text
servers asked for vision, the real Ollama server, and what our Ollama provider sends.

The vision model's text part is SmolLM2-135M-Instruct; its vision tower is random (built
by ``harness/vision_model.py``). It reads nothing meaningful, so these tests assert the
protocol and the wiring (accepted, image tokens counted, output depends on the image,
clear errors), never OCR quality.
"""

from __future__ import annotations

import base64
import struct
import threading
import zlib
from collections.abc import Callable, Iterator
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import pytest
from langchain_core.messages import HumanMessage
from pydantic import BaseModel

from langchain_llmswitch import CapabilityError, check_vision, get_vision_model, image_message
from langchain_llmswitch.vision.images import clear_checks
from langchain_llmswitch.vision.ocr import ocr_fields, ocr_text

from ..tooling.ollama_listener import ollama_listener
from .conftest import REPLAY_URL, Backend, is_live

VISION_MODEL = "smolvlm-tiny"
IMAGE_TOKENS = 52
"""Prompt tokens one image adds on vllm-vision: 49 image tokens (224 px / patch 16 = 14 x 14
patches, 2 x 2 shuffled) + ``<fake_token_around_image>``, ``<global-img>`` and a closing
``<fake_token_around_image>``; any image is resized to one 224 px view."""


def tiny_png(pixel: Callable[[int, int], tuple[int, int, int]], size: int = 32) -> bytes:
    """A ``size`` x ``size`` RGB PNG with stored (uncompressed) deflate blocks, so its bytes,
    and the cassettes holding them, do not depend on the zlib build."""
    raw = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(size)) for y in range(size))
    deflate = b""
    for start in range(0, len(raw), 65535):
        block = raw[start : start + 65535]
        final = 1 if start + 65535 >= len(raw) else 0
        deflate += struct.pack("<BHH", final, len(block), len(block) ^ 0xFFFF) + block
    idat = b"\x78\x01" + deflate + struct.pack(">I", zlib.adler32(raw))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


RED = tiny_png(lambda x, y: (255, 0, 0))
STRIPES = tiny_png(lambda x, y: (255, 255, 255) if (x // 4) % 2 else (0, 0, 0))
PROMPT = "Describe the image."


@pytest.fixture(scope="module")
def vision_url(request: pytest.FixtureRequest) -> str:
    """The vllm-vision server, started (outside any cassette) in live runs."""
    if is_live(request.config):
        import harness  # noqa: PLC0415 - only live runs need the harness

        return harness.ensure_started(["vllm-vision"])["vllm-vision"].openai_url
    return REPLAY_URL + "/v1"


@pytest.fixture(autouse=True)
def _fresh_checks() -> Iterator[None]:
    """check_vision caches answers per server and model: every test asks afresh."""
    clear_checks()
    yield
    clear_checks()


def _vision(url: str, **overrides: Any) -> Any:
    settings = {"temperature": 0, "max_tokens": 12, **overrides}
    return get_vision_model(provider="vllm", base_url=url, model=VISION_MODEL, **settings)


# --- the vision model on vLLM -----------------------------------------------------------------


@pytest.mark.vcr
def test_images_are_accepted_and_counted(vision_url: str) -> None:
    model = _vision(vision_url, max_tokens=4)
    assert check_vision(model) is True  # the /tokenize probe: 200
    counts = []
    for images in ([], [RED], [RED, STRIPES]):
        message = image_message(PROMPT, images, model=model) if images else HumanMessage(PROMPT)
        reply = model.invoke([message])
        assert reply.response_metadata["finish_reason"] == "length"
        counts.append(reply.usage_metadata["input_tokens"])
    assert counts[1] - counts[0] == IMAGE_TOKENS, counts
    assert counts[2] - counts[1] == IMAGE_TOKENS, counts


@pytest.mark.vcr
def test_the_output_depends_on_the_image(vision_url: str) -> None:
    model = _vision(vision_url)
    red = model.invoke([image_message(PROMPT, RED, model=model)]).text
    stripes = model.invoke([image_message(PROMPT, STRIPES, model=model)]).text
    red_again = model.invoke([image_message(PROMPT, RED, model=model)]).text
    assert red != stripes
    assert red == red_again  # greedy: the difference is the image, not sampling


@pytest.mark.vcr
async def test_async_and_streamed(vision_url: str) -> None:
    model = _vision(vision_url, max_tokens=4)
    message = image_message(PROMPT, RED, model=model)
    reply = await model.ainvoke([message])
    chunks = [chunk async for chunk in model.astream([message])]
    streamed = chunks[0]
    for chunk in chunks[1:]:
        streamed += chunk
    assert streamed.text == reply.text
    assert streamed.usage_metadata == reply.usage_metadata


@pytest.mark.vcr
def test_more_images_than_the_server_takes(vision_url: str) -> None:
    """vllm-vision runs with --limit-mm-per-prompt '{"image":2}': vLLM answers HTTP 400
    "At most 2 image(s) may be provided in one prompt."."""
    model = _vision(vision_url)
    with pytest.raises(CapabilityError, match=r"at most 2 image\(s\) per prompt"):
        model.invoke([image_message(PROMPT, [RED, STRIPES, RED], model=model)])


@pytest.mark.vcr
def test_ocr_helpers_on_the_vision_model(vision_url: str) -> None:
    class Fields(BaseModel):
        kind: Literal["photo", "document", "drawing"]
        pages: int

    model = _vision(vision_url, max_tokens=40)
    text = ocr_text([RED, STRIPES], model=model, prompt="Transcribe the text.")
    assert isinstance(text, str)
    assert text
    fields = ocr_fields(RED, Fields, model=model)  # enforced by the server, then checked
    assert isinstance(fields, Fields)


@pytest.mark.live
def test_http_image_urls_are_fetched_by_vllm(vision_url: str) -> None:
    """An http URL is passed on; vLLM fetches it (live only: the URL's port changes)."""
    with _image_server({"/red.png": RED}) as (base, fetched):
        model = _vision(vision_url)
        by_url = model.invoke([image_message(PROMPT, f"{base}/red.png", model=model)])
        inline = model.invoke([image_message(PROMPT, RED, model=model)])
    assert fetched == ["/red.png"]
    assert by_url.text == inline.text
    assert by_url.usage_metadata == inline.usage_metadata


# --- text servers asked for vision -------------------------------------------------------------


@pytest.mark.vcr
def test_vllm_text_server_gives_capability_error(backend_factory: Callable[[str], Backend]) -> None:
    """vLLM 0.32 answers an image sent to a text model with HTTP 400 "smollm2-135m is not a
    multimodal model", on /tokenize (the probe) as on /v1/chat/completions."""
    backend = backend_factory("vllm")
    settings = {"provider": "vllm", "base_url": backend.chat_url, "model": backend.chat_model}
    with pytest.raises(CapabilityError, match="'is not a multimodal model'"):
        get_vision_model(**settings, check=True)
    model = get_vision_model(**settings, max_tokens=4)
    message = image_message(PROMPT, RED, model=model)
    with pytest.raises(CapabilityError, match="'smollm2-135m' cannot read images: vLLM"):
        model.invoke([message])
    with pytest.raises(CapabilityError):
        list(model.stream([message]))


@pytest.mark.vcr
def test_llamacpp_text_server_gives_capability_error(
    backend_factory: Callable[[str], Backend],
) -> None:
    """llama-server lists ``architecture.input_modalities: ["text"]`` in /v1/models and
    answers an image with HTTP 500 "image input is not supported" (no --mmproj)."""
    backend = backend_factory("llamacpp")
    model = get_vision_model(**backend.chat_settings(), max_tokens=4, max_retries=0)
    with pytest.raises(CapabilityError, match="input modalities as text"):
        check_vision(model)
    answer = r"llama\.cpp answered 'image input is not supported'"
    with pytest.raises(CapabilityError, match=answer):
        model.invoke([image_message(PROMPT, RED, model=model)])


# --- Ollama: the real server with a text model, and what our provider sends -------------------


@pytest.mark.vcr
def test_ollama_text_model_is_told_apart_from_a_vision_model(
    backend_factory: Callable[[str], Backend],
) -> None:
    """Ollama 0.5.4 lists no ``capabilities`` in /api/show; check_vision reads the model's
    metadata instead (no projector, no vision tower: a text model) and says so up front. The
    server itself accepts the image for a text model with HTTP 200 and ignores it (only a
    placeholder reaches the prompt), which is why the check matters."""
    backend = backend_factory("ollama")
    model = get_vision_model(**backend.chat_settings(), temperature=0, max_tokens=8)
    with pytest.raises(CapabilityError, match="neither a projector nor a vision tower"):
        check_vision(model)
    with_image = model.invoke([image_message(PROMPT, RED, model=model)]).usage_metadata
    without = model.invoke([HumanMessage(content=[{"type": "text", "text": PROMPT}])])
    assert with_image is not None
    assert without.usage_metadata is not None
    # Ollama writes a text placeholder ("[img-0]", a few tokens) where a read image would put
    # its embeddings (49 tokens with tiny-llava, hundreds with real vision models)
    assert 0 < with_image["input_tokens"] - without.usage_metadata["input_tokens"] < 10


OLLAMA_IMAGE_TOKENS = 49  # the projector of harness/tiny_mmproj.py: (112 / 16) ** 2 patches


@pytest.mark.vcr
def test_ollama_reads_images_with_a_llava_model(backend_factory: Callable[[str], Backend]) -> None:
    """The real Ollama server with ``tiny-llava`` (SmolLM2 + a random CLIP projector): the
    metadata says vision, every image adds its 49 tokens to the prompt, the image changes the
    greedy answer and the same image gives the same answer, on invoke and stream alike."""
    backend = backend_factory("ollama")
    settings = {**backend.chat_settings(), "model": "tiny-llava"}
    model = get_vision_model(**settings, temperature=0, max_tokens=8, seed=1)
    assert check_vision(model) is True  # projector_info in /api/show (0.5.4 has no capabilities)
    counts = []
    for images in ([], [RED], [RED, STRIPES]):
        message = image_message(PROMPT, images, model=model) if images else HumanMessage(PROMPT)
        usage = model.invoke([message]).usage_metadata
        assert usage is not None
        counts.append(usage["input_tokens"])
    # langchain-ollama starts the text of a message with images with a newline: one token
    assert counts[1] - counts[0] - OLLAMA_IMAGE_TOKENS in {0, 1}, counts
    assert counts[2] - counts[1] == OLLAMA_IMAGE_TOKENS, counts
    red = model.invoke([image_message(PROMPT, RED, model=model)]).text
    stripes = model.invoke([image_message(PROMPT, STRIPES, model=model)]).text
    streamed = "".join(c.text for c in model.stream([image_message(PROMPT, RED, model=model)]))
    assert red != stripes
    assert streamed == red  # greedy: the difference is the image, not sampling


@pytest.mark.live
@pytest.mark.parametrize(
    "block",
    [
        lambda url: {"type": "image_url", "image_url": {"url": url}},  # OpenAI's form
        lambda url: {"type": "image", "url": url},  # LangChain's standard block
    ],
    ids=["image_url", "standard"],
)
def test_a_users_own_http_image_reaches_the_real_ollama(
    backend_factory: Callable[[str], Backend], block: Callable[[str], dict[str, Any]]
) -> None:
    """A message the user built with an http URL (no `image_message`): fetched by the package
    and inlined, so the real server answers exactly as for the same image sent inline (live
    only: the image server's port changes)."""
    settings = {**backend_factory("ollama").chat_settings(), "model": "tiny-llava"}
    model = get_vision_model(**settings, temperature=0, max_tokens=8, seed=1)
    with _image_server({"/red.png": RED}) as (base, fetched):
        text = {"type": "text", "text": PROMPT}
        by_url = model.invoke([HumanMessage(content=[text, block(f"{base}/red.png")])])
    inline = model.invoke([image_message(PROMPT, RED, model=model)])
    assert fetched == ["/red.png"]
    assert by_url.text == inline.text
    assert by_url.usage_metadata is not None
    assert inline.usage_metadata is not None
    assert by_url.usage_metadata["input_tokens"] == inline.usage_metadata["input_tokens"]


def test_what_our_ollama_provider_sends_for_images() -> None:
    """At a local listener (exact bytes): base64 in ``images``, URLs fetched first."""
    with (
        _image_server({"/stripes.png": STRIPES}) as (base, fetched),
        ollama_listener() as (url, behaviour),
    ):
        model = get_vision_model(provider="ollama", base_url=url, model="llava:7b")
        message = image_message(PROMPT, [RED, f"{base}/stripes.png"], model=model)
        assert model.invoke([message]).text == "ok"
        assert "".join(str(c.content) for c in model.stream([message])) == "ok"
    assert fetched == ["/stripes.png"]  # fetched once, when the message was built
    chats = [r.body for r in behaviour.requests if r.path == "/api/chat"]
    assert len(chats) == 2
    for body in chats:
        assert body["model"] == "llava:7b"
        assert body["messages"] == [
            {
                "role": "user",
                "content": "\n" + PROMPT,
                "images": [base64.b64encode(RED).decode(), base64.b64encode(STRIPES).decode()],
            }
        ]


# --- helpers -------------------------------------------------------------------------------------


class _ImageHandler(BaseHTTPRequestHandler):
    def __init__(self, files: dict[str, bytes], fetched: list[str], *args: Any) -> None:
        self.files = files
        self.fetched = fetched
        super().__init__(*args)

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.fetched.append(self.path)
        data = self.files.get(self.path)
        self.send_response(200 if data is not None else 404)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(data or b"")))
        self.end_headers()
        self.wfile.write(data or b"")


class _image_server:  # noqa: N801 - used like a function
    """Serve image files on a free port of 127.0.0.1; yields (base URL, paths fetched)."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.fetched: list[str] = []
        self.server = ThreadingHTTPServer(
            ("127.0.0.1", 0), partial(_ImageHandler, files, self.fetched)
        )
        self.server.daemon_threads = True

    def __enter__(self) -> tuple[str, list[str]]:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}", self.fetched

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
