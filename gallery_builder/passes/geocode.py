"""The geocode pass: offline reverse geocoding of each photo's GPS position to place, region and
country, one k-d tree query per batch. Photos without a position succeed with no places row.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar, Sequence

from gallery_builder.db.pass_queries import photo_inputs
from gallery_builder.core.records import PhotoInput, PhotoResult, RunContext
from gallery_builder.passes.photo_pass import PhotoPass


class GeocodePass(PhotoPass):
    name: ClassVar[str] = "geocode"
    version: ClassVar[int] = 1
    requires: ClassVar[tuple[str, ...]] = ("exif",)
    description: ClassVar[str] = "Place, region and country of the GPS position (offline, reverse_geocoder)"
    cpu_bound: ClassVar[bool] = False
    batch_size: ClassVar[int] = 2000

    def warm_up(self, context: RunContext) -> None:
        from gallery_builder.media.geocoding import warm_up

        warm_up()

    def inputs(self, db: Any, photo_ids: Sequence[int], context: RunContext) -> list[PhotoInput]:
        from gallery_builder.db.facts import gps_positions

        positions = gps_positions(db, photo_ids)
        return [replace(item, extra={**item.extra, "gps": positions.get(item.photo_id)})
                for item in photo_inputs(db, photo_ids)]

    def run(self, batch: Sequence[PhotoInput], context: RunContext) -> list[PhotoResult]:
        from gallery_builder.media.geocoding import nearest_places

        located = [item for item in batch if item.extra.get("gps")]
        places = dict(zip((item.photo_id for item in located),
                          nearest_places([item.extra["gps"] for item in located])))
        return [PhotoResult(item.photo_id, data={"place": places.get(item.photo_id)}) for item in batch]

    def run_one(self, item: PhotoInput, context: RunContext) -> dict[str, Any]:
        return self.run([item], context)[0].data or {}

    def save(self, db: Any, results: Sequence[PhotoResult]) -> None:
        from gallery_builder.db.facts import forget_facts, save_places

        found = [(result.photo_id, result.data["place"]) for result in results
                 if result.ok and result.data and result.data.get("place")]
        save_places(db, found)
        forget_facts(db, "places", [result.photo_id for result in results
                                    if not (result.ok and result.data and result.data.get("place"))])


PASS = GeocodePass()
