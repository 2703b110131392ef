"""Edits the editor applies: the canonical layout of `planrules fmt`, and the checker's
did-you-mean as a quick fix."""

from __future__ import annotations

import re

from lsprotocol import types as lsp

from planrules.lang.diagnostics import Diagnostic
from planrules.lang.fmt import format_source
from planrules.lang.messages import Message
from planrules.lsp.analysis import Analysis
from planrules.lsp.diagnostics import own_diagnostics, suggestion
from planrules.lsp.index import quoted

_BARE_NAME = re.compile(r"[^\W\d]\w*")


def formatting(analysis: Analysis) -> list[lsp.TextEdit]:
    """The whole text as `planrules fmt` writes it (its layout, in NFC); nothing for a file it
    leaves alone (one that does not parse, or one written so already), as `fmt` does."""
    result = format_source(analysis.source)
    if result.text is None or result.text == analysis.written:
        return []
    return [lsp.TextEdit(range=analysis.lines.whole(), new_text=result.text)]


def code_actions(analysis: Analysis, uri: str, wanted: lsp.Range) -> list[lsp.CodeAction]:
    """A quick fix for each did-you-mean the checker found in the range asked about: the name
    it is about replaced, and nothing else of what the diagnostic covers."""
    lines = analysis.lines
    actions = []
    for diagnostic in own_diagnostics(analysis):
        name = suggestion(diagnostic)
        span = lines.range(diagnostic.span)
        if name is None or not _overlaps(span, wanted):
            continue
        replaced = _misspelt(analysis, diagnostic)
        if replaced is None:
            continue
        start, end, was_quoted = replaced
        new_text = quoted(name) if was_quoted or not _BARE_NAME.fullmatch(name) else name
        change = lsp.TextEdit(range=lines.offsets_range(start, end), new_text=new_text)
        edit = lsp.WorkspaceEdit(changes={uri: [change]})
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


def _misspelt(analysis: Analysis, diagnostic: Diagnostic) -> tuple[int, int, bool] | None:
    """Where the name a diagnostic is about is written in what it covers (start and end
    offsets, and whether it is quoted there): the first of its message's fields found written
    as a quoted text, or else as a bare name."""
    text = analysis.lines.text
    start, end = analysis.lines.span_offsets(diagnostic.span)
    message = diagnostic.message
    fields = message.fields if isinstance(message, Message) else {}
    names = [value for value in fields.values() if isinstance(value, str) and value]
    for name in names:
        at = text.find(quoted(name), start, end)
        if at >= 0:
            return at, at + len(quoted(name)), True
    for name in names:
        bare = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)")
        found = bare.search(text, start, end)
        if found is not None:
            return found.start(), found.end(), False
    return None


def _overlaps(first: lsp.Range, second: lsp.Range) -> bool:
    def key(position: lsp.Position) -> tuple[int, int]:
        return position.line, position.character

    return key(first.start) <= key(second.end) and key(second.start) <= key(first.end)
