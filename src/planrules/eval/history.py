"""Metric snapshots read into an ordered, validated history.

Snapshots come from JSON files, CSV files, workbooks, or Python data in the JSON form. Every
number is read from its text as an exact value (never through a float) and checked against the
limits of the contract; integral values become `int`, which keeps the evaluator's arithmetic fast,
and the rest `Decimal`. Only declared metrics are kept. Any problem is a `SnapshotError` that
names the file, then the period, metric and key where they are known, and never a traceback.

This module reads files and data into snapshots and merges them by period; the snapshot
model, the numbers, and each form's reader are in the `snapshot*` modules beside it.
"""

from __future__ import annotations

import datetime
import itertools
import operator
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from planrules.eval.rollup import RollUp
from planrules.eval.snapshot import (
    MetricShapes,
    MetricValue,
    Place,
    Shapes,
    Snapshot,
    SnapshotError,
    check_distinct_periods,
    shown,
    undeclared_names,
)
from planrules.eval.snapshot_csv import snapshots_from_csv
from planrules.eval.snapshot_data import metrics_fast, snapshot_from_object, snapshot_objects
from planrules.eval.snapshot_json import parse_json
from planrules.eval.snapshot_locale import DEFAULT_LOCALE, TextNumbers
from planrules.eval.snapshot_workbook import (
    OLD_EXCEL,
    WORKBOOK_SUFFIXES,
    snapshots_from_workbook,
)
from planrules.lang.diagnostics import InputError
from planrules.lang.messages import Message
from planrules.lang.numbers import LARGEST
from planrules.lang.periods import (
    CADENCES,
    Period,
    PeriodError,
    parse_period,
    period_label,
)
from planrules.lang.workspace import SNAPSHOT_LIMIT, decoded_text, read_limited


@attrs.frozen
class History:
    """Snapshots ordered by period, at most one per period, all of one cadence."""

    snapshots: tuple[Snapshot, ...]
    cadence: str | None  # None when there are no snapshots


# ---- public API -------------------------------------------------------------------------


def snapshots_from_data(data: object, origin: str, shapes: MetricShapes) -> list[Snapshot]:
    """Snapshots from data in the JSON form: one snapshot, a list, or {"snapshots": [...]}.

    Numbers may be int, Decimal or float (read as the decimal its repr shows). The snapshots
    come back in the order given; a period given twice is an error.
    """
    plain = _plain(data, origin, shapes)
    if plain is not None:
        return [plain]
    place = Place(origin)
    # Each plain snapshot of a list by the short path too, the rest by the careful one.
    snapshots = [
        _plain(item, origin, shapes) or snapshot_from_object(item, place, number, shapes)
        for number, item in enumerate(snapshot_objects(data, place), 1)
    ]
    check_distinct_periods(snapshots, _snapshot_number, place)
    return snapshots


def _plain(data: object, origin: str, shapes: MetricShapes) -> Snapshot | None:
    """`data` as a snapshot where it is a plain one (see `plain_snapshot`), else None."""
    plain = plain_snapshot(data, shapes)
    if plain is None:
        return None
    assert isinstance(data, dict)  # a plain snapshot is a dict with its metrics
    return Snapshot(*plain, origin, undeclared_names(data["metrics"], shapes))


def _snapshot_number(index: int) -> str:
    return f"snapshot {index + 1}"


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
    values = metrics_fast(metrics, shapes)
    return None if values is None else (parsed, values)


def plain_history(
    data: object, shapes: MetricShapes, cadence: str | None
) -> tuple[tuple[Period, ...], list[dict[str, MetricValue]]] | None:
    """The periods and metrics of a list of plain snapshots (see `plain_snapshot`: whole
    numbers under declared names, plain keys) whose periods are distinct, of one cadence (the
    ruleset's, where it has one) and in order: what a service sends per request, read in a
    few passes in C over all of them. None for anything else, which the careful path reads
    (and where it finds a problem, reports it as it always has)."""
    if type(data) is not list or not data or not isinstance(shapes, Shapes):
        return None
    # Each test is one pass in C over all the snapshots, or over all their numbers.
    if set(map(type, data)) != {dict} or set(map(len, data)) != {2}:
        return None
    texts = list(map(_PERIOD, data))
    given: list[dict[str, Any]] = list(map(_METRICS, data))
    if set(map(type, texts)) != {str} or set(map(type, given)) != {dict}:
        return None
    try:
        periods = tuple(map(parse_period, texts))
    except PeriodError:
        return None
    starts = list(map(_START, periods))
    form = cadence or periods[0].cadence
    if set(map(_CADENCE, periods)) != {form} or not all(map(operator.lt, starts, starts[1:])):
        return None
    if not shapes.unkeyed.issuperset(itertools.chain.from_iterable(given)):
        if not shapes.keys() >= set(itertools.chain.from_iterable(given)):
            return None  # an undeclared name, which the careful path notes
        # Keyed metrics too: each snapshot's values as one plain snapshot's are read.
        read = [metrics_fast(metrics, shapes) for metrics in given]
        return None if any(metrics is None for metrics in read) else (periods, read)  # type: ignore[return-value]
    numbers: list[Any] = list(itertools.chain.from_iterable(map(dict.values, given)))
    if numbers and (
        set(map(type, numbers)) != {int} or min(numbers) < -LARGEST or max(numbers) > LARGEST
    ):
        return None
    return periods, list(map(dict, given))


