"""The one pass interface (DESIGN.md section 3).

A pass finds the photos that need it (`pending`), gathers plain inputs for them (`inputs`),
computes results without touching the database (`run`, so it can run in a worker process or a
remote machine), and stores one batch per transaction (`save`). The runner does the rest. The
records it speaks (`Scope`, `RunContext`, `PhotoInput`, `PhotoResult`) live in `core.records`.
"""
from __future__ import annotations

from typing import Any, ClassVar, Protocol, Sequence

from gallery_builder.core.records import PhotoInput, PhotoResult, RunContext, Scope

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
    # Optional: `run_version(context) -> int`, the version recorded for this run when results also
    # depend on a setting (the faces pass: its backend); `version` otherwise.
    #
    # Optional, for heavy model passes that may run on a Dask worker (`gallery index --cluster`):
    #   remote: ClassVar[bool] = True
    #   remote_files: ClassVar[tuple[str, ...]]  keys of `PhotoInput.extra` naming files on this machine;
    #       their bytes travel with the task and the worker's `run` sees a local copy's path
    #   model_requirement(context) -> ml.bundle_checksum.ModelRequirement  the model files `run` reads
    #       and their checksum here; a worker whose copy differs gets none of this pass's tasks
    #   runs_remote(context) -> bool  when only some settings make `run` heavy (quality: a head that
    #       embeds images goes to workers, one that scores stored vectors stays here); `remote` otherwise
    #   remote_settings(context) -> Settings  the settings shipped to workers, with what this machine
    #       resolved pinned (faces: `auto` becomes the backend chosen here), so a worker computes the same
    # `run` on a worker must not write to this machine's disk: files it makes come back in the results
    # and `save` writes them (faces: the crops).


def goes_remote(the_pass: Pass, context: RunContext) -> bool:
    """Whether this pass's `run` goes to the cluster in this run (see `remote` and `runs_remote` above)."""
    if not getattr(the_pass, "remote", False):
        return False
    runs_remote = getattr(the_pass, "runs_remote", None)
    return bool(runs_remote(context)) if runs_remote is not None else True


def recorded_version(the_pass: Pass, context: RunContext) -> int:
    """The version a pass records (and counts coverage by) in this run: see `run_version` above."""
    run_version = getattr(the_pass, "run_version", None)
    return int(run_version(context)) if run_version is not None else the_pass.version
