"""CLIP bundles: loading the Immich layout, tokenising, preprocessing, batching, and missing models."""
from __future__ import annotations

import json
import shutil

import numpy as np
import onnx
import pytest
from PIL import Image

from gallery_builder.ml.clip_bundle import ModelMissing, find_bundle, installed_bundles, split_name
from gallery_builder.ml.clip_image import ClipImageEncoder
from gallery_builder.ml.clip_text import ClipTextEncoder
from gallery_builder.ml.clip_preprocess import Preprocess, resize_and_crop, to_model_input
from tests.tiny_clip import CONTEXT, WORDS, build_vocabulary, expected_image_embedding, write_bundle

NAME = "tiny-clip__planted"


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    write_bundle(folder, NAME)
    write_bundle(folder, "tiny-clip__fixed", fixed_batch=True)
    return folder


def _image(path, background, thing=None, size=(96, 64)):
    image = Image.new("RGB", size, background)
    if thing:
        width, height = size
        image.paste(thing, (width // 2 - height // 4, height // 4, width // 2 + height // 4, 3 * height // 4))
    image.save(path, quality=95)
    return str(path)


def test_names_map_to_open_clip_arch_and_tag():
    assert split_name("ViT-B-32__laion2b-s34b-b79k") == ("ViT-B-32", "laion2b_s34b_b79k")
    assert split_name("ViT-B-16") == ("ViT-B-16", None)
    for bad in ("../etc", "a/b", "", ".hidden"):
        with pytest.raises(ValueError):
            split_name(bad)


def test_missing_model_names_the_commands(tmp_path):
    with pytest.raises(ModelMissing) as caught:
        find_bundle(tmp_path, "ViT-B-32__laion2b-s34b-b79k")
    message = str(caught.value)
    assert "gallery models fetch ViT-B-32__laion2b-s34b-b79k" in message
    assert "gallery models export ViT-B-32__laion2b-s34b-b79k" in message


def test_a_bundle_with_only_the_text_tower_serves_text(models, tmp_path):
    partial = tmp_path / "clip" / "text-only"
    shutil.copytree(models / "clip" / NAME, partial)
    (partial / "visual" / "model.onnx").unlink()
    assert find_bundle(tmp_path, "text-only", parts=("textual",)).name == "text-only"
    with pytest.raises(ModelMissing, match="visual/model.onnx"):
        find_bundle(tmp_path, "text-only")
    assert [bundle.name for bundle in installed_bundles(tmp_path)] == ["text-only"]


def test_tokenizer_pads_truncates_and_knows_the_planted_words(models):
    encoder = ClipTextEncoder(find_bundle(models, NAME))
    vocab, _ = build_vocabulary()
    tokens = encoder.tokenizer.encode(["Red  CAR!", "word " * 200, ""])
    assert tokens.shape == (3, CONTEXT) and tokens.dtype == np.int64
    start, end = vocab.index("<|startoftext|>"), vocab.index("<|endoftext|>")
    assert tokens[0, :3].tolist() == [start, vocab.index("red</w>"), vocab.index("car</w>")]
    assert tokens[1, 0] == start and tokens[1, -1] == end  # truncated, still ends with end-of-text
    assert tokens[2, :2].tolist() == [start, end] and set(tokens[2, 2:].tolist()) == {end}  # padded with the pad token


def test_text_embeddings_follow_the_planted_words(models):
    encoder = ClipTextEncoder(find_bundle(models, NAME))
    vectors = encoder.encode(["red car", "a blue sky", "green grass field", "nothing planted here 🙂"])
    half = 1 / np.sqrt(2)
    assert np.allclose(vectors[0], [half, 0, 0, half, 0, 0, 0, 0], atol=1e-6)
    assert np.allclose(vectors[1], [0, 0, 1, 0, 0, 0, 0, 0], atol=1e-6)
    assert np.allclose(vectors[2], [0, 1, 0, 0, 0, 0, 0, 0], atol=1e-6)
    assert np.allclose(vectors[3], 0)  # no planted word: the zero vector stays zero, never NaN
    assert set(WORDS) >= {"red", "car", "blue", "sky", "green", "grass", "field"}


def test_image_embeddings_match_the_hand_computed_oracle(models, tmp_path):
    encoder = ClipImageEncoder(find_bundle(models, NAME))
    square = _image(tmp_path / "car.jpg", (40, 160, 40), (220, 20, 20), size=(64, 64))
    vectors = encoder.encode_files([square, _image(tmp_path / "red.jpg", (220, 20, 20))])
    assert np.allclose(vectors[0], expected_image_embedding((40, 160, 40), (220, 20, 20)), atol=0.03)
    assert np.allclose(vectors[1], expected_image_embedding((220, 20, 20)), atol=0.03)


def test_fixed_batch_models_run_one_image_at_a_time(models, tmp_path):
    fixed = ClipImageEncoder(find_bundle(models, "tiny-clip__fixed"))
    dynamic = ClipImageEncoder(find_bundle(models, NAME))
    assert fixed.tower.fixed_batch == 1 and dynamic.tower.fixed_batch is None
    paths = [_image(tmp_path / f"{index}.jpg", (20 * index, 100, 200 - 20 * index)) for index in range(5)]
    assert np.allclose(fixed.encode_files(paths), dynamic.encode_files(paths), atol=1e-6)


def test_int32_text_models_get_int32_tokens(models, tmp_path):
    folder = tmp_path / "clip" / "int32"
    shutil.copytree(models / "clip" / NAME, folder)
    model = onnx.load(str(folder / "textual" / "model.onnx"))
    model.graph.input[0].type.tensor_type.elem_type = onnx.TensorProto.INT32  # Immich exports int32
    onnx.save(model, str(folder / "textual" / "model.onnx"))
    encoder = ClipTextEncoder(find_bundle(tmp_path, "int32"))
    assert encoder.dtype == "int32"
    assert np.allclose(encoder.encode(["blue"])[0], [0, 0, 1, 0, 0, 0, 0, 0], atol=1e-6)


def test_preprocessing_follows_preprocess_cfg():
    config = {"size": [4, 4], "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25], "interpolation": "nearest",
              "resize_mode": "shortest"}
    wide = Image.new("RGB", (8, 4), (255, 0, 0))
    wide.paste((0, 0, 255), (0, 0, 2, 4))  # a blue band on the left is cropped away by the centre crop
    array = to_model_input(wide, Preprocess.from_config(config))
    assert array.shape == (3, 4, 4)
    assert np.allclose(array[0], (1 - 0.5) / 0.25) and np.allclose(array[2], (0 - 0.5) / 0.25)
    squash = Preprocess.from_config({**config, "resize_mode": "squash"})
    assert resize_and_crop(wide, squash).getpixel((0, 0)) == (0, 0, 255)
    longest = Preprocess.from_config({**config, "resize_mode": "longest", "fill_color": 0})
    padded = resize_and_crop(wide, longest)
    assert padded.size == (4, 4) and padded.getpixel((3, 0)) == (0, 0, 0) and padded.getpixel((3, 1)) == (255, 0, 0)
    with pytest.raises(ValueError, match="resize_mode"):
        Preprocess.from_config({**config, "resize_mode": "stretchy"})


def test_a_damaged_config_is_reported_as_missing_model(models, tmp_path):
    folder = tmp_path / "clip" / "broken"
    shutil.copytree(models / "clip" / NAME, folder)
    (folder / "config.json").write_text("{not json")
    with pytest.raises(ModelMissing, match="config.json"):
        find_bundle(tmp_path, "broken")
    (folder / "config.json").write_text(json.dumps([1, 2]))
    with pytest.raises(ModelMissing, match="JSON object"):
        find_bundle(tmp_path, "broken")
