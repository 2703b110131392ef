"""Edits the editor applies: the canonical layout of `planrules fmt`, and the checker's
did-you-mean as a quick fix."""

from __future__ import annotations

from lsprotocol import types as lsp

from planrules.lang.fmt import format_source
from planrules.lsp.analysis import Analysis
from planrules.lsp.diagnostics import own_diagnostics, suggestion


def formatting(analysis: Analysis) -> list[lsp.TextEdit]:
    """The whole text in `planrules fmt`'s layout; nothing for a file it leaves alone (one
    that does not parse), as `fmt` does."""
    result = format_source(analysis.source)
    if result.text is None or result.text == analysis.source.text:
        return []
    lines = analysis.lines
    end = lines.position(*lines.line_column(len(analysis.source.text)))
    whole = lsp.Range(start=lsp.Position(line=0, character=0), end=end)
    return [lsp.TextEdit(range=whole, new_text=result.text)]


def code_actions(analysis: Analysis, uri: str, wanted: lsp.Range) -> list[lsp.CodeAction]:
    """A quick fix for each did-you-mean the checker found in the range asked about."""
    lines = analysis.lines
    actions = []
    for diagnostic in own_diagnostics(analysis):
        name = suggestion(diagnostic)
        span = lines.range(diagnostic.span)
        if name is None or not _overlaps(span, wanted):
            continue
        edit = lsp.WorkspaceEdit(changes={uri: [lsp.TextEdit(range=span, new_text=name)]})
        actions.append(
            lsp.CodeAction(
                title=f"Change to `{name}`",
                kind=lsp.CodeActionKind.QuickFix,
                edit=edit,
                is_preferred=True,
                diagnostics=[
                    lsp.Diagnostic(range=span, message=diagnostic.message, code=diagnostic.code)
                ],
            )
        )
    return actions


def _overlaps(first: lsp.Range, second: lsp.Range) -> bool:
    def key(position: lsp.Position) -> tuple[int, int]:
        return position.line, position.character

    return key(first.start) <= key(second.end) and key(second.start) <= key(first.end)
