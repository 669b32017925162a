"""Propagation: the bounded nudge look-alike photos get after a comparison, logged so that a replay
of the log (recompute, undo, reset) gives exactly the ratings recorded one pick at a time."""
from __future__ import annotations

import random

import pytest

from gallery_builder.core.propagation import (CAP, MAX_NEIGHBOURS, SHARE, Neighbour, closest, nudge_amount,
                                              nudges_for)
from gallery_builder.core.rating import UNRATED, compare, mosaic_events
from gallery_builder.db import ranking as queries
from gallery_builder.db.rating_nudges import nudge_count
from tests.test_ranking import cache, make_db


def test_a_nudge_never_outweighs_the_direct_change_and_decays_with_distance():
    for change in (-300.0, -162.3, -20.0, -1.0, 0.5, 7.0, 162.3, 400.0):
        amounts = [nudge_amount(change, distance / 20) for distance in range(0, 25)]
        for amount in amounts:
            assert abs(amount) <= SHARE * abs(change) < abs(change)      # smaller than the comparison itself
            assert abs(amount) <= CAP
            assert amount == 0 or (amount > 0) == (change > 0)            # the same way as its neighbour
        magnitudes = [abs(amount) for amount in amounts]
        assert magnitudes == sorted(magnitudes, reverse=True)             # decays with distance
        assert magnitudes[20:] == [0.0] * 5                               # nothing from distance 1 on
    assert nudge_amount(20.0, 0.0) == 5.0 and nudge_amount(20.0, 0.5) == 2.5
    assert nudge_amount(1000.0, 0.0) == CAP and nudge_amount(-1000.0, 0.0) == -CAP


def test_neighbours_are_the_nearest_few_at_their_smallest_distance_without_the_picks_photos():
    found = [Neighbour(photo, 0.9 - photo / 100) for photo in range(10, 40)]
    found += [Neighbour(12, 0.05), Neighbour(3, 0.0), Neighbour(50, 1.0)]
    kept = closest(found, exclude=[3])
    assert len(kept) == MAX_NEIGHBOURS and kept[0] == Neighbour(12, 0.05)
    assert 3 not in {item.photo_id for item in kept} and 50 not in {item.photo_id for item in kept}
    assert [item.distance for item in kept] == sorted(item.distance for item in kept)
    assert nudges_for(10.0, [Neighbour(7, 1.0)]) == []


def look_alikes_of(table: dict[int, list[Neighbour]]):
    return lambda photo_id: table.get(photo_id, [])


def test_a_comparison_nudges_look_alikes_less_than_itself_and_logs_it(tmp_path):
    db = make_db(tmp_path)
    table = {1: [Neighbour(5, 0.0), Neighbour(6, 0.8), Neighbour(2, 0.1)], 2: [Neighbour(7, 0.2)]}
    recorded = queries.record_pick(db, [(1, 2)], "swiss", "all", "test", look_alikes=look_alikes_of(table))
    winner, loser = compare(UNRATED, UNRATED)
    gain = winner.rating - UNRATED.rating
    ratings = cache(db)
    assert ratings[1][:3] == tuple(winner) and ratings[2][:3] == tuple(loser)    # the direct result unchanged
    assert ratings[5][0] == UNRATED.rating + min(CAP, SHARE * gain)              # identical look-alike: most
    assert UNRATED.rating < ratings[6][0] < ratings[5][0] < winner.rating
    assert ratings[7][0] < UNRATED.rating and ratings[7][1:] == (UNRATED.deviation, UNRATED.volatility, 0, 0)
    assert set(recorded.nudged) == {5, 6, 7}              # 2 is the loser: compared, not nudged
    assert nudge_count(db) == 3


def test_recorded_with_propagation_equals_a_replay_even_after_the_neighbours_change(tmp_path):
    db = make_db(tmp_path)
    rng = random.Random(11)
    table = {photo: [Neighbour(rng.randrange(1, 41), rng.random()) for _ in range(5)] for photo in range(1, 41)}
    for turn in range(120):
        if rng.random() < 0.2:
            best, *others = rng.sample(range(1, 41), 6)
            queries.record_pick(db, mosaic_events(best, others), "mosaic", "all", "test", look_alikes_of(table))
        else:
            winner, loser = rng.sample(range(1, 41), 2)
            queries.record_pick(db, [(winner, loser)], "swiss", "all", "test", look_alikes_of(table))
        if rng.random() < 0.1:
            queries.undo_last_pick(db)
        if turn == 60:
            queries.reset_scope(db, queries.parse_scope("year:2019"))
    assert nudge_count(db) > 100
    incremental = cache(db)
    table.clear()                      # the look-alikes change (new vectors, re-stacking): the log decides
    queries.recompute(db)
    assert cache(db) == incremental    # exact floats
    assert any(row[3] == 0 and row[0] != UNRATED.rating for row in incremental.values())   # nudged only


def test_undo_restores_the_nudged_photos_exactly(tmp_path):
    db = make_db(tmp_path)
    table = {1: [Neighbour(5, 0.0)], 3: [Neighbour(5, 0.2), Neighbour(6, 0.3)], 4: [Neighbour(5, 0.1)]}
    queries.record_pick(db, [(1, 2)], "swiss", "all", "test", look_alikes_of(table))
    before = cache(db)
    queries.record_pick(db, mosaic_events(3, [1, 4, 2]), "mosaic", "all", "test", look_alikes_of(table))
    assert cache(db) != before
    queries.undo_last_pick(db)
    assert cache(db) == before
    queries.undo_last_pick(db)
    assert cache(db) == {}


def test_without_look_alikes_nothing_is_nudged(tmp_path):
    db = make_db(tmp_path)
    queries.record_pick(db, [(1, 2)], "swiss", "all", "test")
    assert set(cache(db)) == {1, 2} and nudge_count(db) == 0


@pytest.mark.parametrize("distance", [0.0, 0.3, 0.99])
def test_a_nudge_is_smaller_than_a_direct_win_of_the_same_photo(tmp_path, distance):
    db = make_db(tmp_path)
    queries.record_pick(db, [(1, 2)], "swiss", "all", "test", look_alikes_of({1: [Neighbour(3, distance)]}))
    queries.record_pick(db, [(4, 5)], "swiss", "all", "test")
    assert cache(db)[3][0] - UNRATED.rating < cache(db)[4][0] - UNRATED.rating
