"""Traced variants of the compiled rules and of the adjuster: they judge as the rules do, with
the same code, and record what they worked out into a `Trace` for one key.

Only an evaluation asked to trace (`Ruleset.traced`) builds these, for the one rule it
explains; each overrides the methods where a figure is decided, calls the rule's own method
and notes what it found. They take no fast path that judges many keys in C, so that every
key goes through the general methods they record.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

from planrules.eval.adjust import Adjuster, SpentSoFar
from planrules.eval.budgets import BudgetRule
from planrules.eval.compile import ExpressionCompiler
from planrules.eval.frame import Frame
from planrules.eval.functions import periods_read
from planrules.eval.pacing import paced_from, periods_done
from planrules.eval.rules import (
    GoalRule,
    Moment,
    ThresholdRule,
)
from planrules.eval.trace import (
    ActionRecord,
    BudgetRecord,
    Elapsed,
    GoalRecord,
    LevelRecord,
    Spending,
    ThresholdRecord,
    Trace,
    TriggerPeriod,
    TriggerRecord,
)
from planrules.eval.triggers import TriggerRule, Walk
from planrules.eval.values import at_key
from planrules.lang import syntax as s
from planrules.lang.exprcheck import Scope
from planrules.lang.periods import PeriodError
from planrules.report.model import Pacing, Result, Row


def traced_rule(
    rule: s.Rule, scope: Scope, trace: Trace
) -> TracedGoal | TracedThreshold | TracedBudget | TracedTrigger:
    """`rule` compiled again, recording into `trace` as it is judged."""
    compiler = ExpressionCompiler(scope, record=trace.note)
    if isinstance(rule, s.Goal):
        return TracedGoal(rule, compiler, trace)
    if isinstance(rule, s.Threshold):
        return TracedThreshold(rule, compiler, trace)
    if isinstance(rule, s.Budget):
        return TracedBudget(rule, compiler, trace)
    return TracedTrigger(rule, compiler, trace)


# ---- goals ---------------------------------------------------------------------------------


class TracedGoal(GoalRule):
    def __init__(self, goal: s.Goal, compiler: ExpressionCompiler, trace: Trace) -> None:
        super().__init__(goal, compiler)
        self.trace = trace
        self.judged: tuple[Moment | None, int, int | None, bool] = (None, 0, None, False)

    def when(self, moment: Moment) -> tuple[int, Pacing | None, str | None]:
        at, pacing, problem = super().when(moment)
        deadline = None
        if self.goal.deadline is not None:
            with contextlib.suppress(PeriodError):  # `problem` says why
                deadline = moment.position_of(self.goal)
        reached = deadline is not None and moment.current >= deadline
        self.judged = (moment, at, deadline, reached)
        return at, pacing, problem

    def elapsed(self, first: int | None) -> Elapsed | None:
        """How `pace` came to its elapsed share: the same periods, counted the same way."""
        moment, _, deadline, reached = self.judged
        if deadline is None or moment is None:
            return None
        start = paced_from(moment, first)
        if reached:
            return Elapsed("reached", start, deadline)
        if not self.paced:
            return Elapsed("unpaced", start, deadline)
        done, span = periods_done(moment, deadline, start)
        if done <= 0:
            return Elapsed("not started", start, deadline)
        if self.goal.phased is None:
            return Elapsed("even", start, deadline, done, span)
        own = self.goal.phased[start - moment.window_start :]
        scaled = own if start > moment.window_start else ()
        return Elapsed("phased", start, moment.current, done, span, own[:done], scaled)

    def paced_column(
        self, pacing: Pacing, values: list[Any], targets: list[Any], baselines: list[Any]
    ) -> list[str] | None:
        return None  # every key through `judge_with`, which records

    def judge_with(
        self, pacing: Pacing | None, problem: str | None, first: int | None = None
    ) -> Callable[[str | None, Any, Any, Any], Row]:
        judge = super().judge_with(pacing, problem, first)
        verdict = self.verdict_with(pacing)
        paced = pacing is not None and pacing.paced
        warn_line = self.warn_line(pacing.elapsed) if paced and pacing is not None else None

        def judged(key: str | None, value: Any, target: Any, baseline: Any) -> Row:
            row = judge(key, value, target, baseline)
            if key == self.trace.key:
                _, at, deadline, reached = self.judged
                decided = None if row[2] == "unknown" else verdict(value, target, baseline)
                holds = self.compare(value, target)
                self.trace.record = GoalRecord(
                    at, deadline, reached, self.elapsed(first), holds, warn_line, decided
                )
            return row

        return judged


# ---- thresholds ----------------------------------------------------------------------------


class TracedThreshold(ThresholdRule):
    def __init__(self, threshold: s.Threshold, compiler: ExpressionCompiler, trace: Trace) -> None:
        super().__init__(threshold, compiler)
        self.trace = trace
        self.fixed_levels = None  # judged on its own, not in a run of thresholds

    def level_columns(
        self, keys: list[str], values: list[Any], bounds: list[list[Any]]
    ) -> list[Row] | None:
        return None  # every key through `judge`, which records

    def judge_now(self, value: Any, frame: Frame, at: int) -> Row:
        # Every level's bound, not only those the verdict needed, so that each is shown.
        self.note(None, value, [bound(frame, at) for _, _, bound, _ in self.levels])
        return super().judge_now(value, frame, at)

    def judge(self, key: str | None, value: Any, bounds: Sequence[Any]) -> Row:
        self.note(key, value, bounds)
        return super().judge(key, value, bounds)

    def note(self, key: str | None, value: Any, bounds: Sequence[Any]) -> None:
        if key != self.trace.key:
            return
        tried = {
            id(level): LevelRecord(level, at_key(bound, key), beyond(value, at_key(bound, key)))
            for level, (_, beyond, _, _), bound in zip(
                self.level_nodes, self.levels, bounds, strict=True
            )
        }
        levels = self.threshold.levels
        self.trace.record = ThresholdRecord(tuple(tried[id(level)] for level in levels))


# ---- budgets -------------------------------------------------------------------------------


class TracedBudget(BudgetRule):
    def __init__(self, budget: s.Budget, compiler: ExpressionCompiler, trace: Trace) -> None:
        super().__init__(budget, compiler)
        self.trace = trace

    def results(self, moment: Moment) -> list[Result]:
        results = super().results(moment)
        if self.metric is not None:
            self.note(moment, results)
        return results

    def note(self, moment: Moment, results: list[Result]) -> None:
        assert self.metric is not None
        key, at = self.trace.key, self.judged_at(moment)
        periods = (
            range(at, at + 1)
            if self.budget.per_period
            else periods_read("total", 0, at, moment.window_start)
        )
        counted = self.trace.summed(self.metric, periods)
        by_period = tuple(
            (position, self.spent_of(self.trace.value(self.metric, position), key))
            for position in counted
        )
        elapsed = self.elapsed(moment)
        pace = self.pace(moment)
        spending = {
            result.key: Spending(*self.judge_spending(result.value, result.planned, pace))
            for result in results
            if result.value is not None
        }
        done, span = elapsed if elapsed is not None else (0, 0)
        pace_line = self.pace_line(pace) if pace is not None else None
        self.trace.record = BudgetRecord(
            at, by_period, len(periods) - len(counted), done, span, pace, pace_line, spending
        )


# ---- triggers ------------------------------------------------------------------------------


class TracedTrigger(TriggerRule):
    def __init__(self, trigger: s.Trigger, compiler: ExpressionCompiler, trace: Trace) -> None:
        super().__init__(trigger, compiler)
        self.trace = trace

    def rows(self, moment: Moment) -> list[Row]:
        found = super().rows(moment)
        if any(row[1] == self.trace.key for row in found):
            self.note(moment, self.walk(moment))
        return found

    def note(self, moment: Moment, walk: Walk) -> None:
        """Each period of the traced key as the walk has it."""
        key = self.trace.key
        per = self.trigger.per
        since = moment.frame.life(per).first.get(key) if per and key is not None else None
        periods: list[TriggerPeriod] = []
        for position, condition in zip(walk.positions, walk.conditions, strict=True):
            fired_before = walk.last_fired(key, position)
            looked = self.looked_at(position)
            periods.append(
                TriggerPeriod(
                    position,
                    at_key(condition, key),
                    walk.state_at(position, key),
                    fired_before,
                    None if fired_before is None else position - fired_before,
                    walk.state_at(position, key) != "quiet",
                    tuple((p, self.mark(walk, p, key, since)) for p in looked),
                    sum(1 for p in looked if key in walk.held.get(p, ())),
                    since is None or position >= since,
                )
            )
        self.trace.record = TriggerRecord(tuple(periods))

    @staticmethod
    def mark(walk: Walk, position: int, key: str | None, since: int | None) -> str:
        if key in walk.held.get(position, ()):
            return "held"
        if since is not None and position < since:
            return "before the key's first period"
        return "not held" if position in walk.frame.metrics else "no snapshot"


# ---- adjustments ---------------------------------------------------------------------------


class TracedAdjuster(Adjuster):
    """Records every action it applies, with its limits as they stood when it was applied."""

    trace: Trace

    @classmethod
    def tracing(
        cls, budgets: list[s.Budget], currency: str | None, spending: SpentSoFar, trace: Trace
    ) -> TracedAdjuster:
        adjuster = cls.of(budgets, currency, spending)
        assert isinstance(adjuster, TracedAdjuster)
        adjuster.trace = trace
        return adjuster

    def apply(self, trigger: str, key: str | None, action: s.Shift | s.Scale) -> None:
        lines, _, budget, _ = self.resolve(action, key)
        limits = budget.limits(action, lines) if budget is not None else []
        before = {line: budget.lines[line] for line in lines} if budget is not None else {}
        super().apply(trigger, key, action)
        after = {line: budget.lines[line] for line in lines} if budget is not None else {}
        record = ActionRecord(
            trigger,
            key,
            action,
            tuple(lines),
            self.adjustments[-1],
            tuple(limits),
            before,
            after,
            budget.total if budget is not None else None,
        )
        self.trace.actions.append(record)
