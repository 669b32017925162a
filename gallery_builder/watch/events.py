"""Watch mode's event side: file-system events -> pending changes per root -> settled batches.

A change counts only once it has been quiet for `settle` seconds *and* its size and mtime (for a
folder: file count, total size, newest mtime) read the same over that time, so a copy in progress
is never indexed half-way. Events on paths the scan skips anyway (@eaDir, hidden files, ...) are
dropped here so a NAS's own thumbnailer does not trigger rescans.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

from watchdog.events import (
    DirCreatedEvent, DirDeletedEvent, DirMovedEvent, FileAttribEvent, FileClosedEvent, FileCreatedEvent,
    FileDeletedEvent, FileModifiedEvent, FileMovedEvent, FileSystemEvent, FileSystemEventHandler,
)

from gallery_builder.core import media_types
from gallery_builder.config import Root
from gallery_builder.indexing.scan import display_path

# The events that can change what the scan finds (opened/closed-without-write/dir-modified cannot).
WATCHED_EVENTS: list[type[FileSystemEvent]] = [
    FileCreatedEvent, FileDeletedEvent, FileModifiedEvent, FileMovedEvent, FileClosedEvent, FileAttribEvent,
    DirCreatedEvent, DirDeletedEvent, DirMovedEvent,
]
Signature = tuple[int, int, int] | None
Probe = Callable[[str, bool], Signature]
_UNSEEN: tuple[int, int, int] = (-1, -1, -1)


@dataclass(frozen=True)
class ChangeScope:
    """What a batch touched, handed to the site rebuild: root labels and (label, folder) pairs."""

    roots: tuple[str, ...]
    folders: tuple[tuple[str, str], ...] = ()
    full: bool = False


@dataclass(frozen=True)
class Batch:
    """Roots to rescan now; `excluded` holds, per root, paths still changing (left out this time)."""

    roots: tuple[str, ...]
    scope: ChangeScope
    excluded: dict[str, tuple[str, ...]] = field(default_factory=dict)
    changes: int = 0


@dataclass
class _Pending:
    is_directory: bool
    first_event: float
    last_event: float
    signature: tuple[int, int, int] | None = _UNSEEN
    stable_since: float = 0.0


def probe_signature(path: str, is_directory: bool) -> Signature:
    """(size, mtime_ns, 1) of a file; (total size, newest mtime_ns, file count) of a folder; None if gone."""
    try:
        if not is_directory:
            info = os.stat(path)
            return info.st_size, info.st_mtime_ns, 1
        total = newest = count = 0
        for folder, _, names in os.walk(path):
            for name in names:
                try:
                    info = os.stat(os.path.join(folder, name))
                except OSError:
                    continue
                total, newest, count = total + info.st_size, max(newest, info.st_mtime_ns), count + 1
        return (total, newest, count) if os.path.isdir(path) else None
    except OSError:
        return None


def is_relevant(relative: str, ignore: Iterable[str] = ()) -> bool:
    """Whether a change at this root-relative path can matter to the scan."""
    parts = [part for part in relative.split(os.sep) if part]
    if not parts:
        return True
    if any(media_types.skip_reason_for_folder(part) for part in parts[:-1]):
        return False
    name = parts[-1]
    if name == media_types.NO_GALLERY_MARKER:
        return True
    if media_types.skip_reason_for_file(name) not in (None, "sidecar") or media_types.skip_reason_for_folder(name):
        return False
    shown = display_path(os.fsencode(relative))
    return not media_types.matches_ignore(shown, display_path(os.fsencode(name)), list(ignore))


class PendingChanges:
    """Thread-safe store of changed paths per root label; the observer adds, the main loop drains."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, dict[str, _Pending]] = {}
        self._full: dict[str, float] = {}

    def note(self, label: str, relative: str, is_directory: bool) -> None:
        now = self.clock()
        with self._lock:
            entries = self._entries.setdefault(label, {})
            entry = entries.get(relative)
            if entry is None:
                entries[relative] = _Pending(is_directory, now, now)
            else:
                entry.last_event, entry.is_directory = now, entry.is_directory or is_directory

    def mark_full(self, label: str) -> None:
        """Ask for a rescan of the whole root (start, remount, periodic rescan, failed batch)."""
        with self._lock:
            self._full.setdefault(label, self.clock())

    def drop_root(self, label: str) -> None:
        with self._lock:
            self._entries.pop(label, None)
            self._full.pop(label, None)

    def count(self) -> int:
        with self._lock:
            return sum(len(entries) for entries in self._entries.values()) + len(self._full)

    def review(self, root_paths: dict[str, str], probe: Probe = probe_signature) -> None:
        """Re-read every pending path; a path whose signature moved restarts its quiet time."""
        now = self.clock()
        with self._lock:
            work = [(label, relative, entry) for label, entries in self._entries.items()
                    for relative, entry in entries.items()]
        for label, relative, entry in work:
            signature = probe(os.path.join(root_paths[label], relative), entry.is_directory)
            with self._lock:
                if signature != entry.signature:
                    entry.signature, entry.stable_since = signature, now

    def take_batch(self, settle: float, max_wait: float) -> Batch | None:
        """Settled changes of every root that is ready; a root waits for its copies in progress,
        at most `max_wait` seconds, after which what is still changing is excluded from its batch."""
        now = self.clock()
        with self._lock:
            ready: dict[str, list[str]] = {}
            excluded: dict[str, tuple[str, ...]] = {}
            for label in set(self._entries) | set(self._full):
                taken = self._take_root(label, now, settle, max_wait, excluded)
                if taken is not None:
                    ready[label] = taken
            if not ready:
                return None
            full = [label for label in ready if self._full.pop(label, None) is not None]
        return _make_batch(ready, full, excluded)

    def _take_root(self, label: str, now: float, settle: float, max_wait: float,
                   excluded: dict[str, tuple[str, ...]]) -> list[str] | None:
        entries = self._entries.get(label, {})
        settled = [relative for relative, entry in entries.items() if _is_settled(entry, now, settle)]
        waiting = [relative for relative in entries if relative not in settled]
        if not settled and label not in self._full:
            return None
        if waiting:
            oldest = min([entries[relative].first_event for relative in entries] + [self._full.get(label, now)])
            if now - oldest < max_wait:
                return None
            excluded[label] = tuple(sorted(waiting))
        for relative in settled:
            del entries[relative]
        if not entries:
            self._entries.pop(label, None)
        return settled


