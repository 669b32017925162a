"""The dlib face backend: dlib-bin's HOG detector, 5-point alignment and ResNet descriptor (128-d),
with the model files of the `face-recognition-models` package (found on disk, not imported: its
__init__ needs pkg_resources). Works with no download at all. Landmarks are dlib's 68 points, so
eyes can be judged open or shut later.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import ClassVar, Sequence

import numpy as np

from gallery_builder.ml.faces.backend import BACKEND_VERSIONS, THRESHOLDS, DetectedFace, FaceThresholds, unit_rows

MODEL_FILES = {
    "landmarks_5": "shape_predictor_5_face_landmarks.dat",
    "landmarks_68": "shape_predictor_68_face_landmarks.dat",
    "descriptor": "dlib_face_recognition_resnet_model_v1.dat",
}
# HOG finds faces from ~80 px; one upsample halves that. Detecting on a picture of at most this long
# edge with one upsample finds faces down to ~3% of the picture at ~0.5 s per photo on one core.
DETECT_LONG_EDGE = 1024
UPSAMPLE = 1


def model_folder() -> Path | None:
    """The installed face_recognition_models package's `models/` folder, or None."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "models"


def missing_dlib_message() -> str | None:
    """None when dlib and its model files are installed; else what to install."""
    if importlib.util.find_spec("dlib") is None:
        return "face backend dlib needs the dlib-bin package: pip install dlib-bin face-recognition-models"
    folder = model_folder()
    missing = [name for name in MODEL_FILES.values() if folder is None or not (folder / name).is_file()]
    if missing:
        return (f"face backend dlib is missing {', '.join(missing)}: pip install face-recognition-models "
                f"(or fetch buffalo_l: gallery models fetch buffalo_l)")
    return None


class DlibBackend:
    name: ClassVar[str] = "dlib"
    version: ClassVar[int] = BACKEND_VERSIONS["dlib"]
    thresholds: ClassVar[FaceThresholds] = THRESHOLDS["dlib"]

    def __init__(self) -> None:
        import dlib

        problem = missing_dlib_message()
        if problem:
            from gallery_builder.ml.faces.backend import FaceModelMissing

            raise FaceModelMissing(problem)
        folder = model_folder()
        assert folder is not None
        self._detector = dlib.get_frontal_face_detector()
        self._shape_5 = dlib.shape_predictor(str(folder / MODEL_FILES["landmarks_5"]))
        self._shape_68 = dlib.shape_predictor(str(folder / MODEL_FILES["landmarks_68"]))
        self._descriptor = dlib.face_recognition_model_v1(str(folder / MODEL_FILES["descriptor"]))
        self._dlib = dlib

    def detect(self, rgb: np.ndarray) -> list[DetectedFace]:
        image = np.ascontiguousarray(rgb, dtype=np.uint8)
        scale = min(1.0, DETECT_LONG_EDGE / max(image.shape[0], image.shape[1]))
        small = _resized(image, scale)
        rects, scores, _ = self._detector.run(small, UPSAMPLE, 0.0)
        faces = []
        for rect, score in sorted(zip(rects, scores), key=lambda pair: -pair[1]):
            left, top = max(0.0, rect.left() / scale), max(0.0, rect.top() / scale)
            right = min(float(image.shape[1]), (rect.right() + 1) / scale)
            bottom = min(float(image.shape[0]), (rect.bottom() + 1) / scale)
            if right <= left or bottom <= top:
                continue
            shape = self._shape_68(image, self._rect(left, top, right, bottom))
            landmarks = tuple((float(point.x), float(point.y)) for point in shape.parts())
            faces.append(DetectedFace((left, top, right - left, bottom - top), float(score), landmarks))
        return faces

    def embed(self, rgb: np.ndarray, faces: Sequence[DetectedFace]) -> np.ndarray:
        if not faces:
            return np.zeros((0, 128), dtype=np.float32)
        image = np.ascontiguousarray(rgb, dtype=np.uint8)
        shapes = self._dlib.full_object_detections()
        for face in faces:
            x, y, w, h = face.box
            shapes.append(self._shape_5(image, self._rect(x, y, x + w, y + h)))
        descriptors = self._descriptor.compute_face_descriptor(image, shapes)
        return unit_rows(np.array([np.array(item) for item in descriptors], dtype=np.float32))

    def _rect(self, left: float, top: float, right: float, bottom: float):  # noqa: ANN202 - dlib.rectangle
        return self._dlib.rectangle(int(round(left)), int(round(top)), int(round(right)) - 1, int(round(bottom)) - 1)


def _resized(image: np.ndarray, scale: float) -> np.ndarray:
    if scale >= 1.0:
        return image
    import cv2

    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)
