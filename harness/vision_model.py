"""Build a tiny Idefics3 (SmolVLM-style) vision model (runs inside the vLLM venv).

Usage: ``python vision_model.py SMOLLM2_HF_DIR OUT_DIR``. No small vision model ships on
PyPI, so one is assembled here, deterministically: the text part is the real
SmolLM2-135M-Instruct (the HF folder the harness converts for ``vllm-chat``), the vision
tower is small and random with a fixed seed (2 layers, hidden 128, 224 px, patch 16),
and the connector shuffles 2x2 patches (``scale_factor=2``: 49 image tokens per view).
The tokenizer gets the Idefics3 image tokens; the image processor resizes every image to
one 224 px view (``size.longest_edge=224``: no tiles); the chat template is SmolLM2's
ChatML, accepting a string or OpenAI list content (``<image>`` for each image part).

The weights are random: the model reads nothing meaningful in an image, but its output
depends on the image, which is what the wiring tests need. This file is run by path with
the vLLM venv's interpreter; the harness itself never imports it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch  # type: ignore[import-not-found, unused-ignore]
from transformers import (  # type: ignore[import-not-found, unused-ignore]
    AutoModelForCausalLM,
    AutoTokenizer,
    Idefics3Config,
    Idefics3ForConditionalGeneration,
    Idefics3ImageProcessor,
    Idefics3Processor,
    Idefics3VisionConfig,
)

SEED = 20261122
IMAGE_SIZE = 224
PATCH_SIZE = 16
SCALE_FACTOR = 2
IMAGE_SEQ_LEN = (IMAGE_SIZE // PATCH_SIZE) ** 2 // SCALE_FACTOR**2  # 49
VOCAB_MULTIPLE = 64

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful AI assistant named SmolLM, "
    "trained by Hugging Face<|im_end|>\\n' }}"
    "{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' }}"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'text' %}{{ part['text'] }}"
    "{% elif part['type'] in ['image', 'image_url'] %}{{ '<image>' }}"
    "{% endif %}{% endfor %}{% endif %}"
    "{{ '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
"""SmolLM2's ChatML template, taking string content or OpenAI-style content parts."""


def build(text_dir: Path, out: Path) -> None:
    """Assemble the model from the SmolLM2 HF folder and save it at ``out``.

    Args:
        text_dir: The SmolLM2-135M-Instruct HF folder (float32 safetensors + tokenizer).
        out: Output folder (created).
    """
    torch.manual_seed(SEED)
    tokenizer = AutoTokenizer.from_pretrained(text_dir)
    text = AutoModelForCausalLM.from_pretrained(text_dir, dtype=torch.float32)

    tokenizer.add_special_tokens(
        {
            "additional_special_tokens": [
                "<fake_token_around_image>",
                "<image>",
                "<end_of_utterance>",
            ]
        }
    )
    tokenizer.add_tokens(
        ["<global-img>"] + [f"<row_{i}_col_{j}>" for i in range(1, 7) for j in range(1, 7)]
    )
    vocab = -(-len(tokenizer) // VOCAB_MULTIPLE) * VOCAB_MULTIPLE

    text_config = text.config.to_dict()
    text_config.pop("_name_or_path", None)  # a local path: keep the folder reproducible
    text_config["vocab_size"] = vocab
    text_config["tie_word_embeddings"] = True
    config = Idefics3Config(
        text_config=text_config,
        vision_config=Idefics3VisionConfig(
            hidden_size=128,
            intermediate_size=512,
            num_hidden_layers=2,
            num_attention_heads=2,
            image_size=IMAGE_SIZE,
            patch_size=PATCH_SIZE,
        ).to_dict(),
        scale_factor=SCALE_FACTOR,
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"),
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
        dtype="float32",
    )
    model = Idefics3ForConditionalGeneration(config).to(torch.float32).eval()

    # The text part: SmolLM2's own weights; new token rows = the mean embedding.
    old = text.get_input_embeddings().weight.detach()
    embeddings = old.mean(dim=0, keepdim=True).repeat(vocab, 1)
    embeddings[: old.shape[0]] = old
    state = {k: v for k, v in text.model.state_dict().items() if k != "embed_tokens.weight"}
    state["embed_tokens.weight"] = embeddings
    missing, unexpected = model.model.text_model.load_state_dict(state, strict=False)
    if missing or unexpected:
        msg = f"text weights do not fit: missing {missing}, unexpected {unexpected}"
        raise SystemExit(msg)
    model.tie_weights()
    if not torch.equal(model.lm_head.weight, model.model.text_model.embed_tokens.weight):
        msg = "lm_head is not tied to the input embeddings"
        raise SystemExit(msg)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.bos_token_id = tokenizer.bos_token_id

    image_processor = Idefics3ImageProcessor(
        size={"longest_edge": IMAGE_SIZE},
        max_image_size={"longest_edge": IMAGE_SIZE},
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    processor = Idefics3Processor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        image_seq_len=IMAGE_SEQ_LEN,
        chat_template=CHAT_TEMPLATE,
    )
    model.save_pretrained(out)
    processor.save_pretrained(out)
    tokenizer.save_pretrained(out)


def main(argv: list[str]) -> int:
    """Run the build from the command line.

    Args:
        argv: ``[SMOLLM2_HF_DIR, OUT_DIR]``.

    Returns:
        Process exit code.
    """
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    build(Path(argv[0]), Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
