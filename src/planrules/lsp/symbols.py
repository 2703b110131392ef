"""The outline of a file: its metrics, tables, lets, rules (a budget with its lines) and tests."""

from __future__ import annotations

from lsprotocol import types as lsp

from planrules.lang import syntax as s
from planrules.lsp.describe import metric_heading, table_heading
from planrules.lsp.index import FileIndex, Symbol

_KINDS: dict[type, lsp.SymbolKind] = {
    s.Metric: lsp.SymbolKind.Field,
    s.Table: lsp.SymbolKind.Struct,
    s.Let: lsp.SymbolKind.Variable,
    s.Goal: lsp.SymbolKind.Event,
    s.Threshold: lsp.SymbolKind.Event,
    s.Budget: lsp.SymbolKind.Object,
    s.Trigger: lsp.SymbolKind.Event,
    s.Test: lsp.SymbolKind.Method,
}


Outlined = s.Metric | s.Table | s.Let | s.Goal | s.Threshold | s.Budget | s.Trigger | s.Test


def document_symbols(index: FileIndex) -> list[lsp.DocumentSymbol]:
    return [
        _symbol(index, node) for node in index.module.declarations if isinstance(node, Outlined)
    ]


def _symbol(index: FileIndex, node: Outlined) -> lsp.DocumentSymbol:
    whole = index.lines.range(node.span)
    named_by = Symbol("name" if isinstance(node, s.Metric | s.Table | s.Let) else "rule", node.name)
    named = index.definition(named_by)
    children = None
    if isinstance(node, s.Budget):
        children = [
            lsp.DocumentSymbol(
                name=line.key.text,
                kind=lsp.SymbolKind.EnumMember,
                range=index.lines.range(line.span),
                selection_range=index.lines.range(line.key.span),
                detail=line.amount.text,
            )
            for line in node.lines
        ]
    return lsp.DocumentSymbol(
        name=node.name,
        kind=_KINDS[type(node)],
        range=whole,
        selection_range=index.lines.range(named.span) if named is not None else whole,
        detail=_detail(node),
        children=children,
    )


def _detail(node: Outlined) -> str:
    if isinstance(node, s.Metric):
        return metric_heading(node).split(": ", 1)[1]
    if isinstance(node, s.Table):
        return table_heading(node).split(": ", 1)[1]
    if isinstance(node, s.Let):
        return "let"
    return type(node).__name__.lower()
