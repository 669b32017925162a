"""Watch mode's event side: settling (copies in progress wait), batching, filtering, exclusions."""
from __future__ import annotations

import os
from pathlib import Path

from watchdog.events import (
    DirModifiedEvent, FileClosedNoWriteEvent, FileCreatedEvent, FileDeletedEvent, FileMovedEvent, FileOpenedEvent,
)

from gallery_builder.core import media_types
from gallery_builder.config import Root
from gallery_builder.db.connection import connect
from gallery_builder.indexing.scan import Scanner
from gallery_builder.watch.events import (
    ChangeHandler, PendingChanges, is_relevant, probe_signature,
)


class Clock:
    """Time under the test's control; file signatures are still read from the real disk."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def grow(path: Path, data: bytes) -> None:
    with open(path, "ab") as handle:
        handle.write(data)


def test_a_file_still_growing_is_not_settled(tmp_path):
    clock, pending = Clock(), PendingChanges(Clock())
    pending.clock = clock
    photo = tmp_path / "big.mov"
    photo.write_bytes(b"x" * 10)
    roots = {"photos": str(tmp_path)}
    pending.note("photos", "big.mov", False)
    pending.review(roots)
    for _ in range(4):  # the copy goes on: every review sees a new size
        clock.now += 3
        grow(photo, b"y" * 10)
        pending.review(roots)
        assert pending.take_batch(settle=5, max_wait=600) is None
    clock.now += 3
    pending.review(roots)
    assert pending.take_batch(settle=5, max_wait=600) is None  # stable for 3 s only
    clock.now += 3
    pending.review(roots)
    batch = pending.take_batch(settle=5, max_wait=600)
    assert batch is not None and batch.roots == ("photos",) and batch.changes == 1
    assert batch.scope.folders == (("photos", ""),) and not batch.scope.full and not batch.excluded
    assert pending.count() == 0


def test_a_new_event_restarts_the_quiet_time(tmp_path):
    clock = Clock()
    pending = PendingChanges(clock)
    (tmp_path / "a.jpg").write_bytes(b"same")
    pending.note("photos", "a.jpg", False)
    pending.review({"photos": str(tmp_path)})
    clock.now += 4
    pending.note("photos", "a.jpg", False)  # e.g. a touch: same size and mtime, but a fresh event
    clock.now += 4
    pending.review({"photos": str(tmp_path)})
    assert pending.take_batch(settle=5, max_wait=600) is None
    clock.now += 1
    assert pending.take_batch(settle=5, max_wait=600) is not None


def test_a_path_must_be_read_once_before_it_can_settle(tmp_path):
    clock = Clock()
    pending = PendingChanges(clock)
    pending.note("photos", "gone.jpg", False)
    clock.now += 60
    assert pending.take_batch(settle=5, max_wait=600) is None
    pending.review({"photos": str(tmp_path)})  # reads "absent": a deletion is a signature too
    clock.now += 5
    batch = pending.take_batch(settle=5, max_wait=600)
    assert batch is not None and batch.changes == 1


def test_after_max_wait_settled_paths_go_and_changing_ones_are_excluded(tmp_path):
    clock = Clock()
    pending = PendingChanges(clock)
    roots = {"photos": str(tmp_path)}
    (tmp_path / "shoot").mkdir()
    (tmp_path / "shoot" / "done.jpg").write_bytes(b"complete")
    (tmp_path / "shoot" / "copying.mov").write_bytes(b"partial")
    pending.note("photos", "shoot/done.jpg", False)
    pending.note("photos", "shoot/copying.mov", False)
    for _ in range(9):
        pending.review(roots)
        clock.now += 6
        grow(tmp_path / "shoot" / "copying.mov", b"more")
        pending.review(roots)
        if clock.now - 1000 < 50:
            assert pending.take_batch(settle=5, max_wait=50) is None
    batch = pending.take_batch(settle=5, max_wait=50)
    assert batch is not None
    assert batch.excluded == {"photos": ("shoot/copying.mov",)}
    assert batch.scope.folders == (("photos", "shoot"),) and batch.changes == 1
    assert pending.count() == 1  # the growing file stays pending for a later batch


def test_a_full_rescan_request_is_ready_at_once_and_is_per_root(tmp_path):
    clock = Clock()
    pending = PendingChanges(clock)
    pending.mark_full("photos")
    pending.mark_full("photos")
    batch = pending.take_batch(settle=5, max_wait=600)
    assert batch is not None and batch.roots == ("photos",) and batch.scope.full and batch.changes == 1
    assert pending.take_batch(settle=5, max_wait=600) is None
    pending.mark_full("other")
    pending.note("other", "x.jpg", False)
    pending.drop_root("other")
    assert pending.count() == 0


def test_folder_signature_follows_the_files_inside(tmp_path):
    folder = tmp_path / "trip"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(b"1234")
    first = probe_signature(str(folder), True)
    (folder / "sub").mkdir()
    (folder / "sub" / "b.jpg").write_bytes(b"56")
    second = probe_signature(str(folder), True)
    assert first[0] == 4 and first[2] == 1 and second[0] == 6 and second[2] == 2
    assert probe_signature(str(tmp_path / "nothing"), True) is None
    assert probe_signature(str(folder / "a.jpg"), False)[0] == 4


def test_relevance_follows_the_scan_skip_rules():
    assert is_relevant("2024/trip/IMG_1.JPG")
    assert is_relevant("2024/trip")
    assert is_relevant("2024/IMG_1.xmp")                      # a sidecar may change a photo's facts
    assert is_relevant(f"2024/{media_types.NO_GALLERY_MARKER}")  # hides a folder: the scan must run
    assert not is_relevant("2024/@eaDir/IMG_1.JPG/SYNOPHOTO_THUMB_M.jpg")
    assert not is_relevant("#recycle/old.jpg")
    assert not is_relevant("2024/._IMG_1.JPG")
    assert not is_relevant("2024/.IMG_1.JPG.part")
    assert not is_relevant("2024/Thumbs.db")
    assert not is_relevant("tmp-upload/a.jpg", ["tmp-*"])
    assert is_relevant("tmp-upload/a.jpg", ["Private/*"])


def test_a_held_path_leaves_out_exactly_that_file(tmp_path):
    """Watch mode holds paths still being written; names with glob characters are matched exactly."""
    from PIL import Image

    library = tmp_path / "lib"
    (library / "odd [1]").mkdir(parents=True)
    names = ["odd [1]/a*b?.jpg", "odd [1]/a-b-.jpg", "odd [1]/plain.jpg"]
    for index, name in enumerate(names):
        Image.new("RGB", (8, 8), (index * 60, 10, 10)).save(library / name, "JPEG")
    db = connect(tmp_path / "gallery.db")
    try:
        report = Scanner(db, Root("lib", library), [], hold=frozenset({"odd [1]/a*b?.jpg"})).scan()
        found = {row[0] for row in db.execute("SELECT path FROM photos")}
    finally:
        db.close()
    assert found == {"odd [1]/a-b-.jpg", "odd [1]/plain.jpg"}
    assert report.counts["new"] == 2


def test_handler_maps_events_to_roots_and_drops_noise(tmp_path):
    clock = Clock()
    pending = PendingChanges(clock)
    photos, other = tmp_path / "photos", tmp_path / "photos-2"
    handler = ChangeHandler([Root("photos", photos), Root("other", other)], pending, ["*.tmp"])
    handler.dispatch(FileCreatedEvent(str(photos / "2024" / "a.jpg")))
    handler.dispatch(FileCreatedEvent(str(other / "b.jpg")))                    # a sibling with a common prefix
    handler.dispatch(FileMovedEvent(str(tmp_path / "outside.jpg"), str(photos / "in.jpg")))
    handler.dispatch(FileMovedEvent(str(photos / "old.jpg"), str(photos / "2024" / "new.jpg")))
    handler.dispatch(FileDeletedEvent(str(photos / "@eaDir" / "a.jpg" / "thumb.jpg")))
    handler.dispatch(FileCreatedEvent(str(photos / "upload.tmp")))
    handler.dispatch(FileOpenedEvent(str(photos / "2024" / "read.jpg")))
    handler.dispatch(FileClosedNoWriteEvent(str(photos / "2024" / "read.jpg")))
    handler.dispatch(DirModifiedEvent(str(photos / "2024")))
    handler.dispatch(FileCreatedEvent(os.fsdecode(os.fsencode(str(photos)) + b"/caf\xe9.jpg")))
    pending.review({"photos": str(photos), "other": str(other)})
    clock.now += 10
    batch = pending.take_batch(settle=5, max_wait=600)
    assert batch.roots == ("other", "photos")
    assert set(batch.scope.folders) == {("photos", "2024"), ("photos", ""), ("other", "")}
    assert batch.changes == 6  # a.jpg, b.jpg, in.jpg, old.jpg, new.jpg, caf\xe9.jpg
