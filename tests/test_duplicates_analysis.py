"""The pure parts of duplicate detection: Hamming range search, turned pHashes, capture times, keepers."""
from __future__ import annotations

import numpy as np

from gallery_builder.analysis.duplicates import (Thresholds, capture_relation, find_groups, turned_hashes)
from gallery_builder.analysis.neighbours import hamming_pairs
from gallery_builder.db.duplicates import PhotoFacts


def facts(photo_id, phash, taken_at=None, camera_time=False, content_hash=None, width=640, height=480, size=1000,
          camera="Nikon P6000"):
    return PhotoFacts(photo_id, "photo", content_hash or f"h{photo_id}", size, phash, width, height, taken_at,
                      camera_time, camera)


def test_hamming_pairs_equal_brute_force():
    rng = np.random.default_rng(3)
    hashes = rng.integers(0, 2**63, 2000, dtype=np.int64).astype(np.uint64)
    hashes[10] = hashes[20] ^ np.uint64(0b1011)
    hashes[30] = hashes[40] ^ np.uint64((1 << 63) | (1 << 40) | (1 << 20) | 0b111)
    for distance in (3, 6, 9):
        low, high, _ = hamming_pairs(hashes, hashes, np.arange(len(hashes)), distance)
        every = np.bitwise_count(hashes[:, None] ^ hashes[None, :])
        expected = {(a, b) for a, b in zip(*np.nonzero(np.triu(every <= distance, 1)))}
        assert set(zip(low.tolist(), high.tolist())) == expected and len(low) == len(expected)
    low, high, _ = hamming_pairs(hashes, hashes[[40, 5]], np.array([40, 5]), 6)  # a scoped query
    assert list(zip(low.tolist(), high.tolist())) == [(30, 40)]


def test_turned_hashes_match_the_hash_of_the_turned_picture(corpus):
    import imagehash
    from PIL import Image

    turns = (Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_180, Image.Transpose.ROTATE_270)
    distances = []
    for path in sorted((corpus / "exif" / "gps").glob("DSCN*.jpg")):
        with Image.open(path) as image:
            image.thumbnail((400, 400))
            upright = int(str(imagehash.phash(image)), 16)
            derived = turned_hashes(np.array([upright], dtype=np.uint64))
            for turn, value in zip(turns, derived):
                true = int(str(imagehash.phash(image.transpose(turn))), 16)
                distances.append(bin(true ^ int(value[0])).count("1"))
    # the median of the 64 coefficients shifts when a turn negates some: a few bits differ (random: 32)
    assert np.median(distances) <= 6 and max(distances) <= 10, distances


def test_distinct_shots_never_group_however_alike():
    burst = [facts(1, "cece883cd4cda913", "2008-10-22T16:43:22.100", True),
             facts(2, "cece883cd4cda913", "2008-10-22T16:43:23.200", True),
             facts(3, "cece883cd4cda913", "2008-10-22T16:43:23.300", True)]
    assert capture_relation(burst[1], burst[2]) == "distinct"
    assert find_groups(burst, Thresholds()) == []
    copy = facts(4, "cece883cd4cda913", "2008-10-22T16:43:22.1", True, width=320, height=240)  # resized, same shot
    no_time = facts(5, "cece883cd4cda912", "2026-01-01T00:00:00", False, width=160, height=120)  # EXIF stripped
    groups = find_groups(burst + [copy, no_time], Thresholds())
    assert [[m.photo_id for m in group.members] for group in groups] == [[1, 4, 5]] or \
        {m.photo_id for m in groups[0].members} >= {1, 4}


def test_an_edit_of_one_shot_groups_at_a_larger_distance():
    original = facts(1, "f1f136161a62d393", "2008-10-22T16:29:49", True)
    edited = facts(2, f"{0xf1f136161a62d393 ^ 0xff:016x}", "2008-10-22T16:29:49", True)  # 8 bits off
    other_camera = facts(3, edited.phash, "2008-10-22T16:29:49", True, camera="Canon")
    groups = find_groups([original, edited, other_camera], Thresholds(phash_distance=6))
    assert [[m.photo_id for m in group.members] for group in groups] == [[1, 2]]


def test_keeper_largest_then_bytes_then_earliest_and_kinds():
    a = facts(1, "f1f136161a62d393", None, content_hash="x", width=640, height=480, size=100)
    b = facts(2, "f1f136161a62d393", None, content_hash="x", width=640, height=480, size=100)
    c = facts(3, "f1f136161a62d393", "2001-01-01T00:00:00", content_hash="y", width=640, height=480, size=100)
    d = facts(4, "f1f136161a62d393", None, content_hash="z", width=320, height=240, size=5000)
    (group,) = find_groups([a, b, c, d], Thresholds())
    assert group.keeper_id == 3 and group.kind == "near"
    assert {m.photo_id: m.kind for m in group.members} == {1: "near", 2: "near", 3: "exact", 4: "near"}
    (exact,) = find_groups([a, b], Thresholds())
    assert exact.kind == "exact" and exact.keeper_id == 1
