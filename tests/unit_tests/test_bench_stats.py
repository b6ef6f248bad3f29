"""The bench's arithmetic on fixed synthetic timings: percentiles, rates, summaries, tables."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import pytest

from langchain_llmswitch.bench import BenchConfig, Target, _tagged, merge_results, parse_target
from langchain_llmswitch.bench.plot import _series
from langchain_llmswitch.bench.raw import _read_line
from langchain_llmswitch.bench.report import (
    Progress,
    chat_table,
    embeddings_table,
    format_report,
    overhead_table,
)
from langchain_llmswitch.bench.stats import (
    ChatTiming,
    EmbeddingsTiming,
    percentile,
    rate,
    summarize_chat,
    summarize_embeddings,
)
from langchain_llmswitch.bench.workload import LONG_WORDS, chat_prompts, embedding_texts
from langchain_llmswitch.cli import build_parser
from langchain_llmswitch.errors import ConfigurationError


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([5.0], 50, 5.0),
        ([5.0], 99, 5.0),
        ([1.0, 2.0, 3.0, 4.0], 0, 1.0),
        ([1.0, 2.0, 3.0, 4.0], 100, 4.0),
        ([1.0, 2.0, 3.0, 4.0], 50, 2.5),
        ([4.0, 1.0, 3.0, 2.0], 50, 2.5),  # order does not matter
        ([10.0, 20.0, 30.0], 99, 29.8),
        (list(map(float, range(1, 101))), 99, 99.01),
        (list(map(float, range(1, 101))), 50, 50.5),
    ],
)
def test_percentile_interpolates_linearly(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == pytest.approx(expected)


def test_percentile_matches_numpy_default() -> None:
    numpy = pytest.importorskip("numpy")
    values = [0.31, 0.02, 1.7, 0.5, 0.52, 0.9, 3.3, 0.05, 0.6]
    for q in (1, 25, 50, 90, 99):
        assert percentile(values, q) == pytest.approx(float(numpy.percentile(values, q)))


@pytest.mark.parametrize(("values", "q"), [([], 50), ([1.0], -1), ([1.0], 101)])
def test_percentile_refuses_bad_input(values: list[float], q: float) -> None:
    with pytest.raises(ValueError, match="percentile"):
        percentile(values, q)


def test_rate() -> None:
    assert rate(10, 4.0) == 2.5
    assert rate(10, 0.0) == 0.0


def _request(start: float, ttft: float, gaps: list[float], tokens: int) -> ChatTiming:
    times = [start + ttft]
    for gap in gaps:
        times.append(times[-1] + gap)
    return ChatTiming(
        start=start,
        end=times[-1],
        first_token=times[0],
        token_times=tuple(times),
        output_tokens=tokens,
    )


def test_summarize_chat_on_fixed_timings() -> None:
    timings = [
        _request(0.0, 0.1, [0.05, 0.05, 0.05], tokens=4),  # e2e 0.25
        _request(0.0, 0.2, [0.1, 0.1, 0.1], tokens=4),  # e2e 0.5
        _request(0.5, 0.3, [0.2, 0.2, 0.2], tokens=4),  # e2e 0.9, ends at 1.4
        ChatTiming(start=0.6, end=0.7, error="APIConnectionError: refused"),
    ]
    summary = summarize_chat(timings, wall_seconds=1.4)
    assert summary["requests"] == 3
    assert summary["errors"] == 1
    assert summary["requests_per_s"] == pytest.approx(3 / 1.4, abs=1e-4)
    assert summary["output_tokens"] == 12
    assert summary["output_tokens_per_s"] == pytest.approx(12 / 1.4, abs=1e-3)
    assert summary["ttft_ms"] == {"mean": 200.0, "p50": 200.0, "p99": pytest.approx(298.0)}
    assert summary["e2e_ms"]["mean"] == pytest.approx(550.0)
    assert summary["e2e_ms"]["p50"] == pytest.approx(500.0)
    assert summary["e2e_ms"]["p99"] == pytest.approx(500 + 0.98 * 400)
    # nine gaps: three of 50 ms, three of 100 ms, three of 200 ms
    assert summary["itl_ms"]["p50"] == pytest.approx(100.0)
    assert summary["itl_ms"]["mean"] == pytest.approx(350 / 3, abs=1e-3)


def test_summarize_chat_with_only_errors_has_no_latencies() -> None:
    summary = summarize_chat([ChatTiming(0.0, 1.0, error="boom")], wall_seconds=1.0)
    assert summary["requests"] == 0
    assert summary["errors"] == 1
    assert summary["requests_per_s"] == 0.0
    assert summary["e2e_ms"] == {"mean": None, "p50": None, "p99": None}


def test_summarize_embeddings() -> None:
    ok = summarize_embeddings(EmbeddingsTiming(start=1.0, end=3.0, texts=5000, tokens=70000))
    assert ok == {
        "texts": 5000,
        "tokens": 70000,
        "errors": 0,
        "wall_s": 2.0,
        "texts_per_s": 2500.0,
        "tokens_per_s": 35000.0,
    }
    failed = summarize_embeddings(EmbeddingsTiming(0.0, 1.0, texts=10, error="HTTPStatusError"))
    assert (failed["errors"], failed["texts_per_s"]) == (1, 0.0)


def test_workload_is_fixed_by_the_seed() -> None:
    assert chat_prompts(6, seed=3) == chat_prompts(6, seed=3)
    assert chat_prompts(6, seed=3) != chat_prompts(6, seed=4)
    long_prompt = chat_prompts(2, seed=0)[1]
    assert len(long_prompt.split()) >= LONG_WORDS
    texts = embedding_texts(50, seed=0)
    assert texts == embedding_texts(50, seed=0)
    assert all(8 <= len(text.split()) <= 40 for text in texts)


def test_raw_stream_parsing_counts_text_chunks_and_usage() -> None:
    times: list[float] = []
    tokens = 0
    lines = [
        'data: {"choices":[{"delta":{"role":"assistant","content":""}}]}',
        'data: {"choices":[{"delta":{"content":"Hi"}}]}',
        "",
        'data: {"choices":[{"delta":{"content":" there"}}]}',
        'data: {"choices":[],"usage":{"completion_tokens":2}}',
        "data: [DONE]",
    ]
    for line in lines:
        tokens = _read_line("openai", line, times, tokens)
    assert (len(times), tokens) == (2, 2)
    times.clear()
    ollama = [
        json.dumps({"message": {"content": "a"}, "done": False}),
        json.dumps({"message": {"content": ""}, "done": True, "eval_count": 7}),
    ]
    tokens = 0
    for line in ollama:
        tokens = _read_line("ollama", line, times, tokens)
    assert (len(times), tokens) == (1, 7)
    with pytest.raises(RuntimeError, match="model not found"):
        _read_line("ollama", json.dumps({"error": "model not found"}), times, 0)


def _chat_row(client: str, ratio: float | None = None) -> dict[str, object]:
    row: dict[str, object] = {
        "target": "vllm",
        "provider": "vllm",
        "client": client,
        "concurrency": 4,
        "requests": 16,
        "errors": 0,
        "requests_per_s": 1.25,
        "output_tokens_per_s": 40.0,
        "ttft_ms": {"mean": 110.0, "p50": 100.0, "p99": 250.4},
        "e2e_ms": {"mean": 900.0, "p50": 880.0, "p99": 1500.6},
        "itl_ms": {"mean": 25.0, "p50": 24.5, "p99": 60.0},
    }
    if ratio is not None:
        row["ratio_vs_raw"] = ratio
    return row


def test_tables_show_the_numbers() -> None:
    table = chat_table([_chat_row("package", 0.97), _chat_row("raw")])
    lines = table.splitlines()
    assert lines[0].split()[:5] == ["target", "client", "conc", "req/s", "tok/s"]
    assert lines[2].split() == [
        "vllm", "package", "4", "1.25", "40.0", "100", "250", "900", "880", "1501", "24.5",
        "0", "0.97",
    ]  # fmt: skip
    assert lines[3].split()[-1] == "-"
    embeddings = embeddings_table(
        [
            {
                "target": "llama",
                "client": "package",
                "concurrency": 16,
                "batch_size": 64,
                "texts": 5000,
                "texts_per_s": 243.51,
                "tokens_per_s": 3400.0,
                "errors": 0,
                "ratio_vs_raw": 0.93,
            }
        ]
    )
    assert embeddings.splitlines()[2].split() == [
        "llama", "package", "16", "64", "5000", "243.5", "3400", "0", "0.93",
    ]  # fmt: skip
    overhead = overhead_table(
        {
            "rows": [
                {
                    "client": "langchain-llmswitch",
                    "mode": "stream",
                    "cpu_us_per_request": 4100.0,
                    "ratio_vs_openai_sdk": 1.41,
                },
                {"client": "litellm", "mode": "stream", "note": "not installed"},
            ]
        }
    )
    assert "1.41" in overhead
    assert "not installed" in overhead


def test_format_report_lists_sections_and_notes() -> None:
    report = format_report(
        {"chat": [_chat_row("package", 1.0)], "embeddings": [], "notes": ["x: skipped"]}
    )
    assert report.startswith("Chat (streamed")
    assert "Embeddings" not in report
    assert report.rstrip().endswith("note: x: skipped")


def test_progress_bar_on_a_terminal_and_lines_otherwise() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    bar = Progress(stream=terminal)
    bar.start("vllm chat c=4 package", 4)
    for _ in range(4):
        bar.advance()
    bar.close()
    assert "[" + "#" * Progress.WIDTH + "] 4/4 vllm chat c=4 package" in terminal.getvalue()
    plain = io.StringIO()
    bar = Progress(stream=plain)
    bar.start("raw", 2)
    bar.advance(2)
    bar.close()
    assert plain.getvalue().startswith("raw: 2/2 in ")
    quiet = io.StringIO()
    bar = Progress(enabled=False, stream=quiet)
    bar.start("x", 1)
    bar.close()
    assert quiet.getvalue() == ""


def test_parse_target() -> None:
    target = parse_target(
        "llama-4=llama.cpp,chat_url=http://127.0.0.1:8080/v1,chat_model=smollm2,"
        "embed_url=http://127.0.0.1:8081/v1,embed_model=minilm"
    )
    assert target == Target(
        label="llama-4",
        provider="openai",
        chat={"provider": "openai", "base_url": "http://127.0.0.1:8080/v1", "model": "smollm2"},
        embeddings={
            "provider": "openai",
            "base_url": "http://127.0.0.1:8081/v1",
            "model": "minilm",
        },
    )
    assert parse_target("v=vllm").embeddings is None


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("vllm", "LABEL=PROVIDER"),
        ("x=olama", "Did you mean"),
        ("x=vllm,url=http://h", "unknown key 'url'"),
    ],
)
def test_parse_target_errors(spec: str, match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        parse_target(spec)


def test_target_from_provider_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Target.from_provider("vllm").embeddings is None  # vLLM embeddings need a URL
    monkeypatch.setenv("EMBEDDINGS_MODEL", "all-MiniLM-L6-v2")
    monkeypatch.setenv("EMBEDDINGS_BASE_URL", "http://vllm-embed:8001/v1")
    assert Target.from_provider("vllm").embeddings == {"provider": "vllm"}
    with pytest.raises(ConfigurationError, match="--providers"):
        Target.from_provider("vlm-x")


@pytest.mark.parametrize(
    ("kwargs", "option"),
    [
        ({"concurrency": (0, 2)}, "--concurrency"),
        ({"requests": 0}, "--requests"),
        ({"max_tokens": 0}, "--max-tokens"),
        ({"workloads": ("chat", "images")}, "--workloads"),
        ({"timeout": 0.0}, "--timeout"),
    ],
)
def test_bench_config_errors_name_the_option(kwargs: dict[str, object], option: str) -> None:
    with pytest.raises(ConfigurationError, match=option):
        BenchConfig(**kwargs)  # type: ignore[arg-type]


def test_no_nan_in_rates() -> None:
    summary = summarize_chat([], wall_seconds=0.0)
    assert not any(isinstance(value, float) and math.isnan(value) for value in summary.values())


def test_benchmark_page_documents_every_bench_option() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "benchmark.md").read_text()
    section = page.split("## Options", 1)[1].split("\n## ", 1)[0]
    commands = next(
        action
        for action in build_parser()._actions
        if getattr(action, "choices", None) and "bench" in action.choices  # type: ignore[operator]
    )
    bench = commands.choices["bench"]  # type: ignore[index]
    options = [o for a in bench._actions for o in a.option_strings if o.startswith("--")]
    assert len(options) > 10
    for option in options:
        if option != "--help":
            assert f"`{option}" in section, option


def test_merge_results_appends_rows_and_keeps_meta() -> None:
    result = {"meta": {"command": "b"}, "chat": [{"target": "llama"}], "notes": []}
    earlier = {"meta": {"command": "a"}, "chat": [{"target": "vllm"}], "embeddings": [{"x": 1}]}
    merged = merge_results(result, earlier)
    assert merged is result
    assert [row["target"] for row in merged["chat"]] == ["llama", "vllm"]
    assert merged["embeddings"] == [{"x": 1}]
    assert merged["meta"]["merged"] == [{"command": "a"}]


def test_plot_series_skip_levels_with_errors_and_sort_levels() -> None:
    rows = [
        {"target": "v", "client": "package", "concurrency": 4, "errors": 0, "x": 3.0},
        {"target": "v", "client": "package", "concurrency": 1, "errors": 0, "x": 1.0},
        {"target": "v", "client": "package", "concurrency": 2, "errors": 2, "x": 9.0},
        {"target": "v", "client": "raw", "concurrency": 1, "errors": 0, "x": None},
    ]
    assert _series(rows, "x") == {("v", "package"): ([1, 4], [1.0, 3.0])}


def test_runs_and_invocations_tag_the_same_prompts_apart_at_equal_length() -> None:
    prompts = chat_prompts(4, seed=0)
    first = _tagged(prompts, "a1b2c3", 1)
    again = _tagged(prompts, "d4e5f6", 1)
    second_run = _tagged(prompts, "a1b2c3", 2)
    for one, other in ((first, again), (first, second_run)):
        for left, right in zip(one, other, strict=True):
            assert len(left) == len(right)
            assert left[:1] == right[:1] == "["
            assert left != right
            assert left.split("] ", 1)[1] == right.split("] ", 1)[1]
    assert first[0].startswith("[a1b2c3-001] ")
