"""A data home for upload tests: files of random bytes on disk, their rows in a real gallery.db, a
collection of them, the user's OAuth client file, and (optionally) a token as `gallery google auth`
writes it, all pointing at a FakeGoogle on 127.0.0.1."""
from __future__ import annotations

import hashlib
import json
import os
import random
from dataclasses import dataclass
from pathlib import Path

from gallery_builder.config import Settings, load_settings
from gallery_builder.db.collections import add_photos, create_collection
from gallery_builder.db.connection import connect
from tests.fake_google import FakeGoogle


@dataclass
class UploadHome:
    home: Path
    settings: Settings
    photo_ids: list[int]
    digests: dict[int, str]       # photo id -> sha256 of its bytes
    collection_id: int


def client_secret(fake: FakeGoogle) -> dict:
    return {"installed": {"client_id": "client-1.apps.googleusercontent.com", "client_secret": "secret-1",
                          "project_id": "gallery-test", "auth_uri": "https://accounts.google.com/o/oauth2/auth",
                          "token_uri": "https://oauth2.googleapis.com/token", "redirect_uris": ["http://localhost"]}}


def make_upload_home(root: Path, fake: FakeGoogle, count: int, *, size: int = 2048, signed_in: bool = True,
                     name: str = "Lisbon 2023", seed: int = 1) -> UploadHome:
    home, photos = root / "home", root / "photos"
    photos.mkdir(parents=True)
    home.mkdir(parents=True)
    generator = random.Random(seed)
    db = connect(home / "gallery.db")
    db.execute("INSERT INTO roots (id, label, path) VALUES (1, 'photos', ?)", (str(photos),))
    digests = {}
    for number in range(1, count + 1):
        data = generator.randbytes(size + number)
        file_name = f"IMG_{number:05d}.jpg"
        (photos / file_name).write_bytes(data)
        digests[number] = hashlib.sha256(data).hexdigest()
        db.execute("INSERT INTO photos (id, root_id, path, path_bytes, folder, name, kind, size, mtime_ns, status,"
                   " first_seen, last_seen) VALUES (?, 1, ?, ?, '', ?, 'photo', ?, 1, 'ok', 'x', 'x')",
                   (number, file_name, file_name.encode(), file_name, len(data)))
    collection = create_collection(db, name, "test").collection_id
    add_photos(db, collection, list(range(1, count + 1)), "test")
    db.close()
    (home / "client_secret.json").write_text(json.dumps(client_secret(fake)))
    settings = load_settings(home, environ=fake.environ())
    if signed_in:
        write_token(settings, fake.stored_token())
    return UploadHome(home, settings, list(range(1, count + 1)), digests, collection)


def write_token(settings: Settings, data: dict) -> None:
    settings.google_dir.mkdir(parents=True, exist_ok=True)
    path = settings.google_dir / "token.json"
    path.write_text(json.dumps(data))
    os.chmod(path, 0o600)
