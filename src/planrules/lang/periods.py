"""Calendar periods (day, ISO week, month, quarter) and plan windows.

A `Period` is always a whole calendar period of its cadence, so its start alone places it
and every period of one cadence can be numbered: the arithmetic below never walks the days.
"""

from __future__ import annotations

import calendar
import datetime
import functools
import re
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from planrules.lang.messages import Message

CADENCES = ("daily", "weekly", "monthly", "quarterly")

_ONE_DAY = datetime.timedelta(days=1)
_CALENDAR_RANGE = f"years {datetime.MINYEAR} to {datetime.MAXYEAR}"
_SHAPES = "2026-07, 2026-Q3, 2026-W33 or 2026-07-15"

# `[0-9]`, not `\d`: `\d` also matches other scripts' digits, which `int` would then accept.
_FORMS = {
    "daily": re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})"),
    "weekly": re.compile(r"([0-9]{4})-W([0-9]{2})"),
    "monthly": re.compile(r"([0-9]{4})-([0-9]{2})"),
    "quarterly": re.compile(r"([0-9]{4})-Q([0-9])"),
}


class PeriodError(ValueError):
    """A period or date that is malformed or not on the calendar."""


def _check_cadence(_instance: Any, _attribute: Any, cadence: str) -> None:
    if cadence not in CADENCES:
        raise PeriodError(
            Message(
                "`{cadence}` is not a cadence (one of {cadences})",
                cadence=cadence,
                cadences=", ".join(CADENCES),
            )
        )


def _check_whole_period(period: Period, _attribute: Any, end: datetime.date) -> None:
    # Labels, ordering and numbering all assume whole periods; a partial one would be
    # mislabelled silently.
    if (period.start, end) != _bounds(period.start, period.cadence):
        raise PeriodError(
            Message(
                "{start} to {end} is not a whole {cadence} calendar period",
                start=period.start,
                end=end,
                cadence=period.cadence,
            )
        )


@functools.total_ordering
@attrs.frozen(order=False)
class Period:
    """One calendar period, `start` through `end` inclusive."""

    cadence: str = attrs.field(validator=_check_cadence)
    start: datetime.date
    end: datetime.date = attrs.field(validator=_check_whole_period)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return period_sort_key(self) < period_sort_key(other)


def period_sort_key(period: Period) -> tuple[datetime.date, datetime.date]:
    """Orders by date; the end breaks ties between cadences that start on the same day."""
    return (period.start, period.end)


@attrs.frozen
class Window:
    """The plan's span of dates; `end` is None for an open-ended plan.

    An end before the start is allowed here so that the checker can report it as a diagnostic
    rather than crash; such a window holds no periods.
    """

    start: datetime.date
    end: datetime.date | None
    cadence: str = attrs.field(validator=_check_cadence)


def cadence_of_label(text: str) -> str:
    """The cadence whose form `text` has; the calendar itself is not checked here."""
    return _match(text)[0]


@functools.lru_cache(maxsize=4096)  # snapshots name the same few periods over and over
def parse_period(text: str) -> Period:
    # Days first, and by a short path: only a daily history runs to a million periods
    # (a file can hold a row per day since year 1, but not a month per row for 80,000 years).
    day = _plain_day(text)
    if day is not None:
        return Period("daily", day, day)
    return parse_period_in_full(text)


def _plain_day(text: str) -> datetime.date | None:
    """The day `text` names where it is a day on the calendar written as 2026-07-15; None for
    anything else, which `parse_period_in_full` then reads or explains."""
    # The form first: `fromisoformat` alone would also take 20260715 or 2026-W29-3.
    if _FORMS["daily"].fullmatch(text) is None:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:  # no such day, such as 2026-02-30 or year 0
        return None


def parse_period_in_full(text: str) -> Period:
    """A period of any form, every check made where it is written: what `parse_period`
    does for all but the plain days it reads by a short path, with the same result."""
    cadence, numbers = _match(text)
    start = _STARTS[cadence](text, numbers)
    try:
        return period_containing(start, cadence)
    except PeriodError:
        raise PeriodError(
            Message("`{text}` is not a period: it ends after the year 9999", text=text)
        ) from None


