"""The package behind a real router: vllm-router 0.1.17 in front of two llama-servers.

The harness runs ``vllm-router`` (round robin) over ``llamacpp-replica-a`` and ``-b``,
``vllm-router-1`` over replica a alone, and ``vllm-router-embed`` over ``llamacpp-embed``
(harness/router.py). The users' settings are the ones of any OpenAI-compatible server:
``LLM_PROVIDER=openai LLM_BASE_URL=<router>/v1``. Servers this module starts are stopped
at its end, by the harness, also when a test fails.

The long test kills a replica in the middle of 200 requests through the harness's own API
and counts where every request went (from the router's Prometheus counters and the
replicas' logs); the figures go to ``<cache>/run/router-run.json``.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from langchain_llmswitch import get_chat_model, get_embeddings, server_info
from langchain_llmswitch.cli.check import run_checks
from langchain_llmswitch.config import load_settings
from langchain_llmswitch.errors import StreamInterruptedError
from langchain_llmswitch.reliability.readiness import probe, wait_until_ready
from langchain_llmswitch.resolution import resolve_endpoint
from langchain_llmswitch.structured import constrained

pytestmark = pytest.mark.live

NAMES = ("vllm-router", "vllm-router-1", "vllm-router-embed")
REPLICA_A, REPLICA_B = "llamacpp-replica-a", "llamacpp-replica-b"
DONE_LINE = re.compile(r"print_timing: .*total time")  # llama-server: one per finished request
BOUND = 60.0  # seconds: no single wait in this module is longer
#: Tokens of the streams under way when the replica dies: longer than the 15 s that
#: ``harness.stop`` gives a server after SIGTERM (llama-server finishes its streams in that
#: time, then SIGKILL breaks them), shorter than a slot's context (4096 / 4 slots).
LONG_TOKENS = 900


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, Any]]:
    import harness  # noqa: PLC0415 - only live runs need the harness

    before = set(harness.running())
    infos = harness.ensure_started(NAMES)
    try:
        yield infos
    finally:
        started = [name for name in infos if name not in before]
        harness.stop(started)


@pytest.fixture(autouse=True)
def _fresh_answers() -> Iterator[None]:
    server_info.forget()
    yield
    server_info.forget()


def _chat(url: str, **settings: Any) -> Any:
    values: dict[str, Any] = {
        "provider": "openai",
        "base_url": url,
        "model": "smollm2",
        "temperature": 0,
        "seed": 1,
        "max_tokens": 16,
        "timeout": BOUND,
    }
    values.update(settings)
    return get_chat_model(**values)


def _router_ready(base_url: str, healthy: int) -> None:
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline:
        with_counts = httpx.get(base_url + "/readiness", timeout=5).json()
        if with_counts.get("healthy_workers") == healthy:
            return
        time.sleep(0.5)
    pytest.fail(f"{base_url} did not report {healthy} healthy workers within {BOUND} s")


# --------------------------------------------------------------------------- the package behind it


class Animal(BaseModel):
    name: str
    legs: int


def test_chat_stream_and_structured_output_through_the_router(servers: dict[str, Any]) -> None:
    router = servers["vllm-router"]
    chat = _chat(router.openai_url)
    assert chat.invoke("Say hi.").text
    chunks = list(chat.stream("Say hi."))
    assert chunks
    assert any(chunk.response_metadata.get("finish_reason") for chunk in chunks)
    # llama.cpp behind the router is still recognised (its /v1/models, forwarded) and gets
    # its GBNF grammar, which the router passes through untouched.
    animal = _chat(router.openai_url, max_tokens=40).with_structured_output(Animal)
    answer = animal.invoke("A cat: give its name and number of legs as JSON.")
    assert isinstance(answer, Animal)
    label = constrained(chat, choice=["yes", "no"]).invoke("Is the sky blue? yes or no.")
    assert label in {"yes", "no"}


def test_embeddings_through_the_router_equal_the_server_direct(servers: dict[str, Any]) -> None:
    texts = ["a cat drinks milk", "a dog chews a bone"]
    routed = get_embeddings(
        provider="openai", base_url=servers["vllm-router-embed"].openai_url, model=""
    ).embed_documents(texts)
    direct = get_embeddings(
        provider="openai", base_url=servers["llamacpp-embed"].openai_url, model=""
    ).embed_documents(texts)
    assert [len(vector) for vector in routed] == [384, 384]
    for left, right in zip(routed, direct, strict=True):
        dot = sum(a * b for a, b in zip(left, right, strict=True))
        assert dot / math.sqrt(sum(a * a for a in left) * sum(b * b for b in right)) > 0.9999


def test_models_and_discovery_through_the_router(servers: dict[str, Any]) -> None:
    router, replica = servers["vllm-router"], servers[REPLICA_B]
    routed = server_info.parse_models(httpx.get(router.openai_url + "/models", timeout=5).json())
    direct = server_info.parse_models(httpx.get(replica.openai_url + "/models", timeout=5).json())
    assert routed == direct  # forwarded from a worker, not the router's own list
    endpoint = wait_until_ready(
        "chat", timeout=BOUND, provider="openai", base_url=router.openai_url
    )
    assert endpoint.model == "smollm2"
    assert endpoint.origin("model") == "discovered from the server"


def test_check_names_the_router_and_its_workers(
    servers: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    router = servers["vllm-router"]
    monkeypatch.setenv("LLM_PROVIDER", "openai")
    monkeypatch.setenv("LLM_BASE_URL", router.openai_url)
    monkeypatch.setenv("LLM_MODEL", "smollm2")
    (result,) = run_checks(load_settings(), ["chat"])
    assert result.ok, result.error
    assert result.router == "vllm-router"
    assert (result.healthy_workers, result.total_workers) == (2, 2)
    assert sorted(worker["url"] for worker in result.workers) == sorted(
        servers[name].base_url for name in (REPLICA_A, REPLICA_B)
    )


# --------------------------------------------------------------------------- a replica killed


def _finished(name: str, info: Any) -> int:
    """Requests a replica finished, in its log and the one before its last restart."""
    log = Path(info.log_path)
    total = 0
    for path in (log, log.with_suffix(".prev.log")):
        if path.is_file():
            total += len(DONE_LINE.findall(path.read_text(errors="replace")))
    return total


def _router_counts(name: str) -> dict[str, int]:
    from harness import router  # noqa: PLC0415 - only live runs need the harness

    text = httpx.get(router.metrics_url(name), timeout=5).text
    found = re.findall(r'vllm_router_processed_requests_total\{worker="([^"]+)"\} (\d+)', text)
    return {url: int(count) for url, count in found}


@dataclass
class Run:
    """What happened to every request of the killed-replica run."""

    outcomes: Counter[str] = field(default_factory=Counter)
    others: list[str] = field(default_factory=list)
    done: int = 0
    in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    gate: threading.Event = field(default_factory=threading.Event)

    def record(self, outcome: str, detail: str = "") -> None:
        with self.lock:
            self.outcomes[outcome] += 1
            self.done += 1
            self.in_flight -= 1
            if detail:
                self.others.append(detail)

    def enter(self) -> None:
        assert self.gate.wait(BOUND), "the run stayed paused"
        with self.lock:
            self.in_flight += 1

    def pause(self) -> None:
        """Let no new request start, and wait for those under way."""
        self.gate.clear()
        deadline = time.monotonic() + BOUND
        while self.in_flight:
            assert time.monotonic() < deadline, "requests under way did not end"
            time.sleep(0.05)


def _one(run: Run, chat: Any, index: int) -> None:
    run.enter()
    prompt = f"Name one animal. ({index})"
    if index % 5:  # four of five: one answer, no stream
        try:
            chat.invoke(prompt)
            run.record("invoke ok")
        except Exception as error:  # noqa: BLE001 - a lost request is counted, not raised
            run.record("invoke lost", f"invoke {index}: {type(error).__name__}: {error}")
        return
    _stream(run, chat, prompt, index)


def _stream(run: Run, chat: Any, prompt: str, index: int) -> None:
    chunks: list[Any] = []
    try:
        chunks.extend(chat.stream(prompt, max_tokens=48))
    except StreamInterruptedError:
        run.record("stream interrupted")
        return
    except Exception as error:  # noqa: BLE001 - any other end is recorded precisely
        where = f"stream {index} after {len(chunks)} chunks"
        run.record("stream other error", f"{where}: {type(error).__module__}.{error!r}")
        return
    if any(chunk.response_metadata.get("finish_reason") for chunk in chunks):
        run.record("stream complete")
    else:
        run.record("stream partial", f"stream {index}: {len(chunks)} chunks, no finish reason")


def _long_streams_in_flight(chat: Any, count: int) -> tuple[list[threading.Thread], list[str]]:
    """Start ``count`` long streams one after another: round robin alternates, half on each."""
    results: list[str] = []
    threads: list[threading.Thread] = []
    for index in range(count):
        first = threading.Event()

        def consume(first: threading.Event = first, index: int = index) -> None:
            seen = 0
            try:
                for _chunk in chat.stream(
                    f"Tell a long story about a cat ({index}).",
                    max_tokens=LONG_TOKENS,
                    extra_body={"ignore_eos": True},  # llama-server: no early end
                ):
                    seen += 1
                    first.set()
                results.append("complete")
            except StreamInterruptedError:
                results.append("interrupted")
            except Exception as error:  # noqa: BLE001 - recorded precisely
                results.append(f"other after {seen} chunks: {type(error).__module__}.{error!r}")
            finally:
                first.set()

        thread = threading.Thread(target=consume, daemon=True)
        thread.start()
        threads.append(thread)
        assert first.wait(BOUND), "a long stream sent no chunk"
    return threads, results


def test_a_replica_killed_in_the_middle_of_200_requests(servers: dict[str, Any]) -> None:
    import harness  # noqa: PLC0415 - only live runs need the harness

    router = servers["vllm-router"]
    chat = _chat(router.openai_url, max_tokens=8, max_retries=2)
    before = {name: _finished(name, servers[name]) for name in (REPLICA_A, REPLICA_B)}
    routed_before = _router_counts("vllm-router")
    run, total = Run(), 200
    run.gate.set()
    timings: dict[str, float] = {}
    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(_one, run, chat, index) for index in range(total)]
        _wait_for(run, 50)
        run.pause()  # nothing else between the long streams: two of them on each replica
        threads, long_results = _long_streams_in_flight(chat, 4)
        run.gate.set()  # the run goes on while the replica dies
        started = time.monotonic()
        harness.stop([REPLICA_A])  # SIGTERM, SIGKILL after 15 s: streams under way break
        timings["stop seconds"] = time.monotonic() - started
        a_before_restart = _finished(REPLICA_A, servers[REPLICA_A])
        _wait_for(run, 120)
        started = time.monotonic()
        restarted = harness.ensure_started([REPLICA_A])[REPLICA_A]
        assert (
            restarted.base_url == servers[REPLICA_A].base_url
        )  # same address: the router finds it
        _router_ready(router.base_url, healthy=2)
        timings["back in the pool seconds"] = time.monotonic() - started
        for future in futures:
            future.result(timeout=300)
        for thread in threads:
            thread.join(3 * BOUND)
    # The run may end before the replica is back (fast answers): requests sent once the
    # router counts it healthy again show it is used (round robin: half of them).
    for index in range(6):
        chat.invoke(f"Name one animal. (after the restart, {index})")
    after_restart = len(DONE_LINE.findall(Path(restarted.log_path).read_text(errors="replace")))
    finished = {
        REPLICA_A: a_before_restart - before[REPLICA_A] + after_restart,
        REPLICA_B: _finished(REPLICA_B, servers[REPLICA_B]) - before[REPLICA_B],
    }
    routed = {
        url: count - routed_before.get(url, 0)
        for url, count in _router_counts("vllm-router").items()
    }
    report = {
        "requests": total,
        "outcomes": dict(run.outcomes),
        "long streams in flight at the kill": long_results,
        "finished per replica (replica logs)": finished,
        "replica a after its restart": after_restart,
        "routed per worker (router counters)": routed,
        **timings,
        "details": run.others,
    }
    _save(report)
    assert run.done == total
    assert run.outcomes["invoke lost"] == 0, run.others
    assert run.outcomes["stream partial"] == 0, run.others
    assert run.outcomes["stream other error"] == 0, run.others
    assert sorted(long_results) == ["complete", "complete", "interrupted", "interrupted"], (
        long_results
    )
    assert after_restart > 0, "the restarted replica was not used again"
    assert finished[REPLICA_B] > 0


def _wait_for(run: Run, count: int) -> None:
    deadline = time.monotonic() + 300
    while run.done < count:
        assert time.monotonic() < deadline, f"only {run.done} of {count} requests done in 300 s"
        time.sleep(0.2)


def _save(report: dict[str, Any]) -> None:
    from harness import paths  # noqa: PLC0415 - only live runs need the harness

    target = paths.run_dir() / "router-run.json"
    target.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- readiness, fallback


def test_readiness_stays_ready_with_one_replica_down(servers: dict[str, Any]) -> None:
    """vLLM's own probe (/health) says 503 behind the router; the router's says ready."""
    import harness  # noqa: PLC0415 - only live runs need the harness

    router = servers["vllm-router"]
    endpoint = resolve_endpoint(
        "chat", provider="vllm", base_url=router.openai_url, model="smollm2"
    )
    harness.stop([REPLICA_B])
    try:
        _router_ready(router.base_url, healthy=1)
        assert httpx.get(router.base_url + "/health", timeout=5).status_code == 503
        found = probe(endpoint)
        assert found.ready, found.reason
        assert found.router is not None
        assert (found.router.healthy_workers, found.router.total_workers) == (1, 2)
        down = [worker.url for worker in found.router.workers if not worker.healthy]
        assert down == [servers[REPLICA_B].base_url]
    finally:
        harness.ensure_started([REPLICA_B])
        _router_ready(router.base_url, healthy=2)


def test_router_down_the_direct_server_answers(servers: dict[str, Any]) -> None:
    """A fallback list with the router first and a replica direct second."""
    import harness  # noqa: PLC0415 - only live runs need the harness

    router, direct = servers["vllm-router-1"], servers[REPLICA_B]
    chat = _chat(
        router.openai_url,
        max_retries=0,
        fallback_providers=["openai"],
        fallback_base_url=direct.openai_url,
        fallback_model="smollm2",
    )
    assert chat.invoke("Say hi.").text  # the router answers
    before = _finished(REPLICA_B, direct)
    harness.stop(["vllm-router-1"])
    try:
        assert chat.invoke("Say hi.").text
        assert "".join(chunk.text for chunk in chat.stream("Say hi."))
        assert _finished(REPLICA_B, direct) - before == 2  # both went direct
    finally:
        harness.ensure_started(["vllm-router-1"])
