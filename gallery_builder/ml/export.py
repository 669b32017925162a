"""`gallery models export`: build a CLIP bundle from open_clip with torch (the optional `export` extra).

Writes the same layout `models fetch` downloads: the two towers as ONNX (torch's legacy exporter,
dynamic batch, inputs `image`/`text`, output `embedding`), open_clip's model config and its
preprocessing numbers, and a tokenizer.json built from open_clip's own BPE vocabulary.
torch and open_clip are imported only inside these functions.
"""
from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path
from typing import Any, Callable

from gallery_builder.ml.clip_bundle import check_name, clip_root, split_name
from gallery_builder.ml.clip_tokenizer import END_TOKEN, START_TOKEN, build_clip_bpe_tokenizer, tokenizer_config

OPSET = 17
INSTALL_HINT = "pip install 'gallery_builder[export]'  (torch, torchvision, open-clip-torch, onnx)"


class ExportUnavailable(RuntimeError):
    """torch/open_clip are not installed, or the model cannot be made; the message says what to do."""


def _import_export_stack() -> tuple[Any, Any]:
    try:
        import open_clip
        import torch
    except ImportError as error:
        raise ExportUnavailable(f"`gallery models export` needs torch and open_clip ({error}); {INSTALL_HINT}") from error
    return torch, open_clip


def create_model(name: str, *, random_weights: bool = False, weights: Path | None = None,
                 model_config: Path | None = None) -> tuple[Any, str]:
    """The open_clip model for NAME (`<arch>__<pretrained>`) in eval mode, and its architecture name."""
    torch, open_clip = _import_export_stack()
    arch, tag = split_name(name)
    if model_config is not None:
        open_clip.add_model_config(Path(model_config))
    if open_clip.get_model_config(arch) is None:
        raise ExportUnavailable(f"open_clip knows no architecture {arch!r}; see open_clip.list_models() or pass "
                                f"--model-config FILE.json")
    pretrained = None if random_weights else (str(weights) if weights else tag)
    if not random_weights and not pretrained:
        raise ExportUnavailable(f"{name!r} names no pretrained weights: use <arch>__<tag>, --weights FILE, "
                                f"or --random-weights (for benchmarks)")
    try:
        model = open_clip.create_model(arch, pretrained=pretrained, device="cpu")
    except Exception as error:  # open_clip raises RuntimeError/OSError/HF errors when weights are unavailable
        raise ExportUnavailable(f"open_clip could not create {arch} with weights {pretrained!r}: {error}") from error
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    torch.backends.mha.set_fastpath_enabled(False)
    return model, arch


def clip_tokenizer_files(arch: str, context_length: int, folder: Path) -> None:
    """tokenizer.json (+ tokenizer_config.json) from open_clip's own tokenizer of this architecture."""
    _, open_clip = _import_export_stack()
    tokenizer = open_clip.get_tokenizer(arch)
    if hasattr(tokenizer, "bpe_ranks") and hasattr(tokenizer, "encoder"):
        rename = {"<start_of_text>": START_TOKEN, "<end_of_text>": END_TOKEN}
        vocab = [rename.get(token, token) for token in sorted(tokenizer.encoder, key=tokenizer.encoder.get)]
        merges = sorted(tokenizer.bpe_ranks, key=tokenizer.bpe_ranks.get)
        build_clip_bpe_tokenizer(vocab, merges).save(str(folder / "tokenizer.json"))
        (folder / "tokenizer_config.json").write_text(json.dumps(tokenizer_config(context_length), indent=1))
        return
    backend = getattr(getattr(tokenizer, "tokenizer", None), "backend_tokenizer", None)
    if backend is None:
        raise ExportUnavailable(f"{arch} uses a tokenizer ({type(tokenizer).__name__}) that cannot be saved as "
                                f"tokenizer.json")
    backend.save(str(folder / "tokenizer.json"))
    pad = getattr(tokenizer.tokenizer, "pad_token", None) or END_TOKEN
    (folder / "tokenizer_config.json").write_text(json.dumps({"pad_token": pad, "model_max_length": context_length}))


def _export(module: Any, example: Any, path: Path, input_name: str) -> None:
    torch, _ = _import_export_stack()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (example,), str(path), input_names=[input_name], output_names=["embedding"],
                          dynamic_axes={input_name: {0: "batch"}, "embedding": {0: "batch"}},
                          opset_version=OPSET, dynamo=False)


class _Tower:
    """A tiny torch module calling one tower (open_clip's encode_* with normalisation)."""

    @staticmethod
    def make(model: Any, part: str) -> Any:
        torch, _ = _import_export_stack()

        class Tower(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, value: Any) -> Any:
                encode = self.model.encode_image if part == "visual" else self.model.encode_text
                return encode(value, normalize=True)

        return Tower().eval()


def export_bundle(models_dir: str | Path, name: str, *, random_weights: bool = False, weights: Path | None = None,
                  model_config: Path | None = None, parts: tuple[str, ...] = ("visual", "textual"),
                  log: Callable[[str], None] = print) -> Path:
    """Build <models>/clip/NAME from open_clip; returns the folder."""
    torch, open_clip = _import_export_stack()
    check_name(name)
    model, arch = create_model(name, random_weights=random_weights, weights=weights, model_config=model_config)
    config = open_clip.get_model_config(arch)
    context_length = int(config.get("text_cfg", {}).get("context_length", 77))
    staging = clip_root(models_dir) / f".export-{name}"
    if staging.exists():
        shutil.rmtree(staging)
    (staging / "visual").mkdir(parents=True)
    (staging / "textual").mkdir(parents=True)
    (staging / "config.json").write_text(json.dumps(config, indent=1))
    preprocess = dict(open_clip.get_model_preprocess_cfg(model))
    (staging / "visual" / "preprocess_cfg.json").write_text(json.dumps(preprocess, indent=1))
    clip_tokenizer_files(arch, context_length, staging / "textual")
    size = preprocess["size"] if isinstance(preprocess["size"], int) else preprocess["size"][0]
    if "visual" in parts:
        log(f"  exporting the visual tower of {arch} ({size} px)")
        _export(_Tower.make(model, "visual"), torch.randn(2, 3, size, size), staging / "visual" / "model.onnx", "image")
    if "textual" in parts:
        log(f"  exporting the textual tower of {arch} (context {context_length})")
        tokens = open_clip.get_tokenizer(arch)(["a photo of a dog", "red car"])
        _export(_Tower.make(model, "textual"), tokens.to(torch.int64), staging / "textual" / "model.onnx", "text")
    final = clip_root(models_dir) / name
    if final.exists():
        shutil.rmtree(final)
    staging.rename(final)
    return final
