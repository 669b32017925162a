"""Calendar words and periods for the date parser: months, seasons, holidays, and the ranges they mean.

Kept apart from the phrase rules (query_dates) so each stays readable; nothing here knows regexes.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Callable, Literal

Hemisphere = Literal["north", "south"]

MONTHS = {name: index for index, name in enumerate(calendar.month_name) if name}
MONTHS = {name.lower(): index for name, index in MONTHS.items()}
MONTH_ABBREVIATIONS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
                       "sept": 9, "oct": 10, "nov": 11, "dec": 12}
AMBIGUOUS_MONTHS = {"may", "march"}   # also common words: need a year, a day or a preposition
SEASONS: dict[str, dict[str, tuple[int, int]]] = {
    "north": {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "fall": (9, 11), "winter": (12, 2)},
    "south": {"spring": (9, 11), "summer": (12, 2), "autumn": (3, 5), "fall": (3, 5), "winter": (6, 8)},
}
HOLIDAYS: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "christmas eve": ((12, 24), (12, 24)), "christmas day": ((12, 25), (12, 25)),
    "christmas": ((12, 24), (12, 26)), "xmas": ((12, 24), (12, 26)), "boxing day": ((12, 26), (12, 26)),
    "new year's eve": ((12, 31), (12, 31)), "new years eve": ((12, 31), (12, 31)), "nye": ((12, 31), (12, 31)),
    "new year's day": ((1, 1), (1, 1)), "new years day": ((1, 1), (1, 1)), "new year": ((1, 1), (1, 1)),
    "halloween": ((10, 31), (10, 31)), "valentine's day": ((2, 14), (2, 14)), "valentines day": ((2, 14), (2, 14)),
    "valentine's": ((2, 14), (2, 14)), "valentines": ((2, 14), (2, 14)),
}
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "twelve": 12}
FIRST_YEAR = 1826  # the oldest surviving photograph

@dataclass(frozen=True)
class DateRange:
    """Inclusive calendar days."""

    start: date
    end: date


@dataclass(frozen=True)
class DatePoint:
    """One end of a span: a year, a month or a day; `year` is None until shared ("may" in "may to july 2019")."""

    year: int | None
    month: int | None = None
    day: int | None = None

    @property
    def is_bare_day(self) -> bool:
        """A day without a month ("1" in "1 to 5 may")."""
        return self.month is None and self.day is not None

    def with_year(self, year: int) -> "DatePoint":
        return replace(self, year=year)

    def period(self) -> DateRange:
        """The days it names; raises ValueError for a day its year lacks (29 February 2019)."""
        if self.year is None or self.is_bare_day:
            raise ValueError("a date point without a year, or a day without a month, names no days")
        if self.month is None:
            return year_range(self.year)
        if self.day is None:
            return month_range(self.year, self.month)
        day = date(self.year, self.month, self.day)
        return DateRange(day, day)

    def first_of_year(self) -> tuple[int, int]:
        """(month, day) where it starts in any year."""
        return (self.month or 1, self.day or 1)

    def last_of_year(self) -> tuple[int, int]:
        """(month, day) where it ends in any year (29 February for February)."""
        month = self.month or 12
        return (month, self.day or calendar.monthrange(2000, month)[1])


@dataclass(frozen=True)
class AnnualWindow:
    """(month, day) to (month, day), inclusive, every year; wraps over New Year when end < start."""

    start: tuple[int, int]
    end: tuple[int, int]


@dataclass
class DateFilter:
    ranges: list[DateRange] = field(default_factory=list)
    annual: list[AnnualWindow] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.ranges and not self.annual

    def to_json(self) -> dict[str, object]:
        return {"ranges": [[item.start.isoformat(), item.end.isoformat()] for item in self.ranges],
                "annual": [[f"{w.start[0]:02d}-{w.start[1]:02d}", f"{w.end[0]:02d}-{w.end[1]:02d}"]
                           for w in self.annual],
                "phrases": list(self.phrases)}


def month_range(year: int, month: int) -> DateRange:
    return DateRange(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))


def year_range(first: int, last: int | None = None) -> DateRange:
    return DateRange(date(first, 1, 1), date(last or first, 12, 31))


def season_range(months: tuple[int, int], start_year: int) -> DateRange:
    first, last = months
    end_year = start_year + (1 if last < first else 0)
    return DateRange(date(start_year, first, 1), month_range(end_year, last).end)


def easter_range(year: int) -> DateRange:
    """Good Friday to Easter Monday (western Easter, dateutil's algorithm)."""
    from dateutil.easter import easter

    sunday = easter(year)
    return DateRange(sunday - timedelta(days=2), sunday + timedelta(days=1))


def month_number(word: str) -> int:
    word = word.lower()
    return MONTHS.get(word) or MONTH_ABBREVIATIONS[word]


def count_of(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS[word.lower()]


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


class DateContext:
    """What handlers need: today, the hemisphere and where to put results."""

    def __init__(self, today: date, hemisphere: Hemisphere, found: DateFilter) -> None:
        self.today, self.hemisphere, self.found = today, hemisphere, found

    def valid_year(self, text: str) -> int | None:
        year = int(text)
        return year if FIRST_YEAR <= year <= self.today.year + 1 else None

    def add(self, *ranges: DateRange) -> bool:
        self.found.ranges.extend(ranges)
        return True

    def add_annual(self, start: tuple[int, int], end: tuple[int, int]) -> bool:
        self.found.annual.append(AnnualWindow(start, end))
        return True

    def latest_before_today(self, make: Callable[[int], DateRange]) -> DateRange:
        """The most recent occurrence that ended before today (e.g. "last summer")."""
        for year in range(self.today.year, self.today.year - 3, -1):
            candidate = make(year)
            if candidate.end < self.today:
                return candidate
        return make(self.today.year - 3)

    def current(self, make: Callable[[int], DateRange]) -> DateRange:
        """The occurrence containing today, else the one starting this year ("this summer")."""
        for year in (self.today.year - 1, self.today.year):
            candidate = make(year)
            if candidate.start <= self.today <= candidate.end:
                return candidate
        return make(self.today.year)


def unit_period(unit: str, anchor: date) -> DateRange:
    """The calendar day/week/month/year containing `anchor`."""
    if unit == "day":
        return DateRange(anchor, anchor)
    if unit == "week":
        return DateRange(week_start(anchor), week_start(anchor) + timedelta(days=6))
    if unit == "month":
        return month_range(anchor.year, anchor.month)
    return year_range(anchor.year)


def shift_back(today: date, unit: str, count: int) -> date:
    """`today` moved back by `count` units (months and years land on the 1st)."""
    if unit == "day":
        return today - timedelta(days=count)
    if unit == "week":
        return today - timedelta(weeks=count)
    if unit == "month":
        months = today.year * 12 + today.month - 1 - count
        return date(months // 12, months % 12 + 1, 1)
    return date(today.year - count, 1, 1)
