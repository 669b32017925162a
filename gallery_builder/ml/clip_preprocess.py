"""CLIP image preprocessing as the bundle's `visual/preprocess_cfg.json` says (open_clip's transform).

Resize (shortest side, squash or longest side with padding), centre crop, RGB, scale to [0, 1],
normalise by mean/std, channels first. Pillow and numpy are imported inside the functions.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)
RESIZE_MODES = ("shortest", "squash", "longest")


@dataclass(frozen=True)
class Preprocess:
    """The numbers of one model's image transform."""

    height: int
    width: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    interpolation: str = "bicubic"
    resize_mode: str = "shortest"
    fill_color: int = 0

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Preprocess":
        size = config.get("size", 224)
        height, width = (size, size) if isinstance(size, int) else (int(size[0]), int(size[-1]))
        mode = str(config.get("resize_mode", "shortest"))
        if mode not in RESIZE_MODES:
            raise ValueError(f"preprocess_cfg.json: unknown resize_mode {mode!r}; known: {', '.join(RESIZE_MODES)}")
        return cls(height=int(height), width=int(width),
                   mean=tuple(float(v) for v in config.get("mean", OPENAI_MEAN)),  # type: ignore[arg-type]
                   std=tuple(float(v) for v in config.get("std", OPENAI_STD)),  # type: ignore[arg-type]
                   interpolation=str(config.get("interpolation", "bicubic")),
                   resize_mode=mode, fill_color=int(config.get("fill_color", 0) or 0))


def _resampling(name: str) -> Any:
    from PIL import Image

    table = {"bicubic": Image.Resampling.BICUBIC, "bilinear": Image.Resampling.BILINEAR,
             "nearest": Image.Resampling.NEAREST, "lanczos": Image.Resampling.LANCZOS}
    try:
        return table[name.lower()]
    except KeyError:
        raise ValueError(f"preprocess_cfg.json: unknown interpolation {name!r}") from None


def open_for_clip(path: str, preprocess: Preprocess) -> Any:
    """Open an image (a thumbnail) read-only, letting JPEG decode at a reduced scale when it can."""
    from PIL import Image

    image = Image.open(path)
    image.draft("RGB", (preprocess.width, preprocess.height))  # DCT scaling, never below the target size
    image.load()
    return image


def resize_and_crop(image: Any, preprocess: Preprocess) -> Any:
    """Resize and crop to the model's input size, as open_clip's eval transform does."""
    from PIL import Image

    image = image.convert("RGB")
    resample = _resampling(preprocess.interpolation)
    target_h, target_w = preprocess.height, preprocess.width
    if preprocess.resize_mode == "squash":
        return image.resize((target_w, target_h), resample)
    width, height = image.size
    if preprocess.resize_mode == "longest":
        scale = min(target_w / width, target_h / height)
        scaled = image.resize((max(1, round(width * scale)), max(1, round(height * scale))), resample)
        canvas = Image.new("RGB", (target_w, target_h), (preprocess.fill_color,) * 3)
        canvas.paste(scaled, ((target_w - scaled.width) // 2, (target_h - scaled.height) // 2))
        return canvas
    scale = max(target_w / width, target_h / height)  # the shorter side lands on the target
    resized = image.resize((max(target_w, int(width * scale)), max(target_h, int(height * scale))), resample)
    left = int(round((resized.width - target_w) / 2.0))
    top = int(round((resized.height - target_h) / 2.0))
    return resized.crop((left, top, left + target_w, top + target_h))


def to_model_input(image: Any, preprocess: Preprocess) -> Any:
    """A float32 array [3, H, W], scaled to [0, 1] and normalised."""
    import numpy as np

    array = np.asarray(resize_and_crop(image, preprocess), dtype=np.float32) / 255.0
    array = (array - np.asarray(preprocess.mean, dtype=np.float32)) / np.asarray(preprocess.std, dtype=np.float32)
    return np.ascontiguousarray(array.transpose(2, 0, 1))


def load_model_input(path: str, preprocess: Preprocess) -> Any:
    image = open_for_clip(path, preprocess)
    try:
        return to_model_input(image, preprocess)
    finally:
        image.close()
