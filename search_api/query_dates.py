"""Dates in plain words -> date ranges: "last summer", "May 2023", "may to july 2019", "christmas 2022".

`extract_dates(text, today, hemisphere)` finds every date phrase, removes it from the text and
returns what it means. Spans (date_spans) are read first, then single dates. Absolute ranges are
unioned ("2019 and 2021"); windows that recur every year ("christmas", "in may", "summer") are
unioned too and then intersected with the ranges ("summer in 2021"). `today` and the hemisphere
are injected, so tests and users agree on what "last summer" means. docs/search.md lists every phrasing.
"""
from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from typing import Callable

from search_api.calendar_words import (
    AMBIGUOUS_MONTHS, FIRST_YEAR, HOLIDAYS, MONTH_ABBREVIATIONS, MONTHS, SEASONS, AnnualWindow, DateContext,
    DateFilter, DateRange, Hemisphere, count_of, easter_range, month_number, month_range, season_range, shift_back,
    unit_period, week_start, year_range)
from search_api.date_spans import MONTH_PATTERN, SPAN_RULES, read_numeric_day

__all__ = ["AnnualWindow", "DateFilter", "DateRange", "DateReader", "FIRST_YEAR", "Hemisphere", "MONTHS",
           "MONTH_ABBREVIATIONS", "extract_dates"]

_MONTH_RE = MONTH_PATTERN
_FULL_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_SEASON_RE = "spring|summer|autumn|fall|winter"
_HOLIDAY_RE = "|".join(re.escape(name).replace("'", "['’]?") for name in sorted(HOLIDAYS, key=len, reverse=True))
_HOLIDAY_ANY = "|".join([_HOLIDAY_RE, "easter"])
_COUNT = r"(\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|twelve)"
_ORDINAL = r"(\d{1,2})(?:st|nd|rd|th)?(?!\d)"
_MARK = "\ue003"  # where a date phrase was, until the connectors between two of them are dropped
_BETWEEN_MARKS = re.compile(rf"{_MARK}(?:\s*(?:,|&|\band\b|\bor\b)\s*{_MARK})+", re.IGNORECASE)


def _day(ctx: DateContext, year: int | None, month: int, day: int) -> bool:
    try:
        date(year or 2000, month, day)  # 2000 is a leap year: "29 february" alone is fine
    except ValueError:
        return False
    if year:
        return ctx.add(DateRange(date(year, month, day), date(year, month, day)))
    return ctx.add_annual((month, day), (month, day))


def _iso_day(match: re.Match[str], ctx: DateContext) -> bool:
    year = ctx.valid_year(match["y"])
    return bool(year) and _day(ctx, year, int(match["m"]), int(match["d"]))


def _numeric_day(match: re.Match[str], ctx: DateContext) -> bool:
    point = read_numeric_day(match, ctx)
    return point is not None and ctx.add(point.period())


def _iso_month(match: re.Match[str], ctx: DateContext) -> bool:
    year, month = ctx.valid_year(match["y"]), int(match["m"])
    return bool(year) and 1 <= month <= 12 and ctx.add(month_range(year, month))


def _month_year(match: re.Match[str], ctx: DateContext) -> bool:
    year = ctx.valid_year(match["y"])
    return bool(year) and ctx.add(month_range(year, month_number(match["month"])))


def _numeric_month_year(match: re.Match[str], ctx: DateContext) -> bool:
    year, month = ctx.valid_year(match["y"]), int(match["m"])
    return bool(year) and 1 <= month <= 12 and ctx.add(month_range(year, month))


def _day_month(match: re.Match[str], ctx: DateContext) -> bool:
    year = ctx.valid_year(match["y"]) if match["y"] else None
    if match["y"] and not year:
        return False
    return _day(ctx, year, month_number(match["month"]), int(match["d"]))


def _holiday_maker(name: str) -> Callable[[int], DateRange]:
    if name == "easter":
        return easter_range
    (first_month, first_day), (last_month, last_day) = HOLIDAYS[name]
    return lambda year: DateRange(date(year, first_month, first_day), date(year, last_month, last_day))


