"""The tags pass: words from a fixed vocabulary (`ml.vision_answers.TAG_VOCABULARY`) that an Ollama
vision model says fit each photo, stored as a list per (photo, model). Off by default (`--tags`).
"""
from __future__ import annotations

from typing import Any, ClassVar

from gallery_builder.ml.vision_answers import TAGS_PROMPT
from gallery_builder.passes.vision_pass import VisionPass


class TagsPass(VisionPass):
    name: ClassVar[str] = "tags"
    description: ClassVar[str] = "Tags from a fixed vocabulary for each photo, by an Ollama vision model (needs Ollama)"
    answer_kind: ClassVar[str] = "tags"
    prompt: ClassVar[str] = TAGS_PROMPT

    def read_answer(self, answer: str) -> dict[str, Any]:
        from gallery_builder.ml.vision_answers import parse_tags

        return {"tags": list(parse_tags(answer))}


PASS = TagsPass()
