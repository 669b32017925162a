"""The query parser, table-driven: each phrasing with what it must mean on a fixed day.

Today is Wednesday 20 November 2024. The library knows the places, countries, cameras and people
below; docs/search.md documents every rule these rows check.
"""
from __future__ import annotations

from datetime import date

import pytest

from search_api.query_parser import Vocabulary, parse_query

TODAY = date(2024, 11, 20)
VOCABULARY = Vocabulary.build(
    places=["Lisbon", "Porto", "Sunset", "Fuji", "New York City", "Lisboa Region", "São Paulo"],
    countries=[("Portugal", "PT"), ("United States", "US"), ("Japan", "JP"), ("Turkey", "TR"), ("Brazil", "BR")],
    cameras=[("Apple", "iPhone 13 Pro"), ("SONY", "ILCE-7M3"), ("FUJIFILM", "X100V"),
             ("NIKON CORPORATION", "NIKON D750"), ("Canon", "Canon EOS R6")],
    people=["Grandma", "June"])

Y = lambda year: [(f"{year}-01-01", f"{year}-12-31")]  # noqa: E731 - table shorthand

CASES = [
    # query, hemisphere, expected (subset of the parsed JSON; "ranges"/"annual" compare exactly)
    ("kids on the beach at sunset", "north", {"text": "kids on the beach at sunset", "ranges": [], "place": []}),
    ("red car 2023", "north", {"text": "red car", "ranges": Y(2023), "color_boost": ["red"]}),
    ("DSC06241", "north", {"text": "", "filename": ["DSC06241"]}),
    ("IMG_1234.JPG and IMG_1235", "north", {"text": "", "filename": ["IMG_1234.JPG", "IMG_1235"]}),
    ("PXL_20230512_101010123 dog", "north", {"text": "dog", "filename": ["PXL_20230512_101010123"], "ranges": []}),
    ("20230512_123456", "north", {"filename": ["20230512_123456"], "ranges": []}),
    ("grandma in Lisbon last summer", "north",
     {"text": "", "person": ["Grandma"], "place": ["Lisbon"], "ranges": [("2024-06-01", "2024-08-31")]}),
    ("last summer", "south", {"ranges": [("2023-12-01", "2024-02-29")]}),
    ("this summer", "north", {"ranges": [("2024-06-01", "2024-08-31")]}),
    ("summer 2023", "north", {"ranges": [("2023-06-01", "2023-08-31")]}),
    ("summer 2023", "south", {"ranges": [("2023-12-01", "2024-02-29")], "notes": "begins in December 2023"}),
    ("winter 2022", "north", {"ranges": [("2022-12-01", "2023-02-28")], "notes": "begins in December 2022"}),
    ("last winter", "north", {"ranges": [("2023-12-01", "2024-02-29")]}),
    ("snow in winter", "north", {"text": "snow", "annual": [("12-01", "02-29")]}),
    ("autumn leaves", "south", {"text": "leaves", "annual": [("03-01", "05-31")]}),
    ("waterfall fall", "north", {"text": "waterfall fall", "annual": []}),
    ("fall 2020", "north", {"ranges": [("2020-09-01", "2020-11-30")]}),
    ("May 2023", "north", {"text": "", "ranges": [("2023-05-01", "2023-05-31")]}),
    ("photos from may 2023 in lisbon", "north",
     {"text": "", "ranges": [("2023-05-01", "2023-05-31")], "place": ["Lisbon"]}),
    ("may", "north", {"annual": [("05-01", "05-31")]}),
    ("may flowers", "north", {"text": "may flowers", "annual": [], "ranges": []}),
    ("flowers in may", "north", {"text": "flowers", "annual": [("05-01", "05-31")]}),
    ("protest march", "north", {"text": "protest march", "annual": []}),
    ("march 3, 2021", "north", {"ranges": [("2021-03-03", "2021-03-03")]}),
    ("the 5th of may", "north", {"annual": [("05-05", "05-05")]}),
    ("last may", "north", {"ranges": [("2024-05-01", "2024-05-31")]}),
    ("2019-2021", "north", {"ranges": [("2019-01-01", "2021-12-31")]}),
    ("between 2015 and 2017", "north", {"ranges": [("2015-01-01", "2017-12-31")]}),
    ("2019 and 2021", "north", {"text": "", "ranges": Y(2019) + Y(2021)}),
    ("christmas 2022", "north", {"text": "", "ranges": [("2022-12-24", "2022-12-26")]}),
    ("christmas", "north", {"annual": [("12-24", "12-26")], "ranges": []}),
    ("last christmas", "north", {"ranges": [("2023-12-24", "2023-12-26")]}),
    ("new year's eve 2019", "north", {"ranges": [("2019-12-31", "2019-12-31")]}),
    ("easter 2023", "north", {"ranges": [("2023-04-07", "2023-04-10")]}),
    ("05/06/2023", "north", {"ranges": [("2023-06-05", "2023-06-05")], "notes": "day/month/year"}),
    ("12/25/2022", "north", {"ranges": [("2022-12-25", "2022-12-25")]}),
    ("2023-05-06", "north", {"ranges": [("2023-05-06", "2023-05-06")]}),
    ("2023-05", "north", {"ranges": [("2023-05-01", "2023-05-31")]}),
    ("yesterday", "north", {"ranges": [("2024-11-19", "2024-11-19")]}),
    ("last week", "north", {"ranges": [("2024-11-11", "2024-11-17")]}),
    ("past week", "north", {"ranges": [("2024-11-14", "2024-11-20")]}),
    ("last weekend", "north", {"ranges": [("2024-11-16", "2024-11-17")]}),
    ("last month", "north", {"ranges": [("2024-10-01", "2024-10-31")]}),
    ("last year", "north", {"ranges": Y(2023)}),
    ("3 years ago", "north", {"ranges": Y(2021)}),
    ("two weeks ago", "north", {"ranges": [("2024-11-04", "2024-11-10")]}),
    ("last 3 days", "north", {"ranges": [("2024-11-18", "2024-11-20")]}),
    ("recently", "north", {"ranges": [("2024-10-22", "2024-11-20")]}),
    ("the 90s", "north", {"ranges": [("1990-01-01", "1999-12-31")]}),
    ("1980s", "north", {"ranges": [("1980-01-01", "1989-12-31")]}),
    ("since 2020", "north", {"ranges": [("2020-01-01", "2024-11-20")]}),
    ("before 2010", "north", {"ranges": [("1826-01-01", "2009-12-31")]}),
    ("summer in 2021", "north", {"ranges": [("2021-06-01", "2021-08-31")]}),
    # spans: two ends are one range; a missing year comes from the other end; connectors leave the text
    ("2018-04 to 2018-06", "north", {"text": "", "ranges": [("2018-04-01", "2018-06-30")]}),
    ("between may 2019 and july 2019 beach", "north", {"text": "beach", "ranges": [("2019-05-01", "2019-07-31")]}),
    ("from 2018-04 to 2018-06", "north", {"text": "", "ranges": [("2018-04-01", "2018-06-30")]}),
    ("may to july 2019", "north", {"text": "", "ranges": [("2019-05-01", "2019-07-31")]}),
    ("march 2018 - june", "north", {"text": "", "ranges": [("2018-03-01", "2018-06-30")]}),
    ("snow jan 2020 – mar 2020", "north", {"text": "snow", "ranges": [("2020-01-01", "2020-03-31")]}),
    ("3 may 2019 until 7 july 2019", "north", {"text": "", "ranges": [("2019-05-03", "2019-07-07")]}),
    ("may 3 to june 10, 2021 hiking", "north", {"text": "hiking", "ranges": [("2021-05-03", "2021-06-10")]}),
    ("from 1 to 5 may 2020", "north", {"text": "", "ranges": [("2020-05-01", "2020-05-05")]}),
    ("may 1-5, 2020 beach", "north", {"text": "beach", "ranges": [("2020-05-01", "2020-05-05")]}),
    ("3 - 5 may", "north", {"text": "", "annual": [("05-03", "05-05")], "ranges": []}),
    ("2 to 3 people", "north", {"text": "2 to 3 people", "ranges": [], "annual": []}),
    ("05/06/2023 - 10/06/2023", "north", {"text": "", "ranges": [("2023-06-05", "2023-06-10")]}),
    ("2017 to june 2019", "north", {"text": "", "ranges": [("2017-01-01", "2019-06-30")]}),
    ("hiking between 2015 and 2017", "north", {"text": "hiking", "ranges": [("2015-01-01", "2017-12-31")]}),
    ("2021 to 2019", "north", {"text": "", "ranges": [("2019-01-01", "2021-12-31")]}),
    ("november to february 2019", "north", {"text": "", "ranges": [("2018-11-01", "2019-02-28")]}),
    ("december 2019 to january", "north", {"text": "", "ranges": [("2019-12-01", "2020-01-31")]}),
    ("beach from june to august", "north", {"text": "beach", "annual": [("06-01", "08-31")], "ranges": []}),
    ("since march 2020", "north", {"text": "", "ranges": [("2020-03-01", "2024-11-20")]}),
    ("after march 2020", "north", {"text": "", "ranges": [("2020-04-01", "2024-11-20")]}),
    ("after 2020", "north", {"text": "", "ranges": [("2021-01-01", "2024-11-20")]}),
    ("before 2023-05-06", "north", {"text": "", "ranges": [("1826-01-01", "2023-05-05")]}),
    ("until july 2019", "north", {"text": "", "ranges": [("1826-01-01", "2019-07-31")]}),
    ("beach since 5 july 2024", "north", {"text": "beach", "ranges": [("2024-07-05", "2024-11-20")]}),
    ("since june", "north", {"text": "", "ranges": [("2024-06-01", "2024-11-20")]}),
    ("before december", "north", {"text": "", "ranges": [("1826-01-01", "2023-11-30")]}),
    ("beach 2019 and 2021 sunset", "north", {"text": "beach sunset", "ranges": Y(2019) + Y(2021)}),
    ("cats and dogs 2019 to 2021", "north", {"text": "cats and dogs", "ranges": [("2019-01-01", "2021-12-31")]}),
    ("trip to Lisbon may to july 2019", "north",
     {"text": "trip", "place": ["Lisbon"], "ranges": [("2019-05-01", "2019-07-31")]}),
    ("cats and dogs", "north", {"text": "cats and dogs", "ranges": []}),
    ("trip to paris", "north", {"text": "trip to paris", "ranges": []}),
    ("2099 space odyssey", "north", {"text": "2099 space odyssey", "ranges": []}),
    ('"May 2023" poster', "north", {"text": "May 2023 poster", "ranges": []}),
    ("photos of Portugal", "north", {"text": "", "country": ["Portugal"]}),
    ("beach in usa", "north", {"text": "beach", "country": ["United States"]}),
    ("turkey dinner", "north", {"text": "turkey dinner", "country": []}),
    ("trip to Turkey", "north", {"text": "trip", "country": ["Turkey"]}),
    ("sao paulo skyline", "north", {"text": "skyline", "place": ["São Paulo"]}),
    ("lisbon", "north", {"text": "", "place": ["Lisbon"]}),
    ("tram lisbon", "north", {"text": "tram lisbon", "place": []}),
    ("tram in lisbon", "north", {"text": "tram", "place": ["Lisbon"]}),
    ("Sunset at the beach", "north", {"text": "beach", "place": ["Sunset"]}),
    ("new york city at night", "north", {"text": "night", "place": ["New York City"]}),
    ("shot on iphone", "north", {"text": "", "camera": ["iphone"]}),
    ("x100v street", "north", {"text": "street", "camera": ["x100v"]}),
    ("fuji", "north", {"camera": ["fujifilm"], "place": []}),
    ("in fuji", "north", {"camera": [], "place": ["Fuji"]}),
    ("apple tree", "north", {"text": "apple tree", "camera": []}),
    ("d750 portraits 2019-2021", "north",
     {"text": "portraits", "camera": ["d750"], "ranges": [("2019-01-01", "2021-12-31")]}),
    ("june", "north", {"person": ["June"], "annual": []}),
    ("color:red car", "north", {"text": "car", "color": ["red"], "color_boost": []}),
    ("colour:grey sky", "north", {"text": "sky", "color": ["gray"]}),
    ("year:2020 dogs", "north", {"text": "dogs", "year": [2020]}),
    ("month:may cats", "north", {"text": "cats", "month": [5]}),
    ("year:soon cats", "north", {"text": "cats", "year": [], "notes": "ignored 'year:soon'"}),
    ('place:"New York City" taxi', "north", {"text": "taxi", "place": ["New York City"]}),
    ("foo:bar cats", "north", {"text": "foo:bar cats"}),
    ("blue sky green grass", "north", {"text": "blue sky green grass", "color_boost": ["blue", "green"]}),
    ("café au lait 🙂 日本", "north", {"text": "café au lait 🙂 日本"}),
]


