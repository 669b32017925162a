"""How far each registered pass has got: done, failed, and pending as the pass itself counts it
(`gallery status`, the status page and pass_coverage.parquet read this)."""
from __future__ import annotations

from typing import Any

from gallery_builder.core.records import RunContext, Scope
from gallery_builder.db.export_queries import pass_outcomes, present_photo_count
from gallery_builder.passes import registry


def pass_coverage(db: Any, context: RunContext) -> list[dict[str, Any]]:
    """Per registered pass, in registry order: ok / errors for the current content, photos the pass
    says are pending (its own `pending`, so requirements and kinds count), and present photos."""
    total = present_photo_count(db)
    rows: list[dict[str, Any]] = []
    for name, the_pass in registry().items():
        ok, errors, last_run = pass_outcomes(db, name, the_pass.version)
        pending = len(the_pass.pending(db, Scope(), context))
        rows.append({"pass": name, "version": the_pass.version, "description": the_pass.description,
                     "ok": ok, "errors": errors, "pending": pending, "total": total, "last_run": last_run})
    return rows