def _holiday_key(text: str) -> str:
    key = re.sub(r"\s+", " ", text.lower().replace("’", "'"))
    return key if key in HOLIDAYS or key == "easter" else key.replace("'", "")


def _holiday_year(match: re.Match[str], ctx: DateContext) -> bool:
    year = ctx.valid_year(match["y"])
    return bool(year) and ctx.add(_holiday_maker(_holiday_key(match["h"]))(year))


def _relative_holiday(match: re.Match[str], ctx: DateContext) -> bool:
    make = _holiday_maker(_holiday_key(match["h"]))
    return ctx.add(ctx.latest_before_today(make) if match["rel"].lower() in {"last", "previous"}
                   else make(ctx.today.year))


def _holiday(match: re.Match[str], ctx: DateContext) -> bool:
    key = _holiday_key(match["h"])
    if key == "easter":
        return ctx.add(*(easter_range(year) for year in range(1900, ctx.today.year + 1)))
    start, end = HOLIDAYS[key]
    return ctx.add_annual(start, end)


def _season_months(match: re.Match[str], ctx: DateContext) -> tuple[int, int]:
    return SEASONS[ctx.hemisphere][match["s"].lower()]


def _season_year(match: re.Match[str], ctx: DateContext) -> bool:
    year = ctx.valid_year(match["y"])
    if not year:
        return False
    months = _season_months(match, ctx)
    if months[1] < months[0]:
        ctx.found.notes.append(f"{match['s'].lower()} {year} is read as the {match['s'].lower()} that begins in "
                               f"December {year} ({ctx.hemisphere}ern hemisphere)")
    return ctx.add(season_range(months, year))


def _relative_season(match: re.Match[str], ctx: DateContext) -> bool:
    months = _season_months(match, ctx)
    make = lambda year: season_range(months, year)  # noqa: E731 - a one-line factory
    return ctx.add(ctx.latest_before_today(make) if match["rel"].lower() in {"last", "previous"}
                   else ctx.current(make))


def _season(match: re.Match[str], ctx: DateContext) -> bool:
    word = match["s"].lower()
    has_context = match.group(0).strip().lower() != word or _is_whole_query(match, word)
    if word == "fall" and not has_context:  # "fall" alone is also a verb: needs "in", a year or "last"
        return False
    first, last = SEASONS[ctx.hemisphere][word]
    return ctx.add_annual((first, 1), (last, calendar.monthrange(2000, last)[1]))


def _ago(match: re.Match[str], ctx: DateContext) -> bool:
    unit = match["unit"].lower()
    return ctx.add(unit_period(unit, shift_back(ctx.today, unit, count_of(match["n"]))))


def _last_n(match: re.Match[str], ctx: DateContext) -> bool:
    """Rolling: "the last 3 days" ends today; months and years start on the 1st of their month."""
    unit, count = match["unit"].lower(), count_of(match["n"])
    if count < 1:
        return False
    if unit in {"day", "week"}:
        return _last_n_days(ctx, count * (7 if unit == "week" else 1))
    months = count * (12 if unit == "year" else 1)
    return ctx.add(DateRange(shift_back(ctx.today, "month", months), ctx.today))


def _relative_unit(match: re.Match[str], ctx: DateContext) -> bool:
    relation, unit = match["rel"].lower(), match["unit"].lower()
    if relation == "past":  # rolling: the past week = the last 7 days
        if unit != "weekend":
            return _last_n_days(ctx, {"week": 7, "month": 30, "year": 365}[unit])
    back = 0 if relation == "this" else 1
    if unit == "weekend":
        monday = week_start(ctx.today) - timedelta(weeks=back)
        return ctx.add(DateRange(monday + timedelta(days=5), monday + timedelta(days=6)))
    return ctx.add(unit_period(unit, shift_back(ctx.today, unit, back)))


def _last_n_days(ctx: DateContext, days: int) -> bool:
    return ctx.add(DateRange(ctx.today - timedelta(days=days - 1), ctx.today))


