"""Image messages per provider (exact blocks and exact wire JSON), bad images, vision checks."""

from __future__ import annotations

import base64
import json
import struct
import sys
import types
import zlib
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from langchain_core.messages import HumanMessage
from langchain_ollama import ChatOllama
from langchain_openai import ChatOpenAI

from langchain_llmswitch import (
    CapabilityError,
    ConfigurationError,
    ImageError,
    LLMSwitchError,
    get_chat_model,
    get_vision_model,
    image_message,
    resolve_endpoint,
)
from langchain_llmswitch.providers import PROVIDERS
from langchain_llmswitch.providers.base import Endpoint
from langchain_llmswitch.providers.ollama_chat import SwitchChatOllama
from langchain_llmswitch.providers.openai_chat import SwitchChatOpenAI
from langchain_llmswitch.reliability.fallback import FallbackChatModel
from langchain_llmswitch.vision import images as images_module
from langchain_llmswitch.vision.images import (
    ImageData,
    capability_error_from,
    check_vision,
    clear_checks,
    read_image,
    sniff_image_type,
)

from .wire import chat_with_recorder


def png(width: int = 4, height: int = 4, rgb: tuple[int, int, int] = (255, 0, 0)) -> bytes:
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


RED = png(rgb=(255, 0, 0))
BLUE = png(rgb=(0, 0, 255))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(20)
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8 " + bytes(16)
BMP = b"BM" + bytes(12) + (40).to_bytes(4, "little") + bytes(20)


def data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def image_block(url: str) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url}}


@pytest.fixture(autouse=True)
def _forget_checks() -> Any:
    clear_checks()
    yield
    clear_checks()


# --- sniffing and reading -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (RED, "image/png"),
        (JPEG, "image/jpeg"),
        (GIF, "image/gif"),
        (b"GIF87a" + bytes(8), "image/gif"),
        (WEBP, "image/webp"),
        (BMP, "image/bmp"),
        (b"%PDF-1.7\n", None),
        (b"<html><body>", None),
        (b"BM but not a bitmap header", None),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", None),
        (b"", None),
    ],
)
def test_sniff_image_type(data: bytes, mime: str | None) -> None:
    assert sniff_image_type(data) == mime


def test_read_image_from_bytes_path_and_urls(tmp_path: Path) -> None:
    file = tmp_path / "red image.png"
    file.write_bytes(RED)
    expected = ImageData(RED, "image/png")
    assert read_image(RED) == expected
    assert read_image(bytearray(RED)) == expected
    assert read_image(memoryview(RED)) == expected
    assert read_image(file) == expected
    assert read_image(str(file)) == expected
    assert read_image(file.as_uri()) == expected  # file:// URL, %20 decoded
    assert read_image(data_url(RED)) == expected
    assert read_image(data_url(GIF, "image/whatever")).mime_type == "image/gif"  # sniffed


def test_image_data_urls() -> None:
    image = ImageData(GIF, "image/gif")
    assert image.base64() == base64.b64encode(GIF).decode()
    assert image.data_url() == "data:image/gif;base64," + image.base64()


@pytest.mark.parametrize(
    ("source", "words"),
    [
        (b"", ["empty"]),
        (b"hello, world", ["not an image", "PNG, JPEG, GIF, WebP or BMP", "b'hello, w'"]),
        (b"%PDF-1.7\n...", ["not an image", "It is a PDF", "langchain_llmswitch.vision.ocr"]),
        ("data:image/png,not-base64", ["not a base64 data URL"]),
        ("data:image/png;base64,@@@@", ["invalid base64"]),
        ("", ["path is empty"]),
        (12345, ["Cannot read an image from a int", "file path, bytes"]),
    ],
)
def test_bad_images_raise_clear_errors(source: Any, words: list[str]) -> None:
    with pytest.raises(ImageError) as caught:
        read_image(source)
    for word in words:
        assert word in str(caught.value)
    assert isinstance(caught.value, LLMSwitchError)
    assert isinstance(caught.value, ValueError)


