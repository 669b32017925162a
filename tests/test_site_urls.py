"""URLs of the site: safe, stable segments from untrusted names, and the unique-URL check."""
from __future__ import annotations

import pytest

from gallery_builder.core.urls import original_url, photo_url
from gallery_builder.site.page_models import eager_page
from gallery_builder.site.urls import BuilderBug, allocate_segments, check_unique_urls, relative_prefix, segment


def test_safe_lower_case_names_are_kept_as_they_are():
    assert segment("2023") == "2023"
    assert segment("2021-07-14") == "2021-07-14"
    assert segment("holiday_pics.v2") == "holiday_pics.v2"


@pytest.mark.parametrize("name", ["Beach Trip", "<script>alert(1)</script>", "Ünïcödé 写真", "..", ".hidden",
                                  "a/b", "trailing.", "#recycle", "%2e%2e", "DCIM", "_photos.json"])
def test_other_names_become_a_slug_plus_a_hash_of_the_exact_name(name):
    value = segment(name)
    assert value != name
    assert value == segment(name)                       # stable
    assert value[0].isalnum() and value.isascii()       # never ".", "..", "_..." or a hidden name
    assert all(char.isalnum() or char in "-._" for char in value)


def test_names_that_slug_alike_get_different_segments():
    assert segment("Trip") != segment("trip!") != segment("TRIP")
    assert segment("Beach Trip").startswith("beach-trip-")
    assert segment("写真") == segment("写真") and segment("写真") != segment("写真2")


def test_allocation_is_unique_and_independent_of_order():
    names = ["Trip", "trip", "trip!", "Trip ", "2023", "x" * 200]
    forward = allocate_segments(names)
    backward = allocate_segments(list(reversed(names)))
    assert forward == backward
    assert len(set(forward.values())) == len(names)
    assert forward["trip"] == "trip" and forward["2023"] == "2023"


def test_a_hash_clash_among_siblings_is_resolved_with_longer_hashes(monkeypatch):
    import gallery_builder.site.urls as urls

    real = urls.short_hash
    monkeypatch.setattr(urls, "short_hash", lambda text, length=6: "abcdef" if length == 6 else real(text, length))
    chosen = allocate_segments(["Alpha", "ALPHA"])
    assert chosen["Alpha"] != chosen["ALPHA"]
    assert all(len(value) > len("alpha-abcdef") for value in chosen.values())


def test_two_pages_claiming_one_url_is_a_builder_bug():
    pages = [eager_page("folder", "folders/a/", {"n": 1}), eager_page("year", "folders/a/", {"n": 2})]
    with pytest.raises(BuilderBug, match="two pages claim the URL /folders/a/"):
        check_unique_urls(pages)


def test_a_file_inside_another_pages_folder_is_a_builder_bug():
    pages = [eager_page("search-shard", "search/index", {}), eager_page("search", "search/index/", {})]
    with pytest.raises(BuilderBug, match="is also a page folder"):
        check_unique_urls(pages)


def test_photo_permalinks_live_in_buckets_of_a_thousand():
    assert photo_url(7) == "photos/0/7.html"
    assert photo_url(12345) == "photos/12/12345.html"


def test_original_urls_keep_the_exact_bytes_percent_encoded():
    assert original_url("photos", b"2021/Beach Trip/IMG #1?.jpg") == "originals/photos/2021/Beach%20Trip/IMG%20%231%3F.jpg"
    assert original_url("photos", b"caf\xe9/x.jpg") == "originals/photos/caf%E9/x.jpg"
    assert original_url("photos", "日本/写真.jpg".encode()) == "originals/photos/%E6%97%A5%E6%9C%AC/%E5%86%99%E7%9C%9F.jpg"


def test_relative_prefix_leads_back_to_the_site_root():
    assert relative_prefix("") == "./"
    assert relative_prefix("years/2023/") == "../../"
    assert relative_prefix("photos/12/12345.html") == "../../"
