"""The offline search manifest's per-shard summaries (site/search_summary.py): everything the page's
matcher could find in a shard is in its summary (facets, colours, text trigrams), big years split
into month shards, and a shard the summary rules out holds no match."""
from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from gallery_builder.site.formatting import MONTHS
from gallery_builder.site.search_summary import gram_hashes
from tests.face_rows import export_faces, face_db, write_crops
from tests.site_fixtures import Row, build, golden_rows, write_golden_library, write_records
from tests.test_site_people import plant


def haystack(shard: dict, row: list, names: dict[int, str]) -> str:
    """search.js `haystack`, word for word (people's names from the shared names table)."""
    tables, folder = shard["tables"], shard["folders"][row[6]]
    month = int(row[4][5:7]) if row[4][5:7].isdigit() else 0
    parts = [row[5], folder[2], tables["place"][row[10]], tables["country"][row[11]], tables["camera"][row[12]],
             row[4], MONTHS[month - 1] if month else "", row[14] or ""]
    people = [names[tables["person"][index]] for index in row[15] or [] if tables["person"][index] in names]
    return " ".join(parts + people).lower()


def may_contain(entry: dict, word: str, names: dict[int, str] | None = None) -> bool:
    """search.js `canMatch` for one word: a name of a person the shard lists, or all its trigrams."""
    if any(word in names.get(person, "").lower() for person in entry["person"]) if names else False:
        return True
    bits = base64.b64decode(entry["grams"])
    return all(bits[(value & (entry["bits"] - 1)) >> 3] >> (value & 7) & 1 for value in gram_hashes(word).tolist())


def manifest_and_shards(site: Path) -> tuple[dict, dict[str, dict]]:
    manifest = json.loads((site / "search/index/manifest.json").read_text(encoding="utf-8"))
    return manifest, {entry["url"]: json.loads((site / entry["url"]).read_text(encoding="utf-8"))
                      for entry in manifest["shards"]}


def names_of(site: Path) -> dict[int, str]:
    path = site / "people" / "_people.json"
    if not path.exists():
        return {}
    return {int(entry[0]) if isinstance(entry, list) else int(entry["id"]):
            entry[1] if isinstance(entry, list) else entry["name"]
            for entry in json.loads(path.read_text(encoding="utf-8"))["people"]}


def assert_summaries_cover_their_shards(site: Path) -> dict:
    manifest, shards = manifest_and_shards(site)
    names = names_of(site)
    for entry in manifest["shards"]:
        shard = shards[entry["url"]]
        tables, rows = shard["tables"], shard["rows"]
        assert entry["count"] == len(rows)
        assert set(entry["place"]) == set(tables["place"]) - {""}
        assert set(entry["country"]) == set(tables["country"]) - {""}
        assert set(entry["camera"]) == set(tables["camera"]) - {""}
        assert set(entry["person"]) == set(tables["person"])
        assert set(entry["months"]) == {row[4][5:7] for row in rows if row[4]}
        colors = 0
        for row in rows:
            colors |= row[13]
        assert entry["colors"] == colors
        words = {word for row in rows for word in haystack(shard, row, names).split()}
        assert words and [word for word in words if not may_contain(entry, word, names)] == []
    return manifest


def test_every_word_a_row_can_match_is_in_its_shards_summary(tmp_path, monkeypatch):
    monkeypatch.setattr("gallery_builder.site.pages.search.SHARD_ROWS", 3)
    write_golden_library(tmp_path)
    db = face_db(tmp_path / "gallery.db", [row.id for row in golden_rows()])
    plant(db)
    write_crops(db, tmp_path / "thumbs")
    export_faces(db, tmp_path)
    build(tmp_path)
    manifest = assert_summaries_cover_their_shards(tmp_path / "site")
    assert manifest["version"] == 2
    # 2023 (5 photos, all in June) and 2021 (6) pass SHARD_ROWS: one shard per month, newest first
    assert [(entry["url"], entry["count"]) for entry in manifest["shards"]] == [
        ("search/index/undated.json", 1), ("search/index/2031.json", 1), ("search/index/2023-06.json", 5),
        ("search/index/2022.json", 3), ("search/index/2021-12.json", 2), ("search/index/2021-07.json", 4)]
    names = names_of(tmp_path / "site")
    assert {names[person] for entry in manifest["shards"] for person in entry["person"]} == {"Ana", "Ben"}  # Carl hidden


def test_descriptions_and_tags_are_in_the_summary_and_rule_shards_out(tmp_path):
    records = [Row(1, "photos", "2020/a/beach.jpg", "2020-01-01T10:00:00").record(),
               Row(2, "photos", "2021/b/hill.jpg", "2021-03-01T10:00:00").record()]
    records[0].update(description="Two dogs running on a beach", tags=["Labrador", "sand"])
    records[1].update(description="A windmill", tags=["Ölmühle"])
    write_records(tmp_path, records, thumbnails=False, extra_fields=[("description", "string"),
                                                                      ("tags", "list<string>")])
    build(tmp_path)
    manifest = assert_summaries_cover_their_shards(tmp_path / "site")
    by_year = {entry["year"]: entry for entry in manifest["shards"]}
    assert may_contain(by_year["2020"], "labrador") and not may_contain(by_year["2021"], "labrador")
    assert may_contain(by_year["2021"], "windmill") and not may_contain(by_year["2020"], "windmill")
    assert may_contain(by_year["2021"], "ölmühle")


def fmix32(value: int) -> int:
    value ^= value >> 16
    value = value * 0x85EBCA6B % 2**32
    value ^= value >> 13
    value = value * 0xC2B2AE35 % 2**32
    return value ^ value >> 16


@pytest.mark.parametrize("text", ["", "ab", "abc", "naïve 🙂 café"])
def test_trigram_hashes_are_fnv1a_over_code_points_mixed(text):
    points = [ord(character) for character in text]
    expected = []
    for start in range(len(points) - 2):
        value = 2166136261
        for point in points[start:start + 3]:
            value = ((value ^ point) * 16777619) % 2**32
        expected.append(fmix32(value))
    assert gram_hashes(text).tolist() == expected
