"""The critique pass: a short, friendly critique of each photo by the Ollama vision model, told the
photo's aesthetic score and description (so it runs after the quality and describe passes, and is
skipped with a note when the quality head is missing). Off by default (`--critique`).
"""
from __future__ import annotations

from typing import Any, ClassVar, Sequence

from gallery_builder.core.records import PhotoInput, RunContext
from gallery_builder.passes.output_table import OutputTablePending, PassOutput
from gallery_builder.passes.vision_pass import VisionPass


class CritiquePass(OutputTablePending, VisionPass):
    name: ClassVar[str] = "critique"
    requires: ClassVar[tuple[str, ...]] = ("quality", "describe")
    description: ClassVar[str] = ("A short critique of each photo by an Ollama vision model, from its aesthetic "
                                  "score and description (needs Ollama and the quality head)")
    answer_kind: ClassVar[str] = "critique"
    prompt: ClassVar[str] = ""

    def check_ready(self, context: RunContext) -> str | None:
        from gallery_builder.passes.quality import PASS as QUALITY

        missing = QUALITY.check_ready(context)
        if missing:
            return f"needs the quality pass's model: {missing}"
        return super().check_ready(context)

    def output(self, context: RunContext) -> PassOutput:
        from gallery_builder.db.descriptions import _model_error_pattern
        from gallery_builder.passes.quality import head_key

        model = context.settings.describe_model
        return PassOutput("photo_critiques", model, needs=(("photo_descriptions", model),
                                                          ("photo_quality", head_key(context)[0])),
                          error_pattern=_model_error_pattern(model))

    def inputs(self, db: Any, photo_ids: Sequence[int], context: RunContext) -> list[PhotoInput]:
        from gallery_builder.db.quality import descriptions_of, scores_of
        from gallery_builder.passes.quality import head_key

        scores = scores_of(db, photo_ids, head_key(context)[0])
        descriptions = descriptions_of(db, photo_ids, context.settings.describe_model)
        return [PhotoInput(item.photo_id, item.path, item.kind, item.content_hash, item.size, item.mtime_ns,
                           extra={**item.extra, "score": scores.get(item.photo_id),
                                  "description": descriptions.get(item.photo_id, "")})
                for item in super().inputs(db, photo_ids, context)]

    def prompt_for(self, item: PhotoInput) -> str:
        from gallery_builder.ml.critique_answers import critique_prompt

        return critique_prompt(item.extra.get("score") or 0.0, item.extra.get("description") or "")

    def read_answer(self, answer: str) -> dict[str, Any]:
        from gallery_builder.ml.critique_answers import read_critique

        return {"critique": read_critique(answer)}

    def save(self, db: Any, results: Sequence[Any]) -> None:
        from gallery_builder.db.quality import CritiqueRow, save_critiques

        save_critiques(db, [CritiqueRow(result.photo_id, result.data["model"], result.data["content_hash"],
                                        result.data["critique"]) for result in results if result.ok and result.data])


PASS = CritiquePass()
