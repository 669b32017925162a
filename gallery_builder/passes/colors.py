"""The colors pass: the five dominant colours of the grid thumbnail (colorthief's MMCQ, numpy-summed in media/palette.py)."""
from __future__ import annotations

from typing import Any, ClassVar, Sequence

from gallery_builder.core.records import PhotoInput, PhotoResult, RunContext
from gallery_builder.passes.photo_pass import PhotoPass
from gallery_builder.passes.thumb_input import grid_thumbnail, with_grid_thumbnails


class ColorsPass(PhotoPass):
    name: ClassVar[str] = "colors"
    version: ClassVar[int] = 1
    requires: ClassVar[tuple[str, ...]] = ("thumbs",)
    description: ClassVar[str] = "Dominant colours (#rrggbb, most dominant first) of the grid thumbnail"
    batch_size: ClassVar[int] = 64

    def inputs(self, db: Any, photo_ids: Sequence[int], context: RunContext) -> list[PhotoInput]:
        return with_grid_thumbnails(db, photo_ids, context)

    def run_one(self, item: PhotoInput, context: RunContext) -> dict[str, Any]:
        from gallery_builder.media.fingerprints import dominant_colors

        return {"colors": dominant_colors(grid_thumbnail(item))}

    def save(self, db: Any, results: Sequence[PhotoResult]) -> None:
        from gallery_builder.db.facts import forget_facts, save_colors

        save_colors(db, [(result.photo_id, result.data["colors"]) for result in results if result.ok and result.data])
        forget_facts(db, "colors", [result.photo_id for result in results if not result.ok])


PASS = ColorsPass()
