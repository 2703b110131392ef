"""What it would take: the smallest change of one input that makes a goal or threshold pass.

The inputs are the metric values (and keys) a rule reads at the current period, through lets
and functions. Each is changed alone, the rest of the history kept: the rule's pass margins
(numbers that are all >= 0 exactly when it passes) are read at three points; where they are
linear in the input the new value is solved exactly, otherwise it is found by a bounded search
on a grid (whole counts, cents, 0.0001 for ratios). A new value is always one a snapshot of
the metric could hold: on the grid, within 10^24, and not below zero for a count, money, a
ratio or a stock. Every answer is confirmed by judging the rule again; an input no such value
of which passes is left out.

The answers come in the contract's order: inputs the rule reads outside a denominator first
(changing a divisor is rarely the lever a plan means), then the smallest change relative to
the input's value, then by name and key.
"""

from __future__ import annotations

import decimal
import functools
import heapq
import math
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final

import attrs

from planrules.eval.frame import Frame
from planrules.eval.rules import GoalRule, Margins, Moment, ThresholdRule
from planrules.eval.symbolic import NotLinear, Ratio
from planrules.eval.values import EVALUATION, as_fraction, subtract, whole_if_possible
from planrules.lang import syntax as s
from planrules.lang.exprcheck import ACROSS_KEYS, AGGREGATES, Scope, metrics_read, operands
from planrules.lang.numbers import LARGEST  # no snapshot value goes beyond; nor a proposal
from planrules.lang.ratio_forms import RatioForm
from planrules.report.model import Change

MOST_KEYS = 10  # keys of an aggregated metric tried one by one
GRID = {
    "count": Fraction(1),
    "money": Fraction(1, 100),
    "ratio": Fraction(1, 10_000),
    "number": Fraction(1, 100),
}
# Units no value of which is below zero (a `number` metric may be, unless it is a stock).
NOT_NEGATIVE = frozenset({"count", "money", "ratio"})


@attrs.frozen
class Input:
    metric: str
    key: str | None
    unit: str
    stock: bool = False
    form: RatioForm | None = None  # how a ratio input is shown, as its name

    @property
    def grid(self) -> Fraction:
        return GRID.get(self.unit, GRID["number"])

    @property
    def lowest(self) -> Fraction:
        """The smallest value a snapshot of the input could hold."""
        signed = self.unit not in NOT_NEGATIVE and not self.stock
        return Fraction(-LARGEST if signed else 0)


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
    passing_now: bool | None = attrs.field(init=False, default=None)

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
        if input.key is not None:
            now = self.metrics[self.moment.current].get(input.metric) or {}
            value = {**now, input.key: value}
        moment = changed_now(self.moment, self.metrics, input.metric, value)
        return self.rule.key_margins(moment)(self.key)

    def passes(self, input: Input, value: Any) -> bool:
        return holds(self.margins(input, value))

    def passes_now(self, input: Input, value: Any) -> bool:
        """Whether the rule passes with `input` at `value`, its value now unless the input is
        absent now: then judged with it there, otherwise once for every input."""
        if not self.holds_now(input):
            return self.passes(input, value)
        if self.passing_now is None:
            self.passing_now = self.passes(input, value)
        return self.passing_now

    def holds_now(self, input: Input) -> bool:
        """Whether the snapshot holds a value for `input` now."""
        value = self.metrics[self.moment.current].get(input.metric)
        return value is not None and (input.key is None or input.key in value)


def changed_now(
    moment: Moment, metrics: dict[int, dict[str, Any]], metric: str, value: Any
) -> Moment:
    """`moment` over `metrics`, with `metric` at the current period given `value`: a new
    frame, whose values are worked out again from the changed snapshots."""
    current, frame = moment.current, moment.frame
    snapshot = {**metrics[current], metric: value}
    changed = Frame(
        {**metrics, current: snapshot}, frame.label, frame.window_start, frame.dimensions
    )
    return Moment(changed, current, moment.window_end, moment.position_of)


def _only(value: Any, key: str) -> Any:
    if not isinstance(value, dict):
        return value
    return {key: value[key]} if key in value else {}


def holds(margins: Margins) -> bool:
    if margins is None:
        return False
    return all(margin > 0 if strict else margin >= 0 for margin, strict in margins)


