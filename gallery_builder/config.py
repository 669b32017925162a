"""The one settings table: every option with its default, type, environment variable and help.

`Settings` is a frozen dataclass whose fields *are* the table: each field carries its default and,
in its metadata, its environment variable and help (`OPTIONS` is a view of those fields for docs
and tests). A `Settings` is resolved from (in rising priority) the field defaults,
`<home>/gallery.toml`, environment variables and explicit overrides (CLI flags). Photo roots live in
the same file. Nothing here imports a heavy module: the search sidecar reads settings too.
"""
from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

SettingType = Literal["str", "int", "float", "bool", "path", "list"]


def _setting(default: Any, kind: SettingType, env: str | None, help: str) -> Any:
    """A settings field: its default plus the metadata the table view, docs and parsers read."""
    metadata = {"type": kind, "env": env, "help": help}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Root:
    """A photo root: a folder on disk and the short label used in URLs and Parquet."""

    label: str
    path: Path


@dataclass(frozen=True)
class Settings:
    """Resolved settings for one run: one typed attribute per option, plus the photo roots."""

    home: Path = _setting(Path("./gallery-data"), "path", "GALLERY_HOME",
                          "Data home: gallery.db, parquet/, thumbs/, models/, site/ and progress.json live here.")
    db: str = _setting("", "path", "GALLERY_DB", "SQLite database file; empty means <home>/gallery.db.")
    models: str = _setting("", "path", "GALLERY_MODELS",
                           "Model bundles folder; empty means <home>/models (a Dask worker sets it with --models).")
    default_passes: list[str] = _setting(
        [], "list", "GALLERY_PASSES",
        "Passes that `gallery index` and `gallery watch` run when no pass flag is given (comma-separated "
        "in the env var); empty means every pass marked default in the registry (exif, thumbs, colors, "
        "phash, geocode).")
    ignore: list[str] = _setting([], "list", "GALLERY_IGNORE",
                                 "Extra ignore patterns (fnmatch on the path relative to its root, or on a folder name).")
    workers: int = _setting(0, "int", "GALLERY_WORKERS", "Processes for CPU-bound passes; 0 means one per core.")
    cluster: str = _setting("", "str", "GALLERY_CLUSTER",
                            "Dask scheduler for the heavy passes (clip): tcp://HOST:8786, or `local` for a "
                            "LocalCluster on this machine; empty runs every pass here.")
    cluster_wait: float = _setting(60.0, "float", "GALLERY_CLUSTER_WAIT",
                                   "Seconds a cluster run waits for a worker that holds the pass's model before "
                                   "skipping that pass.")
    batch_size: int = _setting(32, "int", "GALLERY_BATCH_SIZE",
                               "Photos per batch; each batch is one transaction, so this bounds the work a crash can lose.")
    max_pixels: int = _setting(200_000_000, "int", "GALLERY_MAX_PIXELS",
                               "Decompression-bomb limit: larger images are recorded as `too_large` and skipped.")
    max_file_mb: int = _setting(2048, "int", "GALLERY_MAX_FILE_MB",
                                "Files larger than this (MiB) are recorded as `too_large` (videos are exempt).")
    jpeg_quality: int = _setting(82, "int", "GALLERY_JPEG_QUALITY", "JPEG quality of the large thumbnails.")
    webp_quality: int = _setting(80, "int", "GALLERY_WEBP_QUALITY", "WebP quality of the grid thumbnails.")
    clip_model: str = _setting("ViT-B-32__laion2b-s34b-b79k", "str", "GALLERY_CLIP_MODEL",
                               "CLIP model bundle under <home>/models/clip/ used by the clip pass and the search sidecar.")
    describe_model: str = _setting("llava", "str", "GALLERY_DESCRIBE_MODEL",
                                   "Ollama vision model of the describe and tags passes (llava, moondream, "
                                   "llava:13b, ...); changing it makes every photo pending for them again.")
    quality_model: str = _setting(
        "laion-improved__ViT-L-14__openai", "str", "GALLERY_QUALITY_MODEL",
        "Aesthetic head under <home>/models/aesthetic/ of the quality pass: laion-improved__ViT-L-14__openai "
        "(LAION's improved MLP on ViT-L/14 image embeddings) or laion-linear__<clip model> (LAION's linear head: "
        "one dot product per photo when the clip pass stores vectors of that model).")
    verify_model: str = _setting("moondream", "str", "GALLERY_VERIFY_MODEL",
                                 "Second Ollama vision model of the verify pass: it lists the objects a description "
                                 "names and confirms or denies each one in the photo.")
    verify_min_similarity: float = _setting(
        0.2, "float", "GALLERY_VERIFY_MIN_SIMILARITY",
        "Verify: CLIP cosine similarity between the photo and 'a photo of <object>' at or above which CLIP "
        "supports an object; an object denied by the second model and below this disputes the description.")
    redescribe_disputed: bool = _setting(
        False, "bool", "GALLERY_REDESCRIBE_DISPUTED",
        "Verify: when a description is disputed, ask the describe model once more (told what to leave out) "
        "and check the new one; costs a model swap per disputed photo.")
    ollama_host: str = _setting("http://127.0.0.1:11434", "str", "OLLAMA_HOST",
                                "Where the Ollama server answers (the same variable the ollama command reads).")
    ollama_timeout: float = _setting(300.0, "float", "GALLERY_OLLAMA_TIMEOUT",
                                     "Seconds to wait for the next piece of an Ollama answer before retrying (a "
                                     "small CPU may take minutes to read an image).")
    ollama_retry_seconds: float = _setting(2.0, "float", "GALLERY_OLLAMA_RETRY_SECONDS",
                                           "First pause before retrying a failed Ollama request; doubled at each "
                                           "of the 3 retries.")
    face_backend: str = _setting("auto", "str", "GALLERY_FACE_BACKEND",
                                 "Face backend of the faces pass: auto (buffalo_l once `gallery models fetch "
                                 "buffalo_l` installed it, else dlib), dlib, or buffalo_l. Changing it makes every "
                                 "photo pending for the faces pass again.")
    hemisphere: str = _setting("auto", "str", "GALLERY_HEMISPHERE",
                               "What 'summer' or 'winter' mean in searches: north, south, or auto (the library's "
                               "median GPS latitude).")
    sidecar_host: str = _setting("127.0.0.1", "str", "GALLERY_HOST", "Address the search sidecar binds to.")
    sidecar_port: int = _setting(8765, "int", "GALLERY_PORT", "Port of the search sidecar.")
    site_port: int = _setting(8080, "int", "GALLERY_SITE_PORT", "Port nginx (or `serve --with-site`) listens on.")
    api_token: str = _setting("", "str", "GALLERY_API_TOKEN",
                              "Token the sidecar's writing routes require (same-origin requests only).")
    publish_every: int = _setting(2000, "int", "GALLERY_PUBLISH_EVERY",
                                  "Watch mode: during a long run, export and publish the site after every this many "
                                  "photos (0: at the end only).")
    rescan_hours: float = _setting(24.0, "float", "GALLERY_RESCAN_HOURS",
                                   "Watch mode: hours between full rescans that catch missed file-system events.")
    stack_gap_seconds: float = _setting(5.0, "float", "GALLERY_STACK_GAP_SECONDS",
                                        "Stacks: longest gap between two frames of a burst (same camera, seconds).")
    stack_span_seconds: float = _setting(10.0, "float", "GALLERY_STACK_SPAN_SECONDS",
                                         "Stacks: longest time from the first to the last frame of a burst (seconds).")
    stack_sequence_gap_seconds: float = _setting(
        30.0, "float", "GALLERY_STACK_SEQUENCE_GAP_SECONDS",
        "Stacks: near-identical frames (a tripod sequence, a bracket) may chain over gaps up to this long (seconds).")
    review_gap_seconds: float = _setting(
        60.0, "float", "GALLERY_REVIEW_GAP_SECONDS",
        "Shoot review: frames further apart than this (seconds) start a new group.")
    review_phash_distance: int = _setting(
        22, "int", "GALLERY_REVIEW_PHASH_DISTANCE",
        "Shoot review: frames whose pHash differs in more bits than this (of 64) start a new group.")
    review_auto_shoots: int = _setting(
        10, "int", "GALLERY_REVIEW_AUTO_SHOOTS",
        "Shoot review: how many of the most recent shoots an index run proposes by itself (0: none; "
        "`gallery review propose` does the others).")
    stack_burst_phash_distance: int = _setting(
        22, "int", "GALLERY_STACK_BURST_PHASH_DISTANCE",
        "Stacks: most pHash bits (of 64) two burst frames may differ by; more means another scene.")
    stack_sequence_phash_distance: int = _setting(
        16, "int", "GALLERY_STACK_SEQUENCE_PHASH_DISTANCE",
        "Stacks: most pHash bits two frames may differ by to chain over the longer sequence gap.")
    stack_burst_clip_similarity: float = _setting(
        0.80, "float", "GALLERY_STACK_BURST_CLIP_SIMILARITY",
        "Stacks: when both frames have CLIP vectors, a cosine similarity at least this high also confirms a burst.")
    stack_sequence_clip_similarity: float = _setting(
        0.92, "float", "GALLERY_STACK_SEQUENCE_CLIP_SIMILARITY",
        "Stacks: the CLIP cosine similarity that confirms a sequence frame over the longer gap.")
    duplicate_phash_distance: int = _setting(
        6, "int", "GALLERY_DUPLICATE_PHASH_DISTANCE",
        "Near duplicates: most pHash bits (of 64) two photos may differ by, upright or turned a quarter "
        "(resized, re-encoded, other format, greyscale copies differ by 0-2). Photos shot at different "
        "times (per their metadata) are never duplicates.")
    duplicate_phash_distance_same_capture: int = _setting(
        10, "int", "GALLERY_DUPLICATE_PHASH_DISTANCE_SAME_CAPTURE",
        "Near duplicates: most pHash bits two photos with the same capture time and camera may differ by "
        "(an edited copy of one shot).")
    duplicate_clip_distance: float = _setting(
        0.01, "float", "GALLERY_DUPLICATE_CLIP_DISTANCE",
        "Near duplicates: largest CLIP cosine distance between two photos, when CLIP vectors exist.")
    google_token_uri: str = _setting("https://oauth2.googleapis.com/token", "str", "GALLERY_GOOGLE_TOKEN_URI",
                                     "Google upload: the OAuth token endpoint (sign-in and refresh).")
    google_revoke_uri: str = _setting("https://oauth2.googleapis.com/revoke", "str", "GALLERY_GOOGLE_REVOKE_URI",
                                      "Google upload: the OAuth endpoint `gallery google disconnect` revokes at.")
    google_api_base: str = _setting("https://photoslibrary.googleapis.com", "str", "GALLERY_GOOGLE_API_BASE",
                                    "Google upload: the Photos Library API (uploads, albums, mediaItems:batchCreate).")
    google_retry_seconds: float = _setting(1.0, "float", "GALLERY_GOOGLE_RETRY_SECONDS",
                                           "Google upload: first pause before retrying a 429 or 5xx answer; doubled "
                                           "(with jitter) at each of the 6 retries.")
    rank_propagation: bool = _setting(
        True, "bool", "GALLERY_RANK_PROPAGATION",
        "Ranking: after a comparison, nudge the ratings of photos that look like its two (stack mates, pHash "
        "and CLIP neighbours) a little, never more than a quarter of the comparison's own change; off: only "
        "the compared photos move.")
    face_min_faces: int = _setting(
        3, "int", "GALLERY_FACE_MIN_FACES",
        "Faces: a face is a cluster's core when at least this many faces (itself included) lie within the "
        "backend's cluster distance; smaller groups stay under \"other faces\".")
    face_session_minutes: float = _setting(
        30.0, "float", "GALLERY_FACE_SESSION_MINUTES",
        "Faces: temporal matching links a face at the backend's looser distance to a person who is in a photo "
        "taken within this many minutes.")
    roots: tuple[Root, ...] = field(default=())

    @property
    def db_path(self) -> Path:
        return Path(self.db) if self.db else self.home / "gallery.db"

    @property
    def parquet_dir(self) -> Path:
        return self.home / "parquet"

    @property
    def thumbs_dir(self) -> Path:
        return self.home / "thumbs"

    @property
    def models_dir(self) -> Path:
        return Path(self.models) if self.models else self.home / "models"

    @property
    def site_dir(self) -> Path:
        return self.home / "site"

    @property
    def google_dir(self) -> Path:
        return self.home / "google"

    @property
    def progress_path(self) -> Path:
        return self.home / "progress.json"

    @property
    def settings_path(self) -> Path:
        return self.home / "gallery.toml"

    def with_roots(self, roots: tuple[Root, ...]) -> "Settings":
        return replace(self, roots=roots)

    def worker_count(self) -> int:
        return self.workers or (os.cpu_count() or 1)


