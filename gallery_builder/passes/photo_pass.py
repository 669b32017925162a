"""The shared shape of the per-photo passes (exif, thumbs, colors, phash): pending and inputs from
db.pass_queries, and a `run` that turns each photo's failure into an error result, never a raise.
"""
from __future__ import annotations

import traceback
import warnings
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Sequence

from gallery_builder.db.pass_queries import count_photos_pending, photo_inputs, photos_pending
from gallery_builder.core.records import PhotoInput, PhotoResult, RunContext, Scope


class PhotoPass(ABC):
    """Subclasses set the ClassVars of base.Pass and implement `run_one` and `save`."""

    name: ClassVar[str]
    version: ClassVar[int]
    requires: ClassVar[tuple[str, ...]] = ()
    description: ClassVar[str]
    cpu_bound: ClassVar[bool] = True
    marks_photo_error: ClassVar[bool] = False
    batch_size: ClassVar[int] = 32
    default: ClassVar[bool] = True
    kinds: ClassVar[tuple[str, ...]] = ("photo", "video", "raw")

    def pending(self, db: Any, scope: Scope, context: RunContext, force: bool = False) -> list[int]:
        return photos_pending(db, self.name, self.version, self.requires, scope, force, self.kinds)

    def count_pending(self, db: Any, scope: Scope, context: RunContext, force: bool = False) -> int:
        """len(self.pending(...)), counted by the same SQL inside SQLite."""
        return count_photos_pending(db, self.name, self.version, self.requires, scope, force, self.kinds)

    def inputs(self, db: Any, photo_ids: Sequence[int], context: RunContext) -> list[PhotoInput]:
        return photo_inputs(db, photo_ids)

    def check_ready(self, context: RunContext) -> str | None:
        return None

    def run(self, batch: Sequence[PhotoInput], context: RunContext) -> list[PhotoResult]:
        from gallery_builder.core.disk_space import is_disk_full
        from gallery_builder.media.errors import MediaError

        results = []
        for item in batch:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    data = self.run_one(item, context)
                results.append(PhotoResult(item.photo_id, data=data))
            except MediaError as error:
                results.append(PhotoResult(item.photo_id, error_code=error.code, error=error.message))
            except MemoryError:
                results.append(PhotoResult(item.photo_id, error_code="too_large",
                                           error="ran out of memory while decoding this file"))
            except Exception as error:  # a decoder bug on one file must not cost the batch
                if is_disk_full(error):  # not the photo's fault: stop, so it is retried, not marked failed
                    raise
                detail = traceback.format_exception_only(type(error), error)[-1].strip()
                results.append(PhotoResult(item.photo_id, error_code="internal",
                                           error=f"{self.name}: unexpected {detail[:400]}"))
        return results

    @abstractmethod
    def run_one(self, item: PhotoInput, context: RunContext) -> dict[str, Any]:
        """The result data of one photo; raise MediaError for a file that cannot be used."""

    @abstractmethod
    def save(self, db: Any, results: Sequence[PhotoResult]) -> None:
        """Store one batch (inside the runner's transaction)."""
