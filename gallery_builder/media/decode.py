"""Open images safely and turn decoded pixels into upright 8-bit sRGB.

`open_image` registers pillow-heif and pillow-jxl-plugin, applies the pixel limit and maps decoder
failures to error codes (a recognised format no decoder reads is `unsupported`). `to_srgb` handles
palette, 16-bit, alpha (flattened on white), CMYK and ICC profiles. HEIF and JPEG XL pixels come out
of their decoders already rotated (irot/imir, the codestream orientation), so EXIF orientation is
applied to every other format only (see `needs_exif_rotation`).
"""
from __future__ import annotations

import io
import warnings
from functools import cache
from typing import Any

from gallery_builder.media.errors import MediaError, classify
from gallery_builder.media.sniff import describe_undecodable

# Image.transpose method per EXIF orientation (the table of PIL.ImageOps.exif_transpose)
TRANSPOSE_FOR = {2: 0, 3: 3, 4: 1, 5: 5, 6: 4, 7: 6, 8: 2}
HEIF_FORMATS = frozenset({"HEIF"})


@cache
def _register_plugins() -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    try:
        from pillow_jxl import JpegXLImagePlugin
    except ImportError:  # without the plugin a JPEG XL file is `unsupported`, named as such
        return
    JpegXLImagePlugin.DECODE_THREADS = 1  # one worker process per core already


def pillow_reads(image_format: str) -> bool:
    """Whether an installed Pillow plugin opens this format (Pillow's format id, e.g. "PSD", "JXL")."""
    from PIL import Image

    _register_plugins()
    Image.init()
    return image_format in Image.OPEN


def open_image(path: str, max_pixels: int, sniffed_format: str = "") -> Any:
    """A lazily decoding PIL image (header read only; the JPEG XL plugin decodes on open); MediaError on
    failure or over the pixel limit. `sniffed_format` (media.sniff) tells a damaged header from a format
    that no installed decoder reads."""
    from PIL import Image

    _register_plugins()
    Image.MAX_IMAGE_PIXELS = None  # check_pixels below applies our limit, with a clearer message
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image = Image.open(path)
    except Image.DecompressionBombError as error:
        raise too_large(max_pixels, str(error)) from None
    except Image.UnidentifiedImageError:
        if sniffed_format and not pillow_reads(sniffed_format):
            raise MediaError("unsupported", describe_undecodable(sniffed_format)) from None
        raise MediaError("corrupt", "the image header is damaged: Pillow cannot identify the data") from None
    except RuntimeError as error:
        if sniffed_format == "JXL":  # pillow-jxl-plugin's only error ("Generic Error. Please build libjxl...")
            raise MediaError("corrupt", "JPEG XL data cannot be decoded (libjxl reports an error)") from None
        raise classify(error) from None
    except Exception as error:
        raise classify(error) from None
    check_pixels(image.size, max_pixels)
    return image


def check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise MediaError("corrupt", f"image header gives an impossible size {width}x{height}")
    if max_pixels and width * height > max_pixels:
        raise too_large(max_pixels, f"{width}x{height} = {width * height:,} pixels")


def too_large(max_pixels: int, detail: str) -> MediaError:
    return MediaError("too_large", f"more pixels than the limit of {max_pixels:,} (setting max_pixels / "
                                   f"GALLERY_MAX_PIXELS): {detail}")


def needs_exif_rotation(image: Any) -> bool:
    """False for pixels their decoder already turned upright: HEIF, and JPEG XL unless libjxl handed
    back the original JPEG it was recompressed from (JPEG XL viewers ignore the EXIF tag)."""
    if image.format == "JXL":
        return bool(getattr(image, "jpeg", False))
    return image.format not in HEIF_FORMATS


def exif_orientation(image: Any) -> int:
    """The EXIF orientation to apply to this image's pixels (1 when none applies)."""
    if not needs_exif_rotation(image):
        return 1
    try:
        value = int(image.getexif().get(274, 1))
    except Exception:  # broken EXIF never stops a thumbnail
        return 1
    return value if 1 <= value <= 8 else 1


def load_pixels(image: Any) -> None:
    """Decode now, mapping truncation and decoder errors to codes."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image.load()
    except MediaError:
        raise
    except Exception as error:
        raise classify(error) from None


def to_srgb(image: Any) -> Any:
    """An 8-bit RGB image in sRGB from any mode, with alpha flattened on white."""
    icc = image.info.get("icc_profile")
    image = _to_8bit(image)
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (image.mode == "P" and "transparency" in image.info):
        image = _flatten(image)
    if icc and image.mode in ("RGB", "L", "CMYK"):
        converted = _convert_icc(image, icc)
        if converted is not None:
            return converted
    return image if image.mode == "RGB" else image.convert("RGB")


def _to_8bit(image: Any) -> Any:
    """16-bit and float greyscale scaled (not clipped) to 8 bits."""
    if image.mode not in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return image
    import numpy

    values = numpy.asarray(image, dtype=numpy.float64)
    top = 65535.0 if image.mode.startswith("I;16") or values.max(initial=0) > 255 else 255.0
    scaled = numpy.clip(values * (255.0 / top), 0, 255).astype(numpy.uint8)
    from PIL import Image

    return Image.fromarray(scaled, "L")


def _flatten(image: Any) -> Any:
    from PIL import Image

    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    background.alpha_composite(rgba)
    return background.convert("RGB")


def _convert_icc(image: Any, icc: bytes) -> Any | None:
    """Convert to sRGB through the embedded profile; None when the profile is sRGB or unusable."""
    from PIL import ImageCms

    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        description = ImageCms.getProfileDescription(source) or ""
        if "srgb" in description.lower() and image.mode == "RGB":
            return None
        return ImageCms.profileToProfile(image, source, _srgb_profile(), outputMode="RGB")
    except Exception:  # a broken profile: plain conversion is better than no thumbnail
        return None


@cache
def _srgb_profile() -> Any:
    from PIL import ImageCms

    return ImageCms.createProfile("sRGB")
