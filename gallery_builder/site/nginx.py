"""`gallery nginx-config`: render deploy/nginx.conf.j2 for one data home.

Serves the published site, /thumbs/, /progress.json, one /originals/<label>/ per root of
gallery.toml (media files only; never hidden, system, ignored or `.nogallery` folders), and
proxies /api/ to the search sidecar with buffering off so event streams flow.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from gallery_builder.site.resources import resource_dir
from urllib.parse import quote

from gallery_builder.core import media_types
from gallery_builder.config import Settings

DEPLOY_DIR = resource_dir("deploy")
FOLDER_SKIP_REASONS = frozenset({"nogallery", "ignored", "system_folder", "hidden_folder", "unreadable_folder"})


class NginxConfigError(ValueError):
    """A value that cannot be written safely into an nginx config (the message says which)."""


@dataclass(frozen=True)
class OriginalsRoot:
    label: str             # as in URLs (percent-encoded label is the same: labels are URL-safe)
    label_regex: str
    path: str              # absolute folder on disk
    denied: tuple[str, ...]   # URL prefixes never served (skipped on purpose by the scan)


def quote_nginx(text: str) -> str:
    """A double-quoted nginx string; control characters cannot be written safely."""
    if any(ord(char) < 32 or ord(char) == 127 for char in text):
        raise NginxConfigError(f"control character in {text!r}")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _segment_regex(pattern: str) -> str:
    """An fnmatch pattern as a PCRE fragment over one path segment ('*' does not cross '/')."""
    out, index = [], 0
    while index < len(pattern):
        char = pattern[index]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and "]" in pattern[index + 1:]:
            end = pattern.index("]", index + 1)
            body = pattern[index + 1:end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
            index = end
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)


def hidden_regex(ignore: list[str]) -> str:
    """Any path with a hidden, system or ignored part below /originals/<label>/ (case-insensitive)."""
    names = sorted(media_types.SYSTEM_FOLDERS | media_types.SYSTEM_FILES)
    parts = [r"\.[^/]*", r"\.trash[^/]*"] + [re.escape(name) for name in names]
    parts += [_segment_regex(pattern) for pattern in ignore if "/" not in pattern]
    return r"^/originals/[^/]+/(?:.*/)?(?:" + "|".join(parts) + r")(?:/|$)"


def media_regex() -> str:
    extensions = sorted(media_types.PHOTO_EXTENSIONS | media_types.RAW_EXTENSIONS | media_types.VIDEO_EXTENSIONS)
    return r"\.(?:" + "|".join(re.escape(ext) for ext in extensions) + ")$"


def denied_paths(parquet_dir: Path) -> dict[str, list[str]]:
    """root label -> folders the scan skipped on purpose (from skipped.parquet, when present)."""
    path = parquet_dir / "skipped.parquet"
    if not path.exists():
        return {}
    import pyarrow.parquet as pq

    denied: dict[str, list[str]] = {}
    for row in pq.read_table(path, columns=["root", "path", "reason"]).to_pylist():
        if row["reason"] in FOLDER_SKIP_REASONS and row["path"] and "\\x" not in row["path"]:
            denied.setdefault(row["root"], []).append(row["path"])
    return denied


def originals_roots(settings: Settings) -> list[OriginalsRoot]:
    denied = denied_paths(settings.parquet_dir)
    roots = []
    for root in settings.roots:
        if quote(root.label, safe="") != root.label:
            raise NginxConfigError(f"root label {root.label!r} is not URL-safe; rename it in gallery.toml")
        prefixes = tuple(f"/originals/{root.label}/{folder.strip('/')}/" for folder in sorted(denied.get(root.label, [])))
        roots.append(OriginalsRoot(label=root.label, label_regex=re.escape(root.label),
                                   path=str(Path(root.path).expanduser().resolve()), denied=prefixes))
    return roots


def render_nginx_config(settings: Settings, *, listen: str, sidecar: str = "",
                        site_dir: Path | None = None, auth_file: Path | None = None,
                        server_only: bool = False, runtime_dir: Path | None = None) -> str:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(str(DEPLOY_DIR)), undefined=StrictUndefined, autoescape=False,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["q"] = quote_nginx
    home = settings.home.expanduser().resolve()
    return env.get_template("nginx.conf.j2").render(
        listen=listen,
        site_dir=str((site_dir or settings.site_dir).expanduser().absolute()),
        thumbs_dir=str(settings.thumbs_dir.expanduser().resolve()),
        progress_path=str(settings.progress_path.expanduser().resolve()),
        roots=originals_roots(settings),
        hidden_regex=hidden_regex(list(settings.ignore)),
        media_regex=media_regex(),
        sidecar=sidecar or f"http://{settings.sidecar_host}:{settings.sidecar_port}",
        auth_file=str(auth_file.resolve()) if auth_file else "",
        server_only=server_only,
        runtime_dir=str((runtime_dir or home / "nginx").resolve()),
    )
