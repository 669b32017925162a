"""SQL of shoot review (culling): the shoots (folders or capture days) and their photos' facts, the
stored proposals (analysis output), a person's toggles and acceptances (decisions), and the
sharpness cache the proposals read."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Sequence

from gallery_builder.db.connection import transaction
from gallery_builder.db.decisions import UnknownPhotos
from gallery_builder.db.pass_queries import now_iso
from gallery_builder.db.quality import current_score_sql


class UnknownShoot(LookupError):
    def __init__(self, key: str) -> None:
        super().__init__(f"no proposed shoot {key!r}: `gallery review list` shows them, "
                         f"`gallery review propose` makes them")
        self.key = key


@dataclass(frozen=True)
class ShootPhotoRow:
    photo_id: int
    taken_at: str | None
    phash: str | None
    stars: int
    rating: float | None
    comparisons: int
    thumb_key: str | None
    widths: str | None
    sharpness_key: str | None
    sharpness: float | None
    clipped: float | None
    aesthetic: float | None = None


def folder_key(root_id: int, folder: str) -> str:
    return f"folder:{root_id}:{folder}"


def day_key(day: str) -> str:
    return f"day:{day}"


def _where(key: str) -> tuple[str, list[Any]]:
    kind, _, rest = key.partition(":")
    if kind == "folder":
        root, _, folder = rest.partition(":")
        if root.isdigit():
            return "p.root_id = ? AND p.folder = ?", [int(root), folder]
    elif kind == "day" and len(rest) == 10:
        return "substr(e.taken_at, 1, 10) = ?", [rest]
    raise UnknownShoot(key)


def shoot_label(db: Any, key: str) -> str:
    kind, _, rest = key.partition(":")
    if kind == "day":
        return rest
    root, _, folder = rest.partition(":")
    row = db.execute("SELECT label FROM roots WHERE id = ?", (int(root),)).fetchone()
    return f"{row[0] if row else root}/{folder}".rstrip("/")


def shoots_of(db: Any, kind: str, photo_ids: Sequence[int] | None = None) -> list[tuple[str, str | None]]:
    """(shoot key, last capture time) of every shoot of `kind`, or of the shoots those photos are in,
    most recent first."""
    wanted = ""
    params: list[Any] = []
    if photo_ids is not None:
        wanted = " AND p.id IN (SELECT value FROM json_each(?))"
        params.append(json.dumps(list(photo_ids)))
    if kind == "folder":
        rows = db.execute(
            "SELECT p.root_id, p.folder, MAX(e.taken_at) FROM photos p LEFT JOIN exif e ON e.photo_id = p.id"
            f" WHERE p.status != 'missing' AND p.kind != 'video'{wanted} GROUP BY p.root_id, p.folder", params)
        found = [(folder_key(root_id, folder), last) for root_id, folder, last in rows]
    else:
        rows = db.execute(
            "SELECT substr(e.taken_at, 1, 10) AS day, MAX(e.taken_at) FROM photos p JOIN exif e ON e.photo_id = p.id"
            f" WHERE p.status != 'missing' AND p.kind != 'video' AND e.taken_at IS NOT NULL{wanted} GROUP BY day",
            params)
        found = [(day_key(day), last) for day, last in rows]
    return sorted(found, key=lambda item: item[1] or "", reverse=True)


def shoot_photos(db: Any, key: str) -> list[ShootPhotoRow]:
    """The present photos (no videos) of a shoot with what the review reads."""
    where, params = _where(key)
    rows = db.execute(
        "SELECT p.id, e.taken_at, h.phash, COALESCE(d.stars, 0), r.rating, COALESCE(r.comparisons, 0),"
        f" t.thumb_key, t.widths, s.thumb_key, s.sharpness, s.clipped, {current_score_sql('p')}"
        " FROM photos p LEFT JOIN exif e ON e.photo_id = p.id LEFT JOIN phashes h ON h.photo_id = p.id"
        " LEFT JOIN photo_decisions d ON d.photo_id = p.id LEFT JOIN photo_ratings r ON r.photo_id = p.id"
        " LEFT JOIN thumbnails t ON t.photo_id = p.id LEFT JOIN photo_sharpness s ON s.photo_id = p.id"
        f" WHERE p.status != 'missing' AND p.kind != 'video' AND {where} ORDER BY e.taken_at, p.id", params)
    return [ShootPhotoRow(*row) for row in rows]


def face_landmarks(db: Any, photo_ids: Sequence[int]) -> dict[int, tuple[float, list[list[list[float]]]]]:
    """photo id -> (the displayed picture's width over height, the landmarks of each of its faces big
    and sure enough to cluster), for the photos with such faces (eyes open or closed: analysis/eyes.py)."""
    found: dict[int, tuple[float, list[list[list[float]]]]] = {}
    for photo_id, landmarks, width, height, orientation in db.execute(
            "SELECT f.photo_id, f.landmarks, e.width, e.height, e.orientation FROM faces f"
            " LEFT JOIN exif e ON e.photo_id = f.photo_id WHERE f.landmarks IS NOT NULL AND f.clusterable = 1"
            " AND f.photo_id IN (SELECT value FROM json_each(?)) ORDER BY f.photo_id, f.id",
            (json.dumps(list(photo_ids)),)):
        if not width or not height:
            continue
        turned = orientation in (5, 6, 7, 8)
        aspect = (height / width) if turned else (width / height)
        found.setdefault(photo_id, (aspect, []))[1].append(json.loads(landmarks))
    return found


def fingerprint(rows: Sequence[ShootPhotoRow], extra: Any = None) -> str:
    """What a proposal depends on: each photo's time, look, stars, rating, aesthetic score and sharpness."""
    digest = hashlib.sha1(repr(extra).encode())
    for row in rows:
        digest.update(repr((row.photo_id, row.taken_at, row.phash, row.stars, row.rating, row.comparisons,
                            row.thumb_key, row.sharpness_key, row.aesthetic)).encode())
    return digest.hexdigest()