def _check(parsed: dict, expected: dict) -> None:
    dates = parsed["dates"] or {"ranges": [], "annual": []}
    for key, value in expected.items():
        if key in {"ranges", "annual"}:
            assert [tuple(item) for item in dates[key]] == [tuple(item) for item in value], key
        elif key == "notes":
            assert any(value in note for note in parsed["notes"]), parsed["notes"]
        else:
            assert parsed[key] == value, key


@pytest.mark.parametrize("query, hemisphere, expected", CASES, ids=[case[0] for case in CASES])
def test_phrasing(query: str, hemisphere: str, expected: dict) -> None:
    parsed = parse_query(query, VOCABULARY, TODAY, hemisphere).to_json()  # type: ignore[arg-type]
    _check(parsed, expected)


def test_there_are_at_least_forty_phrasings_including_ambiguous_ones():
    assert len(CASES) >= 40
    ambiguous = {"may flowers", "protest march", "turkey dinner", "fuji", "in fuji", "june", "waterfall fall",
                 "05/06/2023", "tram lisbon", "apple tree"}
    assert ambiguous <= {case[0] for case in CASES}


def test_relative_dates_follow_the_injected_today():
    early = parse_query("last summer", VOCABULARY, date(2024, 7, 10), "north").to_json()
    assert early["dates"]["ranges"] == [["2023-06-01", "2023-08-31"]]  # summer 2024 has not ended yet
    assert parse_query("this winter", VOCABULARY, date(2024, 1, 15), "north").to_json()["dates"]["ranges"] == [
        ["2023-12-01", "2024-02-29"]]


def test_description_says_what_was_understood():
    parsed = parse_query("grandma in Lisbon May 2023 red car", VOCABULARY, TODAY, "north")
    assert parsed.to_json()["description"] == (
        "photos from 2023-05-01 to 2023-05-31 in Lisbon with Grandma matching “red car” (red first)")


def test_the_docs_list_every_table_phrasing():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "search.md").read_text(encoding="utf-8")
    missing = [query for query, _, _ in CASES if f"`{query}`" not in text]
    assert not missing, missing


def test_a_refused_span_notes_its_day_first_reading_once():
    parsed = parse_query("05/06/2023 to 13/2019", VOCABULARY, TODAY, "north").to_json()
    assert parsed["dates"]["ranges"][0] == ["2023-06-05", "2023-06-05"]
    assert [note for note in parsed["notes"] if "05/06/2023" in note] == [
        "read 05/06/2023 as day/month/year (5 June 2023); write 2023-06-05 to be exact"]
