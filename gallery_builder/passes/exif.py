"""The exif pass: capture time (with its source), camera, lens, exposure, orientation, upright size,
GPS and, for videos, duration. Reads headers only (no pixel decode), so it is cheap and never
marks a photo as broken: the thumbs pass decides that.
"""
from __future__ import annotations

from typing import Any, ClassVar, Sequence

from gallery_builder.core.records import PhotoInput, PhotoResult, RunContext
from gallery_builder.passes.photo_pass import PhotoPass


class ExifPass(PhotoPass):
    name: ClassVar[str] = "exif"
    version: ClassVar[int] = 1
    description: ClassVar[str] = ("Capture time (EXIF, XMP sidecar, QuickTime, file or folder name, mtime), "
                                  "camera, lens, exposure, size after orientation, GPS; video duration")
    batch_size: ClassVar[int] = 64

    def run_one(self, item: PhotoInput, context: RunContext) -> dict[str, Any]:
        from gallery_builder.media.metadata import read_facts

        return read_facts(item.path, item.kind, item.mtime_ns, context.settings.max_pixels)

    def save(self, db: Any, results: Sequence[PhotoResult]) -> None:
        from gallery_builder.db.facts import forget_facts, save_exif

        save_exif(db, [(result.photo_id, result.data) for result in results if result.ok and result.data])
        forget_facts(db, "exif", [result.photo_id for result in results if not result.ok])


PASS = ExifPass()
