"""Which files are media: extensions by kind, content sniffing for odd names, skip rules for files.

Kept free of heavy imports: the scan, the watcher and the sidecar's static server all use it.
"""
from __future__ import annotations

import fnmatch
from typing import Literal

Kind = Literal["photo", "video", "raw"]

PHOTO_EXTENSIONS = frozenset({
    "jpg", "jpeg", "jpe", "jfif", "png", "tif", "tiff", "webp", "heic", "heif", "hif", "avif", "gif", "bmp",
    "jxl", "psd", "jp2", "j2k", "jpf", "jpx",
})
# Image formats no decoder here reads: indexed as photos so the thumbs pass records them `unsupported`
# with the format's name, instead of the scan dropping them as "not media".
UNDECODED_IMAGE_EXTENSIONS = frozenset({"xcf", "psb", "kra", "ora", "exr", "hdr", "jxr", "wdp", "hdp"})
RAW_EXTENSIONS = frozenset({
    "nef", "nrw", "cr2", "cr3", "crw", "arw", "srf", "sr2", "dng", "raf", "orf", "rw2", "pef", "srw", "x3f",
    "iiq", "mrw", "3fr", "erf", "kdc", "dcr", "mos", "rwl", "raw",
})
VIDEO_EXTENSIONS = frozenset({
    "mp4", "m4v", "mov", "3gp", "3g2", "avi", "mkv", "mts", "m2ts", "webm", "mpg", "mpeg", "wmv",
})
SIDECAR_EXTENSIONS = frozenset({"xmp", "aae", "thm", "json"})

# Folders a NAS, a camera or an OS makes for itself; never photos of the user.
SYSTEM_FOLDERS = frozenset({
    "@eadir", ".@__thumb", "#recycle", "#snapshot", "@recycle", "@recently-snapshot", "$recycle.bin",
    "system volume information", "lost+found", "@tmp", ".streams", "@sharebin",
})
SYSTEM_FILES = frozenset({".ds_store", "thumbs.db", "desktop.ini", ".localized", "picasa.ini", ".picasa.ini"})
NO_GALLERY_MARKER = ".nogallery"


def extension_of(name: str) -> str:
    dot = name.rfind(".")
    return name[dot + 1:].lower() if dot > 0 else ""


def kind_by_extension(name: str) -> Kind | None:
    extension = extension_of(name)
    if extension in PHOTO_EXTENSIONS or extension in UNDECODED_IMAGE_EXTENSIONS:
        return "photo"
    if extension in RAW_EXTENSIONS:
        return "raw"
    if extension in VIDEO_EXTENSIONS:
        return "video"
    return None


def skip_reason_for_file(name: str) -> str | None:
    """Why a file is left out before looking at its content, or None."""
    lowered = name.lower()
    if name.startswith("._"):
        return "appledouble"
    if lowered in SYSTEM_FILES:
        return "system_file"
    if name.startswith("."):
        return "hidden"
    if extension_of(name) in SIDECAR_EXTENSIONS:
        return "sidecar"
    return None


def skip_reason_for_folder(name: str) -> str | None:
    lowered = name.lower()
    if lowered in SYSTEM_FOLDERS or lowered.startswith(".trash"):
        return "system_folder"
    if name.startswith("."):
        return "hidden_folder"
    return None


def matches_ignore(relative_path: str, name: str, patterns: list[str] | tuple[str, ...]) -> bool:
    """fnmatch on the path relative to its root or on the bare name (case-sensitive)."""
    return any(fnmatch.fnmatchcase(relative_path, pattern) or fnmatch.fnmatchcase(name, pattern)
               for pattern in patterns)
