"""Page models: one frozen record per page kind, the only thing a template sees (as `page`).

A model holds every input of its page, already formatted, so its canonical JSON is the page's
fingerprint (with the templates and assets). Comments on the fields are their help text.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

from gallery_builder.site.cards import GridData


class Page(NamedTuple):
    """One output of the build: a page (URL ends with "/") or a data file (URL is a file path).

    `inputs` is everything the output depends on (its fingerprint material), cheap to make for
    100,000 pages; `build()` makes the page model and runs only for pages that must render.
    """

    kind: str                   # name in the page-kind registry
    url: str                    # site-relative: "" home, "years/2023/", "search/index/2023.json"
    inputs: str
    build: Callable[[], Any]    # -> the page model (a dataclass below) or a DataFile
    unit: str = ""              # shared storage unit (photo bucket) or "" for the generation itself


def eager_page(kind: str, url: str, model: Any, unit: str = "") -> Page:
    """A page whose model is cheap enough to make on every build: its JSON is its inputs."""
    from gallery_builder.site.fingerprint import canonical_json

    return Page(kind=kind, url=url, inputs=canonical_json(model), build=lambda: model, unit=unit)


@dataclass(frozen=True)
class Thumb:
    """A thumbnail reference: key (content hash), slot bitmask, layout size, alt text."""

    key: str
    slots: int
    width: int
    height: int
    alt: str


@dataclass(frozen=True)
class Link:
    """A link to another page with a label and an optional thumbnail."""

    url: str
    label: str
    thumb: Thumb | None = None
    detail: str = ""         # a second line, e.g. "124 photos · June 2023"


@dataclass(frozen=True)
class GridSection:
    """The grid part of a year or folder page."""

    grid: GridData           # every card (the HTML shows the first screen; the rest via JSON)
    data_url: str            # the page's `_photos.json` (empty when every card is inline)
    group: str               # "day" groups by capture day under month headings; "none" for a flat grid


@dataclass(frozen=True)
class HomePage:
    title: str
    photo_count: int
    years: tuple[Link, ...]              # newest first, with counts and covers
    recent_folders: tuple[Link, ...]     # folders with the latest captures
    roots: tuple[Link, ...]              # the top folder of each root
    has_map: bool                        # any geotagged photo
    collection_count: int = 0            # collections in the export (a link to their index when any)
    people_count: int = 0                # people and unknown clusters shown (a link to the people index when any)
    duplicate_groups: int = 0            # duplicate groups in the export (a link to their page when any)
    stack_count: int = 0                 # stacks in the export (a link to the stacks index when any)


@dataclass(frozen=True)
class YearPage:
    title: str
    year: str
    count: int
    months: tuple[tuple[str, str, int], ...]   # (month "06", label "June", photo count) for the scrubber
    grid: GridSection
    previous: Link | None                      # the neighbouring years
    next: Link | None
    best_url: str = ""                         # its "top of the year" page, when anything of it is rated


@dataclass(frozen=True)
class FolderPage:
    title: str
    crumbs: tuple[Link, ...]                   # root first, this folder last
    count: int                                 # photos directly in this folder
    total: int                                 # photos here and below
    date_range: str
    subfolders: tuple[Link, ...]
    grid: GridSection
    rank_scope: str = ""                       # "folder:ROOT/PATH": the ranking pages' scope for it


@dataclass(frozen=True)
class CollectionsPage:
    title: str
    collections: tuple[Link, ...]              # newest updated first: cover, name, photo count


@dataclass(frozen=True)
class CollectionPage:
    title: str                                 # the collection's name
    id: int                                    # the collection's id (the sidecar's routes and the upload button name it)
    count: int                                 # photos shown (members that are indexed and ok)
    updated: str                               # "Thursday, 1 June 2023": the last change to it
    grid: GridSection                          # its photos in the collection's manual order
    rank_scope: str = ""                       # "collection:ID": the ranking pages' scope for it


@dataclass(frozen=True)
class StacksPage:
    """The stacks index: the largest stacks and the most recent ones, each a tile of its top photo."""

    title: str
    count: int                                 # stacks in the export
    largest: tuple[Link, ...]                  # most photos first (then the most recent)
    recent: tuple[Link, ...]                   # latest capture first


@dataclass(frozen=True)
class StackPage:
    title: str                                 # "Stack of 5 photos"
    id: int                                    # the stack id (stacks.parquet)
    count: int
    date_range: str
    top: Link                                  # the photo grids show for the stack
    folder: Link                               # the top's folder page
    grid: GridSection                          # its photos, top first, then capture order


@dataclass(frozen=True)
class DuplicateCopy:
    """One copy of a duplicate group as the duplicates page lists it."""

    id: int
    name: str
    url: str                                   # its photo page
    thumb: Thumb | None
    folder: Link
    size: str                                  # "4.2 MB"
    resolution: str                            # "4000 × 3000 px" ("" when unknown)
    taken: str                                 # "2023-06-01 08:00:00" ("" when unknown)
    is_keeper: bool                            # the proposed keeper (largest original, earliest date)
    kind: str                                  # "exact" (byte-identical to the keeper) or "near"
    decision_bits: int                         # cards.flags_for: the flag and stars as of the build


@dataclass(frozen=True)
class DuplicateGroupView:
    id: int
    kind: str                                  # "exact" when every copy is byte-identical, else "near"
    copies: tuple[DuplicateCopy, ...]          # keeper first


@dataclass(frozen=True)
class DuplicatesPage:
    title: str
    kind: str                                  # "exact" or "near": each kind has its own pages
    groups: tuple[DuplicateGroupView, ...]     # this page's groups (at most GROUPS_PER_PAGE)
    total_groups: int                          # groups of this kind
    pages: tuple[Link, ...]                    # every page of both kinds ("Exact copies (3 groups)", ...)
    page_url: str                              # this page's URL


@dataclass(frozen=True)
class FaceTile:
    """A person or an unknown cluster: its page, its cover face crop, a count."""

    url: str
    label: str
    crop: str                                  # site-relative URL of the cover face crop ("" when none)
    detail: str                                # "12 photos"
    person_id: int | None = None               # the person's id (the writing controls name it)
    cluster_id: int | None = None              # an unknown cluster's id


@dataclass(frozen=True)
class PeoplePage:
    title: str
    people: tuple[FaceTile, ...]               # named people who are not hidden, by name
    clusters: tuple[FaceTile, ...]             # unknown clusters with a page, largest first
    who_url: str                               # the "Who is this?" page ("" when no unknown cluster)


@dataclass(frozen=True)
class PersonPage:
    title: str                                 # the person's name, or "Unknown person #12" for a cluster
    count: int                                 # photos shown
    crop: str                                  # the cover face crop ("" when none)
    is_cluster: bool                           # an unknown cluster (it has no name yet)
    grid: GridSection                          # the photos, grouped by year
    person_id: int | None = None               # the person's id (people_edit.js writes through it)
    cluster_id: int | None = None              # the unknown cluster's id


@dataclass(frozen=True)
class WhoPage:
    title: str
    clusters: tuple[FaceTile, ...]             # the largest unnamed clusters, largest first
    total: int                                 # unknown clusters with a page


@dataclass(frozen=True)
class FaceMark:
    """A face box on a photo page (fractions of the image) with its label and page."""

    x: float
    y: float
    w: float
    h: float
    label: str                                 # the person's name, or "Unknown"
    url: str                                   # the person's or the cluster's page ("" when neither)
    face_id: int = 0                           # the face (people_edit.js corrects it through this id)
    person_id: int | None = None               # its person, when named


@dataclass(frozen=True)
class Preview:
    """The large image of a photo page: srcset of the written slots, and the zoom target."""

    src: str                                  # the default image (first slot at least 1000 px wide)
    sources: tuple[tuple[str, int], ...]      # (URL, pixel width) of every written slot, for srcset
    width: int                                # the photo's own size (after orientation)
    height: int


@dataclass(frozen=True)
class PhotoPage:
    title: str                       # the file name
    id: int
    kind: str                        # photo / video / raw
    folder: Link                     # the folder page (label = display path)
    year: Link | None                # the year page
    day: str                         # "Thursday, 1 June 2023"
    time: str                        # "14:05:09 (UTC+02:00)"
    date_in_future: bool
    preview: Preview | None          # None when no thumbnail exists
    original: str                    # site-relative URL of the original (served by nginx)
    original_viewable: bool          # a browser can show the original (zoom to full resolution)
    facts: tuple[tuple[str, str], ...]   # (label, value) rows: camera, lens, exposure, size, ...
    place: str
    latitude: float | None
    longitude: float | None
    colors: tuple[str, ...]          # "#rrggbb", most dominant first
    color_names: tuple[str, ...]
    previous: Link | None            # neighbours in capture order within the same day
    next: Link | None
    position: str                    # "3 of 12 on this day"
    duration: str = ""               # videos: "1:05"
    description: str | None = None   # generated description (optional Parquet column, docs/parquet.md)
    tags: tuple[str, ...] = ()       # optional Parquet column
    score: float | None = None       # aesthetic score, about 1-10 (optional Parquet column aesthetic_score)
    flag: str | None = None          # a person's decision as of the build: "pick", "reject" or None
    stars: int = 0
    faces: tuple[FaceMark, ...] = ()  # the faces found on the photo, named ones with their person
    concepts: tuple[str, ...] = ()   # "sharp 98%", ... (concepts.parquet)
    critique: str | None = None      # a vision model's critique (optional Parquet column)
    description_disputed: bool = False   # the verify pass doubts the description
    stack: Link | None = None        # the stack page when the photo is in a stack (label says if it is the top)
    collections: tuple[Link, ...] = ()   # the collections holding the photo, by name


@dataclass(frozen=True)
class MapPage:
    title: str
    count: int                       # geotagged photos
    points_url: str                  # JSON of [id, lat, lon, key, slots]


@dataclass(frozen=True)
class SearchPage:
    title: str
    index_url: str                   # the shard manifest
    years: tuple[str, ...]
    months: tuple[tuple[str, str], ...]
    countries: tuple[str, ...]
    places: tuple[str, ...]
    cameras: tuple[str, ...]
    folders: tuple[str, ...]
    colors: tuple[str, ...]
    people: tuple[str, ...] = ()     # named people who are not hidden, by name (a person filter when any)


@dataclass(frozen=True)
class CoverageRow:
    name: str
    version: int
    description: str
    ok: int
    errors: int
    pending: int
    total: int
    percent: float
    last_run: str


@dataclass(frozen=True)
class StatusPage:
    title: str
    exported_at: str
    file_counts: tuple[tuple[str, int], ...]         # status -> files
    roots: tuple[tuple[str, int, str], ...]          # (label, photo count, last scan)
    coverage: tuple[CoverageRow, ...]
    error_counts: tuple[tuple[str, str, int], ...]   # (pass, error code, count)
    errors: tuple[tuple[str, str, str, str, str], ...]   # (root, path, pass, code, message), capped
    error_total: int
    skipped_count: int
    progress_url: str = "progress.json"


@dataclass(frozen=True)
class ReviewPage:
    """The shoot review page: everything it shows comes from the sidecar (/api/review/*)."""

    title: str


@dataclass(frozen=True)
class DataFile:
    """A JSON data file (and its .gz) that is not a page: index shards, point lists."""

    payload: Any
    script_global: str = ""          # also write a .js twin assigning it to this global (file://)


@dataclass(frozen=True)
class RankPage:
    """A ranking page (Swiss A/B, Mosaic or Top 50): a static shell that reads its scope from the
    URL (`?scope=year:2019`) and talks to the sidecar's /api/rank/*."""

    title: str
    mode: str                                  # "compare", "mosaic" or "top"
    modes: tuple[Link, ...]                    # the three modes, for the switcher


@dataclass(frozen=True)
class YearBestPage:
    """The top of a year: its best photos by the one "best first" order (ratings, stars, aesthetic
    score), best first."""

    title: str                                 # "Best of 2023"
    year: str
    count: int                                 # photos shown (at most TOP_OF_YEAR)
    judged: int                                # photos of the year with any rating, stars or score
    grid: GridSection
    year_url: str
