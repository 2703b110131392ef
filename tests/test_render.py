"""Reports written out as text, JSON, Markdown and JUnit XML (planrules.report.render)."""

from __future__ import annotations

import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from planrules.eval.evaluate import load
from planrules.eval.values import Num
from planrules.report.json_text import json_text
from planrules.report.model import (
    Adjustment,
    Allocation,
    AllocationLine,
    Change,
    Location,
    Pacing,
    Recommendation,
    Report,
    Result,
    Results,
    Share,
)
from planrules.report.render import (
    FORMATS,
    render,
    render_json,
    render_junit,
    render_markdown,
    render_text,
)
from tests.conftest import RULESETS

ESCAPE = "\x1b"
STATUS_WORDS = ("PASS", "WARN", "FAIL", "UNKNOWN", "FIRED", "QUIET", "COOLING")


# ---- reports built by hand -----------------------------------------------------------------


def here(line: int = 1) -> Location:
    return Location("plan.plan", line, 1)


def goal(
    rule: str = "Revenue 2 billion",
    status: str = "warn",
    key: str | None = None,
    owner: str | None = "Sales lead",
) -> Result:
    """The goal of the language reference's example: 1.21 billion of 2 billion, 2/3 gone."""
    return Result(
        rule=rule,
        kind="goal",
        key=key,
        status=status,
        value=1_210_000_000,
        owner=owner,
        location=here(19),
        unit="money",
        target=2_000_000_000,
        pacing=Pacing(
            elapsed=Fraction(2, 3),
            remaining=1,
            paced=True,
            forecasting=True,
            per_period=True,
            ahead=True,
            schedule=(Share("2026-09", "2026-09", 1),),
        ),
    )


def threshold(
    rule: str = "Orders per rep",
    status: str = "fail",
    key: str | None = "Minh",
    value: Num = 18,
    unit: str = "count",
    level: str | None = "fail below 20",
    owner: str | None = None,
) -> Result:
    return Result(
        rule=rule,
        kind="threshold",
        key=key,
        status=status,
        value=value,
        owner=owner,
        location=here(30),
        unit=unit,
        level=level,
    )


def budget(key: str | None = "advertising", status: str = "pass") -> Result:
    return Result(
        rule="Promotion mix",
        kind="budget",
        key=key,
        status=status,
        value=255_000_000,
        owner="Marketing",
        location=here(40),
        unit="money",
        planned=340_000_000,
        used=Fraction(3, 4),
    )


def trigger(
    rule: str = "Conversion slump",
    status: str = "fired",
    severity: str = "warn",
    key: str | None = None,
    held: tuple[str, ...] = ("2026-07", "2026-08"),
) -> Result:
    return Result(
        rule=rule,
        kind="trigger",
        key=key,
        status=status,
        value=None,
        owner=None,
        location=here(50),
        severity=severity,
        held=held,
        last_fired="2026-08" if status != "quiet" else None,
    )


def unknown(rule: str = "Cost per order") -> Result:
    return Result(
        rule=rule,
        kind="threshold",
        key=None,
        status="unknown",
        value=None,
        owner=None,
        location=here(35),
        unit="money",
        reason="orders is 0 in 2026-08: cannot divide",
    )


SHIFT = Adjustment(
    trigger="Conversion slump",
    key=None,
    action="shift",
    budget="Promotion mix",
    requested=34_000_000,
    applied=30_200_000,
    clipped="advertising would fall below its 20% share",
    source="advertising",
    destination="sales_promotion",
)
SCALE = Adjustment(
    trigger="Conversion slump",
    key=None,
    action="scale",
    budget="Other budget",
    requested=Decimal("-5000000.00"),
    applied=Decimal("-5000000.00"),
    clipped=None,
    line="events",
)
MIX = Allocation(
    "Promotion mix",
    1_549_000_000,
    (
        AllocationLine("advertising", 340_000_000, 309_800_000),
        AllocationLine("direct_marketing", 100_000_000, 100_000_000),
        AllocationLine("sales_promotion", 324_000_000, 354_200_000),
    ),
)
UNTOUCHED = Allocation("Untouched", 10, (AllocationLine("only", 10, 10),))
OTHER = Allocation("Other budget", 50_000_000, (AllocationLine("events", 50_000_000, 45_000_000),))


