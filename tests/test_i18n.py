"""Reports in the reader's language (`--lang vi|zh|en`): catalogues, numbers, key order.

Golden reports of the example rulesets in Vietnamese and Chinese follow `test_reports.py`'s
pattern; regenerate with `PLANRULES_UPDATE_GOLDEN=1` and read the diff before keeping it.
"""

from __future__ import annotations

import json
import os
import re
import sys
import zipfile
from decimal import Decimal
from pathlib import Path
from string import Formatter

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from click.testing import CliRunner
from hypothesis import assume, given
from hypothesis import strategies as st

from planrules import i18n
from planrules.cli import main
from planrules.eval.evaluate import load
from planrules.eval.snapshot_locale import TextNumbers, reads_two_ways
from planrules.eval.values import describe as describe_in_english
from planrules.i18n.catalogue import EXTRACTION_KEYWORDS, catalogue_path
from planrules.i18n.numbers import LocaleNumbers
from planrules.lang.fmt import display_width
from planrules.lang.ratio_forms import plain
from planrules.report.render import render
from tests.conftest import ROOT, RULESETS
from tests.test_packaging import build_wheel
from tests.test_reports import GOLDEN, compare

TRANSLATED = [code for code in i18n.LANGUAGES if code != i18n.ENGLISH]
SOURCE = ROOT / "src" / "planrules"


# ---- catalogues ----------------------------------------------------------------------------


def extracted_messages() -> set[str]:
    """Every message id the source marks (`_`, `ngettext`, `N_`, `Message`), as Babel's
    extractor finds them: the same tool a translator would run."""
    found = set()
    marked = extract_from_dir(str(SOURCE), keywords=EXTRACTION_KEYWORDS)
    for _file, _line, message, _comments, _context in marked:
        found.add(message if isinstance(message, str) else message[0])
    return found


def catalogue(code: str):  # type: ignore[no-untyped-def]
    with catalogue_path(code).open("rb") as source:
        return read_po(source, locale=code)


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_has_a_translation_and_no_catalogue_entry_is_stale(code: str) -> None:
    entries = {(m.id if isinstance(m.id, str) else m.id[0]): m for m in catalogue(code) if m.id}
    messages = extracted_messages()
    assert messages, "the extractor found no message"
    assert sorted(messages - entries.keys()) == []
    assert sorted(entries.keys() - messages) == []
    untranslated = [key for key, m in entries.items() if not m.string or m.fuzzy]
    assert untranslated == []


@pytest.mark.parametrize("code", TRANSLATED)
def test_translations_keep_every_placeholder(code: str) -> None:
    for message in catalogue(code):
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        wanted = placeholders(ids[-1])
        for string in strings:
            assert placeholders(string) == wanted, message.id


def placeholders(template: str) -> set[tuple[str, str | None, str | None]]:
    """The fields `str.format` fills in `template`, as Python reads it (`{{` is a brace)."""
    return {
        (name, conversion, spec)
        for _text, name, spec, conversion in Formatter().parse(template)
        if name is not None
    }


