"""Tests, after the rules: a test names the rules, budget lines and metrics of the ruleset it
tests, and the periods of its snapshots must be in the ruleset's cadence."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator

import attrs

from planrules.lang import syntax as s
from planrules.lang.check_budgets import BudgetLines, budgets_among
from planrules.lang.check_reporting import Report, Reporting
from planrules.lang.exprcheck import Scope, did_you_mean
from planrules.lang.messages import Message
from planrules.lang.periods import Period, parse_period
from planrules.lang.source import Span
from planrules.lang.workspace import Access, is_test_file

_RULE_STATES = ("pass", "warn", "fail", "unknown")
_TRIGGER_STATES = ("fired", "quiet", "cooling", "unknown")


def declared_tests(module: s.Module) -> Iterator[s.Test]:
    return (d for d in module.declarations if isinstance(d, s.Test))


def check_tests(
    module: s.Module,
    scope: Scope,
    rules: list[s.Rule],
    cadence: str | None,
    report: Report,
    access: Access | None = None,
) -> None:
    by_name = {rule.name: rule for rule in rules}
    budget_lines = BudgetLines(report, budgets_among(rules))
    check = _TestCheck(report, scope, by_name, cadence, budget_lines, access or Access())
    check.check(module)


def snapshots_path(test_file: str, path: str) -> str:
    """The file a test's `snapshots "..."` names: relative to the test file's folder."""
    return os.path.normpath(os.path.join(os.path.dirname(test_file), path))


@attrs.define
class _TestCheck(Reporting):
    scope: Scope
    rules: dict[str, s.Rule]
    cadence: str | None
    budget_lines: BudgetLines
    access: Access

    def check(self, module: s.Module) -> None:
        testing = is_test_file(module.path)
        names: set[str] = set()
        for test in declared_tests(module):
            self.check_test(test, testing, names)

    def check_test(self, test: s.Test, testing: bool, names: set[str]) -> None:
        if not testing:
            self.problem(
                "test-outside-test-file",
                test.span,
                Message("tests belong in a file named *_test.plan"),
            )
        if test.name in names:
            self.problem(
                "duplicate-test",
                test.span,
                Message('a test named "{test}" exists already', test=test.name),
            )
        names.add(test.name)
        periods: set[str] = set()
        for item in test.items:
            if isinstance(item, s.SnapshotBlock):
                if item.period in periods:
                    self.problem(
                        "duplicate-period",
                        item.span,
                        Message("this test has two snapshots of {period}", period=item.period),
                    )
                periods.add(item.period)
            self.check_item(item)
        self.check_snapshots_given(test, periods)

    def check_snapshots_given(self, test: s.Test, labels: set[str]) -> None:
        """A test needs snapshots, and its `at` a snapshot of that period; with snapshot files,
        which are read only when the test runs, the run checks the period instead."""
        if any(isinstance(item, s.SnapshotsFile) for item in test.items):
            return
        if not labels:
            self.problem(
                "test-without-snapshots",
                test.span,
                Message(
                    'test "{test}" has no snapshots: give a `snapshot PERIOD {{ ... }}` block or '
                    'a `snapshots "FILE"` line',
                    test=test.name,
                ),
            )
            return
        periods = {period for period in map(_period, labels) if period is not None}
        for item in test.items:
            if isinstance(item, s.At):
                period = _period(item.period)
                if period is None or period.cadence not in (self.cadence, None):
                    continue  # reported as a bad period
                if period not in periods:
                    self.problem(
                        "at-without-snapshot",
                        item.span,
                        Message(
                            "no snapshot of {period} in this test: `at` needs one",
                            period=item.period,
                        ),
                    )

    def check_item(self, item: s.TestItem) -> None:
        if isinstance(item, s.ExpectStatus | s.ExpectValue):
            rule = self.rules.get(item.rule)
            if rule is None:
                self.problem(
                    "unknown-rule",
                    item.span,
                    Message('no rule is named "{rule}"', rule=item.rule),
                    did_you_mean(item.rule, self.rules),
                )
            else:
                self.check_expectation(item, rule)
        elif isinstance(item, s.ExpectProposed):
            self.budget_lines.check_named(item.budget, [item.line], item.span)
        elif isinstance(item, s.SnapshotBlock):
            self.check_cadence(item.period, item.span)
            self.check_snapshot_block(item)
        elif isinstance(item, s.At):
            self.check_cadence(item.period, item.span)
        elif isinstance(item, s.SnapshotsFile):
            self.check_snapshots_file(item)

    def check_snapshots_file(self, item: s.SnapshotsFile) -> None:
        """The file must be inside the folders allowed and be there; it is read when the
        test runs."""
        target = snapshots_path(item.span.file, item.path)
        if not self.access.allows(target):
            self.problem(
                "path-outside-root",
                item.span,
                Message(
                    'cannot read snapshots "{path}": it is outside the folder of the file checked',
                    path=item.path,
                ),
                Message(
                    "allow another folder with `--allow-path DIR` (`allowed_paths` in the API)"
                ),
            )
            return
        try:
            mode = os.stat(target).st_mode
        except FileNotFoundError:
            reason: str = Message("no such file")
        except (OSError, ValueError) as problem:
            reason = Message(
                "cannot be read ({problem})",
                problem=getattr(problem, "strerror", None) or problem,
            )
        else:
            if stat.S_ISREG(mode):
                return
            reason = (
                Message("is a folder") if stat.S_ISDIR(mode) else Message("is not a regular file")
            )
        self.problem(
            "snapshots-missing",
            item.span,
            Message('snapshots "{path}": {reason}', path=item.path, reason=reason),
        )

    def check_expectation(self, item: s.ExpectStatus | s.ExpectValue, rule: s.Rule) -> None:
        """An expectation the rule can never meet is a mistake in the test, not a failure."""
        kind = type(rule).__name__.lower()
        keyed = not isinstance(rule, s.Goal | s.Threshold | s.Trigger) or rule.per is not None
        if item.key is not None and not keyed:
            self.problem(
                "bad-expectation",
                item.span,
                Message(
                    '{kind} "{rule}" has no `per`, so it has no result for a key',
                    kind=kind,
                    rule=rule.name,
                ),
            )
        if isinstance(item, s.ExpectStatus):
            possible = _TRIGGER_STATES if isinstance(rule, s.Trigger) else _RULE_STATES
            if item.status not in possible:
                self.problem(
                    "bad-expectation",
                    item.span,
                    Message(
                        "a {kind} is never {status}; it is {alternatives}",
                        kind=kind,
                        status=item.status,
                        alternatives=_alternatives(possible),
                    ),
                )

    def check_cadence(self, label: str, span: Span) -> None:
        cadence = self.cadence
        if cadence is None:
            return
        try:
            period = parse_period(label)
        except ValueError:
            return  # reported by the builder
        if period.cadence != cadence:
            self.problem(
                "bad-period",
                span,
                Message(
                    "{label} is not a {cadence} period, as the ruleset's cadence is",
                    label=label,
                    cadence=cadence,
                ),
            )

    def check_repeated_keys(self, keys: list[s.Key], where: str) -> None:
        seen: set[str] = set()
        for key in keys:
            if key.text in seen:
                self.problem(
                    "duplicate-key",
                    key.span,
                    Message("`{key}` is given twice {where}", key=key.text, where=where),
                )
            seen.add(key.text)

    def check_snapshot_block(self, block: s.SnapshotBlock) -> None:
        self.check_repeated_keys(
            [entry.metric for entry in block.entries],
            Message("in the snapshot of {period}", period=block.period),
        )
        for entry in block.entries:
            keyed = [value.key for value in entry.values or ()]
            self.check_repeated_keys(keyed, Message("for `{metric}`", metric=entry.metric.text))
            self.check_snapshot_entry(entry)

    def check_snapshot_entry(self, entry: s.SnapshotEntry) -> None:
        metric = self.scope.metrics.get(entry.metric.text)
        if metric is None:
            self.problem(
                "unknown-name",
                entry.metric.span,
                Message("`{metric}` is not a metric", metric=entry.metric.text),
                did_you_mean(entry.metric.text, self.scope.metrics),
            )
        elif (entry.values is None) != (metric.dimension is None):
            self.problem("snapshot-shape", entry.span, _shape_wanted(metric))


def _shape_wanted(metric: s.Metric) -> Message:
    if metric.dimension:
        return Message(
            "`{metric}` is keyed by {dimension}: give its values in a block, "
            "`{metric} {{ KEY VALUE ... }}`",
            metric=metric.name,
            dimension=metric.dimension,
        )
    return Message(
        "`{metric}` has no keys: give it one value, `{metric} VALUE`", metric=metric.name
    )


def _alternatives(words: Iterable[str]) -> str:
    listed = list(words)
    return Message("{some} or {last}", some=", ".join(listed[:-1]), last=listed[-1])


def _period(label: str) -> Period | None:
    try:
        return parse_period(label)
    except ValueError:
        return None  # reported by the builder