def make_report(
    results: tuple[Result, ...],
    status: str = "fail",
    adjustments: tuple[Adjustment, ...] = (),
    allocations: tuple[Allocation, ...] = (),
    recommendations: tuple[Recommendation, ...] = (),
    ruleset: str = "SAADO Q3 online launch",
    currency: str | None = "VND",
) -> Report:
    return Report(
        ruleset=ruleset,
        as_of="2026-08",
        currency=currency,
        status=status,
        results=Results.of(results),
        adjustments=adjustments,
        allocations=allocations,
        recommendations=recommendations,
    )


def every_status() -> Report:
    """One result of every status, with an adjustment, allocations and a recommendation."""
    return make_report(
        (
            goal(status="warn"),
            threshold(status="fail"),
            threshold(rule="Orders per rep", key="Lan", status="pass", value=40, level=None),
            unknown(),
            budget(),
            trigger(status="fired"),
            trigger(rule="Awareness", status="quiet", severity="info"),
            trigger(rule="Costly channel", status="cooling", key="social"),
        ),
        adjustments=(SHIFT,),
        allocations=(MIX, UNTOUCHED),
        recommendations=(
            Recommendation("Conversion slump", None, "Conversion is 1.8%: review the scripts"),
        ),
    )


def loaded(name: str, at: str | None = None) -> Report:
    ruleset = load(str(RULESETS / f"{name}.plan"))
    return ruleset.evaluate(ruleset.read([str(RULESETS / f"{name}.json")]), at=at)