@dataclass(frozen=True)
class Option:
    """One row of the settings table (a view of a `Settings` field, for docs, tests and parsing)."""

    name: str
    default: Any
    type: SettingType
    env: str | None
    help: str


def _options() -> tuple[Option, ...]:
    rows = []
    for item in dataclasses.fields(Settings):
        if "type" not in item.metadata:
            continue  # roots: not an option
        default = item.default if item.default is not dataclasses.MISSING else item.default_factory()  # type: ignore[misc]
        rows.append(Option(item.name, default, item.metadata["type"], item.metadata["env"], item.metadata["help"]))
    return tuple(rows)


OPTIONS: tuple[Option, ...] = _options()
OPTIONS_BY_NAME = {option.name: option for option in OPTIONS}


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
    if option.type == "path" and option.name == "home":
        return Path(raw).expanduser()
    return str(raw)


class SettingsError(ValueError):
    """A settings file or value that cannot be used; the message says which and why."""


def load_settings(home: str | Path | None = None, overrides: dict[str, Any] | None = None,
                  environ: dict[str, str] | None = None) -> Settings:
    """Resolve settings: defaults < gallery.toml < environment < overrides (CLI flags)."""
    environ = dict(os.environ if environ is None else environ)
    if home is None:
        home = environ.get("GALLERY_HOME") or OPTIONS_BY_NAME["home"].default
    values: dict[str, Any] = {"home": Path(home).expanduser()}
    toml_path = values["home"] / "gallery.toml"
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
            values[key] = _coerce_or_explain(OPTIONS_BY_NAME[key], raw, f"{toml_path}: {key}")
    for option in OPTIONS:
        if option.env and option.env in environ and option.name != "home":
            values[option.name] = _coerce_or_explain(option, environ[option.env], option.env)
    for key, raw in (overrides or {}).items():
        if raw is not None:
            values[key] = _coerce_or_explain(OPTIONS_BY_NAME[key], raw, f"--{key.replace('_', '-')}")
    roots = tuple(Root(label=str(item["label"]), path=Path(item["path"]))
                  for item in file_data.get("roots", []))
    return Settings(**values, roots=roots)


def _coerce_or_explain(option: Option, raw: Any, where: str) -> Any:
    try:
        return _coerce(option, raw)
    except (TypeError, ValueError) as error:
        raise SettingsError(f"{where}={raw!r}: expected {option.type}") from error


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
        value = getattr(settings, option.name)
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
