"""The embedded provider for real: llama-server started in a temporary cache, shared, stopped.

Every test here runs against embedded servers this module starts itself (only the OCR step's
vision server is the harness's, from the harness's own cache), in a temporary
``LLMSWITCH_CACHE_DIR``, so the first start includes fetching both models and
converting MiniLM to GGUF. The module stops what it started, also when a test fails. The
timings printed at the end (``-s``) are the figures of docs/benchmark.md.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from langchain_llmswitch import get_chat_model, get_embeddings
from langchain_llmswitch.cli.demo import TITLE_REGEX
from langchain_llmswitch.embedded import processes
from langchain_llmswitch.embedded import server as embedded_server
from langchain_llmswitch.factory import clear_cache
from tests.conftest import SETTINGS_VARIABLES

pytestmark = pytest.mark.live

TIMINGS: dict[str, float] = {}
BIN = Path(sys.executable).parent
HARNESS_CACHE = os.environ.get("LLMSWITCH_CACHE_DIR")
"""The harness's cache as this process found it: the module fixture points the variable at a
temporary cache, and a harness server started under it would be built there and outlive the
test (``harness stop`` looks in the real cache)."""


@pytest.fixture(scope="module", autouse=True)
def embedded_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh cache for the module; every embedded server in it is stopped at the end."""
    cache = tmp_path_factory.mktemp("embedded-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LLMSWITCH_CACHE_DIR", str(cache))
        try:
            yield cache
        finally:
            embedded_server.stop()
            if TIMINGS:
                timings = {k: round(v, 2) for k, v in TIMINGS.items()}
                print("\nembedded timings:", timings)  # noqa: T201 - the docs' figures


def _environment(cache: Path) -> dict[str, str]:
    """This process's environment without any llmswitch setting: nothing configured."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env["LLMSWITCH_CACHE_DIR"] = str(cache)
    return env


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def test_first_use_starts_servers_that_answer(embedded_cache: Path) -> None:
    start = time.perf_counter()
    chat = get_chat_model(max_tokens=8, temperature=0)
    TIMINGS["first chat start (model fetch + start)"] = time.perf_counter() - start
    start = time.perf_counter()
    embeddings = get_embeddings()
    TIMINGS["first embeddings start (fetch + GGUF conversion + start)"] = (
        time.perf_counter() - start
    )
    assert chat.openai_api_base.startswith("http://127.0.0.1:")  # type: ignore[attr-defined]
    reply = chat.invoke("Name a colour.")
    assert reply.text.strip()
    assert reply.usage_metadata is not None
    assert 0 < reply.usage_metadata["output_tokens"] <= 8
    assert chat.llmswitch_provider == "embedded"  # type: ignore[attr-defined]
    cat, dog, market = embeddings.embed_documents(["a cat", "a dog", "the stock market fell"])
    assert len(cat) == 384
    assert _cosine(cat, dog) > _cosine(cat, market)
    assert (embedded_cache / "embedded" / "chat.json").is_file()
    assert list((embedded_cache / "embedded" / "models").glob("minilm-gguf-*/*.gguf"))


def test_agents_on_the_embedded_default(embedded_cache: Path) -> None:
    """No tools here: a tool agent is refused before any chat request, with what to do; the
    profile says so; ``response_format`` takes the server's structured output."""
    from langchain.agents import create_agent  # noqa: PLC0415 - langchain: heavy
    from langchain_core.messages import HumanMessage  # noqa: PLC0415
    from langchain_core.tools import tool  # noqa: PLC0415
    from pydantic import BaseModel  # noqa: PLC0415

    from langchain_llmswitch import CapabilityError  # noqa: PLC0415

    @tool
    def get_weather(city: str) -> str:
        """Get the weather of a city."""
        return city

    class Weather(BaseModel):
        city: str

    chat = get_chat_model(max_tokens=48, temperature=0, seed=1)
    assert chat.profile is not None
    assert chat.profile["tool_calling"] is False
    assert chat.profile["max_input_tokens"] == 2048  # -c 4096 over -np 2 slots
    question = HumanMessage("The weather in Paris. Answer with the city.")
    with pytest.raises(CapabilityError, match=r"embedded .* cannot call tools"):
        create_agent(chat, tools=[get_weather]).invoke({"messages": [question]})
    out = create_agent(chat, response_format=Weather).invoke({"messages": [question]})
    assert isinstance(out["structured_response"], Weather)


