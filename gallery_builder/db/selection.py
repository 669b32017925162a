"""SQL of a selection's export (`gallery export-selection`, GET /api/selection/export): which photos a
selection names (a collection in its order, the picks, photos rated at least N stars, given ids) and
their rows (path, date, camera, place, flag, stars, collections), read in bounded chunks."""
from __future__ import annotations

from typing import Any, Iterable, Iterator, Sequence

from gallery_builder.db.collections import collection_photo_ids

CHUNK = 500  # ids per query: bounded memory for a selection of any size, under SQLite's variable limit

SELECTION_FIELDS: tuple[str, ...] = (
    "photo_id", "root", "path", "taken_at", "camera", "place", "country", "flag", "stars", "collections")


def picked_photo_ids(db: Any) -> list[int]:
    """Present photos flagged pick, by capture time then id."""
    return _ids(db, "d.flag = 'pick'", ())


def rated_photo_ids(db: Any, min_stars: int) -> list[int]:
    """Present photos with at least `min_stars` stars, by capture time then id."""
    return _ids(db, "d.stars >= ?", (min_stars,))


def _ids(db: Any, condition: str, params: Sequence[Any]) -> list[int]:
    return [row[0] for row in db.execute(
        "SELECT p.id FROM photo_decisions d JOIN photos p ON p.id = d.photo_id"
        " LEFT JOIN exif e ON e.photo_id = p.id"
        f" WHERE p.status != 'missing' AND {condition} ORDER BY e.taken_at IS NULL, e.taken_at, p.id", params)]


def collection_selection(db: Any, collection_id: int) -> list[int]:
    """A collection's photos in its manual order (UnknownCollection when there is none)."""
    return collection_photo_ids(db, collection_id)


def selection_rows(db: Any, photo_ids: Iterable[int]) -> Iterator[dict[str, Any]]:
    """One row per photo id, in the order given (repeats and unknown ids left out), CHUNK at a time."""
    seen: set[int] = set()
    chunk: list[int] = []
    for photo_id in photo_ids:
        if photo_id in seen:
            continue
        seen.add(photo_id)
        chunk.append(photo_id)
        if len(chunk) == CHUNK:
            yield from _rows(db, chunk)
            chunk = []
    if chunk:
        yield from _rows(db, chunk)


def _rows(db: Any, ids: list[int]) -> list[dict[str, Any]]:
    marks = ",".join("?" * len(ids))
    found = {row["photo_id"]: row for row in db.execute(
        "SELECT p.id AS photo_id, r.label AS root, p.path, e.taken_at, e.camera_make, e.camera_model,"
        " pl.place, pl.admin, pl.country, d.flag, COALESCE(d.stars, 0) AS stars"
        " FROM photos p JOIN roots r ON r.id = p.root_id LEFT JOIN exif e ON e.photo_id = p.id"
        " LEFT JOIN places pl ON pl.photo_id = p.id LEFT JOIN photo_decisions d ON d.photo_id = p.id"
        f" WHERE p.id IN ({marks})", ids)}
    names: dict[int, list[str]] = {}
    for photo_id, name in db.execute(
            "SELECT cp.photo_id, c.name FROM collection_photos cp JOIN collections c ON c.id = cp.collection_id"
            f" WHERE cp.photo_id IN ({marks}) ORDER BY c.name COLLATE NOCASE", ids):
        names.setdefault(photo_id, []).append(name)
    rows = []
    for photo_id in ids:
        row = found.get(photo_id)
        if row is None:
            continue
        rows.append({
            "photo_id": photo_id, "root": row["root"], "path": row["path"], "taken_at": row["taken_at"],
            "camera": _camera(row["camera_make"], row["camera_model"]),
            "place": ", ".join(part for part in (row["place"], row["admin"]) if part) or None,
            "country": row["country"], "flag": row["flag"], "stars": row["stars"],
            "collections": names.get(photo_id, [])})
    return rows


def _camera(make: str | None, model: str | None) -> str | None:
    """'Sony ILCE-7M3', without the make repeated when the model already starts with it."""
    if not model:
        return make or None
    if make and not model.lower().startswith(make.split()[0].lower()):
        return f"{make} {model}"
    return model
