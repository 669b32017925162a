"""Sign-in for the writing routes: sessions as signed cookies, a rate-limited sign-in, sign-out.

A session cookie is `expiry.nonce.signature`, the signature an HMAC-SHA256 of `expiry.nonce`
under the secret in <home>/auth.json; a new password brings a new secret, ending every session.
Sign-out remembers the nonce until its expiry (in memory). The routes live in search_api/signin.py.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import math
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from starlette.requests import Request
from starlette.responses import Response

from gallery_builder.core.passwords import AuthFileError, Credentials, auth_path, read_credentials
from search_api.write_guard import request_scheme

SESSION_COOKIE = "gallery_session"
SESSION_SECONDS = 30 * 24 * 3600


def client_address(request: Request) -> str:
    """The browser's address: the peer, or the last X-Forwarded-For hop when the peer is a proxy on
    this machine or the private network (nginx, or nginx in another container)."""
    peer = request.client.host if request.client else ""
    forwarded = request.headers.get("x-forwarded-for")
    try:
        peer_address = ipaddress.ip_address(peer)
    except ValueError:
        return peer
    if forwarded and (peer_address.is_loopback or peer_address.is_private):
        return forwarded.split(",")[-1].strip() or peer
    return peer


def is_https(request: Request) -> bool:
    return request_scheme(request) == "https"


@dataclass
class SignInLimiter:
    """Sign-in attempts per sliding window: `per_client` for one address and `overall` for all.
    An attempt counts from its start (so parallel guesses count too) and is forgiven on success."""

    per_client: int = 5
    overall: int = 20
    window: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _attempts: list[tuple[float, str]] = field(default_factory=list)

    def acquire(self, client: str) -> float | None:
        """None when `client` may try now (the attempt is recorded); else seconds to wait."""
        now = self.clock()
        self._attempts = [(at, who) for at, who in self._attempts if now - at < self.window]
        mine = [at for at, who in self._attempts if who == client]
        if len(mine) >= self.per_client:
            return self.window - (now - mine[0])
        if len(self._attempts) >= self.overall:
            return self.window - (now - self._attempts[0][0])
        self._attempts.append((now, client))
        return None

    def forgive(self, client: str) -> None:
        self._attempts = [(at, who) for at, who in self._attempts if who != client]


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


def _signature(secret: bytes, payload: str) -> str:
    digest = hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class SessionKeeper:
    """The sidecar's view of auth.json (re-read when the file changes) and of its sessions."""

    def __init__(self, home: Path, clock: Callable[[], float] = time.time,
                 limiter: SignInLimiter | None = None) -> None:
        self.home = Path(home)
        self.clock = clock
        self.limiter = limiter or SignInLimiter()
        self._file_key: tuple[int, int, int] | None = None
        self._credentials: Credentials | None = None
        self._problem = ""
        self._ended: dict[str, float] = {}  # nonce -> expiry, for sessions signed out before expiry

    def credentials(self) -> Credentials | None:
        """The stored password and secret, or None when none is set (or auth.json is unreadable)."""
        try:
            stat = os.stat(auth_path(self.home))
        except FileNotFoundError:
            self._file_key, self._credentials, self._problem = None, None, ""
            return None
        key = (stat.st_mtime_ns, stat.st_ino, stat.st_size)
        if key != self._file_key:
            try:
                self._credentials, self._problem = read_credentials(self.home), ""
            except (AuthFileError, OSError) as error:
                self._credentials, self._problem = None, str(error)
            self._file_key = key
        return self._credentials

    def writing_enabled(self) -> bool:
        return self.credentials() is not None

    def how_to_enable(self) -> str:
        problem = f" ({self._problem})" if self.credentials() is None and self._problem else ""
        return (f"writing is off{problem}: run `gallery passwd --home {self.home}` on the NAS to set a password,"
                " then sign in at /signin")

    def new_session(self) -> str:
        credentials = self.credentials()
        if credentials is None:
            raise RuntimeError("no password is set")
        payload = f"{int(self.clock()) + SESSION_SECONDS}.{secrets.token_urlsafe(16)}"
        return f"{payload}.{_signature(credentials.secret, payload)}"

    def _valid_nonce(self, value: str) -> str | None:
        """The nonce of a cookie value that is well signed, unexpired and not signed out."""
        credentials = self.credentials()
        parts = value.split(".")
        if credentials is None or len(parts) != 3 or not parts[0].isdigit():
            return None
        expiry, nonce, signature = parts
        if not hmac.compare_digest(signature, _signature(credentials.secret, f"{expiry}.{nonce}")):
            return None
        if int(expiry) <= self.clock() or nonce in self._ended:
            return None
        return nonce

    def is_signed_in(self, request: Request) -> bool:
        return self._valid_nonce(request.cookies.get(SESSION_COOKIE, "")) is not None

    def end_session(self, request: Request) -> None:
        value = request.cookies.get(SESSION_COOKIE, "")
        nonce = self._valid_nonce(value)
        if nonce is not None:
            now = self.clock()
            self._ended = {ended: expiry for ended, expiry in self._ended.items() if expiry > now}
            self._ended[nonce] = float(value.split(".")[0])

    def set_cookie(self, response: Response, request: Request) -> None:
        response.set_cookie(SESSION_COOKIE, self.new_session(), max_age=SESSION_SECONDS, path="/", httponly=True,
                            samesite="Strict", secure=is_https(request))

    @staticmethod
    def clear_cookie(response: Response, request: Request) -> None:
        response.set_cookie(SESSION_COOKIE, "", max_age=0, expires=0, path="/", httponly=True, samesite="Strict",
                            secure=is_https(request))
