"""Reference sentence embeddings with transformers (runs inside the vLLM venv).

Usage: ``python embed_reference.py HF_MODEL_DIR < sentences.json > vectors.json``.
A plain BERT forward pass, mean pooling over the attention mask, L2
normalisation: what sentence-transformers does for all-MiniLM-L6-v2. The
harness itself never imports this file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch  # type: ignore[import-not-found, unused-ignore]
from transformers import AutoModel, AutoTokenizer  # type: ignore[import-not-found, unused-ignore]


def embed(model_dir: Path, sentences: list[str]) -> list[list[float]]:
    """Return L2-normalised mean-pooled embeddings.

    Args:
        model_dir: HF model folder.
        sentences: Texts to embed.

    Returns:
        One vector per text.
    """
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir, dtype=torch.float32).eval()
    batch = tokenizer(sentences, padding=True, truncation=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
    vectors = torch.nn.functional.normalize(pooled, p=2, dim=1)
    return [[float(x) for x in row] for row in vectors.tolist()]


def main(argv: list[str]) -> int:
    """Read a JSON list of texts on stdin, write a JSON list of vectors on stdout.

    Args:
        argv: ``[HF_MODEL_DIR]``.

    Returns:
        Process exit code.
    """
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    sentences = json.load(sys.stdin)
    json.dump(embed(Path(argv[0]), sentences), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
