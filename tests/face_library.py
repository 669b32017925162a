"""A database with photos and faces written directly: synthetic unit vectors around planted identities,
so matching and clustering tests know who is who (no detector needed)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gallery_builder.db.connection import connect, transaction

DIMENSIONS = 128
NOISE = 0.012  # per coordinate: same-identity faces lie ~0.2 apart, different identities ~1.4


@dataclass
class FaceLibrary:
    db: object
    rng: np.random.Generator
    identities: dict[str, np.ndarray] = field(default_factory=dict)
    truth: dict[int, str] = field(default_factory=dict)   # face id -> identity
    photo_count: int = 0

    def identity(self, name: str) -> np.ndarray:
        if name not in self.identities:
            vector = self.rng.normal(size=DIMENSIONS)
            self.identities[name] = vector / np.linalg.norm(vector)
        return self.identities[name]

    def face_vector(self, name: str, noise: float = NOISE) -> np.ndarray:
        vector = self.identity(name) + self.rng.normal(scale=noise, size=DIMENSIONS)
        return (vector / np.linalg.norm(vector)).astype(np.float32)

    def add_photo(self, who: list[str], *, folder: str = "2024/a", taken_at: str | None = "2024-05-01T10:00:00",
                  backend: str = "dlib", noise: float = NOISE, clusterable: bool = True,
                  vectors: list[np.ndarray] | None = None) -> tuple[int, list[int]]:
        """A photo with one face per name in `who`; returns (photo id, face ids)."""
        self.photo_count += 1
        name = f"img_{self.photo_count:05d}.jpg"
        path = f"{folder}/{name}"
        db = self.db
        with transaction(db):
            photo_id = int(db.execute(
                "INSERT INTO photos (root_id, path, path_bytes, folder, name, kind, size, mtime_ns, content_hash,"
                " first_seen, last_seen) VALUES (1, ?, ?, ?, ?, 'photo', 1, 1, ?, 'x', 'x')",
                (path, path.encode(), folder, name, f"hash{self.photo_count:05d}")).lastrowid)
            if taken_at:
                db.execute("INSERT INTO exif (photo_id, taken_at) VALUES (?, ?)", (photo_id, taken_at))
            face_ids = []
            for index, person in enumerate(who):
                vector = vectors[index] if vectors is not None else self.face_vector(person, noise)
                face_id = int(db.execute(
                    "INSERT INTO faces (photo_id, backend, content_hash, x, y, w, h, score, size_px, clusterable,"
                    " embedding) VALUES (?, ?, ?, ?, 0.2, 0.1, 0.1, 0.99, 80, ?, ?)",
                    (photo_id, backend, f"hash{self.photo_count:05d}", 0.1 + 0.2 * index, int(clusterable),
                     np.asarray(vector, dtype="<f4").tobytes())).lastrowid)
                self.truth[face_id] = person
                face_ids.append(face_id)
        return photo_id, face_ids


def face_library(tmp_path: Path, seed: int = 7) -> FaceLibrary:
    db = connect(tmp_path / "gallery.db")
    db.execute("INSERT INTO roots (id, label, path) VALUES (1, 'library', ?)", (str(tmp_path / "photos"),))
    return FaceLibrary(db, np.random.default_rng(seed))


def person_of(db, face_id: int) -> tuple[int | None, str | None]:
    return tuple(db.execute("SELECT person_id, assigned_by FROM faces WHERE id = ?", (face_id,)).fetchone())


def cluster_of(db, face_id: int) -> int | None:
    return db.execute("SELECT cluster_id FROM faces WHERE id = ?", (face_id,)).fetchone()[0]
