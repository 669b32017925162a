"""SQL for detected faces (migration 0011): replacing one photo's detections while keeping what a
person decided, and reading a photo's faces back as typed records.

Re-detection never loses user work: a new face that overlaps an old one (IoU >= 0.5) takes over the
old row in place (same id, so crops, exports and "not this person" still point at it) and keeps a
person the user or a reference photo gave it; an old face with user work that no new face overlaps
is kept, unclustered. Machine guesses (match, temporal, cluster) are dropped for analysis to redo.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Sequence

USER_WORK = ("user", "reference")   # assigned_by values that re-detection must keep
OVERLAP = 0.5                       # IoU at which a new face is the same face as an old one


@dataclass(frozen=True)
class NewFace:
    """One detection to store: box and landmarks as fractions of the displayed (upright) picture."""

    x: float
    y: float
    w: float
    h: float
    score: float
    size_px: int
    clusterable: bool
    landmarks: tuple[tuple[float, float], ...] | None = None
    embedding: bytes | None = None      # float32 little-endian unit vector
    crop_key: str | None = None


@dataclass(frozen=True)
class FaceRecord:
    id: int
    photo_id: int
    backend: str
    x: float
    y: float
    w: float
    h: float
    score: float
    size_px: int
    clusterable: bool
    crop_key: str | None
    person_id: int | None
    assigned_by: str | None
    cluster_id: int | None
    landmarks: tuple[tuple[float, float], ...] | None


def box_iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    left, top = max(a[0], b[0]), max(a[1], b[1])
    right, bottom = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, right - left) * max(0.0, bottom - top)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def _pairs(new: Sequence[NewFace], old: Sequence[Any]) -> dict[int, Any]:
    """New face index -> the old row it continues (greedy on IoU, each old row at most once)."""
    candidates = sorted(((box_iou((face.x, face.y, face.w, face.h), (row["x"], row["y"], row["w"], row["h"])), index, row)
                         for index, face in enumerate(new) for row in old), key=lambda item: -item[0])
    paired: dict[int, Any] = {}
    taken: set[int] = set()
    for overlap, index, row in candidates:
        if overlap < OVERLAP:
            break
        if index not in paired and row["id"] not in taken:
            paired[index] = row
            taken.add(row["id"])
    return paired


def replace_photo_faces(db: Any, photo_id: int, backend: str, content_hash: str | None,
                        faces: Sequence[NewFace]) -> list[int]:
    """Store a photo's detections in place of the old ones, atomically (a savepoint, so it also
    nests in the runner's batch transaction). Returns the face ids, in the order of `faces`."""
    db.execute("SAVEPOINT replace_photo_faces")
    try:
        ids = _replace(db, photo_id, backend, content_hash, faces)
    except BaseException:
        db.execute("ROLLBACK TO replace_photo_faces")
        db.execute("RELEASE replace_photo_faces")
        raise
    db.execute("RELEASE replace_photo_faces")
    return ids


def _replace(db: Any, photo_id: int, backend: str, content_hash: str | None, faces: Sequence[NewFace]) -> list[int]:
    old = db.execute("SELECT f.id, f.x, f.y, f.w, f.h, f.backend, f.person_id, f.assigned_by, f.cluster_id,"
                     " EXISTS (SELECT 1 FROM face_rejections r WHERE r.face_id = f.id) AS rejected"
                     " FROM faces f WHERE f.photo_id = ? ORDER BY f.id", (photo_id,)).fetchall()
    paired = _pairs(faces, old)
    ids: list[int] = []
    for index, face in enumerate(faces):
        values = (backend, content_hash, face.x, face.y, face.w, face.h, _landmarks_json(face.landmarks), face.score,
                  face.size_px, int(face.clusterable), face.embedding, face.crop_key)
        row = paired.get(index)
        if row is None:
            cursor = db.execute(
                "INSERT INTO faces (photo_id, backend, content_hash, x, y, w, h, landmarks, score, size_px,"
                " clusterable, embedding, crop_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (photo_id, *values))
            ids.append(int(cursor.lastrowid))
            continue
        keeps_person = row["assigned_by"] in USER_WORK
        keeps_cluster = row["backend"] == backend  # same embedding space: its neighbours are unchanged
        db.execute(
            "UPDATE faces SET backend = ?, content_hash = ?, x = ?, y = ?, w = ?, h = ?, landmarks = ?, score = ?,"
            " size_px = ?, clusterable = ?, embedding = ?, crop_key = ?, person_id = ?, assigned_by = ?,"
            " cluster_id = ? WHERE id = ?",
            (*values, row["person_id"] if keeps_person else None, row["assigned_by"] if keeps_person else None,
             row["cluster_id"] if keeps_cluster else None, row["id"]))
        ids.append(int(row["id"]))
    continued = {row["id"] for row in paired.values()}
    for row in old:
        if row["id"] in continued:
            continue
        if row["assigned_by"] in USER_WORK or row["rejected"]:
            # nothing overlaps it now, but a person named or refused it: keep it, out of clustering
            db.execute("UPDATE faces SET clusterable = 0, cluster_id = NULL WHERE id = ?", (row["id"],))
        else:
            db.execute("DELETE FROM faces WHERE id = ?", (row["id"],))
    return ids


def _landmarks_json(landmarks: tuple[tuple[float, float], ...] | None) -> str | None:
    if landmarks is None:
        return None
    return json.dumps([[round(x, 5), round(y, 5)] for x, y in landmarks], separators=(",", ":"))


def faces_of_photo(db: Any, photo_id: int) -> list[FaceRecord]:
    """A photo's faces, in id order."""
    rows = db.execute("SELECT id, photo_id, backend, x, y, w, h, score, size_px, clusterable, crop_key, person_id,"
                      " assigned_by, cluster_id, landmarks FROM faces WHERE photo_id = ? ORDER BY id", (photo_id,))
    return [FaceRecord(row["id"], row["photo_id"], row["backend"], row["x"], row["y"], row["w"], row["h"],
                       row["score"], row["size_px"], bool(row["clusterable"]), row["crop_key"], row["person_id"],
                       row["assigned_by"], row["cluster_id"],
                       tuple((x, y) for x, y in json.loads(row["landmarks"])) if row["landmarks"] else None)
            for row in rows]


def face_counts(db: Any, photo_ids: Sequence[int]) -> dict[int, int]:
    """Faces per photo (photos without a face are absent)."""
    if not photo_ids:
        return {}
    rows = db.execute(f"SELECT photo_id, COUNT(*) FROM faces WHERE photo_id IN ({','.join('?' * len(photo_ids))})"
                      " GROUP BY photo_id", list(photo_ids))
    return {row[0]: int(row[1]) for row in rows}
