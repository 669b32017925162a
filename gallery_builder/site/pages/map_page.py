"""The map page (clustered markers over an offline world basemap) and its point list."""
from __future__ import annotations

import hashlib
from typing import Any, Iterable

from gallery_builder.site.catalog import Catalog
from gallery_builder.site.library import Library
from gallery_builder.site.page_models import DataFile, MapPage, Page, eager_page
from gallery_builder.site.pages import PageKind

POINTS_URL = "map/points.json"


def located_rows(catalog: Catalog) -> Any:
    """Capture positions of the photos with a location (Photo.has_location), vectorised."""
    import numpy as np
    import pyarrow.compute as pc

    cached = getattr(catalog, "_located", None)
    if cached is not None:
        return cached
    table = catalog.table
    if not len(table):
        return np.zeros(0, np.int64)
    lat, lon = table.column("gps_lat"), table.column("gps_lon")
    known = pc.and_(pc.is_valid(lat), pc.is_valid(lon))
    origin = pc.and_(pc.equal(pc.fill_null(lat, 1.0), 0.0), pc.equal(pc.fill_null(lon, 1.0), 0.0))
    rows = np.flatnonzero(pc.and_(known, pc.invert(origin)).to_numpy(zero_copy_only=False))
    catalog._located = rows
    return rows


def gather(catalog: Catalog, library: Library) -> Iterable[Page]:
    yield eager_page("map", "map/", MapPage(title="Map", count=len(located_rows(catalog)), points_url=POINTS_URL))


def _point_columns(catalog: Catalog) -> dict[str, Any]:
    """What a point shows, for the located photos by id: ids, latitudes, longitudes, keys, slots."""
    import pyarrow.compute as pc

    rows = located_rows(catalog)
    rows = rows[catalog.table.ids[rows].argsort(kind="stable")]
    table = catalog.table
    return {"id": table.ids[rows], "lat": table.column("gps_lat", rows).to_numpy(),
            "lon": table.column("gps_lon", rows).to_numpy(),
            "key": pc.fill_null(table.column("thumb_key", rows), "").combine_chunks(),
            "slots": catalog.slot_masks[rows]}


def points_inputs(columns: dict[str, Any]) -> str:
    """A digest of what the points show (a new capture date does not rewrite the point list)."""
    hasher = hashlib.blake2b(digest_size=16)
    for name in ("id", "lat", "lon", "slots"):
        hasher.update(columns[name].tobytes())
    hasher.update("\0".join(columns["key"].to_pylist()).encode("utf-8", "surrogatepass"))
    return f"{len(columns['id'])}:{hasher.hexdigest()}"


def points_payload(columns: dict[str, Any]) -> DataFile:
    """[id, latitude, longitude, thumbnail key, slot bitmask]; 5 decimals is about a metre."""
    points = [[photo_id, round(lat, 5), round(lon, 5), key, slots] for photo_id, lat, lon, key, slots in
              zip(columns["id"].tolist(), columns["lat"].tolist(), columns["lon"].tolist(),
                  columns["key"].to_pylist(), columns["slots"].tolist())]
    return DataFile(payload={"points": points})


def gather_points(catalog: Catalog, library: Library) -> Iterable[Page]:
    # by id, and only what a point shows: a new capture date does not rewrite the point list
    columns = _point_columns(catalog)
    yield Page(kind="map-points", url=POINTS_URL, inputs=points_inputs(columns),
               build=lambda: points_payload(columns))


KIND = PageKind(name="map", gather=gather, template="map.html")
POINTS_KIND = PageKind(name="map-points", gather=gather_points)
