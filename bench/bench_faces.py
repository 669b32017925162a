"""Faces pass throughput on all cores beside the decode floor, measured in the same run.

    .venv/bin/python bench/bench_faces.py [--count 40] [--workers N] [--cache DIR]

Photos: the corpus's real faces (../shared/corpus/faces, cycled to --count). Their thumbnails are
made first (the thumbs pass, untimed), since the faces pass reads the largest thumbnail. Stages, each
over the same photos with one process per core (as `gallery index --faces` runs it):
  floor      Pillow draft() + thumbnail to 1920 px of the originals (the decode floor)
  dlib       the faces pass's run() with the dlib backend (real models: HOG, 68 + 5 landmarks, ResNet)
  buffalo_l  the faces pass's run() with STAND-INS of buffalo_l's cost (no real weights here): a
             detector of SCRFD's signature whose trunk costs ~10 GMACs at 640x640 (SCRFD-10GF) and
             reports two faces per photo, and torchvision's resnet50 with a 512-d head at 112x112,
             its max-pool removed so it costs ~4 GMACs, near ArcFace IResNet-50's ~6 GFLOPs. Built
             once with onnx.helper and torch, cached in --cache. Target: >= 2 photos/s.
  buffalo_l, plain resnet50: the same with torchvision's resnet50 as it is (~1 GMAC at 112 px), the
             stand-in the issue names; printed beside, since it flatters the real recogniser.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CORPUS = Path(os.environ.get("PHOTO_CORPUS", REPO.parent / "shared" / "corpus"))


def trunk_detector():
    """SCRFD's 9 outputs from a conv trunk of ~10 GMACs; the stride-32 scores fire at two places."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(1)
    inits, nodes, macs = [], [], 0
    plan = [(3, 32, 2, 320)] + [(32, 64, 2, 160)] + [(64, 64, 1, 160)] * 4 + [(64, 128, 2, 80)] + \
           [(128, 128, 1, 80)] * 4 + [(128, 256, 2, 40)] + [(256, 256, 1, 40)] * 2
    source = "input.1"
    for index, (cin, cout, stride, size) in enumerate(plan):
        weight = (rng.standard_normal((cout, cin, 3, 3)) * (1 / np.sqrt(cin * 9))).astype(np.float32)
        inits.append(numpy_helper.from_array(weight, f"w{index}"))
        nodes += [helper.make_node("Conv", [source, f"w{index}"], [f"c{index}"], strides=[stride, stride],
                                   pads=[1, 1, 1, 1]),
                  helper.make_node("Relu", [f"c{index}"], [f"r{index}"])]
        source = f"r{index}"
        macs += cout * cin * 9 * size * size
    inits += [numpy_helper.from_array(np.array(0.0, np.float32), "zero"),
              numpy_helper.from_array(np.array([1, 1], np.int64), "flat_shape")]
    nodes += [helper.make_node("ReduceMean", [source], ["trunk_mean"], keepdims=1),   # the trunk must run,
              helper.make_node("Mul", ["trunk_mean", "zero"], ["trunk_zero"]),         # its value is not used
              helper.make_node("Reshape", ["trunk_zero", "flat_shape"], ["trunk_zero_flat"])]
    outputs = {"score": [], "bbox": [], "kps": []}
    for stride in (8, 16, 32):
        grid = 640 // stride
        score = np.full((grid, grid, 2), -20.0, np.float32)
        if stride == 32:
            score[6, 5, 0] = score[6, 14, 0] = 10.0   # two faces, 128 px, left and right of centre
        heads = {"score": score.reshape(-1, 1), "bbox": np.full((grid * grid * 2, 4), 2.0, np.float32),
                 "kps": np.tile(np.array([-0.63, -0.15, 0.63, -0.15, 0, 0.5, -0.5, 1.2, 0.5, 1.2], np.float32),
                                (grid * grid * 2, 1))}
        for head, table in heads.items():
            inits.append(numpy_helper.from_array(table, f"{head}{stride}_table"))
            nodes.append(helper.make_node("Add", [f"{head}{stride}_table", "trunk_zero_flat"], [f"{head}{stride}_sum"]))
            if head == "score":
                nodes.append(helper.make_node("Sigmoid", [f"{head}{stride}_sum"], [f"{head}_{stride}"]))
            else:
                nodes.append(helper.make_node("Identity", [f"{head}{stride}_sum"], [f"{head}_{stride}"]))
            outputs[head].append(helper.make_tensor_value_info(f"{head}_{stride}", TensorProto.FLOAT,
                                                               [grid * grid * 2, table.shape[1]]))
    graph = helper.make_graph(nodes, "trunk_scrfd",
                              [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, 640, 640])],
                              outputs["score"] + outputs["bbox"] + outputs["kps"], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8), macs


