"""Running a compiled ruleset over a history of snapshots: the `Ruleset` of the public API.

`load` and `loads` check a ruleset and compile it once; `Ruleset.evaluate` judges every rule
at one current period and returns a `Report`. Evaluating a checked ruleset never raises on the
numbers it is given: what cannot be known is reported as `unknown`, with the reason.
"""

from __future__ import annotations

import contextlib
import decimal
import functools
import gc
from collections.abc import Callable, Iterator, Sequence

from planrules import syntax as s
from planrules.adjust import Adjuster
from planrules.check import Checked, check_file, check_source
from planrules.compile import Compiled, ExpressionCompiler, Frame
from planrules.diagnostics import InputError, RulesetError
from planrules.history import History, merge_snapshots, read_history, snapshots_from_data
from planrules.periods import (
    Period,
    PeriodError,
    parse_period,
    period_containing,
    period_label,
    periods_between,
    shift_period,
    window_first_period,
    window_last_period,
)
from planrules.report import (
    Change,
    Recommendation,
    Replay,
    Report,
    Result,
    Results,
    Row,
    as_results,
    replay_of,
)
from planrules.rules import BudgetRule, GoalRule, Moment, ThresholdRule, TriggerRule, TriggerState
from planrules.source import Source
from planrules.values import EVALUATION, at_key, describe
from planrules.whatif import solver

Rule = GoalRule | ThresholdRule | BudgetRule | TriggerRule


def load(path: str) -> Ruleset:
    """Check and compile the ruleset in a file; raises RulesetError if it has errors."""
    return Ruleset(check_file(path))


def loads(text: str, filename: str = "<string>") -> Ruleset:
    """Check and compile a ruleset given as text; `filename` names it in diagnostics."""
    return Ruleset(check_source(Source.from_text(filename, text)))


class Ruleset:
    """A checked ruleset compiled once, ready to evaluate any number of histories."""

    def __init__(self, checked: Checked) -> None:
        if not checked.ok or checked.module is None or checked.scope is None:
            raise RulesetError(checked.diagnostics, checked.sources)
        self.checked = checked
        self.name = checked.ruleset or checked.module.path
        self.currency = checked.currency
        self.scope = checked.scope
        self.shapes = {name: m.dimension is not None for name, m in checked.scope.metrics.items()}
        compiler = ExpressionCompiler(checked.scope)
        self.rules: list[Rule] = [_compile_rule(rule, compiler) for rule in checked.rules]
        self.budgets = [rule for rule in checked.rules if isinstance(rule, s.Budget)]
        self.texts = _compile_texts(checked.rules, compiler)

    # ---- histories -------------------------------------------------------------------------

    def history(self, snapshots: object) -> History:
        """Snapshots in the JSON form (a dict, a list, or {"snapshots": [...]}) as a history."""
        if isinstance(snapshots, History):
            return snapshots
        return merge_snapshots(
            [snapshots_from_data(snapshots, "<snapshots>", self.shapes)], self.checked.cadence
        )

    def read(self, paths: Sequence[str]) -> History:
        return read_history(paths, self.shapes, self.checked.cadence)

    def evaluate(
        self, snapshots: object, at: str | Period | None = None, strict: bool = False
    ) -> Report:
        """Judge every rule at `at` (the last period by default) against the snapshots."""
        with collector_paused():
            history = self.history(snapshots)
            timeline = Timeline(self.checked, history)
            current = timeline.current(at)
            with decimal.localcontext(EVALUATION):
                return self.report(timeline, current, strict)

    def replay(self, snapshots: object, strict: bool = False) -> Replay:
        """The status of every rule at every period of the history: a backtest."""
        with collector_paused():
            timeline = Timeline(self.checked, self.history(snapshots))
            with decimal.localcontext(EVALUATION):
                reports = [self.report(timeline, p, strict) for p in timeline.positions()]
            return replay_of(self.name, reports)

    def report(self, timeline: Timeline, current: int, strict: bool) -> Report:
        moment = timeline.moment(current)
        rows: list[Row] = []
        adjuster = Adjuster.of(self.budgets)
        recommendations: list[Recommendation] = []
        for rule in self.rules:
            if rule.__class__ is TriggerRule:
                assert isinstance(rule, TriggerRule)
                states = rule.states(moment)
                rows.extend(rule.row(moment, state) for state in states)
                for state in states:
                    if state.state == "fired":
                        self.act(rule, state, moment, adjuster, recommendations)
            else:
                assert not isinstance(rule, TriggerRule)
                rows.extend(rule.rows(moment))
        results = Results(rows, functools.partial(self.made, moment))
        return Report(
            ruleset=self.name,
            as_of=timeline.label(current),
            currency=self.currency,
            status=overall_status(results, strict),
            results=results,
            adjustments=tuple(adjuster.adjustments),
            allocations=adjuster.allocations(),
            recommendations=tuple(recommendations),
        )

    def made(self, moment: Moment, rows: Sequence[Row]) -> tuple[Result, ...]:
        """The results of an evaluation's rows; a goal or threshold that warns or fails gets
        what it would take to pass, worked out when asked for by one solver per rule."""
        results: list[Result] = []
        solvers: dict[int, Callable[[Result], tuple[Change, ...]]] = {}
        for row in rows:
            rule = row[0]
            result = rule.made(row)
            status = row[2]
            if (status == "warn" or status == "fail") and rule.__class__ is not BudgetRule:
                solve = solvers.get(id(rule))
                if solve is None:
                    solve = solvers[id(rule)] = solver(rule, moment, self.scope)
                result.what_it_takes = solve
            results.append(result)
        return tuple(results)

    def act(
        self,
        rule: TriggerRule,
        state: TriggerState,
        moment: Moment,
        adjuster: Adjuster,
        recommendations: list[Recommendation],
    ) -> None:
        for action in rule.trigger.actions:
            if isinstance(action, s.Recommend):
                text = self.fill(action, moment, state.key)
                recommendations.append(Recommendation(rule.trigger.name, state.key, text))
            else:
                adjuster.apply(rule.trigger.name, state.key, action)

    def fill(self, action: s.Recommend, moment: Moment, key: str | None) -> str:
        pieces: list[str] = []
        for part, compiled in zip(action.parts, self.texts[id(action)], strict=True):
            if isinstance(part, str):
                pieces.append(part)
            elif compiled is None:
                pieces.append(key if key is not None else "key")
            else:
                run, unit = compiled
                value = at_key(run(moment.frame, moment.current), key)
                pieces.append(describe(value, unit, self.currency))
        return "".join(pieces)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a report is built.

    An evaluation makes a great many small objects (a result per key, the values of the
    snapshots) and no cycles; left running, the collector walks them all again and again,
    which cost a third of a 100,000-key evaluation. It is switched back on afterwards, and
    only if it was on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _compile_rule(rule: s.Rule, compiler: ExpressionCompiler) -> Rule:
    if isinstance(rule, s.Goal):
        return GoalRule(rule, compiler)
    if isinstance(rule, s.Threshold):
        return ThresholdRule(rule, compiler)
    if isinstance(rule, s.Budget):
        return BudgetRule(rule, compiler)
    return TriggerRule(rule, compiler)


