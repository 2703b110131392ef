"""Running the tests of a ruleset (`*_test.plan`): snapshots in, expectations checked.

Each `test` block builds its history from `snapshot` blocks and `snapshots "file"` lines,
evaluates the ruleset under test at its `at` period (the last one by default) and checks every
`expect`. Values are compared as the JSON report rounds them, so `== 1.78%` means what the
report would print.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from planrules.eval.compile import literal_value
from planrules.eval.evaluate import Ruleset
from planrules.eval.history import (
    History,
    date_cadence,
    merge_snapshots,
    read_snapshot_file,
    snapshots_from_data,
)
from planrules.eval.rollup import roll_up_for
from planrules.eval.snapshot import KEY_SEPARATOR, Snapshot, nested_metrics
from planrules.eval.snapshot_locale import DEFAULT_LOCALE, TextNumbers
from planrules.eval.values import describe
from planrules.lang import syntax as s
from planrules.lang.check_tests import snapshots_path
from planrules.lang.diagnostics import InputError, PlanError, error, format_diagnostic
from planrules.lang.periods import parse_period
from planrules.lang.source import Source, Span
from planrules.report.model import DataWarning, Report, amount, ratio

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@attrs.frozen
class Failure:
    """An expectation that did not hold: what was expected, what came, and where."""

    span: Span
    expected: str
    actual: str


@attrs.frozen
class TestOutcome:
    name: str
    span: Span
    failures: tuple[Failure, ...]
    error: str | None = None  # the test could not run: its snapshots could not be read
    warnings: tuple[DataWarning, ...] = ()  # where its snapshots do not match the plan

    @property
    def passed(self) -> bool:
        return not self.failures and self.error is None


@attrs.frozen
class TestFileRun:
    """The outcomes of one test file's tests, with its text for showing where they failed."""

    path: str
    source: Source | None
    outcomes: tuple[TestOutcome, ...]


def run_tests(
    ruleset: Ruleset,
    tests: Sequence[s.Test],
    selected: Callable[[str], bool] = lambda _: True,
    locale: str | None = None,
    roll_up: bool = False,
) -> list[TestOutcome]:
    """Every selected test run; text numbers in its CSV and workbook files are read in
    `locale`, by default the ruleset's `locale` header, else en; its snapshots of a finer
    cadence are rolled up where `roll_up` or the ruleset's header `roll up` says so."""
    return [run_test(ruleset, test, locale, roll_up) for test in tests if selected(test.name)]


def run_test(
    ruleset: Ruleset, test: s.Test, locale: str | None = None, roll_up: bool = False
) -> TestOutcome:
    try:
        history = _history(ruleset, test, locale, roll_up)
        missing = _at_without_snapshot(test, history)
        if missing is not None:
            return TestOutcome(test.name, test.span, (), missing)
        report = ruleset.evaluate(history, at=_at(test))
    except PlanError as problem:
        return TestOutcome(test.name, test.span, (), str(problem))
    failures = [
        failure
        for item in test.items
        if isinstance(item, _EXPECTATIONS)
        for failure in [check_expectation(report, item, ruleset.currency)]
        if failure is not None
    ]
    return TestOutcome(test.name, test.span, tuple(failures), warnings=report.warnings)


_EXPECTATIONS = (
    s.ExpectStatus,
    s.ExpectOverall,
    s.ExpectValue,
    s.ExpectProposed,
    s.ExpectRecommendation,
)


def _at(test: s.Test) -> str | None:
    ats = [item.period for item in test.items if isinstance(item, s.At)]
    return ats[-1] if ats else None


def _at_without_snapshot(test: s.Test, history: History) -> str | None:
    """Where the test's `at` names a period its snapshots (read from files) do not have: the
    check finds this for `snapshot` blocks, the run for files."""
    ats = [item for item in test.items if isinstance(item, s.At)]
    if not ats:
        return None
    try:
        period = parse_period(ats[-1].period)
    except ValueError:
        return None  # reported by the check
    if any(snapshot.period == period for snapshot in history.snapshots):
        return None
    message = f"no snapshot of {ats[-1].period} in this test: `at` needs one"
    return format_diagnostic(error("at-without-snapshot", ats[-1].span, message))


def _history(ruleset: Ruleset, test: s.Test, locale: str | None, roll_up: bool) -> History:
    groups: list[list[Snapshot]] = []
    nested = nested_metrics(ruleset.shapes)
    blocks = [_block_data(item, nested) for item in test.items if isinstance(item, s.SnapshotBlock)]
    if blocks:
        groups.append(
            snapshots_from_data(blocks, f"{test.span.file} (test {test.name!r})", ruleset.shapes)
        )
    access = ruleset.checked.access
    locale = locale or ruleset.checked.locale or DEFAULT_LOCALE
    numbers = TextNumbers(locale, ruleset.currency)
    cadence = ruleset.checked.cadence
    rolling = roll_up_for(ruleset.checked, roll_up)
    dates = date_cadence(cadence, rolling is not None)
    for item in test.items:
        if isinstance(item, s.SnapshotsFile):
            path = snapshots_path(test.span.file, item.path)
            if not access.allows(path):  # the check reports it; this is for a Checked made else
                raise InputError(path, "is outside the folders allowed")
            limit = access.snapshot_limit
            groups.append(read_snapshot_file(path, ruleset.shapes, limit, numbers, dates))
    return merge_snapshots(groups, cadence, rolling)