_PERIOD = operator.methodcaller("get", "period")
_METRICS = operator.methodcaller("get", "metrics")
_START = operator.attrgetter("start")
_CADENCE = operator.attrgetter("cadence")


def read_snapshot_file(
    path: str,
    shapes: MetricShapes,
    limit: int = SNAPSHOT_LIMIT,
    numbers: TextNumbers | None = None,
    cadence: str | None = None,
) -> list[Snapshot]:
    """Snapshots from a .json, .csv, .xlsx or .ods file; a file named otherwise is tried as
    JSON. A file larger than `limit` bytes, or not a regular file, is refused before it is
    read. `numbers` says how text cells of CSV files and workbooks are read (the locale, the
    plan's currency), `cadence` which period a date in a workbook's period column names."""
    name = str(path)
    numbers = numbers or TextNumbers()
    suffix = Path(name).suffix.lower()
    if suffix == ".xls":
        raise SnapshotError(name, OLD_EXCEL)
    if suffix in WORKBOOK_SUFFIXES:
        workbook = _read_bytes(name, limit)
        return snapshots_from_workbook(workbook, name, shapes, numbers, cadence)
    text = _read_text(name, limit)
    if suffix == ".csv":
        return snapshots_from_csv(text, Place(name), shapes, numbers)
    rejected: list[str] = []
    data = parse_json(text, name, rejected, named_json=suffix == ".json")
    snapshots = snapshots_from_data(data, name, shapes)
    # A NaN in a declared metric was reported above with its place; this one is elsewhere,
    # but a file with one is still not JSON.
    if rejected:
        raise SnapshotError(name, rejected[0])
    return snapshots


def merge_snapshots(
    groups: Iterable[Sequence[Snapshot]],
    cadence: str | None = None,
    roll_up: RollUp | None = None,
) -> History:
    """One history from several files' snapshots, merged by period and ordered by date.

    A metric given twice for one period is an error, even where the keys of the two differ.
    With `cadence` (the ruleset's), every period must be of that cadence's form; without it,
    all periods must share the form of the first. With `roll_up`, snapshots of a finer
    cadence than the ruleset's are first rolled up into it (`planrules.eval.rollup`).
    """
    if cadence is not None and cadence not in CADENCES:
        raise ValueError(f"`{cadence}` is not a cadence (one of {', '.join(CADENCES)})")
    groups = list(groups) if roll_up is None else roll_up.groups(groups)
    if len(groups) == 1 and _distinct_periods(groups[0]):
        return _single_group(groups[0], cadence)
    # Where every period has the one form, none can be wrong: only otherwise is each looked
    # at, in order, so that the first problem of any kind is the one reported.
    uniform = _one_form([snapshot for group in groups for snapshot in group], cadence)
    # By start: a period of the first's form is placed by its start alone (dates hash in C).
    merged: dict[datetime.date, list[Snapshot]] = {}
    first: Snapshot | None = None
    for group in groups:
        for snapshot in group:
            first = first or snapshot
            if not uniform:
                _check_form(snapshot, first, cadence)
            given = merged.setdefault(snapshot.period.start, [])
            if given:
                _check_no_conflict(given, snapshot)
            given.append(snapshot)
    snapshots = tuple(_merged(merged[start]) for start in sorted(merged))
    return History(snapshots, snapshots[0].period.cadence if snapshots else None)


def _one_form(snapshots: Sequence[Snapshot], cadence: str | None) -> bool:
    forms = {snapshot.period.cadence for snapshot in snapshots}
    return not forms or forms == {cadence or snapshots[0].period.cadence}


def _distinct_periods(group: Sequence[Snapshot]) -> bool:
    # Distinct starts, which hash in C, make distinct periods; only where two share a start
    # (the same period, or two cadences) are the periods themselves compared.
    if len({snapshot.period.start for snapshot in group}) == len(group):
        return True
    return len({snapshot.period for snapshot in group}) == len(group)