TextParts = list[tuple[Compiled, str] | None]


def _compile_texts(rules: Sequence[s.Rule], compiler: ExpressionCompiler) -> dict[int, TextParts]:
    """Each recommendation's `{expr}` compiled, with its unit; None for `{key}`."""
    texts: dict[int, TextParts] = {}
    for rule in rules:
        if not isinstance(rule, s.Trigger):
            continue
        for action in rule.actions:
            if not isinstance(action, s.Recommend):
                continue
            parts: TextParts = []
            for part in action.parts:
                if isinstance(part, str) or _names_current_key(part.expr, rule, compiler):
                    parts.append(None)
                else:
                    parts.append((compiler.compile(part.expr), compiler.type_of(part.expr).unit))
            texts[id(action)] = parts
    return texts


def _names_current_key(expr: s.Expr, rule: s.Trigger, compiler: ExpressionCompiler) -> bool:
    return (
        rule.per is not None
        and isinstance(expr, s.Name)
        and expr.name == "key"
        and expr.name not in compiler.scope.names()
    )


def overall_status(results: Results | Sequence[Result], strict: bool = False) -> str:
    """The worst result; a fired trigger counts as its severity, unknown as warn (fail strict)."""
    results = as_results(results)
    statuses = set(results.statuses())
    if "fail" in statuses:
        return "fail"
    severities = results.fired_severities() if "fired" in statuses else set()
    if "fail" in severities or (strict and "unknown" in statuses):
        return "fail"
    if "warn" in statuses or "unknown" in statuses or "warn" in severities:
        return "warn"
    return "pass"


class Timeline:
    """Numbers the periods of a history from the earliest one the evaluation can need."""

    def __init__(self, checked: Checked, history: History) -> None:
        if not history.snapshots:
            raise InputError("<snapshots>", "there are no snapshots to evaluate")
        periods = [snapshot.period for snapshot in history.snapshots]
        self.cadence = checked.cadence or periods[0].cadence
        window = checked.window
        self.window_first = window_first_period(window) if window else periods[0]
        last = window_last_period(window) if window else None
        self.base = min(periods[0], self.window_first)
        self.periods = periods
        self.metrics = {
            self.position(p): snap.metrics
            for p, snap in zip(periods, history.snapshots, strict=True)
        }
        self.window_start = self.position(self.window_first)
        self.window_end = self.position(last) if last is not None else None
        self.labels: dict[int, str] = {}
        self.frame: Frame | None = None

    def position(self, period: Period) -> int:
        if period >= self.base:
            return periods_between(self.base, period) - 1
        return 1 - periods_between(period, self.base)

    def label(self, position: int) -> str:
        label = self.labels.get(position)
        if label is None:
            try:
                label = period_label(shift_period(self.base, position))
            except PeriodError:
                label = f"period {position} of the history"
            self.labels[position] = label
        return label

    def current(self, at: str | Period | None) -> int:
        if at is None:
            return self.position(self.periods[-1])
        period = at
        if isinstance(at, str):
            try:
                period = parse_period(at)
            except PeriodError as problem:
                raise InputError("--at", str(problem)) from None
        assert isinstance(period, Period)
        if period not in self.periods:
            known = ", ".join(period_label(p) for p in self.periods)
            raise InputError(
                "--at", f"{period_label(period)} has no snapshot (the history has {known})"
            )
        return self.position(period)

    def deadline(self, goal: s.Goal) -> int:
        assert goal.deadline is not None
        return self.position(period_containing(goal.deadline, self.cadence))

    def moment(self, current: int) -> Moment:
        # One frame for every moment: values at a position do not depend on which period is
        # current, so a replay reuses what earlier periods worked out (running totals above all).
        if self.frame is None:
            self.frame = Frame(self.metrics, self.label, self.window_start)
        return Moment(self.frame, current, self.window_end, self.deadline)

    def positions(self) -> list[int]:
        return [self.position(period) for period in self.periods]
