"""Export and import a person's face work as JSON that survives a rebuilt database: people (names,
hidden, references), face links, "not this person" and fixed clusters, each face named by its photo
(content hash, then root label + path) and its box, never by a face id.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

from gallery_builder.db.connection import transaction
from gallery_builder.db.decisions import request_republish
from gallery_builder.db.pass_queries import now_iso

FORMAT = "gallery-people"
VERSION = 1
MIN_OVERLAP = 0.3  # intersection over union for a box to name the same face after re-detection

_FACE = ("SELECT f.id, p.content_hash, r.label, p.path, f.x, f.y, f.w, f.h FROM faces f"
         " JOIN photos p ON p.id = f.photo_id JOIN roots r ON r.id = p.root_id")


def _key(row: Any) -> dict[str, Any]:
    return {"photo": {"content_hash": row[1], "root": row[2], "path": row[3]},
            "box": [round(value, 5) for value in row[4:8]]}


def export_assignments(db: Any) -> dict[str, Any]:
    """Everything a person decided about faces (proposals included, so an import restores the pages as
    they were), in one read transaction."""
    db.execute("BEGIN")
    try:
        people = [{"name": row[1], "hidden": bool(row[2]),
                   "references": [ref[0] for ref in db.execute(
                       "SELECT path FROM person_references WHERE person_id = ? ORDER BY path", (row[0],))]}
                  for row in db.execute("SELECT id, name, hidden FROM people ORDER BY name COLLATE NOCASE")]
        faces = [{**_key(row), "person": row[8], "assigned_by": row[9]} for row in db.execute(
            f"{_FACE.replace('FROM faces f', ', q.name, f.assigned_by FROM faces f')}"
            " LEFT JOIN people q ON q.id = f.person_id WHERE f.assigned_by IS NOT NULL ORDER BY f.id")]
        rejections = [{**_key(row), "person": row[8]} for row in db.execute(
            f"{_FACE.replace('FROM faces f', ', q.name FROM faces f')} JOIN face_rejections j ON j.face_id = f.id"
            " JOIN people q ON q.id = j.person_id ORDER BY f.id, q.name")]
        clusters = []
        for cluster_id, shown, ignored in db.execute(
                "SELECT id, shown, ignored FROM face_clusters WHERE shown = 1 OR ignored = 1 ORDER BY id").fetchall():
            members = [_key(row) for row in db.execute(f"{_FACE} WHERE f.cluster_id = ? ORDER BY f.id", (cluster_id,))]
            if members:
                clusters.append({"shown": bool(shown), "ignored": bool(ignored), "faces": members})
    finally:
        db.execute("COMMIT")
    return {"format": FORMAT, "version": VERSION, "exported_at": now_iso(), "people": people, "faces": faces,
            "rejections": rejections, "clusters": clusters}


def _overlap(a: list[float], b: list[float]) -> float:
    left, top = max(a[0], b[0]), max(a[1], b[1])
    right, bottom = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inner = max(0.0, right - left) * max(0.0, bottom - top)
    union = a[2] * a[3] + b[2] * b[3] - inner
    return inner / union if union > 0 else 0.0


class _Finder:
    """Faces of the current database by photo (content hash, else root + path) and box overlap."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.cache: dict[tuple, list[tuple[int, list[float]]]] = {}

    def face(self, entry: dict[str, Any]) -> int | None:
        photo, box = entry.get("photo") or {}, entry.get("box")
        if not isinstance(box, list) or len(box) != 4:
            return None
        key = (photo.get("content_hash"), photo.get("root"), photo.get("path"))
        if key not in self.cache:
            rows = []
            if key[0]:
                rows = self.db.execute(f"{_FACE} WHERE p.content_hash = ? AND p.status = 'ok'", (key[0],)).fetchall()
            if not rows and key[1] and key[2]:
                rows = self.db.execute(f"{_FACE} WHERE r.label = ? AND p.path = ?", (key[1], key[2])).fetchall()
            self.cache[key] = [(row[0], list(row[4:8])) for row in rows]
        scored = [(_overlap(box, found), face_id) for face_id, found in self.cache[key]]
        best = max(scored, default=(0.0, None))
        return best[1] if best[0] >= MIN_OVERLAP else None


