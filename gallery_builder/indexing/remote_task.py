"""One batch of a remote-capable pass as a Dask task: the NAS ships inputs with their files as bytes
(`ship_inputs`), a worker checks its model copy and runs the pass's pure `run` (`run_remote_batch`),
and the results come back as plain records with the worker's name for the status page.
"""
from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Sequence

from gallery_builder.config import Settings
from gallery_builder.core.records import PhotoInput, PhotoResult, RunContext
from gallery_builder.ml.bundle_checksum import ModelRefused, ModelRequirement, refusal

MODELS_ENV = "GALLERY_MODELS"  # set by `gallery worker --models DIR`; the worker's own folder wins


@dataclass(frozen=True)
class ShippedFile:
    """A file of the NAS travelling inside a task: its path there (for messages) and its bytes (None:
    it was missing there, and the pass reports that as it would locally)."""

    original: str
    data: bytes | None


@dataclass(frozen=True)
class RemoteBatch:
    """A batch's results and who computed them."""

    results: list[PhotoResult]
    worker: str
    seconds: float
    cpu_seconds: float = 0.0   # of the task's thread (ONNX Runtime's own threads not counted)


def ship_inputs(inputs: Sequence[PhotoInput], keys: Sequence[str]) -> list[PhotoInput]:
    """The NAS side: replace each named file of `extra` with its bytes."""
    shipped = []
    for item in inputs:
        extra = dict(item.extra)
        for key in keys:
            path = extra.get(key)
            if isinstance(path, str):
                try:
                    extra[key] = ShippedFile(path, Path(path).read_bytes())
                except OSError:
                    extra[key] = ShippedFile(path, None)
        shipped.append(replace(item, extra=extra))
    return shipped


def worker_models_dir(settings: Settings) -> str:
    return os.environ.get(MODELS_ENV) or str(settings.models_dir)


def worker_address() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except ValueError:
        return ""


def worker_name() -> str:
    try:
        from distributed import get_worker

        worker = get_worker()
        return str(worker.name if worker.name is not None else worker.address)
    except ValueError:  # called outside a worker (tests, the benchmark's baseline)
        return f"local-{os.getpid()}"


def run_remote_batch(pass_name: str, inputs: Sequence[PhotoInput], settings: Settings,
                     requirement: ModelRequirement | None) -> RemoteBatch:
    """The worker side: refuse a model that differs from the NAS's, write the shipped files to a
    private temporary folder, run the pass there, and put the NAS's paths back into error messages.
    A batch that fails because this worker's model copy could not be read (or was replaced while
    it ran) is refused, so its photos go to another worker instead of being saved as errors."""
    from gallery_builder.passes import get_pass

    started, cpu_started = time.perf_counter(), time.thread_time()
    models_dir = worker_models_dir(settings)
    _refuse_unless_same_model(requirement, models_dir)
    context = RunContext(replace(settings, models=models_dir))
    with tempfile.TemporaryDirectory(prefix="gallery-task-") as folder:
        local, renames = _materialise(inputs, Path(folder))
        results = _run_here(get_pass(pass_name), local, context, requirement, models_dir)
    return RemoteBatch([_with_nas_paths(result, renames) for result in results], worker_name(),
                       time.perf_counter() - started, time.thread_time() - cpu_started)


def _run_here(the_pass: Any, items: list[PhotoInput], context: RunContext, requirement: ModelRequirement | None,
              models_dir: str) -> list[PhotoResult]:
    """Run the batch; when it fails, find the photo to blame one by one (the runner's guard), unless
    no photo is: a model this worker cannot read (its copy half-written or replaced while the batch
    ran) refuses the batch, and another worker takes it."""
    from gallery_builder.core.disk_space import is_disk_full
    from gallery_builder.indexing.runner import _run_guarded
    from gallery_builder.ml.clip_bundle import ModelMissing

    try:
        return list(the_pass.run(items, context))
    except Exception as error:
        if is_disk_full(error):
            raise
        if isinstance(error, ModelMissing):
            label = requirement.label if requirement is not None else "its model"
            raise ModelRefused(f"worker {worker_name()}: cannot read {label}: {error}", worker_address()) from error
        _refuse_unless_same_model(requirement, models_dir)
        return _run_guarded(the_pass, items, context)


def _refuse_unless_same_model(requirement: ModelRequirement | None, models_dir: str) -> None:
    if requirement is not None:
        refused = refusal(requirement, models_dir)
        if refused:
            raise ModelRefused(f"worker {worker_name()}: {refused}", worker_address())


def _materialise(inputs: Sequence[PhotoInput], folder: Path) -> tuple[list[PhotoInput], dict[str, str]]:
    local, renames = [], {}
    for number, item in enumerate(inputs):
        extra = dict(item.extra)
        for key, value in item.extra.items():
            if isinstance(value, ShippedFile):
                path = folder / f"{number}-{key}{Path(value.original).suffix}"
                if value.data is not None:
                    path.write_bytes(value.data)
                extra[key] = str(path)
                renames[str(path)] = value.original
        local.append(replace(item, extra=extra))
    return local, renames


def _with_nas_paths(result: PhotoResult, renames: dict[str, str]) -> PhotoResult:
    if not result.error:
        return result
    message = result.error
    for here, there in renames.items():
        message = message.replace(here, there)
    return replace(result, error=message)
