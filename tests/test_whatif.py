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


def changes(
    text: str, snapshots: Any, rule: str | None = None, key: str | None = None
) -> list[dict[str, Any]]:
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


# ---- what it would take stays possible -----------------------------------------------------


def test_a_count_is_never_taken_below_zero() -> None:
    text = 'metric orders: count\nmetric refunds: count\ngoal "Net": orders - refunds >= 10\n'
    # 8 - 3 = 5: orders up to 13 (13 - 3 = 10); refunds would need to be -2, which no count is.
    assert changes(text, one(orders=8, refunds=3)) == [
        {"input": "orders", "key": None, "change": 5, "to": 13}
    ]


def test_money_is_never_taken_below_zero() -> None:
    text = 'metric revenue: money\nmetric cost: money\ngoal "Margin": revenue - cost >= 1000\n'
    # 500 - 200 = 300: revenue up to 1,200; cost would need to be -500.
    assert changes(text, one(revenue=500, cost=200)) == [
        {"input": "revenue", "key": None, "change": 700, "to": 1200}
    ]


def test_a_ratio_metric_is_never_taken_below_zero() -> None:
    text = 'metric gained: ratio\nmetric churn: ratio\ngoal "Net": gained - churn >= 5%\n'
    # 3% - 1% = 2%: gained up to 6%; churn would need to be -2%.
    assert changes(text, one(gained=Decimal("0.03"), churn=Decimal("0.01"))) == [
        {"input": "gained", "key": None, "change": Decimal("0.03"), "to": Decimal("0.06")}
    ]


@pytest.mark.parametrize(
    ("declared", "backlog_changes"),
    [
        # A stock of any unit is a level that is never below zero.
        ("number stock", []),
        # A plain number may be negative: 40 - (-10) = 50.
        ("number", [{"input": "backlog", "key": None, "change": -13, "to": -10}]),
    ],
)
def test_a_stock_is_never_taken_below_zero_where_a_plain_number_may_be(
    declared: str, backlog_changes: list[dict[str, Any]]
) -> None:
    text = (
        f"metric capacity: number\nmetric backlog: {declared}\n"
        'goal "Slack": capacity - backlog >= 50\n'
    )
    # 40 - 3 = 37: capacity up to 53, or backlog down to -10.
    assert changes(text, one(capacity=40, backlog=3)) == [
        {"input": "capacity", "key": None, "change": 13, "to": 53},
        *backlog_changes,
    ]


@pytest.mark.parametrize(
    ("text", "orders", "change"),
    [
        # 2.5 orders (a snapshot may hold that): up to 10, not 10.5 (2.5 + a whole 8).
        ('goal "G": orders >= 10\n', Decimal("2.5"), Decimal("7.5")),
        # 12.5 orders: down to 10, not 9.5 (12.5 - a whole 3).
        ('threshold "T": orders fail above 10\n', Decimal("12.5"), Decimal("-2.5")),
    ],
)
def test_a_count_is_taken_to_a_whole_number_even_from_a_fraction(
    text: str, orders: Decimal, change: Decimal
) -> None:
    assert changes("metric orders: count\n" + text, one(orders=orders)) == [
        {"input": "orders", "key": None, "change": change, "to": 10}
    ]


def test_a_count_solved_to_a_fraction_is_rounded_the_way_it_moves() -> None:
    text = 'metric visits: count\nmetric orders: count\ngoal "G": orders * 3 >= visits\n'
    # 5 * 3 = 15 < 100: orders up to 100 / 3 = 33.3, so 34 (33 * 3 = 99 fails); visits down
    # to 15 exactly.
    assert changes(text, one(visits=100, orders=5)) == [
        {"input": "visits", "key": None, "change": -85, "to": 15},
        {"input": "orders", "key": None, "change": 29, "to": 34},
    ]


def test_no_value_beyond_ten_to_the_24th_is_proposed() -> None:
    text = 'metric visits: count\nmetric orders: count\ngoal "G": orders >= visits * 2\n'
    # 1 < 6 * 10^23 * 2: orders would need 1.2 * 10^24; visits down to 0.5 at most, so 0.
    assert changes(text, one(visits=6 * 10**23, orders=1)) == [
        {"input": "visits", "key": None, "change": -6 * 10**23, "to": 0}
    ]


