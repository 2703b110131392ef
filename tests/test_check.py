"""The checker beyond the golden files: what it accepts, use resolution, and robustness."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planrules.lang.check import Checked, check_file, check_source
from planrules.lang.diagnostics import Diagnostic
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


def codes_besides_unused(checked: Checked) -> list[str]:
    """The codes of a check of a let nothing reads, on metrics declared for other cases."""
    return [code for code in codes(checked) if code != "unused"]


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
    assert codes_besides_unused(checked) == [code]


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
    assert codes_besides_unused(checked) == []


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


# ---- unknown functions ---------------------------------------------------------------------


def test_an_unknown_function_lists_the_functions(check: Check) -> None:
    checked = check(HEADER + 'metric orders: count\ngoal "g": mean(orders) >= 5\n')
    (problem,) = checked.diagnostics
    assert problem.code == "unknown-function"
    assert problem.hint == (
        "did you mean `median`? (the functions are abs, avg, change, count, growth, max, median, "
        "min, percentile, previous, rank, rolling_avg, rolling_sum, round, share, since, status, "
        "sum, total)"
    )


# ---- names nothing reads -------------------------------------------------------------------

READ_EVERYWHERE = (
    HEADER
    + """
metric orders: count
metric leads: count
metric revenue: money
metric spend: money by channel
metric visits: count by rep
metric base: count
table quota: count by rep { Lan 120  else 60 }
table floor: money by channel { ads 5 million }
let conversion = orders / leads
let start = 1 billion VND
goal "Revenue": total(revenue) >= 2 billion by 2026-09-30 from start
threshold "Visits" per rep: visits warn below quota
threshold "Ads floor": spend.ads warn below floor.ads
budget "Mix" total 500 million for spend { ads 50%  web 250 million }
trigger "Slump" when revenue < 1 million { recommend "Conversion is {conversion} of {base}" }
"""
)


def test_names_read_by_rules_lets_levels_baselines_texts_and_budgets_are_used(
    check: Check,
) -> None:
    assert check(READ_EVERYWHERE).diagnostics == ()


def test_a_metric_let_or_table_nothing_reads_is_unused(check: Check) -> None:
    checked = check(
        HEADER
        + "metric orders: count\nmetric reach: count\n"
        + "table quota: count by rep { Lan 120 }\n"
        + "let double = orders * 2\n"
        + 'goal "g": total(orders) >= 5 by 2026-09-30\n'
    )
    assert [(d.code, d.severity, d.span.line) for d in checked.diagnostics] == [
        ("unused", "warning", 5),
        ("unused", "warning", 6),
        ("unused", "warning", 7),
    ]
    messages = [d.message for d in checked.diagnostics]
    assert messages == [
        "metric `reach` is declared but nothing reads it",
        "table `quota` is declared but nothing reads it",
        "let `double` is declared but nothing reads it",
    ]
    assert checked.ok  # warnings only


def test_a_name_read_only_by_an_unused_let_is_not_called_unused(check: Check) -> None:
    checked = check(
        HEADER + "metric orders: count\nmetric leads: count\nlet conversion = orders / leads\n"
        'goal "g": total(orders) >= 5 by 2026-09-30\n'
    )
    assert [d.message for d in checked.diagnostics] == [
        "let `conversion` is declared but nothing reads it"
    ]


def test_a_file_without_rules_is_a_library_and_has_no_unused_names(check: Check) -> None:
    lib = 'ruleset "lib"\nmetric orders: count\nmetric reach: count\n'
    checked = check(
        HEADER + 'use "lib.plan"\ngoal "g": total(orders) >= 5 by 2026-09-30\n',
        **{"lib.plan": lib},
    )
    assert checked.diagnostics == ()
    assert codes(check(lib, name="alone.plan")) == ["no-rules"]


def test_a_test_file_is_not_told_of_unused_names_of_the_ruleset(check: Check) -> None:
    checked = check(
        'use "plan.plan"\ntest "t" { snapshot 2026-07 { orders 5 }  expect "g" pass }\n',
        name="plan_test.plan",
        **{
            "plan.plan": HEADER
            + 'metric orders: count\nmetric reach: count\ngoal "g": orders >= 5\n'
        },
    )
    assert checked.diagnostics == ()


def test_a_file_with_errors_is_not_told_of_unused_names(check: Check) -> None:
    # `revenue` is unread only because `revenu` is misspelt: the error says all there is.
    checked = check(HEADER + 'metric revenue: money\ngoal "g": revenu >= 5\n')
    assert codes(checked) == ["unknown-name"]


# ---- goals that cannot be paced ------------------------------------------------------------

GOAL_METRICS = (
    HEADER
    + "metric revenue: money\nmetric orders: count\nmetric visits: count\n"
    + "metric customers: count stock\nlet conversion = orders / visits\n"
)


def besides_unused(checked: Checked) -> list[Diagnostic]:
    """The diagnostics of a check whose metrics are declared for several cases."""
    return [d for d in checked.diagnostics if d.code != "unused"]


def test_a_flow_goal_with_a_deadline_and_no_total_is_unpaced(check: Check) -> None:
    checked = check(
        GOAL_METRICS
        + 'goal "Revenue": revenue >= 2 billion by 2026-09-30\n'
        + 'goal "Rest": total(orders) + total(visits) + conversion >= 1 by 2026-09-30\n'
    )
    first, second = besides_unused(checked)
    assert (first.code, first.severity, first.span.line, first.span.column) == (
        "unpaced-goal",
        "warning",
        9,
        17,
    )
    assert first.message == (
        'goal "Revenue" is not paced: `revenue` is one period\'s figure, so until 2026-09-30 '
        "it warns unless it already holds"
    )
    assert (
        first.hint == "if the target is for the whole window, sum it: `total(revenue) >= 2 billion`"
    )
    assert second.code == "unpaced-goal"
    assert "is not a sum of `total(...)` terms" in second.message


def test_a_stock_goal_with_a_deadline_and_no_from_is_unpaced(check: Check) -> None:
    checked = check(GOAL_METRICS + 'goal "Base": customers > 5000 by 2026-09-30\n')
    (problem,) = besides_unused(checked)
    assert problem.code == "unpaced-goal"
    assert "`customers` is a stock and the goal has no `from`" in problem.message
    assert problem.hint == "add `from` and the level `customers` starts at, e.g. `from 4200`"


@pytest.mark.parametrize(
    "goal",
    [
        "total(revenue) >= 2 billion by 2026-09-30",  # cumulative: paced
        "customers >= 5000 by 2026-09-30 from 4200",  # a baseline: paced
        "conversion >= 3% by 2026-09-30",  # a rate is not paced by nature
        "revenue <= 2 billion by 2026-09-30",  # a ceiling warns only while it does not hold
        "revenue < 2 billion by 2026-09-30",
        "revenue >= 2 billion",  # no deadline: judged at each period
    ],
)
def test_goals_that_are_paced_or_need_no_pace_are_not_told(check: Check, goal: str) -> None:
    checked = check(GOAL_METRICS + f'goal "g": {goal}\n')
    assert besides_unused(checked) == []


# ---- baselines known in advance ------------------------------------------------------------


def test_a_baseline_reading_a_metric_is_refused(check: Check) -> None:
    checked = check(
        GOAL_METRICS
        + "let last_month = previous(revenue)\n"
        + 'goal "a": total(revenue) >= 2 billion by 2026-09-30 from revenue\n'
        + 'goal "b": total(revenue) >= 2 billion by 2026-09-30 from last_month\n'
    )
    assert [(d.code, d.span.line) for d in besides_unused(checked)] == [
        ("bad-baseline", 10),
        ("bad-baseline", 11),
    ]
    assert besides_unused(checked)[1].message.startswith(
        "the baseline reads the metric `revenue`: read at the current period"
    )


def test_a_baseline_from_literals_tables_and_lets_of_those_is_accepted(check: Check) -> None:
    checked = check(
        HEADER
        + "metric visits: count by rep\ntable start: count by rep { Lan 100  else 50 }\n"
        + "let extra = 20 * 2\n"
        + 'goal "g" per rep: total(visits) >= 500 by 2026-09-30 from start + extra\n'
    )
    assert checked.diagnostics == ()


def test_a_refused_baseline_is_not_also_called_unpaced(check: Check) -> None:
    checked = check(GOAL_METRICS + 'goal "g": customers >= 5000 by 2026-09-30 from 2025-12\n')
    assert [d.code for d in besides_unused(checked)] == ["bad-baseline"]


# ---- budget lines as a percent of the total ------------------------------------------------

SPEND = HEADER + "metric spend: money by channel\n"


def test_percent_lines_that_fill_the_total_exactly_are_within_it(check: Check) -> None:
    # 33.33% + 33.33% + 33.34% of 3 million is 999,900 + 999,900 + 1,000,200 = 3,000,000.
    checked = check(
        SPEND + 'budget "b" total 3 million for spend { a 33.33%  b 33.33%  c 33.34% }\n'
    )
    assert checked.diagnostics == ()


def test_percent_lines_a_hair_over_the_total_are_over_it(check: Check) -> None:
    # 33.34% x 3 = 100.02%: 3,000,600 against 3,000,000. The total is quoted as written.
    checked = check(
        SPEND + 'budget "b" total 3 million for spend { a 33.34%  b 33.34%  c 33.34% }\n'
    )
    (problem,) = checked.diagnostics
    assert problem.code == "budget-over-total"
    assert problem.message == "the lines add up to 3,000,600, more than the total 3 million"


def test_a_percent_line_is_checked_against_its_share_range_exactly(check: Check) -> None:
    at_edges = check(
        SPEND + 'budget "b" total 1549 million for spend {\n'
        "    a 20%  share 20% .. 25%\n    b 25%  share 20% .. 25%\n}\n"
    )
    assert at_edges.diagnostics == ()
    outside = check(
        SPEND + 'budget "b" total 1549 million for spend { a 19.99%  share 20% .. 25% }\n'
    )
    assert codes(outside) == ["share-out-of-range"]


@pytest.mark.parametrize(
    ("budget", "message"),
    [
        (
            'budget "b" total 1 million for spend { a 20% VND }',
            "`a` is planned at 20% VND: a percent of the total takes no currency",
        ),
        (
            'budget "b" total 1 million for spend { a -5 million }',
            "`a` is planned at -5 million; a line's amount is money of 0 or more, or a percent "
            "of the total",
        ),
        (
            'budget "b" total 1 million for spend { a -5% }',
            "`a` is planned at -5%; a line's amount is money of 0 or more, or a percent of the "
            "total",
        ),
        (
            'budget "b" total 50% for spend { a 5 }',
            "a budget's total is money, such as 500 million, not a percent (50%)",
        ),
    ],
)
def test_an_amount_that_is_not_money_is_a_bad_amount(
    check: Check, budget: str, message: str
) -> None:
    checked = check(SPEND + budget + "\n")
    assert [(d.code, d.message) for d in checked.diagnostics] == [("bad-amount", message)]