def test_missing_unreadable_and_folder_paths(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="does not exist") as caught:
        read_image(tmp_path / "nope.png")
    assert caught.value.source == str(tmp_path / "nope.png")
    with pytest.raises(ImageError, match="is a folder"):
        read_image(tmp_path)
    text = tmp_path / "notes.png"
    text.write_text("not really a png")
    with pytest.raises(ImageError, match=r"notes\.png is not an image"):
        read_image(text)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "locked.png"
    file.write_bytes(RED)

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(ImageError, match="cannot be read: Permission denied"):
        read_image(file)


def test_too_large(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"too large: 1,000 bytes, the limit is 999"):
        read_image(RED + bytes(1000 - len(RED)), max_bytes=999)
    big = tmp_path / "big.png"
    big.write_bytes(RED + bytes(5000))
    with pytest.raises(ImageError, match=r"too large: 5,\d+ bytes, the limit is 100 "):
        read_image(big, max_bytes=100)
    assert read_image(RED, max_bytes=len(RED)).data == RED  # the limit itself is fine


class FakePillowImage:
    """Stands in for PIL.Image.Image: Pillow is not a dependency of this package."""

    size = (4, 4)

    def __init__(self, fail_first: bool = False) -> None:
        self.fail_first = fail_first
        self.saved: list[str] = []

    def save(self, buffer: Any, format: str) -> None:  # noqa: A002 - Pillow's name
        self.saved.append(format)
        if self.fail_first:
            self.fail_first = False
            msg = "cannot write mode CMYK as PNG"
            raise OSError(msg)
        buffer.write(RED)

    def convert(self, mode: str) -> FakePillowImage:
        assert mode == "RGB"
        return self


def test_pillow_images_are_sent_as_png(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("PIL.Image")
    fake.Image = FakePillowImage  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "PIL.Image", fake)
    image = FakePillowImage()
    assert read_image(image) == ImageData(RED, "image/png")
    assert image.saved == ["PNG"]
    cmyk = FakePillowImage(fail_first=True)
    assert read_image(cmyk).mime_type == "image/png"
    assert cmyk.saved == ["PNG", "PNG"]
    message = image_message("hi", image, provider="vllm")
    assert message.content[1] == image_block(data_url(RED))


def test_without_pillow_an_object_is_not_an_image(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "PIL.Image", raising=False)
    with pytest.raises(ImageError, match="Cannot read an image from a FakePillowImage"):
        read_image(FakePillowImage())


# --- fetching http(s) images (inlined for Ollama) ------------------------------------------


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Serve URLs from a dict through httpx's MockTransport (sockets are off here)."""
    routes: dict[str, Any] = {}
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        answer = routes.get(str(request.url))
        if answer is None:
            return httpx.Response(404, text="not found")
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[no-any-return]

    real_client = httpx.Client

    def client(**kwargs: Any) -> httpx.Client:
        assert kwargs["follow_redirects"] is True
        return real_client(transport=httpx.MockTransport(handler), **kwargs)

    monkeypatch.setattr(httpx, "Client", client)
    return {"routes": routes, "seen": seen}


def test_ollama_gets_http_images_inlined(web: dict[str, Any]) -> None:
    url = "https://example.test/scan.png?size=small,big"  # a comma would break ChatOllama
    web["routes"][url] = httpx.Response(200, content=RED, headers={"content-type": "image/png"})
    message = image_message("Read it.", url, provider="ollama")
    assert message.content == [{"type": "text", "text": "Read it."}, image_block(data_url(RED))]
    assert web["seen"] == [url]


