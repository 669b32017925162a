"""Tiny aesthetic heads with planted meaning for the tiny CLIP of tests/tiny_clip.py (8-d embeddings),
written by the real bundle writer, and the words that give the concept prompts a planted meaning.

The planted score is 5 + 4·red - 3·blue + 2·object on the normalised embedding: a red photo scores
high, a blue one low. The "mlp" head reaches the same map through two affine layers (as LAION's
improved MLP, which has no activations), the "linear" head in one.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from tests.tiny_clip import DIM, WORDS, word_vector

PLANTED = np.array([4.0, 0.0, -3.0, 2.0, 0.0, 0.0, 0.0, 0.0], dtype=np.float32)
OFFSET = 5.0

# The concept prompts' keywords (gallery_builder/ml/concepts.py) with planted directions: an object
# in the centre reads as detail (sharp, strong composition), a flat picture as blur and clutter.
CONCEPT_WORDS: dict = {**WORDS, "sharp": 3, "blurry": 7, "balanced": 1, "overexposed": 0, "underexposed": 2,
                       "strong": 3, "cluttered": 7, "portrait": 0, "landscape": 1, "screenshot": 2}


def planted_layers(kind: str) -> list[tuple[np.ndarray, np.ndarray]]:
    if kind == "linear":
        return [(PLANTED.reshape(1, DIM), np.array([OFFSET], np.float32))]
    first = np.zeros((3, DIM), np.float32)
    first[0], first[1] = PLANTED / 2, PLANTED / 2      # two halves of the map...
    first[2, 5] = 7.0                                   # ...and a unit the next layer ignores
    second = np.array([[1.0, 1.0, 0.0]], np.float32)
    return [(first, np.array([1.0, -1.0, 3.0], np.float32)), (second, np.array([OFFSET], np.float32))]


def write_head(models_dir: Path, name: str, clip_model: str, kind: str = "mlp", version: int = 1) -> Path:
    from gallery_builder.ml.aesthetic import write_head as write

    return write(models_dir, name, planted_layers(kind), clip_model, kind, version)


def expected_score(embedding: np.ndarray) -> float:
    """The oracle: the planted map on a normalised embedding."""
    embedding = np.asarray(embedding, np.float64)
    return float(OFFSET + PLANTED @ (embedding / np.linalg.norm(embedding)))


def prompt_vector(prompt: str) -> np.ndarray:
    """The tiny text tower's output for a prompt, worked out by hand: the planted words it holds, summed."""
    total = np.zeros(DIM, np.float32)
    for word in re.findall(r"[a-z]+", prompt.lower()):
        if word in CONCEPT_WORDS:
            total += word_vector(CONCEPT_WORDS[word])
    return total
