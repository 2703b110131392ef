"""Where each thing a file declares is declared and read: names (metrics, tables, lets),
rules and budget lines, each occurrence with the span of exactly the text that names it.

Spans of names inside a declaration are found in the file's text between the declaration's
start and the point where the tree says the name is, so that this index needs nothing of the
tree builder beyond the syntax tree itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Literal

import attrs

from planrules.lang import syntax as s
from planrules.lang.source import Span
from planrules.lsp.positions import LineMap, contains

Kind = Literal["name", "rule", "line"]


@attrs.frozen
class Symbol:
    """A thing that can be named: a metric, table or let (`name`), a rule, or a budget's line
    (`line`, its budget in `scope`, "" where no budget of the file has it)."""

    kind: Kind
    name: str
    scope: str = ""


@attrs.frozen
class Occurrence:
    symbol: Symbol
    span: Span
    definition: bool
    # Written as a quoted text (a rule's name, a quoted key) rather than a bare name.
    quoted: bool


Declared = s.Metric | s.Table | s.Let | s.Goal | s.Threshold | s.Budget | s.Trigger | s.BudgetLine


_NAME = r"[^\W\d]\w*"
_STRING = re.compile(r'"(?:[^"\\\n]|\\["\\])*"')
_DECLARED_NAME = re.compile(rf"(?:metric|table|let)\s+({_NAME})")
_FOR_METRIC = re.compile(rf"for\s+({_NAME})")
_RULE_KEY = re.compile(rf"\s*\[\s*({_STRING.pattern})\s*\]")


def unquoted(text: str) -> str:
    return re.sub(r'\\(["\\])', r"\1", text[1:-1])


def quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@attrs.define
class FileIndex:
    path: str
    module: s.Module
    lines: LineMap
    occurrences: list[Occurrence] = attrs.field(factory=list)
    declarations: dict[Symbol, Declared] = attrs.field(factory=dict)
    numbers: list[s.Number] = attrs.field(factory=list)
    calls: list[s.Call] = attrs.field(factory=list)

    def at(self, line: int, column: int) -> Occurrence | None:
        found = [o for o in self.occurrences if contains(o.span, line, column)]
        return min(found, key=_width, default=None)

    def number_at(self, line: int, column: int) -> s.Number | None:
        found = [n for n in self.numbers if contains(n.span, line, column)]
        return min(found, key=_width, default=None)

    def call_at(self, line: int, column: int) -> s.Call | None:
        for call in self.calls:
            start = call.span
            name = Span(
                start.file, start.line, start.column, start.line, start.column + len(call.function)
            )
            if contains(name, line, column):
                return call
        return None

    def definition(self, symbol: Symbol) -> Occurrence | None:
        return next((o for o in self.occurrences if o.definition and o.symbol == symbol), None)


def _width(item: Any) -> tuple[int, int]:
    span: Span = item.span
    return (span.end_line - span.line, span.end_column - span.column)


def build_index(module: s.Module, text: str, lines: LineMap | None = None) -> FileIndex:
    index = FileIndex(module.path, module, lines or LineMap(text))
    budgets = {d.name: d for d in module.declarations if isinstance(d, s.Budget)}
    for declaration in module.declarations:
        _declaration(index, declaration, budgets)
    for node in walk(module):
        if isinstance(node, s.Name):
            index.occurrences.append(Occurrence(Symbol("name", node.name), node.span, False, False))
        elif isinstance(node, s.RuleName):
            index.occurrences.append(Occurrence(Symbol("rule", node.name), node.span, False, True))
        elif isinstance(node, s.Number):
            index.numbers.append(node)
        elif isinstance(node, s.Call):
            index.calls.append(node)
    return index


def walk(root: Any) -> Iterator[Any]:
    """Every syntax node below `root` (itself included), without recursion: an expression may
    be a chain thousands of operators long."""
    pending = [root]
    while pending:
        node = pending.pop()
        if isinstance(node, tuple | list):
            pending.extend(reversed(node))
            continue
        if not attrs.has(type(node)) or isinstance(node, Span):
            continue
        yield node
        pending.extend(reversed([getattr(node, name) for name in _fields(type(node))]))


_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(kind: Any) -> tuple[str, ...]:
    """The fields of a kind of node other than its span, looked up once per kind."""
    found = _FIELDS.get(kind)
    if found is None:
        found = _FIELDS[kind] = tuple(f.name for f in attrs.fields(kind) if f.name != "span")
    return found


def _declaration(index: FileIndex, node: s.Declaration, budgets: dict[str, s.Budget]) -> None:
    if isinstance(node, s.Metric | s.Table | s.Let):
        span = _first_group(index, node.span, _DECLARED_NAME)
        if span is not None:
            _define(index, Symbol("name", node.name), span, node, quoted=False)
        return
    if isinstance(node, s.Test):
        _test(index, node, budgets)
        return
    if not isinstance(node, s.Goal | s.Threshold | s.Budget | s.Trigger):
        return  # a declaration that names nothing (`group rep into team`)
    name_span = dict(node.clause_spans).get("name")
    if name_span is not None:
        _define(index, Symbol("rule", node.name), name_span, node, quoted=True)
    if isinstance(node, s.Budget):
        _budget(index, node)
    elif isinstance(node, s.Trigger):
        for action in node.actions:
            _action(index, action, budgets)


def _define(index: FileIndex, symbol: Symbol, span: Span, node: Declared, quoted: bool) -> None:
    index.occurrences.append(Occurrence(symbol, span, True, quoted))
    index.declarations.setdefault(symbol, node)


def _budget(index: FileIndex, budget: s.Budget) -> None:
    for_span = dict(budget.clause_spans).get("for")
    if budget.metric is not None and for_span is not None:
        span = _first_group(index, for_span, _FOR_METRIC)
        if span is not None:
            index.occurrences.append(Occurrence(Symbol("name", budget.metric), span, False, False))
    for line in budget.lines:
        symbol = Symbol("line", line.key.text, budget.name)
        _define(index, symbol, line.key.span, line, quoted=line.key.quoted)


def _action(index: FileIndex, action: s.Action, budgets: dict[str, s.Budget]) -> None:
    if isinstance(action, s.Recommend):
        return
    keys = (action.source, action.destination) if isinstance(action, s.Shift) else (action.line,)
    for key in keys:
        owner = action.budget or _budget_with_line(budgets, key.text)
        symbol = Symbol("line", key.text, owner)
        index.occurrences.append(Occurrence(symbol, key.span, False, key.quoted))
    if action.budget is not None:
        _rule_reference(index, action.span, action.budget, after=keys[-1].span)


def _budget_with_line(budgets: dict[str, s.Budget], key: str) -> str:
    having = [
        name
        for name, budget in budgets.items()
        if any(line.key.text == key for line in budget.lines)
    ]
    return having[0] if len(having) == 1 else ""


def _test(index: FileIndex, test: s.Test, budgets: dict[str, s.Budget]) -> None:
    for item in test.items:
        if isinstance(item, s.SnapshotBlock):
            for entry in item.entries:
                symbol = Symbol("name", entry.metric.text)
                index.occurrences.append(
                    Occurrence(symbol, entry.metric.span, False, entry.metric.quoted)
                )
        elif isinstance(item, s.ExpectStatus | s.ExpectValue):
            rule = _rule_reference(index, item.span, item.rule)
            if item.key is not None and rule is not None:
                # A budget's key is one of its lines; any other rule's, a key of its `per`
                # dimension, which no budget line of that name matches.
                _rule_key(index, item.span, rule, Symbol("line", item.key, item.rule))
        elif isinstance(item, s.ExpectProposed):
            _rule_reference(index, item.span, item.budget)
            symbol = Symbol("line", item.line.text, item.budget)
            index.occurrences.append(Occurrence(symbol, item.line.span, False, item.line.quoted))


def _rule_reference(
    index: FileIndex, within: Span, name: str, after: Span | None = None
) -> Span | None:
    start, end = index.lines.span_offsets(within)
    if after is not None:
        start = index.lines.span_offsets(after)[1]
    for match in _STRING.finditer(index.lines.text, start, end):
        if unquoted(match.group(0)) == name:
            span = index.lines.span(index.path, match.start(), match.end())
            index.occurrences.append(Occurrence(Symbol("rule", name), span, False, True))
            return span
    return None


def _rule_key(index: FileIndex, within: Span, rule: Span, symbol: Symbol) -> None:
    """The quoted key after a rule's name in an expectation: `"Rule"["key"]`."""
    end = index.lines.span_offsets(within)[1]
    match = _RULE_KEY.match(index.lines.text, index.lines.span_offsets(rule)[1], end)
    if match is not None and unquoted(match.group(1)) == symbol.name:
        span = index.lines.span(index.path, match.start(1), match.end(1))
        index.occurrences.append(Occurrence(symbol, span, False, True))


def _first_group(index: FileIndex, within: Span, pattern: re.Pattern[str]) -> Span | None:
    start, end = index.lines.span_offsets(within)
    match = pattern.match(index.lines.text, start, max(end, start))
    if match is None:
        return None
    return index.lines.span(index.path, match.start(1), match.end(1))
