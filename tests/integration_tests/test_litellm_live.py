"""The package behind LiteLLM's proxy in front of a mixed fleet: llama-server and Ollama.

The harness's ``litellm-proxy`` serves one model name, ``smollm2``, from two deployments
speaking two APIs: ``llamacpp-replica-b`` (OpenAI's) and the real Ollama server (Ollama's
own). The user's settings are an OpenAI-compatible server's. Where each request went is
counted from the two servers' logs. Servers this module starts are stopped at its end.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from langchain_llmswitch import get_chat_model

pytestmark = pytest.mark.live

REPLICA, OLLAMA, PROXY = "llamacpp-replica-b", "ollama", "litellm-proxy"
REQUESTS = 16  # both deployments miss out with probability 2 * 0.5**16 under simple-shuffle
COUNTERS = {
    REPLICA: re.compile(r"print_timing: .*total time"),  # llama-server: one per request
    OLLAMA: re.compile(r'\| POST +"/api/chat"'),  # Ollama's access log
}


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, Any]]:
    import harness  # noqa: PLC0415 - only live runs need the harness

    before = set(harness.running())
    infos = harness.ensure_started([PROXY])
    try:
        yield infos
    finally:
        harness.stop([name for name in infos if name not in before])


def _count(info: Any, pattern: re.Pattern[str]) -> int:
    log = Path(info.log_path)
    return len(pattern.findall(log.read_text(errors="replace"))) if log.is_file() else 0


def test_one_name_two_apis_behind_the_proxy(servers: dict[str, Any]) -> None:
    from harness.router import LITELLM_KEY  # noqa: PLC0415 - only live runs need the harness

    chat = get_chat_model(
        provider="openai",
        base_url=servers[PROXY].openai_url,
        api_key=LITELLM_KEY,
        model="smollm2",
        temperature=0,
        max_tokens=8,
        timeout=120,
    )
    before = {name: _count(servers[name], COUNTERS[name]) for name in COUNTERS}
    answers = [chat.invoke(f"Name one animal. ({index})").text for index in range(REQUESTS)]
    assert all(answers)
    chunks = list(chat.stream("Say hi."))
    assert any(chunk.response_metadata.get("finish_reason") for chunk in chunks)
    went = {name: _count(servers[name], COUNTERS[name]) - before[name] for name in COUNTERS}
    assert sum(went.values()) == REQUESTS + 1, went
    assert went[REPLICA] > 0, went
    assert went[OLLAMA] > 0, went
