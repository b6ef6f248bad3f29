"""Convert all-MiniLM-L6-v2 (HF safetensors + WordPiece vocab) to a llama.cpp GGUF.

Needs ``gguf``, ``numpy`` and ``safetensors`` (the ``embedded`` extra). The embedded
provider calls `convert` in-process; the harness runs this file as a script,
``python minilm_gguf.py HF_MODEL_DIR OUT.gguf``, inside its tools venv, so the file
imports nothing from this package. It writes what llama.cpp's own
``convert_hf_to_gguf.py`` writes for a ``BertModel``: architecture ``bert``,
non-causal attention, mean pooling, the WordPiece vocabulary in the
"phantom space" form (word-initial pieces get a leading U+2581, ``##``
continuations lose their prefix, ``[BRACKETED]`` specials stay), and F16 for
2-D weights except position and token-type embeddings (F32, as upstream).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import gguf  # type: ignore[import-not-found, unused-ignore]
import numpy as np  # type: ignore[import-not-found, unused-ignore]
from safetensors.numpy import load_file  # type: ignore[import-not-found, unused-ignore]

ARCH = gguf.MODEL_ARCH.BERT
#: Tensors that llama.cpp keeps in float32 even in an F16 file.
KEEP_F32 = ("position_embd", "token_types")
#: Source tensors a BERT embedding model does not use.
SKIP = ("embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias")
#: 2-D weights (matrices) are stored in F16.
_MATRIX_NDIM = 2
#: Command-line arguments: the HF folder and the output file.
_ARGC = 2


def phantom(token: str) -> str:
    """Turn a WordPiece token into llama.cpp's phantom-space form.

    Args:
        token: A WordPiece vocabulary entry.

    Returns:
        ``[X]`` unchanged, ``##x`` as ``x``, anything else prefixed with U+2581.
    """
    if token.startswith("[") and token.endswith("]"):
        return token
    if token.startswith("##"):
        return token[2:]
    return "\u2581" + token


def _special_ids(model_dir: Path, vocab: list[str]) -> dict[str, int]:
    config = json.loads((model_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
    index = {token: i for i, token in enumerate(vocab)}
    wanted = {"cls": "[CLS]", "sep": "[SEP]", "unk": "[UNK]", "pad": "[PAD]", "mask": "[MASK]"}
    return {
        kind: index[str(config.get(f"{kind}_token", default))] for kind, default in wanted.items()
    }


def write_vocab(writer: gguf.GGUFWriter, model_dir: Path, hparams: dict[str, Any]) -> None:
    """Add the tokenizer (WordPiece as ``bert``) and special tokens to the writer.

    Args:
        writer: A ``gguf.GGUFWriter``.
        model_dir: HF model folder with ``vocab.txt`` and ``tokenizer_config.json``.
        hparams: The model's ``config.json``.
    """
    vocab = (model_dir / "vocab.txt").read_text(encoding="utf-8").split("\n")
    if vocab and vocab[-1] == "":
        vocab.pop()
    if len(vocab) != hparams["vocab_size"]:
        msg = f"vocab.txt has {len(vocab)} entries, config says {hparams['vocab_size']}"
        raise ValueError(msg)
    specials = _special_ids(model_dir, vocab)
    control = set(specials.values())
    writer.add_token_type_count(hparams.get("type_vocab_size", 1))
    writer.add_tokenizer_model("bert")
    writer.add_tokenizer_pre("default")
    writer.add_token_list([phantom(token) for token in vocab])
    writer.add_token_types(
        [
            gguf.TokenType.CONTROL if i in control else gguf.TokenType.NORMAL
            for i in range(len(vocab))
        ]
    )
    writer.add_bos_token_id(specials["cls"])  # llama.cpp's BERT uses BOS as [CLS]
    writer.add_sep_token_id(specials["sep"])
    writer.add_unk_token_id(specials["unk"])
    writer.add_pad_token_id(specials["pad"])
    writer.add_mask_token_id(specials["mask"])
    writer.add_add_bos_token(value=True)
    writer.add_add_eos_token(value=False)
    writer.add_add_sep_token(value=True)


def write_hparams(writer: gguf.GGUFWriter, hparams: dict[str, Any], name: str) -> None:
    """Add the BERT hyper-parameters and pooling to the writer.

    Args:
        writer: A ``gguf.GGUFWriter``.
        hparams: The model's ``config.json``.
        name: Model name for ``general.name``.
    """
    writer.add_name(name)
    writer.add_context_length(hparams["max_position_embeddings"])
    writer.add_embedding_length(hparams["hidden_size"])
    writer.add_feed_forward_length(hparams["intermediate_size"])
    writer.add_block_count(hparams["num_hidden_layers"])
    writer.add_head_count(hparams["num_attention_heads"])
    writer.add_layer_norm_eps(hparams["layer_norm_eps"])
    writer.add_causal_attention(value=False)
    writer.add_pooling_type(gguf.PoolingType.MEAN)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)


def write_tensors(writer: gguf.GGUFWriter, model_dir: Path, n_blocks: int) -> int:
    """Add the weights, renamed to llama.cpp's names, to the writer.

    Args:
        writer: A ``gguf.GGUFWriter``.
        model_dir: HF model folder with ``model.safetensors``.
        n_blocks: Number of transformer layers.

    Returns:
        The number of tensors written.
    """
    names = gguf.get_tensor_name_map(ARCH, n_blocks)
    tensors = load_file(str(model_dir / "model.safetensors"))
    count = 0
    for source, data in sorted(tensors.items()):
        key = source.removeprefix("bert.")
        if key in SKIP:
            continue
        target = names.get_name(key, try_suffixes=(".weight", ".bias"))
        if target is None:
            msg = f"no GGUF name for tensor {source!r}"
            raise ValueError(msg)
        as_f16 = data.ndim == _MATRIX_NDIM and not target.startswith(KEEP_F32)
        writer.add_tensor(target, data.astype(np.float16 if as_f16 else np.float32))
        count += 1
    return count


def convert(model_dir: Path, out: Path) -> int:
    """Write ``out`` (GGUF, F16) from the HF folder ``model_dir``.

    Args:
        model_dir: HF model folder of a BERT sentence-embedding model.
        out: Output GGUF path (written under a temporary name, then renamed).

    Returns:
        The number of tensors written.

    Raises:
        ValueError: The folder does not hold a BERT model this converter understands.

    Example:
        >>> convert(Path("all-MiniLM-L6-v2"), Path("minilm.gguf"))  # doctest: +SKIP
        101
    """
    hparams = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    if hparams.get("model_type") != "bert":
        msg = f"not a BERT model: {hparams.get('model_type')}"
        raise ValueError(msg)
    tmp = out.with_suffix(".tmp")
    writer = gguf.GGUFWriter(str(tmp), gguf.MODEL_ARCH_NAMES[ARCH])
    write_hparams(writer, hparams, "all-MiniLM-L6-v2")
    write_vocab(writer, model_dir, hparams)
    count = write_tensors(writer, model_dir, hparams["num_hidden_layers"])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    tmp.replace(out)
    return count


def main(argv: list[str]) -> int:
    """Run the converter from the command line.

    Args:
        argv: ``[HF_MODEL_DIR, OUT.gguf]``.

    Returns:
        Process exit code.
    """
    if len(argv) != _ARGC:
        print(__doc__, file=sys.stderr)  # noqa: T201 - the script's usage
        return 2
    out = Path(argv[1])
    count = convert(Path(argv[0]), out)
    print(f"wrote {out} ({count} tensors, {out.stat().st_size / 1e6:.1f} MB)")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
