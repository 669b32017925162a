"""The one "best first" order (rating once compared enough, else stars, else aesthetic score, sharpness
for ties), and where the site uses it: a "best first" order on grid pages (the page's `best` rows,
rebuilt when ratings change) and a "top of the year" page linked from the year."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gallery_builder.core.best_first import (
    MIN_COMPARISONS, STEPS, Facts, best_first, best_index, has_opinion, steps_for,
)
from tests.site_fixtures import _write_table, build, golden_rows, write_records
from tests.test_site_incremental import changes


def test_ratings_outrank_stars_which_outrank_aesthetic_scores_on_one_scale():
    items = [
        Facts(),                                                   # 0: nothing known: the neutral middle
        Facts(rating=1900, comparisons=MIN_COMPARISONS),           # 1: a clear winner
        Facts(rating=1900, comparisons=MIN_COMPARISONS - 1, stars=1),   # 2: too few comparisons: its 1 star
        Facts(stars=5),                                            # 3
        Facts(rating=1100, comparisons=10, stars=5),               # 4: compared often and lost: the rating rules
        Facts(aesthetic=7.5),                                      # 5
        Facts(sharpness=900.0),                                    # 6: unjudged but sharper than 0
    ]
    assert best_first(items) == [1, 3, 5, 6, 0, 2, 4]
    without_scores = steps_for(("rating", "stars"))              # before the quality pass exists
    assert [step.fact for step in without_scores] == ["rating", "stars"]
    assert best_first(items, without_scores) == [1, 3, 6, 0, 5, 2, 4]
    assert not has_opinion([Facts(), Facts(rating=1800, comparisons=1)], STEPS)


ENOUGH = MIN_COMPARISONS


@pytest.mark.parametrize("case, items, expected", [
    ("a rating counts once compared enough", [Facts(stars=4), Facts(rating=1900, comparisons=ENOUGH)], [1, 0]),
    ("one threshold for every caller", [Facts(stars=4), Facts(rating=1900, comparisons=ENOUGH - 1)], [0, 1]),
    ("a lost rating beats its own stars", [Facts(), Facts(rating=1100, comparisons=ENOUGH, stars=5)], [0, 1]),
    ("a photo's stars before its own aesthetic score", [Facts(aesthetic=6.0), Facts(aesthetic=2.0, stars=4)], [1, 0]),
    ("stars and scores share one scale", [Facts(stars=4), Facts(aesthetic=9.5)], [1, 0]),
    ("three stars is the neutral middle", [Facts(stars=3, sharpness=1.0), Facts(sharpness=2.0)], [1, 0]),
    ("the aesthetic score when nothing else", [Facts(aesthetic=4.0), Facts(aesthetic=8.0), Facts()], [1, 2, 0]),
    ("sharpness breaks a tie", [Facts(stars=4, sharpness=10.0), Facts(stars=4, sharpness=90.0)], [1, 0]),
    ("sharpness never beats a score", [Facts(aesthetic=7.0, sharpness=1.0), Facts(sharpness=900.0)], [0, 1]),
    ("badly exposed frames go last", [Facts(stars=5, clipped=0.6), Facts(stars=1, clipped=0.1)], [1, 0]),
    ("a full tie keeps the given order", [Facts(), Facts(), Facts()], [0, 1, 2]),
])
def test_the_one_order_table(case, items, expected):
    assert best_first(items) == expected, case
    assert best_index(items) == expected[0], case


def write_ratings(home: Path, rows: list[tuple[int, float, int]]) -> None:
    import pyarrow as pa

    _write_table(home / "parquet" / "ratings.parquet",
                 [{"photo_id": photo, "rating": rating, "deviation": 100.0, "confidence": 0.7,
                   "comparisons": count, "wins": 0} for photo, rating, count in rows],
                 [("photo_id", pa.int64()), ("rating", pa.float64()), ("deviation", pa.float64()),
                  ("confidence", pa.float64()), ("comparisons", pa.int64()), ("wins", pa.int64())])


def grid_payload(site: Path, url: str) -> dict:
    page = (site / url / "index.html").read_text(encoding="utf-8")
    return json.loads(re.search(r'<script type="application/json" class="grid-data">(.*?)</script>', page, re.S)
                      .group(1))


def test_grid_pages_carry_a_best_first_order_and_each_year_its_top(tmp_path):
    records = [{**row.record(), "stars": 4 if row.id == 2 else 0} for row in golden_rows()]
    write_records(tmp_path, records, extra_fields=[("stars", "int64")])
    write_ratings(tmp_path, [(3, 1800.0, 5), (1, 1200.0, 6), (4, 1700.0, 1)])   # 4: too few comparisons
    first = build(tmp_path).generation
    site = tmp_path / "site"
    payload = grid_payload(site, "years/2021/")
    ids = [row[0] for row in payload["rows"]]
    assert [ids[index] for index in payload["best"]][:2] == [3, 2] and ids[payload["best"][-1]] == 1
    year = (site / "years/2021/index.html").read_text(encoding="utf-8")
    assert 'href="../../years/2021/best/"' in year
    top = (site / "years/2021/best/index.html").read_text(encoding="utf-8")
    assert re.findall(r'class="card[^"]*" href="[^"]*" data-id="(\d+)"', top) == ["3", "2", "1"]
    assert "best" not in grid_payload(site, "years/2022/")                  # nothing judged in 2022
    assert 'years/2022/best/' not in (site / "years/2022/index.html").read_text(encoding="utf-8")

    write_ratings(tmp_path, [(3, 1800.0, 5), (1, 2000.0, 7), (4, 1700.0, 1)])  # a comparison later
    second = build(tmp_path).generation
    rendered, _ = changes(tmp_path, first, second)
    assert {"years/2021/", "years/2021/best/"} <= rendered and "years/2022/" not in rendered
    payload = grid_payload(site, "years/2021/")
    assert [row[0] for row in payload["rows"]][payload["best"][0]] == 1


def test_covers_of_years_folders_and_collections_follow_the_one_order(tmp_path):
    import pyarrow as pa

    from gallery_builder.site.catalog import build_catalog
    from gallery_builder.site.library import load_library
    from gallery_builder.site.pages.collections import cover_row
    from gallery_builder.site.pages.home import year_cover
    from tests.site_fixtures import COLLECTION_FIELDS, _arrow_type

    def covers() -> tuple[int, int, list[int]]:
        library = load_library(tmp_path / "parquet")
        catalog = build_catalog(library)
        folder = catalog.folders[("photos", "2021/2021-07-14 Beach")].cover.id
        year = year_cover(catalog, catalog.years["2021"]).id
        ids = catalog.table.ids
        rows = {int(photo_id): row for row, photo_id in enumerate(ids.tolist())}
        chosen = [int(ids[cover_row(item, [rows[p] for p in item.photo_ids.tolist()], catalog)])
                  for item in library.collections]
        return folder, year, chosen

    def write(stars: dict[int, int], scores: dict[int, float]) -> None:
        records = [{**row.record(), "stars": stars.get(row.id, 0), "aesthetic_score": scores.get(row.id)}
                   for row in golden_rows()]
        write_records(tmp_path, records, extra_fields=[("stars", "int64"), ("aesthetic_score", "float64")])
        collections = [{"id": 1, "name": "auto", "cover_photo_id": 1, "cover_chosen": False},
                       {"id": 2, "name": "chosen", "cover_photo_id": 1, "cover_chosen": True}]
        _write_table(tmp_path / "parquet" / "collections.parquet",
                     [{**item, "photo_count": 3, "created_at": "2024-01-01T00:00:00+00:00",
                       "updated_at": "2024-01-01T00:00:00+00:00"} for item in collections],
                     [(n, _arrow_type(t)) for n, t in COLLECTION_FIELDS] + [("cover_chosen", pa.bool_())])
        _write_table(tmp_path / "parquet" / "collection_photos.parquet",
                     [{"collection_id": c, "photo_id": p, "position": i} for c in (1, 2) for i, p in enumerate((1, 2, 3))],
                     [(n, _arrow_type("int64")) for n in ("collection_id", "photo_id", "position")])

    write({}, {})
    folder, year, chosen = covers()
    assert folder == 1 and chosen == [1, 1]                  # nothing judged: the usual first photo
    write({2: 1}, {3: 8.0})                                  # a 1-star photo never wins; a scored one does
    assert covers() == (3, 3, [3, 1])                        # a chosen cover stays
    write_ratings(tmp_path, [(2, 2200.0, MIN_COMPARISONS)])
    assert covers() == (2, 2, [2, 1])                        # a rating compared enough outranks the score
