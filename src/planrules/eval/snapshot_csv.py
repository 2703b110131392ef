"""Snapshot files read as CSV: a header row naming `period` and the metrics (`metric.KEY` for
each key of a keyed one), then one row per period. A cell reads as JSON would read it where
the locale's decimal mark is `.`, and otherwise as the locale writes numbers (see
`snapshot_locale`). Cells may be separated by `,`, `;` or tabs, as spreadsheets save them
where the comma is the decimal mark; the header line tells which.

The header's names (`header_name`: the fixed words `period`, `metric`, `key` and `value` in
any case, metrics exactly, a column looking like a metric warned of) and its columns
(`declared_columns`) are also how a workbook's sheets are read.

A file can hold a million rows, so rows are read one at a time and never all kept, what
depends only on a column is worked out once from the header, and the place an error names
(line, period, column) is built only when there is an error.
"""

from __future__ import annotations

import collections
import csv
import io
import re
from array import array
from collections.abc import Iterable, Iterator

import attrs

from planrules.eval.snapshot import (
    KEY_SEPARATOR,
    MetricShapes,
    MetricValue,
    Place,
    Scalar,
    Snapshot,
    SnapshotError,
    check_distinct_periods,
    joined_key,
    nested_metrics,
    nfc,
    shown,
)
from planrules.eval.snapshot_data import read_period
from planrules.eval.snapshot_locale import TextNumbers, reads_two_ways
from planrules.eval.snapshot_numbers import (
    SHORT_INTEGER,
    ValueProblem,
    checked_int,
    decimal_from_text,
    exact_number,
)
from planrules.lang.names import look_alike, normal_form

# JSON's number grammar, so that a CSV cell reads exactly as the same text would in JSON.
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_JSON_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")


_DELIMITERS = ",;\t"


@attrs.frozen
class Column:
    index: int
    name: str  # the header, NFC-normalised
    metric: str
    key: str | None  # None for a column of a whole metric
    misshapen: str | None  # why no value can stand in this column, or None where one can


def snapshots_from_csv(
    text: str, file: Place, shapes: MetricShapes, numbers: TextNumbers | None = None
) -> list[Snapshot]:
    rows = _csv_rows(text, file)
    try:
        return _snapshots(rows, file, shapes, numbers or TextNumbers())
    except SnapshotError:
        # A file that is not valid CSV says so first, as when every row was read before any
        # was looked at: the rest is read for that alone.
        collections.deque(rows, maxlen=0)
        raise


def _snapshots(
    rows: Iterator[tuple[int, list[str]]], file: Place, shapes: MetricShapes, numbers: TextNumbers
) -> list[Snapshot]:
    first = next(rows, None)
    if first is None:
        raise file.error("has no header row")
    header_line, header = first
    names = [header_name(cell) for cell in header]
    period_index = period_column(names, file.at(f"line {header_line}"))
    columns = declared_columns(names, shapes, file.at(f"line {header_line}"))
    undeclared = undeclared_columns(names, shapes)
    snapshots: list[Snapshot] = []
    lines = array("q")  # each snapshot's line, 8 bytes apiece, for a period given twice
    for line, row in rows:
        if len(row) != len(header):
            raise file.error(
                f"line {line} has {len(row)} cells, where the header has {len(header)}"
            )
        lines.append(line)
        snapshots.append(_csv_snapshot(row, line, period_index, columns, file, undeclared, numbers))
    check_distinct_periods(snapshots, lambda index: f"line {lines[index]}", file)
    return snapshots


def _csv_rows(text: str, file: Place) -> Iterator[tuple[int, list[str]]]:
    """The rows with any content, each with the line it ends on, read as they are asked for."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        for row in reader:
            # Blank lines, and rows of empty cells as spreadsheets append, hold nothing; the
            # cells joined are blank exactly when each is, and are looked at in one pass in C.
            if "".join(row).strip():
                yield reader.line_num, row
    except csv.Error as problem:
        raise file.error(f"line {reader.line_num} is not valid CSV ({problem})") from None


def _delimiter(text: str) -> str:
    """`,`, `;` or a tab: whichever the header line is split by (`,` where it tells none)."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    try:
        return csv.Sniffer().sniff(header, delimiters=_DELIMITERS).delimiter
    except csv.Error:  # a header of one column
        return ","


# The header's fixed words, read whatever their case or accents (`Period`, `KEY`); a metric's
# column is named exactly as the ruleset names it, and one that looks like it is warned of.
STRUCTURAL = frozenset({"period", "metric", "key", "value"})


def header_name(cell: str) -> str:
    """A header cell's name, for CSV files and workbooks alike: NFC and stripped, and one of
    the fixed words (`period`, `metric`, `key`, `value`) in any case as that word."""
    name = nfc(cell.strip())
    folded = normal_form(name)
    return folded if folded in STRUCTURAL else name


