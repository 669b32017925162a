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
    """All the cards of one grid page plus the folder table they index into. A collapsed grid shows
    one card per stack (its top, else its first photo on the page): `stacks` maps that card's id to
    the stack's member ids on the page, shown card first, and `members` holds the other members'
    rows (same fields), for the lightbox that opens the stack."""

    folders: tuple[tuple[str, str, str], ...]   # (folder page URL, originals URL prefix, display path)
    rows: tuple[tuple, ...]
    people: tuple[int, ...] = ()                    # ids of the people on these cards (names: people/_people.json)
    faces: tuple[tuple[int, tuple], ...] = ()       # (photo id, ((index into people, x, y, w, h, face id), ...))
    stacks: tuple[tuple[int, tuple[int, ...]], ...] = ()    # (card id, member ids, card first)
    members: tuple[tuple, ...] = ()
    best: tuple[int, ...] = ()                  # row indices "best first" (empty: no opinion on any photo)

    @property
    def is_inline(self) -> bool:
        return len(self.rows) + len(self.members) <= INLINE_LIMIT

    @property
    def stack_sizes(self) -> dict[int, int]:
        """Card id -> photos of its stack on this page (only for cards that stand for a stack)."""
        return {card: len(ids) for card, ids in self.stacks}

    def payload(self) -> dict:
        """The JSON a grid reads; `people` and `faces` only when a card shows a named person, `stacks`
        and `members` only when a card stands for a stack, `best` only when some photo has a rank."""
        payload = {"fields": CARD_FIELDS, "folders": self.folders, "rows": self.rows}
        if self.people:
            payload.update(people=self.people, faces=self.faces)
        if self.stacks:
            payload.update(stacks=self.stacks, members=self.members)
        if self.best:
            payload["best"] = self.best
        return payload


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


def stacked_order(photos: list[Photo]) -> tuple[list[Photo], dict[int, list[Photo]]]:
    """The photos a collapsed grid shows as cards (in order: a stack sits where its card photo is),
    and each such card's stack members on the page, card first. A stack's card is its top when the
    top is among `photos`, else its first photo here; a stack with one photo here is a plain card."""
    groups: dict[int, list[Photo]] = {}
    for photo in photos:
        if photo.stack_id is not None:
            groups.setdefault(photo.stack_id, []).append(photo)
    stacks: dict[int, list[Photo]] = {}
    hidden: set[int] = set()
    for members in groups.values():
        if len(members) < 2:
            continue
        card = next((photo for photo in members if photo.stack_top), members[0])
        stacks[card.id] = [card] + [photo for photo in members if photo is not card]
        hidden.update(photo.id for photo in members if photo is not card)
    return [photo for photo in photos if photo.id not in hidden], stacks


def grid_data(photos: list[Photo], folder_urls: dict[tuple[str, str], str], collapse_stacks: bool = False,
              best: tuple[int, ...] = ()) -> GridData:
    """The cards of `photos`; with `collapse_stacks`, one card per stack (see stacked_order). `best`
    (indices into `photos`, "best first") is carried over to the cards shown."""
    stacks: dict[int, list[Photo]] = {}
    if collapse_stacks:
        best_ids = [photos[index].id for index in best]
        photos, stacks = stacked_order(photos)
        shown = {photo.id: index for index, photo in enumerate(photos)}
        best = tuple(shown[photo_id] for photo_id in best_ids if photo_id in shown)
    folder_index: dict[tuple[str, str], int] = {}
    folders: list[tuple[str, str, str]] = []

    def card(photo: Photo) -> tuple:
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
        return tuple(row)

    rows = tuple(card(photo) for photo in photos)
    members = tuple(card(photo) for group in stacks.values() for photo in group[1:])
    order = tuple((card_id, tuple(photo.id for photo in group)) for card_id, group in stacks.items())
    people, faces = named_faces(photos + [photo for group in stacks.values() for photo in group[1:]])
    return GridData(folders=tuple(folders), rows=rows, people=people, faces=faces, stacks=order, members=members,
                    best=tuple(best))


def named_faces(photos: list[Photo]) -> tuple[tuple[int, ...], tuple[tuple[int, tuple], ...]]:
    """The ids of the people named on these photos and each photo's named boxes, compactly: what the
    grid's person filter and the lightbox's name boxes need. Names are not here but in the one shared
    table (faces.FaceTable.names_table), so renaming someone leaves every grid as it is."""
    people = sorted({box.person_id for photo in photos for box in photo.faces if box.person_id is not None})
    index = {person_id: number for number, person_id in enumerate(people)}
    faces = tuple((photo.id, tuple((index[box.person_id], box.x, box.y, box.w, box.h, box.face_id)
                                   for box in photo.faces if box.person_id is not None))
                  for photo in photos if any(box.person_id is not None for box in photo.faces))
    return tuple(people), faces