def export_recogniser(path: Path, keep_maxpool: bool) -> None:
    import torch
    import torchvision

    model = torchvision.models.resnet50(num_classes=512)
    if not keep_maxpool:
        model.maxpool = torch.nn.Identity()
    model.eval()
    torch.onnx.export(model, torch.zeros(1, 3, 112, 112), str(path), input_names=["input.1"], output_names=["embedding"],
                      dynamic_axes={"input.1": {0: "N"}, "embedding": {0: "N"}}, opset_version=17, dynamo=False)


STAND_INS = {"buffalo_l": False, "buffalo_l_plain": True}  # stage -> keep resnet50's max-pool


def stand_in_models(cache: Path, stage: str) -> Path:
    import onnx

    models = cache / stage / "models"
    folder = models / "faces" / "buffalo_l"
    if not (folder / "recognition" / "model.onnx").exists():
        (folder / "detection").mkdir(parents=True, exist_ok=True)
        (folder / "recognition").mkdir(parents=True, exist_ok=True)
        detector, macs = trunk_detector()
        onnx.save(detector, str(folder / "detection" / "model.onnx"))
        print(f"stand-in detector: {macs / 1e9:.1f} GMACs at 640x640", flush=True)
        print(f"exporting the {stage} stand-in recogniser with torch (once) ...", flush=True)
        export_recogniser(folder / "recognition" / "model.onnx", keep_maxpool=STAND_INS[stage])
    return models


def floor_one(path: str) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as image:
        width, height = image.size
        scale = min(1.0, 1920 / max(width, height))
        image.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))
        image.thumbnail((1920, 1920))
        return image.size


def faces_one(item, context) -> int:
    from gallery_builder.passes import get_pass

    result = get_pass("faces").run([item], context)[0]
    assert result.ok, result
    return len(result.data["faces"])


def warm(context) -> None:
    from gallery_builder.passes.faces import backend_for

    backend_for(context)


def prepare(files: list[str], scratch: Path) -> list:
    """Thumbnails of every photo (untimed); the faces pass's inputs pointing at the largest one."""
    from gallery_builder.core.records import PhotoInput, RunContext
    from gallery_builder.core.thumb_layout import thumb_relpath
    from gallery_builder.indexing.scan import hash_file
    from gallery_builder.passes import get_pass

    context = RunContext.for_home(scratch)
    items = []
    for number, path in enumerate(files):
        item = PhotoInput(number, path, "photo", hash_file(path), os.path.getsize(path), os.stat(path).st_mtime_ns)
        made = get_pass("thumbs").run([item], context)[0]
        thumb = os.path.join(context.thumbs_dir, thumb_relpath(made.data["thumb_key"], max(made.data["widths"])))
        items.append(replace(item, extra={"thumb": thumb}))
    return items


def timed(function):
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def measure(files: list[str], items: list, workers: int, scratch: Path, cache: Path) -> dict[str, tuple[float, int]]:
    from gallery_builder.core.records import RunContext

    figures: dict[str, tuple[float, int]] = {}
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(floor_one, files[:workers]))
        figures["floor"] = (timed(lambda: list(pool.map(floor_one, files)))[0], 0)
    for stage in ("dlib", *STAND_INS):
        home = scratch / stage
        home.mkdir()
        if stage in STAND_INS:
            (home / "models").symlink_to(stand_in_models(cache, stage), target_is_directory=True)
        backend = "dlib" if stage == "dlib" else "buffalo_l"
        context = RunContext.for_home(home, face_backend=backend, workers=workers)
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(warm, [context] * workers))  # models load once per worker, before the clock
            seconds, found = timed(lambda: list(pool.map(faces_one, items, [context] * len(items))))
        figures[stage] = (seconds, sum(found))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=40, help="photos (the corpus faces, cycled)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "gallery-bench-faces")
    args = parser.parse_args()
    sources = sorted(str(path) for path in (CORPUS / "faces").rglob("*") if path.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if not sources:
        sys.exit(f"no corpus faces at {CORPUS / 'faces'} (set PHOTO_CORPUS)")
    files = [sources[index % len(sources)] for index in range(args.count)]
    for stage in STAND_INS:
        stand_in_models(args.cache, stage)
    with tempfile.TemporaryDirectory() as scratch:
        items = prepare(files, Path(scratch))
        figures = measure(files, items, args.workers, Path(scratch), args.cache)
    floor = figures["floor"][0]
    print(f"{len(files)} photos (corpus faces, cycled), {args.workers} workers")
    print(f"floor (draft + thumbnail to 1920):        {len(files) / floor:7.2f} photos/s")
    for stage, label in (("dlib", "faces, dlib (real models)"), ("buffalo_l", "faces, buffalo_l STAND-INS"),
                         ("buffalo_l_plain", "  same, plain resnet50 recogniser")):
        seconds, found = figures[stage]
        target = "  (target >= 2 photos/s)" if stage == "buffalo_l" else ""
        print(f"{label + ':':<42}{len(files) / seconds:7.2f} photos/s = floor x {seconds / floor:.1f} (time),"
              f" {found} faces{target}")


if __name__ == "__main__":
    main()
