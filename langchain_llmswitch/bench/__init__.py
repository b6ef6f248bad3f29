"""``llmswitch bench``: chat and embeddings throughput through the package, against raw HTTP.

For each target (a provider read from its own settings, or a URL given explicitly) and each
concurrency level, the same fixed workload runs twice: through the objects a chain uses
(`get_chat_model()`'s ``astream``, `get_embeddings()`'s ``aembed_documents``) and through
bare async httpx sending the same requests to the same endpoint (`bench.raw`). The two
alternate in order from level to level (package first, then raw first) so that a drift of
the shared machine does not favour one. The package's rate as a fraction of raw is the
``ratio_vs_raw`` of each package row.

Chat: streamed, temperature 0, a fixed seed and token limit; prompts alternate short and long
(`bench.workload`), each run's prompts prefixed with a tag of this invocation and the run's
number, so that no run finds an earlier run's prompts (of this invocation or of an earlier one
against the same server) in the server's prompt cache. Reported per level: requests/s, output
tokens/s, time to first token, end-to-end latency, inter-token latency, errors. Embeddings:
``texts`` sentences in batches
of ``batch_size`` with ``concurrency`` requests in flight (Ollama's client sends one request
with every text, so Ollama runs one level). Warm-up requests precede each measured series.

Example:
    >>> config = BenchConfig(concurrency=(1, 4), requests=8, texts=200)
    >>> result = run_bench([Target.from_provider("vllm")], config)  # doctest: +SKIP
    >>> print(format_report(result))  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import os
import platform
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from langchain_llmswitch.bench.raw import RawEndpoint, raw_chat, raw_client, raw_embeddings
from langchain_llmswitch.bench.report import Progress, format_report
from langchain_llmswitch.bench.stats import (
    ChatTiming,
    EmbeddingsTiming,
    summarize_chat,
    summarize_embeddings,
)
from langchain_llmswitch.bench.workload import chat_prompts, embedding_texts
from langchain_llmswitch.errors import ConfigurationError, LLMSwitchError
from langchain_llmswitch.factory import get_chat_model, get_embeddings
from langchain_llmswitch.providers import PROVIDERS, normalise_provider_name
from langchain_llmswitch.resolution import resolve_endpoint

__all__ = [
    "BenchConfig",
    "Target",
    "arun_bench",
    "format_report",
    "machine_description",
    "merge_results",
    "parse_target",
    "run_bench",
]

WORKLOADS = ("chat", "embeddings")
_TARGET_KEYS = {
    "chat_url": ("chat", "base_url"),
    "chat_model": ("chat", "model"),
    "embed_url": ("embeddings", "base_url"),
    "embed_model": ("embeddings", "model"),
}


@dataclass(frozen=True)
class Target:
    """One thing to benchmark: a provider and the settings its factories get.

    Attributes:
        label: Name in the report.
        provider: ``ollama``, ``vllm``, ``openai``...
        chat: Keywords for `get_chat_model` (``base_url``, ``model``; empty: the environment).
        embeddings: Keywords for `get_embeddings`, or None to skip embeddings.
    """

    label: str
    provider: str
    chat: dict[str, Any] = field(default_factory=dict)
    embeddings: dict[str, Any] | None = field(default_factory=dict)

    @classmethod
    def from_provider(cls, provider: str) -> Target:
        """A target configured by the environment, like ``get_chat_model(provider=...)``.

        Embeddings are benchmarked when the provider's embeddings settings resolve
        (e.g. ``EMBEDDINGS_MODEL``, and for vLLM ``EMBEDDINGS_BASE_URL``).

        Args:
            provider: A provider name.

        Example:
            >>> Target.from_provider("vLLM").chat
            {'provider': 'vllm'}
        """
        try:
            name = normalise_provider_name(provider)
        except ValueError as error:
            msg = f"--providers: {provider!r}: {error}"
            raise ConfigurationError(msg, setting="--providers") from None
        try:
            resolve_endpoint("embeddings", provider=name)
        except ConfigurationError:
            embeddings: dict[str, Any] | None = None
        else:
            embeddings = {"provider": name}
        return cls(label=name, provider=name, chat={"provider": name}, embeddings=embeddings)


def parse_target(spec: str) -> Target:
    """Parse ``LABEL=PROVIDER,chat_url=URL,chat_model=M,embed_url=URL,embed_model=M``.

    Keys are optional; what is not given comes from the provider's environment. Without
    ``embed_url`` or ``embed_model`` the target has no embeddings workload.

    Args:
        spec: The ``--target`` value.

    Returns:
        The target.

    Raises:
        ConfigurationError: Malformed spec, unknown key or provider.

    Example:
        >>> t = parse_target("llama-1slot=openai,chat_url=http://127.0.0.1:8081/v1,chat_model=m")
        >>> (t.label, t.chat["base_url"], t.embeddings)
        ('llama-1slot', 'http://127.0.0.1:8081/v1', None)
    """
    head, *pairs = [part.strip() for part in spec.split(",")]
    label, sep, provider = head.partition("=")
    if not sep or not label or not provider:
        msg = f"--target {spec!r}: write LABEL=PROVIDER[,chat_url=...,chat_model=...]"
        raise ConfigurationError(msg, setting="--target")
    try:
        name = normalise_provider_name(provider)
    except ValueError as error:
        msg = f"--target {spec!r}: {error}"
        raise ConfigurationError(msg, setting="--target") from None
    chat: dict[str, Any] = {"provider": name}
    embeddings: dict[str, Any] = {"provider": name}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in _TARGET_KEYS:
            msg = f"--target {spec!r}: unknown key {key!r}; valid: {', '.join(_TARGET_KEYS)}"
            raise ConfigurationError(msg, setting="--target")
        kind, setting = _TARGET_KEYS[key]
        (chat if kind == "chat" else embeddings)[setting] = value
    has_embeddings = len(embeddings) > 1
    return Target(label, name, chat, embeddings if has_embeddings else None)


@dataclass(frozen=True)
class BenchConfig:
    """What to run.

    Attributes:
        concurrency: Concurrency levels of the sweep.
        requests: Chat requests per level and client (at least the level).
        warmup: Warm-up rounds before each level and client, not measured: ``warmup`` x
            level chat requests at the level's concurrency (0: none); embeddings always
            warm up with one batch per connection.
        max_tokens: Token limit of every chat answer.
        seed: Seed of the workload and of sampling.
        workloads: ``chat`` and/or ``embeddings``.
        texts: Texts of the embeddings workload.
        batch_size: Texts per embeddings request.
        embeddings_concurrency: Levels of the embeddings sweep (None: ``concurrency``).
        repeat: Measurements per level and client, alternating which client goes first;
            rows pool them and ``ratio_vs_raw`` is the median of the paired ratios.
        raw: Also run the raw httpx baseline.
        timeout: Seconds for each request.
    """

    concurrency: tuple[int, ...] = (1, 2, 4, 8, 16)
    requests: int = 32
    warmup: int = 1
    max_tokens: int = 32
    seed: int = 0
    workloads: tuple[str, ...] = WORKLOADS
    texts: int = 5000
    batch_size: int = 64
    embeddings_concurrency: tuple[int, ...] | None = None
    repeat: int = 1
    raw: bool = True
    timeout: float = 300.0

    def __post_init__(self) -> None:
        """Check the values (a clear error naming the option)."""
        checks = {
            "--concurrency": bool(self.concurrency) and min(self.concurrency) >= 1,
            "--requests": self.requests >= 1,
            "--repeat": self.repeat >= 1,
            "--warmup": self.warmup >= 0,
            "--max-tokens": self.max_tokens >= 1,
            "--texts": self.texts >= 1,
            "--batch-size": self.batch_size >= 1,
            "--embeddings-concurrency": not self.embeddings_concurrency
            or min(self.embeddings_concurrency) >= 1,
            "--timeout": self.timeout > 0,
        }
        for option, ok in checks.items():
            if not ok:
                msg = f"{option}: must be at least 1 (warm-up: 0; a list: whole numbers >= 1)"
                raise ConfigurationError(msg, setting=option)
        unknown = set(self.workloads) - set(WORKLOADS)
        if unknown or not self.workloads:
            msg = f"--workloads: {', '.join(sorted(unknown)) or 'none'}; valid: chat, embeddings"
            raise ConfigurationError(msg, setting="--workloads")


def _raw_endpoint(
    capability: str,
    overrides: dict[str, Any],
    built: Any,
) -> RawEndpoint | None:
    """What the package uses, for the baseline; None when it is not an HTTP server.

    The endpoint is resolved and then prepared as the factories prepare it, so that the
    baseline targets the same live server: the embedded provider resolves to a placeholder
    port (``UNSTARTED_URL``) and only `ProviderSpec.prepared` gives the running server's URL
    (the factory call before this one has started it; this finds it through its state file).
    """
    resolved = resolve_endpoint(capability, **overrides)  # type: ignore[arg-type]
    endpoint = PROVIDERS[resolved.provider].prepared(resolved)
    if not endpoint.base_url.startswith(("http://", "https://")):
        return None
    model = endpoint.model or str(getattr(built, "model_name", None) or getattr(built, "model", ""))
    protocol = PROVIDERS[endpoint.provider].protocol
    key = endpoint.api_key.get_secret_value() if endpoint.api_key else None
    return RawEndpoint(protocol, endpoint.base_url, model, key)


async def _run_level(
    send: Callable[[str], Awaitable[ChatTiming]],
    prompts: Sequence[str],
    concurrency: int,
    progress: Progress,
) -> tuple[list[ChatTiming], float]:
    """Send every prompt, ``concurrency`` at a time; return the timings and the wall time."""
    pending = iter(range(len(prompts)))
    timings: list[ChatTiming] = [ChatTiming(0.0, 0.0)] * len(prompts)

    async def worker() -> None:
        for index in pending:
            timings[index] = await send(prompts[index])
            progress.advance()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return timings, time.perf_counter() - start


def _package_sender(model: Any) -> Callable[[str], Awaitable[ChatTiming]]:
    async def send(prompt: str) -> ChatTiming:
        start = time.perf_counter()
        token_times: list[float] = []
        output_tokens = 0
        try:
            async for chunk in model.astream(prompt):
                if chunk.text:
                    token_times.append(time.perf_counter())
                if chunk.usage_metadata:
                    output_tokens += int(chunk.usage_metadata.get("output_tokens", 0))
        except Exception as error:  # noqa: BLE001 - counted as an error of this request
            return ChatTiming(start, time.perf_counter(), error=f"{type(error).__name__}: {error}")
        return ChatTiming(
            start=start,
            end=time.perf_counter(),
            first_token=token_times[0] if token_times else None,
            token_times=tuple(token_times),
            output_tokens=output_tokens,
        )

    return send


def _raw_sender(
    client: Any,
    endpoint: RawEndpoint,
    config: BenchConfig,
) -> Callable[[str], Awaitable[ChatTiming]]:

    async def send(prompt: str) -> ChatTiming:
        return await raw_chat(
            client, endpoint, prompt, max_tokens=config.max_tokens, seed=config.seed
        )

    return send


def _first_error(timings: Sequence[ChatTiming]) -> str | None:
    return next((t.error for t in timings if t.error), None)


async def _bench_chat(
    target: Target, config: BenchConfig, progress: Progress
) -> tuple[list[dict[str, Any]], list[str]]:

    notes: list[str] = []
    settings = {
        **target.chat,
        "max_tokens": config.max_tokens,
        "temperature": 0.0,
        "seed": config.seed,
        "timeout": config.timeout,
    }
    model = get_chat_model(**settings)
    endpoint = _raw_endpoint("chat", settings, model) if config.raw else None
    if config.raw and endpoint is None:
        notes.append(f"{target.label}: no HTTP endpoint, no raw baseline")
    client = raw_client(config.timeout, max(config.concurrency)) if endpoint else None
    senders = {"package": _package_sender(model)}
    if client is not None and endpoint is not None:
        senders["raw"] = _raw_sender(client, endpoint, config)
    rows: list[dict[str, Any]] = []
    invocation = os.urandom(3).hex()
    try:
        run = 0
        for index, level in enumerate(config.concurrency):
            pooled: dict[str, list[ChatTiming]] = {name: [] for name in senders}
            walls = dict.fromkeys(senders, 0.0)
            paired: list[float | None] = []
            for repeat in range(config.repeat):
                order = list(senders) if (index + repeat) % 2 == 0 else list(reversed(senders))
                rates: dict[str, float] = {}
                for client_name in order:
                    run += 1
                    send = senders[client_name]
                    prompts = _tagged(
                        chat_prompts(max(config.requests, level), config.seed), invocation, run
                    )
                    if config.warmup and repeat == 0:  # opens the level's connections
                        warm = _tagged(
                            chat_prompts(config.warmup * level, config.seed + 1), invocation, run
                        )
                        progress.start(
                            f"{target.label} chat c={level} {client_name} warm-up", len(warm)
                        )
                        await _run_level(send, warm, level, progress)
                    progress.start(f"{target.label} chat c={level} {client_name}", len(prompts))
                    timings, wall = await _run_level(send, prompts, level, progress)
                    pooled[client_name] += timings
                    walls[client_name] += wall
                    rates[client_name] = summarize_chat(timings, wall)["requests_per_s"]
                    error = _first_error(timings)
                    if error:
                        notes.append(f"{target.label} chat c={level} {client_name}: {error}")
                if "raw" in rates:
                    paired.append(_ratio(rates["package"], rates["raw"]))
            for client_name in senders:
                summary = summarize_chat(pooled[client_name], walls[client_name])
                row = _row(target, client_name, level, summary)
                if client_name == "package" and paired:
                    row.update(_paired_ratio(paired))
                rows.append(row)
    finally:
        if client is not None:
            await client.aclose()
    return rows, notes


def _tagged(prompts: list[str], invocation: str, run: int) -> list[str]:
    """Prefix each prompt with the invocation's tag and the run's number (same length always).

    Servers cache prompt prefixes (vLLM's prefix caching, llama.cpp's slot cache and its
    host-memory prompt cache, which outlive a bench run): a run that repeated an earlier run's
    prompts would skip their prefill and look faster. A run number alone is not enough: a
    second ``llmswitch bench`` against the same llama-server found the first one's prompts
    and measured 3.6 to 4 times the requests/s (4.7 to 5.2 against 1.3 at 1 concurrent
    request).

    Args:
        prompts: The workload's prompts.
        invocation: Random hex, new for each bench invocation and target.
        run: The run's number within the invocation.
    """
    return [f"[{invocation}-{run:03d}] {prompt}" for prompt in prompts]


def _row(target: Target, client: str, level: int, summary: dict[str, Any]) -> dict[str, Any]:
    return {
        "target": target.label,
        "provider": target.provider,
        "client": client,
        "concurrency": level,
        **summary,
    }


def _ratio(package: float, raw: float) -> float | None:
    return round(package / raw, 4) if raw > 0 else None


def _paired_ratio(paired: list[float | None]) -> dict[str, Any]:
    """The median of the per-repeat package/raw ratios, and the ratios themselves."""
    known = [ratio for ratio in paired if ratio is not None]
    return {
        "ratio_vs_raw": round(statistics.median(known), 4) if known else None,
        "ratio_runs": paired,
    }


async def _package_embeddings(emb: Any, texts: list[str]) -> EmbeddingsTiming:
    start = time.perf_counter()
    try:
        vectors = await emb.aembed_documents(texts)
        if len(vectors) != len(texts):
            msg = f"{len(vectors)} vectors for {len(texts)} texts"
            raise ValueError(msg)  # noqa: TRY301 - recorded like any other failure
    except Exception as error:  # noqa: BLE001 - reported, not raised
        return EmbeddingsTiming(start, time.perf_counter(), len(texts), error=_describe(error))
    return EmbeddingsTiming(start, time.perf_counter(), len(texts))


async def _raw_embeddings(
    client: Any,
    endpoint: RawEndpoint,
    texts: list[str],
    batch_size: int,
    concurrency: int,
) -> EmbeddingsTiming:

    gate = asyncio.Semaphore(concurrency)

    async def one(batch: list[str]) -> tuple[int, int]:
        async with gate:
            return await raw_embeddings(client, endpoint, batch)

    batches = [texts[i : i + batch_size] for i in range(0, len(texts), batch_size)]
    start = time.perf_counter()
    try:
        counts = await asyncio.gather(*(one(batch) for batch in batches))
    except Exception as error:  # noqa: BLE001 - reported, not raised
        return EmbeddingsTiming(start, time.perf_counter(), len(texts), error=_describe(error))
    return EmbeddingsTiming(
        start, time.perf_counter(), sum(n for n, _ in counts), sum(t for _, t in counts)
    )


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


async def _bench_embeddings(
    target: Target, config: BenchConfig, progress: Progress
) -> tuple[list[dict[str, Any]], list[str]]:

    if target.embeddings is None:
        return [], [f"{target.label}: no embeddings settings, embeddings skipped"]
    notes: list[str] = []
    texts = embedding_texts(config.texts, config.seed)
    levels = config.embeddings_concurrency or config.concurrency
    spec = PROVIDERS.get(target.provider)
    one_request = spec is not None and spec.protocol == "ollama"
    if one_request:
        levels = levels[:1]
        notes.append(
            f"{target.label}: Ollama's client sends every text in one request; one level, and "
            "the raw baseline sends the same single request"
        )
    base = {**target.embeddings, "timeout": config.timeout}
    probe = get_embeddings(**base)
    endpoint = _raw_endpoint("embeddings", base, probe) if config.raw else None
    client = raw_client(config.timeout, max(levels)) if endpoint else None
    rows: list[dict[str, Any]] = []
    try:
        for index, level in enumerate(levels):
            emb = get_embeddings(**base, batch_size=config.batch_size, concurrency=level)
            batch = len(texts) if one_request else config.batch_size
            # Warm-up, not measured: one batch per connection of the level, both clients.
            warm = texts[: min(len(texts), config.batch_size * level)]
            await _package_embeddings(emb, warm)
            if client is not None and endpoint is not None:
                await _raw_embeddings(client, endpoint, warm, batch, level)
            runs: list[dict[str, EmbeddingsTiming]] = []
            for repeat in range(config.repeat):
                clients = ["package", "raw"] if client is not None else ["package"]
                order = clients if (index + repeat) % 2 == 0 else list(reversed(clients))
                timings: dict[str, EmbeddingsTiming] = {}
                for client_name in order:
                    progress.start(f"{target.label} embeddings c={level} {client_name}", 1)
                    if client_name == "package":
                        timings[client_name] = await _package_embeddings(emb, texts)
                    elif client is not None and endpoint is not None:
                        timings[client_name] = await _raw_embeddings(
                            client, endpoint, texts, batch, level
                        )
                    progress.advance()
                    if timings[client_name].error:
                        notes.append(
                            f"{target.label} embeddings c={level} {client_name}: "
                            f"{timings[client_name].error}"
                        )
                runs.append(timings)
            rows.extend(_embedding_rows(target, level, batch, runs))
    finally:
        if client is not None:
            await client.aclose()
    return rows, notes


def _pooled(runs: list[EmbeddingsTiming]) -> EmbeddingsTiming:
    """Several runs as one: texts, tokens and wall times added up; the first error kept."""
    wall = sum(run.end - run.start for run in runs)
    error = next((run.error for run in runs if run.error), None)
    texts = sum(run.texts for run in runs)
    return EmbeddingsTiming(0.0, wall, texts, sum(run.tokens for run in runs), error)


def _embedding_rows(
    target: Target, level: int, batch: int, runs: list[dict[str, EmbeddingsTiming]]
) -> list[dict[str, Any]]:
    """Rows of one level; the package's token count is the raw run's (same texts)."""
    paired: list[float | None] = []
    pooled: dict[str, list[EmbeddingsTiming]] = {}
    for timings in runs:
        raw = timings.get("raw")
        package = timings["package"]
        if raw is not None:
            package = EmbeddingsTiming(
                package.start, package.end, package.texts, raw.tokens, package.error
            )
            rates = [summarize_embeddings(t)["texts_per_s"] for t in (package, raw)]
            paired.append(_ratio(rates[0], rates[1]))
        pooled.setdefault("package", []).append(package)
        if raw is not None:
            pooled.setdefault("raw", []).append(raw)
    rows = []
    for client_name, client_runs in pooled.items():
        summary = summarize_embeddings(_pooled(client_runs))
        row = _row(target, client_name, level, {"batch_size": batch, **summary})
        if client_name == "package" and paired:
            row.update(_paired_ratio(paired))
        rows.append(row)
    return rows


def merge_results(result: dict[str, Any], *earlier: dict[str, Any]) -> dict[str, Any]:
    """Add the rows and notes of earlier results (e.g. loaded ``--json`` files) to ``result``.

    Lets one report hold targets that needed different settings (a slow server measured at
    fewer levels). Each merged result's ``meta`` is kept under ``meta["merged"]``.

    Args:
        result: The result to extend (changed in place and returned).
        *earlier: Results to add, in order.

    Returns:
        ``result``.

    Example:
        >>> merged = merge_results({"meta": {}, "chat": [1], "notes": []}, {"chat": [2]})
        >>> merged["chat"]
        [1, 2]
    """
    for other in earlier:
        for key in ("chat", "embeddings", "notes"):
            result.setdefault(key, []).extend(other.get(key) or [])
        result.setdefault("meta", {}).setdefault("merged", []).append(other.get("meta"))
    return result


def machine_description() -> dict[str, Any]:
    """Describe this machine and the versions that matter, for the report.

    Example:
        >>> "cpus" in machine_description()
        True
    """
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:  # noqa: PTH123
            text = cpuinfo.read()
        for line in text.splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        info["avx2"] = " avx2" in text
        info["avx512"] = " avx512f" in text
        with open("/proc/meminfo", encoding="utf-8") as meminfo:  # noqa: PTH123
            total_kib = int(meminfo.readline().split()[1])
        info["memory_gib"] = round(total_kib / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    versions: dict[str, str | None] = {}
    for package in ("langchain-llmswitch", "langchain-core", "langchain-openai", "openai", "httpx"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    info["versions"] = versions
    return info


async def arun_bench(
    targets: Sequence[Target],
    config: BenchConfig | None = None,
    *,
    progress: bool = True,
    command: str | None = None,
) -> dict[str, Any]:
    """Run the benchmark (async); see `run_bench`."""
    config = config or BenchConfig()
    if not targets:
        msg = "no targets: give --providers or --target"
        raise ConfigurationError(msg, setting="--providers")
    bar = Progress(enabled=progress)
    result: dict[str, Any] = {
        "meta": {
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "command": command,
            "machine": machine_description(),
            "config": asdict(config),
            "targets": [asdict(target) for target in targets],
        },
        "chat": [],
        "embeddings": [],
        "notes": [],
    }
    for target in targets:
        for workload, bench in (("chat", _bench_chat), ("embeddings", _bench_embeddings)):
            if workload not in config.workloads:
                continue
            try:
                rows, notes = await bench(target, config, bar)
            except LLMSwitchError as error:
                rows, notes = [], [f"{target.label} {workload}: {error}"]
            result[workload].extend(rows)
            result["notes"].extend(notes)
    bar.close()
    return result


def run_bench(
    targets: Sequence[Target],
    config: BenchConfig | None = None,
    *,
    progress: bool = True,
    command: str | None = None,
) -> dict[str, Any]:
    """Run the chat and embeddings workloads on each target, package and raw.

    Args:
        targets: What to benchmark (`Target.from_provider`, `parse_target`).
        config: What to run (default: `BenchConfig()`).
        progress: Draw a progress bar on stderr.
        command: The command line, recorded in the result.

    Returns:
        A JSON-ready dict: ``meta`` (machine, versions, configuration), ``chat`` and
        ``embeddings`` (one row per target, client and level), ``notes`` (errors, skips).

    Raises:
        ConfigurationError: No targets, or a target's settings do not resolve.

    Example:
        >>> result = run_bench([Target.from_provider("openai")], BenchConfig(requests=4))
        ... # doctest: +SKIP
        >>> [row["ratio_vs_raw"] for row in result["chat"] if row["client"] == "package"]
        ... # doctest: +SKIP
        [0.98, 0.99, 1.0, 0.97, 0.99]
    """
    return asyncio.run(arun_bench(targets, config, progress=progress, command=command))
