"""How far each registered pass has got: done, failed, and pending as the pass itself counts it
(`gallery status`, the status page and pass_coverage.parquet read this), kept in the status snapshot
so that status answers in constant time while nothing changed."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any

from gallery_builder.core.records import RunContext, Scope
from gallery_builder.db.export_queries import present_photo_count
from gallery_builder.db.pass_queries import errors_by_code, pass_outcome
from gallery_builder.db.photos import photo_tallies
from gallery_builder.db.status_snapshot import cached_figures
from gallery_builder.passes import registry
from gallery_builder.passes.base import Pass, recorded_version


def count_pending(the_pass: Pass, db: Any, scope: Scope, context: RunContext) -> int:
    """How many photos the pass says are pending: its `count_pending` (the same SQL as its `pending`,
    counted in SQLite) when it has one, else the length of its `pending` list."""
    counter = getattr(the_pass, "count_pending", None)
    if counter is not None:
        return int(counter(db, scope, context))
    return len(the_pass.pending(db, scope, context))


def library_status(db: Any, context: RunContext) -> dict[str, Any]:
    """Photo tallies, pass coverage and errors by code, from the status snapshot while nothing
    they read has changed (and for the same passes and settings), else computed and stored."""
    def compute() -> dict[str, Any]:
        return {"tallies": photo_tallies(db), "passes": compute_pass_coverage(db, context),
                "errors": errors_by_code(db)}

    return cached_figures(db, _snapshot_key(context), compute)


def pass_coverage(db: Any, context: RunContext) -> list[dict[str, Any]]:
    """Per registered pass, in registry order (see `compute_pass_coverage`), from the snapshot."""
    return library_status(db, context)["passes"]


def _snapshot_key(context: RunContext) -> str:
    """What the figures depend on besides the data: each pass's recorded version (a face backend
    fetched changes it) and the settings (a model or default-pass change counts pending differently)."""
    passes = [(name, recorded_version(the_pass, context)) for name, the_pass in registry().items()]
    settings = json.dumps(asdict(context.settings), sort_keys=True, default=str)
    return hashlib.sha1(json.dumps([passes, settings]).encode()).hexdigest()


def compute_pass_coverage(db: Any, context: RunContext) -> list[dict[str, Any]]:
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