def what_it_takes(
    rule: GoalRule | ThresholdRule, moment: Moment, key: str | None, scope: Scope
) -> tuple[Change, ...]:
    """One change per input that alone makes the rule pass for `key`, in the contract's order."""
    with decimal.localcontext(EVALUATION):
        what_if = WhatIf(rule, moment, key)
        per = dimension_of(rule)
        expressions = expressions_of(rule)
        aggregates = reads_aggregate(expressions, scope)
        if per is not None and key is not None and not aggregates:
            what_if.narrow_to_key({name for name, m in scope.metrics.items() if m.dimension == per})
        divisors = Divisors.of(expressions, scope)
        ranked = []
        for input in rule_inputs(rule, moment, key, scope, aggregates):
            proposed = _proposed(what_if, input)
            if proposed is not None:
                change, origin = proposed
                order = preference(change, origin, divisors.only_divides(input, key))
                ranked.append((order, change))
        ranked.sort(key=lambda pair: pair[0])
        return tuple(change for _, change in ranked)


def _proposed(what_if: WhatIf, input: Input) -> tuple[Change, Fraction] | None:
    """The change of `input` that makes the rule pass, with the input's value now; None where
    it passes already or no value the input could hold passes."""
    start = _current_value(what_if, input)
    if start is None or what_if.passes_now(input, start):
        return None
    origin = Fraction(as_fraction(start))
    target = _smallest_passing_value(what_if, input, origin)
    if target is None:
        return None
    return change_of(input, origin, target), origin


def change_of(input: Input, origin: Fraction, target: Fraction) -> Change:
    """The change of `input` from `origin` to `target`, as the report gives it."""
    return Change(
        input.metric,
        input.key,
        whole_if_possible(target - origin),
        whole_if_possible(target),
        input.unit,
        input.form,
    )


def preference(change: Change, origin: Fraction, divides: bool) -> tuple[Any, ...]:
    """The contract's order: outside a denominator first, then the smaller change relative to
    the value (a value of 0 last), then name, then key."""
    relative = abs(Fraction(change.change)) / abs(origin) if origin != 0 else Fraction(0)
    return (divides, origin == 0, relative, change.input, change.key is not None, change.key)


def dimension_of(rule: GoalRule | ThresholdRule) -> str | None:
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
    return inputs_of_key(input_choices(rule, moment, scope, aggregates), key)


class InputChoice:
    """A metric the rule reads, and which of its values are inputs (`inputs_of_key`)."""

    def __init__(self, input: Input, own: bool, others: bool, keys: Iterable[str]) -> None:
        self.input = input  # keyed by a placeholder where the metric is keyed
        self.own = own  # keyed by the rule's dimension: each key's own value is an input
        self.others = others  # other keys than a rule key's own are inputs
        self.keys = keys  # the metric's keys now

    @functools.cached_property
    def first_keys(self) -> list[str]:
        """The metric's first keys in key order, one more than are tried."""
        return heapq.nsmallest(MOST_KEYS + 1, self.keys)


def input_choices(
    rule: GoalRule | ThresholdRule, moment: Moment, scope: Scope, aggregates: bool
) -> list[InputChoice]:
    """What `inputs_of_key` chooses from, worked out once for all keys."""
    snapshot = moment.frame.metrics.get(moment.current, {})
    per = dimension_of(rule)
    choices: list[InputChoice] = []
    for name in metrics_read(expressions_of(rule), scope):
        metric = scope.metrics[name]
        value = snapshot.get(name)
        if value is None:
            continue
        keyed = metric.dimension is not None
        input = Input(name, "" if keyed else None, metric.type, metric.stock, scope.forms.get(name))
        own = keyed and metric.dimension == per
        choices.append(InputChoice(input, own, aggregates or not own, value if keyed else ()))
    return choices


def inputs_of_key(choices: list[InputChoice], key: str | None) -> list[Input]:
    """The inputs for the rule's `key`: per metric, the key's own value where the metric is
    keyed by the rule's dimension, then (where the rule reads other keys, or the metric has
    no own value) its first MOST_KEYS other keys in key order; an unkeyed metric itself."""
    inputs: list[Input] = []
    for choice in choices:
        input = choice.input
        if input.key is None:
            inputs.append(input)
            continue
        own = [key] if choice.own and key is not None else []
        others = [k for k in choice.first_keys if k not in own] if choice.others or not own else []
        metric, unit, stock, form = input.metric, input.unit, input.stock, input.form
        inputs.extend(Input(metric, k, unit, stock, form) for k in [*own, *others[:MOST_KEYS]])
    return inputs


