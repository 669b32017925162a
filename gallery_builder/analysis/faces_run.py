"""Matching and clustering against the database: read faces per backend, run the pure functions
(faces_match.py, faces_cluster.py), store proposals without touching a person's decisions.

`FaceAnalysis` is what `ANALYSES` runs in `gallery index` and `gallery watch` (only when faces
exist); `gallery faces match` and `gallery faces cluster` call `match_people` and `cluster_people`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Iterable, NamedTuple

from gallery_builder.core.records import RunContext, Scope


class Thresholds(NamedTuple):
    match_distance: float
    temporal_distance: float
    cluster_distance: float


def thresholds_for(backend: str) -> Thresholds:
    """The backend's own distances (gallery_builder/ml/faces/backend.py; no model is loaded)."""
    from gallery_builder.ml.faces.backend import get_thresholds

    found = get_thresholds(backend)
    return Thresholds(found.match_distance, found.temporal_distance, found.cluster_distance)


@dataclass
class FaceReport:
    """What one matching or clustering did, summed over backends."""

    matched: int = 0
    temporal: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    clusters: int = 0

    def add(self, counts: dict[str, int]) -> None:
        for key, value in counts.items():
            self.counts[key] = self.counts.get(key, 0) + value

    def summary(self) -> str:
        parts = []
        if self.matched or self.temporal:
            parts.append(f"{self.matched} face(s) matched" + (f" ({self.temporal} in a session)" if self.temporal else ""))
        parts += [f"{value} {key}" for key, value in self.counts.items() if value]
        return ", ".join(parts) or "nothing changed"


def _vectors(facts: list[Any]) -> Any:
    import numpy as np

    if not facts:
        return np.zeros((0, 0), dtype=np.float32)
    vectors = np.frombuffer(b"".join(fact.embedding for fact in facts), dtype="<f4").reshape(len(facts), -1)
    norms = np.sqrt(np.einsum("ij,ij->i", vectors, vectors))
    if np.all(np.abs(norms - 1.0) < 1e-3):
        return vectors  # the faces pass stores unit vectors: no copy of 200 MB at 100,000 faces
    return vectors / np.where(norms > 0, norms, 1.0).astype(np.float32)[:, None]


def _seconds(taken_at: str | None) -> float | None:
    from gallery_builder.analysis.stack_run import seconds

    try:
        return seconds(taken_at) if taken_at else None
    except ValueError:
        return None


def _facts(db: Any, backend: str, cache: dict[str, list[Any]] | None) -> list[Any]:
    """The backend's faces, read once per analysis run (matching changes only links, which clustering
    does not read)."""
    from gallery_builder.db.face_facts import face_facts

    if cache is None:
        return face_facts(db, backend)
    if backend not in cache:
        cache[backend] = face_facts(db, backend)
    return cache[backend]


def match_people(db: Any, context: RunContext, *, temporal: bool = True, photo_ids: Iterable[int] | None = None,
                 dry_run: bool = False, cache: dict[str, list[Any]] | None = None) -> FaceReport:
    """Link unlinked faces (of `photo_ids`, default all) to the nearest person; with `temporal`, also
    within the session window at the looser distance."""
    from gallery_builder.analysis.faces_match import match_faces
    from gallery_builder.db import face_facts as store
    from gallery_builder.db.people import DECIDED

    report = FaceReport()
    if not store.has_decided_faces(db):
        return report  # nobody to match with: no face is read
    wanted = set(photo_ids) if photo_ids is not None else None
    rejected = store.rejections(db)
    window = context.settings.face_session_minutes * 60.0
    for backend in store.face_backends(db):
        facts = _facts(db, backend, cache)
        known = [f for f in facts if f.person_id is not None and f.assigned_by in DECIDED]
        candidates = [f for f in facts if f.person_id is None and f.assigned_by is None and f.clusterable
                      and (wanted is None or f.photo_id in wanted)]
        if not known or not candidates:
            continue
        limits = thresholds_for(backend)
        person_times: dict[int, list[float]] = {}
        for fact in facts:
            when = _seconds(fact.taken_at)
            if fact.person_id is not None and when is not None:
                person_times.setdefault(fact.person_id, []).append(when)
        present = {(f.photo_id, f.person_id) for f in facts if f.person_id is not None}
        matches = match_faces(
            _vectors(candidates), [f.photo_id for f in candidates], [f.id for f in candidates], _vectors(known),
            [f.person_id for f in known], present, rejected, limits.match_distance,
            temporal_distance=limits.temporal_distance if temporal else None,
            candidate_times=[_seconds(f.taken_at) for f in candidates], person_times=person_times,
            window_seconds=window)
        report.matched += len(matches)
        report.temporal += sum(1 for match in matches if match.how == "temporal")
        if not dry_run:
            stored = store.store_matches(db, [(candidates[m.row].id, m.person_id, m.how) for m in matches])
            report.add({"stale proposal(s) skipped": len(matches) - stored})
    return report