def _single_group(group: Sequence[Snapshot], cadence: str | None) -> History:
    """Periods already distinct (as within one file): only forms and order are left."""
    if not _one_form(group, cadence):
        for snapshot in group:  # to name the first period of another form
            _check_form(snapshot, group[0], cadence)
    # Periods of one cadence are ordered by their starts alone, dates compared in C.
    ordered = tuple(sorted(group, key=operator.attrgetter("period.start")))
    return History(ordered, ordered[0].period.cadence if ordered else None)


def read_history(
    paths: Sequence[str],
    shapes: MetricShapes,
    cadence: str | None = None,
    limit: int = SNAPSHOT_LIMIT,
    locale: str | None = None,
    currency: str | None = None,
    roll_up: RollUp | None = None,
) -> History:
    """Read every file and merge them into one history; text numbers in CSV files and
    workbooks are read in `locale` (en by default), in the plan's `currency`; with `roll_up`,
    snapshots of a finer cadence are rolled up into the ruleset's."""
    numbers = TextNumbers(locale or DEFAULT_LOCALE, currency)
    dates = date_cadence(cadence, roll_up is not None)
    files = (read_snapshot_file(path, shapes, limit, numbers, dates) for path in paths)
    return merge_snapshots(files, cadence, roll_up)


def date_cadence(cadence: str | None, rolling_up: bool) -> str | None:
    """The cadence whose period a date cell of a workbook names: the ruleset's, or when
    rolling up the day itself, so that a sheet of days is summed into the ruleset's periods
    rather than read as its periods given many times."""
    return "daily" if rolling_up else cadence


def _read_text(name: str, limit: int) -> str:
    try:
        return decoded_text(name, _read_bytes(name, limit), Message("JSON or CSV"))
    except InputError as problem:
        raise SnapshotError(name, problem.reason) from None


def _read_bytes(name: str, limit: int) -> bytes:
    try:
        return read_limited(name, limit, Message("a snapshot file"))
    except InputError as problem:
        raise SnapshotError(name, problem.reason) from None


# ---- merging ----------------------------------------------------------------------------


_EXAMPLES = {
    "daily": "2026-07-15",
    "weekly": "2026-W33",
    "monthly": "2026-07",
    "quarterly": "2026-Q3",
}
_KINDS = {"daily": "a day", "weekly": "an ISO week", "monthly": "a month", "quarterly": "a quarter"}


def _check_no_conflict(given: Sequence[Snapshot], snapshot: Snapshot) -> None:
    """A metric of `snapshot` that an earlier snapshot of its period gave is an error, even
    where the keys of the two differ; it names where the metric was first given."""
    for name in snapshot.metrics:
        for earlier in given:
            if name in earlier.metrics:
                where = (
                    f"twice in {earlier.origin}"
                    if earlier.origin == snapshot.origin
                    else f"in both {earlier.origin} and {snapshot.origin}"
                )
                label = period_label(snapshot.period)
                raise SnapshotError(
                    snapshot.origin, f"period {label}, metric `{shown(name)}`: given {where}"
                )


def _merged(given: Sequence[Snapshot]) -> Snapshot:
    """One snapshot of a period from every snapshot of it; a period given in several files
    names them all."""
    if len(given) == 1:
        return given[0]
    metrics: dict[str, MetricValue] = {}
    origins: dict[str, None] = {}  # in the order first given, as are the undeclared names
    undeclared: dict[str, None] = {}
    for snapshot in given:
        metrics.update(snapshot.metrics)
        origins[snapshot.origin] = None
        if snapshot.undeclared:
            undeclared.update(dict.fromkeys(snapshot.undeclared))
    return Snapshot(given[0].period, metrics, ", ".join(origins), tuple(undeclared))


def _check_form(snapshot: Snapshot, first: Snapshot, cadence: str | None) -> None:
    period = snapshot.period
    if cadence is not None and period.cadence != cadence:
        label = period_label(period)
        # Finer periods could be rolled up, but only when asked: summing is not always right.
        finer = CADENCES.index(period.cadence) < CADENCES.index(cadence)
        raise SnapshotError(
            snapshot.origin,
            f"period {label} is {_KINDS[period.cadence]}, but the ruleset is {cadence}: "
            f"write its periods as {_EXAMPLES[cadence]} ({_KINDS[cadence]})"
            + (", or roll them up with `--roll-up` or the header `roll up`" if finer else ""),
        )
    if period.cadence != first.period.cadence:
        raise SnapshotError(
            snapshot.origin,
            f"period {period_label(period)} is {_KINDS[period.cadence]}, but period "
            f"{period_label(first.period)} (in {first.origin}) is {_KINDS[first.period.cadence]}: "
            "all periods must have one form",
        )
