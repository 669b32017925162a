"""People written from the browser: real nginx, the real sidecar and headless Chromium over an indexed
library with planted faces (synthetic vectors of two identities, clustered by the real analysis).

Signed out, the controls are hidden and a direct write is refused. Signed in: a cluster is named from
its page (the page shows the name at once, the person's page exists after the debounced republish);
ignore / restore from "Who is this?"; rename, hide and merge on a person's page; "Not <name>" on a
photo page's face box unlinks the face and `gallery faces match` does not re-link it; "Clear" from a
lightbox box.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from gallery_builder.core.urls import photo_url
from gallery_builder.site.urls import segment
from tests.conftest import REPO, run_gallery
from tests.face_library import FaceLibrary
from tests.site_servers import Nginx, browser_context, collect_errors, screenshot
from tests.test_curation_browser import Sidecar, indexed, make_home, post, sign_in
from tests.waiting import wait_for

pytestmark = [pytest.mark.nginx, pytest.mark.browser, pytest.mark.slow]


def plant_faces(home) -> dict:
    """Ana on the first four photos, Bo on the next four (one face each), clustered; Ana's cluster named."""
    from gallery_builder.analysis.faces_run import cluster_people
    from gallery_builder.core.records import RunContext
    from gallery_builder.db import people as queries
    from gallery_builder.db.connection import connect, transaction

    db = connect(home / "gallery.db")
    photos = db.execute("SELECT id, content_hash FROM photos WHERE status = 'ok' ORDER BY id").fetchall()
    assert len(photos) >= 8, photos
    library = FaceLibrary(db, np.random.default_rng(11))
    faces: dict[str, list[tuple[int, int]]] = {"ana": [], "bo": []}
    with transaction(db):
        for index, (photo_id, content_hash) in enumerate(photos[:8]):
            who = "ana" if index < 4 else "bo"
            face_id = db.execute(
                "INSERT INTO faces (photo_id, backend, content_hash, x, y, w, h, score, size_px, clusterable,"
                " embedding) VALUES (?, 'dlib', ?, 0.35, 0.2, 0.3, 0.4, 0.99, 120, 1, ?)",
                (photo_id, content_hash, library.face_vector(who).astype("<f4").tobytes())).lastrowid
            faces[who].append((photo_id, face_id))
    cluster_people(db, RunContext.for_home(home))

    def cluster(face_id: int) -> int:
        return db.execute("SELECT cluster_id FROM faces WHERE id = ?", (face_id,)).fetchone()[0]

    ana_cluster, bo_cluster = cluster(faces["ana"][0][1]), cluster(faces["bo"][0][1])
    assert ana_cluster and bo_cluster and ana_cluster != bo_cluster
    ana = queries.name_cluster(db, ana_cluster, "Ana", "test").person_id
    db.close()
    return {"faces": faces, "ana": ana, "bo_cluster": bo_cluster}


@pytest.fixture(scope="module")
def served():
    folder, home = make_home(8, "correct horse battery")
    planted = plant_faces(home)
    run_gallery("export", "--home", str(home))
    run_gallery("build", "--home", str(home))
    nginx = Nginx(home)
    sidecar = Sidecar(home, nginx.sidecar_port)
    sidecar.start(nginx)
    yield home, nginx, planted
    sidecar.stop()
    nginx.stop()
    shutil.rmtree(folder, ignore_errors=True)


def api(nginx: Nginx, path: str) -> tuple[int, dict]:
    status, _, body = nginx.get("/api/" + path)
    return status, json.loads(body) if body else {}


def person_page(name: str) -> str:
    return f"/people/{segment(name)}/"


def faces_of_person(nginx: Nginx, person_id: int) -> set[int]:
    status, body = api(nginx, f"people/{person_id}")
    return {face["id"] for face in body["faces"]} if status == 200 else set()


def test_signed_out_the_controls_are_hidden_and_a_direct_write_is_refused(served):
    home, nginx, planted = served
    photo_id, face_id = planted["faces"]["ana"][0]
    for context in browser_context():
        page = context.new_page()
        errors = collect_errors(page)
        page.goto(nginx.base + f"/faces/{planted['bo_cluster']}/")
        page.wait_for_function("document.documentElement.getAttribute('data-writing') === 'signed-out'")
        assert page.locator(".people-edit").count() == 1 and not page.locator(".people-edit").is_visible()
        page.goto(nginx.base + "/" + photo_url(photo_id))
        page.wait_for_function("document.documentElement.getAttribute('data-writing') === 'signed-out'")
        assert page.locator(".people-here .face-edit").count() == 1
        assert not page.locator(".people-here .face-edit").is_visible()
        page.locator(f".stage .face-box[data-face='{face_id}']").click(force=True)   # no menu for a reader
        assert page.locator(".face-menu").count() == 0
        assert errors == []
    for path, body in ((f"/api/clusters/{planted['bo_cluster']}/name", {"name": "Mallory"}),
                       ("/api/faces/reject", {"faces": [face_id], "person": planted["ana"]}),
                       (f"/api/people/{planted['ana']}/rename", {"name": "Mallory"})):
        assert post(nginx, path, body, {"Origin": nginx.base}) == 403, path
    assert api(nginx, f"clusters/{planted['bo_cluster']}")[1]["cluster"]["named"] == 0
    assert face_id in faces_of_person(nginx, planted["ana"])


