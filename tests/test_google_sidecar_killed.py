"""A sidecar killed (SIGKILL, a real `gallery serve` subprocess) in the middle of a Google upload loses no
ledger row: every file whose bytes Google answered for is in the ledger with that answer's token, and
the next run (the CLI) makes every media item exactly once without sending those files again."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request

import pytest

from gallery_builder.db.connection import connect
from tests.conftest import REPO, run_gallery
from tests.fake_google import FakeGoogle
from tests.google_library import make_upload_home
from tests.site_servers import free_port
from tests.waiting import wait_for

pytestmark = pytest.mark.slow
TOKEN = "kill-test-token"


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_a_killed_sidecar_loses_no_ledger_row_and_the_next_run_sends_no_finished_file_again(tmp_path):
    fake = FakeGoogle()
    place = make_upload_home(tmp_path, fake, 60)
    port = free_port()
    sidecar = subprocess.Popen(
        [sys.executable, "-m", "gallery_builder", "serve", "--home", str(place.home), "--port", str(port)],
        cwd=REPO, env={**os.environ, **fake.environ(), "GALLERY_API_TOKEN": TOKEN},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for(lambda: answers(f"http://127.0.0.1:{port}/api/health"), 60, "the sidecar answering")

        def kill_at_the_thirtieth(count: int) -> None:
            if count == 30:  # the sidecar dies while waiting for this answer
                os.killpg(sidecar.pid, signal.SIGKILL)
                sidecar.wait(30)

        fake.on_upload = kill_at_the_thirtieth
        origin = f"http://127.0.0.1:{port}"
        request = urllib.request.Request(f"{origin}/api/google/uploads", method="POST",
                                         data=json.dumps({"collection": place.collection_id}).encode(),
                                         headers={"Content-Type": "application/json", "X-Gallery-Token": TOKEN,
                                                  "Origin": origin})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
        wait_for(lambda: sidecar.poll() is not None, 60, "the sidecar killed at the 30th upload")
    finally:
        if sidecar.poll() is None:
            os.killpg(sidecar.pid, signal.SIGKILL)
            sidecar.wait(30)
        fake.on_upload = None

    db = connect(place.settings.db_path)
    rows = {row[0]: (row[1], row[2]) for row in db.execute("SELECT photo_id, state, upload_token FROM google_uploads")}
    db.close()
    assert sorted(rows) == list(range(1, 30))  # 29 answered files, each in the ledger
    assert all(state == "sent" and fake.upload_tokens[token][0] == place.digests[photo_id]
               for photo_id, (state, token) in rows.items())

    result = run_gallery("google", "upload", "--collection", str(place.collection_id), "--home", str(place.home),
                         env=fake.environ())
    assert "done: 60 uploaded" in result.stdout
    by_digest = {digest: photo_id for photo_id, digest in place.digests.items()}
    sent = {by_digest[digest]: count for digest, count in fake.received.items()}
    assert sent[30] == 2 and all(sent[photo_id] == 1 for photo_id in place.photo_ids if photo_id != 30)
    assert len(fake.created) == 60 and set(fake.created.values()) == {1}
    fake.stop()
