"""Each rule by its kind, after the names and lets: goals and thresholds here, budgets and
triggers in their own modules."""

from __future__ import annotations

import datetime
import functools
from decimal import Decimal

import attrs

from planrules.lang import syntax as s
from planrules.lang.check_budgets import BudgetCheck, BudgetLines, budgets_among
from planrules.lang.check_reporting import Report, Reporting, where
from planrules.lang.check_triggers import TriggerCheck, check_status_cycles
from planrules.lang.check_values import RuleValues
from planrules.lang.exprcheck import HISTORY, Scope, is_paced, metrics_read, operands
from planrules.lang.messages import Message, said_by
from planrules.lang.numbers import UNBOUNDED
from planrules.lang.periods import (
    PeriodError,
    Window,
    period_containing,
    periods_between,
    window_first_period,
)
from planrules.lang.units import Type

_ONE = Decimal(1)


def check_rules(
    rules: list[s.Rule],
    scope: Scope,
    unknown_dimensions: set[str],
    window: Window | None,
    report: Report,
) -> None:
    values = RuleValues(report, scope, unknown_dimensions)
    goals = _GoalCheck(report, values, window)
    thresholds = _ThresholdCheck(report, values)
    budgets = BudgetCheck(report, values)
    triggers = TriggerCheck(report, values, BudgetLines(report, budgets_among(rules)))
    for rule in rules:
        values.rule = rule
        if isinstance(rule, s.Goal):
            goals.check(rule)
        elif isinstance(rule, s.Threshold):
            thresholds.check(rule)
        elif isinstance(rule, s.Budget):
            budgets.check(rule)
        else:
            triggers.check(rule)
    values.rule = None
    check_status_cycles(rules, report)


@attrs.define
class _GoalCheck(Reporting):
    values: RuleValues
    window: Window | None

    def check(self, goal: s.Goal) -> None:
        number_type = self.values.number_type
        subject = number_type(goal.subject, goal.per, Message("the goal's value"))
        target = number_type(goal.target, goal.per, Message("the goal's target"))
        if subject is not None and target is not None:
            self.values.compatible(goal.target, subject, target, goal.op)
        if goal.baseline is not None:
            baseline = number_type(goal.baseline, goal.per, Message("the goal's baseline"))
            if subject is not None and baseline is not None:
                self.values.compatible(goal.baseline, subject, baseline, "from")
            self.check_baseline_known(goal.baseline)
        if subject is not None:
            self.check_paced(goal, subject)
        if goal.tolerance is not None:
            self.values.check_fraction(goal.tolerance, Message("a tolerance"))
        if goal.deadline is not None:
            self.check_deadline(goal)
        elif goal.phased is not None:
            self.problem(
                "phased-weights",
                goal.phased[0].span.through(goal.phased[-1].span),
                Message("`phased` spreads a goal over the periods to its deadline; add `by DATE`"),
            )

    def check_baseline_known(self, baseline: s.Expr) -> None:
        """A baseline read from a metric moves with the plan: at the current period it is the
        value itself when the subject is that metric, and progress from it is always 0."""
        read = metrics_read([baseline], self.values.scope)
        if read:
            self.problem(
                "bad-baseline",
                baseline.span,
                Message(
                    "the baseline reads the metric `{read}`: read at the current period, it moves "
                    "with the plan instead of saying where the plan started",
                    read=read[0],
                ),
                Message(
                    "a baseline is known in advance: a number such as `from 1.2 tỷ`, a table, or "
                    "a let of those"
                ),
            )

    def check_paced(self, goal: s.Goal, subject: Type) -> None:
        """A `>`/`>=` goal with a deadline that cannot be paced warns, rather than fails, all
        the way to its deadline: the strategist most likely meant a cumulative figure or a
        starting level. Rates are not paced by nature, and a `<`/`<=` goal warns only while it
        does not hold, so neither is told."""
        scope = self.values.scope
        if goal.deadline is None or goal.op not in (">", ">=") or subject.unit == "ratio":
            return
        if is_paced(goal, scope) or any(name == "from" for name, _ in goal.clause_spans):
            return  # a `from` that was refused is reported already
        if not metrics_read([goal.subject], scope):
            return
        because, hint = _why_unpaced(goal, scope.reads_stock(goal.subject))
        self.caution(
            "unpaced-goal",
            goal.subject.span,
            Message(
                'goal "{goal}" is not paced: {because}, so until {deadline} it warns unless it '
                "already holds",
                goal=goal.name,
                because=because,
                deadline=goal.deadline,
            ),
            hint,
        )

    def check_deadline(self, goal: s.Goal) -> None:
        window = self.window
        assert goal.deadline is not None
        if window is None:
            return
        try:
            period_containing(goal.deadline, window.cadence)
        except PeriodError as problem:
            self.problem(
                "bad-date",
                where(goal, "by"),
                Message("the deadline cannot be used: {problem}", problem=said_by(problem)),
            )
            return
        if not (window.start <= goal.deadline <= (window.end or goal.deadline)):
            self.caution(
                "deadline-outside-window",
                where(goal, "by"),
                Message(
                    "the deadline {deadline} is outside the plan window {start} to {end}",
                    deadline=goal.deadline,
                    start=window.start,
                    end=window.end,
                ),
            )
        elif goal.phased is not None:
            self.check_phased(goal.phased, window, goal.deadline)

    def check_phased(
        self, weights: tuple[s.Number, ...], window: Window, deadline: datetime.date
    ) -> None:
        first = window_first_period(window)
        last = period_containing(deadline, window.cadence)
        count = periods_between(first, last)
        span = weights[0].span.through(weights[-1].span)
        if len(weights) != count:
            self.problem(
                "phased-weights",
                span,
                Message(
                    "`phased` gives {weights} weight(s), but the goal spans {count} period(s) "
                    "from the window's start through its deadline",
                    weights=len(weights),
                    count=count,
                ),
            )
        # Never rounded: the caller's context may round a sum that misses 100% to 100%.
        total = functools.reduce(UNBOUNDED.add, (w.value for w in weights), Decimal(0))
        if total != _ONE:
            self.problem(
                "phased-weights",
                span,
                Message(
                    "`phased` weights sum to {total:f}%, not 100%",
                    total=total.scaleb(2, UNBOUNDED).normalize(UNBOUNDED),
                ),
            )


