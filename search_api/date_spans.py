"""Date spans: two ends joined into one range ("may to july 2019", "between X and Y", "2018-04 - 2018-06")
and open spans ("since X", "after X", "before X", "until X"). An end is a day, a month or a year; a
missing year is shared from the other end. query_dates runs these rules before single dates.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import replace
from datetime import date, timedelta
from typing import Callable

from search_api.calendar_words import (
    FIRST_YEAR, MONTH_ABBREVIATIONS, MONTHS, DateContext, DatePoint, DateRange, month_number)

MONTH_PATTERN = "|".join(sorted(list(MONTHS) + list(MONTH_ABBREVIATIONS), key=len, reverse=True))
_DAY = r"(?P<d>\d{1,2})(?:st|nd|rd|th)?(?!\d)"
_YEAR_AFTER_DAY = r"(?:,?\s+(?P<y>\d{4})\b)?"
# One end of a span, most specific first; `_read_point` tries them in this same order.
_POINT_FORMS = (
    r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b",                      # 2023-05-06
    r"(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.](?P<y>\d{4}|\d{2})\b",          # 05/06/2023, day first
    r"(?P<y>\d{4})-(?P<m>\d{1,2})\b",                                     # 2023-05
    r"(?P<m>\d{1,2})/(?P<y>\d{4})\b",                                     # 05/2023
    rf"(?:the\s+)?{_DAY}\s+(?:of\s+)?(?P<month>{MONTH_PATTERN})\b\.?{_YEAR_AFTER_DAY}",  # 3rd of may[, 2019]
    rf"(?P<month>{MONTH_PATTERN})\.?\s+(?:the\s+)?{_DAY}{_YEAR_AFTER_DAY}",             # may 3[, 2019]
    rf"(?P<month>{MONTH_PATTERN})\b\.?(?:,?\s+(?:of\s+)?(?P<y>\d{{4}})\b)?",             # may [2019]
    r"(?P<y>\d{4})\b",                                                    # 2019
    rf"(?:the\s+)?{_DAY}{_YEAR_AFTER_DAY}",                                # 1 (in "1 to 5 may"), 5[, 2020]
)
_COMPILED_FORMS = tuple(re.compile(form, re.IGNORECASE) for form in _POINT_FORMS)
_POINT = "(?:" + "|".join(re.sub(r"\(\?P<\w+>", "(?:", form) for form in _POINT_FORMS) + ")"
_JOIN = r"(?:\s*[-–—]\s*|\s+(?:to|until|till|through|thru)\s+)"
_BETWEEN_JOIN = r"(?:\s*[-–—]\s*|\s+(?:and|to|until|till|through|thru)\s+)"
_LEAD = r"(?:\b(?:in|during|from|on|at|of|for|around)\s+)?"


def read_numeric_day(match: re.Match[str], ctx: DateContext) -> DatePoint | None:
    """05/06/2023 is 5 June (day first, with a note when both readings exist); 12/25/2022 is 25 December."""
    first, second, raw_year = int(match["a"]), int(match["b"]), match["y"]
    year = int(raw_year) if len(raw_year) == 4 else 2000 + int(raw_year)
    if len(raw_year) == 2 and year > ctx.today.year:
        year -= 100
    if not ctx.valid_year(str(year)):
        return None
    day, month = (first, second) if second <= 12 else (second, first)
    if not _is_day(year, month, day):
        return None
    if first <= 12 and second <= 12 and first != second:
        ctx.found.notes.append(f"read {match.group(0).strip()} as day/month/year ({day} "
                               f"{calendar.month_name[month]} {year}); write {year}-{month:02d}-{day:02d} to be exact")
    return DatePoint(year, month, day)


def _is_day(year: int | None, month: int, day: int) -> bool:
    try:
        date(year or 2000, month, day)  # 2000 is a leap year: "29 february" without a year is fine
    except ValueError:
        return False
    return True


def _read_point(text: str, ctx: DateContext) -> DatePoint | None:
    match = next(filter(None, (form.fullmatch(text.strip()) for form in _COMPILED_FORMS)), None)
    if match is None:
        return None
    if match.groupdict().get("a"):
        return read_numeric_day(match, ctx)
    groups = match.groupdict()
    year = ctx.valid_year(groups["y"]) if groups.get("y") else None
    if groups.get("y") and not year:
        return None
    month = int(groups["m"]) if groups.get("m") else month_number(groups["month"]) if groups.get("month") else None
    day = int(groups["d"]) if groups.get("d") else None
    if (month is not None and not 1 <= month <= 12) or (day is not None and not _is_day(year, month or 1, day)):
        return None
    return DatePoint(year, month, day)


def _two_ended(match: re.Match[str], ctx: DateContext) -> bool:
    notes = len(ctx.found.notes)
    if _add_two_ended(match, ctx):
        return True
    del ctx.found.notes[notes:]  # its ends are read again as single dates, with their notes
    return False


def _add_two_ended(match: re.Match[str], ctx: DateContext) -> bool:
    first, last = _read_point(match["first"], ctx), _read_point(match["last"], ctx)
    if first is None or last is None:
        return False
    first, last = _share_month(first, last) or (None, None)
    if first is None or last is None:
        return False
    if first.year is None and last.year is None:  # "from june to august": every year
        return ctx.add_annual(first.first_of_year(), last.last_of_year())
    if first.year is None or last.year is None:
        known = last if first.year is None else first
        if known.month is None:  # "may to 2020": a bare year has no month to share its year with
            return False
        first, last = _share_year(first, last)
    try:
        spans = first.period(), last.period()
    except ValueError:
        return False
    return ctx.add(DateRange(min(span.start for span in spans), max(span.end for span in spans)))


def _share_month(first: DatePoint, last: DatePoint) -> tuple[DatePoint, DatePoint] | None:
    """A bare day ("1 to 5 may", "may 1-5") takes the month of the other end, which must name a day."""
    first_is_bare, last_is_bare = first.is_bare_day, last.is_bare_day
    if not first_is_bare and not last_is_bare:
        return first, last
    known = last if first_is_bare else first
    if known.is_bare_day or known.day is None:  # "1 to 5", "10 - may 2020"
        return None
    if first_is_bare:
        first = replace(first, month=known.month)
    else:
        last = replace(last, month=known.month)
    return (first, last) if first.first_of_year() <= last.first_of_year() else None  # not "5 to 3 may"


def _share_year(first: DatePoint, last: DatePoint) -> tuple[DatePoint, DatePoint]:
    """The end without a year takes the other's; over New Year it takes the year before or after."""
    try:
        if first.year is None:
            assert last.year is not None
            first = first.with_year(last.year)
            if first.period().start > last.period().end:  # "november to february 2019"
                first = first.with_year(last.year - 1)
        else:
            last = last.with_year(first.year)
            if first.period().start > last.period().end:  # "december 2019 to january"
                last = last.with_year(first.year + 1)
    except ValueError:  # 29 February in a common year: period() refuses it later
        pass
    return first, last


