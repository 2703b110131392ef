"""Calendar periods: their forms, ordering, arithmetic and plan windows."""

from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planrules.lang.periods import (
    CADENCES,
    Period,
    PeriodError,
    Window,
    cadence_of_label,
    elapsed_periods,
    in_window,
    next_period,
    parse_date,
    parse_period,
    period_containing,
    period_label,
    period_sort_key,
    periods_between,
    previous_period,
    shift_period,
    window_first_period,
    window_last_period,
    window_period_count,
)

Q3 = Window(date(2026, 7, 1), date(2026, 9, 30), "monthly")


@pytest.mark.parametrize(
    ("text", "cadence", "start", "end"),
    [
        ("2026-07-15", "daily", date(2026, 7, 15), date(2026, 7, 15)),
        ("2026-W33", "weekly", date(2026, 8, 10), date(2026, 8, 16)),
        ("2026-07", "monthly", date(2026, 7, 1), date(2026, 7, 31)),
        ("2026-Q3", "quarterly", date(2026, 7, 1), date(2026, 9, 30)),
        ("2024-02", "monthly", date(2024, 2, 1), date(2024, 2, 29)),
        ("2026-Q4", "quarterly", date(2026, 10, 1), date(2026, 12, 31)),
    ],
)
def test_each_form_parses_and_prints_back(text: str, cadence: str, start: date, end: date) -> None:
    period = parse_period(text)
    assert period == Period(cadence, start, end)
    assert period_label(period) == text
    assert cadence_of_label(text) == cadence


def test_weeks_print_with_two_digits() -> None:
    assert period_label(period_containing(date(2026, 1, 7), "weekly")) == "2026-W02"


def test_iso_week_one_can_start_in_the_previous_year() -> None:
    week = parse_period("2026-W01")
    assert week.start == date(2025, 12, 29)
    assert period_containing(date(2025, 12, 31), "weekly") == week


def test_2026_has_53_iso_weeks_and_2025_only_52() -> None:
    assert parse_period("2026-W53").end == date(2027, 1, 3)
    assert next_period(parse_period("2026-W52")) == parse_period("2026-W53")
    assert next_period(parse_period("2025-W52")) == parse_period("2026-W01")
    with pytest.raises(PeriodError, match=r"`2025-W53`.*52 weeks"):
        parse_period("2025-W53")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2026-13", "no month 13"),
        ("2026-00", "no month 0"),
        ("2026-Q5", "Q1 to Q4"),
        ("2026-Q0", "Q1 to Q4"),
        ("2026-W54", "53 weeks"),
        ("2026-W00", "53 weeks"),
        ("2026-02-30", "28 days"),
        ("2026-04-31", "30 days"),
        ("2026-13-01", "no month 13"),
        ("0000-07", "years 1 to 9999"),
        ("9999-W52", "after the year 9999"),
        ("2026-7", "write it as"),
        ("2026-W1", "write it as"),
        ("2026-q3", "write it as"),
        ("2026-Q10", "write it as"),
        ("26-07", "write it as"),
        (" 2026-07", "write it as"),
        ("2026/07", "write it as"),
        ("2026-07-15T00:00", "write it as"),
        ("٢٠٢٦-07", "write it as"),
        ("", "write it as"),
    ],
)
def test_bad_periods_are_named_and_explained(text: str, reason: str) -> None:
    with pytest.raises(PeriodError) as raised:
        parse_period(text)
    assert f"`{text}`" in str(raised.value)
    assert reason in str(raised.value)


def test_a_period_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="2026-Q5"):
        parse_period("2026-Q5")


def test_cadence_of_label_checks_the_form_only() -> None:
    assert cadence_of_label("2026-Q5") == "quarterly"
    with pytest.raises(PeriodError, match="`2026-Q`"):
        cadence_of_label("2026-Q")


def test_parse_date() -> None:
    assert parse_date("2026-09-30") == date(2026, 9, 30)
    assert parse_date("2024-02-29") == date(2024, 2, 29)


