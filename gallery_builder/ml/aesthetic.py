"""Aesthetic heads: LAION's predictors as small ONNX models on CLIP image embeddings, score about 1-10.

A head bundle is `<models>/aesthetic/<NAME>/config.json` (`clip_model`: the CLIP bundle whose
embeddings it reads, `head`: mlp or linear, `embed_dim`, `version`) + `head.onnx` (input
`embedding` [N, D], L2-normalised as LAION trained it; output `score` [N, 1]), and optionally an int8
copy of the visual tower (`visual-int8.onnx`). The image side is the CLIP bundle
`<models>/clip/<clip_model>/visual/` (`gallery models fetch ViT-L-14__openai`), or, when
the clip pass already stores vectors of that very model, those vectors: the score is then one dot
product away. A head is valid only on embeddings of its own model (RECIPES: LAION heads).
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from gallery_builder.ml.clip_bundle import ModelMissing, check_name

DEFAULT_QUALITY_MODEL = "laion-improved__ViT-L-14__openai"
QUANTISED_VISUAL = "visual-int8.onnx"


@dataclass(frozen=True)
class KnownHead:
    """A head LAION published: which CLIP model it reads and the weights file a person downloads."""

    clip_model: str
    kind: str                # "mlp" or "linear"
    embed_dim: int
    weights_file: str
    source: str


KNOWN_HEADS: dict[str, KnownHead] = {
    DEFAULT_QUALITY_MODEL: KnownHead("ViT-L-14__openai", "mlp", 768, "sac+logos+ava1-l14-linearMSE.pth",
                                     "github.com/christophschuhmann/improved-aesthetic-predictor"),
    "laion-linear__ViT-L-14__openai": KnownHead("ViT-L-14__openai", "linear", 768, "sa_0_4_vit_l_14_linear.pth",
                                                "github.com/LAION-AI/aesthetic-predictor"),
    "laion-linear__ViT-B-16__openai": KnownHead("ViT-B-16__openai", "linear", 512, "sa_0_4_vit_b_16_linear.pth",
                                                "github.com/LAION-AI/aesthetic-predictor"),
    "laion-linear__ViT-B-32__openai": KnownHead("ViT-B-32__openai", "linear", 512, "sa_0_4_vit_b_32_linear.pth",
                                                "github.com/LAION-AI/aesthetic-predictor"),
}


def aesthetic_root(models_dir: str | Path) -> Path:
    return Path(models_dir) / "aesthetic"


def missing_head_message(name: str, models_dir: str | Path) -> str:
    known = KNOWN_HEADS.get(name)
    where = aesthetic_root(models_dir) / name
    if known is None:
        return (f"aesthetic head {name!r} is not installed in {where} (known heads: {', '.join(KNOWN_HEADS)})")
    return (f"aesthetic head {name!r} is not installed (no {where}/head.onnx). Download its weights file "
            f"{known.weights_file} (from {known.source}), then run `gallery models export --aesthetic {name} "
            f"--head-weights {known.weights_file}` (needs the export extra: pip install 'gallery_builder[export]')")


@dataclass(frozen=True)
class HeadBundle:
    name: str
    path: Path
    clip_model: str
    kind: str
    embed_dim: int
    version: int

    @property
    def key(self) -> str:
        """What stored scores are tagged with: another bundle or version scores every photo again."""
        return f"{self.name}@{self.version}"

    def fingerprint(self) -> str:
        stat = (self.path / "head.onnx").stat()
        return f"{self.name}:{stat.st_size}:{stat.st_mtime_ns}"

    @property
    def quantised_visual(self) -> Path | None:
        """An int8 copy of the CLIP visual tower kept with the head (`models export --quantize-visual`)."""
        path = self.path / QUANTISED_VISUAL
        return path if path.is_file() else None


def find_head(models_dir: str | Path, name: str) -> HeadBundle:
    """The installed head bundle, or ModelMissing naming the weights file and the command that makes it."""
    path = aesthetic_root(models_dir) / check_name(name)
    if not (path / "head.onnx").is_file() or not (path / "config.json").is_file():
        raise ModelMissing(missing_head_message(name, models_dir))
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        return HeadBundle(name, path, check_name(str(config["clip_model"])), str(config.get("head", "mlp")),
                          int(config["embed_dim"]), int(config.get("version", 1)))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ModelMissing(f"cannot read {path / 'config.json'}: {error}") from error


def head_model(layers: list[tuple[Any, Any]]) -> Any:
    """An ONNX model of affine layers (weight [out, in], bias [out]) applied in turn, as torch's
    nn.Linear stores them: LAION's improved MLP has no activation between its layers (Dropout is
    the identity at inference), the linear heads are one layer."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    nodes, initialisers, current = [], [], "embedding"
    for number, (weight, bias) in enumerate(layers):
        weight, bias = np.asarray(weight, np.float32), np.asarray(bias, np.float32).reshape(-1)
        initialisers += [numpy_helper.from_array(weight, f"w{number}"), numpy_helper.from_array(bias, f"b{number}")]
        output = "score" if number == len(layers) - 1 else f"h{number}"
        nodes.append(helper.make_node("Gemm", [current, f"w{number}", f"b{number}"], [output], transB=1))
        current = output
    dim = int(np.asarray(layers[0][0]).shape[1])
    graph = helper.make_graph(nodes, "aesthetic_head",
                              [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", dim])],
                              [helper.make_tensor_value_info("score", TensorProto.FLOAT, ["batch", 1])], initialisers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def layers_from_state_dict(state: Mapping[str, Any]) -> list[tuple[Any, Any]]:
    """The affine layers of a LAION head's state dict, in order: `layers.N.weight/bias` (the improved
    MLP) or a bare `weight`/`bias` (the linear heads); values are arrays."""
    import numpy as np

    if "weight" in state and "bias" in state:
        return [(np.asarray(state["weight"]), np.asarray(state["bias"]))]
    numbers = sorted({int(key.split(".")[1]) for key in state if key.startswith("layers.") and key.endswith(".weight")})
    if not numbers:
        raise ValueError(f"not a LAION aesthetic head: keys {sorted(state)[:6]}")
    return [(np.asarray(state[f"layers.{n}.weight"]), np.asarray(state[f"layers.{n}.bias"])) for n in numbers]


def write_head(models_dir: str | Path, name: str, layers: list[tuple[Any, Any]], clip_model: str, kind: str,
               version: int = 1) -> Path:
    """Write the bundle `<models>/aesthetic/NAME` (staged, then renamed into place)."""
    import shutil

    import onnx

    check_name(name)
    dim = int(layers[0][0].shape[1])
    staging = aesthetic_root(models_dir) / f".export-{name}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    onnx.save(head_model(layers), str(staging / "head.onnx"))
    (staging / "config.json").write_text(json.dumps(
        {"clip_model": clip_model, "head": kind, "embed_dim": dim, "version": version}, indent=1))
    final = aesthetic_root(models_dir) / name
    if final.exists():
        shutil.rmtree(final)
    staging.rename(final)
    return final


class HeadScorer:
    """The head on ONNX Runtime: normalised embeddings -> scores."""

    def __init__(self, bundle: HeadBundle) -> None:
        from gallery_builder.ml.clip_onnx import OrtSettings, open_session

        self.bundle = bundle
        self.session = open_session(str(bundle.path / "head.onnx"), OrtSettings(1))

    def score(self, embeddings: Any) -> Any:
        import numpy as np

        from gallery_builder.ml.clip_onnx import normalise_rows

        matrix = normalise_rows(embeddings)
        if matrix.shape[1] != self.bundle.embed_dim:
            raise ValueError(f"{self.bundle.name} reads {self.bundle.embed_dim}-d embeddings of "
                             f"{self.bundle.clip_model}, got {matrix.shape[1]}-d ones")
        return np.asarray(self.session.run(["score"], {"embedding": matrix})[0], np.float64).reshape(-1)


_SCORERS: dict[str, HeadScorer] = {}
_ENCODERS: dict[str, Any] = {}
_LOCK = threading.Lock()


def quantise_visual(models_dir: str | Path, head: HeadBundle) -> Path:
    """Write an int8 copy (ONNX Runtime's dynamic quantisation of the weights) of the head's CLIP
    visual tower next to the head: about half the CPU time of fp32 on ViT-L/14 here."""
    import os

    from onnxruntime.quantization import QuantType, quantize_dynamic

    from gallery_builder.ml.clip_bundle import find_bundle

    source = find_bundle(models_dir, head.clip_model, parts=("visual",)).file("visual/model.onnx")
    target = head.path / QUANTISED_VISUAL
    temp = target.with_name(".partial-" + target.name)
    quantize_dynamic(str(source), str(temp), weight_type=QuantType.QInt8)
    os.replace(temp, target)
    return target


def head_image_encoder(models_dir: str | Path, head: HeadBundle) -> Any:
    """The CLIP visual tower the head reads: its int8 copy when there is one, else the CLIP bundle's."""
    from gallery_builder.ml.clip_bundle import find_bundle
    from gallery_builder.ml.clip_image import ClipImageEncoder, cached_image_encoder

    bundle = find_bundle(models_dir, head.clip_model, parts=("visual",))
    quantised = head.quantised_visual
    if quantised is None:
        return cached_image_encoder(bundle)
    stat = quantised.stat()
    key = f"{quantised}:{stat.st_size}:{stat.st_mtime_ns}"
    with _LOCK:
        if key not in _ENCODERS:
            _ENCODERS.clear()
            _ENCODERS[key] = ClipImageEncoder(bundle, model_path=str(quantised))
        return _ENCODERS[key]


def cached_scorer(bundle: HeadBundle) -> HeadScorer:
    with _LOCK:
        key = bundle.fingerprint()
        if key not in _SCORERS:
            _SCORERS[key] = HeadScorer(bundle)
        return _SCORERS[key]


def read_head_weights(path: str | Path) -> list[tuple[Any, Any]]:
    """The affine layers of a downloaded head: a `.pth` state dict (needs torch, the export extra) or
    an `.npz` of the same keys (no torch)."""
    import numpy as np

    path = Path(path)
    if path.suffix == ".npz":
        with np.load(path) as data:
            return layers_from_state_dict({key: data[key] for key in data.files})
    try:
        import torch
    except ImportError as error:
        raise ModelMissing(f"reading {path.name} needs torch ({error}): pip install 'gallery_builder[export]', "
                           f"or convert it to .npz on a machine that has torch") from error
    state = torch.load(str(path), map_location="cpu", weights_only=True)
    state = state.get("state_dict", state) if isinstance(state, dict) else state
    return layers_from_state_dict({key: value.detach().cpu().numpy() for key, value in state.items()})
