"""Worked cases of version 2 of the contract: verdicts a strategist would call wrong in
version 1, and the warnings where a plan and its data disagree (issue 10).

The plan window of the common header (tests/eval_helpers.py) is July to September 2026,
monthly. Each expectation carries its arithmetic.
"""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from typing import Any

from click.testing import CliRunner
from hypothesis import assume, given, settings

from planrules.cli import main
from planrules.eval.evaluate import loads
from planrules.eval.values import before_first
from planrules.report.model import Required

from .eval_helpers import HEADER, evaluate, exact, months, result, ruleset, snap
from .eval_strategies import PERIOD
from .test_eval_properties import evaluations

# ==== 1. A key exists from the period it first appears ========================================

SLOW_REP = """\
trigger "Slow rep" per rep when sold < 5 for 2 periods {
    recommend "Coach {key}"
}
"""
# Lan sells little all quarter; An joins in August and sells little too.
JOINING = months({"sold": {"Lan": 1}}, {"sold": {"Lan": 2, "An": 0}}, {"sold": {"Lan": 3, "An": 1}})


def test_a_trigger_for_a_key_that_joined_cannot_fire_in_its_first_period() -> None:
    # In August An has held once (August): July, before An existed, is not a period of An's.
    # Version 1 read An's July as 0 sold (an absent flow) and fired.
    august = evaluate(SLOW_REP, JOINING, at="2026-08")
    assert result(august, "Slow rep", "An").status == "quiet"
    assert result(august, "Slow rep", "An").held == ("2026-08",)
    assert result(august, "Slow rep", "Lan").status == "fired"  # July and August
    september = evaluate(SLOW_REP, JOINING, at="2026-09")
    assert result(september, "Slow rep", "An").status == "fired"  # August and September


def test_for_n_of_m_counts_the_periods_before_a_key_as_not_held() -> None:
    body = SLOW_REP.replace("for 2 periods", "for 2 of 3 periods")
    august = evaluate(body, JOINING, at="2026-08")
    assert result(august, "Slow rep", "An").status == "quiet"  # 1 of the last 3 held


def test_reaching_before_a_key_is_unknown_and_does_not_raise_the_overall_status() -> None:
    # change(sold) at August: Lan 2 - 1 = 1; An has no July, so its change is unknown.
    report = evaluate(
        'threshold "Change" per rep: change(sold) warn below -10\n', JOINING, at="2026-08"
    )
    an = result(report, "Change", "An")
    assert an.status == "unknown"
    assert an.reason == "`An` first appears in 2026-08"
    assert before_first(an.reason)
    assert exact(result(report, "Change", "Lan").value, 1)
    assert report.status == "pass"  # An's unknown comes only from before its first period


def test_previous_and_growth_reach_before_a_key_as_unknown() -> None:
    body = (
        'threshold "Before" per rep: previous(sold) warn below -1\n'
        'threshold "Growth" per rep: growth(sold) warn below -100%\n'
    )
    report = evaluate(body, JOINING, at="2026-08")
    for rule in ("Before", "Growth"):
        assert result(report, rule, "An").reason == "`An` first appears in 2026-08"
    assert exact(result(report, "Before", "Lan").value, 1)
    assert exact(result(report, "Growth", "Lan").value, 1)  # 2 / 1 - 1


def test_a_per_key_goal_is_paced_from_the_keys_first_period() -> None:
    # Lan is paced from July: 2 of 3 periods gone, so 60 of 90 is on pace.
    # An is paced from August: 1 of the 2 periods August and September, so 45 of 90 is.
    # Version 1 paced An at 2/3 too: 45/90 = 1/2 < 2/3 x 90% = 3/5, a fail.
    body = 'goal "Quota" per rep: total(sold) >= 90 by 2026-09-30\n'
    history = months({"sold": {"Lan": 30}}, {"sold": {"Lan": 30, "An": 45}})
    report = evaluate(body, history)
    lan, an = result(report, "Quota", "Lan"), result(report, "Quota", "An")
    assert (lan.status, an.status) == ("pass", "pass")
    assert exact(lan.elapsed, Fraction(2, 3)) and exact(an.elapsed, Fraction(1, 2))
    assert exact(an.expected, 45)  # 90 x 1/2
    assert exact(an.forecast, 90)  # 45 / (1/2)


