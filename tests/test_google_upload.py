"""The upload engine against a protocol-faithful fake of Google (tests/fake_google.py), through the real
google-auth and requests code: the album made once, each file's bytes sent once across cancel and
resume, batchCreate by 50 with per-item failures, 429/5xx backoff, the daily quota, a media item gone
from Google, resumable uploads, token refresh and revocation, the album lock."""
from __future__ import annotations

import json
import os
import stat
import threading
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from gallery_builder.db.connection import connect
from gallery_builder.google.album_lock import AlbumLock
from gallery_builder.google.client import PhotosClient
from gallery_builder.google.engine import UploadRequest, run_upload
from gallery_builder.google.errors import AlbumBusy
from gallery_builder.google.signin import load_credentials
from tests.fake_google import DAILY_QUOTA, FakeGoogle, Fault
from tests.google_library import UploadHome, make_upload_home, write_token


@pytest.fixture
def fake():
    server = FakeGoogle()
    yield server
    server.stop()


class Recorder:
    """Collects events; `cancel_after_begins` sets the cancel flag at that many `begin` events."""

    def __init__(self, cancel_after_begins: int | None = None) -> None:
        self.events: list[tuple[str, dict]] = []
        self.cancel = threading.Event()
        self.cancel_after = cancel_after_begins

    def __call__(self, kind: str, data: dict) -> None:
        self.events.append((kind, data))
        if kind == "begin" and self.cancel_after is not None and self.kinds().count("begin") >= self.cancel_after:
            self.cancel.set()

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.events]

    def terminal(self) -> tuple[str, dict]:
        ends = [(kind, data) for kind, data in self.events if kind in ("done", "fatal", "cancelled")]
        assert len(ends) == 1, self.kinds()[-5:]
        assert self.events[-1] == ends[0]
        return ends[0]


def upload(place: UploadHome, recorder: Recorder, *, album: str = "Lisbon 2023", force=(), ids=None,
           client: PhotosClient | None = None) -> str:
    db = connect(place.settings.db_path)
    try:
        request = UploadRequest(album, tuple(ids or place.photo_ids), place.collection_id, tuple(force))
        return run_upload(place.settings, db, request, recorder, recorder.cancel, client)
    finally:
        db.close()


def ledger(place: UploadHome) -> dict[int, tuple[str, str | None]]:
    db = connect(place.settings.db_path)
    try:
        return {row[0]: (row[1], row[2]) for row in db.execute(
            "SELECT photo_id, state, media_item_id FROM google_uploads")}
    finally:
        db.close()


def sent_counts(place: UploadHome, fake: FakeGoogle) -> Counter:
    by_digest = {digest: photo_id for photo_id, digest in place.digests.items()}
    return Counter({by_digest[digest]: count for digest, count in fake.received.items()})


def test_upload_makes_the_album_once_sends_each_file_once_and_a_rerun_sends_nothing(tmp_path, fake):
    place = make_upload_home(tmp_path, fake, 120)
    first = Recorder()
    assert upload(place, first) == "done"
    kind, summary = first.terminal()
    assert (summary["created"], summary["skipped"], summary["failed"], summary["total"]) == (120, 0, 0, 120)
    assert first.kinds()[0] == "start" and first.kinds().count("begin") == 120
    assert first.kinds().count("bytes_sent") >= 120
    done = [data["done"] for kind, data in first.events if kind == "progress"]
    assert done[0] == 1 and done == sorted(done) and done[-1] == 120  # each file counts as it is sent
    assert set(sent_counts(place, fake).values()) == {1} and len(fake.received) == 120
    assert set(fake.created.values()) == {1}
    assert len(fake.albums) == 1 and len(next(iter(fake.albums.values()))["items"]) == 120
    assert fake.requests.count("POST /v1/mediaItems:batchCreate") == 3  # 50 + 50 + 20
    assert {state for state, _ in ledger(place).values()} == {"created"} and len(ledger(place)) == 120

    again = Recorder()
    assert upload(place, again) == "done"
    assert again.events[0][1]["skipped"] == 120 and again.kinds().count("begin") == 0
    assert len(fake.albums) == 1 and sum(fake.received.values()) == 120


