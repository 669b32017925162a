"""ONNX Runtime sessions shared by CLIP's two towers (`clip_image`, `clip_text`): session options,
one batched tower, normalisation and a per-process cache of encoders.

Both towers return L2-normalised float32 rows, so a dot product is the cosine similarity. Models with a
fixed batch of 1 (Immich exports them so) are run one item at a time; others in chunks. The text
input's integer type is read from the model (open_clip exports int64, Immich int32).
onnxruntime and numpy are imported on first use only.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any, Callable

from gallery_builder.ml.clip_bundle import ClipBundle


@dataclass(frozen=True)
class OrtSettings:
    """The ONNX Runtime settings used (reported by benchmarks and `gallery models list`)."""

    intra_op_threads: int
    inter_op_threads: int = 1
    graph_optimization: str = "all"
    execution_mode: str = "sequential"
    allow_spinning: bool = True   # off in the sidecar: idle spinning threads would slow its numpy search

    def describe(self) -> str:
        return (f"onnxruntime CPUExecutionProvider, intra_op_threads={self.intra_op_threads}, "
                f"inter_op_threads={self.inter_op_threads}, graph_optimization={self.graph_optimization}, "
                f"execution_mode={self.execution_mode}, spinning={'on' if self.allow_spinning else 'off'}")


def default_threads() -> int:
    return int(os.environ.get("GALLERY_ONNX_THREADS", "0") or 0) or (os.cpu_count() or 1)


def open_session(model_path: str, settings: OrtSettings) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = settings.intra_op_threads
    options.inter_op_num_threads = settings.inter_op_threads
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if settings.allow_spinning else "0")
    return onnxruntime.InferenceSession(model_path, sess_options=options, providers=["CPUExecutionProvider"])


def _input_of(session: Any, preferred: str) -> Any:
    inputs = session.get_inputs()
    return next((item for item in inputs if item.name == preferred), inputs[0])


def _output_name(session: Any) -> str:
    outputs = session.get_outputs()
    return next((item.name for item in outputs if item.name == "embedding"), outputs[0].name)


def _fixed_batch(model_input: Any) -> int | None:
    first = model_input.shape[0] if model_input.shape else None
    return first if isinstance(first, int) and first > 0 else None


def normalise_rows(matrix: Any) -> Any:
    import numpy as np

    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


class Tower:
    """One ONNX model with a single batched input and an `embedding` output."""

    def __init__(self, model_path: str, preferred_input: str, settings: OrtSettings) -> None:
        self.session = open_session(model_path, settings)
        self.model_input = _input_of(self.session, preferred_input)
        self.output = _output_name(self.session)
        self.fixed_batch = _fixed_batch(self.model_input)

    def run(self, batch: Any, chunk: int) -> Any:
        import numpy as np

        step = self.fixed_batch or chunk
        parts = [self.session.run([self.output], {self.model_input.name: batch[start:start + step]})[0]
                 for start in range(0, len(batch), step)]
        return normalise_rows(np.concatenate(parts, axis=0))


_CACHE: dict[tuple[str, str, str], Any] = {}
_CACHE_LOCK = threading.Lock()


def cached(bundle: ClipBundle, part: str, settings: OrtSettings, make: Callable[[], Any]) -> Any:
    """One encoder per (bundle file version, part, settings) per process: passes call it per batch.
    An older version of the same bundle and part is dropped when its files change."""
    key = (bundle.fingerprint(part), part, settings.describe())  # type: ignore[arg-type]
    with _CACHE_LOCK:
        if key not in _CACHE:
            for old in [item for item in _CACHE if item[0].split(":")[0] == bundle.name and item[1] == part]:
                del _CACHE[old]
            _CACHE[key] = make()
        return _CACHE[key]
