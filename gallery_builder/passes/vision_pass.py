"""What the Ollama passes (describe, tags) share: readiness, pending per model, the image they send,
and asking the model photo by photo. Each pass adds its prompt and how it reads the answer.

They read the largest thumbnail up to 1280 px (never the original). The model's name is part of
what makes a photo pending, so `--describe-model` asks every photo again. When Ollama cannot be
used the photos not yet answered are left out of the results: they stay pending, not failed.
"""
from __future__ import annotations

import io
from abc import ABC, abstractmethod
import os
from typing import Any, ClassVar, Sequence

from gallery_builder.core.records import PhotoInput, PhotoResult, RunContext, Scope

SENDABLE = (".jpg", ".jpeg", ".png")  # what every Ollama vision model reads; other slots become JPEG


class VisionPass(ABC):
    """Base of the passes that ask an Ollama vision model about each photo."""

    name: ClassVar[str]
    version: ClassVar[int] = 1
    requires: ClassVar[tuple[str, ...]] = ("thumbs",)
    description: ClassVar[str]
    cpu_bound: ClassVar[bool] = False   # Ollama does the work, one request at a time (ml.ollama_client)
    marks_photo_error: ClassVar[bool] = False
    batch_size: ClassVar[int] = 8       # answers take seconds each: commit often
    default: ClassVar[bool] = False
    answer_kind: ClassVar[str]          # db.descriptions.AnswerKind
    prompt: ClassVar[str]

    @abstractmethod
    def read_answer(self, answer: str) -> dict[str, Any]:
        """The stored data of a good answer; raises MalformedAnswer."""

    def prompt_for(self, item: PhotoInput) -> str:
        """What to ask about this photo (passes whose prompt carries the photo's facts override it)."""
        return self.prompt

    def check_ready(self, context: RunContext) -> str | None:
        from gallery_builder.ml.ollama_client import session_for

        return session_for(context.settings).check(self.name)

    def pending(self, db: Any, scope: Scope, context: RunContext, force: bool = False) -> list[int]:
        from gallery_builder.db.descriptions import photos_needing_answers

        return photos_needing_answers(db, self.answer_kind, context.settings.describe_model,  # type: ignore[arg-type]
                                      self.name, self.version, self.requires, scope, force)

    def count_pending(self, db: Any, scope: Scope, context: RunContext, force: bool = False) -> int:
        from gallery_builder.db.descriptions import count_photos_needing_answers

        return count_photos_needing_answers(db, self.answer_kind, context.settings.describe_model,  # type: ignore[arg-type]
                                            self.name, self.version, self.requires, scope, force)

    def inputs(self, db: Any, photo_ids: Sequence[int], context: RunContext) -> list[PhotoInput]:
        from gallery_builder.passes.clip import PASS as CLIP

        return CLIP.inputs(db, photo_ids, context)  # the clip pass's thumbnail: the largest up to 1280 px

    def run(self, batch: Sequence[PhotoInput], context: RunContext) -> list[PhotoResult]:
        from gallery_builder.db.descriptions import model_error
        from gallery_builder.ml.ollama_client import OllamaUnavailable, RequestRefused, session_for
        from gallery_builder.ml.vision_answers import MalformedAnswer

        session = session_for(context.settings)
        model = context.settings.describe_model
        results: list[PhotoResult] = []
        for item in batch:
            image, failure = _image_bytes(item)
            if failure is not None:
                results.append(PhotoResult(item.photo_id, error_code=failure[0], error=model_error(model, failure[1])))
                continue
            try:
                data = self.read_answer(session.ask(self.prompt_for(item), image))
            except OllamaUnavailable:
                break  # this photo and the rest stay pending; the session told the person why
            except (MalformedAnswer, RequestRefused) as error:
                results.append(PhotoResult(item.photo_id, error_code="bad_answer", error=model_error(model, str(error))))
                continue
            results.append(PhotoResult(item.photo_id, data={**data, "model": model, "content_hash": item.content_hash}))
        return results

    def save(self, db: Any, results: Sequence[PhotoResult]) -> None:
        from gallery_builder.db.descriptions import Answer, save_answers

        save_answers(db, self.answer_kind, [  # type: ignore[arg-type]
            Answer(result.photo_id, result.data["model"], result.data["content_hash"],
                   description=result.data.get("description"), tags=tuple(result.data.get("tags", ())))
            for result in results if result.ok and result.data])


def _image_bytes(item: PhotoInput) -> tuple[bytes, None] | tuple[None, tuple[str, str]]:
    """The thumbnail's bytes as Ollama takes them (JPEG or PNG), or (error code, message)."""
    thumb = item.extra.get("thumb")
    if not thumb:
        return None, ("missing_input", "no thumbnail recorded")
    try:
        with open(thumb, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return None, ("missing_input", f"thumbnail file is missing: {thumb} (run gallery index --force-thumbs)")
    except OSError as error:
        return None, ("unreadable", f"cannot read thumbnail {thumb}: {error}")
    if os.path.splitext(thumb)[1].lower() in SENDABLE:
        return data, None
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as picture:
            out = io.BytesIO()
            picture.convert("RGB").save(out, "JPEG", quality=90)
    except OSError as error:
        return None, ("corrupt", f"cannot read thumbnail {thumb}: {error}")
    return out.getvalue(), None
