"""URL rules the builder's pages and the search sidecar both follow: photo permalinks and their
buckets, thumbnail files, originals. Site-relative, without a leading slash (the sidecar adds one).
"""
from __future__ import annotations

from urllib.parse import quote

from gallery_builder.core.thumb_layout import face_crop_relpath, thumb_relpath

PHOTO_BUCKET_SIZE = 1000


def photo_bucket(photo_id: int) -> str:
    """Photo pages live in buckets of 1000 ids so a rebuild can share unchanged buckets."""
    return str(photo_id // PHOTO_BUCKET_SIZE)


def photo_url(photo_id: int) -> str:
    """The permalink of one photo, e.g. `photos/12/12345.html` (site-relative). A file, not a
    folder with an index.html: 100,000 folders cost more to create than everything else of a
    build on a NAS disk. nginx also answers the short form `/photos/<id>/` with a redirect."""
    return f"photos/{photo_bucket(photo_id)}/{photo_id}.html"


def stack_url(stack_id: int) -> str:
    """The page of one stack, e.g. `stacks/12/12345.html`: a file in buckets of 1000 ids, like photos."""
    return f"stacks/{stack_id // PHOTO_BUCKET_SIZE}/{stack_id}.html"


def thumb_url(key: str, width: int) -> str:
    """One thumbnail file of the content-addressed store (its format comes from the slot table)."""
    return "thumbs/" + thumb_relpath(key, width)


def face_crop_url(crop_key: str) -> str:
    """One face crop of the thumbnail store (thumb_layout.face_crop_path)."""
    return "thumbs/" + face_crop_relpath(crop_key)


def original_url(root_label: str, path_bytes: bytes) -> str:
    """Where nginx (or `serve --with-site`) serves an original: its exact path bytes, percent-encoded.
    Never the display path: a non-UTF-8 name is shown with `\\xNN` escapes but stored as bytes."""
    return f"originals/{quote(root_label, safe='')}/{quote(bytes(path_bytes), safe='/')}"
