"""Ratios shown as the plan writes them (contract version 2; issue 10, point 8).

A ratio name compared only with literals written without `%` is shown as a plain number, with
two decimals or one more than its most precise literal; otherwise (a `%` literal, or no
literal at all) as a percent. A result follows its rule's own literals where they agree, else
its subject's form. The JSON report keeps its numbers.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from planrules.cli import main
from planrules.eval.evaluate import Ruleset, loads
from planrules.lang.check import check_source
from planrules.lang.ratio_forms import PERCENT, plain
from planrules.lang.source import Source
from planrules.report.explain import explain, render_explanation
from planrules.report.render import render_markdown, render_text

HEADER = """\
ruleset "Ads"
currency VND
period 2026-07-01 to 2026-09-30 monthly
metric revenue: money
metric ad_spend: money
metric clicks: count
metric visits: count
metric awareness: ratio
metric margin: ratio
metric rate: ratio by rep
let roas = revenue / ad_spend
let ctr = clicks / visits
"""

# revenue / ad_spend = 472.2 / 100 = 4.722; clicks / visits = 15 / 1000 = 1.5%.
JULY = {
    "period": "2026-07",
    "metrics": {
        "revenue": 472_200_000,
        "ad_spend": 100_000_000,
        "clicks": 15,
        "visits": 1000,
        "awareness": 0.35,
        "margin": 0.25,
        "rate": {"Lan": 0.042, "Minh": 0.061},
    },
}


def ruleset(body: str) -> Ruleset:
    return loads(HEADER + body, filename="ads.plan")


def message(ruleset: Ruleset, rule: str, key: str | None = None) -> str:
    result = ruleset.evaluate([JULY]).result(rule, key)
    assert result is not None
    return result.message


# ---- the form of a name ----------------------------------------------------------------------


def test_a_ratio_compared_only_with_plain_literals_is_a_plain_number() -> None:
    # roas is compared with 5 and 4 (no decimals): plain, with two decimals. 4.722 -> 4.72.
    plan = ruleset('threshold "ROAS": roas\n    warn below 5\n    fail below 4\n')
    assert plan.scope.forms["roas"] == plain(2)
    assert message(plan, "ROAS") == "4.72: warn below 5"


def test_any_percent_literal_makes_it_a_percent() -> None:
    # ctr is compared with 0.01 in the trigger and with 2% in the threshold: one `%` is enough.
    plan = ruleset(
        'threshold "CTR": ctr\n    warn below 2%\n'
        'trigger "Few clicks" when ctr < 0.01 {\n    recommend "CTR is {ctr}"\n}\n'
    )
    assert plan.scope.forms["ctr"] == PERCENT
    assert message(plan, "CTR") == "1.5%: warn below 2%"


def test_a_ratio_never_compared_with_a_literal_is_a_percent() -> None:
    # roas is read only in a recommendation; margin is compared with another ratio only.
    plan = ruleset(
        'trigger "Any" when margin < awareness {\n    recommend "ROAS is {roas}"\n}\n'
        'threshold "Margin": margin\n    warn below awareness\n'
    )
    assert plan.scope.forms["roas"] == PERCENT
    assert plan.scope.forms["margin"] == PERCENT
    assert message(plan, "Margin") == "25.0%: warn below awareness"
    report = plan.evaluate([JULY])
    assert report.recommendations[0].text == "ROAS is 472.2%"


def test_decimals_are_one_more_than_the_most_precise_literal() -> None:
    # 4.5 has one decimal and 3.25 two: three decimals for the name, so 4.722 is written
    # whole where the name is; the threshold follows its own literal, 4.5: two decimals.
    plan = ruleset(
        'threshold "ROAS": roas\n    warn below 4.5\n'
        'trigger "High ROAS" when roas > 3.25 {\n    recommend "ROAS {roas}"\n}\n'
    )
    assert plan.scope.forms["roas"] == plain(3)
    report = plan.evaluate([JULY])
    assert report.recommendations[0].text == "ROAS 4.722"
    assert message(plan, "ROAS") == "4.72: no level reached"


def test_a_ratio_table_takes_the_form_of_its_entries_and_gives_it_to_what_it_is_compared_with() -> (
    None
):
    # The table's entries 0.05 and 0.04 have two decimals: three decimals for the table and
    # for `rate`, compared with it (and with no literal). Minh's 0.061 passes, Lan's 0.042 fails.
    plan = ruleset(
        "table target_rate: ratio by rep { Minh 0.05  else 0.04 }\n"
        'goal "Rate" per rep: rate >= target_rate\n'
    )
    assert plan.scope.forms["target_rate"] == plain(3)
    assert plan.scope.forms["rate"] == plain(3)
    assert message(plan, "Rate", "Minh") == "0.061 against the target 0.050: met"


# ---- the form of a result --------------------------------------------------------------------


def test_a_result_follows_its_rules_literals_where_they_agree() -> None:
    # awareness is compared with 30% elsewhere, so the name is a percent; this threshold's
    # own levels are all plain, so its results are plain: 0.35 (two decimals, one more than
    # the one decimal of 0.3 and 0.2 would be 2 anyway).
    plan = ruleset(
        'trigger "Low awareness" when awareness < 30% {\n    recommend "{awareness}"\n}\n'
        'threshold "Awareness": awareness\n    warn below 0.3\n    fail below 0.2\n'
        'threshold "Awareness mixed": awareness\n    warn below 0.3\n    fail below 20%\n'
        'goal "Awareness goal": awareness >= 40%\n'
    )
    assert plan.scope.forms["awareness"] == PERCENT
    assert message(plan, "Awareness") == "0.35: no level reached"
    # Levels that disagree: the subject's form, the name's percent.
    assert message(plan, "Awareness mixed") == "35.0%: no level reached"
    assert message(plan, "Awareness goal") == "35.0% against the target 40.0%: missed"


def test_a_result_without_agreeing_literals_follows_its_subject() -> None:
    # roas is plain (compared with 5 and 4); a rule on roas with no literal of its own
    # follows roas, and one on an expression that is no name, with literals that disagree,
    # is a percent.
    plan = ruleset(
        'threshold "ROAS": roas\n    warn below 5\n    fail below 4\n'
        'threshold "ROAS against awareness": roas\n    warn below awareness\n'
        'threshold "Return mixed": revenue / ad_spend\n    warn below 500%\n    fail below 4\n'
    )
    assert message(plan, "ROAS against awareness") == "4.72: no level reached"
    assert message(plan, "Return mixed") == "472.2%: warn below 500%"


def test_every_key_of_a_per_rule_shares_its_rules_form() -> None:
    plan = ruleset('threshold "Rate" per rep: rate\n    warn below 0.05\n')
    results = plan.evaluate([JULY]).results_for("Rate")
    assert [r.message for r in results] == ["0.042: warn below 0.05", "0.061: no level reached"]
    assert results[0].form is results[1].form is plain(3)


def test_a_goals_target_expected_and_forecast_follow_the_form() -> None:
    # A paced goal on a ratio (with `from`): after July of three months, expected is
    # 2 + (5 - 2) x 1/3 = 3 and the forecast 2 + (4.722 - 2) x 3 = 10.166.
    plan = ruleset('goal "ROAS 5": roas >= 5 by 2026-09-30 from 2\n')
    report = plan.evaluate([JULY])
    text = render_text(report)
    assert "4.72" in text
    assert "target 5.00 · expected 3.00 · forecast 10.17" in text
    assert "| 4.72 |" in render_markdown(report)


def test_the_json_report_keeps_its_numbers() -> None:
    plan = ruleset('threshold "ROAS": roas\n    warn below 5\n')
    data = plan.evaluate([JULY]).to_dict()["results"][0]
    assert str(data["value"]) == "4.722"  # rounded to 4 decimals, as before
    assert data["message"] == "4.72: warn below 5"


def test_to_pass_writes_a_ratio_input_as_its_name() -> None:
    # margin is compared only with 0.3: to pass, 0.25 must rise by 0.05, to 0.30.
    plan = ruleset('threshold "Margin": margin\n    warn below 0.3\n')
    report = plan.evaluate([JULY])
    assert "to pass: margin +0.05 (to 0.30)" in render_text(report)


# ---- texts, explanations and diagnostics -----------------------------------------------------


def test_a_recommendation_writes_a_name_in_its_form_and_other_ratios_as_percents() -> None:
    plan = ruleset(
        'trigger "Check" when roas < 5 {\n'
        '    recommend "ROAS {roas}, that is {revenue / ad_spend} of spend"\n}\n'
    )
    report = plan.evaluate([JULY])
    assert report.recommendations[0].text == "ROAS 4.72, that is 472.2% of spend"


def test_explain_writes_a_ratio_name_in_its_form() -> None:
    plan = ruleset('threshold "ROAS": roas\n    warn below 5\n    fail below 4\n')
    text = render_explanation(explain(plan, [JULY], "ROAS"), "text")
    assert "  roas = 4.72\n" in text
    # The let's value is the name's; the division inside it, written out, too.
    assert "    let roas = revenue / ad_spend = 4.72\n" in text
    assert "4.72 < 5.00 = true" in text


def test_explain_writes_other_ratio_expressions_as_percents() -> None:
    # roas is plain (compared with 5); `roas + roas` is no name, and the 10 compared with it
    # is written as it is.
    plan = ruleset(
        'threshold "ROAS": roas\n    warn below 5\ntrigger "T" when roas + roas < 10 {\n}\n'
    )
    text = render_explanation(explain(plan, [JULY], "T"), "text")
    assert "    roas + roas = 944.4%\n" in text
    assert "      roas = 4.72\n" in text
    assert "    10 = 1,000.0%\n" in text


def test_checker_messages_quote_literals_as_written() -> None:
    source = HEADER + 'threshold "CTR": ctr\n    warn below 20%\n    fail below 25%\n'
    checked = check_source(Source.from_text("ads.plan", source))
    messages = [d.message for d in checked.diagnostics if d.code == "unreachable-level"]
    assert messages == ["`warn below 20%` can never be reached: `fail below 25%` is reached first"]


def test_cli_text_report_shows_roas_as_a_plain_number(tmp_path: Path) -> None:
    plan = tmp_path / "ads.plan"
    plan.write_text(
        HEADER + 'threshold "ROAS": roas\n    warn below 5\n    fail below 4\n', encoding="utf-8"
    )
    data = tmp_path / "july.json"
    data.write_text(json.dumps(JULY), encoding="utf-8")
    found = CliRunner().invoke(main, ["eval", str(plan), str(data)])
    assert found.exit_code == 0, found.output
    row = next(line for line in found.stdout.splitlines() if "ROAS" in line)
    assert row.split() == ["WARN", "ROAS", "4.72", "warn", "below", "5"]
    assert "%" not in row
