"""A window or history spanning centuries of daily periods costs in proportion to the
snapshots given, not to the calendar distance (issue 11, item 3).

Cost is held here by what the evaluation works out, never by timing: the trace of a rule
records every value its expressions computed, so a sum that walked every day of a window of
centuries would record millions of them.
"""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from typing import Any

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from planrules.cli import main
from planrules.eval.evaluate import loads
from planrules.eval.frame import Frame
from planrules.eval.functions import sum_over_periods, summands
from planrules.eval.values import Keyed, Unknown

CENTURIES = """\
ruleset "Centuries"
currency VND
period 0001-01-01 to 9999-12-31 daily
metric sales: count by store "Sales"
metric spend: money by channel "Spend"
metric stock_level: count stock "Stock"
let one = 1
goal "Sales": total(sum(sales)) >= 100 by 9999-12-31
goal "Per store" per store: total(sales) >= 50 by 9999-12-31
goal "Stock": stock_level >= 500 by 9999-12-31 from 100
goal "Days": total(one) >= 10 by 9999-12-31
threshold "Rolling": rolling_avg(sum(sales), 7) warn below 3
budget "Ads" total 1000 for spend {
    web 600
    shop 300
}
"""

SNAPSHOTS = [
    {"period": "0001-01-01", "metrics": {"sales": {"a": 5}, "spend": {"web": 10}}},
    {"period": "5000-06-15", "metrics": {"sales": {"a": 5, "c": 2}, "stock_level": 150}},
    {"period": "9999-12-31", "metrics": {"sales": {"a": 5}, "stock_level": 220}},
]

# Enough for every value a few snapshots could need, far from a window's 3,652,059 days.
FEW = 200


def test_one_snapshot_at_the_end_of_a_window_of_centuries() -> None:
    ruleset = loads(CENTURIES, filename="c.plan")
    report = ruleset.evaluate(SNAPSHOTS[2:])
    sales = report.result("Sales")
    assert sales is not None and sales.status == "unknown"
    assert sales.reason == "no snapshot for 0001-01-01: the history starts at 9999-12-31"
    for rule in ("Sales", "Per store", "Rolling", "Ads"):
        _, trace = ruleset.traced(SNAPSHOTS[2:], rule, None)
        assert len(trace.values) < FEW, rule


def test_a_gap_ends_a_sum_without_reading_the_periods_after_it() -> None:
    ruleset = loads(CENTURIES, filename="c.plan")
    report = ruleset.evaluate(SNAPSHOTS, at="5000-06-15")
    sales = report.result("Sales")
    assert sales is not None and sales.status == "unknown"
    assert sales.reason == "0001-01-02 has no snapshot (a gap in the history)"
    for rule in ("Sales", "Per store", "Ads"):
        _, trace = ruleset.traced(SNAPSHOTS, rule, None, at="5000-06-15")
        assert len(trace.values) < FEW, rule


def test_a_value_that_reads_no_snapshot_is_summed_by_multiplying() -> None:
    report = loads(CENTURIES, filename="c.plan").evaluate(SNAPSHOTS, at="5000-06-15")
    days = report.result("Days")
    assert days is not None
    # 0001-01-01 through 5000-06-15 inclusive, each day counting 1.
    assert days.value == 1826013


def test_a_pace_over_centuries_shares_what_remains_in_one_run() -> None:
    report = loads(CENTURIES, filename="c.plan").evaluate(SNAPSHOTS, at="5000-06-15")
    stock = report.result("Stock")
    assert stock is not None and stock.pacing is not None
    (run,) = stock.pacing.schedule
    assert (run.first, run.last) == ("5000-06-16", "9999-12-31")
    assert run.share == Fraction(1, 1826046)
    days = report.result("Days")
    assert days is not None
    (required,) = days.required_by_period or ()
    assert (required.period, required.through, required.amount) == ("5000-06-16", "9999-12-31", 0)


def test_explain_says_which_periods_a_sum_did_not_need(tmp_path: Any) -> None:
    plan = tmp_path / "c.plan"
    plan.write_text(CENTURIES, encoding="utf-8")
    data = tmp_path / "c.json"
    data.write_text(_json(SNAPSHOTS), encoding="utf-8")
    for rule in ("Sales", "Ads"):
        result = CliRunner().invoke(
            main, ["explain", str(plan), str(data), "--rule", rule, "--at", "5000-06-15"]
        )
        assert result.exit_code == 0, result.output
        assert "0001-01-02 = unknown (0001-01-02 has no snapshot" in result.output
        assert "… = 1826011 later periods not needed: the sum is unknown" in result.output
        assert "not worked out" not in result.output
        assert len(result.output.splitlines()) < 60


def _json(snapshots: list[dict[str, Any]]) -> str:
    return json.dumps({"snapshots": snapshots})


# ---- the two ways of summing agree -----------------------------------------------------------

_values = st.one_of(
    st.integers(-(10**6), 10**6),
    st.decimals(min_value=-(10**6), max_value=10**6, places=3, allow_nan=False),
    st.builds(
        Keyed,
        st.dictionaries(st.sampled_from("abc"), st.integers(-100, 100), max_size=3),
        st.sampled_from([0, Unknown("no value")]),
    ),
)


@given(_values, st.integers(0, 40), st.integers(1, 60))
def test_a_repeated_value_sums_as_if_added_period_by_period(
    value: Any, first: int, length: int
) -> None:
    frame = Frame({}, str, 0, {})

    def constant(_frame: Frame, _position: int) -> Any:
        return value

    periods = range(first, first + length)
    multiplied = sum_over_periods(summands(constant, varies=False)(frame, periods))
    added = sum_over_periods(summands(constant, varies=True)(frame, periods))
    if isinstance(value, Keyed):
        assert isinstance(multiplied, Keyed) and isinstance(added, Keyed)
        assert multiplied.values == added.values
        assert str(multiplied.missing) == str(added.missing)
    else:
        assert multiplied == added
        assert isinstance(multiplied, int | Decimal)