def test_openai_servers_get_http_urls_as_they_are(web: dict[str, Any]) -> None:
    url = "https://example.test/scan.png"
    for provider in ("vllm", "openai"):
        message = image_message("Read it.", url, provider=provider)
        assert message.content[1] == image_block(url)
    assert web["seen"] == []  # the server fetches it, not us
    web["routes"][url] = httpx.Response(200, content=GIF)
    inlined = image_message("Read it.", url, provider="vllm", inline_urls=True)
    assert inlined.content[1] == image_block(data_url(GIF, "image/gif"))
    with pytest.raises(ImageError, match="has no host name"):
        image_message("x", "http:///scan.png", provider="vllm")


def test_a_fallback_chain_with_ollama_gets_urls_inlined(request: pytest.FixtureRequest) -> None:
    vllm = get_chat_model(provider="vllm", model="m")
    chain = FallbackChatModel(models=[vllm, get_chat_model(model="llava")], providers=["v", "o"])
    web = request.getfixturevalue("web")  # after building: it replaces httpx.Client
    url = "https://example.test/scan.png"
    web["routes"][url] = httpx.Response(200, content=RED)
    assert image_message("x", url, model=vllm).content[1] == image_block(url)
    assert image_message("x", url, model=chain).content[1] == image_block(data_url(RED))


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (httpx.Response(404, text="nope"), ["could not be fetched: HTTP 404"]),
        (httpx.ReadTimeout("slow"), ["no answer within 3 s", "timeout="]),
        (httpx.ConnectError("refused"), ["could not be fetched: ConnectError: refused"]),
        (
            httpx.Response(200, text="<html>login</html>", headers={"content-type": "text/html"}),
            ["is not an image", "'text/html", "b'<html>lo'"],
        ),
        (
            httpx.Response(200, content=RED + bytes(100), headers={"content-length": "999999"}),
            ["too large: 999,999 bytes, the limit is 120"],
        ),
        (  # no content-length: counted while reading
            httpx.Response(200, content=iter([RED, bytes(100)])),
            ["too large: more than 120 bytes"],
        ),
        (httpx.Response(200, content=b""), ["empty"]),
    ],
)
def test_fetch_failures_are_clear(web: dict[str, Any], answer: Any, words: list[str]) -> None:
    url = "http://example.test/a.png"
    web["routes"][url] = answer
    with pytest.raises(ImageError) as caught:
        image_message("x", url, provider="ollama", timeout=3, max_bytes=120)
    for word in words:
        assert word in str(caught.value)
    assert caught.value.source == url


# --- the message, per provider --------------------------------------------------------------


@pytest.mark.parametrize("provider", ["ollama", "vllm", "openai"])
def test_message_blocks_are_the_same_for_inline_images(provider: str, tmp_path: Path) -> None:
    (tmp_path / "blue.png").write_bytes(BLUE)
    message = image_message(
        "Compare.", [RED, tmp_path / "blue.png", data_url(GIF, "image/gif")], provider=provider
    )
    assert isinstance(message, HumanMessage)
    assert message.content == [
        {"type": "text", "text": "Compare."},
        image_block(data_url(RED)),
        image_block(data_url(BLUE)),
        image_block(data_url(GIF, "image/gif")),
    ]


def test_message_without_text_and_errors_before_any_request() -> None:
    assert image_message("", RED, provider="vllm").content == [image_block(data_url(RED))]
    with pytest.raises(ImageError, match="got no image"):
        image_message("x", [], provider="vllm")
    with pytest.raises(ImageError, match="is not an image"):
        image_message("x", [RED, b"not an image"], provider="vllm")


def test_provider_comes_from_the_model_or_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    ollama = get_vision_model(provider="ollama", model="llava:7b")
    vllm = get_vision_model(provider="vllm", model="smolvlm", base_url="http://v:8000")
    assert images_module._target_provider(ollama, None) == "ollama"
    assert images_module._target_provider(vllm, None) == "vllm"
    assert images_module._target_provider(vllm.bind(stop=["x"]), None) == "vllm"
    assert images_module._target_provider(None, " llama.cpp ") == "openai"
    assert images_module._target_provider(ChatOllama(model="m"), None) == "ollama"
    assert images_module._target_provider(ChatOpenAI(model="m", api_key="k"), None) == "openai"
    monkeypatch.setenv("LLM_PROVIDER", "vllm")
    assert images_module._target_provider(None, None) == "vllm"
    monkeypatch.setenv("OCR_PROVIDER", "ollama")
    assert images_module._target_provider(None, None) == "ollama"


