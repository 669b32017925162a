"""One upload per album at a time, across processes: an advisory file lock (flock) in the data home,
shared by `gallery google upload` and the sidecar; the kernel drops it when its holder dies."""
from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path

from gallery_builder.google.errors import AlbumBusy


class AlbumLock:
    """`with AlbumLock(folder, title):` or AlbumBusy at once when another process uploads to that album."""

    def __init__(self, folder: Path, title: str) -> None:
        self.path = folder / "locks" / f"album-{hashlib.sha256(title.encode()).hexdigest()[:20]}.lock"
        self.title, self.descriptor = title, -1

    def __enter__(self) -> "AlbumLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self.descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.descriptor)
            raise AlbumBusy(f"another upload to the album {self.title!r} is running (CLI or web page): "
                            "wait for it or cancel it") from None
        return self

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.descriptor, fcntl.LOCK_UN)
        os.close(self.descriptor)
