"""Faces and people as the builder knows them: faces.parquet, people.parquet and
face_clusters.parquet read into numpy columns (no object per face), joined to the photo table's
capture positions. Gives each photo's boxes, each person's and cluster's photos, and folds every
photo's faces (ids and boxes, not names) into its row digest so that pages showing them republish when
they change; names travel in one shared table (people/_people.json), so a rename re-renders only the
pages that print the name (the person's, their photos', the people pages, that table).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

CLUSTER_MIN_FACES = 3      # an unknown cluster gets a page from this many faces (Immich's min_faces)
PEOPLE_URL = "people/"     # the index; a person's page is people/<segment of the name>/
WHO_URL = "faces/"         # "Who is this?"; an unknown cluster's page is faces/<cluster id>/


def cluster_url(cluster_id: int) -> str:
    return f"{WHO_URL}{cluster_id}/"


class FaceBox(NamedTuple):
    """One face of a photo as pages show it: a box in fractions of the oriented image."""

    face_id: int
    x: float
    y: float
    w: float
    h: float
    person_id: int | None          # a person who is not hidden, else None
    name: str                      # that person's name ("" for an unknown face)
    cluster_id: int | None         # an unknown face's cluster when the cluster has a page
    url: str                       # the person's or the cluster's page ("" when neither)


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    hidden: bool
    face_count: int
    photo_count: int
    cover_face_id: int | None


@dataclass(frozen=True)
class Cluster:
    id: int
    ignored: bool
    face_count: int                # faces of the cluster that no person claims


@dataclass(eq=False)
class FaceTable:
    """Faces of `ok` photos sorted by (capture position, face id); arrays are parallel."""

    rows: Any = None               # capture position of the face's photo (numpy int64)
    face_ids: Any = None
    person_ids: Any = None         # -1: none
    cluster_ids: Any = None        # -1: none
    boxes: Any = None              # (faces, 4) float64: x, y, w, h
    scores: Any = None
    crop_keys: Any = None          # Arrow string array (a million Python strings would cost ~100 MB)
    people: dict[int, Person] = field(default_factory=dict)
    clusters: dict[int, Cluster] = field(default_factory=dict)
    person_urls: dict[int, str] = field(init=False)   # every person's page, hidden ones too (stable URLs)

    def __post_init__(self) -> None:
        import numpy as np

        from gallery_builder.site.urls import allocate_segments

        segments = allocate_segments(person.name for person in self.people.values())
        self.person_urls = {pid: f"{PEOPLE_URL}{segments[person.name]}/" for pid, person in self.people.items()}
        if self.rows is None:
            self.rows = self.face_ids = self.person_ids = self.cluster_ids = np.zeros(0, np.int64)
            self.boxes, self.scores = np.zeros((0, 4)), np.zeros(0)

    def __len__(self) -> int:
        return len(self.rows)

    @cached_property
    def visible_people(self) -> list[Person]:
        """People who are not hidden and have a face on a shown photo, by name."""
        import numpy as np

        present = set(np.unique(self.person_ids).tolist())
        return sorted((person for person in self.people.values() if not person.hidden and person.id in present),
                      key=lambda person: (person.name.casefold(), person.id))

    def cluster_has_page(self, cluster_id: int) -> bool:
        cluster = self.clusters.get(cluster_id)
        return cluster is not None and not cluster.ignored and cluster.face_count >= CLUSTER_MIN_FACES

    @cached_property
    def paged_clusters(self) -> list[Cluster]:
        """Unknown clusters shown on the site: not ignored, at least CLUSTER_MIN_FACES unclaimed faces."""
        return [cluster for cluster in self.clusters.values() if self.cluster_has_page(cluster.id)]

    def _span(self, row: int) -> tuple[int, int]:
        import numpy as np

        return int(np.searchsorted(self.rows, row)), int(np.searchsorted(self.rows, row, side="right"))

    def face_boxes(self, row: int) -> tuple[FaceBox, ...]:
        start, stop = self._span(row)
        boxes = []
        for index in range(start, stop):
            person = self.people.get(int(self.person_ids[index]))
            shown = person if person is not None and not person.hidden else None
            cluster = int(self.cluster_ids[index])
            paged = cluster if person is None and self.cluster_has_page(cluster) else None
            x, y, w, h = (round(float(value), 4) for value in self.boxes[index])
            url = self.person_urls[shown.id] if shown else cluster_url(paged) if paged is not None else ""
            boxes.append(FaceBox(int(self.face_ids[index]), x, y, w, h, shown.id if shown else None,
                                 shown.name if shown else "", paged, url))
        return tuple(boxes)

    def rows_by_person(self) -> dict[int, Any]:
        """Person id -> capture positions of the photos showing them (capture order), in one pass."""
        return self._group(self.person_ids)

    def rows_by_cluster(self) -> dict[int, Any]:
        """Cluster id -> capture positions of the photos with its unclaimed faces."""
        import numpy as np

        return self._group(np.where(self.person_ids < 0, self.cluster_ids, -1))

    def _group(self, keys: Any) -> dict[int, Any]:
        import numpy as np

        wanted = keys >= 0
        if not wanted.any():
            return {}
        span = int(self.rows.max()) + 1
        pairs = np.unique(keys[wanted] * span + self.rows[wanted])
        owners, rows = np.divmod(pairs, span)
        cuts = np.flatnonzero(np.diff(owners, prepend=-1))
        stops = np.append(cuts[1:], len(owners))
        return {int(owners[start]): rows[start:stop] for start, stop in zip(cuts.tolist(), stops.tolist())}

    def person_rows(self, person_id: int) -> Any:
        """Capture positions of the photos showing this person, in capture order."""
        import numpy as np

        return np.unique(self.rows[self.person_ids == person_id])

    def cluster_rows(self, cluster_id: int) -> Any:
        import numpy as np

        return np.unique(self.rows[(self.cluster_ids == cluster_id) & (self.person_ids < 0)])

    def cover_of(self, face_ids: Any) -> int | None:
        """Index of the best-scored face among these faces (an array of indexes), or None."""
        import numpy as np

        if not len(face_ids):
            return None
        return int(face_ids[np.lexsort((self.face_ids[face_ids], -self.scores[face_ids]))[0]])

    def person_cover(self, person: Person) -> int | None:
        """Index of the person's cover face: the chosen one when shown, else the best-scored."""
        import numpy as np

        if person.cover_face_id is not None:
            chosen = np.flatnonzero(self.face_ids == person.cover_face_id)
            if len(chosen) and self.person_ids[chosen[0]] == person.id:
                return int(chosen[0])
        return self.cover_of(np.flatnonzero(self.person_ids == person.id))

    def cluster_cover(self, cluster_id: int) -> int | None:
        import numpy as np

        return self.cover_of(np.flatnonzero((self.cluster_ids == cluster_id) & (self.person_ids < 0)))

    def _spans(self) -> tuple[Any, Any, Any]:
        """The capture positions with faces and the [start, stop) of each one's faces."""
        import numpy as np

        starts = np.flatnonzero(np.diff(self.rows, prepend=-1))
        return self.rows[starts], starts, np.append(starts[1:], len(self.rows))

    def shown_person_ids(self) -> Any:
        """Per face: its person's id when that person is shown (not hidden), else -1."""
        import numpy as np

        hidden = [pid for pid, person in self.people.items() if person.hidden]
        return np.where((self.person_ids >= 0) & ~np.isin(self.person_ids, hidden), self.person_ids, -1)

    def row_face_bytes(self) -> tuple[Any, list[bytes]]:
        """The capture positions with faces and, for each, the bytes of what its grids show of them
        (boxes, shown people's ids, cluster pages; names are in the shared people table): folded
        into the photo's row digest."""
        import numpy as np

        if not len(self):
            return np.zeros(0, np.int64), []
        paged = np.isin(self.cluster_ids, [cluster.id for cluster in self.paged_clusters])
        record = np.column_stack([self.face_ids, self.shown_person_ids(), np.where(paged, self.cluster_ids, -1),
                                  np.round(self.boxes * 10_000).astype(np.int64)]).astype(np.int64)
        rows, starts, stops = self._spans()
        return rows, [record[start:stop].tobytes() for start, stop in zip(starts.tolist(), stops.tolist())]

    def name_digests(self, count: int) -> Any:
        """(count, 8) uint8: per capture position, a digest of the names and pages of the shown people
        on the photo (zeros when none): what a photo page prints besides its row."""
        import numpy as np

        digests = np.zeros((count, 8), np.uint8)
        shown = self.shown_person_ids() if len(self) else np.zeros(0, np.int64)
        if not (shown >= 0).any():
            return digests
        names = {pid: hashlib.blake2b(f"{person.name}\0{self.person_urls[pid]}".encode("utf-8", "surrogatepass"),
                                      digest_size=8).digest() for pid, person in self.people.items()}
        words = b"".join(names.get(pid, bytes(8)) for pid in shown.tolist())
        rows, starts, stops = self._spans()
        named = [(row, start, stop) for row, start, stop in zip(rows.tolist(), starts.tolist(), stops.tolist())
                 if (shown[start:stop] >= 0).any()]
        folded = b"".join(hashlib.blake2b(words[start * 8:stop * 8], digest_size=8).digest()
                          for _, start, stop in named)
        digests[[row for row, _, _ in named]] = np.frombuffer(folded, np.uint8).reshape(len(named), 8)
        return digests

    def names_table(self) -> list[list[Any]]:
        """[person id, name, page URL] of every shown person with a face on a shown photo, by name:
        the one table grids, the lightbox and the offline search read names from."""
        return [[person.id, person.name, self.person_urls[person.id]] for person in self.visible_people]


