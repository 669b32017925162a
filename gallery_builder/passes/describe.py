"""The describe pass: a sentence or two about each photo from an Ollama vision model (llava by
default, `--describe-model`), stored per (photo, model) and searchable. Off by default (`--describe`).
"""
from __future__ import annotations

from typing import Any, ClassVar

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


PASS = DescribePass()
