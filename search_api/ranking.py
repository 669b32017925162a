"""The sidecar's ranking routes: GET /api/rank/pair (the next Swiss pair of a scope) and /api/rank/top
(open, read-only); POST /api/rank/compare, /api/rank/mosaic and /api/rank/undo (writing routes behind
write_guard). Each write is one short transaction on the sidecar's own writable connection, under a
lock; the scope's board stays in memory and follows the sidecar's own writes.
"""
from __future__ import annotations

import random
import threading
from collections import deque
from typing import Any, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route

from gallery_builder.config import Settings
from gallery_builder.core.rating import mosaic_events, worst_events
from gallery_builder.db import ranking as queries
from search_api.json_api import Refused, json_body, json_endpoint, open_index
from search_api.pairing import BoardArrays, choose_pair
from search_api.write_guard import writing_route

MAX_MOSAIC = 24
MAX_TOP = 500
RECENT_PAIRS = 3      # pairs just shown, never served again at once


class RankDesk:
    """The sidecar's ranking connections (a writable one, a read-only one) and boards, under one lock."""

    def __init__(self, settings: Settings, seed: int | None = None) -> None:
        self.settings = settings
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        self._writer: Any = None
        self._reader: Any = None
        self.boards: dict[str, BoardArrays] = {}
        self.shown: dict[str, deque[frozenset[int]]] = {}

    def _open(self, readonly: bool) -> Any:
        return open_index(self.settings, readonly, "comparison_events", "ranking")

    def _db(self, writable: bool) -> Any:
        if writable:
            if self._writer is None:
                self._writer = self._open(readonly=False)
            return self._writer
        if self._reader is None:
            self._reader = self._open(readonly=True)
        return self._reader

    def write(self, change: Callable[[Any], queries.Recorded | None]) -> queries.Recorded | None:
        with self.lock:
            result = change(self._db(writable=True))
            if result is not None:
                self._follow(result)
            return result

    def _follow(self, result: queries.Recorded) -> None:
        """Bring the cached boards up to date with our own write (others' writes make them reload)."""
        counts = {row[0]: row[1] for row in self._db(writable=True).execute(
            "SELECT photo_id, comparisons FROM photo_ratings WHERE photo_id IN (SELECT value FROM json_each(?))",
            ("[" + ",".join(map(str, result.ratings)) + "]",))}
        for board in self.boards.values():
            if board.version != result.version - 1:
                continue
            for photo_id, rating in result.ratings.items():
                board.update(photo_id, rating.rating, rating.deviation, counts.get(photo_id, 0))
            board.version = result.version

    def read(self, question: Callable[[Any], Any]) -> Any:
        with self.lock:
            return question(self._db(writable=False))

    def next_pair(self, scope: queries.Scope) -> dict[str, Any]:
        with self.lock:
            db = self._db(writable=False)
            version = queries.ranking_version(db)
            board = self.boards.get(scope.text)
            if board is None or board.version != version:
                board = self.boards[scope.text] = BoardArrays.of(queries.board(db, scope), version)
            shown = self.shown.setdefault(scope.text, deque(maxlen=RECENT_PAIRS))
            avoid = set(shown) | {frozenset(pair) for pair in queries.recent_picks(db, 1)}
            pair = choose_pair(board, avoid, lambda photo: queries.opponents_of(db, photo), self.rng)
            if pair is None:
                return {"scope": scope.text, "pair": None, "photos": [], "version": version,
                        "note": "fewer than two photos in this scope"}
            shown.append(frozenset(pair))
            return {"scope": scope.text, "pair": list(pair), "version": version,
                    "photos": [_photo(board, photo) for photo in pair]}

    def close(self) -> None:
        with self.lock:
            for db in (self._writer, self._reader):
                if db is not None:
                    db.close()
            self._writer = self._reader = None


def _photo(board: BoardArrays, photo_id: int) -> dict[str, Any]:
    position = board.index[photo_id]
    deviation = float(board.deviations[position])
    return {"id": photo_id, "rating": round(float(board.ratings[position]), 1), "deviation": round(deviation, 1),
            "confidence": round(max(0.0, 1.0 - deviation / 350.0), 3),
            "comparisons": int(board.comparisons[position])}


