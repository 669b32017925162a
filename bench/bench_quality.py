"""The quality pass's throughput beside the clip pass's, the linear-head option on stored vectors,
and the describe pass's overhead, each next to a baseline measured in the same run.

    .venv/bin/python bench/bench_quality.py [--photos 24] [--vectors 20000] [--describe 60]
        [--work /tmp/gallery-bench-quality]

  (1) quality (ViT-L/14 visual + LAION's improved MLP shape, 768-1024-128-64-16-1, random weights;
      fp32, and the int8 copy `models export --quantize-visual` makes) vs clip (ViT-B/32 visual,
      random weights): the passes through the real runner on the same
      lightbox thumbnails, photos/s (target for quality >= 1 photo/s on 2 cores). The architectures
      are exported with open_clip `pretrained=None` (cost does not depend on weights) and cached in
      --work; needs torch + open_clip (the `export` extra), else this part is skipped and says so.
  (2) linear head on stored vectors: the quality pass through the runner over --vectors stored
      768-d vectors (pending query, reading vectors, one dot product each, saving), photos/s
      (target >= 1,000), beside the floor: numpy normalise + dot product over the same matrix.
  (3) describe pass overhead per photo vs a bare client round trip: bench/bench_describe.py's
      measurement (fake Ollama answering at once; target < 20 ms).
"""
from __future__ import annotations

import argparse
import os
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CLIP = "ViT-B-32__random"
LARGE = "ViT-L-14__random"
STAMP = "2024-01-01T00:00:00+00:00"


