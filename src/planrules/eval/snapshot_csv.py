"""Snapshot files read as CSV: a header row naming `period` and the metrics (`metric.KEY` for
each key of a keyed one), then one row per period; or, long, a header `period`, `metric`,
`key` (or a column per dimension the metrics are keyed by) and `value`, then a row per value.
A cell reads as JSON would read it where the locale's decimal mark is `.`, and otherwise as
the locale writes numbers (see `snapshot_locale`). Cells may be separated by `,`, `;` or
tabs, as spreadsheets save them where the comma is the decimal mark; the header line tells
which.

The header's names (`header_name`: the fixed words `period`, `metric`, `key` and `value` in
any case, metrics exactly, a column looking like a metric warned of) and its columns
(`declared_columns`), and a row's keys (`long_header`, `row_key`), are
also how a workbook's sheets are read.

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
from collections.abc import Callable, Iterable, Iterator

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
    metric_dimensions,
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
from planrules.lang.periods import Period, period_label

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
    long = long_header(names, shapes, lambda index: _header_place(file, header_line, names[index]))
    if long is not None:
        table = _LongCsv(file, long, names, shapes, numbers)
        return table.read(rows, len(header), period_index)
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


# ---- long tables: a row per value --------------------------------------------------------


@attrs.frozen
class KeyColumns:
    """The columns giving a row's keys: `key`, and a column per dimension, named by it."""

    key: int | None
    dimensions: tuple[tuple[str, int], ...]  # each dimension column's name and index


@attrs.frozen
class LongHeader:
    """The columns of a long table (`period, metric, key, value`), for CSV files and workbooks
    alike: a keyed metric's key is in `key` or in its dimension's column, the keys of a metric
    by two dimensions in a column per dimension (`period, metric, cua_hang, kenh, value`)."""

    metric: int
    value: int
    keys: KeyColumns


class RowProblem(Exception):
    """What is wrong with a row's keys, and the column where it is."""

    def __init__(self, column: int, problem: str) -> None:
        super().__init__(problem)
        self.column = column


def declared_dimensions(shapes: MetricShapes) -> list[str]:
    """The dimensions the metrics are keyed by, in the order they are first declared."""
    return list(dict.fromkeys(d for dims in metric_dimensions(shapes).values() for d in dims))


def dimension_columns(names: list[str], shapes: MetricShapes) -> tuple[tuple[str, int], ...]:
    """The header's columns named by a dimension the metrics are keyed by, with their indexes."""
    declared = declared_dimensions(shapes)
    return tuple((name, index) for index, name in enumerate(names) if name in declared)


def long_header(
    names: list[str], shapes: MetricShapes, column_place: Callable[[int], Place]
) -> LongHeader | None:
    """The header of a long table (None where `names` has no `metric` and `value` columns);
    a column that is no fixed word and no dimension of the metrics is an error."""
    if "metric" not in names or "value" not in names:
        return None
    declared = declared_dimensions(shapes)
    seen: set[str] = set()
    for index, name in enumerate(names):
        if not name:
            continue
        if name in seen:
            raise column_place(index).error(f"column `{shown(name)}` is given twice")
        seen.add(name)
        if name not in declared and name not in STRUCTURAL:
            raise column_place(index).error(_not_a_dimension(name, declared))
    key = names.index("key") if "key" in names else None
    keys = KeyColumns(key, dimension_columns(names, shapes))
    return LongHeader(names.index("metric"), names.index("value"), keys)


def _not_a_dimension(name: str, declared: list[str]) -> str:
    near = look_alike(name, declared)
    if near is not None:
        return f"`{shown(name)}` is not a dimension of the metrics: is it `{shown(near)}` misspelt?"
    dimensions = ", ".join(f"`{shown(d)}`" for d in declared)
    return (
        f"`{shown(name)}` is no column of a long table, whose columns are `period`, `metric`, "
        + (f"`key`, a column per dimension ({dimensions})" if declared else "`key`")
        + " and `value`"
    )


def row_key(
    keys: KeyColumns,
    value: int,
    metric: str,
    shapes: MetricShapes,
    text_at: Callable[[int], str | None],
) -> str | None:
    """The key at which a row gives declared `metric` in the column `value` (None where the
    metric is not keyed), from `key` or the dimension columns; `text_at` gives a column's
    text, None where blank. Raises RowProblem."""
    key = text_at(keys.key) if keys.key is not None else None
    given = {name: (index, text) for name, index in keys.dimensions if (text := text_at(index))}
    if not shapes[metric]:
        if key is not None:
            raise RowProblem(
                value, f"`{shown(metric)}` is not keyed, so it has no keys: leave its `key` empty"
            )
        for name, (index, _) in given.items():
            raise RowProblem(
                index, f"`{shown(metric)}` is not keyed: leave its `{shown(name)}` empty"
            )
        return None
    dimensions = metric_dimensions(shapes).get(metric, ())
    for name, (index, _) in given.items():
        if name not in dimensions:
            raise RowProblem(
                index,
                f"`{shown(metric)}` is keyed by `{', '.join(dimensions)}`, not by "
                f"`{shown(name)}`: leave its `{shown(name)}` empty",
            )
    if len(dimensions) > 1:
        return _pair(keys, value, metric, dimensions, key, given)
    by_column = next(iter(given.items()), None)
    if by_column is None:
        if key is None:
            column = next((name for name, _ in keys.dimensions if name in dimensions), "key")
            raise RowProblem(
                value, f"`{shown(metric)}` is keyed: give the key in the `{column}` column"
            )
        return key
    if key is not None:
        raise RowProblem(
            by_column[1][0],
            f"`{shown(metric)}`'s key is given twice, in `key` and in `{shown(by_column[0])}`: "
            "give it once",
        )
    return by_column[1][1]