def test_provider_errors() -> None:
    with pytest.raises(ConfigurationError, match="not both"):
        image_message("x", RED, model=get_chat_model(model="m"), provider="ollama")
    with pytest.raises(ConfigurationError, match=r"provider='olama'.*Did you mean 'ollama'"):
        image_message("x", RED, provider="olama")
    with pytest.raises(ConfigurationError, match="Cannot tell which provider a object"):
        image_message("x", RED, model=object())


# --- the exact JSON on the wire ---------------------------------------------------------------

ENDPOINTS = {
    "ollama": {"provider": "ollama", "model": "llava:7b"},
    "vllm": {"provider": "vllm", "model": "smolvlm", "base_url": "http://vllm:8000/v1"},
    "openai": {"provider": "openai", "model": "gemma3", "base_url": "http://llama:8080/v1"},
}


def _recorded(provider: str) -> tuple[Any, Any]:
    return chat_with_recorder(resolve_endpoint("vision", **ENDPOINTS[provider]))


@pytest.mark.parametrize("provider", ["vllm", "openai"])
def test_openai_wire_json(provider: str) -> None:
    chat, recorder = _recorded(provider)
    url = "https://example.test/page.png"
    chat.invoke([image_message("Read both.", [RED, url], model=chat)])
    assert recorder.bodies[-1]["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Read both."},
                {"type": "image_url", "image_url": {"url": data_url(RED)}},
                {"type": "image_url", "image_url": {"url": url}},
            ],
        }
    ]


def test_ollama_wire_json() -> None:
    chat, recorder = _recorded("ollama")
    chat.invoke([image_message("Read both.", [RED, BLUE], model=chat)])
    assert recorder.bodies[-1]["messages"] == [
        {
            "role": "user",
            "content": "\nRead both.",  # ChatOllama joins text parts after a newline
            "images": [base64.b64encode(RED).decode(), base64.b64encode(BLUE).decode()],
        }
    ]


def test_a_users_own_url_image_is_fetched_for_ollama_never_sent_as_a_file_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """langchain-ollama 1.1.0 alone takes the text after the first comma of an image URL
    as its base64 (the whole URL when there is none): the ollama client then refuses a name
    that looks like a missing file ("File https://... does not exist"), or sends any text
    that happens to decode as base64. The package fetches the URL (the real fetch is tested
    live) and sends the image's bytes; vLLM gets the URL, which it fetches itself."""
    fetched: list[str] = []

    def fetch(url: str, max_bytes: int, timeout: float) -> ImageData:
        fetched.append(url)
        return ImageData(RED, "image/png")

    monkeypatch.setattr(images_module, "_fetch", fetch)
    urls = ["https://example.test/a.png", "https://example.test/img?id=7,abcd"]
    for provider in ("ollama", "vllm"):
        chat, recorder = _recorded(provider)
        for url in urls:
            chat.invoke([HumanMessage(content=[{"type": "image_url", "image_url": {"url": url}}])])
        sent = recorder.bodies
        if provider == "ollama":
            assert [body["messages"][0]["images"] for body in sent] == [[_b64(RED)]] * 2
        else:
            assert [body["messages"][0]["content"][0]["image_url"]["url"] for body in sent] == urls
    assert fetched == urls  # for Ollama only


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.mark.parametrize("provider", ["vllm", "ollama"])
def test_a_users_own_image_that_is_not_an_image_is_refused_before_any_request(
    provider: str,
) -> None:
    chat, recorder = _recorded(provider)
    text = base64.b64encode(b"<html>not an image</html>").decode()
    blocks: list[Any] = [
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{text}"}},
        {"type": "image", "base64": text, "mime_type": "image/png"},
        {"type": "image", "source_type": "base64", "data": text, "mime_type": "image/png"},
    ]
    for block in blocks:
        with pytest.raises(ImageError, match="is not an image"):
            chat.invoke([HumanMessage(content=[{"type": "text", "text": "hi"}, block])])
    assert recorder.bodies == []


