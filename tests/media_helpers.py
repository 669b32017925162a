"""Drive the default passes directly, as the runner does, over files of a folder (added one by one, or
found by the real scan; no CLI), and write image formats Pillow cannot write (PSD, an XCF header)."""
from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Any

from gallery_builder.db.connection import connect, transaction
from gallery_builder.db.pass_queries import record_pass_results
from gallery_builder.db.photos import FileRecord, ensure_root, insert_file
from gallery_builder.core.media_types import kind_by_extension
from gallery_builder.media.sniff import kind_by_content
from gallery_builder.passes import in_dependency_order
from gallery_builder.core.records import PhotoResult, RunContext, Scope
from gallery_builder.indexing.scan import hash_file


class PassHarness:
    """One database, one root folder, photo rows added by relative path, passes run in order."""

    def __init__(self, work: Path, root: Path, **context: Any) -> None:
        self.root = root
        self.db = connect(work / "gallery.db")
        self.root_id = ensure_root(self.db, "corpus", str(root))
        self.context = RunContext.for_home(work, **context)
        self.ids: dict[str, int] = {}

    def add(self, relative: str, kind: str | None = None) -> int:
        path = self.root / relative
        stat = path.stat()
        with open(path, "rb") as handle:
            head = handle.read(64)
        kind = kind or kind_by_extension(path.name) or kind_by_content(head) or "photo"
        folder, _, name = relative.rpartition("/")
        record = FileRecord(path_bytes=os.fsencode(relative), path=relative, folder=folder, name=name, kind=kind,
                            size=stat.st_size, mtime_ns=stat.st_mtime_ns, content_hash=hash_file(str(path)))
        self.ids[relative] = insert_file(self.db, self.root_id, record)
        return self.ids[relative]

    def scan(self) -> Any:
        """The real scan over the whole root (skip rules, content sniffing); found files join `ids`."""
        from gallery_builder.config import Root
        from gallery_builder.indexing.scan import Scanner

        report = Scanner(self.db, Root("corpus", self.root), []).scan()
        for path, photo_id in self.db.execute("SELECT path, id FROM photos WHERE root_id = ?", (self.root_id,)):
            self.ids[path] = photo_id
        return report

    def run(self, *names: str, force: bool = False) -> dict[int, PhotoResult]:
        """Every named pass (plus requirements) over all pending photos; results of the last by id."""
        results: dict[int, PhotoResult] = {}
        for the_pass in in_dependency_order(list(names)):
            results = {}
            ids = the_pass.pending(self.db, Scope(), self.context, force)
            for start in range(0, len(ids), the_pass.batch_size):
                batch = the_pass.inputs(self.db, ids[start:start + the_pass.batch_size], self.context)
                done = the_pass.run(batch, self.context)
                hashes = {item.photo_id: item.content_hash for item in batch}
                with transaction(self.db):
                    the_pass.save(self.db, done)
                    record_pass_results(self.db, the_pass.name, the_pass.version, done, hashes,
                                        the_pass.marks_photo_error)
                results.update({result.photo_id: result for result in done})
        return results

    def row(self, table: str, relative: str) -> dict[str, Any] | None:
        found = self.db.execute(f"SELECT * FROM {table} WHERE photo_id = ?", (self.ids[relative],)).fetchone()
        return dict(found) if found else None

    def pass_run(self, name: str, relative: str) -> dict[str, Any] | None:
        found = self.db.execute("SELECT * FROM pass_runs WHERE pass = ? AND photo_id = ?",
                                (name, self.ids[relative])).fetchone()
        return dict(found) if found else None

    def photo(self, relative: str) -> dict[str, Any]:
        return dict(self.db.execute("SELECT * FROM photos WHERE id = ?", (self.ids[relative],)).fetchone())


def write_psd(path: Path, image: Any) -> Path:
    """A minimal Photoshop document (Adobe's file format spec, version 1): the header, empty colour
    mode data, image resources and layer sections, then the composite image as raw 8-bit RGB planes."""
    rgb = image.convert("RGB")
    width, height = rgb.size
    header = b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, height, width, 8, 3)  # v1, 3 channels, depth 8, RGB
    sections = struct.pack(">III", 0, 0, 0)  # colour mode data, image resources, layer and mask info
    planes = b"".join(band.tobytes() for band in rgb.split())
    path.write_bytes(header + sections + struct.pack(">H", 0) + planes)  # compression 0: raw
    return path


def write_xcf(path: Path, width: int = 64, height: int = 48) -> Path:
    """The start of a GIMP XCF file (magic, version, size, RGB, no properties, no layers): an image by
    its content that no installed decoder reads."""
    path.write_bytes(b"gimp xcf v011\x00" + struct.pack(">IIIII", width, height, 0, 0, 0) + struct.pack(">II", 0, 0))
    return path
