"""`gallery models export --aesthetic` reads LAION's `.pth` with torch: the ONNX head matches torch.

LAION's improved aesthetic MLP (layers 768-1024-128-64-16-1 with Dropout between, no activations) at
seeded random weights is saved as a state dict, exported by the CLI, and compared with torch's own
forward pass on normalised embeddings. Runs when torch is importable (the `export` extra).
"""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from tests.conftest import run_gallery

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                       reason="torch not installed: pip install 'gallery_builder[export]' to run the head export test"),
]


def test_the_improved_mlp_head_matches_torch(tmp_path):
    import torch

    from gallery_builder.ml.aesthetic import HeadScorer, find_head

    torch.manual_seed(3)
    layers = torch.nn.Sequential(torch.nn.Linear(768, 1024), torch.nn.Dropout(0.2), torch.nn.Linear(1024, 128),
                                 torch.nn.Dropout(0.2), torch.nn.Linear(128, 64), torch.nn.Dropout(0.1),
                                 torch.nn.Linear(64, 16), torch.nn.Linear(16, 1))

    class MLP(torch.nn.Module):   # the class of LAION's simple_inference.py, keys `layers.N.*`
        def __init__(self) -> None:
            super().__init__()
            self.layers = layers

        def forward(self, value):
            return self.layers(value)

    model = MLP().eval()
    weights = tmp_path / "sac+logos+ava1-l14-linearMSE.pth"
    torch.save(model.state_dict(), weights)
    home = tmp_path / "home"
    result = run_gallery("models", "export", "--aesthetic", "laion-improved__ViT-L-14__openai", "--head-weights",
                         str(weights), "--home", str(home))
    assert "(mlp, 768-d ViT-L-14__openai embeddings)" in result.stdout
    assert "next: CLIP model 'ViT-L-14__openai' is not installed" in result.stdout   # the head is there, its CLIP not yet
    embeddings = np.random.default_rng(5).normal(size=(16, 768)).astype(np.float32)
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    with torch.no_grad():
        expected = model(torch.from_numpy(embeddings)).numpy().reshape(-1)
    scores = HeadScorer(find_head(home / "models", "laion-improved__ViT-L-14__openai")).score(embeddings)
    assert np.allclose(scores, expected, atol=1e-5)
