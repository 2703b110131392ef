"""Metric snapshots read into an ordered, validated history.

Snapshots come from JSON files, CSV files, or Python data in the JSON form. Every number is
read from its text as an exact value (never through a float) and checked against the limits
of the contract; integral values become `int`, which keeps the evaluator's arithmetic fast,
and the rest `Decimal`. Only declared metrics are kept. Any problem is a `SnapshotError` that
names the file, then the period, metric and key where they are known, and never a traceback.
"""

from __future__ import annotations

import csv
import decimal
import io
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence, ValuesView
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeAlias, cast

import attrs

from planrules.lang.diagnostics import InputError
from planrules.lang.periods import (
    CADENCES,
    Period,
    PeriodError,
    parse_period,
    period_label,
    period_sort_key,
)

Scalar: TypeAlias = int | Decimal
MetricValue: TypeAlias = Scalar | dict[str, Scalar]
MetricShapes: TypeAlias = Mapping[str, bool]  # declared metric name -> True if keyed


class Shapes(dict[str, bool]):
    """Declared metric names, True where keyed, with the unkeyed ones as a set: one subset
    test then tells that a snapshot gives only declared unkeyed metrics."""

    def __init__(self, shapes: Mapping[str, bool]) -> None:
        super().__init__(shapes)
        self.unkeyed = frozenset(name for name, keyed in shapes.items() if not keyed)


DATA_ORIGIN = "<snapshots>"  # the origin of snapshots handed over as Python data

LARGEST = 10**24
_LARGEST_DECIMAL = Decimal(LARGEST)
MOST_DIGITS = 34
# Not in the contract: a value as fine as 1e-999999999 would hang exact arithmetic (its
# denominator has a billion digits), so fractions stop at as many places as digits.
MOST_PLACES = 34
_POWERS_OF_TEN = [10**n for n in range(MOST_DIGITS + MOST_PLACES)]
_LIMITS = "at most 10^24 and 34 significant digits"
# Wide enough that `normalize` never rounds: it only strips trailing zeros; Inexact would
# say otherwise.
_UNROUNDED = decimal.Context(
    prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN, traps=[decimal.Inexact]
)

_EXAMPLES = {
    "daily": "2026-07-15",
    "weekly": "2026-W33",
    "monthly": "2026-07",
    "quarterly": "2026-Q3",
}
_KINDS = {"daily": "a day", "weekly": "an ISO week", "monthly": "a month", "quarterly": "a quarter"}
_SNAPSHOT_FIELDS = ("period", "metrics")
_SHOWN_LENGTH = 40

# JSON's number grammar, so that a CSV cell reads exactly as the same text would in JSON.
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_JSON_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")
# Integers up to this many characters are read with int(), which is fast; longer ones go
# through Decimal, which has no limit on digits (int() refuses strings over 4300 digits).
_SHORT_INTEGER = 24


@attrs.frozen
class Snapshot:
    """The metrics of one period, as one file (or one piece of data) gives them."""

    period: Period
    metrics: dict[str, MetricValue]  # declared metrics only; absent ones and null keys left out
    origin: str  # the file it came from, or DATA_ORIGIN


@attrs.frozen
class History:
    """Snapshots ordered by period, at most one per period, all of one cadence."""

    snapshots: tuple[Snapshot, ...]
    cadence: str | None  # None when there are no snapshots


class SnapshotError(InputError):
    """Snapshots that cannot be read: the file, then the period, metric and key at fault."""


class _ValueProblem(Exception):
    """What is wrong with one value; the caller adds where it is."""


@attrs.frozen
class _Place:
    """Where a problem is: the file, then parts such as `period 2026-08` and `metric `x``."""

    origin: str
    parts: tuple[str, ...] = ()

    def at(self, part: str) -> _Place:
        return _Place(self.origin, (*self.parts, part))

    def error(self, problem: str) -> SnapshotError:
        where = ", ".join(self.parts)
        return SnapshotError(self.origin, f"{where}: {problem}" if where else problem)


@attrs.frozen
class _Rejected:
    """A JSON token that reads but is no exact number (NaN, 1e99999999999999999999999).

    It stands in for the value until validation, so that the error can name the period and
    the metric, which the JSON parser does not know.
    """

    text: str  # the token as written, or cut short
    problem: str


