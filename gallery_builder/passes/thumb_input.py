"""Inputs for passes that read the grid thumbnail instead of the original (colors, phash)."""
from __future__ import annotations

import os
from dataclasses import replace
from typing import Any, Sequence

from gallery_builder.db.pass_queries import photo_inputs
from gallery_builder.core.records import PhotoInput, RunContext
from gallery_builder.core.thumb_layout import SLOTS, thumb_relpath


def with_grid_thumbnails(db: Any, photo_ids: Sequence[int], context: RunContext) -> list[PhotoInput]:
    """Each photo's inputs plus `extra["thumb"]`, the grid thumbnail's path (None when not made)."""
    from gallery_builder.db.facts import thumbnail_keys

    keys = thumbnail_keys(db, photo_ids)
    grid = SLOTS[0].width
    items = []
    for item in photo_inputs(db, photo_ids):
        key = keys.get(item.photo_id, (None, []))[0]
        thumb = os.path.join(context.thumbs_dir, thumb_relpath(key, grid)) if key else None
        items.append(replace(item, extra={**item.extra, "thumb": thumb}))
    return items


def grid_thumbnail(item: PhotoInput) -> str:
    """The grid thumbnail path of an input; MediaError `missing_input` when it is not on disk."""
    from gallery_builder.media.errors import MediaError

    thumb = item.extra.get("thumb")
    if not thumb or not os.path.exists(thumb):
        raise MediaError("missing_input", "the grid thumbnail is missing; run the thumbs pass again "
                                          "(gallery index --force-thumbs)")
    return thumb
