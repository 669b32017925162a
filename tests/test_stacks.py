"""Stack detection as pure functions over plain records: bursts, sequences, scenes, copies, edits, tops."""
from __future__ import annotations

from gallery_builder.analysis.stacks import StackEdit, StackPhoto, StackRules, propose_stacks

RULES = StackRules()
SCENE_A = 0x0F0F_0F0F_0F0F_0F0F
SCENE_B = 0xF0F0_F0F0_F0F0_F0F0  # 64 bits away from A


def near(phash: int, bits: int) -> int:
    """A pHash `bits` bits away from `phash`."""
    return phash ^ ((1 << bits) - 1)


def frame(photo_id: int, at: float, phash: int | None = SCENE_A, camera: str | None = "nikon d70", **extra) -> StackPhoto:
    return StackPhoto(photo_id, camera, at, phash, has_subseconds=True, **extra)


def groups(photos, edits=()) -> list[tuple[int, ...]]:
    return [stack.members for stack in propose_stacks(photos, RULES, edits)]


def test_a_burst_chains_small_gaps_of_one_camera():
    photos = [frame(1, 0), frame(2, 1.5, near(SCENE_A, 8)), frame(3, 4.0, near(SCENE_A, 12)), frame(4, 200)]
    (stack,) = propose_stacks(photos, RULES)
    assert stack.members == (1, 2, 3) and stack.kind == "burst"


def test_distinct_scenes_never_join_however_close_in_time():
    assert groups([frame(1, 0, SCENE_A), frame(2, 0.5, SCENE_B), frame(3, 1.0, SCENE_A)]) == [(1, 3)]
    assert groups([frame(1, 0, SCENE_A), frame(2, 1, SCENE_B)]) == []


def test_other_cameras_unknown_cameras_and_missing_hashes_do_not_join():
    assert groups([frame(1, 0), frame(2, 1, camera="canon")]) == []
    assert groups([frame(1, 0, camera=None), frame(2, 1, camera=None)]) == []
    assert groups([frame(1, 0, phash=None), frame(2, 1)]) == []


def test_near_identical_frames_chain_over_longer_gaps_up_to_the_sequence_gap():
    tripod = [frame(1, 0), frame(2, 19, near(SCENE_A, 4)), frame(3, 38, near(SCENE_A, 2))]
    (stack,) = propose_stacks(tripod, RULES)
    assert stack.members == (1, 2, 3) and stack.kind == "sequence"
    assert groups([frame(1, 0), frame(2, 31)]) == []  # past the sequence gap
    assert groups([frame(1, 0), frame(2, 19, near(SCENE_A, 20))]) == []  # alike enough for a burst only


def test_a_burst_stops_at_its_span_unless_frames_are_near_identical():
    # every pair 18 bits apart: alike enough for a burst, not for a sequence; 2 s apart, 12 s in all
    panning = [frame(i + 1, i * 2.0, SCENE_A ^ (0x1FF << (9 * i))) for i in range(7)]
    assert groups(panning) == [(1, 2, 3, 4, 5, 6)]
    steady = [frame(i + 1, i * 2.0, near(SCENE_A, i % 2)) for i in range(7)]
    (stack,) = propose_stacks(steady, RULES)
    assert stack.members == (1, 2, 3, 4, 5, 6, 7) and stack.kind == "sequence"


def test_copies_of_one_instant_are_left_to_duplicates():
    assert groups([frame(1, 10.25), frame(2, 10.25)]) == []
    # without sub-second times two frames may share a second: only identical hashes mark a copy
    same_second = [StackPhoto(1, "x", 5.0, SCENE_A), StackPhoto(2, "x", 5.0, near(SCENE_A, 6))]
    assert groups(same_second) == [(1, 2)]


def test_clip_vectors_confirm_frames_that_phash_would_not():
    import numpy as np

    vector = np.ones(4, dtype=np.float32) / 2
    photos = [frame(1, 0, SCENE_A, vector=vector), frame(2, 2, SCENE_B, vector=vector)]
    assert groups(photos) == [(1, 2)]


def test_top_is_a_persons_choice_then_stars_then_sharpest_then_earliest():
    photos = [frame(1, 0, sharpness=5.0), frame(2, 1, sharpness=9.0), frame(3, 2, sharpness=1.0)]
    assert propose_stacks(photos, RULES)[0].top == 2
    rated = [frame(1, 0, sharpness=5.0), frame(2, 1, sharpness=9.0), frame(3, 2, sharpness=1.0, stars=4)]
    assert propose_stacks(rated, RULES)[0].top == 3
    assert propose_stacks(rated, RULES, [StackEdit(1, "set_top", (1,))])[0].top == 1
    assert propose_stacks([frame(1, 0), frame(2, 1)], RULES)[0].top == 1


def test_top_follows_a_rating_once_compared_enough_then_an_aesthetic_score():
    sharp = dict(sharpness=900.0)
    rated = [frame(1, 0, stars=4, **sharp), frame(2, 1, rating=2100.0, comparisons=3), frame(3, 2)]
    assert propose_stacks(rated, RULES)[0].top == 2
    scored = [frame(1, 0, **sharp), frame(2, 1, aesthetic=8.5), frame(3, 2, aesthetic=6.0)]
    assert propose_stacks(scored, RULES)[0].top == 2
    few = [frame(1, 0, **sharp), frame(2, 1, rating=2100.0, comparisons=1)]
    assert propose_stacks(few, RULES)[0].top == 1


def test_edits_replay_over_detection_in_order():
    burst = [frame(1, 0), frame(2, 1), frame(3, 2), frame(7, 500), frame(8, 501)]
    assert groups(burst) == [(1, 2, 3), (7, 8)]
    assert groups(burst, [StackEdit(1, "remove", (2,))]) == [(1, 3), (7, 8)]
    assert groups(burst, [StackEdit(1, "not_a_stack", (1, 2, 3))]) == [(7, 8)]
    assert groups(burst, [StackEdit(1, "add", (7, 1))]) == [(1, 2, 3, 7)]
    assert groups(burst, [StackEdit(1, "merge", (1, 8))]) == [(1, 2, 3, 7, 8)]
    # later edits win: removed, then added back
    assert groups(burst, [StackEdit(1, "remove", (2,)), StackEdit(2, "add", (2, 1))]) == [(1, 2, 3), (7, 8)]