class _DuplicateKeys(dict[str, Any]):
    """A JSON object that gave some keys twice; validation reports them where they matter."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        seen: set[str] = set()
        duplicates: set[str] = set()
        for key, _ in pairs:
            (duplicates if key in seen else seen).add(key)
        self.duplicates = frozenset(duplicates)


# ---- public API -------------------------------------------------------------------------


def snapshots_from_data(data: object, origin: str, shapes: MetricShapes) -> list[Snapshot]:
    """Snapshots from data in the JSON form: one snapshot, a list, or {"snapshots": [...]}.

    Numbers may be int, Decimal or float (read as the decimal its repr shows). The snapshots
    come back in the order given; a period given twice is an error.
    """
    plain = plain_snapshot(data, shapes)
    if plain is not None:
        return [Snapshot(*plain, origin)]
    place = _Place(origin)
    snapshots: list[Snapshot] = []
    places: list[str] = []
    for number, item in enumerate(_snapshot_objects(data, place), 1):
        places.append(f"snapshot {number}")
        snapshots.append(_snapshot_from_object(item, place, places[-1], shapes))
    _check_distinct_periods(snapshots, places, place)
    return snapshots


def plain_snapshot(
    data: object, shapes: MetricShapes, cadence: str | None = None
) -> tuple[Period, dict[str, MetricValue]] | None:
    """The period and metrics of one plain snapshot (whole numbers under ASCII names, in the
    ruleset's cadence), as a service sends per request, read without the bookkeeping that
    error messages need; None for anything else, which the careful path then reads."""
    if type(data) is not dict or len(data) != 2:
        return None
    period, metrics = data.get("period"), data.get("metrics")
    if type(period) is not str or type(metrics) is not dict:
        return None
    try:
        parsed = parse_period(period)
    except PeriodError:
        return None
    if cadence is not None and parsed.cadence != cadence:
        return None
    values = _metrics_fast(metrics, shapes)
    return None if values is None else (parsed, values)


def read_snapshot_file(path: str, shapes: MetricShapes) -> list[Snapshot]:
    """Snapshots from a .json or .csv file; a file named otherwise is tried as JSON."""
    name = str(path)
    text = _read_text(name)
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        return _snapshots_from_csv(text, _Place(name), shapes)
    rejected: list[str] = []
    data = _parse_json(text, name, rejected, named_json=suffix == ".json")
    snapshots = snapshots_from_data(data, name, shapes)
    # A NaN in a declared metric was reported above with its place; this one is elsewhere,
    # but a file with one is still not JSON.
    if rejected:
        raise SnapshotError(name, rejected[0])
    return snapshots


def merge_snapshots(groups: Iterable[Sequence[Snapshot]], cadence: str | None = None) -> History:
    """One history from several files' snapshots, merged by period and ordered by date.

    A metric given twice for one period is an error, even where the keys of the two differ.
    With `cadence` (the ruleset's), every period must be of that cadence's form; without it,
    all periods must share the form of the first.
    """
    if cadence is not None and cadence not in CADENCES:
        raise ValueError(f"`{cadence}` is not a cadence (one of {', '.join(CADENCES)})")
    groups = list(groups)
    if len(groups) == 1 and len({s.period for s in groups[0]}) == len(groups[0]):
        return _single_group(groups[0], cadence)
    merged: dict[Period, _MergedPeriod] = {}
    first: Snapshot | None = None
    for group in groups:
        for snapshot in group:
            first = first or snapshot
            _check_form(snapshot, first, cadence)
            if snapshot.period not in merged:
                merged[snapshot.period] = _MergedPeriod(snapshot.period)
            merged[snapshot.period].add(snapshot)
    periods = sorted(merged.values(), key=lambda m: period_sort_key(m.period))
    snapshots = tuple(m.snapshot() for m in periods)
    return History(snapshots, snapshots[0].period.cadence if snapshots else None)


def _single_group(group: Sequence[Snapshot], cadence: str | None) -> History:
    """Periods already distinct (as within one file): only forms and order are left."""
    for snapshot in group:
        _check_form(snapshot, group[0], cadence)
    ordered = tuple(sorted(group, key=lambda snapshot: period_sort_key(snapshot.period)))
    return History(ordered, ordered[0].period.cadence if ordered else None)


def read_history(paths: Sequence[str], shapes: MetricShapes, cadence: str | None = None) -> History:
    """Read every file and merge them into one history."""
    return merge_snapshots((read_snapshot_file(path, shapes) for path in paths), cadence)


# ---- snapshot objects -------------------------------------------------------------------


def _snapshot_objects(data: object, place: _Place) -> list[object]:
    if isinstance(data, Mapping):
        if "snapshots" in data and "period" not in data:
            return _wrapped_snapshots(data, place)
        return [data]
    if isinstance(data, list | tuple):
        return list(data)
    raise place.error(
        f"holds {_kind(data)}, where a snapshot, a list of snapshots "
        'or {"snapshots": [...]} is expected'
    )


def _wrapped_snapshots(data: Mapping[Any, object], place: _Place) -> list[object]:
    _reject_duplicate_fields(data, place)
    for field in data:
        if field != "snapshots":
            raise place.error(f"unknown field {_quoted(field)} beside `snapshots`")
    inner = data["snapshots"]
    if not isinstance(inner, list | tuple):
        raise place.error(f"`snapshots` holds {_kind(inner)}, where a list is expected")
    return list(inner)


def _snapshot_from_object(
    item: object, file: _Place, number: str, shapes: MetricShapes
) -> Snapshot:
    place = file.at(number)
    if not isinstance(item, Mapping):
        raise place.error(f"holds {_kind(item)}, where a snapshot object is expected")
    _reject_duplicate_fields(item, place)
    if "period" not in item:
        raise place.error('has no `period` (a snapshot is {"period": ..., "metrics": {...}})')
    period = _period(item["period"], place)
    # From here on the period names the snapshot better than its position does.
    place = file.at(f"period {item['period']}")
    for field in item:
        if field not in _SNAPSHOT_FIELDS:
            raise place.error(
                f"unknown field {_quoted(field)} (a snapshot has only `period` and `metrics`)"
            )
    if "metrics" not in item:
        raise place.error("has no `metrics`")
    return Snapshot(period, _metrics(item["metrics"], place, shapes), file.origin)


def _reject_duplicate_fields(item: Mapping[Any, object], place: _Place) -> None:
    if isinstance(item, _DuplicateKeys) and item.duplicates:
        raise place.error(f"field {_quoted(min(item.duplicates))} is given twice")


def _period(text: object, place: _Place) -> Period:
    if not isinstance(text, str):
        raise place.error(f"the period is {_kind(text)}, where text such as 2026-07 is expected")
    try:
        return parse_period(text)
    except PeriodError as problem:
        raise place.error(str(problem)) from None


def _metrics(raw: object, place: _Place, shapes: MetricShapes) -> dict[str, MetricValue]:
    if type(raw) is dict:
        fast = _metrics_fast(raw, shapes)
        if fast is not None:
            return fast
    if not isinstance(raw, Mapping):
        raise place.error(f"`metrics` holds {_kind(raw)}, where an object is expected")
    duplicates = raw.duplicates if isinstance(raw, _DuplicateKeys) else frozenset()
    metrics: dict[str, MetricValue] = {}
    written_as: dict[str, str] = {}
    for written, value in raw.items():
        # Names that cannot be declared (not text, or undeclared) are ignored unchecked.
        if not isinstance(written, str):
            continue
        name = _nfc(written)
        if name not in shapes:
            continue
        metric_place = place.at(f"metric `{_shown(name)}`")
        if written in duplicates:
            raise metric_place.error("is given twice")
        if name in written_as:
            raise metric_place.error(_nfc_twins("metric", written_as[name], written))
        written_as[name] = written
        if value is not None:
            metrics[name] = (
                _keyed_value(value, metric_place) if shapes[name] else _scalar(value, metric_place)
            )
    return metrics


def _metrics_fast(raw: dict[Any, object], shapes: MetricShapes) -> dict[str, MetricValue] | None:
    """The common case (ASCII names, whole numbers in range) without building any place
    for error messages; None where anything needs the careful path."""
    unkeyed = shapes.unkeyed if isinstance(shapes, Shapes) else None
    if unkeyed is not None and raw.keys() <= unkeyed:
        return _scalars_fast(raw)
    metrics: dict[str, MetricValue] = {}
    for name, value in raw.items():
        if type(name) is not str or not name.isascii():
            return None
        keyed = shapes.get(name)
        if keyed is None or value is None:
            continue
        if keyed:
            values = _keyed_fast(value) if type(value) is dict else None
            if values is None:
                return None
            metrics[name] = values
        elif type(value) is int and -LARGEST <= value <= LARGEST:
            metrics[name] = value
        else:
            return None
    return metrics


def _scalars_fast(raw: dict[Any, Any]) -> dict[str, MetricValue] | None:
    """Declared scalar metrics only, all whole numbers in range, each test one pass in C; the
    names are declared ones, so already NFC."""
    if not raw:
        return {}
    numbers: Any = raw.values()
    if set(map(type, numbers)) != {int} or min(numbers) < -LARGEST or max(numbers) > LARGEST:
        return None
    metrics: dict[str, MetricValue] = dict(raw)
    return metrics


def _scalar(value: object, place: _Place) -> Scalar:
    if isinstance(value, Mapping):
        raise place.error("a map of keys where a single number is expected (it is not keyed)")
    try:
        return _exact_number(value)
    except _ValueProblem as problem:
        raise place.error(str(problem)) from None


def _keyed_value(value: object, place: _Place) -> dict[str, Scalar]:
    if not isinstance(value, Mapping):
        raise place.error(
            f"{_kind(value)} where a map of keys to numbers is expected (the metric is keyed)"
        )
    fast = _keyed_fast(value)
    return fast if fast is not None else _keyed_checked(value, place)


def _keyed_fast(value: Mapping[Any, object]) -> dict[str, Scalar] | None:
    """The common case, all ints in range under plain keys, checked in C-speed passes.

    Returns None where anything needs a closer look; `_keyed_checked` then finds it.
    """
    if type(value) is not dict or not value:
        return None
    # Each test below is one pass in C over the values or the keys: no Python per item.
    if set(map(type, value.values())) != {int}:
        return None
    numbers = cast("ValuesView[int]", value.values())
    if min(numbers) < -LARGEST or max(numbers) > LARGEST:
        return None
    try:
        if "".join(value).isascii():
            return dict(value)  # ASCII is already NFC
    except TypeError:  # a key that is not text
        return None
    normalised = {_nfc(key): number for key, number in value.items()}
    return normalised if len(normalised) == len(value) else None


def _keyed_checked(value: Mapping[Any, object], place: _Place) -> dict[str, Scalar]:
    """Every key and value checked one by one; the place is built only for an error."""
    duplicates = value.duplicates if isinstance(value, _DuplicateKeys) else frozenset()
    result: dict[str, Scalar] = {}
    written_as: dict[str, str] = {}
    for written, number in value.items():
        if not isinstance(written, str):
            raise place.error(f"the key {written!r} is not text")
        key = written if written.isascii() else _nfc(written)
        if written in duplicates:
            raise _key_place(place, key).error("is given twice")
        if key in written_as:
            raise _key_place(place, key).error(_nfc_twins("key", written_as[key], written))
        written_as[key] = written
        if number is None:
            continue
        if type(number) is int and -LARGEST <= number <= LARGEST:
            result[key] = number  # most values, even on this path
            continue
        try:
            result[key] = _exact_number(number)
        except _ValueProblem as problem:
            raise _key_place(place, key).error(str(problem)) from None
    return result


def _key_place(metric: _Place, key: str) -> _Place:
    return metric.at(f"key `{_shown(key)}`")


def _nfc_twins(what: str, first: str, second: str) -> str:
    return (
        f"is given twice, as {_quoted(first)} and {_quoted(second)}, "
        f"which are one {what} once NFC-normalised"
    )


def _check_distinct_periods(
    snapshots: Sequence[Snapshot], places: Sequence[str], file: _Place
) -> None:
    first_place: dict[Period, str] = {}
    for snapshot, place in zip(snapshots, places, strict=True):
        seen = first_place.setdefault(snapshot.period, place)
        if seen != place:
            raise file.error(
                f"period {period_label(snapshot.period)} is given twice ({seen} and {place})"
            )


# ---- numbers ----------------------------------------------------------------------------


def _exact_number(value: object) -> Scalar:
    """The exact value of a number from JSON or Python data; raises _ValueProblem."""
    if type(value) is int:
        return _checked_int(value)
    if type(value) is Decimal:
        return _from_decimal(value)
    if isinstance(value, bool):  # bool is an int to Python, never a number to a plan
        raise _ValueProblem(f"{_kind(value)} is not a number")
    if isinstance(value, int):
        return _checked_int(int(value))
    if isinstance(value, Decimal):
        return _from_decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _ValueProblem(f"{value!r} is not a number")
        # repr is the shortest text that reads back as this float: what the writer meant.
        return _from_decimal(Decimal(repr(value)))
    if isinstance(value, _Rejected):
        raise _ValueProblem(value.problem)
    if isinstance(value, str):
        raise _ValueProblem(f"{_quoted(value)} is text where a number is expected")
    if isinstance(value, Mapping):
        raise _ValueProblem("a map where a number is expected")
    raise _ValueProblem(f"{_kind(value)} where a number is expected")


def _checked_int(value: int) -> int:
    if -LARGEST <= value <= LARGEST:
        return value
    raise _ValueProblem(f"{_int_text(value)} is too large ({_LIMITS})")


def _from_decimal(number: Decimal) -> Scalar:
    if not number.is_finite():
        raise _ValueProblem(f"{number} is not a number")
    if number.is_zero():
        return 0
    # The exponent first, so that nothing below ever works on a vast or minute number; and
    # only a number of 10^24's magnitude needs comparing, which is slower.
    magnitude = number.adjusted()
    if magnitude > 24 or (magnitude == 24 and not -_LARGEST_DECIMAL <= number <= _LARGEST_DECIMAL):
        raise _ValueProblem(f"{_decimal_text(number)} is too large ({_LIMITS})")
    if magnitude < -MOST_PLACES:
        raise _ValueProblem(_too_fine(number))
    # In lowest terms the denominator divides 10^n exactly when the value has at most n
    # digits after the point; a ratio is much faster to get than the digits themselves.
    numerator, denominator = number.as_integer_ratio()
    if _POWERS_OF_TEN[MOST_DIGITS - 1 - magnitude] % denominator:
        raise _ValueProblem(
            f"{_decimal_text(number)} has more than {MOST_DIGITS} significant digits ({_LIMITS})"
        )
    if _POWERS_OF_TEN[MOST_PLACES] % denominator:
        raise _ValueProblem(_too_fine(number))
    return numerator if denominator == 1 else number.normalize(_UNROUNDED)


def _too_fine(number: Decimal) -> str:
    return f"{_decimal_text(number)} has more than {MOST_PLACES} digits after the point"


def _decimal_from_text(text: str) -> Decimal | _Rejected:
    try:
        return Decimal(text)
    except decimal.InvalidOperation:  # an exponent beyond even Decimal's range
        return _Rejected(_shown(text), f"{_shown(text)} is out of range ({_LIMITS})")


def _int_text(value: int) -> str:
    if value.bit_length() > 1000:  # str() of a huge int is slow, or refused past 4300 digits
        return f"a number of about {int(value.bit_length() * math.log10(2))} digits"
    return _shown(str(value))


def _decimal_text(number: Decimal) -> str:
    """As JSON would write it: 1e400, not Decimal's 1E+400."""
    return _shown(str(number).replace("E+", "e").replace("E", "e"))


# ---- JSON -------------------------------------------------------------------------------


def _parse_json(text: str, name: str, rejected: list[str], *, named_json: bool) -> object:
    def reject_constant(constant: str) -> _Rejected:
        problem = f"{constant} is not a number (JSON has none; write null for a missing value)"
        rejected.append(problem)
        return _Rejected(constant, problem)

    def parse(parse_int: Any) -> object:
        rejected.clear()
        return json.loads(
            text,
            object_pairs_hook=_object_from_pairs,
            parse_float=_decimal_from_text,
            parse_int=parse_int,
            parse_constant=reject_constant,
        )

    try:
        try:
            return parse(int)  # `int` itself keeps the parser's C fast path
        except json.JSONDecodeError:
            raise
        except ValueError:  # an integer over 4300 digits, which int() refuses
            return parse(_integer_from_text)
    except json.JSONDecodeError as problem:
        detail = f"line {problem.lineno}, column {problem.colno}: {problem.msg}"
        if named_json:
            raise SnapshotError(name, f"is not valid JSON ({detail})") from None
        raise SnapshotError(
            name, f"is neither JSON nor CSV (read as JSON, {detail}); name a CSV file *.csv"
        ) from None
    except RecursionError:
        raise SnapshotError(name, "is nested too deeply to hold snapshots") from None


def _integer_from_text(text: str) -> int | Decimal | _Rejected:
    return int(text) if len(text) <= _SHORT_INTEGER else _decimal_from_text(text)


def _object_from_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    return result if len(result) == len(pairs) else _DuplicateKeys(pairs)


# ---- CSV --------------------------------------------------------------------------------


@attrs.frozen
class _Column:
    index: int
    name: str  # the header, NFC-normalised
    metric: str
    key: str | None  # None for a column of a whole metric


def _snapshots_from_csv(text: str, file: _Place, shapes: MetricShapes) -> list[Snapshot]:
    rows = _csv_rows(text, file)
    if not rows:
        raise file.error("has no header row")
    header_line, header = rows[0]
    names = [_nfc(cell.strip()) for cell in header]
    period_index = _period_column(names, file.at(f"line {header_line}"))
    columns = _declared_columns(names, shapes, file.at(f"line {header_line}"))
    snapshots: list[Snapshot] = []
    places: list[str] = []
    for line, row in rows[1:]:
        if len(row) != len(header):
            raise file.error(
                f"line {line} has {len(row)} cells, where the header has {len(header)}"
            )
        places.append(f"line {line}")
        snapshots.append(_csv_snapshot(row, period_index, columns, file.at(places[-1]), shapes))
    _check_distinct_periods(snapshots, places, file)
    return snapshots


def _csv_rows(text: str, file: _Place) -> list[tuple[int, list[str]]]:
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


def _period_column(names: list[str], place: _Place) -> int:
    count = names.count("period")
    if count != 1:
        raise place.error(
            "the header has no `period` column" if count == 0 else "`period` is given twice"
        )
    return names.index("period")


def _declared_columns(names: list[str], shapes: MetricShapes, place: _Place) -> list[_Column]:
    columns: list[_Column] = []
    seen: set[str] = set()
    for index, name in enumerate(names):
        metric, dot, key = name.partition(".")
        if name == "period" or metric not in shapes:
            continue
        if name in seen:
            raise place.error(f"column `{_shown(name)}` is given twice")
        seen.add(name)
        columns.append(_Column(index, name, metric, key if dot else None))
    return columns


def _csv_snapshot(
    row: list[str], period_index: int, columns: list[_Column], line: _Place, shapes: MetricShapes
) -> Snapshot:
    period_text = row[period_index].strip()
    if not period_text:
        raise line.error("the period is empty")
    period = _period(period_text, line)
    place = line.at(f"period {period_text}")
    scalars: dict[str, Scalar] = {}
    keyed: dict[str, dict[str, Scalar]] = {}
    for column in columns:
        cell = row[column.index].strip()
        if not cell:
            continue
        cell_place = place.at(f"column `{_shown(column.name)}`")
        _check_column_shape(column, shapes, cell_place)
        try:
            number = _cell_number(cell)
        except _ValueProblem as problem:
            raise cell_place.error(str(problem)) from None
        if column.key is None:
            scalars[column.metric] = number
        else:
            keyed.setdefault(column.metric, {})[column.key] = number
    return Snapshot(period, {**scalars, **keyed}, line.origin)


def _check_column_shape(column: _Column, shapes: MetricShapes, place: _Place) -> None:
    if shapes[column.metric] and column.key is None:
        raise place.error(
            f"`{_shown(column.metric)}` is keyed: give each key a column, "
            f"such as `{_shown(column.metric)}.KEY`"
        )
    if not shapes[column.metric] and column.key is not None:
        raise place.error(f"`{_shown(column.metric)}` is not keyed, so it has no keys")


def _cell_number(cell: str) -> Scalar:
    if len(cell) <= _SHORT_INTEGER and _JSON_INTEGER.fullmatch(cell):
        return _checked_int(int(cell))
    if _JSON_NUMBER.fullmatch(cell):
        return _exact_number(_decimal_from_text(cell))
    raise _ValueProblem(
        f"`{_shown(cell)}` is text where a number is expected "
        "(write numbers as in JSON, such as 1500, -2.5 or 1.5e6)"
    )


# ---- files and words --------------------------------------------------------------------


def _read_text(name: str) -> str:
    file = Path(name)
    try:
        if file.is_dir():
            raise SnapshotError(name, "is a folder, not a snapshot file")
        data = file.read_bytes()
    except FileNotFoundError:
        raise SnapshotError(name, "no such file") from None
    except OSError as problem:
        raise SnapshotError(name, f"cannot be read ({problem.strerror or problem})") from None
    except ValueError as problem:  # a NUL in the path
        raise SnapshotError(name, f"cannot be read ({problem})") from None
    if b"\x00" in data:
        raise SnapshotError(name, "is a binary file, not JSON or CSV")
    try:
        text = data.decode("utf-8-sig")  # -sig: spreadsheets often start UTF-8 with a BOM
    except UnicodeDecodeError as problem:
        raise SnapshotError(
            name, f"is not UTF-8 text (byte {problem.start + 1} cannot be decoded)"
        ) from None
    if not text.strip():
        raise SnapshotError(name, "is empty")
    return text


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _shown(text: str) -> str:
    """Text cut short for a message, so that one huge value cannot flood it."""
    return text if len(text) <= _SHOWN_LENGTH else text[: _SHOWN_LENGTH - 1] + "…"


def _quoted(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return _shown(json.dumps(text, ensure_ascii=False))


def _kind(value: object) -> str:
    """What a value is, in JSON's words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, _Rejected):
        return value.text
    return f"a Python {type(value).__name__}"


# ---- merging ----------------------------------------------------------------------------


@attrs.define
class _MergedPeriod:
    """The metrics of one period gathered from every snapshot of it, with where each was."""

    period: Period
    metrics: dict[str, MetricValue] = attrs.Factory(dict)
    sources: dict[str, str] = attrs.Factory(dict)  # metric -> origin
    origins: list[str] = attrs.Factory(list)

    def add(self, snapshot: Snapshot) -> None:
        for name, value in snapshot.metrics.items():
            if name in self.sources:
                raise SnapshotError(snapshot.origin, self._conflict(name, snapshot.origin))
            self.metrics[name] = value
            self.sources[name] = snapshot.origin
        if snapshot.origin not in self.origins:
            self.origins.append(snapshot.origin)

    def _conflict(self, name: str, origin: str) -> str:
        earlier = self.sources[name]
        where = f"twice in {earlier}" if earlier == origin else f"in both {earlier} and {origin}"
        return f"period {period_label(self.period)}, metric `{_shown(name)}`: given {where}"

    def snapshot(self) -> Snapshot:
        # A period given in several files names them all.
        return Snapshot(self.period, self.metrics, ", ".join(self.origins))


def _check_form(snapshot: Snapshot, first: Snapshot, cadence: str | None) -> None:
    period = snapshot.period
    if cadence is not None and period.cadence != cadence:
        label = period_label(period)
        raise SnapshotError(
            snapshot.origin,
            f"period {label} is {_KINDS[period.cadence]}, but the ruleset is {cadence}: "
            f"write its periods as {_EXAMPLES[cadence]} ({_KINDS[cadence]})",
        )
    if period.cadence != first.period.cadence:
        raise SnapshotError(
            snapshot.origin,
            f"period {period_label(period)} is {_KINDS[period.cadence]}, but period "
            f"{period_label(first.period)} (in {first.origin}) is {_KINDS[first.period.cadence]}: "
            "all periods must have one form",
        )
