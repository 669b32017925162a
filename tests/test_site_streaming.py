"""Bounded memory on a large library: the photo table stays columnar, a photo record is made only
for the rows a rendered page shows, and an unchanged unit (photo bucket, top-level folder) is
skipped without gathering its pages."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.site_fixtures import Row, build, with_changes, write_library

YEARS, PER_YEAR, PER_FOLDER = 30, 100, 25


def rows() -> list[Row]:
    """3,000 photos: 30 years of 100, folders of 25, so photo buckets 0-3 cut across years."""
    made = []
    for index in range(YEARS * PER_YEAR):
        year, number = 1990 + index // PER_YEAR, index % PER_YEAR
        made.append(Row(index + 1, "photos", f"{year}/shoot {number // PER_FOLDER}/IMG_{index + 1}.JPG",
                        f"{year}-05-{1 + number // PER_FOLDER:02d}T10:{number % 60:02d}:00"))
    return made


@pytest.fixture
def home(tmp_path: Path) -> Path:
    write_library(tmp_path, rows(), thumbnails=False)
    report = build(tmp_path)
    assert report.published and report.materialised >= YEARS * PER_YEAR    # the first build renders every photo
    return tmp_path


def test_a_no_op_build_makes_no_photo_record_but_the_folder_and_year_covers(home):
    report = build(home)
    assert not report.published and report.pages > YEARS * PER_YEAR
    folders = 1 + YEARS + YEARS * PER_YEAR // PER_FOLDER       # root, years, shoots: one cover each
    assert report.materialised <= folders + YEARS


def test_one_changed_photo_makes_records_for_its_bucket_and_pages_only(home):
    changed = [with_changes(row, extra={"camera_make": "Leica"}) if row.id == 2500 else row for row in rows()]
    write_library(home, changed, thumbnails=False)
    report = build(home)
    assert report.published and report.rendered < 30
    folders = 1 + YEARS + YEARS * PER_YEAR // PER_FOLDER
    # bucket 2 (1000 photos + 2 neighbours), its year page and search shard (100 each), its folder
    # unit (100), the covers: far from the 3,000 photos of the library
    assert report.materialised <= 1002 + 3 * PER_YEAR + folders + YEARS
    page = (home / "site" / "photos/2/2500.html").read_text()
    assert "Leica" in page


def test_a_library_read_in_many_batches_builds_the_same_site(tmp_path, monkeypatch):
    from gallery_builder.site import library
    from tests.site_fixtures import golden_rows, site_files, write_golden_library

    sites = []
    for batch_rows in (library.BATCH_ROWS, 3):          # 3: the golden library's 16 photos in 6 batches
        monkeypatch.setattr(library, "BATCH_ROWS", batch_rows)
        home = tmp_path / str(batch_rows)
        write_golden_library(home)
        build(home)
        sites.append({name: path.read_bytes() for name, path in site_files(home / "site").items()})
    assert len(sites[0]) > len(golden_rows()) and sites[0] == sites[1]