def test_cancel_stops_after_the_current_file_and_resuming_sends_each_file_exactly_once(tmp_path, fake):
    place = make_upload_home(tmp_path, fake, 75)
    first = Recorder(cancel_after_begins=30)
    assert upload(place, first) == "cancelled"
    kind, summary = first.terminal()
    assert first.kinds().count("begin") == 30 and summary["created"] == 30
    assert sum(1 for state, _ in ledger(place).values() if state == "created") == 30  # flushed before stopping

    second = Recorder()
    assert upload(place, second) == "done"
    assert second.events[0][1]["skipped"] == 30 and second.kinds().count("begin") == 45
    assert set(sent_counts(place, fake).values()) == {1} and len(fake.received) == 75
    assert set(fake.created.values()) == {1} and len(fake.created) == 75


def test_429_and_5xx_are_retried_with_growing_jittered_pauses(tmp_path, fake):
    place = make_upload_home(tmp_path, fake, 5)
    fake.faults += [Fault("/v1/uploads", 500), Fault("/v1/uploads", 503), Fault("/v1/uploads", 429),
                    Fault("/v1/mediaItems:batchCreate", 500), Fault("/v1/albums", 502)]
    pauses: list[float] = []
    client = PhotosClient(place.settings, load_credentials(place.settings), sleep=pauses.append)
    recorder = Recorder()
    assert upload(place, recorder, client=client) == "done"
    assert recorder.terminal()[1]["created"] == 5 and set(sent_counts(place, fake).values()) == {1}
    assert len(pauses) == 5
    first_three = pauses[1:4]  # after the album's retry, the three upload retries of one file: attempts 0, 1, 2
    base = place.settings.google_retry_seconds
    assert all(base * 2 ** n / 2 <= pause <= base * 2 ** n for n, pause in enumerate(first_three)), pauses


def test_the_daily_quota_ends_the_run_with_the_reason_and_a_later_run_creates_without_resending(tmp_path, fake):
    place = make_upload_home(tmp_path, fake, 60)
    fake.faults.append(Fault("/v1/mediaItems:batchCreate", 429, {"error": {
        "code": 429, "message": DAILY_QUOTA, "status": "RESOURCE_EXHAUSTED"}}))
    first = Recorder()
    assert upload(place, first) == "fatal"
    kind, summary = first.terminal()
    assert "daily quota" in summary["reason"] and "per day" in summary["reason"]
    assert sum(1 for state, _ in ledger(place).values() if state == "sent") == 50  # the batch that was refused

    second = Recorder()
    assert upload(place, second) == "done"
    assert second.terminal()[1]["created"] == 60
    assert set(sent_counts(place, fake).values()) == {1} and set(fake.created.values()) == {1}


def test_items_batch_create_refuses_are_failed_and_sent_again_next_time(tmp_path, fake):
    place = make_upload_home(tmp_path, fake, 8)
    fake.fail_names = {"IMG_00003.jpg", "IMG_00006.jpg"}
    first = Recorder()
    assert upload(place, first) == "done"
    summary = first.terminal()[1]
    assert (summary["created"], summary["failed"]) == (6, 2) and "photo 3:" in summary["errors"][0]
    assert ledger(place)[3][0] == "failed"
    fake.fail_names = set()
    second = Recorder()
    upload(place, second)
    assert second.terminal()[1]["created"] == 2 and second.kinds().count("begin") == 2
    assert all(state == "created" for state, _ in ledger(place).values())


def test_a_media_item_deleted_in_google_photos_is_uploaded_again_not_fatal(tmp_path, fake):
    place = make_upload_home(tmp_path, fake, 6)
    assert upload(place, Recorder(), album="First") == "done"
    gone = ledger(place)[4][1]
    fake.deleted_items.add(gone)
    second = Recorder()
    assert upload(place, second, album="Second") == "done"
    summary = second.terminal()[1]
    assert summary["created"] == 6 and summary["failed"] == 0 and second.kinds().count("begin") == 1
    assert sent_counts(place, fake)[4] == 2 and sum(sent_counts(place, fake).values()) == 7


