"""Options shared by many commands (one definition each)."""
from __future__ import annotations

import click

home_option = click.option(
    "--home", "home", envvar="GALLERY_HOME", default="./gallery-data", show_default=True,
    type=click.Path(file_okay=False), help="Data home (gallery.db, parquet/, thumbs/, site/). Env: GALLERY_HOME.")

clip_model_option = click.option(
    "--clip-model", "clip_model", envvar="GALLERY_CLIP_MODEL", default=None,
    help="CLIP bundle under <home>/models/clip/ (default from settings: ViT-B-32__laion2b-s34b-b79k). "
         "Env: GALLERY_CLIP_MODEL.")
