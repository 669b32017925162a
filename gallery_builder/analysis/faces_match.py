"""Face matching, pure: unlinked faces to the nearest known person (nearest of the person's decided
faces, Euclidean distance of unit vectors) within the backend's distance, and temporal matching
(a looser distance within a session window around the photos a person is in).

Rules that hold: never a person the face was rejected from; two faces of one photo are never one
person (conflicts go to the nearer pair, the other face may take its next person).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

BLOCK = 2048  # candidate faces per matrix product: bounds memory at (BLOCK x decided faces)


@dataclass(frozen=True)
class Match:
    row: int          # the candidate's row
    person_id: int
    distance: float
    how: str          # 'match' or 'temporal'


def _pairs_within(candidates: Any, known: Any, known_people: Any, limit: float, allowed: Any = None
                  ) -> tuple[Any, Any, Any]:
    """(candidate row, person column, distance) of every candidate-person pair whose nearest decided
    face is within `limit`; `allowed` masks pairs (candidates x people) further."""
    import numpy as np

    people, owner = np.unique(known_people, return_inverse=True)
    order = np.argsort(owner, kind="stable")
    starts = np.searchsorted(owner[order], np.arange(len(people)))
    known_sorted = known[order]
    found_r, found_p, found_d = [], [], []
    for start in range(0, len(candidates), BLOCK):
        block = candidates[start:start + BLOCK]
        squared = np.maximum(2.0 - 2.0 * (block @ known_sorted.T), 0.0)
        nearest = np.sqrt(np.minimum.reduceat(squared, starts, axis=1))  # (block, people)
        if allowed is not None:
            nearest = np.where(allowed[start:start + BLOCK], nearest, np.inf)
        rows, columns = np.nonzero(nearest <= limit)
        found_r.append(rows + start)
        found_p.append(people[columns])
        found_d.append(nearest[rows, columns])
    if not found_r:
        return np.empty(0, int), np.empty(0, int), np.empty(0)
    return np.concatenate(found_r), np.concatenate(found_p), np.concatenate(found_d)


def _greedy(rows: Any, people: Any, distances: Any, candidate_photos: Sequence[int],
            taken: set[tuple[int, int]], rejected: set[tuple[int, int]], face_ids: Sequence[int], how: str
            ) -> list[Match]:
    """Accept pairs nearest first: one person per face, one face per person per photo."""
    import numpy as np

    accepted: list[Match] = []
    done: set[int] = set()
    for index in np.argsort(distances, kind="stable"):
        row, person = int(rows[index]), int(people[index])
        photo = candidate_photos[row]
        if row in done or (photo, person) in taken or (face_ids[row], person) in rejected:
            continue
        done.add(row)
        taken.add((photo, person))
        accepted.append(Match(row, person, float(distances[index]), how))
    return accepted


def match_faces(candidates: Any, candidate_photos: Sequence[int], face_ids: Sequence[int], known: Any,
                known_people: Sequence[int], photo_people: set[tuple[int, int]], rejected: set[tuple[int, int]],
                distance: float, *, temporal_distance: float | None = None, candidate_times: Sequence[float | None] = (),
                person_times: dict[int, Any] | None = None, window_seconds: float = 1800.0) -> list[Match]:
    """Matches for unlinked faces (`candidates`, unit vectors, with their photos and face ids) against
    the decided faces `known` of `known_people`. `photo_people` holds (photo, person) pairs already
    present; `rejected` (face id, person) pairs never made. With `temporal_distance`, a second round
    links what is left within that looser distance to a person who is in a photo taken within
    `window_seconds` of the face's photo (`person_times`: person -> sorted capture seconds, which this
    round extends with the first round's matches)."""
    import numpy as np

    if not len(candidates) or not len(known):
        return []
    candidates = np.asarray(candidates, dtype=np.float32)
    known = np.asarray(known, dtype=np.float32)
    known_people = np.asarray(known_people, dtype=np.int64)
    taken = set(photo_people)
    rows, people, distances = _pairs_within(candidates, known, known_people, distance)
    matches = _greedy(rows, people, distances, candidate_photos, taken, rejected, face_ids, "match")
    if temporal_distance is None or temporal_distance <= distance:
        return matches
    times = {person: list(values) for person, values in (person_times or {}).items()}
    for match in matches:
        when = candidate_times[match.row] if candidate_times else None
        if when is not None:
            times.setdefault(match.person_id, []).append(when)
    left = np.array(sorted(set(range(len(candidates))) - {match.row for match in matches}), dtype=np.int64)
    if not len(left) or not candidate_times:
        return matches
    allowed = _near_in_time(left, candidate_times, np.unique(known_people), times, window_seconds)
    rows, people, distances = _pairs_within(candidates[left], known, known_people, temporal_distance, allowed)
    photos = [candidate_photos[row] for row in left]
    ids = [face_ids[row] for row in left]
    second = _greedy(rows, people, distances, photos, taken, rejected, ids, "temporal")
    return matches + [Match(int(left[m.row]), m.person_id, m.distance, m.how) for m in second]


def _near_in_time(left: Any, candidate_times: Sequence[float | None], people: Any, times: dict[int, list[float]],
                  window: float) -> Any:
    """(left candidates x people) mask: the person is in a photo within `window` seconds of the face's."""
    import numpy as np

    allowed = np.zeros((len(left), len(people)), dtype=bool)
    for column, person in enumerate(people):
        moments = np.sort(np.asarray(times.get(int(person), []), dtype=np.float64))
        if not len(moments):
            continue
        for index, row in enumerate(left):
            when = candidate_times[row]
            if when is None:
                continue
            at = np.searchsorted(moments, when)
            near = [moments[i] for i in (at - 1, at) if 0 <= i < len(moments)]
            allowed[index, column] = any(abs(moment - when) <= window for moment in near)
    return allowed