def random_mlp(seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    sizes = [768, 1024, 128, 64, 16, 1]
    return [(rng.normal(0, 0.05, (out, inp)).astype(np.float32), rng.normal(0, 0.05, out).astype(np.float32))
            for inp, out in zip(sizes, sizes[1:])]


def export_models(models: Path) -> str | None:
    """ViT-B/32 and ViT-L/14 visual towers at random weights (cached in --work)."""
    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("open_clip") is None:
        return "torch/open_clip are not installed (pip install 'gallery_builder[export]'): part (1) skipped"
    from gallery_builder.ml.export import export_bundle

    for name in (CLIP, LARGE):
        if not (models / "clip" / name / "visual" / "model.onnx").exists():
            print(f"exporting {name} (visual) with open_clip at random weights ...", flush=True)
            export_bundle(models, name, random_weights=True, parts=("visual",), log=lambda line: None)
    return None


def passes_part(work: Path, count: int) -> None:
    from bench.bench_describe import build
    from gallery_builder.config import load_settings
    from gallery_builder.core.records import RunContext, Scope
    from gallery_builder.db.connection import connect
    from gallery_builder.indexing.runner import PassRunner
    from gallery_builder.ml.aesthetic import find_head, quantise_visual, write_head

    models = work / "models"
    skipped = export_models(models)
    if skipped:
        print(f"(1) {skipped}")
        return

    for head in ("bench-mlp", "bench-mlp-int8"):
        if not (models / "aesthetic" / head / "head.onnx").exists():
            write_head(models, head, random_mlp(), LARGE, "mlp")
    if find_head(models, "bench-mlp-int8").quantised_visual is None:
        print("quantising the ViT-L/14 visual tower to int8 ...", flush=True)
        quantise_visual(models, find_head(models, "bench-mlp-int8"))
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as temp:
        home = build(Path(temp), count)
        (home / "models").symlink_to(models)
        rates = {}
        for label, name, head in (("clip", "clip", "bench-mlp"), ("fp32", "quality", "bench-mlp"),
                                  ("int8", "quality", "bench-mlp-int8")):
            context = RunContext(load_settings(home, {"clip_model": CLIP, "quality_model": head}, environ={}))
            db = connect(home / "gallery.db")
            try:
                PassRunner(db, context, workers=1, log=lambda line: None).run([name], Scope(photo_ids=(1,)),
                                                                               frozenset({name}))  # load the model
                report = PassRunner(db, context, workers=1, log=lambda line: None).run([name], Scope(),
                                                                                       frozenset({name}))
            finally:
                db.close()
            done = next(item for item in report.passes if item.name == name)
            assert (done.done, done.errors) == (count, 0), (label, done.done, done.errors)
            rates[label] = done.done / done.seconds
        print(f"(1) {count} lightbox thumbnails, onnxruntime on all cores ({os.cpu_count()}), load average "
              f"{os.getloadavg()[0]:.1f} at the end")
        print(f"    clip pass    ({CLIP} visual)               {rates['clip']:7.2f} photos/s   (baseline)")
        for label in ("fp32", "int8"):
            print(f"    quality pass ({LARGE} visual {label} + MLP) {rates[label]:7.2f} photos/s   (target >= 1); "
                  f"{rates['clip'] / rates[label]:.1f}x the clip pass's cost")


def stored_vectors_home(home: Path, count: int) -> np.ndarray:
    from gallery_builder.db.connection import connect, transaction

    matrix = np.random.default_rng(1).normal(size=(count, 768)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    home.mkdir(parents=True)
    db = connect(home / "gallery.db")
    with transaction(db):
        db.execute("INSERT INTO roots (id, label, path) VALUES (1, 'photos', '/photos')")
        db.executemany(
            "INSERT INTO photos (id, root_id, path, path_bytes, folder, name, kind, size, mtime_ns, content_hash,"
            " first_seen, last_seen) VALUES (?, 1, ?, ?, '', ?, 'photo', 1000, 0, ?, ?, ?)",
            ((i + 1, f"IMG_{i:06d}.JPG", f"IMG_{i:06d}.JPG".encode(), f"IMG_{i:06d}.JPG", f"{i:032x}", STAMP, STAMP)
             for i in range(count)))
        db.executemany("INSERT INTO pass_runs (photo_id, pass, version, content_hash, status, updated_at)"
                       " VALUES (?, 'thumbs', 1, ?, 'ok', ?)", ((i + 1, f"{i:032x}", STAMP) for i in range(count)))
        db.executemany("INSERT INTO thumbnails (photo_id, thumb_key, widths) VALUES (?, ?, '[400, 1280]')",
                       ((i + 1, f"{i:032x}") for i in range(count)))
        db.executemany(
            "INSERT INTO clip_vectors (photo_id, model, dim, vector, content_hash, updated_at) VALUES (?, ?, 768, ?, ?, ?)",
            ((i + 1, "ViT-L-14__openai", matrix[i].tobytes(), f"{i:032x}", STAMP) for i in range(count)))
    db.close()
    return matrix


def linear_part(count: int) -> None:
    from gallery_builder.config import load_settings
    from gallery_builder.core.records import RunContext, Scope
    from gallery_builder.db.connection import connect
    from gallery_builder.indexing.runner import PassRunner
    from gallery_builder.ml.aesthetic import write_head

    with tempfile.TemporaryDirectory(prefix="bench-quality-linear-") as temp:
        home = Path(temp) / "home"
        matrix = stored_vectors_home(home, count)
        weight, bias = random_mlp(2)[0][0][:1], np.array([5.0], np.float32)
        write_head(home / "models", "laion-linear__ViT-L-14__openai", [(weight, bias)], "ViT-L-14__openai", "linear")
        context = RunContext(load_settings(home, {"clip_model": "ViT-L-14__openai",
                                                  "quality_model": "laion-linear__ViT-L-14__openai"}, environ={}))
        db = connect(home / "gallery.db")
        try:
            report = PassRunner(db, context, workers=1, log=lambda line: None).run(["quality"], Scope())
            stored = db.execute("SELECT COUNT(*) FROM photo_quality").fetchone()[0]
        finally:
            db.close()
        done = next(item for item in report.passes if item.name == "quality")
        assert (done.done, done.errors, stored) == (count, 0, count)
        floors = []
        for _ in range(5):
            started = time.perf_counter()
            normalised = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
            (normalised @ weight.T + bias).reshape(-1)
            floors.append(time.perf_counter() - started)
        print(f"(2) linear head over {count} stored 768-d vectors")
        print(f"    numpy floor (normalise + dot)      {count / statistics.median(floors):12,.0f} photos/s   (baseline)")
        print(f"    quality pass through the runner    {done.done / done.seconds:12,.0f} photos/s   (target >= 1,000; "
              f"pending, reading vectors, scoring, saving)")


def describe_part(count: int) -> None:
    import subprocess

    print(f"(3) describe pass overhead (bench/bench_describe.py --count {count}):", flush=True)
    result = subprocess.run([sys.executable, str(REPO / "bench" / "bench_describe.py"), "--count", str(count)],
                            capture_output=True, text=True, cwd=REPO, check=True)
    for line in result.stdout.splitlines():
        print(f"    {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=24)
    parser.add_argument("--vectors", type=int, default=20_000)
    parser.add_argument("--describe", type=int, default=60)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "gallery-bench-quality")
    parser.add_argument("--only", choices=("passes", "linear", "describe"), default=None)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.only in (None, "passes"):
        passes_part(args.work, args.photos)
    if args.only in (None, "linear"):
        linear_part(args.vectors)
    if args.only in (None, "describe"):
        describe_part(args.describe)


if __name__ == "__main__":
    main()
