"""The checker beyond the golden files: what it accepts, use resolution, and robustness."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planrules.lang.check import Checked, check_file, check_source
from planrules.lang.source import Source
from tests.conftest import RULESETS, codes

Check = Callable[..., Checked]

HEADER = 'ruleset "r"\ncurrency VND\nperiod 2026-07-01 to 2026-09-30 monthly\n'


@pytest.mark.parametrize("path", sorted(RULESETS.glob("*.plan")), ids=lambda p: p.name)
def test_examples_check_clean(path: object) -> None:
    checked = check_file(str(path))
    assert checked.ok, checked.diagnostics
    assert checked.rules


def test_the_contract_example_checks_clean(check: Check) -> None:
    checked = check(
        HEADER
        + """
metric leads: count
metric orders: count
metric revenue: money
metric spend: money by channel
metric orders_by_rep: count by rep
table quota: count by rep { Lan 120  Minh 90  else 60 }
let conversion = orders / leads
let cpa = sum(spend) / orders
goal "Revenue 2 billion": total(revenue) >= 2 billion by 2026-09-30 owner "Sales lead"
goal "Rep quota" per rep: total(orders_by_rep) >= quota by 2026-09-30
threshold "Cost per order": cpa
    warn above 150 thousand
    fail above 200 thousand
threshold "Channel share" per channel: spend / sum(spend) warn above 40%
budget "Promotion mix" total 1549 million for spend {
    advertising       340 million  share 20% .. 25%
    sales_promotion   324 million
}
trigger "Conversion slump" when conversion < 2% for 2 periods cooldown 1 period {
    shift 10% from advertising to sales_promotion
    recommend "Conversion is {conversion}: review the inbox scripts"
}
"""
    )
    assert checked.diagnostics == ()


@pytest.mark.parametrize(
    ("expression", "code"),
    [
        ("revenue + orders", "unit-mismatch"),
        ("revenue > orders", "unit-mismatch"),
        ("revenue * revenue", "money-product"),
        ("orders > 5 VND", "unit-mismatch"),
        ("sum(orders)", "bad-arguments"),
        ("totl(orders)", "unknown-function"),
        ("previous(orders, 0)", "bad-count"),
        ("total(customers)", "stock-total"),
        ("rolling_sum(customers, 3)", "stock-total"),
        ("orders.Lan", "not-keyed"),
        ("spend + orders_by_rep", "mixed-dimensions"),
        ("not orders", "type-mismatch"),
        ("orders and leads", "type-mismatch"),
    ],
)
def test_expression_problems(check: Check, expression: str, code: str) -> None:
    checked = check(
        HEADER
        + "metric orders: count\nmetric leads: count\nmetric revenue: money\n"
        + "metric customers: count stock\nmetric spend: money by channel\n"
        + "metric orders_by_rep: count by rep\n"
        + f"let x = {expression}\n"
        + 'threshold "t": orders warn below 1\n'
    )
    assert codes(checked) == [code]


@pytest.mark.parametrize(
    "expression",
    [
        "revenue / orders",  # money / count is money
        "revenue / revenue",  # a ratio
        "orders / leads > 2%",  # a literal takes the other side's unit
        "revenue > 150k",
        "rolling_avg(customers, 3)",
        "growth(revenue) > 10%",
        "spend / sum(spend)",
        "max(orders, leads, 3)",
        "round(orders / leads, 2)",
        "-orders + abs(change(orders))",
    ],
)
def test_expressions_the_checker_accepts(check: Check, expression: str) -> None:
    checked = check(
        HEADER
        + "metric orders: count\nmetric leads: count\nmetric revenue: money\n"
        + "metric customers: count stock\nmetric spend: money by channel\n"
        + f"let x = {expression}\n"
        + 'threshold "t": orders warn below 1\n'
    )
    assert checked.diagnostics == ()


def test_every_problem_is_reported_not_just_the_first(check: Check) -> None:
    checked = check(HEADER + "metric a: count\nlet x = b\nlet y = c\nlet z = a + 1 VND\n")
    assert codes(checked) == ["no-rules", "unknown-name", "unknown-name", "unit-mismatch"]


def test_did_you_mean(check: Check) -> None:
    checked = check(HEADER + 'metric revenue: money\ngoal "g": revenu >= 5\n')
    assert checked.diagnostics[0].hint == "did you mean `revenue`?"


def test_use_brings_names_and_detects_cycles(check: Check) -> None:
    checked = check(
        'ruleset "main"\nuse "lib.plan"\ngoal "g": orders >= 5\n',
        **{"lib.plan": 'ruleset "lib"\nuse "test.plan"\nmetric orders: count\n'},
    )
    assert codes(checked) == ["use-cycle"]


def test_a_test_file_sees_the_ruleset_under_test_whole(check: Check) -> None:
    checked = check(
        'use "plan.plan"\ntest "t" {\n    snapshot 2026-07 { orders 5 }\n'
        '    expect "g" pass\n    expect "nope" fail\n}\n',
        name="plan_test.plan",
        **{"plan.plan": HEADER + 'metric orders: count\ngoal "g": orders >= 5\n'},
    )
    assert codes(checked) == ["unknown-rule"]
    assert checked.ruleset == "r"


def test_a_per_trigger_may_act_on_key(check: Check) -> None:
    checked = check(
        HEADER
        + "metric spend: money by channel\n"
        + 'budget "b" total 100 million for spend { ads 50 million  web 50 million }\n'
        + 'trigger "t" per channel when spend > 60 million {\n'
        + '    shift 10% from key to web\n    recommend "{key} spends {spend}"\n}\n'
    )
    assert checked.diagnostics == ()


def _examples() -> list[str]:
    return [p.read_text("utf-8") for p in sorted(RULESETS.glob("*.plan"))]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_the_checker_never_raises_on_mangled_rulesets(data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(_examples()))
    lines = text.splitlines()
    start = data.draw(st.integers(0, len(lines)))
    end = data.draw(st.integers(start, len(lines)))
    mangled = "\n".join(lines[:start] + lines[end:])
    checked = check_source(Source.from_text(str(RULESETS / "mangled.plan"), mangled))
    assert all(d.span.line >= 1 and d.span.column >= 1 for d in checked.diagnostics)
