"""SQL for what a vision model said about photos: descriptions and tags, one row per (photo, model)
(migration 0008): which photos still need an answer from a model, saving answers, and reading the
current ones for the export.

A failed answer is a `pass_runs` error whose message starts with `[model] ` (`model_error`), so a
photo that one model answered badly is asked again when the model changes, and not before.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Literal, Sequence

from gallery_builder.core.records import Scope
from gallery_builder.db.pass_queries import count_rows, now_iso

AnswerKind = Literal["description", "tags"]
_TABLES: dict[str, str] = {"description": "photo_descriptions", "tags": "photo_tags"}


@dataclass(frozen=True)
class Answer:
    """One model's answer for one photo's content: a description, or a list of tags."""

    photo_id: int
    model: str
    content_hash: str | None
    description: str | None = None
    tags: tuple[str, ...] = ()


def model_error(model: str, message: str) -> str:
    """The error message recorded for a failed answer: it names the model, which pending reads."""
    return f"[{model}] {message}"


def _model_error_pattern(model: str) -> str:
    escaped = model.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"[{escaped}] %"


def needing_answers_sql(kind: AnswerKind, model: str, pass_name: str, version: int, requires: Sequence[str],
                        scope: Scope, force: bool = False) -> tuple[str, list[Any]]:
    """Rows of (id, content_hash) in id order: photos with no answer of `kind` from `model` for their
    current content and no failed answer from `model` by this pass version."""
    from gallery_builder.db.pass_queries import model_output_pending_sql

    return model_output_pending_sql(_TABLES[kind], model, pass_name, version, requires, scope, force,
                                    error_pattern=_model_error_pattern(model))


def photos_needing_answers(db: Any, kind: AnswerKind, model: str, pass_name: str, version: int,
                           requires: Sequence[str], scope: Scope, force: bool = False) -> list[int]:
    sql, params = needing_answers_sql(kind, model, pass_name, version, requires, scope, force)
    return [row[0] for row in db.execute(sql, params)]


def count_photos_needing_answers(db: Any, kind: AnswerKind, model: str, pass_name: str, version: int,
                                 requires: Sequence[str], scope: Scope, force: bool = False) -> int:
    return count_rows(db, *needing_answers_sql(kind, model, pass_name, version, requires, scope, force))


def save_answers(db: Any, kind: AnswerKind, answers: Iterable[Answer]) -> None:
    """Insert or replace answers (inside the caller's transaction)."""
    stamp = now_iso()
    if kind == "description":
        db.executemany("INSERT OR REPLACE INTO photo_descriptions (photo_id, model, content_hash, description,"
                       " updated_at) VALUES (?, ?, ?, ?, ?)",
                       [(a.photo_id, a.model, a.content_hash, a.description, stamp) for a in answers])
    else:
        db.executemany("INSERT OR REPLACE INTO photo_tags (photo_id, model, content_hash, tags, updated_at)"
                       " VALUES (?, ?, ?, ?, ?)",
                       [(a.photo_id, a.model, a.content_hash, json.dumps(list(a.tags)), stamp) for a in answers])


def current_descriptions(db: Any) -> dict[int, tuple[str, str]]:
    """(description, model) per photo: the newest answer for the photo's current content."""
    found: dict[int, tuple[str, str]] = {}
    for photo_id, description, model in db.execute(
            "SELECT a.photo_id, a.description, a.model FROM photo_descriptions a JOIN photos p ON p.id = a.photo_id"
            " WHERE a.content_hash IS p.content_hash ORDER BY a.photo_id, a.updated_at, a.rowid"):
        found[photo_id] = (description, model)  # the last row of a photo is its newest
    return found


def current_tags(db: Any) -> dict[int, list[str]]:
    """Tags per photo: the newest answer for the photo's current content."""
    found: dict[int, list[str]] = {}
    for photo_id, tags in db.execute(
            "SELECT a.photo_id, a.tags FROM photo_tags a JOIN photos p ON p.id = a.photo_id"
            " WHERE a.content_hash IS p.content_hash ORDER BY a.photo_id, a.updated_at, a.rowid"):
        found[photo_id] = json.loads(tags)
    return found