@pytest.mark.parametrize("provider", ["vllm", "ollama"])
def test_a_users_own_image_over_the_limit_is_refused_before_any_request(provider: str) -> None:
    chat, recorder = _recorded(provider)
    big = "data:image/png;base64," + base64.b64encode(RED + bytes(21 * 1024 * 1024)).decode()
    message = HumanMessage(content=[{"type": "image_url", "image_url": {"url": big}}])
    with pytest.raises(ImageError, match="is too large"):
        chat.invoke([message])
    assert recorder.bodies == []


def test_a_users_own_image_in_standard_blocks_reaches_ollama_as_base64() -> None:
    chat, recorder = _recorded("ollama")
    data = base64.b64encode(RED).decode()
    chat.invoke(
        [HumanMessage(content=[{"type": "image", "base64": data, "mime_type": "image/png"}])]
    )
    assert recorder.bodies[-1]["messages"][0]["images"] == [data]


# --- capability errors at call time ------------------------------------------------------------

VLLM_400 = {
    "error": {
        "message": "smollm2-135m is not a multimodal model",
        "type": "BadRequestError",
        "param": None,
        "code": 400,
    }
}
LLAMACPP_500 = {
    "error": {
        "code": 500,
        "message": "image input is not supported - hint: if this is unexpected, you may need "
        "to provide the mmproj",
        "type": "server_error",
    }
}
VLLM_LIMIT = {
    "error": {
        "message": "At most 2 image(s) may be provided in one prompt. (parameter=image)",
        "type": "BadRequestError",
        "param": "image",
        "code": 400,
    }
}
OLLAMA_500 = {"error": "this model is missing data required for image input"}


def _failing(provider: str, status: int, body: dict[str, Any]) -> tuple[Any, list[str]]:
    """A vision model whose server answers every chat request with ``status`` and ``body``."""
    endpoint = resolve_endpoint("vision", **ENDPOINTS[provider], max_retries=0)
    spec = PROVIDERS[provider]
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        return httpx.Response(status, json=body)

    kwargs = spec.chat_kwargs(endpoint)
    if provider == "ollama":
        kwargs["sync_client_kwargs"] = {"transport": httpx.MockTransport(handler)}
        kwargs["async_client_kwargs"] = {"transport": httpx.MockTransport(handler)}
    else:
        kwargs["http_client"] = httpx.Client(transport=httpx.MockTransport(handler))
        kwargs["http_async_client"] = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return spec.load_chat_class()(**kwargs), paths


CASES = [
    ("vllm", 400, VLLM_400, "vLLM answered 'is not a multimodal model'"),
    ("openai", 500, LLAMACPP_500, "llama.cpp answered 'image input is not supported'"),
    ("ollama", 500, OLLAMA_500, "Ollama answered 'missing data required for image input'"),
    ("vllm", 400, VLLM_LIMIT, "at most 2 image(s) per prompt"),
]


@pytest.mark.parametrize(("provider", "status", "body", "words"), CASES)
async def test_no_image_answers_become_capability_errors(
    provider: str, status: int, body: dict[str, Any], words: str
) -> None:
    model, paths = _failing(provider, status, body)
    message = image_message("x", RED, model=model)
    with pytest.raises(CapabilityError, match=words.replace("(", r"\(").replace(")", r"\)")):
        model.invoke([message])
    with pytest.raises(CapabilityError):
        list(model.stream([message]))
    with pytest.raises(CapabilityError):
        await model.ainvoke([message])
    with pytest.raises(CapabilityError):
        [chunk async for chunk in model.astream([message])]
    assert len(paths) == 4  # one request each: nothing sent twice


