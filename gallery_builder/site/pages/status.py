"""The status page: per-pass coverage and errors from the last export; live progress in the browser."""
from __future__ import annotations

from typing import Any, Iterable

from gallery_builder.site.catalog import Catalog
from gallery_builder.site.library import Library
from gallery_builder.site.page_models import CoverageRow, Page, StatusPage, eager_page
from gallery_builder.site.pages import PageKind

ERRORS_SHOWN = 500


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def coverage_row(row: dict[str, Any]) -> CoverageRow:
    total = int(row.get("total") or 0)
    ok = int(row.get("ok") or 0)
    return CoverageRow(
        name=_text(row.get("pass")), version=int(row.get("version") or 0),
        description=_text(row.get("description")), ok=ok, errors=int(row.get("errors") or 0),
        pending=int(row.get("pending") or 0), total=total,
        percent=round(100.0 * ok / total, 1) if total else 100.0, last_run=_text(row.get("last_run"))[:19])


def gather(catalog: Catalog, library: Library) -> Iterable[Page]:
    counts: dict[tuple[str, str], int] = {}
    for error in library.errors:
        key = (_text(error.get("pass")), _text(error.get("error_code")))
        counts[key] = counts.get(key, 0) + 1
    errors = tuple((_text(e.get("root")), _text(e.get("path")), _text(e.get("pass")), _text(e.get("error_code")),
                    _text(e.get("error"))) for e in library.errors[:ERRORS_SHOWN])
    model = StatusPage(
        title="Status",
        exported_at=_text(library.export_info.get("exported_at"))[:19],
        file_counts=tuple(sorted(library.file_counts.items())),
        roots=tuple((_text(r.get("label")), int(r.get("photo_count") or 0), _text(r.get("last_scan_at"))[:19])
                    for r in library.roots),
        coverage=tuple(coverage_row(row) for row in library.coverage),
        error_counts=tuple((name, code, count) for (name, code), count in sorted(counts.items())),
        errors=errors,
        error_total=len(library.errors),
        skipped_count=library.skipped_count,
    )
    yield eager_page("status", "status/", model)


KIND = PageKind(name="status", gather=gather, template="status.html")
