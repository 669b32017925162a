"""Options shared by many commands (one definition each)."""
from __future__ import annotations

import click

home_option = click.option(
    "--home", "home", envvar="GALLERY_HOME", default="./gallery-data", show_default=True,
    type=click.Path(file_okay=False), help="Data home (gallery.db, parquet/, thumbs/, site/). Env: GALLERY_HOME.")