def stored_fingerprint(db: Any, key: str) -> str | None:
    row = db.execute("SELECT fingerprint FROM review_shoots WHERE shoot_key = ?", (key,)).fetchone()
    return row[0] if row else None


def store_sharpness(db: Any, rows: Iterable[tuple[int, str, float | None, float | None, float | None]]) -> None:
    """(photo id, thumb key, sharpness, clipped share, mean grey) per photo, replacing older values."""
    db.executemany("INSERT OR REPLACE INTO photo_sharpness (photo_id, thumb_key, sharpness, clipped, mean)"
                   " VALUES (?, ?, ?, ?, ?)", list(rows))


@dataclass(frozen=True)
class ProposedGroup:
    members: Sequence[int]
    best: int
    scores: dict[int, dict[str, Any]]


def store_proposal(db: Any, key: str, label: str, kind: str, rows: Sequence[ShootPhotoRow],
                   groups: Sequence[ProposedGroup], print_: str) -> None:
    """Replace a shoot's proposal (never a person's toggles) in one short transaction."""
    with transaction(db):
        db.execute("DELETE FROM review_groups WHERE shoot_key = ?", (key,))
        taken = [row.taken_at for row in rows if row.taken_at]
        db.execute(
            "INSERT INTO review_shoots (shoot_key, kind, label, photo_count, group_count, first_taken, last_taken,"
            " fingerprint, proposed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(shoot_key) DO UPDATE SET"
            " label = excluded.label, photo_count = excluded.photo_count, group_count = excluded.group_count,"
            " first_taken = excluded.first_taken, last_taken = excluded.last_taken,"
            " fingerprint = excluded.fingerprint, proposed_at = excluded.proposed_at",
            (key, kind, label, len(rows), len(groups), min(taken) if taken else None, max(taken) if taken else None,
             print_, now_iso()))
        position = 0
        for number, group in enumerate(groups):
            for photo_id in group.members:
                db.execute("INSERT INTO review_groups (shoot_key, photo_id, group_no, position, proposed, score)"
                           " VALUES (?, ?, ?, ?, ?, ?)",
                           (key, photo_id, number, position, int(photo_id == group.best),
                            json.dumps(group.scores.get(photo_id))))
                position += 1


def forget_shoot(db: Any, key: str) -> None:
    """A shoot with no photos left: its proposal goes (a person's toggles stay, keyed by photo)."""
    db.execute("DELETE FROM review_shoots WHERE shoot_key = ?", (key,))