def _pair(
    keys: KeyColumns,
    value: int,
    metric: str,
    dimensions: tuple[str, ...],
    key: str | None,
    given: dict[str, tuple[int, str]],
) -> str:
    """The key `HCM1 / facebook` of a row of a metric by two dimensions, as the JSON nested
    form gives it."""
    keyed_by = ", ".join(dimensions)
    if key is not None:
        assert keys.key is not None
        raise RowProblem(
            keys.key,
            f"`{shown(metric)}` is keyed by `{keyed_by}`: give its keys in a column per "
            "dimension and leave its `key` empty",
        )
    columns = dict(keys.dimensions)
    parts: list[str] = []
    for dimension in dimensions:
        if dimension not in given:
            column = columns.get(dimension, value)
            lacking = "" if dimension in columns else f" (the header has no `{dimension}` column)"
            raise RowProblem(
                column,
                f"`{shown(metric)}` is keyed by `{keyed_by}`: "
                f"the row gives no `{dimension}`{lacking}",
            )
        index, text = given[dimension]
        if KEY_SEPARATOR in text:
            raise RowProblem(
                index,
                f"the key `{shown(text)}` holds `{KEY_SEPARATOR.strip()}` between spaces, which "
                "joins the keys of two dimensions",
            )
        parts.append(text)
    return KEY_SEPARATOR.join(parts)


def _header_place(file: Place, line: int, name: str) -> Place:
    return _line_place(file, line).at(f"column `{shown(name)}`")


@attrs.define
class _LongCsv:
    """A long CSV table's rows merged by period, each checked as it comes."""

    file: Place
    header: LongHeader
    names: list[str]
    shapes: MetricShapes
    numbers: TextNumbers
    metrics: dict[Period, dict[str, MetricValue]] = attrs.field(factory=dict)
    undeclared: dict[Period, dict[str, None]] = attrs.field(factory=dict)
    lines_at: dict[tuple[Period, str, str | None], int] = attrs.field(factory=dict)
    periods: dict[str, Period] = attrs.field(factory=dict)

    def read(
        self, rows: Iterator[tuple[int, list[str]]], width: int, period: int
    ) -> list[Snapshot]:
        for line, row in rows:
            if len(row) != width:
                raise self.file.error(
                    f"line {line} has {len(row)} cells, where the header has {width}"
                )
            self.read_row(line, row, period)
        return self.snapshots()

    def place(self, line: int, column: int) -> Place:
        return _header_place(self.file, line, self.names[column])

    def read_row(self, line: int, row: list[str], period_index: int) -> None:
        period_text = row[period_index].strip()
        if not period_text:
            raise _line_place(self.file, line).error("the period is empty")
        period = self.periods.get(period_text)
        if period is None:
            period = read_period(period_text, lambda: _line_place(self.file, line))
            self.periods[period_text] = period
        self.undeclared.setdefault(period, {})
        metric = nfc(row[self.header.metric].strip())
        if not metric:
            raise self.place(line, self.header.metric).error("the metric is empty")
        if metric not in self.shapes:
            self.undeclared[period][metric] = None
            return
        cell = row[self.header.value].strip()
        if not cell:
            return  # an empty value is absent, as null is in JSON
        try:
            key = row_key(
                self.header.keys,
                self.header.value,
                metric,
                self.shapes,
                lambda i: nfc(row[i].strip()) or None,
            )
            value = _cell_number(cell, self.numbers)
        except RowProblem as problem:
            raise self.place(line, problem.column).error(str(problem)) from None
        except ValueProblem as problem:
            raise self.place(line, self.header.value).error(str(problem)) from None
        self.add(line, period, metric, key, value)

    def add(self, line: int, period: Period, metric: str, key: str | None, value: Scalar) -> None:
        earlier = self.lines_at.setdefault((period, metric, key), line)
        if earlier != line:
            what = f"`{shown(metric)}`" + (f" at key `{shown(key)}`" if key is not None else "")
            raise _line_place(self.file, line).error(
                f"{what} for {period_label(period)} is given twice (also at line {earlier})"
            )
        put_value(self.metrics.setdefault(period, {}), metric, key, value)

    def snapshots(self) -> list[Snapshot]:
        periods = sorted(self.undeclared, key=lambda period: period.start)
        return [
            Snapshot(
                period,
                self.metrics.get(period, {}),
                self.file.origin,
                tuple(self.undeclared[period]),
            )
            for period in periods
        ]


def put_value(metrics: dict[str, MetricValue], metric: str, key: str | None, value: Scalar) -> None:
    """`value` into a snapshot's metrics, at `key` of a keyed metric."""
    if key is None:
        metrics[metric] = value
    else:
        keyed = metrics.setdefault(metric, {})
        assert isinstance(keyed, dict)
        keyed[key] = value
