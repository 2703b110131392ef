"""`planrules lsp` end to end, where an acceptance review found it wrong: quick fixes that
replaced more than the name, positions in text written in NFD or with a BOM or lone CRs,
problems the check finds in another file, requests that could not be read, and diagnostics
left behind when a used file is closed or changed on disk."""

from __future__ import annotations

import asyncio
import unicodedata
import uuid
from concurrent.futures import Future
from pathlib import Path

import pytest
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from planrules.lang.fmt import format_source
from planrules.lang.source import Source
from tests.lsp_session import WAIT, Editor, apply, client, editor, examples, position, uri

__all__ = ["client", "editor", "examples"]  # the fixtures, used by name
pytestmark = pytest.mark.asyncio(loop_scope="module")


def document(path: Path) -> lsp.TextDocumentIdentifier:
    return lsp.TextDocumentIdentifier(uri=uri(path))


async def quick_fix(
    client: LanguageClient, path: Path, text: str, diagnostic: lsp.Diagnostic
) -> str:
    """The text with the one quick fix offered for `diagnostic` applied."""
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=document(path),
            range=diagnostic.range,
            context=lsp.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    assert actions is not None
    (action,) = actions
    assert isinstance(action, lsp.CodeAction)
    assert action.edit is not None and action.edit.changes is not None
    return apply(text, action.edit.changes[uri(path)])


# ---- quick fixes replace the name only -----------------------------------------------------------


