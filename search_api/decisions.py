"""The sidecar's decision routes: POST /api/photos/flag and /api/photos/stars (writing routes behind
write_guard), GET /api/decisions?since=V, ?since=published (the changes the published pages do not
show yet: the live overlay's one request) or ?ids=1,2 (open, read-only).

Writes go through one writable connection of their own, under a lock, one short transaction each;
after a write the republisher brings the static pages up to date.
"""
from __future__ import annotations

import json
import threading
from typing import Any, Callable, Sequence

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route

from gallery_builder.config import Settings
from gallery_builder.db import decisions as queries
from search_api.json_api import Refused, json_body, json_endpoint, open_index, photo_ids_of
from search_api.republish import Republisher
from search_api.write_guard import writing_route

MAX_QUERY_IDS = 1_000  # ?ids= in a URL: 1,000 ids stay under nginx's default 8 KB request line


class _Answered:
    """A write's changes (the desk republishes when there are any) and its answer."""

    def __init__(self, changes: Sequence[Any], body: dict[str, Any]) -> None:
        self.changes, self.body = changes, body


class DecisionDesk:
    """The sidecar's own connections for decisions: a writable one (writes, under a lock) and a
    read-only one (the overlay's reads), each opened on first use."""

    def __init__(self, settings: Settings, republisher: Republisher | None = None) -> None:
        self.settings = settings
        self.lock = threading.Lock()
        self._writer: Any = None
        self._reader: Any = None
        self.republisher = republisher or Republisher(settings.home, self.latest_request, self.clear_requests)

    def _open(self, readonly: bool) -> Any:
        return open_index(self.settings, readonly, "photo_decisions", "decisions")

    def write(self, change: Callable[[Any], queries.WriteResult]) -> queries.WriteResult:
        with self.lock:
            if self._writer is None:
                self._writer = self._open(readonly=False)
            result = change(self._writer)
        if result.changes:
            self.republisher.request()
        return result

    def write_answer(self, change: Callable[[Any], tuple[Sequence[Any], dict[str, Any]]]) -> dict[str, Any]:
        """A write whose function returns (its changes, its JSON answer), the answer read in the same
        locked turn as the write; pages are republished when anything changed."""
        return self.write(lambda db: _Answered(*change(db))).body  # type: ignore[arg-type, return-value]

    def read(self, question: Callable[[Any], Any]) -> Any:
        with self.lock:
            if self._reader is None:
                self._reader = self._open(readonly=True)
            return question(self._reader)

    def latest_request(self) -> int | None:
        with self.lock:
            if self._writer is None:
                self._writer = self._open(readonly=False)
            pending = queries.pending_republish_requests(self._writer)
            return pending[-1].id if pending else None

    def clear_requests(self, through_id: int) -> None:
        with self.lock:
            queries.clear_republish_requests(self._writer, through_id)

    def close(self) -> None:
        with self.lock:
            for db in (self._writer, self._reader):
                if db is not None:
                    db.close()
            self._writer = self._reader = None


def _flag(body: dict[str, Any]) -> str | None:
    if "flag" not in body or body["flag"] not in (*queries.FLAGS, None):
        raise Refused(400, "flag must be \"pick\", \"reject\" or null", parameter="flag")
    return body["flag"]


def _stars(body: dict[str, Any]) -> int:
    stars = body.get("stars")
    if isinstance(stars, bool) or not isinstance(stars, int) or not 0 <= stars <= queries.MAX_STARS:
        raise Refused(400, f"stars must be a whole number 0-{queries.MAX_STARS}", parameter="stars")
    return stars


def _written(field: str, value: Any, ids: list[int], result: queries.WriteResult) -> dict[str, Any]:
    return {"field": field, "value": value, "changed": result.changed_ids,
            "unchanged": len(set(ids)) - len(result.changes), "version": result.version}


def _parse_id_list(text: str) -> list[int]:
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if len(parts) > MAX_QUERY_IDS:
        raise Refused(413, f"{len(parts)} ids in one URL; the limit is {MAX_QUERY_IDS:,}: ask since=VERSION "
                           f"(the decisions_version of the page's export) instead", parameter="ids")
    if not parts or not all(part.isdigit() and len(part) <= 18 for part in parts):
        raise Refused(400, "ids must be photo ids separated by commas, e.g. ids=1,2,3", parameter="ids")
    return [int(part) for part in parts]


def decision_routes(settings: Settings, desk: DecisionDesk | None = None) -> list[Route]:
    """The routes, sharing one desk; writing ones need what write_guard asks (a token, same origin)."""
    desk = desk or DecisionDesk(settings)

    endpoint = json_endpoint
    async def flag(request: Request) -> dict[str, Any]:
        body = await json_body(request)
        ids, value = photo_ids_of(body.get("ids")), _flag(body)
        result = await run_in_threadpool(desk.write, lambda db: queries.set_flag(db, ids, value, "api"))  # type: ignore[arg-type]
        return _written("flag", value, ids, result)

    async def stars(request: Request) -> dict[str, Any]:
        body = await json_body(request)
        ids, value = photo_ids_of(body.get("ids")), _stars(body)
        result = await run_in_threadpool(desk.write, lambda db: queries.set_stars(db, ids, value, "api"))
        return _written("stars", value, ids, result)

    async def current(request: Request) -> dict[str, Any]:
        params = request.query_params
        if ("since" in params) == ("ids" in params):
            raise Refused(400, "ask for since=VERSION (changes after it) or ids=1,2,3 (their decisions)")
        if "ids" in params:
            ids = _parse_id_list(params["ids"])
            return await run_in_threadpool(desk.read, lambda db: _decisions_of(db, ids))
        since = params["since"]
        if since == "published":   # what the pages nginx serves were built with (site's state.json)
            since = str(published_version(settings))
        if not since.isdigit() or len(since) > 18:
            raise Refused(400, "since must be a decisions version (a whole number, 0 for everything)",
                          parameter="since")
        return await run_in_threadpool(desk.read, lambda db: _changes_since(db, int(since)))

    token = lambda: settings.api_token  # noqa: E731 (read on each request: the settings may be reloaded)
    return [
        writing_route("/api/photos/flag", endpoint(flag), token=token),
        writing_route("/api/photos/stars", endpoint(stars), token=token),
        Route("/api/decisions", endpoint(current), methods=["GET"]),
    ]


def published_version(settings: Settings) -> int:
    """The decisions version the published site was built with (its `state.json`), 0 when unknown:
    the live overlay then gets every decision, which is always right, only larger."""
    try:
        return int(json.loads((settings.site_dir / "state.json").read_text(encoding="utf-8"))["decisions_version"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def _decisions_of(db: Any, ids: list[int]) -> dict[str, Any]:
    db.execute("BEGIN")
    try:
        version = queries.decisions_version(db)
        found = queries.decisions_of(db, ids)
    finally:
        db.execute("COMMIT")
    return {"version": version, "decisions": [decision.to_json() for decision in found.values()],
            "unknown": sorted(set(ids) - set(found))}


def _changes_since(db: Any, since: int) -> dict[str, Any]:
    """The changes after `since`; a version from the future (a restored backup) answers everything, full."""
    version, rows = queries.decisions_since(db, since)
    full = since > version
    if full:
        version, rows = queries.decisions_since(db, 0)
    return {"version": version, "since": since, "full": full or since == 0,
            "decisions": [decision.to_json() for decision in rows]}