def _is_settled(entry: _Pending, now: float, settle: float) -> bool:
    return entry.signature != _UNSEEN and now - entry.last_event >= settle and now - entry.stable_since >= settle


def _make_batch(ready: dict[str, list[str]], full: list[str], excluded: dict[str, tuple[str, ...]]) -> Batch:
    folders = sorted({(label, os.path.dirname(relative)) for label, paths in ready.items() for relative in paths})
    scope = ChangeScope(roots=tuple(sorted(ready)), folders=tuple(folders), full=bool(full))
    return Batch(roots=scope.roots, scope=scope, excluded=excluded,
                 changes=sum(len(paths) for paths in ready.values()) + len(full))


class ChangeHandler(FileSystemEventHandler):
    """Maps watchdog events to (root label, relative path) and notes the relevant ones."""

    def __init__(self, roots: Iterable[Root], pending: PendingChanges, ignore: Iterable[str] = ()) -> None:
        self.roots = sorted(((root.label, str(root.path)) for root in roots), key=lambda item: -len(item[1]))
        self.pending, self.ignore = pending, list(ignore)

    def on_any_event(self, event: FileSystemEvent) -> None:
        if not isinstance(event, tuple(WATCHED_EVENTS)):
            return
        paths = [event.src_path]
        if isinstance(event, (FileMovedEvent, DirMovedEvent)) and event.dest_path:
            paths.append(event.dest_path)
        for path in paths:
            self._note(os.fsdecode(path), event.is_directory)

    def _note(self, path: str, is_directory: bool) -> None:
        for label, root in self.roots:
            if path == root or path.startswith(root.rstrip(os.sep) + os.sep):
                relative = os.path.relpath(path, root) if path != root else ""
                if relative and is_relevant(relative, self.ignore):
                    self.pending.note(label, relative, is_directory)
                return
