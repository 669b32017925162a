"""A tiny CLIP bundle with planted meaning, built with onnx.helper and tokenizers (no download).

Image side (32x32 input, mean/std 0.5): the mean colour of the image points along e0/e1/e2
(red/green/blue); an object in the centre that differs from its surroundings adds e3 ("car") plus
half its colour. Text side: the token of each word in WORDS points along its direction; other
tokens are zero. Every image gets a small constant e7 so none is the zero vector. So "red car"
ranks a red object on green above a plain red image above a blue object on green.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

DIM = 8
SIZE = 32
WORDS = {"red": 0, "tomato": 0, "green": 1, "grass": 1, "field": 1, "blue": 2, "sky": 2, "car": 3,
         "truck": 3}
CONTEXT = 77


def _byte_alphabet() -> list[str]:
    from tokenizers import pre_tokenizers

    return sorted(pre_tokenizers.ByteLevel.alphabet())


def build_vocabulary(words: dict | None = None) -> tuple[list[str], list[tuple[str, str]]]:
    """Byte symbols, their word-final forms, one merge chain per word; ids by position."""
    from gallery_builder.ml.clip_tokenizer import END_TOKEN, START_TOKEN, build_clip_bpe_tokenizer

    alphabet = _byte_alphabet()
    vocab = alphabet + [symbol + "</w>" for symbol in alphabet]
    merges: list[tuple[str, str]] = []
    for word in (WORDS if words is None else words):
        # segment with the merges so far, then join left to right: earlier words keep their tokens
        tokenizer = build_clip_bpe_tokenizer(vocab + [START_TOKEN, END_TOKEN], merges)
        pieces = tokenizer.encode(word, add_special_tokens=False).tokens
        while len(pieces) > 1:
            merged = pieces[0] + pieces[1]
            merges.append((pieces[0], pieces[1]))
            if merged not in vocab:
                vocab.append(merged)
            pieces = [merged] + pieces[2:]
    return vocab + [START_TOKEN, END_TOKEN], merges


def word_vector(direction: "int | list[float]") -> np.ndarray:
    """A word's planted direction: an axis, or a whole DIM-long vector."""
    if isinstance(direction, int):
        vector = np.zeros(DIM, dtype=np.float32)
        vector[direction] = 1.0
        return vector
    return np.asarray(direction, dtype=np.float32)


