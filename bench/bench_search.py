"""Search latency over HTTP with 100,000 (or --count 1000000) stored 512-d vectors, beside a numpy
brute-force baseline, the sidecar's memory, and the clip pass's image throughput, all measured in one run.

    .venv/bin/python bench/bench_search.py [--count 100000] [--queries 200] [--text-queries 100]
        [--images 64] [--threads 2] [--work /tmp/gallery-bench-search]

The vectors are clustered like photo embeddings (a mixture of gaussians around a shared direction,
unit length), not uniform noise, on which an approximate index's recall would mean nothing. From
150,000 vectors on the indexer's persisted index answers (built here as `gallery index` does,
timed, and cached in --work); (a) then also reports recall@50 against exact search.

Needs torch + open_clip (the `export` extra) to export the real ViT-B/16 and ViT-B/32
architectures at random weights (the cost does not depend on the weights); without them the text
and image parts are skipped and the report says so. Work files are cached in --work.
  (a) vector search alone: GET /api/similar/<random id> (no text model, no cache), limit 50
  (b) text encoding + search: GET /api/search?q=<a phrase never asked before> (misses both caches)
  baseline: numpy `matrix @ query` + argpartition top 50 over the same matrix, in this process
  fp16/int8: what storing the matrix (and quantising the text tower) would save and cost
  throughput: the clip pass's `run` on 1280x853 JPEG lightbox thumbnails, photos/s
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DIM = 512
TEXT_MODEL = "ViT-B-16__random"
IMAGE_MODELS = ("ViT-B-32__random", "ViT-B-16__random")
WORDS = ("red", "car", "beach", "sunset", "dog", "mountain", "city", "night", "kids", "snow", "lake", "forest",
         "bicycle", "market", "boat", "bridge", "cake", "birthday", "train", "street", "flowers", "cat")


def percentiles(samples: list[float]) -> str:
    values = np.asarray(samples) * 1000
    return f"p50 {np.percentile(values, 50):6.1f} ms  p95 {np.percentile(values, 95):6.1f} ms  (n={len(values)})"


def clustered_vectors(count: int, seed: int = 1) -> np.ndarray:
    """Unit vectors in 5,000 clusters of Zipf-like sizes under 200 topics, around one shared direction:
    random pairs have cosine ~0.2 and a vector's nearest neighbour ~0.8, as with CLIP image embeddings."""
    rng = np.random.default_rng(seed)

    def unit(rows: np.ndarray) -> np.ndarray:
        return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)

    mean, topics = unit(rng.standard_normal(DIM)), unit(rng.standard_normal((200, DIM)))
    clusters = 5000
    centres = unit(0.5 * mean + 0.6 * topics[rng.integers(200, size=clusters)]
                   + 0.6 * unit(rng.standard_normal((clusters, DIM))))
    weights = 1.0 / np.arange(1, clusters + 1) ** 0.7
    chosen = rng.choice(clusters, size=count, p=weights / weights.sum())
    matrix = np.empty((count, DIM), dtype=np.float32)
    for start in range(0, count, 100_000):
        part = chosen[start:start + 100_000]
        matrix[start:start + len(part)] = unit(centres[part] + 0.55 * unit(rng.standard_normal((len(part), DIM))))
    return matrix


def build_vector_index(home: Path) -> str:
    """The indexer's step after its passes (`update_vector_index`), timed; cached with the library."""
    from gallery_builder.db.connection import connect
    from gallery_builder.ml.vector_store import EXACT_LIMIT, update_vector_index

    db = connect(home / "gallery.db")
    started = time.perf_counter()
    try:
        done = update_vector_index(db, home / "gallery.db", TEXT_MODEL, log=lambda line: None)
    finally:
        db.close()
    if done is None:
        return f"vector index: none needed (exact search below {EXACT_LIMIT:,} vectors), or already in step"
    return f"{done} in {time.perf_counter() - started:.0f} s"


