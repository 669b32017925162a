"""Site generations on disk: where they live, their manifests, the atomic swap and the clean-up.

    <out>                          symlink -> <out>-generations/<n> (what nginx serves)
    <out>-generations/<n>/         one complete site; photo buckets and assets are symlinks into store/
    <out>-generations/<n>.json     its manifest: its own pages' fingerprints and files, its units'
    <out>-generations/store/       immutable shared folders (photos/<bucket>.<hash>, assets/<hash>),
                                   each unit's page entries beside it (photos/<bucket>.<hash>.json)

A build writes `<n>.tmp`, renames it to `<n>` and swaps the symlink with one rename, so a reader
sees either the old site or the new one. The previous generation is kept; older ones are removed.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

MANIFEST_VERSION = 2     # 2: units as [fingerprint, store name, pages], their pages in the store


class PublishError(RuntimeError):
    """The output location cannot be used (not ours, locked by another build, ...)."""


@dataclass(frozen=True)
class SiteLayout:
    out: Path

    @property
    def generations(self) -> Path:
        return self.out.parent / f"{self.out.name}-generations"

    @property
    def store(self) -> Path:
        return self.generations / "store"

    def generation_dir(self, number: int) -> Path:
        return self.generations / str(number)

    def manifest_path(self, number: int) -> Path:
        return self.generations / f"{number}.json"

    def current(self) -> int | None:
        """The generation `out` points to, or None for a first build (or a broken link)."""
        if not self.out.is_symlink():
            if self.out.exists():
                raise PublishError(f"{self.out} exists and is not a site published by `gallery build` "
                                   "(expected a symlink to a generation); move it away or choose --out")
            return None
        target = Path(os.path.realpath(self.out))
        if target.parent != Path(os.path.realpath(self.generations)) or not target.name.isdigit():
            raise PublishError(f"{self.out} points to {target}, not to a generation in {self.generations}")
        number = int(target.name)
        if not target.is_dir() or not self.manifest_path(number).exists():
            return None
        return number

    def next_number(self) -> int:
        numbers = [int(path.name) for path in self.generations.glob("*") if path.name.isdigit()]
        return max(numbers, default=0) + 1


def read_manifest(layout: SiteLayout, number: int | None) -> dict[str, Any]:
    empty: dict[str, Any] = {"version": MANIFEST_VERSION, "generation": None, "pages": {}, "units": {}, "assets": ""}
    if number is None:
        return empty
    try:
        data = json.loads(layout.manifest_path(number).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return empty
    return data if data.get("version") == MANIFEST_VERSION else empty


def write_manifest(layout: SiteLayout, number: int, manifest: dict[str, Any]) -> None:
    path = layout.manifest_path(number)
    temp = path.with_suffix(".json.tmp")
    temp.write_text(json.dumps(manifest, separators=(",", ":")), encoding="utf-8")
    os.replace(temp, path)


BUILD_LOCK_WAIT_S = 600.0


@contextmanager
def build_lock(layout: SiteLayout, wait_seconds: float = BUILD_LOCK_WAIT_S) -> Iterator[None]:
    """One build at a time per output. A second one waits its turn (the sidecar republishes after
    every decision, the watcher after every batch, a person may run `gallery build` meanwhile) and
    gives up with a clear message only after `wait_seconds`."""
    layout.generations.mkdir(parents=True, exist_ok=True)
    with open(layout.generations / ".lock", "w") as handle:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise PublishError(f"another build has been publishing to {layout.out} for "
                                       f"{wait_seconds:.0f} s; try again when it ends") from None
                time.sleep(0.2)
        yield


def remove_leftovers(layout: SiteLayout) -> None:
    """Half-written generations and store folders of an interrupted build."""
    for path in list(layout.generations.glob("*.tmp")) + list(layout.store.glob("*/*.tmp")):
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


def swap(layout: SiteLayout, number: int) -> None:
    """Point `out` at generation `number` atomically (rename of a fresh symlink over it)."""
    link = layout.out.parent / f".{layout.out.name}.swap"
    link.unlink(missing_ok=True)
    os.symlink(os.path.relpath(layout.generation_dir(number), layout.out.parent), link)
    os.replace(link, layout.out)


def clean_up(layout: SiteLayout, keep: tuple[int, ...]) -> None:
    """Remove generations not in `keep` and store folders no kept manifest refers to."""
    for path in layout.generations.iterdir():
        stem = path.name.removesuffix(".json")
        if stem.isdigit() and int(stem) not in keep:
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
    used: set[str] = set()
    for number in keep:
        manifest = read_manifest(layout, number)
        for _, name, _ in manifest["units"].values():
            used.update((name, name + ".json"))
        if manifest["assets"]:
            used.add(f"assets/{manifest['assets']}")
    if not layout.store.exists():
        return
    for group in layout.store.iterdir():
        for path in group.iterdir():
            if f"{group.name}/{path.name}" not in used:
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
