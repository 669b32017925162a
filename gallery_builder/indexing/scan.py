"""Find the media files of a root and reconcile them with the database.

Walks the root with byte paths (so non-UTF-8 names survive), applies the skip rules, then
classifies every file as new, unchanged, changed (size + mtime, then content hash), moved (same
content, new path: the photo keeps its id) or missing. A root that is absent or empty is refused,
never emptied: an unmounted share must not mark its photos missing.
"""
from __future__ import annotations

import os
import re
import stat
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import xxhash

from gallery_builder.core import media_types
from gallery_builder.config import Root
from gallery_builder.db import photos as photo_db
from gallery_builder.db.connection import transaction
from gallery_builder.db.pass_queries import now_iso
from gallery_builder.media.sniff import HEAD_BYTES, kind_by_content

HASH_CHUNK = 1 << 20
COMMIT_EVERY = 500


class RootUnavailable(RuntimeError):
    """The root is absent, not a folder, or empty: refusing to scan it (its photos stay as they are)."""


@dataclass(frozen=True)
class Found:
    """A media file seen on disk."""

    relative: bytes
    kind: str
    size: int
    mtime_ns: int


@dataclass
class ScanReport:
    root: str
    counts: dict[str, int] = field(default_factory=lambda: {
        "seen": 0, "new": 0, "unchanged": 0, "changed": 0, "moved": 0, "returned": 0, "missing": 0,
        "skipped": 0, "errors": 0})
    skipped: list[tuple[str, str]] = field(default_factory=list)
    new_ids: list[int] = field(default_factory=list)
    changed_ids: list[int] = field(default_factory=list)

    def summary(self) -> str:
        shown = ", ".join(f"{value} {key}" for key, value in self.counts.items() if value and key != "seen")
        return f"{self.root}: {self.counts['seen']} media files ({shown or 'nothing changed'})"


def display_path(relative: bytes) -> str:
    """UTF-8 text for a relative path; undecodable bytes become \\xNN (path_bytes keeps the truth)."""
    return relative.decode("utf-8", "backslashreplace")