def test_signed_in_name_ignore_rename_hide_merge_and_correct_faces(served):
    home, nginx, planted = served
    ana, bo_cluster = planted["ana"], planted["bo_cluster"]
    (first_photo, rejected), (second_photo, cleared) = planted["faces"]["ana"][:2]
    for context in browser_context():
        page = context.new_page()
        errors = collect_errors(page)

        sign_in(page, nginx, "/faces/")                                 # "Who is this?": ignore, restore
        item = page.locator(f".who-item:has(.people-edit[data-cluster='{bo_cluster}'])")
        item.locator("[data-action=ignore]").click()
        page.wait_for_selector(".who-item.is-ignored [data-action=ignore][aria-pressed=true]")
        assert api(nginx, f"clusters/{bo_cluster}")[1]["cluster"]["ignored"] is True
        item.locator("[data-action=ignore]").click()
        page.wait_for_selector(".who-item:not(.is-ignored) [data-action=ignore][aria-pressed=false]")
        assert api(nginx, f"clusters/{bo_cluster}")[1]["cluster"]["ignored"] is False

        page.goto(nginx.base + f"/faces/{bo_cluster}/")                 # name the cluster from its page
        page.wait_for_function("document.querySelectorAll('#people-names option').length === 1")
        page.fill(".people-edit input[name=name]", "Bo")
        page.click(".people-edit form[data-action=name] button[type=submit]")
        page.wait_for_function("document.querySelector('.person-head h1').textContent === 'Bo'")
        assert "Named Bo (a new person)" in page.inner_text(".people-edit .people-note")
        screenshot(page, "people-named")
        wait_for(lambda: nginx.get(person_page("Bo"))[0] == 200, 120, "Bo's page, republished")
        bo = next(person["id"] for person in api(nginx, "people")[1]["people"] if person["name"] == "Bo")

        page.goto(nginx.base + person_page("Ana"))                      # rename, hide, unhide
        page.fill(".people-edit form[data-action=rename] input", "Anna")
        page.click(".people-edit form[data-action=rename] button[type=submit]")
        page.wait_for_function("document.querySelector('.person-head h1').textContent === 'Anna'")
        assert page.title() == "Anna \u00b7 Photos"
        assert api(nginx, f"people/{ana}")[1]["person"]["name"] == "Anna"
        page.click(".people-edit [data-action=hide]")
        page.wait_for_selector(".people-edit [data-action=hide][aria-pressed=true]")
        assert api(nginx, f"people/{ana}")[1]["person"]["hidden"] is True
        page.click(".people-edit [data-action=hide]")
        page.wait_for_selector(".people-edit [data-action=hide][aria-pressed=false]")
        assert api(nginx, f"people/{ana}")[1]["person"]["hidden"] is False

        page.goto(nginx.base + "/" + photo_url(first_photo))            # "Not Anna" on a face box
        page.wait_for_function(f"document.querySelector(\".stage .face-box[data-face='{rejected}'] .face-name\")"
                               ".textContent === 'Anna'")            # the live name, before any republish
        page.click(f".stage .face-box[data-face='{rejected}']")
        assert page.inner_text(".face-menu [data-face-action=reject]") == "Not Anna"
        screenshot(page, "people-face-menu")
        page.click(".face-menu [data-face-action=reject]")
        page.wait_for_function(f"document.querySelector(\".stage .face-box[data-face='{rejected}'] .face-name\")"
                               ".textContent === 'Unknown'")
        assert page.inner_text(f".people-here li[data-face='{rejected}']").startswith("Unknown")
        assert rejected not in faces_of_person(nginx, ana)

        year = next(row["taken_at"][:4] for row in indexed(home) if row["id"] == second_photo)
        page.goto(nginx.base + f"/years/{year}/")                        # "Clear" from a lightbox box
        page.locator(f"a.card[data-id='{second_photo}']").first.click()
        box = page.locator(f".pswp--open .face-box[data-face='{cleared}']")
        box.wait_for()
        box.click()
        page.click(".face-menu [data-face-action=clear]")
        page.wait_for_function(f"document.querySelector(\".pswp .face-box[data-face='{cleared}'] .face-name\")"
                               ".textContent === 'Unknown'")
        assert cleared not in faces_of_person(nginx, ana)
        page.keyboard.press("Escape")

        wait_for(lambda: nginx.get(person_page("Anna"))[0] == 200, 120, "Anna's page, republished")
        page.goto(nginx.base + person_page("Bo"))                       # merge Bo into Anna
        page.wait_for_function("[...document.querySelectorAll('#people-names option')].some(o => o.value === 'Anna')")
        page.fill(".people-edit form[data-action=merge] input", "Anna")
        page.click(".people-edit form[data-action=merge] button[type=submit]")
        page.wait_for_selector(".people-edit .people-note:has-text('Merged into Anna')")
        assert api(nginx, f"people/{bo}")[0] == 404
        assert {face for _, face in planted["faces"]["bo"]} <= faces_of_person(nginx, ana)
        assert [error for error in errors if "/signin" not in error] == []

    matched = subprocess.run([sys.executable, "-m", "gallery_builder", "faces", "match", "--home", str(home)],
                             cwd=REPO, capture_output=True, text=True)
    assert matched.returncode == 0, matched.stderr
    anna = faces_of_person(nginx, ana)
    assert rejected not in anna                                       # "not this person" is remembered
    assert {face for _, face in planted["faces"]["ana"][2:]} <= anna
    wait_for(lambda: nginx.get(person_page("Bo"))[0] == 404, 120, "Bo's page gone after the merge's republish")
