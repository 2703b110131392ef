"""What it would take, worked out for all the keys of a `per` rule at once, is what it is for
each key alone: the batch is an optimisation, never another answer (issue 12, item 1)."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import assume, given, settings

from planrules.eval.evaluate import Ruleset, loads
from planrules.eval.whatif import what_it_takes
from planrules.eval.whatif_keys import KeysAcross, Solver, judges_keys_apart
from planrules.lang.diagnostics import RulesetError
from planrules.report.model import Report, Result

from .eval_strategies import checked_rulesets, histories


def _solver(report: Report) -> Solver | None:
    for result in report.results:
        if isinstance(result.what_it_takes, Solver):
            return result.what_it_takes
    return None


def _alone(solver: Solver, result: Result) -> Any:
    rule = solver.rules[result.rule]
    return what_it_takes(rule, solver.moment, result.key, solver.scope)


def _assert_batch_is_each_key_alone(report: Report) -> int:
    """Every falling-short result's `to_pass` equals the one worked out for its key alone;
    returns how many keys the batch settled."""
    solver = _solver(report)
    if solver is None:
        return 0
    solver.alone_first = 0  # every key from the batch, however few are asked for
    for result in report.results:
        if result.what_it_takes is not None:
            assert result.to_pass == _alone(solver, result), (result.rule, result.key)
    return sum(len(solved) for solved in solver.by_rule.values())


STORES = """\
ruleset "Stores"
period 2026-01-01 to 2026-12-31 monthly
metric orders: count by store
metric visits: count by store
metric spend: money by store
metric price: money
let conversion = orders / visits
threshold "Conversion" per store: conversion warn below 2% fail below 1%
threshold "Spend per order" per store: spend / orders warn above 30 fail above 50
threshold "Margin" per store: orders * price - spend warn below 1000
goal "Orders" per store: total(orders) >= 1200 by 2026-12-31
goal "Strictly more" per store: orders > 100
goal "Fewer visits" per store: visits < 4000 by 2026-12-31
"""


def _stores(count: int, months: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    history = []
    for month in range(1, months + 1):
        keys = [f"s{i}" for i in range(count)]
        history.append(
            {
                "period": f"2026-{month:02d}",
                "metrics": {
                    "orders": {k: rng.randint(0, 150) for k in keys},
                    "visits": {k: rng.choice([0, rng.randint(1, 9000)]) for k in keys},
                    "spend": {k: rng.randint(0, 9000) / 100 for k in keys},
                    "price": rng.randint(1, 5000) / 100,
                },
            }
        )
    return history


def test_every_shape_of_margin_batched_as_each_key_alone() -> None:
    ruleset = loads(STORES, filename="stores.plan")
    for seed in range(3):
        for months in (1, 5, 12):
            settled = _assert_batch_is_each_key_alone(ruleset.evaluate(_stores(60, months, seed)))
            assert settled > 0


def test_a_key_one_input_cannot_settle_is_worked_out_alone() -> None:
    # Store s1 has no orders this month: the orders input would make it appear, so that key
    # is worked out alone; its visits are still solved with the rest.
    history = _stores(20, 3, 11)
    for name in ("orders", "spend"):
        del history[-1]["metrics"][name]["s1"]
    ruleset = loads(STORES, filename="stores.plan")
    assert _assert_batch_is_each_key_alone(ruleset.evaluate(history)) > 0


def test_the_rules_batched_are_those_judged_key_by_key() -> None:
    ruleset = loads(
        STORES
        + 'threshold "Share" per store: orders / sum(orders) warn below 1%\n'
        + 'threshold "Above average" per store: orders - avg(orders) warn below 0\n',
        filename="stores.plan",
    )
    apart = {
        name: judges_keys_apart(rule, ruleset.scope) for name, rule in ruleset.solvable.items()
    }
    assert apart["Conversion"] and apart["Margin"] and apart["Orders"]
    assert not apart["Share"] and not apart["Above average"]
    _assert_batch_is_each_key_alone(ruleset.evaluate(_stores(30, 3, 7)))


ACROSS = (
    STORES
    + """\
threshold "Share" per store: orders / sum(orders) warn below 1%
threshold "Above average" per store: orders - avg(orders) warn below 0
threshold "Against all" per store: conversion - sum(orders) / sum(visits) warn below 0
goal "Share of spend" per store: spend / sum(spend) <= 3%
threshold "Against s1" per store: orders - orders.s1 warn below 0
threshold "Twice over" per store: orders - avg(orders - avg(orders)) warn below 10
threshold "Priced" per store: orders * price - avg(spend) warn below 2000
threshold "Half the largest" per store: orders - max(orders) / 2 warn below 0
threshold "Conversion above" per store: conversion - sum(orders) / 100000 warn below 1%
"""
)


def test_rules_reading_other_keys_batched_as_each_key_alone() -> None:
    # Each key's own value moves in a world of its own, another key's value or an unkeyed
    # metric for all keys at once: the same answers as key by key. What a ratio of lines
    # cannot follow is worked out key by key: `max`, a key's visits in "Against all", where
    # they divide twice, and an average of values that each hold an average, which would
    # cost as much per key as judging it alone (`MOST_NESTED`).
    ruleset = loads(ACROSS, filename="stores.plan")
    for seed in range(3):
        history = _stores(40, 3, seed)
        del history[-1]["metrics"]["orders"]["s3"]
        report = ruleset.evaluate(history)
        _assert_batch_is_each_key_alone(report)
        solver = _solver(report)
        assert solver is not None
        # Stores with no visits divide by zero, and only their own conversion is unknown.
        assert 0 in history[-1]["metrics"]["visits"].values()
        across = ("Share", "Above average", "Share of spend", "Against s1", "Priced")
        for rule in (*across, "Conversion above"):
            assert solver.by_rule[rule], rule
        assert "s3" not in solver.by_rule["Share"]  # its own orders would be made to appear
        assert not solver.by_rule["Half the largest"] and not solver.by_rule["Twice over"]


@settings(max_examples=150, deadline=None)
@given(checked_rulesets(), histories())
def test_batched_to_pass_is_each_key_alone(text: str, history: list[dict[str, Any]]) -> None:
    try:
        ruleset: Ruleset = loads(text, filename="g.plan")
    except RulesetError:
        assume(False)
        raise
    _assert_batch_is_each_key_alone(ruleset.evaluate(history))


def test_a_rule_reading_other_keys_solves_only_the_keys_asked_for() -> None:
    # A text report shows the worst 50 keys: the rule is judged once per input it needs, and
    # the other keys that fall short are not solved.
    ruleset = loads(ACROSS, filename="stores.plan")
    report = ruleset.evaluate(_stores(40, 3, 1))
    asked = next(r for r in report.results if r.rule == "Share" and r.what_it_takes)
    assert asked.to_pass == _alone(_solver_of(report), asked)
    across = _solver_of(report).by_rule["Share"]
    assert isinstance(across, KeysAcross)
    assert list(across.solved) == [asked.key]
    assert len(across.judged) <= 1 + 10  # its own orders in every key's world, ten others'


def _solver_of(report: Report) -> Solver:
    solver = _solver(report)
    assert solver is not None
    return solver
