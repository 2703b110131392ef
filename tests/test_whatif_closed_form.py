"""What it would take in closed form (`planrules.eval.symbolic`) against the plain path.

The closed form judges a rule once with its input left unknown and solves the margins; the
plain path samples the margins at four points, fits them and confirms by judging again. Both
must give the same answers, for one key and for all keys of a `per` rule at once.
"""

from __future__ import annotations

import copy
import decimal
import operator
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from planrules.eval.evaluate import Ruleset, loads
from planrules.eval.symbolic import NotLinear, Ratio
from planrules.eval.values import (
    EVALUATION,
    Unknown,
    add,
    divide_or_unknown,
    multiply,
    subtract,
)
from planrules.eval.whatif import (
    GRID,
    NOTHING_PASSES,
    Grid,
    Input,
    _nearest_of_fits,
    first_passing,
    in_closed_form,
)
from planrules.lang.diagnostics import RulesetError
from planrules.report.model import Report

from .eval_strategies import checked_rulesets, histories
from .test_whatif_keys import STORES, _solver, _stores
from .test_whatif_properties import _as_snapshot_number


@contextmanager
def _sampled_only() -> Iterator[None]:
    """The plain path: every rule treated as one the closed form cannot follow."""

    def refuse(_origin: Any) -> Ratio:
        raise NotLinear("the plain path, for comparison")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Ratio, "of_change", staticmethod(refuse))
        yield


def _answers(report: Report, batched: bool) -> dict[tuple[str, str | None], Any]:
    solver = _solver(report)
    if solver is not None and batched:
        solver.alone_first = 0
    return {
        (result.rule, result.key): [change.to_dict() for change in result.to_pass or ()]
        for result in report.results
        if result.what_it_takes is not None
    }


def _both_ways(ruleset: Ruleset, history: list[dict[str, Any]], batched: bool) -> None:
    """The closed form gives what the plain path gives, except where it finds a nearer
    value the plain path missed (across a value where the rule divides by zero, which
    samples cannot see past): that value passes when applied, one grid step less fails."""
    closed = _answers(ruleset.evaluate(history), batched)
    with _sampled_only():
        sampled = _answers(ruleset.evaluate(history), batched)
    assert closed.keys() == sampled.keys()
    for (rule, key), changes in closed.items():
        if changes == sampled[(rule, key)]:
            continue
        plain = {(c["input"], c["key"]): c for c in sampled[(rule, key)]}
        for change in changes:
            other = plain.pop((change["input"], change["key"]), None)
            if other == change:
                continue
            if other is not None:
                assert abs(Fraction(change["change"])) <= abs(Fraction(other["change"]))
            _assert_nearest(ruleset, history, rule, key, change)
        assert not plain, f"the closed form lost {plain}"


def _assert_nearest(
    ruleset: Ruleset, history: list[dict[str, Any]], rule: str, key: str | None, change: Any
) -> None:
    metric = ruleset.scope.metrics[change["input"]]
    step = GRID.get(metric.type, GRID["number"])
    to = Fraction(change["to"])
    back = to - step if change["change"] > 0 else to + step
    assert _status(ruleset, history, rule, key, change, to) == "pass"
    assert _status(ruleset, history, rule, key, change, back) != "pass"


def _status(
    ruleset: Ruleset,
    history: list[dict[str, Any]],
    rule: str,
    key: str | None,
    change: Any,
    value: Fraction,
) -> str | None:
    changed = copy.deepcopy(history)
    metrics = changed[-1]["metrics"]
    number = _as_snapshot_number(value)
    if change["key"] is None:
        metrics[change["input"]] = number
    else:
        metrics[change["input"]][change["key"]] = number
    result = ruleset.evaluate(changed).result(rule, key)
    return None if result is None else result.status


@pytest.mark.parametrize("batched", [False, True])
def test_every_shape_of_margin_in_closed_form_as_sampled(batched: bool) -> None:
    ruleset = loads(STORES, filename="stores.plan")
    for seed in range(3):
        for months in (1, 5, 12):
            _both_ways(ruleset, _stores(40, months, seed), batched)


def test_a_divisor_inside_a_divisor_is_not_proposed_where_it_is_zero() -> None:
    # spend / (orders / visits): visits = 0 would make the rule unknown, not pass.
    text = (
        'ruleset "T"\nmetric orders: count by store\nmetric visits: count by store\n'
        "metric spend: money by store\nlet conversion = orders / visits\n"
        'threshold "Spend per conversion" per store: spend / conversion warn above 100\n'
    )
    metrics = {
        "orders": {"s1": 1, "s2": 4},
        "visits": {"s1": 10, "s2": 50},
        "spend": {"s1": 200, "s2": 10},
    }
    ruleset = loads(text, filename="t.plan")
    history = [{"period": "2026-01", "metrics": metrics}]
    for batched in (False, True):
        answers = _answers(ruleset.evaluate(history), batched)
        assert answers[("Spend per conversion", "s1")] == [
            {"input": "spend", "key": "s1", "change": -190, "to": 10},
            {"input": "orders", "key": "s1", "change": 19, "to": 20},
        ]
        _both_ways(ruleset, history, batched)


