"""Snapshot files read as CSV: a header row naming `period` and the metrics (`metric.KEY` for
each key of a keyed one), then one row per period, each cell read as JSON would read it."""

from __future__ import annotations

import csv
import io
import re

import attrs

from planrules.eval.snapshot import (
    MetricShapes,
    Place,
    Scalar,
    Snapshot,
    check_distinct_periods,
    nfc,
    shown,
    undeclared_names,
)
from planrules.eval.snapshot_data import read_period
from planrules.eval.snapshot_numbers import (
    SHORT_INTEGER,
    ValueProblem,
    checked_int,
    decimal_from_text,
    exact_number,
)

# JSON's number grammar, so that a CSV cell reads exactly as the same text would in JSON.
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_JSON_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")


@attrs.frozen
class _Column:
    index: int
    name: str  # the header, NFC-normalised
    metric: str
    key: str | None  # None for a column of a whole metric


def snapshots_from_csv(text: str, file: Place, shapes: MetricShapes) -> list[Snapshot]:
    rows = _csv_rows(text, file)
    if not rows:
        raise file.error("has no header row")
    header_line, header = rows[0]
    names = [nfc(cell.strip()) for cell in header]
    period_index = _period_column(names, file.at(f"line {header_line}"))
    columns = _declared_columns(names, shapes, file.at(f"line {header_line}"))
    undeclared = undeclared_names((name.partition(".")[0] for name in names), shapes)
    snapshots: list[Snapshot] = []
    places: list[str] = []
    for line, row in rows[1:]:
        if len(row) != len(header):
            raise file.error(
                f"line {line} has {len(row)} cells, where the header has {len(header)}"
            )
        places.append(f"line {line}")
        line_place = file.at(places[-1])
        snapshots.append(_csv_snapshot(row, period_index, columns, line_place, shapes, undeclared))
    check_distinct_periods(snapshots, places, file)
    return snapshots


def _csv_rows(text: str, file: Place) -> list[tuple[int, list[str]]]:
    """The rows with any content, each with the line it ends on."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            # Blank lines, and rows of empty cells as spreadsheets append, hold nothing.
            if any(cell.strip() for cell in row):
                rows.append((reader.line_num, row))
    except csv.Error as problem:
        raise file.error(f"line {reader.line_num} is not valid CSV ({problem})") from None
    return rows


def _period_column(names: list[str], place: Place) -> int:
    count = names.count("period")
    if count != 1:
        raise place.error(
            "the header has no `period` column" if count == 0 else "`period` is given twice"
        )
    return names.index("period")


def _declared_columns(names: list[str], shapes: MetricShapes, place: Place) -> list[_Column]:
    columns: list[_Column] = []
    seen: set[str] = set()
    for index, name in enumerate(names):
        metric, dot, key = name.partition(".")
        if name == "period" or metric not in shapes:
            continue
        if name in seen:
            raise place.error(f"column `{shown(name)}` is given twice")
        seen.add(name)
        columns.append(_Column(index, name, metric, key if dot else None))
    return columns


def _csv_snapshot(
    row: list[str],
    period_index: int,
    columns: list[_Column],
    line: Place,
    shapes: MetricShapes,
    undeclared: tuple[str, ...],
) -> Snapshot:
    period_text = row[period_index].strip()
    if not period_text:
        raise line.error("the period is empty")
    period = read_period(period_text, line)
    place = line.at(f"period {period_text}")
    scalars: dict[str, Scalar] = {}
    keyed: dict[str, dict[str, Scalar]] = {}
    for column in columns:
        cell = row[column.index].strip()
        if not cell:
            continue
        cell_place = place.at(f"column `{shown(column.name)}`")
        _check_column_shape(column, shapes, cell_place)
        try:
            number = _cell_number(cell)
        except ValueProblem as problem:
            raise cell_place.error(str(problem)) from None
        if column.key is None:
            scalars[column.metric] = number
        else:
            keyed.setdefault(column.metric, {})[column.key] = number
    return Snapshot(period, {**scalars, **keyed}, line.origin, undeclared)


def _check_column_shape(column: _Column, shapes: MetricShapes, place: Place) -> None:
    if shapes[column.metric] and column.key is None:
        raise place.error(
            f"`{shown(column.metric)}` is keyed: give each key a column, "
            f"such as `{shown(column.metric)}.KEY`"
        )
    if not shapes[column.metric] and column.key is not None:
        raise place.error(f"`{shown(column.metric)}` is not keyed, so it has no keys")


def _cell_number(cell: str) -> Scalar:
    if len(cell) <= SHORT_INTEGER and _JSON_INTEGER.fullmatch(cell):
        return checked_int(int(cell))
    if _JSON_NUMBER.fullmatch(cell):
        return exact_number(decimal_from_text(cell))
    raise ValueProblem(
        f"`{shown(cell)}` is text where a number is expected "
        "(write numbers as in JSON, such as 1500, -2.5 or 1.5e6)"
    )
