"""What the sidecar's JSON routes share: the refusal exception and its answer, request bodies and id
lists checked for size and type (400 / 413), answers that are never cached, the wrapper that turns
an endpoint's refusals into JSON, and the writable connection each writing module opens on demand.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gallery_builder.config import Settings
from gallery_builder.db.decisions import UnknownPhotos

MAX_IDS = 100_000
MAX_BODY_BYTES = 16 * MAX_IDS  # room for 100,000 ids of up to 14 digits, with separators
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


class Refused(Exception):
    """An answer other than 200: the status and the message."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.extra = status, extra


def json_answer(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=NO_STORE)


def photo_ids_of(value: Any, name: str = "ids", noun: str = "photo ids") -> list[int]:
    """A request's list of ids (1 to MAX_IDS whole numbers), else a 400 or 413 naming `name`."""
    if not isinstance(value, list) or not value:
        raise Refused(400, f"{name} must be a non-empty list of {noun}", parameter=name)
    if len(value) > MAX_IDS:
        raise Refused(413, f"{len(value)} ids in one request; the limit is {MAX_IDS:,}", parameter=name)
    bad = [item for item in value if isinstance(item, bool) or not isinstance(item, int) or item < 1]
    if bad:
        raise Refused(400, f"{name} must be whole numbers ({noun}); not {json.dumps(bad[:5])}", parameter=name)
    return value


def one_id_of(value: Any, name: str, noun: str = "an id", *, nullable: bool = False) -> int | None:
    """One id in a request body (a whole number from 1), or None when `nullable`; else a 400."""
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Refused(400, f"{name} must be {noun}{' or null' if nullable else ''}", parameter=name)
    return value


def path_id(request: Request, key: str, noun: str = "an id") -> int:
    """The whole number in the route's `{key}`, else a 400."""
    raw = request.path_params[key]
    if not raw.isdigit() or len(raw) > 18:
        raise Refused(400, f"{noun} is a whole number, not {raw[:40]!r}", parameter="id")
    return int(raw)


def name_of(body: dict[str, Any], key: str = "name") -> str:
    """A non-empty string from a request body, else a 400."""
    name = body.get(key)
    if not isinstance(name, str) or not name.strip():
        raise Refused(400, f"{key} must be a non-empty string", parameter=key)
    return name


def require_table(db: Any, table: str, what: str) -> None:
    """A 503 naming the upgrade when the database predates `table` (an older schema opened read-only)."""
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone() is None:
        raise Refused(503, f"the database predates {what}: run `gallery export --home DIR` once to upgrade it")


async def json_body(request: Request) -> dict[str, Any]:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise Refused(413, f"request body of {declared} bytes; the limit is {MAX_BODY_BYTES:,}")
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise Refused(413, f"request body of {len(raw)} bytes; the limit is {MAX_BODY_BYTES:,}")
    try:
        body = json.loads(raw)
    except ValueError:
        raise Refused(400, "the body must be JSON, e.g. {\"ids\": [1, 2], \"flag\": \"pick\"}") from None
    if not isinstance(body, dict):
        raise Refused(400, "the body must be a JSON object")
    return body


def json_endpoint(handler: Callable[[Request], Any],
                  extra: dict[type, Callable[[Exception], tuple[dict[str, Any], int]]] | None = None
                  ) -> Callable[[Request], Any]:
    """An endpoint from `handler` (which returns a JSON body): a `Refused` becomes its status and
    message, unknown photo ids a 404 naming them, and each type in `extra` what its function says."""

    async def answer(request: Request) -> Response:
        try:
            return json_answer(await handler(request))
        except Refused as refused:
            return json_answer({"error": str(refused), **refused.extra}, refused.status)
        except UnknownPhotos as unknown:
            return json_answer({"error": f"{unknown}; nothing written", "unknown": unknown.ids}, 404)
        except Exception as error:
            for kind, describe in (extra or {}).items():
                if isinstance(error, kind):
                    body, status = describe(error)
                    return json_answer(body, status)
            raise

    return answer


def open_index(settings: Settings, readonly: bool, needs_table: str, what: str) -> Any:
    """A connection to the index (never migrating it: the indexer does), or a 503 saying what to run
    when there is no index yet, or when it predates `needs_table` (the tables of `what`)."""
    from gallery_builder.db.connection import connect

    if not settings.db_path.exists():
        raise Refused(503, f"no index yet at {settings.db_path}: run `gallery index PATH --home DIR`")
    db = connect(settings.db_path, readonly=readonly, migrate=False)
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (needs_table,)).fetchone() is None:
        db.close()
        raise Refused(503, f"the database predates {what}: run `gallery export --home DIR` once to upgrade it")
    return db
