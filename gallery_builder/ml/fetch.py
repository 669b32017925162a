"""`gallery models fetch`: download a pre-exported CLIP bundle from a model hub, resumably, checked.

The hub is Hugging Face's layout (Immich publishes its bundles there as `immich-app/<NAME>`): the
file list with sizes and checksums comes from `<base>/api/models/<repo>/tree/main?recursive=true`,
files from `<base>/<repo>/resolve/main/<path>`. Large files carry a SHA-256 (`lfs.oid`), small ones
their git blob SHA-1 (`oid`). Files are downloaded into `<models>/clip/.partial-<NAME>/` (a `.part`
file resumes with an HTTP Range request) and the folder is renamed into place when all are good.
"""
from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import shutil
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import quote

from gallery_builder.ml.clip_bundle import PART_FILES, CONFIG_FILE, check_name, clip_root

DEFAULT_HUB = "https://huggingface.co"
DEFAULT_ORG = "immich-app"
CHUNK = 1 << 20
ATTEMPTS = 5
TIMEOUT = 60


class FetchError(RuntimeError):
    """The download cannot finish; the message says why and what to do."""


@dataclass(frozen=True)
class RemoteFile:
    path: str
    size: int
    sha256: str | None = None
    git_sha1: str | None = None


def is_wanted(path: str) -> bool:
    """config.json and the files directly in visual/ and textual/ (not the hub's fp16/armnn/rknpu variants)."""
    parts = path.split("/")
    if parts == [CONFIG_FILE]:
        return True
    if len(parts) != 2 or parts[0] not in {"visual", "textual"}:
        return False
    name = parts[1]
    return name.startswith("model.onnx") or name.endswith(".json") or name in {"merges.txt", "vocab.txt"}


def _open(url: str, headers: dict[str, str] | None = None) -> object:
    request = urllib.request.Request(url, headers={"User-Agent": "gallery-builder", **(headers or {})})
    return urllib.request.urlopen(request, timeout=TIMEOUT)  # noqa: S310 - http(s) URLs the user chose


def list_remote_files(base: str, repo: str, revision: str = "main",
                      wanted: Callable[[str], bool] = is_wanted) -> list[RemoteFile]:
    """The wanted files of a hub repository with their sizes and checksums (following pagination)."""
    url: str | None = f"{base.rstrip('/')}/api/models/{repo}/tree/{quote(revision)}?recursive=true"
    found: list[RemoteFile] = []
    while url:
        try:
            with _open(url) as response:  # type: ignore[attr-defined]
                entries = json.loads(response.read().decode("utf-8"))
                link = response.headers.get("Link", "")
        except urllib.error.HTTPError as error:
            if error.code in (401, 404):
                raise FetchError(f"{repo} was not found at {base} (HTTP {error.code}); check the model name"
                                 f" (`gallery models list` shows the form, e.g. ViT-B-32__laion2b-s34b-b79k)") from error
            raise FetchError(f"listing {url} failed: HTTP {error.code}") from error
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise FetchError(f"cannot reach {base} to list {repo}: {error}") from error
        for entry in entries:
            if entry.get("type") == "file" and wanted(entry["path"]):
                lfs = entry.get("lfs") or {}
                found.append(RemoteFile(entry["path"], int(lfs.get("size", entry.get("size", 0))),
                                        lfs.get("oid") or lfs.get("sha256"), None if lfs else entry.get("oid")))
        match = re.search(r'<([^>]+)>;\s*rel="next"', link)
        url = match.group(1) if match else None
    return found


def checksum_ok(path: Path, remote: RemoteFile) -> bool:
    if path.stat().st_size != remote.size:
        return False
    if remote.sha256:
        digest = hashlib.sha256()
    elif remote.git_sha1:
        digest = hashlib.sha1()  # noqa: S324 - git's blob id, an integrity check, not security
        digest.update(f"blob {remote.size}\0".encode())
    else:
        return True
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest() == (remote.sha256 or remote.git_sha1)