def hash_file(path: bytes | str) -> str:
    digest = xxhash.xxh3_128()
    with open(path, "rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _error_for(error: OSError) -> tuple[str, str]:
    if isinstance(error, PermissionError):
        return "unreadable", f"permission denied: {error.strerror}"
    return "unreadable", f"cannot read: {error.strerror or error}"


class Walker:
    """Yields media files under a root and collects what it skipped and why."""

    def __init__(self, root: Path, ignore: list[str], hold: frozenset[str] = frozenset()) -> None:
        self.root = os.fsencode(root)
        self.ignore, self.hold = ignore, hold
        self.skipped: list[tuple[str, str]] = []
        self._visited: set[tuple[int, int]] = set()

    def skip(self, relative: bytes, reason: str) -> None:
        self.skipped.append((display_path(relative), reason))

    def walk(self) -> Iterator[Found]:
        yield from self._walk_folder(b"")

    def _walk_folder(self, relative: bytes) -> Iterator[Found]:
        absolute = os.path.join(self.root, relative) if relative else self.root
        try:
            info = os.stat(absolute)
            if (info.st_dev, info.st_ino) in self._visited:
                self.skip(relative, "symlink_loop")
                return
            self._visited.add((info.st_dev, info.st_ino))
            with os.scandir(absolute) as iterator:
                entries = sorted(iterator, key=lambda entry: entry.name)
        except OSError as error:
            self.skip(relative or b".", "unreadable_folder" if isinstance(error, PermissionError) else "folder_error")
            return
        names = {entry.name for entry in entries}
        if media_types.NO_GALLERY_MARKER.encode() in names and relative:
            self.skip(relative, "nogallery")
            return
        files: list[Found] = []
        for entry in entries:
            child = os.path.join(relative, entry.name) if relative else entry.name
            name = os.fsdecode(entry.name)
            if media_types.matches_ignore(display_path(child), display_path(entry.name), self.ignore):
                self.skip(child, "ignored")
                continue
            if self.hold and display_path(child) in self.hold:
                self.skip(child, "in_progress")
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError:
                is_dir = False
            if is_dir:
                reason = media_types.skip_reason_for_folder(name)
                if reason:
                    self.skip(child, reason)
                else:
                    yield from self._walk_folder(child)
                continue
            found = self._examine_file(entry, child, name)
            if found:
                files.append(found)
        yield from files

    def _examine_file(self, entry: os.DirEntry, relative: bytes, name: str) -> Found | None:
        reason = media_types.skip_reason_for_file(name)
        if reason:
            if reason != "sidecar":
                self.skip(relative, reason)
            return None
        try:
            info = entry.stat(follow_symlinks=True)
        except FileNotFoundError:
            self.skip(relative, "broken_symlink")
            return None
        except OSError as error:
            self.skip(relative, "symlink_loop" if error.errno == 40 else "unreadable")
            return None
        if not stat.S_ISREG(info.st_mode):
            self.skip(relative, "not_a_file")
            return None
        kind = media_types.kind_by_extension(name)
        if kind is None and info.st_size:
            kind = self._sniff(os.path.join(self.root, relative))
        if kind is None:
            self.skip(relative, "not_media")
            return None
        return Found(relative, kind, info.st_size, info.st_mtime_ns)

    @staticmethod
    def _sniff(path: bytes) -> str | None:
        try:
            with open(path, "rb") as handle:
                return kind_by_content(handle.read(HEAD_BYTES))
        except OSError:
            return None


_NUMBERED = re.compile(r"^(?P<base>.+?)(?:_\d{1,2}| \(\d{1,2}\)| copy(?: \d{1,2})?| - Copy(?: \(\d{1,2}\))?)$")


def numbered_copy_of(found: Found, by_name: dict[bytes, Found]) -> Found | None:
    """The file a numbered copy (`DSC_1.JPG`, `DSC (1).JPG`, `DSC copy.JPG`) was made from, if beside it."""
    folder, name = os.path.split(found.relative)
    stem, extension = os.path.splitext(name)
    match = _NUMBERED.match(os.fsdecode(stem))
    if not match:
        return None
    candidate = os.path.join(folder, os.fsencode(match.group("base")) + extension)
    original = by_name.get(candidate.lower())
    if original is None or original.relative == found.relative or original.size != found.size:
        return None
    return original


class Scanner:
    """Reconciles one root with the database (one transaction per COMMIT_EVERY changes)."""

    def __init__(self, db: Any, root: Root, ignore: list[str], *, accept_empty: bool = False,
                 hasher: Callable[[bytes], str] = hash_file, threads: int = 4,
                 progress: Callable[[str, int, int], None] | None = None, hold: frozenset[str] = frozenset()) -> None:
        """`hold`: relative paths still being written (watch mode): neither indexed nor marked missing."""
        self.db, self.root, self.ignore, self.accept_empty = db, root, ignore, accept_empty
        self.hold = hold
        self.hasher, self.threads = hasher, threads
        self.progress = progress or (lambda stage, done, total: None)
        self.root_bytes = os.fsencode(root.path)

    def scan(self) -> ScanReport:
        started = now_iso()
        self._check_root_present()
        walker = Walker(self.root.path, self.ignore, self.hold)
        found = list(walker.walk())
        root_id = photo_db.ensure_root(self.db, self.root.label, str(self.root.path))
        known = photo_db.known_files(self.db, root_id)
        if not found and not self.accept_empty and any(k.status != "missing" for k in known.values()):
            raise RootUnavailable(
                f"root {self.root.label!r} ({self.root.path}) holds no media files now but the index has "
                f"photos there: refusing to mark them missing (an unmounted share?). If you really removed "
                f"them all, run again with --accept-empty.")
        report = ScanReport(self.root.label)
        report.counts["seen"] = len(found)
        found = self._drop_numbered_copies(found, walker)
        report.skipped = walker.skipped
        report.counts["skipped"] = len(walker.skipped)
        self._reconcile(root_id, found, known, report)
        with transaction(self.db):
            photo_db.replace_skipped(self.db, root_id, report.skipped)
            photo_db.record_scan(self.db, root_id, started, report.counts)
        return report

    def _check_root_present(self) -> None:
        path = self.root.path
        if not path.exists():
            raise RootUnavailable(f"root {self.root.label!r}: {path} does not exist (unmounted share?); "
                                  "nothing was changed")
        if not path.is_dir():
            raise RootUnavailable(f"root {self.root.label!r}: {path} is not a folder; nothing was changed")
        try:
            with os.scandir(path) as entries:
                empty = not any(entries)
        except OSError as error:
            raise RootUnavailable(f"root {self.root.label!r}: cannot list {path} ({error.strerror})") from error
        if empty and not self.accept_empty:
            raise RootUnavailable(f"root {self.root.label!r}: {path} is empty (unmounted share?); "
                                  "refusing to scan it, nothing was changed")

    def _drop_numbered_copies(self, found: list[Found], walker: Walker) -> list[Found]:
        by_name = {item.relative.lower(): item for item in found}
        kept = []
        for item in found:
            original = numbered_copy_of(item, by_name)
            if original and self._same_content(item, original):
                walker.skip(item.relative, "numbered_copy")
                continue
            kept.append(item)
        return kept

    def _same_content(self, first: Found, second: Found) -> bool:
        try:
            return self.hasher(self._absolute(first.relative)) == self.hasher(self._absolute(second.relative))
        except OSError:
            return False

    def _absolute(self, relative: bytes) -> bytes:
        return os.path.join(self.root_bytes, relative)

    def _reconcile(self, root_id: int, found: list[Found], known: dict[bytes, photo_db.KnownFile],
                   report: ScanReport) -> None:
        to_hash: list[Found] = []
        touched: set[bytes] = set()
        for item in found:
            existing = known.get(item.relative)
            touched.add(item.relative)
            if (existing and existing.status != "missing" and existing.size == item.size
                    and existing.mtime_ns == item.mtime_ns and existing.error_code != "unreadable"):
                report.counts["unchanged"] += 1
            else:
                to_hash.append(item)
        gone = {key: row for key, row in known.items() if key not in touched and row.status != "missing"
                and display_path(key) not in self.hold}
        gone_by_hash: dict[str, photo_db.KnownFile] = {}
        for row in list(gone.values()) + [row for row in known.values() if row.status == "missing"]:
            if row.content_hash:
                gone_by_hash.setdefault(row.content_hash, row)
        self._apply_changes(root_id, to_hash, known, gone, gone_by_hash, report)
        with transaction(self.db):
            report.counts["missing"] = photo_db.mark_missing(self.db, [row.id for row in gone.values()])

    def _apply_changes(self, root_id: int, items: list[Found], known: dict[bytes, photo_db.KnownFile],
                       gone: dict[bytes, photo_db.KnownFile], gone_by_hash: dict[str, photo_db.KnownFile],
                       report: ScanReport) -> None:
        pending = 0
        self.db.execute("BEGIN IMMEDIATE")
        try:
            with ThreadPoolExecutor(max_workers=self.threads) as pool:
                for done, (item, record) in enumerate(pool.map(self._record_for, items), start=1):
                    self._apply_one(root_id, item, record, known, gone, gone_by_hash, report)
                    pending += 1
                    if pending >= COMMIT_EVERY:
                        self.db.execute("COMMIT")
                        self.db.execute("BEGIN IMMEDIATE")
                        pending = 0
                    self.progress("hash", done, len(items))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def _record_for(self, item: Found) -> tuple[Found, photo_db.FileRecord]:
        text = display_path(item.relative)
        folder, _, name = text.rpartition("/")
        content_hash, code, message = None, None, None
        if item.size == 0:
            code, message = "empty", "the file is empty (0 bytes)"
        else:
            try:
                content_hash = self.hasher(self._absolute(item.relative))
            except OSError as error:
                code, message = _error_for(error)
        return item, photo_db.FileRecord(item.relative, text, folder, name, item.kind, item.size,
                                         item.mtime_ns, content_hash, code, message)

    def _apply_one(self, root_id: int, item: Found, record: photo_db.FileRecord,
                   known: dict[bytes, photo_db.KnownFile], gone: dict[bytes, photo_db.KnownFile],
                   gone_by_hash: dict[str, photo_db.KnownFile], report: ScanReport) -> None:
        existing = known.get(item.relative)
        if record.error_code:
            report.counts["errors"] += 1
        if existing:
            if existing.status == "missing":
                report.counts["returned"] += 1
            if existing.content_hash and existing.content_hash == record.content_hash \
                    and existing.status != "missing" and not existing.error_code:
                photo_db.touch_mtime(self.db, existing.id, item.mtime_ns)
                report.counts["unchanged"] += 1
                return
            photo_db.update_file(self.db, existing.id, record)
            report.counts["changed"] += existing.status != "missing"
            report.changed_ids.append(existing.id)
            return
        moved_from = gone_by_hash.pop(record.content_hash, None) if record.content_hash else None
        if moved_from is not None and moved_from.path_bytes not in {item.relative}:
            gone.pop(moved_from.path_bytes, None)
            photo_db.update_file(self.db, moved_from.id, record)
            report.counts["moved"] += 1
            report.changed_ids.append(moved_from.id)
            return
        report.new_ids.append(photo_db.insert_file(self.db, root_id, record))
        report.counts["new"] += 1
