"""Worked tests of the evaluator, each computed by hand from docs/LANGUAGE.md.

Every expectation carries its arithmetic in exact fractions. The plan window of the common
header (tests/eval_helpers.py) is July to September 2026, monthly: three periods, so after
July elapsed is 1/3 and after August 2/3.
"""

from __future__ import annotations

import calendar
import decimal
import random
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planrules.eval.evaluate import loads
from planrules.lang.diagnostics import RulesetError
from planrules.report.model import Report, Result

from .eval_helpers import HEADER, evaluate, exact, months, result, ruleset, snap

# ==== 1. Goals ================================================================================

GOAL_900 = 'goal "G": total(revenue) >= 900 by 2026-09-30'


def goal(
    body: str, snapshots: Any, at: str | None = None, rule: str = "G", key: str | None = None
) -> Result:
    return result(evaluate(body, snapshots, at=at), rule, key)


@pytest.mark.parametrize(
    ("revenue", "status"),
    [
        (300, "pass"),  # progress 300/900 = 1/3 = elapsed 1/3
        (Decimal("300.000001"), "pass"),  # just above elapsed
        (299, "warn"),  # 299/900 < 1/3, and >= 1/3 x 9/10 = 3/10 = 270/900
        (Decimal("299.999999"), "warn"),  # one millionth below elapsed
        (270, "warn"),  # 270/900 = 3/10 = elapsed x (1 - 10%) exactly
        (Decimal("269.999999"), "fail"),  # just below 3/10
        (269, "fail"),  # 269/900 < 3/10
        (900, "pass"),  # the comparison already holds
        (0, "fail"),  # progress 0
        (-10, "fail"),  # progress -1/90
    ],
)
def test_goal_pacing_after_july_default_tolerance(revenue: Any, status: str) -> None:
    found = goal(GOAL_900, months({"revenue": revenue}))
    assert found.status == status
    assert exact(found.elapsed, Fraction(1, 3))
    assert exact(found.value, revenue)
    assert exact(found.progress, Fraction(revenue) / 900)


@pytest.mark.parametrize(
    ("july", "august", "status"),
    [
        (250, 350, "pass"),  # total 600; 600/900 = 2/3 = elapsed
        (250, 349, "warn"),  # 599/900 < 2/3, >= 2/3 x 9/10 = 3/5 = 540/900
        (250, 290, "warn"),  # 540/900 = 3/5 exactly
        (250, 289, "fail"),  # 539/900 < 3/5
        (0, 900, "pass"),  # holds
    ],
)
def test_goal_pacing_after_august(july: int, august: int, status: str) -> None:
    found = goal(GOAL_900, months({"revenue": july}, {"revenue": august}))
    assert found.status == status
    assert exact(found.elapsed, Fraction(2, 3))
    assert exact(found.value, july + august)


@pytest.mark.parametrize(
    ("revenue", "status"),
    [
        (667, "pass"),  # 667/1000 >= 2/3 (2001 >= 2000)
        (Decimal("666.666667"), "pass"),  # 666.666667 > 2000/3 = 666.666...
        (Decimal("666.666666"), "warn"),  # 666.666666 < 2000/3
        (666, "warn"),  # 666/1000 < 2/3, >= 2/3 x 9/10 = 3/5
        (600, "warn"),  # 600/1000 = 3/5 exactly
        (Decimal("599.999999"), "fail"),
    ],
)
def test_goal_pacing_boundary_that_is_no_finite_decimal(revenue: Any, status: str) -> None:
    # target 1000 after August: the pass boundary is 1000 x 2/3 = 2000/3, not a decimal
    body = 'goal "G": total(revenue) >= 1000 by 2026-09-30'
    found = goal(body, months({"revenue": 0}, {"revenue": revenue}))
    assert found.status == status
    assert exact(found.expected, Fraction(2000, 3))  # 0 + 1000 x 2/3


@pytest.mark.parametrize(
    ("revenue", "status"),
    [
        (300, "pass"),  # 1/3 = elapsed
        (299, "warn"),  # >= 1/3 x 4/5 = 4/15 = 240/900
        (240, "warn"),  # 240/900 = 4/15 exactly
        (Decimal("239.999999"), "fail"),
        (239, "fail"),
        (269, "warn"),  # would fail at the default 10%: 269/900 >= 4/15
    ],
)
def test_goal_pacing_explicit_tolerance_20_percent(revenue: Any, status: str) -> None:
    body = 'goal "G": total(revenue) >= 900 by 2026-09-30 tolerance 20%'
    assert goal(body, months({"revenue": revenue})).status == status


def test_goal_expected_forecast_required_after_july() -> None:
    found = goal(GOAL_900, months({"revenue": 250}))
    assert found.kind == "goal"
    assert found.key is None
    assert exact(found.value, 250)
    assert exact(found.target, 900)
    assert exact(found.elapsed, Fraction(1, 3))  # 1 period of 3
    assert exact(found.progress, Fraction(5, 18))  # 250 / 900
    assert exact(found.expected, 300)  # 0 + (900 - 0) x 1/3
    assert exact(found.forecast, 750)  # 0 + (250 - 0) / (1/3)
    assert exact(found.required_per_period, 325)  # max(0, 900 - 250) / 2 periods (Aug, Sep)
    assert found.status == "fail"  # 5/18 < 3/10


def test_goal_expected_forecast_required_after_august() -> None:
    found = goal(GOAL_900, months({"revenue": 250}, {"revenue": 101}))
    # value 351; elapsed 2/3; progress 351/900 = 39/100
    assert exact(found.progress, Fraction(39, 100))
    assert exact(found.expected, 600)  # 900 x 2/3
    assert exact(found.forecast, Fraction(1053, 2))  # 351 / (2/3) = 526.5
    assert exact(found.required_per_period, 549)  # (900 - 351) / 1 period (Sep)
    assert found.status == "fail"  # 39/100 < 2/3 x 9/10 = 3/5


def test_goal_required_per_period_is_a_fraction_where_it_does_not_divide() -> None:
    found = goal(GOAL_900, months({"revenue": 251}))
    assert exact(found.required_per_period, Fraction(649, 2))  # (900 - 251) / 2


def test_goal_required_per_period_is_zero_once_the_target_is_met() -> None:
    found = goal(GOAL_900, months({"revenue": 1000}))
    assert exact(found.required_per_period, 0)  # max(0, 900 - 1000) / 2
    assert exact(found.forecast, 3000)  # 1000 / (1/3)
    assert found.status == "pass"


PHASED = 'goal "G": total(revenue) >= 1000 by 2026-09-30 phased 20% 30% 50%'


@pytest.mark.parametrize(
    ("revenues", "elapsed", "status"),
    [
        ([200], Fraction(1, 5), "pass"),  # elapsed 20%; 200/1000 = 1/5
        ([199], Fraction(1, 5), "warn"),  # >= 1/5 x 9/10 = 9/50 = 180/1000
        ([180], Fraction(1, 5), "warn"),  # exactly 9/50
        ([179], Fraction(1, 5), "fail"),
        # a plain pace would say elapsed 1/3 and fail 300 - 1 at 299; phased it passes
        ([299], Fraction(1, 5), "pass"),
        ([100, 400], Fraction(1, 2), "pass"),  # elapsed 20% + 30%; 500/1000 = 1/2
        ([100, 399], Fraction(1, 2), "warn"),  # 499/1000 >= 1/2 x 9/10 = 450/1000
        ([100, 350], Fraction(1, 2), "warn"),  # exactly 9/20
        ([100, 349], Fraction(1, 2), "fail"),
    ],
)
def test_goal_phased_elapsed_is_the_sum_of_the_weights(
    revenues: list[int], elapsed: Fraction, status: str
) -> None:
    found = goal(PHASED, months(*({"revenue": r} for r in revenues)))
    assert exact(found.elapsed, elapsed)
    assert found.status == status
    assert exact(found.expected, 1000 * elapsed)  # 0 + 1000 x elapsed
    assert exact(found.forecast, Fraction(sum(revenues)) / elapsed)


def test_goal_before_the_window_passes_with_elapsed_zero_and_no_forecast() -> None:
    snapshots = [snap("2026-06", revenue=100), snap("2026-07", revenue=5)]
    found = goal(GOAL_900, snapshots, at="2026-06")
    assert found.status == "pass"
    assert exact(found.elapsed, 0)
    assert found.forecast is None
    # total(revenue) over the window's start through June: no period, an empty sum
    assert exact(found.value, 0)
    assert exact(found.expected, 0)  # 0 + 900 x 0
    assert exact(found.required_per_period, 300)  # 900 / 3 periods after June (Jul, Aug, Sep)


def test_goal_before_the_window_with_only_a_june_snapshot() -> None:
    found = goal(GOAL_900, [snap("2026-06", revenue=100)])
    assert found.status == "pass"
    assert exact(found.elapsed, 0)
    assert found.forecast is None


@pytest.mark.parametrize(
    ("august", "september", "status", "value"),
    [
        (10, 3, "pass", 10),  # judged at August (10 >= 10), not at September (3)
        (9, 50, "fail", 9),  # judged at August (9 < 10), though September has 50
    ],
)
def test_goal_after_its_deadline_is_judged_at_the_deadline_period(
    august: int, september: int, status: str, value: int
) -> None:
    body = 'goal "G": orders >= 10 by 2026-08-31'
    found = goal(body, months({"orders": 1}, {"orders": august}, {"orders": september}))
    assert found.status == status
    assert exact(found.value, value)


@pytest.mark.parametrize("current", ["2026-08", "2026-09"])
def test_goal_at_or_after_its_deadline_is_only_pass_or_fail(current: str) -> None:
    # total through August = 400 + 450 = 850; 850/900 = 17/18 would be within tolerance if
    # paced, but a final goal is pass or fail
    body = 'goal "G": total(revenue) >= 900 by 2026-08-31'
    snapshots = months({"revenue": 400}, {"revenue": 450}, {"revenue": 1000})
    found = goal(body, snapshots, at=current)
    assert found.status == "fail"
    assert exact(found.value, 850)  # September's 1000 is after the deadline
    assert found.expected is None
    assert found.forecast is None
    assert found.required_per_period is None  # no period is left after the deadline's


def test_goal_whose_deadline_period_is_a_gap_is_unknown() -> None:
    body = 'goal "G": orders >= 10 by 2026-08-31'
    found = goal(body, [snap("2026-07", orders=20), snap("2026-09", orders=20)])
    assert found.status == "unknown"
    assert "2026-08" in (found.reason or "")