def test_the_wheel_ships_the_catalogues(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for code in TRANSLATED:
        assert f"planrules/locale/{code}/LC_MESSAGES/planrules.po" in names


# ---- numbers -------------------------------------------------------------------------------


def test_vietnamese_and_chinese_money_and_percents() -> None:
    vi, zh = LocaleNumbers("vi"), LocaleNumbers("zh")
    assert vi.describe(1_549_000_000, "money", "VND") == "1.549.000.000 ₫"
    assert vi.compact(1_549_000_000, "money", "VND", None) == "1,55 tỷ ₫"
    assert vi.describe(Decimal("0.2195"), "ratio", None, _percent(2)) == "21,95%"
    assert zh.describe(1_549_000, "money", "CNY") == "1,549,000元"
    assert zh.compact(1_549_000, "money", "CNY", None) == "154.9万元"
    # Below the first scale word worth using, the full figure.
    assert zh.compact(3_800, "money", "CNY", None) == "3,800元"


def _percent(decimals: int):  # type: ignore[no-untyped-def]
    from planrules.lang.ratio_forms import RatioForm

    return RatioForm(True, decimals)


def test_rounding_is_half_away_from_zero_in_every_form() -> None:
    vi = LocaleNumbers("vi")
    assert vi.describe(Decimal("2.5"), "count", None) == "3"
    assert vi.describe(Decimal("-2.5"), "count", None) == "-3"
    assert vi.describe(Decimal("0.125"), "number", None) == "0,13"
    assert vi.compact(1_245_000, "money", "VND", None) == "1,25 triệu ₫"


amounts = st.integers(min_value=-(10**15), max_value=10**15)
hundredths = st.builds(lambda n: Decimal(n).scaleb(-2), amounts)


@given(value=st.one_of(amounts, hundredths), unit=st.sampled_from(["money", "count", "number"]))
def test_english_through_babel_writes_what_the_evaluator_writes(value: Decimal, unit: str) -> None:
    """One set of rounding rules: the locale writer given English agrees with `describe`."""
    assert LocaleNumbers("en").describe(value, unit, "VND") == describe_in_english(
        value, unit, "VND"
    )


@given(value=st.one_of(amounts, hundredths), decimals=st.integers(0, 4))
def test_english_ratios_through_babel_write_what_the_evaluator_writes(
    value: Decimal, decimals: int
) -> None:
    for form in (plain(decimals), _percent(decimals)):
        assert LocaleNumbers("en").describe(value, "ratio", None, form) == describe_in_english(
            value, "ratio", None, form
        )


@given(value=st.one_of(amounts, hundredths), unit=st.sampled_from(["money", "count", "number"]))
def test_a_vietnamese_number_reads_back_exactly(value: Decimal, unit: str) -> None:
    written = LocaleNumbers("vi").describe(value, unit, "VND")
    # `1.549` reads two ways whatever the locale: the reader refuses it by design.
    assume(not reads_two_ways(written.removesuffix(" ₫")))
    rounded = Decimal(describe_in_english(value, unit).replace(",", ""))
    assert TextNumbers("vi", "VND").read(written) == rounded


# ---- collation -----------------------------------------------------------------------------


def ordered(code: str, keys: list[str]) -> list[str]:
    return sorted(keys, key=i18n.language(code).sort_key)


def test_vietnamese_order() -> None:
    assert ordered("vi", ["Văn phòng", "Đại lý", "Cửa hàng"]) == ["Cửa hàng", "Đại lý", "Văn phòng"]
    # ă, â, ê, ô, ơ, ư are letters of their own, after the plain letter.
    assert ordered("vi", ["ân", "ăn", "az", "an", "b"]) == ["an", "az", "ăn", "ân", "b"]
    assert ordered("vi", ["ơi", "ông", "oz"]) == ["oz", "ông", "ơi"]


def test_chinese_order_is_by_pinyin() -> None:
    names = ["王芳", "张伟", "李娜", "刘洋", "陈静"]
    assert ordered("zh", names) == ["陈静", "李娜", "刘洋", "王芳", "张伟"]


def test_english_ties_keep_code_point_order() -> None:
    assert ordered("en", ["b", "B", "a"]) == ["B", "a", "b"]


# ---- reports -------------------------------------------------------------------------------

GOLDEN_LANGUAGES = [("saado", "vi"), ("online_channel_zh", "zh"), ("promotion_budget", "vi")]


@pytest.mark.parametrize(("name", "code"), GOLDEN_LANGUAGES)
@pytest.mark.parametrize(("format", "suffix"), [("text", "txt"), ("markdown", "md")])
def test_golden_reports_in_the_readers_language(
    name: str, code: str, format: str, suffix: str
) -> None:
    os.chdir(ROOT)
    ruleset = load(f"rulesets/{name}.plan")
    report = ruleset.evaluate(ruleset.read([f"rulesets/{name}.json"]))
    compare(GOLDEN / name / f"report.{code}.{suffix}", render(report, format, lang=code))


def test_the_json_report_stays_english_whatever_the_language() -> None:
    ruleset = load(str(RULESETS / "saado.plan"))
    report = ruleset.evaluate(ruleset.read([str(RULESETS / "saado.json")]))
    assert render(report, "json", lang="vi") == render(report, "json")
    with i18n.speaking("vi"):
        assert render(report, "json") == render(report, "json", lang="en")


def test_keys_are_listed_worst_first_then_in_the_readers_order() -> None:
    ruleset = load(str(RULESETS / "online_channel_zh.plan"))
    report = ruleset.evaluate(ruleset.read([str(RULESETS / "online_channel_zh.json")]))
    text = render(report, "text", lang="zh")
    leads = [line.split("[")[1].split("]")[0] for line in text.splitlines() if "员工线索 [" in line]
    assert leads == ["陈静", "王芳", "李娜", "刘洋", "张伟"]  # two warn, then pass by pinyin


def test_columns_line_up_by_display_width_under_chinese_names() -> None:
    ruleset = load(str(RULESETS / "online_channel_zh.plan"))
    report = ruleset.evaluate(ruleset.read([str(RULESETS / "online_channel_zh.json")]))
    text = render(report, "text", lang="zh")
    rows = [line for line in text.splitlines() if line.startswith("  ") and "  → " in line]
    owner_columns = {display_width(row[: row.index("→")]) for row in rows if "预算 [" in row}
    assert len(owner_columns) == 1, rows


# ---- the command line ----------------------------------------------------------------------


def run(*args: str) -> object:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_eval_in_vietnamese_and_json_unchanged() -> None:
    plan, data = str(RULESETS / "saado.plan"), str(RULESETS / "saado.json")
    result = run("eval", plan, data, "--lang", "vi")
    assert "KHÔNG ĐẠT: 3 không đạt" in result.output  # type: ignore[attr-defined]
    assert "mục tiêu 2.000.000.000 ₫" in result.output  # type: ignore[attr-defined]
    english = run("eval", plan, data, "--format", "json")
    vietnamese = run("eval", plan, data, "--format", "json", "--lang", "vi")
    assert json.loads(english.output) == json.loads(vietnamese.output)  # type: ignore[attr-defined]


def test_the_rulesets_locale_header_is_the_default(tmp_path: Path) -> None:
    text = (RULESETS / "saado.plan").read_text("utf-8")
    plan = tmp_path / "saado.plan"
    plan.write_text(text.replace("currency VND", "currency VND\nlocale vi", 1), "utf-8")
    (tmp_path / "saado.json").write_text((RULESETS / "saado.json").read_text("utf-8"), "utf-8")
    result = run("eval", str(plan), str(tmp_path / "saado.json"))
    assert "tính đến" in result.output  # type: ignore[attr-defined]
    assert "as of" in run("eval", str(plan), str(tmp_path / "saado.json"), "--lang", "en").output  # type: ignore[attr-defined]


def test_test_and_replay_summaries_in_chinese() -> None:
    result = run("test", str(RULESETS / "online_channel_zh_test.plan"), "--lang", "zh")
    assert re.search(r"\d+ 个通过，0 个未通过", result.output)  # type: ignore[attr-defined]
    replay = run(
        "replay",
        str(RULESETS / "online_channel_zh.plan"),
        str(RULESETS / "online_channel_zh.json"),
        "--lang",
        "zh",
    )
    assert "回放" in replay.output and "总体" in replay.output  # type: ignore[attr-defined]


def test_a_language_without_its_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    i18n.language.cache_clear()
    monkeypatch.setitem(sys.modules, "babel.numbers", None)
    monkeypatch.delitem(sys.modules, "planrules.i18n.numbers", raising=False)
    try:
        result = CliRunner().invoke(
            main,
            ["eval", str(RULESETS / "saado.plan"), str(RULESETS / "saado.json"), "--lang", "vi"],
        )
        assert result.exit_code == 2
        assert "pip install 'planrules[i18n]'" in result.output
        english = run("eval", str(RULESETS / "saado.plan"), str(RULESETS / "saado.json"))
        assert "as of" in english.output  # type: ignore[attr-defined]
    finally:
        i18n.language.cache_clear()


EXPLAINED_ACROSS_KEYS = """ruleset "H"
period 2026-01-01 to 2026-12-31 monthly
metric x: money by store
metric y: money by store
let r = x / y
trigger "R" per store when rank(r) <= 1 { recommend "{key}" }
trigger "T" when sum(x) > 0 { recommend "x" }
"""


@pytest.mark.parametrize(
    ("lang", "unknown", "true"), [("vi", "chưa rõ", "đúng"), ("zh", "未知", "真")]
)
def test_explanations_in_the_readers_language_show_unknowns_and_truths(
    tmp_path: Path, lang: str, unknown: str, true: str
) -> None:
    plan = tmp_path / "h.plan"
    plan.write_text(EXPLAINED_ACROSS_KEYS, encoding="utf-8")
    snapshots = tmp_path / "h.json"
    metrics = {"x": {"a": 1, "b": 2, "c": 3}, "y": {"a": 1, "b": 0, "c": 1}}
    snapshots.write_text(json.dumps([{"period": "2026-01", "metrics": metrics}]))
    keyed = CliRunner().invoke(
        main, ["explain", str(plan), str(snapshots), "--rule", "R", "--key", "a", "--lang", lang]
    )
    assert keyed.exit_code == 0, keyed.output
    assert f"b: {unknown}" in keyed.output
    truth = CliRunner().invoke(
        main, ["explain", str(plan), str(snapshots), "--rule", "T", "--lang", lang]
    )
    assert truth.exit_code == 0, truth.output
    assert f"sum(x) > 0 = {true}" in truth.output
