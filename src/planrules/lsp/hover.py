"""Hover: what a name, a rule, a budget line, a number or a function is."""

from __future__ import annotations

from lsprotocol import types as lsp

from planrules.lang.source import Span
from planrules.lsp.analysis import Analysis, Documents
from planrules.lsp.describe import describe_declaration, describe_function, describe_number
from planrules.lsp.index import FileIndex, Occurrence


def hover(documents: Documents, analysis: Analysis, position: lsp.Position) -> lsp.Hover | None:
    index = analysis.index
    if index is None:
        return None
    line, column = index.lines.line_column(index.lines.offset_at(position))
    scope = documents.scope(analysis)
    occurrence = index.at(line, column)
    if occurrence is not None:
        text = _declaration_text(documents, analysis.path, occurrence)
        if text is not None:
            return _hover(text, index, occurrence.span)
    call = index.call_at(line, column)
    if call is not None:
        return _hover(describe_function(call.function), index, None)
    number = index.number_at(line, column)
    if number is not None:
        currency = documents.currency(analysis)
        rules = analysis.checked.rules
        text = describe_number(number, index, scope, currency, rules)
        return _hover(text, index, number.span)
    return None


def _declaration_text(documents: Documents, path: str, occurrence: Occurrence) -> str | None:
    declaring = documents.declaration(path, occurrence.symbol)
    if declaring is None:
        return None
    node = declaring.declarations[occurrence.symbol]
    scope = documents.scope(documents.analyse(path))
    return describe_declaration(occurrence.symbol, node, declaring, scope)


def _hover(text: str, index: FileIndex, span: Span | None) -> lsp.Hover:
    shown = index.lines.range(span) if span is not None else None
    contents = lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text)
    return lsp.Hover(contents=contents, range=shown)
