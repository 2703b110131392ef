"""More of the evaluator's fast paths decide exactly what its plain paths decide.

- A list of plain snapshots, read in a few passes over all of them, reads as the careful
  path reads it, problems included.
- An unkeyed trigger, walked by counting, walks as the set operations of a `per` trigger do.
- Goals sharing a deadline and phase weights written alike share one pacing, which is the
  pacing each works out alone.
- A budget line's floor names what binds in the same words, written only for that floor.
- A rolling sum of whole numbers carried on from the position before is the sum of its
  window worked out afresh.
- A budget's pace line, kept for each pace, is the one worked out for each line, and
  whole amounts compared with it cross-multiplied compare as with the product.
- A sum over periods of whole numbers, added in C, is the sum of the loop; so is a keyed
  sum of whole numbers whose keys change from period to period, added in one dict.
- A binary operator applied without `lift` where neither side is keyed, with a number
  written out on its right, or with a metric without a dimension read from the snapshot in
  place, gives what its operands' own closures and `lift` give.
"""

from __future__ import annotations

import decimal
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from planrules.eval import compile as compiling
from planrules.eval import functions, pacing, rules
from planrules.eval.adjust import Limit, WorkingBudget
from planrules.eval.budgets import BudgetRule
from planrules.eval.compile import ExpressionCompiler
from planrules.eval.evaluate import Ruleset, evaluating, loads
from planrules.eval.frame import Frame
from planrules.eval.functions import plus, sum_over_periods
from planrules.eval.history import plain_history
from planrules.eval.pacing import paced_elapsed as pacing_elapsed
from planrules.eval.triggers import Walk
from planrules.eval.values import Keyed, Unknown, describe, lift, multiply, subtract
from planrules.lang import syntax as s
from planrules.lang.messages import Amount, Message
from planrules.report.model import Pacing

from .eval_strategies import checked_rulesets, histories
from .test_fast_paths import outcome, summary

METRICS = [f"m{i}" for i in range(4)]
PLAIN = (
    'ruleset "Plain"\ncurrency VND\nperiod 2026-01-01 to 2026-12-31 monthly\n'
    + "".join(f"metric {m}: count\n" for m in METRICS)
    + "metric sold: count by rep\n"
    + 'threshold "T": m0 + m1 warn above 100 fail above 150\n'
    + 'threshold "Was": previous(m2) fail below 10\n'
    + 'goal "G": total(m3) >= 500 by 2026-12-31\n'
    + 'trigger "Low" when m0 < 20 for 2 of 3 periods cooldown 1 periods {\n'
    + '    recommend "m0 is {m0}"\n}\n'
    + 'threshold "Reps" per rep: sold warn below 3\n'
)
MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]

# Mostly what the short path takes; now and then what sends it to the careful path.
plain_values = st.integers(-50, 200) | st.sampled_from(
    [10**24, -(10**24), 10**24 + 1, True, None, 1.5, decimal.Decimal(3), "7"]
)


@st.composite
def plain_histories(draw: st.DrawFn) -> object:
    periods = draw(st.lists(st.sampled_from(MONTHS), min_size=1, max_size=6, unique=True))
    if draw(st.integers(0, 3)):
        periods.sort()
    if not draw(st.integers(0, 15)):
        periods.append(draw(st.sampled_from(["2026-Q2", "2026-07-01", "2026-13", periods[0]])))
    history: list[Any] = []
    for period in periods:
        names = draw(st.lists(st.sampled_from([*METRICS, "sold", "m_0"]), unique=True))
        metrics: dict[str, Any] = {}
        for name in names:
            if name == "sold":
                keys = draw(st.lists(st.sampled_from(["Lan", "Minh", "Hoa", 3]), unique=True))
                metrics[name] = {key: draw(plain_values) for key in keys}
            else:
                metrics[name] = draw(plain_values)
        history.append({"period": period, "metrics": metrics})
    if not draw(st.integers(0, 20)):
        history.append({"period": periods[0], "metrics": {}, "note": "x"})
    return history


