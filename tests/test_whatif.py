"""What it would take: the smallest change of one input that makes a rule pass."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from planrules import loads

HEAD = 'ruleset "x"\nperiod 2026-07-01 to 2026-09-30 monthly\n'
SHARES = (
    'metric o: count by rep\nlet share = o / sum(o)\nthreshold "S" per rep: share warn above 60%\n'
)


def changes(text: str, snapshots: Any, rule: str | None = None, key: str | None = None) -> list:
    report = loads(HEAD + text, "x.plan").evaluate(snapshots)
    result = report.results[0] if rule is None else report.result(rule, key)
    assert result is not None and result.status in ("warn", "fail")
    return [change.to_dict() for change in result.to_pass or ()]


def one(period: str = "2026-08", **metrics: Any) -> dict[str, Any]:
    return {"period": period, "metrics": metrics}


def test_the_contract_example_orders_or_leads() -> None:
    text = (
        'metric orders: count\nmetric leads: count\nthreshold "C": orders / leads fail below 2%\n'
    )
    assert changes(text, one(orders=16, leads=900)) == [
        {"input": "orders", "key": None, "change": 2, "to": 18},
        {"input": "leads", "key": None, "change": -100, "to": 800},
    ]


def test_a_flat_stretch_does_not_hide_a_change_that_helps() -> None:
    assert changes('metric n: number\ngoal "G": max(n, 5) >= 8\n', one(n=-1)) == [
        {"input": "n", "key": None, "change": 9, "to": 8}
    ]


def test_a_strict_comparison_on_counts_takes_the_next_whole_number() -> None:
    assert changes('metric c: count\ngoal "G": c * 2 > 101\n', one(c=20)) == [
        {"input": "c", "key": None, "change": 31, "to": 51}
    ]


def test_samples_that_happen_to_line_up_are_not_trusted() -> None:
    text = 'metric n: number\nthreshold "R": round(n, 0) fail below 3\n'
    assert changes(text, one(n=-10)) == [
        {"input": "n", "key": None, "change": Decimal("12.5"), "to": Decimal("2.5")}
    ]


@pytest.mark.parametrize(
    ("text", "snapshots", "change", "to"),
    [
        (
            'metric revenue: money\ngoal "R": total(revenue) >= 2 billion by 2026-09-30\n',
            [one("2026-07", revenue=600_000_000), one("2026-08", revenue=610_000_000)],
            Decimal("123333333.34"),
            Decimal("733333333.34"),
        ),
        (
            'metric r: ratio\ngoal "G": r >= 50% by 2026-09-30 from 0%\n',
            one("2026-07", r=0),
            Decimal("0.1667"),
            Decimal("0.1667"),
        ),
    ],
)
def test_exact_changes_are_rounded_onto_the_grid_so_they_still_pass(
    text: str, snapshots: Any, change: Decimal, to: Decimal
) -> None:
    [found] = changes(text, snapshots)
    assert (found["change"], found["to"]) == (change, to)


def test_an_input_that_cannot_help_is_left_out() -> None:
    text = SHARES
    assert changes(text, one(o={"Lan": 4}), "S", "Lan") == []


def test_other_keys_of_a_summed_metric_are_inputs() -> None:
    text = SHARES
    found = changes(text, one(o={"Lan": 4, "Minh": 1}), "S", "Lan")
    # 4 / 5 = 80%: Lan down to 1 (1/2 = 50%) or Minh up to 3 (4/7 = 57%)
    assert found == [
        {"input": "o", "key": "Lan", "change": -3, "to": 1},
        {"input": "o", "key": "Minh", "change": 2, "to": 3},
    ]


def test_a_per_key_rule_is_judged_on_its_own_key_only() -> None:
    text = 'metric sold: count by store\nthreshold "Sold" per store: sold fail below 10\n'
    stores = {f"s{n:03d}": n for n in range(200)}
    assert changes(text, one(sold=stores), "Sold", "s003") == [
        {"input": "sold", "key": "s003", "change": 7, "to": 10}
    ]


def test_pacing_figures_read_after_evaluation_are_exact_under_any_decimal_context() -> None:
    import decimal

    text = (
        "metric v: number\n"
        'goal "G": v >= 2 by 2026-09-30 from 1.000000000000000000000000000000001\n'
    )
    ruleset = loads(HEAD + text, "x.plan")
    report = ruleset.evaluate(one("2026-07", v=Decimal("1.000000000000000000000000000000002")))
    result = report.results[0]
    with decimal.localcontext(decimal.Context(prec=5)):
        expected = result.expected
    # baseline + (2 - baseline) / 3, to the last of 34 digits
    baseline = Fraction(Decimal("1.000000000000000000000000000000001"))
    assert expected is not None
    assert Fraction(expected) * 3 == baseline * 3 + (2 - baseline)
