"""What the live suite assumes of the harness's servers, checked on the running servers.

The standard suites assert greedy answers of a tiny model, some of them close calls; they hold
only if the same request gets the same answer whatever ran before it. llama-server's prompt
cache breaks that (harness ``servers._plan_llamacpp_chat``), so the harness turns it off.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from . import conftest

pytestmark = pytest.mark.live

GREEDY = {
    "messages": [{"role": "user", "content": "Tell me a joke about cats."}],
    "temperature": 0,
    "max_tokens": 24,
}
SAMPLED = {
    "messages": [{"role": "user", "content": "Tell me a joke about cats and dogs."}],
    "temperature": 1.0,
    "max_tokens": 24,
}


def _chat(url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(f"{url}/chat/completions", json={"model": "smollm2", **body}, timeout=60)
    response.raise_for_status()
    return dict(response.json())


@pytest.mark.parametrize("name", ["llamacpp-chat", "llamacpp-chat-1slot"])
def test_llama_server_answers_greedy_requests_without_earlier_requests_state(name: str) -> None:
    """The same greedy request after sampled traffic: nothing reused, the same answer."""
    info = conftest._start([name])[name]
    url = str(info.openai_url)
    first = _chat(url, GREEDY)
    for _ in range(3):
        _chat(url, SAMPLED)
    again = _chat(url, GREEDY)

    # llama-server reports how many prompt tokens it took from its cache (`timings.cache_n`):
    # with the prompt cache on, the repeated request reuses all but its last token.
    assert again["timings"]["cache_n"] == 0, (
        f"{name} reused {again['timings']['cache_n']} cached prompt tokens: started without "
        "--no-cache-prompt (a server from before the harness passed it? `python -m harness stop`)"
    )
    assert again["timings"]["prompt_n"] == first["timings"]["prompt_n"]
    assert again["choices"][0]["message"] == first["choices"][0]["message"]
