"""Where the data and the plan disagree: the warnings an evaluation gathers about names and
keys in the snapshots that look like the plan's own but are not (contract version 2).

A wide export names many metrics the plan does not use, and those stay quiet: only a name or
key that *looks like* one the plan names and the data lacks is a warning, since then a
typo or another spelling (`Doanh thu` for `doanh_thu`) is silently read as nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import attrs

from planrules.eval.dimensions import NO_GROUP
from planrules.eval.rollup import PartlyCovered
from planrules.eval.rules import Moment
from planrules.eval.snapshot import Snapshot
from planrules.lang import syntax as s
from planrules.lang.exprcheck import Scope
from planrules.lang.messages import Message
from planrules.lang.names import look_alike
from planrules.report.model import DataWarning


@attrs.frozen
class Undeclared:
    """The metric names a snapshot gave that the ruleset does not declare."""

    origin: str
    position: int
    names: tuple[str, ...]


@attrs.frozen
class PartialPeriod:
    """A rolled-up period whose finer snapshots give some flows for part of it only."""

    origin: str
    position: int
    metrics: PartlyCovered


def partial_periods(snapshots: Sequence[Snapshot], positions: Sequence[int]) -> list[PartialPeriod]:
    """The partly covered periods of a history (see `planrules.eval.rollup`), with their
    positions on the timeline."""
    return [
        PartialPeriod(snapshot.origin, position, snapshot.metrics)
        for snapshot, position in zip(snapshots, positions, strict=True)
        if isinstance(snapshot.metrics, PartlyCovered)
    ]


def data_warnings(
    scope: Scope,
    budgets: Sequence[s.Budget],
    undeclared: Sequence[Undeclared],
    moment: Moment,
    partial: Sequence[PartialPeriod] = (),
) -> list[DataWarning]:
    """Every warning of the snapshots through the current period."""
    return [
        *_unknown_metrics(scope, undeclared, moment),
        *_unmatched_table_keys(scope, moment),
        *_unplanned_keys(budgets, moment),
        *_partly_covered(partial, moment),
        *_ungrouped_keys(scope, moment),
    ]


def _ungrouped_keys(scope: Scope, moment: Moment) -> Iterable[DataWarning]:
    """A key that no group of its dimension names is summed into `(none)`: said, with the
    group's key it looks like, where one does."""
    for group in scope.groups.values():
        named = {entry.key.text for entry in group.entries}
        existing = moment.frame.life(group.dimension).in_order(moment.current)
        unseen = sorted(named - set(existing))
        for key in existing:
            if key in named:
                continue
            yield DataWarning(
                "ungrouped-key",
                Message(
                    "{dimension} `{key}` is in no group of `group {dimension} into {into}`: "
                    "it is counted in `{none}`",
                    dimension=group.dimension,
                    key=key,
                    into=group.into,
                    none=NO_GROUP,
                ),
                key=key,
                suggestion=look_alike(key, unseen),
            )


def _partly_covered(partial: Sequence[PartialPeriod], moment: Moment) -> Iterable[DataWarning]:
    for period in partial:
        if period.position > moment.current:
            continue
        coverage = period.metrics.coverage
        yield DataWarning(
            "partial-period",
            _partly_covered_message(period.metrics.label, coverage),
            file=period.origin,
            period=period.metrics.label,
            metric=next(iter(coverage)) if len(coverage) == 1 else None,
        )


def _partly_covered_message(label: str, coverage: Mapping[str, str]) -> Message:
    if len(coverage) == 1:
        [(metric, share)] = coverage.items()
        return Message(
            "{period} is only partly covered (`{metric}` {coverage}), so what reads this flow "
            "there is unknown",
            period=label,
            metric=metric,
            coverage=share,
        )
    flows = ", ".join(f"`{name}` {share}" for name, share in coverage.items())
    return Message(
        "{period} is only partly covered ({flows}), so what reads these flows there is unknown",
        period=label,
        flows=flows,
    )


def _unknown_metrics(
    scope: Scope, undeclared: Sequence[Undeclared], moment: Moment
) -> Iterable[DataWarning]:
    for given in undeclared:
        if given.position > moment.current:
            continue
        snapshot = moment.frame.metrics.get(given.position, {})
        lacking = [name for name in scope.metrics if name not in snapshot]
        for name in given.names:
            suggestion = look_alike(name, lacking) or _keyed_look_alike(name, scope, snapshot)
            if suggestion is not None:
                yield DataWarning(
                    "unknown-metric",
                    Message(
                        "`{name}` is not a metric of the ruleset, and is left out; it looks like "
                        "`{suggestion}`, which this snapshot does not give",
                        name=name,
                        suggestion=suggestion,
                    ),
                    file=given.origin,
                    period=moment.label(given.position),
                    metric=name,
                    suggestion=suggestion,
                )


def _keyed_look_alike(name: str, scope: Scope, snapshot: Mapping[str, object]) -> str | None:
    """For a column `metric.KEY` of a table (`luot_xem.B`) whose metric looks like a keyed one
    of the plan the snapshot lacks at that key (`lượt_xem`, given at other keys only), that
    metric at the key (`lượt_xem.B`)."""
    metric, dot, key = name.partition(".")
    if not dot:
        return None
    candidates = [
        declared
        for declared, info in scope.metrics.items()
        if info.dimension is not None
        and not (isinstance(values := snapshot.get(declared), Mapping) and key in values)
    ]
    suggestion = look_alike(metric, candidates)
    return None if suggestion is None else f"{suggestion}.{key}"


def _unmatched_table_keys(scope: Scope, moment: Moment) -> Iterable[DataWarning]:
    for table in scope.tables.values():
        if table.default is None or table.dimension is None:
            continue
        keyed_by = [m.name for m in scope.metrics.values() if m.dimension == table.dimension]
        written = [entry.key.text for entry in table.entries]
        written += [row.key.text for row in table.periods if row.key is not None]
        for key, suggestion in _look_alikes(set(moment.keys(keyed_by)), written):
            yield DataWarning(
                "unmatched-key",
                Message(
                    "{dimension} `{key}` is no key of table `{table}`, so it reads the table's "
                    "`else`; it looks like `{suggestion}`, which no snapshot names",
                    dimension=table.dimension,
                    key=key,
                    table=table.name,
                    suggestion=suggestion,
                ),
                metric=table.name,
                key=key,
                suggestion=suggestion,
            )


def _unplanned_keys(budgets: Sequence[s.Budget], moment: Moment) -> Iterable[DataWarning]:
    for budget in budgets:
        if budget.metric is None:
            continue
        lines = [line.key.text for line in budget.lines]
        for key, suggestion in _look_alikes(set(moment.keys([budget.metric])), lines):
            yield DataWarning(
                "unplanned-key",
                Message(
                    '`{metric}` spends on `{key}`, which is no line of "{budget}"; it looks '
                    "like line `{suggestion}`, which no snapshot names",
                    metric=budget.metric,
                    key=key,
                    budget=budget.name,
                    suggestion=suggestion,
                ),
                metric=budget.metric,
                key=key,
                suggestion=suggestion,
            )


def _look_alikes(present: set[str], named: Sequence[str]) -> Iterable[tuple[str, str]]:
    """Each key of the data the plan does not name that looks like a key the plan names and
    the data does not, with that key."""
    unnamed = [key for key in named if key not in present]
    if not unnamed:
        return
    for key in sorted(present - set(named)):
        suggestion = look_alike(key, unnamed)
        if suggestion is not None:
            yield key, suggestion