CLUSTER_STAGES = ("read", "neighbours", "cores", "ids", "store")  # what `step` hears, per backend


def cluster_people(db: Any, context: RunContext, *, full: bool = True, photo_ids: Iterable[int] | None = None,
                   dry_run: bool = False, step: Callable[[str], None] = lambda stage: None,
                   cache: dict[str, list[Any]] | None = None) -> FaceReport:
    """Cluster clusterable faces: all afresh (`full`, ids kept), or incrementally the unclustered
    faces of `photo_ids` (default: every unclustered face). `step` hears CLUSTER_STAGES as they start."""
    from gallery_builder.analysis.faces_cluster import ClusterRules, cluster_faces, cluster_new
    from gallery_builder.db import face_facts as store

    report = FaceReport()
    flags = store.cluster_flags(db)
    fixed = {cluster for cluster, (shown, ignored) in flags.items() if shown or ignored}
    wanted = set(photo_ids) if photo_ids is not None else None
    for backend in store.face_backends(db):
        step("read")
        facts = [fact for fact in _facts(db, backend, cache) if fact.clusterable]
        if not facts:
            continue
        rules = ClusterRules(thresholds_for(backend).cluster_distance, context.settings.face_min_faces)
        current = [fact.cluster_id for fact in facts]
        new = [row for row, fact in enumerate(facts)
               if fact.cluster_id is None and (wanted is None or fact.photo_id in wanted)]
        if full or all(cluster is None for cluster in current):
            clustering = cluster_faces(_vectors(facts), current, fixed, rules, step=step)
        elif new:
            clustering = cluster_new(_vectors(facts), current, fixed, new, rules)
        else:
            continue
        report.clusters += clustering.clusters()
        labels = {facts[row].id: label for row, label in clustering.labels.items()}
        if dry_run:
            report.add({"face(s) would move": len(labels),
                        "new cluster(s) would form": len({v for v in labels.values() if isinstance(v, str)})})
            continue
        step("store")
        report.add(store.store_clusters(db, labels, clustering.dropped))
    return report


def apply_references(db: Any, photo_ids: Iterable[int] | None = None) -> int:
    """Link the faces of every person's reference photos and folders (references.yml) among `photo_ids`
    (default: all): faces detected after the references were named join their person too."""
    from gallery_builder.db.face_facts import photo_ids_under, reference_paths
    from gallery_builder.db.people import link_references

    wanted = set(photo_ids) if photo_ids is not None else None
    linked = 0
    for person_id, paths in reference_paths(db).items():
        found = photo_ids_under(db, paths)
        ids = {i for group in found.values() for i in group if wanted is None or i in wanted}
        if ids:
            explicit = [group[0] for group in found.values() if len(group) == 1]
            linked += len(link_references(db, person_id, sorted(ids), explicit, "index").face_ids)
    return linked


class FaceAnalysis:
    """The run's analysis stage for faces: link reference faces, match the scope's new faces, then
    cluster them incrementally."""

    name: ClassVar[str] = "faces"

    def run(self, db: Any, scope: Scope, context: RunContext) -> str:
        from gallery_builder.db.face_facts import faces_present, has_new_faces
        from gallery_builder.db.stacks import photo_ids_in_scope

        if not faces_present(db):
            return "no faces"
        photo_ids = photo_ids_in_scope(db, scope)
        if not has_new_faces(db, photo_ids):
            return "nothing changed"
        references = apply_references(db, photo_ids)
        cache: dict[str, list[Any]] = {}
        report = match_people(db, context, photo_ids=photo_ids, cache=cache)
        report.add({"reference face(s) linked": references})
        clustered = cluster_people(db, context, full=False, photo_ids=photo_ids, cache=cache)
        report.add(clustered.counts)
        return report.summary()