@pytest.mark.parametrize(
    "text", ["2026-09-31", "2026-02-30", "2025-02-29", "2026-07", "20260930", "2026-W40-3"]
)
def test_bad_dates_raise(text: str) -> None:
    with pytest.raises(PeriodError, match=f"`{text}`"):
        parse_date(text)


def test_periods_must_be_whole_calendar_periods() -> None:
    with pytest.raises(PeriodError, match="whole monthly"):
        Period("monthly", date(2026, 7, 2), date(2026, 7, 31))
    with pytest.raises(PeriodError, match="`yearly` is not a cadence"):
        period_containing(date(2026, 7, 1), "yearly")
    with pytest.raises(PeriodError, match="not a cadence"):
        Window(date(2026, 7, 1), None, "yearly")


@pytest.mark.parametrize("cadence", CADENCES)
def test_sorting_orders_periods_by_date(cadence: str) -> None:
    ordered = [shift_period(period_containing(date(2025, 11, 20), cadence), n) for n in range(12)]
    shuffled = ordered[::-1]
    random.Random(7).shuffle(shuffled)
    assert sorted(shuffled) == ordered
    assert ordered[0] < ordered[1] <= ordered[1] < ordered[2]
    assert ordered[2] > ordered[1] >= ordered[1]
    assert sorted(shuffled, key=period_sort_key) == ordered


def test_periods_do_not_compare_with_other_things() -> None:
    with pytest.raises(TypeError):
        _ = parse_period("2026-07") < "2026-08"


def test_periods_are_hashable() -> None:
    assert len({parse_period("2026-07"), parse_period("2026-07"), parse_period("2026-08")}) == 2


@pytest.mark.parametrize(
    ("text", "count", "expected"),
    [
        ("2026-12", 1, "2027-01"),
        ("2026-01", -1, "2025-12"),
        ("2026-11", 14, "2028-01"),
        ("2026-02", -26, "2023-12"),
        ("2026-Q4", 1, "2027-Q1"),
        ("2026-Q1", -1, "2025-Q4"),
        ("2026-Q3", -11, "2023-Q4"),
        ("2026-W53", 1, "2027-W01"),
        ("2026-W01", -1, "2025-W52"),
        ("2026-12-31", 1, "2027-01-01"),
        ("2024-03-01", -1, "2024-02-29"),
        ("2026-07", 0, "2026-07"),
    ],
)
def test_shift_across_year_ends(text: str, count: int, expected: str) -> None:
    assert period_label(shift_period(parse_period(text), count)) == expected


def test_next_and_previous() -> None:
    assert next_period(parse_period("2026-Q4")) == parse_period("2027-Q1")
    assert previous_period(parse_period("2027-01")) == parse_period("2026-12")


def test_shifting_off_the_calendar_raises() -> None:
    with pytest.raises(PeriodError, match="outside years 1 to 9999"):
        next_period(parse_period("9999-12"))
    with pytest.raises(PeriodError, match="outside years 1 to 9999"):
        previous_period(parse_period("0001-01-01"))


@pytest.mark.parametrize(
    ("first", "last", "count"),
    [
        ("2026-07", "2026-09", 3),
        ("2026-07", "2026-07", 1),
        ("2026-09", "2026-07", 0),
        ("2025-11", "2026-02", 4),
        ("2025-Q4", "2027-Q1", 6),
        ("2025-W52", "2026-W02", 3),
        ("2026-W01", "2026-W53", 53),
        ("2025-12-30", "2026-01-02", 4),
        ("2026-07-02", "2026-07-01", 0),
    ],
)
def test_periods_between(first: str, last: str, count: int) -> None:
    assert periods_between(parse_period(first), parse_period(last)) == count


def test_periods_between_needs_one_cadence() -> None:
    with pytest.raises(PeriodError, match="monthly period to a quarterly"):
        periods_between(parse_period("2026-07"), parse_period("2026-Q3"))


