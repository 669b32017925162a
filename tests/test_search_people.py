"""Searching by person through the sidecar's HTTP API: `person:"Ana"`, a plain name inside a query
("Ana car 2023"), the `person=` parameter, hidden people who are no filter, and a rename the
sidecar picks up at once. Faces are planted with SQL on a library indexed with the tiny model."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import httpx
import pytest

from gallery_builder.db.connection import connect
from tests.face_rows import add_face, add_person, rename_person
from tests.search_library import build_home
from tests.test_search_api import names, running_sidecar

ANA_PHOTOS = {"IMG_1234.JPG", "IMG_0042.JPG", "DSC06241.JPG"}


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = build_home(tmp_path_factory.mktemp("search_people"))
    db = connect(home / "gallery.db")
    ids = {row[1]: row[0] for row in db.execute("SELECT id, name FROM photos")}
    ana, ben, grandma = add_person(db, "Ana"), add_person(db, "Ben"), add_person(db, "Grandma", hidden=True)
    for name in ANA_PHOTOS:
        add_face(db, ids[name], person_id=ana)
    add_face(db, ids["IMG_12345.JPG"], person_id=ben)
    add_face(db, ids["P1000123.JPG"], person_id=grandma)
    add_face(db, ids["PXL_20210801_101010.jpg"])       # a face nobody named
    db.close()
    return home


@pytest.fixture(scope="module")
def api(home) -> Iterator[httpx.Client]:
    with running_sidecar(home) as client:
        yield client


@pytest.mark.parametrize("params, expected", [
    ({"q": 'person:"Ana"'}, ANA_PHOTOS),
    ({"q": "person:ben"}, {"IMG_12345.JPG"}),
    ({"person": "Ana"}, ANA_PHOTOS),
    ({"q": "Ana 2023"}, {"IMG_1234.JPG", "DSC06241.JPG"}),
    ({"q": "with Ana in Lisbon"}, {"IMG_0042.JPG", "DSC06241.JPG"}),
    ({"q": "Ana car"}, ANA_PHOTOS),
])
def test_a_person_filters_the_results(api, params, expected):
    response = api.get("/api/search", params=params)
    assert set(names(response)) == expected
    said = [name.casefold() for name in response.json()["parsed"]["person"]]
    assert said == ["ana" if "Ana" in str(params) else "ben"]


def test_a_hidden_person_is_no_filter_and_an_unknown_name_matches_nothing(api):
    body = api.get("/api/search", params={"q": "Grandma"}).json()
    assert body["parsed"]["person"] == []
    assert names(api.get("/api/search", params={"person": "Grandma"})) == []
    assert names(api.get("/api/search", params={"q": 'person:"Nobody"'})) == []


def test_a_rename_is_searchable_at_once(home, api):
    assert set(names(api.get("/api/search", params={"q": "person:ben"}))) == {"IMG_12345.JPG"}
    db = connect(home / "gallery.db")
    ben = db.execute("SELECT id FROM people WHERE name = 'Ben'").fetchone()[0]
    rename_person(db, ben, "Benjamin")
    db.close()
    try:
        assert set(names(api.get("/api/search", params={"q": "Benjamin"}))) == {"IMG_12345.JPG"}
        assert names(api.get("/api/search", params={"q": "person:ben"})) == []
    finally:
        db = connect(home / "gallery.db")
        rename_person(db, ben, "Ben")
        db.close()
