"""The one settings table: every option with its default, type, env var and help.

A `Settings` object is built from (in rising priority) the defaults below, `<home>/gallery.toml`,
environment variables and explicit overrides (CLI flags). Photo roots live in the same file.
Nothing here imports a heavy module: the search sidecar reads settings too.
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

SettingType = Literal["str", "int", "float", "bool", "path", "list"]


@dataclass(frozen=True)
class Option:
    """One setting: its name in gallery.toml, default, type, environment variable and help."""

    name: str
    default: Any
    type: SettingType
    env: str | None
    help: str


OPTIONS: tuple[Option, ...] = (
    Option("home", "./gallery-data", "path", "GALLERY_HOME",
           "Data home: gallery.db, parquet/, thumbs/, models/, site/ and progress.json live here."),
    Option("db", "", "path", "GALLERY_DB",
           "SQLite database file; empty means <home>/gallery.db."),
    Option("default_passes", ["exif", "thumbs", "colors", "phash", "geocode"], "list", "GALLERY_PASSES",
           "Passes that `gallery index` runs when no pass flag is given (comma-separated in the env var)."),
    Option("ignore", [], "list", "GALLERY_IGNORE",
           "Extra ignore patterns (fnmatch on the path relative to its root, or on a folder name)."),
    Option("workers", 0, "int", "GALLERY_WORKERS",
           "Processes for CPU-bound passes; 0 means one per core."),
    Option("batch_size", 32, "int", "GALLERY_BATCH_SIZE",
           "Photos per batch; each batch is one transaction, so this bounds the work a crash can lose."),
    Option("max_pixels", 200_000_000, "int", "GALLERY_MAX_PIXELS",
           "Decompression-bomb limit: larger images are recorded as `too_large` and skipped."),
    Option("max_file_mb", 2048, "int", "GALLERY_MAX_FILE_MB",
           "Files larger than this (MiB) are recorded as `too_large` (videos are exempt)."),
    Option("jpeg_quality", 82, "int", "GALLERY_JPEG_QUALITY", "JPEG quality of the large thumbnails."),
    Option("webp_quality", 80, "int", "GALLERY_WEBP_QUALITY", "WebP quality of the grid thumbnails."),
    Option("clip_model", "ViT-B-32__laion2b-s34b-b79k", "str", "GALLERY_CLIP_MODEL",
           "CLIP model bundle under <home>/models/clip/ used by the clip pass and the search sidecar."),
    Option("hemisphere", "auto", "str", "GALLERY_HEMISPHERE",
           "What 'summer' or 'winter' mean in searches: north, south, or auto (the library's median GPS latitude)."),
    Option("sidecar_host", "127.0.0.1", "str", "GALLERY_HOST", "Address the search sidecar binds to."),
    Option("sidecar_port", 8765, "int", "GALLERY_PORT", "Port of the search sidecar."),
    Option("site_port", 8080, "int", "GALLERY_SITE_PORT", "Port nginx (or `serve --with-site`) listens on."),
    Option("api_token", "", "str", "GALLERY_API_TOKEN",
           "Token the sidecar's writing routes require (same-origin requests only)."),
    Option("publish_every", 2000, "int", "GALLERY_PUBLISH_EVERY",
           "Watch mode: during a long run, export and publish the site after every this many photos (0: at the end only)."),
    Option("rescan_hours", 24, "float", "GALLERY_RESCAN_HOURS",
           "Watch mode: hours between full rescans that catch missed file-system events."),
)
OPTIONS_BY_NAME = {option.name: option for option in OPTIONS}


@dataclass(frozen=True)
class Root:
    """A photo root: a folder on disk and the short label used in URLs and Parquet."""

    label: str
    path: Path


@dataclass(frozen=True)
class Settings:
    """Resolved settings for one run. `values` holds every option in OPTIONS by name."""

    values: dict[str, Any]
    roots: tuple[Root, ...] = field(default=())

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def home(self) -> Path:
        return Path(self.values["home"]).expanduser()

    @property
    def db_path(self) -> Path:
        return Path(self.values["db"]) if self.values["db"] else self.home / "gallery.db"

    @property
    def parquet_dir(self) -> Path:
        return self.home / "parquet"

    @property
    def thumbs_dir(self) -> Path:
        return self.home / "thumbs"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def site_dir(self) -> Path:
        return self.home / "site"

    @property
    def progress_path(self) -> Path:
        return self.home / "progress.json"

    @property
    def settings_path(self) -> Path:
        return self.home / "gallery.toml"

    def with_roots(self, roots: tuple[Root, ...]) -> "Settings":
        return replace(self, roots=roots)

    def worker_count(self) -> int:
        return int(self.values["workers"]) or (os.cpu_count() or 1)


def _coerce(option: Option, raw: Any) -> Any:
    if option.type == "list":
        if isinstance(raw, str):
            return [part.strip() for part in raw.split(",") if part.strip()]
        return list(raw)
    if option.type == "bool":
        if isinstance(raw, str):
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        return bool(raw)
    if option.type == "int":
        return int(raw)
    if option.type == "float":
        return float(raw)
    return str(raw)


class SettingsError(ValueError):
    """A settings file or value that cannot be used; the message says which and why."""


def load_settings(home: str | Path | None = None, overrides: dict[str, Any] | None = None,
                  environ: dict[str, str] | None = None) -> Settings:
    """Resolve settings: defaults < gallery.toml < environment < overrides (CLI flags)."""
    environ = dict(os.environ if environ is None else environ)
    values = {option.name: option.default for option in OPTIONS}
    if home is None:
        home = environ.get("GALLERY_HOME") or values["home"]
    values["home"] = str(home)
    toml_path = Path(home).expanduser() / "gallery.toml"
    file_data: dict[str, Any] = {}
    if toml_path.exists():
        try:
            file_data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise SettingsError(f"{toml_path}: not valid TOML ({error})") from error
    for key, raw in file_data.items():
        if key == "roots":
            continue
        if key not in OPTIONS_BY_NAME:
            raise SettingsError(f"{toml_path}: unknown setting {key!r}; known: {', '.join(OPTIONS_BY_NAME)}")
        if key != "home":
            values[key] = _coerce(OPTIONS_BY_NAME[key], raw)
    for option in OPTIONS:
        if option.env and option.env in environ and option.name != "home":
            try:
                values[option.name] = _coerce(option, environ[option.env])
            except ValueError as error:
                raise SettingsError(f"{option.env}={environ[option.env]!r}: expected {option.type}") from error
    for key, raw in (overrides or {}).items():
        if raw is not None:
            values[key] = _coerce(OPTIONS_BY_NAME[key], raw)
    roots = tuple(Root(label=str(item["label"]), path=Path(item["path"]))
                  for item in file_data.get("roots", []))
    return Settings(values=values, roots=roots)


_LABEL_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def label_for(path: Path, taken: set[str]) -> str:
    """A short URL-safe label for a new root, unique among `taken` (e.g. `photos`, `photos-2`)."""
    base = _LABEL_UNSAFE.sub("-", path.resolve().name).strip("-").lower() or "photos"
    label, counter = base[:40], 2
    while label in taken:
        label, counter = f"{base[:36]}-{counter}", counter + 1
    return label


def save_settings(settings: Settings) -> None:
    """Write roots and every non-default option back to gallery.toml (atomically)."""
    import tomli_w

    data: dict[str, Any] = {}
    for option in OPTIONS:
        value = settings.values[option.name]
        if option.name not in {"home"} and value != option.default:
            data[option.name] = value
    data["roots"] = [{"label": root.label, "path": str(root.path)} for root in settings.roots]
    settings.home.mkdir(parents=True, exist_ok=True)
    temp = settings.settings_path.with_suffix(".toml.tmp")
    temp.write_text(tomli_w.dumps(data), encoding="utf-8")
    os.chmod(temp, 0o600)  # it may hold api_token
    os.replace(temp, settings.settings_path)


def resolve_roots(settings: Settings, paths: list[Path]) -> tuple[Settings, tuple[Root, ...]]:
    """Map folders given on the command line to roots, adding new ones with a fresh label.

    Returns the updated settings (to be saved) and the roots to scan, in the order given.
    """
    roots = list(settings.roots)
    chosen: list[Root] = []
    for raw in paths:
        resolved = Path(raw).expanduser().resolve()
        match = next((root for root in roots if root.path.expanduser().resolve() == resolved), None)
        if match is None:
            match = Root(label=label_for(resolved, {root.label for root in roots}), path=resolved)
            roots.append(match)
        chosen.append(match)
    return settings.with_roots(tuple(roots)), tuple(chosen)
