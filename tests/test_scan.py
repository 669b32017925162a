"""The scan: skip rules, numbered copies, new/changed/moved/missing, refused roots, odd names."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from gallery_builder.config import Root
from gallery_builder.db.connection import connect
from gallery_builder.indexing.scan import RootUnavailable, Scanner, display_path, hash_file


def truth_path(text: str) -> bytes:
    """The generator writes non-UTF-8 names as 'hex:<bytes>' in its ground truth."""
    return bytes.fromhex(text[4:]) if text.startswith("hex:") else os.fsencode(text)


def scan(db, path: Path, label: str = "photos", ignore=(), **kwargs):
    return Scanner(db, Root(label, path), list(ignore), **kwargs).scan()


def photos(db, label: str = "photos") -> dict[str, tuple[int, str]]:
    rows = db.execute("SELECT p.path, p.id, p.status FROM photos p JOIN roots r ON r.id = p.root_id"
                      " WHERE r.label = ?", (label,))
    return {row[0]: (row[1], row[2]) for row in rows}


def jpeg(path: Path, color=(200, 30, 30), size=(64, 48)) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path, "JPEG")
    return path


@pytest.fixture
def db(tmp_path):
    connection = connect(tmp_path / "gallery.db")
    yield connection
    connection.close()


def test_library_quirks_follow_the_manifest(db, corpus, manifest, tmp_path):
    library = tmp_path / "lib"
    shutil.copytree(corpus / "library_quirks", library / "library_quirks", symlinks=True)
    report = scan(db, library)
    found = photos(db)
    for entry in manifest["files"]:
        if not entry["dest"].startswith("library_quirks/"):
            continue
        decision = entry["expect"]["decision"]
        if decision == "index":
            assert entry["dest"] in found, entry["dest"]
        elif decision == "skip":
            assert entry["dest"] not in found, entry["dest"]
    reasons = dict((path, reason) for path, reason in report.skipped)
    assert reasons["library_quirks/DCIM/100CANON/Canon PowerShot G2 (3)_1.jpg"] == "numbered_copy"
    assert reasons["library_quirks/DCIM/100CANON/@eaDir"] == "system_folder"
    assert reasons["library_quirks/DCIM/.thumbnails"] == "hidden_folder"
    assert reasons["library_quirks/DCIM/100CANON/._Canon PowerShot G2 (3).jpg"] == "appledouble"
    kinds = dict(db.execute("SELECT name, kind FROM photos"))
    assert kinds["IMG_0042"] == "photo"  # no extension: recognised by content


def test_generated_library_skips_match_ground_truth(db, tmp_path):
    from tests.conftest import make_library

    library = tmp_path / "lib"
    truth = make_library(library, 120, "--odd-names", "--odd-share", "0.05")
    scan(db, library)
    found = {bytes(row[0]) for row in db.execute("SELECT path_bytes FROM photos")}
    skipped = dict(db.execute("SELECT path, reason FROM skipped_files"))
    assert truth["expected_skips"], "the generator should plant files to skip"
    for entry in truth["expected_skips"]:
        assert truth_path(entry["path"]) not in found
        assert skipped[display_path(truth_path(entry["path"]))] == entry["reason"]
    for photo in truth["photos"]:
        assert truth_path(photo["path"]) in found, photo["path"]
    assert truth["odd_names"], "--odd-names should plant odd names"
    assert truth["exact_duplicates"]
    for duplicate in truth["exact_duplicates"]:
        assert truth_path(duplicate["copy"]) in found  # exact copies elsewhere are photos too


def test_new_changed_moved_missing_and_returned(db, tmp_path):
    root = tmp_path / "lib"
    a, b = jpeg(root / "2024/a.jpg"), jpeg(root / "2024/b.jpg", (10, 200, 10))
    first = scan(db, root)
    assert first.counts["new"] == 2
    ids = {path: photo_id for path, (photo_id, _) in photos(db).items()}

    again = scan(db, root)
    assert again.counts["unchanged"] == 2 and again.counts["new"] == 0

    jpeg(a, (0, 0, 255))  # new content, same path
    os.utime(a, ns=(1, 1))
    moved = root / "2025" / "renamed.jpg"
    moved.parent.mkdir()
    b.rename(moved)
    report = scan(db, root)
    assert report.counts["changed"] == 1 and report.counts["moved"] == 1 and report.counts["new"] == 0
    now = photos(db)
    assert now["2024/a.jpg"][0] == ids["2024/a.jpg"]
    assert now["2025/renamed.jpg"][0] == ids["2024/b.jpg"]  # the photo kept its id
    assert "2024/b.jpg" not in now

    moved.unlink()
    report = scan(db, root)
    assert report.counts["missing"] == 1
    assert photos(db)["2025/renamed.jpg"][1] == "missing"
    jpeg(moved, (10, 200, 10))
    report = scan(db, root)
    assert photos(db)["2025/renamed.jpg"] == (ids["2024/b.jpg"], "ok")


def test_absent_or_empty_root_is_refused_and_other_roots_untouched(db, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    jpeg(first / "x.jpg")
    jpeg(second / "y.jpg")
    scan(db, first, "first")
    scan(db, second, "second")
    shutil.rmtree(first)
    with pytest.raises(RootUnavailable, match="does not exist"):
        scan(db, first, "first")
    first.mkdir()
    with pytest.raises(RootUnavailable, match="empty"):
        scan(db, first, "first")
    (first / "@eaDir").mkdir()  # only NAS litter left: still no media, photos stay
    with pytest.raises(RootUnavailable, match="no media files"):
        scan(db, first, "first")
    assert photos(db, "first")["x.jpg"][1] == "ok"
    assert photos(db, "second")["y.jpg"][1] == "ok"
    report = scan(db, first, "first", accept_empty=True)
    assert report.counts["missing"] == 1 and photos(db, "second")["y.jpg"][1] == "ok"


def test_numbered_copy_only_skipped_when_identical(db, tmp_path):
    root = tmp_path / "lib"
    original = jpeg(root / "DSC.JPG")
    shutil.copyfile(original, root / "DSC_1.JPG")
    jpeg(root / "DSC (2).JPG", (1, 2, 3))  # a look-alike name holding another photo
    scan(db, root)
    assert set(photos(db)) == {"DSC.JPG", "DSC (2).JPG"}


def test_nogallery_ignore_patterns_and_system_files(db, tmp_path):
    root = tmp_path / "lib"
    jpeg(root / "keep/a.jpg")
    jpeg(root / "private/b.jpg")
    (root / "private/.nogallery").touch()
    jpeg(root / "tmp-exports/c.jpg")
    jpeg(root / "#recycle/d.jpg")
    jpeg(root / ".Trash-1000/e.jpg")
    (root / "keep/Thumbs.db").write_bytes(b"x")
    (root / "keep/notes.txt").write_text("hello")
    scan(db, root, ignore=["tmp-*"])
    assert set(photos(db)) == {"keep/a.jpg"}
    reasons = dict(db.execute("SELECT path, reason FROM skipped_files"))
    assert reasons == {"private": "nogallery", "tmp-exports": "ignored", "#recycle": "system_folder",
                       ".Trash-1000": "system_folder", "keep/Thumbs.db": "system_file", "keep/notes.txt": "not_media"}


def test_odd_names_symlinks_and_unreadable_files(db, tmp_path):
    root = tmp_path / "lib"
    jpeg(root / "café_déjà_vu.jpg")
    latin1 = os.path.join(os.fsencode(root), b"caf\xe9.jpg")
    shutil.copyfile(root / "café_déjà_vu.jpg", latin1)
    jpeg(root / "blocked.jpg", (9, 9, 9))
    (root / "broken.jpg").symlink_to(root / "nowhere.jpg")
    (root / "loop").symlink_to(root, target_is_directory=True)
    (root / "empty.jpg").write_bytes(b"")

    def hasher(path: bytes) -> str:
        if path.endswith(b"blocked.jpg"):
            raise PermissionError(13, "Permission denied")
        return hash_file(path)

    scan(db, root, hasher=hasher)
    rows = {bytes(row[0]): (row[1], row[2], row[3]) for row in
            db.execute("SELECT path_bytes, path, status, error_code FROM photos")}
    assert rows[b"caf\xe9.jpg"][0] == "caf\\xe9.jpg" == display_path(b"caf\xe9.jpg")
    assert rows["café_déjà_vu.jpg".encode()][1] == "ok"
    assert rows[b"blocked.jpg"][1:] == ("error", "unreadable")
    assert rows[b"empty.jpg"][1:] == ("error", "empty")
    reasons = dict(db.execute("SELECT path, reason FROM skipped_files"))
    assert reasons["broken.jpg"] == "broken_symlink"
    assert reasons["loop"] == "symlink_loop"
    # a later scan retries the unreadable file (cheap) and keeps the empty one as it was
    report = scan(db, root)
    assert report.counts["errors"] == 0
    rows = dict(db.execute("SELECT path, status FROM photos"))
    assert rows["blocked.jpg"] == "ok" and rows["empty.jpg"] == "error"


def test_files_still_being_written_are_held_not_marked_missing(db, tmp_path):
    root = tmp_path / "lib"
    jpeg(root / "a.jpg")
    jpeg(root / "b.jpg", (5, 5, 5))
    scan(db, root)
    jpeg(root / "new.jpg", (7, 7, 7))
    report = scan(db, root, hold=frozenset({"b.jpg", "new.jpg"}))  # e.g. a copy over b.jpg in progress
    assert report.counts["missing"] == 0 and report.counts["new"] == 0
    assert photos(db)["b.jpg"][1] == "ok" and "new.jpg" not in photos(db)
    assert dict(db.execute("SELECT path, reason FROM skipped_files"))["new.jpg"] == "in_progress"
