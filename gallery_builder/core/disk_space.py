"""A full disk, told plainly: recognise it behind any error (SQLite's SQLITE_FULL from any driver,
ENOSPC or a quota from the OS, also when re-raised from a worker process) and say, in one line,
where, how much is free, how much the job needs, and that running it again resumes."""
from __future__ import annotations

import errno
import shutil
from pathlib import Path

_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_FULL_TEXTS = ("database or disk is full", "no space left on device", "disk quota exceeded")


def is_disk_full(error: BaseException | None) -> bool:
    """Is `error`, or an error it was raised from, a full disk?"""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, OSError) and error.errno in _FULL_ERRNOS:
            return True
        if any(text in str(error).lower() for text in _FULL_TEXTS):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def free_bytes(path: Path) -> int | None:
    """Free space on the file system holding `path` (its nearest existing parent), or None."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            try:
                return shutil.disk_usage(candidate).free
            except OSError:
                return None
    return None


def human_bytes(count: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} TB"


class DiskFull(Exception):
    """A job stopped because its disk is full; the message is the one line a person reads."""

    def __init__(self, where: Path, doing: str, needed: int | None, then: str) -> None:
        free = free_bytes(where)
        need = f"; {doing} needs about {human_bytes(needed)} more" if needed else ""
        self.summary = f"the disk holding {where} is full ({human_bytes(free or 0)} free){need}"
        super().__init__(f"{self.summary}. Free some space, then {then}")
        self.where, self.needed = where, needed
