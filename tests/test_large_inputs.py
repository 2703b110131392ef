"""Large snapshot files: what the short paths for them must keep of the careful ones.

A history of tens of thousands of days goes through the paths a million-row file takes (rows
read one at a time, places built only for an error, days read by a short path, positions
worked out in one pass); every error must still name its line, period and column exactly.
"""

from __future__ import annotations

import datetime
import gc
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import planrules
from planrules.eval.history import read_history, read_snapshot_file
from planrules.eval.snapshot import MetricShapes, SnapshotError
from planrules.lang.periods import (
    CADENCES,
    PeriodError,
    parse_period,
    parse_period_in_full,
    period_containing,
    period_label,
    period_offset,
    period_offsets,
    periods_between,
)

SHAPES: MetricShapes = {"sales": False, "visits": False, "spend": True}
DAYS = 20_000
FIRST_DAY = datetime.date(2001, 1, 1)
PLAN = """ruleset "Rows"
metric sales: count "Sales"
metric visits: count "Visits"
goal "Total": total(sales) >= 1
"""


def days(count: int = DAYS) -> list[str]:
    return [(FIRST_DAY + datetime.timedelta(days=n)).isoformat() for n in range(count)]


def csv_text(rows: list[str], header: str = "period,sales,visits") -> str:
    return "\n".join([header, *rows]) + "\n"


def daily_rows(count: int = DAYS) -> list[str]:
    return [f"{day},{n % 1000},{n}" for n, day in enumerate(days(count))]


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def message(call: object) -> str:
    assert callable(call)
    with pytest.raises(SnapshotError) as caught:
        call()
    return str(caught.value)


# ---- a big CSV: errors late in the file -------------------------------------------------


def test_a_big_csv_reads_every_row(tmp_path: Path) -> None:
    path = write(tmp_path, "rows.csv", csv_text(daily_rows()))
    snapshots = read_snapshot_file(path, SHAPES)
    assert len(snapshots) == DAYS
    last = snapshots[-1]
    assert period_label(last.period) == days()[-1]
    assert last.metrics == {"sales": (DAYS - 1) % 1000, "visits": DAYS - 1}
    assert all(snapshot.origin == path for snapshot in snapshots)


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ("abc", "`abc` is text where a number is expected"),
        ("05", "`05` is text"),
        ("1e400", "1e400 is too large"),
        ("1e-99", "1e-99 has more than 34 digits after the point"),
    ],
)
def test_a_bad_number_in_a_late_row_names_its_line_period_and_column(
    tmp_path: Path, cell: str, problem: str
) -> None:
    rows = daily_rows()
    day = days()[-3]
    rows[-3] = f"{day},7,{cell}"
    path = write(tmp_path, "rows.csv", csv_text(rows))
    line = DAYS - 1  # the header is line 1
    expected = f"{path}: line {line}, period {day}, column `visits`: {problem}"
    assert message(lambda: read_snapshot_file(path, SHAPES)).startswith(expected)


@pytest.mark.parametrize(
    ("period", "problem"),
    [
        ("2026-02-30", "`2026-02-30` is not on the calendar: 2026-02 has 28 days"),
        ("0000-01-01", "`0000-01-01` is not on the calendar, which runs over years 1 to 9999"),
        ("2026-13-01", "`2026-13-01` is not on the calendar: there is no month 13"),
        ("20260101", "`20260101` is not a period: write it as"),
        ("2026-W01-1", "`2026-W01-1` is not a period"),
        ("２０２６-01-01", "`２０２６-01-01` is not a period"),
    ],
)
def test_a_bad_period_in_a_late_row_names_its_line(
    tmp_path: Path, period: str, problem: str
) -> None:
    rows = daily_rows()
    rows[-1] = f"{period},1,2"
    path = write(tmp_path, "rows.csv", csv_text(rows))
    expected = f"{path}: line {DAYS + 1}: {problem}"
    assert message(lambda: read_snapshot_file(path, SHAPES)).startswith(expected)


def test_an_empty_period_in_a_late_row(tmp_path: Path) -> None:
    rows = daily_rows()
    rows[-2] = ",1,2"
    path = write(tmp_path, "rows.csv", csv_text(rows))
    assert message(lambda: read_snapshot_file(path, SHAPES)) == (
        f"{path}: line {DAYS}: the period is empty"
    )


