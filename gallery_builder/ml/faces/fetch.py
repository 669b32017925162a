"""`gallery models fetch buffalo_l`: download InsightFace's buffalo_l in Immich's bundle layout
(`immich-app/buffalo_l`: `detection/model.onnx`, `recognition/model.onnx`) into
`<models>/faces/buffalo_l/`, with the same resumable, checksummed transfer as CLIP bundles (ml.fetch).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from gallery_builder.ml.faces.backend import BUFFALO_FILES, buffalo_dir
from gallery_builder.ml.fetch import DEFAULT_HUB, DEFAULT_ORG, FetchError, install_files, list_remote_files

FACE_BUNDLES: dict[str, tuple[str, ...]] = {"buffalo_l": BUFFALO_FILES}


def fetch_face_bundle(models_dir: str | Path, name: str = "buffalo_l", base: str = DEFAULT_HUB,
                      org: str = DEFAULT_ORG, log: Callable[[str], None] = print,
                      progress: Callable[[int], None] = lambda size: None) -> Path:
    """Download a face bundle into <models>/faces/NAME; returns the folder. Safe to interrupt and rerun."""
    if name not in FACE_BUNDLES:
        raise ValueError(f"unknown face bundle {name!r}; known: {', '.join(FACE_BUNDLES)}")
    wanted = FACE_BUNDLES[name]
    repo = f"{org}/{name}"
    files = list_remote_files(base, repo, wanted=lambda path: path in wanted)
    missing = [path for path in wanted if path not in {remote.path for remote in files}]
    if missing:
        raise FetchError(f"{repo} at {base} lacks {', '.join(missing)}: not a face bundle in Immich's layout")
    return install_files(files, base, repo, buffalo_dir(models_dir), log, progress)
