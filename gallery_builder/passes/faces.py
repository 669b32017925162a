"""The faces pass (opt-in: `--faces`): detect and embed faces on each photo's largest thumbnail
(never the original), store them with their crops, and keep every face a person named.

The backend (dlib, or buffalo_l once fetched; the `face_backend` setting) is part of the version the
pass records, so a change of backend, or of its version, makes every photo pending again. Faces below
the backend's minimum size or score are stored with `clusterable = 0`. Crops are JPEGs stored
content-addressed beside the thumbnails (core.thumb_layout.face_crop_path): `run` returns their bytes
and `save` writes them, so `run` may go to a Dask worker (`--cluster`) that cannot reach our disk.
"""
from __future__ import annotations

import hashlib
import io
import multiprocessing
import os
import threading
from typing import Any, ClassVar, Sequence

from gallery_builder.core.records import PhotoInput, PhotoResult, RunContext, Scope
from gallery_builder.passes.photo_pass import PhotoPass

CROP_MARGIN = 0.25      # of the box's side, on each side
CROP_LONG_EDGE = 256
CROP_QUALITY = 85
_BACKENDS: dict[tuple[str, str, int], Any] = {}   # one loaded backend per process
_LOADING = threading.Lock()                        # warm_up's thread and run may ask at once


def _backend_code(name: str) -> int:
    from gallery_builder.ml.faces.backend import BACKEND_NAMES

    return BACKEND_NAMES.index(name) + 1


class FacesPass(PhotoPass):
    name: ClassVar[str] = "faces"
    version: ClassVar[int] = 1
    requires: ClassVar[tuple[str, ...]] = ("thumbs",)
    description: ClassVar[str] = ("Faces: boxes, landmarks, embeddings and crops from the largest thumbnail "
                                  "(dlib, or buffalo_l after `gallery models fetch buffalo_l`)")
    batch_size: ClassVar[int] = 8
    default: ClassVar[bool] = False
    remote: ClassVar[bool] = True                         # `run` may go to a Dask worker (--cluster)
    remote_files: ClassVar[tuple[str, ...]] = ("thumb",)  # travels as bytes: a worker cannot read our disk

    def model_requirement(self, context: RunContext) -> Any:
        """The chosen backend's model files and their checksum here (a worker must hold the same):
        buffalo_l's two ONNX files under the models folder, or the face_recognition_models package's
        dlib files (the worker's own installed copy)."""
        from gallery_builder.ml.bundle_checksum import package_requirement, requirement_for
        from gallery_builder.ml.faces.backend import BUFFALO_FILES, choose_backend_name

        if choose_backend_name(context.settings) == "buffalo_l":
            return requirement_for("face backend buffalo_l", context.models_dir,
                                   tuple(f"faces/buffalo_l/{name}" for name in BUFFALO_FILES))
        from gallery_builder.ml.faces.dlib_backend import MODEL_FILES

        return package_requirement("face backend dlib", "face_recognition_models",
                                   tuple(f"models/{name}" for name in MODEL_FILES.values()), modules=("dlib",))

    def remote_settings(self, context: RunContext) -> Any:
        """`auto` pinned to the backend chosen here: a worker holding other models computes the same faces."""
        from dataclasses import replace

        from gallery_builder.ml.faces.backend import choose_backend_name

        return replace(context.settings, face_backend=choose_backend_name(context.settings))

    def run_version(self, context: RunContext) -> int:
        """Recorded version: pass version, backend and backend version (1, dlib, 1 -> 10101)."""
        from gallery_builder.ml.faces.backend import BACKEND_VERSIONS, choose_backend_name

        backend = choose_backend_name(context.settings)
        return self.version * 10_000 + _backend_code(backend) * 100 + BACKEND_VERSIONS[backend]

    def check_ready(self, context: RunContext) -> str | None:
        from gallery_builder.ml.faces.backend import check_backend

        try:
            return check_backend(context.settings)
        except ValueError as error:
            return str(error)

    def pending(self, db: Any, scope: Scope, context: RunContext, force: bool = False) -> list[int]:
        from gallery_builder.db.pass_queries import photos_pending

        return photos_pending(db, self.name, self.run_version(context), self.requires, scope, force, self.kinds)

    def count_pending(self, db: Any, scope: Scope, context: RunContext, force: bool = False) -> int:
        from gallery_builder.db.pass_queries import count_photos_pending

        return count_photos_pending(db, self.name, self.run_version(context), self.requires, scope, force, self.kinds)

    def inputs(self, db: Any, photo_ids: Sequence[int], context: RunContext) -> list[PhotoInput]:
        from dataclasses import replace

        from gallery_builder.core.thumb_layout import thumb_relpath
        from gallery_builder.db.pass_queries import photo_inputs
        from gallery_builder.db.vectors import thumb_sources

        sources = thumb_sources(db, photo_ids)
        prepared = []
        for item in photo_inputs(db, photo_ids):
            source = sources.get(item.photo_id)
            thumb = (os.path.join(context.thumbs_dir, thumb_relpath(source.thumb_key, max(source.widths)))
                     if source and source.widths else None)
            prepared.append(replace(item, extra={**item.extra, "thumb": thumb}))
        return prepared

    def warm_up(self, context: RunContext) -> None:
        # with a pool each pool worker loads its own; with a cluster the Dask workers do
        if context.settings.worker_count() <= 1 and not context.settings.cluster:
            backend_for(context)

    def run_one(self, item: PhotoInput, context: RunContext) -> dict[str, Any]:
        import numpy as np

        backend = backend_for(context)
        picture = _open_thumb(item)
        rgb = np.asarray(picture)
        found = backend.detect(rgb)
        vectors = backend.embed(rgb, found)
        limits = backend.thresholds
        width, height = picture.size
        faces = []
        for face, vector in zip(found, vectors):
            x, y, w, h = face.box
            faces.append({
                "box": (x / width, y / height, w / width, h / height), "score": face.score, "size_px": face.size_px,
                "clusterable": face.score >= limits.min_score and face.size_px >= limits.min_size_px,
                "landmarks": None if face.landmarks is None else
                tuple((px / width, py / height) for px, py in face.landmarks),
                "embedding": np.asarray(vector, dtype="<f4").tobytes(), "crop": crop_jpeg(picture, face.box)})
        # where `save` puts the crops: this run's thumbs folder (the NAS's, also when run on a worker)
        return {"backend": backend.name, "content_hash": item.content_hash, "faces": faces,
                "crops_dir": context.thumbs_dir}

    def save(self, db: Any, results: Sequence[PhotoResult]) -> None:
        from gallery_builder.db.faces import NewFace, replace_photo_faces

        for result in results:
            if not (result.ok and result.data):
                continue
            crop_keys = [write_crop(face["crop"], result.data["crops_dir"]) for face in result.data["faces"]]
            replace_photo_faces(db, result.photo_id, result.data["backend"], result.data["content_hash"], [
                NewFace(*face["box"], score=face["score"], size_px=face["size_px"], clusterable=face["clusterable"],
                        landmarks=face["landmarks"], embedding=face["embedding"], crop_key=crop_key)
                for face, crop_key in zip(result.data["faces"], crop_keys)])


