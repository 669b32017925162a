"""Faces, people and clusters planted with plain SQL (the faces pass and people analysis are other
work), small face crops at thumb_layout.face_crop_path, and the faces export they turn into."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from gallery_builder.core.thumb_layout import face_crop_path

NOW = "2024-01-01T00:00:00+00:00"


def face_db(path: Path, photo_ids: list[int] = ()) -> Any:
    """A migrated database; when `photo_ids` are given, bare photo rows with those ids (for the
    faces' foreign key) under a root "photos" (an indexed database already has its own)."""
    from gallery_builder.db.connection import connect

    db = connect(path)
    if photo_ids:
        db.execute("INSERT OR IGNORE INTO roots (id, label, path) VALUES (1, 'photos', '/photos')")
        for photo_id in photo_ids:
            name = f"IMG_{photo_id:04d}.JPG"
            db.execute("INSERT INTO photos (id, root_id, path, path_bytes, folder, name, kind, size, mtime_ns,"
                       " first_seen, last_seen) VALUES (?, 1, ?, ?, '', ?, 'photo', 1, 1, ?, ?)",
                       (photo_id, name, name.encode(), name, NOW, NOW))
    return db


def add_person(db: Any, name: str, *, hidden: bool = False, cover_face_id: int | None = None) -> int:
    return db.execute("INSERT INTO people (name, hidden, cover_face_id, created_at) VALUES (?, ?, ?, ?)",
                      (name, int(hidden), cover_face_id, NOW)).lastrowid


def rename_person(db: Any, person_id: int, name: str) -> None:
    db.execute("UPDATE people SET name = ? WHERE id = ?", (name, person_id))


def add_cluster(db: Any, *, ignored: bool = False) -> int:
    return db.execute("INSERT INTO face_clusters (ignored, created_at) VALUES (?, ?)", (int(ignored), NOW)).lastrowid


def crop_key_of(photo_id: int, box: tuple[float, float, float, float]) -> str:
    return hashlib.sha1(f"{photo_id}:{box}".encode()).hexdigest()


def add_face(db: Any, photo_id: int, box: tuple[float, float, float, float] = (0.4, 0.3, 0.2, 0.25), *,
             person_id: int | None = None, cluster_id: int | None = None, score: float = 0.9,
             backend: str = "dlib") -> int:
    """One face (box as fractions x, y, w, h of the oriented image) with a crop key from its box."""
    return db.execute(
        "INSERT INTO faces (photo_id, backend, x, y, w, h, score, size_px, crop_key, person_id, assigned_by,"
        " cluster_id) VALUES (?, ?, ?, ?, ?, ?, ?, 80, ?, ?, ?, ?)",
        (photo_id, backend, *box, score, crop_key_of(photo_id, box), person_id,
         "user" if person_id is not None else None, cluster_id)).lastrowid


def write_crops(db: Any, thumbs_dir: Path) -> None:
    """A small real JPEG at the crop path of every face."""
    from PIL import Image

    for (key,) in db.execute("SELECT crop_key FROM faces WHERE crop_key IS NOT NULL"):
        path = face_crop_path(thumbs_dir, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (32, 32), "#d0a080").save(path, quality=70)


def export_faces(db: Any, home: Path) -> dict[str, int]:
    """faces.parquet, people.parquet and face_clusters.parquet into home/parquet (as `gallery export`)."""
    from gallery_builder.export.faces import export_faces as export

    return export(db, home / "parquet")
