"""The sidecar's ranking routes: GET /api/rank/pair (the next Swiss pair of a scope), /api/rank/set (a
Mosaic grid), /api/rank/top and /api/rank/export (open, read-only); POST /api/rank/compare,
/api/rank/mosaic and /api/rank/undo (writing routes behind write_guard). Photos come with their cards
(thumbnails, name, page). With `rank_propagation` on, each pick nudges look-alikes (look_alikes.py). Each write is one short transaction on the sidecar's own writable connection, under a
lock; the scope's board stays in memory and follows the sidecar's own writes.
"""
from __future__ import annotations

import random
import threading
from collections import deque
from typing import Any, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gallery_builder.config import Settings
from gallery_builder.core.rating import mosaic_events, worst_events
from gallery_builder.core.rank_export import export_text
from gallery_builder.db import ranking as queries
from gallery_builder.db.search_queries import photo_cards
from search_api.json_api import Refused, json_answer, json_body, json_endpoint, open_index
from search_api.look_alikes import ClipNeighbours, LookAlikes
from search_api.pairing import BoardArrays, choose_pair, choose_set
from search_api.republish import Republisher
from search_api.results import result_card
from search_api.write_guard import writing_route

MAX_MOSAIC = 24
MOSAIC_SIZES = range(2, 13)   # a Mosaic grid: 6-12 on the page (2-12 accepted), 9 by default
MAX_TOP = 500
RECENT_PAIRS = 3      # pairs just shown, never served again at once


class RankDesk:
    """The sidecar's ranking connections (a writable one, a read-only one) and boards, under one lock."""

    def __init__(self, settings: Settings, seed: int | None = None, clip: ClipNeighbours | None = None,
                 republisher: Republisher | None = None) -> None:
        self.settings = settings
        self.republisher = republisher   # the decisions' one (debounced); None: the watcher takes the requests
        self.look_alikes = LookAlikes(clip)
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        self._writer: Any = None
        self._reader: Any = None
        self.boards: dict[str, BoardArrays] = {}
        self.shown: dict[str, deque[frozenset[int]]] = {}

    def _open(self, readonly: bool) -> Any:
        return open_index(self.settings, readonly, "rating_nudges", "ranking")

    def record(self, events: list[tuple[int, int]], mode: queries.Mode, scope: str) -> queries.Recorded:
        """Record one pick; with propagation on, its photos' look-alikes get their nudges."""
        def change(db: Any) -> queries.Recorded:
            finder = (lambda photo: self.look_alikes(db, photo)) if self.settings.rank_propagation else None
            return queries.record_pick(db, events, mode, scope, "api", look_alikes=finder)
        result = self.write(change)
        assert result is not None
        return result

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
        if result is not None and self.republisher is not None:
            self.republisher.request()   # the write recorded its request row; this wakes the debounced build
        return result

    def _follow(self, result: queries.Recorded) -> None:
        """Bring the cached boards up to date with our own write (others' writes make them reload)."""
        counts = {row[0]: row[1] for row in self._db(writable=True).execute(
            "SELECT photo_id, comparisons FROM photo_ratings WHERE photo_id IN (SELECT value FROM json_each(?))",
            ("[" + ",".join(map(str, {**result.ratings, **result.nudged})) + "]",))}
        for board in self.boards.values():
            if board.version != result.version - 1:
                continue
            for photo_id, rating in {**result.ratings, **result.nudged}.items():
                board.update(photo_id, rating.rating, rating.deviation, counts.get(photo_id, 0))
            board.version = result.version

    def read(self, question: Callable[[Any], Any]) -> Any:
        with self.lock:
            return question(self._db(writable=False))

    def _board(self, db: Any, scope: queries.Scope) -> tuple[BoardArrays, int]:
        version = queries.ranking_version(db)
        board = self.boards.get(scope.text)
        if board is None or board.version != version:
            board = self.boards[scope.text] = BoardArrays.of(queries.board(db, scope), version)
        return board, version

    def next_set(self, scope: queries.Scope, size: int) -> dict[str, Any]:
        """`size` photos of close ratings for a Mosaic grid, the least compared first."""
        with self.lock:
            db = self._db(writable=False)
            board, version = self._board(db, scope)
            chosen = choose_set(board, size, self.rng)
            return {"scope": scope.text, "version": version, "photos": _with_cards(db, board, chosen)}

    def next_pair(self, scope: queries.Scope) -> dict[str, Any]:
        with self.lock:
            db = self._db(writable=False)
            board, version = self._board(db, scope)
            shown = self.shown.setdefault(scope.text, deque(maxlen=RECENT_PAIRS))
            avoid = set(shown) | {frozenset(pair) for pair in queries.recent_picks(db, 1)}
            pair = choose_pair(board, avoid, lambda photo: queries.opponents_of(db, photo), self.rng)
            if pair is None:
                return {"scope": scope.text, "pair": None, "photos": [], "version": version,
                        "note": "fewer than two photos in this scope"}
            shown.append(frozenset(pair))
            return {"scope": scope.text, "pair": list(pair), "version": version,
                    "photos": _with_cards(db, board, list(pair))}

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


def _with_cards(db: Any, board: BoardArrays, photo_ids: list[int]) -> list[dict[str, Any]]:
    """Each photo's standing and its card (thumbnails, name, page URL), in the order given."""
    cards = photo_cards(db, photo_ids)
    return [{**card_fields(cards.get(photo_id)), **_photo(board, photo_id)} for photo_id in photo_ids]


