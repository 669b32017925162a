"""Analysis: pure functions over facts already in the database (times, hashes, vectors, faces) that
propose stacks, duplicates, people and culling picks (DESIGN.md section 6).

`ANALYSES` is the one registry the run's analysis stage reads, in order. Each analysis reads what
it needs through `db/`, computes proposals without touching a person's decisions, and stores them
in one short transaction. Stacks, duplicates and faces (matching, then incremental clustering) are registered.
"""
from __future__ import annotations

from typing import Any, ClassVar, Protocol

from gallery_builder.core.records import RunContext, Scope


class Analysis(Protocol):
    """One library-wide analysis step, run after the passes over the photos of a run's scope."""

    name: ClassVar[str]

    def run(self, db: Any, scope: Scope, context: RunContext) -> str:
        """Recompute what `scope` affects; return one line for the log (what changed)."""
        ...


from gallery_builder.analysis.duplicates import DuplicateAnalysis  # noqa: E402  (after the protocol)
from gallery_builder.analysis.faces_run import FaceAnalysis  # noqa: E402
from gallery_builder.analysis.review_run import ReviewAnalysis  # noqa: E402
from gallery_builder.analysis.stack_run import StackAnalysis  # noqa: E402

# In order: stacks, duplicates, faces (each reads only facts and a person's decisions, never another's),
# then shoot review proposals (they read stars and ratings, never stacks or duplicates).
ANALYSES: tuple[Analysis, ...] = (StackAnalysis(), DuplicateAnalysis(), FaceAnalysis(), ReviewAnalysis())
