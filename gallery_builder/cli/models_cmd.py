"""`gallery models fetch | export | list`: install CLIP bundles and face models, and see what can run."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from gallery_builder.cli.options import home_option, load_or_explain


@click.group("models")
def models_group() -> None:
    """Install and inspect the ONNX models (CLIP for search, buffalo_l for faces) under <home>/models/.

    \b
    Example:
      gallery models fetch --home ./gallery-data
      gallery models fetch buffalo_l --home ./gallery-data
      gallery models list --home ./gallery-data
    """


@models_group.command("fetch")
@click.argument("name", required=False)
@home_option
@click.option("--url", "base", envvar="GALLERY_MODELS_URL", default=None,
              help="Model hub base URL (default https://huggingface.co; env GALLERY_MODELS_URL or HF_ENDPOINT).")
@click.option("--org", default="immich-app", show_default=True, help="Hub account holding the bundles.")
def fetch_command(name: str | None, home: str, base: str | None, org: str) -> None:
    """Download a pre-exported CLIP bundle (visual + textual ONNX, tokenizer, config), or the
    buffalo_l face models, checked.

    NAME is `buffalo_l` (InsightFace's SCRFD detector + ArcFace recogniser in Immich's layout, into
    <home>/models/faces/buffalo_l; the faces pass then prefers it to dlib), or a CLIP bundle's
    `<arch>__<pretrained>` as the hub spells it; the default is the `clip_model` setting
    (ViT-B-32__laion2b-s34b-b79k: best published retrieval for its CPU cost; ViT-B-16__openai and
    ViT-B-16__laion400m-e32 are one option away). Needs internet once; an interrupted download
    resumes where it stopped, and every file's SHA-256 / git checksum is verified.

    \b
    Examples:
      gallery models fetch --home ./gallery-data
      gallery models fetch ViT-B-16__laion400m-e32 --home ./gallery-data
      gallery models fetch ViT-B-32__openai --url http://mirror.lan:8000 --home ./gallery-data
      gallery models fetch buffalo_l --home ./gallery-data
    """
    from gallery_builder.ml.faces.fetch import FACE_BUNDLES
    from gallery_builder.ml.fetch import DEFAULT_HUB, FetchError, fetch_bundle

    settings = load_or_explain(home)
    name = name or settings.clip_model
    base = base or os.environ.get("HF_ENDPOINT") or DEFAULT_HUB
    if name in FACE_BUNDLES:
        return _fetch_faces(settings, name, base, org, home)
    click.echo(f"fetching {org}/{name} from {base} into {settings.models_dir / 'clip' / name}")
    try:
        folder = fetch_bundle(settings.models_dir, name, base, org, log=click.echo)
    except (FetchError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"installed {name} ({_size(folder)}); run `gallery index --clip --home {home}` to embed photos"
               + ("" if name == settings.clip_model else f" (and choose it: --clip-model {name})"))


def _fetch_faces(settings: Any, name: str, base: str, org: str, home: str) -> None:
    from gallery_builder.ml.faces.fetch import fetch_face_bundle
    from gallery_builder.ml.fetch import FetchError

    click.echo(f"fetching {org}/{name} from {base} into {settings.models_dir / 'faces' / name}")
    try:
        folder = fetch_face_bundle(settings.models_dir, name, base, org, log=click.echo)
    except (FetchError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"installed {name} ({_size(folder)}); run `gallery index --faces --home {home}` to find faces"
               + ("" if settings.face_backend in ("auto", name) else f" (and choose it: GALLERY_FACE_BACKEND={name})"))


@models_group.command("export")
@click.argument("name")
@home_option
@click.option("--random-weights", is_flag=True, help="Random initial weights (benchmarks, tests): no download.")
@click.option("--weights", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A local open_clip checkpoint instead of downloading the pretrained tag.")
@click.option("--model-config", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="An open_clip model config JSON for an architecture open_clip does not ship (file stem = arch).")
def export_command(name: str, home: str, random_weights: bool, weights: Path | None, model_config: Path | None) -> None:
    """Build a CLIP bundle from open_clip with torch (optional extra: pip install 'gallery_builder[export]').

    NAME is `<arch>__<pretrained>`, any pair open_clip knows (open_clip.list_pretrained()); the
    pretrained weights are downloaded by open_clip unless --weights gives a local file.

    \b
    Examples:
      gallery models export ViT-B-32__laion2b-s34b-b79k --home ./gallery-data
      gallery models export ViT-B-16__random --random-weights --home ./bench-data
    """
    from gallery_builder.ml.export import ExportUnavailable, export_bundle

    settings = load_or_explain(home)
    click.echo(f"exporting {name} into {settings.models_dir / 'clip' / name}")
    try:
        folder = export_bundle(settings.models_dir, name, random_weights=random_weights, weights=weights,
                               model_config=model_config, log=click.echo)
    except (ExportUnavailable, ValueError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"exported {name} ({_size(folder)})")


@models_group.command("list")
@home_option
@click.option("--clip-model", "clip_model", envvar="GALLERY_CLIP_MODEL", default=None,
              help="The CLIP bundle the index and search use (default from settings).")
def list_command(home: str, clip_model: str | None) -> None:
    """Show installed model bundles, their sizes and stored vectors, and which passes can run.

    \b
    Example:
      gallery models list --home ./gallery-data
    """
    from gallery_builder.ml.clip_bundle import installed_bundles

    settings = load_or_explain(home, {"clip_model": clip_model})
    chosen = settings.clip_model
    counts = _vector_counts(settings)
    bundles = installed_bundles(settings.models_dir)
    click.echo(f"models in {settings.models_dir / 'clip'} (search and the clip pass use {chosen}):")
    if not bundles:
        click.echo("  none installed: `gallery models fetch` (internet) or `gallery models export NAME` (torch)")
    for bundle in bundles:
        missing = bundle.missing()
        state = "complete" if not missing else "incomplete, missing " + ", ".join(missing)
        marker = "*" if bundle.name == chosen else " "
        click.echo(f" {marker}{bundle.name:<40} {_size(bundle.path):>9}  {state}; "
                   f"{counts.get(bundle.name, 0)} photo vectors")
    _print_face_models(settings)
    _print_pass_readiness(settings)


def _print_face_models(settings: Any) -> None:
    from gallery_builder.ml.faces.backend import buffalo_dir, choose_backend_name, has_buffalo

    try:
        chosen = choose_backend_name(settings)
    except ValueError as error:
        chosen = f"none ({error})"
    state = (f"installed ({_size(buffalo_dir(settings.models_dir))})" if has_buffalo(settings.models_dir)
             else "not installed (`gallery models fetch buffalo_l`, needs internet once)")
    click.echo(f"face models in {settings.models_dir / 'faces'}: buffalo_l {state}; dlib ships with the "
               f"package; the faces pass uses {chosen} (setting face_backend: {settings.face_backend})")


def _vector_counts(settings: Any) -> dict[str, int]:
    if not settings.db_path.exists():
        return {}
    from gallery_builder.db.connection import connect
    from gallery_builder.db.vectors import vector_counts

    db = connect(settings.db_path, readonly=True)
    try:
        return vector_counts(db)
    finally:
        db.close()


def _print_pass_readiness(settings: Any) -> None:
    from gallery_builder.indexing.run import run_context
    from gallery_builder.passes import registry

    context = run_context(settings)
    click.echo("passes:")
    for name, the_pass in registry().items():
        message = the_pass.check_ready(context)
        click.echo(f"  {name:<10} {'ready' if message is None else 'cannot run: ' + message}")


def _size(folder: Path) -> str:
    total = sum(item.stat().st_size for item in folder.rglob("*") if item.is_file())
    return f"{total / 1e6:.1f} MB"


def register(group: click.Group) -> None:
    group.add_command(models_group)
