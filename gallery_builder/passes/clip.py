"""The clip pass: CLIP image embeddings from the lightbox thumbnail, stored per (photo, model).

Never decodes an original: it reads the 1280 px lightbox thumbnail (or the largest smaller slot for
small photos). Vectors are tagged with the model name, so choosing another model (`--clip-model`,
GALLERY_CLIP_MODEL) makes every photo pending again; `--force-clip` re-embeds with the same one.
"""
from __future__ import annotations

import os
from typing import Any, ClassVar, Sequence

from gallery_builder.core.records import PhotoInput, PhotoResult, RunContext, Scope

LIGHTBOX_WIDTH = 1280


def choose_thumb_width(widths: Sequence[int]) -> int | None:
    """The lightbox slot if written, else the largest smaller one (a small photo), else the smallest."""
    if not widths:
        return None
    if LIGHTBOX_WIDTH in widths:
        return LIGHTBOX_WIDTH
    smaller = [width for width in widths if width < LIGHTBOX_WIDTH]
    return max(smaller) if smaller else min(widths)


class ClipPass:
    name: ClassVar[str] = "clip"
    version: ClassVar[int] = 1
    requires: ClassVar[tuple[str, ...]] = ("thumbs",)
    description: ClassVar[str] = "CLIP image embeddings for search in plain words (needs a model: gallery models fetch)"
    cpu_bound: ClassVar[bool] = False   # ONNX Runtime uses every core itself; one session per process
    marks_photo_error: ClassVar[bool] = False
    batch_size: ClassVar[int] = 32
    default: ClassVar[bool] = False
    remote: ClassVar[bool] = True                       # `run` may go to a Dask worker (--cluster)
    remote_files: ClassVar[tuple[str, ...]] = ("thumb",)  # travel as bytes: a worker cannot read our disk

    def model_requirement(self, context: RunContext) -> Any:
        """The visual tower's files and their checksum on this machine (a worker must hold the same)."""
        from gallery_builder.ml.bundle_checksum import requirement_for
        from gallery_builder.ml.clip_bundle import CONFIG_FILE, PART_FILES, check_name

        name = check_name(context.settings.clip_model)
        files = tuple(f"clip/{name}/{item}" for item in (CONFIG_FILE,) + PART_FILES["visual"])
        return requirement_for(f"CLIP model {name!r}", context.models_dir, files)

    def check_ready(self, context: RunContext) -> str | None:
        from gallery_builder.ml.clip_bundle import ModelMissing, find_bundle

        try:
            find_bundle(context.models_dir, context.settings.clip_model, parts=("visual",))
        except (ModelMissing, ValueError) as error:
            return str(error)
        return None

    def pending(self, db: Any, scope: Scope, context: RunContext, force: bool = False) -> list[int]:
        from gallery_builder.db.vectors import photos_needing_vectors

        return photos_needing_vectors(db, context.settings.clip_model, self.name, self.version, self.requires,
                                      scope, force)

    def count_pending(self, db: Any, scope: Scope, context: RunContext, force: bool = False) -> int:
        from gallery_builder.db.vectors import count_photos_needing_vectors

        return count_photos_needing_vectors(db, context.settings.clip_model, self.name, self.version,
                                            self.requires, scope, force)

    def inputs(self, db: Any, photo_ids: Sequence[int], context: RunContext) -> list[PhotoInput]:
        from gallery_builder.db.pass_queries import photo_inputs
        from gallery_builder.db.vectors import thumb_sources
        from gallery_builder.core.thumb_layout import thumb_relpath

        sources = thumb_sources(db, photo_ids)
        prepared = []
        for item in photo_inputs(db, photo_ids):
            source = sources.get(item.photo_id)
            width = choose_thumb_width(source.widths) if source else None
            thumb = os.path.join(context.thumbs_dir, thumb_relpath(source.thumb_key, width)) if source and width else None
            prepared.append(PhotoInput(item.photo_id, item.path, item.kind, item.content_hash, item.size,
                                       item.mtime_ns, extra={"thumb": thumb}))
        return prepared

    def run(self, batch: Sequence[PhotoInput], context: RunContext) -> list[PhotoResult]:
        from gallery_builder.ml.clip_bundle import find_bundle
        from gallery_builder.ml.clip_image import cached_image_encoder
        from gallery_builder.ml.clip_preprocess import load_model_input

        encoder = cached_image_encoder(find_bundle(context.models_dir, context.settings.clip_model, parts=("visual",)))
        results: dict[int, PhotoResult] = {}
        arrays, ready = [], []
        for item in batch:
            array, failure = _load_thumb(item, encoder.preprocess, load_model_input)
            if failure:
                results[item.photo_id] = failure
            else:
                arrays.append(array)
                ready.append(item)
        if arrays:
            vectors = encoder.encode_arrays(arrays)
            for item, vector in zip(ready, vectors):
                results[item.photo_id] = PhotoResult(item.photo_id, data={
                    "model": context.settings.clip_model, "dim": int(vector.shape[0]),
                    "vector": vector.astype("<f4").tobytes(), "content_hash": item.content_hash})
        return [results[item.photo_id] for item in batch]

    def save(self, db: Any, results: Sequence[PhotoResult]) -> None:
        from gallery_builder.db.vectors import VectorRow, save_clip_vectors

        save_clip_vectors(db, [VectorRow(result.photo_id, result.data["model"], result.data["vector"],
                                         result.data["dim"], result.data["content_hash"])
                               for result in results if result.ok and result.data])


def _load_thumb(item: PhotoInput, preprocess: Any, loader: Any) -> tuple[Any, PhotoResult | None]:
    thumb = item.extra.get("thumb")
    if not thumb:
        return None, PhotoResult(item.photo_id, error_code="missing_input", error="no thumbnail recorded")
    try:
        return loader(thumb, preprocess), None
    except FileNotFoundError:
        return None, PhotoResult(item.photo_id, error_code="missing_input",
                                 error=f"thumbnail file is missing: {thumb} (run gallery index --force-thumbs)")
    except OSError as error:
        return None, PhotoResult(item.photo_id, error_code="corrupt", error=f"cannot read thumbnail {thumb}: {error}")


PASS = ClipPass()
