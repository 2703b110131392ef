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
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs

from planrules.eval.compile import Frame
from planrules.eval.rules import GoalRule, Moment, ThresholdRule
from planrules.eval.values import EVALUATION, as_fraction, whole_if_possible
from planrules.lang import syntax as s
from planrules.lang.exprcheck import AGGREGATES, Scope, metrics_read, operands
from planrules.report.model import Change, Result

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
    """Judges one rule for one key with one input of the current period changed.

    Where the rule reads no sum over keys, only its own key matters: the keyed metrics of its
    dimension are cut down to that key once, so that judging it again costs what one key
    costs, not what all of a `per store` rule's 100,000 stores would.
    """

    rule: GoalRule | ThresholdRule
    moment: Moment
    key: str | None
    metrics: dict[int, dict[str, Any]] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.metrics = self.moment.frame.metrics

    def narrow_to_key(self, keyed: set[str]) -> None:
        key = self.key
        assert key is not None
        self.metrics = {
            position: {
                name: _only(value, key) if name in keyed else value
                for name, value in snapshot.items()
            }
            for position, snapshot in self.metrics.items()
        }

    def margins(self, input: Input, value: Any) -> Margins:
        frame = self.moment.frame
        current = self.moment.current
        snapshot = dict(self.metrics[current])
        if input.key is None:
            snapshot[input.metric] = value
        else:
            keyed = dict(snapshot.get(input.metric) or {})
            keyed[input.key] = value
            snapshot[input.metric] = keyed
        metrics = dict(self.metrics)
        metrics[current] = snapshot
        changed = Frame(metrics, frame.label, frame.window_start)
        moment = Moment(changed, current, self.moment.window_end, self.moment.position_of)
        return self.rule.pass_margins(moment, self.key)

    def passes(self, input: Input, value: Any) -> bool:
        return _all_hold(self.margins(input, value))


def _only(value: Any, key: str) -> Any:
    if not isinstance(value, dict):
        return value
    return {key: value[key]} if key in value else {}


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
        per = _dimension(rule)
        aggregates = reads_aggregate(_expressions(rule), scope)
        if per is not None and key is not None and not aggregates:
            what_if.narrow_to_key({name for name, m in scope.metrics.items() if m.dimension == per})
        changes = []
        for input in rule_inputs(rule, moment, key, scope, aggregates):
            change = _smallest_change(what_if, input)
            if change is not None:
                changes.append(change)
        return tuple(changes)


def _dimension(rule: GoalRule | ThresholdRule) -> str | None:
    return rule.goal.per if isinstance(rule, GoalRule) else rule.threshold.per


def rule_inputs(
    rule: GoalRule | ThresholdRule,
    moment: Moment,
    key: str | None,
    scope: Scope,
    aggregates: bool,
) -> list[Input]:
    """The values the rule reads at the current period: its own key first, and where it sums
    over keys, the others too (the first MOST_KEYS in key order)."""
    snapshot = moment.frame.metrics.get(moment.current, {})
    per = _dimension(rule)
    inputs: list[Input] = []
    for name in metrics_read(_expressions(rule), scope):
        metric = scope.metrics[name]
        value = snapshot.get(name)
        if value is None:
            continue
        if metric.dimension is None:
            inputs.append(Input(name, None, metric.type))
            continue
        own = [key] if metric.dimension == per and key is not None else []
        others = [k for k in sorted(value) if k not in own] if aggregates or not own else []
        inputs.extend(Input(name, k, metric.type) for k in [*own, *others[:MOST_KEYS]])
    return inputs


def reads_aggregate(exprs: list[s.Expr], scope: Scope) -> bool:
    """Whether the expressions sum, count or compare over the keys of a value, through lets."""
    seen: set[str] = set()
    pending = list(exprs)
    while pending:
        node = pending.pop()
        if isinstance(node, s.Call) and node.function in AGGREGATES and len(node.args) == 1:
            return True
        if isinstance(node, s.Name) and node.name in scope.lets and node.name not in seen:
            seen.add(node.name)
            pending.append(scope.lets[node.name].expr)
        pending.extend(operands(node))
    return False


def _expressions(rule: GoalRule | ThresholdRule) -> list[s.Expr]:
    if isinstance(rule, GoalRule):
        goal = rule.goal
        return [e for e in (goal.subject, goal.target, goal.baseline) if e is not None]
    threshold = rule.threshold
    return [threshold.subject, *(level.bound for level in threshold.levels)]


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
    change = _solved_exactly(what_if, input, as_fraction(start), grid)
    if change is None:
        # Not linear after all, or flat where it was sampled (max, round, ...): search.
        change = _searched(what_if, input, start, grid)
    if change is None:
        return None
    target = whole_if_possible(as_fraction(start) + change)
    return Change(input.metric, input.key, whole_if_possible(change), target, input.unit)


def _solved_exactly(
    what_if: WhatIf, input: Input, origin: Fraction, grid: Fraction
) -> Fraction | None:
    """Where the margins are linear in the input (read at three points): the change solved,
    rounded away from zero onto the grid, and confirmed to pass where one grid step less
    does not. None where any of that fails."""
    step = max(grid, abs(Fraction(origin)))
    samples = [what_if.margins(input, _as_input(origin + k * step)) for k in range(3)]
    if any(sample is None for sample in samples):
        return None
    low, high = Fraction(-LARGEST), Fraction(LARGEST)
    for (m0, _), (m1, _), (m2, _) in zip(*samples, strict=True):
        m0, m1, m2 = as_fraction(m0), as_fraction(m1), as_fraction(m2)
        if m2 - m1 != m1 - m0:
            return None
        slope = (m1 - m0) / step
        if slope == 0:
            if m0 < 0:
                return None
            continue
        root = -m0 / slope
        if slope > 0:
            low = max(low, root)
        else:
            high = min(high, root)
    if low > high or low <= 0 <= high:
        return None
    direction = 1 if low > 0 else -1
    nearest = _on_grid(low if direction > 0 else high, grid)
    # A strict comparison (`>`) is not met at its root: then one step further.
    for change in (nearest, nearest + direction * grid):
        value = origin + change
        if not _allowed(input, value) or not what_if.passes(input, _as_input(value)):
            continue
        smaller = change - direction * grid
        if smaller != 0 and what_if.passes(input, _as_input(origin + smaller)):
            return None
        return change
    return None


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


@attrs.frozen
class Solver:
    """What it would take for any result of one evaluation to pass, worked out for the
    result's rule and key when asked for: one for every result of a report."""

    moment: Moment
    scope: Scope
    rules: Mapping[str, GoalRule | ThresholdRule]  # by name: the rules it can solve

    def __call__(self, result: Result) -> tuple[Change, ...]:
        return what_it_takes(self.rules[result.rule], self.moment, result.key, self.scope)
