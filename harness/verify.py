"""``python -m harness verify-embeddings``: check the converted MiniLM GGUF.

llama-server's vectors (our GGUF) are compared with a transformers mean-pooling
forward pass over the original weights (run in the vLLM venv) and, when it is
running, with the vLLM embeddings server. Every cosine must exceed 0.999.
"""

from __future__ import annotations

import json
import math
import subprocess
from collections.abc import Sequence

from harness import build, paths, process, runtime, shell

THRESHOLD = 0.999
SENTENCES = (
    "The quick brown fox jumps over the lazy dog.",
    "LangChain switches between Ollama, vLLM and llama.cpp.",
    "Embeddings map text to vectors; similar texts get similar vectors!",
    "Unaffable antidisestablishmentarianism, naïve café résumé.",
    "a",
    "Numbers like 3.14159 and 2026-11-22 and e-mail x@y.org are tokenized too.",
)

Vectors = list[list[float]]


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Return the cosine similarity of two vectors.

    Args:
        a: First vector.
        b: Second vector.

    Returns:
        The cosine, in [-1, 1].
    """
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def server_vectors(openai_url: str, model: str) -> Vectors:
    """Embed ``SENTENCES`` on an OpenAI-compatible ``/v1/embeddings``.

    Args:
        openai_url: The server's ``/v1`` URL.
        model: Model name to send.

    Returns:
        One vector per sentence, in order.
    """
    answer = process.post_json(
        openai_url + "/embeddings", {"model": model, "input": list(SENTENCES)}
    )
    if not isinstance(answer, dict):
        msg = f"unexpected answer: {answer!r}"
        raise TypeError(msg)
    rows = sorted(answer["data"], key=lambda row: int(row["index"]))
    return [[float(x) for x in row["embedding"]] for row in rows]


def reference_vectors() -> Vectors:
    """Embed ``SENTENCES`` with transformers in the vLLM venv.

    Returns:
        One L2-normalised, mean-pooled vector per sentence.
    """
    build.build_steps(["vllm-venv", "minilm-hf"])
    result = subprocess.run(
        [
            str(paths.venv_python(build.vllm_venv())),
            str(paths.PACKAGE_DIR / "embed_reference.py"),
            str(build.minilm_hf()),
        ],
        input=json.dumps(list(SENTENCES)),
        capture_output=True,
        text=True,
        env=shell.clean_env({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}),
        check=True,
    )
    vectors: Vectors = json.loads(result.stdout)
    return vectors


def _report(label: str, ours: Vectors, theirs: Vectors) -> float:
    cosines = [cosine(a, b) for a, b in zip(ours, theirs, strict=True)]
    worst = min(cosines)
    print(f"llamacpp-embed vs {label}: min cosine {worst:.7f} over {len(cosines)} sentences")
    for sentence, value in zip(SENTENCES, cosines, strict=True):
        print(f"  {value:.7f}  {sentence}")
    return worst


def main() -> int:
    """Run the check.

    Returns:
        0 if every cosine exceeds the threshold, else 1.
    """
    info = runtime.ensure_started(["llamacpp-embed"])["llamacpp-embed"]
    ours = server_vectors(info.openai_url, info.model)
    print(f"llamacpp-embed: {len(ours)} vectors of {len(ours[0])} dims")
    worst = _report("transformers mean pooling", ours, reference_vectors())
    vllm = runtime.running().get("vllm-embed")
    if vllm is not None:
        worst = min(worst, _report("vllm-embed", ours, server_vectors(vllm.openai_url, vllm.model)))
    ok = worst > THRESHOLD
    print(f"{'PASS' if ok else 'FAIL'}: min cosine {worst:.7f} (threshold {THRESHOLD})")
    return 0 if ok else 1
