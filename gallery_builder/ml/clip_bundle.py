"""Where a CLIP bundle lives and what it holds: the on-disk layout Immich publishes.

`<models>/clip/<NAME>/config.json`, `visual/model.onnx` + `visual/preprocess_cfg.json`,
`textual/model.onnx` + `textual/tokenizer.json` + `textual/tokenizer_config.json`.
NAME is `<open_clip arch>__<pretrained tag>`, e.g. `ViT-B-32__laion2b-s34b-b79k`.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Part = Literal["visual", "textual"]

DEFAULT_CLIP_MODEL = "ViT-B-32__laion2b-s34b-b79k"
CONFIG_FILE = "config.json"
PART_FILES: dict[str, tuple[str, ...]] = {
    "visual": ("visual/model.onnx", "visual/preprocess_cfg.json"),
    "textual": ("textual/model.onnx", "textual/tokenizer.json", "textual/tokenizer_config.json"),
}
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


class ModelMissing(RuntimeError):
    """A model bundle (or a part of it) is not installed; the message says how to add it."""


def clip_root(models_dir: str | Path) -> Path:
    return Path(models_dir) / "clip"


def check_name(name: str) -> str:
    """Refuse names that could escape the models folder (`..`, `/`, empty)."""
    if not name or not _SAFE_NAME.match(name) or ".." in name:
        raise ValueError(f"not a valid CLIP model name: {name!r} (expected e.g. {DEFAULT_CLIP_MODEL})")
    return name


def split_name(name: str) -> tuple[str, str | None]:
    """`ViT-B-32__laion2b-s34b-b79k` -> (`ViT-B-32`, `laion2b_s34b_b79k`); no `__` -> no pretrained tag."""
    arch, separator, tag = check_name(name).partition("__")
    return arch, (tag.replace("-", "_") if separator and tag else None)


def missing_model_message(name: str, models_dir: str | Path, missing: list[str]) -> str:
    where = clip_root(models_dir) / name
    return (f"CLIP model {name!r} is not installed (missing in {where}: {', '.join(missing)}). "
            f"Add it with `gallery models fetch {name}` (needs internet once) or "
            f"`gallery models export {name}` (needs the export extra: pip install 'gallery_builder[export]').")


@dataclass(frozen=True)
class ClipBundle:
    """One installed bundle; reads its small JSON files on demand."""

    name: str
    path: Path

    def file(self, relative: str) -> Path:
        return self.path / relative

    def missing(self, parts: tuple[str, ...] = ("visual", "textual")) -> list[str]:
        wanted = (CONFIG_FILE,) + tuple(item for part in parts for item in PART_FILES[part])
        return [item for item in wanted if not self.file(item).is_file()]

    def config(self) -> dict[str, Any]:
        return _read_json(self.file(CONFIG_FILE))

    def preprocess_config(self) -> dict[str, Any]:
        return _read_json(self.file("visual/preprocess_cfg.json"))

    def tokenizer_config(self) -> dict[str, Any]:
        return _read_json(self.file("textual/tokenizer_config.json"))

    def context_length(self) -> int:
        return int(self.config().get("text_cfg", {}).get("context_length", 77))

    def embed_dim(self) -> int | None:
        value = self.config().get("embed_dim")
        return int(value) if value else None

    def fingerprint(self, part: Part) -> str:
        """Changes when the part's model file is replaced (cache keys use it)."""
        stat = self.file(f"{part}/model.onnx").stat()
        return f"{self.name}:{part}:{stat.st_size}:{stat.st_mtime_ns}"

    def size_bytes(self) -> int:
        return sum(item.stat().st_size for item in self.path.rglob("*") if item.is_file())


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ModelMissing(f"cannot read {path}: {error}") from error
    if not isinstance(data, dict):
        raise ModelMissing(f"{path}: expected a JSON object")
    return data


def find_bundle(models_dir: str | Path, name: str, parts: tuple[str, ...] = ("visual", "textual")) -> ClipBundle:
    """The installed bundle with these parts, or ModelMissing naming the command that adds it."""
    bundle = ClipBundle(check_name(name), clip_root(models_dir) / name)
    missing = bundle.missing(parts)
    if missing:
        raise ModelMissing(missing_model_message(name, models_dir, missing))
    bundle.config()  # a truncated or hand-edited config.json is reported here, not mid-run
    return bundle


def installed_bundles(models_dir: str | Path) -> list[ClipBundle]:
    """Every folder under <models>/clip that looks like a bundle (complete or not), by name."""
    root = clip_root(models_dir)
    if not root.is_dir():
        return []
    return [ClipBundle(entry.name, entry) for entry in sorted(root.iterdir())
            if entry.is_dir() and not entry.name.startswith(".") and _SAFE_NAME.match(entry.name)]
