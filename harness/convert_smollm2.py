"""Convert the SmolLM2 GGUF to an HF folder vLLM can load (runs inside the vLLM venv).

Usage: ``python convert_smollm2.py SRC.gguf OUT_DIR``. vLLM 0.32 cannot load GGUF,
so transformers dequantizes it (``gguf_file=``) and saves float32 safetensors plus
the tokenizer and its chat template. This file is run by path with the vLLM
venv's interpreter; the harness itself never imports it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch  # type: ignore[import-not-found, unused-ignore]
from transformers import (  # type: ignore[import-not-found, unused-ignore]
    AutoModelForCausalLM,
    AutoTokenizer,
)


def convert(src: Path, out: Path) -> None:
    """Dequantize ``src`` with transformers and save an HF folder at ``out``.

    Args:
        src: The GGUF file.
        out: Output folder (created).
    """
    tokenizer = AutoTokenizer.from_pretrained(src.parent, gguf_file=src.name)
    model = AutoModelForCausalLM.from_pretrained(
        src.parent, gguf_file=src.name, dtype=torch.float32
    )
    # The dequantized weights are plain tensors; without this, save_pretrained refuses
    # ("quantized with QuantizationMethod.GGUF and is not serializable").
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    if not getattr(tokenizer, "chat_template", None):
        msg = "converted tokenizer has no chat template"
        raise SystemExit(msg)


def main(argv: list[str]) -> int:
    """Run the conversion from the command line.

    Args:
        argv: ``[SRC.gguf, OUT_DIR]``.

    Returns:
        Process exit code.
    """
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    convert(Path(argv[0]), Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
