"""The examples in ``examples/``, run on the real servers (or their recorded cassettes).

Every example reads its provider from the environment only; each test sets the environment
a user would set for one backend (vLLM, llama.cpp, the Ollama API through the proxy) and
caps ``max_tokens`` (the models are tiny). The doc-processor reads on the vision server
(``vllm-vision``) while its text runs on the backend of the test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from examples import (
    doc_processor,
    mission_summary,
    notes_service,
    rag_service,
    story_stream,
    title_generator,
    tool_agent,
    transcript_cleaner,
)
from langchain_llmswitch import EmbeddingSpaceError
from langchain_llmswitch.factory import clear_cache
from langchain_llmswitch.server_info import _served_context

from .conftest import REPLAY_URL, Backend, is_live
from .test_vision_live import RED

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(autouse=True)
def _fresh_models() -> Iterator[None]:
    """Each test builds its models (and asks the server its context) inside its cassette."""
    clear_cache()
    _served_context.cache_clear()
    yield
    clear_cache()
    _served_context.cache_clear()


def _use(monkeypatch: pytest.MonkeyPatch, backend: Backend) -> None:
    for name, value in backend.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LLM_TEMPERATURE", "0")  # the RAG, notes and doc services read it


# --- the four chat clients (their hard-coded parameters, max_tokens capped) ---------------


@pytest.mark.vcr
@pytest.mark.filterwarnings("ignore:LLM_NUM_CTX=32768 cannot be applied")
def test_mission_summary(monkeypatch: pytest.MonkeyPatch, backend: Backend) -> None:
    _use(monkeypatch, backend)
    # The example samples (temperature 0.3), and the tiny model sometimes loops inside the
    # bounded strings: with 320 tokens, 3 answers in 30 were cut on the Ollama API (whose
    # grammar also allows whitespace). 900 tokens hold the longest
    # answer the schema allows unless every string loops in digits (a token each); measured
    # at 640: 0 cut in 40, median 94 tokens and 1.6 s.
    analysis = mission_summary.analyse_mission(mission_summary.SAMPLE_DEBRIEF, max_tokens=900)
    assert isinstance(analysis, mission_summary.MissionAnalysis)
    assert analysis.grade in "ABCDEF"
    assert analysis.summary.strip()
    assert len(analysis.strengths) <= 3
    assert len(analysis.improvements) <= 3


@pytest.mark.vcr
@pytest.mark.filterwarnings("ignore:LLM_NUM_CTX=32768 cannot be applied")
def test_story_streams(monkeypatch: pytest.MonkeyPatch, backend: Backend) -> None:
    _use(monkeypatch, backend)
    chunks = list(story_stream.stream_story(story_stream.SAMPLE_PREMISE, max_tokens=24))
    assert len(chunks) >= 5, chunks
    assert all(isinstance(chunk, str) and chunk for chunk in chunks)
    assert "".join(chunks).strip()


@pytest.mark.vcr
@pytest.mark.filterwarnings("ignore:LLM_NUM_CTX=32768 cannot be applied")
async def test_story_streams_async(monkeypatch: pytest.MonkeyPatch, backend: Backend) -> None:
    _use(monkeypatch, backend)
    chunks = [c async for c in story_stream.astream_story("A cat on the moon.", max_tokens=16)]
    assert len(chunks) >= 4, chunks


@pytest.mark.vcr
@pytest.mark.filterwarnings("ignore:LLM_NUM_CTX=32768 cannot be applied")
def test_transcript_cleaner(monkeypatch: pytest.MonkeyPatch, backend: Backend) -> None:
    _use(monkeypatch, backend)
    lines = [*transcript_cleaner.SAMPLE.splitlines(), "", "and we ship on friday"]
    cleaned = transcript_cleaner.clean_transcript(lines, batch_size=2, threads=2, max_tokens=80)
    assert len(cleaned) == 4
    for line in cleaned:
        assert re.match(r"^\d+\|", line), line
        assert "\n" not in line
    assert [int(line.split("|", 1)[0]) for line in cleaned] == [1, 2, 3, 5]


@pytest.mark.vcr
@pytest.mark.filterwarnings("ignore:LLM_NUM_CTX=32768 cannot be applied")
def test_title_generator(monkeypatch: pytest.MonkeyPatch, backend: Backend) -> None:
    _use(monkeypatch, backend)
    title = title_generator.generate_title(title_generator.SAMPLE_TEXT, max_tokens=40)
    assert re.fullmatch(title_generator.TITLE, title), title


@pytest.mark.live
def test_tool_agent(monkeypatch: pytest.MonkeyPatch, backend: Backend) -> None:
    """The agent loop ends with the tool's result in it; the typed answer is a CityAnswer."""
    _use(monkeypatch, backend)
    if backend.provider == "ollama":
        monkeypatch.setenv("LLM_MODEL", "smollm2-tools")  # a template that renders .Tools
    run = tool_agent.ask(tool_agent.QUESTION, max_tokens=48)
    assert [call["name"] for call in run["calls"]] == ["get_weather"]
    assert run["results"] == [tool_agent.get_weather.invoke(run["calls"][0]["args"])]
    assert run["answer"]
    assert isinstance(tool_agent.city_of(tool_agent.QUESTION, max_tokens=48), tool_agent.CityAnswer)


# --- the services: RAG, notes, doc-processor ---------------------------------------------