def _simple_day(match: re.Match[str], ctx: DateContext) -> bool:
    words = re.sub(r"\s+", " ", match["word"].lower())
    back = {"today": 0, "yesterday": 1, "the day before yesterday": 2, "day before yesterday": 2}[words]
    day = ctx.today - timedelta(days=back)
    return ctx.add(DateRange(day, day))


def _recent(match: re.Match[str], ctx: DateContext) -> bool:
    return _last_n_days(ctx, 30)


def _decade(match: re.Match[str], ctx: DateContext) -> bool:
    digits = match["full"] or match["short"]
    start = int(digits) if len(digits) == 4 else (2000 + int(digits) if int(digits) <= ctx.today.year % 100
                                                  else 1900 + int(digits))
    if not FIRST_YEAR - 10 < start <= ctx.today.year:
        return False
    return ctx.add(DateRange(date(max(start, FIRST_YEAR), 1, 1), date(start + 9, 12, 31)))


def _relative_month(match: re.Match[str], ctx: DateContext) -> bool:
    month = month_number(match["month"])
    if match["rel"].lower() in {"last", "previous"}:
        return ctx.add(ctx.latest_before_today(lambda year: month_range(year, month)))
    return ctx.add(month_range(ctx.today.year, month))


def _any_year_month(match: re.Match[str], ctx: DateContext) -> bool:
    month = month_number(match["month"])
    return ctx.add_annual((month, 1), (month, calendar.monthrange(2000, month)[1]))


def _bare_month(match: re.Match[str], ctx: DateContext) -> bool:
    word = match["month"].lower()
    if word not in MONTHS or (word in AMBIGUOUS_MONTHS and not _is_whole_query(match, word)):
        return False
    return _any_year_month(match, ctx)


def _is_whole_query(match: re.Match[str], word: str) -> bool:
    """The word is all that is left of the query (date phrases already read do not count)."""
    return match.string.replace(_MARK, " ").strip().lower() == word


def _year(match: re.Match[str], ctx: DateContext) -> bool:
    year = ctx.valid_year(match["y"])
    return bool(year) and ctx.add(year_range(year))


