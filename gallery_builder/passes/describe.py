"""The describe pass: a sentence or two about each photo from an Ollama vision model (llava by
default, `--describe-model`), stored per (photo, model) and searchable. Off by default (`--describe`).
"""
from __future__ import annotations

from typing import Any, ClassVar, Sequence

from gallery_builder.ml.vision_answers import DESCRIBE_PROMPT
from gallery_builder.passes.vision_pass import VisionPass


class DescribePass(VisionPass):
    name: ClassVar[str] = "describe"
    description: ClassVar[str] = "A description of each photo in words, by an Ollama vision model (needs Ollama)"
    answer_kind: ClassVar[str] = "description"
    prompt: ClassVar[str] = DESCRIBE_PROMPT

    def read_answer(self, answer: str) -> dict[str, Any]:
        from gallery_builder.ml.vision_answers import clean_description

        return {"description": clean_description(answer)}

    def save(self, db: Any, results: Sequence[Any]) -> None:
        """A new description voids the verify pass's verdict on the old one (same transaction)."""
        from gallery_builder.db.quality import forget_checks

        super().save(db, results)
        for model in {result.data["model"] for result in results if result.ok and result.data}:
            forget_checks(db, [result.photo_id for result in results
                               if result.ok and result.data and result.data["model"] == model], model)


PASS = DescribePass()
