"""Query parameters of /api/search and /api/similar -> a typed request, or an error naming the parameter.

The filter names are those of the static search page: year, month, place, country, camera,
folder, color, person. Lists are comma-separated (`year=2019,2021`, `color=red,blue`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

from gallery_builder.core.color_names import COLOR_NAMES, canonical_color
from search_api.query_dates import FIRST_YEAR, MONTH_ABBREVIATIONS, MONTHS

MAX_QUERY_CHARS = 1000
MAX_VALUE_CHARS = 200
MAX_LIMIT = 500
MAX_OFFSET = 10_000
DEFAULT_LIMIT = 50
FILTER_PARAMETERS = ("year", "month", "place", "country", "camera", "folder", "color", "person")
SEARCH_PARAMETERS = ("q", "limit", "offset") + FILTER_PARAMETERS
SIMILAR_PARAMETERS = ("limit", "offset") + FILTER_PARAMETERS


class BadParameter(ValueError):
    """A request parameter that cannot be used; becomes HTTP 400 with the parameter's name."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class Filters:
    years: tuple[int, ...] = ()
    months: tuple[int, ...] = ()
    places: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    cameras: tuple[str, ...] = ()
    folders: tuple[str, ...] = ()
    colors: tuple[str, ...] = ()
    people: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    filters: Filters = field(default_factory=Filters)


def parse_years(value: str) -> list[int]:
    """'2023' -> [2023]; '2019-2021' -> [2019, 2020, 2021]; '2019,2021' -> [2019, 2021]."""
    years: list[int] = []
    for part in (item.strip() for item in value.split(",") if item.strip()):
        first, _, last = part.partition("-")
        if not first.isdigit() or (last and not last.isdigit()):
            raise ValueError(f"{part!r} is not a year (e.g. 2023 or 2019-2021)")
        low, high = sorted((int(first), int(last or first)))
        if low < FIRST_YEAR or high > 2200 or high - low > 300:
            raise ValueError(f"{part!r} is out of range ({FIRST_YEAR}-2200)")
        years.extend(range(low, high + 1))
    if not years:
        raise ValueError("no year given")
    return years


def parse_month(value: str) -> int:
    """'5', '05', 'may', 'May' -> 5."""
    text = value.strip().lower()
    number = int(text) if text.isdigit() else MONTHS.get(text) or MONTH_ABBREVIATIONS.get(text)
    if not number or not 1 <= number <= 12:
        raise ValueError(f"{value!r} is not a month (1-12 or a month name)")
    return number


def _single(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = params.get(name) or []
    if len(values) > 1:
        raise BadParameter(name, "given more than once; separate several values with commas")
    return values[0] if values else None


def _integer(params: Mapping[str, Sequence[str]], name: str, default: int, maximum: int, minimum: int) -> int:
    raw = _single(params, name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter(name, f"{raw[:40]!r} is not a whole number") from None
    if not minimum <= value <= maximum:
        raise BadParameter(name, f"must be between {minimum} and {maximum}, got {value}")
    return value


def _text_values(params: Mapping[str, Sequence[str]], name: str) -> tuple[str, ...]:
    raw = _single(params, name)
    if raw is None or not raw.strip():
        return ()
    if len(raw) > MAX_VALUE_CHARS:
        raise BadParameter(name, f"longer than {MAX_VALUE_CHARS} characters")
    return (raw.strip(),)


def parse_filters(params: Mapping[str, Sequence[str]]) -> Filters:
    years: list[int] = []
    months: list[int] = []
    colors: list[str] = []
    try:
        raw = _single(params, "year")
        years = parse_years(raw) if raw and raw.strip() else []
    except ValueError as error:
        raise BadParameter("year", str(error)) from None
    for part in (_single(params, "month") or "").split(","):
        if part.strip():
            try:
                months.append(parse_month(part))
            except ValueError as error:
                raise BadParameter("month", str(error)) from None
    for part in (_single(params, "color") or "").split(","):
        if part.strip():
            color = canonical_color(part)
            if not color:
                raise BadParameter("color", f"{part.strip()[:40]!r} is not a colour; use one of {', '.join(COLOR_NAMES)}")
            colors.append(color)
    return Filters(years=tuple(years), months=tuple(months), colors=tuple(colors),
                   places=_text_values(params, "place"), countries=_text_values(params, "country"),
                   cameras=_text_values(params, "camera"), folders=_text_values(params, "folder"),
                   people=_text_values(params, "person"))


def check_known(params: Mapping[str, Sequence[str]], allowed: Sequence[str]) -> None:
    for name in params:
        if name not in allowed:
            raise BadParameter(name, f"unknown parameter; known: {', '.join(allowed)}")


def parse_search(params: Mapping[str, Sequence[str]]) -> SearchRequest:
    check_known(params, SEARCH_PARAMETERS)
    query = _single(params, "q") or ""
    if len(query) > MAX_QUERY_CHARS:
        raise BadParameter("q", f"the query is {len(query)} characters long; the limit is {MAX_QUERY_CHARS}")
    filters = parse_filters(params)
    if not query.strip() and filters == Filters():
        raise BadParameter("q", "empty query: type some words or choose a filter")
    return SearchRequest(q=query.strip(), limit=_integer(params, "limit", DEFAULT_LIMIT, MAX_LIMIT, 1),
                         offset=_integer(params, "offset", 0, MAX_OFFSET, 0), filters=filters)


def parse_similar(photo_id: str, params: Mapping[str, Sequence[str]]) -> tuple[int, SearchRequest]:
    check_known(params, SIMILAR_PARAMETERS)
    if not photo_id.isdigit() or len(photo_id) > 18:
        raise BadParameter("photo_id", f"{photo_id[:40]!r} is not a photo id (a whole number)")
    request = SearchRequest(limit=_integer(params, "limit", DEFAULT_LIMIT, MAX_LIMIT, 1),
                            offset=_integer(params, "offset", 0, MAX_OFFSET, 0), filters=parse_filters(params))
    return int(photo_id), request
