"""The map page (clustered markers over an offline world basemap) and its point list."""
from __future__ import annotations

from typing import Iterable

from gallery_builder.site.catalog import Catalog
from gallery_builder.site.cards import slot_mask
from gallery_builder.site.library import Library, Photo
from gallery_builder.site.page_models import DataFile, MapPage, Page, eager_page
from gallery_builder.site.pages import PageKind

POINTS_URL = "map/points.json"


def gather(catalog: Catalog, library: Library) -> Iterable[Page]:
    located = [photo for photo in catalog.photos if photo.has_location]
    yield eager_page("map", "map/", MapPage(title="Map", count=len(located), points_url=POINTS_URL))


def point(photo: Photo) -> list:
    """[id, latitude, longitude, thumbnail key, slot bitmask]; 5 decimals is about a metre."""
    return [photo.id, round(photo.gps_lat, 5), round(photo.gps_lon, 5), photo.thumb_key or "", slot_mask(photo)]


def gather_points(catalog: Catalog, library: Library) -> Iterable[Page]:
    # by id, and only what a point shows: a new capture date does not rewrite the point list
    located = sorted((photo for photo in catalog.photos if photo.has_location), key=lambda photo: photo.id)
    inputs = "".join(f"{photo.id},{photo.gps_lat},{photo.gps_lon},{photo.thumb_key},{photo.thumb_widths};"
                     for photo in located)
    yield Page(kind="map-points", url=POINTS_URL, inputs=inputs,
               build=lambda: DataFile(payload={"points": [point(photo) for photo in located]}))


KIND = PageKind(name="map", gather=gather, template="map.html")
POINTS_KIND = PageKind(name="map-points", gather=gather_points)