def test_a_second_process_reuses_the_running_server(embedded_cache: Path) -> None:
    mine = embedded_server.ensure_running("chat")
    code = (
        "import time; from langchain_llmswitch.embedded import server as s; "
        "t = time.perf_counter(); st = s.ensure_running('chat'); "
        "print(st.pid, st.port, time.perf_counter() - t)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=_environment(embedded_cache),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.split()
    assert (int(out[0]), int(out[1])) == (mine.pid, mine.port)
    TIMINGS["reuse from another process"] = float(out[2])


def test_cli_stop_stops_it_and_a_warm_start_follows(embedded_cache: Path) -> None:
    chat = embedded_server.ensure_running("chat")
    embed = embedded_server.ensure_running("embeddings")
    result = subprocess.run(
        [str(BIN / "llmswitch"), "embedded", "stop"],
        env=_environment(embedded_cache),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert f"chat        stopped  pid {chat.pid}" in result.stdout
    assert f"embeddings  stopped  pid {embed.pid}" in result.stdout
    assert not processes.is_alive(chat.pid, chat.start_ticks)
    assert not processes.is_alive(embed.pid, embed.start_ticks)
    assert not processes.http_ok(f"{chat.root_url}/health")
    assert embedded_server.running("chat") is None
    clear_cache()  # this process's models point at the stopped servers
    start = time.perf_counter()
    warm = embedded_server.ensure_running("chat")
    TIMINGS["warm chat start (models cached)"] = time.perf_counter() - start
    start = time.perf_counter()
    embedded_server.ensure_running("embeddings")
    TIMINGS["warm embeddings start (GGUF cached)"] = time.perf_counter() - start
    assert warm.pid != chat.pid


@pytest.mark.timeout(900)  # the demo's generations on a shared CPU (measured 90 s)
def test_demo_runs_end_to_end_with_nothing_configured(embedded_cache: Path) -> None:
    start = time.perf_counter()
    result = subprocess.run(
        [str(BIN / "llmswitch"), "demo", "--max-tokens", "24"],
        env=_environment(embedded_cache),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    TIMINGS["llmswitch demo, servers running"] = time.perf_counter() - start
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for step in ("== rag", "== note summary", "== title (regex)"):
        assert step in out
    assert out.count("served by embedded / smollm2 at http://127.0.0.1:") == 3
    assert "with all-MiniLM-L6-v2 at http://127.0.0.1:" in out
    assert "ocr: skipped" in out
    assert re.search(r"tokens in \d+, out \d+", out)
    title = out.split("== title (regex)", 1)[1].split("-> ", 1)[1].splitlines()[0]
    assert re.fullmatch(TITLE_REGEX, title), title


@pytest.mark.timeout(900)  # the demo's generations on a shared CPU (measured 90 s)
def test_demo_adds_ocr_when_a_vision_model_is_configured(embedded_cache: Path) -> None:
    import harness  # noqa: PLC0415 - only this test needs a vision server

    with pytest.MonkeyPatch.context() as patch:  # the harness's own cache, not the module's
        if HARNESS_CACHE is None:
            patch.delenv("LLMSWITCH_CACHE_DIR")
        else:
            patch.setenv("LLMSWITCH_CACHE_DIR", HARNESS_CACHE)
        vision = harness.ensure_started(["vllm-vision"])["vllm-vision"]
    env = {
        **_environment(embedded_cache),
        "LLM_PROVIDER": "embedded",  # explicit; vision settings alone leave chat embedded too
        "VISION_PROVIDER": "vllm",
        "VISION_BASE_URL": vision.openai_url,
        "VISION_MODEL": vision.model,
    }
    result = subprocess.run(
        [str(BIN / "llmswitch"), "demo", "--max-tokens", "16"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    ocr = result.stdout.split("== ocr", 1)[1]
    assert f"served by vllm / {vision.model} at {vision.openai_url}" in ocr
    # the test vision model's weights are random: the wiring is asserted, not the reading
    assert re.search(r"tokens in \d+, out [1-9]\d*", ocr)
    assert "ocr: skipped" not in result.stdout
