"""The buffalo_l face backend: InsightFace's own SCRFD detector and ArcFace recogniser classes
(`insightface.model_zoo.get_model`) on ONNX Runtime's CPU provider, reading Immich's bundle layout
(`<home>/models/faces/buffalo_l/detection/model.onnx`, `recognition/model.onnx`). SCRFD decoding,
NMS and the 5-point alignment are insightface's; this module only adapts their arrays.
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, ClassVar, Sequence

import numpy as np

from gallery_builder.ml.faces.backend import BACKEND_VERSIONS, THRESHOLDS, DetectedFace, FaceThresholds, unit_rows

DETECT_SIZE = (640, 640)
# Below buffalo_l's min_score (0.7) on purpose: weaker faces are kept, shown and not clustered.
DETECT_THRESHOLD = 0.5


class InsightFaceBackend:
    name: ClassVar[str] = "buffalo_l"
    version: ClassVar[int] = BACKEND_VERSIONS["buffalo_l"]
    thresholds: ClassVar[FaceThresholds] = THRESHOLDS["buffalo_l"]

    def __init__(self, folder: str | Path, threads: int = 0) -> None:
        import onnxruntime
        from insightface.model_zoo import get_model

        folder = Path(folder)
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        common: dict[str, Any] = {"providers": ["CPUExecutionProvider"], "sess_options": options}
        self._detector = get_model(str(folder / "detection" / "model.onnx"), **common)
        self._recogniser = get_model(str(folder / "recognition" / "model.onnx"), **common)
        kinds = (type(self._detector).__name__, type(self._recogniser).__name__)
        if kinds != ("SCRFD", "ArcFaceONNX"):
            raise ValueError(f"{folder} does not hold an SCRFD detector and an ArcFace recogniser (found {kinds})")
        self._detector.prepare(-1, input_size=DETECT_SIZE, det_thresh=DETECT_THRESHOLD)
        self._recogniser.prepare(-1)

    def detect(self, rgb: np.ndarray) -> list[DetectedFace]:
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])  # insightface takes OpenCV's BGR order
        boxes, points = self._detector.detect(bgr, input_size=DETECT_SIZE)
        height, width = rgb.shape[:2]
        faces = []
        for index, (x1, y1, x2, y2, score) in enumerate(boxes):
            x1, y1 = max(0.0, float(x1)), max(0.0, float(y1))
            x2, y2 = min(float(width), float(x2)), min(float(height), float(y2))
            if x2 <= x1 or y2 <= y1:
                continue
            landmarks = None if points is None else tuple((float(x), float(y)) for x, y in points[index])
            faces.append(DetectedFace((x1, y1, x2 - x1, y2 - y1), float(score), landmarks))
        return sorted(faces, key=lambda face: -face.score)

    def embed(self, rgb: np.ndarray, faces: Sequence[DetectedFace]) -> np.ndarray:
        from insightface.utils import face_align

        if not faces:
            return np.zeros((0, 512), dtype=np.float32)
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        size = self._recogniser.input_size[0]
        with warnings.catch_warnings():  # insightface's alignment calls a scikit-image API that warns
            warnings.simplefilter("ignore", FutureWarning)
            crops = [face_align.norm_crop(bgr, landmark=np.array(face.landmarks or _box_points(face), np.float32),
                                          image_size=size) for face in faces]
        return unit_rows(self._recogniser.get_feat(crops))


def _box_points(face: DetectedFace) -> list[tuple[float, float]]:
    """ArcFace's five template points placed in a box (a face found without landmarks)."""
    x, y, w, h = face.box
    template = ((38.29, 51.70), (73.53, 51.50), (56.03, 71.74), (41.55, 92.37), (70.73, 92.20))
    return [(x + px / 112 * w, y + py / 112 * h) for px, py in template]