def test_a_rule_naming_one_key_of_its_own_dimension_is_judged_whole() -> None:
    # Every key reads o.x: raising a key's own o to 20 reaches 30 with x's 10.
    ruleset = loads('ruleset "T"\nmetric o: count by s\ngoal "G" per s: o + o.x >= 30\n')
    history = [{"period": "2026-01", "metrics": {"o": {"x": 10, "y": 3, "z": 4, "w": 1}}}]
    for batched in (False, True):
        answers = _answers(ruleset.evaluate(history), batched)
        assert {"input": "o", "key": "w", "change": 19, "to": 20} in answers[("G", "w")]
        assert answers[("G", "x")] == [{"input": "o", "key": "x", "change": 5, "to": 15}]


@settings(max_examples=150, deadline=None)
@given(checked_rulesets(), histories(), st.booleans())
def test_closed_form_is_the_plain_path(
    text: str, history: list[dict[str, Any]], batched: bool
) -> None:
    try:
        ruleset: Ruleset = loads(text, filename="g.plan")
    except RulesetError:
        assume(False)
        raise
    _both_ways(ruleset, history, batched)


# ---- the algebra ---------------------------------------------------------------------------

_CONSTANTS = st.one_of(
    st.integers(-50, 50),
    st.decimals(min_value=-100, max_value=100, places=2, allow_nan=False, allow_infinity=False),
    st.fractions(min_value=-20, max_value=20, max_denominator=7),
)
# The evaluator's own arithmetic, and plain fractions' to check it against.
_EVALUATOR: list[Callable[[Any, Any], Any]] = [
    add,
    subtract,
    multiply,
    lambda left, right: divide_or_unknown(left, right, str),
]
_FRACTIONS: list[Callable[[Any, Any], Any]] = [
    operator.add,
    operator.sub,
    operator.mul,
    operator.truediv,
]


def _expressions() -> st.SearchStrategy[Any]:
    leaves = st.one_of(st.just("x"), _CONSTANTS)
    return st.recursive(
        leaves,
        lambda inner: st.tuples(st.sampled_from(range(len(_EVALUATOR))), inner, inner),
        max_leaves=8,
    )


def _evaluated(expression: Any, x: Any, operators: list[Callable[[Any, Any], Any]]) -> Any:
    if isinstance(expression, tuple):
        index, left, right = expression
        return operators[index](_evaluated(left, x, operators), _evaluated(right, x, operators))
    if isinstance(expression, str):
        return x
    return expression if operators is _EVALUATOR else Fraction(expression)


@settings(max_examples=400, deadline=None)
@given(_expressions(), _CONSTANTS, st.integers(-30, 30))
def test_a_ratio_of_lines_is_the_expression_at_every_change(
    expression: Any, origin: Any, change: int
) -> None:
    """Worked out once with the change unknown, the value at any change is the expression's
    at that value, wherever both are defined."""
    with decimal.localcontext(EVALUATION):
        try:
            symbolic = _evaluated(expression, Ratio.of_change(origin), _EVALUATOR)
        except NotLinear:
            assume(False)
            raise
        try:
            expected = _evaluated(expression, Fraction(origin) + change, _FRACTIONS)
        except ZeroDivisionError:
            assume(False)
            raise
    assume(not isinstance(symbolic, Unknown))  # a division by a constant 0
    if not isinstance(symbolic, Ratio):
        assert Fraction(symbolic) == expected
        return
    p1, p0, q1, q0 = (Fraction(c) for c in (symbolic.p1, symbolic.p0, symbolic.q1, symbolic.q0))
    denominator = q1 * change + q0
    assume(denominator != 0)
    assert (p1 * change + p0) / denominator == expected


# ---- the grid, in integers and in fractions ------------------------------------------------

_COEFFICIENTS = st.one_of(
    st.integers(-1000, 1000),
    st.fractions(min_value=-50, max_value=50, max_denominator=40),
    st.decimals(min_value=-100, max_value=100, places=3, allow_nan=False, allow_infinity=False),
)


