"""Readiness behind a router: the router's own probe, its workers, no router remembered.

The answers are vllm-router 0.1.17's, as measured in front of two llama-servers (see
docs/scale-out.md); the live tests (test_router_live.py) run the real router.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from langchain_llmswitch import resolve_endpoint, server_info
from langchain_llmswitch.providers import PROVIDERS
from langchain_llmswitch.providers.routers import ROUTERS
from langchain_llmswitch.reliability.readiness import probe

ROOT = "http://router:8000"
WORKERS = {
    "workers": [
        {"url": "http://a:8000", "model_id": "unknown", "is_healthy": False, "load": 0},
        {"url": "http://b:8000", "model_id": "unknown", "is_healthy": True, "load": 0},
    ],
    "total": 2,
}
MODELS = {"object": "list", "data": [{"id": "m", "max_model_len": 2048, "owned_by": "vllm"}]}


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    server_info.forget()
    yield
    server_info.forget()


def _serve(monkeypatch: pytest.MonkeyPatch, routes: dict[str, tuple[int, Any]]) -> list[str]:
    """Answer ``httpx.get`` from ``routes`` (path -> status, JSON); return the paths asked."""
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        status, payload = routes.get(request.url.path, (404, {"error": "not found"}))
        return httpx.Response(status, content=json.dumps(payload).encode())

    client = httpx.Client(transport=httpx.MockTransport(handler))

    def get(url: str, **kwargs: Any) -> httpx.Response:
        kwargs.pop("timeout", None)
        return client.get(url, **kwargs)

    monkeypatch.setattr(httpx, "get", get)
    return asked


def _vllm() -> Any:
    return resolve_endpoint("chat", provider="vllm", base_url=ROOT + "/v1", model="m")


def test_one_worker_down_is_still_ready_and_health_is_not_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked = _serve(
        monkeypatch,
        {
            "/readiness": (200, {"status": "ready", "healthy_workers": 1, "total_workers": 2}),
            "/health": (503, "Unhealthy servers"),
            "/workers": (200, WORKERS),
            "/v1/models": (200, MODELS),
        },
    )
    found = probe(_vllm())
    assert found.ready, found.reason
    assert found.router is not None
    assert (found.router.name, found.router.healthy_workers, found.router.total_workers) == (
        "vllm-router",
        1,
        2,
    )
    assert [(w.url, w.healthy) for w in found.router.workers] == [
        ("http://a:8000", False),
        ("http://b:8000", True),
    ]
    assert "/health" not in asked


def test_a_router_without_healthy_workers_is_not_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    readiness = {"status": "not ready", "healthy_workers": 0, "total_workers": 2}
    _serve(monkeypatch, {"/readiness": (503, readiness), "/workers": (200, WORKERS)})
    found = probe(_vllm())
    assert not found.ready
    assert found.reachable
    assert "vllm-router" in found.reason
    assert "0 of 2 workers healthy" in found.reason


def test_a_server_that_is_no_router_is_asked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _serve(monkeypatch, {"/health": (200, {}), "/v1/models": (200, MODELS)})
    for _ in range(3):
        found = probe(_vllm())
        assert found.ready
        assert found.router is None
    assert asked.count("/readiness") == 1
    assert asked.count("/health") == 3  # the provider's own probe, every time


def test_an_unreachable_server_is_asked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def refuse(url: str, **_kwargs: Any) -> httpx.Response:
        calls.append(url)
        raise httpx.ConnectError("refused")

    monkeypatch.setattr(httpx, "get", refuse)
    assert not probe(_vllm()).reachable
    assert not probe(_vllm()).reachable
    assert sum(url.endswith("/readiness") for url in calls) == 2


def test_every_router_a_provider_names_is_in_the_table() -> None:
    named = {name for spec in PROVIDERS.values() for name in spec.routers}
    assert named
    assert named <= set(ROUTERS)
    assert not PROVIDERS["ollama"].routers  # vllm-router speaks only the OpenAI API


def test_ollama_endpoints_never_ask_for_a_router(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _serve(monkeypatch, {"/api/version": (200, {}), "/api/tags": (200, {"models": []})})
    probe(resolve_endpoint("chat", provider="ollama", base_url=ROOT, model=""))
    assert "/readiness" not in asked


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"status": "ready", "healthy_workers": 2, "total_workers": 2}, True),
        ({"status": "ok"}, False),  # another server's readiness answer
        ("OK", False),
        (None, False),
    ],
)
def test_vllm_router_is_recognised_by_its_answer(payload: Any, *, expected: bool) -> None:
    identify: Callable[[Any], bool] = ROUTERS["vllm-router"].identify
    assert identify(payload) is expected


def test_check_names_the_router_and_lists_its_workers(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from langchain_llmswitch.cli import check, main  # noqa: PLC0415

    _serve(
        monkeypatch,
        {
            "/readiness": (200, {"status": "ready", "healthy_workers": 1, "total_workers": 2}),
            "/workers": (200, WORKERS),
            "/v1/models": (200, MODELS),
        },
    )
    monkeypatch.setattr(check, "_round_trip", lambda _endpoint: 0.25)
    monkeypatch.setenv("LLM_PROVIDER", "vllm")
    monkeypatch.setenv("LLM_BASE_URL", ROOT + "/v1")
    monkeypatch.setenv("LLM_MODEL", "m")
    assert main(["check", "--capability", "chat"]) == 0  # one worker down is no failure
    out = capsys.readouterr().out
    assert "router: vllm-router, 1 of 2 workers healthy" in out
    assert "DOWN http://a:8000" in out
    assert "up   http://b:8000" in out
