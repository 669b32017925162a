"""The shoot review page (culling): a static shell whose script asks the sidecar for the proposed
shoots and one shoot's groups, and writes a person's toggles and acceptance through it. With the
sidecar down the page says so (a review needs somewhere to keep the choices)."""
from __future__ import annotations

from typing import Iterable

from gallery_builder.site.catalog import Catalog
from gallery_builder.site.library import Library
from gallery_builder.site.page_models import Page, ReviewPage, eager_page
from gallery_builder.site.pages import PageKind


def gather(catalog: Catalog, library: Library) -> Iterable[Page]:
    yield eager_page("review", "review/", ReviewPage(title="Review shoots"))


KIND = PageKind(name="review", gather=gather, template="review.html")