@pytest.mark.parametrize(
    ("unit", "found"),
    [
        # |3 - 10| = 7 < 15: down to -5 (|-15| = 15) is the nearer way, where money may not go;
        # up to 25 (|15| = 15) is the other.
        ("money", {"input": "balance", "key": None, "change": 22, "to": 25}),
        ("number", {"input": "balance", "key": None, "change": -8, "to": -5}),
    ],
)
def test_a_search_keeps_to_the_values_the_input_could_hold(
    unit: str, found: dict[str, Any]
) -> None:
    text = f'metric balance: {unit}\nthreshold "T": abs(balance - 10) fail below 15\n'
    assert changes(text, one(balance=3)) == [found]


def test_an_input_already_below_zero_is_taken_into_range() -> None:
    text = 'metric orders: count\ngoal "G": orders + 5 >= 3\n'
    # -4 + 5 = 1 < 3: the answer -2 is no count; the least count that passes is 0.
    assert changes(text, one(orders=-4)) == [{"input": "orders", "key": None, "change": 4, "to": 0}]


# ---- the order of the answers --------------------------------------------------------------


def test_inputs_outside_a_denominator_come_first() -> None:
    text = (
        'metric orders: count\nmetric leads: count\nthreshold "C": orders / leads fail below 2%\n'
    )
    # orders +2 of 16 is 12.5%, leads -100 of 900 only 11.1%: leads divides, so it comes last.
    found = changes(text, one(orders=16, leads=900))
    assert [(c["input"], c["change"]) for c in found] == [("orders", 2), ("leads", -100)]


def test_an_input_also_read_outside_a_denominator_is_not_in_one() -> None:
    text = 'metric xau: count\nmetric tot: count\nthreshold "X": xau / (tot + xau) fail below 50%\n'
    # 10 / 40 = 25%: xau up to 30 (30 / 60) is +200%, tot down to 10 (10 / 20) only -66.7%;
    # but xau is also read above the `/`, and tot only below it.
    found = changes(text, one(xau=10, tot=30))
    assert [(c["input"], c["change"]) for c in found] == [("xau", 20), ("tot", -20)]


def test_a_key_read_only_in_a_sum_that_divides_is_in_a_denominator() -> None:
    text = SHARES.replace("warn above 60%", "warn below 40%")
    # Lan 20 of 100 = 20%: Lan up to 54 (54 / 134 = 40.3%; 53 / 133 = 39.8%) is +170%, Minh
    # down to 30 (20 / 50 = 40%) only -62.5%; but Minh is read only in `sum(o)`, below the `/`.
    found = changes(text, one(o={"Lan": 20, "Minh": 80}), "S", "Lan")
    assert [(c["key"], c["change"]) for c in found] == [("Lan", 34), ("Minh", -50)]


def test_a_smaller_change_for_its_value_comes_first() -> None:
    text = 'metric apples: count\nmetric pears: count\ngoal "G": apples + pears >= 100\n'
    # Both +10: 10 of 80 pears is 12.5%, 10 of 10 apples 100%.
    found = changes(text, one(apples=10, pears=80))
    assert [(c["input"], c["change"]) for c in found] == [("pears", 10), ("apples", 10)]


def test_an_input_at_zero_comes_last() -> None:
    text = 'metric apples: count\nmetric pears: count\ngoal "G": apples + pears >= 1000\n'
    # pears +999 of 1 is 99,900%, apples +999 of 0 is no share at all: last.
    found = changes(text, one(apples=0, pears=1))
    assert [(c["input"], c["change"]) for c in found] == [("pears", 999), ("apples", 999)]


def test_ties_go_by_name_then_key() -> None:
    text = (
        "metric zeta: count\nmetric alpha: count\nmetric sold: count by rep\n"
        'goal "G": zeta + alpha + sum(sold) >= 24\n'
    )
    # 4 + 4 + 4 + 4 = 16: each of them +8, 200% of 4.
    found = changes(text, one(zeta=4, alpha=4, sold={"Minh": 4, "Lan": 4}))
    assert [(c["input"], c["key"]) for c in found] == [
        ("alpha", None),
        ("sold", "Lan"),
        ("sold", "Minh"),
        ("zeta", None),
    ]
