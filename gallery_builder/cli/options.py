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


def settings_and_roots(home: str, overrides: dict, paths: tuple, command: str):
    """Settings plus the roots a command works on: the PATHs given (remembered in gallery.toml with
    a label) or, with none, every root already known. Errors become click errors."""
    from gallery_builder.config import SettingsError, load_settings, resolve_roots, save_settings

    try:
        settings = load_settings(home, overrides)
    except SettingsError as error:
        raise click.ClickException(str(error)) from error
    if paths:
        settings, roots = resolve_roots(settings, list(paths))
        save_settings(settings)
        return settings, roots
    if not settings.roots:
        raise click.UsageError(f"no PATH given and no roots in gallery.toml yet: "
                               f"try `gallery {command} /path/to/photos --home DIR`")
    return settings, settings.roots