def parse_date(text: str) -> datetime.date:
    # Not `date.fromisoformat`: since Python 3.11 it also takes `20260930` and `2026-W40-3`.
    match = _FORMS["daily"].fullmatch(text)
    if match is None:
        raise PeriodError(Message("`{text}` is not a date: write it as 2026-09-30", text=text))
    return _day(text, _numbers(match))


def _match(text: str) -> tuple[str, tuple[int, ...]]:
    for cadence, form in _FORMS.items():
        match = form.fullmatch(text)
        if match is not None:
            return cadence, _numbers(match)
    raise PeriodError(
        Message("`{text}` is not a period: write it as {shapes}", text=text, shapes=_SHAPES)
    )


def _numbers(match: re.Match[str]) -> tuple[int, ...]:
    return tuple(int(group) for group in match.groups())


def _check_year(text: str, year: int) -> None:
    if not datetime.MINYEAR <= year <= datetime.MAXYEAR:
        raise PeriodError(
            Message(
                "`{text}` is not on the calendar, which runs over {calendar}",
                text=text,
                calendar=_CALENDAR_RANGE,
            )
        )


def _check_month(text: str, month: int) -> None:
    if not 1 <= month <= 12:
        raise PeriodError(
            Message(
                "`{text}` is not on the calendar: there is no month {month}", text=text, month=month
            )
        )


def _day(text: str, numbers: tuple[int, ...]) -> datetime.date:
    year, month, day = numbers
    _check_year(text, year)
    _check_month(text, month)
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        raise PeriodError(
            Message(
                "`{text}` is not on the calendar: {year:04d}-{month:02d} has {days} days",
                text=text,
                year=year,
                month=month,
                days=days,
            )
        )
    return datetime.date(year, month, day)


def _week(text: str, numbers: tuple[int, ...]) -> datetime.date:
    year, week = numbers
    _check_year(text, year)
    weeks = _iso_weeks_in(year)
    if not 1 <= week <= weeks:
        raise PeriodError(
            Message(
                "`{text}` is not on the calendar: ISO year {year} has {weeks} weeks",
                text=text,
                year=year,
                weeks=weeks,
            )
        )
    return datetime.date.fromisocalendar(year, week, 1)


def _iso_weeks_in(year: int) -> int:
    # 28 December always falls in the last ISO week of its year.
    return datetime.date(year, 12, 28).isocalendar().week


def _month(text: str, numbers: tuple[int, ...]) -> datetime.date:
    year, month = numbers
    _check_year(text, year)
    _check_month(text, month)
    return datetime.date(year, month, 1)


def _quarter(text: str, numbers: tuple[int, ...]) -> datetime.date:
    year, quarter = numbers
    _check_year(text, year)
    if not 1 <= quarter <= 4:
        raise PeriodError(
            Message("`{text}` is not on the calendar: quarters run from Q1 to Q4", text=text)
        )
    return datetime.date(year, 3 * quarter - 2, 1)


_STARTS: dict[str, Callable[[str, tuple[int, ...]], datetime.date]] = {
    "daily": _day,
    "weekly": _week,
    "monthly": _month,
    "quarterly": _quarter,
}


@functools.lru_cache(maxsize=4096)
def period_containing(day: datetime.date, cadence: str) -> Period:
    """The period of `cadence` that holds `day`; weeks are ISO weeks (Monday to Sunday)."""
    start, end = _bounds(day, cadence)
    return Period(cadence, start, end)


def _bounds(day: datetime.date, cadence: str) -> tuple[datetime.date, datetime.date]:
    if cadence == "daily":
        return day, day
    if cadence == "weekly":
        monday = day - day.weekday() * _ONE_DAY
        return monday, _add_days(monday, 6)
    months = 1 if cadence == "monthly" else 3
    first = _month_index(day) // months * months
    return _month_start(first), _month_end(first + months - 1)


def _add_days(day: datetime.date, days: int) -> datetime.date:
    try:
        return day + datetime.timedelta(days=days)
    except OverflowError:
        raise PeriodError(
            Message(
                "{days} days from {day} is outside {calendar}",
                days=days,
                day=day,
                calendar=_CALENDAR_RANGE,
            )
        ) from None


def _month_index(day: datetime.date) -> int:
    """Counts months from year 0, so that consecutive months differ by one."""
    return day.year * 12 + day.month - 1


def _month_start(index: int) -> datetime.date:
    year, month = divmod(index, 12)
    if not datetime.MINYEAR <= year <= datetime.MAXYEAR:
        raise PeriodError(
            Message("the year {year} is outside {calendar}", year=year, calendar=_CALENDAR_RANGE)
        )
    return datetime.date(year, month + 1, 1)