def test_a_period_given_twice_far_apart_names_both_lines(tmp_path: Path) -> None:
    rows = daily_rows()
    rows[-1] = f"{days()[5]},1,2"
    path = write(tmp_path, "rows.csv", csv_text(rows))
    assert message(lambda: read_snapshot_file(path, SHAPES)) == (
        f"{path}: period {days()[5]} is given twice (line 7 and line {DAYS + 1})"
    )


def test_lines_count_blank_rows_and_cells_over_several_lines(tmp_path: Path) -> None:
    rows = daily_rows(3000)
    rows[10] = f'{days()[10]},"1\n",2'  # a quoted cell that runs over two lines
    rows[20] += "\r\n\r\n,,"  # a blank line and a row of empty cells
    rows[2999] = f"{days()[2999]},x,2"
    path = write(tmp_path, "rows.csv", csv_text(rows))
    # Lines 1 (header) to 3001 hold rows, plus one for the quoted cell and three blank ones.
    assert message(lambda: read_snapshot_file(path, SHAPES)).startswith(
        f"{path}: line {3001 + 1 + 2}, period {days()[2999]}, column `sales`: `x` is text"
    )


def test_a_misshapen_column_is_an_error_only_at_its_first_value(tmp_path: Path) -> None:
    rows = [f"{row}," for row in daily_rows()]
    rows[-4] = f"{days()[-4]},1,2,9"
    path = write(tmp_path, "rows.csv", csv_text(rows, "period,sales,visits,spend"))
    assert message(lambda: read_snapshot_file(path, SHAPES)).startswith(
        f"{path}: line {DAYS - 2}, period {days()[-4]}, column `spend`: `spend` is keyed"
    )


def test_a_misshapen_column_without_values_is_harmless(tmp_path: Path) -> None:
    rows = [f"{row},," for row in daily_rows()]
    path = write(tmp_path, "rows.csv", csv_text(rows, "period,sales,visits,spend,sales.web"))
    assert len(read_snapshot_file(path, SHAPES)) == DAYS


def test_a_cell_count_error_comes_before_a_later_bad_value(tmp_path: Path) -> None:
    rows = daily_rows()
    rows[100] = f"{days()[100]},1"
    rows[200] = f"{days()[200]},x,1"
    path = write(tmp_path, "rows.csv", csv_text(rows))
    assert message(lambda: read_snapshot_file(path, SHAPES)) == (
        f"{path}: line 102 has 2 cells, where the header has 3"
    )


def test_a_file_that_is_not_csv_says_so_before_any_bad_value(tmp_path: Path) -> None:
    rows = daily_rows()
    rows[1] = f"{days()[1]},x,1"  # a bad value early ...
    rows[-1] = f'{days()[-1]},"{"1" * 200_000}",1'  # ... and a cell past the csv field limit
    path = write(tmp_path, "rows.csv", csv_text(rows))
    assert message(lambda: read_snapshot_file(path, SHAPES)).startswith(
        f"{path}: line {DAYS + 1} is not valid CSV"
    )


def test_a_header_error_also_waits_for_the_whole_file_to_be_csv(tmp_path: Path) -> None:
    rows = [*daily_rows(100), f'x,"{"1" * 200_000}"']
    path = write(tmp_path, "rows.csv", csv_text(rows, "sales,visits"))
    assert "is not valid CSV" in message(lambda: read_snapshot_file(path, SHAPES))


def test_a_day_and_a_month_starting_together_are_not_one_period(tmp_path: Path) -> None:
    path = write(tmp_path, "mixed.csv", csv_text(["2026-07-01,1,2", "2026-07,3,4"]))
    assert message(lambda: read_history([path], SHAPES)).startswith(
        f"{path}: period 2026-07 is a month, but period 2026-07-01 (in {path}) is a day"
    )


# ---- the same history as JSON -----------------------------------------------------------


def json_text(snapshots: list[dict[str, object]]) -> str:
    return json.dumps({"snapshots": snapshots})


def daily_snapshots(count: int = DAYS) -> list[dict[str, object]]:
    return [
        {"period": day, "metrics": {"sales": n % 1000, "visits": n}}
        for n, day in enumerate(days(count))
    ]


