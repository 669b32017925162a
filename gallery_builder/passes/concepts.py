"""The concepts pass: zero-shot answers (sharp or blurry, exposure, composition, subject) per photo,
from the clip pass's stored vectors and its model's text tower (`ml.concepts`). No image is decoded.
Off by default (`--concepts`); runs after the clip pass, on the photos that have a vector.
"""
from __future__ import annotations

from typing import Any, ClassVar, Sequence

from gallery_builder.core.records import PhotoInput, PhotoResult, RunContext
from gallery_builder.passes.output_table import OutputTablePending, PassOutput


class ConceptsPass(OutputTablePending):
    name: ClassVar[str] = "concepts"
    version: ClassVar[int] = 1          # the clip model and the prompt set are in the stored key
    requires: ClassVar[tuple[str, ...]] = ("clip",)
    description: ClassVar[str] = ("Concepts per photo: sharp/blurry, exposure, composition, portrait, landscape, "
                                  "food, document, screenshot... (from the clip pass's vectors)")
    cpu_bound: ClassVar[bool] = False
    marks_photo_error: ClassVar[bool] = False
    batch_size: ClassVar[int] = 256
    default: ClassVar[bool] = False

    def check_ready(self, context: RunContext) -> str | None:
        from gallery_builder.ml.clip_bundle import ModelMissing, find_bundle

        try:
            find_bundle(context.models_dir, context.settings.clip_model, parts=("textual",))
        except (ModelMissing, ValueError) as error:
            return str(error)
        return None

    def output(self, context: RunContext) -> PassOutput:
        from gallery_builder.ml.concepts import concept_model_key

        return PassOutput("photo_concepts", concept_model_key(context.settings.clip_model),
                          needs=(("clip_vectors", context.settings.clip_model),))

    def inputs(self, db: Any, photo_ids: Sequence[int], context: RunContext) -> list[PhotoInput]:
        from gallery_builder.db.pass_queries import photo_inputs
        from gallery_builder.db.quality import current_vectors

        vectors = current_vectors(db, photo_ids, context.settings.clip_model)
        return [PhotoInput(item.photo_id, item.path, item.kind, item.content_hash, item.size, item.mtime_ns,
                           extra={"vector": vectors.get(item.photo_id)}) for item in photo_inputs(db, photo_ids)]

    def warm_up(self, context: RunContext) -> None:
        from gallery_builder.ml.clip_bundle import find_bundle
        from gallery_builder.ml.concepts import prompt_matrix

        prompt_matrix(find_bundle(context.models_dir, context.settings.clip_model, parts=("textual",)))

    def run(self, batch: Sequence[PhotoInput], context: RunContext) -> list[PhotoResult]:
        import numpy as np

        from gallery_builder.ml.clip_bundle import find_bundle
        from gallery_builder.ml.concepts import concept_model_key, prompt_matrix, score_concepts

        model = concept_model_key(context.settings.clip_model)
        ready = [item for item in batch if item.extra.get("vector")]
        results = {item.photo_id: PhotoResult(item.photo_id, error_code="missing_input",
                                              error="no clip vector for this content (run gallery index --clip)")
                   for item in batch if not item.extra.get("vector")}
        if ready:
            prompts = prompt_matrix(find_bundle(context.models_dir, context.settings.clip_model, parts=("textual",)))
            vectors = np.stack([np.frombuffer(item.extra["vector"], "<f4") for item in ready])
            for item, scores in zip(ready, score_concepts(vectors, prompts)):
                results[item.photo_id] = PhotoResult(item.photo_id, data={
                    "model": model, "scores": scores, "content_hash": item.content_hash})
        return [results[item.photo_id] for item in batch]

    def save(self, db: Any, results: Sequence[PhotoResult]) -> None:
        from gallery_builder.db.quality import ConceptRows, save_concepts

        save_concepts(db, [ConceptRows(result.photo_id, result.data["model"], result.data["content_hash"],
                                       result.data["scores"]) for result in results if result.ok and result.data])


PASS = ConceptsPass()