def download(url: str, part: Path, size: int, progress: Callable[[int], None]) -> None:
    """Fill `part` up to `size` bytes, resuming from what it holds; retries dropped connections
    (a transfer that ends early, with or without an error, continues with a Range request)."""
    for attempt in range(ATTEMPTS):
        have = part.stat().st_size if part.exists() else 0
        if have >= size:
            return
        headers = {"Range": f"bytes={have}-"} if have else {}
        try:
            with _open(url, headers) as response:  # type: ignore[attr-defined]
                mode = "ab" if have and response.status == 206 else "wb"
                with part.open(mode) as handle:
                    for block in iter(lambda: response.read(CHUNK), b""):
                        handle.write(block)
                        progress(len(block))
        except urllib.error.HTTPError as error:
            if error.code == 416:  # the part is already complete (or longer: the checksum decides)
                return
            raise FetchError(f"downloading {url} failed: HTTP {error.code}") from error
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
            if attempt == ATTEMPTS - 1:
                raise FetchError(f"downloading {url} kept failing ({error}); run the command again to resume") from error
            time.sleep(min(2 ** attempt, 10) * 0.2)
    if (part.stat().st_size if part.exists() else 0) < size:
        raise FetchError(f"downloading {url} kept stopping early; run the command again to resume")


def fetch_bundle(models_dir: str | Path, name: str, base: str = DEFAULT_HUB, org: str = DEFAULT_ORG,
                 log: Callable[[str], None] = print, progress: Callable[[int], None] = lambda size: None) -> Path:
    """Download NAME into <models>/clip/NAME; returns the folder. Safe to interrupt and run again."""
    check_name(name)
    repo = f"{org}/{name}"
    files = list_remote_files(base, repo)
    missing = [item for part in PART_FILES.values() for item in part if item not in {f.path for f in files}]
    if CONFIG_FILE not in {f.path for f in files}:
        missing.insert(0, CONFIG_FILE)
    if missing:
        raise FetchError(f"{repo} at {base} lacks {', '.join(missing)}: not a CLIP bundle in the expected layout")
    return install_files(files, base, repo, clip_root(models_dir) / name, log, progress)


def install_files(files: list[RemoteFile], base: str, repo: str, final: Path, log: Callable[[str], None],
                  progress: Callable[[int], None]) -> Path:
    """Download a hub repository's `files` into `final`: nothing when every file there matches its
    checksum; else through a staging folder beside it (partial downloads resume, each file is checked)
    swapped into place at the end."""
    if all((final / remote.path).is_file() and checksum_ok(final / remote.path, remote) for remote in files):
        log(f"  {final.name} is already installed and every file matches its checksum")
        return final
    staging = final.with_name(f".partial-{final.name}")
    for remote in files:
        target = staging / remote.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() and checksum_ok(target, remote):
            log(f"  {remote.path}: already here")
            continue
        part = target.with_name(target.name + ".part")
        log(f"  {remote.path}: {remote.size / 1e6:.1f} MB" + (f" (resuming at {part.stat().st_size / 1e6:.1f} MB)"
                                                               if part.exists() and part.stat().st_size else ""))
        download(f"{base.rstrip('/')}/{repo}/resolve/main/{quote(remote.path)}", part, remote.size, progress)
        if not checksum_ok(part, remote):
            part.unlink()
            raise FetchError(f"{remote.path}: checksum mismatch (the download was removed); run the command again")
        os.replace(part, target)
    return publish_folder(staging, final)


def publish_folder(staging: Path, final: Path) -> Path:
    """Swap the finished folder into place (an older copy is removed only after the swap)."""
    old = final.with_name(f".old-{final.name}")
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        os.replace(final, old)
    os.replace(staging, final)
    if old.exists():
        shutil.rmtree(old)
    return final
