"""A protocol-faithful stand-in for Google's OAuth token endpoint and the Photos Library API, served on
127.0.0.1 by the tests: authorization-code and refresh grants, revocation, raw and resumable uploads,
albums, mediaItems:batchCreate (with per-item failures), albums:batchAddMediaItems (400 for a media item
Google no longer has), and faults queued by the test (429, 500, the daily quota, a dropped connection).
It records what it received, so tests can count how often each file's bytes arrived."""
from __future__ import annotations

import hashlib
import http.server
import itertools
import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

DAILY_QUOTA = ("Quota exceeded for quota metric 'All requests' and limit 'All requests per day' of service "
               "'photoslibrary.googleapis.com' for consumer 'project_number:1'.")


@dataclass
class Fault:
    """Answer the next request whose path starts with `prefix` with `status` and `body` (once)."""

    prefix: str
    status: int
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False     # close the connection without an answer


class FakeGoogle:
    def __init__(self, expires_in: int = 3600) -> None:
        self.lock = threading.Lock()
        self.counter = itertools.count(1)
        self.expires_in = expires_in
        self.codes: set[str] = set()                   # authorization codes the "consent screen" handed out
        self.refresh_tokens: set[str] = set()
        self.access_tokens: dict[str, str] = {}        # access token -> its refresh token
        self.revoked: set[str] = set()
        self.upload_tokens: dict[str, tuple[str, str]] = {}   # token -> (sha256 of bytes, content type)
        self.used_tokens: set[str] = set()
        self.sessions: dict[str, dict[str, Any]] = {}  # resumable upload sessions
        self.albums: dict[str, dict[str, Any]] = {}    # id -> {"title", "items": [...]}
        self.media_items: dict[str, str] = {}          # id -> sha256
        self.deleted_items: set[str] = set()
        self.received = Counter()                      # sha256 of a file's bytes -> complete uploads
        self.created = Counter()                       # sha256 -> media items created
        self.faults: list[Fault] = []
        self.fail_names: set[str] = set()              # batchCreate answers an error for these file names
        self.requests: list[str] = []                  # "METHOD path" of every request
        self.on_upload: Callable[[int], None] | None = None  # called with the count of complete uploads
        self.grants: list[dict[str, str]] = []
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def environ(self) -> dict[str, str]:
        return {"GALLERY_GOOGLE_TOKEN_URI": f"{self.base}/token", "GALLERY_GOOGLE_REVOKE_URI": f"{self.base}/revoke",
                "GALLERY_GOOGLE_API_BASE": self.base, "GALLERY_GOOGLE_RETRY_SECONDS": "0.01",
                "OAUTHLIB_INSECURE_TRANSPORT": "1"}

    def issue_code(self) -> str:
        code = f"code-{next(self.counter)}"
        self.codes.add(code)
        return code

    def stored_token(self) -> dict[str, Any]:
        """A token file's content as a finished sign-in would have written it."""
        refresh = f"rt-{next(self.counter)}"
        access = f"at-{next(self.counter)}"
        self.refresh_tokens.add(refresh)
        self.access_tokens[access] = refresh
        return {"token": access, "refresh_token": refresh, "client_id": "client-1.apps.googleusercontent.com",
                "client_secret": "secret-1", "scopes": ["https://www.googleapis.com/auth/photoslibrary.appendonly"],
                "expiry": None}

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- the HTTP side ------------------------------------------------------------------------------------
    def _handler(self) -> type:
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 1 << 16  # one write per answer (headers and body), as a real server does: no Nagle stalls

            def log_message(self, *args: Any) -> None:
                return

            def answer(self, status: int, body: Any = None, headers: dict[str, str] | None = None,
                       text: str | None = None) -> None:
                data = text.encode() if text is not None else json.dumps(body if body is not None else {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain" if text is not None else "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def do_POST(self) -> None:
                path = urlsplit(self.path).path
                with fake.lock:
                    fake.requests.append(f"POST {path}")
                    fault = next((item for item in fake.faults if path.startswith(item.prefix)), None)
                    if fault is not None:
                        fake.faults.remove(fault)
                if fault is not None:
                    self.body()
                    if fault.drop:
                        self.close_connection = True
                        self.connection.close()
                        return
                    return self.answer(fault.status, fault.body, fault.headers)
                if path == "/token":
                    return self.token()
                if path == "/revoke":
                    return self.revoke()
                if not self.authorised():
                    self.body()
                    return self.answer(401, {"error": {"code": 401, "message": "Request had invalid authentication "
                                                       "credentials.", "status": "UNAUTHENTICATED"}})
                if path == "/v1/uploads":
                    return self.upload()
                if path.startswith("/v1/upload-sessions/"):
                    return self.resumable(path.rsplit("/", 1)[1])
                if path == "/v1/albums":
                    return self.create_album()
                if path == "/v1/mediaItems:batchCreate":
                    return self.batch_create()
                if path.startswith("/v1/albums/") and path.endswith(":batchAddMediaItems"):
                    return self.batch_add(path[len("/v1/albums/"):-len(":batchAddMediaItems")])
                self.body()
                self.answer(404, {"error": {"code": 404, "message": "not found", "status": "NOT_FOUND"}})

            def authorised(self) -> bool:
                value = self.headers.get("Authorization", "")
                token = value[len("Bearer "):] if value.startswith("Bearer ") else ""
                with fake.lock:
                    refresh = fake.access_tokens.get(token)
                    return refresh is not None and refresh not in fake.revoked

            # -- OAuth ------------------------------------------------------------------------------------
            def token(self) -> None:
                form = {key: values[0] for key, values in parse_qs(self.body().decode()).items()}
                with fake.lock:
                    fake.grants.append(form)
                    grant = form.get("grant_type")
                    if grant == "authorization_code" and form.get("code") in fake.codes and form.get("code_verifier"):
                        fake.codes.discard(form["code"])
                        refresh = f"rt-{next(fake.counter)}"
                        fake.refresh_tokens.add(refresh)
                    elif grant == "refresh_token" and form.get("refresh_token") in fake.refresh_tokens \
                            and form["refresh_token"] not in fake.revoked:
                        refresh = form["refresh_token"]
                    else:
                        return self.answer(400, {"error": "invalid_grant", "error_description": "Bad Request"})
                    access = f"at-{next(fake.counter)}"
                    fake.access_tokens[access] = refresh
                body = {"access_token": access, "expires_in": fake.expires_in, "token_type": "Bearer",
                        "scope": "https://www.googleapis.com/auth/photoslibrary.appendonly"}
                if grant == "authorization_code":
                    body["refresh_token"] = refresh
                self.answer(200, body)

            def revoke(self) -> None:
                form = {key: values[0] for key, values in parse_qs(self.body().decode()).items()}
                token = form.get("token", "")
                with fake.lock:
                    refresh = token if token in fake.refresh_tokens else fake.access_tokens.get(token)
                    if refresh is None:
                        return self.answer(400, {"error": "invalid_token", "error_description": "Token expired or revoked"})
                    fake.revoked.add(refresh)
                self.answer(200, {})

            # -- uploads ----------------------------------------------------------------------------------
            def finish_upload(self, digest: str, content_type: str) -> str:
                with fake.lock:
                    token = f"upload-token-{next(fake.counter)}"
                    fake.upload_tokens[token] = (digest, content_type)
                    fake.received[digest] += 1
                    count = sum(fake.received.values())
                if fake.on_upload is not None:
                    fake.on_upload(count)
                return token

            def upload(self) -> None:
                protocol = self.headers.get("X-Goog-Upload-Protocol")
                content_type = self.headers.get("X-Goog-Upload-Content-Type", "")
                if protocol == "raw":
                    digest = hashlib.sha256()
                    left = int(self.headers.get("Content-Length") or 0)
                    while left:
                        chunk = self.rfile.read(min(left, 1 << 20))
                        if not chunk:
                            return
                        digest.update(chunk)
                        left -= len(chunk)
                    return self.answer(200, text=self.finish_upload(digest.hexdigest(), content_type))
                if protocol == "resumable" and self.headers.get("X-Goog-Upload-Command") == "start":
                    self.body()
                    session = f"s{next(fake.counter)}"
                    with fake.lock:
                        fake.sessions[session] = {"size": int(self.headers["X-Goog-Upload-Raw-Size"]),
                                                  "data": hashlib.sha256(), "received": 0, "type": content_type}
                    host = self.headers.get("Host")
                    return self.answer(200, {}, {"X-Goog-Upload-URL": f"http://{host}/v1/upload-sessions/{session}",
                                                 "X-Goog-Upload-Status": "active",
                                                 "X-Goog-Upload-Chunk-Granularity": "262144"})
                self.body()
                self.answer(400, {"error": {"code": 400, "message": "Invalid upload protocol",
                                            "status": "INVALID_ARGUMENT"}})

            def resumable(self, name: str) -> None:
                session = fake.sessions.get(name)
                command = self.headers.get("X-Goog-Upload-Command", "")
                data = self.body()
                if session is None:
                    return self.answer(404, {"error": {"code": 404, "message": "no such upload session"}})
                if command == "query":
                    return self.answer(200, {}, {"X-Goog-Upload-Status": "active",
                                                 "X-Goog-Upload-Size-Received": str(session["received"])})
                if int(self.headers.get("X-Goog-Upload-Offset", "-1")) != session["received"]:
                    return self.answer(400, {"error": {"code": 400, "message": "wrong offset"}})
                session["data"].update(data)
                session["received"] += len(data)
                if "finalize" in command:
                    if session["received"] != session["size"]:
                        return self.answer(400, {"error": {"code": 400, "message": "size mismatch"}})
                    fake.sessions.pop(name)
                    return self.answer(200, text=self.finish_upload(session["data"].hexdigest(), session["type"]),
                                       headers={"X-Goog-Upload-Status": "final"})
                self.answer(200, {}, {"X-Goog-Upload-Status": "active"})

            # -- albums and media items --------------------------------------------------------------------
            def create_album(self) -> None:
                title = json.loads(self.body())["album"]["title"]
                with fake.lock:
                    album_id = f"AF1Qip{next(fake.counter):06d}"
                    fake.albums[album_id] = {"title": title, "items": []}
                self.answer(200, {"id": album_id, "title": title, "isWriteable": True,
                                  "productUrl": f"https://photos.google.com/lr/album/{album_id}"})

            def batch_create(self) -> None:
                request = json.loads(self.body())
                items = request.get("newMediaItems", [])
                album = fake.albums.get(request.get("albumId", ""))
                if album is None or not 1 <= len(items) <= 50:
                    return self.answer(400, {"error": {"code": 400, "message": "Request contains an invalid argument.",
                                                       "status": "INVALID_ARGUMENT"}})
                results, failed = [], False
                with fake.lock:
                    for item in items:
                        token = item["simpleMediaItem"]["uploadToken"]
                        name = item["simpleMediaItem"].get("fileName", "")
                        if token not in fake.upload_tokens or token in fake.used_tokens or name in fake.fail_names:
                            failed = True
                            results.append({"uploadToken": token, "status": {
                                "code": 3, "message": "Failed: There was an error while trying to create this media item."}})
                            continue
                        fake.used_tokens.add(token)
                        media_id = f"MI{next(fake.counter):08d}"
                        digest = fake.upload_tokens[token][0]
                        fake.media_items[media_id] = digest
                        fake.created[digest] += 1
                        album["items"].append(media_id)
                        results.append({"uploadToken": token, "status": {"message": "Success"},
                                        "mediaItem": {"id": media_id, "filename": name}})
                self.answer(207 if failed else 200, {"newMediaItemResults": results})

            def batch_add(self, album_id: str) -> None:
                ids = json.loads(self.body()).get("mediaItemIds", [])
                with fake.lock:
                    album = fake.albums.get(album_id)
                    if album is None or any(item not in fake.media_items or item in fake.deleted_items for item in ids):
                        return self.answer(400, {"error": {"code": 400, "message": "Request contains an invalid media "
                                                           "item id.", "status": "INVALID_ARGUMENT"}})
                    album["items"].extend(item for item in ids if item not in album["items"])
                self.answer(200, {})

        return Handler
