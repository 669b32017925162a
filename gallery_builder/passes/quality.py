"""The quality pass: an aesthetic score (about 1-10) per photo from a LAION head on CLIP embeddings.

When the clip pass stores vectors of the head's own CLIP model (`clip_model` = the head's), the
score is read from those vectors (one dot product for a linear head, no image decoded); otherwise
the head's CLIP visual tower embeds the lightbox thumbnail first. Scores are tagged with the head
bundle and its version (`--quality-model`, GALLERY_QUALITY_MODEL). Off by default (`--quality`).
With `--cluster`, a head that embeds images sends `run` to Dask workers (the thumbnail travels as
bytes); a head that scores stored vectors stays here (one dot product, nothing worth shipping).
"""
from __future__ import annotations

from typing import Any, ClassVar, Sequence

from gallery_builder.core.records import PhotoInput, PhotoResult, RunContext
from gallery_builder.passes.output_table import OutputTablePending, PassOutput


def _head(context: RunContext) -> Any:
    from gallery_builder.ml.aesthetic import find_head

    return find_head(context.models_dir, context.settings.quality_model)


def head_key(context: RunContext) -> tuple[str, str | None]:
    """(stored key, the head's CLIP model) of the configured head; for a head not installed yet, its
    version-1 key and, when it is one LAION published, its model (status counts pending without it)."""
    from gallery_builder.ml.aesthetic import KNOWN_HEADS
    from gallery_builder.ml.clip_bundle import ModelMissing

    try:
        head = _head(context)
    except ModelMissing:
        known = KNOWN_HEADS.get(context.settings.quality_model)
        return f"{context.settings.quality_model}@1", known.clip_model if known else None
    return head.key, head.clip_model


def reads_stored_vectors(head: Any, context: RunContext) -> bool:
    """The clip pass stores vectors of the head's model: score those, decode nothing."""
    return head.clip_model == context.settings.clip_model


class QualityPass(OutputTablePending):
    name: ClassVar[str] = "quality"
    version: ClassVar[int] = 1          # the head bundle and its version are in the stored key
    requires: ClassVar[tuple[str, ...]] = ("thumbs",)
    description: ClassVar[str] = ("Aesthetic score 1-10 (LAION's predictor on CLIP embeddings; needs its head: "
                                  "gallery models export --aesthetic)")
    cpu_bound: ClassVar[bool] = False   # ONNX Runtime uses every core itself
    marks_photo_error: ClassVar[bool] = False
    batch_size: ClassVar[int] = 64
    default: ClassVar[bool] = False
    remote: ClassVar[bool] = True                         # when `runs_remote`: the image path only
    remote_files: ClassVar[tuple[str, ...]] = ("thumb",)  # travels as bytes: a worker cannot read our disk

    def runs_remote(self, context: RunContext) -> bool:
        """Workers take the heads that embed thumbnails; scoring stored vectors stays on this machine."""
        return not reads_stored_vectors(_head(context), context)

    def model_requirement(self, context: RunContext) -> Any:
        """The head's files (with its int8 visual tower when there is one) and its CLIP model's visual
        tower, with their checksum here: a worker must hold the same."""
        from gallery_builder.ml.aesthetic import QUANTISED_VISUAL
        from gallery_builder.ml.bundle_checksum import requirement_for
        from gallery_builder.ml.clip_bundle import CONFIG_FILE, PART_FILES

        head = _head(context)
        files = [f"aesthetic/{head.name}/{item}" for item in ("config.json", "head.onnx")]
        int8 = [f"aesthetic/{head.name}/{QUANTISED_VISUAL}"]   # used instead of the fp32 tower when present
        files += int8 if head.quantised_visual is not None else []
        files += [f"clip/{head.clip_model}/{item}" for item in (CONFIG_FILE,) + PART_FILES["visual"]]
        return requirement_for(f"aesthetic head {head.name!r} with CLIP model {head.clip_model!r}",
                               context.models_dir, files, absent=() if head.quantised_visual else int8)

    def check_ready(self, context: RunContext) -> str | None:
        from gallery_builder.ml.clip_bundle import ModelMissing, find_bundle

        try:
            head = _head(context)
            if not reads_stored_vectors(head, context):
                find_bundle(context.models_dir, head.clip_model, parts=("visual",))
        except (ModelMissing, ValueError) as error:
            return str(error)
        return None

    def output(self, context: RunContext) -> PassOutput:
        key, clip_model = head_key(context)
        needs = (("clip_vectors", clip_model),) if clip_model == context.settings.clip_model else ()
        return PassOutput("photo_quality", key, needs=needs)

    def inputs(self, db: Any, photo_ids: Sequence[int], context: RunContext) -> list[PhotoInput]:
        from gallery_builder.db.quality import current_vectors
        from gallery_builder.passes.clip import PASS as CLIP

        head = _head(context)
        vectors = current_vectors(db, photo_ids, head.clip_model)
        return [PhotoInput(item.photo_id, item.path, item.kind, item.content_hash, item.size, item.mtime_ns,
                           extra={**item.extra, "vector": vectors.get(item.photo_id)})
                for item in CLIP.inputs(db, photo_ids, context)]

    def warm_up(self, context: RunContext) -> None:
        from gallery_builder.ml.aesthetic import cached_scorer

        if not (context.settings.cluster and self.runs_remote(context)):  # else the workers load it
            cached_scorer(_head(context))

    def run(self, batch: Sequence[PhotoInput], context: RunContext) -> list[PhotoResult]:
        import numpy as np

        from gallery_builder.ml.aesthetic import cached_scorer

        head = _head(context)
        embeddings: dict[int, Any] = {item.photo_id: np.frombuffer(item.extra["vector"], "<f4")
                                      for item in batch if item.extra.get("vector")}
        results: dict[int, PhotoResult] = {}
        to_embed = [item for item in batch if item.photo_id not in embeddings]
        if to_embed:
            embeddings.update(self._embed(to_embed, head, context, results))
        ready = [item for item in batch if item.photo_id in embeddings]
        if ready:
            scores = cached_scorer(head).score(np.stack([embeddings[item.photo_id] for item in ready]))
            for item, score in zip(ready, scores):
                results[item.photo_id] = PhotoResult(item.photo_id, data={
                    "model": head.key, "score": round(float(score), 4), "content_hash": item.content_hash})
        return [results[item.photo_id] for item in batch]

    def _embed(self, items: list[PhotoInput], head: Any, context: RunContext,
               failures: dict[int, PhotoResult]) -> dict[int, Any]:
        """The head's CLIP visual tower on the thumbnails; unreadable ones go to `failures`."""
        from gallery_builder.ml.aesthetic import head_image_encoder
        from gallery_builder.ml.clip_preprocess import load_model_input
        from gallery_builder.passes.clip import _load_thumb

        encoder = head_image_encoder(context.models_dir, head)
        arrays, loaded = [], []
        for item in items:
            array, failure = _load_thumb(item, encoder.preprocess, load_model_input)
            if failure:
                failures[item.photo_id] = failure
            else:
                arrays.append(array)
                loaded.append(item)
        if not arrays:
            return {}
        return {item.photo_id: vector for item, vector in zip(loaded, encoder.encode_arrays(arrays))}

    def save(self, db: Any, results: Sequence[PhotoResult]) -> None:
        from gallery_builder.db.quality import ScoreRow, save_scores

        save_scores(db, [ScoreRow(result.photo_id, result.data["model"], result.data["content_hash"],
                                  result.data["score"]) for result in results if result.ok and result.data])


PASS = QualityPass()
