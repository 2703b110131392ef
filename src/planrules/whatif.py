"""What it would take: the smallest change of one input that makes a goal or threshold pass.

The inputs are the metric values (and keys) a rule reads at the current period, through lets
and functions. Each is changed alone, the rest of the history kept: the rule's pass margins
(numbers that are all >= 0 exactly when it passes) are read at three points; where they are
linear in the input the change is solved exactly, otherwise it is found by a bounded search on
a grid (whole counts, cents, 0.0001 for ratios). Every answer is confirmed by judging the rule
again; an input no change of which can help is left out.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs

from planrules import syntax as s
from planrules.compile import Frame
from planrules.exprcheck import Scope, names_read
from planrules.report import Change, Result
from planrules.rules import GoalRule, Moment, ThresholdRule
from planrules.values import EVALUATION, as_fraction, whole_if_possible

LARGEST = 10**24  # snapshot values never go beyond this; neither do proposed ones
MOST_KEYS = 10  # keys of an aggregated metric tried one by one
DOUBLINGS = 90  # 2**90 grid steps reach past LARGEST from any grid
GRID = {
    "count": Fraction(1),
    "money": Fraction(1, 100),
    "ratio": Fraction(1, 10_000),
    "number": Fraction(1, 100),
}

Margins = list[tuple[Any, bool]] | None


@attrs.frozen
class Input:
    metric: str
    key: str | None
    unit: str


@attrs.define
class WhatIf:
    """Judges one rule for one key with one input of the current period changed."""

    rule: GoalRule | ThresholdRule
    moment: Moment
    key: str | None

    def margins(self, input: Input, value: Any) -> Margins:
        frame = self.moment.frame
        current = self.moment.current
        snapshot = dict(frame.metrics[current])
        if input.key is None:
            snapshot[input.metric] = value
        else:
            keyed = dict(snapshot.get(input.metric) or {})
            keyed[input.key] = value
            snapshot[input.metric] = keyed
        metrics = dict(frame.metrics)
        metrics[current] = snapshot
        changed = Frame(metrics, frame.label, frame.window_start)
        moment = Moment(changed, current, self.moment.window_end, self.moment.position_of)
        return self.rule.pass_margins(moment, self.key)

    def passes(self, input: Input, value: Any) -> bool:
        return _all_hold(self.margins(input, value))


def _all_hold(margins: Margins) -> bool:
    if margins is None:
        return False
    return all(margin > 0 if strict else margin >= 0 for margin, strict in margins)


def what_it_takes(
    rule: GoalRule | ThresholdRule, moment: Moment, key: str | None, scope: Scope
) -> tuple[Change, ...]:
    """One change per input that alone makes the rule pass for `key`, smallest first found."""
    with decimal.localcontext(EVALUATION):
        what_if = WhatIf(rule, moment, key)
        changes = []
        for input in rule_inputs(rule, moment, key, scope):
            change = _smallest_change(what_if, input)
            if change is not None:
                changes.append(change)
        return tuple(changes)


def rule_inputs(
    rule: GoalRule | ThresholdRule, moment: Moment, key: str | None, scope: Scope
) -> list[Input]:
    snapshot = moment.frame.metrics.get(moment.current, {})
    per = rule.goal.per if isinstance(rule, GoalRule) else rule.threshold.per
    inputs: list[Input] = []
    for name in _metrics_read(_expressions(rule), scope):
        metric = scope.metrics[name]
        unit = metric.type
        if metric.dimension is None:
            if snapshot.get(name) is not None:
                inputs.append(Input(name, None, unit))
        elif metric.dimension == per and key is not None:
            if snapshot.get(name) is not None:
                inputs.append(Input(name, key, unit))
        else:
            keys = sorted(snapshot.get(name) or {})[:MOST_KEYS]
            inputs.extend(Input(name, k, unit) for k in keys)
    return inputs


def _expressions(rule: GoalRule | ThresholdRule) -> list[s.Expr]:
    if isinstance(rule, GoalRule):
        goal = rule.goal
        return [e for e in (goal.subject, goal.target, goal.baseline) if e is not None]
    threshold = rule.threshold
    return [threshold.subject, *(level.bound for level in threshold.levels)]


def _metrics_read(exprs: list[s.Expr], scope: Scope) -> list[str]:
    """Metrics the expressions read, through lets, in the order first met."""
    found: dict[str, None] = {}
    seen: set[str] = set()
    pending = [name for expr in exprs for name in names_read(expr)]
    pending.reverse()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in scope.metrics:
            found[name] = None
        elif name in scope.lets:
            pending.extend(reversed(list(names_read(scope.lets[name].expr))))
    return list(found)


# ---- solving for one input -----------------------------------------------------------------


def _current_value(what_if: WhatIf, input: Input) -> Any:
    value = what_if.moment.frame.metrics[what_if.moment.current].get(input.metric)
    if input.key is not None:
        return (value or {}).get(input.key, 0)
    return value


def _smallest_change(what_if: WhatIf, input: Input) -> Change | None:
    start = _current_value(what_if, input)
    if start is None or what_if.passes(input, start):
        return None
    grid = GRID.get(input.unit, GRID["number"])
    outcome, change = _solved_exactly(what_if, input, start, grid)
    if outcome == "not linear":
        change = _searched(what_if, input, start, grid)
    if change is None:
        return None
    target = whole_if_possible(as_fraction(start) + change)
    return Change(input.metric, input.key, whole_if_possible(change), target, input.unit)


def _solved_exactly(
    what_if: WhatIf, input: Input, start: Any, grid: Fraction
) -> tuple[str, Fraction | None]:
    """Where every margin is linear in the input: ("solved", the change, confirmed by judging
    again) or ("no help", None); otherwise ("not linear", None)."""
    origin = as_fraction(start)
    step = max(grid, abs(Fraction(origin)))
    samples = [what_if.margins(input, _as_input(origin + k * step)) for k in range(3)]
    if any(sample is None for sample in samples):
        return "not linear", None
    low, high = Fraction(-LARGEST), Fraction(LARGEST)
    for (m0, strict), (m1, _), (m2, _) in zip(*samples, strict=True):
        m0, m1, m2 = as_fraction(m0), as_fraction(m1), as_fraction(m2)
        if m2 - m1 != m1 - m0:
            return "not linear", None
        slope = (m1 - m0) / step
        if slope == 0:
            if m0 < 0 or (strict and m0 == 0):
                return "no help", None
            continue
        root = -m0 / slope
        if strict:
            root += grid if slope > 0 else -grid
        if slope > 0:
            low = max(low, root)
        else:
            high = min(high, root)
    if low > high:
        return "no help", None
    change = low if low > 0 else high if high < 0 else Fraction(0)
    change = _on_grid(change, grid) if input.unit == "count" else change
    value = origin + change
    if not _allowed(input, value) or not what_if.passes(input, _as_input(value)):
        return "not linear", None
    return "solved", change


def _searched(what_if: WhatIf, input: Input, start: Any, grid: Fraction) -> Fraction | None:
    """The smallest change on the grid, up or down, by doubling then halving the step."""
    origin = as_fraction(start)
    best: Fraction | None = None
    for direction in (1, -1):
        found = _search_direction(what_if, input, origin, grid * direction)
        if found is not None and (best is None or abs(found) < abs(best)):
            best = found
    return best


def _search_direction(
    what_if: WhatIf, input: Input, origin: Fraction, step: Fraction
) -> Fraction | None:
    def passes(steps: int) -> bool:
        value = origin + steps * step
        return _allowed(input, value) and what_if.passes(input, _as_input(value))

    failing, passing = 0, 1
    for _ in range(DOUBLINGS):
        if not _allowed(input, origin + passing * step):
            return None
        if passes(passing):
            break
        failing, passing = passing, passing * 2
    else:
        return None
    while passing - failing > 1:
        middle = (failing + passing) // 2
        if passes(middle):
            passing = middle
        else:
            failing = middle
    return passing * step


def _allowed(input: Input, value: Fraction) -> bool:
    """Values a snapshot could hold: within range, and no negative count."""
    if abs(value) > LARGEST:
        return False
    return not (input.unit == "count" and value < 0)


def _on_grid(change: Fraction, grid: Fraction) -> Fraction:
    """Rounded away from zero to the grid, so the rounded change still does the job."""
    steps = change / grid
    whole = math.ceil(steps) if steps > 0 else math.floor(steps)
    return whole * grid


def _as_input(value: Fraction) -> Any:
    """A value as a snapshot would hold it: int where whole, else an exact Decimal or fraction."""
    if value.denominator == 1:
        return value.numerator
    try:
        return EVALUATION.divide(Decimal(value.numerator), Decimal(value.denominator))
    except decimal.Inexact:
        return value


def solver(
    rule: GoalRule | ThresholdRule, moment: Moment, scope: Scope
) -> Callable[[Result], tuple[Change, ...]]:
    """What it takes for any result of `rule` at `moment`, worked out for the result's key."""

    def solve(result: Result) -> tuple[Change, ...]:
        return what_it_takes(rule, moment, result.key, scope)

    return solve
