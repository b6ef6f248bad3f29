"""Replicas behind a router: two llama-servers of one model, and vllm-router in front.

Production outgrows one server; vLLM deployments put a router in front of replicas
(here vLLM's prebuilt Rust router; production-stack ships a router of its own, llm-d an
inference gateway: docs/scale-out.md). Here the replicas are two
llama-servers of the same SmolLM2 GGUF (about a second to start, ~190 MiB each), one
thread each on these 2 cores. The routers:

- ``vllm-router``: round robin over ``llamacpp-replica-a`` and ``-b`` (the live tests
  count where each request went, so the policy is the predictable one);
- ``vllm-router-1``: the same router over ``llamacpp-replica-a`` alone (the benchmark's
  one-replica line, and the router's overhead against that replica direct);
- ``vllm-router-embed``: in front of ``llamacpp-embed`` (embeddings through a router);
- ``litellm-proxy``: LiteLLM's proxy in front of a MIXED fleet, ``llamacpp-replica-b``
  (OpenAI API) and the real ``ollama`` (Ollama's API), as one model name ``smollm2``
  (what vllm-router cannot do: it speaks only the OpenAI API to its workers).

Each router has its own Prometheus port (the default, 29000, would clash), found free at
start and read back with `metrics_url`. Readiness is the router's ``/readiness`` (200
while one worker is healthy); its ``/health`` turns 503 as soon as any worker is down.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Final

from harness import build, process

if TYPE_CHECKING:
    from harness.servers import LaunchPlan, ServerInfo, ServerSpec

__all__ = [
    "HEALTH_INTERVAL",
    "LITELLM",
    "LITELLM_KEY",
    "REPLICAS",
    "ROUTERS",
    "SERVER_NAMES",
    "litellm_config",
    "metrics_url",
    "specs",
]

HOST: Final = "127.0.0.1"

#: The replicas, then the routers (start order: dependencies first).
REPLICAS: Final = ("llamacpp-replica-a", "llamacpp-replica-b")
ROUTERS: Final = ("vllm-router", "vllm-router-1", "vllm-router-embed")
LITELLM: Final = "litellm-proxy"
#: The proxy's master key: a local test key, on 127.0.0.1 only.
LITELLM_KEY: Final = "sk-llmswitch-harness"
SERVER_NAMES: Final = (*REPLICAS, *ROUTERS, LITELLM)

#: Seconds between the router's health checks of its workers. A worker is marked down
#: after 3 failed checks and up again after 2 good ones (the router's defaults), so a
#: restarted replica takes new requests within about 2 x this.
HEALTH_INTERVAL: Final = 2

#: Each router's workers (harness names) and the model they serve.
_WORKERS: Final[dict[str, tuple[tuple[str, ...], str]]] = {
    "vllm-router": (REPLICAS, "smollm2"),
    "vllm-router-1": (("llamacpp-replica-a",), "smollm2"),
    "vllm-router-embed": (("llamacpp-embed",), "all-MiniLM-L6-v2"),
}


def _plan_replica(port: int, _deps: Mapping[str, ServerInfo]) -> LaunchPlan:
    """One replica: llama-server, SmolLM2, 4 slots, one thread, no prompt cache.

    One thread, because two replicas share 2 cores. No prompt cache, as for
    ``llamacpp-chat``: a greedy answer then does not depend on what ran before.
    """
    from harness.servers import LaunchPlan  # noqa: PLC0415 - servers imports this module

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
        "1",
        "-np",
        "4",
        "--no-cache-prompt",
    ]
    return LaunchPlan(argv)


def router_argv(port: int, workers: list[str], metrics_port: int) -> list[str]:
    """Return the router's command line.

    Args:
        port: The router's port.
        workers: Root URLs of the replicas.
        metrics_port: Its own Prometheus port.
    """
    return [
        str(build.vllm_router_binary()),
        "--host",
        HOST,
        "--port",
        str(port),
        "--worker-urls",
        *workers,
        "--policy",
        "round_robin",
        "--worker-startup-check-interval",
        "1",
        "--worker-startup-timeout-secs",
        "60",
        "--health-check-interval-secs",
        str(HEALTH_INTERVAL),
        "--request-timeout-secs",
        "300",
        "--prometheus-host",
        HOST,
        "--prometheus-port",
        str(metrics_port),
    ]


def _planner(name: str) -> Callable[[int, Mapping[str, ServerInfo]], LaunchPlan]:
    def plan(port: int, deps: Mapping[str, ServerInfo]) -> LaunchPlan:
        from harness.servers import LaunchPlan  # noqa: PLC0415 - servers imports this module

        workers = [deps[worker].base_url for worker in _WORKERS[name][0]]
        return LaunchPlan(router_argv(port, workers, process.free_port(HOST)))

    return plan


def litellm_config(openai_url: str, ollama_url: str) -> str:
    """Return the proxy's config: one model name, two deployments of two APIs.

    Args:
        openai_url: The OpenAI-compatible replica (``.../v1``).
        ollama_url: The Ollama server's root.
    """
    return (
        "model_list:\n"
        "  - model_name: smollm2\n"
        "    litellm_params:\n"
        "      model: openai/smollm2\n"
        f"      api_base: {openai_url}\n"
        "      api_key: none\n"
        "  - model_name: smollm2\n"
        "    litellm_params:\n"
        "      model: ollama_chat/smollm2\n"
        f"      api_base: {ollama_url}\n"
        "router_settings:\n"
        "  routing_strategy: simple-shuffle\n"
        "  num_retries: 2\n"
        "litellm_settings:\n"
        "  telemetry: false\n"
    )


def _plan_litellm(port: int, deps: Mapping[str, ServerInfo]) -> LaunchPlan:
    """LiteLLM's proxy over a llama-server replica and Ollama (config in the run folder)."""
    from harness import paths  # noqa: PLC0415 - keeps this module's imports light
    from harness.servers import LaunchPlan  # noqa: PLC0415 - servers imports this module

    config = paths.run_dir() / "litellm-proxy.yaml"
    text = litellm_config(deps["llamacpp-replica-b"].openai_url, deps["ollama"].base_url)
    config.write_text(text, encoding="utf-8")
    argv = [str(build.litellm_binary()), "--config", str(config), "--host", HOST]
    # Offline: the bundled model cost map, not a download at start. The proxy refuses to
    # start without a master key; clients send it as their API key (LLM_API_KEY).
    env = {
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_LOG": "INFO",
        "LITELLM_MASTER_KEY": LITELLM_KEY,
    }
    return LaunchPlan([*argv, "--port", str(port)], env)