def test_force_sends_chosen_photos_again(tmp_path, fake):
    place = make_upload_home(tmp_path, fake, 4)
    upload(place, Recorder())
    again = Recorder()
    assert upload(place, again, force=[2]) == "done"
    assert again.kinds().count("begin") == 1 and sent_counts(place, fake)[2] == 2


def test_large_files_go_by_the_resumable_protocol_and_survive_a_dropped_chunk(tmp_path, fake):
    place = make_upload_home(tmp_path, fake, 2, size=1_000_000)
    fake.faults.append(Fault("/v1/upload-sessions/", 0, drop=True))  # the first chunk's connection drops
    client = PhotosClient(place.settings, load_credentials(place.settings), sleep=lambda _: None,
                          resumable_from=500_000, chunk=262144)
    recorder = Recorder()
    assert upload(place, recorder, client=client) == "done"
    assert set(sent_counts(place, fake).values()) == {1} and len(fake.received) == 2  # whole and intact
    assert "POST /v1/upload-sessions/" not in fake.requests
    sessions = [entry for entry in fake.requests if entry.startswith("POST /v1/upload-sessions/")]
    assert len(sessions) >= 2 * 4 + 1  # 4 chunks per file, plus the query after the drop
    sent = [data["sent"] for kind, data in recorder.events if kind == "bytes_sent" and data["photo_id"] == 1]
    assert sent == sorted(sent) and sent[-1] == 1_000_001


def test_an_expired_token_is_refreshed_and_saved_with_mode_0600(tmp_path, fake):
    place = make_upload_home(tmp_path, fake, 2)
    stored = fake.stored_token()
    stored["expiry"] = (datetime.now(timezone.utc) - timedelta(minutes=5)).replace(tzinfo=None).isoformat()
    write_token(place.settings, stored)
    recorder = Recorder()
    assert upload(place, recorder) == "done"
    saved = json.loads((place.settings.google_dir / "token.json").read_text())
    assert saved["token"] != stored["token"] and saved["refresh_token"] == stored["refresh_token"]
    assert stat.S_IMODE(os.stat(place.settings.google_dir / "token.json").st_mode) == 0o600
    assert any(grant.get("grant_type") == "refresh_token" for grant in fake.grants)


def test_a_revoked_sign_in_ends_with_one_line_naming_gallery_google_auth(tmp_path, fake):
    place = make_upload_home(tmp_path, fake, 2)
    stored = json.loads((place.settings.google_dir / "token.json").read_text())
    fake.revoked.add(stored["refresh_token"])
    recorder = Recorder()
    assert upload(place, recorder) == "fatal"
    reason = recorder.terminal()[1]["reason"]
    assert "gallery google auth" in reason and "\n" not in reason and fake.received == Counter()


def test_an_unreachable_api_is_one_clear_fatal_line(tmp_path, fake):
    place = make_upload_home(tmp_path, fake, 2)
    from dataclasses import replace

    from tests.site_servers import free_port

    settings = replace(place.settings, google_api_base=f"http://127.0.0.1:{free_port()}")
    client = PhotosClient(settings, load_credentials(settings), sleep=lambda _: None)
    recorder = Recorder()
    assert upload(place, recorder, client=client) == "fatal"
    reason = recorder.terminal()[1]["reason"]
    assert reason.startswith("cannot reach http://127.0.0.1:") and "\n" not in reason


def test_one_upload_per_album_at_a_time(tmp_path, fake):
    place = make_upload_home(tmp_path, fake, 2)
    with AlbumLock(place.settings.google_dir, "Lisbon 2023"):
        recorder = Recorder()
        with pytest.raises(AlbumBusy):
            upload(place, recorder)
        assert recorder.events == []
        assert upload(place, Recorder(), album="Another album") == "done"
    assert upload(place, Recorder()) == "done"
