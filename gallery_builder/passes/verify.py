"""The verify pass: checks each description for things that are not in the photo. A second Ollama
model (`verify_model`) lists the objects the description names (or, when it cannot, a fixed noun
list is matched), CLIP compares each object with the photo's stored vector, and the second model
confirms or denies each one looking at the photo. An object denied by the model and unsupported by
CLIP disputes the description: it is kept, and flagged on the photo page (or, with
`redescribe_disputed`, asked once more of the describe model and checked again). Off by default
(`--verify`); skipped with a note when no CLIP model is installed.
"""
from __future__ import annotations

from typing import Any, ClassVar, Sequence

from gallery_builder.core.records import PhotoInput, PhotoResult, RunContext
from gallery_builder.passes.output_table import OutputTablePending, PassOutput


class VerifyPass(OutputTablePending):
    name: ClassVar[str] = "verify"
    version: ClassVar[int] = 1
    requires: ClassVar[tuple[str, ...]] = ("describe", "clip")
    description: ClassVar[str] = ("Check each description with a second Ollama model and CLIP; a description naming "
                                  "things that are not there is marked disputed (needs Ollama and a CLIP model)")
    cpu_bound: ClassVar[bool] = False
    marks_photo_error: ClassVar[bool] = False
    batch_size: ClassVar[int] = 8
    default: ClassVar[bool] = False

    def check_ready(self, context: RunContext) -> str | None:
        from gallery_builder.ml.clip_bundle import ModelMissing, find_bundle
        from gallery_builder.ml.ollama_client import session_for

        try:
            find_bundle(context.models_dir, context.settings.clip_model, parts=("textual",))
        except (ModelMissing, ValueError) as error:
            return f"needs a CLIP model to compare objects with photos: {error}"
        return session_for(context.settings, context.settings.verify_model).check(self.name)

    def output(self, context: RunContext) -> PassOutput:
        from gallery_builder.db.descriptions import _model_error_pattern

        settings = context.settings
        return PassOutput("description_checks", settings.describe_model,
                          needs=(("photo_descriptions", settings.describe_model), ("clip_vectors", settings.clip_model)),
                          error_pattern=_model_error_pattern(settings.verify_model))

    def inputs(self, db: Any, photo_ids: Sequence[int], context: RunContext) -> list[PhotoInput]:
        from gallery_builder.db.quality import current_vectors, descriptions_of
        from gallery_builder.passes.clip import PASS as CLIP

        vectors = current_vectors(db, photo_ids, context.settings.clip_model)
        descriptions = descriptions_of(db, photo_ids, context.settings.describe_model)
        return [PhotoInput(item.photo_id, item.path, item.kind, item.content_hash, item.size, item.mtime_ns,
                           extra={**item.extra, "vector": vectors.get(item.photo_id),
                                  "description": descriptions.get(item.photo_id, "")})
                for item in CLIP.inputs(db, photo_ids, context)]

    def run(self, batch: Sequence[PhotoInput], context: RunContext) -> list[PhotoResult]:
        from gallery_builder.db.descriptions import model_error
        from gallery_builder.ml.ollama_client import OllamaUnavailable, RequestRefused, session_for
        from gallery_builder.ml.vision_answers import MalformedAnswer
        from gallery_builder.passes.vision_pass import _image_bytes

        settings = context.settings
        session = session_for(settings, settings.verify_model)
        results: list[PhotoResult] = []
        for item in batch:
            image, failure = _image_bytes(item)
            if failure is not None:
                results.append(PhotoResult(item.photo_id, error_code=failure[0],
                                           error=model_error(settings.verify_model, failure[1])))
                continue
            try:
                objects = check_objects(item, image, session, context)
                description = None
                if settings.redescribe_disputed and any(not entry["ok"] for entry in objects):
                    description, objects = redescribe(item, image, objects, session, context)
            except OllamaUnavailable:
                break  # this photo and the rest stay pending; the session told the person why
            except (MalformedAnswer, RequestRefused) as error:
                results.append(PhotoResult(item.photo_id, error_code="bad_answer",
                                           error=model_error(settings.verify_model, str(error))))
                continue
            results.append(PhotoResult(item.photo_id, data={
                "model": settings.describe_model, "checker": settings.verify_model, "objects": objects,
                "disputed": any(not entry["ok"] for entry in objects), "content_hash": item.content_hash,
                "description": description}))
        return results

    def save(self, db: Any, results: Sequence[PhotoResult]) -> None:
        from gallery_builder.db.descriptions import Answer, save_answers
        from gallery_builder.db.quality import CheckRow, save_checks

        save_answers(db, "description", [Answer(result.photo_id, result.data["model"], result.data["content_hash"],
                                                description=result.data["description"])
                                         for result in results if result.ok and result.data
                                         and result.data.get("description")])
        save_checks(db, [CheckRow(result.photo_id, result.data["model"], result.data["checker"],
                                  result.data["content_hash"], result.data["disputed"], tuple(result.data["objects"]))
                         for result in results if result.ok and result.data])


def check_objects(item: PhotoInput, image: bytes, session: Any, context: RunContext) -> list[dict[str, Any]]:
    """Each object the description names with its CLIP similarity, the second model's word, and
    whether it stands (`ok`: confirmed, or supported by CLIP)."""
    from gallery_builder.ml.critique_answers import confirm_prompt, nouns_in, objects_prompt, parse_confirmations, \
        parse_objects

    description = item.extra.get("description") or ""
    objects = parse_objects(session.ask(objects_prompt(description), None))
    if objects is None:  # the model could not list them: the fixed noun list
        objects = nouns_in(description)
    if not objects:
        return []
    similarities = clip_similarities(item.extra["vector"], objects, context)
    confirmed = parse_confirmations(session.ask(confirm_prompt(objects), image), objects)
    threshold = context.settings.verify_min_similarity
    return [{"name": name, "similarity": round(similarity, 4), "confirmed": confirmed.get(name),
             "ok": confirmed.get(name) is not False or similarity >= threshold}
            for name, similarity in zip(objects, similarities)]


def redescribe(item: PhotoInput, image: bytes, objects: list[dict[str, Any]], session: Any,
               context: RunContext) -> tuple[str, list[dict[str, Any]]]:
    """A disputed description asked again of the describe model, told what to leave out, and checked
    once more: (the new description, its objects)."""
    from dataclasses import replace

    from gallery_builder.ml.critique_answers import redescribe_prompt
    from gallery_builder.ml.ollama_client import session_for
    from gallery_builder.ml.vision_answers import clean_description

    denied = [entry["name"] for entry in objects if not entry["ok"]]
    description = clean_description(session_for(context.settings).ask(redescribe_prompt(denied), image))
    again = replace(item, extra={**item.extra, "description": description})
    return description, check_objects(again, image, session, context)


def clip_similarities(vector: bytes, objects: list[str], context: RunContext) -> list[float]:
    """Cosine similarity of the photo's stored vector with "a photo of a OBJECT" for each object."""
    import numpy as np

    from gallery_builder.ml.clip_bundle import find_bundle
    from gallery_builder.ml.clip_text import cached_text_encoder

    encoder = cached_text_encoder(find_bundle(context.models_dir, context.settings.clip_model, parts=("textual",)))
    texts = encoder.encode([f"a photo of a {name}" for name in objects])
    image = np.frombuffer(vector, "<f4")
    image = image / max(float(np.linalg.norm(image)), 1e-12)
    return [float(value) for value in texts @ image]


PASS = VerifyPass()
