"""The phash pass: a 64-bit DCT perceptual hash (ImageHash) of the grid thumbnail, for near-duplicates."""
from __future__ import annotations

from typing import Any, ClassVar, Sequence

from gallery_builder.core.records import PhotoInput, PhotoResult, RunContext
from gallery_builder.passes.photo_pass import PhotoPass
from gallery_builder.passes.thumb_input import grid_thumbnail, with_grid_thumbnails


class PhashPass(PhotoPass):
    name: ClassVar[str] = "phash"
    version: ClassVar[int] = 1
    requires: ClassVar[tuple[str, ...]] = ("thumbs",)
    description: ClassVar[str] = "Perceptual hash (pHash, 16 hex digits) of the grid thumbnail"
    batch_size: ClassVar[int] = 128

    def inputs(self, db: Any, photo_ids: Sequence[int], context: RunContext) -> list[PhotoInput]:
        return with_grid_thumbnails(db, photo_ids, context)

    def run_one(self, item: PhotoInput, context: RunContext) -> dict[str, Any]:
        from gallery_builder.media.fingerprints import perceptual_hash

        return {"phash": perceptual_hash(grid_thumbnail(item))}

    def save(self, db: Any, results: Sequence[PhotoResult]) -> None:
        from gallery_builder.db.facts import forget_facts, save_phashes

        save_phashes(db, [(result.photo_id, result.data["phash"]) for result in results if result.ok and result.data])
        forget_facts(db, "phashes", [result.photo_id for result in results if not result.ok])


PASS = PhashPass()
