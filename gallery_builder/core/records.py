"""The records that cross layer and process edges: which photos a run covers (`Scope`), what a
pass may know of the run (`RunContext`), and one photo's input to and result from a pass.

Neutral on purpose: the database layer, the passes, the runner and remote workers all speak them,
and none of them has to import another to do so.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from gallery_builder.config import Settings

ErrorCode = Literal[
    "corrupt", "truncated", "empty", "unsupported", "too_large", "unreadable", "missing_input",
    "no_model", "bad_answer", "internal",
]
ERROR_CODES: tuple[str, ...] = ErrorCode.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Scope:
    """Which photos a run covers: all, some roots (by id), or one folder of one root."""

    root_ids: tuple[int, ...] = ()
    folder: str | None = None
    photo_ids: tuple[int, ...] = ()

    def sql(self, alias: str = "p") -> tuple[str, list[Any]]:
        """A WHERE fragment (starting with AND) and its parameters."""
        clauses, params = [], []
        if self.root_ids:
            clauses.append(f"{alias}.root_id IN ({','.join('?' * len(self.root_ids))})")
            params.extend(self.root_ids)
        if self.folder is not None:
            clauses.append(f"({alias}.folder = ? OR {alias}.folder LIKE ? ESCAPE '\\')")
            escaped = self.folder.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params.extend([self.folder, escaped + "/%"])
        if self.photo_ids:
            clauses.append(f"{alias}.id IN ({','.join('?' * len(self.photo_ids))})")
            params.extend(self.photo_ids)
        return "".join(" AND " + clause for clause in clauses), params


@dataclass(frozen=True)
class RunContext:
    """What a pass may know of the run: the resolved settings (picklable, so worker processes and
    remote workers get them too). Paths are given as strings for the workers' convenience."""

    settings: Settings

    @classmethod
    def for_home(cls, home: str | Path, **overrides: Any) -> "RunContext":
        """A context with default settings under `home` (tests, benchmarks), options overridden."""
        return cls(Settings(home=Path(home), **overrides))

    @property
    def home(self) -> str:
        return str(self.settings.home)

    @property
    def thumbs_dir(self) -> str:
        return str(self.settings.thumbs_dir)

    @property
    def models_dir(self) -> str:
        return str(self.settings.models_dir)


@dataclass(frozen=True)
class PhotoInput:
    """What a pass's `run` needs to know about one photo: plain data, picklable."""

    photo_id: int
    path: str                 # absolute path on disk (fs-decoded, may hold surrogate escapes)
    kind: str                 # photo / video / raw
    content_hash: str
    size: int
    mtime_ns: int
    extra: dict[str, Any] = field(default_factory=dict)  # pass-specific inputs (e.g. GPS, thumb path)


@dataclass(frozen=True)
class PhotoResult:
    """The outcome of one pass on one photo: `data` on success, or an error code and message."""

    photo_id: int
    data: dict[str, Any] | None = None
    error_code: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error_code is None