def test_phase_weights_are_scaled_over_the_periods_a_late_key_has() -> None:
    # Weights 20% 30% 50%; An from August has 30% and 50%: elapsed 30 / 80 = 3/8.
    body = 'goal "Quota" per rep: total(sold) >= 80 by 2026-09-30 phased 20% 30% 50%\n'
    history = months({"sold": {"Lan": 16}}, {"sold": {"Lan": 24, "An": 30}})
    report = evaluate(body, history)
    assert exact(result(report, "Quota", "Lan").elapsed, Fraction(1, 2))  # 20% + 30%
    an = result(report, "Quota", "An")
    assert exact(an.elapsed, Fraction(3, 8))
    assert an.status == "pass"  # 30 / 80 = 3/8, on the line
    # September needs the rest: 80 - 30 = 50, all of the remaining share.
    assert exact(an.required_per_period, 50)


def test_aggregates_range_over_the_keys_that_exist() -> None:
    # At August: Lan 10, An 20 (new), Minh sold in July only and exists, absent: 0 sold.
    # avg = (10 + 20 + 0) / 3 = 10 (version 1: (10 + 20) / 2 = 15). count = 3.
    history = months({"sold": {"Lan": 5, "Minh": 7}}, {"sold": {"Lan": 10, "An": 20}})
    body = 'threshold "Avg" : avg(sold) warn above 100\nthreshold "Count": count(sold)\n'
    report = evaluate(body, history)
    assert exact(result(report, "Avg").value, 10)
    assert exact(result(report, "Count").value, 3)


def test_an_absent_ratio_key_is_left_out_and_a_table_makes_no_key_exist() -> None:
    # rate is a ratio: Minh's absent rate in August has no value, so it is left out.
    # The table names Hoa, who appears in no snapshot: Hoa is no key of a `per rep` rule. A
    # sum of the table alone is the plan's figure, whatever the data: 10 + 20 + 40 = 70.
    header = HEADER + "table quota: count by rep { Lan 10  Minh 20  Hoa 40 }\n"
    history = months(
        {"rate": {"Lan": Decimal("0.5"), "Minh": Decimal("0.1")}}, {"rate": {"Lan": Decimal("0.2")}}
    )
    body = (
        'threshold "Avg rate": avg(rate)\n'
        'threshold "Quota": sum(quota)\n'
        'threshold "Per rep" per rep: rate warn below 0\n'
    )
    report = evaluate(body, history, header=header)
    assert exact(result(report, "Avg rate").value, "0.2")
    assert exact(result(report, "Quota").value, 70)
    assert [r.key for r in report.results_for("Per rep")] == ["Lan", "Minh"]


def test_a_tables_value_before_a_key_existed_is_not_summed() -> None:
    # total(sold + bonus) for Minh, who appears in August: 6 + 20 = 26, not July's bonus too.
    # Paced from August: elapsed 1/2; 26/60 = 0.433 < 1/2 x 90% = 0.45: fail.
    header = HEADER + "table bonus: count by rep { Lan 30  Minh 20  else 0 }\n"
    body = 'goal "G" per rep: total(sold + bonus) >= 60 by 2026-09-30\n'
    history = months({"sold": {"Lan": 10}}, {"sold": {"Lan": 10, "Minh": 6}})
    minh = result(evaluate(body, history, header=header), "G", "Minh")
    assert exact(minh.value, 26) and minh.status == "fail"


def test_a_gap_before_a_new_key_keeps_every_older_key_unknown() -> None:
    # Lan sold in July, August is a gap, Minh appears in September: the sum over the window
    # of the keys that exist meets Lan's gap, so it is unknown, not Minh's 8 alone.
    history = [snap("2026-07", sold={"Lan": 10}), snap("2026-09", sold={"Lan": 10, "Minh": 8})]
    report = evaluate('threshold "Sum": sum(total(sold)) warn above 100\n', history)
    assert result(report, "Sum").status == "unknown"
    assert report.status == "warn"  # a real unknown counts


def test_a_sum_of_earlier_values_leaves_out_keys_that_did_not_exist_then() -> None:
    # sum(previous(sold)) in August reads July's keys: Lan's 1; An did not exist in July.
    report = evaluate(
        'threshold "Before": sum(previous(sold)) warn below 0\n', JOINING, at="2026-08"
    )
    assert exact(result(report, "Before").value, 1)