@st.composite
def _margins(draw: st.DrawFn) -> list[tuple[Any, bool]]:
    count = draw(st.integers(1, 3))
    found = []
    for _ in range(count):
        p1, p0 = draw(_COEFFICIENTS), draw(_COEFFICIENTS)
        q1 = draw(st.one_of(st.just(0), _COEFFICIENTS))
        q0 = draw(_COEFFICIENTS.filter(lambda c: c != 0))
        margin = Ratio(p1, p0, q1, q0) if draw(st.booleans()) else p0
        found.append((margin, draw(st.booleans())))
    return found


@settings(max_examples=500, deadline=None)
@given(
    _margins(),
    st.sampled_from(sorted(GRID)),
    st.fractions(min_value=0, max_value=500, max_denominator=1000),
)
def test_the_grid_in_integers_is_the_walk_in_fractions(
    margins: list[tuple[Any, bool]], unit: str, origin: Fraction
) -> None:
    grid = Grid.of(Input("m", None, unit))
    fits = [
        (m.fit() if isinstance(m, Ratio) else (Fraction(0), Fraction(m), Fraction(0)), strict)
        for m, strict in margins
    ]
    assume(all(fit is not None for fit, _ in fits))
    assume(not _holds(fits, Fraction(0)))  # the value now falls short
    walked = _walked(fits, grid, origin)
    with decimal.localcontext(EVALUATION):
        solved = in_closed_form(margins, grid, origin)
    # Nothing passing, shown exactly, is what the walk finds too: nothing. Where they differ,
    # the walk missed a value: across a pole it may take a stretch with no grid value in it
    # for the nearest. The integer path's value then holds, one step back does not, and it
    # is no further than the walk's.
    if solved is NOTHING_PASSES:
        assert walked is None
    elif solved != walked:
        assert isinstance(solved, Fraction), (solved, walked)
        _assert_nearest_on_grid(fits, grid, origin, solved, walked)


def _assert_nearest_on_grid(
    fits: list[tuple[Any, bool]],
    grid: Grid,
    origin: Fraction,
    solved: Fraction,
    walked: Fraction | None,
) -> None:
    assert _holds(fits, solved - origin)
    back = solved - grid.input.grid if solved > origin else solved + grid.input.grid
    nearer = (back - origin) * (solved - origin) > 0
    assert not (nearer and _holds(fits, back - origin))
    if walked is not None:
        assert abs(solved - origin) <= abs(walked - origin)


def _holds(fits: list[tuple[Any, bool]], t: Fraction) -> bool:
    for (a, b, c), strict in fits:
        denominator = c * t + 1
        if denominator == 0:
            return False
        sign = (a * t + b) * denominator
        if sign < 0 or (strict and sign == 0):
            return False
    return True


def _walked(fits: list[tuple[Any, bool]], grid: Grid, origin: Fraction) -> Fraction | None:
    """The nearest passing grid value from the fraction walk, one step back failing."""
    found = _nearest_of_fits(fits, grid, origin, Fraction(1))
    if found is None:
        return None
    return first_passing(
        grid, origin, found, lambda index: _holds(fits, grid.value(index) - origin)
    )


def test_decimal_and_fraction_coefficients_meet_exactly() -> None:
    x = Ratio.of_change(Decimal("0.5"))
    with decimal.localcontext(EVALUATION):
        third = x / 3 - Fraction(1, 6)
    assert third.fit() == (Fraction(1, 3), Fraction(0), Fraction(0))


def test_rules_reading_every_key_are_judged_whole() -> None:
    # share(orders) at c: 15 of 100 is below 20%; c at 22 is 22 of 107, at 21 still below;
    # a or b lowered by 25 leaves 15 of 75, exactly 20%. rank(orders) of c: 3rd, warn above
    # 2: b at 14 (ties go by key, b before c) or c at 31 (above b's 30) makes it 2nd.
    text = (
        'ruleset "Reps"\nmetric orders: count by rep\n'
        'threshold "Share" per rep: share(orders) warn below 20%\n'
        'threshold "Rank" per rep: rank(orders) warn above 2\n'
    )
    history = [{"period": "2026-01", "metrics": {"orders": {"a": 50, "b": 30, "c": 15, "d": 5}}}]
    ruleset = loads(text, filename="r.plan")
    for batched in (False, True):
        answers = _answers(ruleset.evaluate(history), batched)
        assert answers[("Share", "c")] == [
            {"input": "orders", "key": "c", "change": 7, "to": 22},
            {"input": "orders", "key": "a", "change": -25, "to": 25},
            {"input": "orders", "key": "b", "change": -25, "to": 5},
        ]
        assert {"input": "orders", "key": "b", "change": -16, "to": 14} in answers[("Rank", "c")]
        assert {"input": "orders", "key": "c", "change": 16, "to": 31} in answers[("Rank", "c")]
