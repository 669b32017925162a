"""People: the index (named people first, then unknown clusters; hidden people and ignored or
small clusters left out), one grid page per person and per unknown cluster (photos by year), and
"Who is this?", the largest unnamed clusters; and the one table of names the grids, the lightbox and
the offline search read (people/_people.json). Faces come from the export (site/faces.py)."""
from __future__ import annotations

from functools import partial
from typing import Any, Iterable

from gallery_builder.core.urls import face_crop_url
from gallery_builder.site.catalog import Catalog
from gallery_builder.site.faces import PEOPLE_URL, WHO_URL, FaceTable, cluster_url
from gallery_builder.site.fingerprint import pack
from gallery_builder.site.library import Library
from gallery_builder.site.page_models import DataFile, FaceTile, Page, PeoplePage, PersonPage, WhoPage, eager_page
from gallery_builder.site.pages import PageKind
from gallery_builder.site.pages.collections import folder_urls_of
from gallery_builder.site.pages.common import count_label, grid_data_files, grid_section, photos_inputs

WHO_LIMIT = 60        # clusters on "Who is this?"
NAMES_URL = f"{PEOPLE_URL}_people.json"   # (+ .js twin for file://); "_" never starts a person's segment
NAMES_GLOBAL = "GALLERY_PEOPLE"


def crop_of(faces: FaceTable, index: int | None) -> str:
    key = faces.crop_keys[index].as_py() if index is not None else None
    return face_crop_url(key) if key else ""


def cluster_title(cluster_id: int) -> str:
    return f"Unknown person #{cluster_id}"


def _people(faces: FaceTable, rows: dict[int, Any]) -> tuple[FaceTile, ...]:
    return tuple(FaceTile(url=faces.person_urls[person.id], label=person.name,
                          crop=crop_of(faces, faces.person_cover(person)), detail=count_label(len(rows[person.id])),
                          person_id=person.id)
                 for person in faces.visible_people if person.id in rows)


def _clusters(faces: FaceTable, rows: dict[int, Any], limit: int | None = None) -> tuple[FaceTile, ...]:
    clusters = sorted((cluster for cluster in faces.paged_clusters if cluster.id in rows),
                      key=lambda cluster: (-cluster.face_count, cluster.id))[:limit]
    return tuple(FaceTile(url=cluster_url(cluster.id), label=cluster_title(cluster.id),
                          crop=crop_of(faces, faces.cluster_cover(cluster.id)),
                          detail=count_label(len(rows[cluster.id])), cluster_id=cluster.id)
                 for cluster in clusters)


def gather_index(catalog: Catalog, library: Library) -> Iterable[Page]:
    """The index (cheap: one tile per person or cluster), when there is anyone to show."""
    faces = library.faces
    people = _people(faces, faces.rows_by_person())
    cluster_rows = faces.rows_by_cluster()
    clusters = _clusters(faces, cluster_rows)
    if not people and not clusters:
        return
    yield eager_page("people", PEOPLE_URL, PeoplePage(title="People", people=people, clusters=clusters,
                                                      who_url=WHO_URL if clusters else ""))


def gather_who(catalog: Catalog, library: Library) -> Iterable[Page]:
    """"Who is this?" when any unknown cluster has a page."""
    faces = library.faces
    cluster_rows = faces.rows_by_cluster()
    clusters = _clusters(faces, cluster_rows)
    if clusters:
        yield eager_page("who", WHO_URL, WhoPage(title="Who is this?", clusters=clusters[:WHO_LIMIT],
                                                 total=len(clusters)))


def person_page(title: str, crop: str, owner: tuple[str, int], rows: Any, catalog: Catalog) -> PersonPage:
    """`owner` is ("person", id) or ("cluster", id)."""
    photos = catalog.photos(rows)
    kind, owner_id = owner
    return PersonPage(title=title, count=len(photos), crop=crop, is_cluster=kind == "cluster",
                      grid=grid_section(photos, catalog.folder_urls, group="year"),
                      person_id=owner_id if kind == "person" else None,
                      cluster_id=owner_id if kind == "cluster" else None)


def gather(catalog: Catalog, library: Library) -> Iterable[Page]:
    """One page per shown person and per unknown cluster with a page: inputs are its title, cover
    and its photos' row digests (which hold their faces' names, see faces.fold_into_digests)."""
    faces = library.faces
    by_person = faces.rows_by_person()
    for person in faces.visible_people:
        rows = by_person.get(person.id)
        if rows is None:
            continue
        crop = crop_of(faces, faces.person_cover(person))
        yield Page(kind="person", url=faces.person_urls[person.id],
                   inputs=pack(person.name, str(person.id), crop,
                               photos_inputs(catalog, rows, folder_urls_of(catalog, rows))),
                   build=partial(person_page, person.name, crop, ("person", person.id), rows, catalog))
    by_cluster = faces.rows_by_cluster()
    for cluster in faces.paged_clusters:
        rows = by_cluster.get(cluster.id)
        if rows is None:
            continue
        crop = crop_of(faces, faces.cluster_cover(cluster.id))
        title = cluster_title(cluster.id)
        yield Page(kind="person", url=cluster_url(cluster.id),
                   inputs=pack(title, str(cluster.id), crop,
                               photos_inputs(catalog, rows, folder_urls_of(catalog, rows))),
                   build=partial(person_page, title, crop, ("cluster", cluster.id), rows, catalog))


def gather_names(catalog: Catalog, library: Library) -> Iterable[Page]:
    """The names table, whenever anyone is shown (a page with a named face loads it)."""
    if library.faces.visible_people:
        yield eager_page("people-names", NAMES_URL, DataFile(payload={"people": library.faces.names_table()},
                                                             script_global=NAMES_GLOBAL))


NAMES_KIND = PageKind(name="people-names", gather=gather_names)
INDEX_KIND = PageKind(name="people", gather=gather_index, template="people.html")
WHO_KIND = PageKind(name="who", gather=gather_who, template="who.html")
KIND = PageKind(name="person", gather=gather, template="person.html", data_files=grid_data_files)