def fold_into_digests(faces: FaceTable, digests: Any) -> None:
    """Each photo with faces gets a row digest of (its row, its faces), in place."""
    import numpy as np

    rows, parts = faces.row_face_bytes()
    if not len(rows):
        return
    folded = b"".join(hashlib.blake2b(digests[row].tobytes() + part, digest_size=digests.shape[1]).digest()
                      for row, part in zip(rows.tolist(), parts))
    digests[rows] = np.frombuffer(folded, np.uint8).reshape(len(rows), digests.shape[1])


def load_faces(parquet_dir: Path, photo_ids: Any) -> FaceTable:
    """The face tables of the export for the photos of capture-ordered `photo_ids`; an export
    without faces.parquet (or without faces) gives an empty table."""
    import numpy as np
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    path = parquet_dir / "faces.parquet"
    if not path.exists():
        return FaceTable()
    people_path, clusters_path = parquet_dir / "people.parquet", parquet_dir / "face_clusters.parquet"
    people = {row["person_id"]: Person(row["person_id"], row["name"], bool(row["hidden"]), row["face_count"] or 0,
                                       row["photo_count"] or 0, row["cover_face_id"])
              for row in (pq.read_table(people_path).to_pylist() if people_path.exists() else [])}
    clusters = {row["cluster_id"]: Cluster(row["cluster_id"], bool(row["ignored"]), row["face_count"] or 0)
                for row in (pq.read_table(clusters_path).to_pylist() if clusters_path.exists() else [])}
    table = pq.read_table(path, columns=["face_id", "photo_id", "person_id", "cluster_id", "box", "score",
                                         "crop_key"])
    if not table.num_rows or not len(photo_ids):
        return FaceTable(people=people, clusters=clusters)
    sorter = np.argsort(photo_ids, kind="stable")
    wanted = table.column("photo_id").to_numpy()
    found = np.minimum(np.searchsorted(photo_ids, wanted, sorter=sorter), len(photo_ids) - 1)
    rows = sorter[found]
    keep = photo_ids[rows] == wanted                     # faces of photos the site shows
    face_ids = table.column("face_id").to_numpy()
    order = np.lexsort((face_ids, rows))
    order = order[keep[order]]
    box = table.column("box").combine_chunks()
    boxes = np.column_stack([pc.fill_null(box.field(name), 0.0).to_numpy(zero_copy_only=False)
                             for name in "xywh"])
    number = lambda name: pc.fill_null(table.column(name), -1).to_numpy().astype(np.int64)   # noqa: E731
    crop_keys = table.column("crop_key").take(order).combine_chunks()
    return FaceTable(rows=rows[order].astype(np.int64), face_ids=face_ids[order].astype(np.int64),
                     person_ids=number("person_id")[order], cluster_ids=number("cluster_id")[order],
                     boxes=boxes[order], scores=pc.fill_null(table.column("score"), 0.0).to_numpy()[order],
                     crop_keys=crop_keys, people=people, clusters=clusters)