def test_a_big_json_reads_as_the_csv_does(tmp_path: Path) -> None:
    csv_path = write(tmp_path, "rows.csv", csv_text(daily_rows()))
    json_path = write(tmp_path, "rows.json", json_text(daily_snapshots()))
    from_csv = read_snapshot_file(csv_path, SHAPES)
    from_json = read_snapshot_file(json_path, SHAPES)
    assert [(s.period, s.metrics) for s in from_json] == [(s.period, s.metrics) for s in from_csv]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"period": 20260101}, "snapshot {n}: the period is a number, where text such as"),
        ({"period": "2026-02-29"}, "snapshot {n}: `2026-02-29` is not on the calendar"),
        ({"period": "\ud800"}, "snapshot {n}: the period `\\ud800` is not text"),
        ({"extra": 1}, 'period {day}: unknown field "extra"'),
        ({"metrics": {"sales": "5"}}, 'period {day}, metric `sales`: "5" is text'),
        ({"metrics": 5}, "period {day}: `metrics` holds a number, where an object is expected"),
    ],
)
def test_a_bad_snapshot_late_in_a_big_json_is_named(
    tmp_path: Path, change: dict[str, object], expected: str
) -> None:
    snapshots = daily_snapshots()
    number = DAYS - 5
    snapshots[number - 1] = {**snapshots[number - 1], **change}
    path = write(tmp_path, "rows.json", json_text(snapshots))
    where = expected.format(n=number, day=days()[number - 1])
    assert message(lambda: read_snapshot_file(path, SHAPES)).startswith(f"{path}: {where}")


def test_a_period_given_twice_in_a_big_json_names_both_snapshots(tmp_path: Path) -> None:
    snapshots = daily_snapshots()
    snapshots[-1] = {**snapshots[-1], "period": days()[2]}
    path = write(tmp_path, "rows.json", json_text(snapshots))
    assert message(lambda: read_snapshot_file(path, SHAPES)) == (
        f"{path}: period {days()[2]} is given twice (snapshot 3 and snapshot {DAYS})"
    )


# ---- several files merged by period --------------------------------------------------


def columns(rows: list[str], *indices: int) -> list[str]:
    return [",".join(row.split(",")[index] for index in indices) for row in rows]


def test_files_split_by_metric_merge_into_the_whole(tmp_path: Path) -> None:
    rows = daily_rows()
    whole = write(tmp_path, "rows.csv", csv_text(rows))
    sales = write(tmp_path, "sales.csv", csv_text(columns(rows, 0, 1), "period,sales"))
    visits = write(tmp_path, "visits.csv", csv_text(columns(rows[::-1], 0, 2), "period,visits"))
    merged = read_history([visits, sales], SHAPES).snapshots
    single = read_history([whole], SHAPES).snapshots
    assert [(s.period, s.metrics) for s in merged] == [(s.period, s.metrics) for s in single]
    assert {snapshot.origin for snapshot in merged} == {f"{visits}, {sales}"}