def careful(history: object) -> object:
    """The same snapshots, each as a mapping that is not a dict: the careful path reads it."""
    assert isinstance(history, list)
    return [
        {"period": item["period"], "metrics": types.MappingProxyType(item["metrics"])}
        if isinstance(item, dict)
        and set(item) == {"period", "metrics"}
        and isinstance(item["metrics"], dict)
        else item
        for item in history
    ]


def replayed(ruleset: Ruleset, history: object) -> Any:
    try:
        replay = ruleset.replay(history)
    except Exception as problem:
        return type(problem).__name__, str(problem)
    return [(row.rule, row.key, row.statuses) for row in replay.rows]


@settings(max_examples=200, deadline=None)
@given(plain_histories())
def test_a_list_of_plain_snapshots_reads_as_the_careful_path(history: object) -> None:
    ruleset = loads(PLAIN, "plain.plan")
    assert outcome(ruleset, history) == outcome(ruleset, careful(history))
    assert replayed(ruleset, history) == replayed(ruleset, careful(history))


@settings(max_examples=100, deadline=None)
@given(checked_rulesets(), histories())
def test_any_history_reads_as_the_careful_path(text: str, history: list[dict[str, Any]]) -> None:
    ruleset = loads(text, "g.plan")
    assert outcome(ruleset, history) == outcome(ruleset, careful(history))


@contextmanager
def walking_every_trigger_by_keys() -> Iterator[None]:
    shortcut = Walk.walk_whole
    Walk.walk_whole = Walk.walk_keys  # type: ignore[method-assign]
    try:
        yield
    finally:
        Walk.walk_whole = shortcut  # type: ignore[method-assign]


def trigger_outcomes(text: str, history: list[dict[str, Any]]) -> Any:
    ruleset = loads(text, "g.plan")
    report = outcome(ruleset, history)
    made = [(r.rule, r.key, r.status, r.held, r.last_fired) for r in _results(ruleset, history)]
    return report, made, replayed(ruleset, history)


def _results(ruleset: Ruleset, history: list[dict[str, Any]]) -> list[Any]:
    try:
        return [r for r in ruleset.evaluate(history).results if r.kind == "trigger"]
    except Exception:
        return []


@settings(max_examples=150, deadline=None)
@given(checked_rulesets(), histories())
def test_an_unkeyed_trigger_walks_as_a_keyed_one(text: str, history: list[dict[str, Any]]) -> None:
    counted = trigger_outcomes(text, history)
    with walking_every_trigger_by_keys():
        by_sets = trigger_outcomes(text, history)
    assert counted == by_sets


TRIGGERS = (
    'ruleset "W"\ncurrency VND\n'
    + "".join(f"metric {m}: count\n" for m in METRICS)
    + "".join(
        f'trigger "T{i}" when m{i % 4} < 50 {{clause}} {{\n    recommend "x"\n}}\n'
        for i in range(4)
    )
)


@st.composite
def trigger_clauses(draw: st.DrawFn) -> str:
    clauses = []
    hold = draw(st.sampled_from(["", "for", "of"]))
    if hold == "for":
        clauses.append(f"for {draw(st.integers(1, 4))} periods")
    elif hold == "of":
        m = draw(st.integers(1, 5))
        clauses.append(f"for {draw(st.integers(1, m))} of {m} periods")
    if draw(st.booleans()):
        clauses.append(f"cooldown {draw(st.integers(0, 4))} periods")
    return " ".join(clauses)


