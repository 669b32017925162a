"""Zero-shot concepts: technical and compositional questions asked of the clip model's own vectors.

Each question (focus, exposure, ...) has a few answers, each a prompt; the text tower embeds the
prompts once per process and model, and a photo's stored image vector gets, per answer, its share
of the question (softmax over cosine similarities times CLIP's logit scale, 100). Questions and
prompts are listed once here; changing them changes `prompt_set_id`, which re-scores every photo.
"""
from __future__ import annotations

import hashlib
import threading
from typing import Any

LOGIT_SCALE = 100.0

# question -> ((concept, prompt), ...); the concepts of a question are exclusive answers.
QUESTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "focus": (("sharp", "a sharp photo, crisp and in focus"),
              ("blurry", "a blurry photo, out of focus or shaken")),
    "exposure": (("well exposed", "a photo with balanced exposure"),
                 ("overexposed", "an overexposed photo, washed out and too bright"),
                 ("underexposed", "an underexposed photo, too dark")),
    "composition": (("good composition", "a photo with a strong, well balanced composition"),
                    ("poor composition", "a photo with a cluttered, awkward composition")),
    "subject": (("portrait", "a portrait photo of a person"),
                ("group", "a photo of a group of people"),
                ("landscape", "a landscape photo of nature"),
                ("cityscape", "a photo of a city street or buildings"),
                ("animal", "a photo of an animal or a pet"),
                ("food", "a photo of food or a meal"),
                ("document", "a photo of a document, a receipt or a page of text"),
                ("screenshot", "a screenshot of a computer or phone screen"),
                ("object", "a close-up photo of an object")),
}


def concepts() -> list[tuple[str, str, str]]:
    """(question, concept, prompt) in a fixed order."""
    return [(question, concept, prompt) for question, answers in QUESTIONS.items() for concept, prompt in answers]


def prompt_set_id() -> str:
    """A short hash of every question, concept and prompt: part of the stored model key."""
    text = "\n".join("\t".join(item) for item in concepts())
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def concept_model_key(clip_model: str) -> str:
    return f"{clip_model}#{prompt_set_id()}"


_TEXT: dict[str, Any] = {}
_LOCK = threading.Lock()


def prompt_matrix(bundle: Any) -> Any:
    """The normalised text embeddings of every prompt [C, D], computed once per bundle file version."""
    from gallery_builder.ml.clip_text import cached_text_encoder

    key = f"{bundle.fingerprint('textual')}#{prompt_set_id()}"
    with _LOCK:
        if key not in _TEXT:
            _TEXT[key] = cached_text_encoder(bundle).encode([prompt for _, _, prompt in concepts()])
        return _TEXT[key]


def score_concepts(vectors: Any, prompts: Any) -> list[dict[str, float]]:
    """Per image vector, every concept's share of its question (rounded to 4 decimals)."""
    import numpy as np

    from gallery_builder.ml.clip_onnx import normalise_rows

    logits = LOGIT_SCALE * (normalise_rows(vectors) @ np.asarray(prompts, np.float32).T)
    listed = concepts()
    results: list[dict[str, float]] = [{} for _ in range(len(logits))]
    start = 0
    for question, answers in QUESTIONS.items():
        part = logits[:, start:start + len(answers)].astype(np.float64)
        shares = np.exp(part - part.max(axis=1, keepdims=True))
        shares /= shares.sum(axis=1, keepdims=True)
        for offset in range(len(answers)):
            concept = listed[start + offset][1]
            for row, value in enumerate(shares[:, offset]):
                results[row][concept] = round(float(value), 4)
        start += len(answers)
    return results
