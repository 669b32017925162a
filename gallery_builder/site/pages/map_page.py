"""The map page (clustered markers over an offline world basemap) and its point list."""
from __future__ import annotations

from typing import Iterable

from gallery_builder.site.catalog import Catalog
from gallery_builder.site.cards import slot_mask
from gallery_builder.site.library import Library
from gallery_builder.site.models import DataFile, MapPage, Page
from gallery_builder.site.pages import PageKind

POINTS_URL = "map/points.json"


def gather(catalog: Catalog, library: Library) -> Iterable[Page]:
    located = [photo for photo in catalog.photos if photo.has_location]
    yield Page(kind="map", url="map/", model=MapPage(title="Map", count=len(located), points_url=POINTS_URL))


def gather_points(catalog: Catalog, library: Library) -> Iterable[Page]:
    # [id, latitude, longitude, thumbnail key, slot bitmask]; 5 decimals is ~1 m
    points = [[photo.id, round(photo.gps_lat, 5), round(photo.gps_lon, 5), photo.thumb_key or "", slot_mask(photo)]
              for photo in catalog.photos if photo.has_location]
    yield Page(kind="map-points", url=POINTS_URL, model=DataFile(payload={"points": points}))


KIND = PageKind(name="map", gather=gather, template="map.html")
POINTS_KIND = PageKind(name="map-points", gather=gather_points)
