"""`llmswitch bench` end to end against the local stub (a real HTTP server in a subprocess).

Not a measurement: it checks that every request is sent and counted, by both clients, at
every level, and that the JSON, the table and the plot come out. The stub answers each
request with exactly ``max_tokens`` tokens, so the counts are known in advance.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from langchain_llmswitch import get_embeddings
from langchain_llmswitch.bench import BenchConfig, parse_target, run_bench
from langchain_llmswitch.bench.ceiling import CEILING_CLIENTS
from langchain_llmswitch.bench.overhead import measure_overhead, stub_process
from langchain_llmswitch.bench.report import format_report
from langchain_llmswitch.bench.stub import text_vector
from langchain_llmswitch.cli import main


@pytest.fixture(scope="module")
def stub() -> Iterator[str]:
    with stub_process(token_delay=0.001) as root:
        yield root


def _targets(root: str) -> list[str]:
    return [
        f"stub-openai=openai,chat_url={root}/v1,chat_model=stub,"
        f"embed_url={root}/v1,embed_model=emb",
        f"stub-ollama=ollama,chat_url={root},chat_model=stub,embed_url={root},embed_model=emb",
    ]


def test_bench_counts_every_request_of_both_clients(stub: str) -> None:
    config = BenchConfig(concurrency=(1, 3), requests=6, max_tokens=5, texts=300, batch_size=32)
    result = run_bench([parse_target(spec) for spec in _targets(stub)], config, progress=False)
    assert result["notes"] == [
        "stub-ollama: Ollama's client sends every text in one request; one level, and the raw "
        "baseline sends the same single request"
    ]
    chat = {(r["target"], r["client"], r["concurrency"]): r for r in result["chat"]}
    assert set(chat) == {
        (target, client, level)
        for target in ("stub-openai", "stub-ollama")
        for client in ("package", "raw")
        for level in (1, 3)
    }
    for (_, client, _), row in chat.items():
        assert row["requests"] == 6
        assert row["errors"] == 0
        assert row["output_tokens"] == 30  # 6 answers of 5 tokens, from the servers' usage
        assert row["requests_per_s"] > 0
        assert 0 < row["ttft_ms"]["p50"] <= row["e2e_ms"]["p50"] <= row["e2e_ms"]["p99"]
        assert row["itl_ms"]["p50"] is not None  # 5 chunks: 4 gaps per request
        assert ("ratio_vs_raw" in row) == (client == "package")
    package = chat[("stub-openai", "package", 3)]
    raw = chat[("stub-openai", "raw", 3)]
    assert package["ratio_vs_raw"] == pytest.approx(
        package["requests_per_s"] / raw["requests_per_s"], rel=1e-3
    )
    embeddings = {(r["target"], r["client"], r["concurrency"]): r for r in result["embeddings"]}
    assert set(embeddings) == {
        ("stub-openai", "package", 1),
        ("stub-openai", "raw", 1),
        ("stub-openai", "package", 3),
        ("stub-openai", "raw", 3),
        ("stub-ollama", "package", 1),
        ("stub-ollama", "raw", 1),
    }
    for row in embeddings.values():
        assert (row["texts"], row["errors"]) == (300, 0)
        assert row["tokens"] > 300  # counted by the server, the same texts for both clients
        assert row["texts_per_s"] > 0
    assert embeddings[("stub-openai", "raw", 1)]["batch_size"] == 32
    assert embeddings[("stub-ollama", "raw", 1)]["batch_size"] == 300


def test_errors_are_counted_not_raised(stub: str) -> None:
    # A model the stub does not know still answers; a wrong path does not: use a bad URL.
    target = parse_target(f"broken=openai,chat_url={stub}/nowhere/v1,chat_model=stub")
    config = BenchConfig(concurrency=(2,), requests=4, warmup=0, workloads=("chat",))
    result = run_bench([target], config, progress=False)
    for row in result["chat"]:
        assert (row["requests"], row["errors"]) == (0, 4)
    assert any("404" in note or "NotFound" in note for note in result["notes"])


def test_cli_writes_json_and_plot(
    stub: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bench.json"
    png = tmp_path / "bench.png"
    argv = ["bench", "--quiet", "--concurrency", "1,2", "--requests", "4", "--max-tokens", "3"]
    argv += ["--texts", "100", "--json", str(out), "--plot", str(png)]
    for spec in _targets(stub):
        argv += ["--target", spec]
    assert main(argv) == 0
    table = capsys.readouterr().out
    assert "stub-openai  package" in table
    assert "Embeddings" in table
    result = json.loads(out.read_text())
    assert len(result["chat"]) == 8
    assert result["meta"]["config"]["concurrency"] == [1, 2]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_prints_json_with_a_bare_flag(stub: str, capsys: pytest.CaptureFixture[str]) -> None:
    spec = f"s=openai,chat_url={stub}/v1,chat_model=stub"
    argv = ["bench", "--quiet", "--concurrency", "2", "--requests", "2", "--target", spec]
    assert main([*argv, "--workloads", "chat", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [row["client"] for row in result["chat"]] == ["package", "raw"]


def test_cli_reports_bad_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--target", "nope"]) == 2
    assert "LABEL=PROVIDER" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["bench", "--concurrency", "0,1"])


def test_overhead_rows() -> None:
    result = measure_overhead(requests=5, rounds=1)
    rows = {(row["client"], row["mode"]): row for row in result["rows"]}
    for mode in ("invoke", "stream"):
        assert rows[("openai-sdk", mode)]["ratio_vs_openai_sdk"] == 1.0
        assert rows[("langchain-llmswitch", mode)]["cpu_us_per_request"] > 0
    if importlib.util.find_spec("litellm") is None:
        assert rows[("litellm", "stream")]["note"] == "not installed"


def test_ceiling_counts_every_token_of_every_client(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    png = tmp_path / "ceiling.png"
    argv = ["bench", "--ceiling", "--ceiling-levels", "1,3", "--ceiling-requests", "6"]
    argv += ["--ceiling-streams", "4", "--ceiling-plot", str(png), "--json", "-"]
    assert main(argv) == 0
    ceiling = json.loads(capsys.readouterr().out)["ceiling"]
    rows = {(row["client"], row["concurrency"]): row for row in ceiling["rows"]}
    assert set(rows) == {(client, level) for client in CEILING_CLIENTS for level in (1, 3)}
    for (_, level), row in rows.items():
        assert row["errors"] == 0
        assert row["requests"] == 6  # at least twice the level
        # 16 text chunks per answer: tokens/s is 16x requests/s when every token is counted
        assert row["tokens_per_s"] == pytest.approx(16 * row["requests_per_s"], rel=0.02)
        assert level in (1, 3)
    assert [row["client"] for row in ceiling["memory"]] == list(CEILING_CLIENTS)
    assert all(row["kib_per_stream"] > 0 for row in ceiling["memory"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "KiB of Python memory per open stream" in format_report({"ceiling": ceiling})


def test_embeddings_from_the_factory_keep_order_over_http(stub: str) -> None:
    emb = get_embeddings(
        provider="openai", base_url=f"{stub}/v1", model="emb", batch_size=7, concurrency=3
    )
    texts = [f"text number {index}" for index in range(40)]
    expected = [pytest.approx(text_vector(text), abs=1e-6) for text in texts]
    assert emb.embed_documents(texts) == expected
    assert asyncio.run(emb.aembed_documents(texts)) == expected


def test_repeats_are_pooled_and_the_ratio_is_their_median(stub: str) -> None:
    target = parse_target(
        f"s=openai,chat_url={stub}/v1,chat_model=stub,embed_url={stub}/v1,embed_model=e"
    )
    config = BenchConfig(concurrency=(2,), requests=4, max_tokens=3, texts=50, repeat=3)
    result = run_bench([target], config, progress=False)
    for workload, count in (("chat", "requests"), ("embeddings", "texts")):
        package, raw = result[workload]
        assert (package["client"], raw["client"]) == ("package", "raw")
        assert package[count] == raw[count] == (12 if workload == "chat" else 150)
        runs = package["ratio_runs"]
        assert len(runs) == 3
        assert package["ratio_vs_raw"] == pytest.approx(sorted(runs)[1])
