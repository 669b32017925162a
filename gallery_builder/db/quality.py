"""SQL for what the quality, concepts, critique and verify passes found (migration 0015): which
photos still need them, saving their results, and reading the current ones (export, critique prompts).

Each result is keyed by a model string (`photo_quality.model` is `<bundle>@<version>`, concepts
`<clip model>#<prompt set>`, critiques the Ollama model, checks the checked description's model)
and by the file content it looked at, like clip vectors and descriptions.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from gallery_builder.core.records import Scope
from gallery_builder.db.pass_queries import count_rows, now_iso

CHUNK = 900


@dataclass(frozen=True)
class ScoreRow:
    photo_id: int
    model: str
    content_hash: str | None
    score: float


@dataclass(frozen=True)
class ConceptRows:
    """Every concept's score for one photo from one clip model and prompt set."""

    photo_id: int
    model: str
    content_hash: str | None
    scores: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class CritiqueRow:
    photo_id: int
    model: str
    content_hash: str | None
    critique: str


@dataclass(frozen=True)
class CheckRow:
    """The verdict on one description: disputed or not, and what each named object got."""

    photo_id: int
    model: str                      # the description's model
    checker: str                    # the model that confirmed or denied
    content_hash: str | None
    disputed: bool
    objects: tuple[dict[str, Any], ...] = ()


def pending_sql(table: str, model: str, pass_name: str, version: int, requires: Sequence[str], scope: Scope,
                force: bool = False, needs: Sequence[tuple[str, str]] = (),
                error_pattern: str | None = None) -> tuple[str, list[Any]]:
    """Rows of (id, content_hash): photos with no row of `model` in `table` for their content, that have
    the `needs` outputs (table, model) for it (see `pass_queries.model_output_pending_sql`)."""
    from gallery_builder.db.pass_queries import model_output_pending_sql

    return model_output_pending_sql(table, model, pass_name, version, requires, scope, force,
                                    error_pattern=error_pattern, needs=needs)


def photos_needing(db: Any, *args: Any, **kwargs: Any) -> list[int]:
    sql, params = pending_sql(*args, **kwargs)
    return [row[0] for row in db.execute(sql, params)]


def count_photos_needing(db: Any, *args: Any, **kwargs: Any) -> int:
    return count_rows(db, *pending_sql(*args, **kwargs))


def _in_chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start:start + CHUNK])


def current_vectors(db: Any, photo_ids: Sequence[int], model: str) -> dict[int, bytes]:
    """The clip vector of `model` for each photo's current content, where there is one."""
    found: dict[int, bytes] = {}
    for chunk in _in_chunks(photo_ids):
        for photo_id, vector in db.execute(
                f"SELECT v.photo_id, v.vector FROM clip_vectors v JOIN photos p ON p.id = v.photo_id"
                f" WHERE v.model = ? AND v.content_hash IS p.content_hash AND v.photo_id IN"
                f" ({','.join('?' * len(chunk))})", [model, *chunk]):
            found[photo_id] = bytes(vector)
    return found


def save_scores(db: Any, rows: Iterable[ScoreRow]) -> None:
    stamp = now_iso()
    db.executemany("INSERT OR REPLACE INTO photo_quality (photo_id, model, content_hash, score, updated_at)"
                   " VALUES (?, ?, ?, ?, ?)", [(r.photo_id, r.model, r.content_hash, r.score, stamp) for r in rows])


def save_concepts(db: Any, rows: Iterable[ConceptRows]) -> None:
    """Replace each photo's concepts of that model (a smaller prompt set leaves no stale concept)."""
    stamp = now_iso()
    for row in rows:
        db.execute("DELETE FROM photo_concepts WHERE photo_id = ? AND model = ?", (row.photo_id, row.model))
        db.executemany("INSERT INTO photo_concepts (photo_id, model, content_hash, concept, score, updated_at)"
                       " VALUES (?, ?, ?, ?, ?, ?)",
                       [(row.photo_id, row.model, row.content_hash, concept, score, stamp)
                        for concept, score in row.scores.items()])


def save_critiques(db: Any, rows: Iterable[CritiqueRow]) -> None:
    stamp = now_iso()
    db.executemany("INSERT OR REPLACE INTO photo_critiques (photo_id, model, content_hash, critique, updated_at)"
                   " VALUES (?, ?, ?, ?, ?)", [(r.photo_id, r.model, r.content_hash, r.critique, stamp) for r in rows])


def save_checks(db: Any, rows: Iterable[CheckRow]) -> None:
    stamp = now_iso()
    db.executemany("INSERT OR REPLACE INTO description_checks (photo_id, model, checker, content_hash, disputed,"
                   " objects, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   [(r.photo_id, r.model, r.checker, r.content_hash, int(r.disputed), json.dumps(list(r.objects)),
                     stamp) for r in rows])


