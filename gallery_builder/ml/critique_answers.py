"""What the critique and verify passes ask an Ollama model and how they read its answers: the critique
prompt (with the photo's aesthetic score and description), listing the objects a description names,
and confirming or denying each one in the photo. Malformed answers raise `MalformedAnswer`.
"""
from __future__ import annotations

import json
import re

from gallery_builder.ml.vision_answers import MalformedAnswer, TAG_VOCABULARY, _excerpt, clean_description

MAX_OBJECTS = 8
# Things a description may name, matched as whole words when the model cannot list them (a fixed
# list: no language-model data downloads). Plurals are matched too ("dogs" -> dog).
OBJECT_NOUNS: frozenset[str] = frozenset(TAG_VOCABULARY) - {"people", "portrait", "group", "crowd", "indoor",
                                                            "outdoor", "night", "landscape", "art", "interior"} | {
    "man", "woman", "boy", "girl", "person", "kite", "ball", "table", "chair", "bench", "window", "door",
    "road", "hill", "rock", "grass", "sand", "wave", "cup", "glass", "bottle", "plate", "cake", "pizza",
    "umbrella", "hat", "bag", "phone", "laptop", "book", "lamp", "sofa", "bed", "fence", "sign", "flag",
    "tower", "castle", "statue", "fountain", "ship", "bus", "motorcycle", "truck", "tent", "fire", "moon", "sun",
}
_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")


def critique_prompt(score: float, description: str) -> str:
    return (f"An aesthetic model scored this photo {score:.1f} on a scale of 1 to 10. It shows: {description} "
            "Critique the photo as a friendly photography teacher in two or three sentences: what works "
            "(composition, light, focus, moment) and one concrete suggestion to make it better. Answer with "
            "the critique only.")


def read_critique(answer: str) -> str:
    return clean_description(answer)


def redescribe_prompt(denied: list[str]) -> str:
    """The describe prompt again, for a disputed description: told what was not confirmed."""
    from gallery_builder.ml.vision_answers import DESCRIBE_PROMPT

    return (DESCRIBE_PROMPT + " Mention only what is clearly visible; do not mention: " + ", ".join(denied)
            + ", unless it is really there.")


def objects_prompt(description: str) -> str:
    return ("List the concrete, visible things (objects, animals, people, places) that this description of a "
            f"photo says are in it, at most {MAX_OBJECTS}, each as one or two lowercase words. Description: "
            f'"{description}" Answer with a JSON list only, for example ["dog", "red ball", "beach"].')


def confirm_prompt(objects: list[str]) -> str:
    return ("Look at this photo. For each of these things, say whether it is really visible in the photo: "
            + json.dumps(objects) + '. Answer with a JSON object only, for example {"dog": "yes", "ball": "no"}.')


def _json_value(answer: str, opening: str, closing: str) -> object | None:
    text = _FENCE.sub("", answer.strip()).strip()
    start, end = text.find(opening), text.rfind(closing)
    if not 0 <= start < end:
        return None
    try:
        return json.loads(text[start:end + 1])
    except ValueError:
        return None


def parse_objects(answer: str) -> list[str] | None:
    """The objects of a JSON list answer (lowercased, deduplicated, at most MAX_OBJECTS), or None when
    the answer is not a list of words."""
    value = _json_value(answer, "[", "]")
    if not isinstance(value, list):
        return None
    found: list[str] = []
    for item in value:
        if isinstance(item, str):
            word = re.sub(r"\s+", " ", item).strip(" .").casefold()
            if word and len(word) <= 40 and any(char.isalpha() for char in word) and word not in found:
                found.append(word)
    return found[:MAX_OBJECTS] if found or value == [] else None


def nouns_in(description: str) -> list[str]:
    """OBJECT_NOUNS named in the description, in order of first mention (the fallback listing)."""
    found: list[str] = []
    for word in re.findall(r"[a-zA-Z]+", description.casefold()):
        for candidate in (word, word[:-1] if word.endswith("s") else "", word[:-2] if word.endswith("es") else ""):
            if candidate in OBJECT_NOUNS and candidate not in found:
                found.append(candidate)
                break
    return found[:MAX_OBJECTS]


_YES = {"yes", "y", "true", "visible", "present"}
_NO = {"no", "n", "false", "not visible", "absent"}


def parse_confirmations(answer: str, objects: list[str]) -> dict[str, bool]:
    """object -> visible, from a JSON object answer; objects it does not mention are left out.
    MalformedAnswer when the answer is no such object or answers none of the objects."""
    value = _json_value(answer, "{", "}")
    if not isinstance(value, dict):
        raise MalformedAnswer(f"the answer is not a JSON object of yes/no: {_excerpt(answer)}")
    answers = {str(key).strip().casefold(): item for key, item in value.items()}
    found: dict[str, bool] = {}
    for name in objects:
        item = answers.get(name)
        if isinstance(item, bool):
            found[name] = item
        elif isinstance(item, str) and item.strip().casefold() in _YES | _NO:
            found[name] = item.strip().casefold() in _YES
    if objects and not found:
        raise MalformedAnswer(f"the answer says yes or no to none of {objects}: {_excerpt(answer)}")
    return found
