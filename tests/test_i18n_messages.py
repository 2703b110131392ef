"""The checker's messages in the reader's language: `Message` objects, written in English
when made and again in the reader's language where a diagnostic is printed."""

from __future__ import annotations

import ast
import json
import pickle
import string
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from planrules import i18n
from planrules.cli import main
from planrules.lang.messages import Amount, Message
from tests.conftest import ROOT

SOURCE = ROOT / "src" / "planrules"

MISSPELT = """ruleset "Thử"
currency VND

metric doanh_thu: money

goal "Doanh thu": doanh_thuu >= 2 tỷ
"""


# The calls that make a message from a template (`KeyNotYet` is a `Message`).
MESSAGE_CALLS = ("Message", "KeyNotYet")


def message_calls() -> list[tuple[str, int, str, set[str]]]:
    """Every `Message("template", field=...)` in the source: file, line, template, fields."""
    calls = []
    # `planrules.lang.messages` defines Message, and remakes one from a template it is given.
    for path in sorted(set(SOURCE.rglob("*.py")) - {SOURCE / "lang" / "messages.py"}):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in MESSAGE_CALLS:
                template = node.args[0]
                assert isinstance(template, ast.Constant), f"{path}:{node.lineno}: not a literal"
                named = {keyword.arg for keyword in node.keywords if keyword.arg is not None}
                calls.append((path.name, node.lineno, template.value, named))
    return calls


def fields_of(template: str) -> set[str]:
    return {
        name.split(".")[0].split("[")[0]
        for _text, name, _spec, _conversion in string.Formatter().parse(template)
        if name is not None
    }


@pytest.mark.parametrize(
    ("where", "line", "template", "named"),
    message_calls(),
    ids=lambda value: value if isinstance(value, str) and value.endswith(".py") else "",
)
def test_every_message_template_has_its_fields_filled(
    where: str, line: int, template: str, named: set[str]
) -> None:
    assert fields_of(template) == named, f"{where}:{line}"


def test_a_message_is_its_english_text_wherever_a_str_goes() -> None:
    message = Message("`{name}` is not a metric", name="doanh_thuu")
    assert message == "`doanh_thuu` is not a metric"
    assert json.dumps({"message": message}) == json.dumps({"message": str(message)})
    copied = pickle.loads(pickle.dumps(message))
    assert (copied, copied.template, copied.fields) == (
        message,
        message.template,
        message.fields,
    )


def test_spoken_translates_fields_that_are_messages_and_writes_amounts_as_the_reader_does() -> None:
    inner = Message("did you mean `{name}`?", name="doanh_thu")
    outer = Message("hint: {hint}", hint=inner)
    amount = Amount("2,000,000,000 VND", Decimal(2_000_000_000), "money", "VND")
    with i18n.speaking("vi"):
        assert i18n.spoken(outer) == "gợi ý: có phải ý bạn là `doanh_thu`?"
        assert i18n.spoken(amount) == "2.000.000.000 ₫"
    with i18n.speaking("en"):
        assert i18n.spoken(outer) is outer


@pytest.mark.parametrize(
    ("code", "message", "hint", "summary"),
    [
        (
            "vi",
            "`doanh_thuu` không phải chỉ số, bảng hay biến let",
            "gợi ý: có phải ý bạn là `doanh_thu`?",
            "đã kiểm tra 1 tệp: 1 lỗi, 0 cảnh báo",
        ),
        (
            "zh",
            "`doanh_thuu` 不是指标、表或 let",
            "提示：您是不是想写 `doanh_thu`？",
            "已检查 1 个文件：1 个错误，0 个警告",
        ),
    ],
)
def test_check_prints_its_diagnostics_in_the_readers_language(
    tmp_path: Path, code: str, message: str, hint: str, summary: str
) -> None:
    plan = tmp_path / "plan.plan"
    plan.write_text(MISSPELT, "utf-8")
    result = CliRunner().invoke(main, ["check", str(plan), "--lang", code])
    assert result.exit_code == 1
    assert f"unknown-name: {message}" in result.output  # the code stays English
    assert hint in result.output
    assert summary in result.output


def test_checks_language_defaults_to_the_header_locale_and_english_is_unchanged(
    tmp_path: Path,
) -> None:
    plan = tmp_path / "plan.plan"
    plan.write_text(MISSPELT.replace("currency VND", "currency VND\nlocale vi"), "utf-8")
    vietnamese = CliRunner().invoke(main, ["check", str(plan)])
    assert "không phải chỉ số" in vietnamese.output
    english = CliRunner().invoke(main, ["check", str(plan), "--lang", "en"])
    assert "`doanh_thuu` is not a metric, table or let" in english.output
    assert "    hint: did you mean `doanh_thu`?" in english.output


def test_eval_prints_the_diagnostics_of_a_ruleset_with_errors_in_the_readers_language(
    tmp_path: Path,
) -> None:
    plan = tmp_path / "plan.plan"
    plan.write_text(MISSPELT, "utf-8")
    data = tmp_path / "data.json"
    data.write_text('{"2026-07": {"doanh_thu": 1}}', "utf-8")
    result = CliRunner().invoke(main, ["eval", str(plan), str(data), "--lang", "zh"])
    assert result.exit_code == 2
    assert "不是指标、表或 let" in result.output
