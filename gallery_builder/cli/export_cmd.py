"""`gallery export`: write the Parquet files the builder (and DuckDB, pandas, Polars) read."""
from __future__ import annotations

import click

from gallery_builder.cli.options import home_option, open_index


@click.command("export")
@home_option
def export_command(home: str) -> None:
    """Write the Parquet files (photos, roots, pass coverage, errors, skipped) into <home>/parquet/.

    \b
    Example:
      gallery export --home ./gallery-data
      duckdb -c "SELECT country, count(*) FROM './gallery-data/parquet/photos.parquet' GROUP BY 1"
    """
    from gallery_builder.export.parquet import export_all

    settings, db = open_index(home)
    counts = export_all(db, settings)
    click.echo(", ".join(f"{name}: {count} rows" for name, count in counts.items()))


def register(group: click.Group) -> None:
    group.add_command(export_command)