def reads_aggregate(exprs: list[s.Expr], scope: Scope) -> bool:
    """Whether the expressions read keys other than a `per` rule's own, through lets: they
    sum, count or compare over the keys of a value, or name one key (`orders.HCM1`)."""
    seen: set[str] = set()
    pending = list(exprs)
    while pending:
        node = pending.pop()
        if _is_aggregate(node) or isinstance(node, s.KeyAccess):
            return True
        if isinstance(node, s.Name) and node.name in scope.lets and node.name not in seen:
            seen.add(node.name)
            pending.append(scope.lets[node.name].expr)
        pending.extend(operands(node))
    return False


def _is_aggregate(node: s.Expr) -> bool:
    """Whether `node` reads many keys of its argument: an aggregate over keys (`sum(x)`, but
    not the scalar `max(a, b)`), a sum over one dimension or into groups (`sum(x, kenh)`), or
    a figure of every key (`rank`, `share`, `percentile`)."""
    if not isinstance(node, s.Call):
        return False
    if node.function in ACROSS_KEYS:
        return True
    return node.function in AGGREGATES and (len(node.args) == 1 or node.function == "sum")


def expressions_of(rule: GoalRule | ThresholdRule) -> list[s.Expr]:
    if isinstance(rule, GoalRule):
        goal = rule.goal
        return [e for e in (goal.subject, goal.target, goal.baseline) if e is not None]
    threshold = rule.threshold
    return [threshold.subject, *(level.bound for level in threshold.levels)]


# ---- which inputs only divide --------------------------------------------------------------

# Which keys of a metric one occurrence reads: the rule's own (a bare name in a `per` rule, or
# any metric without keys), every key (inside `sum`, `count`, ...), or one named key.
OWN_KEY: Final = ("own",)
EVERY_KEY: Final = ("every",)
Reads = tuple[str, ...]


@attrs.frozen
class Divisors:
    """Where a rule's metrics occur, lets written out: (metric, keys read) with whether each
    occurrence lies to the right of a `/`."""

    occurrences: dict[tuple[str, Reads], set[bool]]

    @classmethod
    def of(cls, exprs: list[s.Expr], scope: Scope) -> Divisors:
        occurrences: dict[tuple[str, Reads], set[bool]] = {}
        # Each let is written out once per place it can sit in: that is all the answer needs,
        # and a let read a thousand times is not walked a thousand times.
        seen: set[tuple[str, bool, Reads]] = set()
        pending: list[tuple[s.Expr, bool, Reads]] = [(e, False, OWN_KEY) for e in exprs]
        while pending:
            node, divided, reads = pending.pop()
            if isinstance(node, s.Name):
                if node.name in scope.metrics:
                    occurrences.setdefault((node.name, reads), set()).add(divided)
                elif node.name in scope.lets and (node.name, divided, reads) not in seen:
                    seen.add((node.name, divided, reads))
                    pending.append((scope.lets[node.name].expr, divided, reads))
            elif isinstance(node, s.KeyAccess):
                pending.append((node.target, divided, ("key", node.key)))
            elif isinstance(node, s.Binary) and node.op == "/":
                pending.append((node.left, divided, reads))
                pending.append((node.right, True, reads))
            else:
                inner = EVERY_KEY if _is_aggregate(node) else reads
                pending.extend((operand, divided, inner) for operand in operands(node))
        return cls(occurrences)

    def only_divides(self, input: Input, rule_key: str | None) -> bool:
        """Whether every occurrence of the input lies to the right of a `/`."""
        places = [
            divided
            for (metric, reads), divided in self.occurrences.items()
            if metric == input.metric and _reads_key(reads, input.key, rule_key)
        ]
        return bool(places) and all(all(flags) for flags in places)


def _reads_key(reads: Reads, key: str | None, rule_key: str | None) -> bool:
    if key is None or reads == EVERY_KEY:
        return True
    if reads == OWN_KEY:
        return key == rule_key
    return reads == ("key", key)


# ---- solving for one input -----------------------------------------------------------------


