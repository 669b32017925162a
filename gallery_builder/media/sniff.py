"""Recognise what a file holds from its first bytes, whatever its name says.

Routing by content lets a JPEG named `.nef`, `.png` or with no extension decode as a JPEG, sends
RAW containers to the RAW reader and videos to ffmpeg, and tells "not an image at all" (text, an
HTML error page, unknown bytes) apart from "a broken image".
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gallery_builder.core.media_types import Kind

Family = Literal["image", "raw", "video", "unsupported"]
HEAD_BYTES = 64

_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"II+\x00", "TIFF"),
    (b"MM\x00+", "TIFF"),
    (b"BM", "BMP"),
    (b"8BPS\x00\x01", "PSD"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG2000"),
    (b"\xffO\xffQ", "JPEG2000"),
    (b"\xff\x0a", "JXL"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "JXL"),
    # images we recognise but no decoder here reads (decode.open_image records them `unsupported`)
    (b"8BPS\x00\x02", "PSB"),
    (b"gimp xcf ", "XCF"),
    (b"v/1\x01", "OpenEXR"),
    (b"#?RADIANCE", "Radiance HDR"),
    (b"#?RGBE", "Radiance HDR"),
    (b"II\xbc\x01", "JPEG XR"),
)
_FORMAT_NAMES = {"XCF": "GIMP XCF", "PSB": "Photoshop large document (PSB)", "JXL": "JPEG XL",
                 "JPEG2000": "JPEG 2000"}
_RAW_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"FUJIFILMCCD-RAW", "RAF"),
    (0, b"\x00MRM", "MRW"),
    (0, b"FOVb", "X3F"),
    (0, b"IIU\x00", "RW2"),
    (0, b"IIRO", "ORF"),
    (0, b"IIRS", "ORF"),
    (0, b"MMOR", "ORF"),
    (6, b"HEAPCCDR", "CRW"),
)
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}
_VIDEO_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


@dataclass(frozen=True)
class Sniffed:
    """What the first bytes say: a family (where to route it) and a format name for the record."""

    family: Family
    format: str


def sniff_bytes(head: bytes) -> Sniffed:
    """Classify a file from its first HEAD_BYTES bytes."""
    for offset, magic, name in _RAW_MAGIC:
        if head[offset:offset + len(magic)] == magic:
            return Sniffed("raw", name)
    for magic, name in _IMAGE_MAGIC:
        if head.startswith(magic):
            return Sniffed("image", name)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("image", "WEBP")
    if head[:4] == b"RIFF" and head[8:11] == b"AVI":
        return Sniffed("video", "avi")
    if head[4:8] == b"ftyp":
        return _sniff_ftyp(head)
    if head[4:8] in _VIDEO_ATOMS:
        return Sniffed("video", "mov")
    if head[:4] == b"\x1aE\xdf\xa3":
        return Sniffed("video", "matroska")
    return _sniff_other(head)


def _sniff_ftyp(head: bytes) -> Sniffed:
    brand = head[8:12]
    compatible = {head[i:i + 4] for i in range(16, min(len(head), 48), 4)}
    if brand == b"crx ":
        return Sniffed("raw", "CR3")
    if brand in _AVIF_BRANDS:
        return Sniffed("image", "AVIF")
    if brand in _HEIF_BRANDS or (brand not in (b"qt  ", b"isom", b"mp41", b"mp42") and compatible & _HEIF_BRANDS):
        return Sniffed("image", "HEIF")
    if brand.startswith(b"3g"):
        return Sniffed("video", "3gp")
    if brand == b"qt  ":
        return Sniffed("video", "mov")
    return Sniffed("video", "mp4")


def _sniff_other(head: bytes) -> Sniffed:
    if not head:
        return Sniffed("unsupported", "empty")
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return Sniffed("unsupported", "HTML")
    if b"\x00" not in head and all(byte >= 9 for byte in head):
        try:
            head.decode("utf-8")
            return Sniffed("unsupported", "text")
        except UnicodeDecodeError:
            pass
    return Sniffed("unsupported", "unknown")


def sniff_file(path: str) -> Sniffed:
    """Read the first bytes of `path` (raises OSError when it cannot be read)."""
    with open(path, "rb") as handle:
        return sniff_bytes(handle.read(HEAD_BYTES))


def route(sniffed: Sniffed, kind: str) -> Family:
    """Where a file goes: its content decides; the scan's kind (from the extension) breaks ties.

    TIFF-structured RAW files (NEF, DNG, CR2, ...) look like TIFF and go to the RAW reader when named
    as RAW; containers without a telling signature (MPEG-TS, ...) go to ffmpeg when named as video.
    """
    if sniffed.family == "image" and sniffed.format == "TIFF" and kind == "raw":
        return "raw"
    if sniffed.family == "unsupported" and sniffed.format == "unknown" and kind == "video":
        return "video"
    return sniffed.family


def describe_unsupported(sniffed: Sniffed, path: str = "") -> str:
    """A readable reason for a file whose content is no image we can decode."""
    from gallery_builder.core.media_types import UNDECODED_IMAGE_EXTENSIONS, extension_of

    if sniffed.format == "HTML":
        return "not an image: the file holds an HTML page (a failed download?)"
    if sniffed.format == "text":
        return "not an image: the file holds plain text"
    extension = extension_of(path.rsplit("/", 1)[-1])
    if extension in UNDECODED_IMAGE_EXTENSIONS:
        return f"no decoder for .{extension} images here: export it as JPEG, PNG or TIFF to show it"
    return "not an image: the content matches no known image, RAW or video format"


_KIND_BY_FAMILY: dict[str, Kind] = {"image": "photo", "raw": "raw", "video": "video"}


def kind_by_content(head: bytes) -> Kind | None:
    """Recognise a media file with no (or an unknown) extension from its first bytes."""
    return _KIND_BY_FAMILY.get(sniff_bytes(head).family)


def describe_undecodable(image_format: str) -> str:
    """The reason for an image we recognise (PSB, XCF, OpenEXR, ...) that no installed decoder reads."""
    name = _FORMAT_NAMES.get(image_format, image_format)
    return f"no decoder for {name} images here (Pillow cannot read them): export it as JPEG, PNG or TIFF to show it"