def test_data_really_missing_is_not_hidden_by_a_key_that_did_not_exist() -> None:
    # An's change is unknown only as An is new; orders has no value at all: that counts.
    body = 'threshold "A" per rep: change(sold) + orders warn below 0\n'
    report = evaluate(body, JOINING, at="2026-08")
    assert result(report, "A", "An").reason == "`orders` has no value in 2026-08"
    assert report.status == "warn"


def test_total_at_a_key_sums_only_the_periods_since_it_appeared() -> None:
    # July has no snapshot for the window's start... history: July (Lan), a gap in August,
    # September (Lan and An). Lan's total meets the gap: unknown. An's starts in September.
    history = [snap("2026-07", sold={"Lan": 5}), snap("2026-09", sold={"Lan": 5, "An": 7})]
    report = evaluate('goal "Total" per rep: total(sold) >= 5\n', history)
    assert result(report, "Total", "Lan").status == "unknown"
    assert exact(result(report, "Total", "An").value, 7)


def test_rolling_average_of_a_late_key_divides_by_its_own_periods() -> None:
    # At September, An has August and September: (4 + 8) / 2 = 6; Lan (3 + 3 + 3) / 3.
    history = months(
        {"sold": {"Lan": 3}}, {"sold": {"Lan": 3, "An": 4}}, {"sold": {"Lan": 3, "An": 8}}
    )
    report = evaluate('threshold "Avg" per rep: rolling_avg(sold, 3) warn below 1\n', history)
    assert exact(result(report, "Avg", "An").value, 6)
    assert exact(result(report, "Avg", "Lan").value, 3)


@settings(max_examples=80, deadline=None)
@given(evaluations())
def test_earlier_periods_in_which_a_key_is_absent_change_none_of_its_results(
    case: tuple[str, list[dict[str, Any]], str | None, bool],
) -> None:
    text, history, at, _strict = case
    # Without a `period` header the window is the history's own, and earlier periods would
    # move its start: a plan of another window.
    assume(PERIOD in text)
    plan = loads(text, filename="g.plan")
    first = min(snapshot["period"] for snapshot in history)
    year, month = int(first[:4]), int(first[5:])
    earlier = [snap(f"{y}-{m:02d}") for y, m in ((year, month - 1), (year, month - 2)) if m >= 1]
    before = plan.evaluate(history, at=at)
    after = plan.evaluate(earlier + history, at=at)
    keyed = [(r.rule, r.key, r.status, r.value) for r in before.results if r.key is not None]
    again = {(r.rule, r.key): (r.status, r.value) for r in after.results if r.key is not None}
    for rule, key, status, value in keyed:
        if (rule, key) in again:
            assert again[(rule, key)] == (status, value), (rule, key)


# ==== 4 and 5. Budgets: money already spent, and a whole budget's reason ======================

MIX = """\
budget "Mix" total 200 for spend {
    ads     100
    events  100
}
trigger "Move" when leads < 10 {
    shift 50% from ads to events
}
"""


def test_a_shift_never_cuts_a_line_below_what_it_has_spent() -> None:
    # ads planned 100, spent 30 + 50 = 80 by August: 50% asks for 50, but only 20 may move.
    history = months(
        {"leads": 5, "spend": {"ads": 30}}, {"leads": 5, "spend": {"ads": 50, "events": 10}}
    )
    report = evaluate(MIX, history)
    (adjustment,) = report.adjustments
    assert exact(adjustment.requested, 50) and exact(adjustment.applied, 20)
    assert adjustment.clipped == "ads has already spent 80 VND"
    allocation = report.allocation("Mix")
    assert allocation is not None
    proposed = {line.line: line.proposed for line in allocation.lines}
    assert exact(proposed["ads"], 80) and exact(proposed["events"], 120)


def test_an_unknown_spending_is_left_out_of_the_floor_with_a_warning() -> None:
    # August has no spend at all: the window's spending is unknown, the floor is 0.
    history = months({"leads": 5, "spend": {"ads": 30}}, {"leads": 5})
    report = evaluate(MIX, history)
    assert exact(report.adjustments[0].applied, 50)
    codes = [(w.code, w.key) for w in report.warnings]
    assert ("unknown-spent", "ads") in codes