def _text_model(vocab: list[str], words: dict | None = None) -> "object":
    from onnx import TensorProto, helper, numpy_helper

    table = np.zeros((len(vocab), DIM), dtype=np.float32)
    for word, direction in (WORDS if words is None else words).items():
        table[vocab.index(word + "</w>")] = word_vector(direction)
    nodes = [
        helper.make_node("Gather", ["table", "text"], ["rows"], axis=0),
        helper.make_node("ReduceSum", ["rows", "axis1"], ["embedding"], keepdims=0),
    ]
    graph = helper.make_graph(
        nodes, "tiny_clip_text",
        [helper.make_tensor_value_info("text", TensorProto.INT64, ["batch", CONTEXT])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", DIM])],
        [numpy_helper.from_array(table, "table"), numpy_helper.from_array(np.array([1], np.int64), "axis1")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def _visual_weights() -> tuple[np.ndarray, np.ndarray]:
    weights = np.zeros((6, DIM), dtype=np.float32)
    for channel in range(3):
        weights[channel, channel] = 1.0            # mean colour
        weights[3 + channel, channel] = 0.5        # the object's own colour
        weights[3 + channel, 3] = 1.0              # an object at all: "car"
    bias = np.zeros(DIM, dtype=np.float32)
    bias[7] = 0.1
    return weights, bias


BALLAST_WIDTH = 1024
BALLAST_ROWS = 16


def _ballast(layers: int) -> tuple[list, list]:
    """Nodes that cost `layers` [16 N, 1024] x [1024, 1024] products and add exactly zero to the embedding:
    the same vectors, only slower (tests that must catch a run while it works)."""
    from onnx import helper, numpy_helper

    rng = np.random.default_rng(7)
    nodes = [helper.make_node("Reshape", ["image", "flat_shape"], ["flat"]),
             helper.make_node("Slice", ["flat", "zero", "width", "one"], ["row"]),
             helper.make_node("Tile", ["row", "repeats"], ["state0"])]
    for layer in range(layers):
        nodes += [helper.make_node("MatMul", [f"state{layer}", "ballast_weights"], [f"product{layer}"]),
                  helper.make_node("Tanh", [f"product{layer}"], [f"state{layer + 1}"])]
    nodes += [helper.make_node("ReduceSum", [f"state{layers}"], ["ballast_sum"], keepdims=0),
              helper.make_node("Mul", ["ballast_sum", "nothing"], ["ballast_zero"]),
              helper.make_node("Add", ["embedding_clean", "ballast_zero"], ["embedding"])]
    initialisers = [
        numpy_helper.from_array(np.array([0, -1], np.int64), "flat_shape"),
        numpy_helper.from_array(np.array([0], np.int64), "zero"),
        numpy_helper.from_array(np.array([BALLAST_WIDTH], np.int64), "width"),
        numpy_helper.from_array(np.array([1], np.int64), "one"),
        numpy_helper.from_array(np.array([BALLAST_ROWS, 1], np.int64), "repeats"),
        numpy_helper.from_array(rng.standard_normal((BALLAST_WIDTH, BALLAST_WIDTH)).astype(np.float32) / 32,
                                "ballast_weights"),
        numpy_helper.from_array(np.array(0, np.float32), "nothing")]
    return nodes, initialisers


def _visual_model(fixed_batch: bool, ballast: int = 0) -> "object":
    from onnx import TensorProto, helper, numpy_helper

    weights, bias = _visual_weights()
    quarter, three_quarters = SIZE // 4, 3 * SIZE // 4
    constants = {"starts": [quarter, quarter], "ends": [three_quarters, three_quarters], "axes": [2, 3]}
    nodes = [
        helper.make_node("ReduceMean", ["image"], ["whole"], axes=[2, 3], keepdims=0),
        helper.make_node("Slice", ["image", "starts", "ends", "axes"], ["centre_pixels"]),
        helper.make_node("ReduceMean", ["centre_pixels"], ["centre"], axes=[2, 3], keepdims=0),
        helper.make_node("Sub", ["centre", "whole"], ["difference"]),
        helper.make_node("Relu", ["difference"], ["object"]),
        helper.make_node("Relu", ["whole"], ["colour"]),
        helper.make_node("Concat", ["colour", "object"], ["features"], axis=1),
        helper.make_node("MatMul", ["features", "weights"], ["projected"]),
        helper.make_node("Add", ["projected", "bias"], ["embedding_clean" if ballast else "embedding"]),
    ]
    initialisers = [numpy_helper.from_array(np.array(value, np.int64), name) for name, value in constants.items()]
    initialisers += [numpy_helper.from_array(weights, "weights"), numpy_helper.from_array(bias, "bias")]
    if ballast:
        extra_nodes, extra_initialisers = _ballast(ballast)
        nodes += extra_nodes
        initialisers += extra_initialisers
    batch: int | str = 1 if fixed_batch else "batch"
    graph = helper.make_graph(
        nodes, "tiny_clip_visual",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [batch, 3, SIZE, SIZE])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [batch, DIM])], initialisers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def write_bundle(models_dir: Path, name: str = "tiny-clip__planted", *, fixed_batch: bool = False,
                 words: dict | None = None, ballast: int = 0) -> Path:
    """Write the bundle in the Immich layout; returns its folder. `words` (word -> axis or vector)
    replaces WORDS as the text side's planted meaning. `ballast` > 0 makes the visual tower slower by
    that many 1024-wide layers (160: ~45 ms per image on one core here) without changing a single
    output value."""
    import onnx

    from gallery_builder.ml.clip_tokenizer import build_clip_bpe_tokenizer, tokenizer_config

    folder = Path(models_dir) / "clip" / name
    (folder / "visual").mkdir(parents=True, exist_ok=True)
    (folder / "textual").mkdir(parents=True, exist_ok=True)
    vocab, merges = build_vocabulary(words)
    build_clip_bpe_tokenizer(vocab, merges).save(str(folder / "textual" / "tokenizer.json"))
    (folder / "textual" / "tokenizer_config.json").write_text(json.dumps(tokenizer_config(CONTEXT)))
    (folder / "config.json").write_text(json.dumps(
        {"embed_dim": DIM, "vision_cfg": {"image_size": SIZE}, "text_cfg": {"context_length": CONTEXT,
                                                                           "vocab_size": len(vocab)}}))
    (folder / "visual" / "preprocess_cfg.json").write_text(json.dumps(
        {"size": [SIZE, SIZE], "mode": "RGB", "mean": [0.5] * 3, "std": [0.5] * 3,
         "interpolation": "bicubic", "resize_mode": "shortest", "fill_color": 0}))
    onnx.save(_visual_model(fixed_batch, ballast), str(folder / "visual" / "model.onnx"))
    onnx.save(_text_model(vocab, words), str(folder / "textual" / "model.onnx"))
    return folder


def expected_image_embedding(colour_rgb: tuple[float, float, float],
                             object_rgb: tuple[float, float, float] | None = None) -> np.ndarray:
    """The planted embedding computed by hand for an image of one colour with an optional centre object
    covering the middle half of each side (the model's centre window): the independent oracle."""
    background = np.array(colour_rgb, dtype=np.float32) / 255 * 2 - 1
    centre = background if object_rgb is None else np.array(object_rgb, dtype=np.float32) / 255 * 2 - 1
    whole = background * 0.75 + centre * 0.25
    weights, bias = _visual_weights()
    features = np.concatenate([np.maximum(whole, 0), np.maximum(centre - whole, 0)])
    vector = features @ weights + bias
    return vector / np.linalg.norm(vector)
