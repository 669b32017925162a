"""`gallery models fetch | export | list`: install CLIP bundles, face models and aesthetic heads, and see
what can run."""
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
@click.option("--aesthetic", "aesthetic", default=None, metavar="HEAD",
              help="Fetch the CLIP bundle that aesthetic head HEAD reads (e.g. laion-improved__ViT-L-14__openai: "
                   "ViT-L-14__openai) and say whether the head itself is installed.")
def fetch_command(name: str | None, home: str, base: str | None, org: str, aesthetic: str | None) -> None:
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
      gallery models fetch --aesthetic laion-improved__ViT-L-14__openai --home ./gallery-data
    """
    from gallery_builder.ml.faces.fetch import FACE_BUNDLES
    from gallery_builder.ml.fetch import DEFAULT_HUB, FetchError, fetch_bundle

    settings = load_or_explain(home)
    if aesthetic is not None:
        name = _head_clip_model(aesthetic)
    name = name or settings.clip_model
    base = base or os.environ.get("HF_ENDPOINT") or DEFAULT_HUB
    if name in FACE_BUNDLES:
        return _fetch_faces(settings, name, base, org, home)
    click.echo(f"fetching {org}/{name} from {base} into {settings.models_dir / 'clip' / name}")
    try:
        folder = fetch_bundle(settings.models_dir, name, base, org, log=click.echo)
    except (FetchError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    if aesthetic is not None:
        _say_head_state(settings, aesthetic, home)
        return
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


def _head_clip_model(head: str) -> str:
    from gallery_builder.ml.aesthetic import KNOWN_HEADS

    if head not in KNOWN_HEADS:
        raise click.UsageError(f"unknown aesthetic head {head!r}; known: {', '.join(KNOWN_HEADS)}")
    return KNOWN_HEADS[head].clip_model


def _say_head_state(settings: Any, head: str, home: str) -> None:
    """What the quality pass still needs for this head (its weights, its CLIP model), or how to run it."""
    from dataclasses import replace

    from gallery_builder.core.records import RunContext
    from gallery_builder.passes.quality import PASS as QUALITY

    missing = QUALITY.check_ready(RunContext(replace(settings, quality_model=head)))
    if missing:
        click.echo(f"next: {missing}")
        return
    click.echo(f"{head} is ready: run `gallery index --quality --quality-model {head} --home {home}`")


@models_group.command("export")
@click.argument("name", required=False)
@home_option
@click.option("--random-weights", is_flag=True, help="Random initial weights (benchmarks, tests): no download.")
@click.option("--weights", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A local open_clip checkpoint instead of downloading the pretrained tag.")
@click.option("--model-config", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="An open_clip model config JSON for an architecture open_clip does not ship (file stem = arch).")
@click.option("--aesthetic", "aesthetic", default=None, metavar="HEAD",
              help="Also (or only, with no NAME) convert an aesthetic head's downloaded weights (--head-weights) to "
                   "<home>/models/aesthetic/HEAD/head.onnx.")
@click.option("--head-weights", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The head's weights: LAION's .pth (reading it needs torch) or an .npz of the same keys.")
@click.option("--head-clip-model", default=None, metavar="CLIP_NAME",
              help="The CLIP bundle whose embeddings the head reads (default: the one LAION trained HEAD on).")
@click.option("--quantize-visual", is_flag=True,
              help="With --aesthetic: keep an int8 copy of the head's CLIP visual tower with the head (ONNX Runtime "
                   "dynamic quantisation, no torch); the quality pass then needs about half the CPU time.")
def export_command(name: str | None, home: str, random_weights: bool, weights: Path | None, model_config: Path | None,
                   aesthetic: str | None, head_weights: Path | None, head_clip_model: str | None,
                   quantize_visual: bool) -> None:
    """Build a CLIP bundle from open_clip with torch (optional extra: pip install 'gallery_builder[export]').

    NAME is `<arch>__<pretrained>`, any pair open_clip knows (open_clip.list_pretrained()); the
    pretrained weights are downloaded by open_clip unless --weights gives a local file. With
    --aesthetic, an aesthetic head's downloaded weights become <home>/models/aesthetic/HEAD (the
    quality pass); its CLIP model comes from `gallery models fetch --aesthetic HEAD` or this command.

    \b
    Examples:
      gallery models export ViT-B-32__laion2b-s34b-b79k --home ./gallery-data
      gallery models export ViT-B-16__random --random-weights --home ./bench-data
      gallery models export --aesthetic laion-improved__ViT-L-14__openai \\
          --head-weights sac+logos+ava1-l14-linearMSE.pth --home ./gallery-data
      gallery models export --aesthetic laion-improved__ViT-L-14__openai --quantize-visual --home ./gallery-data
    """
    from gallery_builder.ml.export import ExportUnavailable, export_bundle

    settings = load_or_explain(home)
    if name is None and aesthetic is None:
        raise click.UsageError("give a CLIP model NAME, or --aesthetic HEAD --head-weights FILE")
    if quantize_visual and aesthetic is None:
        raise click.UsageError("--quantize-visual goes with --aesthetic HEAD")
    if aesthetic is not None:
        if head_weights is not None or not quantize_visual:
            _export_head(settings, aesthetic, head_weights, head_clip_model)
        if quantize_visual:
            _quantise_head_visual(settings, aesthetic)
        if name is None:
            _say_head_state(settings, aesthetic, home)
            return
    click.echo(f"exporting {name} into {settings.models_dir / 'clip' / name}")
    try:
        folder = export_bundle(settings.models_dir, name, random_weights=random_weights, weights=weights,
                               model_config=model_config, log=click.echo)
    except (ExportUnavailable, ValueError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"exported {name} ({_size(folder)})")


def _export_head(settings: Any, head: str, head_weights: Path | None, clip_model: str | None) -> None:
    from gallery_builder.ml.aesthetic import KNOWN_HEADS, read_head_weights, write_head
    from gallery_builder.ml.clip_bundle import ModelMissing

    known = KNOWN_HEADS.get(head)
    if head_weights is None:
        wanted = known.weights_file if known else "the head's weights file"
        raise click.UsageError(f"--aesthetic needs --head-weights FILE ({wanted}"
                               + (f", from {known.source})" if known else ")"))
    clip_model = clip_model or (known.clip_model if known else None)
    if clip_model is None:
        raise click.UsageError(f"{head} is not a head LAION published: name its CLIP model with --head-clip-model")
    try:
        layers = read_head_weights(head_weights)
    except (ModelMissing, ValueError, KeyError, OSError) as error:
        raise click.ClickException(str(error)) from error
    kind = "linear" if len(layers) == 1 else "mlp"
    folder = write_head(settings.models_dir, head, layers, clip_model, kind)
    click.echo(f"exported aesthetic head {head} ({kind}, {layers[0][0].shape[1]}-d {clip_model} embeddings) "
               f"into {folder}")


def _quantise_head_visual(settings: Any, head: str) -> None:
    from gallery_builder.ml.aesthetic import find_head, quantise_visual
    from gallery_builder.ml.clip_bundle import ModelMissing

    try:
        bundle = find_head(settings.models_dir, head)
        click.echo(f"quantising the visual tower of {bundle.clip_model} to int8 for {head} ...")
        path = quantise_visual(settings.models_dir, bundle)
    except ModelMissing as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


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
    _print_heads(settings)
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


def _print_heads(settings: Any) -> None:
    """The aesthetic heads installed, the one the quality pass uses marked."""
    from gallery_builder.ml.aesthetic import aesthetic_root, find_head
    from gallery_builder.ml.clip_bundle import ModelMissing

    root = aesthetic_root(settings.models_dir)
    folders = sorted(entry.name for entry in root.iterdir() if entry.is_dir() and not entry.name.startswith(".")) \
        if root.is_dir() else []
    click.echo(f"aesthetic heads in {root} (the quality pass uses {settings.quality_model}):")
    if not folders:
        click.echo("  none installed: `gallery models export --aesthetic HEAD --head-weights FILE`")
    for name in folders:
        marker = "*" if name == settings.quality_model else " "
        try:
            head = find_head(settings.models_dir, name)
        except (ModelMissing, ValueError) as error:
            click.echo(f" {marker}{name:<40} incomplete: {error}")
            continue
        click.echo(f" {marker}{name:<40} {head.kind} on {head.clip_model} embeddings, version {head.version}"
                   + (", int8 visual tower" if head.quantised_visual else ""))


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
