"""The fixed workload of ``llmswitch bench``: prompts and texts drawn from a seeded generator.

The same seed gives the same prompts and texts on every machine, so runs compare.
Prompts alternate short (a question of about 12 words) and long (about 300 words of
context, then a question); texts for embeddings are sentences of 8 to 40 words.

Example:
    >>> chat_prompts(4, seed=0) == chat_prompts(4, seed=0)
    True
    >>> [len(p.split()) < 40 for p in chat_prompts(4, seed=0)]
    [True, False, True, False]
"""

from __future__ import annotations

import random

__all__ = ["LONG_WORDS", "SHORT_WORDS", "chat_prompts", "embedding_texts"]

SHORT_WORDS = 12
LONG_WORDS = 300

_VOCABULARY = (  # noqa: SIM905 - one readable block of words
    "river mountain engine window garden letter market planet signal harbor winter kitchen "
    "library circuit forest bridge painter doctor island message camera silver ocean valley "
    "machine teacher station history summer castle number pattern village lantern compass "
    "thunder meadow journal pocket ribbon shadow velvet anchor basket candle desert feather "
    "glacier hammer jacket ladder marble needle orchard pepper quartz saddle tunnel umbrella "
    "violin walnut yellow zipper almond barrel canvas dolphin elbow falcon garlic helmet"
).split()
_QUESTIONS = (
    "Summarise the text above in one sentence.",
    "Which object is mentioned most often above?",
    "Write a short title for the text above.",
    "List three nouns from the text above.",
)


def _sentence(rng: random.Random, words: int) -> str:
    chosen = [rng.choice(_VOCABULARY) for _ in range(words)]
    return " ".join(chosen).capitalize() + "."


def _paragraph(rng: random.Random, words: int) -> str:
    sentences: list[str] = []
    left = words
    while left > 0:
        size = min(left, rng.randint(8, 16))
        sentences.append(_sentence(rng, size))
        left -= size
    return " ".join(sentences)


def chat_prompts(count: int, seed: int = 0) -> list[str]:
    """Return ``count`` prompts, alternating short and long.

    Args:
        count: How many.
        seed: Generator seed.

    Returns:
        The prompts; the same for the same arguments.
    """
    rng = random.Random(seed)  # noqa: S311 - a reproducible workload, not cryptography
    prompts: list[str] = []
    for index in range(count):
        question = rng.choice(_QUESTIONS)
        if index % 2 == 0:
            subject = " ".join(rng.choice(_VOCABULARY) for _ in range(SHORT_WORDS - 6))
            prompts.append(f"In one sentence, what links these words: {subject}?")
        else:
            prompts.append(f"{_paragraph(rng, LONG_WORDS)}\n\n{question}")
    return prompts


def embedding_texts(count: int, seed: int = 0) -> list[str]:
    """Return ``count`` sentences of 8 to 40 words for the embeddings workload.

    Args:
        count: How many.
        seed: Generator seed.

    Returns:
        The texts; the same for the same arguments.
    """
    rng = random.Random(seed + 1)  # noqa: S311 - a reproducible workload
    return [_paragraph(rng, rng.randint(8, 40)) for _ in range(count)]
