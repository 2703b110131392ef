"""Where the data and the plan disagree: the warnings an evaluation gathers about names and
keys in the snapshots that look like the plan's own but are not (contract version 2).

A wide export names many metrics the plan does not use, and those stay quiet: only a name or
key that *looks like* one the plan names and the data lacks is a warning, since then a
typo or another spelling (`Doanh thu` for `doanh_thu`) is silently read as nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from planrules.eval.rules import Moment
from planrules.lang import syntax as s
from planrules.lang.exprcheck import Scope
from planrules.lang.names import look_alike
from planrules.report.model import DataWarning


@attrs.frozen
class Undeclared:
    """The metric names a snapshot gave that the ruleset does not declare."""

    origin: str
    position: int
    names: tuple[str, ...]


def data_warnings(
    scope: Scope,
    budgets: Sequence[s.Budget],
    undeclared: Sequence[Undeclared],
    moment: Moment,
) -> list[DataWarning]:
    """Every warning of the snapshots through the current period."""
    return [
        *_unknown_metrics(scope, undeclared, moment),
        *_unmatched_table_keys(scope, moment),
        *_unplanned_keys(budgets, moment),
    ]


def _unknown_metrics(
    scope: Scope, undeclared: Sequence[Undeclared], moment: Moment
) -> Iterable[DataWarning]:
    for given in undeclared:
        if given.position > moment.current:
            continue
        snapshot = moment.frame.metrics.get(given.position, {})
        lacking = [name for name in scope.metrics if name not in snapshot]
        for name in given.names:
            suggestion = look_alike(name, lacking)
            if suggestion is not None:
                yield DataWarning(
                    "unknown-metric",
                    f"`{name}` is not a metric of the ruleset, and is left out; it looks like "
                    f"`{suggestion}`, which this snapshot does not give",
                    file=given.origin,
                    period=moment.label(given.position),
                    metric=name,
                    suggestion=suggestion,
                )


def _unmatched_table_keys(scope: Scope, moment: Moment) -> Iterable[DataWarning]:
    for table in scope.tables.values():
        if table.default is None:
            continue
        keyed_by = [m.name for m in scope.metrics.values() if m.dimension == table.dimension]
        written = [entry.key.text for entry in table.entries]
        for key, suggestion in _look_alikes(set(moment.keys(keyed_by)), written):
            yield DataWarning(
                "unmatched-key",
                f"{table.dimension} `{key}` is no key of table `{table.name}`, so it reads "
                f"the table's `else`; it looks like `{suggestion}`, which no snapshot names",
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
                f'`{budget.metric}` spends on `{key}`, which is no line of "{budget.name}"; '
                f"it looks like line `{suggestion}`, which no snapshot names",
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
