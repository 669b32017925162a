"""SQL for search: photos matching filters, the facts of a result card, the names a query can use.

Text comparisons are case- and accent-insensitive through `gallery_fold()`, and colour filters
use `gallery_color_names()`; both are registered on the connection by `install_search_functions`.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Sequence

from gallery_builder.core.color_names import names_of

CHUNK = 900


def fold_text(text: str | None) -> str:
    """'São  Paulo' -> 'sao paulo' (the form every name is compared in)."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"\s+", " ", stripped.casefold()).strip()


def _color_names(colors_json: str | None) -> str:
    try:
        return "," + ",".join(names_of(json.loads(colors_json))) + "," if colors_json else ""
    except (ValueError, TypeError):
        return ""


def install_search_functions(db: Any) -> None:
    db.create_function("gallery_fold", 1, fold_text, deterministic=True)
    db.create_function("gallery_color_names", 1, _color_names, deterministic=True)


@dataclass(frozen=True)
class PhotoFilter:
    """Every list is OR within itself, AND across lists. Dates are inclusive ISO days / 'MM-DD'."""

    ranges: tuple[tuple[str, str], ...] = ()
    annual: tuple[tuple[str, str], ...] = ()
    years: tuple[int, ...] = ()
    months: tuple[int, ...] = ()
    places: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    cameras: tuple[str, ...] = ()
    folders: tuple[str, ...] = ()
    colors: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    filenames: tuple[str, ...] = ()
    words: tuple[str, ...] = ()   # plain-text match on path, place, camera, description, tags (no CLIP model)

    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in self.__dataclass_fields__)


def _any(clauses: list[str]) -> str:
    return "(" + " OR ".join(clauses) + ")"


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _date_clauses(where: list[str], params: list[Any], f: PhotoFilter) -> None:
    if f.ranges:
        where.append(_any(["(e.taken_at >= ? AND e.taken_at < ?)"] * len(f.ranges)))
        for start, end in f.ranges:
            params.extend([start, (date.fromisoformat(end) + timedelta(days=1)).isoformat()])
    if f.annual:
        parts = []
        for start, end in f.annual:
            parts.append("substr(e.taken_at, 6, 5) BETWEEN ? AND ?" if start <= end
                         else "(substr(e.taken_at, 6, 5) >= ? OR substr(e.taken_at, 6, 5) <= ?)")
            params.extend([start, end])
        where.append(_any(parts))
    if f.years:
        where.append(f"CAST(substr(e.taken_at, 1, 4) AS INTEGER) IN ({','.join('?' * len(f.years))})")
        params.extend(f.years)
    if f.months:
        where.append(f"CAST(substr(e.taken_at, 6, 2) AS INTEGER) IN ({','.join('?' * len(f.months))})")
        params.extend(f.months)


def _fact_clauses(db: Any, where: list[str], params: list[Any], f: PhotoFilter) -> None:
    for value in f.places:
        where.append("(gallery_fold(pl.place) = ? OR gallery_fold(pl.admin) = ? OR gallery_fold(pl.country) = ?)")
        params.extend([fold_text(value)] * 3)
    if f.countries:
        where.append(_any(["(gallery_fold(pl.country) = ? OR upper(pl.country_code) = ?)"] * len(f.countries)))
        for value in f.countries:
            params.extend([fold_text(value), value.strip().upper()])
    if f.cameras:
        where.append(_any(["gallery_fold(coalesce(e.camera_make, '') || ' ' || coalesce(e.camera_model, ''))"
                           " LIKE ? ESCAPE '\\'"] * len(f.cameras)))
        params.extend(f"%{_like_escape(fold_text(value))}%" for value in f.cameras)
    if f.folders:
        clauses = []
        for value in f.folders:
            folder = value.strip().strip("/")
            clauses.append("(p.folder = ? OR p.folder LIKE ? ESCAPE '\\' OR r.label || '/' || p.folder = ?"
                           " OR r.label || '/' || p.folder LIKE ? ESCAPE '\\')")
            params.extend([folder, _like_escape(folder) + "/%", folder, _like_escape(folder) + "/%"])
        where.append(_any(clauses))
    if f.colors:
        where.append(_any(["gallery_color_names(c.colors) LIKE ?"] * len(f.colors)))
        params.extend(f"%,{color},%" for color in f.colors)
    if f.filenames:
        clauses = []
        for value in f.filenames:
            patterns = _name_patterns(value)
            clauses.extend(["p.name LIKE ? ESCAPE '\\'"] * len(patterns))
            params.extend(patterns)
        where.append(_any(clauses))
    said = _MODEL_WORDS if f.words and _has_answers(db) else ""
    for word in f.words:
        where.append("gallery_fold(p.path || ' ' || coalesce(pl.place, '') || ' ' || coalesce(pl.admin, '') || ' '"
                     " || coalesce(pl.country, '') || ' ' || coalesce(e.camera_make, '') || ' '"
                     f" || coalesce(e.camera_model, ''){said}) LIKE ? ESCAPE '\\'")
        params.append(f"%{_like_escape(fold_text(word))}%")


# What a vision model said about the photo's current content (migration 0008): descriptions and tags.
_MODEL_WORDS = (" || ' ' || coalesce((SELECT group_concat(a.description, ' ') FROM photo_descriptions a"
                " WHERE a.photo_id = p.id AND a.content_hash IS p.content_hash), '')"
                " || ' ' || coalesce((SELECT group_concat(g.tags, ' ') FROM photo_tags g"
                " WHERE g.photo_id = p.id AND g.content_hash IS p.content_hash), '')")


def _has_answers(db: Any) -> bool:
    """A database the indexer has not migrated to 0008 yet (the sidecar opens it read-only) has none."""
    return db.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
                      " AND name IN ('photo_descriptions', 'photo_tags')").fetchone()[0] == 2