def test_an_unknown_spending_is_told_on_standard_error(tmp_path: Any) -> None:
    plan = tmp_path / "mix.plan"
    plan.write_text(HEADER + MIX, encoding="utf-8")
    data = tmp_path / "mix.json"
    history = months({"leads": 5, "spend": {"ads": 30}}, {"leads": 5})
    data.write_text(json.dumps(history), encoding="utf-8")
    found = CliRunner().invoke(main, ["eval", str(plan), str(data)])
    assert 'warning: unknown-spent: what line ads of "Mix" has spent is unknown' in found.stderr
    strict = CliRunner().invoke(main, ["eval", str(plan), str(data), "--strict"])
    assert strict.exit_code == 2 and "error: unknown-spent" in strict.stderr


@settings(max_examples=120, deadline=None)
@given(evaluations())
def test_no_line_is_cut_below_what_it_has_spent(
    case: tuple[str, list[dict[str, Any]], str | None, bool],
) -> None:
    text, history, at, _strict = case
    plan = loads(text, filename="g.plan")
    report = plan.evaluate(history, at=at)
    for allocation in report.allocations:
        for line in allocation.lines:
            spent = report.result(allocation.budget, line.line)
            if spent is None or spent.value is None or line.proposed >= line.planned:
                continue
            node = next(b for b in plan.budgets if b.name == allocation.budget)
            if not node.per_period:
                assert line.proposed >= spent.value, (allocation.budget, line.line)


def test_a_whole_budget_says_which_check_decided_it() -> None:
    body = 'budget "Mix" total 200 for spend {\n    ads  100\n    events  100\n}\n'
    over_line = evaluate(body, months({"spend": {"ads": 120}}))
    assert result(over_line, "Mix").reason == "lines over their amount: ads"
    unplanned = evaluate(body, months({"spend": {"ads": 10, "radio": 5}}))
    assert result(unplanned, "Mix").reason == "spending on keys no line names: radio"
    # July is 1/3 of the window: the pace line is 1/3 x 110% of a plan.
    off_pace = evaluate(body, months({"spend": {"ads": 40}}))  # 40/100 > 11/30
    assert result(off_pace, "Mix").reason == "lines off pace: ads"
    # No line over its amount, but unplanned radio takes all spending past the total.
    whole = evaluate(body, months({"spend": {"ads": 30, "radio": 180}}))  # 210 > 200
    assert result(whole, "Mix").reason == "all spending is over the total"
    assert "all spending is over the total" in result(whole, "Mix").message
    assert result(evaluate(body, months({"spend": {"ads": 10}})), "Mix").reason is None


# ==== 6. Pacing follows the plan =============================================================


def test_a_goal_on_one_periods_figure_is_not_paced() -> None:
    body = 'goal "Month": revenue >= 500 by 2026-09-30\n'
    july_short = result(evaluate(body, months({"revenue": 300})), "Month")
    assert july_short.status == "warn"  # not yet there, and judged again at the deadline
    assert july_short.elapsed is None and july_short.progress is None
    assert july_short.forecast is None and july_short.required_per_period is None
    assert result(evaluate(body, months({"revenue": 600})), "Month").status == "pass"
    at_deadline = months({"revenue": 600}, {"revenue": 600}, {"revenue": 300})
    assert result(evaluate(body, at_deadline), "Month").status == "fail"


def test_a_stock_without_from_is_not_ahead_of_pace() -> None:
    # 4,200 of 5,000 customers in July was "ahead of pace" in version 1; it is not paced now.
    body = 'goal "Base": customers >= 5000 by 2026-09-30\n'
    found = result(evaluate(body, months({"customers": 4200})), "Base")
    assert found.status == "warn" and found.elapsed is None


