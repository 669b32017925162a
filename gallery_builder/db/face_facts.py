"""SQL that face matching and clustering read and store: faces with their vectors and capture times,
"not this person" pairs, clusters' shown/ignored flags; proposals stored without touching a decision.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from gallery_builder.db.connection import transaction
from gallery_builder.db.decisions import request_republish
from gallery_builder.db.pass_queries import now_iso


@dataclass(frozen=True)
class FaceFact:
    """One embedded face of one backend, as analysis sees it."""

    id: int
    photo_id: int
    embedding: bytes
    clusterable: bool
    person_id: int | None
    assigned_by: str | None
    cluster_id: int | None
    taken_at: str | None


def faces_present(db: Any) -> bool:
    """Whether the faces table exists and holds any embedded face (the analysis stage runs only then)."""
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'faces'").fetchone() is None:
        return False
    return db.execute("SELECT 1 FROM faces WHERE embedding IS NOT NULL LIMIT 1").fetchone() is not None


def has_new_faces(db: Any, photo_ids: Iterable[int]) -> bool:
    """Whether these photos hold an embedded, clusterable face not yet clustered (every new face is: a run
    with none skips loading the library's faces; faces that stayed "other faces" count too)."""
    return db.execute(
        "SELECT 1 FROM faces WHERE photo_id IN (SELECT value FROM json_each(?)) AND embedding IS NOT NULL"
        " AND clusterable = 1 AND cluster_id IS NULL LIMIT 1",
        (json.dumps(sorted(set(photo_ids))),)).fetchone() is not None


def has_decided_faces(db: Any) -> bool:
    """Whether any face is linked to a person by a person's decision (matching has someone to match)."""
    return db.execute("SELECT 1 FROM faces WHERE person_id IS NOT NULL AND assigned_by IN ('user', 'reference',"
                      " 'cluster') LIMIT 1").fetchone() is not None


def face_backends(db: Any) -> list[str]:
    return [row[0] for row in db.execute("SELECT DISTINCT backend FROM faces WHERE embedding IS NOT NULL ORDER BY 1")]


def face_facts(db: Any, backend: str) -> list[FaceFact]:
    """Every embedded face of `backend`, by id."""
    return [FaceFact(row[0], row[1], row[2], bool(row[3]), row[4], row[5], row[6], row[7]) for row in db.execute(
        "SELECT f.id, f.photo_id, f.embedding, f.clusterable, f.person_id, f.assigned_by, f.cluster_id, e.taken_at"
        " FROM faces f LEFT JOIN exif e ON e.photo_id = f.photo_id"
        " WHERE f.backend = ? AND f.embedding IS NOT NULL ORDER BY f.id", (backend,))]


def face_ids_in_photos(db: Any, photo_ids: Iterable[int]) -> set[int]:
    return {row[0] for row in db.execute("SELECT id FROM faces WHERE photo_id IN (SELECT value FROM json_each(?))",
                                         (json.dumps(sorted(set(photo_ids))),))}


def reference_paths(db: Any) -> dict[int, list[str]]:
    """person id -> the reference photos and folders named for them."""
    found: dict[int, list[str]] = {}
    for person_id, path in db.execute("SELECT person_id, path FROM person_references ORDER BY person_id, path"):
        found.setdefault(person_id, []).append(path)
    return found


def rejections(db: Any) -> set[tuple[int, int]]:
    """(face id, person id) pairs a person said are not that person."""
    return {(row[0], row[1]) for row in db.execute("SELECT face_id, person_id FROM face_rejections")}


def cluster_flags(db: Any) -> dict[int, tuple[bool, bool]]:
    """cluster id -> (shown, ignored)."""
    return {row[0]: (bool(row[1]), bool(row[2])) for row in db.execute("SELECT id, shown, ignored FROM face_clusters")}


def store_matches(db: Any, matches: Sequence[tuple[int, int, str]]) -> int:
    """Link (face id, person id, 'match'|'temporal') where the face is still unlinked and undecided, the
    pair was not rejected and the photo has no face of that person yet (a decision made meanwhile wins)."""
    stored = 0
    with transaction(db):
        for face_id, person_id, how in matches:
            stored += db.execute(
                "UPDATE faces SET person_id = ?, assigned_by = ? WHERE id = ? AND person_id IS NULL"
                " AND assigned_by IS NULL AND NOT EXISTS (SELECT 1 FROM face_rejections r WHERE r.face_id = ?"
                " AND r.person_id = ?) AND NOT EXISTS (SELECT 1 FROM faces o WHERE o.photo_id = faces.photo_id"
                " AND o.person_id = ?) AND EXISTS (SELECT 1 FROM people WHERE id = ?)",
                (person_id, how, face_id, face_id, person_id, person_id, person_id)).rowcount
        if stored:
            request_republish(db, f"faces: {stored} face(s) matched", in_transaction=True)
    return stored


def store_clusters(db: Any, labels: dict[int, int | str | None], drop: Iterable[int] = ()) -> dict[str, int]:
    """Write each face's cluster: an existing id, a new-cluster token (str: one new row per token), or
    None (other faces). Clusters in `drop` are deleted when neither shown nor ignored. One transaction."""
    counts = {"new clusters": 0, "faces moved": 0, "clusters dropped": 0}
    with transaction(db):
        at, made = now_iso(), {}
        for token in sorted({label for label in labels.values() if isinstance(label, str)}):
            made[token] = int(db.execute("INSERT INTO face_clusters (created_at) VALUES (?)", (at,)).lastrowid)
        counts["new clusters"] = len(made)
        current = {row[0]: row[1] for row in db.execute(
            "SELECT id, cluster_id FROM faces WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(sorted(labels)),))}
        updates = []
        for face_id, label in labels.items():
            target = made[label] if isinstance(label, str) else label
            if face_id in current and current[face_id] != target:
                updates.append((target, face_id))
        db.executemany("UPDATE faces SET cluster_id = ? WHERE id = ?", updates)
        counts["faces moved"] = len(updates)
        counts["clusters dropped"] = db.execute(
            "DELETE FROM face_clusters WHERE shown = 0 AND ignored = 0 AND id IN (SELECT value FROM json_each(?))"
            " AND NOT EXISTS (SELECT 1 FROM faces f WHERE f.cluster_id = face_clusters.id)",
            (json.dumps(sorted(set(drop))),)).rowcount
        if updates or made:
            request_republish(db, f"faces: {len(updates)} face(s) clustered", in_transaction=True)
    return counts


def photo_ids_under(db: Any, paths: Sequence[str]) -> dict[str, list[int]]:
    """path (a root-relative file or folder, optionally after the root's label, or absolute) -> photo ids."""
    roots = [(row[0], row[1], row[2]) for row in db.execute("SELECT id, label, path FROM roots")]
    found: dict[str, list[int]] = {}
    for path in paths:
        ids: list[int] = []
        for root_id, label, root_path in roots:
            relative = _relative(path, label, root_path)
            if relative is None:
                continue
            ids += [row[0] for row in db.execute(
                "SELECT id FROM photos WHERE root_id = ? AND status = 'ok' AND (path = ? OR folder = ?"
                " OR folder LIKE ? ESCAPE '\\' OR ? = '') ORDER BY id",
                (root_id, relative, relative, _like_prefix(relative), relative))]
        found[path] = ids
    return found


def _relative(path: str, label: str, root_path: str) -> str | None:
    clean = path.rstrip("/")
    root = root_path.rstrip("/")
    if clean == root:
        return ""
    if clean.startswith(root + "/"):
        return clean[len(root) + 1:]
    if clean.startswith("/"):
        return None
    if clean == label:
        return ""
    if clean.startswith(label + "/"):
        return clean[len(label) + 1:]
    return clean


def _like_prefix(folder: str) -> str:
    return folder.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"