def test_goal_deadline_inside_a_period_counts_that_whole_period() -> None:
    # 15 August lies in 2026-08: span July..August = 2 periods; after July elapsed 1/2
    body = 'goal "G": total(revenue) >= 900 by 2026-08-15'
    found = goal(body, months({"revenue": 450}))
    assert exact(found.elapsed, Fraction(1, 2))
    assert exact(found.expected, 450)  # 900 x 1/2
    assert exact(found.required_per_period, 450)  # (900 - 450) / 1 period (August)
    assert found.status == "pass"
    assert goal(body, months({"revenue": 405})).status == "warn"  # 405/900 = 9/20 = 1/2 x 9/10
    assert goal(body, months({"revenue": 404})).status == "fail"


@pytest.mark.parametrize(
    ("body", "metrics", "status"),
    [
        ('goal "G": orders >= 10', {"orders": 10}, "pass"),
        ('goal "G": orders >= 10', {"orders": 9}, "fail"),  # no pacing, so no warn
        ('goal "G": orders > 10', {"orders": 10}, "fail"),
        ('goal "G": orders <= 10', {"orders": 10}, "pass"),
        ('goal "G": orders < 10', {"orders": 10}, "fail"),
        ('goal "G": total(revenue) >= 900', {"revenue": 899}, "fail"),  # 899/900 but no deadline
    ],
)
def test_goal_without_deadline_is_pass_or_fail_now(
    body: str, metrics: dict[str, int], status: str
) -> None:
    found = goal(body, months(metrics))
    assert found.status == status
    assert found.expected is None
    assert found.forecast is None
    assert found.required_per_period is None


CUSTOMERS = 'goal "G": customers >= 500 by 2026-09-30 from 200'


@pytest.mark.parametrize(
    ("customers", "progress", "status"),
    [
        (300, Fraction(1, 3), "pass"),  # (300 - 200) / (500 - 200) = 1/3 = elapsed
        (299, Fraction(33, 100), "warn"),  # 99/300 >= 3/10
        (290, Fraction(3, 10), "warn"),  # 90/300 = 3/10 = 1/3 x 9/10
        (289, Fraction(89, 300), "fail"),
        (150, Fraction(-1, 6), "fail"),  # below the baseline: -50/300
        (500, Fraction(1), "pass"),  # holds
    ],
)
def test_goal_from_baseline_rising(customers: int, progress: Fraction, status: str) -> None:
    found = goal(CUSTOMERS, months({"customers": customers}))
    assert found.status == status
    assert exact(found.progress, progress)
    assert exact(found.expected, 300)  # 200 + (500 - 200) x 1/3
    assert exact(found.forecast, 200 + (customers - 200) * 3)  # 200 + (v - 200) / (1/3)
    # Paced and rising: the gap to 500 shared over the 2 periods left (version 2).
    assert exact(found.required_per_period, Fraction(max(500 - customers, 0), 2))


BACKLOG = 'goal "G": backlog <= 50 by 2026-09-30 from 200'


@pytest.mark.parametrize(
    ("backlog", "progress", "status"),
    [
        (150, Fraction(1, 3), "pass"),  # (150 - 200) / (50 - 200) = -50/-150 = 1/3
        (151, Fraction(49, 150), "warn"),  # -49/-150 >= 3/10 = 45/150
        (155, Fraction(3, 10), "warn"),  # -45/-150 = 3/10 exactly
        (156, Fraction(22, 75), "fail"),  # -44/-150 < 3/10
        (40, Fraction(16, 15), "pass"),  # holds: 40 <= 50
        (250, Fraction(-1, 3), "fail"),  # moved the wrong way
    ],
)
def test_goal_from_baseline_falling(backlog: int, progress: Fraction, status: str) -> None:
    found = goal(BACKLOG, months({"backlog": backlog}))
    assert found.status == status
    assert exact(found.progress, progress)
    assert exact(found.expected, 150)  # 200 + (50 - 200) x 1/3
    assert exact(found.forecast, 200 + (backlog - 200) * 3)  # 155 -> 200 - 135 = 65


@pytest.mark.parametrize(
    ("body", "backlog", "status"),
    [
        ('goal "G": backlog <= 50 by 2026-09-30', 50, "pass"),  # holds now
        ('goal "G": backlog <= 50 by 2026-09-30', 51, "warn"),  # does not hold: warn
        ('goal "G": backlog <= 50 by 2026-09-30', 10**9, "warn"),  # never fail while paced
        ('goal "G": backlog < 50 by 2026-09-30', 50, "warn"),
        ('goal "G": backlog < 50 by 2026-09-30', 49, "pass"),
    ],
)
def test_goal_less_than_without_baseline_and_deadline_ahead(
    body: str, backlog: int, status: str
) -> None:
    found = goal(body, months({"backlog": backlog}))
    assert found.status == status
    assert found.expected is None  # neither >/>= nor `from`
    assert found.forecast is None


def test_goal_less_than_after_its_deadline_fails() -> None:
    body = 'goal "G": backlog <= 50 by 2026-07-31'
    assert goal(body, months({"backlog": 51}, {"backlog": 0})).status == "fail"  # July's 51


@pytest.mark.parametrize(
    ("body", "metrics", "status"),
    [
        ('goal "G": customers >= 200 by 2026-09-30 from 200', {"customers": 200}, "pass"),
        ('goal "G": customers >= 200 by 2026-09-30 from 200', {"customers": 201}, "pass"),
        ('goal "G": customers >= 200 by 2026-09-30 from 200', {"customers": 199}, "fail"),
        ('goal "G": backlog <= 200 by 2026-09-30 from 200', {"backlog": 200}, "pass"),
        ('goal "G": backlog <= 200 by 2026-09-30 from 200', {"backlog": 201}, "fail"),
    ],
)
def test_goal_target_equal_to_baseline(body: str, metrics: dict[str, int], status: str) -> None:
    assert goal(body, months(metrics)).status == status


QUOTA_GOAL = """\
table quota: count by rep { Lan 90 else 30 }
goal "Q" per rep: total(sold) >= quota by 2026-09-30
"""


def test_goal_per_rep_with_a_table_target() -> None:
    report = evaluate(QUOTA_GOAL, months({"sold": {"Lan": 30, "Minh": 9, "Hoa": 8}}))
    keys = [r.key for r in report.results if r.rule == "Q"]
    assert keys == ["Hoa", "Lan", "Minh"]  # sorted by key
    lan, minh, hoa = (result(report, "Q", k) for k in ("Lan", "Minh", "Hoa"))
    assert lan.status == "pass"  # 30/90 = 1/3 = elapsed
    assert exact(lan.target, 90)
    assert exact(lan.required_per_period, 30)  # (90 - 30) / 2
    assert minh.status == "warn"  # 9/30 = 3/10 = 1/3 x 9/10
    assert exact(minh.target, 30)  # else 30
    assert exact(minh.required_per_period, Fraction(21, 2))  # (30 - 9) / 2
    assert hoa.status == "fail"  # 8/30 < 3/10


# ==== 2. Thresholds ===========================================================================

ABOVE = 'threshold "T": orders\n    warn above 10\n    fail above 20\n'
BELOW = 'threshold "T": orders\n    warn below 30\n    fail below 20\n'


@pytest.mark.parametrize(
    ("body", "orders", "status", "level"),
    [
        (ABOVE, 10, "pass", None),  # above is strict: 10 > 10 is false
        (ABOVE, 11, "warn", "warn above 10"),
        (ABOVE, 20, "warn", "warn above 10"),  # 20 > 20 is false
        (ABOVE, 21, "fail", "fail above 20"),
        (BELOW, 30, "pass", None),  # below is strict
        (BELOW, 29, "warn", "warn below 30"),
        (BELOW, 20, "warn", "warn below 30"),
        (BELOW, 19, "fail", "fail below 20"),
    ],
)
def test_threshold_bounds_are_strict(
    body: str, orders: int, status: str, level: str | None
) -> None:
    found = result(evaluate(body, months({"orders": orders})), "T")
    assert found.kind == "threshold"
    assert found.status == status
    assert found.level == level
    assert exact(found.value, orders)


def test_threshold_fail_wins_over_warn_whatever_the_order() -> None:
    # 4 < 5 (warn below 5) and 4 > 3 (fail above 3): both reached, fail wins
    body = 'threshold "T": orders\n    warn below 5\n    fail above 3\n'
    found = result(evaluate(body, months({"orders": 4})), "T")
    assert found.status == "fail"
    assert found.level == "fail above 3"


def test_threshold_fail_wins_over_an_unreachable_warn() -> None:
    body = 'threshold "T": orders\n    warn above 200\n    fail above 150\n'
    found = result(evaluate(body, months({"orders": 201})), "T")
    assert found.status == "fail"  # 201 > 200 and 201 > 150


def test_threshold_exact_decimal_bound() -> None:
    # 1/3 is no decimal: 0.3333 < 1/3 < 0.3334
    body = 'let third = orders / leads\nthreshold "T": third\n    warn above 33.33%\n'
    found = result(evaluate(body, months({"orders": 1, "leads": 3})), "T")
    assert exact(found.value, Fraction(1, 3))
    assert found.status == "warn"  # 1/3 > 0.3333
    body2 = 'let third = orders / leads\nthreshold "T": third\n    warn above 33.34%\n'
    assert result(evaluate(body2, months({"orders": 1, "leads": 3})), "T").status == "pass"


TABLE_THRESHOLD = """\
table quota: count by rep { Lan 5 else 3 }
threshold "Q" per rep: sold
    warn below quota
"""


def test_threshold_table_bounds_per_key() -> None:
    sold = {"Lan": 4, "Minh": 4, "Hoa": 3, "Tuan": 2}
    report = evaluate(TABLE_THRESHOLD, months({"sold": sold}))
    assert result(report, "Q", "Lan").status == "warn"  # 4 < 5
    assert result(report, "Q", "Minh").status == "pass"  # 4 >= 3 (else)
    assert result(report, "Q", "Hoa").status == "pass"  # 3 < 3 is false
    assert result(report, "Q", "Tuan").status == "warn"  # 2 < 3
    assert result(report, "Q", "Lan").level == "warn below quota"


def test_threshold_per_key_results_sorted_by_code_point() -> None:
    sold = {"an": 5, "Ánh": 5, "Zed": 5, "Lan": 5}
    report = evaluate(TABLE_THRESHOLD, months({"sold": sold}))
    # 'L' U+004C < 'Z' U+005A < 'a' U+0061 < 'Á' U+00C1
    assert [r.key for r in report.results] == ["Lan", "Zed", "an", "Ánh"]


def test_threshold_per_key_keys_are_nfc_normalised() -> None:
    report = evaluate(TABLE_THRESHOLD, months({"sold": {"A\u0301nh": 5}}))
    assert [r.key for r in report.results] == ["\u00c1nh"]