def test_other_errors_pass_through() -> None:
    model, _ = _failing("vllm", 400, {"error": {"message": "max_tokens is too large"}})
    with pytest.raises(openai.BadRequestError, match="max_tokens is too large"):
        model.invoke("hi")


def test_capability_error_from() -> None:
    class APIError(Exception):
        status_code = 400

    assert capability_error_from(ValueError("is not a multimodal model")) is None  # no status
    assert capability_error_from(APIError("context length exceeded")) is None
    error = capability_error_from(APIError("m is not a multimodal model"), "m")
    assert isinstance(error, CapabilityError)
    assert "'m' cannot read images" in str(error)
    assert "VISION_MODEL" in str(error)


def test_every_model_translates_no_image_answers() -> None:
    """Chat and vision models alike: the classes are the package's own, nothing swapped."""
    vllm = get_vision_model(provider="vllm", model="smolvlm", base_url="http://v:8000")
    ollama = get_vision_model(provider="ollama", model="llava:7b")
    assert type(vllm) is SwitchChatOpenAI
    assert type(ollama) is SwitchChatOllama
    assert isinstance(vllm, ChatOpenAI)
    assert isinstance(ollama, ChatOllama)
    assert vllm.lc_id() == ChatOpenAI.lc_id()


# --- check_vision -------------------------------------------------------------------------------


