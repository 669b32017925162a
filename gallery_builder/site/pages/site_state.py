"""`state.json`: what the published site reflects of a person's decisions (the export's
`decisions_version`). The sidecar reads it to answer a page's live overlay with only the changes
made since this site was built (`/api/decisions?since=published`); one tiny file, re-written only
when the version moves."""
from __future__ import annotations

from typing import Iterable

from gallery_builder.site.catalog import Catalog
from gallery_builder.site.library import Library
from gallery_builder.site.page_models import DataFile, Page, eager_page
from gallery_builder.site.pages import PageKind

STATE_FILE = "state.json"


def gather(catalog: Catalog, library: Library) -> Iterable[Page]:
    version = int(library.export_info.get("decisions_version") or 0)
    yield eager_page("site-state", STATE_FILE, DataFile(payload={"decisions_version": version}))


KIND = PageKind(name="site-state", gather=gather)