def forget_checks(db: Any, photo_ids: Sequence[int], model: str) -> None:
    """A new description of `model` voids the verdict on the old one (inside the caller's transaction)."""
    db.executemany("DELETE FROM description_checks WHERE photo_id = ? AND model = ?",
                   [(photo_id, model) for photo_id in photo_ids])


def current_score_sql(photo: str = "p") -> str:
    """A scalar subquery: the newest aesthetic score of the photo aliased `photo` for its current
    content (NULL: none), for the queries that feed the "best first" order (stacks, review)."""
    return (f"(SELECT q.score FROM photo_quality q WHERE q.photo_id = {photo}.id"
            f" AND q.content_hash IS {photo}.content_hash ORDER BY q.updated_at DESC, q.rowid DESC LIMIT 1)")


def current_scores(db: Any, model: str | None = None) -> dict[int, float]:
    """The aesthetic score per photo for its current content (of `model`, else the newest of any)."""
    sql = ("SELECT q.photo_id, q.score FROM photo_quality q JOIN photos p ON p.id = q.photo_id"
           " WHERE q.content_hash IS p.content_hash")
    params: list[Any] = []
    if model is not None:
        sql += " AND q.model = ?"
        params.append(model)
    found: dict[int, float] = {}
    for photo_id, score in db.execute(sql + " ORDER BY q.photo_id, q.updated_at, q.rowid", params):
        found[photo_id] = float(score)
    return found


def scores_of(db: Any, photo_ids: Sequence[int], model: str) -> dict[int, float]:
    found: dict[int, float] = {}
    for chunk in _in_chunks(photo_ids):
        for photo_id, score in db.execute(
                f"SELECT q.photo_id, q.score FROM photo_quality q JOIN photos p ON p.id = q.photo_id"
                f" WHERE q.model = ? AND q.content_hash IS p.content_hash AND q.photo_id IN"
                f" ({','.join('?' * len(chunk))})", [model, *chunk]):
            found[photo_id] = float(score)
    return found


def descriptions_of(db: Any, photo_ids: Sequence[int], model: str) -> dict[int, str]:
    """The current description of `model` for each of these photos, where there is one."""
    found: dict[int, str] = {}
    for chunk in _in_chunks(photo_ids):
        for photo_id, text in db.execute(
                f"SELECT a.photo_id, a.description FROM photo_descriptions a JOIN photos p ON p.id = a.photo_id"
                f" WHERE a.model = ? AND a.content_hash IS p.content_hash AND a.photo_id IN"
                f" ({','.join('?' * len(chunk))})", [model, *chunk]):
            found[photo_id] = text
    return found


def current_concept_rows(db: Any) -> list[dict[str, Any]]:
    """photo id, concept, score of each photo's newest concept set for its current content (concepts.parquet)."""
    newest: dict[int, str] = {}
    for photo_id, model in db.execute(
            "SELECT c.photo_id, c.model FROM photo_concepts c JOIN photos p ON p.id = c.photo_id"
            " WHERE c.content_hash IS p.content_hash GROUP BY c.photo_id, c.model"
            " ORDER BY c.photo_id, MAX(c.updated_at), MAX(c.rowid)"):
        newest[photo_id] = model
    rows = db.execute("SELECT photo_id, model, concept, score FROM photo_concepts ORDER BY photo_id, score DESC,"
                      " concept")
    return [{"photo_id": photo_id, "concept": concept, "score": float(score)}
            for photo_id, model, concept, score in rows if newest.get(photo_id) == model]


def current_critiques(db: Any) -> dict[int, str]:
    found: dict[int, str] = {}
    for photo_id, text in db.execute(
            "SELECT c.photo_id, c.critique FROM photo_critiques c JOIN photos p ON p.id = c.photo_id"
            " WHERE c.content_hash IS p.content_hash ORDER BY c.photo_id, c.updated_at, c.rowid"):
        found[photo_id] = text
    return found


def disputed_descriptions(db: Any) -> dict[tuple[int, str], bool]:
    """Per (photo, description model) whose current description was checked: whether it is disputed."""
    return {(row[0], row[1]): bool(row[2]) for row in db.execute(
        "SELECT c.photo_id, c.model, c.disputed FROM description_checks c JOIN photos p ON p.id = c.photo_id"
        " WHERE c.content_hash IS p.content_hash")}


def checks_of(db: Any, model: str) -> dict[int, CheckRow]:
    return {row[0]: CheckRow(row[0], model, row[1], row[2], bool(row[3]), tuple(json.loads(row[4])))
            for row in db.execute("SELECT photo_id, checker, content_hash, disputed, objects FROM description_checks"
                                  " WHERE model = ?", (model,))}
