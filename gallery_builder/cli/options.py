"""Options shared by many commands (one definition each)."""
from __future__ import annotations

from typing import Any

import click

home_option = click.option(
    "--home", "home", envvar="GALLERY_HOME", default="./gallery-data", show_default=True,
    type=click.Path(file_okay=False), help="Data home (gallery.db, parquet/, thumbs/, site/). Env: GALLERY_HOME.")

clip_model_option = click.option(
    "--clip-model", "clip_model", envvar="GALLERY_CLIP_MODEL", default=None,
    help="CLIP bundle under <home>/models/clip/ (default from settings: ViT-B-32__laion2b-s34b-b79k). "
         "Env: GALLERY_CLIP_MODEL.")

describe_model_option = click.option(
    "--describe-model", "describe_model", envvar="GALLERY_DESCRIBE_MODEL", default=None,
    help="Ollama vision model of the describe and tags passes (default from settings: llava; e.g. moondream). "
         "Env: GALLERY_DESCRIBE_MODEL.")


quality_model_option = click.option(
    "--quality-model", "quality_model", envvar="GALLERY_QUALITY_MODEL", default=None,
    help="Aesthetic head under <home>/models/aesthetic/ of the quality pass (default from settings: "
         "laion-improved__ViT-L-14__openai; laion-linear__<clip model> scores stored vectors). "
         "Env: GALLERY_QUALITY_MODEL.")


def settings_and_roots(home: str, overrides: dict, paths: tuple, command: str):
    """Settings plus the roots a command works on: the PATHs given (remembered in gallery.toml with
    a label) or, with none, every root already known. Errors become click errors."""
    from gallery_builder.config import resolve_roots, save_settings

    settings = load_or_explain(home, overrides)
    if paths:
        settings, roots = resolve_roots(settings, list(paths))
        save_settings(settings)
        return settings, roots
    if not settings.roots:
        raise click.UsageError(f"no PATH given and no roots in gallery.toml yet: "
                               f"try `gallery {command} /path/to/photos --home DIR`")
    return settings, settings.roots


def open_index(home: str):
    """Settings and a connection to an existing index; a clear error when there is none yet."""
    from gallery_builder.db.connection import connect

    settings = load_or_explain(home)
    if not settings.db_path.exists():
        raise click.ClickException(f"no index at {settings.db_path}: run `gallery index PATH --home {home}` first")
    return settings, connect(settings.db_path)


hemisphere_option = click.option(
    "--hemisphere", type=click.Choice(["auto", "north", "south"]), default=None,
    help="Which months 'summer', 'winter' etc. mean; auto: from the library's median GPS latitude "
         "(default from settings: hemisphere, env GALLERY_HEMISPHERE).")


def load_or_explain(home: str, overrides: dict[str, Any] | None = None) -> Any:
    """Settings of `home` with CLI overrides; a bad settings file or value is a one-line error."""
    from gallery_builder.config import SettingsError, load_settings

    try:
        return load_settings(home, overrides)
    except SettingsError as error:
        raise click.ClickException(str(error)) from error


def search_settings(home: str, clip_model: str | None, hemisphere: str | None) -> Any:
    """Settings for the commands that search (the sidecar and `gallery search`)."""
    return load_or_explain(home, {"clip_model": clip_model, "hemisphere": hemisphere})