def _name_patterns(value: str) -> list[str]:
    """'DSC06241' matches DSC06241.JPG, DSC06241.ARW, DSC06241-edit.jpg, DSC06241 (1).jpg, not DSC062410.JPG;
    with an extension, only that name. Case-insensitive, as cameras and phones disagree on case."""
    stem = _like_escape(value.strip())
    if re.search(r"\.[A-Za-z0-9]{2,5}$", value.strip()):
        return [stem]
    return [stem, stem + ".%", stem + "-%", stem + "\\_%", stem + " %"]


def matching_photo_ids(db: Any, f: PhotoFilter) -> list[int]:
    """Present photos matching the filter, newest first (photos without a date last)."""
    where: list[str] = ["p.status != 'missing'"]
    params: list[Any] = []
    _date_clauses(where, params, f)
    _fact_clauses(db, where, params, f)
    if f.people:
        from gallery_builder.db.face_queries import has_face_tables, person_clause

        if has_face_tables(db):
            clause, values = person_clause(f.people)
            where.append(clause)
            params.extend(values)
        else:
            where.append("0")  # a database from before faces (0011): a person filter matches nothing
    sql = ("SELECT p.id FROM photos p JOIN roots r ON r.id = p.root_id LEFT JOIN exif e ON e.photo_id = p.id"
           " LEFT JOIN places pl ON pl.photo_id = p.id LEFT JOIN colors c ON c.photo_id = p.id WHERE "
           + " AND ".join(where) + " ORDER BY e.taken_at IS NULL, e.taken_at DESC, p.id DESC")
    return [row[0] for row in db.execute(sql, params)]


def photo_cards(db: Any, photo_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The facts a result needs, by photo id."""
    cards: dict[int, dict[str, Any]] = {}
    for start in range(0, len(photo_ids), CHUNK):
        chunk = list(photo_ids[start:start + CHUNK])
        rows = db.execute(
            "SELECT p.id, r.label AS root, p.path, p.path_bytes, p.name, p.folder, p.kind, e.taken_at, e.width,"
            " e.height, e.camera_make, e.camera_model, pl.place, pl.country, t.thumb_key, t.widths, c.colors"
            " FROM photos p JOIN roots r ON r.id = p.root_id LEFT JOIN exif e ON e.photo_id = p.id"
            " LEFT JOIN places pl ON pl.photo_id = p.id LEFT JOIN thumbnails t ON t.photo_id = p.id"
            " LEFT JOIN colors c ON c.photo_id = p.id"
            f" WHERE p.id IN ({','.join('?' * len(chunk))})", chunk)
        for row in rows:
            card = dict(row)
            card["widths"] = json.loads(card["widths"]) if card["widths"] else []
            card["colors"] = json.loads(card["colors"]) if card["colors"] else []
            cards[card["id"]] = card
    return cards


def dominant_color_names(db: Any, photo_ids: Sequence[int]) -> dict[int, list[str]]:
    """Names of the top three dominant colours per photo (for re-ranking by colour words)."""
    found: dict[int, list[str]] = {}
    for start in range(0, len(photo_ids), CHUNK):
        chunk = list(photo_ids[start:start + CHUNK])
        for photo_id, colors in db.execute(
                f"SELECT photo_id, colors FROM colors WHERE photo_id IN ({','.join('?' * len(chunk))})", chunk):
            try:
                found[photo_id] = names_of(json.loads(colors))
            except (ValueError, TypeError):
                continue
    return found


def vocabulary_rows(db: Any) -> tuple[list[str], list[tuple[str, str]], list[tuple[str, str]]]:
    """Distinct place/admin names, (country, code) pairs and (make, model) pairs of present photos."""
    places = [row[0] for row in db.execute(
        "SELECT DISTINCT place FROM places WHERE place IS NOT NULL UNION SELECT DISTINCT admin FROM places"
        " WHERE admin IS NOT NULL")]
    countries = [(row[0], row[1]) for row in db.execute(
        "SELECT DISTINCT country, country_code FROM places WHERE country IS NOT NULL")]
    cameras = [(row[0], row[1]) for row in db.execute(
        "SELECT DISTINCT camera_make, camera_model FROM exif WHERE camera_make IS NOT NULL"
        " OR camera_model IS NOT NULL")]
    return places, countries, cameras


def median_latitude(db: Any) -> float | None:
    """The median GPS latitude of the library (its hemisphere decides what "summer" means)."""
    count = db.execute("SELECT COUNT(*) FROM exif WHERE gps_lat IS NOT NULL").fetchone()[0]
    if not count:
        return None
    row = db.execute("SELECT gps_lat FROM exif WHERE gps_lat IS NOT NULL ORDER BY gps_lat LIMIT 1 OFFSET ?",
                     (count // 2,)).fetchone()
    return float(row[0])


def present_photo_count(db: Any) -> int:
    return int(db.execute("SELECT COUNT(*) FROM photos WHERE status != 'missing'").fetchone()[0])


def photo_is_present(db: Any, photo_id: int) -> bool:
    return db.execute("SELECT 1 FROM photos WHERE id = ? AND status != 'missing'", (photo_id,)).fetchone() is not None


def library_signature(db: Any) -> str:
    """Changes whenever photos, their facts or their vectors change (keys the result cache)."""
    photos = db.execute("SELECT COUNT(*), MAX(id), MAX(last_seen) FROM photos").fetchone()
    runs = db.execute("SELECT COUNT(*), MAX(updated_at) FROM pass_runs").fetchone()
    from gallery_builder.db.face_queries import people_signature

    return json.dumps([list(photos), list(runs), people_signature(db)])
