"""Grid cards: the compact rows a grid page ships (in its HTML or its `_photos.json`).

One row per photo, a list in the order of CARD_FIELDS, so 20,000 photos stay a small file;
`site_assets/js/grid.js` reads the same layout. Folders are a per-page table the rows point into.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from gallery_builder.site.library import Photo
from gallery_builder.core.urls import thumb_url
from gallery_builder.core.thumb_layout import SLOTS

# id, thumbnail key ("" = none), width, height, capture time, file name, folder index,
# slot bitmask (bit i = SLOTS[i] was written), flags (FLAG_*), optional exact original file name
CARD_FIELDS = ("id", "key", "w", "h", "t", "n", "f", "s", "x", "q")
FLAG_VIDEO, FLAG_RAW, FLAG_ORIGINAL_VIEWABLE, FLAG_FUTURE = 1, 2, 4, 8
FLAG_PICK, FLAG_REJECT = 16, 32      # a person's flag, as of the build (the live overlay updates it)
STARS_SHIFT = 6                      # stars 0-5 in bits 6-8 of the flags field
BROWSER_FORMATS = frozenset({"JPEG", "MPO", "PNG", "GIF", "WEBP", "AVIF", "BMP"})
SLOT_BITS = {slot.width: 1 << index for index, slot in enumerate(SLOTS)}
FIRST_SCREEN = 48      # cards rendered as HTML before any script runs
INLINE_LIMIT = 600     # pages up to this many photos carry every card inline (no JSON fetch)


@dataclass(frozen=True)
class GridData:
    """All the cards of one grid page plus the folder table they index into."""

    folders: tuple[tuple[str, str, str], ...]   # (folder page URL, originals URL prefix, display path)
    rows: tuple[tuple, ...]
    best: tuple[int, ...] = ()                  # row indices "best first" (empty: no opinion on any photo)

    @property
    def is_inline(self) -> bool:
        return len(self.rows) <= INLINE_LIMIT

    def payload(self) -> dict:
        found = {"fields": CARD_FIELDS, "folders": self.folders, "rows": self.rows}
        if self.best:
            found["best"] = self.best
        return found


def is_original_viewable(photo: Photo) -> bool:
    """Whether a browser can show the original itself (else zoom stops at the largest preview)."""
    return photo.kind == "photo" and (photo.format or "").upper() in BROWSER_FORMATS


def flags_for(photo: Photo) -> int:
    flags = FLAG_VIDEO if photo.kind == "video" else 0
    flags |= FLAG_RAW if photo.kind == "raw" else 0
    flags |= FLAG_ORIGINAL_VIEWABLE if is_original_viewable(photo) else 0
    flags |= FLAG_PICK if photo.flag == "pick" else FLAG_REJECT if photo.flag == "reject" else 0
    flags |= max(0, min(5, photo.stars)) << STARS_SHIFT
    return flags | (FLAG_FUTURE if photo.date_in_future else 0)


def slot_mask(photo: Photo) -> int:
    if not photo.thumb_key:
        return 0
    return sum(SLOT_BITS.get(width, 0) for width in photo.thumb_widths)


def display_size(photo: Photo) -> tuple[int, int]:
    """Width and height for layout (4:3 when the index does not know them)."""
    if photo.width and photo.height:
        return int(photo.width), int(photo.height)
    return 4, 3


def originals_prefix(photo: Photo) -> str:
    """The original's URL without its file name (ends with "/")."""
    return photo.original[: photo.original.rfind("/") + 1]


def card_thumb_2x(row: tuple) -> str:
    """The 2x source a first-screen card offers: the second (1280 px JPEG) slot, if written ("" if not).
    grid.js (`Gallery.gridImage`) offers it too, for the cards it lays out that need it."""
    slot = SLOTS[1]
    return thumb_url(row[1], slot.width) if row[1] and row[7] & SLOT_BITS[slot.width] else ""


def card_decision(row: tuple) -> dict[str, str]:
    """A card's decision as of the build, for its first-screen HTML: `flag` ("pick", "reject" or "")
    and the `badge` text (decisions.js paints the same badge on the cards it lays out)."""
    bits = row[8]
    flag = "pick" if bits & FLAG_PICK else "reject" if bits & FLAG_REJECT else ""
    stars = (bits >> STARS_SHIFT) & 7
    mark = {"pick": "\u2691", "reject": "\u2715", "": ""}[flag]
    return {"flag": flag, "badge": " ".join(part for part in (mark, "\u2605" * stars) if part)}


def grid_data(photos: list[Photo], folder_urls: dict[tuple[str, str], str], best: tuple[int, ...] = ()) -> GridData:
    folder_index: dict[tuple[str, str], int] = {}
    folders: list[tuple[str, str, str]] = []
    rows = []
    for photo in photos:
        place = (photo.root, photo.folder)
        index = folder_index.get(place)
        if index is None:
            index = folder_index[place] = len(folders)
            shown = f"{photo.root}/{photo.folder}" if photo.folder else photo.root
            folders.append((folder_urls[place], originals_prefix(photo), shown))
        width, height = display_size(photo)
        row = [photo.id, photo.thumb_key or "", width, height, photo.taken_at or "", photo.name, index,
               slot_mask(photo), flags_for(photo)]
        exact_name = photo.original[len(folders[index][1]):]
        if exact_name != quote(photo.name, safe=""):
            row.append(exact_name)
        rows.append(tuple(row))
    return GridData(folders=tuple(folders), rows=tuple(rows), best=best)
