"""`planrules lsp` end to end: go to definition, find references and rename, across a ruleset
and the test file that uses it, in Vietnamese and Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from planrules.cli import main
from tests.lsp_session import Editor, apply, client, editor, examples, position, uri

__all__ = ["client", "editor", "examples"]  # the fixtures, used by name
pytestmark = pytest.mark.asyncio(loop_scope="module")


def document(path: Path) -> lsp.TextDocumentIdentifier:
    return lsp.TextDocumentIdentifier(uri=uri(path))


async def rename(
    client: LanguageClient, path: Path, at: lsp.Position, new_name: str
) -> dict[str, list[lsp.TextEdit]]:
    edit = await client.text_document_rename_async(
        lsp.RenameParams(text_document=document(path), position=at, new_name=new_name)
    )
    assert edit is not None and edit.changes is not None
    return {address: list(edits) for address, edits in edit.changes.items()}


def renamed_files(folder: Path, changes: dict[str, list[lsp.TextEdit]], *names: str) -> None:
    """Write the edits into the files, as the editor would."""
    for name in names:
        path = folder / name
        path.write_text(apply(path.read_text("utf-8"), changes[uri(path)]), "utf-8")


async def test_go_to_definition_from_a_test_file_into_the_ruleset_it_uses(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    tests = examples / "saado_test.plan"
    text = tests.read_text("utf-8")
    await editor.open(tests, text)
    found = await client.text_document_definition_async(
        lsp.DefinitionParams(
            text_document=document(tests), position=position(text, '"Chỉ tiêu đơn từng rep"', 2)
        )
    )
    assert isinstance(found, list)
    (place,) = found
    ruleset = (examples / "saado.plan").read_text("utf-8")
    assert place.uri == uri(examples / "saado.plan")
    assert place.range.start == position(ruleset, '"Chỉ tiêu đơn từng rep" per rep')
    line = await client.text_document_definition_async(
        lsp.DefinitionParams(
            text_document=document(tests),
            position=position(text, '"Quảng cáo hằng tháng".facebook_ads', 25),
        )
    )
    assert isinstance(line, list)
    assert line[0].range.start == position(ruleset, "facebook_ads  110")
    editor.close(tests)


async def test_find_references_of_a_metric_across_files(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    ruleset = examples / "online_channel_zh.plan"
    text = ruleset.read_text("utf-8")
    await editor.open(ruleset, text)
    found = await client.text_document_references_async(
        lsp.ReferenceParams(
            text_document=document(ruleset),
            position=position(text, "metric 好评数", 7),
            context=lsp.ReferenceContext(include_declaration=True),
        )
    )
    assert found is not None
    assert {Path(p.uri).name for p in found} == {
        "online_channel_zh.plan",
        "online_channel_zh_test.plan",
    }
    tests_text = (examples / "online_channel_zh_test.plan").read_text("utf-8")
    assert len(found) == text.count("好评数") - text.count("好评数的") + tests_text.count("好评数")
    editor.close(ruleset)


async def test_rename_a_metric_across_the_ruleset_and_its_tests(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    ruleset, tests = examples / "saado.plan", examples / "saado_test.plan"
    text = ruleset.read_text("utf-8")
    await editor.open(ruleset, text)
    changes = await rename(client, ruleset, position(text, "total(doanh_thu)", 8), "doanh_so")
    assert set(changes) == {uri(ruleset), uri(tests)}
    renamed_files(examples, changes, "saado.plan", "saado_test.plan")
    assert "doanh_thu:" not in ruleset.read_text("utf-8")
    assert tests.read_text("utf-8").count("doanh_so ") == 2  # two snapshot blocks give it
    # The snapshots in saado.json still say `doanh_thu`: a rename edits rulesets, not data.
    result = CliRunner().invoke(main, ["check", str(ruleset), str(tests)])
    assert result.exit_code == 0, result.output
    editor.close(ruleset)


async def test_rename_a_rule_across_files_writes_its_quoted_name(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    ruleset, tests = examples / "online_channel_zh.plan", examples / "online_channel_zh_test.plan"
    text = tests.read_text("utf-8")
    await editor.open(tests, text)
    changes = await rename(client, tests, position(text, '"好评率"', 2), '好评率 "月度"')
    assert set(changes) == {uri(ruleset), uri(tests)}
    assert {e.new_text for edits in changes.values() for e in edits} == {'"好评率 \\"月度\\""'}
    renamed_files(examples, changes, "online_channel_zh.plan", "online_channel_zh_test.plan")
    result = CliRunner().invoke(main, ["test", str(tests)])
    assert result.exit_code == 0, result.output
    editor.close(tests)


async def test_rename_a_budget_line_in_the_budget_its_actions_and_expectations(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    ruleset = examples / "saado.plan"
    text = ruleset.read_text("utf-8")
    await editor.open(ruleset, text)
    changes = await rename(client, ruleset, position(text, "scale facebook_ads", 8), "quảng cáo fb")
    edits = changes[uri(ruleset)]
    assert {e.new_text for e in edits} == {'"quảng cáo fb"'}
    assert len(edits) == 3  # the line, the shift, the scale
    assert uri(examples / "saado_test.plan") in changes
    editor.close(ruleset)


async def test_a_rename_to_a_name_already_declared_is_refused(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    ruleset = examples / "saado.plan"
    text = ruleset.read_text("utf-8")
    await editor.open(ruleset, text)
    at = position(text, "metric quan_tam", 8)
    with pytest.raises(JsonRpcException, match="already declared"):
        await rename(client, ruleset, at, "tiep_can")
    with pytest.raises(JsonRpcException, match="is not a name"):
        await rename(client, ruleset, at, "2 khách")
    goal = position(text, '"Đơn quay lại"', 2)
    with pytest.raises(JsonRpcException, match="already declared"):
        await rename(client, ruleset, goal, "Khách trung thành")
    editor.close(ruleset)


async def test_prepare_rename_gives_the_names_range(
    client: LanguageClient, editor: Editor, examples: Path
) -> None:
    ruleset = examples / "race_kpis.plan"
    text = ruleset.read_text("utf-8")
    await editor.open(ruleset, text)
    found = await client.text_document_prepare_rename_async(
        lsp.PrepareRenameParams(
            text_document=document(ruleset), position=position(text, "metric ", 8)
        )
    )
    assert isinstance(found, lsp.Range)
    assert found.start == position(text, "metric ", 7)
    editor.close(ruleset)
