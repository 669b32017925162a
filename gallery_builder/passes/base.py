"""The one pass interface (DESIGN.md section 3) and the records that cross process edges.

A pass finds the photos that need it (`pending`), gathers plain inputs for them (`inputs`),
computes results without touching the database (`run`, so it can run in a worker process or a
remote machine), and stores one batch per transaction (`save`). The runner does the rest.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol, Sequence

ErrorCode = Literal[
    "corrupt", "truncated", "empty", "unsupported", "too_large", "unreadable", "missing_input",
    "no_model", "internal",
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
    """Settings a pass needs while running, picklable so worker processes get them too."""

    home: str
    thumbs_dir: str
    models_dir: str
    jpeg_quality: int = 82
    webp_quality: int = 80
    max_pixels: int = 200_000_000
    max_file_mb: int = 2048
    clip_model: str = "ViT-B-32__laion2b-s34b-b79k"
    options: dict[str, Any] = field(default_factory=dict)  # anything else from Settings.values


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


class Pass(Protocol):
    """Every indexing step. Class attributes describe it to the runner, the CLI and the status page."""

    name: ClassVar[str]
    version: ClassVar[int]
    requires: ClassVar[tuple[str, ...]]
    description: ClassVar[str]
    cpu_bound: ClassVar[bool]          # fan `run` out to the process pool
    marks_photo_error: ClassVar[bool]  # a failure here means the photo cannot be shown
    batch_size: ClassVar[int]

    default: ClassVar[bool]            # part of the default index (settings may change the list)

    def pending(self, db: Any, scope: Scope, context: RunContext, force: bool = False) -> list[int]: ...

    def inputs(self, db: Any, photo_ids: Sequence[int], context: RunContext) -> list[PhotoInput]: ...

    def run(self, batch: Sequence[PhotoInput], context: RunContext) -> list[PhotoResult]: ...

    def save(self, db: Any, results: Sequence[PhotoResult]) -> None: ...

    def check_ready(self, context: RunContext) -> str | None:
        """None when the pass can run; else a message saying what is missing and how to add it."""
        ...

    # Optional: `warm_up(context) -> None` loads tables or models in a background thread while the
    # passes before this one run (the runner starts it; it must be thread-safe with `run`).