def _latest_begun(point: DatePoint, today: date) -> DatePoint | None:
    """A point without a year is its most recent occurrence that has begun ("since june")."""
    for year in range(today.year, today.year - 8, -1):
        try:
            if point.with_year(year).period().start <= today:
                return point.with_year(year)
        except ValueError:
            continue
    return None


def _open_span(match: re.Match[str], ctx: DateContext) -> bool:
    """since/until include X; after/before exclude it."""
    point = _read_point(match["point"], ctx)
    if point is not None and point.is_bare_day:  # "since 5": 5 of what?
        return False
    if point is not None and point.year is None:
        point = _latest_begun(point, ctx.today)
    if point is None:
        return False
    period = point.period()
    word = match["word"].lower()
    if word == "since":
        return ctx.add(DateRange(period.start, max(ctx.today, period.start)))
    if word == "after":
        return ctx.add(DateRange(period.end + timedelta(days=1), max(ctx.today, period.end + timedelta(days=1))))
    if word == "before":
        return ctx.add(DateRange(date(FIRST_YEAR, 1, 1), period.start - timedelta(days=1)))
    return ctx.add(DateRange(date(FIRST_YEAR, 1, 1), period.end))  # until / till / up to


SPAN_RULES: tuple[tuple[str, Callable[[re.Match[str], DateContext], bool]], ...] = (
    (rf"\bbetween\s+(?P<first>{_POINT}){_BETWEEN_JOIN}(?P<last>{_POINT})", _two_ended),
    (rf"{_LEAD}\b(?P<first>{_POINT}){_JOIN}(?P<last>{_POINT})", _two_ended),
    (rf"\b(?P<word>since|after|before|until|till|up\s+to)\s+(?P<point>{_POINT})", _open_span),
)