@attrs.define
class _ThresholdCheck(Reporting):
    values: RuleValues

    def check(self, threshold: s.Threshold) -> None:
        number_type = self.values.number_type
        subject = number_type(threshold.subject, threshold.per, Message("the threshold's value"))
        for level in threshold.levels:
            bound = number_type(level.bound, threshold.per, Message("a level"))
            if subject is not None and bound is not None:
                self.values.compatible(level.bound, subject, bound, "<")
        if not threshold.levels:
            self.caution(
                "no-levels", threshold.span, Message("this threshold has no warn or fail level")
            )
        self.check_reachable(threshold.levels)

    def check_reachable(self, levels: tuple[s.Level, ...]) -> None:
        """A warn level hidden behind a fail level in the same direction is never reported."""
        fail_bounds = {level.direction: level.bound for level in levels if level.status == "fail"}
        fails = {direction: _constant(bound) for direction, bound in fail_bounds.items()}
        for level in levels:
            fail = fails.get(level.direction)
            warn = _constant(level.bound)
            if level.status != "warn" or fail is None or warn is None:
                continue
            hidden = warn >= fail if level.direction == "above" else warn <= fail
            if hidden:
                self.caution(
                    "unreachable-level",
                    level.span,
                    Message(
                        "`warn {direction} {warn}` can never be reached: `fail {direction} "
                        "{fail}` is reached first",
                        direction=level.direction,
                        warn=_expression_text(level.bound),
                        fail=_expression_text(fail_bounds[level.direction]),
                    ),
                )


def _why_unpaced(goal: s.Goal, stock: s.Metric | None) -> tuple[str, str]:
    """Why a goal reading metrics is not paced, and how it could be: a stock needs the level it
    starts from, a flow a sum over the window."""
    subject = _expression_text(goal.subject)
    if stock is not None:
        return (
            Message("`{stock}` is a stock and the goal has no `from`", stock=stock.name),
            Message(
                "add `from` and the level `{stock}` starts at, e.g. `from 4200`", stock=stock.name
            ),
        )
    if any(isinstance(node, s.Call) and node.function in HISTORY for node in _nodes(goal.subject)):
        return (
            Message("`{subject}` is not a sum of `total(...)` terms", subject=subject),
            Message("write it as a sum of `total(...)` terms, or add `from` and where it starts"),
        )
    cumulative = f"total({subject}) {goal.op} {_expression_text(goal.target)}"
    return (
        Message("`{subject}` is one period's figure", subject=subject),
        Message(
            "if the target is for the whole window, sum it: `{cumulative}`", cumulative=cumulative
        ),
    )


def _expression_text(expr: s.Expr) -> str:
    """An expression as a ruleset writes it, for a message: the formatter is loaded only when
    a message needs one, so that checking a ruleset without such problems does not load it."""
    from planrules.lang.fmt import expression as written

    return written(expr)


def _nodes(expr: s.Expr) -> list[s.Expr]:
    """An expression and every expression in it, walked without recursion."""
    found, pending = [], [expr]
    while pending:
        node = pending.pop()
        found.append(node)
        pending.extend(operands(node))
    return found


def _constant(expr: s.Expr) -> Decimal | None:
    if isinstance(expr, s.Number):
        return expr.value
    if isinstance(expr, s.Unary) and expr.op == "-":
        inner = _constant(expr.operand)
        return inner.copy_negate() if inner is not None else None
    return None
