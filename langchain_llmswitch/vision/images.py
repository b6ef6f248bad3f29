"""Image messages every provider accepts, and whether a model can read images at all.

- `image_message` builds one ``HumanMessage`` (text and images from paths, bytes, Pillow
  images, ``data:`` or http(s) URLs) as OpenAI ``image_url`` blocks. OpenAI-protocol
  servers fetch http(s) URLs themselves; Ollama's API takes none, so for it they are
  fetched here and inlined. Every image is checked (readable, PNG/JPEG/GIF/WebP/BMP by
  its magic bytes, at most ``max_bytes``) before any request, else `ImageError`.
- `check_vision` asks the server, as its spec says (`ProviderSpec.vision_probe`), whether
  the model reads images, and raises `CapabilityError` when it does not.
- `capability_error_from` turns the servers' "no images here" answers (and vLLM's image
  limit per prompt) into `CapabilityError` at call time.

Example:
    >>> from langchain_llmswitch.vision.images import image_message
    >>> png = bytes.fromhex("89504e470d0a1a0a") + bytes(24)
    >>> message = image_message("What is this?", png, provider="vllm")
    >>> [block["type"] for block in message.content]
    ['text', 'image_url']
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
import os
import re
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias
from urllib.parse import unquote, urlsplit

from langchain_llmswitch import server_info, urls
from langchain_llmswitch.config import load_settings
from langchain_llmswitch.errors import CapabilityError, ConfigurationError, ImageError
from langchain_llmswitch.providers import PROVIDERS, normalise_provider_name
from langchain_llmswitch.providers.base import Endpoint, VisionProbe
from langchain_llmswitch.resolution import capability_provider, resolve_endpoint

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import HumanMessage


__all__ = [
    "DEFAULT_FETCH_TIMEOUT",
    "DEFAULT_MAX_IMAGE_BYTES",
    "ImageData",
    "ImageError",
    "ImageSource",
    "capability_error_from",
    "check_vision",
    "checked_messages",
    "clear_checks",
    "image_message",
    "read_image",
    "sniff_image_type",
]

logger = logging.getLogger(__name__)

DEFAULT_MAX_IMAGE_BYTES = 20 * 1024 * 1024
"""Largest image accepted, in bytes (OpenAI's own limit per image is 20 MB)."""
DEFAULT_FETCH_TIMEOUT = 20.0
"""Seconds to fetch an http(s) image that must be inlined (connect and each read)."""
_CHECK_TIMEOUT = 5.0

ImageSource: TypeAlias = "str | os.PathLike[str] | bytes | bytearray | memoryview | Any"
"""A file path, raw bytes, a Pillow image, a ``data:`` URL, or an http(s) URL."""

_PROBE_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
)
"""A 1x1 PNG, the image of the vLLM capability probe."""

_NO_VISION_ANSWERS: tuple[tuple[str, str], ...] = (
    # (text in the server's error, server): what each answers when a text model gets an image
    ("is not a multimodal model", "vLLM"),  # measured: vLLM 0.32, HTTP 400
    ("image input is not supported", "llama.cpp"),  # measured: llama-server, HTTP 500
    ("missing data required for image input", "Ollama"),  # Ollama's ErrNoVisionModel (source)
)
_IMAGE_LIMIT = re.compile(r"At most (\d+) image\(s\) may be provided in one prompt")
"""vLLM 0.32, HTTP 400, when a prompt has more images than ``--limit-mm-per-prompt``."""


@dataclass(frozen=True, slots=True)
class ImageData:
    """One checked image: its bytes and its MIME type (from its magic bytes).

    Attributes:
        data: The encoded image (PNG, JPEG, GIF, WebP or BMP).
        mime_type: ``image/png``, ``image/jpeg``, ``image/gif``, ``image/webp`` or
            ``image/bmp``.
    """

    data: bytes
    mime_type: str

    def base64(self) -> str:
        """Return the image as base64 text (what Ollama's ``images`` field holds)."""
        return base64.b64encode(self.data).decode("ascii")

    def data_url(self) -> str:
        """Return the image as a ``data:`` URL (what OpenAI ``image_url`` blocks hold).

        Example:
            >>> ImageData(b"GIF89a", "image/gif").data_url()
            'data:image/gif;base64,R0lGODlh'
        """
        return f"data:{self.mime_type};base64,{self.base64()}"