def _scope(text: Any) -> queries.Scope:
    if text is not None and not isinstance(text, str):
        raise Refused(400, "scope must be text: all, year:YYYY or folder:ROOT/PATH", parameter="scope")
    try:
        return queries.parse_scope(text)
    except ValueError as error:
        raise Refused(400, str(error), parameter="scope") from None


def _photo_id(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Refused(400, f"{name} must be a photo id (a whole number)", parameter=name)
    return value


def _recorded(result: queries.Recorded) -> dict[str, Any]:
    return {"pick": result.pick, "events": list(result.event_ids), "version": result.version,
            "ratings": [{"id": photo_id, "rating": round(rating.rating, 1), "deviation": round(rating.deviation, 1),
                         "confidence": round(rating.confidence, 3)} for photo_id, rating in result.ratings.items()]}


def rank_routes(settings: Settings, desk: RankDesk | None = None) -> list[Route]:
    """The routes, sharing one desk; writing ones need what write_guard asks (a token or session, same origin)."""
    desk = desk or RankDesk(settings)

    endpoint = json_endpoint

    async def pair(request: Request) -> dict[str, Any]:
        scope = _scope(request.query_params.get("scope"))
        return await run_in_threadpool(desk.next_pair, scope)

    async def top(request: Request) -> dict[str, Any]:
        scope = _scope(request.query_params.get("scope"))
        n = request.query_params.get("n", "50")
        if not n.isdigit() or not 1 <= int(n) <= MAX_TOP:
            raise Refused(400, f"n must be a whole number 1-{MAX_TOP}", parameter="n")
        rows = await run_in_threadpool(desk.read, lambda db: queries.standings(db, scope, int(n)))
        return {"scope": scope.text, "photos": [row.to_json() for row in rows]}

    async def compare(request: Request) -> dict[str, Any]:
        body = await json_body(request)
        winner, loser, scope = _photo_id(body, "winner"), _photo_id(body, "loser"), _scope(body.get("scope"))
        mode = body.get("mode", "swiss")
        if mode not in ("swiss", "top"):
            raise Refused(400, "mode must be \"swiss\" or \"top\" (Mosaic picks go to /api/rank/mosaic)",
                          parameter="mode")
        if winner == loser:
            raise Refused(400, "winner and loser must be two different photos", parameter="loser")
        result = await run_in_threadpool(
            desk.write, lambda db: queries.record_pick(db, [(winner, loser)], mode, scope.text, "api"))
        return _recorded(result)

    async def mosaic(request: Request) -> dict[str, Any]:
        body = await json_body(request)
        scope, others = _scope(body.get("scope")), body.get("others")
        if (not isinstance(others, list) or not 1 <= len(others) <= MAX_MOSAIC
                or any(isinstance(o, bool) or not isinstance(o, int) or o < 1 for o in others)):
            raise Refused(400, f"others must be a list of 1-{MAX_MOSAIC} photo ids", parameter="others")
        if "best" not in body and "worst" not in body:
            raise Refused(400, "give best (it beats the others) and/or worst (the others beat it)")
        events: list[tuple[int, int]] = []
        if "best" in body:
            events += mosaic_events(_photo_id(body, "best"), others)
        if "worst" in body:
            events += worst_events(_photo_id(body, "worst"), [o for o in others if o != body.get("best")])
        if not events:
            raise Refused(400, "others must hold photos besides the one picked", parameter="others")
        result = await run_in_threadpool(
            desk.write, lambda db: queries.record_pick(db, events, "mosaic", scope.text, "api"))
        return _recorded(result)

    async def undo(request: Request) -> dict[str, Any]:
        result = await run_in_threadpool(desk.write, queries.undo_last_pick)
        if result is None:
            raise Refused(404, "no comparison to undo")
        return {"undone": True, **_recorded(result)}

    token = lambda: settings.api_token  # noqa: E731 (read on each request: the settings may be reloaded)
    return [
        Route("/api/rank/pair", endpoint(pair), methods=["GET"]),
        Route("/api/rank/top", endpoint(top), methods=["GET"]),
        writing_route("/api/rank/compare", endpoint(compare), token=token),
        writing_route("/api/rank/mosaic", endpoint(mosaic), token=token),
        writing_route("/api/rank/undo", endpoint(undo), token=token),
    ]
