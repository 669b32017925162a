"""Pending queries of the passes that write one row per photo content and model into a table of
their own (quality, concepts, critique, verify). Each says what it writes and what a photo needs
first (`output`); `pending` and `count_pending` come from one place, so the two never drift apart.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, NamedTuple, Sequence

from gallery_builder.core.records import RunContext, Scope


class PassOutput(NamedTuple):
    """The `table` a pass writes and the `model` key of its rows; the (table, model) outputs a photo
    must have for its content first (`needs`); `error_pattern` matches the skips that were the
    model's own failure (retried by the next run)."""
    table: str
    model: str
    needs: Sequence[tuple[str, str]] = ()
    error_pattern: str | None = None


class OutputTablePending(ABC):
    """`pending` and `count_pending` of a pass from its `output` (plus its name, version and requires)."""
    name: ClassVar[str]
    version: ClassVar[int]
    requires: ClassVar[tuple[str, ...]]

    @abstractmethod
    def output(self, context: RunContext) -> PassOutput:
        """What this pass writes under `context`'s settings, and what it needs first."""

    def _query(self, context: RunContext) -> tuple[tuple[object, ...], dict[str, object]]:
        output = self.output(context)
        return ((output.table, output.model, self.name, self.version, self.requires),
                {"needs": output.needs, "error_pattern": output.error_pattern})

    def pending(self, db: object, scope: Scope, context: RunContext, force: bool = False) -> list[int]:
        from gallery_builder.db.quality import photos_needing

        args, options = self._query(context)
        return photos_needing(db, *args, scope, force, **options)

    def count_pending(self, db: object, scope: Scope, context: RunContext, force: bool = False) -> int:
        from gallery_builder.db.quality import count_photos_needing

        args, options = self._query(context)
        return count_photos_needing(db, *args, scope, force, **options)