def test_threshold_tables_do_not_add_keys() -> None:
    # quota names Lan, but only Minh sold: Minh alone is judged
    report = evaluate(TABLE_THRESHOLD, months({"sold": {"Minh": 9}}))
    assert [r.key for r in report.results] == ["Minh"]


def test_threshold_keys_from_every_period_through_the_current_one() -> None:
    body = 'threshold "S" per rep: sold\n    warn below 1\n'
    snapshots = [
        snap("2026-06", sold={"Early": 4}),  # before the window: still history
        snap("2026-07", sold={"Lan": 2, "Old": 3}),
        snap("2026-08", sold={"Lan": 2}),
        snap("2026-09", sold={"Late": 7}),  # after the current period: not read
    ]
    report = evaluate(body, snapshots, at="2026-08")
    assert [r.key for r in report.results] == ["Early", "Lan", "Old"]
    old = result(report, "S", "Old")
    assert exact(old.value, 0)  # a count flow absent for a key is 0
    assert old.status == "warn"  # 0 < 1
    assert result(report, "S", "Lan").status == "pass"


def test_threshold_table_without_else_is_unknown_for_a_key_it_lacks() -> None:
    body = 'table cap: count by rep { Lan 5 }\nthreshold "C" per rep: sold\n    warn above cap\n'
    report = evaluate(body, months({"sold": {"Lan": 6, "Minh": 1}}))
    assert result(report, "C", "Lan").status == "warn"  # 6 > 5
    minh = result(report, "C", "Minh")
    assert minh.status == "unknown"
    assert minh.reason


# ==== 3. Unknown ==============================================================================

CONVERSION = 'let conv = orders / leads\nthreshold "C": conv\n    warn below 2%\n'


def test_division_by_zero_is_unknown_with_the_reason() -> None:
    found = result(evaluate(CONVERSION, months({"orders": 5, "leads": 0})), "C")
    assert found.status == "unknown"
    assert found.value is None
    reason = found.reason or ""
    assert "zero" in reason.lower() or "divi" in reason.lower()
    assert "2026-07" in reason


def test_missing_scalar_metric_is_unknown_naming_metric_and_period() -> None:
    found = result(evaluate(CONVERSION, months({"leads": 10}, {"leads": 10})), "C")
    assert found.status == "unknown"
    assert "orders" in (found.reason or "")
    assert "2026-08" in (found.reason or "")


def test_null_is_absent() -> None:
    found = result(evaluate(CONVERSION, months({"orders": None, "leads": 10})), "C")
    assert found.status == "unknown"
    assert "orders" in (found.reason or "")


@pytest.mark.parametrize(
    ("condition", "status"),
    [
        ("orders / leads < 2% and revenue > 100", "quiet"),  # unknown and false = false
        ("revenue > 100 and orders / leads < 2%", "quiet"),  # false and unknown = false
        ("orders / leads < 2% or revenue > 10", "fired"),  # unknown or true = true
        ("revenue > 10 or orders / leads < 2%", "fired"),  # true or unknown = true
        ("orders / leads < 2% and revenue > 10", "unknown"),  # unknown and true = unknown
        ("orders / leads < 2% or revenue > 100", "unknown"),  # unknown or false = unknown
        ("not (orders / leads < 2%)", "unknown"),  # not unknown = unknown
        ("not (orders / leads < 2%) or not (revenue > 100)", "fired"),  # unknown or true
    ],
)
def test_three_valued_logic(condition: str, status: str) -> None:
    body = f'trigger "X" when {condition} {{\n    recommend "go"\n}}\n'
    # leads 0: orders / leads is unknown; revenue 50
    found = result(evaluate(body, months({"orders": 1, "leads": 0, "revenue": 50})), "X")
    assert found.status == status


def test_ratio_keyed_metric_with_a_key_absent_is_unknown_for_that_key() -> None:
    body = 'threshold "R" per rep: rate\n    warn below 10%\n'
    snapshots = months(
        {"rate": {"Lan": Decimal("0.2"), "Minh": Decimal("0.05")}},
        {"rate": {"Lan": Decimal("0.05")}},
    )
    report = evaluate(body, snapshots)
    assert result(report, "R", "Lan").status == "warn"  # 5% < 10%
    minh = result(report, "R", "Minh")
    assert minh.status == "unknown"  # a ratio absent for a key is unknown, not 0
    assert "Minh" in (minh.reason or "")
    assert "2026-08" in (minh.reason or "")


def test_stock_keyed_metric_with_a_key_absent_is_unknown() -> None:
    header = HEADER + "metric stockpile: count by rep stock\n"
    body = 'threshold "S" per rep: stockpile\n    warn below 1\n'
    snapshots = months({"stockpile": {"Lan": 1, "Minh": 1}}, {"stockpile": {"Lan": 1}})
    report = evaluate(body, snapshots, header=header)
    assert result(report, "S", "Lan").status == "pass"
    assert result(report, "S", "Minh").status == "unknown"


def test_absent_keyed_metric_is_unknown() -> None:
    body = 'threshold "S": sum(sold)\n    warn below 1\n'
    found = result(evaluate(body, months({"orders": 1})), "S")
    assert found.status == "unknown"
    assert "sold" in (found.reason or "")


UNKNOWN_AND_PASS = CONVERSION + 'goal "Fine": orders >= 1\n'


def test_unknown_makes_the_overall_status_warn() -> None:
    report = evaluate(UNKNOWN_AND_PASS, months({"orders": 5, "leads": 0}))
    assert result(report, "Fine").status == "pass"
    assert report.status == "warn"
    assert report.counts["unknown"] == 1
    assert report.counts["pass"] == 1


def test_unknown_makes_the_overall_status_fail_when_strict() -> None:
    report = evaluate(UNKNOWN_AND_PASS, months({"orders": 5, "leads": 0}), strict=True)
    assert report.status == "fail"


def test_all_known_and_passing_is_pass_even_when_strict() -> None:
    report = evaluate(UNKNOWN_AND_PASS, months({"orders": 5, "leads": 100}), strict=True)
    assert report.status == "pass"  # 5/100 = 5% >= 2%


# ==== 4. History ==============================================================================

HISTORY_SNAPSHOTS = [
    snap("2026-06", orders=5),  # before the window
    snap("2026-07", orders=10),
    snap("2026-08", orders=12),
    snap("2026-09", orders=18),
]


@pytest.mark.parametrize(
    ("expr", "at", "value"),
    [
        ("previous(orders)", "2026-09", 12),  # August
        ("previous(orders, 2)", "2026-09", 10),  # July
        ("previous(orders, 3)", "2026-09", 5),  # June: before the window, still read
        ("previous(orders)", "2026-07", 5),  # June
        ("change(orders)", "2026-09", 6),  # 18 - 12
        ("change(orders)", "2026-07", 5),  # 10 - 5
        ("growth(orders)", "2026-09", Fraction(1, 2)),  # 18/12 - 1
        ("growth(orders)", "2026-08", Fraction(1, 5)),  # 12/10 - 1
        ("rolling_avg(orders, 3)", "2026-09", Fraction(40, 3)),  # (10 + 12 + 18) / 3
        ("rolling_avg(orders, 4)", "2026-09", Fraction(45, 4)),  # (5 + 10 + 12 + 18) / 4
        ("rolling_sum(orders, 2)", "2026-09", 30),  # 12 + 18
        ("rolling_sum(orders, 1)", "2026-09", 18),
        ("rolling_sum(orders, 2)", "2026-07", 15),  # 5 + 10
        ("total(orders)", "2026-09", 40),  # 10 + 12 + 18: June is not in the window
        ("total(orders)", "2026-07", 10),
        ("previous(change(orders))", "2026-09", 2),  # change at August: 12 - 10
        ("growth(previous(orders))", "2026-09", Fraction(1, 5)),  # 12/10 - 1
        ("change(total(orders))", "2026-09", 18),  # 40 - 22
        ("rolling_sum(total(orders), 2)", "2026-09", 62),  # 22 + 40
        ("previous(total(orders))", "2026-09", 22),  # 10 + 12
    ],
)
def test_history_functions(expr: str, at: str, value: Any) -> None:
    body = f'threshold "H": {expr}\n    warn above 1000000\n'
    found = result(evaluate(body, HISTORY_SNAPSHOTS, at=at), "H")
    assert found.status == "pass"
    assert exact(found.value, value)


@pytest.mark.parametrize(
    ("expr", "period"),
    [
        ("previous(orders, 4)", "2026-05"),  # September - 4 = May: no snapshot
        ("rolling_sum(orders, 5)", "2026-05"),
        ("rolling_avg(orders, 5)", "2026-05"),
    ],
)
def test_history_before_the_first_snapshot_is_unknown(expr: str, period: str) -> None:
    body = f'threshold "H": {expr}\n    warn above 1000000\n'
    found = result(evaluate(body, HISTORY_SNAPSHOTS), "H")
    assert found.status == "unknown"
    assert period in (found.reason or "")


GAP_SNAPSHOTS = [snap("2026-07", revenue=100), snap("2026-09", revenue=300)]


@pytest.mark.parametrize(
    "expr",
    [
        "total(revenue)",
        "previous(revenue)",
        "change(revenue)",
        "growth(revenue)",
        "rolling_sum(revenue, 2)",
        "rolling_avg(revenue, 3)",
    ],
)
def test_history_over_a_gap_is_unknown_naming_the_gap(expr: str) -> None:
    body = f'threshold "H": {expr}\n    warn above 1000000\n'
    found = result(evaluate(body, GAP_SNAPSHOTS), "H")
    assert found.status == "unknown"
    assert "2026-08" in (found.reason or "")


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        ("previous(revenue, 2)", 100),  # July: steps over the gap
        ("rolling_sum(revenue, 1)", 300),
        ("revenue", 300),
    ],
)
def test_history_that_does_not_touch_the_gap_is_known(expr: str, value: int) -> None:
    body = f'threshold "H": {expr}\n    warn above 1000000\n'
    assert exact(result(evaluate(body, GAP_SNAPSHOTS), "H").value, value)


def test_gap_in_a_keyed_total() -> None:
    body = 'threshold "H" per channel: total(spend)\n    warn above 1000000\n'
    snapshots = [snap("2026-07", spend={"ads": 1}), snap("2026-09", spend={"ads": 2})]
    found = result(evaluate(body, snapshots), "H", "ads")
    assert found.status == "unknown"
    assert "2026-08" in (found.reason or "")


def test_growth_from_zero_is_unknown() -> None:
    body = 'threshold "H": growth(orders)\n    warn above 1000%\n'
    found = result(evaluate(body, months({"orders": 0}, {"orders": 5})), "H")
    assert found.status == "unknown"


