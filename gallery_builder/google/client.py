"""The Photos Library API, as far as an appendonly upload needs it: albums.create, uploads (raw, or
resumable for large files), mediaItems.batchCreate and albums.batchAddMediaItems. Every request
retries 429 and 5xx answers with exponential backoff and jitter; a daily quota ends the run.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from gallery_builder.config import Settings
from gallery_builder.google.errors import (GoogleError, InvalidMediaItem, QuotaExhausted, SignInRefused,
                                           Unreachable)
from gallery_builder.google.signin import AUTH_HINT, save_credentials

RETRIES = 6
RETRIED_STATUSES = {429, 500, 502, 503, 504}
RESUMABLE_FROM = 32 * 1024 * 1024   # files this large go by the resumable protocol (large videos)
CHUNK = 8 * 1024 * 1024             # resumable chunk (rounded to the server's granularity)
READ_BLOCK = 256 * 1024
BytesSent = Callable[[int], None]   # called with the bytes of this file sent so far


class FileSlice:
    """`length` bytes of a file from `offset`, read as the HTTP client sends them (never all in memory);
    reports progress through `on_bytes(sent)` with `base` added."""

    def __init__(self, path: Path, offset: int, length: int, on_bytes: BytesSent, base: int = 0) -> None:
        self.handle = open(path, "rb")  # noqa: SIM115 (closed when fully read or by close())
        self.handle.seek(offset)
        self.left, self.length, self.sent, self.on_bytes, self.base = length, length, 0, on_bytes, base

    def __len__(self) -> int:
        return self.length

    def read(self, size: int = -1) -> bytes:
        want = self.left if size is None or size < 0 else min(max(size, READ_BLOCK), self.left)
        data = self.handle.read(want) if want > 0 else b""
        self.left -= len(data)
        self.sent += len(data)
        if data:
            self.on_bytes(self.base + self.sent)
        if not data or self.left <= 0:
            self.handle.close()
        return data

    def close(self) -> None:
        self.handle.close()


@dataclass(frozen=True)
class Created:
    """One item of a batchCreate answer: the media item id, or the error Google gave for it."""

    upload_token: str
    media_item_id: str | None
    error: str | None


def _reason(response: Any) -> str:
    try:
        error = response.json().get("error", {})
        if isinstance(error, dict):
            return str(error.get("message") or error.get("status") or response.text[:200])
        return str(response.json().get("error_description") or error)
    except ValueError:
        return response.text[:200] or response.reason or str(response.status_code)


def _daily_quota(response: Any) -> bool:
    if response.status_code != 429:
        return False
    reason = _reason(response).lower()
    return "quota" in reason and "per day" in reason


class PhotosClient:
    """An authorised HTTP session to the Photos Library API (tokens refresh themselves and are saved)."""

    def __init__(self, settings: Settings, credentials: Any, *, sleep: Callable[[float], None] = time.sleep,
                 resumable_from: int = RESUMABLE_FROM, chunk: int = CHUNK) -> None:
        from google.auth.transport.requests import AuthorizedSession

        self.settings, self.credentials, self.sleep = settings, credentials, sleep
        self.base = settings.google_api_base.rstrip("/")
        self.resumable_from, self.chunk = resumable_from, chunk
        self.session = AuthorizedSession(credentials)
        self._saved_token = credentials.token

    # -- one request, with retries -------------------------------------------------------------------
    def request(self, method: str, url: str, *, body: Callable[[], Any] | None = None,
                json: Any = None, headers: dict[str, str] | None = None, retry: bool = True) -> Any:
        """The answer to one API request; 429/5xx and dropped connections are retried with backoff.
        `body` makes a fresh request body for each attempt (a file is read again from its start)."""
        import requests
        from google.auth.exceptions import RefreshError, TransportError

        url = url if url.startswith("http") else self.base + url
        for attempt in range(RETRIES + 1):
            try:
                response = self.session.request(method, url, data=body() if body else None, json=json,
                                                headers=headers, timeout=(15, 300))
            except RefreshError as error:
                raise SignInRefused(f"Google refused the stored sign-in ({_first_line(error)}): {AUTH_HINT}") from None
            except (requests.ConnectionError, requests.Timeout, TransportError) as error:
                if not retry or attempt == RETRIES:
                    raise Unreachable(f"cannot reach {url.split('?')[0]}: {_first_line(error)}") from None
                self.sleep(self._pause(attempt, None))
                continue
            self._save_refreshed_token()
            if _daily_quota(response):
                raise QuotaExhausted(f"the Google Photos daily quota is used up ({_reason(response)}); "
                                     "run the upload again tomorrow: it resumes where it stopped")
            if response.status_code in RETRIED_STATUSES and retry and attempt < RETRIES:
                self.sleep(self._pause(attempt, response.headers.get("Retry-After")))
                continue
            if response.status_code == 401:
                raise SignInRefused(f"Google refused the stored sign-in (401 {_reason(response)}): {AUTH_HINT}")
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _pause(self, attempt: int, retry_after: str | None) -> float:
        """Full jitter over an exponentially growing ceiling; a server's Retry-After is a floor."""
        ceiling = min(64.0, self.settings.google_retry_seconds * (2 ** attempt))
        floor = float(retry_after) if retry_after and retry_after.isdigit() else 0.0
        return max(floor, random.uniform(ceiling / 2, ceiling))

    def _save_refreshed_token(self) -> None:
        if self.credentials.token != self._saved_token:
            save_credentials(self.settings, self.credentials)
            self._saved_token = self.credentials.token

    def _failed(self, what: str, response: Any) -> GoogleError:
        return GoogleError(f"{what} failed: {response.status_code} {_reason(response)}")

    # -- the API ---------------------------------------------------------------------------------------
    def create_album(self, title: str) -> str:
        """Create an album; its API id (not the id in Google Photos URLs)."""
        response = self.request("POST", "/v1/albums", json={"album": {"title": title}})
        if response.status_code != 200:
            raise self._failed(f"creating the album {title!r}", response)
        return str(response.json()["id"])

    def upload(self, path: Path, size: int, mime: str, on_bytes: BytesSent) -> str:
        """Send a file's bytes; its upload token (valid for a day)."""
        if size >= self.resumable_from:
            return self._upload_resumable(path, size, mime, on_bytes)
        headers = {"Content-Type": "application/octet-stream", "X-Goog-Upload-Content-Type": mime,
                   "X-Goog-Upload-Protocol": "raw"}
        response = self.request("POST", "/v1/uploads", body=lambda: FileSlice(path, 0, size, on_bytes),
                                headers=headers)
        if response.status_code != 200 or not response.text:
            raise self._failed(f"uploading {path.name}", response)
        return response.text.strip()

    def _upload_resumable(self, path: Path, size: int, mime: str, on_bytes: BytesSent) -> str:
        start = self.request("POST", "/v1/uploads", headers={
            "Content-Length": "0", "X-Goog-Upload-Command": "start", "X-Goog-Upload-Content-Type": mime,
            "X-Goog-Upload-Protocol": "resumable", "X-Goog-Upload-Raw-Size": str(size)})
        url = start.headers.get("X-Goog-Upload-URL")
        if start.status_code != 200 or not url:
            raise self._failed(f"starting the upload of {path.name}", start)
        granularity = int(start.headers.get("X-Goog-Upload-Chunk-Granularity") or 262144)
        chunk = max(granularity, self.chunk // granularity * granularity)
        offset, broken = 0, 0
        while True:
            length = min(chunk, size - offset)
            last = offset + length >= size
            headers = {"X-Goog-Upload-Command": "upload, finalize" if last else "upload",
                       "X-Goog-Upload-Offset": str(offset)}
            try:
                answer = self.request("POST", url, headers=headers, retry=False,
                                      body=lambda: FileSlice(path, offset, length, on_bytes, base=offset))
            except Unreachable:
                answer = None
            if answer is not None and answer.status_code == 200:
                if last:
                    return answer.text.strip()
                offset += length
                continue
            if answer is not None and answer.status_code not in RETRIED_STATUSES:
                raise self._failed(f"uploading {path.name}", answer)
            broken += 1
            if broken > RETRIES:
                raise Unreachable(f"the upload of {path.name} kept failing at byte {offset}")
            self.sleep(self._pause(broken - 1, None))
            offset = self._received(url, path)

    def _received(self, url: str, path: Path) -> int:
        """Ask a resumable session how many bytes arrived (the protocol's `query` command)."""
        answer = self.request("POST", url, headers={"X-Goog-Upload-Command": "query", "Content-Length": "0"})
        if answer.status_code != 200 or answer.headers.get("X-Goog-Upload-Status") != "active":
            raise self._failed(f"resuming the upload of {path.name}", answer)
        return int(answer.headers.get("X-Goog-Upload-Size-Received") or 0)

    def batch_create(self, album_id: str, items: list[tuple[str, str]]) -> list[Created]:
        """Create media items from (upload token, file name) pairs in the album (at most 50)."""
        body = {"albumId": album_id, "newMediaItems": [
            {"description": "", "simpleMediaItem": {"uploadToken": token, "fileName": name}} for token, name in items]}
        response = self.request("POST", "/v1/mediaItems:batchCreate", json=body)
        if response.status_code not in (200, 207):
            raise self._failed("mediaItems:batchCreate", response)
        results = []
        for result in response.json().get("newMediaItemResults", []):
            status, item = result.get("status") or {}, result.get("mediaItem") or {}
            ok = item.get("id") and status.get("code", 0) == 0
            results.append(Created(result.get("uploadToken", ""), item.get("id") if ok else None,
                                   None if ok else str(status.get("message") or "not created")))
        return results

    def batch_add(self, album_id: str, media_item_ids: list[str]) -> None:
        """Add existing media items (made by this app) to the album; InvalidMediaItem when one is gone."""
        response = self.request("POST", f"/v1/albums/{album_id}:batchAddMediaItems",
                                json={"mediaItemIds": media_item_ids})
        if response.status_code == 400 and "media item" in _reason(response).lower():
            raise InvalidMediaItem(_reason(response))
        if response.status_code != 200:
            raise self._failed("albums:batchAddMediaItems", response)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:200]