def backend_for(context: RunContext) -> Any:
    """The loaded backend of this process (models load once). In a pool worker, ONNX Runtime gets
    its share of the cores, so that the workers together do not oversubscribe the machine."""
    from gallery_builder.ml.faces.backend import choose_backend_name, load_backend

    name = choose_backend_name(context.settings)
    in_worker = multiprocessing.parent_process() is not None
    threads = max(1, (os.cpu_count() or 1) // context.settings.worker_count()) if in_worker else 0
    threads = int(os.environ.get("GALLERY_ONNX_THREADS", "0") or 0) or threads  # a Dask worker's share
    key = (name, context.models_dir, threads)
    with _LOADING:
        if key not in _BACKENDS:
            _BACKENDS[key] = load_backend(context.settings, name, threads=threads)
        return _BACKENDS[key]


def _open_thumb(item: PhotoInput) -> Any:
    """The thumbnail as an RGB Pillow image; MediaError when it is missing or cannot be decoded."""
    from PIL import Image

    from gallery_builder.media.errors import MediaError, classify

    thumb = item.extra.get("thumb")
    if not thumb or not os.path.exists(thumb):
        raise MediaError("missing_input", "the thumbnail is missing; run the thumbs pass again "
                                          "(gallery index --force-thumbs)")
    try:
        with Image.open(thumb) as opened:
            return opened.convert("RGB")
    except Exception as error:  # noqa: BLE001 - any decoder failure is this thumbnail's
        raise classify(error, "thumbnail") from error


def crop_jpeg(picture: Any, box: tuple[float, float, float, float]) -> bytes:
    """The face's crop (box plus a margin, at most 256 px) as JPEG bytes."""
    x, y, w, h = box
    margin = CROP_MARGIN * max(w, h)
    area = (max(0, int(x - margin)), max(0, int(y - margin)),
            min(picture.width, int(round(x + w + margin))), min(picture.height, int(round(y + h + margin))))
    crop = picture.crop(area)
    crop.thumbnail((CROP_LONG_EDGE, CROP_LONG_EDGE))
    buffer = io.BytesIO()
    crop.save(buffer, "JPEG", quality=CROP_QUALITY)
    return buffer.getvalue()


def write_crop(data: bytes, thumbs_dir: str) -> str:
    """Store a crop content-addressed (atomically, once); return its key."""
    from pathlib import Path

    from gallery_builder.core.thumb_layout import face_crop_path

    key = hashlib.sha1(data).hexdigest()  # noqa: S324 - a content address, not a security measure
    target = face_crop_path(Path(thumbs_dir), key)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{key}.{os.getpid()}.tmp")
        temp.write_bytes(data)
        os.replace(temp, target)
    return key


PASS = FacesPass()