def test_snapshots_before_the_window_are_read_by_previous_but_not_total() -> None:
    body = (
        'threshold "P": previous(revenue)\n    warn above 1000000\n'
        'threshold "T": total(revenue)\n    warn above 1000000\n'
    )
    report = evaluate(body, [snap("2026-06", revenue=70), snap("2026-07", revenue=30)])
    assert exact(result(report, "P").value, 70)
    assert exact(result(report, "T").value, 30)  # June's 70 is not in the window


EVERYTHING_SMALL = """\
let conv = orders / leads
goal "G": total(revenue) >= 900 by 2026-09-30
threshold "C": conv
    warn below 2%
threshold "S" per rep: sold
    warn below 2
budget "B" total 1000 for spend {
    ads 600
    events 300
}
trigger "Low" when conv < 2% for 2 periods {
    recommend "conv {conv}"
}
"""


def test_snapshots_out_of_order_give_the_same_report() -> None:
    in_order = [
        snap("2026-06", orders=1, leads=100, revenue=5, sold={"A": 1}, spend={"ads": 1}),
        snap("2026-07", orders=1, leads=100, revenue=50, sold={"B": 3}, spend={"ads": 10}),
        snap("2026-08", orders=3, leads=100, revenue=70, sold={"A": 2}, spend={"x": 5}),
        snap("2026-09", orders=1, leads=90, revenue=90, sold={"C": 1}, spend={"events": 9}),
    ]
    expected = ruleset(EVERYTHING_SMALL).evaluate(in_order).to_dict()
    shuffled = list(in_order)
    for seed in range(5):
        random.Random(seed).shuffle(shuffled)
        assert ruleset(EVERYTHING_SMALL).evaluate(shuffled).to_dict() == expected


def test_single_dict_and_wrapped_forms_are_accepted() -> None:
    one = snap("2026-07", orders=1, leads=10)
    a = ruleset(CONVERSION).evaluate(one).to_dict()
    b = ruleset(CONVERSION).evaluate({"snapshots": [one]}).to_dict()
    c = ruleset(CONVERSION).evaluate([one]).to_dict()
    assert a == b == c


# ==== 5. Budgets ==============================================================================

BUDGET = """\
budget "B" total 1000 for spend {
    ads 600
    events 300
}
"""


def budget_results(report: Report, name: str = "B") -> list[Result]:
    return [r for r in report.results if r.rule == name]


def test_budget_results_one_per_line_in_declared_order_then_the_whole() -> None:
    body = 'budget "B" total 1000 for spend {\n    zeta 600\n    alpha 300\n}\n'
    report = evaluate(body, months({"spend": {"alpha": 1, "zeta": 1}}))
    assert [r.key for r in budget_results(report)] == ["zeta", "alpha", None]
    assert all(r.kind == "budget" for r in budget_results(report))


def test_budget_spent_planned_used() -> None:
    report = evaluate(
        BUDGET, months({"spend": {"ads": 100, "events": 50}}, {"spend": {"ads": 120}})
    )
    ads, events, whole = budget_results(report)
    assert exact(ads.value, 220)  # 100 + 120 over the window so far
    assert exact(ads.planned, 600)
    assert exact(ads.used, Fraction(11, 30))  # 220 / 600
    assert exact(events.value, 50)  # 50 + 0 (absent in August: a money flow is 0)
    assert exact(events.used, Fraction(1, 6))  # 50 / 300
    assert exact(whole.value, 270)  # all spending
    assert exact(whole.planned, 1000)
    assert exact(whole.used, Fraction(27, 100))


@pytest.mark.parametrize(
    ("ads", "status"),
    [
        (220, "pass"),  # 220/600 = 11/30 = 1/3 x 11/10: equal is not above
        (Decimal("220.000001"), "warn"),
        (221, "warn"),  # 221/600 > 11/30
        (600, "warn"),  # spent = amount: not over, but far over pace
        (601, "fail"),  # spent > amount
    ],
)
def test_budget_line_pace_after_july(ads: Any, status: str) -> None:
    report = evaluate(BUDGET, months({"spend": {"ads": ads}}))
    assert budget_results(report)[0].status == status


@pytest.mark.parametrize(
    ("august", "status"),
    [
        (240, "pass"),  # (200 + 240)/600 = 11/15 = 2/3 x 11/10
        (241, "warn"),
    ],
)
def test_budget_line_pace_after_august(august: int, status: str) -> None:
    report = evaluate(BUDGET, months({"spend": {"ads": 200}}, {"spend": {"ads": august}}))
    assert budget_results(report)[0].status == status


@pytest.mark.parametrize(
    ("ads", "status"),
    [
        (600, "pass"),  # elapsed 1: 600/600 = 1 <= 11/10, and not > 600
        (601, "fail"),
    ],
)
def test_budget_line_at_the_window_end(ads: int, status: str) -> None:
    snapshots = months({"spend": {"ads": 0}}, {"spend": {"ads": 0}}, {"spend": {"ads": ads}})
    assert budget_results(evaluate(BUDGET, snapshots))[0].status == status


@pytest.mark.parametrize(
    ("ads", "status"),
    [
        (300, "pass"),  # 300/600 = 1/2 = 1/3 x 3/2
        (301, "warn"),
    ],
)
def test_budget_explicit_tolerance(ads: int, status: str) -> None:
    body = 'budget "B" total 1000 tolerance 50% for spend {\n    ads 600\n    events 300\n}\n'
    assert budget_results(evaluate(body, months({"spend": {"ads": ads}})))[0].status == status


PER_PERIOD = 'budget "P" total 1000 per period for spend {\n    ads 600\n    events 300\n}\n'


@pytest.mark.parametrize(
    ("august", "status"),
    [
        (550, "pass"),  # August alone, no pace: 550 <= 600 (a pace of 1/3 would warn)
        (600, "pass"),
        (601, "fail"),
    ],
)
def test_budget_per_period_reads_the_current_period_alone(august: int, status: str) -> None:
    report = evaluate(PER_PERIOD, months({"spend": {"ads": 500}}, {"spend": {"ads": august}}))
    ads, _events, whole = budget_results(report, "P")
    assert exact(ads.value, august)
    assert ads.status == status
    assert exact(whole.value, august)


def test_budget_spending_on_a_key_no_line_names_makes_the_whole_warn() -> None:
    report = evaluate(BUDGET, months({"spend": {"ads": 10, "other": 5}}))
    ads, events, whole = budget_results(report)
    assert ads.status == "pass"
    assert events.status == "pass"
    assert whole.status == "warn"
    assert exact(whole.value, 15)  # keys no line names included


@pytest.mark.parametrize(
    ("other", "status"),
    [
        (201, "fail"),  # 500 + 300 + 201 = 1001 > 1000
        (200, "warn"),  # 1000: not over the total, but `other` is no line
    ],
)
def test_budget_whole_fails_when_all_spending_exceeds_the_total(other: int, status: str) -> None:
    snapshots = months(
        {"spend": {"ads": 0}},
        {"spend": {"ads": 0}},
        {"spend": {"ads": 500, "events": 300, "other": other}},
    )
    ads, events, whole = budget_results(evaluate(BUDGET, snapshots))
    assert ads.status == "pass"  # 500 <= 600, elapsed 1
    assert events.status == "pass"  # 300 <= 300
    assert whole.status == status


def test_budget_whole_is_the_worst_of_its_lines() -> None:
    report = evaluate(BUDGET, months({"spend": {"ads": 601}}))
    ads, events, whole = budget_results(report)
    assert ads.status == "fail"
    assert events.status == "pass"
    assert whole.status == "fail"  # 601 < 1000, but a line failed


def test_budget_whole_pace_warns() -> None:
    # whole: 367/1000 > 11/30 (= 366.67/1000); lines: ads 220 (= bound), events 110 (= bound),
    # other 37 (no line): warns either way; the whole is not `fail` (367 <= 1000)
    report = evaluate(BUDGET, months({"spend": {"ads": 220, "events": 110, "other": 37}}))
    assert [r.status for r in budget_results(report)] == ["pass", "pass", "warn"]


def test_budget_without_for_has_no_results_only_an_allocation() -> None:
    body = 'budget "Plain" total 100 {\n    x 60\n    y 40\n}\n'
    report = evaluate(body, months({"orders": 1}))
    assert report.results == ()
    allocation = report.allocation("Plain")
    assert allocation is not None
    assert [(line.line, line.planned, line.proposed) for line in allocation.lines] == [
        ("x", 60, 60),
        ("y", 40, 40),
    ]
    assert report.status == "pass"


def test_budget_with_spending_unknown() -> None:
    report = evaluate(BUDGET, months({"orders": 1}))
    assert all(r.status == "unknown" for r in budget_results(report))


# ==== 6. Triggers =============================================================================


def trigger(
    body: str, orders: Sequence[int | None], at: str | None = None, first: int = 7
) -> tuple[Report, Result]:
    snapshots = [
        snap(f"2026-{first + i:02d}", **({} if o is None else {"orders": o}))
        for i, o in enumerate(orders)
    ]
    report = evaluate(body, snapshots, at=at)
    return report, result(report, "X")


FOR_2 = 'trigger "X" when orders < 10 for 2 periods {\n    recommend "low"\n}\n'


@pytest.mark.parametrize(
    ("orders", "first", "status", "held", "last_fired"),
    [
        ([5, 5], 7, "fired", ("2026-07", "2026-08"), "2026-08"),
        ([5], 7, "quiet", ("2026-07",), None),  # cannot fire before 2 periods exist
        ([5, 20, 5], 7, "quiet", ("2026-07", "2026-09"), None),
        ([5, 5, 20], 7, "quiet", ("2026-07", "2026-08"), "2026-08"),
        ([5, 5], 6, "fired", ("2026-06", "2026-07"), "2026-07"),  # June counts
        ([None, 5, 5], 7, "fired", ("2026-08", "2026-09"), "2026-09"),
        ([None, 5], 7, "quiet", ("2026-08",), None),  # July unknown: not held
    ],
)
def test_trigger_for_n_periods(
    orders: list[int | None],
    first: int,
    status: str,
    held: tuple[str, ...],
    last_fired: str | None,
) -> None:
    report, found = trigger(FOR_2, orders, first=first)
    assert found.kind == "trigger"
    assert found.status == status
    assert found.held == held
    assert found.last_fired == last_fired
    assert found.value is None
    assert [r.text for r in report.recommendations] == (["low"] if status == "fired" else [])


def test_trigger_gap_breaks_the_run() -> None:
    snapshots = [snap("2026-07", orders=5), snap("2026-09", orders=5)]
    found = result(evaluate(FOR_2, snapshots), "X")
    assert found.status == "quiet"  # August is a gap: not held
    assert found.held == ("2026-07", "2026-09")


FOR_2_OF_3 = 'trigger "X" when orders < 10 for 2 of 3 periods {\n    recommend "low"\n}\n'


