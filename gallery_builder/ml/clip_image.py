"""CLIP's visual tower: preprocessed images (Pillow, in `clip_preprocess`) -> normalised embeddings.

The indexer's clip pass uses it; the search sidecar never imports this module (it has no Pillow).
"""
from __future__ import annotations

from typing import Any, Sequence

from gallery_builder.ml.clip_bundle import ClipBundle
from gallery_builder.ml.clip_onnx import OrtSettings, Tower, cached, default_threads

IMAGE_CHUNK = 16


class ClipImageEncoder:
    """The visual tower with the bundle's preprocessing."""

    def __init__(self, bundle: ClipBundle, settings: OrtSettings | None = None, model_path: str | None = None) -> None:
        """`model_path`: another file of the same tower (e.g. an int8 copy) instead of visual/model.onnx."""
        from gallery_builder.ml.clip_preprocess import Preprocess

        self.bundle = bundle
        self.settings = settings or OrtSettings(default_threads())
        self.preprocess = Preprocess.from_config(bundle.preprocess_config())
        self.tower = Tower(model_path or str(bundle.file("visual/model.onnx")), "image", self.settings)

    def encode_arrays(self, arrays: Sequence[Any]) -> Any:
        """Preprocessed [3, H, W] arrays -> normalised embeddings [N, D]."""
        import numpy as np

        return self.tower.run(np.stack(list(arrays)).astype(np.float32, copy=False), IMAGE_CHUNK)

    def encode_files(self, paths: Sequence[str]) -> Any:
        from gallery_builder.ml.clip_preprocess import load_model_input

        return self.encode_arrays([load_model_input(path, self.preprocess) for path in paths])


def cached_image_encoder(bundle: ClipBundle, settings: OrtSettings | None = None) -> ClipImageEncoder:
    """The visual tower of `bundle`, loaded once per process."""
    settings = settings or OrtSettings(default_threads())
    return cached(bundle, "visual", settings, lambda: ClipImageEncoder(bundle, settings))
