"""Compare and rank: the next Swiss pair, a recorded pick, and recomputing every rating from the log.

    PYTHONPATH=. .venv/bin/python bench/bench_ranking.py [--photos 100000] [--events 1000000] [--repeat 200]

Makes a synthetic database of --photos photos (rows only, no files), then measures in one run, each
beside a baseline of the same run:
  next pair     GET /api/rank/pair?scope=all (real app, in-process TestClient) p50 / p95, beside
                GET /api/decisions?ids=1,2 (the lightest read route: the HTTP + connection floor)
  pick          POST /api/rank/compare p50 / p95 with propagation off, beside POST /api/photos/flag
                (one decision write)
  pick+nudges   the same pick with propagation on (every photo has a pHash, in look-alike groups of
                5: the pHash scan over every photo, the stack query, the logged nudges), beside the
                pick with propagation off
  recompute     `gallery rank recompute`'s work on --events comparisons, beside reading the same
                events out of SQLite (the floor any replay pays) and the bare Glicko-2 replay of
                them (rating.replay, no SQL, no nudges); then again with one logged nudge per event,
                beside the recompute without nudges
Targets (issue 12): next pair p50 < 30 ms at 100,000 photos; a pick p50 < 20 ms; recompute of
1,000,000 comparisons < 10 s.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gallery_builder.config import load_settings  # noqa: E402
from gallery_builder.core.rating import replay  # noqa: E402
from gallery_builder.db import ranking  # noqa: E402
from gallery_builder.db.connection import connect  # noqa: E402

TOKEN = "bench-token"
SITE = "http://nas:8080"


def make_db(home: Path, photos: int) -> None:
    db = connect(home / "gallery.db")
    db.execute("INSERT INTO roots (id, label, path) VALUES (1, 'photos', '/photos')")
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO photos (id, root_id, path, path_bytes, folder, name, kind, size, mtime_ns, first_seen, last_seen)"
        " VALUES (?, 1, ?, ?, ?, ?, 'photo', 1, 1, 'x', 'x')",
        ((i, f"{2000 + i % 20}/{i}.jpg", f"{2000 + i % 20}/{i}.jpg".encode(), f"{2000 + i % 20}", f"{i}.jpg")
         for i in range(1, photos + 1)))
    db.executemany("INSERT INTO exif (photo_id, taken_at) VALUES (?, ?)",
                   ((i, f"{2000 + i % 20}-06-01T12:00:00") for i in range(1, photos + 1)))
    rng = random.Random(5)
    hashes = {}
    for i in range(1, photos + 1):     # groups of 5 look-alikes: a random hash, then 1-3 bits flipped
        base = hashes[i - i % 5] if i % 5 and i - i % 5 in hashes else rng.getrandbits(64)
        hashes[i] = base if not i % 5 else base ^ sum(1 << bit for bit in rng.sample(range(64), rng.randint(1, 3)))
    db.executemany("INSERT INTO phashes (photo_id, phash) VALUES (?, ?)",
                   ((i, f"{value:016x}") for i, value in hashes.items()))
    db.execute("COMMIT")
    db.close()


def timed(call, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def show(name: str, times: list[float], baseline: str, base: list[float]) -> None:
    def p(values: list[float], q: int) -> float:
        return statistics.quantiles(values, n=100)[q - 1]
    print(f"{name:<12} p50 {statistics.median(times):7.2f} ms  p95 {p(times, 95):7.2f} ms   | {baseline}: "
          f"p50 {statistics.median(base):6.2f} ms  p95 {p(base, 95):6.2f} ms")


def bench_routes(home: Path, repeat: int) -> None:
    from starlette.testclient import TestClient

    from search_api.app import create_app
    from search_api.write_guard import TOKEN_HEADER

    (home / "watch.json").write_text(json.dumps({"state": "watching", "updated_at": time.time() + 3600}))

    def client_with(propagation: bool) -> TestClient:
        settings = load_settings(home, {"api_token": TOKEN, "rank_propagation": propagation}, environ={})
        return TestClient(create_app(settings, warm_up=False), base_url=SITE,
                          headers={TOKEN_HEADER: TOKEN, "Origin": SITE, "Sec-Fetch-Site": "same-origin"})

    client = client_with(False)
    started = time.perf_counter()
    client.get("/api/rank/pair", params={"scope": "all"})
    print(f"first pair (loads the board of the scope): {(time.perf_counter() - started) * 1000:.0f} ms")
    pairs = []

    def next_pair() -> None:
        pairs.append(client.get("/api/rank/pair", params={"scope": "all"}).json()["pair"])

    def pick(through: TestClient) -> None:
        winner, loser = pairs.pop()
        answer = through.post("/api/rank/compare", json={"winner": winner, "loser": loser})
        assert answer.status_code == 200, answer.text
        nudged.append(answer.json()["nudged"])

    nudged: list[int] = []
    flags = iter(range(1, repeat + 1))
    decisions = timed(lambda: client.get("/api/decisions", params={"ids": "1,2"}), repeat)
    show("next pair", timed(next_pair, repeat), "GET /api/decisions?ids=1,2", decisions)
    flag = timed(lambda: client.post("/api/photos/flag", json={"ids": [next(flags)], "flag": "pick"}), repeat)
    plain = timed(lambda: pick(client), repeat)
    show("pick", plain, "POST /api/photos/flag", flag)
    spreading = client_with(True)
    pairs.extend([[1, 2], [3, 4]] * 2)
    started = time.perf_counter()
    pick(spreading)
    print(f"first pick with propagation (loads every pHash): {(time.perf_counter() - started) * 1000:.0f} ms")
    pairs.extend(spreading.get("/api/rank/pair", params={"scope": "all"}).json()["pair"] for _ in range(repeat))
    nudged.clear()
    show("pick+nudges", timed(lambda: pick(spreading), repeat), "pick, propagation off", plain)
    print(f"             {statistics.mean(nudged):.1f} look-alikes nudged per pick on average")


def bench_recompute(home: Path, photos: int, events: int) -> None:
    db = connect(home / "gallery.db")
    rng = random.Random(1)
    rows = []
    for event in range(events):
        winner = rng.randrange(1, photos + 1)
        loser = rng.randrange(1, photos)
        rows.append((event // 2 + 10_000, winner, loser + (loser >= winner), "swiss", "all", "bench", "x", "[]", "[]"))
    db.execute("BEGIN")
    db.executemany("INSERT INTO comparison_events (pick, winner, loser, mode, scope, source, at, winner_before,"
                   " loser_before) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.execute("COMMIT")
    start = time.perf_counter()
    events_read = db.execute(f"SELECT id, winner, loser FROM comparison_events WHERE {ranking.COUNTED}"
                             " ORDER BY id").fetchall()
    count = len(events_read)
    floor = time.perf_counter() - start
    start = time.perf_counter()
    replay((winner, loser) for _, winner, loser in events_read)   # the replay before propagation existed
    plain_replay = time.perf_counter() - start
    del events_read
    start = time.perf_counter()
    replayed = ranking.recompute(db)
    took = time.perf_counter() - start
    rated = db.execute("SELECT COUNT(*) FROM photo_ratings").fetchone()[0]
    print(f"recompute    {replayed:,} comparisons -> {rated:,} ratings in {took:.2f} s   | "
          f"reading the {count:,} events: {floor:.2f} s; rating.replay of them alone: {plain_replay:.2f} s")
    db.execute("BEGIN")
    db.execute("INSERT INTO rating_nudges (event_id, photo_id, amount, distance, before)"
               " SELECT id, 1 + (id * 7919) % ?, 1.5, 0.2, '[]' FROM comparison_events", (photos,))
    db.execute("COMMIT")
    nudges = db.execute("SELECT COUNT(*) FROM rating_nudges").fetchone()[0]
    start = time.perf_counter()
    ranking.recompute(db)
    with_nudges = time.perf_counter() - start
    db.close()
    print(f"recompute+nudges {replayed:,} comparisons and {nudges:,} nudges in {with_nudges:.2f} s   | "
          f"without nudges: {took:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ranking-") as folder:
        home = Path(folder)
        started = time.perf_counter()
        make_db(home, args.photos)
        print(f"{args.photos:,} photos written in {time.perf_counter() - started:.1f} s")
        bench_routes(home, args.repeat)
        bench_recompute(home, args.photos, args.events)


if __name__ == "__main__":
    main()
