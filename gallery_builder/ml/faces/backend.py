"""The face-backend interface: detect faces (box, landmarks, score) on a decoded RGB picture and
embed them as unit vectors, with each backend's own distance thresholds; and choosing a backend.

Distances are Euclidean between unit vectors (d = sqrt(2 - 2 cos)), for every backend, so analysis
code compares like with like. Nothing here imports a model library: `get_thresholds` and
`choose_backend_name` answer without loading any model.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol, Sequence

import numpy as np

BackendName = Literal["dlib", "buffalo_l"]
BACKEND_NAMES: tuple[str, ...] = ("dlib", "buffalo_l")
BACKEND_CHOICES: tuple[str, ...] = ("auto", *BACKEND_NAMES)

# Immich's bundle layout under <home>/models/faces/buffalo_l/.
BUFFALO_FILES: tuple[str, ...] = ("detection/model.onnx", "recognition/model.onnx")


@dataclass(frozen=True)
class DetectedFace:
    """One face found on a picture: box (x, y, w, h) and landmarks in pixels of that picture."""

    box: tuple[float, float, float, float]
    score: float
    landmarks: tuple[tuple[float, float], ...] | None = None

    @property
    def size_px(self) -> int:
        """The box's shorter side, in pixels of the picture detected on."""
        return int(round(min(self.box[2], self.box[3])))


@dataclass(frozen=True)
class FaceThresholds:
    """A backend's distances (Euclidean, unit vectors) and what makes a face worth clustering."""

    match_distance: float      # a face is this person when nearer than this to one of their faces
    temporal_distance: float   # looser, within a session window around a sure match
    cluster_distance: float    # neighbours for clustering unknown faces
    min_score: float           # detector confidence below which a face is kept but not clustered
    min_size_px: int           # shorter box side (px of the picture detected on) below which likewise


# dlib's classic tolerance is 0.6 on its raw 128-d descriptors, whose norms sit near 1.40 (median over
# the corpus faces, 1.32-1.59; unit distance / raw distance had a median of 0.70 over all pairs). On
# unit vectors the same decision is 0.6 / 1.40 ~= 0.43; temporal and cluster distances are scaled alike
# from 0.7 and 0.55 (corpus: same person <= 0.36 apart on unit vectors, different people >= 0.48).
DLIB_DESCRIPTOR_NORM = 1.40
THRESHOLDS: dict[str, FaceThresholds] = {
    "dlib": FaceThresholds(match_distance=round(0.6 / DLIB_DESCRIPTOR_NORM, 3),
                           temporal_distance=round(0.7 / DLIB_DESCRIPTOR_NORM, 3),
                           cluster_distance=round(0.55 / DLIB_DESCRIPTOR_NORM, 3),
                           min_score=0.0, min_size_px=40),
    # ArcFace (w600k_r50): Immich matches at cosine distance 0.5 (Euclidean 1.0) and clusters there;
    # matching a named person may go to 1.15, and temporal matching to 1.45.
    "buffalo_l": FaceThresholds(match_distance=1.15, temporal_distance=1.45, cluster_distance=1.0,
                                min_score=0.7, min_size_px=40),
}
# Bump a backend's version when its detection or embedding changes: the faces pass re-runs.
BACKEND_VERSIONS: dict[str, int] = {"dlib": 1, "buffalo_l": 1}


def get_thresholds(backend_name: str) -> FaceThresholds:
    """The thresholds of a backend by name, without loading it."""
    try:
        return THRESHOLDS[backend_name]
    except KeyError:
        raise ValueError(f"unknown face backend {backend_name!r}; known: {', '.join(BACKEND_NAMES)}") from None


def backend_key(name: str) -> str:
    """What the faces pass records per photo: a backend change (name or version) makes photos pending."""
    return f"{name}/{BACKEND_VERSIONS[name]}"


class FaceBackend(Protocol):
    name: ClassVar[str]
    version: ClassVar[int]
    thresholds: ClassVar[FaceThresholds]

    def detect(self, rgb: np.ndarray) -> list[DetectedFace]:
        """Faces on an RGB uint8 array (H, W, 3), best first."""
        ...

    def embed(self, rgb: np.ndarray, faces: Sequence[DetectedFace]) -> np.ndarray:
        """One float32 unit row per face, in order ((0, D) for no face)."""
        ...


class FaceModelMissing(RuntimeError):
    """The chosen backend's model files are not installed; the message names the command that adds them."""


def buffalo_dir(models_dir: str | Path) -> Path:
    return Path(models_dir) / "faces" / "buffalo_l"


def has_buffalo(models_dir: str | Path) -> bool:
    folder = buffalo_dir(models_dir)
    return all((folder / relative).is_file() for relative in BUFFALO_FILES)


def missing_buffalo_message(models_dir: str | Path) -> str:
    folder = buffalo_dir(models_dir)
    missing = [relative for relative in BUFFALO_FILES if not (folder / relative).is_file()]
    home = Path(models_dir).parent
    return (f"face backend buffalo_l is not installed (missing in {folder}: {', '.join(missing)}); "
            f"add it with `gallery models fetch buffalo_l --home {home}`")


def choose_backend_name(settings: Any, name: str | None = None) -> str:
    """`name`, else the `face_backend` setting; `auto` is buffalo_l when its files are there, else dlib."""
    chosen = name or getattr(settings, "face_backend", "auto") or "auto"
    if chosen not in BACKEND_CHOICES:
        raise ValueError(f"unknown face backend {chosen!r}; choose one of {', '.join(BACKEND_CHOICES)}")
    if chosen == "auto":
        return "buffalo_l" if has_buffalo(settings.models_dir) else "dlib"
    return chosen


def check_backend(settings: Any, name: str | None = None) -> str | None:
    """None when the chosen backend can load; else one line saying what is missing and how to add it."""
    chosen = choose_backend_name(settings, name)
    if chosen == "buffalo_l" and not has_buffalo(settings.models_dir):
        return missing_buffalo_message(settings.models_dir)
    if chosen == "dlib":
        from gallery_builder.ml.faces.dlib_backend import missing_dlib_message

        return missing_dlib_message()
    return None


def load_backend(settings: Any, name: str | None = None, threads: int = 0) -> FaceBackend:
    """The chosen backend with its models loaded (`threads`: ONNX Runtime threads, 0 = its default)."""
    chosen = choose_backend_name(settings, name)
    if chosen == "buffalo_l":
        if not has_buffalo(settings.models_dir):
            raise FaceModelMissing(missing_buffalo_message(settings.models_dir))
        from gallery_builder.ml.faces.insightface_backend import InsightFaceBackend

        return InsightFaceBackend(buffalo_dir(settings.models_dir), threads=threads)
    from gallery_builder.ml.faces.dlib_backend import DlibBackend

    return DlibBackend()


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (float32); a zero row stays zero."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.size == 0:
        return vectors.reshape(len(vectors), -1)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms == 0, 1, norms)).astype(np.float32)
