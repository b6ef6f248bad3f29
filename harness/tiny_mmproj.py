"""Write a tiny, seeded, random CLIP vision tower + LLaVA MLP projector GGUF for Ollama 0.5.4.

Runs inside the harness's tools venv (gguf, numpy): ``python tiny_mmproj.py OUT.gguf``.
Given to Ollama as a second ``FROM`` beside the SmolLM2 GGUF, it makes a LLaVA-architecture
model whose images are read for real: the server counts the image tokens and the output
depends on the image. The weights are random: tests assert wiring, never what is read.

The layout is the one clip.cpp of late 2024 (vendored by Ollama 0.5.4) loads, as
``examples/llava/convert_image_encoder_to_gguf.py`` writes it: numpy (out, in) is ggml
``ne [in, out]``; clip.cpp reads the first FFN matmul (hidden -> ff) from ``ffn_down`` and the
second from ``ffn_up``; it evaluates ``block_count - 1`` layers but needs all of them in the
file; the projector's output width must equal the text model's ``n_embd`` (576 for SmolLM2).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np  # type: ignore[import-not-found, unused-ignore]
from gguf import GGUFWriter  # type: ignore[import-not-found, unused-ignore]

IMAGE_SIZE = 112  # (112 / 16)^2 = 49 image tokens: a short prompt on a shared CPU
PATCH_SIZE = 16
HIDDEN = 128
N_HEAD = 4
N_FF = 512
N_LAYER = 2
MM_HIDDEN = 256
N_EMBD_TEXT = 576
OUT_SCALE = 0.15  # about the spread of SmolLM2's token embeddings (std 0.136)
LN_EPS = 1e-5
IMAGE_MEAN = [0.48145466, 0.4578275, 0.40821073]  # OpenAI CLIP's
IMAGE_STD = [0.26862954, 0.26130258, 0.27577711]


def tensors(seed: int) -> dict[str, Any]:
    """Return the encoder and projector weights (float32, seeded)."""
    rng = np.random.default_rng(seed)

    def lin(out_dim: int, in_dim: int) -> tuple[Any, Any]:
        weight = rng.standard_normal((out_dim, in_dim)) / np.sqrt(in_dim)
        return weight.astype(np.float32), (0.02 * rng.standard_normal(out_dim)).astype(np.float32)

    def norm(dim: int) -> tuple[Any, Any]:
        weight = (1.0 + 0.1 * rng.standard_normal(dim)).astype(np.float32)
        return weight, (0.1 * rng.standard_normal(dim)).astype(np.float32)

    n_pos = (IMAGE_SIZE // PATCH_SIZE) ** 2 + 1  # patches + the class token
    out: dict[str, Any] = {}
    patch = rng.standard_normal((HIDDEN, 3, PATCH_SIZE, PATCH_SIZE)) / np.sqrt(3 * PATCH_SIZE**2)
    out["v.patch_embd.weight"] = patch.astype(np.float32)
    out["v.class_embd"] = rng.standard_normal(HIDDEN).astype(np.float32)
    out["v.position_embd.weight"] = (0.5 * rng.standard_normal((n_pos, HIDDEN))).astype(np.float32)
    out["v.pre_ln.weight"], out["v.pre_ln.bias"] = norm(HIDDEN)
    for i in range(N_LAYER):
        block = f"v.blk.{i}."
        for name in ("attn_q", "attn_k", "attn_v", "attn_out"):
            out[block + name + ".weight"], out[block + name + ".bias"] = lin(HIDDEN, HIDDEN)
        out[block + "ln1.weight"], out[block + "ln1.bias"] = norm(HIDDEN)
        out[block + "ln2.weight"], out[block + "ln2.bias"] = norm(HIDDEN)
        out[block + "ffn_down.weight"], out[block + "ffn_down.bias"] = lin(N_FF, HIDDEN)
        out[block + "ffn_up.weight"], out[block + "ffn_up.bias"] = lin(HIDDEN, N_FF)
    out["v.post_ln.weight"], out["v.post_ln.bias"] = norm(HIDDEN)
    out["mm.0.weight"], out["mm.0.bias"] = lin(MM_HIDDEN, HIDDEN)
    weight, bias = lin(N_EMBD_TEXT, MM_HIDDEN)
    out["mm.2.weight"] = (weight * OUT_SCALE).astype(np.float32)
    out["mm.2.bias"] = (bias * OUT_SCALE).astype(np.float32)
    return out


def write(path: str, seed: int = 0) -> int:
    """Write the projector GGUF; return its number of tensors."""
    writer = GGUFWriter(path, arch="clip")
    writer.add_name("tiny-random-llava-mmproj")
    writer.add_description(f"random CLIP + LLaVA MLP projector for wiring tests (seed {seed})")
    writer.add_file_type(0)  # all float32; clip.cpp reads file_type and description
    flags = {
        "clip.has_text_encoder": False,
        "clip.has_vision_encoder": True,
        "clip.has_llava_projector": True,
        "clip.use_gelu": True,
    }
    for key, flag in flags.items():
        writer.add_bool(key, flag)
    writer.add_string("clip.projector_type", "mlp")
    writer.add_uint32("clip.vision.image_size", IMAGE_SIZE)
    writer.add_uint32("clip.vision.patch_size", PATCH_SIZE)
    writer.add_uint32("clip.vision.embedding_length", HIDDEN)
    writer.add_uint32("clip.vision.feed_forward_length", N_FF)
    writer.add_uint32("clip.vision.projection_dim", N_EMBD_TEXT)
    writer.add_uint32("clip.vision.attention.head_count", N_HEAD)
    writer.add_float32("clip.vision.attention.layer_norm_epsilon", LN_EPS)
    writer.add_uint32("clip.vision.block_count", N_LAYER)
    writer.add_array("clip.vision.image_mean", IMAGE_MEAN)
    writer.add_array("clip.vision.image_std", IMAGE_STD)
    writer.add_string("clip.vision.mm_patch_merge_type", "flat")
    weights = tensors(seed)
    for name, array in weights.items():
        writer.add_tensor(name, np.ascontiguousarray(array))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return len(weights)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``tiny_mmproj.py OUT.gguf [--seed N]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    count = write(args.out, args.seed)
    print(f"wrote {args.out}: {count} tensors, {(IMAGE_SIZE // PATCH_SIZE) ** 2} image tokens")
    return 0


if __name__ == "__main__":
    sys.exit(main())
