"""The rating maths (Glicko-2), the comparison log and its cache, and Swiss pairing, on a small database."""
from __future__ import annotations

import math
import random

import pytest

from gallery_builder.core.rating import (UNRATED, Rating, compare, expected_score, mosaic_events, replay,
                                         worst_events)
from gallery_builder.db import ranking as queries
from gallery_builder.db.connection import connect
from search_api.pairing import BoardArrays, choose_pair


def make_db(tmp_path, count: int = 40):
    db = connect(tmp_path / "gallery.db")
    db.execute("INSERT INTO roots (id, label, path) VALUES (1, 'photos', '/p')")
    for photo_id in range(1, count + 1):
        year = 2019 if photo_id % 2 else 2020
        folder = f"{year}/shoot{photo_id % 3}"
        db.execute("INSERT INTO photos (id, root_id, path, path_bytes, folder, name, kind, size, mtime_ns,"
                   " first_seen, last_seen) VALUES (?, 1, ?, ?, ?, ?, 'photo', 1, 1, 'x', 'x')",
                   (photo_id, f"{folder}/{photo_id}.jpg", f"{folder}/{photo_id}.jpg".encode(), folder,
                    f"{photo_id}.jpg"))
        db.execute("INSERT INTO exif (photo_id, taken_at) VALUES (?, ?)", (photo_id, f"{year}-05-01T10:00:00"))
    return db


def cache(db) -> dict[int, tuple]:
    return {row[0]: tuple(row[1:]) for row in db.execute(
        "SELECT photo_id, rating, deviation, volatility, comparisons, wins FROM photo_ratings ORDER BY photo_id")}


def test_glickmans_worked_example_step_by_step():
    # Glickman's paper: a 1500/200 player against 1400/30 (won), 1550/100 (lost), 1700/300 (lost)
    # has E = 0.639, 0.432, 0.303; g(phi) of the 1400/30 opponent is 0.9955.
    player = Rating(1500, 200)
    assert expected_score(player, Rating(1400, 30)) == pytest.approx(0.639, abs=1e-3)
    assert expected_score(player, Rating(1550, 100)) == pytest.approx(0.432, abs=1e-3)
    assert expected_score(player, Rating(1700, 300)) == pytest.approx(0.303, abs=1e-3)
    assert expected_score(Rating(1600), Rating(1600)) == 0.5


def test_one_comparison_moves_two_unrated_photos_symmetrically_and_narrows_their_deviation():
    winner, loser = compare(UNRATED, UNRATED)
    assert winner.rating > 1500 > loser.rating
    assert winner.rating - 1500 == pytest.approx(1500 - loser.rating)
    assert winner.deviation < 350 and loser.deviation < 350
    assert winner.rating == pytest.approx(1662.3, abs=0.5)   # Glicko-2, two fresh 1500/350 players
    upset, _ = compare(Rating(1300, 80), Rating(1700, 80))
    expected, _ = compare(Rating(1700, 80), Rating(1300, 80))
    assert upset.rating - 1300 > expected.rating - 1700 > 0   # an upset moves a rating more


def test_the_deviation_shrinks_with_comparisons_and_never_below_the_floor():
    photo, deviations = UNRATED, []
    for turn in range(400):   # alternate wins and losses against sure opponents of the same rating
        if turn % 2:
            photo, _ = compare(photo, Rating(1500, 30))
        else:
            _, photo = compare(Rating(1500, 30), photo)
        deviations.append(photo.deviation)
    assert deviations[0] < 350 and deviations[10] < deviations[0] and 30.0 <= deviations[-1] < 70
    assert 0.8 < photo.confidence <= 1 and UNRATED.confidence == 0
    assert abs(photo.rating - 1500) < 60


def test_mosaic_best_of_n_records_n_minus_1_wins():
    assert mosaic_events(5, [1, 5, 2, 3]) == [(5, 1), (5, 2), (5, 3)]
    assert worst_events(3, [1, 2, 3]) == [(1, 3), (2, 3)]


def test_recording_one_at_a_time_equals_a_replay_of_the_log(tmp_path):
    db = make_db(tmp_path)
    rng = random.Random(7)
    for _ in range(150):
        if rng.random() < 0.2:
            best, *others = rng.sample(range(1, 41), 6)
            queries.record_pick(db, mosaic_events(best, others), "mosaic", "all", "test")
        else:
            winner, loser = rng.sample(range(1, 41), 2)
            queries.record_pick(db, [(winner, loser)], "swiss", "all", "test")
        if rng.random() < 0.1:
            queries.undo_last_pick(db)
    incremental = cache(db)
    queries.recompute(db)
    assert cache(db) == incremental   # exact floats
    events = db.execute(f"SELECT winner, loser FROM comparison_events WHERE {queries.COUNTED} ORDER BY id")
    assert {k: tuple(v) for k, v in replay(events).items()} == {k: v[:3] for k, v in incremental.items()}


