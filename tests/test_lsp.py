"""`planrules lsp` end to end: diagnostics, hover, completion, symbols, formatting and quick
fixes, asked of the server over standard input and output as an editor asks, on the example
rulesets in Vietnamese and Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from planrules.cli import main
from planrules.lang import exprcheck
from planrules.lang.fmt import format_source
from planrules.lang.source import Source
from tests.lsp_session import Editor, apply, at_end, client, editor, examples, position, uri

__all__ = ["client", "editor", "examples"]  # the fixtures, used by name
pytestmark = pytest.mark.asyncio(loop_scope="module")

MISSPELT = ('goal "Đơn quay lại": total(don_quay_lai)', 'goal "Đơn quay lại": total(don_quay_lay)')


def check_output(path: Path) -> list[str]:
    """The lines `planrules check` writes for its diagnostics: `file:line:col: code: message`."""
    result = CliRunner().invoke(main, ["check", str(path)])
    return [line for line in result.output.splitlines() if line.startswith(f"{path}:")]


def as_check_writes(path: Path, diagnostic: lsp.Diagnostic) -> str:
    start = diagnostic.range.start
    place = f"{path}:{start.line + 1}:{start.character + 1}"
    return f"{place}: {diagnostic.code}: {diagnostic.message}"


# ---- diagnostics -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["saado.plan", "saado_test.plan", "online_channel_zh.plan", "online_channel_zh_test.plan"],
)
async def test_the_examples_open_without_diagnostics_as_check_finds_none(
    editor: Editor, examples: Path, name: str
) -> None:
    assert check_output(examples / name) == []
    assert await editor.open(examples / name) == []
    editor.close(examples / name)


async def test_diagnostics_are_those_of_check_with_code_range_and_did_you_mean(
    editor: Editor, examples: Path
) -> None:
    path = examples / "misspelt.plan"
    text = (examples / "saado.plan").read_text("utf-8").replace(*MISSPELT)
    path.write_text(text, "utf-8")
    found = await editor.open(path, text)
    (diagnostic,) = found
    assert diagnostic.code == "unknown-name"
    assert diagnostic.severity == lsp.DiagnosticSeverity.Error
    assert diagnostic.range == lsp.Range(
        start=position(text, "don_quay_lay"),
        end=position(text, "don_quay_lay", len("don_quay_lay")),
    )
    assert [as_check_writes(path, d) for d in found] == check_output(path)
    (related,) = diagnostic.related_information or []
    assert related.message == "did you mean `don_quay_lai`?"
    assert diagnostic.data == {"replacement": "don_quay_lai"}
    editor.close(path)


async def test_diagnostics_speak_the_rulesets_locale_as_check_does(
    editor: Editor, examples: Path
) -> None:
    path = examples / "vi.plan"
    text = (examples / "saado.plan").read_text("utf-8").replace(*MISSPELT)
    text = text.replace("currency VND\n", "currency VND\nlocale vi\n")
    path.write_text(text, "utf-8")
    found = await editor.open(path, text)
    assert [as_check_writes(path, d) for d in found] == check_output(path)
    assert "không phải" in found[0].message  # Vietnamese, as `check` writes it
    editor.close(path)


async def test_diagnostics_follow_changes_as_they_are_typed(editor: Editor, examples: Path) -> None:
    path = examples / "saado.plan"
    text = path.read_text("utf-8")
    assert await editor.open(path, text) == []
    found = await editor.change(path, text.replace(*MISSPELT))
    assert [d.code for d in found] == ["unknown-name"]
    broken = await editor.change(path, text + '\ngoal "Nửa chừng": total(\n')
    assert [d.code for d in broken] == ["syntax-error"]
    assert await editor.change(path, text) == []
    editor.close(path)


async def test_a_test_file_gets_the_diagnostics_check_gives_it(
    editor: Editor, examples: Path
) -> None:
    path = examples / "bad_test.plan"
    text = (examples / "saado_test.plan").read_text("utf-8")
    text = text.replace('expect "Doanh thu 2 tỷ" pass', 'expect "Doanh thu 3 tỷ" pass', 1)
    path.write_text(text, "utf-8")
    found = await editor.open(path, text)
    assert "unknown-rule" in {d.code for d in found}
    assert [as_check_writes(path, d) for d in found] == check_output(path)
    editor.close(path)


async def test_a_use_of_a_missing_file_is_a_diagnostic(editor: Editor, examples: Path) -> None:
    path = examples / "lost_test.plan"
    text = 'use "nowhere.plan"\n\ntest "t" {\n    snapshots "saado.json"\n}\n'
    found = await editor.open(path, text)
    assert "use-missing" in {d.code for d in found}
    editor.close(path)


async def test_a_ruleset_that_edits_a_used_file_rechecks_the_file_that_uses_it(
    editor: Editor, examples: Path
) -> None:
    ruleset, tests = examples / "saado.plan", examples / "saado_test.plan"
    text = ruleset.read_text("utf-8")
    await editor.open(ruleset, text)
    assert await editor.open(tests) == []
    editor.client.diagnostics.pop(uri(tests), None)
    renamed = text.replace('goal "Đơn quay lại"', 'goal "Đơn mua lại"')
    await editor.change(ruleset, renamed)
    assert "unknown-rule" in {d.code for d in await editor.diagnostics(uri(tests))}
    await editor.change(ruleset, text)
    editor.close(tests)
    editor.close(ruleset)


# ---- hover ---------------------------------------------------------------------------------------


async def hover_text(client: LanguageClient, path: Path, at: lsp.Position) -> str:
    found = await client.text_document_hover_async(
        lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=uri(path)), position=at)
    )
    assert found is not None
    assert isinstance(found.contents, lsp.MarkupContent)
    return found.contents.value


async def test_hover_tells_a_metrics_unit_dimension_stock_and_description(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    path = examples / "saado.plan"
    text = path.read_text("utf-8")
    await editor.open(path, text)
    spend = await hover_text(client, path, position(text, "sum(chi_phi)", 5))
    assert "metric chi_phi: money by kenh" in spend
    assert "Ad spend per channel" in spend
    loyal = await hover_text(client, path, position(text, "khach_trung_thanh >=", 2))
    assert "metric khach_trung_thanh: count stock" in loyal
    editor.close(path)


async def test_hover_tells_a_lets_expression_and_unit_and_a_tables_keys(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    path = examples / "saado.plan"
    text = path.read_text("utf-8")
    await editor.open(path, text)
    rate = await hover_text(client, path, position(text, "ty_le_chot < 15%", 1))
    assert "let ty_le_chot = don_hang / quan_tam" in rate
    assert "unit: ratio" in rate
    keyed = await hover_text(client, path, position(text, "let don_theo_rep", 5))
    assert "unit: count by rep" in keyed
    quota = await hover_text(client, path, position(text, ">= chi_tieu", 4))
    assert "table chi_tieu: count by rep" in quota
    assert "Lan 1700, Minh 1500, else 1300" in quota
    editor.close(path)


async def test_hover_tells_a_rules_kind_owner_and_place_from_a_test_file(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    path = examples / "saado_test.plan"
    text = path.read_text("utf-8")
    await editor.open(path, text)
    goal = await hover_text(client, path, position(text, '"Doanh thu 2 tỷ"', 3))
    assert 'goal "Doanh thu 2 tỷ"' in goal
    assert "owner: Trưởng nhóm sales" in goal
    line = (
        (examples / "saado.plan")
        .read_text("utf-8")
        .split("\n")
        .index('goal "Doanh thu 2 tỷ": total(doanh_thu) >= 2 tỷ by 2026-09-30 phased 25% 35% 40%')
    )
    assert f"saado.plan:{line + 1}" in goal
    editor.close(path)


async def test_hover_tells_a_numbers_exact_value(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    path = examples / "saado.plan"
    text = path.read_text("utf-8")
    await editor.open(path, text)
    assert "`2 tỷ` = 2,000,000,000 VND" in await hover_text(
        client, path, position(text, ">= 2 tỷ", 3)
    )
    assert "`150 nghìn` = 150,000 VND" in await hover_text(
        client, path, position(text, "150 nghìn")
    )
    assert "`45%` = 45% = 0.45" in await hover_text(client, path, position(text, "45%"))
    editor.close(path)


async def test_hover_in_chinese(client: LanguageClient, editor: Editor, examples: Path) -> None:
    path = examples / "online_channel_zh.plan"
    text = path.read_text("utf-8")
    await editor.open(path, text)
    sales = await hover_text(client, path, position(text, "total(销售额)", 6))
    assert "metric 销售额: money" in sales
    assert "网络渠道收入" in sales
    assert "`20万元` = 200,000 CNY" in await hover_text(
        client, path, position(text, ">= 20万元", 3)
    )
    quota = await hover_text(client, path, position(text, ">= 员工季度指标", 3))
    assert "张伟 5000元, 李娜 4500元, else 3500元" in quota
    editor.close(path)


async def test_hover_tells_a_functions_signature(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    path = examples / "saado.plan"
    text = path.read_text("utf-8")
    await editor.open(path, text)
    assert "growth(x)" in await hover_text(client, path, position(text, "growth(doanh_thu) >=", 1))
    editor.close(path)


# ---- completion ----------------------------------------------------------------------------------


async def completions(
    client: LanguageClient, path: Path, at: lsp.Position
) -> dict[str, lsp.CompletionItem]:
    found = await client.text_document_completion_async(
        lsp.CompletionParams(text_document=lsp.TextDocumentIdentifier(uri=uri(path)), position=at)
    )
    assert isinstance(found, lsp.CompletionList)
    return {item.label: item for item in found.items}


async def complete_at_end(
    client: LanguageClient, editor: Editor, path: Path, text: str
) -> dict[str, lsp.CompletionItem]:
    await editor.open(path, text)
    try:
        return await completions(client, path, at_end(text))
    finally:
        editor.close(path)


SAADO_HEADER = 'ruleset "Nháp"\ncurrency VND\nuse "saado.plan"\n\n'


@pytest.mark.parametrize("typed", ["doanh", "Doanh", "doanh thu", "DOANH THU", "dóanh_thu"])
async def test_names_are_completed_without_diacritics_case_or_underscores(
    client: LanguageClient, editor: Editor, examples: Path, typed: str
) -> None:
    text = SAADO_HEADER + f'goal "Mới": total({typed}'
    found = await complete_at_end(client, editor, examples / "draft.plan", text)
    assert {"doanh_thu", "doanh_thu_km"} <= set(found)
    edit = found["doanh_thu"].text_edit
    assert isinstance(edit, lsp.TextEdit)
    assert apply(text, [edit]).endswith("total(doanh_thu")


async def test_rule_names_are_completed_in_expectations_without_diacritics(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    text = 'use "saado.plan"\n\ntest "t" {\n    snapshots "saado.json"\n    expect "chi tieu'
    found = await complete_at_end(client, editor, examples / "draft_test.plan", text)
    assert list(found) == ["Chỉ tiêu đơn từng rep"]
    edit = found["Chỉ tiêu đơn từng rep"].text_edit
    assert isinstance(edit, lsp.TextEdit)
    assert apply(text, [edit]).endswith('expect "Chỉ tiêu đơn từng rep"')


async def test_names_are_completed_in_a_recommendations_interpolation(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    text = SAADO_HEADER + 'trigger "t" when ty_le_chot < 10% {\n    recommend "Chốt {{ít}}: {ty le'
    found = await complete_at_end(client, editor, examples / "draft.plan", text)
    assert "ty_le_chot" in found
    edit = found["ty_le_chot"].text_edit
    assert isinstance(edit, lsp.TextEdit)
    assert apply(text, [edit]).endswith("{{ít}}: {ty_le_chot")


async def test_chinese_names_are_completed(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    text = 'ruleset "草稿"\ncurrency CNY\nuse "online_channel_zh.plan"\n\nlet 份额 = 销售'
    found = await complete_at_end(client, editor, examples / "draft.plan", text)
    assert "销售额" in found
    assert found["销售额"].detail == "metric 销售额: money"


async def test_keywords_are_those_the_grammar_takes_at_the_cursor(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    found = await complete_at_end(
        client, editor, examples / "draft.plan", SAADO_HEADER + "metric m: "
    )
    assert set(found) == {"count", "money", "ratio", "number"}
    assert all(item.kind == lsp.CompletionItemKind.Keyword for item in found.values())
    after_goal = await complete_at_end(
        client, editor, examples / "draft.plan", SAADO_HEADER + 'goal "g": total(doanh_thu) >= 5 t'
    )
    assert {"tolerance", "table", "test", "threshold", "trigger"} <= set(after_goal)
    assert "doanh_thu" not in after_goal


async def test_functions_are_the_checkers_with_their_signatures(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    found = await complete_at_end(
        client, editor, examples / "draft.plan", SAADO_HEADER + "let x = "
    )
    functions = {
        label for label, item in found.items() if item.kind == lsp.CompletionItemKind.Function
    }
    assert functions == set(exprcheck.FUNCTIONS)
    assert found["rolling_avg"].detail == "rolling_avg(x, n)"
    assert found["previous"].detail == "previous(x[, n])"
    assert {"doanh_thu", "chi_tieu", "ty_le_chot"} <= set(found)


async def test_budget_lines_are_completed_in_shift_and_scale(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    lines = {"facebook_ads", "group", "profile", "offline"}
    text = SAADO_HEADER + 'trigger "t" when ty_le_chot < 10% {\n    shift 5 triệu from '
    assert set(await complete_at_end(client, editor, examples / "draft.plan", text)) == lines
    scale = SAADO_HEADER + 'trigger "t" when ty_le_chot < 10% {\n    scale face'
    assert set(await complete_at_end(client, editor, examples / "draft.plan", scale)) == {
        "facebook_ads"
    }


async def test_table_keys_and_dimensions_are_completed(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    keys = SAADO_HEADER + "let lan = chi_tieu."
    assert set(await complete_at_end(client, editor, examples / "draft.plan", keys)) == {
        "Lan",
        "Minh",
    }
    per = SAADO_HEADER + 'goal "g" per '
    assert set(await complete_at_end(client, editor, examples / "draft.plan", per)) == {
        "kenh",
        "rep",
    }


# ---- symbols, formatting, code actions -----------------------------------------------------------


async def test_document_symbols_outline_metrics_lets_tables_and_rules(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    path = examples / "online_channel_zh.plan"
    await editor.open(path)
    found = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=lsp.TextDocumentIdentifier(uri=uri(path)))
    )
    assert found is not None
    kinds = {symbol.name: symbol.kind for symbol in found if isinstance(symbol, lsp.DocumentSymbol)}
    assert kinds["销售额"] == lsp.SymbolKind.Field
    assert kinds["员工季度指标"] == lsp.SymbolKind.Struct
    assert kinds["投入产出比"] == lsp.SymbolKind.Variable
    assert kinds["网络渠道收入20万元"] == lsp.SymbolKind.Event
    budget = next(
        s for s in found if isinstance(s, lsp.DocumentSymbol) and s.name == "全年推广预算"
    )
    assert [line.name for line in budget.children or []] == ["天猫", "京东", "微信小程序", "抖音"]
    editor.close(path)


async def test_formatting_is_the_layout_of_fmt(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    path = examples / "messy.plan"
    text = (
        (examples / "saado.plan")
        .read_text("utf-8")
        .replace("    warn below 1%", "  warn   below 1%")
    )
    text = text.replace("metric tiep_can: count", "metric   tiep_can :count")
    path.write_text(text, "utf-8")
    await editor.open(path, text)
    edits = await client.text_document_formatting_async(
        lsp.DocumentFormattingParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri(path)),
            options=lsp.FormattingOptions(tab_size=4, insert_spaces=True),
        )
    )
    assert edits
    assert apply(text, edits) == format_source(Source.from_text(str(path), text)).text
    result = CliRunner().invoke(main, ["fmt", str(path)])
    assert result.exit_code == 0
    assert path.read_text("utf-8") == apply(text, edits)
    editor.close(path)


async def test_a_file_that_does_not_parse_is_not_formatted(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    path = examples / "broken.plan"
    text = SAADO_HEADER + "metric m: count\nlet x = (\n"
    await editor.open(path, text)
    edits = await client.text_document_formatting_async(
        lsp.DocumentFormattingParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri(path)),
            options=lsp.FormattingOptions(tab_size=4, insert_spaces=True),
        )
    )
    assert not edits
    editor.close(path)


async def test_a_code_action_applies_the_did_you_mean(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    path = examples / "misspelt.plan"
    text = (examples / "saado.plan").read_text("utf-8").replace(*MISSPELT)
    found = await editor.open(path, text)
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri(path)),
            range=found[0].range,
            context=lsp.CodeActionContext(diagnostics=found),
        )
    )
    assert actions is not None
    (action,) = actions
    assert isinstance(action, lsp.CodeAction)
    assert action.kind == lsp.CodeActionKind.QuickFix
    assert action.edit is not None and action.edit.changes is not None
    fixed = apply(text, action.edit.changes[uri(path)])
    assert fixed == (examples / "saado.plan").read_text("utf-8")
    assert await editor.change(path, fixed) == []
    editor.close(path)


# ---- a file that does not parse, and requests that make no sense ---------------------------------


BROKEN = SAADO_HEADER + (
    'metric khach_moi: count "Khách mới trong tháng"\n'
    "let ty_le_moi = khach_moi / \n"
    'goal "Khách mới": total(khach_moi) >= 2000 by 2026-09-30\n'
    'goal "Doanh thu cả năm": total(doanh_thu) >= 3 tỷ\n'
)


async def test_a_file_that_does_not_parse_still_has_symbols_hover_and_completion(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    path = examples / "half.plan"
    text = BROKEN + "let sau = khach"
    found = await editor.open(path, text)
    assert {d.code for d in found} == {"syntax-error"}
    symbols = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=lsp.TextDocumentIdentifier(uri=uri(path)))
    )
    assert symbols is not None
    # The let cut short is left out; the one being typed after it reads as a let already.
    assert [s.name for s in symbols] == ["khach_moi", "Khách mới", "Doanh thu cả năm", "sau"]
    money = await hover_text(client, path, position(text, "3 tỷ", 2))
    assert "`3 tỷ` = 3,000,000,000 VND" in money
    assert "Khách mới trong tháng" in await hover_text(
        client, path, position(text, "total(khach_moi)", 7)
    )
    completed = await completions(client, path, at_end(text))
    assert {"khach_moi", "khach_trung_thanh"} <= set(completed)
    editor.close(path)


async def test_bad_requests_are_answered_with_errors_and_the_server_goes_on(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    nowhere = examples / "nowhere.plan"
    with pytest.raises(Exception, match="cannot be read"):
        await client.text_document_hover_async(
            lsp.HoverParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri(nowhere)),
                position=lsp.Position(line=0, character=0),
            )
        )
    path = examples / "saado.plan"
    text = path.read_text("utf-8")
    await editor.open(path, text)
    far = await client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri(path)),
            position=lsp.Position(line=10_000, character=500),
        )
    )
    assert far is None
    assert "metric doanh_thu" in await hover_text(
        client, path, position(text, "total(doanh_thu)", 7)
    )
    editor.close(path)
