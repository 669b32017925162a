"""Face backends (dlib offline, InsightFace's buffalo_l once fetched) behind one interface.

Importing this package loads no model library: `get_thresholds` and `choose_backend_name` answer
from tables; `load_backend` imports dlib or insightface only for the backend it loads.
"""
from gallery_builder.ml.faces.backend import (
    BACKEND_CHOICES, BACKEND_NAMES, DetectedFace, FaceBackend, FaceModelMissing, FaceThresholds, backend_key,
    check_backend, choose_backend_name, get_thresholds, load_backend,
)

__all__ = ["BACKEND_CHOICES", "BACKEND_NAMES", "DetectedFace", "FaceBackend", "FaceModelMissing", "FaceThresholds",
           "backend_key", "check_backend", "choose_backend_name", "get_thresholds", "load_backend"]