@pytest.mark.vcr
def test_rag_service(monkeypatch: pytest.MonkeyPatch, backend: Backend) -> None:
    _use(monkeypatch, backend)
    service = rag_service.RagService(max_tokens=48)
    collection = service.index(rag_service.DOCUMENTS)
    assert collection.startswith(f"docs-{backend.provider}-")
    assert "-384-" in collection  # MiniLM's dimension, measured on the server
    answer = service.answer("What do cats drink?")
    assert answer.sources[0] == "cats"
    assert answer.analysis.kind in {"fact", "how-to", "opinion", "other"}
    assert len(answer.analysis.keywords) <= 3
    assert answer.text


@pytest.mark.live
def test_rag_service_answers_when_the_analysis_fails(
    monkeypatch: pytest.MonkeyPatch,
    backend_factory: Callable[[str], Backend],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """4 tokens cannot hold the analysis JSON: it is retried, logged, and the question is
    still answered from the right document (llama.cpp)."""
    _use(monkeypatch, backend_factory("llamacpp"))
    service = rag_service.RagService(max_tokens=4)
    service.index(rag_service.DOCUMENTS)
    with caplog.at_level("WARNING", logger="rag_service"):
        answer = service.answer("What do cats drink?")
    assert answer.analysis == rag_service.UNANALYSED
    assert answer.sources[0] == "cats"
    assert answer.text
    (record,) = caplog.records
    assert "question analysis failed" in record.getMessage()
    assert "cut at the token limit" in record.getMessage()


@pytest.mark.vcr
def test_rag_index_refuses_embeddings_of_another_space(
    monkeypatch: pytest.MonkeyPatch, backend_factory: Callable[[str], Backend], tmp_path: Path
) -> None:
    """vLLM's MiniLM and the Ollama API's MiniLM have the same dimension (384): only the
    provider and model tell the spaces apart, and the guard refuses the mix."""
    vllm, ollama = backend_factory("vllm"), backend_factory("ollama")
    _use(monkeypatch, vllm)
    indexed = rag_service.RagService(tmp_path, max_tokens=8)
    collection = indexed.index(rag_service.DOCUMENTS)

    _use(monkeypatch, ollama)
    switched = rag_service.RagService.open(tmp_path, max_tokens=8)
    assert switched.space.dimension == indexed.space.dimension == 384
    assert switched.space != indexed.space
    with pytest.raises(EmbeddingSpaceError) as caught:
        switched.retrieve("What do cats drink?")
    message = str(caught.value)
    assert collection in message
    assert "vllm/all-MiniLM-L6-v2 (384 dims)" in message
    assert "ollama/all-minilm (384 dims)" in message
    assert "Re-index" in message

    switched.index(rag_service.DOCUMENTS)  # re-indexed: a collection of its own space
    assert switched.collection != collection
    assert switched.retrieve("What do cats drink?")[0].id == "cats"

    _use(monkeypatch, vllm)  # back on the indexed space: the saved index works again
    reopened = rag_service.RagService.open(tmp_path, max_tokens=8)
    assert reopened.collection == switched.collection  # the record names the newest index


@pytest.mark.vcr
def test_notes_service(monkeypatch: pytest.MonkeyPatch, backend: Backend) -> None:
    _use(monkeypatch, backend)
    service = notes_service.NotesService(max_tokens=256, threads=2)
    digest = service.digest(notes_service.SAMPLE_NOTE)
    assert isinstance(digest, notes_service.NoteDigest)
    assert 1 <= len(digest.title) <= 40
    assert len(digest.action_items) <= 3
    many = service.digest_many(["Buy milk and eggs.", "Call the plumber on Monday."])
    assert len(many) == 2
    assert all(isinstance(item, notes_service.NoteDigest) for item in many)
    assert service.summarise(notes_service.SAMPLE_NOTE)


@pytest.fixture(scope="module")
def vision_url(request: pytest.FixtureRequest) -> str:
    """The vllm-vision server, started (outside any cassette) in live runs."""
    if is_live(request.config):
        import harness  # noqa: PLC0415 - only live runs need the harness

        return harness.ensure_started(["vllm-vision"])["vllm-vision"].openai_url
    return REPLAY_URL + "/v1"


@pytest.mark.vcr
def test_doc_processor_vision_and_text_on_two_servers(
    monkeypatch: pytest.MonkeyPatch, backend: Backend, vision_url: str
) -> None:
    _use(monkeypatch, backend)
    monkeypatch.setenv("OCR_PROVIDER", "vllm")  # the legacy variable a hand-written client read
    monkeypatch.setenv("VISION_BASE_URL", vision_url)
    monkeypatch.setenv("VISION_MODEL", "smolvlm-tiny")
    result = doc_processor.process(RED, max_tokens=12)
    assert result.vision == "vllm/smolvlm-tiny"
    assert result.text_model == f"{backend.provider}/{backend.chat_model}"
    assert result.text  # the random vision tower reads nothing meaningful, but it answers
    assert result.summary


# --- the examples as scripts -----------------------------------------------------------------


@pytest.mark.parametrize("script", sorted(path.name for path in EXAMPLES.glob("*.py")))
def test_every_example_runs_as_a_script(script: str) -> None:
    """``python examples/X.py --help``: importable from its own folder, with a main()."""
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout


@pytest.mark.live
@pytest.mark.parametrize(
    ("script", "args"),
    [
        ("title_generator.py", ["--max-tokens", "40"]),
        ("story_stream.py", ["A short premise.", "--max-tokens", "16"]),
        ("rag_service.py", ["What do cats drink?", "--max-tokens", "96"]),
    ],
)
def test_examples_run_on_the_configured_server(
    script: str, args: list[str], backend_factory: Callable[[str], Backend]
) -> None:
    """The scripts themselves, with only the environment naming the server (llama.cpp)."""
    environment = {**os.environ, **backend_factory("llamacpp").environment()}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=environment,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