@st.composite
def long_histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Up to 30 months, gaps allowed, each value now low, now high, now missing."""
    months = [f"{2024 + i // 12}-{i % 12 + 1:02d}" for i in range(30)]
    chosen = draw(st.lists(st.sampled_from(months), min_size=1, max_size=30, unique=True))
    value = st.sampled_from([10, 90]) | st.none()
    return [
        {"period": month, "metrics": {m: draw(value) for m in METRICS}} for month in sorted(chosen)
    ]


@settings(max_examples=150, deadline=None)
@given(trigger_clauses(), long_histories())
def test_triggers_over_long_histories_walk_as_keyed_ones(
    clause: str, history: list[dict[str, Any]]
) -> None:
    text = TRIGGERS.replace("{clause}", clause)
    counted = trigger_outcomes(text, history)
    with walking_every_trigger_by_keys():
        by_sets = trigger_outcomes(text, history)
    assert counted == by_sets


def lifting_step(self: ExpressionCompiler, expr: s.Binary) -> Callable[[Any, Frame, int], Any]:
    """The step every binary operator took before its shortcuts: always through `lift`."""
    right = self.compile(expr.right)
    if expr.op == "/":
        return compiling._division(expr, right)
    fast, exact = compiling._OPERATORS[expr.op]

    def combine(left: Any, frame: Frame, position: int) -> Any:
        other = right(frame, position)
        try:
            return lift(fast, left, other)
        except (TypeError, decimal.DecimalException):
            return lift(exact, left, other)

    return combine


def no_metric_read_inline(_self: ExpressionCompiler, _expr: s.Expr) -> str | None:
    return None


@contextmanager
def lifting_every_step() -> Iterator[None]:
    """Every operator as it was compiled before its shortcuts: each operand by its own
    closure (a metric by its reader), applied through `lift`."""
    shortcut, inline = ExpressionCompiler.step, ExpressionCompiler.unkeyed_metric
    ExpressionCompiler.step = lifting_step  # type: ignore[method-assign]
    ExpressionCompiler.unkeyed_metric = no_metric_read_inline  # type: ignore[method-assign]
    try:
        yield
    finally:
        ExpressionCompiler.step = shortcut  # type: ignore[method-assign]
        ExpressionCompiler.unkeyed_metric = inline  # type: ignore[method-assign]


@settings(max_examples=150, deadline=None)
@given(checked_rulesets(), histories())
def test_operators_give_what_lift_gives(text: str, history: list[dict[str, Any]]) -> None:
    shortcut = loads(text, "g.plan")
    with lifting_every_step():
        lifted = loads(text, "g.plan")
    assert outcome(shortcut, history) == outcome(lifted, history)
    assert replayed(shortcut, history) == replayed(lifted, history)


def test_the_shortcuts_are_taken() -> None:
    """The paths compared above are the ones these shapes take (else the tests compare a
    path with itself)."""
    ruleset = loads(PLAIN, "plain.plan")
    history = [{"period": m, "metrics": {"m0": 10, "sold": {"Lan": 1}}} for m in MONTHS[:2]]
    assert plain_history(history, ruleset.shapes, "monthly") is not None
    taken: list[str] = []
    original = Walk.walk_whole

    def noted(self: Walk, ahead: list[int], conditions: list[Any]) -> None:
        taken.append("whole")
        original(self, ahead, conditions)

    Walk.walk_whole = noted  # type: ignore[method-assign]
    try:
        report = ruleset.evaluate(history)
    finally:
        Walk.walk_whole = original  # type: ignore[method-assign]
    assert taken == ["whole"]
    assert summary(report) == summary(ruleset.evaluate(careful(history)))
    assert [r.status for r in report.results if r.rule == "Low"] == ["fired"]


def paced_outcome(text: str, history: list[dict[str, Any]]) -> Any:
    ruleset = loads(text, "g.plan")
    try:
        report = ruleset.evaluate(history)
    except Exception as problem:
        return type(problem).__name__, str(problem)
    return summary(report), [(r.rule, r.key, r.pacing) for r in report.results]


@contextmanager
def pacing_every_goal_afresh() -> Iterator[None]:
    remembered = pacing.pace
    rules.pace = pacing.pace_afresh  # type: ignore[assignment]
    try:
        yield
    finally:
        rules.pace = remembered  # type: ignore[assignment]


PHASED = (
    'ruleset "P"\ncurrency VND\nperiod 2026-01-01 to 2026-06-30 monthly\n'
    "metric m: count\nmetric sold: count by rep\n"
    + "".join(f'goal "G{i}": total(m) >= 600 by 2026-06-30 phased {{weights}}\n' for i in range(3))
    + 'goal "Even": total(m) >= 600 by 2026-06-30\n'
    + 'goal "Reps" per rep: total(sold) >= 60 by 2026-06-30 phased {weights}\n'
)
WEIGHTS = ["10% 10% 20% 20% 20% 20%", "10.0% 10% 20.00% 20% 20% 20%", "0% 0% 0% 0% 0% 100%"]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(WEIGHTS), min_size=5, max_size=5),
    st.lists(st.sampled_from([f"2026-{m:02d}" for m in range(1, 8)]), min_size=1, unique=True),
    st.lists(st.sampled_from(["Lan", "Minh", "Hoa"]), unique=True),
)
def test_a_pacing_shared_by_goals_is_each_goals_own(
    weights: list[str], months: list[str], reps: list[str]
) -> None:
    """Goals sharing a deadline and weights written alike share one pacing; weights written
    otherwise (10% and 10.0%) do not, and each goal reads what it would work out alone."""
    text = PHASED
    for weight in weights:
        text = text.replace("{weights}", weight, 1)
    history = [
        {"period": month, "metrics": {"m": 90, "sold": {rep: 9 + i for i, rep in enumerate(reps)}}}
        for month in sorted(months)
    ]
    shared = paced_outcome(text, history)
    with pacing_every_goal_afresh():
        alone = paced_outcome(text, history)
    assert shared == alone
    assert repr(shared) == repr(alone)  # 10% and 10.0% read as written, not merely equal


@settings(max_examples=100, deadline=None)
@given(checked_rulesets(), histories())
def test_any_goal_paces_as_alone(text: str, history: list[dict[str, Any]]) -> None:
    shared = paced_outcome(text, history)
    with pacing_every_goal_afresh():
        alone = paced_outcome(text, history)
    assert repr(shared) == repr(alone)


def summed_in_a_loop(values: list[Any]) -> Any:
    """The sum over periods as it was before whole numbers were summed in C."""
    unknown = next((v for v in values if isinstance(v, Unknown)), None)
    if unknown is not None:
        return unknown
    running = values[0]
    for value in values[1:]:
        running = plus(running, value)
    return running


period_values = st.one_of(
    st.integers(-(10**24), 10**24),
    st.decimals(-1000, 1000, places=3),
    st.fractions(max_denominator=7),
    st.just(Unknown("gap")),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(period_values, min_size=1, max_size=12))
def test_a_sum_over_periods_is_the_loops_sum(values: list[Any]) -> None:
    with evaluating():
        fast, looped = sum_over_periods(values), summed_in_a_loop(values)
    assert repr(fast) == repr(looped)


def floor_limit_in_full(self: WorkingBudget, line: str) -> Limit:
    """A floor as it was worked out before only the binding floor's words were written."""
    minimum = self.minimum.get(line)
    spent = self.known_spent(line)
    floors: list[tuple[Any, Message]] = [(0, Message("{line} would fall below zero", line=line))]
    if spent is not None:
        written = Amount(describe(spent, "money", self.currency), spent, "money", self.currency)
        why = Message("{line} has already spent {amount}", line=line, amount=written)
        floors.append((spent, why))
    if minimum is not None:
        share = multiply(minimum.share, self.total)
        why = Message("{line} would fall below its {share} share", line=line, share=minimum.text)
        floors.append((share, why))
    floor = max(amount for amount, _ in floors)
    why = next(why for amount, why in floors if amount == floor)
    room = subtract(self.lines[line], floor)
    return Limit("floor", room, why, line, minimum, floor, spent)


