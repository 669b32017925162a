"""What the offline search manifest says about each shard, so the page loads only shards that can
match: its facet values (months, places, countries, cameras, people, colours) and a bitset of the
hashed character trigrams of the text the page's matcher searches. Vectorised over the shard's
rows (no Photo records), so a manifest stays cheap to rebuild at 1,000,000 photos.

`site_assets/js/search.js` hashes a query word's trigrams the same way (FNV-1a over code points,
then MurmurHash3's finaliser: FNV's low bits alone made one trigram collide in every shard)."""
from __future__ import annotations

import base64
from typing import Any, Iterable

from gallery_builder.core.color_names import COLOR_NAMES, color_name
from gallery_builder.core.wording import camera_label
from gallery_builder.site.catalog import Catalog
from gallery_builder.site.formatting import MONTHS

FNV_OFFSET, FNV_PRIME = 2166136261, 16777619
BITS_PER_GRAM = 8                  # ~12% of a shard's bits set: a shard is loaded in vain for a 5-letter word ~0.2%
MIN_BITS, MAX_BITS = 1 << 10, 1 << 17
COLOR_BITS = {name: 1 << index for index, name in enumerate(COLOR_NAMES)}


def gram_hashes(text: str) -> Any:
    """FNV-1a (32-bit), mixed by MurmurHash3's fmix32, of every run of three code points of `text`
    (numpy uint32)."""
    import numpy as np

    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    if len(points) < 3:
        return np.zeros(0, np.uint32)
    hashes = np.full(len(points) - 2, FNV_OFFSET, dtype=np.uint32)
    prime = np.uint32(FNV_PRIME)
    for offset in range(3):
        hashes = (hashes ^ points[offset:len(points) - 2 + offset]) * prime   # wraps modulo 2**32
    hashes ^= hashes >> np.uint32(16)
    hashes *= np.uint32(0x85EBCA6B)
    hashes ^= hashes >> np.uint32(13)
    hashes *= np.uint32(0xC2B2AE35)
    hashes ^= hashes >> np.uint32(16)
    return hashes


def gram_bitset(texts: Iterable[str]) -> tuple[int, str]:
    """(bits, base64 of the bitset, bit i in byte i // 8 at 1 << i % 8) of the lower-cased texts'
    trigrams; a field boundary is a newline, which no query word holds."""
    import numpy as np

    hashes = np.unique(gram_hashes("\n".join(texts).lower()))
    bits = MIN_BITS
    while bits < len(hashes) * BITS_PER_GRAM and bits < MAX_BITS:
        bits *= 2
    present = np.zeros(bits, dtype=bool)
    present[hashes & np.uint32(bits - 1)] = True
    return bits, base64.b64encode(np.packbits(present, bitorder="little").tobytes()).decode("ascii")


def _strings(column: Any) -> list[str]:
    return [value for value in column.to_pylist() if value]


def shard_summary(catalog: Catalog, rows: Any) -> dict:
    """The manifest's facts about the shard of capture positions `rows` (see module docstring).
    The text covers every field search.js `haystack` joins: name, folder, place, country, camera,
    capture time, month name, description and tags. People are listed by id, as the shards carry them:
    their names live in one shared file (people/_people.json), so a rename changes no summary."""
    import numpy as np
    import pyarrow.compute as pc

    from gallery_builder.site.pages.common import folder_display     # pages/ imports this module

    table = catalog.table
    taken = _strings(table.column("taken_at", rows))
    months = sorted({value[5:7] for value in taken if len(value) >= 7 and value[5:7].isdigit()})
    places = sorted(set(_strings(table.column("place", rows))))
    countries = sorted(set(_strings(table.column("country", rows))))
    pairs = set(zip(table.column("camera_make", rows).to_pylist(), table.column("camera_model", rows).to_pylist()))
    cameras = sorted({camera_label(make, model) for make, model in pairs} - {""})
    folders = sorted({folder_display(catalog.leaves[code]) for code in np.unique(catalog.folder_of_row[rows]).tolist()})
    people = _people(catalog, rows)
    colors = 0
    top = pc.list_flatten(pc.list_slice(table.column("colors", rows), 0, 3))
    for value in pc.unique(top).to_pylist():
        colors |= COLOR_BITS.get(color_name(value) or "", 0) if value else 0
    texts = [*_strings(table.column("name", rows)), *taken, *folders, *places, *countries, *cameras,
             *(MONTHS[int(month) - 1] for month in months if 1 <= int(month) <= 12)]
    if "description" in table.optional:
        texts += _strings(table.column("description", rows))
    if "tags" in table.optional:
        texts += _strings(pc.list_flatten(table.column("tags", rows)))
    bits, grams = gram_bitset(texts)
    return {"months": months, "place": places, "country": countries, "camera": cameras, "person": people,
            "colors": colors, "bits": bits, "grams": grams}


def _people(catalog: Catalog, rows: Any) -> list[int]:
    """Ids of the people shown (not hidden) on these rows' faces: the ids the shard's person table holds."""
    import numpy as np

    faces = catalog.table.faces
    if not len(faces):
        return []
    person_ids = np.unique(faces.person_ids[np.isin(faces.rows, rows)]).tolist()
    shown = (faces.people.get(person_id) for person_id in person_ids)
    return sorted({person.id for person in shown if person is not None and not person.hidden})