def list_shoots(db: Any, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    """Proposed shoots, most recent first, with their selection counts."""
    rows = db.execute(
        "SELECT s.shoot_key, s.kind, s.label, s.photo_count, s.group_count, s.first_taken, s.last_taken,"
        " s.proposed_at, (SELECT COUNT(*) FROM review_groups g LEFT JOIN review_selections x"
        "   ON x.photo_id = g.photo_id"
        "   WHERE g.shoot_key = s.shoot_key AND COALESCE(x.selected, g.proposed) = 1) AS selected,"
        " (SELECT MAX(at) FROM review_acceptances a WHERE a.shoot_key = s.shoot_key) AS accepted_at"
        " FROM review_shoots s ORDER BY s.last_taken IS NULL, s.last_taken DESC, s.shoot_key LIMIT ? OFFSET ?",
        (limit, offset))
    return [dict(row) for row in rows]


def shoot_review(db: Any, key: str) -> dict[str, Any]:
    """A shoot's groups in time order: each photo, whether proposed, whether selected (a person's
    toggle, else the proposal), and its thumbnail key."""
    head = db.execute("SELECT * FROM review_shoots WHERE shoot_key = ?", (key,)).fetchone()
    if head is None:
        raise UnknownShoot(key)
    groups: list[dict[str, Any]] = []
    for row in db.execute(
            "SELECT g.photo_id, g.group_no, g.proposed, g.score, x.selected, t.thumb_key, t.widths, p.path"
            " FROM review_groups g JOIN photos p ON p.id = g.photo_id"
            " LEFT JOIN review_selections x ON x.photo_id = g.photo_id"
            " LEFT JOIN thumbnails t ON t.photo_id = g.photo_id WHERE g.shoot_key = ? ORDER BY g.position", (key,)):
        if not groups or groups[-1]["group"] != row["group_no"]:
            groups.append({"group": row["group_no"], "photos": []})
        groups[-1]["photos"].append({
            "id": row["photo_id"], "path": row["path"], "proposed": bool(row["proposed"]),
            "selected": bool(row["proposed"] if row["selected"] is None else row["selected"]),
            "toggled": row["selected"] is not None, "thumb_key": row["thumb_key"],
            "widths": json.loads(row["widths"]) if row["widths"] else [],
            "score": json.loads(row["score"]) if row["score"] else None})
    return {"shoot": dict(head), "groups": groups}


def set_selection(db: Any, key: str, photo_ids: Sequence[int], selected: bool, source: str) -> int:
    """A person's toggle on photos of a shoot (kept per photo, so the folder and the day views agree);
    UnknownPhotos for ids outside it. Returns how many changed (setting what is so changes nothing)."""
    with transaction(db):
        if db.execute("SELECT 1 FROM review_shoots WHERE shoot_key = ?", (key,)).fetchone() is None:
            raise UnknownShoot(key)
        members = {row[0]: row[1] for row in db.execute(
            "SELECT g.photo_id, COALESCE(x.selected, g.proposed) FROM review_groups g LEFT JOIN review_selections x"
            " ON x.photo_id = g.photo_id WHERE g.shoot_key = ?", (key,))}
        outside = [photo_id for photo_id in photo_ids if photo_id not in members]
        if outside:
            raise UnknownPhotos(outside)
        changed = [photo_id for photo_id in dict.fromkeys(photo_ids) if bool(members[photo_id]) != selected]
        at = now_iso()
        db.executemany("INSERT INTO review_selections (photo_id, selected, source, updated_at)"
                       " VALUES (?, ?, ?, ?) ON CONFLICT(photo_id) DO UPDATE SET"
                       " selected = excluded.selected, source = excluded.source, updated_at = excluded.updated_at",
                       [(photo_id, int(selected), source, at) for photo_id in changed])
        return len(changed)


def selected_ids(db: Any, key: str) -> tuple[list[int], list[int]]:
    """(selected, not selected) photo ids of a shoot, in shoot order."""
    shoot_review(db, key)  # raises UnknownShoot
    chosen: list[int] = []
    others: list[int] = []
    for photo_id, selected in db.execute(
            "SELECT g.photo_id, COALESCE(x.selected, g.proposed) FROM review_groups g LEFT JOIN review_selections x"
            " ON x.photo_id = g.photo_id WHERE g.shoot_key = ? ORDER BY g.position",
            (key,)):
        (chosen if selected else others).append(photo_id)
    return chosen, others


def record_acceptance(db: Any, key: str, accepted_as: str, count: int, source: str) -> None:
    db.execute("INSERT INTO review_acceptances (shoot_key, accepted_as, photo_count, source, at) VALUES (?, ?, ?, ?, ?)",
               (key, accepted_as, count, source, now_iso()))


def selection_rows(db: Any) -> Iterator[dict[str, Any]]:
    """Every photo of every proposed shoot with its effective selection (review_selections.parquet),
    from a cursor."""
    return ({**dict(row), "proposed": bool(row["proposed"]), "selected": bool(row["selected"]),
             "toggled": bool(row["toggled"])} for row in db.execute(
        "SELECT g.shoot_key, s.label AS shoot, g.photo_id, g.group_no, g.proposed,"
        " COALESCE(x.selected, g.proposed) AS selected, x.selected IS NOT NULL AS toggled"
        " FROM review_groups g JOIN review_shoots s ON s.shoot_key = g.shoot_key"
        " LEFT JOIN review_selections x ON x.photo_id = g.photo_id"
        " ORDER BY s.last_taken DESC, g.position"))


def accept_selection(db: Any, key: str, target: str, name: str | None, reject_others: bool, source: str) -> str:
    """Turn a shoot's selection into picks (optionally rejecting the rest) or a collection's photos,
    through the same writes as the flag and collection commands; returns one line saying what changed."""
    from gallery_builder.db.collections import add_photos, create_collection
    from gallery_builder.db.decisions import set_flag

    chosen, others = selected_ids(db, key)
    if target == "picks":
        picked = set_flag(db, chosen, "pick", source).changes if chosen else ()
        rejected = set_flag(db, others, "reject", source).changes if reject_others and others else ()
        with transaction(db):
            record_acceptance(db, key, "picks", len(chosen), source)
        extra = f", {len(rejected)} newly rejected" if reject_others else ""
        return f"accepted {len(chosen)} photo(s) as picks ({len(picked)} newly picked{extra})"
    if not name:
        raise ValueError("a collection needs a name")
    collection = create_collection(db, name, source)
    added = add_photos(db, collection.collection_id, chosen, source).photo_ids if chosen else ()
    with transaction(db):
        record_acceptance(db, key, f"collection:{collection.collection_id}", len(chosen), source)
    return (f"accepted {len(chosen)} photo(s) into collection {name!r} (id {collection.collection_id}; "
            f"{len(added)} newly added)")