def adjusted(text: str, history: list[dict[str, Any]]) -> Any:
    ruleset = loads(text, "g.plan")
    try:
        report = ruleset.evaluate(history)
    except Exception as problem:
        return type(problem).__name__, str(problem)
    return repr(report.adjustments), repr(report.allocations), repr(report.warnings)


@settings(max_examples=150, deadline=None)
@given(checked_rulesets(), histories())
def test_a_floor_names_what_binds_as_before(text: str, history: list[dict[str, Any]]) -> None:
    named = adjusted(text, history)
    shortcut = WorkingBudget.floor_limit
    WorkingBudget.floor_limit = floor_limit_in_full  # type: ignore[method-assign]
    try:
        in_full = adjusted(text, history)
    finally:
        WorkingBudget.floor_limit = shortcut  # type: ignore[method-assign]
    assert named == in_full


@contextmanager
def summing_every_window_afresh() -> Iterator[None]:
    carried = functions.rolling_sum

    def afresh(
        subject: Any, count: int, dimension: str | None, varies: bool, _slot: int | None
    ) -> Any:
        return carried(subject, count, dimension, varies, None)

    functions.rolling_sum = afresh  # type: ignore[assignment]
    try:
        yield
    finally:
        functions.rolling_sum = carried  # type: ignore[assignment]


