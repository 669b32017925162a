"""Which model files a pass needs and their checksum, so a remote worker never mixes another bundle's
vectors with the NAS's: `ModelRequirement` (files + expected sha256) and the cached check of a folder.

A file's sha256 is computed once per (size, mtime) and kept in memory and, when the folder is
writable, in `<models>/.checksums.json`, so a 1 GB model is hashed once, not per run or per task.
Files may also live in an installed Python package (dlib's face models): `package` names it, and each
machine looks for its own copy of that package (hashed in memory only: site-packages is not ours).
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

CACHE_FILE = ".checksums.json"
_MEMORY: dict[tuple[str, int, int], str] = {}
_LOCK = threading.Lock()


class ModelRefused(RuntimeError):
    """A worker lacks the model a task needs, or holds a different one (the message says which;
    `worker` is its address, so the NAS can stop sending it that pass's tasks)."""

    def __init__(self, message: str, worker: str = "") -> None:
        super().__init__(message, worker)
        self.message, self.worker = message, worker

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ModelRequirement:
    """The model files (relative to a models folder) a pass's `run` reads, and their sha256 on the NAS."""

    label: str                  # for people: "CLIP model 'ViT-B-32__laion2b-s34b-b79k'"
    files: tuple[str, ...]
    checksum: str
    package: str = ""           # files are relative to this installed package's folder, not the models folder
    modules: tuple[str, ...] = ()  # Python modules `run` also needs (e.g. dlib), looked up, not imported
    absent: tuple[str, ...] = ()   # files the NAS lacks whose presence would change what `run` reads

    @property
    def resource(self) -> str:
        """The Dask resource a worker is granted once its copy matches (tasks ask for one unit)."""
        return f"gallery-model-{self.checksum[:16]}"


def _stat_key(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return str(path.resolve()), stat.st_size, stat.st_mtime_ns


def _file_sha256(path: Path, disk_cache: dict[str, dict]) -> str:
    key = _stat_key(path)
    cached = disk_cache.get(key[0])
    if cached and cached.get("size") == key[1] and cached.get("mtime_ns") == key[2]:
        digest = str(cached["sha256"])
    else:
        hasher = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                hasher.update(chunk)
        digest = hasher.hexdigest()
        disk_cache[key[0]] = {"size": key[1], "mtime_ns": key[2], "sha256": digest}
    with _LOCK:
        _MEMORY[key] = digest
    return digest


def _read_disk_cache(models_dir: Path) -> dict[str, dict]:
    try:
        data = json.loads((models_dir / CACHE_FILE).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_disk_cache(models_dir: Path, data: dict[str, dict]) -> None:
    temp = models_dir / f"{CACHE_FILE}.{os.getpid()}.tmp"
    try:
        temp.write_text(json.dumps(data, indent=0, sort_keys=True), encoding="utf-8")
        os.replace(temp, models_dir / CACHE_FILE)
    except OSError:  # a read-only models folder (a worker's mount): the memory cache still holds
        temp.unlink(missing_ok=True)


def missing_files(models_dir: str | Path, files: Sequence[str]) -> list[str]:
    return [name for name in files if not (Path(models_dir) / name).is_file()]


def package_folder(package: str) -> Path | None:
    """The folder of an installed package on this machine, found without importing it; None if absent."""
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def files_checksum(models_dir: str | Path, files: Sequence[str], cache_on_disk: bool = True) -> str:
    """sha256 over each file's relative name and sha256, in the given order (FileNotFoundError when one
    is missing). Files already hashed in this process cost a stat each."""
    root = Path(models_dir)
    with _LOCK:
        known = [_MEMORY.get(_stat_key(root / name)) for name in files]
    if None in known:
        disk_cache = _read_disk_cache(root) if cache_on_disk else {}
        before = json.dumps(disk_cache, sort_keys=True)
        known = [_file_sha256(root / name, disk_cache) for name in files]
        if cache_on_disk and json.dumps(disk_cache, sort_keys=True) != before:
            _write_disk_cache(root, disk_cache)
    combined = hashlib.sha256()
    for name, digest in zip(files, known):
        combined.update(f"{name}\0{digest}\n".encode())
    return combined.hexdigest()


def requirement_for(label: str, models_dir: str | Path, files: Sequence[str],
                    absent: Sequence[str] = ()) -> ModelRequirement:
    """The NAS side: what its own copy of these files sums to (`absent`: optional files it does not hold,
    e.g. an int8 copy a worker would use instead; part of the checksum, so the resource differs too)."""
    return ModelRequirement(label, tuple(files), _with_absent(files_checksum(models_dir, files), absent),
                            absent=tuple(absent))


def _with_absent(checksum: str, absent: Sequence[str]) -> str:
    if not absent:
        return checksum
    return hashlib.sha256(f"{checksum}\0absent:{chr(0).join(absent)}".encode()).hexdigest()


def package_requirement(label: str, package: str, files: Sequence[str],
                        modules: Sequence[str] = ()) -> ModelRequirement:
    """The NAS side, for model files shipped inside an installed package (FileNotFoundError if absent)."""
    folder = package_folder(package)
    if folder is None:
        raise FileNotFoundError(f"the Python package {package} is not installed")
    return ModelRequirement(label, tuple(files), files_checksum(folder, files, cache_on_disk=False), package,
                            tuple(modules))


def refusal(requirement: ModelRequirement, models_dir: str | Path) -> str | None:
    """The worker side: None when its copy matches, else why it cannot take the task (one line)."""
    import importlib.util

    absent = [name for name in requirement.modules if importlib.util.find_spec(name) is None]
    if absent:
        return (f"{requirement.label} needs the Python module {', '.join(absent)} on this worker; install the "
                f"NAS's version of it (this worker fetches nothing)")
    if requirement.package:
        folder = package_folder(requirement.package)
        if folder is None:
            return (f"{requirement.label} is not installed on this worker (no Python package {requirement.package}); "
                    f"install the NAS's version of it (this worker fetches nothing)")
        models_dir, where = folder, f"the package {requirement.package} ({folder})"
    else:
        where = str(models_dir)
    missing = missing_files(models_dir, requirement.files)
    if missing:
        return (f"{requirement.label} is not installed in {where} (missing: {', '.join(missing)}); "
                f"copy the same files from the NAS's models folder (this worker fetches nothing)")
    extra = [name for name in requirement.absent if (Path(models_dir) / name).exists()]
    if extra:
        return (f"{requirement.label} in {where} has {', '.join(extra)}, which the NAS's copy lacks and which would "
                f"change the results; remove it from this worker or add it to the NAS")
    found = _with_absent(files_checksum(models_dir, requirement.files, cache_on_disk=not requirement.package),
                         requirement.absent)
    if found != requirement.checksum:
        return (f"{requirement.label} in {where} differs from the NAS's (sha256 {found[:12]}, expected "
                f"{requirement.checksum[:12]}); copy the NAS's files so vectors from different weights never mix")
    return None
