"""`gallery models fetch buffalo_l`: download InsightFace's buffalo_l in Immich's bundle layout
(`immich-app/buffalo_l`: `detection/model.onnx`, `recognition/model.onnx`) into
`<models>/faces/buffalo_l/`, with the same resumable, checksummed transfer as CLIP bundles (ml.fetch).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable
from urllib.parse import quote

from gallery_builder.ml.faces.backend import BUFFALO_FILES, buffalo_dir
from gallery_builder.ml.fetch import (
    DEFAULT_HUB, DEFAULT_ORG, FetchError, checksum_ok, download, list_remote_files, publish_folder,
)

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
    final = buffalo_dir(models_dir)
    if all((final / remote.path).is_file() and checksum_ok(final / remote.path, remote) for remote in files):
        log(f"  {name} is already installed and every file matches its checksum")
        return final
    staging = final.with_name(f".partial-{name}")
    for remote in files:
        target = staging / remote.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() and checksum_ok(target, remote):
            log(f"  {remote.path}: already here")
            continue
        part = target.with_name(target.name + ".part")
        log(f"  {remote.path}: {remote.size / 1e6:.1f} MB")
        download(f"{base.rstrip('/')}/{repo}/resolve/main/{quote(remote.path)}", part, remote.size, progress)
        if not checksum_ok(part, remote):
            part.unlink()
            raise FetchError(f"{remote.path}: checksum mismatch (the download was removed); run the command again")
        os.replace(part, target)
    return publish_folder(staging, final)
