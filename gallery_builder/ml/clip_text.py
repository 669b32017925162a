"""CLIP's textual tower: texts -> tokens (`tokenizers`) -> normalised embeddings.

What the search sidecar loads: onnxruntime, tokenizers and numpy only, no Pillow.
"""
from __future__ import annotations

from typing import Any, Sequence

from gallery_builder.ml.clip_bundle import ClipBundle
from gallery_builder.ml.clip_onnx import OrtSettings, Tower, cached, default_threads


class ClipTextEncoder:
    """The textual tower with the bundle's tokenizer."""

    def __init__(self, bundle: ClipBundle, settings: OrtSettings | None = None) -> None:
        from gallery_builder.ml.clip_tokenizer import ClipTokenizer

        self.bundle = bundle
        self.settings = settings or OrtSettings(default_threads())
        self.tokenizer = ClipTokenizer.from_bundle(bundle)
        self.tower = Tower(str(bundle.file("textual/model.onnx")), "text", self.settings)
        self.dtype = "int32" if self.tower.model_input.type == "tensor(int32)" else "int64"

    def encode(self, texts: Sequence[str]) -> Any:
        tokens = self.tokenizer.encode(texts).astype(self.dtype, copy=False)
        return self.tower.run(tokens, 64)


def cached_text_encoder(bundle: ClipBundle, settings: OrtSettings | None = None) -> ClipTextEncoder:
    """The textual tower of `bundle`, loaded once per process."""
    settings = settings or OrtSettings(default_threads())
    return cached(bundle, "textual", settings, lambda: ClipTextEncoder(bundle, settings))
