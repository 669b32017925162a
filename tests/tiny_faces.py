"""Tiny buffalo_l-shaped face models with planted faces, built with onnx.helper (no download).

Detector (SCRFD's signature: input [1,3,640,640], 9 outputs = scores, boxes, key points at strides
8/16/32, two anchors per place): a "face" is a square of a face colour (green 0, red + blue high:
FACE_COLOURS), 128 px on a side in the 640 px model input, centred on a multiple of 32. The stride-32
score is the share of face colour in the 128 px window centred on each anchor (a sigmoid around
0.86), so only an aligned square fires: 0.997 for a full square, 0.65 for one 112 px high (below
buffalo_l's min_score), nothing for other colours or other places. Boxes are 128 px squares and the
five key points sit where ArcFace's template puts them in that box, so the aligned crop is the square.

Recogniser (ArcFace's signature: [N,3,112,112] -> [N,512]): the crop's mean red and blue, centred on
0.5, along two orthonormal directions. FACE_COLOURS are three identities whose unit embeddings are
>= 1.41 apart; the same identity gives the same vector anywhere.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

INPUT = 640
FACE = 128  # a face's side in model-input pixels
STRIDES = (8, 16, 32)
SCORE_GAIN, SCORE_CENTRE = 40.0, 0.86
EMBED_DIM = 512
FACE_COLOURS: dict[str, tuple[int, int, int]] = {
    "ana": (255, 0, 255),
    "ben": (255, 0, 128),
    "cy": (128, 0, 255),
}
BACKGROUND = (128, 128, 128)
ARCFACE_TEMPLATE = ((38.2946, 51.6963), (73.5318, 51.5014), (56.0252, 71.7366), (41.5493, 92.3655),
                    (70.7299, 92.2041))


def _detector_model():
    from onnx import TensorProto, helper, numpy_helper

    inits = [
        numpy_helper.from_array(np.array([[[[4.0]], [[-8.0]], [[4.0]]]], np.float32), "face_w"),
        numpy_helper.from_array(np.array([-10.0], np.float32), "face_b"),
        numpy_helper.from_array(np.array(0.0, np.float32), "zero"),
        numpy_helper.from_array(np.array(1.0, np.float32), "one"),
    ]
    nodes = [helper.make_node("Conv", ["input.1", "face_w", "face_b"], ["face_raw"], name="face_colour"),
             helper.make_node("Clip", ["face_raw", "zero", "one"], ["face"], name="face_clip")]
    outputs: dict[str, list] = {"score": [], "bbox": [], "kps": []}
    kps_offsets = np.array([((x / 112 - 0.5) * FACE / 32, (y / 112 - 0.5) * FACE / 32) for x, y in ARCFACE_TEMPLATE],
                           np.float32).reshape(-1)
    for stride in STRIDES:
        if stride == 32:  # mean face colour over a 128 px window centred on each anchor
            pooled = helper.make_node("AveragePool", ["face"], [f"pool{stride}"], name=f"pool{stride}",
                                      kernel_shape=[FACE, FACE], strides=[32, 32], pads=[64, 64, 32, 32],
                                      count_include_pad=1)
            gain, bias = SCORE_GAIN, -SCORE_GAIN * SCORE_CENTRE
        else:
            pooled = helper.make_node("AveragePool", ["face"], [f"pool{stride}"], name=f"pool{stride}",
                                      kernel_shape=[stride, stride], strides=[stride, stride])
            gain, bias = 0.0, -20.0
        nodes.append(pooled)
        heads = {"score": (np.full((2, 1, 1, 1), gain, np.float32), np.full(2, bias, np.float32)),
                 "bbox": (np.zeros((8, 1, 1, 1), np.float32), np.full(8, FACE / 2 / 32, np.float32)),
                 "kps": (np.zeros((20, 1, 1, 1), np.float32), np.tile(kps_offsets, 2))}
        for head, (weight, head_bias) in heads.items():
            inits += [numpy_helper.from_array(weight, f"{head}{stride}_w"),
                      numpy_helper.from_array(head_bias, f"{head}{stride}_b")]
            width = weight.shape[0] // 2
            nodes.append(helper.make_node("Conv", [f"pool{stride}", f"{head}{stride}_w", f"{head}{stride}_b"],
                                          [f"{head}{stride}_map"], name=f"{head}{stride}_conv"))
            source = f"{head}{stride}_map"
            if head == "score":
                nodes.append(helper.make_node("Sigmoid", [source], [f"{head}{stride}_sig"], name=f"{head}{stride}_sig"))
                source = f"{head}{stride}_sig"
            # [1, 2*C, H, W] -> [H, W, 2, C] -> [H*W*2, C]: anchors of one place are consecutive
            grid = INPUT // stride
            inits.append(numpy_helper.from_array(np.array([2, width, grid, grid], np.int64), f"{head}{stride}_s1"))
            inits.append(numpy_helper.from_array(np.array([-1, width], np.int64), f"{head}{stride}_s2"))
            nodes += [helper.make_node("Reshape", [source, f"{head}{stride}_s1"], [f"{head}{stride}_r"],
                                       name=f"{head}{stride}_r"),
                      helper.make_node("Transpose", [f"{head}{stride}_r"], [f"{head}{stride}_t"], perm=[2, 3, 0, 1],
                                       name=f"{head}{stride}_t"),
                      helper.make_node("Reshape", [f"{head}{stride}_t", f"{head}{stride}_s2"], [f"{head}_{stride}"],
                                       name=f"{head}{stride}_out")]
            outputs[head].append(helper.make_tensor_value_info(f"{head}_{stride}", TensorProto.FLOAT,
                                                               [f"n{stride}", width]))
    graph = helper.make_graph(
        nodes, "tiny_scrfd", [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, INPUT, INPUT])],
        outputs["score"] + outputs["bbox"] + outputs["kps"], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


def identity_directions() -> np.ndarray:
    """Two orthonormal 512-d directions (red, blue), fixed by a seed."""
    rng = np.random.default_rng(7)
    basis, _ = np.linalg.qr(rng.standard_normal((EMBED_DIM, 2)))
    return basis.T.astype(np.float32)


def _recogniser_model():
    from onnx import TensorProto, helper, numpy_helper

    inits = [numpy_helper.from_array(np.array([0, 2], np.int64), "red_blue"),
             numpy_helper.from_array(np.array([-0.5, -0.5], np.float32), "centre"),
             numpy_helper.from_array(identity_directions(), "directions")]
    nodes = [helper.make_node("ReduceMean", ["input.1"], ["mean"], axes=[2, 3], keepdims=0, name="mean"),
             helper.make_node("Gather", ["mean", "red_blue"], ["rb"], axis=1, name="pick"),
             helper.make_node("Add", ["rb", "centre"], ["centred"], name="centred"),
             helper.make_node("MatMul", ["centred", "directions"], ["embedding"], name="project")]
    graph = helper.make_graph(
        nodes, "tiny_arcface", [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, ["N", 3, 112, 112])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", EMBED_DIM])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


def write_buffalo_bundle(models_dir: str | Path) -> Path:
    """The tiny pair in Immich's layout: <models>/faces/buffalo_l/{detection,recognition}/model.onnx."""
    import onnx

    folder = Path(models_dir) / "faces" / "buffalo_l"
    for part, model in (("detection", _detector_model()), ("recognition", _recogniser_model())):
        (folder / part).mkdir(parents=True, exist_ok=True)
        onnx.save(model, str(folder / part / "model.onnx"))
    return folder


def expected_embedding(name: str) -> np.ndarray:
    """The unit vector the tiny recogniser gives a face of identity `name`."""
    red, _, blue = FACE_COLOURS[name]
    centred = np.array([(red - 127.5) / 127.5 - 0.5, (blue - 127.5) / 127.5 - 0.5], np.float32)
    vector = centred @ identity_directions()
    return vector / np.linalg.norm(vector)


def draw_faces(size: tuple[int, int], faces: Sequence[tuple[str, int, int, int, int]]) -> np.ndarray:
    """An RGB array on a grey background with rectangles (identity, centre x, centre y, width, height);
    identities not in FACE_COLOURS are taken as literal (r, g, b) strings like '200,40,40'."""
    width, height = size
    image = np.empty((height, width, 3), np.uint8)
    image[:] = BACKGROUND
    for name, cx, cy, w, h in faces:
        colour = FACE_COLOURS.get(name) or tuple(int(part) for part in name.split(","))
        image[cy - h // 2:cy + h // 2, cx - w // 2:cx + w // 2] = colour
    return image