async def test_a_quick_fix_in_an_expectation_replaces_the_rule_name_only(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    right = (examples / "saado_test.plan").read_text("utf-8")
    line = 'expect "Chỉ tiêu đơn từng rep"["Lan"] warn'
    text = right.replace(line, 'expect "Chi tieu don tung rep"["Lan"] warn')
    path = examples / "typo_test.plan"
    found = await editor.open(path, text)
    first = next(d for d in found if d.code == "unknown-rule")
    fixed = await quick_fix(client, path, text, first)
    assert fixed.split("\n")[first.range.start.line].strip().startswith(line)
    editor.close(path)


async def test_a_quick_fix_keeps_the_quotes_of_a_status_and_the_per_of_a_rule(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    right = (examples / "saado.plan").read_text("utf-8")
    right += '\ntrigger "Theo dõi" when status("Doanh thu 2 tỷ") == fail {\n    recommend "x"\n}\n'
    text = right.replace('status("Doanh thu 2 tỷ")', 'status("Doanh thu 2 ty")').replace(
        'threshold "Đơn mỗi rep trong tháng" per rep:',
        'threshold "Đơn mỗi rep trong tháng" per rre:',
    )
    path = examples / "typo.plan"
    found = await editor.open(path, text)
    assert sorted(d.code for d in found) == ["unknown-dimension", "unknown-rule"]
    for diagnostic in found:
        text = await quick_fix(client, path, text, diagnostic)
    assert text == right
    assert await editor.change(path, text) == []
    editor.close(path)


# ---- positions in the text as the editor has it --------------------------------------------------

NFC_PLAN = 'ruleset "x"\nmetric chỉ_tiêu: count\ngoal "Mục tiêu": chỉ_tiêu >= 2 + chỉ_tiêuu\n'


async def test_positions_in_nfd_text_are_counted_on_the_characters_as_written(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    text = unicodedata.normalize("NFD", NFC_PLAN)
    path = examples / "nfd.plan"
    path.write_text(text, "utf-8")
    (diagnostic,) = await editor.open(path, text)
    assert diagnostic.code == "unknown-name"
    misspelt = unicodedata.normalize("NFD", "chỉ_tiêuu")
    assert diagnostic.range == lsp.Range(
        start=position(text, misspelt), end=position(text, misspelt, len(misspelt))
    )
    edit = await client.text_document_rename_async(
        lsp.RenameParams(
            text_document=document(path),
            position=position(text, "metric ", len("metric ") + 2),
            new_name="quota",
        )
    )
    assert edit is not None and edit.changes is not None
    renamed = apply(text, edit.changes[uri(path)])
    assert renamed == text.replace(misspelt, "@").replace(
        unicodedata.normalize("NFD", "chỉ_tiêu"), "quota"
    ).replace("@", misspelt)
    name = unicodedata.normalize("NFD", "chỉ_tiêu >=")[: -len(" >=")]
    hover = await client.text_document_hover_async(
        lsp.HoverParams(text_document=document(path), position=position(text, name, 3, nth=1))
    )
    assert hover is not None and "metric chỉ_tiêu: count" in str(hover.contents)
    assert hover.range == lsp.Range(
        start=position(text, name, nth=1), end=position(text, name, len(name), nth=1)
    )
    editor.close(path)


async def test_formatting_nfd_text_gives_the_nfc_text_fmt_writes(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    text = unicodedata.normalize("NFD", NFC_PLAN.replace("chỉ_tiêuu", "1"))
    path = examples / "nfd_fmt.plan"
    await editor.open(path, text)
    edits = await client.text_document_formatting_async(
        lsp.DocumentFormattingParams(
            text_document=document(path),
            options=lsp.FormattingOptions(tab_size=4, insert_spaces=True),
        )
    )
    assert edits
    written = format_source(Source.from_text(str(path), text)).text
    assert apply(text, edits) == written == unicodedata.normalize("NFC", written or "")
    editor.close(path)


async def test_a_bom_and_lone_cr_line_ends_read_as_check_reads_them(
    editor: Editor, examples: Path
) -> None:
    right = (examples / "saado.plan").read_text("utf-8")
    path = examples / "bom.plan"
    assert await editor.open(path, "\ufeff" + right) == []
    text = right.replace("total(don_quay_lai)", "total(don_quay_lay)").replace("\n", "\r")
    (diagnostic,) = await editor.change(path, text)
    assert diagnostic.code == "unknown-name"
    lines = text.split("\r")
    number = next(i for i, line in enumerate(lines) if "don_quay_lay" in line)
    start = lines[number].index("don_quay_lay")
    assert diagnostic.range == lsp.Range(
        start=lsp.Position(line=number, character=start),
        end=lsp.Position(line=number, character=start + len("don_quay_lay")),
    )
    editor.close(path)


# ---- problems in another file --------------------------------------------------------------------


async def test_a_use_cycle_is_shown_in_both_files_on_their_use_lines(
    editor: Editor, examples: Path
) -> None:
    first, second = examples / "cyc_a.plan", examples / "cyc_b.plan"
    first.write_text('ruleset "a"\nuse "cyc_b.plan"\nmetric a: count\n', "utf-8")
    second.write_text('ruleset "b"\nuse "cyc_a.plan"\nmetric b: count\n', "utf-8")
    for path in (first, second):
        found = await editor.open(path)
        cycle = [d for d in found if d.code == "use-cycle"]
        assert cycle, found
        assert cycle[0].range.start.line == 1
        assert "cyc_a.plan -> cyc_b.plan" in cycle[0].message or "cyc_b.plan -> cyc_a.plan" in (
            cycle[0].message
        )
        assert str(examples) not in cycle[0].message  # paths as `check` writes them
        editor.close(path)


async def test_problems_in_a_used_ruleset_show_on_the_use_line_and_go_when_fixed(
    editor: Editor, examples: Path
) -> None:
    ruleset, tests = examples / "saado.plan", examples / "saado_test.plan"
    right = ruleset.read_text("utf-8")
    broken = right.replace("total(don_quay_lai)", "total(don_quay_lay)")
    ruleset.write_text(broken, "utf-8")  # on disk only: the ruleset is not open
    try:
        found = await editor.open(tests)
        (problem,) = found
        assert problem.code == "unknown-name"
        assert problem.message.startswith("saado.plan:")
        assert "don_quay_lay" in problem.message
        use_line = tests.read_text("utf-8").split("\n").index('use "saado.plan"')
        assert problem.range.start.line == use_line
        assert problem.related_information is not None
        assert problem.related_information[0].location.uri == uri(ruleset)
        ruleset.write_text(right, "utf-8")
        editor.client.diagnostics.pop(uri(tests), None)
        editor.client.workspace_did_change_watched_files(
            lsp.DidChangeWatchedFilesParams(
                changes=[lsp.FileEvent(uri=uri(ruleset), type=lsp.FileChangeType.Changed)]
            )
        )
        assert await editor.diagnostics(uri(tests)) == []
    finally:
        ruleset.write_text(right, "utf-8")
    editor.close(tests)


async def test_closing_an_unsaved_used_file_rechecks_its_users(
    editor: Editor, examples: Path
) -> None:
    ruleset, tests = examples / "saado.plan", examples / "saado_test.plan"
    text = ruleset.read_text("utf-8")
    await editor.open(ruleset, text)
    assert await editor.open(tests) == []
    editor.client.diagnostics.pop(uri(tests), None)
    await editor.change(ruleset, text.replace('goal "Đơn quay lại"', 'goal "Đơn mua lại"'))
    assert "unknown-rule" in {d.code for d in await editor.diagnostics(uri(tests))}
    editor.client.diagnostics.pop(uri(tests), None)
    editor.close(ruleset)
    assert await editor.diagnostics(uri(tests)) == []
    editor.close(tests)


async def test_the_server_asks_to_be_told_of_plan_files_changed_on_disk(
    client: LanguageClient,
) -> None:
    registered = client.registered  # type: ignore[attr-defined]
    (watch,) = [r for r in registered if r.method == lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES]
    assert "*.plan" in str(watch.register_options)


# ---- requests that cannot be read ----------------------------------------------------------------


@pytest.mark.parametrize(
    "method, params, code",
    [
        ("x/y", None, -32601),
        ("x/y", {}, -32601),
        (lsp.TEXT_DOCUMENT_HOVER, "position", -32602),
    ],
)
async def test_every_request_is_answered_even_one_that_cannot_be_read(
    client: LanguageClient, examples: Path, method: str, params: object, code: int
) -> None:
    if params == "position":
        params = {
            "textDocument": {"uri": uri(examples / "saado.plan")},
            "position": {"line": 2, "character": -1},
        }
    with pytest.raises(JsonRpcException) as answered:
        await asyncio.wait_for(raw_request(client, method, params), WAIT)
    assert answered.value.code == code
    assert (
        await client.text_document_hover_async(  # and the server goes on
            lsp.HoverParams(
                text_document=document(examples / "saado.plan"),
                position=lsp.Position(line=0, character=0),
            )
        )
        is None
    )


async def raw_request(client: LanguageClient, method: str, params: object) -> object:
    """A request sent as written, with no check that its parameters are the method's."""
    number = f"raw-{uuid.uuid4()}"
    message: dict[str, object] = {"jsonrpc": "2.0", "id": number, "method": method}
    if params is not None:
        message["params"] = params
    answer: Future[object] = Future()
    client.protocol._request_futures[number] = answer
    client.protocol._send_data(message)
    return await asyncio.wrap_future(answer)


# ---- references and rename -----------------------------------------------------------------------


async def rename_edits(
    client: LanguageClient, path: Path, at: lsp.Position, new_name: str
) -> dict[str, list[lsp.TextEdit]]:
    edit = await client.text_document_rename_async(
        lsp.RenameParams(text_document=document(path), position=at, new_name=new_name)
    )
    assert edit is not None and edit.changes is not None
    return {address: list(edits) for address, edits in edit.changes.items()}


async def test_a_budget_line_named_as_a_rules_key_in_a_test_file_is_a_reference(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    ruleset, tests = examples / "saado.plan", examples / "saado_test.plan"
    text, tests_text = ruleset.read_text("utf-8"), tests.read_text("utf-8")
    await editor.open(ruleset, text)
    at = position(text, "facebook_ads  110", 3)
    found = await client.text_document_references_async(
        lsp.ReferenceParams(
            text_document=document(ruleset),
            position=at,
            context=lsp.ReferenceContext(include_declaration=False),
        )
    )
    keyed = '"Quảng cáo hằng tháng"["facebook_ads"] fail'
    key = position(tests_text, keyed, len('"Quảng cáo hằng tháng"['))
    assert found is not None
    assert (
        lsp.Location(
            uri=uri(tests),
            range=lsp.Range(
                start=key, end=lsp.Position(line=key.line, character=key.character + 14)
            ),
        )
        in found
    )
    changes = await rename_edits(client, ruleset, at, "fb_ads")
    renamed = apply(tests_text, changes[uri(tests)])
    assert '"Quảng cáo hằng tháng"["fb_ads"] fail' in renamed
    assert '["facebook_ads"]' not in renamed
    assert '"Chỉ tiêu đơn từng rep"["Lan"]' in renamed  # a rule's `per` key is no line
    editor.close(ruleset)


@pytest.mark.parametrize("new_name", ["not", "key", "total", "metric"])
async def test_a_rename_to_a_word_the_language_reads_is_refused(
    client: LanguageClient, editor: Editor, examples: Path, new_name: str
) -> None:
    ruleset = examples / "saado.plan"
    text = ruleset.read_text("utf-8")
    await editor.open(ruleset, text)
    with pytest.raises(JsonRpcException, match="gives a meaning to"):
        await rename_edits(client, ruleset, position(text, "let don_theo_rep", 5), new_name)
    editor.close(ruleset)


async def test_a_rename_that_would_change_the_checks_findings_is_refused(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    used, user = examples / "used.plan", examples / "user.plan"
    text = 'ruleset "a"\nmetric m: count\nlet x = m\ngoal "g": total(x) >= 1\n'
    used.write_text(text, "utf-8")
    user.write_text('ruleset "b"\nuse "used.plan"\nmetric y: count\ngoal "h": total(y) >= 1\n')
    await editor.open(used, text)
    # `y` is free where `x` is read, but the file that uses it declares one: a conflict there.
    with pytest.raises(JsonRpcException, match="would change what the files mean"):
        await rename_edits(client, used, position(text, "let x", 4), "y")
    assert await rename_edits(client, used, position(text, "let x", 4), "z")
    editor.close(used)


async def test_paths_in_messages_are_written_from_the_files_folder_as_check_writes_them(
    editor: Editor, examples: Path
) -> None:
    path = examples / "usd.plan"
    text = 'ruleset "usd"\ncurrency USD\nuse "saado.plan"\n'
    found = await editor.open(path, text)
    currency = next(d for d in found if d.code == "use-currency")
    assert currency.message.startswith("saado.plan is in VND")
    assert str(examples) not in currency.message
    editor.close(path)


# ---- hover and completion ------------------------------------------------------------------------


async def hover_text(client: LanguageClient, path: Path, at: lsp.Position) -> str:
    found = await client.text_document_hover_async(
        lsp.HoverParams(text_document=document(path), position=at)
    )
    assert found is not None and isinstance(found.contents, lsp.MarkupContent)
    return found.contents.value


async def test_hover_of_money_amounts_gives_their_currency_in_actions_and_tests(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    ruleset, tests = examples / "saado.plan", examples / "saado_test.plan"
    text, tests_text = ruleset.read_text("utf-8"), tests.read_text("utf-8")
    await editor.open(ruleset, text)
    await editor.open(tests, tests_text)
    shifted = await hover_text(client, ruleset, position(text, "shift 20 triệu", 7))
    assert "`20 triệu` = 20,000,000 VND" in shifted
    value = await hover_text(client, tests, position(tests_text, "== 1.14 tỷ", 4))
    assert "`1.14 tỷ` = 1,140,000,000 VND" in value
    proposed = await hover_text(client, tests, position(tests_text, "== 125 triệu", 4))
    assert "`125 triệu` = 125,000,000 VND" in proposed
    count = await hover_text(client, tests, position(tests_text, "== 9000", 4))
    assert count.endswith("= 9,000")  # a count of customers, no money
    editor.close(tests)
    editor.close(ruleset)


@pytest.mark.parametrize(
    "function, shown",
    [
        ("total", "total(x[, quarter|year])"),
        ("rank", "rank(x[, ascending|descending])"),
        ("sum", "sum(x[, dimension])"),
        ("round", "round(x, digits)"),
        ("percentile", "percentile(x, P%)"),
        ("max", "max(x[, y, ...])"),
        ("since", "since(x, DATE)"),
    ],
)
async def test_functions_show_their_parameters_as_the_reference_names_them(
    client: LanguageClient, editor: Editor, examples: Path, function: str, shown: str
) -> None:
    path = examples / "calls.plan"
    text = f'ruleset "c"\nmetric x: money by kenh\nlet y = {function}(x)\n'
    await editor.open(path, text)
    assert f"```planrules\n{shown}\n```" in await hover_text(
        client, path, position(text, f"{function}(", 1)
    )
    editor.close(path)


async def test_currencies_are_offered_after_the_currency_header(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    path = examples / "money.plan"
    text = 'ruleset "m"\ncurrency '
    await editor.open(path, text)
    found = await client.text_document_completion_async(
        lsp.CompletionParams(text_document=document(path), position=position(text + "\0", "\0"))
    )
    assert isinstance(found, lsp.CompletionList)
    labels = {item.label for item in found.items}
    assert {"VND", "CNY", "đồng", "元"} <= labels
    editor.close(path)


async def test_an_untitled_buffer_gets_diagnostics(client: LanguageClient, examples: Path) -> None:
    address = "untitled:Untitled-1"
    text = 'ruleset "u"\nmetric a: count\ngoal "g": total(b) >= 1\n'
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(
                uri=address, language_id="planrules", version=1, text=text
            )
        )
    )
    found = await Editor(client).diagnostics(address)
    assert [d.code for d in found] == ["unknown-name"]
    client.text_document_did_close(
        lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=address))
    )