def specs() -> tuple[ServerSpec, ...]:
    """Return the specs of the replicas and routers, for the harness's table."""
    from harness.servers import ServerSpec  # noqa: PLC0415 - servers imports this module

    replicas = tuple(
        ServerSpec(
            name=name,
            steps=("llamacpp-venv", "smollm2-gguf"),
            deps=(),
            ready_path="/health",
            ready_timeout=60.0,
            model="smollm2",
            openai_suffix="/v1",
            plan=_plan_replica,
        )
        for name in REPLICAS
    )
    routers = tuple(
        ServerSpec(
            name=name,
            steps=("vllm-router-venv",),
            deps=_WORKERS[name][0],
            ready_path="/readiness",
            ready_timeout=60.0,
            model=_WORKERS[name][1],
            openai_suffix="/v1",
            plan=_planner(name),
        )
        for name in ROUTERS
    )
    litellm = ServerSpec(
        name=LITELLM,
        steps=("litellm-venv",),
        deps=("llamacpp-replica-b", "ollama"),
        ready_path="/health/liveliness",
        ready_timeout=120.0,
        model="smollm2",
        openai_suffix="/v1",
        plan=_plan_litellm,
    )
    return (*replicas, *routers, litellm)


def metrics_url(name: str) -> str:
    """Return the Prometheus URL of a running router (from the command line it started with).

    The router renames its process (``vllm::router``), so the harness's state is asked.

    Args:
        name: The router's harness name.

    Raises:
        KeyError: The router is not running from this cache.
        ValueError: The server is not a router.
    """
    from harness import runtime  # noqa: PLC0415 - runtime imports servers, which imports this

    argv = runtime.launch_argv(name)
    if "--prometheus-port" not in argv:
        msg = f"{name} is not a router (no --prometheus-port in its command line)"
        raise ValueError(msg)
    port = argv[argv.index("--prometheus-port") + 1]
    return f"http://{HOST}:{port}/metrics"