def _current_value(what_if: WhatIf, input: Input) -> Any:
    value = what_if.moment.frame.metrics[what_if.moment.current].get(input.metric)
    if input.key is not None:
        return (value or {}).get(input.key, 0)
    return value


def _smallest_passing_value(what_if: WhatIf, input: Input, origin: Fraction) -> Fraction | None:
    """The value nearest `origin` that passes among those the input could hold, if any."""
    solved = _solved_exactly(what_if, input, origin)
    if isinstance(solved, Fraction):
        return solved
    if solved is NOTHING_PASSES:
        return None
    # Not linear after all, flat where it was sampled (max, round, ...), or solved outside
    # what the input could hold, where only the side sampled is known to be linear (abs):
    # search both ways.
    return _searched(what_if, input, origin)


@attrs.frozen
class Grid:
    """The values an input may be given, as whole multiples (`index`) of its grid step."""

    input: Input
    lowest: int
    highest: int

    @classmethod
    def of(cls, input: Input) -> Grid:
        step = input.grid
        return cls(input, math.ceil(input.lowest / step), math.floor(LARGEST / step))

    def value(self, index: int) -> Fraction:
        return index * self.input.grid

    def holds(self, index: int) -> bool:
        return self.lowest <= index <= self.highest

    def end(self, direction: int) -> int:
        return self.highest if direction > 0 else self.lowest

    def first_beyond(self, origin: Fraction, direction: int) -> int:
        """The first index past `origin` in `direction`, or the domain's first if further."""
        position = origin / self.input.grid
        if direction > 0:
            return max(math.floor(position) + 1, self.lowest)
        return min(math.ceil(position) - 1, self.highest)

    def rounded(self, value: Fraction, direction: int) -> int:
        """`value` rounded onto the grid in `direction`: a rounded answer still passes."""
        position = value / self.input.grid
        return math.ceil(position) if direction > 0 else math.floor(position)


# What judging a rule with a `Ratio` input raises where its margins are not ratios of lines
# in it: NotLinear, or TypeError from a function that takes a number apart (`round`).
NOT_A_RATIO_OF_LINES = (NotLinear, TypeError)


def _solved_exactly(what_if: WhatIf, input: Input, origin: Fraction) -> Solved:
    """Where the margins are a line, or a ratio of lines, in the input: the value solved,
    rounded onto the grid in the direction it must move (into what the input could hold),
    where it passes and one grid step less does not. Worked out in closed form where the
    rule can be judged with the input left unknown, otherwise from the margins read at four
    points and confirmed by judging the rule again. NOTHING_PASSES where the closed form
    shows no value passes; None where it cannot tell, or any of that fails."""
    try:
        margins = what_if.margins(input, Ratio.of_change(as_input(origin)))
    except NOT_A_RATIO_OF_LINES:
        return _solved_from_samples(what_if, input, origin)
    return None if margins is None else in_closed_form(margins, Grid.of(input), origin)


def _solved_from_samples(what_if: WhatIf, input: Input, origin: Fraction) -> Fraction | None:
    step = max(input.grid, abs(origin))
    samples = [what_if.margins(input, as_input(origin + t * step)) for t in range(SAMPLES)]
    grid = Grid.of(input)
    found = nearest_on_grid(samples, grid, origin, step)
    if found is None:
        return None
    return first_passing(
        grid, origin, found, lambda index: what_if.passes(input, as_input(grid.value(index)))
    )


def first_passing(
    grid: Grid, origin: Fraction, found: tuple[int, int], passes: Callable[[int], bool]
) -> Fraction | None:
    """The value at the grid index `found` names, or one step further in its direction (a
    strict comparison is not met at its root), where it passes and one grid step back toward
    `origin` does not; None otherwise."""
    nearest, direction = found
    for index in (nearest, nearest + direction):
        if not grid.holds(index):
            return None
        if passes(index):
            back = index - direction
            nearer = grid.holds(back) and (grid.value(back) - origin) * direction > 0
            return None if nearer and passes(back) else grid.value(index)
    return None


# ---- margins fitted as lines, or ratios of lines -------------------------------------------

SAMPLES = 4  # the margins are read at the value now and 1, 2 and 3 steps above it
Fit = tuple[Any, Any, Any]  # exact numbers (a, b, c): y(t) = (a t + b) / (c t + 1)


