"""The writing password: its scrypt hash and the session-signing secret in `<home>/auth.json`.

Stdlib only (the sidecar reads it). `gallery passwd` writes the file (atomically, mode 0600);
a new password brings a new secret, so every session signed with the old one ends.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from gallery_builder.core.files import temp_path_for

AUTH_FILE = "auth.json"
# scrypt cost: N=2**15, r=8, p=1 uses 32 MiB and took ~70 ms per hash on the development box
# (2 cores); N=2**14 took ~28 ms. Stored with each hash, so a later change keeps old files valid.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
_HASH_BYTES = 32
# One verification at a time: each costs 32 MiB and a core for ~70 ms.
_verify_lock = threading.Lock()


class AuthFileError(ValueError):
    """auth.json exists but cannot be read as a password file."""


@dataclass(frozen=True)
class Credentials:
    """What auth.json holds: the password's scrypt hash with its salt and costs, and the secret
    that signs session cookies."""

    salt: bytes
    hash: bytes
    n: int
    r: int
    p: int
    secret: bytes


def auth_path(home: Path) -> Path:
    return Path(home) / AUTH_FILE


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=256 * r * n + (1 << 20), dklen=_HASH_BYTES)


def make_credentials(password: str) -> Credentials:
    """A fresh salt, hash and session secret for `password`."""
    if not password:
        raise ValueError("the password is empty")
    salt = secrets.token_bytes(16)
    return Credentials(salt=salt, hash=_scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P),
                       n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, secret=secrets.token_bytes(32))


def verify_password(credentials: Credentials, password: str) -> bool:
    """True when `password` hashes to the stored hash (compared in constant time)."""
    with _verify_lock:
        offered = _scrypt(password, credentials.salt, credentials.n, credentials.r, credentials.p)
    return hmac.compare_digest(offered, credentials.hash)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def save_credentials(home: Path, credentials: Credentials) -> Path:
    """Write auth.json atomically; the temp file is created with mode 0600, so the hash and the
    secret are never readable by others, not even for a moment."""
    path = auth_path(home)
    body = json.dumps({"scrypt": {"n": credentials.n, "r": credentials.r, "p": credentials.p,
                                  "salt": _b64(credentials.salt), "hash": _b64(credentials.hash)},
                       "session_secret": _b64(credentials.secret)}, indent=1).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_path_for(path)
    temp.unlink(missing_ok=True)
    try:
        descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o600)  # the umask can only narrow O_CREAT's mode; make it exactly 0600
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return path


def remove_credentials(home: Path) -> bool:
    """Delete auth.json (writing off); False when there was none."""
    try:
        auth_path(home).unlink()
        return True
    except FileNotFoundError:
        return False


def read_credentials(home: Path) -> Credentials | None:
    """The stored credentials, or None when no password is set."""
    path = auth_path(home)
    try:
        data = json.loads(path.read_bytes())
        scrypt = data["scrypt"]
        return Credentials(salt=base64.b64decode(scrypt["salt"]), hash=base64.b64decode(scrypt["hash"]),
                           n=int(scrypt["n"]), r=int(scrypt["r"]), p=int(scrypt["p"]),
                           secret=base64.b64decode(data["session_secret"]))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as error:
        raise AuthFileError(f"{path} is not a password file ({error}); run `gallery passwd` again") from error