def test_required_per_period_follows_the_remaining_phase_weights() -> None:
    # 100 of 1,000 in July; August weighs 30% and September 50%: shares 3/8 and 5/8 of 900.
    body = 'goal "G": total(revenue) >= 1000 by 2026-09-30 phased 20% 30% 50%\n'
    found = result(evaluate(body, months({"revenue": 100})), "G")
    assert exact(found.required_per_period, Fraction(675, 2))  # 900 x 3/8 = 337.5
    assert found.required_by_period == (
        Required("2026-08", "2026-08", Fraction(675, 2)),
        Required("2026-09", "2026-09", Fraction(1125, 2)),
    )
    data = evaluate(body, months({"revenue": 100})).to_dict()["results"][0]
    assert data["required_by_period"] == [
        {"period": "2026-08", "through": "2026-08", "amount": 337.5},
        {"period": "2026-09", "through": "2026-09", "amount": 562.5},
    ]


def test_equal_periods_needing_the_same_form_one_run() -> None:
    body = 'goal "G": total(revenue) >= 1000 by 2026-09-30\n'
    found = result(evaluate(body, months({"revenue": 100})), "G")
    assert found.required_by_period == (Required("2026-08", "2026-09", 450),)  # 900 / 2
    below = result(evaluate('goal "L": total(revenue) <= 1000 by 2026-09-30\n', months({})), "L")
    assert below.required_by_period is None


# ==== 7. Replay starts at the window's first period ==========================================


def test_replay_judges_only_the_plans_periods() -> None:
    history = months({"revenue": 1}, {"revenue": 1}, {"revenue": 1}, first=6)
    plan = ruleset('threshold "T": previous(revenue) warn below 0\n')
    replay = plan.replay(history)
    assert replay.periods == ("2026-07", "2026-08")
    # June is still read by history functions: previous(revenue) in July is June's.
    assert replay.rows[0].statuses == ("pass", "pass")


# ==== 10. Data that does not match the plan ==================================================

MISMATCH = """\
table quota: money by channel { zalo 5  facebook 3  else 1 }
threshold "Revenue": revenue warn below 5
threshold "Over quota" per channel: spend warn above quota
budget "B" total 100 for spend {
    zalo      50
    facebook  50
}
"""
MISMATCHED = {"period": "2026-07", "metrics": {"Revenue ": 5, "spend": {"Zalo": 3, "tiktok": 1}}}


def test_names_and_keys_that_look_like_the_plans_are_warned_about() -> None:
    report = evaluate(MISMATCH, MISMATCHED)
    found = {(w.code, w.metric, w.key, w.suggestion) for w in report.warnings}
    assert found == {
        ("unknown-metric", "Revenue ", None, "revenue"),
        ("unmatched-key", "quota", "Zalo", "zalo"),
        ("unplanned-key", "spend", "Zalo", "zalo"),
    }  # tiktok looks like nothing the plan names: a wide export stays quiet
    (metric,) = [w for w in report.warnings if w.code == "unknown-metric"]
    assert (metric.file, metric.period) == ("<snapshots>", "2026-07")
    assert report.to_dict()["warnings"][0]["code"] == "unknown-metric"


def test_warnings_go_to_standard_error_and_strict_makes_them_errors(tmp_path: Any) -> None:
    plan = tmp_path / "plan.plan"
    plan.write_text(HEADER + MISMATCH, encoding="utf-8")
    data = tmp_path / "data.json"
    data.write_text(json.dumps(MISMATCHED), encoding="utf-8")
    runner = CliRunner()
    relaxed = runner.invoke(main, ["eval", str(plan), str(data), "--format", "json"])
    assert relaxed.exit_code == 0
    assert f"{data}:2026-07: warning: unknown-metric: `Revenue ` is not" in relaxed.stderr
    assert json.loads(relaxed.stdout)["warnings"][0]["suggestion"] == "revenue"
    strict = runner.invoke(main, ["eval", str(plan), str(data), "--strict"])
    assert strict.exit_code == 2
    assert "error: unplanned-key" in strict.stderr and strict.stdout == ""
    replay = runner.invoke(main, ["replay", str(plan), str(data), "--strict"])
    assert replay.exit_code == 2 and "error: unmatched-key" in replay.stderr


# ==== 12. The API finds per-key results ======================================================


def test_results_of_a_rule_and_of_one_key() -> None:
    report = evaluate(SLOW_REP, JOINING)
    assert [r.key for r in report.results_for("Slow rep")] == ["An", "Lan"]
    assert result(report, "Slow rep", "An").key == "An"
    assert report.result("Slow rep") is None  # a per rule has no result without a key
    assert report.results_for("No such rule") == ()