def make_library(home: Path, count: int) -> np.ndarray:
    """gallery.db with `count` photos and one random unit vector each (cached); returns the matrix."""
    from gallery_builder.db.connection import connect, transaction

    matrix_file = home.parent / f"clustered-vectors-{count}.npy"
    if (home / "gallery.db").exists() and matrix_file.exists():
        return np.load(matrix_file)
    print(f"writing {count} photos and vectors into {home / 'gallery.db'} ...", flush=True)
    matrix = clustered_vectors(count)
    home.mkdir(parents=True, exist_ok=True)
    db = connect(home / "gallery.db")
    stamp = "2024-01-01T00:00:00+00:00"
    with transaction(db):
        db.execute("INSERT INTO roots (id, label, path) VALUES (1, 'photos', '/photos')")
        db.executemany(
            "INSERT INTO photos (id, root_id, path, path_bytes, folder, name, kind, size, mtime_ns, content_hash,"
            " first_seen, last_seen) VALUES (?, 1, ?, ?, ?, ?, 'photo', 1000, 0, ?, ?, ?)",
            ((i + 1, f"{2000 + i % 25}/IMG_{i:06d}.JPG", f"{2000 + i % 25}/IMG_{i:06d}.JPG".encode(),
              str(2000 + i % 25), f"IMG_{i:06d}.JPG", f"{i:032x}", stamp, stamp) for i in range(count)))
        db.executemany("INSERT INTO exif (photo_id, taken_at) VALUES (?, ?)",
                       ((i + 1, f"{2000 + i % 25}-{1 + i % 12:02d}-{1 + i % 28:02d}T12:00:00") for i in range(count)))
        db.executemany("INSERT INTO thumbnails (photo_id, thumb_key, widths) VALUES (?, ?, '[400, 1280]')",
                       ((i + 1, f"{i:032x}") for i in range(count)))
        db.executemany(
            "INSERT INTO clip_vectors (photo_id, model, dim, vector, content_hash, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            ((i + 1, TEXT_MODEL, DIM, matrix[i].astype("<f4").tobytes(), f"{i:032x}", stamp) for i in range(count)))
    db.close()
    np.save(matrix_file, matrix)
    return matrix


def export_models(home: Path) -> str | None:
    """Export the real architectures at random weights (cached); None when torch/open_clip are absent."""
    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("open_clip") is None:
        return "torch/open_clip are not installed (pip install 'gallery_builder[export]'): text and image parts skipped"
    for name in IMAGE_MODELS:
        if not (home / "models" / "clip" / name / "textual" / "model.onnx").exists():
            print(f"exporting {name} with open_clip at random weights ...", flush=True)
            subprocess.run([sys.executable, "-m", "gallery_builder", "models", "export", name, "--random-weights",
                            "--home", str(home)], check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    return None


def baseline(matrix: np.ndarray, count: int) -> list[float]:
    rng = np.random.default_rng(2)
    samples = []
    for _ in range(count):
        query = matrix[rng.integers(len(matrix))]
        started = time.perf_counter()
        scores = matrix @ query
        best = np.argpartition(-scores, 50)[:50]
        best[np.argsort(-scores[best])]
        samples.append(time.perf_counter() - started)
    return samples


def start_sidecar(home: Path, port: int, threads: int) -> tuple[subprocess.Popen, float]:
    import httpx

    for suffix in ("", "-wal", "-shm"):  # a cold cache: every text query is encoded
        Path(f"{home / 'search-cache.db'}{suffix}").unlink(missing_ok=True)
    env = {**os.environ, "GALLERY_CLIP_MODEL": TEXT_MODEL, "GALLERY_ONNX_THREADS": str(threads)}
    began = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "gallery_builder", "serve", "--home", str(home), "--port",
                                str(port)], env=env, cwd=REPO, stdout=subprocess.DEVNULL)
    for _ in range(1200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return process, time.perf_counter() - began
        except httpx.HTTPError:
            time.sleep(0.05)
    raise SystemExit("the sidecar did not start")


def wait_until_loaded(client, expected: int, model_expected: bool) -> tuple[float, dict]:
    began = time.perf_counter()
    while True:
        health = client.get("/api/health").json()
        if health["vectors"] == expected and (health["model"]["loaded"] or not model_expected):
            return time.perf_counter() - began, health
        time.sleep(0.1)


def http_latencies(client, count: int, vectors: int, text: bool,
                   answers: dict[int, list[int]] | None = None) -> list[float]:
    rng = random.Random(time.time_ns())  # phrases never asked before, in this run or an earlier one
    samples = []
    for index in range(count):
        if text:
            phrase = " ".join(rng.sample(WORDS, 3)) + f" {index}"
            request = lambda: client.get("/api/search", params={"q": phrase, "limit": 50})  # noqa: E731
        else:
            photo = rng.randrange(1, vectors + 1)
            request = lambda: client.get(f"/api/similar/{photo}", params={"limit": 50})  # noqa: E731
        started = time.perf_counter()
        response = request()
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200 and len(response.json()["results"]) == 50, response.text[:300]
        if answers is not None and not text:
            answers[photo] = [result["id"] for result in response.json()["results"]]
    return samples


def recall_at_50(matrix: np.ndarray, answers: dict[int, list[int]]) -> str:
    """Share of the exact top 50 (float32, the photo itself left out) that the sidecar answered."""
    shares = []
    for photo, ids in answers.items():
        scores = matrix @ matrix[photo - 1]
        scores[photo - 1] = -np.inf
        exact = np.argpartition(-scores, 50)[:50] + 1
        shares.append(len(set(exact.tolist()) & set(ids)) / 50)
    values = np.asarray(shares)
    return f"mean {values.mean():.3f}, worst query {values.min():.2f} (n={len(values)})"


def process_memory(pid: int) -> str:
    fields = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                fields[line.split(":")[0]] = int(line.split()[1]) / 1024
    return f"RSS {fields['VmRSS']:.0f} MB (peak {fields['VmHWM']:.0f} MB)"


def compressed_matrix_costs(matrix: np.ndarray, count: int) -> list[str]:
    """fp16 and int8 storage: bytes saved, latency of the same top-50, and recall of the fp32 top 50."""
    lines = []
    rng = np.random.default_rng(4)
    queries = [matrix[rng.integers(len(matrix))] for _ in range(count)]
    scale = np.abs(matrix).max()
    stores = {"fp16": matrix.astype(np.float16), "int8": np.round(matrix / scale * 127).astype(np.int8)}
    for label, stored in stores.items():
        samples, recalls = [], []
        for query in queries:
            started = time.perf_counter()
            if label == "fp16":
                scores = np.concatenate([chunk.astype(np.float32) @ query for chunk in np.array_split(stored, 20)])
            else:
                scores = stored.astype(np.float32, copy=False) @ query
            best = np.argpartition(-scores, 50)[:50]
            samples.append(time.perf_counter() - started)
            exact = np.argpartition(-(matrix @ query), 50)[:50]
            recalls.append(len(set(best.tolist()) & set(exact.tolist())) / 50)
        lines.append(f"  {label}: matrix {stored.nbytes / 1e6:.0f} MB (fp32 {matrix.nbytes / 1e6:.0f} MB); "
                     f"{percentiles(samples)}; recall@50 vs fp32 {np.mean(recalls):.3f}")
    return lines


def quantised_text_tower(home: Path, count: int) -> list[str]:
    """Dynamic int8 quantisation of the text tower: file size and encode latency beside fp32."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from gallery_builder.ml.clip_bundle import find_bundle
    from gallery_builder.ml.clip_onnx import OrtSettings
    from gallery_builder.ml.clip_text import ClipTextEncoder

    bundle = find_bundle(home / "models", TEXT_MODEL, parts=("textual",))
    source = bundle.file("textual/model.onnx")
    int8_home = home.parent / "int8-home"
    target = int8_home / "models" / "clip" / TEXT_MODEL
    if not (target / "textual" / "model.onnx").exists():
        import shutil

        shutil.copytree(bundle.path, target, ignore=shutil.ignore_patterns("visual"), dirs_exist_ok=True)
        quantize_dynamic(str(source), str(target / "textual" / "model.onnx"), weight_type=QuantType.QInt8)
    lines = []
    for label, folder in (("fp32", home), ("int8", int8_home)):
        encoder = ClipTextEncoder(find_bundle(folder / "models", TEXT_MODEL, parts=("textual",)),
                                  OrtSettings(int(os.environ.get("GALLERY_ONNX_THREADS", "2")), allow_spinning=False))
        encoder.encode(["warm up"])
        samples = []
        for index in range(count):
            started = time.perf_counter()
            encoder.encode([f"a photo of a {WORDS[index % len(WORDS)]} number {index}"])
            samples.append(time.perf_counter() - started)
        size = encoder.bundle.file("textual/model.onnx").stat().st_size / 1e6
        lines.append(f"  text tower {label}: {size:.0f} MB file; encode one query {percentiles(samples)}")
    return lines


def make_thumbnails(folder: Path, count: int) -> list[str]:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    rng = np.random.default_rng(5)
    for index in range(count):
        path = folder / f"thumb-{index:03d}-1280.jpg"
        if not path.exists():
            base = np.linspace(0, 255, 1280 * 853 * 3).reshape(853, 1280, 3)
            noise = rng.normal(0, 25, base.shape)
            Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8)).save(path, quality=82)
        paths.append(str(path))
    return paths


def image_throughput(home: Path, thumbs: list[str], threads: int) -> list[str]:
    from gallery_builder.ml.clip_bundle import find_bundle
    from gallery_builder.ml.clip_image import cached_image_encoder
    from gallery_builder.ml.clip_onnx import OrtSettings
    from gallery_builder.ml.clip_preprocess import load_model_input
    from gallery_builder.core.records import PhotoInput, RunContext
    from gallery_builder.passes.clip import ClipPass

    lines = [f"  ONNX Runtime: {OrtSettings(threads).describe()}"]
    floor_started = time.perf_counter()
    preprocess = cached_image_encoder(find_bundle(home / "models", IMAGE_MODELS[0], parts=("visual",)),
                                      OrtSettings(threads)).preprocess
    for path in thumbs:
        load_model_input(path, preprocess)
    floor = len(thumbs) / (time.perf_counter() - floor_started)
    lines.append(f"  decode + preprocess only (1280x853 JPEG -> 224 px): {floor:.1f} photos/s")
    the_pass = ClipPass()
    for name in IMAGE_MODELS:
        context = RunContext.for_home(home, clip_model=name)
        batch = [PhotoInput(index, path, "photo", f"{index:032x}", 0, 0, extra={"thumb": path})
                 for index, path in enumerate(thumbs)]
        the_pass.run(batch[:2], context)  # load the session outside the clock
        started = time.perf_counter()
        for start in range(0, len(batch), the_pass.batch_size):
            results = the_pass.run(batch[start:start + the_pass.batch_size], context)
            assert all(result.ok for result in results)
        rate = len(batch) / (time.perf_counter() - started)
        lines.append(f"  clip pass {name}: {rate:.2f} photos/s ({1000 / rate:.0f} ms per photo)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", "--vectors", dest="vectors", type=int, default=100_000,
                        help="stored vectors (1000000 for the million-photo figures)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--text-queries", type=int, default=100)
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--work", type=Path, default=Path("/tmp/gallery-bench-search"))
    parser.add_argument("--parts", default="http,storage,images",
                        help="what to measure: http (a, b, memory), storage (fp16/int8), images (throughput)")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    os.environ["GALLERY_ONNX_THREADS"] = str(args.threads)
    home = args.work / f"home-clustered-{args.vectors}"
    home.mkdir(parents=True, exist_ok=True)
    (args.work / "models").mkdir(exist_ok=True)
    if not (home / "models").exists():
        (home / "models").symlink_to(args.work / "models")  # exported models are shared by every size
    matrix = make_library(home, args.vectors)
    skipped = export_models(home)
    report = [f"search benchmark: {args.vectors} vectors x {DIM}-d, {os.cpu_count()} cores, threads {args.threads},"
              f" load average at start {os.getloadavg()[0]:.1f}"]
    report.append(build_vector_index(home))
    report.append(f"baseline numpy matmul + top 50 (in process): {percentiles(baseline(matrix, args.queries))}")
    if "http" in parts:
        report.extend(http_report(home, args, skipped is None, matrix))
    if "storage" in parts:
        report.append("fp16 / int8 vector storage (numpy, in process):")
        report.extend(compressed_matrix_costs(matrix, min(args.queries, 50)))
    if skipped:
        report.append(f"skipped: {skipped}")
    elif "storage" in parts or "images" in parts:
        report.extend(quantised_text_tower(home, min(args.text_queries, 50)) if "storage" in parts else [])
        if "images" in parts and args.images > 0:
            report.append(f"clip pass image throughput ({args.images} lightbox thumbnails, batches of 32):")
            report.extend(image_throughput(home, make_thumbnails(args.work / "thumbs", args.images), args.threads))
    report.append(f"load average at the end {os.getloadavg()[0]:.1f}")
    print("\n".join(report))
    (args.work / "results.json").write_text(json.dumps(report, indent=1))


def http_report(home: Path, args: argparse.Namespace, has_model: bool, matrix: np.ndarray) -> list[str]:
    import httpx

    report = []
    process, started_in = start_sidecar(home, args.port, args.threads)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{args.port}", timeout=60) as client:
            loaded_in, health = wait_until_loaded(client, args.vectors, has_model)
            report.append(f"sidecar: answers /api/health {started_in:.2f} s after start; vectors"
                          f"{' and text model' if has_model else ''} loaded {loaded_in:.2f} s later; "
                          f"{process_memory(process.pid)} idle")
            answers: dict[int, list[int]] = {}
            report.append(f"(a) vector search alone over HTTP: "
                          f"{percentiles(http_latencies(client, args.queries, args.vectors, False, answers))}")
            report.append(f"    recall@50 against exact search: {recall_at_50(matrix, answers)}")
            if has_model:
                report.append(f"(b) text encoding (ViT-B/16) + search over HTTP: "
                              f"{percentiles(http_latencies(client, args.text_queries, args.vectors, True))}")
            report.append(f"sidecar after the queries: {process_memory(process.pid)}; "
                          f"heavy modules {health['heavy_modules']}")
    finally:
        process.terminate()
        process.wait(10)
    return report


if __name__ == "__main__":
    main()
