"""Worked tests of the language's third round (issue 16): a rule's status in a trigger's
condition, figures across keys, calendar windows and tables by period. Each expectation
carries its arithmetic, worked from docs/LANGUAGE.md; the common header (eval_helpers) is a
July to September 2026 monthly window."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planrules.lang.check import check_source
from planrules.lang.fmt import format_source
from planrules.lang.source import Source

from .eval_helpers import HEADER, evaluate, exact, months, result, snap

# ==== 1. A rule's status in a trigger's condition ===========================================

# Revenue 900 by September: July needs 300 (elapsed 1/3) to pass, 270 to warn (9/10 of it).
PACED = 'goal "Revenue": total(revenue) >= 900 by 2026-09-30\n'
AT_RISK = (
    PACED + 'trigger "Move money" when status("Revenue") >= warn for 2 periods {\n'
    '    recommend "move money to the website"\n}\n'
)


def test_a_status_at_risk_two_months_running_fires() -> None:
    # July 280: 280/900 < 1/3 but >= 3/10: warn. August 280 + 250 = 530: 530/900 < 2/3 x 9/10
    # = 3/5 = 540/900: fail. Both at least warn: fired in August.
    report = evaluate(AT_RISK, months({"revenue": 280}, {"revenue": 250}))
    assert result(report, "Revenue").status == "fail"
    found = result(report, "Move money")
    assert found.status == "fired"
    assert found.held == ("2026-07", "2026-08")
    assert [r.text for r in report.recommendations] == ["move money to the website"]


def test_a_status_that_recovers_does_not_fire() -> None:
    # July 280: warn. August 280 + 350 = 630 >= 600 (2/3 of 900): pass. Held in July only.
    report = evaluate(AT_RISK, months({"revenue": 280}, {"revenue": 350}))
    assert result(report, "Revenue").status == "pass"
    found = result(report, "Move money")
    assert found.status == "quiet"
    assert found.held == ("2026-07",)


def test_a_status_is_ordered_pass_warn_fail() -> None:
    body = PACED + "".join(
        f'trigger "{op} {word}" when status("Revenue") {op} {word} {{ recommend "x" }}\n'
        for op, word in (("==", "warn"), (">", "pass"), ("<", "fail"), ("<=", "pass"))
    )
    report = evaluate(body, months({"revenue": 280}))  # warn, as above
    states = {r.rule: r.status for r in report.results if r.kind == "trigger"}
    assert states == {"== warn": "fired", "> pass": "fired", "< fail": "fired", "<= pass": "quiet"}


def test_an_unknown_status_is_not_held_but_can_be_asked_for() -> None:
    body = (
        PACED + 'trigger "Risk" when status("Revenue") >= warn { recommend "x" }\n'
        'trigger "No data" when status("Revenue") == unknown { recommend "check the data" }\n'
    )
    # August has no revenue: the goal is unknown there, so `>= warn` is unknown (not held,
    # and the trigger is unknown now), while `== unknown` holds.
    report = evaluate(body, months({"revenue": 100}, {"leads": 5}))
    assert result(report, "Revenue").status == "unknown"
    risk = result(report, "Risk")
    assert risk.status == "unknown"
    assert risk.held == ("2026-07",)  # July: 100/900 < 3/10, fail
    assert result(report, "No data").status == "fired"


def test_a_status_of_a_per_rule_is_read_at_the_trigger_key() -> None:
    body = (
        "table quota: count by rep { An 10  Binh 10 }\n"
        'goal "Quota" per rep: sold >= quota\n'
        'trigger "Coach" per rep when status("Quota") == fail for 2 periods {\n'
        '    recommend "coach {key}"\n}\n'
    )
    # An: 5 then 6, both below 10: fails twice, fired. Binh: 12 then 4: held in August only.
    report = evaluate(body, months({"sold": {"An": 5, "Binh": 12}}, {"sold": {"An": 6, "Binh": 4}}))
    assert result(report, "Coach", "An").status == "fired"
    assert result(report, "Coach", "Binh").status == "quiet"
    assert result(report, "Coach", "Binh").held == ("2026-08",)
    assert [r.text for r in report.recommendations] == ["coach An"]


def test_a_fired_trigger_counts_as_its_severity() -> None:
    body = (
        'trigger "Low" when revenue < 100 severity fail { recommend "a" }\n'
        'trigger "Info" when revenue < 100 severity info { recommend "b" }\n'
        'trigger "After low" when status("Low") == fail { recommend "c" }\n'
        'trigger "After info" when status("Info") == pass { recommend "d" }\n'
    )
    report = evaluate(body, months({"revenue": 50}))
    assert result(report, "After low").status == "fired"
    assert result(report, "After info").status == "fired"  # info counts as pass


def test_a_trigger_reads_an_earlier_trigger_at_earlier_periods() -> None:
    # "Low" fires in July only (cooldown aside); "Echo" reads it each period: July only.
    body = (
        'trigger "Low" when revenue < 100 { recommend "a" }\n'
        'trigger "Echo" when status("Low") >= warn { recommend "b" }\n'
    )
    report = evaluate(body, months({"revenue": 50}, {"revenue": 500}, {"revenue": 500}))
    assert result(report, "Echo").held == ("2026-07",)
    assert result(report, "Echo").status == "quiet"


# ==== 2. Across keys ==========================================================================


def test_median_and_percentile_over_keys() -> None:
    # rate 1%, 2%, 4%, 8%: median between 2% and 4% = 3%; 90th percentile at (4 - 1) x 0.9
    # = 2.7: 4% + 0.7 x (8% - 4%) = 6.8%; 0th is 1%, 100th is 8%.
    body = (
        'threshold "Median": median(rate) warn below 5%\n'
        'threshold "P90": percentile(rate, 90%) warn below 5%\n'
        'threshold "P0": percentile(rate, 0%) warn below 5%\n'
        'threshold "P100": percentile(rate, 100%) warn below 5%\n'
    )
    rates = {"A": Decimal("0.01"), "B": Decimal("0.02"), "C": Decimal("0.04"), "D": Decimal("0.08")}
    report = evaluate(body, months({"rate": rates}))
    assert exact(result(report, "Median").value, "0.03")
    assert result(report, "Median").status == "warn"
    assert exact(result(report, "P90").value, "0.068")
    assert result(report, "P90").status == "pass"
    assert exact(result(report, "P0").value, "0.01")
    assert exact(result(report, "P100").value, "0.08")


def test_median_of_an_odd_count_is_the_middle_value() -> None:
    report = evaluate(
        'threshold "M": median(sold) warn below 1\n', months({"sold": {"a": 7, "b": 1, "c": 3}})
    )
    assert exact(result(report, "M").value, 3)


def test_the_bottom_ten_percent_of_stores() -> None:
    # 20 reps with rates 1% .. 20%: count 20 x 10% = 2, so ranks 1 and 2 from the bottom,
    # the reps at 1% and 2%.
    body = (
        'trigger "Coach" per rep when rank(rate, ascending) <= count(rate) * 10% {\n'
        '    recommend "coach {key}"\n}\n'
    )
    rates = {f"r{i:02d}": Decimal(i) / 100 for i in range(1, 21)}
    report = evaluate(body, months({"rate": rates}))
    fired = sorted(r.key for r in report.results if r.status == "fired")
    assert fired == ["r01", "r02"]


def test_rank_largest_first_ties_in_key_order() -> None:
    body = 'threshold "Rank" per rep: rank(sold) warn above 2\n'
    report = evaluate(body, months({"sold": {"Binh": 5, "An": 5, "Chi": 9, "Dung": 1}}))
    ranks = {r.key: r.value for r in report.results}
    # Chi 9 first; An and Binh tie at 5, An first by key; Dung last.
    assert ranks == {"Chi": 1, "An": 2, "Binh": 3, "Dung": 4}
    assert result(report, "Rank", "Binh").status == "warn"


def test_share_of_the_sum() -> None:
    # spend 30 + 10 + 60 = 100: shares 30%, 10%, 60%.
    body = 'threshold "Share" per channel: share(spend) warn above 50%\n'
    report = evaluate(body, months({"spend": {"ads": 30, "pr": 10, "tv": 60}}))
    assert exact(result(report, "Share", "ads").value, Fraction(3, 10))
    assert exact(result(report, "Share", "tv").value, Fraction(3, 5))
    assert result(report, "Share", "tv").status == "warn"


def test_share_of_a_zero_sum_is_unknown() -> None:
    body = 'threshold "Share" per channel: share(spend) warn above 50%\n'
    report = evaluate(body, months({"spend": {"ads": 0, "pr": 0}}))
    found = result(report, "Share", "ads")
    assert found.status == "unknown"
    assert "sum to 0" in (found.reason or "")


def test_a_rank_with_an_unknown_key_is_unknown_for_every_key() -> None:
    # Binh's value divides by zero: Binh could stand anywhere, so no rank is known.
    body = 'threshold "Rank" per rep: rank(sold / rate) warn above 1\n'
    snaps = months({"sold": {"An": 1, "Binh": 2}, "rate": {"An": Decimal("0.1"), "Binh": 0}})
    report = evaluate(body, snaps)
    assert [r.status for r in report.results] == ["unknown", "unknown"]


# ==== 3. Calendar windows ====================================================================

YEAR_HEADER = HEADER.replace("2026-07-01 to 2026-09-30", "2026-01-01 to 2026-12-31")


def test_total_of_the_quarter_and_the_year_so_far() -> None:
    # Jan..Aug 10, 20, ..., 80. August is in Q3 (July, August): 70 + 80 = 150; the year so
    # far 10 + ... + 80 = 360; since 2026-05-15 (May's period on): 50 + 60 + 70 + 80 = 260.
    body = (
        'goal "Quarter": total(revenue, quarter) >= 150\n'
        'goal "Year": total(revenue, year) >= 361\n'
        'goal "Since": since(revenue, 2026-05-15) >= 260\n'
    )
    snaps = [snap(f"2026-{m:02d}", revenue=10 * m) for m in range(1, 9)]
    report = evaluate(body, snaps, header=YEAR_HEADER)
    assert exact(result(report, "Quarter").value, 150)
    assert result(report, "Quarter").status == "pass"
    assert exact(result(report, "Year").value, 360)
    assert result(report, "Year").status == "fail"
    assert exact(result(report, "Since").value, 260)
    # In June, Q2 so far is April to June: 40 + 50 + 60 = 150.
    june = evaluate(body, snaps, at="2026-06", header=YEAR_HEADER)
    assert exact(result(june, "Quarter").value, 150)


def test_a_calendar_window_starts_no_earlier_than_the_plan() -> None:
    # The plan starts in August; Q3 so far in September is August and September only.
    header = HEADER.replace("2026-07-01", "2026-08-01")
    snaps = [snap("2026-07", revenue=1000), snap("2026-08", revenue=5), snap("2026-09", revenue=7)]
    report = evaluate('goal "Q": total(revenue, quarter) >= 1\n', snaps, header=header)
    assert exact(result(report, "Q").value, 12)


def test_a_gap_inside_a_calendar_window_is_unknown() -> None:
    snaps = [snap("2026-07", revenue=5), snap("2026-09", revenue=7)]
    report = evaluate('goal "Q": total(revenue, quarter) >= 1\n', snaps)
    found = result(report, "Q")
    assert found.status == "unknown"
    assert "2026-08" in (found.reason or "")


def test_since_a_date_still_to_come_is_an_empty_sum() -> None:
    report = evaluate('goal "S": since(revenue, 2026-12-01) >= 0\n', months({"revenue": 5}))
    assert exact(result(report, "S").value, 0)


def test_weeks_belong_to_the_quarter_of_their_thursday() -> None:
    # 2026-W27 runs Monday 29 June to Sunday 5 July; its Thursday, 2 July, is in Q3: so Q3
    # so far in W28 is W27 and W28. 2026-W26 (22-28 June) is Q2.
    header = HEADER.replace("2026-07-01 to 2026-09-30 monthly", "2026-06-01 to 2026-09-30 weekly")
    snaps = [snap(f"2026-W{w}", revenue=w) for w in (23, 24, 25, 26, 27, 28)]
    report = evaluate('goal "Q": total(revenue, quarter) >= 1\n', snaps, header=header)
    assert exact(result(report, "Q").value, 27 + 28)


def test_a_keyed_total_of_the_quarter_counts_a_new_key_from_its_first_period() -> None:
    body = 'goal "Q" per rep: total(sold, quarter) >= 1\n'
    report = evaluate(body, months({"sold": {"An": 3}}, {"sold": {"An": 4, "Binh": 2}}))
    assert exact(result(report, "Q", "An").value, 7)
    assert exact(result(report, "Q", "Binh").value, 2)


# ==== 4. Tables by period =====================================================================

TARGETS = "table target: money by period { 2026-07 100  2026-08 150  2026-09 250 }\n"


def test_a_table_by_period_is_read_at_the_current_period() -> None:
    body = TARGETS + 'goal "Month": revenue >= target\n'
    snaps = months({"revenue": 120}, {"revenue": 120}, {"revenue": 300})
    assert result(evaluate(body, snaps, at="2026-07"), "Month").status == "pass"  # 120 >= 100
    assert result(evaluate(body, snaps, at="2026-08"), "Month").status == "fail"  # 120 < 150
    found = result(evaluate(body, snaps), "Month")
    assert exact(found.target, 250)


def test_the_total_of_a_table_by_period_is_the_cumulative_target() -> None:
    # Through August: done 120 + 120 = 240, planned 100 + 150 = 250: behind the plan's own
    # month-by-month figures; through September 540 >= 500.
    body = TARGETS + 'goal "On plan": total(revenue) >= total(target)\n'
    snaps = months({"revenue": 120}, {"revenue": 120}, {"revenue": 300})
    august = result(evaluate(body, snaps, at="2026-08"), "On plan")
    assert august.status == "fail"
    assert exact(august.target, 250)
    assert result(evaluate(body, snaps), "On plan").status == "pass"


def test_a_period_missing_from_the_table_reads_its_else_or_is_unknown() -> None:
    body = (
        "table t: money by period { 2026-07 100  else 50 }\n"
        "table u: money by period { 2026-07 100 }\n"
        'goal "T": revenue >= t\ngoal "U": revenue >= u\n'
    )
    report = evaluate(body, months({"revenue": 60}, {"revenue": 60}))
    assert result(report, "T").status == "pass"  # 60 >= 50
    assert result(report, "U").status == "unknown"
    assert "no value for this period" in (result(report, "U").reason or "")


def test_a_table_by_key_and_period_gives_monthly_targets_per_key() -> None:
    body = (
        "table quota: count by rep, period { An { 2026-07 10  2026-08 12 }  Binh { 2026-07 5 }"
        "  else 8 }\n"
        'goal "Quota" per rep: sold >= quota\n'
        'goal "Cumulative" per rep: total(sold) >= total(quota)\n'
    )
    snaps = months({"sold": {"An": 10, "Binh": 5}}, {"sold": {"An": 11, "Binh": 9}})
    report = evaluate(body, snaps)
    assert result(report, "Quota", "An").status == "fail"  # 11 < 12
    assert result(report, "Quota", "Binh").status == "pass"  # 9 >= else 8
    assert exact(result(report, "Cumulative", "An").target, 22)  # 10 + 12
    assert exact(result(report, "Cumulative", "Binh").target, 13)  # 5 + 8


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-(10**6), 10**6), min_size=3, max_size=3))
def test_a_period_table_read_at_every_period_matches_its_rows(values: list[int]) -> None:
    rows = "  ".join(f"2026-{7 + i:02d} {v}" for i, v in enumerate(values))
    body = f"table t: number by period {{ {rows} }}\n" + 'threshold "T": t warn above 0\n'
    snaps = months({"score": 1}, {"score": 1}, {"score": 1})
    for index, value in enumerate(values):
        report = evaluate(body, snaps, at=f"2026-{7 + index:02d}")
        assert exact(result(report, "T").value, value)


# ==== properties across keys =================================================================


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.text("abcdefgh", min_size=1, max_size=3), st.integers(-50, 50), min_size=1, max_size=12
    ),
    st.booleans(),
)
def test_ranks_are_a_permutation(sold: dict[str, int], ascending: bool) -> None:
    order = ", ascending" if ascending else ""
    body = f'threshold "R" per rep: rank(sold{order}) warn above 1000\n'
    report = evaluate(body, months({"sold": sold}))
    ranks = {r.key: r.value for r in report.results}
    assert sorted(ranks.values()) == list(range(1, len(sold) + 1))
    # Ranked by value (largest first unless ascending), ties by key.
    sign = 1 if ascending else -1
    expected = sorted(sold, key=lambda key: (sign * sold[key], key))
    assert [key for key, _ in sorted(ranks.items(), key=lambda item: item[1])] == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 1000), min_size=1, max_size=15), st.integers(0, 100))
def test_percentile_lies_between_the_values_it_falls_between(values: list[int], p: int) -> None:
    sold = {f"k{i:02d}": v for i, v in enumerate(values)}
    body = f'threshold "P": percentile(sold, {p}%) warn above 100000\n'
    found = result(evaluate(body, months({"sold": sold})), "P").value
    ordered = sorted(values)
    place = Fraction(len(values) - 1) * Fraction(p, 100)
    low, high = ordered[int(place)], ordered[min(int(place) + 1, len(values) - 1)]
    assert low <= Fraction(found) <= high
    assert exact(found, low + (high - low) * (place - int(place)))


# ==== the formatter =========================================================================

NEW_SYNTAX = HEADER + (
    'goal "Revenue": total(revenue) >= 900 by 2026-09-30\n'
    "table target: money by period { 2026-07 100  2026-08 150  else 0 }\n"
    "table quota: count by rep, period { An { 2026-07 10  2026-08 12 }  Binh { 2026-07 5 } }\n"
    'goal "Q": total(revenue, quarter) >= total(target)\n'
    'goal "S": since(revenue, 2026-08-01) >= 1\n'
    'goal "Quota" per rep: sold >= quota\n'
    'threshold "P": percentile(rate, 90%) warn below 2%\n'
    'threshold "M": median(rate) warn below 2%\n'
    'threshold "Share" per channel: share(spend) warn above 50%\n'
    'trigger "Coach" per rep when rank(rate, ascending) <= count(rate) * 10% { recommend "c" }\n'
    'trigger "Move" when status("Revenue") >= warn and leads > 0 for 2 periods {\n'
    '    recommend "m"\n}\n'
    'trigger "Check" when status("Revenue") == unknown { recommend "d" }\n'
)


def _formatted(text: str) -> str:
    formatted = format_source(Source.from_text("t.plan", text)).text
    assert formatted is not None
    return formatted


def test_the_new_syntax_checks_and_formats_to_a_fixed_point() -> None:
    checked = check_source(Source.from_text("t.plan", NEW_SYNTAX))
    assert not [d for d in checked.diagnostics if d.is_error], checked.diagnostics
    once = _formatted(NEW_SYNTAX)
    assert _formatted(once) == once
    again = check_source(Source.from_text("t.plan", once))
    assert again.module is not None and checked.module is not None
    assert again.module.declarations == checked.module.declarations


def test_a_long_table_by_key_and_period_is_written_a_key_per_line() -> None:
    rows = "  ".join(f"2026-{m:02d} {m * 1000}" for m in range(7, 10))
    keys = "  ".join(f"rep_{i} {{ {rows} }}" for i in range(3))
    text = HEADER + f"table quota: count by rep, period {{ {keys} }}\n"
    once = _formatted(text)
    assert "    rep_0 { 2026-07 7000  2026-08 8000  2026-09 9000 }\n" in once
    assert _formatted(once) == once


@pytest.mark.parametrize(
    "expr",
    [
        'status("G") >= warn',
        'status("G") == unknown and leads > 0',
        "rank(rate, ascending) <= 2",
    ],
)
def test_conditions_round_trip(expr: Any) -> None:
    text = HEADER + f'goal "G": leads >= 1\ntrigger "T" per rep when {expr} {{ recommend "x" }}\n'
    once = _formatted(text)
    assert expr in once


# ==== 5. Two dimensions =======================================================================

STORES = """\
ruleset "Stores"
currency VND
period 2026-07-01 to 2026-09-30 monthly
metric sales: money by store, channel
metric orders: count by rep
table quota: count by team { HCM_A 50  HN_B 20 }
group rep into team { Lan: HCM_A  Minh: HCM_A  Hoa: HN_B }
"""

JULY_SALES = {"HCM1": {"facebook": 30, "zalo": 10}, "HN1": {"facebook": 40}}


def test_a_value_by_two_dimensions_is_summed_one_dimension_away() -> None:
    # HCM1 30 + 10 = 40, HN1 40; facebook 30 + 40 = 70, zalo 10; every pair 80.
    body = (
        'threshold "Store" per store: sum(sales, channel) warn below 50\n'
        'threshold "Channel" per channel: sum(sales, store) warn below 50\n'
        'threshold "Pair" per store, channel: sales warn below 20\n'
        'goal "All": sum(sales) >= 80\n'
        'goal "All again": sum(sum(sales, channel)) >= 80\n'
    )
    report = evaluate(body, months({"sales": JULY_SALES}), header=STORES)
    assert {r.key: r.value for r in report.results if r.rule == "Store"} == {"HCM1": 40, "HN1": 40}
    assert {r.key: r.value for r in report.results if r.rule == "Channel"} == {
        "facebook": 70,
        "zalo": 10,
    }
    pairs = {r.key: (r.value, r.status) for r in report.results if r.rule == "Pair"}
    assert pairs == {
        "HCM1 / facebook": (30, "pass"),
        "HCM1 / zalo": (10, "warn"),
        "HN1 / facebook": (40, "pass"),
    }
    assert exact(result(report, "All").value, 80)
    assert exact(result(report, "All again").value, 80)


def test_a_pair_absent_from_a_flow_is_zero_from_its_first_period() -> None:
    # August gives HCM1 / zalo no value: 0 that month, so HCM1 is 30 in August.
    body = 'threshold "Store" per store: sum(sales, channel) warn below 50\n'
    august = {"HCM1": {"facebook": 30}, "HN1": {"facebook": 40}}
    report = evaluate(body, months({"sales": JULY_SALES}, {"sales": august}), header=STORES)
    assert exact(result(report, "Store", "HCM1").value, 30)


def test_pairs_are_read_from_csv_columns(tmp_path: Any) -> None:
    from planrules.eval.evaluate import loads

    ruleset = loads(STORES + 'goal "HCM1" per store: sum(sales, channel) >= 1\n', "t.plan")
    csv = tmp_path / "s.csv"
    csv.write_text("period,sales.HCM1.facebook,sales.HCM1.zalo\n2026-07,30,10\n", "utf-8")
    report = ruleset.evaluate(ruleset.read([str(csv)]))
    assert exact(result(report, "HCM1", "HCM1").value, 40)


def test_a_key_holding_the_pair_separator_is_an_error() -> None:
    from planrules.eval.snapshot import SnapshotError

    bad = {"HCM1 / x": {"facebook": 1}}
    with pytest.raises(SnapshotError, match="joins the keys of two dimensions"):
        evaluate('goal "All": sum(sales) >= 1\n', months({"sales": bad}), header=STORES)


cells = st.dictionaries(
    st.tuples(st.sampled_from(["HCM1", "HCM2", "HN1"]), st.sampled_from(["fb", "zalo", "web"])),
    st.integers(-1000, 1000),
    min_size=1,
)


@settings(max_examples=50, deadline=None)
@given(cells)
def test_summing_a_dimension_away_then_the_rest_is_the_total_of_every_cell(
    values: dict[tuple[str, str], int],
) -> None:
    nested: dict[str, dict[str, int]] = {}
    for (store, channel), value in values.items():
        nested.setdefault(store, {})[channel] = value
    body = (
        'goal "By store": sum(sum(sales, channel)) >= 0\n'
        'goal "By channel": sum(sum(sales, store)) >= 0\n'
        'threshold "Store" per store: sum(sales, channel) warn below 0\n'
    )
    report = evaluate(body, months({"sales": nested}), header=STORES)
    everything = sum(values.values())
    assert exact(result(report, "By store").value, everything)
    assert exact(result(report, "By channel").value, everything)
    for store, channels in nested.items():
        assert exact(result(report, "Store", store).value, sum(channels.values()))


# ==== 6. Hierarchies ==========================================================================


def test_reps_roll_up_into_their_teams() -> None:
    # HCM_A: Lan 20 + Minh 35 = 55 >= 50; HN_B: Hoa 10 < 20; Tu has no team: (none) 5.
    body = 'goal "Team quota" per team: sum(orders, team) >= quota\n'
    orders = {"Lan": 20, "Minh": 35, "Hoa": 10, "Tu": 5}
    report = evaluate(body, months({"orders": orders}), header=STORES)
    teams = {r.key: (r.value, r.status) for r in report.results}
    assert teams == {
        "HCM_A": (55, "pass"),
        "HN_B": (10, "fail"),
        "(none)": (5, "unknown"),  # the quota table has no `(none)` and no else
    }
    (warning,) = [w for w in report.warnings if w.code == "ungrouped-key"]
    assert warning.key == "Tu"


def test_a_team_exists_from_the_first_period_one_of_its_reps_does() -> None:
    # Hoa joins in August: HN_B has no key in July, and is judged from August.
    body = 'goal "Team quota" per team: sum(orders, team) >= quota\n'
    snaps = months({"orders": {"Lan": 30, "Minh": 30}}, {"orders": {"Lan": 30, "Hoa": 25}})
    july = evaluate(body, snaps, at="2026-07", header=STORES)
    assert sorted(r.key for r in july.results) == ["HCM_A"]
    august = evaluate(body, snaps, header=STORES)
    assert exact(result(august, "Team quota", "HN_B").value, 25)
    assert result(august, "Team quota", "HN_B").status == "pass"
    assert not [w for w in august.warnings if w.code == "ungrouped-key"]


def test_a_group_and_a_pair_format_to_a_fixed_point() -> None:
    text = STORES + 'threshold "Pair" per store, channel: sales warn below 20\n'
    once = _formatted(text)
    assert "group rep into team { Lan: HCM_A  Minh: HCM_A  Hoa: HN_B }" in once
    assert "metric sales: money by store, channel" in once
    assert 'threshold "Pair" per store, channel: sales' in once
    assert _formatted(once) == once


def test_a_test_block_names_a_pair_as_one_quoted_key(tmp_path: Any) -> None:
    from click.testing import CliRunner

    from planrules.cli import main

    (tmp_path / "stores.plan").write_text(
        STORES + 'threshold "Store" per store: sum(sales, channel) warn below 50\n', "utf-8"
    )
    (tmp_path / "stores_test.plan").write_text(
        'use "stores.plan"\n\ntest "pairs" {\n'
        '    snapshot 2026-07 { sales { "HCM1 / facebook" 30  "HCM1 / zalo" 10 } }\n'
        '    expect value of "Store"["HCM1"] == 40\n'
        '    expect "Store"["HCM1"] warn\n}\n',
        "utf-8",
    )
    result = CliRunner().invoke(main, ["test", str(tmp_path / "stores_test.plan")])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "1 passed, 0 failed"
