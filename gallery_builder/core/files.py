"""Atomic file writes: a temp file in the same folder, then a rename; the temp file never stays
behind, not even when the disk fills up half-way through the write."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def temp_path_for(path: Path) -> Path:
    """The hidden temp name a write of `path` goes through (same folder, so the rename is atomic)."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def write_bytes_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_path_for(path)
    try:
        temp.write_bytes(data)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    write_bytes_atomic(path, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))
