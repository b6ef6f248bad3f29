"""What each server is: its build steps, command line, environment and readiness probe."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from harness import build, ollama, paths, router, versions

#: The server names, in the order ``start`` brings them up (dependencies first).
SERVER_NAMES: Final = (
    "llamacpp-chat",
    "llamacpp-chat-1slot",
    "llamacpp-think",
    "llamacpp-embed",
    "ollama",
    "vllm-embed",
    "vllm-chat",
    "vllm-vision",
    *router.SERVER_NAMES,  # replicas behind a router (harness/router.py)
)

HOST: Final = "127.0.0.1"

#: Chat templates that render tools (Hermes ``<tool_call>`` format) for SmolLM2.
TEMPLATES_DIR: Final = paths.PACKAGE_DIR / "chat_templates"


@dataclass(frozen=True)
class ServerInfo:
    """A running server, as the tests see it.

    Attributes:
        name: Harness name (``vllm-chat``, ``ollama``, ...).
        base_url: Root URL, e.g. ``http://127.0.0.1:PORT``.
        openai_url: URL a client is configured with: root + ``/v1`` for the
            OpenAI-compatible servers, the root for Ollama.
        model: Model name a client must send (the chat model for Ollama).
        pid: Process id (also the process-group id) of the server.
        log_path: The server's log file.
        port: TCP port on 127.0.0.1.
        embed_model: Embeddings model name where it differs from ``model``
            (Ollama serves both); None otherwise.
    """

    name: str
    base_url: str
    openai_url: str
    model: str
    pid: int
    log_path: str
    port: int
    embed_model: str | None = None


@dataclass(frozen=True)
class LaunchPlan:
    """How to start one server process.

    Attributes:
        argv: Command line.
        env: Variables added to a cleaned copy of the environment.
        cwd: Working folder (None: the cache's run folder).
    """

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None


@dataclass(frozen=True)
class ServerSpec:
    """Static description of one server.

    Attributes:
        name: Harness name.
        steps: Build steps it needs.
        deps: Servers that must be running first.
        ready_path: Path polled for HTTP 200.
        ready_timeout: Seconds to wait for readiness.
        model: Served (chat or embeddings) model name.
        openai_suffix: Added to the root URL for ``openai_url``.
        plan: Builds the launch plan from the port and the dependencies' info.
        embed_model: Second (embeddings) model name, for Ollama.
    """

    name: str
    steps: tuple[str, ...]
    deps: tuple[str, ...]
    ready_path: str
    ready_timeout: float
    model: str
    openai_suffix: str
    plan: Callable[[int, Mapping[str, ServerInfo]], LaunchPlan]
    embed_model: str | None = None


# --------------------------------------------------------------------------- vLLM


def _vllm_env() -> dict[str, str]:
    return {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "VLLM_TARGET_DEVICE": "cpu",
        "VLLM_CPU_KVCACHE_SPACE": "1",
        "VLLM_NO_USAGE_STATS": "1",
        "VLLM_CACHE_ROOT": str(paths.cache_dir() / "vllm-cache" / f"vllm-cpu-{versions.VLLM_CPU}"),
        "HF_HOME": str(paths.cache_dir() / "hf-home"),
    }


def _vllm_argv(model_dir: Path, served: str, port: int, *extra: str) -> list[str]:
    return [
        str(paths.venv_python(build.vllm_venv())),
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        str(model_dir),
        "--served-model-name",
        served,
        "--host",
        HOST,
        "--port",
        str(port),
        "--dtype",
        "float32",
        "-O0",
        *extra,
    ]


#: Tool calls: SmolLM2's chatml with tools in the Hermes format, parsed by vLLM's hermes parser.
_VLLM_TOOL_FLAGS: Final = (
    "--enable-auto-tool-choice",
    "--tool-call-parser",
    "hermes",
    "--chat-template",
    str(TEMPLATES_DIR / "smollm2-tools.jinja"),
)


#: Reasoning: the <think> the template opens when a request turns thinking on, split by a
#: text parser (vLLM's own look <think> up as a token, which SmolLM2 has not).
_VLLM_REASONING_FLAGS: Final = (
    "--reasoning-parser-plugin",
    str(paths.PACKAGE_DIR / "vllm_plugins" / "think_parser.py"),
    "--reasoning-parser",
    "harness_think",
)


def _plan_vllm_chat(port: int, _deps: Mapping[str, ServerInfo]) -> LaunchPlan:
    structured = json.dumps({"backend": "xgrammar", "disable_any_whitespace": True})
    argv = _vllm_argv(
        build.smollm2_hf(),
        "smollm2-135m",
        port,
        "--max-model-len",
        "2048",
        "--structured-outputs-config",
        structured,
        *_VLLM_TOOL_FLAGS,
        *_VLLM_REASONING_FLAGS,
    )
    return LaunchPlan(argv, _vllm_env())


def _plan_vllm_embed(port: int, _deps: Mapping[str, ServerInfo]) -> LaunchPlan:
    argv = _vllm_argv(
        build.minilm_hf(),
        "all-MiniLM-L6-v2",
        port,
        "--runner",
        "pooling",
        "--convert",
        "embed",
    )
    return LaunchPlan(argv, _vllm_env())


def _plan_vllm_vision(port: int, _deps: Mapping[str, ServerInfo]) -> LaunchPlan:
    structured = json.dumps({"backend": "xgrammar", "disable_any_whitespace": True})
    argv = _vllm_argv(
        build.smolvlm_tiny(),
        "smolvlm-tiny",
        port,
        "--max-model-len",
        "2048",
        "--structured-outputs-config",
        structured,
        "--limit-mm-per-prompt",
        json.dumps({"image": 2}),
    )
    return LaunchPlan(argv, _vllm_env())


# --------------------------------------------------------------------------- llama.cpp


def _plan_llamacpp_chat(
    port: int,
    _deps: Mapping[str, ServerInfo],
    slots: int = 4,
    template: str = "smollm2-tools.jinja",
    extra: tuple[str, ...] = (),
) -> LaunchPlan:
    """llama-server for chat, without its prompt cache, so a greedy answer is reproducible.

    With the cache (llama-server's default) a request reuses the KV values of an earlier
    request's common prefix, computed in a batch of another size, and llama.cpp's CPU kernels
    are not batch-invariant: the same greedy request then answers differently depending on
    what ran before it. Measured: the sampled examples (temperature 0.3) make each test run's
    history differ from the first request on, and in a CI run and a fresh-server re-run
    SmolLM2's greedy joke under the standard structured-output schema became
    ``{"setup": "sad, but it's a joke about cats, ...`` (cut at 48 tokens) instead of
    ``{"setup": "sad", "punchline": "sad"}``: 14 standard tests failed, llama.cpp and the
    Ollama API alike.
    """
    argv = [
        str(build.llama_server_binary()),
        "-m",
        str(build.smollm2_gguf()),
        "--alias",
        "smollm2",
        "--host",
        HOST,
        "--port",
        str(port),
        "-c",
        "4096",
        "-t",
        "2",
        "-np",
        str(slots),
        "--no-cache-prompt",
        "--jinja",
        "--chat-template-file",
        str(TEMPLATES_DIR / template),
        *extra,
    ]
    return LaunchPlan(argv)


def _plan_llamacpp_chat_1slot(port: int, deps: Mapping[str, ServerInfo]) -> LaunchPlan:
    """The same server with one slot: requests queue instead of batching (benchmarks)."""
    return _plan_llamacpp_chat(port, deps, slots=1)


def _plan_llamacpp_think(port: int, deps: Mapping[str, ServerInfo]) -> LaunchPlan:
    """The chat server that reasons when a request turns thinking on (``enable_thinking``).

    Its template renders reasoning, so llama-server splits the ``<think>`` out
    (``--reasoning-format deepseek``), off unless a request asks (``--reasoning off``). Not
    the shared llamacpp-chat: with a template that reasons, llama-server lets a JSON-schema
    grammar start with reasoning even when thinking is off (measured: a forced tool call's
    JSON came after reasoning, and in 40 tokens not at all). One slot: only the reasoning tests
    use it.
    """
    flags = ("--reasoning-format", "deepseek", "--reasoning", "off")
    return _plan_llamacpp_chat(port, deps, slots=1, template="smollm2-think.jinja", extra=flags)


def _plan_llamacpp_embed(port: int, _deps: Mapping[str, ServerInfo]) -> LaunchPlan:
    argv = [
        str(build.llama_server_binary()),
        "-m",
        str(build.minilm_gguf()),
        "--embeddings",
        "--alias",
        "all-MiniLM-L6-v2",
        "--host",
        HOST,
        "--port",
        str(port),
        "-c",
        "2048",
        "-b",
        "2048",
        "-ub",
        "2048",
        "-np",
        "4",
    ]
    return LaunchPlan(argv)


# --------------------------------------------------------------------------- Ollama


def _plan_ollama(port: int, _deps: Mapping[str, ServerInfo]) -> LaunchPlan:
    """The real Ollama server (0.5.4, ipex-llm build) serving chat, tools and embeddings."""
    root = build.ollama_bin()
    env = ollama.server_env(root, build.ollama_models(), port)
    return LaunchPlan([str(ollama.binary(root)), "serve"], env)


SPECS: Final[dict[str, ServerSpec]] = {
    spec.name: spec
    for spec in (
        ServerSpec(
            name="vllm-chat",
            steps=("vllm-venv", "smollm2-hf"),
            deps=(),
            ready_path="/health",
            ready_timeout=240.0,
            model="smollm2-135m",
            openai_suffix="/v1",
            plan=_plan_vllm_chat,
        ),
        ServerSpec(
            name="vllm-vision",
            steps=("vllm-venv", "smolvlm-tiny"),
            deps=(),
            ready_path="/health",
            ready_timeout=240.0,
            model="smolvlm-tiny",
            openai_suffix="/v1",
            plan=_plan_vllm_vision,
        ),
        ServerSpec(
            name="vllm-embed",
            steps=("vllm-venv", "minilm-hf"),
            deps=(),
            ready_path="/health",
            ready_timeout=240.0,
            model="all-MiniLM-L6-v2",
            openai_suffix="/v1",
            plan=_plan_vllm_embed,
        ),
        ServerSpec(
            name="llamacpp-chat",
            steps=("llamacpp-venv", "smollm2-gguf"),
            deps=(),
            ready_path="/health",
            ready_timeout=60.0,
            model="smollm2",
            openai_suffix="/v1",
            plan=_plan_llamacpp_chat,
        ),
        ServerSpec(
            name="llamacpp-chat-1slot",
            steps=("llamacpp-venv", "smollm2-gguf"),
            deps=(),
            ready_path="/health",
            ready_timeout=60.0,
            model="smollm2",
            openai_suffix="/v1",
            plan=_plan_llamacpp_chat_1slot,
        ),
        ServerSpec(
            name="llamacpp-think",
            steps=("llamacpp-venv", "smollm2-gguf"),
            deps=(),
            ready_path="/health",
            ready_timeout=60.0,
            model="smollm2",
            openai_suffix="/v1",
            plan=_plan_llamacpp_think,
        ),
        ServerSpec(
            name="llamacpp-embed",
            steps=("llamacpp-venv", "minilm-gguf"),
            deps=(),
            ready_path="/health",
            ready_timeout=60.0,
            model="all-MiniLM-L6-v2",
            openai_suffix="/v1",
            plan=_plan_llamacpp_embed,
        ),
        ServerSpec(
            name="ollama",
            steps=("ollama-bin", "ollama-models"),
            deps=(),
            ready_path="/api/version",
            ready_timeout=30.0,
            model=ollama.CHAT_MODEL,
            embed_model=ollama.EMBED_MODEL,
            openai_suffix="",
            plan=_plan_ollama,
        ),
        *router.specs(),
    )
}


def with_deps(names: list[str] | tuple[str, ...]) -> list[str]:
    """Return the named servers plus their dependencies, in start order.

    Args:
        names: Server names.

    Returns:
        Names in ``SERVER_NAMES`` order, dependencies included.

    Raises:
        KeyError: For an unknown name.
    """
    wanted: set[str] = set()

    def visit(name: str) -> None:
        if name not in SPECS:
            msg = f"unknown server {name!r}; known: {', '.join(SERVER_NAMES)}"
            raise KeyError(msg)
        wanted.add(name)
        for dep in SPECS[name].deps:
            visit(dep)

    for name in names:
        visit(name)
    return [name for name in SERVER_NAMES if name in wanted]


def all_steps(names: list[str] | tuple[str, ...]) -> list[str]:
    """Return the build steps the named servers (and their dependencies) need.

    Args:
        names: Server names.

    Returns:
        Step names, without duplicates.
    """
    steps: list[str] = []
    for name in with_deps(names):
        steps.extend(step for step in SPECS[name].steps if step not in steps)
    return steps
