"""What we ask a vision model about a photo and how its answer is read: the prompts, the fixed tag
vocabulary, and the checks that turn a malformed answer into a clear per-photo error.
"""
from __future__ import annotations

import json
import re
import unicodedata

DESCRIBE_PROMPT = (
    "Describe this photo in one or two plain sentences: what is in it, where it seems to be, and what is "
    "happening. Do not guess names of people. Answer with the description only.")

# Words a person searches a photo library by; a model's answer keeps only these (in this spelling).
TAG_VOCABULARY: tuple[str, ...] = (
    "people", "portrait", "group", "child", "baby", "selfie", "crowd",
    "dog", "cat", "bird", "horse", "animal",
    "landscape", "mountain", "beach", "sea", "lake", "river", "waterfall", "forest", "tree", "flower", "garden",
    "park", "field", "desert", "snow", "sky", "sunset", "night", "clouds",
    "city", "street", "building", "house", "interior", "church", "bridge", "monument", "museum",
    "food", "drink", "restaurant",
    "car", "bicycle", "boat", "train", "airplane",
    "sport", "concert", "party", "wedding", "birthday", "christmas",
    "document", "screenshot", "art", "toy",
    "indoor", "outdoor",
)
_VOCABULARY = frozenset(TAG_VOCABULARY)
TAGS_PROMPT = (
    "Which of these tags fit this photo? Tags: " + ", ".join(TAG_VOCABULARY) + ". "
    'Answer with a JSON list of the tags that fit, for example ["beach", "sea", "outdoor"], using only tags '
    "from the list, and nothing else.")

MAX_DESCRIPTION_CHARS = 1000
_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")
_LEAD = re.compile(r"^(?:description|answer|tags)\s*:\s*", re.IGNORECASE)
_ITEM_NOISE = re.compile(r"^[\s\-*•\d.)#]+|[\s.!]+$")


class MalformedAnswer(ValueError):
    """The model answered, but not with something we can store; the message says what came back."""


def _excerpt(answer: str) -> str:
    shown = answer.strip()[:80]
    return repr(shown) + ("..." if len(answer.strip()) > 80 else "")


def clean_description(answer: str) -> str:
    """The stored description: whitespace collapsed, wrapping quotes and a 'Description:' label
    dropped, at most MAX_DESCRIPTION_CHARS (cut at a word). MalformedAnswer for an empty answer or
    one that is mostly not words (the garbage a model gives when it runs out of memory or context)."""
    text = _LEAD.sub("", re.sub(r"\s+", " ", answer).strip()).strip().strip('"“”').strip()
    if not text:
        raise MalformedAnswer("the answer was empty")
    visible = [char for char in text if not char.isspace()]
    wordy = sum(char.isalpha() for char in visible)
    broken = sum(char == "\ufffd" or unicodedata.category(char) in {"Cc", "Cs", "Co"} for char in visible)
    if broken or wordy < 2 or wordy < 0.6 * len(visible):
        raise MalformedAnswer(f"the answer is not a description: {_excerpt(answer)}")
    if len(text) > MAX_DESCRIPTION_CHARS:
        text = text[:MAX_DESCRIPTION_CHARS].rsplit(" ", 1)[0] + "…"
    return text


def parse_tags(answer: str) -> tuple[str, ...]:
    """Tags from a JSON list (also inside a code fence or a {"tags": [...]} object) or comma-separated
    text; words outside the vocabulary are dropped, plurals of vocabulary words kept ("dogs" -> dog).
    MalformedAnswer when the answer names no tag at all and is not an explicit empty list."""
    text = _FENCE.sub("", answer.strip()).strip()
    items = _json_items(text)
    if items is None:
        items = re.split(r"[,;\n]+", _LEAD.sub("", text))
    elif not items:
        return ()  # the model said, in JSON, that no tag fits
    found: list[str] = []
    for item in items:
        tag = _vocabulary_word(item)
        if tag and tag not in found:
            found.append(tag)
    if not found:
        raise MalformedAnswer(f"the answer names no tag from the vocabulary: {_excerpt(answer)}")
    return tuple(found)


def _json_items(text: str) -> list[str] | None:
    start, end = text.find("["), text.rfind("]")
    candidates = [text[start:end + 1]] if 0 <= start < end else []
    if text.startswith("{"):
        candidates.insert(0, text)
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            value = value.get("tags")
        if isinstance(value, list):
            return [item for item in value if isinstance(item, str)]
    return None


def _vocabulary_word(item: str) -> str | None:
    word = _ITEM_NOISE.sub("", item.strip().strip("\"'`[]")).strip("\"'` ").casefold()
    if word in _VOCABULARY:
        return word
    for singular in (word[:-1], word[:-2]) if word.endswith("s") else ():
        if singular in _VOCABULARY:
            return singular
    return None
