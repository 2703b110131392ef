"""Calendar periods (day, ISO week, month, quarter) and plan windows."""

from __future__ import annotations

import datetime
import re

import attrs

CADENCES = ("daily", "weekly", "monthly", "quarterly")


class PeriodError(ValueError):
    """A period or date that is malformed or not on the calendar."""


@attrs.frozen(order=True)
class Period:
    start: datetime.date
    end: datetime.date = attrs.field(order=False)
    cadence: str = attrs.field(order=False)


_FORMS = {
    "daily": re.compile(r"(\d{4})-(\d{2})-(\d{2})"),
    "weekly": re.compile(r"(\d{4})-W(\d{2})"),
    "monthly": re.compile(r"(\d{4})-(\d{2})"),
    "quarterly": re.compile(r"(\d{4})-Q(\d)"),
}


def cadence_of_label(text: str) -> str:
    for cadence, form in _FORMS.items():
        if form.fullmatch(text):
            return cadence
    raise PeriodError(f"{text!r} is not a period (2026-07, 2026-Q3, 2026-W33 or 2026-07-15)")


def parse_date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text) if len(text) == 10 else _bad_date(text)
    except ValueError:
        return _bad_date(text)


def _bad_date(text: str) -> datetime.date:
    raise PeriodError(f"{text} is not a date on the calendar")


def parse_period(text: str) -> Period:
    cadence = cadence_of_label(text)
    match = _FORMS[cadence].fullmatch(text)
    assert match is not None
    numbers = [int(group) for group in match.groups()]
    try:
        if cadence == "daily":
            return period_containing(datetime.date(*numbers), cadence)
        if cadence == "weekly":
            return period_containing(
                datetime.date.fromisocalendar(numbers[0], numbers[1], 1), cadence
            )
        if cadence == "monthly":
            return period_containing(datetime.date(numbers[0], numbers[1], 1), cadence)
        if not 1 <= numbers[1] <= 4:
            raise ValueError
        return period_containing(datetime.date(numbers[0], 3 * numbers[1] - 2, 1), cadence)
    except ValueError:
        raise PeriodError(f"{text} is not a period on the calendar") from None


def _month_index(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


def _month_start(index: int) -> datetime.date:
    return datetime.date(index // 12, index % 12 + 1, 1)


def period_containing(day: datetime.date, cadence: str) -> Period:
    if cadence == "daily":
        return Period(day, day, cadence)
    if cadence == "weekly":
        start = day - datetime.timedelta(days=day.weekday())
        return Period(start, start + datetime.timedelta(days=6), cadence)
    months = 1 if cadence == "monthly" else 3
    first = _month_index(day) // months * months
    return Period(
        _month_start(first),
        _month_start(first + months) - datetime.timedelta(days=1),
        cadence,
    )


def period_label(period: Period) -> str:
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
    """A number that grows by one from each period to the next of its cadence."""
    if period.cadence == "daily":
        return period.start.toordinal()
    if period.cadence == "weekly":
        return period.start.toordinal() // 7
    if period.cadence == "monthly":
        return _month_index(period.start)
    return _month_index(period.start) // 3


def shift_period(period: Period, count: int) -> Period:
    if period.cadence in ("daily", "weekly"):
        days = count * (1 if period.cadence == "daily" else 7)
        return period_containing(period.start + datetime.timedelta(days=days), period.cadence)
    months = count * (1 if period.cadence == "monthly" else 3)
    return period_containing(_month_start(_month_index(period.start) + months), period.cadence)


def next_period(period: Period) -> Period:
    return shift_period(period, 1)


def previous_period(period: Period) -> Period:
    return shift_period(period, -1)


def periods_between(first: Period, last: Period) -> int:
    """Periods from `first` through `last`, both included; 0 where `last` comes first."""
    return max(0, _ordinal(last) - _ordinal(first) + 1)


@attrs.frozen
class Window:
    start: datetime.date
    end: datetime.date | None
    cadence: str


def window_first_period(window: Window) -> Period:
    return period_containing(window.start, window.cadence)


def window_last_period(window: Window) -> Period | None:
    return period_containing(window.end, window.cadence) if window.end else None


def in_window(period: Period, window: Window) -> bool:
    """A period belongs to the window where their dates overlap."""
    return period.end >= window.start and (window.end is None or period.start <= window.end)


def window_period_count(window: Window) -> int | None:
    last = window_last_period(window)
    return periods_between(window_first_period(window), last) if last else None


def elapsed_periods(window: Window, current: Period) -> int:
    return periods_between(window_first_period(window), current)
