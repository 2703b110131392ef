"""What the evaluator writes for people (reasons, levels, clipping, data warnings) and
`planrules explain`, in the reader's language; English and JSON exactly as before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from planrules import i18n
from planrules.cli import main
from planrules.eval.evaluate import load, loads
from planrules.i18n.catalogue import catalogue_path
from planrules.lang.messages import Message
from planrules.lang.periods import period_label
from planrules.report.explain import explain, render_explanation
from planrules.report.render import render
from tests.conftest import RULESETS
from tests.test_reports import EXAMPLES

GAPPED = """ruleset "Doanh thu quý"
currency VND
period 2026-07-01 to 2026-09-30 monthly

metric doanh_thu: money
metric don: count

goal "Doanh thu": total(doanh_thu) >= 2 tỷ by 2026-09-30
threshold "Đơn": don
    warn below 400
"""

GAPPED_HISTORY = [
    {"period": "2026-07", "metrics": {"doanh_thu": 500_000_000, "don": 350}},
    {"period": "2026-09", "metrics": {"doanh_thu": 700_000_000, "don": 500}},
]


def run(*args: str) -> object:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# ---- reasons in reports --------------------------------------------------------------------


def test_a_gap_is_named_in_the_readers_language_and_the_json_keeps_english() -> None:
    ruleset = loads(GAPPED)
    report = ruleset.evaluate(GAPPED_HISTORY)
    english = "2026-08 has no snapshot (a gap in the history)"
    assert report.result("Doanh thu", None).reason == english  # type: ignore[union-attr]
    vietnamese = render(report, "text", lang="vi")
    assert "2026-08 không có số liệu (khoảng trống trong lịch sử)" in vietnamese
    assert english not in vietnamese
    assert "2026-08 没有快照（历史中的空缺）" in render(report, "markdown", lang="zh")
    data = json.loads(render(report, "json", lang="vi"))
    assert english in [result.get("reason") for result in data["results"]]
    assert english in render(report, "text")


def test_a_thresholds_level_in_the_readers_language() -> None:
    report = loads(GAPPED).evaluate(GAPPED_HISTORY, at="2026-07")
    assert report.result("Đơn", None).level == "warn below 400"  # type: ignore[union-attr]
    assert "cảnh báo khi dưới 400" in render(report, "text", lang="vi")
    assert "低于 400 警告" in render(report, "junit", lang="zh")


def translated_ids(code: str) -> set[str]:
    from babel.messages.pofile import read_po

    with catalogue_path(code).open("rb") as source:
        return {m.id for m in read_po(source, locale=code) if isinstance(m.id, str) and m.string}


def texts_for_people(report) -> list[str]:  # type: ignore[no-untyped-def]
    found = [r.reason for r in report.results if r.reason]
    found += [r.level for r in report.results if r.level]
    found += [a.clipped for a in report.adjustments if a.clipped]
    found += [w.message for w in report.warnings]
    return found


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_reason_of_the_examples_is_a_translated_message(name: str) -> None:
    """At every period of each example, each reason, level, clipping and warning is a
    message with a Vietnamese translation: none would be left in English in a report."""
    ruleset = load(str(RULESETS / f"{name}.plan"))
    history = ruleset.read([str(RULESETS / f"{name}.json")])
    translated = translated_ids("vi")
    for snapshot in history.snapshots:
        report = ruleset.evaluate(history, at=period_label(snapshot.period))
        for text in texts_for_people(report):
            assert isinstance(text, Message), text
            assert text.template in translated, text.template


# ---- explain -------------------------------------------------------------------------------


def explained(name: str, rule: str, lang: str | None, key: str | None = None) -> str:
    ruleset = load(str(RULESETS / f"{name}.plan"))
    history = ruleset.read([str(RULESETS / f"{name}.json")])
    with i18n.speaking(lang):
        return render_explanation(explain(ruleset, history, rule, key=key), "text")


def test_a_goal_explained_in_vietnamese() -> None:
    lines = explained("saado", "Doanh thu 2 tỷ", "vi").splitlines()
    assert lines[0] == "Doanh thu 2 tỷ (mục tiêu) tính đến 2026-09: không đạt"
    assert "  total(doanh_thu) = 1.860.000.000 ₫" in lines
    assert "    doanh_thu ở kỳ 2026-07 = 560.000.000 ₫" in lines
    assert "  1.860.000.000 ₫ >= 2.000.000.000 ₫ = sai" in lines
    assert "  đã qua = 100,0% (đã đến kỳ của hạn chót)" in lines
    assert lines[-1] == "kết luận = không đạt: ở kỳ của hạn chót, phép so sánh không đúng"


def test_a_clipped_shift_explained_in_vietnamese() -> None:
    text = explained("promotion_budget", "Awareness lagging", "vi")
    assert "bị giới hạn = public_relations sẽ vượt mức tỷ trọng 24%" in text
    assert "kết luận = " in text
    english = explained("promotion_budget", "Awareness lagging", None)
    assert "clipped = public_relations would rise above its 24% share" in english


def test_a_gap_explained_in_chinese() -> None:
    ruleset = loads(GAPPED)
    with i18n.speaking("zh"):
        text = render_explanation(explain(ruleset, GAPPED_HISTORY, "Doanh thu"), "text")
    assert "原因：2026-08 没有快照（历史中的空缺）" in text
    assert "gap" not in text


def test_explain_on_the_command_line_speaks_the_language_and_json_stays_english() -> None:
    plan, data = str(RULESETS / "saado.plan"), str(RULESETS / "saado.json")
    text = run("explain", plan, data, "--rule", "Doanh thu 2 tỷ", "--lang", "vi")
    assert "kết luận = không đạt" in text.stdout  # type: ignore[attr-defined]
    english = run("explain", plan, data, "--rule", "Doanh thu 2 tỷ", "--format", "json")
    vietnamese = run(
        "explain", plan, data, "--rule", "Doanh thu 2 tỷ", "--format", "json", "--lang", "vi"
    )
    assert vietnamese.stdout == english.stdout  # type: ignore[attr-defined]


# ---- the command line's own lines ----------------------------------------------------------


def test_data_warnings_and_input_errors_in_the_readers_language(tmp_path: Path) -> None:
    plan = tmp_path / "plan.plan"
    plan.write_text(GAPPED, "utf-8")
    data = tmp_path / "data.json"
    snapshot = {"period": "2026-07", "metrics": {"don": 2, "doanh_thuu": 3}}
    data.write_text(json.dumps([snapshot]), "utf-8")
    result = run("eval", str(plan), str(data), "--lang", "vi")
    assert "cảnh báo: unknown-metric: `doanh_thuu` không phải chỉ số của bộ quy tắc" in (
        result.stderr  # type: ignore[attr-defined]
    )
    missing = run("eval", str(plan), str(tmp_path / "none.json"), "--lang", "zh")
    assert "错误：" in missing.stderr and "文件不存在" in missing.stderr  # type: ignore[attr-defined]
    english = run("eval", str(plan), str(tmp_path / "none.json"))
    assert "error: " in english.stderr and "no such file" in english.stderr  # type: ignore[attr-defined]


def test_a_ruleset_with_errors_is_not_evaluated_in_the_readers_language(tmp_path: Path) -> None:
    plan = tmp_path / "plan.plan"
    plan.write_text(GAPPED.replace("total(doanh_thu)", "total(doanh_thuu)"), "utf-8")
    result = run("eval", str(plan), str(tmp_path / "data.json"), "--lang", "vi")
    assert f"{plan}: không đánh giá, tệp có lỗi" in result.stderr  # type: ignore[attr-defined]