ROLLING = (
    'ruleset "R"\ncurrency VND\n'
    + "".join(f"metric {m}: count\n" for m in METRICS)
    + 'threshold "Sum": rolling_sum(m0, {n}) warn above 100\n'
    + 'threshold "Avg": rolling_avg(m1 / 2, {n}) warn below 20\n'
    + 'threshold "Mixed": rolling_sum(m2 + m3 / 4, {n}) warn above 90\n'
    + 'trigger "Up" when rolling_avg(m0, {n}) > 40 for 2 periods {\n    recommend "up"\n}\n'
)
mixed_values = st.integers(-20, 90) | st.decimals(-20, 90, places=2) | st.none()


@st.composite
def mixed_histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Up to 30 months, gaps allowed, whole numbers mostly, decimals and missing now and then."""
    months = [f"{2024 + i // 12}-{i % 12 + 1:02d}" for i in range(30)]
    chosen = draw(st.lists(st.sampled_from(months), min_size=1, max_size=30, unique=True))
    whole = draw(st.booleans())
    value = st.integers(-20, 90) if whole else mixed_values
    return [
        {"period": month, "metrics": {m: draw(value) for m in METRICS}} for month in sorted(chosen)
    ]


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 5), mixed_histories())
def test_a_rolling_sum_carried_on_is_the_sum_afresh(n: int, history: list[dict[str, Any]]) -> None:
    text = ROLLING.replace("{n}", str(n))
    carried = loads(text, "r.plan")
    with summing_every_window_afresh():
        afresh = loads(text, "r.plan")
    assert repr(replayed(carried, history)) == repr(replayed(afresh, history))
    assert repr(outcome(carried, history)) == repr(outcome(afresh, history))
    walked = trigger_outcomes(text, history)
    with summing_every_window_afresh():
        assert repr(walked) == repr(trigger_outcomes(text, history))


@settings(max_examples=100, deadline=None)
@given(checked_rulesets(), histories())
def test_any_rolling_sum_carried_on_is_the_sum_afresh(
    text: str, history: list[dict[str, Any]]
) -> None:
    carried = loads(text, "g.plan")
    with summing_every_window_afresh():
        afresh = loads(text, "g.plan")
    assert repr(replayed(carried, history)) == repr(replayed(afresh, history))


@given(st.integers(0, 5) | st.decimals(0, 1, places=3) | st.fractions(0, 1))
def test_an_elapsed_share_reads_as_a_fraction_of_it(elapsed: Any) -> None:
    pacing = Pacing(elapsed, 1, True, True, True)
    assert pacing_elapsed(pacing) == Fraction(elapsed)
    assert type(pacing_elapsed(pacing)) is Fraction


def budgeted(text: str, history: list[dict[str, Any]]) -> Any:
    ruleset = loads(text, "g.plan")
    try:
        report = ruleset.evaluate(history)
    except Exception as problem:
        return type(problem).__name__, str(problem)
    return repr([r for r in report.results if r.kind == "budget"])


@settings(max_examples=150, deadline=None)
@given(checked_rulesets(), histories())
def test_a_budget_is_judged_as_with_its_pace_line_worked_out(
    text: str, history: list[dict[str, Any]]
) -> None:
    kept = budgeted(text, history)
    remembered, judged = BudgetRule.pace_line, BudgetRule.judge_spending

    def afresh(self: BudgetRule, pace: Fraction) -> Any:
        return multiply(pace, self.allowance)

    def by_products(
        self: BudgetRule, spent: Any, planned: Any, pace: Fraction | None
    ) -> tuple[bool, bool]:
        over_plan = bool(spent > planned)
        over_pace = pace is not None and bool(spent > multiply(planned, self.pace_line(pace)))
        return over_plan, over_pace

    BudgetRule.pace_line = afresh  # type: ignore[method-assign]
    BudgetRule.judge_spending = by_products  # type: ignore[method-assign]
    try:
        assert kept == budgeted(text, history)
    finally:
        BudgetRule.pace_line = remembered  # type: ignore[method-assign]
        BudgetRule.judge_spending = judged  # type: ignore[method-assign]


OPERATORS = (
    'ruleset "O"\ncurrency VND\n'
    + "".join(f"metric {m}: count\n" for m in METRICS)
    + "metric sold: count by rep\n"
    + 'threshold "A": m0 + m1 - m2 * 2 warn below 0\n'
    + 'threshold "B": m3 / 4 + m0 warn above 50\n'
    + 'threshold "C" per rep: sold + m1 warn above 60\n'
    + 'threshold "D": m1 - 0.5 * m2 warn below 1\n'
    + 'trigger "E" when m0 < 50 and m1 >= m2 for 2 periods {\n    recommend "e"\n}\n'
)


@settings(max_examples=150, deadline=None)
@given(mixed_histories())
def test_metrics_read_in_place_read_as_their_readers(history: list[dict[str, Any]]) -> None:
    for item in history[::3]:
        item["metrics"]["sold"] = {"Lan": 3, "Minh": 40}
    shortcut = loads(OPERATORS, "o.plan")
    with lifting_every_step():
        lifted = loads(OPERATORS, "o.plan")
    assert repr(outcome(shortcut, history)) == repr(outcome(lifted, history))
    assert repr(replayed(shortcut, history)) == repr(replayed(lifted, history))


def keyed_values(keys: list[str]) -> st.SearchStrategy[Keyed]:
    number = st.integers(-50, 50) | st.sampled_from([Decimal("1.5"), Fraction(1, 3)])
    entry = number | st.just(Unknown("none here"))
    return st.builds(
        Keyed,
        st.dictionaries(st.sampled_from(keys), entry, max_size=len(keys)),
        st.integers(-3, 3) | st.just(Unknown("absent")),
    )


def keyed_periods(whole: bool) -> st.SearchStrategy[list[Keyed]]:
    keys = ["a", "b", "c", "d"]
    if whole:
        values = st.builds(
            Keyed,
            st.dictionaries(st.sampled_from(keys), st.integers(-50, 50), max_size=4),
            st.integers(-3, 3),
        )
        return st.lists(values, min_size=1, max_size=8)
    return st.lists(keyed_values(keys), min_size=1, max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.booleans().flatmap(keyed_periods))
def test_a_keyed_sum_over_periods_is_the_loops_sum(values: list[Keyed]) -> None:
    with evaluating():
        fast, looped = sum_over_periods(values), summed_in_a_loop(values)
    assert repr(fast) == repr(looped)