def cells(text: str) -> int:
    """Terminal cells, counted independently of the module under test."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


# ---- JSON ----------------------------------------------------------------------------------


@pytest.mark.parametrize("report", [every_status(), make_report(())], ids=["full", "empty"])
def test_json_parses_back_to_the_model(report: Report) -> None:
    text = render_json(report)
    assert json.loads(text, parse_float=Decimal) == report.to_dict()


@pytest.mark.parametrize("name", ["saado", "online_channel_zh"])
def test_json_of_loaded_examples_parses_back(name: str) -> None:
    report = loaded(name)
    assert json.loads(render_json(report), parse_float=Decimal) == report.to_dict()


def test_json_keeps_the_models_key_order() -> None:
    report = every_status()
    parsed = json.loads(render_json(report), parse_float=Decimal)
    expected = report.to_dict()
    assert list(parsed) == list(expected)
    for written, model in zip(parsed["results"], expected["results"], strict=True):
        assert list(written) == list(model)
    assert list(parsed["allocations"]["Promotion mix"]) == [line.line for line in MIX.lines]


def test_json_layout_is_indented_by_two_and_ends_with_a_newline() -> None:
    text = render_json(every_status())
    assert text.startswith('{\n  "ruleset": "SAADO Q3 online launch",\n  "as_of": "2026-08",\n')
    assert text.endswith("}\n")
    assert '"adjustments": [\n    {\n      "trigger": "Conversion slump",' in text
    assert json.loads(render_json(make_report(())))["results"] == []
    assert '"results": [],' in render_json(make_report(()))


def test_json_writes_exact_decimals_from_the_model() -> None:
    text = render_json(make_report((goal(), threshold(value=Fraction(1, 10000), unit="ratio"))))
    assert '"expected": 1333333333.33,' in text
    assert '"forecast": 1815000000,' in text
    assert '"required_per_period": 790000000,' in text
    assert '"elapsed": 0.6667,' in text
    assert '"value": 0.0001,' in text


def test_json_spells_decimals_in_plain_notation(monkeypatch: pytest.MonkeyPatch) -> None:
    numbers = {
        "long": Decimal("1333333333.33"),
        "small": Decimal("0.0001"),
        "exponent": Decimal("1E+3"),
        "tiny": Decimal("-2.5E-7"),
        "scaled": Decimal("1.20E+5"),
        "whole": 7,
        "flag": True,
        "nothing": None,
    }
    monkeypatch.setattr(Report, "to_dict", lambda self: numbers)
    text = render_json(make_report(()))
    assert text == (
        "{\n"
        '  "long": 1333333333.33,\n'
        '  "small": 0.0001,\n'
        '  "exponent": 1000,\n'
        '  "tiny": -0.00000025,\n'
        '  "scaled": 120000,\n'
        '  "whole": 7,\n'
        '  "flag": true,\n'
        '  "nothing": null\n'
        "}\n"
    )


@pytest.mark.parametrize(
    ("value", "spelled"),
    [
        (Decimal("1333333333.33"), "1333333333.33"),
        (Decimal("0.0001"), "0.0001"),
        (Decimal("1E+3"), "1000"),
        (Decimal("1E-4"), "0.0001"),
        (Decimal("-0.5"), "-0.5"),
        (Decimal("0"), "0"),
    ],
)
def test_json_numbers_are_plain(value: Decimal, spelled: str) -> None:
    assert json_text([value, "1E+3 is text"]) == f'[\n  {spelled},\n  "1E+3 is text"\n]\n'


def test_json_refuses_inexact_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Report, "to_dict", lambda self: {"value": Fraction(1, 3)})
    with pytest.raises(TypeError):
        render_json(make_report(()))


@pytest.mark.parametrize("value", [Decimal("Infinity"), Decimal("NaN")])
def test_json_refuses_infinite_decimals(value: Decimal) -> None:
    with pytest.raises(ValueError):
        json_text({"value": value})


def test_json_keeps_unicode_and_escapes_control_characters() -> None:
    report = make_report((threshold(rule="Doanh thu 2 tỷ", key="网络\n渠道"),))
    text = render_json(report)
    assert '"rule": "Doanh thu 2 tỷ"' in text
    assert '"key": "网络\\n渠道"' in text


# ---- text ----------------------------------------------------------------------------------


def result_rows(text: str) -> list[str]:
    """The rows of the result sections: indented lines that start with a status word."""
    return [line for line in text.splitlines() if line.lstrip().split(" ")[0] in STATUS_WORDS]


def test_text_has_a_word_for_every_status_and_no_escapes_without_color() -> None:
    text = render_text(every_status())
    assert ESCAPE not in text
    words = [row.split()[0] for row in result_rows(text)]
    assert sorted(set(words)) == sorted(STATUS_WORDS)


def test_text_colours_status_words_and_the_verdict_when_asked() -> None:
    text = render_text(every_status(), color=True)
    assert "\x1b[32mPASS\x1b[0m" in text
    assert "\x1b[33mWARN\x1b[0m" in text
    assert "\x1b[31mFAIL\x1b[0m" in text
    assert "\x1b[35mUNKNOWN\x1b[0m" in text
    assert "\x1b[1;31mFIRED\x1b[0m" in text
    assert "\x1b[2mQUIET\x1b[0m" in text
    assert "\x1b[2mCOOLING\x1b[0m" in text
    assert text.splitlines()[-1].startswith("\x1b[31mFAIL: ")
    # The words are still there without the colours.
    assert re.sub("\x1b\\[[0-9;]*m", "", text) == render_text(every_status())


def test_text_layout() -> None:
    text = render_text(every_status())
    lines = text.splitlines()
    assert lines[0] == "SAADO Q3 online launch — as of 2026-08"
    titles = [line for line in lines if line and not line.startswith(" ")]
    assert titles == [
        "SAADO Q3 online launch — as of 2026-08",
        "Goals",
        "Thresholds",
        "Budgets",
        "Triggers",
        "Adjustments",
        "Proposed allocation: Promotion mix",
        "Recommendations",
        "FAIL: 1 fail, 1 warn, 1 unknown, 2 pass, 1 fired, 1 quiet, 1 cooling",
    ]
    assert text.endswith("cooling\n")


def test_text_leaves_out_empty_sections_and_zero_counts() -> None:
    text = render_text(make_report((threshold(), trigger(status="quiet")), status="fail"))
    assert "Goals" not in text and "Budgets" not in text
    assert "Adjustments" not in text and "Recommendations" not in text
    assert text.splitlines()[-1] == "FAIL: 1 fail, 1 quiet"
    assert render_text(make_report((), status="pass")).splitlines()[-1] == "PASS: no results"


def row_of(text: str, name: str) -> str:
    (row,) = [row for row in result_rows(text) if f"  {name}" in row]
    return row


def test_text_goal_details() -> None:
    row = row_of(render_text(every_status()), "Revenue 2 billion")
    assert row.split()[0] == "WARN"
    assert (
        "1,210,000,000 VND  target 2,000,000,000 VND · expected 1,333,333,333 VND"
        " · forecast 1,815,000,000 VND · needs 790,000,000 VND/period"
    ) in row
    assert row.endswith("→ Sales lead")


def test_text_goal_past_its_deadline_shows_only_the_target() -> None:
    past = goal()
    past.pacing = Pacing(elapsed=1, remaining=0, paced=False, forecasting=True, per_period=True)
    row = row_of(render_text(make_report((past,))), "Revenue 2 billion")
    assert row.endswith("1,210,000,000 VND  target 2,000,000,000 VND  → Sales lead")


def test_text_threshold_budget_trigger_and_unknown_details() -> None:
    text = render_text(every_status())
    assert row_of(text, "Orders per rep [Minh]").endswith("18  fail below 20")
    assert row_of(text, "Orders per rep [Lan]").endswith("40")
    assert "Cost per order" in text
    assert row_of(text, "Cost per order").endswith("orders is 0 in 2026-08: cannot divide")
    assert row_of(text, "Promotion mix [advertising]").endswith(
        "255,000,000 VND  spent 255,000,000 VND of 340,000,000 VND (75.0%)  → Marketing"
    )
    assert row_of(text, "Conversion slump").endswith("warn · held 2026-07, 2026-08")
    assert row_of(text, "Awareness").endswith("info · held 2026-07, 2026-08")
    assert row_of(text, "Costly channel [social]").endswith(
        "warn · held 2026-07, 2026-08 · last fired 2026-08"
    )


def test_text_adjustments_allocation_and_recommendations() -> None:
    report = make_report(
        (trigger(),),
        adjustments=(SHIFT, SCALE),
        allocations=(MIX, UNTOUCHED, OTHER),
        recommendations=(Recommendation("Rep coaching", "Hoa", "Hoa: 330 orders"),),
    )
    lines = render_text(report).splitlines()
    assert (
        '  Conversion slump: shift 34,000,000 VND from advertising to sales_promotion in "Promotion'
        ' mix" · applied 30,200,000 VND · clipped: advertising would fall below its 20% share'
    ) in lines
    assert (
        '  Conversion slump: scale events by -5,000,000 VND in "Other budget" · applied in full'
    ) in lines
    start = lines.index("Proposed allocation: Promotion mix")
    assert lines[start + 1 : start + 5] == [
        "  line                      planned         proposed           change",
        "  advertising       340,000,000 VND  309,800,000 VND  -30,200,000 VND",
        "  direct_marketing  100,000,000 VND  100,000,000 VND",
        "  sales_promotion   324,000,000 VND  354,200,000 VND  +30,200,000 VND",
    ]
    assert "Proposed allocation: Other budget" in lines
    assert "Proposed allocation: Untouched" not in lines
    assert "  - Rep coaching [Hoa]: Hoa: 330 orders" in lines


def test_text_columns_line_up_with_wide_characters() -> None:
    report = make_report(
        (
            goal(rule="网络渠道收入20万元", owner="电商负责人"),
            goal(rule="Doanh thu 2 tỷ", key="Lan", owner="Trưởng nhóm sales"),
            threshold(rule="员工线索", key="刘洋", value=28, level="warn below 30"),
            threshold(rule="Orders", key="Minh", value=1_234_567, owner="Sales"),
            budget(key="微信小程序"),
            trigger(rule="平台投入产出低", key="抖音"),
        ),
        currency="CNY",
    )
    rows = result_rows(render_text(report))
    assert len(rows) == 6
    values = ["1,210,000,000 CNY", "1,210,000,000 CNY", "28", "1,234,567", "255,000,000 CNY"]
    # Values are right-aligned: each ends at the same cell on every row.
    valued = zip(rows[:5], values, strict=True)
    ends = {cells(row[: row.index(value) + len(value)]) for row, value in valued}
    assert len(ends) == 1
    # Names start at the same cell, and so do the details (after the value column).
    assert {cells(row[: row.index(row.split()[1])]) for row in rows} == {9}
    details = ["target", "target", "warn below 30", "", "spent", "warn ·"]
    starts = {cells(row[: row.index(d)]) for row, d in zip(rows, details, strict=True) if d}
    assert len(starts) == 1
    # The owners of a section line up too.
    goal_rows = rows[:2]
    assert len({cells(row[: row.index("→")]) for row in goal_rows}) == 1


def test_text_owners_follow_their_details_when_a_column_would_be_too_wide() -> None:
    long_details = threshold(rule="A", level="warn below " + "9" * 200, owner="Ops")
    short = threshold(rule="B", level="warn below 30", owner="Sales")
    rows = result_rows(render_text(make_report((long_details, short))))
    assert rows[1].endswith("warn below 30  → Sales")


def test_text_shows_control_characters_as_escapes() -> None:
    hostile = threshold(rule="Evil\x1b[2J rule", key="a\nb", owner="x\u202ey")
    text = render_text(make_report((hostile,)), color=False)
    assert ESCAPE not in text and "\u202e" not in text
    assert "Evil\\x1b[2J rule [a\\nb]" in text
    assert "→ x\\u202ey" in text
    assert len(result_rows(text)) == 1


def with_changes(result: Result, *changes: Change) -> Result:
    result.what_it_takes = lambda _: changes
    return result


def hint_lines(report: Report) -> list[str]:
    return [line for line in render_text(report).splitlines() if "to pass: " in line]


def test_text_hints_sit_under_the_rule_titles() -> None:
    short = with_changes(
        threshold(rule="A long rule title that pushes the details far to the right"),
        Change("orders", "Minh", 2, 20, "count"),
        Change("leads", "Minh", -100, 800, "count"),
    )
    text = render_text(make_report((short,)))
    [row] = result_rows(text)
    [hint] = hint_lines(make_report((short,)))
    assert hint == "        to pass: orders[Minh] +2 (to 20) or leads[Minh] -100 (to 800)"
    assert cells(hint[: hint.index("to pass")]) == cells(row[: row.index("A long")])


def test_text_hints_that_do_not_fit_100_columns_say_how_many_were_left_out() -> None:
    keyed = [Change("visits", f"channel {n}", 25_000, 62_000 + n, "count") for n in range(6)]
    money = Change("media_spend", "paid_search", -6_500_000, 15_500_000, "money")
    report = make_report(
        (
            with_changes(threshold(rule="Reach"), *keyed),
            with_changes(goal(rule="Cost"), money, Change("orders", None, 186, 1486, "count")),
        )
    )
    cost, reach = hint_lines(report)  # goals come first
    # 8 columns in, "to pass: " and two options of 37 columns each, " or " and " and 4 more":
    # 8 + 9 + 37 + 4 + 37 + 11 = 106 > 100; one option is 8 + 9 + 37 + 11 = 65.
    assert reach == "        to pass: visits[channel 0] +25,000 (to 62,000) and 5 more"
    # 8 + 9 + 59 + 4 + 22 = 102 > 100.
    assert cost == (
        "        to pass: media_spend[paid_search] -6,500,000 VND (to 15,500,000 VND) and 1 more"
    )
    assert all(cells(line) <= 100 for line in (reach, cost))


def test_text_hints_count_wide_characters_as_two_columns() -> None:
    keys = ["王芳王芳王芳", "陈静陈静陈静", "张伟张伟张伟"]
    changes = [Change("员工线索", key, 2, 30, "count") for key in keys]
    [hint] = hint_lines(make_report((with_changes(threshold(rule="员工线索"), *changes),)))
    # Each option is 8 + 14 + 11 = 33 columns in 23 characters. After "to pass: " there are
    # 100 - 8 - 9 = 83 columns: all three would fit by characters (3 * 23 + 2 * 4 = 77), only
    # two by columns (33 + 4 + 33 + 11 = 81; three take 3 * 33 + 2 * 4 = 107).
    assert hint == (
        "        to pass: 员工线索[王芳王芳王芳] +2 (to 30) or 员工线索[陈静陈静陈静] +2 (to 30)"
        " and 1 more"
    )
    assert cells(hint) == 98


def test_text_hints_cut_a_label_too_long_for_the_line() -> None:
    changes = [Change("sold", "x" * 120, 5, 10, "count"), Change("sold", "y", 6, 11, "count")]
    [hint] = hint_lines(make_report((with_changes(threshold(), *changes),)))
    assert cells(hint) == 100
    assert hint.endswith("xxx… +5 (to 10) and 1 more")


def test_text_hints_never_cut_a_number() -> None:
    huge = Change("revenue", None, Decimal("-2e24") + Decimal("0.01"), 10**24, "money")
    [hint] = hint_lines(make_report((with_changes(goal(), huge),)))
    assert hint == "        to pass: too long for this line: see the JSON report"


# ---- Markdown ------------------------------------------------------------------------------


def test_markdown_layout() -> None:
    text = render_markdown(every_status())
    assert text.startswith(
        "## SAADO Q3 online launch — as of 2026-08\n\n"
        "**FAIL: 1 fail, 1 warn, 1 unknown, 2 pass, 1 fired, 1 quiet, 1 cooling**\n\n"
        "### Goals\n\n"
        "| Status | Rule | Key | Value | Details | Owner |\n"
        "| --- | --- | --- | ---: | --- | --- |\n"
        "| WARN | Revenue 2 billion |  | 1,210,000,000 VND | target 2,000,000,000 VND · expected"
        " 1,333,333,333 VND · forecast 1,815,000,000 VND · needs 790,000,000 VND/period |"
        " Sales lead |\n"
    )
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == [
        "## SAADO Q3 online launch — as of 2026-08",
        "### Goals",
        "### Thresholds",
        "### Budgets",
        "### Triggers",
        "### Adjustments",
        "### Proposed allocation: Promotion mix",
        "### Recommendations",
    ]
    assert "| FAIL | Orders per rep | Minh | 18 | fail below 20 |  |" in text
    assert (
        "| Conversion slump |  | shift from advertising to sales\\_promotion | Promotion mix |"
        " 34,000,000 VND | 30,200,000 VND | advertising would fall below its 20% share |"
    ) in text
    assert "| Line | Planned | Proposed | Change |\n| --- | ---: | ---: | ---: |" in text
    assert "| advertising | 340,000,000 VND | 309,800,000 VND | -30,200,000 VND |" in text
    assert text.endswith("- Conversion slump: Conversion is 1.8%: review the scripts\n")


def unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)(?:\\\\)*\|", line))


def test_markdown_escapes_pipes_and_newlines_in_cells() -> None:
    report = make_report(
        (
            threshold(rule="Cost | order", key="a\nb", owner="back\\slash|"),
            threshold(rule="Plain", key=None),
        ),
        recommendations=(Recommendation("T|x", "k", "line one\nline | two <b>&</b>"),),
    )
    text = render_markdown(report)
    table = [line for line in text.splitlines() if line.startswith("|")]
    assert {unescaped_pipes(line) for line in table} == {7}
    assert "| Cost \\| order | a<br>b |" in text
    assert "| back\\\\slash\\| |" in text
    assert "- T\\|x \\[k\\]: line one<br>line \\| two &lt;b&gt;&amp;&lt;/b&gt;" in text


# ---- JUnit ---------------------------------------------------------------------------------


def parse_junit(text: str) -> ET.Element:
    assert text.startswith("<?xml version='1.0' encoding='UTF-8'?>\n")
    assert text.endswith("</testsuites>\n")
    return ET.fromstring(text.encode("utf-8"))


def outcome(case: ET.Element) -> str:
    if case.find("failure") is not None:
        return "failure"
    if case.find("error") is not None:
        return "error"
    return "noted" if case.find("system-out") is not None else "passed"


def test_junit_counts_and_outcomes_per_status() -> None:
    report = make_report(
        (
            goal(status="warn"),
            threshold(status="fail"),
            threshold(key="Lan", status="pass", level=None),
            unknown(),
            trigger(rule="Fired warn", status="fired", severity="warn"),
            trigger(rule="Fired fail", status="fired", severity="fail"),
            trigger(rule="Fired info", status="fired", severity="info"),
            trigger(rule="Quiet fail", status="quiet", severity="fail"),
            trigger(rule="Cooling fail", status="cooling", severity="fail"),
        )
    )
    root = parse_junit(render_junit(report))
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert suite.attrib == {
        "name": "SAADO Q3 online launch",
        "tests": "9",
        "failures": "2",
        "errors": "1",
        "skipped": "0",
    }
    assert {k: root.attrib[k] for k in ("tests", "failures", "errors")} == {
        "tests": "9",
        "failures": "2",
        "errors": "1",
    }
    cases = {case.attrib["name"]: case for case in suite.iter("testcase")}
    assert {name: outcome(case) for name, case in cases.items()} == {
        "Revenue 2 billion": "noted",
        "Orders per rep [Minh]": "failure",
        "Orders per rep [Lan]": "passed",
        "Cost per order": "error",
        "Fired warn": "noted",
        "Fired fail": "failure",
        "Fired info": "passed",
        "Quiet fail": "passed",
        "Cooling fail": "passed",
    }
    assert cases["Revenue 2 billion"].attrib["classname"] == "SAADO Q3 online launch.goal"
    assert cases["Cost per order"].attrib["classname"] == "SAADO Q3 online launch.threshold"
    failure = cases["Orders per rep [Minh]"].find("failure")
    assert failure is not None and failure.attrib["message"] == "18: fail below 20"
    error = cases["Cost per order"].find("error")
    assert error is not None and error.attrib["message"] == "orders is 0 in 2026-08: cannot divide"
    note = cases["Revenue 2 billion"].findtext("system-out")
    assert note == report.results[0].message_in(report.currency)


def test_junit_fail_on_warn_turns_warnings_into_failures() -> None:
    report = make_report(
        (
            goal(status="warn"),
            trigger(status="fired", severity="warn"),
            trigger(rule="Info", status="fired", severity="info"),
        )
    )
    suite = parse_junit(render_junit(report, fail_on_warn=True)).find("testsuite")
    assert suite is not None
    assert (suite.attrib["failures"], suite.attrib["errors"]) == ("2", "0")
    failure = suite.find("testcase/failure")
    assert failure is not None and failure.attrib["type"] == "warn"


def test_junit_keeps_xml_special_characters() -> None:
    name = 'Cost <per> "order" & more'
    text = 'Ship <b>now</b> & say "thanks"'
    report = make_report(
        (threshold(rule=name, key='k&"<'), trigger(rule='Slump <&">', status="fired")),
        ruleset='R&D <"plan">',
        recommendations=(Recommendation('Slump <&">', None, text),),
    )
    written = render_junit(report)
    suite = parse_junit(written).find("testsuite")
    assert suite is not None
    assert suite.attrib["name"] == 'R&D <"plan">'
    names = [case.attrib["name"] for case in suite.iter("testcase")]
    assert names == [f'{name} [k&"<]', 'Slump <&">']
    assert suite.findall("testcase")[0].attrib["classname"] == 'R&D <"plan">.threshold'
    notes = suite.findall("testcase")[1].findtext("system-out")
    assert notes is not None and f"recommendation: {text}" in notes.splitlines()


def test_junit_survives_characters_xml_cannot_hold() -> None:
    report = make_report((threshold(rule="bell\x07 and nul\x00", key="line\nbreak"),))
    suite = parse_junit(render_junit(report)).find("testsuite")
    assert suite is not None
    case = suite.find("testcase")
    assert case is not None and case.attrib["name"] == "bell\\x07 and nul\\x00 [line\nbreak]"


def test_junit_attaches_adjustments_to_their_trigger() -> None:
    report = make_report((trigger(),), adjustments=(SHIFT,), allocations=(MIX,))
    case = parse_junit(render_junit(report)).find("testsuite/testcase")
    assert case is not None
    out = case.findtext("system-out")
    assert out is not None
    assert 'shift 34,000,000 VND from advertising to sales_promotion in "Promotion mix"' in out


# ---- the dispatcher and the examples -------------------------------------------------------


def test_render_dispatches_by_format() -> None:
    report = every_status()
    assert FORMATS == ("text", "json", "markdown", "junit", "html")
    assert render(report, "json") == render_json(report)
    assert render(report, "text", color=True) == render_text(report, color=True)
    assert render(report, "markdown") == render_markdown(report)
    assert render(report, "junit", fail_on_warn=True) == render_junit(report, fail_on_warn=True)
    assert render(report, "html").startswith("<!DOCTYPE html>")
    with pytest.raises(ValueError, match="unknown format 'yaml'"):
        render(report, "yaml")


@pytest.mark.parametrize("at", [None, "2026-07"])
@pytest.mark.parametrize("format", FORMATS)
def test_every_format_renders_the_saado_example(format: str, at: str | None) -> None:
    report = loaded("saado", at)
    text = render(report, format)
    assert text.endswith("\n")
    assert ESCAPE not in text
    if format == "text":
        counted: dict[str, Any] = report.counts
        words = [row.split()[0].lower() for row in result_rows(text)]
        assert {w: words.count(w) for w in counted} == counted
        assert text.splitlines()[-1].startswith(f"{report.status.upper()}: ")
