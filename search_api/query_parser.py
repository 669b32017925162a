"""A search box query -> filters plus the words left for CLIP.

Order: quoted text is kept as text; `key:value` filters; camera file names (DSC06241, IMG_1234)
become a file-name match; date spans, people, then single dates (query_dates); places and cameras
known to the library (the Vocabulary); colour words stay in the CLIP text and re-rank (a `color:` filter
excludes). The rules for ambiguous words are in docs/search.md, with a table of phrasings.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable

from gallery_builder.core.color_names import canonical_color
from gallery_builder.db.search_queries import fold_text as fold
from search_api.query_dates import DateFilter, DateReader, Hemisphere

FILTER_KEYS = {"year": "year", "month": "month", "place": "place", "country": "country", "camera": "camera",
               "folder": "folder", "color": "color", "colour": "color", "person": "person",
               "file": "file", "filename": "file"}
_EXPLICIT = re.compile(r"(?<!\S)(?P<key>[A-Za-z]+):(?:\"(?P<quoted>[^\"]*)\"|(?P<plain>\S+))")
_QUOTED = re.compile(r"\"([^\"]+)\"")
FILENAME = re.compile(
    r"(?<![\w.-])(?P<name>(?:"
    r"(?:DSC[FN]?|_DSC|_MG|IMG|MVI|VID|PXL|DJI|GOPR|PANO|CIMG|HPIM|RIMG|SDC|KIF|DCP|IMAG|SAM|PICT|WP)"
    r"[_-]?\d{3,}(?:[_-][A-Za-z0-9]+)*|P\d{7}|G[HXOL]\d{6}|IMG-\d{8}-WA\d{4}|\d{8}_\d{6}(?:_\d+)?"
    r")(?:\.[A-Za-z0-9]{2,5})?)(?![\w.-])", re.IGNORECASE)
STRONG_PREPOSITIONS = {"in", "near", "around", "from"}
PLACE_PREPOSITIONS = STRONG_PREPOSITIONS | {"at", "to"}
CAMERA_LEADS = {"with", "on", "using", "by"}
FILLER = {"photo", "photos", "picture", "pictures", "pic", "pics", "image", "images", "shot", "shots", "taken",
          "of", "from", "in", "at", "on", "during", "with", "and", "or", "&", "the", "my", "our", "all", "show",
          "me", "find", "near", "around", "by", "using", "to"}
COUNTRY_ALIASES = {"US": ("usa", "america", "united states of america", "the us"), "GB": ("uk", "britain", "great britain"),
                   "NL": ("holland",), "CZ": ("czech republic",), "AE": ("uae",), "KR": ("south korea",)}
MAKE_STOPWORDS = {"apple", "camera", "digital", "corporation", "imaging", "company", "co", "ltd", "inc"}


@dataclass(frozen=True)
class Vocabulary:
    """Names the library knows (folded -> canonical): only these become place/camera/person filters."""

    places: dict[str, str] = field(default_factory=dict)
    countries: dict[str, str] = field(default_factory=dict)
    cameras: dict[str, str] = field(default_factory=dict)
    people: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, places: Iterable[str | None], countries: Iterable[tuple[str | None, str | None]],
              cameras: Iterable[tuple[str | None, str | None]], people: Iterable[str] = ()) -> "Vocabulary":
        country_names: dict[str, str] = {}
        for name, code in countries:
            if name:
                country_names[fold(name)] = name
                for alias in COUNTRY_ALIASES.get((code or "").upper(), ()):
                    country_names[alias] = name
        return cls(places={fold(name): name for name in places if name and fold(name) not in country_names},
                   countries=country_names, cameras=_camera_aliases(cameras),
                   people={fold(name): name for name in people if name})


def _camera_aliases(cameras: Iterable[tuple[str | None, str | None]]) -> dict[str, str]:
    """'Apple'/'iPhone 13 Pro' -> {'iphone 13 pro', 'iphone'}; 'NIKON CORPORATION'/'NIKON D750' -> {'nikon d750', 'd750', 'nikon'}."""
    aliases: dict[str, str] = {}
    for make, model in cameras:
        make_word = fold(make or "").split(" ")[0] if make else ""
        model_text = fold(model or "")
        if make_word and make_word not in MAKE_STOPWORDS and len(make_word) > 2:
            aliases[make_word] = make_word
            if make_word == "fujifilm":
                aliases["fuji"] = "fujifilm"
        if model_text:
            aliases[model_text] = model_text
            bare = model_text[len(make_word):].strip() if make_word and model_text.startswith(make_word) else ""
            if len(bare) > 2:
                aliases[bare] = bare
            family = model_text.split(" ")[0]
            if " " in model_text and family.isalpha() and len(family) >= 4 and family not in MAKE_STOPWORDS:
                aliases.setdefault(family, family)
    return aliases


@dataclass
class ParsedQuery:
    """What was understood. `text` goes to CLIP; every list is an OR within itself, AND across lists."""

    raw: str
    text: str = ""
    dates: DateFilter = field(default_factory=DateFilter)
    years: list[int] = field(default_factory=list)
    months: list[int] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    cameras: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    filenames: list[str] = field(default_factory=list)
    color_boost: list[str] = field(default_factory=list)
    color_filter: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def has_filters(self) -> bool:
        return bool(not self.dates.is_empty or self.years or self.months or self.places or self.countries
                    or self.cameras or self.folders or self.people or self.filenames or self.color_filter)

    def to_json(self) -> dict[str, object]:
        return {"text": self.text, "dates": None if self.dates.is_empty else self.dates.to_json(),
                "year": self.years, "month": self.months, "place": self.places, "country": self.countries,
                "camera": self.cameras, "folder": self.folders, "person": self.people, "filename": self.filenames,
                "color": self.color_filter, "color_boost": self.color_boost, "notes": self.notes,
                "description": describe(self)}


def describe(parsed: ParsedQuery) -> str:
    """'photos from 2023-05-01 to 2023-05-31 in Lisbon matching “kids on the beach”'."""
    parts = ["photos"]
    for item in parsed.dates.ranges[:3]:
        parts.append(f"on {item.start}" if item.start == item.end else f"from {item.start} to {item.end}")
    if len(parsed.dates.ranges) > 3:
        parts.append(f"(and {len(parsed.dates.ranges) - 3} more date ranges)")
    for window in parsed.dates.annual:
        parts.append(f"between {window.start[1]}/{window.start[0]} and {window.end[1]}/{window.end[0]} of any year")
    labelled = [("in", parsed.years), ("in month", parsed.months), ("in", parsed.places + parsed.countries),
                ("taken with", parsed.cameras), ("in folder", parsed.folders), ("with", parsed.people),
                ("named", parsed.filenames), ("mostly", parsed.color_filter)]
    parts.extend(f"{label} {' or '.join(str(value) for value in values)}" for label, values in labelled if values)
    if parsed.text:
        parts.append(f"matching “{parsed.text}”")
    if parsed.color_boost:
        parts.append(f"({', '.join(parsed.color_boost)} first)")
    return " ".join(parts)


def parse_query(raw: str, vocabulary: Vocabulary, today: date, hemisphere: Hemisphere = "north") -> ParsedQuery:
    """Split a query into filters and CLIP text (see the module docstring for the order)."""
    text = re.sub(r"[\x00-\x1f\x7f\ue000-\uf8ff]", " ", raw)
    text = re.sub(r"\s+", " ", text).strip()
    parsed = ParsedQuery(raw=text)
    text = _EXPLICIT.sub(lambda match: _explicit(match, parsed), text)
    quoted: list[str] = []
    text = _QUOTED.sub(lambda match: _protect(match.group(1), quoted), text)
    text = FILENAME.sub(lambda match: _filename(match, parsed), text)
    dates = DateReader(today, hemisphere)
    text = dates.read_spans(text)  # "march 2018 - june": a span's month is a month, even one a person is named
    text = _match_vocabulary(text, Vocabulary(people=vocabulary.people), parsed)  # else "June" the person wins
    text = dates.read_single_dates(text)
    parsed.dates = dates.found
    parsed.notes.extend(parsed.dates.notes)
    text = _match_vocabulary(text, vocabulary, parsed)
    for word in re.findall(r"[A-Za-z]+", text):
        color = canonical_color(word)
        if color and color not in parsed.color_boost:
            parsed.color_boost.append(color)
    for index, phrase in enumerate(quoted):
        text = text.replace(_placeholder(index), phrase)
    parsed.text = _trim_filler(text)
    return parsed


def _placeholder(index: int) -> str:
    return f"\ue000{chr(0xE010 + index)}\ue001"


def _protect(phrase: str, quoted: list[str]) -> str:
    quoted.append(phrase.strip())
    return f" {_placeholder(len(quoted) - 1)} "


def _filename(match: re.Match[str], parsed: ParsedQuery) -> str:
    parsed.filenames.append(match["name"])
    return " "


def _explicit(match: re.Match[str], parsed: ParsedQuery) -> str:
    key = FILTER_KEYS.get(match["key"].lower())
    value = (match["quoted"] if match["quoted"] is not None else match["plain"]).strip()
    if key is None:
        return match.group(0)
    if not value:
        parsed.notes.append(f"ignored {match.group(0)!r}: no value")
        return " "
    problem = _add_explicit(key, value, parsed)
    if problem:
        parsed.notes.append(f"ignored {match.group(0)!r}: {problem}")
    return " "


def _add_explicit(key: str, value: str, parsed: ParsedQuery) -> str | None:
    """Store one `key:value`; return why it was refused, if it was."""
    from search_api.params import parse_month, parse_years

    try:
        if key == "year":
            parsed.years.extend(parse_years(value))
        elif key == "month":
            parsed.months.append(parse_month(value))
        elif key == "color":
            color = canonical_color(value)
            if not color:
                return "not a colour name"
            parsed.color_filter.append(color)
        else:
            target = {"place": parsed.places, "country": parsed.countries, "camera": parsed.cameras,
                      "folder": parsed.folders, "person": parsed.people, "file": parsed.filenames}[key]
            target.append(value)
    except ValueError as error:
        return str(error)
    return None


def _classify(words: list[str], previous: str, whole: bool, vocabulary: Vocabulary) -> str | None:
    phrase = fold(" ".join(words))
    if phrase in vocabulary.people:
        return "person"
    is_camera = phrase in vocabulary.cameras
    kind = "country" if phrase in vocabulary.countries else "place" if phrase in vocabulary.places else None
    if kind:
        capitalised = all(word[:1].isupper() for word in words)
        if previous in STRONG_PREPOSITIONS or (not is_camera and (capitalised or len(words) > 1 or whole)):
            return kind
    return "camera" if is_camera else None


def _match_vocabulary(text: str, vocabulary: Vocabulary, parsed: ParsedQuery) -> str:
    """Longest known place/camera/person phrases (up to 4 words) become filters; the rest stays."""
    tokens = text.split()
    words = [token.strip(".,;:!?()[]{}") for token in tokens]
    keep = [True] * len(tokens)
    index = 0
    while index < len(tokens):
        step = 1
        for length in range(min(4, len(tokens) - index), 0, -1):
            previous = fold(words[index - 1]) if index and keep[index - 1] else ""
            kind = _classify(words[index:index + length], previous, length == len(tokens), vocabulary)
            if not kind or not all(words[index:index + length]):
                continue
            _record(kind, fold(" ".join(words[index:index + length])), vocabulary, parsed)
            keep[index:index + length] = [False] * length
            leads = {"person": {"with", "and"}, "camera": CAMERA_LEADS}.get(kind, PLACE_PREPOSITIONS)
            if previous in leads:
                keep[index - 1] = False
            step = length
            break
        index += step
    return " ".join(token for token, kept in zip(tokens, keep) if kept)


def _record(kind: str, phrase: str, vocabulary: Vocabulary, parsed: ParsedQuery) -> None:
    table = {"person": (vocabulary.people, parsed.people), "camera": (vocabulary.cameras, parsed.cameras),
             "country": (vocabulary.countries, parsed.countries), "place": (vocabulary.places, parsed.places)}
    names, target = table[kind]
    if names[phrase] not in target:
        target.append(names[phrase])


def _trim_filler(text: str) -> str:
    """Drop words that only glue filters together ("photos from ... in ...") at either end."""
    words = re.sub(r"\s+", " ", text).strip().split(" ") if text.strip() else []
    while words and fold(words[0]).strip(".,;:!?") in FILLER:
        words.pop(0)
    while words and fold(words[-1]).strip(".,;:!?") in FILLER:
        words.pop()
    return " ".join(words).strip(" ,;:")