def test_files_split_by_time_keep_each_snapshot_s_file(tmp_path: Path) -> None:
    rows = daily_rows()
    late = write(tmp_path, "late.csv", csv_text(rows[DAYS // 2 :]))
    early = write(tmp_path, "early.csv", csv_text(rows[: DAYS // 2]))
    merged = read_history([late, early], SHAPES).snapshots
    assert [period_label(snapshot.period) for snapshot in merged] == days()
    assert [snapshot.origin for snapshot in merged] == [early] * (DAYS // 2) + [late] * (DAYS // 2)


def test_a_metric_given_in_two_files_names_both(tmp_path: Path) -> None:
    rows = daily_rows()
    first = write(tmp_path, "a.csv", csv_text(rows))
    second = write(tmp_path, "b.csv", csv_text(columns(rows[-1:], 0, 2), "period,visits"))
    assert message(lambda: read_history([first, second], SHAPES)) == (
        f"{second}: period {days()[-1]}, metric `visits`: given in both {first} and {second}"
    )


@pytest.mark.parametrize(
    ("later", "expected"),
    [
        # The first problem in reading order is the one reported, whatever its kind.
        (["2026-07-01,5,", "2026-07,1,"], "metric `sales`: given in both"),
        (["2026-07,1,", "2026-07-01,5,"], "period 2026-07 is a month, but period 2026-07-01"),
    ],
)
def test_the_first_problem_of_a_merge_is_reported(
    tmp_path: Path, later: list[str], expected: str
) -> None:
    first = write(tmp_path, "a.csv", csv_text(["2026-07-01,1,2"]))
    second = write(tmp_path, "b.csv", csv_text(later))
    assert expected in message(lambda: read_history([first, second], SHAPES))


# ---- evaluating a long history ----------------------------------------------------------


def test_a_long_daily_history_evaluates_as_its_sum(tmp_path: Path) -> None:
    rows = daily_rows()
    ruleset = planrules.loads(PLAN)
    path = write(tmp_path, "rows.csv", csv_text(rows[::-1]))  # out of order: it is sorted
    report = ruleset.evaluate(ruleset.read([path]))
    [total] = report.results
    assert total.value == sum(n % 1000 for n in range(DAYS))
    assert report.as_of == days()[-1]
    assert ruleset.evaluate(ruleset.read([path]), at=days()[7]).results[0].value == sum(range(8))


def test_a_long_history_is_not_kept_among_the_layouts(tmp_path: Path) -> None:
    ruleset = planrules.loads(PLAN)
    path = write(tmp_path, "rows.csv", csv_text(daily_rows()))
    first = ruleset.evaluate(ruleset.read([path]))
    assert ruleset.layouts == {}
    assert ruleset.evaluate(ruleset.read([path])).to_dict() == first.to_dict()


@pytest.mark.parametrize("collecting", [True, False])
def test_reading_leaves_the_collector_as_it_found_it(tmp_path: Path, collecting: bool) -> None:
    path = write(tmp_path, "rows.csv", csv_text(daily_rows(100)))
    was = gc.isenabled()
    try:
        (gc.enable if collecting else gc.disable)()
        read_history([path], SHAPES)
        assert gc.isenabled() is collecting
        with pytest.raises(SnapshotError):
            read_history([write(tmp_path, "bad.csv", "period,sales\n2026-01-01,x\n")], SHAPES)
        assert gc.isenabled() is collecting
    finally:
        (gc.enable if was else gc.disable)()


# ---- the short path for days agrees with the full parser --------------------------------

DAY_LIKE = st.builds(
    "{:04d}-{:02d}-{:02d}".format,
    st.integers(0, 9999),
    st.integers(0, 13),
    st.integers(0, 32),
)
PERIOD_LIKE = st.one_of(
    DAY_LIKE,
    st.dates().map(datetime.date.isoformat),
    st.from_regex(r"[0-9]{4}-(W[0-9]{2}|Q[0-9]|[0-9]{2}(-[0-9]{2})?)", fullmatch=True),
    # Near misses: other digits, other separators, the forms fromisoformat also takes.
    st.from_regex(r"[0-9٠-٩０-９]{4}[-/ ]?[0-9]{2}[-/ ]?[0-9]{1,2}\s?", fullmatch=True),
    st.from_regex(r"[0-9]{4}-?W[0-9]{2}-?[0-9]|[0-9]{4}-[0-9]{3}", fullmatch=True),
    st.text(max_size=12),
)


def outcome(parse: object, text: str) -> object:
    assert callable(parse)
    try:
        return parse(text)
    except PeriodError as problem:
        return ("error", str(problem))


@given(PERIOD_LIKE)
def test_the_short_path_for_days_agrees_with_the_full_parser(text: str) -> None:
    assert outcome(parse_period, text) == outcome(parse_period_in_full, text)


@given(st.dates())
def test_every_day_reads_by_either_path_as_the_day_it_names(day: datetime.date) -> None:
    period = parse_period(day.isoformat())
    assert period == parse_period_in_full(day.isoformat()) == period_containing(day, "daily")


@given(
    st.sampled_from(CADENCES),
    st.dates(min_value=datetime.date(2, 1, 1), max_value=datetime.date(9998, 1, 1)),
    st.lists(st.dates(min_value=datetime.date(2, 1, 1), max_value=datetime.date(9998, 1, 1))),
)
def test_offsets_count_the_periods_between(
    cadence: str, base_day: datetime.date, others: list[datetime.date]
) -> None:
    base = period_containing(base_day, cadence)
    periods = [period_containing(day, cadence) for day in others]
    offsets = period_offsets(base, periods)
    assert offsets == [period_offset(base, period) for period in periods]
    for period, offset in zip(periods, offsets, strict=True):
        if period >= base:
            assert offset == periods_between(base, period) - 1
        else:
            assert offset == 1 - periods_between(period, base)


def test_offsets_refuse_a_period_of_another_cadence() -> None:
    base = parse_period("2026-07")
    with pytest.raises(PeriodError, match="cannot count from a monthly period to a daily one"):
        period_offsets(base, [parse_period("2026-08"), parse_period("2026-07-15")])
