"""`gallery export`: write the Parquet files the builder (and DuckDB, pandas, Polars) read."""
from __future__ import annotations

import click

from gallery_builder.cli.options import home_option, open_index


@click.command("export")
@home_option
@click.option("--full", is_flag=True, help="Rewrite every file, even those whose input tables did not change "
                                           "since the last export.")
def export_command(home: str, full: bool) -> None:
    """Write the Parquet files (photos, roots, pass coverage, errors, skipped, curation, faces) into
    <home>/parquet/. Only files whose input tables changed since the last export are rewritten
    (export.json says which); --full rewrites them all.

    \b
    Example:
      gallery export --home ./gallery-data
      gallery export --home ./gallery-data --full
      duckdb -c "SELECT country, count(*) FROM './gallery-data/parquet/photos.parquet' GROUP BY 1"
    """
    from tqdm import tqdm

    from gallery_builder.export.parquet import EXPORT_FILES, export_all

    settings, db = open_index(home)
    with tqdm(total=len(EXPORT_FILES), desc="export", unit="file", leave=False) as bar:
        def show(name: str) -> None:
            bar.set_postfix_str(name)
            bar.update(1)

        counts = export_all(db, settings, full=full, progress=show)
    click.echo(", ".join(f"{name}: {count} rows" for name, count in counts.items()))


def register(group: click.Group) -> None:
    group.add_command(export_command)