def import_assignments(db: Any, data: dict[str, Any], source: str) -> dict[str, int]:
    """Restore an export in one transaction: people by name (created when new), links, "not this person"
    and fixed clusters on the faces found again. Returns counts, with the faces not found."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} export (its \"format\" field must be {FORMAT!r})")
    counts = Counter({"people created": 0, "faces linked": 0, "rejections": 0, "clusters restored": 0,
                      "faces not found": 0})
    with transaction(db):
        finder, people = _Finder(db), {}
        for person in data.get("people", []):
            people[person["name"].casefold()] = _ensure_person(db, person, counts)
        for entry in data.get("faces", []):
            face_id = finder.face(entry)
            if face_id is None:
                counts["faces not found"] += 1
                continue
            name = entry.get("person")
            person_id = people.get(name.casefold()) if name else None
            if name and person_id is None:
                person_id = people[name.casefold()] = _ensure_person(db, {"name": name}, counts)
            if person_id is not None:
                db.execute("UPDATE faces SET person_id = NULL, assigned_by = NULL WHERE person_id = ? AND id != ?"
                           " AND photo_id = (SELECT photo_id FROM faces WHERE id = ?)", (person_id, face_id, face_id))
            db.execute("UPDATE faces SET person_id = ?, assigned_by = ? WHERE id = ?",
                       (person_id, entry.get("assigned_by") or "user", face_id))
            counts["faces linked"] += person_id is not None
        for entry in data.get("rejections", []):
            face_id, person_id = finder.face(entry), people.get(str(entry.get("person", "")).casefold())
            if face_id is None or person_id is None:
                counts["faces not found"] += face_id is None
                continue
            counts["rejections"] += db.execute("INSERT OR IGNORE INTO face_rejections (face_id, person_id, at)"
                                               " VALUES (?, ?, ?)", (face_id, person_id, now_iso())).rowcount
        for cluster in data.get("clusters", []):
            counts["clusters restored"] += _restore_cluster(db, finder, cluster, counts)
        request_republish(db, f"{source}: people imported", in_transaction=True)
    return dict(counts)


def _ensure_person(db: Any, person: dict[str, Any], counts: Counter) -> int:
    name = " ".join(str(person["name"]).split())
    row = db.execute("SELECT id FROM people WHERE name = ? COLLATE NOCASE", (name,)).fetchone()
    if row is None:
        row = (db.execute("INSERT INTO people (name, created_at) VALUES (?, ?)", (name, now_iso())).lastrowid,)
        counts["people created"] += 1
    if person.get("hidden"):
        db.execute("UPDATE people SET hidden = 1 WHERE id = ?", (row[0],))
    for path in person.get("references", []):
        db.execute("INSERT OR IGNORE INTO person_references (person_id, path) VALUES (?, ?)", (row[0], path))
    return int(row[0])


def _restore_cluster(db: Any, finder: _Finder, cluster: dict[str, Any], counts: Counter) -> int:
    """The cluster most of these faces are in now takes the flags; with none, a new cluster holds them."""
    found = [face_id for face_id in (finder.face(entry) for entry in cluster.get("faces", [])) if face_id]
    counts["faces not found"] += len(cluster.get("faces", [])) - len(found)
    if not found:
        return 0
    now = Counter(row[0] for row in db.execute(
        "SELECT cluster_id FROM faces WHERE cluster_id IS NOT NULL AND id IN (SELECT value FROM json_each(?))",
        (str(found),)))
    if now:
        cluster_id = now.most_common(1)[0][0]
    else:
        cluster_id = db.execute("INSERT INTO face_clusters (created_at) VALUES (?)", (now_iso(),)).lastrowid
        db.executemany("UPDATE faces SET cluster_id = ? WHERE id = ?", [(cluster_id, face_id) for face_id in found])
    db.execute("UPDATE face_clusters SET shown = MAX(shown, ?), ignored = MAX(ignored, ?) WHERE id = ?",
               (int(bool(cluster.get("shown"))), int(bool(cluster.get("ignored"))), cluster_id))
    return 1
