"""The baseline of ``llmswitch bench``: the same requests, sent with bare async httpx.

Each function sends to the endpoint the package resolved (same URL, model and key) the body
the package sends: streamed chat with usage (OpenAI: ``stream_options.include_usage``;
Ollama: NDJSON), and embeddings in the same batches. Nothing else: no LangChain, no SDK,
and one retry only where the package's clients retry too, a connection that failed before
any response (a kept-alive connection the server had just closed; llama-server does). What
the package costs is its rate as a fraction of this one.

Example:
    >>> async def once(url):  # doctest: +SKIP
    ...     async with raw_client(timeout=30, connections=1) as client:
    ...         return await raw_chat(client, "openai", url, "m", None, "Hi", 8, 0)
"""

from __future__ import annotations

import base64
import json
import struct
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from langchain_llmswitch.bench.stats import ChatTiming

__all__ = ["RawEndpoint", "raw_chat", "raw_client", "raw_embeddings"]


@dataclass(frozen=True)
class RawEndpoint:
    """Where the baseline sends: what the package resolved.

    Attributes:
        protocol: ``"openai"`` (``base_url`` ends in ``/v1``) or ``"ollama"`` (server root).
        base_url: As the package resolved it.
        model: The model name.
        api_key: Bearer key for OpenAI-protocol servers (a placeholder when None).
    """

    protocol: str
    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)


def raw_client(timeout: float, connections: int) -> httpx.AsyncClient:
    """Return an httpx client sized for ``connections`` requests in flight.

    Args:
        timeout: Seconds for connect and each read.
        connections: Most connections kept.
    """
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(timeout=timeout, limits=limits)


_BEFORE_RESPONSE = (
    httpx.RemoteProtocolError,
    httpx.ConnectError,
    httpx.ReadError,
    httpx.WriteError,
)


async def _send(
    client: httpx.AsyncClient, request: httpx.Request, *, stream: bool
) -> httpx.Response:
    """Send ``request``; once more if its connection failed before any response arrived.

    A server may close a kept-alive connection just as the pool hands it out (httpx then
    raises ``RemoteProtocolError: Server disconnected without sending a response``). The
    openai SDK and the package's Ollama transport retry such failures, so the baseline does
    too, once, or a lost request would make the package look faster than it is. Timeouts and
    errors after the response began are not retried.
    """
    try:
        return await client.send(request, stream=stream)
    except _BEFORE_RESPONSE:
        return await client.send(request, stream=stream)


def _headers(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key or 'EMPTY'}"}


def _openai_body(model: str, prompt: str, max_tokens: int, seed: int) -> dict[str, Any]:
    return {
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "max_completion_tokens": max_tokens,
        "temperature": 0.0,
        "seed": seed,
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def _ollama_body(model: str, prompt: str, max_tokens: int, seed: int) -> dict[str, Any]:
    return {
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "stream": True,
        "options": {"num_predict": max_tokens, "temperature": 0.0, "seed": seed},
    }


async def raw_chat(
    client: httpx.AsyncClient, endpoint: RawEndpoint, prompt: str, *, max_tokens: int, seed: int
) -> ChatTiming:
    """Send one streamed chat request and time it.

    Args:
        client: The httpx client.
        endpoint: Where to send.
        prompt: The user message.
        max_tokens: Token limit.
        seed: Sampling seed (temperature 0).

    Returns:
        The timing; an error is recorded in it, never raised.
    """
    start = time.perf_counter()
    token_times: list[float] = []
    output_tokens = 0
    try:
        model, base_url = endpoint.model, endpoint.base_url
        if endpoint.protocol == "ollama":
            request = client.build_request(
                "POST", f"{base_url}/api/chat", json=_ollama_body(model, prompt, max_tokens, seed)
            )
        else:
            request = client.build_request(
                "POST",
                f"{base_url}/chat/completions",
                json=_openai_body(model, prompt, max_tokens, seed),
                headers=_headers(endpoint.api_key),
            )
        response = await _send(client, request, stream=True)
        try:
            response.raise_for_status()
            async for line in response.aiter_lines():
                output_tokens = _read_line(endpoint.protocol, line, token_times, output_tokens)
        finally:
            await response.aclose()
    except Exception as error:  # noqa: BLE001 - counted as an error of this request
        return ChatTiming(
            start=start, end=time.perf_counter(), error=f"{type(error).__name__}: {error}"
        )
    end = time.perf_counter()
    return ChatTiming(
        start=start,
        end=end,
        first_token=token_times[0] if token_times else None,
        token_times=tuple(token_times),
        output_tokens=output_tokens,
    )


def _read_line(protocol: str, line: str, token_times: list[float], tokens: int) -> int:
    """Record a text chunk's arrival; return the output tokens reported so far."""
    if protocol == "ollama":
        if not line.strip():
            return tokens
        event = json.loads(line)
        if "error" in event:
            raise RuntimeError(str(event["error"]))
        if (event.get("message") or {}).get("content"):
            token_times.append(time.perf_counter())
        return int(event.get("eval_count", tokens)) if event.get("done") else tokens
    if not line.startswith("data:"):
        return tokens
    data = line[5:].strip()
    if data == "[DONE]":
        return tokens
    event = json.loads(data)
    if any((choice.get("delta") or {}).get("content") for choice in event.get("choices") or []):
        token_times.append(time.perf_counter())
    usage = event.get("usage")
    return int(usage.get("completion_tokens", tokens)) if usage else tokens


async def raw_embeddings(
    client: httpx.AsyncClient, endpoint: RawEndpoint, texts: list[str]
) -> tuple[int, int]:
    """Embed one batch as the package's client would ask for it.

    OpenAI protocol: base64 vectors, as the openai SDK asks for them, decoded here.

    Args:
        client: The httpx client.
        endpoint: Where to send.
        texts: The batch.

    Returns:
        (vectors received, input tokens the server counted).

    Raises:
        httpx.HTTPStatusError: The server refused the batch.
        ValueError: The server returned a different number of vectors.
    """
    model, base_url = endpoint.model, endpoint.base_url
    if endpoint.protocol == "ollama":
        request = client.build_request(
            "POST", f"{base_url}/api/embed", json={"model": model, "input": texts}
        )
        response = await _send(client, request, stream=False)
        response.raise_for_status()
        body = response.json()
        vectors = body.get("embeddings") or []
        tokens = int(body.get("prompt_eval_count") or 0)
    else:
        payload = {"model": model, "input": texts, "encoding_format": "base64"}
        request = client.build_request(
            "POST", f"{base_url}/embeddings", json=payload, headers=_headers(endpoint.api_key)
        )
        response = await _send(client, request, stream=False)
        response.raise_for_status()
        body = response.json()
        vectors = [_decode(item["embedding"]) for item in body["data"]]
        tokens = int((body.get("usage") or {}).get("prompt_tokens") or 0)
    if len(vectors) != len(texts):
        msg = f"{len(vectors)} embeddings for {len(texts)} texts"
        raise ValueError(msg)
    return len(vectors), tokens


def _decode(embedding: str | list[float]) -> list[float]:
    if isinstance(embedding, list):
        return embedding
    raw = base64.b64decode(embedding)
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))