def period_look_alike(names: Iterable[str]) -> str | None:
    """The first header name that looks like `period` (`perod`), for a header without it."""
    return look_alike("period", [name for name in names if name])


def no_period(names: Iterable[str]) -> str:
    """Why a header without a `period` column is wrong, with the look-alike it may mean."""
    near = period_look_alike(names)
    return "the header has no `period` column" + (
        f" (`{shown(near)}` looks like it: is it misspelt?)" if near is not None else ""
    )


def period_column(names: list[str], place: Place) -> int:
    count = names.count("period")
    if count != 1:
        raise place.error(no_period(names) if count == 0 else "`period` is given twice")
    return names.index("period")


def undeclared_columns(names: Iterable[str], shapes: MetricShapes) -> tuple[str, ...]:
    """The header names, in order, of columns that name no declared metric: left out, but
    looked at for one that looks like a declared metric (`luot_xem.B` beside `lượt_xem.A`),
    so each is kept whole, with its key."""
    return tuple(
        dict.fromkeys(
            name
            for name in names
            if name and name not in STRUCTURAL and name.partition(".")[0] not in shapes
        )
    )


def declared_columns(names: list[str], shapes: MetricShapes, place: Place) -> list[Column]:
    columns: list[Column] = []
    seen: set[str] = set()
    for index, name in enumerate(names):
        metric, dot, key = name.partition(".")
        if name == "period" or metric not in shapes:
            continue
        if name in seen:
            raise place.error(f"column `{shown(name)}` is given twice")
        seen.add(name)
        column_key = key if dot else None
        misshapen = _shape_problem(metric, column_key, shapes)
        if column_key is not None and metric in nested_metrics(shapes):
            column_key, misshapen = _two_keys(metric, column_key)
        columns.append(Column(index, name, metric, column_key, misshapen))
    return columns


def _shape_problem(metric: str, key: str | None, shapes: MetricShapes) -> str | None:
    """What is wrong with a column of `metric` (and `key`) whatever its values; None if all
    is well. A column with no values is harmless, so this is said only at its first value."""
    if shapes[metric] and key is None:
        return f"`{shown(metric)}` is keyed: give each key a column, such as `{shown(metric)}.KEY`"
    if not shapes[metric] and key is not None:
        return f"`{shown(metric)}` is not keyed, so it has no keys"
    return None


def _two_keys(metric: str, key: str) -> tuple[str, str | None]:
    """The column `metric.KEY.KEY` of a metric by two dimensions: its key `KEY / KEY`."""
    first, dot, second = key.partition(".")
    if not dot or not first or not second or KEY_SEPARATOR in first or KEY_SEPARATOR in second:
        return key, (
            f"`{shown(metric)}` is keyed by two dimensions: give each pair of keys a column, "
            f"such as `{shown(metric)}.KEY.KEY`"
        )
    return joined_key(first, second), None


def _csv_snapshot(
    row: list[str],
    line: int,
    period_index: int,
    columns: list[Column],
    file: Place,
    undeclared: tuple[str, ...],
    numbers: TextNumbers,
) -> Snapshot:
    period_text = row[period_index].strip()
    if not period_text:
        raise _line_place(file, line).error("the period is empty")
    period = read_period(period_text, lambda: _line_place(file, line))
    metrics: dict[str, MetricValue] = {}
    keyed: dict[str, dict[str, Scalar]] = {}
    for column in columns:
        cell = row[column.index].strip()
        if not cell:
            continue
        if column.misshapen is not None:
            raise _cell_place(file, line, period_text, column).error(column.misshapen)
        try:
            number = _cell_number(cell, numbers)
        except ValueProblem as problem:
            raise _cell_place(file, line, period_text, column).error(str(problem)) from None
        if column.key is None:
            metrics[column.metric] = number
        else:
            keyed.setdefault(column.metric, {})[column.key] = number
    if keyed:
        metrics.update(keyed)
    return Snapshot(period, metrics, file.origin, undeclared)


def _line_place(file: Place, line: int) -> Place:
    return file.at(f"line {line}")


def _cell_place(file: Place, line: int, period_text: str, column: Column) -> Place:
    period = _line_place(file, line).at(f"period {period_text}")
    return period.at(f"column `{shown(column.name)}`")


def _cell_number(cell: str, numbers: TextNumbers) -> Scalar:
    if len(cell) <= SHORT_INTEGER and _JSON_INTEGER.fullmatch(cell):
        return checked_int(int(cell))
    if numbers.point_decimals and _JSON_NUMBER.fullmatch(cell) and not reads_two_ways(cell):
        return exact_number(decimal_from_text(cell))
    return numbers.read(cell)
