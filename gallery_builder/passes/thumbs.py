"""The thumbs pass: content-addressed thumbnails at every slot of thumb_layout (grid WebP, lightbox
and preview JPEG) for photos, RAW previews and video posters. A failure here marks the photo as an
error (it cannot be shown); the error code says why (see media/errors.py), and what a C decoder printed
on stderr goes into that message instead of onto the terminal (media/native_stderr.py).
"""
from __future__ import annotations

from typing import Any, ClassVar, Sequence

from gallery_builder.core.records import PhotoInput, PhotoResult, RunContext
from gallery_builder.passes.photo_pass import PhotoPass


class ThumbsPass(PhotoPass):
    name: ClassVar[str] = "thumbs"
    version: ClassVar[int] = 1
    description: ClassVar[str] = "Thumbnails: grid 400 px WebP, lightbox 1280 px and preview 1920 px JPEG, sRGB, upright"
    marks_photo_error: ClassVar[bool] = True
    batch_size: ClassVar[int] = 16

    def run_one(self, item: PhotoInput, context: RunContext) -> dict[str, Any]:
        from gallery_builder.media.native_stderr import decoder_messages_into_errors
        from gallery_builder.media.pictures import open_picture
        from gallery_builder.media.thumbnails import make_thumbnails

        settings = context.settings
        with decoder_messages_into_errors(item.path):
            picture, sniffed = open_picture(item.path, item.kind, settings.max_pixels, settings.max_file_mb)
            try:
                made = make_thumbnails(picture, item.content_hash, context.thumbs_dir, settings.jpeg_quality,
                                       settings.webp_quality)
            finally:
                picture.close()
        return {"thumb_key": made.key, "widths": made.widths, "width": made.width, "height": made.height,
                "format": sniffed.format}

    def save(self, db: Any, results: Sequence[PhotoResult]) -> None:
        from gallery_builder.db.facts import forget_facts, save_thumbnails

        save_thumbnails(db, [(result.photo_id, result.data["thumb_key"], result.data["widths"],
                              result.data["width"], result.data["height"])
                             for result in results if result.ok and result.data])
        forget_facts(db, "thumbnails", [result.photo_id for result in results if not result.ok])


PASS = ThumbsPass()