def _block_data(block: s.SnapshotBlock, nested: frozenset[str]) -> dict[str, Any]:
    """A snapshot block as JSON data; a metric by two dimensions names each pair as one
    quoted key (`"HCM1 / facebook" 30`), nested here as JSON nests it."""
    metrics: dict[str, Any] = {}
    for entry in block.entries:
        if entry.values is not None and entry.metric.text in nested:
            pairs: dict[str, Any] = {}
            for value in entry.values:
                first, separator, second = value.key.text.partition(KEY_SEPARATOR)
                number = literal_value(value.value)
                inner = pairs.setdefault(first, {})
                if separator and isinstance(inner, dict):
                    inner[second] = number
                else:  # not a pair: reported by the reading of the snapshot
                    pairs[first] = number
            metrics[entry.metric.text] = pairs
        elif entry.values is not None:
            metrics[entry.metric.text] = {
                value.key.text: literal_value(value.value) for value in entry.values
            }
        elif entry.value is not None:
            metrics[entry.metric.text] = literal_value(entry.value)
    return {"period": block.period, "metrics": metrics}


def check_expectation(report: Report, item: s.Expectation, currency: str | None) -> Failure | None:
    match item:
        case s.ExpectStatus():
            return _expect_status(report, item)
        case s.ExpectOverall():
            if report.status == item.status:
                return None
            return Failure(item.span, f"status {item.status}", f"status {report.status}")
        case s.ExpectValue():
            return _expect_value(report, item, currency)
        case s.ExpectProposed():
            return _expect_proposed(report, item, currency)
        case s.ExpectRecommendation():
            return _expect_recommendation(report, item)
    raise AssertionError(f"not an expectation: {item!r}")


def _named(rule: str, key: str | None) -> str:
    return f'"{rule}"' + (f'["{key}"]' if key is not None else "")


def _missing(report: Report, rule: str, key: str | None) -> str:
    """Why a rule has no result: for a key it does not have, the keys it has."""
    keys = [r.key for r in report.results if r.rule == rule and r.key is not None]
    if key is not None and keys:
        return f'"{rule}" has no key "{key}"; its keys are ' + ", ".join(f'"{k}"' for k in keys)
    return f"no result for {_named(rule, key)}"


def _expect_status(report: Report, item: s.ExpectStatus) -> Failure | None:
    result = report.result(item.rule, item.key)
    wanted = f"{_named(item.rule, item.key)} {item.status}"
    if result is None:
        return Failure(item.span, wanted, _missing(report, item.rule, item.key))
    if result.status == item.status:
        return None
    why = f" ({result.reason})" if result.reason else ""
    return Failure(item.span, wanted, f"{result.status}{why}: {result.message}")


def _expect_value(report: Report, item: s.ExpectValue, currency: str | None) -> Failure | None:
    result = report.result(item.rule, item.key)
    wanted = f"value of {_named(item.rule, item.key)} {item.op} {item.value.text}"
    if result is None:
        return Failure(item.span, wanted, _missing(report, item.rule, item.key))
    if result.value is None:
        return Failure(item.span, wanted, f"no value ({result.reason or result.status})")
    rounded = ratio(result.value) if result.unit == "ratio" else amount(result.value)
    if _COMPARE[item.op](rounded, literal_value(item.value)):
        return None
    return Failure(item.span, wanted, describe(result.value, result.unit, currency, result.form))


def _expect_proposed(
    report: Report, item: s.ExpectProposed, currency: str | None
) -> Failure | None:
    line = item.line.text
    wanted = f'proposed "{item.budget}".{line} {item.op} {item.value.text}'
    allocation = report.allocation(item.budget)
    found = [ln for ln in allocation.lines if ln.line == line] if allocation else []
    if not found:
        return Failure(item.span, wanted, f'no line {line} in "{item.budget}"')
    proposed = found[0].proposed
    if _COMPARE[item.op](amount(proposed), literal_value(item.value)):
        return None
    return Failure(item.span, wanted, describe(proposed, "money", currency))


def _expect_recommendation(report: Report, item: s.ExpectRecommendation) -> Failure | None:
    texts = [r.text for r in report.recommendations]
    if any(item.text in text for text in texts):
        return None
    made = "; ".join(f'"{text}"' for text in texts) if texts else "no recommendation"
    return Failure(item.span, f'a recommendation containing "{item.text}"', made)