@pytest.mark.parametrize(
    ("orders", "first", "status"),
    [
        ([5, 20, 5], 7, "fired"),  # Jul, Sep held among Jul..Sep
        ([5, 5], 7, "fired"),  # 2 of the 2 periods that exist
        ([5], 7, "quiet"),  # 1 of 1
        ([5, 20, 20, 5], 6, "quiet"),  # Jul..Sep hold only Sep; June is 4 back
        ([20, 5, 5], 7, "fired"),
    ],
)
def test_trigger_for_n_of_m_periods(orders: list[int], first: int, status: str) -> None:
    _, found = trigger(FOR_2_OF_3, orders, first=first)
    assert found.status == status


def test_trigger_n_of_m_fires_without_the_current_period_holding() -> None:
    # Jul and Aug held, Sep not: 2 of the last 3 (Jul, Aug, Sep) held -> fires at September
    _, found = trigger(FOR_2_OF_3, [5, 5, 20])
    assert found.held == ("2026-07", "2026-08")
    assert found.status == "fired"
    assert found.last_fired == "2026-09"


COOLDOWN_1 = 'trigger "X" when orders < 10 cooldown 1 period {\n    recommend "low"\n}\n'


@pytest.mark.parametrize(
    ("orders", "at", "status", "last_fired"),
    [
        ([5], None, "fired", "2026-07"),
        ([5, 5], None, "cooling", "2026-07"),  # would fire, fired in the period before
        ([5, 5, 5], None, "fired", "2026-09"),  # August was cooling, not a firing
        ([5, 20, 5], None, "fired", "2026-09"),
        ([5, 5, 5], "2026-08", "cooling", "2026-07"),
    ],
)
def test_trigger_cooldown(orders: list[int], at: str | None, status: str, last_fired: str) -> None:
    report, found = trigger(COOLDOWN_1, orders, at=at)
    assert found.status == status
    assert found.last_fired == last_fired
    # actions only where fired at the current period
    assert len(report.recommendations) == (1 if status == "fired" else 0)


@pytest.mark.parametrize(
    ("at", "status", "last_fired"),
    [
        ("2026-06", "fired", "2026-06"),
        ("2026-07", "cooling", "2026-06"),
        ("2026-08", "cooling", "2026-06"),
        ("2026-09", "fired", "2026-09"),  # 3 periods after June's firing
    ],
)
def test_trigger_cooldown_two_periods_from_before_the_window(
    at: str, status: str, last_fired: str
) -> None:
    body = 'trigger "X" when orders < 10 cooldown 2 periods {\n    recommend "low"\n}\n'
    _, found = trigger(body, [5, 5, 5, 5], at=at, first=6)
    assert found.status == status
    assert found.last_fired == last_fired


@pytest.mark.parametrize(
    ("at", "status", "last_fired"),
    [
        ("2026-06", "quiet", None),  # only one period exists
        ("2026-07", "fired", "2026-07"),
        ("2026-08", "cooling", "2026-07"),
        ("2026-09", "fired", "2026-09"),
    ],
)
def test_trigger_for_2_with_cooldown_1(at: str, status: str, last_fired: str | None) -> None:
    body = (
        'trigger "X" when orders < 10 for 2 periods cooldown 1 period {\n    recommend "low"\n}\n'
    )
    _, found = trigger(body, [5, 5, 5, 5], at=at, first=6)
    assert found.status == status
    assert found.last_fired == last_fired
    assert found.held == tuple(f"2026-{m:02d}" for m in range(6, int(at[-2:]) + 1))


@pytest.mark.parametrize(
    ("severity", "overall"),
    [
        ("", "warn"),  # warn by default
        (" severity info", "pass"),  # info counts as pass
        (" severity warn", "warn"),
        (" severity fail", "fail"),
    ],
)
def test_trigger_severity_in_the_overall_status(severity: str, overall: str) -> None:
    body = f'trigger "X" when orders < 10{severity} {{\n    recommend "low"\n}}\n'
    report, found = trigger(body, [5])
    assert found.status == "fired"
    assert found.severity == (severity.split()[-1] if severity else "warn")
    assert report.status == overall
    assert report.counts["fired"] == 1


@pytest.mark.parametrize("orders", [[20], [5, 5]])
def test_quiet_and_cooling_triggers_count_as_pass(orders: list[int]) -> None:
    body = 'trigger "X" when orders < 10 cooldown 1 period severity fail {\n    recommend "x"\n}\n'
    report, found = trigger(body, orders)
    assert found.status in ("quiet", "cooling")
    assert report.status == "pass"


def test_trigger_unknown_at_the_current_period() -> None:
    report, found = trigger(FOR_2, [5, None])
    assert found.status == "unknown"
    assert "orders" in (found.reason or "")
    assert report.status == "warn"
    assert report.counts["unknown"] == 1


PER_REP_TRIGGER = """\
trigger "R" per rep when sold < 5 {
    recommend "{key} sold {sold}"
}
"""


def test_per_key_trigger_with_key_in_texts() -> None:
    snapshots = months({"sold": {"Lan": 2, "Minh": 9}}, {"sold": {"Lan": 3, "Minh": 4, "Hoa": 7}})
    report = evaluate(PER_REP_TRIGGER, snapshots)
    assert [(r.key, r.status) for r in report.results] == [
        ("Hoa", "quiet"),
        ("Lan", "fired"),
        ("Minh", "fired"),
    ]
    assert result(report, "R", "Lan").held == ("2026-07", "2026-08")
    assert result(report, "R", "Minh").held == ("2026-08",)
    assert [(r.key, r.text) for r in report.recommendations] == [
        ("Lan", "Lan sold 3"),
        ("Minh", "Minh sold 4"),
    ]


def test_per_key_trigger_key_absent_from_a_count_flow_is_zero() -> None:
    # Lan sold in July but not August: 0 < 5 in August
    snapshots = months({"sold": {"Lan": 9}}, {"sold": {"Minh": 9}})
    report = evaluate(PER_REP_TRIGGER, snapshots)
    assert result(report, "R", "Lan").status == "fired"
    assert [r.text for r in report.recommendations] == ["Lan sold 0"]


PER_CHANNEL_SHIFT = """\
budget "Mix" total 1000 {
    fb 400
    tiktok 300
    website 200
}
trigger "Spend" per channel when spend > 100 {
    shift 10% from key to website
}
"""


def test_per_key_shift_in_key_order_and_skip_for_a_key_that_is_no_line() -> None:
    report = evaluate(PER_CHANNEL_SHIFT, months({"spend": {"zalo": 200, "tiktok": 120, "fb": 150}}))
    adjustments = [(a.key, a.source, a.destination, a.applied) for a in report.adjustments]
    assert adjustments == [
        ("fb", "fb", "website", 40),  # 10% of 400
        ("tiktok", "tiktok", "website", 30),  # 10% of 300
        ("zalo", "zalo", "website", 0),  # zalo is no line: skipped
    ]
    zalo = report.adjustments[2]
    assert zalo.clipped is not None
    assert "zalo" in zalo.clipped
    allocation = report.allocation("Mix")
    assert allocation is not None
    assert {line.line: line.proposed for line in allocation.lines} == {
        "fb": 360,  # 400 - 40
        "tiktok": 270,  # 300 - 30
        "website": 270,  # 200 + 40 + 30
    }


# ==== 7. Adjustments ==========================================================================

PROMOTION = """\
budget "Promotion mix" total 1549 million {
    advertising       340 million  share 20% .. 25%
    direct_marketing  100 million
    personal_selling  435 million
    sales_promotion   324 million
    public_relations  350 million
}
trigger "Slump" when orders < 20 {
    shift 10% from advertising to sales_promotion
}
"""


def test_shift_clipped_by_the_source_min_share() -> None:
    report = evaluate(PROMOTION, months({"orders": 16}))
    (adjustment,) = report.adjustments
    assert adjustment.trigger == "Slump"
    assert adjustment.key is None
    assert adjustment.action == "shift"
    assert adjustment.budget == "Promotion mix"
    assert adjustment.source == "advertising"
    assert adjustment.destination == "sales_promotion"
    assert exact(adjustment.requested, 34_000_000)  # 10% of 340 million
    # 340M - max(0, 20% x 1549M = 309.8M) = 30.2M; 1549M - 324M = 1225M (no MAX)
    assert exact(adjustment.applied, 30_200_000)
    assert adjustment.clipped == "advertising would fall below its 20% share"
    allocation = report.allocation("Promotion mix")
    assert allocation is not None
    assert [(x.line, x.planned, x.proposed) for x in allocation.lines] == [
        ("advertising", 340_000_000, 309_800_000),
        ("direct_marketing", 100_000_000, 100_000_000),
        ("personal_selling", 435_000_000, 435_000_000),
        ("sales_promotion", 324_000_000, 354_200_000),
        ("public_relations", 350_000_000, 350_000_000),
    ]
    assert adjustment.to_dict() == {
        "trigger": "Slump",
        "key": None,
        "action": "shift",
        "budget": "Promotion mix",
        "from": "advertising",
        "to": "sales_promotion",
        "requested": 34000000,
        "applied": 30200000,
        "clipped": "advertising would fall below its 20% share",
    }


def shift_body(lines: str, action: str) -> str:
    return (
        f'budget "M" total 1000 {{\n{lines}}}\ntrigger "X" when orders > 0 {{\n    {action}\n}}\n'
    )


@pytest.mark.parametrize(
    ("lines", "action", "requested", "applied", "clipped", "proposed"),
    [
        # b's room: 25% x 1000 - 200 = 50; a's room: 500 (no MIN)
        (
            "    a 500\n    b 200 share <= 25%\n",
            "shift 100 from a to b",
            100,
            50,
            "b would rise above its 25% share",
            {"a": 450, "b": 250},
        ),
        # a's room: 500 - 0 = 500; b's room: 1000 - 200 = 800
        (
            "    a 500\n    b 200\n",
            "shift 600 from a to b",
            600,
            500,
            "a would fall below zero",
            {"a": 0, "b": 700},
        ),
        # nothing binds
        (
            "    a 500\n    b 200\n",
            "shift 50% from a to b",
            250,
            250,
            None,
            {"a": 250, "b": 450},
        ),
        # tie: a's room 300 (no MIN) and b's room 50% x 1000 - 200 = 300: zero comes first
        (
            "    a 300\n    b 200 share <= 50%\n",
            "shift 400 from a to b",
            400,
            300,
            "a would fall below zero",
            {"a": 0, "b": 500},
        ),
        # tie: a's room 400 - 10% x 1000 = 300, b's room 300: MIN comes before MAX
        (
            "    a 400 share >= 10%\n    b 200 share <= 50%\n",
            "shift 350 from a to b",
            350,
            300,
            "a would fall below its 10% share",
            {"a": 100, "b": 500},
        ),
        # requested exactly the room: applied in full, nothing clipped
        (
            "    a 500\n    b 200 share <= 25%\n",
            "shift 50 from a to b",
            50,
            50,
            None,
            {"a": 450, "b": 250},
        ),
        # b already at its MAX: nothing moves
        (
            "    a 500\n    b 250 share <= 25%\n",
            "shift 10% from a to b",
            50,
            0,
            "b would rise above its 25% share",
            {"a": 500, "b": 250},
        ),
    ],
)
def test_shift_limits(
    lines: str,
    action: str,
    requested: int,
    applied: int,
    clipped: str | None,
    proposed: dict[str, int],
) -> None:
    report = evaluate(shift_body(lines, action), months({"orders": 1}))
    (adjustment,) = report.adjustments
    assert exact(adjustment.requested, requested)
    assert exact(adjustment.applied, applied)
    assert adjustment.clipped == clipped
    allocation = report.allocation("M")
    assert allocation is not None
    assert {x.line: x.proposed for x in allocation.lines} == proposed