def test_undo_takes_back_a_whole_mosaic_pick_exactly(tmp_path):
    db = make_db(tmp_path)
    queries.record_pick(db, [(1, 2)], "swiss", "all", "test")
    before = cache(db)
    picked = queries.record_pick(db, mosaic_events(3, [1, 2, 4]), "mosaic", "all", "test")
    assert len(picked.event_ids) == 3 and cache(db)[3][3:] == (3, 3)
    undone = queries.undo_last_pick(db)
    assert undone.pick == picked.pick and cache(db) == before
    assert db.execute("SELECT COUNT(*) FROM comparison_events").fetchone()[0] == 4   # kept, marked undone
    queries.undo_last_pick(db)
    assert cache(db) == {} and queries.undo_last_pick(db) is None


def test_unknown_photos_write_nothing(tmp_path):
    db = make_db(tmp_path)
    with pytest.raises(queries.UnknownPhotos):
        queries.record_pick(db, [(1, 999)], "swiss", "all", "test")
    assert db.execute("SELECT COUNT(*) FROM comparison_events").fetchone()[0] == 0 and cache(db) == {}


def test_reset_archives_a_scope_and_undo_reset_brings_it_back(tmp_path):
    db = make_db(tmp_path)
    queries.record_pick(db, [(1, 3)], "swiss", "year:2019", "test")   # both 2019 (odd ids)
    queries.record_pick(db, [(2, 4)], "swiss", "year:2020", "test")
    queries.record_pick(db, [(1, 2)], "swiss", "all", "test")         # across years
    full = cache(db)
    reset_id, archived = queries.reset_scope(db, queries.parse_scope("year:2019"))
    assert archived == 2 and set(cache(db)) == {2, 4}
    assert cache(db)[2][:3] == compare(UNRATED, UNRATED)[0]            # as if (2, 4) were the only comparison
    undo_after_reset = queries.undo_last_pick(db)                      # the newest counted pick is (2, 4)
    assert undo_after_reset is not None and cache(db) == {}
    queries.record_pick(db, [(2, 4)], "swiss", "year:2020", "test")
    assert queries.undo_reset(db).id == reset_id
    incremental = cache(db)
    queries.recompute(db)
    assert cache(db) == incremental and set(incremental) == {1, 2, 3, 4} and incremental != full


def test_scopes_parse_and_select_their_photos(tmp_path):
    db = make_db(tmp_path)
    assert len(queries.board(db, queries.parse_scope(None)).ids) == 40
    assert queries.board(db, queries.parse_scope("year:2019")).ids == list(range(1, 41, 2))
    folder = queries.board(db, queries.parse_scope("folder:photos/2020/shoot1")).ids
    assert folder and all(i % 2 == 0 and i % 3 == 1 for i in folder)
    assert len(queries.board(db, queries.parse_scope("folder:photos/2020")).ids) == 20
    assert queries.board(db, queries.parse_scope("folder:other")).ids == []
    for bad in ("year:19", "folder:", "stars:5"):
        with pytest.raises(ValueError):
            queries.parse_scope(bad)


def board_of(ratings: list[float], comparisons: list[int]) -> BoardArrays:
    ids = list(range(1, len(ratings) + 1))
    return BoardArrays.of(queries.Board(ids, ratings, [100.0] * len(ids), comparisons), 0)


def test_pairing_never_repeats_the_pair_just_shown():
    board = board_of([1500.0, 1500.0, 1500.0], [0, 0, 0])
    rng = random.Random(1)
    last = None
    for _ in range(200):
        pair = choose_pair(board, {frozenset(last)} if last else set(), lambda photo: {}, rng)
        assert pair is not None and pair[0] != pair[1] and frozenset(pair) != frozenset(last or ())
        last = pair
    two = board_of([1500.0, 1600.0], [5, 5])
    assert set(choose_pair(two, {frozenset((1, 2))}, lambda photo: {}, rng)) == {1, 2}  # no other pair exists
    assert choose_pair(board_of([1500.0], [0]), set(), lambda photo: {}, rng) is None


def test_pairing_prefers_close_ratings_few_comparisons_and_new_opponents():
    ratings = [1000.0 + 10 * i for i in range(200)]
    comparisons = [9] * 200
    comparisons[100] = 0                              # the least compared photo is the anchor
    board = board_of(ratings, comparisons)
    rng = random.Random(3)
    for _ in range(50):
        pair = choose_pair(board, set(), lambda photo: {}, rng)
        assert 101 in pair
        other = pair[0] if pair[1] == 101 else pair[1]
        assert abs(ratings[other - 1] - ratings[100]) <= 130   # among the closest, not anywhere
    met_often = {100: 3, 102: 3}                      # the two nearest were met already
    pairs = {frozenset(choose_pair(board, set(), lambda photo: met_often, rng)) for _ in range(30)}
    assert all(not ({100, 102} & pair) for pair in pairs)
