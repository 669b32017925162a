"""The renderer: turns one `Page` into the bytes of its files (HTML from Jinja2, JSON data files).

Templates come from `templates/` (autoescaped: every file name and EXIF string is text, never
markup); each page gets `page` (its model), `root` (relative path to the site root, so a
`file://` copy works) and `assets` (the content-addressed asset folder).
"""
from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gallery_builder.core.urls import photo_url, thumb_url
from gallery_builder.site.cards import FIRST_SCREEN, card_decision, card_thumb_2x
from gallery_builder.site.fingerprint import canonical_json, digest, template_fingerprint, to_plain
from gallery_builder.site.formatting import day_label
from gallery_builder.site.page_models import DataFile, Page, Thumb
from gallery_builder.site.pages import PAGE_KINDS
from gallery_builder.site.resources import resource_dir
from gallery_builder.site.urls import page_file, relative_prefix
from gallery_builder.core.thumb_layout import SLOTS

TEMPLATES_DIR = resource_dir("templates")
ASSETS_DIR = resource_dir("site_assets")


def thumb_src(thumb: Thumb | None, width: int = 400) -> str:
    """Site-relative URL of a thumbnail slot (the largest written slot up to `width`)."""
    if thumb is None or not thumb.slots:
        return ""
    chosen = SLOTS[0]
    for index, slot in enumerate(SLOTS):
        if thumb.slots & (1 << index) and slot.width <= width:
            chosen = slot
    return thumb_url(thumb.key, chosen.width)


def card_thumb(row: tuple) -> str:
    """Grid thumbnail URL of a card row (see cards.CARD_FIELDS): the first (grid) slot, if written."""
    return thumb_url(row[1], SLOTS[0].width) if row[1] and row[7] & 1 else ""


def first_screen(rows: tuple, group: str) -> list[tuple[str, str, list]]:
    """The cards shown as plain HTML, as (day or year, heading, rows) groups ("" heading when flat)."""
    groups: list[tuple[str, str, list]] = []
    for row in rows[:FIRST_SCREEN]:
        day = row[4][:10] if group == "day" else row[4][:4] if group == "year" else ""
        if not groups or groups[-1][0] != day:
            label = day_label(day or "undated") if group == "day" else (day or "Undated") if group == "year" else ""
            groups.append((day, label, []))
        groups[-1][2].append(row)
    return groups


def data_file_bytes(data: DataFile) -> dict[str, bytes]:
    """The JSON, its gzip twin (for nginx gzip_static), and a classic-script twin for file://."""
    text = canonical_json(data.payload)
    raw = text.encode("utf-8")
    files = {"": raw, ".gz": gzip.compress(raw, compresslevel=6, mtime=0)}
    if data.script_global:
        files[".js"] = f"window.{data.script_global}={text};\n".encode("utf-8")
    return files


@dataclass
class Renderer:
    """Jinja2 environment plus the fingerprint of everything a page of each kind depends on."""

    env: Any
    assets_hash: str
    kind_fingerprints: dict[str, str]

    def render(self, page: Page) -> dict[str, bytes]:
        """Relative file path (from the site root) -> bytes, for every file of `page`."""
        kind = PAGE_KINDS[page.kind]
        model = page.build()
        if kind.template is None:
            return {page.url + suffix: body for suffix, body in data_file_bytes(model).items()}
        folder = page.url[: page.url.rfind("/") + 1]        # data files go beside the page's file
        root = relative_prefix(page.url)
        html = self.env.get_template(kind.template).render(
            page=model, url=page.url, kind=page.kind, root=root, assets=f"{root}assets/{self.assets_hash}/")
        files = {page_file(page.url): html.encode("utf-8")}
        for name, data in kind.data_files(model).items():
            for suffix, body in data_file_bytes(data).items():
                files[folder + name + suffix] = body
        return files


def make_environment(templates_dir: Path = TEMPLATES_DIR) -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(loader=FileSystemLoader(str(templates_dir)), autoescape=select_autoescape(["html"]), auto_reload=False,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["thumb_src"] = thumb_src
    env.filters["card_thumb"] = card_thumb
    env.filters["card_thumb_2x"] = card_thumb_2x
    env.filters["card_decision"] = card_decision
    env.filters["first_screen"] = first_screen
    env.globals["first_screen_size"] = FIRST_SCREEN
    env.globals["slot_table"] = ",".join(f"{slot.width}:{slot.ext}" for slot in SLOTS)
    env.globals["photo_url"] = photo_url
    env.policies["json.dumps_kwargs"] = {"sort_keys": False, "ensure_ascii": False, "separators": (",", ":"),
                                         "default": to_plain}
    return env


def make_renderer(code_hash: str, assets_hash: str, templates_dir: Path = TEMPLATES_DIR) -> Renderer:
    env = make_environment(templates_dir)
    fingerprints = {}
    for name, kind in PAGE_KINDS.items():
        template_hash = template_fingerprint(env, kind.template) if kind.template else ""
        fingerprints[name] = digest(name, code_hash, assets_hash if kind.template else "", template_hash)
    return Renderer(env=env, assets_hash=assets_hash, kind_fingerprints=fingerprints)