@pytest.mark.parametrize(
    ("lines", "action", "requested", "applied", "clipped", "proposed"),
    [
        # 50% of 500 = 250; room under the total 1000 - 900 = 100; a's MAX room 1000 - 500
        (
            "    a 500\n    b 400\n",
            "scale a by +50%",
            250,
            100,
            "lines would exceed the total",
            {"a": 600, "b": 400},
        ),
        # fully allocated: clipped to nothing
        (
            "    a 500\n    b 500\n",
            "scale a by +10%",
            50,
            0,
            "lines would exceed the total",
            {"a": 500, "b": 500},
        ),
        # 20% of 500 = 100; a's MAX room 55% x 1000 - 500 = 50; total room 200
        (
            "    a 500 share <= 55%\n    b 300\n",
            "scale a by +20%",
            100,
            50,
            "a would rise above its 55% share",
            {"a": 550, "b": 300},
        ),
        # tie: MAX room 600 - 500 = 100, total room 1000 - 900 = 100: MAX comes first
        (
            "    a 500 share <= 60%\n    b 400\n",
            "scale a by +30%",
            150,
            100,
            "a would rise above its 60% share",
            {"a": 600, "b": 400},
        ),
        # room for all of it: 10% of 500 = 50 <= 100
        (
            "    a 500\n    b 400\n",
            "scale a by 10%",
            50,
            50,
            None,
            {"a": 550, "b": 400},
        ),
    ],
)
def test_scale_up_limits(
    lines: str,
    action: str,
    requested: int,
    applied: int,
    clipped: str | None,
    proposed: dict[str, int],
) -> None:
    report = evaluate(shift_body(lines, action), months({"orders": 1}))
    (adjustment,) = report.adjustments
    assert adjustment.action == "scale"
    assert adjustment.line == "a"
    assert exact(adjustment.requested, requested)
    assert exact(adjustment.applied, applied)
    assert adjustment.clipped == clipped
    allocation = report.allocation("M")
    assert allocation is not None
    assert {x.line: x.proposed for x in allocation.lines} == proposed


@pytest.mark.parametrize(
    ("lines", "action", "requested", "applied", "clipped", "proposed"),
    [
        # 20% of 500 = 100; room 500 - 45% x 1000 = 50
        (
            "    a 500 share >= 45%\n    b 300\n",
            "scale a by -20%",
            100,
            50,
            "a would fall below its 45% share",
            {"a": 450, "b": 300},
        ),
        # no MIN: 20% of 500 = 100 applied in full
        (
            "    a 500\n    b 300\n",
            "scale a by -20%",
            100,
            100,
            None,
            {"a": 400, "b": 300},
        ),
        # 150% of 500 = 750; never below zero: 500
        (
            "    a 500\n    b 300\n",
            "scale a by -150%",
            750,
            500,
            "a would fall below zero",
            {"a": 0, "b": 300},
        ),
    ],
)
def test_scale_down_limits(
    lines: str,
    action: str,
    requested: int,
    applied: int,
    clipped: str | None,
    proposed: dict[str, int],
) -> None:
    report = evaluate(shift_body(lines, action), months({"orders": 1}))
    (adjustment,) = report.adjustments
    # The contract does not say whether a cut is reported as a negative amount: compare sizes
    assert exact(abs(adjustment.requested), requested)
    assert exact(abs(adjustment.applied), applied)
    assert adjustment.clipped == clipped
    allocation = report.allocation("M")
    assert allocation is not None
    assert {x.line: x.proposed for x in allocation.lines} == proposed


TWO_TRIGGERS = """\
budget "M" total 1000 {
    a 500
    b 200
    c 100
}
budget "Untouched" total 50 {
    x 30
    y 20
}
trigger "First" when orders > 0 {
    shift 10% from a to b
}
trigger "Quiet" when orders > 100 {
    shift 100% from a to c
}
trigger "Second" when orders > 0 {
    shift 10% from a to c
    scale b by -50%
}
"""


def test_triggers_act_in_ruleset_order_on_one_working_copy() -> None:
    report = evaluate(TWO_TRIGGERS, months({"orders": 1}))
    steps = [(a.trigger, a.action, a.requested, a.applied) for a in report.adjustments]
    assert [s[:2] for s in steps] == [("First", "shift"), ("Second", "shift"), ("Second", "scale")]
    assert exact(steps[0][2], 50)  # 10% of a's 500
    assert exact(steps[1][2], 45)  # 10% of a's 450 in the working copy
    assert exact(abs(steps[2][2]), 125)  # 50% of b's 250 in the working copy
    allocation = report.allocation("M")
    assert allocation is not None
    assert {x.line: x.proposed for x in allocation.lines} == {
        "a": 405,  # 500 - 50 - 45
        "b": 125,  # 200 + 50 - 125
        "c": 145,  # 100 + 45
    }


def test_allocations_cover_every_budget_even_untouched_ones() -> None:
    report = evaluate(TWO_TRIGGERS, months({"orders": 1}))
    assert [a.budget for a in report.allocations] == ["M", "Untouched"]
    untouched = report.allocation("Untouched")
    assert untouched is not None
    assert exact(untouched.total, 50)
    assert [(x.line, x.planned, x.proposed) for x in untouched.lines] == [
        ("x", 30, 30),
        ("y", 20, 20),
    ]
    assert report.to_dict()["allocations"]["Untouched"] == {
        "x": {"planned": 30, "proposed": 30},
        "y": {"planned": 20, "proposed": 20},
    }


def test_no_adjustment_where_no_trigger_fired() -> None:
    report = evaluate(TWO_TRIGGERS, months({"orders": 0}))
    assert report.adjustments == ()
    allocation = report.allocation("M")
    assert allocation is not None
    assert all(x.planned == x.proposed for x in allocation.lines)


def test_cooling_trigger_does_not_act() -> None:
    body = shift_body("    a 500\n    b 200\n", "shift 100 from a to b").replace(
        "orders > 0", "orders > 0 cooldown 1 period"
    )
    report = evaluate(body, months({"orders": 1}, {"orders": 1}))
    assert result(report, "X").status == "cooling"
    assert report.adjustments == ()


# ==== 8. Recommendation texts =================================================================


@pytest.mark.parametrize(
    ("text", "metrics", "expected"),
    [
        ("{orders / leads}", {"orders": 16, "leads": 900}, "1.8%"),  # 1.777...%
        ("{share}", {"share": Decimal("0.0025")}, "0.3%"),  # 0.25% half away from zero
        ("{share}", {"share": Decimal("-0.0025")}, "-0.3%"),
        ("{share}", {"share": Decimal("0.00125")}, "0.1%"),  # 0.125%: 0.1 (not a half)
        ("{share}", {"share": Decimal("0.0005")}, "0.1%"),  # 0.05%: half -> 0.1
        ("{share}", {"share": Decimal("0.0175")}, "1.8%"),  # 1.75%
        ("{share}", {"share": 1}, "100.0%"),
        ("{revenue}", {"revenue": 150000}, "150,000 VND"),
        ("{revenue}", {"revenue": Decimal("2.5")}, "3 VND"),  # half away from zero
        ("{revenue}", {"revenue": Decimal("-2.5")}, "-3 VND"),
        ("{revenue}", {"revenue": Decimal("1234567.49")}, "1,234,567 VND"),
        ("{leads}", {"leads": 2000}, "2,000"),
        ("{leads}", {"leads": 999}, "999"),
        ("{score}", {"score": Decimal("2.345")}, "2.35"),  # half away (banker's: 2.34)
        ("{score}", {"score": Decimal("-2.345")}, "-2.35"),
        ("{score}", {"score": Decimal("0.125")}, "0.13"),
        ("{score}", {"score": Decimal("2.5")}, "2.5"),  # up to two decimals
        ("{score}", {"score": 3}, "3"),
        ("{score}", {"score": Decimal("2.999")}, "3"),
        ("{orders / leads}", {"orders": 1, "leads": 0}, "unknown"),
        ("{revenue}", {}, "unknown"),
        ("{{literal}} {leads}", {"leads": 2000}, "{literal} 2,000"),
        ("{{}}", {}, "{}"),
        ("no braces", {}, "no braces"),
    ],
)
def test_recommendation_formatting(text: str, metrics: dict[str, Any], expected: str) -> None:
    body = f'trigger "X" when orders >= 0 {{\n    recommend "{text}"\n}}\n'
    report = evaluate(body, months({"orders": 1, **metrics}))
    assert [r.text for r in report.recommendations] == [expected]


def test_recommendation_count_rounds_half_away_from_zero() -> None:
    # rolling_avg keeps the unit count: (1000 + 1001) / 2 = 1000.5 -> 1,001 (banker's 1,000)
    body = 'trigger "X" when leads >= 0 {\n    recommend "{rolling_avg(leads, 2)}"\n}\n'
    report = evaluate(body, months({"leads": 1000}, {"leads": 1001}))
    assert [r.text for r in report.recommendations] == ["1,001"]


def test_recommendation_money_rounds_half_away_from_zero_in_a_derived_value() -> None:
    # (149999 + 150000) / 2 = 149999.5 -> 150,000 VND
    body = 'trigger "X" when leads >= 0 {\n    recommend "{rolling_avg(revenue, 2)}"\n}\n'
    snapshots = months({"leads": 1, "revenue": 149999}, {"leads": 1, "revenue": 150000})
    assert [r.text for r in evaluate(body, snapshots).recommendations] == ["150,000 VND"]