def nearest_on_grid(
    samples: Sequence[Margins], grid: Grid, origin: Fraction, step: Fraction
) -> tuple[int, int] | None:
    """From the margins at `origin + t x step` for t = 0 to 3: the grid index to try first
    and the direction from `origin`, where the fitted margins first all hold; None where
    they could not be judged, do not fit, or never hold."""
    if any(sample is None for sample in samples):
        return None
    fits = []
    for index, (_, strict) in enumerate(samples[0] or ()):
        fit = _fitted([sample[index][0] for sample in samples if sample is not None])
        if fit is None:
            return None
        fits.append((fit, strict))
    return _nearest_of_fits(fits, grid, origin, step)


class _NothingPasses:
    """No value the input could hold makes the rule pass, as the closed form shows exactly:
    there is nothing to search for."""


NOTHING_PASSES: Final = _NothingPasses()
Solved = Fraction | _NothingPasses | None  # None: not known, to be searched for


def in_closed_form(margins: list[tuple[Any, bool]], grid: Grid, origin: Fraction) -> Solved:
    """From margins worked out with the input's change left unknown (`Ratio`s in it, or
    numbers it does not move): the value on the grid nearest `origin` where they all hold,
    one grid step less failing; NOTHING_PASSES where no value the input could hold passes;
    None where that is not known (the value now undefined, say)."""
    index = _on_grid_in_integers(margins, grid, origin)
    if index is None or index is NOTHING_PASSES:
        return index
    if isinstance(index, int):
        return grid.value(index)
    fits = []
    for margin, strict in margins:
        fit = (
            margin.fit()
            if margin.__class__ is Ratio
            else (Fraction(0), _exact(margin), Fraction(0))
        )
        if fit is None:
            return None
        fits.append((fit, strict))
    found = _nearest_of_fits(fits, grid, origin, Fraction(1))
    if found is None:
        return None
    return first_passing(
        grid, origin, found, lambda index: _holds_at(fits, grid.value(index) - origin)
    )


class _PoleInside:
    """A margin's denominator is 0 strictly inside the values the input could hold."""


_POLE_INSIDE: Final = _PoleInside()


