"""The `gallery` command: a thin click group; each command group lives in its own module.

Command modules keep heavy imports inside their functions, so `gallery serve` (the search sidecar)
starts without Pillow, pyarrow, jinja2 or torch ever being imported.
"""
from __future__ import annotations

import importlib

import click

# One module per command family, named after its commands.
COMMAND_MODULES: tuple[str, ...] = (
    "gallery_builder.cli.index_cmd",
    "gallery_builder.cli.status_cmd",
    "gallery_builder.cli.export_cmd",
    "gallery_builder.cli.purge_cmd",
    "gallery_builder.cli.backup_cmd",
    "gallery_builder.cli.sample_library_cmd",
    "gallery_builder.cli.watch_cmd",
    "gallery_builder.cli.serve_cmd",
    "gallery_builder.cli.search_cmd",
    "gallery_builder.cli.flag_cmd",
    "gallery_builder.cli.rank_cmd",
    "gallery_builder.cli.stack_cmd",
    "gallery_builder.cli.collection_cmd",
    "gallery_builder.cli.models_cmd",
    "gallery_builder.cli.build_cmd",
    "gallery_builder.cli.nginx_config_cmd",
    "gallery_builder.cli.passwd_cmd",
    "gallery_builder.cli.duplicates_cmd",
    "gallery_builder.cli.selection_cmd",
    "gallery_builder.cli.review_cmd",
    "gallery_builder.cli.google_cmd",
    "gallery_builder.cli.cluster_cmd",
    "gallery_builder.cli.people_cmd",
    "gallery_builder.cli.faces_cmd",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="gallery_builder")
def main() -> None:
    """Self-hosted photo library for a home NAS: index photos, build a static site, search it.

    \b
    Example:
      gallery index ~/Pictures --home ./gallery-data
      gallery status --home ./gallery-data
    """


for _module_name in COMMAND_MODULES:
    importlib.import_module(_module_name).register(main)