def test_a_week_overlapping_the_window_start_belongs_to_it() -> None:
    weekly = Window(date(2026, 7, 1), date(2026, 9, 30), "weekly")
    week = parse_period("2026-W27")
    assert week.start == date(2026, 6, 29)
    assert in_window(week, weekly)
    assert window_first_period(weekly) == week
    assert not in_window(parse_period("2026-W26"), weekly)


def test_in_window_at_the_end() -> None:
    weekly = Window(date(2026, 7, 1), date(2026, 9, 30), "weekly")
    assert in_window(parse_period("2026-W40"), weekly)  # 28 September to 4 October
    assert not in_window(parse_period("2026-W41"), weekly)
    assert in_window(parse_period("2026-09"), Q3)
    assert not in_window(parse_period("2026-10"), Q3)
    assert not in_window(parse_period("2026-06"), Q3)


def test_an_open_window_has_no_end() -> None:
    open_window = Window(date(2026, 7, 1), None, "monthly")
    assert window_last_period(open_window) is None
    assert window_period_count(open_window) is None
    assert in_window(parse_period("2099-12"), open_window)
    assert elapsed_periods(open_window, parse_period("2027-06")) == 12


def test_window_period_counts() -> None:
    assert window_first_period(Q3) == parse_period("2026-07")
    assert window_last_period(Q3) == parse_period("2026-09")
    assert window_period_count(Q3) == 3
    # 29 June (W27) through 4 October (W40).
    assert window_period_count(Window(date(2026, 7, 1), date(2026, 9, 30), "weekly")) == 14
    assert window_period_count(Window(date(2026, 7, 1), date(2026, 9, 30), "daily")) == 92
    assert window_period_count(Window(date(2026, 8, 15), date(2026, 8, 20), "quarterly")) == 1
    assert window_period_count(Window(date(2026, 9, 30), date(2026, 7, 1), "monthly")) == 0


def test_elapsed_periods() -> None:
    assert elapsed_periods(Q3, parse_period("2026-06")) == 0
    assert elapsed_periods(Q3, parse_period("2026-07")) == 1
    assert elapsed_periods(Q3, parse_period("2026-08")) == 2
    assert elapsed_periods(Q3, parse_period("2026-11")) == 5


# Dates whose every period, and its neighbours, lie within years 1 to 9999.
_DATES = st.dates(min_value=date(2, 1, 1), max_value=date(9998, 12, 31))
_PERIODS = st.builds(period_containing, _DATES, st.sampled_from(CADENCES))
# From 1900-2200, shifts of up to 5000 periods cross many year ends and stay on the calendar.
_NEAR_PERIODS = st.builds(
    period_containing,
    st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)),
    st.sampled_from(CADENCES),
)
_SHIFTS = st.integers(min_value=-5000, max_value=5000)


@given(_PERIODS)
def test_labels_parse_back(period: Period) -> None:
    assert parse_period(period_label(period)) == period
    assert cadence_of_label(period_label(period)) == period.cadence


@given(_DATES, st.sampled_from(CADENCES))
def test_a_period_contains_its_day(day: date, cadence: str) -> None:
    period = period_containing(day, cadence)
    assert period.start <= day <= period.end
    assert (next_period(period).start - period.end).days == 1


@given(_NEAR_PERIODS, _SHIFTS)
def test_shifting_back_returns(period: Period, count: int) -> None:
    assert shift_period(shift_period(period, count), -count) == period


@given(_NEAR_PERIODS, st.integers(min_value=0, max_value=5000))
def test_periods_between_counts_shifts(period: Period, count: int) -> None:
    later = shift_period(period, count)
    assert periods_between(period, later) == count + 1
    assert (later > period) == (count > 0)


@given(st.sampled_from(CADENCES), _DATES, _DATES)
def test_order_agrees_with_dates(cadence: str, one: date, other: date) -> None:
    first, second = period_containing(one, cadence), period_containing(other, cadence)
    assert (first < second) == (first.start < second.start)
    assert (first <= second) == (periods_between(first, second) > 0)