def _month_end(index: int) -> datetime.date:
    start = _month_start(index)
    return start.replace(day=calendar.monthrange(start.year, start.month)[1])


def period_label(period: Period) -> str:
    """The canonical text: `2026-07-15`, `2026-W33`, `2026-07` or `2026-Q3`."""
    start = period.start
    if period.cadence == "daily":
        return start.isoformat()
    if period.cadence == "weekly":
        year, week, _ = start.isocalendar()
        return f"{year:04d}-W{week:02d}"
    if period.cadence == "monthly":
        return f"{start.year:04d}-{start.month:02d}"
    return f"{start.year:04d}-Q{(start.month - 1) // 3 + 1}"


def _ordinal(period: Period) -> int:
    """A number that grows by exactly one from each period to the next of its cadence."""
    return _ORDINALS[period.cadence](period.start)


def _week_ordinal(start: datetime.date) -> int:
    # Week starts are all Mondays, so their ordinals are 7 apart with one remainder.
    return start.toordinal() // 7


def _quarter_ordinal(start: datetime.date) -> int:
    return _month_index(start) // 3


# A period's ordinal from its start, by cadence; a day's is the date's own, counted in C.
_ORDINALS: dict[str, Callable[[datetime.date], int]] = {
    "daily": datetime.date.toordinal,
    "weekly": _week_ordinal,
    "monthly": _month_index,
    "quarterly": _quarter_ordinal,
}


@functools.lru_cache(maxsize=4096)
def shift_period(period: Period, count: int) -> Period:
    """The period `count` periods after `period` (before it where `count` is negative)."""
    if period.cadence in ("daily", "weekly"):
        days = count * (1 if period.cadence == "daily" else 7)
        return period_containing(_add_days(period.start, days), period.cadence)
    months = count * (1 if period.cadence == "monthly" else 3)
    return period_containing(_month_start(_month_index(period.start) + months), period.cadence)


def next_period(period: Period) -> Period:
    return shift_period(period, 1)


def previous_period(period: Period) -> Period:
    return shift_period(period, -1)


def periods_between(first: Period, last: Period) -> int:
    """Periods from `first` through `last`, both included; 0 where `last` comes first."""
    _check_one_cadence(first, last)
    return max(0, _ordinal(last) - _ordinal(first) + 1)


def period_offset(base: Period, period: Period) -> int:
    """How many periods `period` comes after `base`, negative where it comes before."""
    _check_one_cadence(base, period)
    return _ordinal(period) - _ordinal(base)


def period_offsets(base: Period, periods: Sequence[Period]) -> list[int]:
    """`period_offset` of each of `periods`, for a history of a million days in one pass."""
    if {period.cadence for period in periods} - {base.cadence}:
        for period in periods:  # to name the first of another cadence
            _check_one_cadence(base, period)
    ordinal = _ORDINALS[base.cadence]
    origin = ordinal(base.start)
    return [ordinal(period.start) - origin for period in periods]


def _check_one_cadence(first: Period, last: Period) -> None:
    if first.cadence != last.cadence:
        raise PeriodError(
            Message(
                "cannot count from a {first_cadence} period to a {last_cadence} one ({first} to "
                "{last})",
                first_cadence=first.cadence,
                last_cadence=last.cadence,
                first=period_label(first),
                last=period_label(last),
            )
        )


def window_first_period(window: Window) -> Period:
    return period_containing(window.start, window.cadence)


def window_last_period(window: Window) -> Period | None:
    if window.end is None:
        return None
    return period_containing(window.end, window.cadence)


def in_window(period: Period, window: Window) -> bool:
    """A period belongs to the window where their dates overlap, even by a single day."""
    return period.end >= window.start and (window.end is None or period.start <= window.end)


def window_period_count(window: Window) -> int | None:
    """The number of periods overlapping the window; None for an open-ended one."""
    last = window_last_period(window)
    if last is None:
        return None
    return periods_between(window_first_period(window), last)


def elapsed_periods(window: Window, current: Period) -> int:
    """Periods from the window's first through `current`, 0 before the window.

    Not capped at the window's end: callers that judge pace decide what lateness means.
    """
    return periods_between(window_first_period(window), current)
