"""CLIP text tokenisation with `tokenizers` (no torch): load a bundle's tokenizer.json, or build one.

`ClipTokenizer` pads/truncates to the model's context length with the pad token named in
tokenizer_config.json, as Immich does. `build_clip_bpe_tokenizer` assembles the tokenizer.json of
CLIP's byte-level BPE (lower-casing, CLIP's word split, `</w>` word ends, start/end tokens) from a
vocabulary and merge list: `models export` feeds it open_clip's BPE file, tests a tiny vocabulary.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

START_TOKEN = "<|startoftext|>"
END_TOKEN = "<|endoftext|>"
# CLIP's word split (the pattern of open_clip's SimpleTokenizer without the special tokens).
WORD_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""


class ClipTokenizer:
    """Text -> int token ids [N, context_length] for the textual model."""

    def __init__(self, tokenizer_file: str | Path, context_length: int, pad_token: str | None = None) -> None:
        from tokenizers import Tokenizer

        self.context_length = context_length
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        pad_token = pad_token or END_TOKEN
        pad_id = self.tokenizer.token_to_id(pad_token)
        if pad_id is None:
            raise ValueError(f"{tokenizer_file}: pad token {pad_token!r} is not in the vocabulary")
        self.tokenizer.no_padding()
        self.tokenizer.enable_padding(length=context_length, pad_id=pad_id, pad_token=pad_token)
        self.tokenizer.enable_truncation(max_length=context_length)

    @classmethod
    def from_bundle(cls, bundle: Any) -> "ClipTokenizer":
        config = bundle.tokenizer_config()
        pad = config.get("pad_token")
        if isinstance(pad, dict):  # HF writes AddedToken objects in some versions
            pad = pad.get("content")
        return cls(bundle.file("textual/tokenizer.json"), bundle.context_length(), pad)

    def encode(self, texts: Sequence[str]) -> Any:
        import numpy as np

        encodings = self.tokenizer.encode_batch(list(texts))
        return np.asarray([encoding.ids for encoding in encodings], dtype=np.int64)


def build_clip_bpe_tokenizer(vocab: Sequence[str], merges: Sequence[tuple[str, str]]) -> Any:
    """A `tokenizers.Tokenizer` for CLIP's BPE; `vocab` gives ids by position and must hold both specials."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    ids = {token: index for index, token in enumerate(vocab)}
    for special in (START_TOKEN, END_TOKEN):
        if special not in ids:
            raise ValueError(f"the vocabulary lacks {special}")
    tokenizer = Tokenizer(models.BPE(vocab=ids, merges=list(merges), continuing_subword_prefix="",
                                     end_of_word_suffix="</w>", unk_token=END_TOKEN, fuse_unk=False))
    tokenizer.normalizer = normalizers.Sequence([
        normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(WORD_PATTERN), behavior="removed", invert=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False),
    ])
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.RobertaProcessing(
        (END_TOKEN, ids[END_TOKEN]), (START_TOKEN, ids[START_TOKEN]), trim_offsets=False, add_prefix_space=False)
    tokenizer.add_special_tokens([START_TOKEN, END_TOKEN])
    return tokenizer


def tokenizer_config(context_length: int, pad_token: str = END_TOKEN) -> dict[str, Any]:
    """The tokenizer_config.json written beside tokenizer.json (the keys Immich reads)."""
    return {"bos_token": START_TOKEN, "eos_token": END_TOKEN, "unk_token": END_TOKEN,
            "pad_token": pad_token, "model_max_length": context_length,
            "tokenizer_class": "CLIPTokenizer", "do_lower_case": True}
