"""`gallery models export` with open_clip + torch: the ONNX towers and tokenizer match torch.

A tiny open_clip architecture (from a model config JSON) at fixed random weights is exported by the
CLI; its ONNX output, tokens and preprocessing are compared with open_clip's own on the same inputs.
Runs when torch and open_clip are importable (the `export` extra); skipped with the reason otherwise.
"""
from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from tests.conftest import run_gallery

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("torch") is None or importlib.util.find_spec("open_clip") is None,
                       reason="torch/open_clip not installed: pip install 'gallery_builder[export]' to run the "
                              "export test"),
]

ARCH = "tiny-export"
CONFIG = {"embed_dim": 32,
          "vision_cfg": {"image_size": 48, "layers": 2, "width": 64, "patch_size": 16, "head_width": 32},
          "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2}}
TEXTS = ["a photo of a dog", "DSC06241.JPG", "Café crème brûlée", "東京タワー", "🙂 emoji party 🎉",
         "  Multiple   SPACES and\ttabs ", "word " * 100, "it's o'clock, isn't it?"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    import open_clip
    import torch

    folder = tmp_path_factory.mktemp("export")
    config_file = folder / f"{ARCH}.json"
    config_file.write_text(json.dumps(CONFIG))
    open_clip.add_model_config(config_file)
    torch.manual_seed(7)
    model = open_clip.create_model(ARCH, pretrained=None).eval()
    weights = folder / "weights.pt"
    torch.save(model.state_dict(), weights)
    home = folder / "home"
    result = run_gallery("models", "export", f"{ARCH}__seeded", "--weights", str(weights), "--model-config",
                         str(config_file), "--home", str(home), timeout=240)
    assert "exported" in result.stdout
    return model, home / "models"


def test_the_bundle_has_the_immich_layout(exported):
    from gallery_builder.ml.clip_bundle import find_bundle

    _, models = exported
    bundle = find_bundle(models, f"{ARCH}__seeded")
    assert bundle.config()["embed_dim"] == 32 and bundle.context_length() == 77
    assert bundle.preprocess_config()["size"] == [48, 48]
    assert bundle.tokenizer_config()["pad_token"] == "<|endoftext|>"


def test_tokens_match_open_clip(exported):
    import open_clip

    from gallery_builder.ml.clip_bundle import find_bundle
    from gallery_builder.ml.clip_tokenizer import ClipTokenizer

    _, models = exported
    ours = ClipTokenizer.from_bundle(find_bundle(models, f"{ARCH}__seeded")).encode(TEXTS)
    theirs = open_clip.get_tokenizer(ARCH)(TEXTS).numpy()
    end = 49407
    for text, mine, reference in zip(TEXTS, ours, theirs):
        length = int(np.argmax(reference == end)) + 1
        assert mine[:length].tolist() == reference[:length].tolist(), text
        assert set(mine[length:].tolist()) <= {end}  # we pad with end-of-text (as Immich does), open_clip with 0


def test_onnx_towers_match_torch(exported):
    import open_clip
    import torch
    from PIL import Image

    from gallery_builder.ml.clip_bundle import find_bundle
    from gallery_builder.ml.clip_image import ClipImageEncoder
    from gallery_builder.ml.clip_text import ClipTextEncoder
    from gallery_builder.ml.clip_preprocess import to_model_input

    model, models = exported
    bundle = find_bundle(models, f"{ARCH}__seeded")
    with torch.no_grad():
        reference_text = model.encode_text(open_clip.get_tokenizer(ARCH)(TEXTS), normalize=True).numpy()
    assert np.allclose(ClipTextEncoder(bundle).encode(TEXTS), reference_text, atol=1e-5)

    gradient = np.linspace(0, 255, 120 * 90 * 3).reshape(90, 120, 3).astype(np.uint8)
    image = Image.fromarray(gradient)
    transform = open_clip.image_transform(48, is_train=False, **{
        key: value for key, value in bundle.preprocess_config().items() if key in {"mean", "std", "interpolation",
                                                                                 "resize_mode", "fill_color"}})
    theirs = transform(image).numpy()
    encoder = ClipImageEncoder(bundle)
    mine = to_model_input(image, encoder.preprocess)
    assert np.allclose(mine, theirs, atol=1e-4)
    with torch.no_grad():
        reference_image = model.encode_image(torch.from_numpy(theirs[None]), normalize=True).numpy()
    assert np.allclose(encoder.encode_arrays([mine, mine]), np.repeat(reference_image, 2, axis=0), atol=1e-4)


def test_random_weights_and_missing_torch_messages(tmp_path):
    bad = run_gallery("models", "export", "ViT-B-32", "--home", str(tmp_path), check=False, timeout=120)
    assert bad.returncode == 1 and "--random-weights" in bad.stderr
    unknown = run_gallery("models", "export", "NoSuchNet__x", "--home", str(tmp_path), check=False, timeout=120)
    assert unknown.returncode == 1 and "open_clip knows no architecture 'NoSuchNet'" in unknown.stderr
