"""Turning understood queries into SQL filters, and photo facts into the JSON cards the site shows."""
from __future__ import annotations

from typing import Any

from gallery_builder.core.color_names import names_of
from gallery_builder.core.thumb_layout import SLOT_BY_WIDTH
from gallery_builder.core.urls import original_url, photo_url, thumb_url
from gallery_builder.core.wording import camera_label
from gallery_builder.db.search_queries import PhotoFilter
from search_api.params import Filters
from search_api.query_parser import FILLER, ParsedQuery

COLOR_BOOST = 0.05                 # added to a cosine score when a colour word names a dominant colour
COLOR_RANK_WEIGHTS = (1.0, 0.6, 0.3)


def merge_filters(parsed: ParsedQuery, filters: Filters) -> None:
    """Add the request's filter parameters to what the query text said."""
    for target, values in ((parsed.years, filters.years), (parsed.months, filters.months),
                           (parsed.places, filters.places), (parsed.countries, filters.countries),
                           (parsed.cameras, filters.cameras), (parsed.folders, filters.folders),
                           (parsed.color_filter, filters.colors), (parsed.people, filters.people)):
        for value in values:
            if value not in target:
                target.append(value)  # type: ignore[arg-type]


def photo_filter(parsed: ParsedQuery, words: tuple[str, ...] = ()) -> PhotoFilter:
    dates = parsed.dates
    return PhotoFilter(
        ranges=tuple((item.start.isoformat(), item.end.isoformat()) for item in dates.ranges),
        annual=tuple((f"{w.start[0]:02d}-{w.start[1]:02d}", f"{w.end[0]:02d}-{w.end[1]:02d}") for w in dates.annual),
        years=tuple(parsed.years), months=tuple(parsed.months), places=tuple(parsed.places),
        countries=tuple(parsed.countries), cameras=tuple(parsed.cameras), folders=tuple(parsed.folders),
        colors=tuple(parsed.color_filter), people=tuple(parsed.people), filenames=tuple(parsed.filenames),
        words=words)


def plain_words(text: str) -> tuple[str, ...]:
    """Words worth matching literally when there is no CLIP model."""
    return tuple(word for word in (part.strip(".,;:!?\"'()") for part in text.split())
                 if len(word) > 1 and word.lower() not in FILLER)


def color_bonus(boost: list[str], names: list[str]) -> float:
    for rank, name in enumerate(names[:len(COLOR_RANK_WEIGHTS)]):
        if name in boost:
            return COLOR_BOOST * COLOR_RANK_WEIGHTS[rank]
    return 0.0


def _thumb_urls(card: dict[str, Any]) -> dict[str, str]:
    key = card.get("thumb_key")
    if not key:
        return {}
    return {str(width): "/" + thumb_url(key, width) for width in card["widths"] if width in SLOT_BY_WIDTH}


def result_card(card: dict[str, Any], score: float | None) -> dict[str, Any]:
    thumbs = _thumb_urls(card)
    camera = camera_label(card.get("camera_make"), card.get("camera_model")) or None
    return {
        "id": card["id"], "root": card["root"], "path": card["path"], "name": card["name"],
        "folder": card["folder"], "kind": card["kind"], "taken_at": card.get("taken_at"),
        "width": card.get("width"), "height": card.get("height"), "camera": camera,
        "place": card.get("place"), "country": card.get("country"), "colors": names_of(card.get("colors") or []),
        "score": None if score is None else round(float(score), 5),
        "thumb": thumbs[min(thumbs, key=int)] if thumbs else None, "thumbs": thumbs,
        "url": "/" + photo_url(card["id"]),
        "original": "/" + original_url(card["root"], card["path_bytes"]),
    }
