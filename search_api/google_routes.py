"""The sidecar's Google Photos routes: GET /api/google/status (open); POST /api/google/uploads (start an
upload of a collection or of photos), GET /api/google/uploads/{job}/events (Server-Sent Events),
POST /api/google/uploads/{job}/cancel, and the paste-back sign-in page GET/POST /api/google/signin
(writing routes behind write_guard). The Google libraries are imported only when used."""
from __future__ import annotations

import html
import json
from string import Template
from typing import Any, AsyncIterator

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.routing import Route

from gallery_builder.config import Settings
from search_api.json_api import Refused, json_answer, json_body, json_endpoint, open_index, photo_ids_of
from search_api.upload_jobs import TERMINAL, UploadJobs
from search_api.write_guard import refusal, session_checker, writing_route

KEEP_ALIVE_SECONDS = 15.0
MAX_SIGNIN_ATTEMPTS = 5
STREAM_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no", "X-Content-Type-Options": "nosniff"}
PAGE = Template("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Connect Google Photos</title><meta name="robots" content="noindex">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem}
input[type=url]{width:100%;padding:.4rem}.message{padding:.5rem;background:#fff3cd}code{word-break:break-all}</style>
</head><body><h1>Connect Google Photos</h1>$message$content<p><a href="/">Back to the gallery</a></p></body></html>
""")
FORM = Template("""<ol><li><a href="$url" target="_blank" rel="noopener noreferrer">Open Google's sign-in</a> (on any
device) and approve uploading to your Google Photos.</li>
<li>Your browser then fails to open an address starting with <code>http://localhost</code>. Copy that whole
address from its address bar.</li>
<li><form method="post" action="/api/google/signin"><input type="hidden" name="state" value="$state">
<label>Paste it here: <input type="url" name="url" required placeholder="http://localhost:8085/?state=...&amp;code=..."></label>
<button type="submit">Connect</button></form></li></ol>""")


def _page(message: str, content: str, status: int = 200) -> HTMLResponse:
    notice = f'<p class="message" role="alert">{html.escape(message)}</p>' if message else ""
    return HTMLResponse(PAGE.substitute(message=notice, content=content), status_code=status,
                        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                                 "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                                            "form-action 'self'"})


def _upload_request(settings: Settings, body: dict[str, Any]) -> Any:
    """An UploadRequest from a request body: {"collection": id} or {"photos": [ids]}, with optional
    "album" (a title) and "force" (photo ids to send again)."""
    from gallery_builder.db import collections as albums
    from gallery_builder.db.uploads import known_photo_ids
    from gallery_builder.google.engine import UploadRequest

    album = body.get("album")
    if album is not None and (not isinstance(album, str) or not album.strip() or len(album) > 500):
        raise Refused(400, "album must be a non-empty title (at most 500 characters)", parameter="album")
    force = tuple(photo_ids_of(body["force"], "force")) if body.get("force") else ()
    if ("collection" in body) == ("photos" in body):
        raise Refused(400, "give either collection (an id) or photos (a list of ids)", parameter="collection")
    db = open_index(settings, True, "google_uploads", "Google uploads")
    try:
        if "collection" in body:
            collection = body["collection"]
            if isinstance(collection, bool) or not isinstance(collection, int):
                raise Refused(400, "collection must be a collection id", parameter="collection")
            try:
                found = albums.get_collection(db, collection)
            except albums.UnknownCollection as error:
                raise Refused(404, str(error), unknown_collection=collection) from None
            ids = tuple(albums.collection_photo_ids(db, found.id))
            if not ids:
                raise Refused(400, f"the collection {found.name!r} is empty")
            return UploadRequest((album or found.name).strip(), ids, found.id, force)
        ids = tuple(photo_ids_of(body["photos"], "photos"))
        unknown = sorted(set(ids) - set(known_photo_ids(db, ids)))
        if unknown:
            raise Refused(404, f"unknown photo id(s): {unknown[:20]}; nothing sent", unknown=unknown)
        if not album:
            raise Refused(400, "album is needed when uploading photos", parameter="album")
        return UploadRequest(album.strip(), ids, None, force)
    finally:
        db.close()


def google_routes(settings: Settings) -> list[Route]:
    jobs = UploadJobs(settings)
    attempts: dict[str, Any] = {}  # sign-in state -> PasteBackSignIn (its PKCE verifier)
    token = lambda: settings.api_token  # noqa: E731

    def connected() -> bool:
        from gallery_builder.google.signin import is_connected

        return is_connected(settings)

    async def status(request: Request) -> Response:
        sessions = session_checker(request)
        writing = sessions is not None and sessions.writing_enabled()
        from gallery_builder.google.signin import client_secret_path

        return json_answer({"connected": connected(), "client_configured": client_secret_path(settings).is_file(),
                            "signed_in": refusal(request, token()) is None, "writing_enabled": writing or bool(token()),
                            "connect_url": "/api/google/signin", "jobs": jobs.listing()})

    async def start(request: Request) -> dict[str, Any]:
        from gallery_builder.google.errors import AlbumBusy
        from gallery_builder.google.signin import AUTH_HINT

        body = await json_body(request)
        if not connected():
            raise Refused(409, f"Google Photos is not connected: connect it at /api/google/signin, or {AUTH_HINT}",
                          connect="/api/google/signin")
        upload = await run_in_threadpool(_upload_request, settings, body)
        try:
            job = await run_in_threadpool(jobs.start, upload)
        except AlbumBusy as busy:
            raise Refused(409, str(busy), album=upload.album) from None
        return {"job": job.to_json()}

    def job_of(request: Request) -> Any:
        job = jobs.get(request.path_params["job_id"])
        if job is None:
            raise Refused(404, "no such upload (the sidecar restarted, or it ended long ago)")
        return job

    async def cancel(request: Request) -> dict[str, Any]:
        job = job_of(request)
        job.cancel.set()
        return {"job": job.to_json(), "cancelling": job.terminal is None}

    async def events(request: Request) -> Response:
        job = jobs.get(request.path_params["job_id"])
        if job is None:
            return json_answer({"error": "no such upload (the sidecar restarted, or it ended long ago)"}, 404)
        raw = request.headers.get("last-event-id") or request.query_params.get("after") or "0"
        after = int(raw) if raw.isdigit() else 0

        async def stream() -> AsyncIterator[str]:
            seen = after
            yield "retry: 2000\n\n"
            while True:
                found = await run_in_threadpool(job.after, seen, KEEP_ALIVE_SECONDS)
                if not found:
                    yield ": keep-alive\n\n"
                    continue
                for seq, kind, data in found:
                    seen = seq
                    yield f"id: {seq}\nevent: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"
                    if kind in TERMINAL:
                        return

        return StreamingResponse(stream(), media_type="text/event-stream", headers=STREAM_HEADERS)

    async def signin_page(request: Request) -> Response:
        from gallery_builder.google.errors import GoogleError
        from gallery_builder.google.signin import PasteBackSignIn

        refused = refusal(request, token())
        if refused is not None:
            reason = json.loads(refused.body).get("error", "")
            return _page(reason, '<p><a href="/signin?next=/api/google/signin">Sign in to the gallery</a> first.</p>',
                         403)
        try:
            attempt = await run_in_threadpool(PasteBackSignIn, settings)
        except GoogleError as error:
            return _page(str(error), "", 503)
        while len(attempts) >= MAX_SIGNIN_ATTEMPTS:
            attempts.pop(next(iter(attempts)))
        attempts[attempt.state] = attempt
        note = "Google Photos is connected; connecting again replaces the sign-in." if connected() else ""
        return _page(note, FORM.substitute(url=html.escape(attempt.url), state=html.escape(attempt.state)))

    async def signin_finish(request: Request) -> Response:
        from urllib.parse import parse_qs

        from gallery_builder.google.errors import GoogleError

        raw = await request.body()
        if len(raw) > 16384:
            return _page("that form is too large", "", 413)
        fields = {key: values[0] for key, values in parse_qs(raw.decode("utf-8", "replace")).items()}
        attempt = attempts.pop(fields.get("state", ""), None)
        if attempt is None:
            return _page("this sign-in attempt expired: start again", '<p><a href="/api/google/signin">Start again</a></p>',
                         400)
        try:
            await run_in_threadpool(attempt.finish, fields.get("url", ""))
        except GoogleError as error:
            return _page(str(error), '<p><a href="/api/google/signin">Start again</a></p>', 400)
        return _page("", "<p>Google Photos is connected. The upload buttons on collection and photo pages work now.</p>")

    base = "/api/google/uploads/{job_id}"
    return [
        Route("/api/google/status", status, methods=["GET"]),
        writing_route("/api/google/uploads", json_endpoint(start), token=token),
        writing_route(f"{base}/events", events, token=token, methods=("GET",)),
        writing_route(f"{base}/cancel", json_endpoint(cancel), token=token),
        Route("/api/google/signin", signin_page, methods=["GET"]),
        writing_route("/api/google/signin", signin_finish, token=token),
    ]
