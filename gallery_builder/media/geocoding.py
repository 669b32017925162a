"""Offline reverse geocoding: nearest place of a batch of coordinates with reverse_geocoder (its
GeoNames cities1000 table), one process (mode=1), stdout kept clean; country names from pycountry.
"""
from __future__ import annotations

import threading
from functools import cache
from typing import Sequence, TypedDict


class Place(TypedDict):
    place: str | None
    admin: str | None
    country: str | None
    country_code: str | None


_LOAD_LOCK = threading.Lock()


def warm_up() -> None:
    """Import reverse_geocoder and load its table (~2 s) now, e.g. in a thread while thumbnails run."""
    nearest_places([(0.0, 0.0)])


def nearest_places(coordinates: Sequence[tuple[float, float]]) -> list[Place]:
    """One place per (lat, lon), in order; one k-d tree query for the whole batch."""
    if not coordinates:
        return []
    with _LOAD_LOCK:  # reverse_geocoder's singleton is not thread-safe while it loads
        import reverse_geocoder

        # verbose=False keeps its "Loading formatted geocoded file..." off our stdout
        found = reverse_geocoder.search([(float(lat), float(lon)) for lat, lon in coordinates],
                                        mode=1, verbose=False)
    return [Place(place=row.get("name") or None, admin=row.get("admin1") or None,
                  country=country_name(row.get("cc") or ""), country_code=row.get("cc") or None)
            for row in found]


@cache
def country_name(code: str) -> str | None:
    """'IT' -> 'Italy' (pycountry's common name where it has one); the code itself if unknown."""
    if not code:
        return None
    import pycountry

    country = pycountry.countries.get(alpha_2=code.upper())
    if country is None:
        return code
    return getattr(country, "common_name", None) or country.name
