"""Reading faces and people (migration 0011) for the export and for search: faces page by page,
people with their counts and covers, clusters with their sizes, and the person filter of search.

Writing faces, people and clusters belongs to the faces pass and to people analysis, not here.
"""
from __future__ import annotations

from typing import Any, Iterator, NamedTuple

FACE_PAGE = 20_000     # faces read per query: the export never holds every face of a library at once


class FaceRow(NamedTuple):
    """One detected face as faces.parquet carries it (box: fractions of the oriented image)."""

    face_id: int
    photo_id: int
    person_id: int | None
    cluster_id: int | None
    x: float
    y: float
    w: float
    h: float
    score: float
    backend: str
    crop_key: str | None
    clusterable: bool
    assigned_by: str | None


class PersonRow(NamedTuple):
    person_id: int
    name: str
    hidden: bool
    face_count: int                 # faces linked to this person
    photo_count: int                # distinct photos with one of them
    cover_face_id: int | None       # the chosen cover, else the best-scored face (None: no face)


class ClusterRow(NamedTuple):
    cluster_id: int
    ignored: bool
    shown: bool
    face_count: int                 # faces of the cluster not (yet) linked to a person


def has_face_tables(db: Any) -> bool:
    """False on a database not migrated to 0011 yet (the sidecar opens it read-only)."""
    return db.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
                      " AND name IN ('faces', 'people', 'face_clusters')").fetchone()[0] == 3


def face_pages(db: Any, page_size: int = FACE_PAGE) -> Iterator[list[FaceRow]]:
    """Every face in id order, `page_size` at a time (keyset paging: each page is one short query)."""
    if not has_face_tables(db):
        return
    after = 0
    while True:
        rows = db.execute(
            "SELECT id, photo_id, person_id, cluster_id, x, y, w, h, score, backend, crop_key, clusterable,"
            " assigned_by FROM faces WHERE id > ? ORDER BY id LIMIT ?", (after, page_size)).fetchall()
        if not rows:
            return
        yield [FaceRow(*row[:11], bool(row[11]), row[12]) for row in rows]
        after = rows[-1][0]


def people(db: Any) -> list[PersonRow]:
    """Every person by id, with face and photo counts and the cover face."""
    if not has_face_tables(db):
        return []
    rows = db.execute(
        "SELECT pe.id, pe.name, pe.hidden, COUNT(f.id), COUNT(DISTINCT f.photo_id),"
        " COALESCE(pe.cover_face_id, (SELECT b.id FROM faces b WHERE b.person_id = pe.id"
        "                             ORDER BY b.score DESC, b.id LIMIT 1))"
        " FROM people pe LEFT JOIN faces f ON f.person_id = pe.id GROUP BY pe.id ORDER BY pe.id").fetchall()
    return [PersonRow(row[0], row[1], bool(row[2]), row[3], row[4], row[5]) for row in rows]


def clusters(db: Any) -> list[ClusterRow]:
    """Every cluster by id, with the number of its faces that no person claims."""
    if not has_face_tables(db):
        return []
    rows = db.execute(
        "SELECT c.id, c.ignored, c.shown, COUNT(f.id) FROM face_clusters c"
        " LEFT JOIN faces f ON f.cluster_id = c.id AND f.person_id IS NULL GROUP BY c.id ORDER BY c.id").fetchall()
    return [ClusterRow(row[0], bool(row[1]), bool(row[2]), row[3]) for row in rows]


def person_names(db: Any) -> list[str]:
    """Names a search query may use: every person who is not hidden."""
    if not has_face_tables(db):
        return []
    return [row[0] for row in db.execute("SELECT name FROM people WHERE hidden = 0 ORDER BY id")]


def people_signature(db: Any) -> list[Any]:
    """Changes when faces or people change (a rename, an assignment): keys search results."""
    if not has_face_tables(db):
        return []
    faces = db.execute("SELECT COUNT(*), MAX(id), TOTAL(COALESCE(person_id, 0) * 31 + id) FROM faces").fetchone()
    persons = db.execute("SELECT COUNT(*), MAX(id), group_concat(name || hidden, '|') FROM people").fetchone()
    return [list(faces), list(persons)]


def person_clause(names: tuple[str, ...]) -> tuple[str, list[Any]]:
    """SQL (on `p`, the photos table) for photos showing any of these people, by name folded
    (needs `gallery_fold`, search_queries.install_search_functions), and its parameters."""
    from gallery_builder.db.search_queries import fold_text

    marks = ",".join("?" * len(names))
    return (f"p.id IN (SELECT f.photo_id FROM faces f JOIN people pe ON pe.id = f.person_id"
            f" WHERE pe.hidden = 0 AND gallery_fold(pe.name) IN ({marks}))", [fold_text(name) for name in names])