_PREFIX = r"(?:\b(?:in|during|from|on|at|of|for|around)\s+)?"
_RULES: tuple[tuple[str, Callable[[re.Match[str], DateContext], bool]], ...] = (
    (rf"{_PREFIX}\b(?P<y>\d{{4}})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}})\b", _iso_day),
    (rf"{_PREFIX}\b(?P<a>\d{{1,2}})[/.](?P<b>\d{{1,2}})[/.](?P<y>\d{{4}}|\d{{2}})\b", _numeric_day),
    (rf"{_PREFIX}\b(?P<y>\d{{4}})-(?P<m>\d{{1,2}})\b(?!-)", _iso_month),
    (rf"{_PREFIX}\b(?P<m>\d{{1,2}})/(?P<y>\d{{4}})\b", _numeric_month_year),
    (rf"{_PREFIX}\b(?P<h>{_HOLIDAY_ANY})\s+(?:of\s+|in\s+)?(?P<y>\d{{4}})\b", _holiday_year),
    (rf"{_PREFIX}\b(?P<y>\d{{4}})\s+(?P<h>{_HOLIDAY_ANY})\b", _holiday_year),
    (rf"\b(?P<rel>last|this|previous)\s+(?P<h>{_HOLIDAY_ANY})\b", _relative_holiday),
    (rf"{_PREFIX}\b(?:the\s+)?{_ORDINAL.replace('(', '(?P<d>', 1)}\s+(?:of\s+)?(?P<month>{_MONTH_RE})\b\.?"
     rf"(?:,?\s+(?P<y>\d{{4}})\b)?", _day_month),
    (rf"{_PREFIX}\b(?P<month>{_MONTH_RE})\.?\s+(?:the\s+)?{_ORDINAL.replace('(', '(?P<d>', 1)}"
     rf"(?:,?\s+(?P<y>\d{{4}})\b)?", _day_month),
    (rf"{_PREFIX}\b(?P<month>{_MONTH_RE})\.?,?\s+(?:of\s+)?(?P<y>\d{{4}})\b", _month_year),
    (rf"{_PREFIX}\b(?P<s>{_SEASON_RE})\s+(?:of\s+|in\s+)?(?P<y>\d{{4}})\b", _season_year),
    (rf"{_PREFIX}\b(?P<y>\d{{4}})\s+(?P<s>{_SEASON_RE})\b", _season_year),
    (rf"\b(?P<rel>last|this|previous)\s+(?P<s>{_SEASON_RE})\b", _relative_season),
    (rf"\b(?P<n>{_COUNT[1:-1]})\s+(?P<unit>day|week|month|year)s?\s+ago\b", _ago),
    (r"\b(?:in\s+|over\s+|during\s+)?(?:the\s+)?(?:last|past)\s+(?P<n>\d{1,3}|two|three|four|five|six|seven"
     r"|eight|nine|ten|twelve)\s+(?P<unit>day|week|month|year)s?\b", _last_n),
    (r"\b(?:in\s+|during\s+|from\s+)?(?P<rel>this|last|previous|past)\s+(?P<unit>weekend|week|month|year)\b",
     _relative_unit),
    (r"\b(?:from\s+|on\s+)?(?P<word>today|yesterday|(?:the\s+)?day\s+before\s+yesterday)\b", _simple_day),
    (r"\b(?:taken\s+)?(?:recently|recent)\b", _recent),
    (r"(?:\b(?:in|during|from)\s+)?(?:\bthe\s+)?(?:\b(?P<full>1[89]\d0|20\d0)|(?:['’]|\b)(?P<short>\d0))s\b", _decade),
    (rf"{_PREFIX}\b(?P<h>{_HOLIDAY_ANY})\b", _holiday),
    (rf"\b(?P<rel>last|this|previous)\s+(?P<month>{_FULL_MONTH_RE})\b", _relative_month),
    (rf"\b(?:in|during)\s+(?:the\s+month\s+of\s+)?(?P<month>{_FULL_MONTH_RE})\b", _any_year_month),
    (rf"{_PREFIX}\b(?:in\s+(?:the\s+)?)?(?P<s>{_SEASON_RE})(?:time)?\b", _season),
    (rf"\b(?P<month>{_FULL_MONTH_RE})\b", _bare_month),
    (rf"{_PREFIX}\b(?P<y>\d{{4}})\b", _year),
)
_Handler = Callable[[re.Match[str], DateContext], bool]
_SPANS = tuple((re.compile(pattern, re.IGNORECASE), handler) for pattern, handler in SPAN_RULES)
_SINGLES = tuple((re.compile(pattern, re.IGNORECASE), handler) for pattern, handler in _RULES)


class DateReader:
    """Reads date phrases out of a query in two steps, so the caller can read names in between: spans
    first ("march 2018 - june" is a date even when June is a person), then single dates."""

    def __init__(self, today: date, hemisphere: Hemisphere = "north") -> None:
        self.found = DateFilter()
        self._context = DateContext(today, hemisphere, self.found)

    def read_spans(self, text: str) -> str:
        """`text` without its spans; a mark (a private-use character) stays where each was."""
        return self._read(text, _SPANS)

    def read_single_dates(self, text: str) -> str:
        """`text` without its single dates, the marks, and the connectors between two dates ("2019 and 2021")."""
        text = _BETWEEN_MARKS.sub(_MARK, self._read(text, _SINGLES)).replace(_MARK, " ")
        return re.sub(r"\s+", " ", text).strip()

    def _read(self, text: str, rules: tuple[tuple[re.Pattern[str], _Handler], ...]) -> str:
        for pattern, handler in rules:
            text = pattern.sub(lambda match: _apply(match, handler, self._context), text)
        return text


def extract_dates(text: str, today: date, hemisphere: Hemisphere = "north") -> tuple[DateFilter, str]:
    """Every date phrase in `text` -> (what they mean, the text without them)."""
    reader = DateReader(today, hemisphere)
    return reader.found, reader.read_single_dates(reader.read_spans(text))


def _apply(match: re.Match[str], handler: _Handler, context: DateContext) -> str:
    if handler(match, context):
        context.found.phrases.append(re.sub(r"\s+", " ", match.group(0).strip()))
        return f" {_MARK} "
    return match.group(0)