def test_recommendation_of_the_saado_example() -> None:
    body = (
        "let conversion = orders / leads\n"
        'trigger "Conversion slump" when conversion < 2% for 2 periods cooldown 1 period {\n'
        '    recommend "Conversion is {conversion}: review the inbox scripts"\n'
        "}\n"
    )
    snapshots = months({"orders": 15, "leads": 1000}, {"orders": 16, "leads": 900})
    report = evaluate(body, snapshots)
    (recommendation,) = report.recommendations
    assert recommendation.trigger == "Conversion slump"
    assert recommendation.key is None
    assert recommendation.text == "Conversion is 1.8%: review the inbox scripts"  # 16/900


# ==== 9. Exactness (properties) ===============================================================

YEAR = """\
ruleset "Y"
currency VND
period 2026-01-01 to 2026-12-31 monthly
metric revenue: money
goal "G": total(revenue) >= 1 by 2026-12-31
"""
YEAR_RULESET = loads(YEAR, filename="y.plan")

MONEY = st.one_of(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.decimals(
        min_value=-(10**12), max_value=10**12, places=6, allow_nan=False, allow_infinity=False
    ),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(MONEY, min_size=1, max_size=12))
def test_total_is_the_exact_sum(values: list[Any]) -> None:
    snapshots = [snap(f"2026-{i + 1:02d}", revenue=v) for i, v in enumerate(values)]
    found = result(YEAR_RULESET.evaluate(snapshots), "G")
    with decimal.localcontext(decimal.Context(prec=200)):
        expected = sum((Decimal(v) for v in values), Decimal(0))
    assert exact(found.value, expected)
    n = len(values)
    if n < 12:  # paced: elapsed n/12 exactly, progress the exact sum
        assert exact(found.elapsed, Fraction(n, 12))
        assert exact(found.progress, expected)


def last_day(month: int) -> str:
    return f"2026-{month:02d}-{calendar.monthrange(2026, month)[1]:02d}"


@settings(max_examples=150, deadline=None)
@given(
    span=st.integers(min_value=2, max_value=12),
    data=st.data(),
    step=st.decimals(
        min_value=Decimal("0.000001"),
        max_value=Decimal(10**9),
        places=6,
        allow_nan=False,
        allow_infinity=False,
    ),
    tolerance=st.integers(min_value=0, max_value=60),
)
def test_pacing_boundaries_are_never_off_by_rounding(
    span: int, data: st.DataObject, step: Decimal, tolerance: int
) -> None:
    done = data.draw(st.integers(min_value=1, max_value=span - 1), label="done")
    target = step * span  # exact: value = target x done / span = step x done
    text = (
        'ruleset "P"\ncurrency VND\n'
        f"period 2026-01-01 to {last_day(span)} monthly\n"
        "metric revenue: money\n"
        # `from 0` makes it paced (version 2): the pace line runs from 0 to the target.
        f'goal "G": revenue >= {target} by {last_day(span)} from 0 tolerance {tolerance}%\n'
    )
    plan = loads(text, filename="p.plan")
    elapsed = Fraction(done, span)
    slack = 1 - Fraction(tolerance, 100)
    at_pace = step * done  # progress = done/span = elapsed exactly
    at_warn = at_pace * (1 - Decimal(tolerance) / 100)  # progress = elapsed x (1 - tol)
    tiny = Decimal("1e-9")
    for value in (at_pace, at_pace - tiny, at_pace + tiny, at_warn, at_warn - tiny):
        found = result(plan.evaluate(snap(f"2026-{done:02d}", revenue=value)), "G")
        progress = Fraction(value) / Fraction(target)
        if value >= target or progress >= elapsed:
            expected = "pass"
        elif progress >= elapsed * slack:
            expected = "warn"
        else:
            expected = "fail"
        assert found.status == expected, (value, target, elapsed, tolerance)
        assert exact(found.elapsed, elapsed)
        assert exact(found.progress, progress)
    assert result(plan.evaluate(snap(f"2026-{done:02d}", revenue=at_pace)), "G").status == "pass"
    warned = result(plan.evaluate(snap(f"2026-{done:02d}", revenue=at_warn)), "G").status
    assert warned == ("pass" if tolerance == 0 else "warn")


EVERYTHING = """\
ruleset "All"
currency VND
period 2026-07-01 to 2026-09-30 monthly
metric revenue: money
metric leads: count
metric orders: count
metric spend: money by channel
metric sold: count by rep
metric rate: ratio by rep
metric customers: count stock
metric score: number
table quota: count by rep { Lan 5 else 3 }
table cap: count by rep { Lan 9 }
let conv = orders / leads
let cpa = sum(spend) / orders
let mix = spend / sum(spend)
goal "Rev": total(revenue) >= 900 by 2026-09-30
goal "Phased": total(leads) >= 100 by 2026-09-30 tolerance 20% phased 20% 30% 50%
goal "Cust": customers >= 500 by 2026-09-30 from 200
goal "Low": customers <= 50 by 2026-08-31
goal "Less": customers < 50 by 2026-09-30
goal "Quota" per rep: total(sold) >= quota by 2026-09-30
goal "Now": orders >= 10
threshold "Conv": conv
    warn below 2%
    fail below 1%
threshold "CPA": cpa
    warn above 150 thousand
    fail above 200 thousand
threshold "Rate" per rep: rate
    warn below 10%
threshold "Cap" per rep: sold
    warn above cap
    fail above quota * 3
threshold "Hist": previous(orders) + previous(orders, 2) + change(orders) + rolling_sum(orders, 2)
    warn above 100
threshold "Avg": rolling_avg(revenue, 3)
    warn below 10
threshold "Growth": growth(revenue)
    warn below -10%
threshold "Mix" per channel: mix
    warn above 50%
threshold "Agg": avg(sold) + min(sold) + max(sold) + count(sold)
    warn above 100
threshold "Misc": abs(score) + round(score, 1) + min(score, 1) + max(score, 2)
    warn above 5
budget "B" total 1000 tolerance 20% for spend {
    ads 400 share 20% .. 50%
    events 300 share >= 10%
    web 200 share <= 40%
}
budget "P" total 500 per period for spend {
    ads 300
    events 100
}
budget "Plain" total 100 {
    x 50
    y 50
}
trigger "Slump" when conv < 2% for 2 periods cooldown 1 period {
    shift 10% from ads to events in "B"
    recommend "conv {conv}, cpa {cpa}, rev {revenue}, score {score}, {{x}}"
}
trigger "Two" when not (orders >= 10) or leads == 0 for 2 of 3 periods severity fail {
    scale web by +20%
    scale ads by -30% in "B"
    shift 50 from events to web in "B"
    scale x by +10%
}
trigger "Per" per channel when spend > 100 and growth(spend) > 0 cooldown 2 periods severity info {
    shift 10% from key to web in "B"
    recommend "{key}: {spend}"
}
trigger "RepLow" per rep when sold < quota {
    recommend "{key} sold {sold} of {quota}"
}
"""
EVERYTHING_RULESET = loads(EVERYTHING, filename="all.plan")

NUMBER = st.one_of(
    st.sampled_from([0, 0, 1, -1, 10**6]),
    st.integers(min_value=-(10**9), max_value=10**9),
    st.decimals(
        min_value=-(10**9), max_value=10**9, places=4, allow_nan=False, allow_infinity=False
    ),
)
KEYED = {
    "spend": ["ads", "events", "web", "other", "x"],
    "sold": ["Lan", "Minh", "Hoa"],
    "rate": ["Lan", "Minh", "Hoa"],
}
SCALARS = ["revenue", "leads", "orders", "customers", "score"]


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[dict[str, Any]], str | None, bool]:
    periods = draw(
        st.lists(
            st.sampled_from(["2026-05", "2026-06", "2026-07", "2026-08", "2026-09"]),
            min_size=1,
            max_size=5,
            unique=True,
        )
    )
    snapshots = []
    for period in periods:
        metrics: dict[str, Any] = {}
        for name in SCALARS:
            if draw(st.integers(0, 4)):  # absent one time in five
                metrics[name] = draw(NUMBER)
        for name, keys in KEYED.items():
            if draw(st.integers(0, 4)):
                chosen = draw(st.lists(st.sampled_from(keys), unique=True))
                metrics[name] = {key: draw(NUMBER) for key in chosen}
        snapshots.append(snap(period, **metrics))
    at = draw(st.one_of(st.none(), st.sampled_from(periods)))
    strict = draw(st.booleans())
    return snapshots, at, strict


@settings(max_examples=300, deadline=None)
@given(histories())
def test_evaluation_never_raises(case: tuple[list[dict[str, Any]], str | None, bool]) -> None:
    snapshots, at, strict = case
    report = EVERYTHING_RULESET.evaluate(snapshots, at=at, strict=strict)
    data = report.to_dict()
    assert data["status"] in ("pass", "warn", "fail")
    assert sum(data["counts"].values()) == len(report.results)
    for item in report.results:
        assert item.status in ("pass", "warn", "fail", "unknown", "fired", "quiet", "cooling")
        assert isinstance(item.message, str)
        if item.status == "unknown":
            assert item.reason
    for allocation in report.allocations:
        for line in allocation.lines:
            assert line.proposed >= 0


# ==== 10. The JSON form =======================================================================

SAADO_GOAL = 'goal "Revenue 2 billion": total(revenue) >= 2 billion by 2026-09-30 owner "Sales"\n'


def test_json_goal_rounds_ratios_to_4_places_and_others_to_2() -> None:
    report = evaluate(SAADO_GOAL, months({"revenue": 600_000_000}, {"revenue": 610_000_000}))
    found = result(report, "Revenue 2 billion")
    assert found.status == "warn"  # 0.605 < 2/3, >= 2/3 x 9/10 = 0.6
    assert exact(found.elapsed, Fraction(2, 3))
    assert exact(found.progress, Fraction(121, 200))  # 1.21B / 2B
    assert exact(found.expected, Fraction(4_000_000_000, 3))  # 2B x 2/3
    assert exact(found.forecast, 1_815_000_000)  # 1.21B / (2/3)
    assert exact(found.required_per_period, 790_000_000)  # (2B - 1.21B) / 1
    assert found.owner == "Sales"
    data = report.to_dict()["results"][0]
    assert data["rule"] == "Revenue 2 billion"
    assert data["kind"] == "goal"
    assert data["key"] is None
    assert data["status"] == "warn"
    assert data["value"] == 1210000000
    assert data["target"] == 2000000000
    assert data["elapsed"] == Decimal("0.6667")  # 0.66666... half away: 0.6667
    assert data["progress"] == Decimal("0.605")
    assert data["expected"] == Decimal("1333333333.33")  # 1333333333.333...
    assert data["forecast"] == 1815000000
    assert data["required_per_period"] == 790000000
    assert data["owner"] == "Sales"
    assert set(data["location"]) == {"file", "line", "column"}
    assert data["location"]["file"] == "t.plan"


