"""Metric snapshots read into an ordered, validated history.

Snapshots come from JSON files, CSV files, or Python data in the JSON form. Every number is
read from its text as an exact value (never through a float) and checked against the limits
of the contract; integral values become `int`, which keeps the evaluator's arithmetic fast,
and the rest `Decimal`. Only declared metrics are kept. Any problem is a `SnapshotError` that
names the file, then the period, metric and key where they are known, and never a traceback.

This module reads files and data into snapshots and merges them by period; the snapshot
model, the numbers, and each form's reader are in the `snapshot*` modules beside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import attrs

from planrules.eval.snapshot import (
    MetricShapes,
    MetricValue,
    Place,
    Snapshot,
    SnapshotError,
    check_distinct_periods,
    shown,
    undeclared_names,
)
from planrules.eval.snapshot_csv import snapshots_from_csv
from planrules.eval.snapshot_data import metrics_fast, snapshot_from_object, snapshot_objects
from planrules.eval.snapshot_json import parse_json
from planrules.lang.diagnostics import InputError
from planrules.lang.periods import (
    CADENCES,
    Period,
    PeriodError,
    parse_period,
    period_label,
    period_sort_key,
)
from planrules.lang.workspace import SNAPSHOT_LIMIT, read_limited


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
    plain = plain_snapshot(data, shapes)
    if plain is not None:
        assert isinstance(data, dict)  # a plain snapshot is a dict with its metrics
        return [Snapshot(*plain, origin, undeclared_names(data["metrics"], shapes))]
    place = Place(origin)
    snapshots: list[Snapshot] = []
    places: list[str] = []
    for number, item in enumerate(snapshot_objects(data, place), 1):
        places.append(f"snapshot {number}")
        snapshots.append(snapshot_from_object(item, place, places[-1], shapes))
    check_distinct_periods(snapshots, places, place)
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
    values = metrics_fast(metrics, shapes)
    return None if values is None else (parsed, values)


def read_snapshot_file(
    path: str, shapes: MetricShapes, limit: int = SNAPSHOT_LIMIT
) -> list[Snapshot]:
    """Snapshots from a .json or .csv file; a file named otherwise is tried as JSON. A file
    larger than `limit` bytes, or not a regular file, is refused before it is read."""
    name = str(path)
    text = _read_text(name, limit)
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        return snapshots_from_csv(text, Place(name), shapes)
    rejected: list[str] = []
    data = parse_json(text, name, rejected, named_json=suffix == ".json")
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


def read_history(
    paths: Sequence[str],
    shapes: MetricShapes,
    cadence: str | None = None,
    limit: int = SNAPSHOT_LIMIT,
) -> History:
    """Read every file and merge them into one history."""
    return merge_snapshots((read_snapshot_file(path, shapes, limit) for path in paths), cadence)


def _read_text(name: str, limit: int) -> str:
    try:
        data = read_limited(name, limit, "a snapshot file")
    except InputError as problem:
        raise SnapshotError(name, problem.reason) from None
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


# ---- merging ----------------------------------------------------------------------------


_EXAMPLES = {
    "daily": "2026-07-15",
    "weekly": "2026-W33",
    "monthly": "2026-07",
    "quarterly": "2026-Q3",
}
_KINDS = {"daily": "a day", "weekly": "an ISO week", "monthly": "a month", "quarterly": "a quarter"}


@attrs.define
class _MergedPeriod:
    """The metrics of one period gathered from every snapshot of it, with where each was."""

    period: Period
    metrics: dict[str, MetricValue] = attrs.Factory(dict)
    sources: dict[str, str] = attrs.Factory(dict)  # metric -> origin
    origins: list[str] = attrs.Factory(list)
    undeclared: dict[str, None] = attrs.Factory(dict)  # in the order first given

    def add(self, snapshot: Snapshot) -> None:
        self.undeclared.update(dict.fromkeys(snapshot.undeclared))
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
        return f"period {period_label(self.period)}, metric `{shown(name)}`: given {where}"

    def snapshot(self) -> Snapshot:
        # A period given in several files names them all.
        return Snapshot(self.period, self.metrics, ", ".join(self.origins), tuple(self.undeclared))


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
