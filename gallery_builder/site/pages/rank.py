"""The ranking pages: Swiss A/B (`rank/compare/`), Mosaic (`rank/mosaic/`) and Top 50 (`rank/top/`).
Three static shells (one per mode, not one per scope: the scope is in the URL's query), rendered by
`rank.html` and driven by `site_assets/js/rank.js` against the sidecar."""
from __future__ import annotations

from typing import Iterable

from gallery_builder.site.catalog import Catalog
from gallery_builder.site.library import Library
from gallery_builder.site.page_models import Link, Page, RankPage, eager_page
from gallery_builder.site.pages import PageKind

MODES = (("compare", "Compare", "Compare two photos"), ("mosaic", "Mosaic", "Pick the best of a grid"),
         ("top", "Top 50", "Top 50"))


def rank_url(mode: str) -> str:
    return f"rank/{mode}/"


def gather(catalog: Catalog, library: Library) -> Iterable[Page]:
    modes = tuple(Link(url=rank_url(mode), label=label) for mode, label, _ in MODES)
    for mode, _, title in MODES:
        yield eager_page("rank", rank_url(mode), RankPage(title=title, mode=mode, modes=modes))


KIND = PageKind(name="rank", gather=gather, template="rank.html")