@pytest.mark.parametrize(
    ("body", "metrics", "value"),
    [
        ('threshold "T": share\n    warn above 1000%\n', {"share": Decimal("0.00005")}, "0.0001"),
        ('threshold "T": share\n    warn above 1000%\n', {"share": Decimal("-0.00005")}, "-0.0001"),
        ('threshold "T": share\n    warn above 1000%\n', {"share": Decimal("0.12345")}, "0.1235"),
        ('threshold "T": share\n    warn above 1000%\n', {"share": Decimal("0.10")}, "0.1"),
        ('threshold "T": revenue\n    warn above 1\n', {"revenue": Decimal("0.125")}, "0.13"),
        ('threshold "T": revenue\n    warn above 1\n', {"revenue": Decimal("-0.125")}, "-0.13"),
        ('threshold "T": revenue\n    warn above 1\n', {"revenue": Decimal("2.005")}, "2.01"),
        ('threshold "T": revenue\n    warn above 1\n', {"revenue": Decimal("2.00")}, "2"),
        ('threshold "T": score\n    warn above 1\n', {"score": Decimal("1.115")}, "1.12"),
        ('threshold "T": score\n    warn above 1\n', {"score": 10**20}, "100000000000000000000"),
    ],
)
def test_json_value_rounding_half_away_from_zero(
    body: str, metrics: dict[str, Any], value: str
) -> None:
    data = evaluate(body, months(metrics)).to_dict()["results"][0]
    assert data["value"] == Decimal(value)
    assert "E" not in str(data["value"]) and "e" not in str(data["value"])
    # trailing zeros dropped
    assert str(data["value"]) == value


def test_json_budget_and_trigger_fields() -> None:
    body = BUDGET + 'trigger "X" when orders < 10 {\n    recommend "low {orders}"\n}\n'
    report = evaluate(body, months({"orders": 5, "spend": {"ads": 220}}))
    data = report.to_dict()
    ads = data["results"][0]
    assert ads["key"] == "ads"
    assert ads["value"] == 220
    assert ads["planned"] == 600
    assert ads["used"] == Decimal("0.3667")  # 220/600 = 11/30 = 0.36666...
    whole = data["results"][2]
    assert whole["key"] is None
    assert whole["used"] == Decimal("0.22")  # 220 / 1000
    trig = data["results"][3]
    assert trig["kind"] == "trigger"
    assert trig["status"] == "fired"
    assert trig["value"] is None
    assert trig["severity"] == "warn"
    assert trig["held"] == ["2026-07"]
    assert trig["last_fired"] == "2026-07"
    assert data["recommendations"] == [{"trigger": "X", "key": None, "text": "low 5"}]


def test_json_counts_by_status() -> None:
    body = (
        'goal "P": orders >= 1\n'  # pass
        'goal "F": orders >= 100\n'  # fail
        'threshold "W": orders\n    warn above 1\n'  # warn (5 > 1)
        'threshold "U": orders / leads\n    warn above 1\n'  # unknown (leads 0)
        'trigger "Fi" when orders > 1 {\n    recommend "a"\n}\n'  # fired
        'trigger "Q" when orders > 100 {\n    recommend "b"\n}\n'  # quiet
        'trigger "C" when orders > 1 cooldown 1 period {\n    recommend "c"\n}\n'  # cooling
    )
    report = evaluate(body, months({"orders": 5, "leads": 1}, {"orders": 5, "leads": 0}))
    expected = {
        "pass": 1,
        "warn": 1,
        "fail": 1,
        "unknown": 1,
        "fired": 1,
        "quiet": 1,
        "cooling": 1,
    }
    assert report.counts == expected
    data = report.to_dict()
    assert data["counts"] == expected
    assert data["status"] == "fail"
    assert data["as_of"] == "2026-08"
    assert data["ruleset"] == "T"


def test_json_results_keep_ruleset_order() -> None:
    body = (
        'threshold "Z": orders\n    warn above 1\n'
        'goal "A": orders >= 1\n'
        'trigger "M" when orders > 1 {\n    recommend "m"\n}\n'
    )
    report = evaluate(body, months({"orders": 5}))
    assert [r["rule"] for r in report.to_dict()["results"]] == ["Z", "A", "M"]


def test_json_adjustment_of_a_scale_names_its_line() -> None:
    report = evaluate(shift_body("    a 500\n    b 400\n", "scale a by 10%"), months({"orders": 1}))
    data = report.to_dict()["adjustments"][0]
    assert data["action"] == "scale"
    assert data["line"] == "a"
    assert "from" not in data and "to" not in data
    assert data["requested"] == 50
    assert data["applied"] == 50
    assert data["clipped"] is None


def test_ruleset_with_errors_raises() -> None:
    with pytest.raises(RulesetError):
        ruleset('goal "G": nothing >= 1\n')


# ==== More cadences, windows and actions ======================================================

WEEKLY = """\
ruleset "W"
currency VND
period 2026-07-01 to 2026-07-31 weekly
metric revenue: money
goal "G": total(revenue) >= 500 by 2026-07-31
"""


def test_weekly_window_counts_a_week_that_overlaps_its_start() -> None:
    # W27 (29 June - 5 July) overlaps 1 July: the window is W27..W31 (27 July - 2 August),
    # 5 periods; W26 is before the window, read by no total
    snapshots = [snap("2026-W26", revenue=1000), snap("2026-W27", revenue=100)]
    found = result(loads(WEEKLY, filename="w.plan").evaluate(snapshots), "G")
    assert exact(found.elapsed, Fraction(1, 5))
    assert exact(found.value, 100)
    assert exact(found.expected, 100)  # 500 x 1/5
    assert exact(found.required_per_period, 100)  # (500 - 100) / 4 weeks (W28..W31)
    assert found.status == "pass"  # 100/500 = 1/5 = elapsed


def test_quarterly_window() -> None:
    text = (
        'ruleset "Q"\ncurrency VND\nperiod 2026-01-01 to 2026-12-31 quarterly\n'
        'metric revenue: money\ngoal "G": total(revenue) >= 1000 by 2026-12-31\n'
    )
    snapshots = [snap("2026-Q1", revenue=250), snap("2026-Q2", revenue=200)]
    found = result(loads(text, filename="q.plan").evaluate(snapshots), "G")
    assert exact(found.elapsed, Fraction(1, 2))  # Q1..Q2 of Q1..Q4
    assert exact(found.expected, 500)
    assert exact(found.forecast, 900)  # 450 / (1/2)
    assert exact(found.required_per_period, 275)  # (1000 - 450) / 2 quarters
    assert found.status == "warn"  # 450/1000 = 9/20 = 1/2 x 9/10


def test_budget_after_the_window_end_counts_the_window_only() -> None:
    snapshots = months(
        {"spend": {"ads": 100}},
        {"spend": {"ads": 0}},
        {"spend": {"ads": 0}},
        {"spend": {"ads": 1000}},  # October: after the window
    )
    ads = budget_results(evaluate(BUDGET, snapshots))[0]
    assert exact(ads.value, 100)  # spent over the window, July..September
    assert ads.status == "pass"


def test_goal_after_the_window_is_judged_at_its_deadline() -> None:
    snapshots = months({"revenue": 300}, {"revenue": 300}, {"revenue": 300}, {"revenue": 5})
    found = goal(GOAL_900, snapshots)
    assert found.status == "pass"
    assert exact(found.value, 900)  # through September


def test_shift_in_a_named_budget() -> None:
    body = (
        'budget "One" total 100 {\n    a 50\n    b 50\n}\n'
        'budget "Two" total 100 {\n    a 60\n    b 40\n}\n'
        'trigger "X" when orders > 0 {\n    shift 10 from a to b in "Two"\n}\n'
    )
    report = evaluate(body, months({"orders": 1}))
    (adjustment,) = report.adjustments
    assert adjustment.budget == "Two"
    one, two = report.allocation("One"), report.allocation("Two")
    assert one is not None and two is not None
    assert [x.proposed for x in one.lines] == [50, 50]
    assert [x.proposed for x in two.lines] == [50, 50]  # 60 - 10, 40 + 10


def test_per_key_scale_of_a_key_that_is_no_line_is_skipped() -> None:
    body = (
        'budget "Mix" total 1000 {\n    fb 400\n    web 200\n}\n'
        'trigger "S" per channel when spend > 100 {\n    scale key by +10%\n}\n'
    )
    report = evaluate(body, months({"spend": {"fb": 150, "zalo": 150}}))
    fb, zalo = report.adjustments
    assert (fb.key, fb.line, fb.applied, fb.clipped) == ("fb", "fb", 40, None)  # 10% of 400
    assert (zalo.key, zalo.applied) == ("zalo", 0)
    assert zalo.clipped is not None and "zalo" in zalo.clipped
    allocation = report.allocation("Mix")
    assert allocation is not None
    assert [x.proposed for x in allocation.lines] == [440, 200]


def test_trigger_n_of_m_counts_a_gap_as_not_held() -> None:
    # Jul held, Aug a gap, Sep held: 2 of the last 3
    snapshots = [snap("2026-07", orders=5), snap("2026-09", orders=5)]
    assert result(evaluate(FOR_2_OF_3, snapshots), "X").status == "fired"
    snapshots = [snap("2026-07", orders=5), snap("2026-09", orders=50)]
    assert result(evaluate(FOR_2_OF_3, snapshots), "X").status == "quiet"


def half_away(value: Fraction, places: int) -> Decimal:
    scaled = abs(value) * 10**places
    whole = scaled.numerator // scaled.denominator
    if 2 * (scaled - whole) >= 1:
        whole += 1
    signed = -whole if value < 0 else whole
    return Decimal(signed).scaleb(-places)


RATIO_AND_MONEY = """\
threshold "R": orders / leads
    warn above 1000
threshold "M": rolling_avg(revenue, 3)
    warn above 1000000000000
"""
RATIO_AND_MONEY_RULESET = ruleset(RATIO_AND_MONEY)


@settings(max_examples=200, deadline=None)
@given(
    orders=st.integers(min_value=-(10**6), max_value=10**6),
    leads=st.integers(min_value=1, max_value=10**6),
    revenues=st.lists(st.integers(min_value=-(10**9), max_value=10**9), min_size=3, max_size=3),
)
def test_json_rounding_property(orders: int, leads: int, revenues: list[int]) -> None:
    snapshots = months(*({"orders": orders, "leads": leads, "revenue": r} for r in revenues))
    data = RATIO_AND_MONEY_RULESET.evaluate(snapshots).to_dict()["results"]
    ratio = Fraction(orders, leads)
    average = Fraction(sum(revenues), 3)
    assert data[0]["value"] == half_away(ratio, 4)
    assert data[1]["value"] == half_away(average, 2)
    for item in data:
        assert "E" not in str(item["value"])
