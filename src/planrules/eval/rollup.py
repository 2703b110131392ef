"""Snapshots of a finer cadence rolled up into the plan's (the header `roll up`, `--roll-up`).

Daily snapshots for a monthly plan, weekly ones for a quarterly plan, and any finer cadence
into a coarser one: each finer period belongs to the plan's period that holds it, an ISO week
to the one that holds its Thursday (as ISO weeks belong to years). Flows (`count`, `money`)
are summed, key by key; a `stock` takes the last snapshot of the period that gives it; a
`ratio` or `number` cannot be summed, and one given at a finer cadence is an error.

A flow given for only some of a period's days (or weeks) has no value for the period: its
partial sum would be read as the whole. Such a period's metrics are a `PartlyCovered`, which
the metric read (`planrules.eval.compile`) turns into an unknown with the coverage as its
reason (`2026-11: 12 of 30 days`), and the evaluation warns `partial-period`.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import NoReturn

import attrs

from planrules.eval.snapshot import MetricValue, Scalar, Snapshot, SnapshotError, shown
from planrules.eval.snapshot_numbers import ValueProblem, exact_number
from planrules.eval.values import Unknown
from planrules.lang import syntax as s
from planrules.lang.check import Checked
from planrules.lang.diagnostics import InputError
from planrules.lang.messages import Message
from planrules.lang.periods import CADENCES, Period, period_containing, period_label

FLOW = "flow"
STOCK = "stock"
_FLOW_UNITS = frozenset({"count", "money"})
_THURSDAY = datetime.timedelta(days=3)  # from a week's Monday
# Sums of values within the contract's limits never come near this precision; Inexact
# would say otherwise rather than round.
_SUMMING = decimal.Context(
    prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN, traps=[decimal.Inexact]
)
_KINDS = {"daily": "days", "weekly": "ISO weeks", "monthly": "months"}
_PLAN_KINDS = {"weekly": "an ISO week", "monthly": "a month", "quarterly": "a quarter"}


class PartlyCovered(dict[str, MetricValue]):
    """The metrics of a period that the finer snapshots cover only in part.

    An unkeyed flow given for part of the period is left out, so that nothing reading the
    snapshot straight (a run of thresholds) can take the part for the whole; a keyed one keeps
    its partial sums, so that its keys still come into being in this period. `coverage` holds
    each such flow's share of the period (`12 of 30 days`), which the metric read gives as an
    unknown instead of the value.
    """

    __slots__ = ("coverage", "label")

    def __init__(
        self, metrics: Mapping[str, MetricValue], label: str, coverage: dict[str, str]
    ) -> None:
        super().__init__(metrics)
        self.label = label
        self.coverage = coverage

    def unknown(self, metric: str) -> Unknown:
        return Unknown(
            Message(
                "{period}: {coverage} (`{metric}` is given for part of the period only)",
                period=self.label,
                coverage=self.coverage[metric],
                metric=metric,
            )
        )


@attrs.frozen
class RollUp:
    """How each declared metric is rolled up into the plan's `cadence`: FLOW (summed), STOCK
    (the last snapshot's), or else its unit, which cannot be rolled up."""

    cadence: str
    kinds: Mapping[str, str]

    @classmethod
    def of(cls, metrics: Mapping[str, s.Metric], cadence: str) -> RollUp:
        return cls(cadence, {name: _kind(metric) for name, metric in metrics.items()})

    def groups(self, groups: Iterable[Sequence[Snapshot]]) -> list[Sequence[Snapshot]]:
        """The groups (a file's snapshots each) with every snapshot of a cadence finer than
        the plan's taken out and rolled up, into one more group; the rest are left as they
        are for merging, which reports any of a coarser cadence."""
        finer_cadences = CADENCES[: CADENCES.index(self.cadence)]
        kept: list[Sequence[Snapshot]] = []
        finer: list[Snapshot] = []
        for group in groups:
            if not any(snapshot.period.cadence in finer_cadences for snapshot in group):
                kept.append(group)
                continue
            kept.append([g for g in group if g.period.cadence not in finer_cadences])
            finer.extend(g for g in group if g.period.cadence in finer_cadences)
        if not finer:
            return kept
        _check_given_once(finer)
        by_period = self.by_plan_period(finer)
        _check_one_cadence(by_period, kept)
        return [*kept, [self.rolled(period, given) for period, given in by_period.items()]]

    def by_plan_period(self, finer: Sequence[Snapshot]) -> dict[Period, list[Snapshot]]:
        """The finer snapshots under the plan's period each belongs to, each list by date."""
        found: dict[Period, list[Snapshot]] = {}
        for snapshot in sorted(finer, key=lambda snapshot: snapshot.period.start):
            found.setdefault(self.plan_period(snapshot.period), []).append(snapshot)
        return found

    def plan_period(self, period: Period) -> Period:
        """The plan's period a finer one belongs to: an ISO week to the one holding its
        Thursday."""
        day = period.start + _THURSDAY if period.cadence == "weekly" else period.start
        return period_containing(day, self.cadence)

    def rolled(self, period: Period, given: Sequence[Snapshot]) -> Snapshot:
        """One snapshot of the plan's `period` from the finer snapshots `given`, by date."""
        label = period_label(period)
        finer = given[0].period.cadence
        whole = finer_periods_in(period, finer)
        metrics: dict[str, MetricValue] = {}
        coverage: dict[str, str] = {}
        for name, values in _values_by_metric(given).items():
            kind = self.kinds[name]
            if kind == STOCK:
                metrics[name] = values[-1][1]
                continue
            if kind != FLOW:
                raise _cannot_sum(name, kind, values[0][0], finer, self.cadence)
            metrics[name] = _summed(name, [value for _, value in values], label, given)
            covered = len({snapshot.period for snapshot, _ in values})
            if covered < whole:
                coverage[name] = _coverage(covered, whole, finer)
        origin = ", ".join(dict.fromkeys(snapshot.origin for snapshot in given))
        undeclared = tuple(dict.fromkeys(name for g in given for name in g.undeclared))
        if not coverage:
            return Snapshot(period, metrics, origin, undeclared)
        # An unkeyed flow's partial sum is left out (see `PartlyCovered`).
        kept = {
            name: value
            for name, value in metrics.items()
            if name not in coverage or isinstance(value, dict)
        }
        return Snapshot(period, PartlyCovered(kept, label, coverage), origin, undeclared)


def _kind(metric: s.Metric) -> str:
    if metric.stock:
        return STOCK
    return FLOW if metric.type in _FLOW_UNITS else metric.type


def finer_periods_in(period: Period, finer: str) -> int:
    """How many periods of the `finer` cadence belong to `period`: its days, the ISO weeks
    whose Thursday it holds, or its months."""
    if finer == "daily":
        return (period.end - period.start).days + 1
    if finer == "weekly":
        first_thursday = period.start + datetime.timedelta(days=(3 - period.start.weekday()) % 7)
        return (period.end - first_thursday).days // 7 + 1
    return 3  # the months of a quarter, the only coarser period a month fits in whole


def _values_by_metric(given: Sequence[Snapshot]) -> dict[str, list[tuple[Snapshot, MetricValue]]]:
    """Each metric's values, with the snapshot giving each, in date order."""
    found: dict[str, list[tuple[Snapshot, MetricValue]]] = {}
    for snapshot in given:
        for name, value in snapshot.metrics.items():
            found.setdefault(name, []).append((snapshot, value))
    return found


def _summed(
    name: str, values: Sequence[MetricValue], label: str, given: Sequence[Snapshot]
) -> MetricValue:
    """The exact sum of a flow's values; a keyed flow's key by key (an absent key is 0)."""
    # A metric has one shape in every snapshot: keyed (dicts) or not.
    maps = [value for value in values if isinstance(value, dict)]
    try:
        if not maps:
            return exact_number(_exact_sum([v for v in values if not isinstance(v, dict)]))
        keys: dict[str, list[Scalar]] = {}
        for numbers in maps:
            for key, number in numbers.items():
                keys.setdefault(key, []).append(number)
        return {key: exact_number(_exact_sum(numbers)) for key, numbers in keys.items()}
    except ValueProblem as problem:
        origin = ", ".join(dict.fromkeys(snapshot.origin for snapshot in given))
        raise SnapshotError(
            origin, f"period {label}, metric `{shown(name)}`: its sum over the period: {problem}"
        ) from None


def _exact_sum(values: Sequence[Scalar]) -> Scalar:
    if all(type(value) is int for value in values):
        return sum(values)
    total = Decimal(0)
    for value in values:
        total = _SUMMING.add(total, value)
    return total


def _coverage(covered: int, whole: int, finer: str) -> Message:
    """How much of a period the finer snapshots cover (`12 of 30 days`)."""
    if finer == "daily":
        return Message("{covered} of {whole} days", covered=covered, whole=whole)
    if finer == "weekly":
        return Message("{covered} of {whole} weeks", covered=covered, whole=whole)
    return Message("{covered} of {whole} months", covered=covered, whole=whole)


def _cannot_sum(name: str, unit: str, first: Snapshot, finer: str, cadence: str) -> SnapshotError:
    what = "a ratio" if unit == "ratio" else "a number (not a count or money)"
    return SnapshotError(
        first.origin,
        f"period {period_label(first.period)}, metric `{shown(name)}`: {what} cannot be "
        f"summed, so its {_KINDS[finer]} cannot be rolled up into {cadence} periods; declare "
        "the counts or money it is worked out from and work it out in a `let`, or leave it "
        "out of these snapshots",
    )


def _check_given_once(finer: Sequence[Snapshot]) -> None:
    """A metric given twice for one finer period (in two files) would be summed twice."""
    seen: dict[tuple[Period, str], Snapshot] = {}
    for snapshot in finer:
        for name in snapshot.metrics:
            earlier = seen.setdefault((snapshot.period, name), snapshot)
            if earlier is not snapshot:
                where = (
                    f"twice in {earlier.origin}"
                    if earlier.origin == snapshot.origin
                    else f"in both {earlier.origin} and {snapshot.origin}"
                )
                raise SnapshotError(
                    snapshot.origin,
                    f"period {period_label(snapshot.period)}, metric `{shown(name)}`: "
                    f"given {where}",
                )


def _check_one_cadence(
    by_period: Mapping[Period, Sequence[Snapshot]], kept: Sequence[Sequence[Snapshot]]
) -> None:
    """A period of the plan given at two cadences (days and weeks, or days and the period
    itself) is an error: which of them would be the period's value is not for us to guess."""
    whole = {snapshot.period: snapshot for group in kept for snapshot in group}
    for period, given in by_period.items():
        first = given[0]
        other = whole.get(period)
        if other is not None:
            _two_cadences(period, first, other, f"as {_PLAN_KINDS[period.cadence]}")
        other = next((g for g in given if g.period.cadence != first.period.cadence), None)
        if other is not None:
            _two_cadences(period, first, other, f"as {_KINDS[other.period.cadence]}")


def _two_cadences(period: Period, first: Snapshot, other: Snapshot, as_other: str) -> NoReturn:
    raise SnapshotError(
        other.origin,
        f"period {period_label(period)} is given at two cadences: as "
        f"{_KINDS[first.period.cadence]} (in {first.origin}) and {as_other} (in "
        f"{other.origin}); give each period at one cadence",
    )


def roll_up_for(checked: Checked, asked: bool = False) -> RollUp | None:
    """How snapshots are rolled up for the ruleset `checked`: into its cadence, where its
    header says `roll up` or the caller asks (`--roll-up`); None where neither does."""
    if not (asked or checked.roll_up):
        return None
    if checked.cadence is None or checked.scope is None:
        raise InputError(
            "--roll-up",
            "the ruleset has no `period` header, so there is no cadence to roll snapshots up into",
        )
    return RollUp.of(checked.scope.metrics, checked.cadence)
