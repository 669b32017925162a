"""How far each registered pass has got: done, failed, and pending as the pass itself counts it
(`gallery status`, the status page and pass_coverage.parquet read this)."""
from __future__ import annotations

from typing import Any

from gallery_builder.core.records import RunContext, Scope
from gallery_builder.db.export_queries import present_photo_count
from gallery_builder.db.pass_queries import pass_outcome
from gallery_builder.passes import registry
from gallery_builder.passes.base import Pass, recorded_version


def count_pending(the_pass: Pass, db: Any, scope: Scope, context: RunContext) -> int:
    """How many photos the pass says are pending: its `count_pending` (the same SQL as its `pending`,
    counted in SQLite) when it has one, else the length of its `pending` list."""
    counter = getattr(the_pass, "count_pending", None)
    if counter is not None:
        return int(counter(db, scope, context))
    return len(the_pass.pending(db, scope, context))


def pass_coverage(db: Any, context: RunContext) -> list[dict[str, Any]]:
    """Per registered pass, in registry order: ok / errors for the current content, photos the pass
    says are pending (its own query, so requirements and kinds count), and present photos."""
    total = present_photo_count(db)
    rows: list[dict[str, Any]] = []
    for name, the_pass in registry().items():
        ok, errors, last_run = pass_outcome(db, name, recorded_version(the_pass, context))
        pending = count_pending(the_pass, db, Scope(), context)
        rows.append({"pass": name, "version": the_pass.version, "description": the_pass.description,
                     "ok": ok, "errors": errors, "pending": pending, "total": total, "last_run": last_run})
    return rows