class Server:
    """Answers httpx.get/httpx.post with canned responses and records the requests."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.requests: list[tuple[str, str, Any]] = []

    def _answer(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        self.requests.append((method, url, kwargs.get("json")))
        answer = self.answers.get(url)
        if isinstance(answer, Exception):
            raise answer
        if answer is None:
            return httpx.Response(404, text="not found")
        status, body = answer
        return httpx.Response(status, json=body)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._answer("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._answer("POST", url, **kwargs)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Server:
    fake = Server({})
    monkeypatch.setattr(httpx, "get", fake.get)
    monkeypatch.setattr(httpx, "post", fake.post)
    return fake


OLLAMA = "http://ollama:11434"
VLLM = "http://vllm:8000"
LLAMA = "http://llama:8080/v1"


def test_ollama_capabilities(server: Server) -> None:
    server.answers[f"{OLLAMA}/api/show"] = (200, {"capabilities": ["completion", "vision"]})
    assert check_vision(get_vision_model(base_url=OLLAMA, model="llava:7b")) is True
    assert server.requests == [("POST", f"{OLLAMA}/api/show", {"model": "llava:7b"})]
    server.answers[f"{OLLAMA}/api/show"] = (200, {"capabilities": ["completion", "tools"]})
    with pytest.raises(CapabilityError, match="Ollama lists its capabilities as completion, tools"):
        check_vision(get_vision_model(base_url=OLLAMA, model="llama3.1:8b"))


def test_old_ollama_without_capabilities(server: Server) -> None:
    server.answers[f"{OLLAMA}/api/show"] = (200, {"projector_info": {"clip.has_vision": True}})
    assert check_vision(get_vision_model(base_url=OLLAMA, model="llava:7b")) is True
    server.answers[f"{OLLAMA}/api/show"] = (200, {"model_info": {}})
    assert check_vision(get_vision_model(base_url=OLLAMA, model="old")) is False


def test_vllm_probe(server: Server) -> None:
    server.answers[f"{VLLM}/tokenize"] = (200, {"count": 80})
    model = get_vision_model(provider="vllm", base_url=f"{VLLM}/v1", model="smolvlm")
    assert check_vision(model) is True
    method, url, body = server.requests[0]
    assert (method, url) == ("POST", f"{VLLM}/tokenize")  # the root, not /v1: no generation
    assert body["model"] == "smolvlm"
    probe = body["messages"][0]["content"]
    assert probe[0] == {"type": "text", "text": "."}
    assert sniff_image_type(base64.b64decode(probe[1]["image_url"]["url"].split(",")[1])) == (
        "image/png"
    )
    server.answers[f"{VLLM}/tokenize"] = (400, VLLM_400)
    text = get_vision_model(provider="vllm", base_url=f"{VLLM}/v1", model="smollm2-135m")
    with pytest.raises(CapabilityError, match="vLLM answered 'is not a multimodal model'"):
        check_vision(text)


def test_vllm_with_images_turned_off(server: Server) -> None:
    limit = {"error": {"message": "At most 0 image(s) may be provided in one prompt."}}
    server.answers[f"{VLLM}/tokenize"] = (400, limit)
    with pytest.raises(CapabilityError, match="takes 0 images per prompt"):
        check_vision(get_vision_model(provider="vllm", base_url=VLLM, model="smolvlm"))


def test_openai_compatible_input_modalities(server: Server) -> None:
    def models(modalities: list[str] | None) -> tuple[int, dict[str, Any]]:
        entry: dict[str, Any] = {"id": "other", "aliases": ["gemma3"]}
        if modalities is not None:
            entry["architecture"] = {"input_modalities": modalities}
        return 200, {"data": [{"id": "x"}, entry]}

    model = get_vision_model(provider="openai", base_url=LLAMA, model="gemma3")
    server.answers[f"{LLAMA}/models"] = models(["text", "image"])
    assert check_vision(model) is True
    clear_checks()
    server.answers[f"{LLAMA}/models"] = models(["text"])
    with pytest.raises(CapabilityError, match="input modalities as text"):
        check_vision(model)
    clear_checks()
    server.answers[f"{LLAMA}/models"] = models(None)  # LM Studio, OpenAI: cannot tell
    assert check_vision(model) is False


def test_answers_are_cached_and_failures_are_not(server: Server) -> None:
    model = get_vision_model(provider="vllm", base_url=VLLM, model="smolvlm")
    server.answers[f"{VLLM}/tokenize"] = httpx.ConnectError("refused")
    assert check_vision(model) is False  # cannot tell: not an error, not cached
    server.answers[f"{VLLM}/tokenize"] = (400, VLLM_400)
    with pytest.raises(CapabilityError):
        check_vision(model)
    with pytest.raises(CapabilityError, match="is not a multimodal model"):
        check_vision(model)  # cached, with the same evidence
    assert len(server.requests) == 2
    clear_checks()
    server.answers[f"{VLLM}/tokenize"] = (200, {})
    assert check_vision(model) is True
    assert check_vision(model) is True
    assert len(server.requests) == 3


def test_check_vision_of_an_endpoint_or_the_settings(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.answers[f"{VLLM}/tokenize"] = (200, {})
    endpoint = resolve_endpoint("vision", provider="vllm", base_url=VLLM, model="smolvlm")
    assert isinstance(endpoint, Endpoint)
    assert check_vision(endpoint) is True
    clear_checks()
    monkeypatch.setenv("VISION_PROVIDER", "vllm")
    monkeypatch.setenv("VISION_BASE_URL", VLLM)
    monkeypatch.setenv("VISION_MODEL", "smolvlm")
    assert check_vision() is True
    assert [url for _, url, _ in server.requests] == [f"{VLLM}/tokenize"] * 2


def test_get_vision_model_checks_only_when_asked(server: Server) -> None:
    server.answers[f"{VLLM}/tokenize"] = (400, VLLM_400)
    settings = {"provider": "vllm", "base_url": VLLM, "model": "smollm2-135m"}
    get_vision_model(**settings)
    assert server.requests == []  # building the model asks no server
    with pytest.raises(CapabilityError, match="cannot read images"):
        get_vision_model(**settings, check=True)
    server.answers.clear()  # unreachable / cannot tell: the model is still built
    assert get_vision_model(provider="vllm", base_url=VLLM, model="m2", check=True) is not None


def test_probe_payload_is_json() -> None:
    assert json.loads(json.dumps({"url": ImageData(RED, "image/png").data_url()}))