def sniff_image_type(data: bytes) -> str | None:
    r"""Return the MIME type of an encoded image from its magic bytes, or None.

    Args:
        data: The first bytes of the file (16 are enough).

    Returns:
        ``image/png``, ``image/jpeg``, ``image/gif``, ``image/webp``, ``image/bmp`` or None.

    Example:
        >>> sniff_image_type(b"\x89PNG\r\n\x1a\n....")
        'image/png'
        >>> sniff_image_type(b"%PDF-1.7") is None
        True
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in {b"GIF87a", b"GIF89a"}:
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    bmp_header_sizes = {12, 40, 52, 56, 64, 108, 124}
    if data[:2] == b"BM" and int.from_bytes(data[14:18], "little") in bmp_header_sizes:
        return "image/bmp"
    return None


# --------------------------------------------------------------------------- reading images


def _describe(source: object) -> str:
    if isinstance(source, bytes | bytearray | memoryview):
        return f"<{len(source)} bytes>"
    if isinstance(source, str) and source.startswith("data:"):
        return source[:40] + ("..." if len(source) > 40 else "")  # noqa: PLR2004
    if isinstance(source, str | os.PathLike):
        return str(source)
    return f"<{type(source).__name__}>"


def _checked(data: bytes, source: str, max_bytes: int) -> ImageData:
    if not data:
        msg = f"Image {source} is empty (0 bytes)."
        raise ImageError(msg, source=source)
    if len(data) > max_bytes:
        msg = (
            f"Image {source} is too large: {len(data):,} bytes, the limit is {max_bytes:,} "
            "(max_bytes=). Scale it down or re-encode it (JPEG) before sending."
        )
        raise ImageError(msg, source=source)
    mime_type = sniff_image_type(data[:32])
    if mime_type is None:
        hint = (
            " It is a PDF: render a page with langchain_llmswitch.vision.ocr."
            if data[:5] == b"%PDF-"
            else ""
        )
        msg = (
            f"Image {source} is not an image this package can send: PNG, JPEG, GIF, WebP or "
            f"BMP expected, the data starts with {data[:8]!r}.{hint}"
        )
        raise ImageError(msg, source=source)
    return ImageData(data, mime_type)


def _is_pillow_image(value: object) -> bool:
    module = sys.modules.get("PIL.Image")  # a Pillow image exists only if Pillow is imported
    return module is not None and isinstance(value, module.Image)


def _from_pillow(image: Any, max_bytes: int) -> ImageData:
    buffer = io.BytesIO()
    try:
        image.save(buffer, format="PNG")
    except (OSError, ValueError):  # modes PNG cannot hold (CMYK, ...)
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="PNG")
    return _checked(buffer.getvalue(), f"<Pillow image {image.size[0]}x{image.size[1]}>", max_bytes)


def _from_path(path: Path, max_bytes: int) -> ImageData:
    source = str(path)
    try:
        size = path.stat().st_size
        if path.is_dir():
            msg = f"Image path {source} is a folder, not a file."
            raise ImageError(msg, source=source)
        if size > max_bytes:
            msg = (
                f"Image {source} is too large: {size:,} bytes, the limit is {max_bytes:,} "
                "(max_bytes=). Scale it down or re-encode it (JPEG) before sending."
            )
            raise ImageError(msg, source=source)
        data = path.read_bytes()
    except FileNotFoundError:
        msg = f"Image file {source} does not exist."
        raise ImageError(msg, source=source) from None
    except OSError as error:
        msg = f"Image file {source} cannot be read: {error.strerror or error}."
        raise ImageError(msg, source=source) from None
    return _checked(data, source, max_bytes)


def _from_data_url(url: str, max_bytes: int) -> ImageData:
    source = _describe(url)
    header, comma, payload = url.partition(",")
    if not comma or not header.endswith(";base64"):
        msg = f"Image {source} is not a base64 data URL (data:image/png;base64,...)."
        raise ImageError(msg, source=source)
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        msg = f"Image {source} has invalid base64 data."
        raise ImageError(msg, source=source) from None
    return _checked(data, source, max_bytes)


def _fetch(url: str, max_bytes: int, timeout: float) -> ImageData:
    import httpx  # noqa: PLC0415 - only when an image is fetched

    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=True) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:  # noqa: PLR2004
                msg = f"Image {url} could not be fetched: HTTP {response.status_code}."
                raise ImageError(msg, source=url)
            declared = response.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                msg = (
                    f"Image {url} is too large: {int(declared):,} bytes, the limit is "
                    f"{max_bytes:,} (max_bytes=)."
                )
                raise ImageError(msg, source=url)
            chunks: list[bytes] = []
            received = 0
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                received += len(chunk)
                if received > max_bytes:
                    msg = f"Image {url} is too large: more than {max_bytes:,} bytes (max_bytes=)."
                    raise ImageError(msg, source=url)
            content_type = response.headers.get("content-type", "unknown")
    except httpx.TimeoutException:
        msg = f"Image {url} could not be fetched: no answer within {timeout:g} s (timeout=)."
        raise ImageError(msg, source=url) from None
    except httpx.HTTPError as error:
        msg = f"Image {url} could not be fetched: {type(error).__name__}: {error}."
        raise ImageError(msg, source=url) from None
    data = b"".join(chunks)
    if sniff_image_type(data[:32]) is None and data:
        msg = (
            f"Image {url} is not an image: the server sent {content_type!r} starting with "
            f"{data[:8]!r} (PNG, JPEG, GIF, WebP or BMP expected)."
        )
        raise ImageError(msg, source=url)
    return _checked(data, url, max_bytes)


def _is_http_url(value: object) -> bool:
    return isinstance(value, str) and value[:8].lower().startswith(("http://", "https://"))


def _from_text(source: str, max_bytes: int, timeout: float) -> ImageData:
    """A URL (http, https, data, file) or a path."""
    if _is_http_url(source):
        return _fetch(source, max_bytes, timeout)
    if source.startswith("data:"):
        return _from_data_url(source, max_bytes)
    if source.startswith("file://"):
        return _from_path(Path(unquote(urlsplit(source).path)), max_bytes)
    if not source.strip():
        msg = "Image path is empty."
        raise ImageError(msg, source=repr(source))
    return _from_path(Path(source).expanduser(), max_bytes)


def read_image(
    source: ImageSource,
    *,
    max_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
    timeout: float = DEFAULT_FETCH_TIMEOUT,
) -> ImageData:
    r"""Read and check one image from wherever it is.

    Args:
        source: A file path (``str`` or ``Path``; ``file://`` URLs too), the encoded bytes,
            a Pillow image (saved as PNG), a ``data:image/...;base64,`` URL, or an http(s)
            URL (fetched).
        max_bytes: Largest image accepted.
        timeout: Seconds to wait when fetching a URL.

    Returns:
        The image bytes and MIME type.

    Raises:
        ImageError: The image cannot be read or fetched, is not a PNG, JPEG, GIF, WebP or
            BMP, or is larger than ``max_bytes``.

    Example:
        >>> read_image(b"GIF89a\x01\x00\x01\x00").mime_type
        'image/gif'
    """
    if isinstance(source, bytes | bytearray | memoryview):
        return _checked(bytes(source), _describe(source), max_bytes)
    if _is_pillow_image(source):
        return _from_pillow(source, max_bytes)
    if isinstance(source, os.PathLike):
        return _from_path(Path(source).expanduser(), max_bytes)
    if isinstance(source, str):
        return _from_text(source, max_bytes, timeout)
    msg = (
        f"Cannot read an image from a {type(source).__name__}: give a file path, bytes, a "
        "Pillow image, a data: URL or an http(s) URL."
    )
    raise ImageError(msg, source=_describe(source))


# --------------------------------------------------------------------------- messages


def _provider_of_model(model: object) -> str:
    target = getattr(model, "bound", model)  # model.bind(...) gives a RunnableBinding
    name = getattr(target, "llmswitch_provider", None)
    if isinstance(name, str):
        return name
    for spec in PROVIDERS.values():
        if spec.owns(target):
            return spec.name
    msg = (
        f"Cannot tell which provider a {type(target).__name__} talks to; pass "
        "provider='ollama', 'vllm' or 'openai' to image_message()."
    )
    raise ConfigurationError(msg, setting="provider")


def _target_provider(model: object | None, provider: str | None) -> str:

    if model is not None and provider is not None:
        msg = "Give image_message() a model or a provider, not both."
        raise ConfigurationError(msg, setting="provider")
    if provider is not None:
        try:
            return normalise_provider_name(provider)
        except ValueError as error:
            msg = f"provider={provider!r}: {error}"
            raise ConfigurationError(msg, setting="provider") from None
    if model is not None:
        return _provider_of_model(model)

    settings = load_settings()
    name = capability_provider(settings, "vision")
    return PROVIDERS[name].name


def image_message(
    text: str,
    images: ImageSource | Sequence[ImageSource],
    *,
    model: BaseChatModel | Any | None = None,
    provider: str | None = None,
    max_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
    timeout: float = DEFAULT_FETCH_TIMEOUT,
    inline_urls: bool | None = None,
) -> HumanMessage:
    """Build a ``HumanMessage`` with text and one or several images for a provider.

    The images are OpenAI ``image_url`` content blocks holding ``data:`` URLs, which
    ChatOpenAI sends as they are (vLLM, OpenAI-compatible servers) and ChatOllama turns
    into Ollama's ``images`` (base64). http(s) URLs are passed on for vLLM and
    OpenAI-compatible servers (the server fetches them) and fetched here and inlined for
    Ollama, whose API accepts no URLs. Every image read or fetched here is checked before
    any request (a URL passed on is the server's to fetch and check). Fetching blocks: in
    async code, build the message in a thread (``asyncio.to_thread``) when it has URLs.

    Args:
        text: The prompt; a text block placed before the images (none if empty).
        images: One image or a list of them: file paths, bytes, Pillow images, ``data:``
            URLs or http(s) URLs.
        model: The model the message is for (its provider decides the form).
        provider: Or the provider name. With neither, the configured vision provider
            (``VISION_PROVIDER``, else ``LLM_PROVIDER``).
        max_bytes: Largest image accepted (also for fetched URLs).
        timeout: Seconds to wait when fetching a URL.
        inline_urls: Fetch http(s) URLs and send the bytes. Default: only for Ollama
            (also when Ollama is in the model's fallback chain). Set it for servers that
            cannot reach the URL.

    Returns:
        The message.

    Raises:
        ImageError: An image cannot be read or fetched, is not an image, or is too large.
        ConfigurationError: The provider is unknown or cannot be told from the model.

    Example:
        >>> message = image_message("Read the text.", ["page1.png", "page2.png"])  # doctest: +SKIP
        >>> get_vision_model().invoke([message]).content  # doctest: +SKIP
    """
    from langchain_core.messages import HumanMessage  # noqa: PLC0415 - keeps import light

    names = {_target_provider(model, provider)}
    for member in getattr(model, "models", None) or []:  # a fallback chain: every member
        names.add(_provider_of_model(member))
    # Ollama's API takes no image URLs: they are fetched here and sent inline.
    specs = [PROVIDERS[name] for name in names if name in PROVIDERS]
    ollama = any(spec.protocol == "ollama" for spec in specs)
    inline = ollama if inline_urls is None else inline_urls
    if isinstance(images, str | bytes | bytearray | memoryview | os.PathLike) or not isinstance(
        images, Sequence
    ):
        sources: list[ImageSource] = [images]
    else:
        sources = list(images)
    if not sources:
        msg = "image_message() got no image; give at least one."
        raise ImageError(msg, source="[]")
    content: list[str | dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    for source in sources:
        if _is_http_url(source) and not inline:
            url = str(source)
            if not urlsplit(url).hostname:
                msg = f"Image URL {url} has no host name."
                raise ImageError(msg, source=url)
        else:
            url = read_image(source, max_bytes=max_bytes, timeout=timeout).data_url()
        content.append({"type": "image_url", "image_url": {"url": url}})
    return HumanMessage(content=content)


# --------------------------------------------------------------------------- user messages


def checked_messages(
    messages: Sequence[Any],
    *,
    inline_urls: bool,
    max_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
    timeout: float = DEFAULT_FETCH_TIMEOUT,
) -> list[Any]:
    """Check every image of a user's own messages; inline http(s) URLs where needed.

    The messages a user builds (OpenAI ``image_url`` blocks with http(s) or ``data:`` URLs,
    LangChain standard ``image`` blocks with a ``url`` or ``base64`` data) get the checks of
    `image_message`: every inline image is an image within ``max_bytes``; for a server that
    takes no URLs (Ollama) URLs are fetched, checked and inlined as ``data:`` URLs.

    Args:
        messages: The messages of a call.
        inline_urls: Fetch http(s) URLs and send the bytes.
        max_bytes: Largest image accepted.
        timeout: Seconds to wait when fetching a URL.

    Returns:
        The messages, with changed copies where an image was inlined.

    Raises:
        ImageError: An image cannot be read or fetched, is not an image, or is too large.
    """
    out = []
    for message in messages:
        content = getattr(message, "content", None)
        if isinstance(content, list) and any(_is_image_block(b) for b in content):
            blocks = [_checked_block(b, inline_urls, max_bytes, timeout) for b in content]
            if blocks != content:
                message = message.model_copy(update={"content": blocks})  # noqa: PLW2901
        out.append(message)
    return out


def _is_image_block(block: object) -> bool:
    return isinstance(block, dict) and block.get("type") in ("image_url", "image")


def _block_url(block: dict[str, Any]) -> str | None:
    """The URL of an image block (``image_url`` or standard ``image``), if it has one."""
    if block.get("type") == "image_url":
        inner = block.get("image_url")
        url = inner.get("url") if isinstance(inner, dict) else inner
        return url if isinstance(url, str) else None
    if block.get("source_type", "url") == "url" and isinstance(block.get("url"), str):
        return str(block["url"])
    return None


def _block_base64(block: dict[str, Any]) -> str | None:
    """The base64 data of a standard ``image`` block (v1 ``base64``, v0 ``data``)."""
    if block.get("type") != "image":
        return None
    data = block.get("base64")
    if data is None and block.get("source_type") == "base64":
        data = block.get("data")
    return data if isinstance(data, str) else None


def _checked_block(block: Any, inline_urls: bool, max_bytes: int, timeout: float) -> Any:
    if not _is_image_block(block):
        return block
    url = _block_url(block)
    if url is not None and _is_http_url(url):
        if not inline_urls:
            if not urlsplit(url).hostname:
                msg = f"Image URL {url} has no host name."
                raise ImageError(msg, source=url)
            return block
        image = _fetch(url, max_bytes, timeout)
        return {"type": "image_url", "image_url": {"url": image.data_url()}}
    if url is not None and url.startswith("data:"):
        _from_data_url(url, max_bytes)
        return block
    data = _block_base64(block) if url is None else url  # a bare base64 string
    if data is not None:
        source = _describe(data[:40])
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            msg = f"Image {source} is neither a URL nor valid base64 data."
            raise ImageError(msg, source=source) from None
        _checked(raw, source, max_bytes)
    return block


# --------------------------------------------------------------------------- capability


def capability_error_from(error: BaseException, model: str = "the model") -> CapabilityError | None:
    """Translate a server's "this model reads no images" error into `CapabilityError`.

    Args:
        error: An error raised by the OpenAI or Ollama client (it has a ``status_code``).
        model: The model name, for the message.

    Returns:
        The `CapabilityError` to raise instead, or None when the error means something else.

    Example:
        >>> class BadRequest(Exception):
        ...     status_code = 400
        >>> error = BadRequest("Error code: 400 - smollm2 is not a multimodal model")
        >>> type(capability_error_from(error, "smollm2")).__name__
        'CapabilityError'
    """
    if not isinstance(getattr(error, "status_code", None), int):
        return None
    text = str(error)
    for answer, server in _NO_VISION_ANSWERS:
        if answer in text:
            msg = (
                f"{model!r} cannot read images: {server} answered {answer!r}. Point "
                "VISION_MODEL / VISION_BASE_URL (or get_vision_model(model=..., base_url=...)) "
                "at a vision model."
            )
            return CapabilityError(msg)
    limit = _IMAGE_LIMIT.search(text)
    if limit is not None:
        msg = (
            f"{model!r} takes at most {limit.group(1)} image(s) per prompt on this server "
            "(vLLM --limit-mm-per-prompt): send fewer images per message."
        )
        return CapabilityError(msg)
    return None


@dataclass(frozen=True, slots=True)
class _Target:
    provider: str
    base_url: str
    model: str
    api_key: str


def _target_of(target: BaseChatModel | Endpoint | Any | None) -> _Target:

    model: Any
    if target is None:
        target = resolve_endpoint("vision")
    if isinstance(target, Endpoint):
        key = target.api_key.get_secret_value() if target.api_key else "EMPTY"
        return _Target(target.provider, target.base_url, target.model, key)
    model = getattr(target, "bound", target)
    inner = getattr(model, "models", None)  # a FallbackChatModel: its primary
    if isinstance(inner, list) and inner:
        model = inner[0]
    provider = _provider_of_model(model)
    if PROVIDERS[provider].protocol == "ollama":  # ChatOllama's fields and default URL
        base_url = getattr(model, "base_url", None) or "http://localhost:11434"
        return _Target(provider, str(base_url), str(model.model), "")
    secret: Any = getattr(model, "openai_api_key", None)
    key = secret.get_secret_value() if hasattr(secret, "get_secret_value") else "EMPTY"
    base_url = getattr(model, "openai_api_base", None) or "https://api.openai.com/v1"
    return _Target(provider, str(base_url).rstrip("/"), str(model.model_name), key)


_VERDICTS: dict[_Target, CapabilityError | None] = {}
"""Definite answers: None for "reads images", else the error to raise again."""
_VERDICTS_LOCK = threading.Lock()


def _no(target: _Target, evidence: str) -> CapabilityError:
    msg = (
        f"{target.model!r} on {urls.masked(target.base_url)} cannot read images ({evidence}). "
        "Point "
        "VISION_MODEL / VISION_BASE_URL (or get_vision_model(model=..., base_url=...)) at a "
        "vision model."
    )
    return CapabilityError(msg)


def _ask_ollama(target: _Target, timeout: float) -> bool | None:
    import httpx  # noqa: PLC0415

    response = httpx.post(
        f"{target.base_url}/api/show", json={"model": target.model}, timeout=timeout
    )
    if response.status_code != 200:  # noqa: PLR2004
        logger.debug(
            "%s/api/show answered HTTP %s", urls.masked(target.base_url), response.status_code
        )
        return None
    info = response.json()
    capabilities = info.get("capabilities") if isinstance(info, dict) else None
    if isinstance(capabilities, list):
        if "vision" in capabilities:
            return True
        raise _no(target, f"Ollama lists its capabilities as {', '.join(map(str, capabilities))}")
    if not isinstance(info, dict):
        return None
    # Ollama before capabilities were listed (0.5.x): a projector or a vision tower means vision
    model_info = info.get("model_info") or {}
    if info.get("projector_info") or any(".vision." in str(key) for key in model_info):
        return True
    if model_info:
        raise _no(target, "Ollama shows neither a projector nor a vision tower in its /api/show")
    return None


def _ask_vllm(target: _Target, timeout: float) -> bool | None:
    import httpx  # noqa: PLC0415

    root = target.base_url.removesuffix("/v1")
    probe = {
        "model": target.model,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "."},
                    {
                        "type": "image_url",
                        "image_url": {"url": ImageData(_PROBE_PNG, "image/png").data_url()},
                    },
                ],
            }
        ],
    }
    headers = {"Authorization": f"Bearer {target.api_key}"}
    response = httpx.post(f"{root}/tokenize", json=probe, headers=headers, timeout=timeout)
    if response.status_code == 200:  # noqa: PLR2004
        return True
    text = response.text
    if "is not a multimodal model" in text:
        raise _no(target, "vLLM answered 'is not a multimodal model'")
    limit = _IMAGE_LIMIT.search(text)
    if limit is not None and limit.group(1) == "0":
        raise _no(target, "the server takes 0 images per prompt (--limit-mm-per-prompt)")
    logger.debug("%s/tokenize answered HTTP %s", root, response.status_code)
    return None


def _ask_openai(target: _Target, timeout: float) -> bool | None:
    response = server_info.get_listing(f"{target.base_url}/models", target.api_key, timeout)
    if response.status_code != 200:  # noqa: PLR2004
        return None
    for model in server_info.parse_models(response.json()):
        if target.model not in {model.id, *model.aliases} or model.input_modalities is None:
            continue
        if "image" in model.input_modalities:
            return True
        listed = ", ".join(model.input_modalities)
        raise _no(target, f"the server lists its input modalities as {listed}")
    return None


_PROBES: dict[VisionProbe, Callable[[_Target, float], bool | None]] = {
    "ollama_show": _ask_ollama,
    "vllm_tokenize": _ask_vllm,
    "models_list": _ask_openai,
}


def check_vision(
    target: BaseChatModel | Endpoint | Any | None = None,
    *,
    timeout: float = _CHECK_TIMEOUT,
) -> bool:
    """Ask the server whether a model reads images; raise `CapabilityError` if it does not.

    How each server tells: Ollama lists ``vision`` in ``/api/show`` capabilities; vLLM
    answers a ``/tokenize`` probe holding a 1x1 image (nothing is generated) with HTTP 400
    "... is not a multimodal model" for a text model; llama.cpp lists
    ``architecture.input_modalities`` in ``/v1/models``. Other servers cannot tell.
    Definite answers are cached per server and model; "cannot tell" is not.

    Args:
        target: A chat model (from `get_vision_model` or any ChatOllama / ChatOpenAI),
            an `Endpoint`, or None for the configured vision endpoint.
        timeout: Seconds to wait for the server.

    Returns:
        True when the server confirmed that the model reads images; False when it could
        not tell (unreachable, or a server that does not say).

    Raises:
        CapabilityError: The server says the model reads no images.

    Example:
        >>> check_vision(get_vision_model())  # doctest: +SKIP
        True
    """
    resolved = _target_of(target)
    with _VERDICTS_LOCK:
        if resolved in _VERDICTS:
            known = _VERDICTS[resolved]
            if known is not None:
                raise CapabilityError(str(known))
            return True
    ask = _PROBES[PROVIDERS[resolved.provider].vision_probe]
    try:
        verdict = ask(resolved, timeout)
    except CapabilityError as error:
        with _VERDICTS_LOCK:
            _VERDICTS[resolved] = error
        raise
    except Exception as error:  # noqa: BLE001 - a check must never break the caller
        logger.info(
            "could not check vision of %r at %s: %s",
            resolved.model,
            resolved.base_url,
            type(error).__name__,
        )
        return False
    if verdict is None:
        return False
    with _VERDICTS_LOCK:
        _VERDICTS[resolved] = None
    return True


def clear_checks() -> None:
    """Forget every cached `check_vision` answer (a server was restarted with a new model)."""
    with _VERDICTS_LOCK:
        _VERDICTS.clear()