def card_fields(card: dict[str, Any] | None) -> dict[str, Any]:
    if card is None:
        return {}
    found = result_card(card, None)
    return {key: found[key] for key in ("name", "folder", "taken_at", "width", "height", "thumb", "thumbs", "url")}


def _scope(text: Any) -> queries.Scope:
    if text is not None and not isinstance(text, str):
        raise Refused(400, f"scope must be text: {queries.SCOPE_FORMS}", parameter="scope")
    try:
        return queries.parse_scope(text)
    except ValueError as error:
        raise Refused(400, str(error), parameter="scope") from None


def _photo_id(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Refused(400, f"{name} must be a photo id (a whole number)", parameter=name)
    return value


def _losers(body: dict[str, Any]) -> list[int]:
    """`loser` (one photo id), or `losers` (a Top 50 drag: the photos it moved above, one pick)."""
    if "losers" not in body:
        return [_photo_id(body, "loser")]
    losers = body["losers"]
    if (not isinstance(losers, list) or not 1 <= len(losers) <= MAX_TOP
            or any(isinstance(o, bool) or not isinstance(o, int) or o < 1 for o in losers)):
        raise Refused(400, f"losers must be a list of 1-{MAX_TOP} photo ids", parameter="losers")
    return list(dict.fromkeys(losers))


def _recorded(result: queries.Recorded) -> dict[str, Any]:
    return {"pick": result.pick, "events": list(result.event_ids), "version": result.version,
            "nudged": len(result.nudged),
            "ratings": [{"id": photo_id, "rating": round(rating.rating, 1), "deviation": round(rating.deviation, 1),
                         "confidence": round(rating.confidence, 3)} for photo_id, rating in result.ratings.items()]}


def _standings(db: Any, scope: queries.Scope, n: int | None, with_cards: bool) -> list[dict[str, Any]]:
    rows = [dict(rank=place, **row.to_json()) for place, row in enumerate(queries.standings(db, scope, n), 1)]
    if with_cards:
        cards = photo_cards(db, [row["id"] for row in rows])
        rows = [{**card_fields(cards.get(row["id"])), **row} for row in rows]
    return rows


def rank_routes(settings: Settings, desk: RankDesk | None = None, clip: ClipNeighbours | None = None,
                republisher: Republisher | None = None) -> list[Route]:
    """The routes, sharing one desk; writing ones need what write_guard asks (a token or session, same origin).
    `clip` finds a photo's CLIP neighbours (the search service's index) for propagation; `republisher`
    (the decisions' one) republishes the pages after a pick, debounced."""
    desk = desk or RankDesk(settings, clip=clip, republisher=republisher)

    endpoint = json_endpoint

    async def pair(request: Request) -> dict[str, Any]:
        scope = _scope(request.query_params.get("scope"))
        return await run_in_threadpool(desk.next_pair, scope)

    async def top(request: Request) -> dict[str, Any]:
        scope = _scope(request.query_params.get("scope"))
        n = request.query_params.get("n", "50")
        if not n.isdigit() or not 1 <= int(n) <= MAX_TOP:
            raise Refused(400, f"n must be a whole number 1-{MAX_TOP}", parameter="n")
        rows = await run_in_threadpool(desk.read, lambda db: _standings(db, scope, int(n), True))
        return {"scope": scope.text, "photos": rows}

    async def grid(request: Request) -> dict[str, Any]:
        scope = _scope(request.query_params.get("scope"))
        n = request.query_params.get("n", "9")
        if not n.isdigit() or int(n) not in MOSAIC_SIZES:
            raise Refused(400, f"n must be a whole number {MOSAIC_SIZES[0]}-{MOSAIC_SIZES[-1]}", parameter="n")
        return await run_in_threadpool(desk.next_set, scope, int(n))

    async def export(request: Request) -> Response:
        fmt = request.query_params.get("format", "json")
        try:
            scope = _scope(request.query_params.get("scope"))
            if fmt not in ("json", "csv"):
                raise Refused(400, f"format must be json or csv, not {fmt!r}", parameter="format")
            rows = await run_in_threadpool(desk.read, lambda db: _standings(db, scope, None, False))
        except Refused as refused:
            return json_answer({"error": str(refused), **refused.extra}, refused.status)
        name = "ranking-" + "".join(c if c.isalnum() else "-" for c in scope.text)[:60] + "." + fmt
        return Response(export_text(scope.text, rows, fmt), media_type="application/json" if fmt == "json" else "text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})

    async def compare(request: Request) -> dict[str, Any]:
        body = await json_body(request)
        winner, scope = _photo_id(body, "winner"), _scope(body.get("scope"))
        losers = _losers(body)
        mode = body.get("mode", "swiss")
        if mode not in ("swiss", "top"):
            raise Refused(400, "mode must be \"swiss\" or \"top\" (Mosaic picks go to /api/rank/mosaic)",
                          parameter="mode")
        if winner in losers:
            raise Refused(400, "winner and loser must be two different photos", parameter="loser")
        result = await run_in_threadpool(desk.record, [(winner, loser) for loser in losers], mode, scope.text)
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
        result = await run_in_threadpool(desk.record, events, "mosaic", scope.text)
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
        Route("/api/rank/set", endpoint(grid), methods=["GET"]),
        Route("/api/rank/export", export, methods=["GET"]),
        writing_route("/api/rank/compare", endpoint(compare), token=token),
        writing_route("/api/rank/mosaic", endpoint(mosaic), token=token),
        writing_route("/api/rank/undo", endpoint(undo), token=token),
    ]