def _on_grid_in_integers(
    margins: list[tuple[Any, bool]], grid: Grid, origin: Fraction
) -> int | _PoleInside | _NothingPasses | None:
    """`in_closed_form`'s grid index where no margin's denominator is 0 strictly inside the
    values the input could hold (the usual case): each margin then has the sign of its
    numerator times its denominator's sign there, which is the same throughout, so the
    indexes where all hold are one stretch, found from each numerator's root in integer
    arithmetic."""
    step_n, step_d = grid.input.grid.as_integer_ratio()
    origin_n, origin_d = origin.as_integer_ratio()
    # The change to index i is (i u - w) / k; the value now is at index w / u.
    u, w, k = step_n * origin_d, origin_n * step_d, step_d * origin_d
    lowest, highest = grid.lowest, grid.highest
    for margin, strict in margins:
        p1, p0, q1, q0 = _coefficients(margin)
        if q0 == 0:
            return None  # not defined at the value now
        negative = q0 < 0  # the denominator's sign, the same at every index left
        if q1 != 0:
            c, d = _line_in_index(q1, q0, u, w, k)  # the denominator: 0 at i = -d / c
            pole_n, pole_d = (-d, c) if c > 0 else (d, -c)
            if lowest * pole_d < pole_n < highest * pole_d:
                return _POLE_INSIDE
            if pole_n == lowest * pole_d:
                lowest += 1
            elif pole_n == highest * pole_d:
                highest -= 1
            if lowest > highest:
                return NOTHING_PASSES
            # Read inside what is left, not at the value now: that may lie outside it (a
            # negative amount of money, say), on the other side of the pole.
            negative = c * lowest + d < 0
        a, b = _line_in_index(p1, p0, u, w, k)
        if negative:
            a, b = -a, -b
        # The margin holds where a i + b >= 0 (> 0 where strict).
        if a == 0:
            if b < 0 or (strict and b == 0):
                return NOTHING_PASSES
        elif a > 0:
            lowest = max(lowest, -b // a + 1 if strict else -(b // a))
        else:
            highest = min(highest, -(-b // -a) - 1 if strict else b // -a)
    if lowest > highest:
        return NOTHING_PASSES
    if lowest * u > w:
        return lowest
    if highest * u < w:
        return highest
    return None  # the value now would pass, which the margins deny: not a shape to trust


def _coefficients(margin: Any) -> tuple[Any, Any, Any, Any]:
    if margin.__class__ is Ratio:
        return margin.p1, margin.p0, margin.q1, margin.q0
    return 0, margin, 0, 1


def _line_in_index(slope: Any, at_zero: Any, u: int, w: int, k: int) -> tuple[int, int]:
    """`slope x + at_zero` for the change x = (i u - w) / k, times a positive number, as
    (a, b) with a i + b."""
    slope_n, slope_d = slope.as_integer_ratio()
    zero_n, zero_d = at_zero.as_integer_ratio()
    return slope_n * zero_d * u, zero_n * slope_d * k - slope_n * zero_d * w


def _exact(number: Any) -> Fraction:
    return Fraction(as_fraction(number))


def _nearest_of_fits(
    fits: list[tuple[Fit, bool]], grid: Grid, origin: Fraction, step: Fraction
) -> tuple[int, int] | None:
    low = (grid.value(grid.lowest) - origin) / step
    high = (grid.value(grid.highest) - origin) / step
    found = _nearest_passing(fits, low, high)
    if found is None:
        return None
    t, direction = found
    index = grid.rounded(origin + t * step, direction)
    return (max(index, grid.lowest) if direction > 0 else min(index, grid.highest)), direction


def _fitted(ys: list[Any]) -> Fit | None:
    """(a, b, c) with y(t) = (a t + b) / (c t + 1) through the samples at t = 0, 1, 2, 3: a
    line where c is 0 (sums, differences, a ratio's numerator), a ratio of lines otherwise
    (a ratio's denominator); None where no such curve passes through them all."""
    rise = subtract(ys[1], ys[0])
    if subtract(ys[2], ys[1]) == rise == subtract(ys[3], ys[2]):
        return rise, ys[0], 0
    y0, y1, y2, y3 = (Fraction(as_fraction(y)) for y in ys)
    if y2 == y1:
        return None
    c = (2 * y1 - y0 - y2) / (2 * (y2 - y1))
    a = y1 * (c + 1) - y0
    if 0 in (c + 1, 2 * c + 1, 3 * c + 1) or y3 * (3 * c + 1) != 3 * a + y0:
        return None
    return a, y0, c


def _holds_at(fits: list[tuple[Fit, bool]], t: Fraction) -> bool:
    for (a, b, c), strict in fits:
        denominator = c * t + 1
        if denominator == 0:
            return False
        sign = (a * t + b) * denominator  # the sign of the margin
        if sign < 0 or (strict and sign == 0):
            return False
    return True


def _nearest_passing(
    fits: list[tuple[Fit, bool]], low: Fraction, high: Fraction
) -> tuple[Fraction, int] | None:
    """The t in [low, high] nearest 0 where every fitted margin holds, or the end nearest 0
    of a stretch where they hold, with the direction from 0 (upward on a tie); None where
    there is none. The margins fail at 0 (the value now), so each side is walked outward
    from 0, between the points where a margin changes sign, to the first that holds."""
    if not any(c for (_, _, c), _ in fits):
        return _nearest_on_lines(fits, low, high)
    lines = _as_lines(fits, low, high)
    if lines is not None:
        return _nearest_on_lines(lines, low, high, *_open_ends(fits, low, high))
    fits = [(_exact_fit(fit), strict) for fit, strict in fits]
    points = {low, high}
    for (a, b, c), _ in fits:
        if a != 0:
            points.add(-b / a)
        if c != 0:
            points.add(-1 / c)
    above = sorted(p for p in points if 0 < p <= high)
    below = sorted((p for p in points if low <= p < 0), reverse=True)
    found = [
        side
        for side in (_first_holding(fits, above, 1), _first_holding(fits, below, -1))
        if side is not None
    ]
    return min(found, key=lambda pair: (abs(pair[0]), -pair[1]), default=None)


def _exact_fit(fit: Fit) -> Fit:
    """A line's coefficients, kept as the margins were (int, Decimal), as fractions."""
    a, b, c = (Fraction(as_fraction(number)) for number in fit)
    return a, b, c


def _first_holding(
    fits: list[tuple[Fit, bool]], outward: list[Fraction], direction: int
) -> tuple[Fraction, int] | None:
    """Walking from 0 through `outward`: the first stretch between them, or point, where
    every margin holds, as its end nearest 0."""
    nearer = Fraction(0)
    for point in outward:
        if _holds_at(fits, (nearer + point) / 2):
            return nearer, direction
        if _holds_at(fits, point):
            return point, direction
        nearer = point
    return None


def _as_lines(
    fits: list[tuple[Fit, bool]], low: Fraction, high: Fraction
) -> list[tuple[Fit, bool]] | None:
    """Where no margin's denominator changes sign between `low` and `high` (a ratio's
    denominator reaching 0 only at the lowest value the input could hold, the usual case),
    each margin has the sign of its numerator there, a line; None otherwise."""
    for (_, _, c), _ in fits:
        if c and low < _pole(c) < high:
            return None
    # The denominator c t + 1 is 1 at t = 0, inside, so positive all along.
    return [((a, b, 0), strict) for (a, b, _), strict in fits]


def _open_ends(fits: list[tuple[Fit, bool]], low: Fraction, high: Fraction) -> tuple[bool, bool]:
    """Whether `low` and `high` are left out, a margin's denominator being 0 there."""
    poles = {_pole(c) for (_, _, c), _ in fits if c}
    return low in poles, high in poles


def _pole(c: Any) -> Fraction:
    return -1 / Fraction(as_fraction(c))


def _nearest_on_lines(
    fits: list[tuple[Fit, bool]],
    low: Fraction,
    high: Fraction,
    low_open: bool = False,
    high_open: bool = False,
) -> tuple[Fraction, int] | None:
    """`_nearest_passing` where every margin is a line, so that they hold on one stretch:
    worked out from the roots alone, the usual case and the one a report meets 100,000
    times. An end marked open is not a value the margins can be judged at."""
    start, end = low, high
    start_open, end_open = low_open, high_open  # whether an end is left out
    for (a, b, _), strict in fits:
        if a == 0:
            if b < 0 or (strict and b == 0):
                return None
            continue
        root = Fraction(as_fraction(-b)) / as_fraction(a)
        if a > 0 and (root > start or (root == start and strict)):
            start, start_open = root, strict
        elif a < 0 and (root < end or (root == end and strict)):
            end, end_open = root, strict
    if start > end or (start == end and (start_open or end_open)):
        return None
    if start > 0 or (start == 0 and start_open):
        return start, 1
    if end < 0 or (end == 0 and end_open):
        return end, -1
    return None


def _searched(what_if: WhatIf, input: Input, origin: Fraction) -> Fraction | None:
    """The passing value on the grid nearest `origin`, up or down, by doubling then halving
    the step, within the values the input could hold."""
    grid = Grid.of(input)
    found = [_search_direction(what_if, grid, origin, direction) for direction in (1, -1)]
    passing = [value for value in found if value is not None]
    return min(passing, key=lambda value: abs(value - origin), default=None)


def _search_direction(
    what_if: WhatIf, grid: Grid, origin: Fraction, direction: int
) -> Fraction | None:
    first = grid.first_beyond(origin, direction)
    count = (grid.end(direction) - first) * direction + 1
    if count <= 0:
        return None

    def passes(steps: int) -> bool:
        index = first + (steps - 1) * direction
        return what_if.passes(grid.input, as_input(grid.value(index)))

    steps = _fewest_steps(passes, count)
    return None if steps is None else grid.value(first + (steps - 1) * direction)


def _fewest_steps(passes: Callable[[int], bool], count: int) -> int | None:
    """The fewest steps, of 1 to `count`, that pass, for `passes` that keeps passing once it
    does: found by doubling, then halving."""
    failing, passing = 0, 1
    while not passes(passing):
        if passing == count:
            return None
        failing, passing = passing, min(passing * 2, count)
    while passing - failing > 1:
        middle = (failing + passing) // 2
        if passes(middle):
            passing = middle
        else:
            failing = middle
    return passing


def as_input(value: Fraction) -> Any:
    """A value as a snapshot would hold it: int where whole, else an exact Decimal or fraction."""
    if value.denominator == 1:
        return value.numerator
    try:
        return EVALUATION.divide(Decimal(value.numerator), Decimal(value.denominator))
    except decimal.Inexact:
        return value
