"""Completion: what the grammar takes at the cursor, and the names that fit there.

Lark's interactive parser reads the declaration the cursor is in up to the word being typed and
says which terminals it would take next: its keywords are offered as they are spelt in the
grammar, and where it takes a name, the names that fit the place (names in scope and the
checker's functions in an expression, dimensions after `per` and `by`, budget lines in `shift`
and `scale`, a table's keys after `.`, rules in a test's expectations). Everything is matched
as people type (`planrules.lsp.matching`), so `doanh thu` finds `doanh_thu`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import attrs
from lark import Token
from lsprotocol import types as lsp

from planrules.lang import syntax as s
from planrules.lang.exprcheck import Scope
from planrules.lang.numbers import CURRENCY_SIGNS
from planrules.lsp.analysis import Analysis, Documents
from planrules.lsp.describe import (
    describe_function,
    functions,
    let_unit,
    metric_heading,
    signature,
    table_heading,
    table_keys,
)
from planrules.lsp.grammar import accepted_after, words
from planrules.lsp.index import FileIndex, quoted, unquoted
from planrules.lsp.matching import match_rank
from planrules.lsp.partial import block_of, block_starts
from planrules.lsp.positions import LineMap

_WORD_BEFORE = re.compile(r"\w*\Z")
# Up to three words back, for names typed with spaces for underscores (`doanh thu`).
_WORDS_BACK = 3
# Where a quoted text names a rule: `expect "..."`, `expect value of "..."`, and a call that
# takes a rule where the language has one (`status("...")`).
_EXPECTS_RULE = frozenset({"EXPECT", "OF", "LPAR"})
_EXPECTS_BUDGET = frozenset({"PROPOSED", "IN"})


@attrs.frozen
class Candidate:
    label: str
    kind: lsp.CompletionItemKind
    detail: str | None = None
    documentation: str | None = None
    insert: str | None = None
    snippet: bool = False


@attrs.frozen
class Place:
    """What the parser would take after the text before what is being typed."""

    accepted: frozenset[str]
    tokens: tuple[Token, ...]

    @property
    def previous(self) -> str | None:
        return self.tokens[-1].type if self.tokens else None

    @property
    def expression(self) -> bool:
        return "NAME" in self.accepted and bool({"LPAR", "NUMBER"} & self.accepted)


def complete(
    documents: Documents, analysis: Analysis, position: lsp.Position
) -> lsp.CompletionList:
    text = analysis.source.text
    lines = analysis.lines
    offset = lines.offset_at(position)
    line_start = text.rfind("\n", 0, offset) + 1
    before = text[line_start:offset]
    if _in_comment(before):
        return lsp.CompletionList(is_incomplete=False, items=[])
    visible = documents.visible(analysis.path)
    start = lines.offset(block_of(block_starts(text), text.count("\n", 0, offset) + 1)[0], 1)
    quote = _open_quote(before)
    in_braces = quote is not None and _in_interpolation(before[quote:])
    if quote is not None and not in_braces:
        typed_start = line_start + quote + 1
        place = _place(text[start : typed_start - 1])
        closes = text[offset : offset + 1] != '"'
        found = _in_quotes(place, visible, closes) if place is not None else []
        return _items(found, text[typed_start:offset], lines, typed_start, offset)
    result = lsp.CompletionList(is_incomplete=True, items=[])
    for typed in _typed_runs(before):
        typed_start = offset - len(typed)
        place = None if in_braces else _place(text[start:typed_start])
        found = (
            _candidates(place, visible, documents.scope(analysis))
            if place is not None
            else _fallback(visible)
        )
        result = _items(found, typed, lines, typed_start, offset)
        if result.items:
            break
    return result


def _in_comment(before: str) -> bool:
    inside = False
    for char in before:
        if char == '"':
            inside = not inside
        elif char == "#" and not inside:
            return True
    return False


def _in_interpolation(text: str) -> bool:
    """Whether a text being typed (from its quote) is inside a `{...}`, `{{` being a brace."""
    opened = text.replace("{{", "").replace("}}", "")
    return opened.rfind("{") > opened.rfind("}")


def _open_quote(before: str) -> int | None:
    """Where the text being typed opens its quote, if the cursor is inside one."""
    opened: int | None = None
    escaped = False
    for index, char in enumerate(before):
        if escaped:
            escaped = False
        elif char == "\\" and opened is not None:
            escaped = True
        elif char == '"':
            opened = index if opened is None else None
    return opened


def _typed_runs(before: str) -> list[str]:
    """What may be being typed: the longest run of words first (`doanh thu`), the last word
    (perhaps empty) last."""
    runs = []
    word = _WORD_BEFORE.search(before)
    last = word.group(0) if word else ""
    for count in range(_WORDS_BACK, 1, -1):
        match = re.search(rf"(?:[^\W\d]\w*[ \t]+){{{count - 1}}}{re.escape(last)}\Z", before)
        if match and last:
            runs.append(match.group(0))
    runs.append(last)
    return runs


def _place(text: str) -> Place | None:
    """What the parser takes after `text` (the start of a declaration), None where `text` is
    not the start of one."""
    found = accepted_after(text)
    return Place(*found) if found is not None else None


def _keywords(place: Place) -> list[Candidate]:
    return [Candidate(word, lsp.CompletionItemKind.Keyword) for word in words(place.accepted)]


def _candidates(place: Place, visible: list[FileIndex], scope: Scope) -> list[Candidate]:
    found = _keywords(place)
    if "NAME" not in place.accepted:
        return found
    previous = place.previous
    if previous == "CURRENCY":
        return found + _currencies(visible)
    if previous == "DOT" and len(place.tokens) >= 2:
        return found + _keys_after(place.tokens[-2], visible, scope)
    if place.expression:
        return found + _names(visible) + _functions()
    if previous in ("PER", "BY"):
        return found + _dimensions(visible)
    if previous == "FOR":
        return found + [c for c in _names(visible) if c.kind == lsp.CompletionItemKind.Field]
    if previous in ("FROM", "TO", "SCALE") and "STRING" in place.accepted:
        return found + _budget_lines(visible, None)
    if "RBRACE" in place.accepted and _in_test(place):
        return found + [c for c in _names(visible) if c.kind == lsp.CompletionItemKind.Field]
    return found


def _currencies(visible: list[FileIndex]) -> list[Candidate]:
    """The codes the language reads its currency signs and names as, and those the visible
    files are in (any three capitals are a code), then the signs and names themselves."""
    written = (index.module.currency for index in visible)
    codes = {*CURRENCY_SIGNS.values(), *(h.code for h in written if h is not None)}
    found = [
        Candidate(CURRENCY_SIGNS.get(code, code), lsp.CompletionItemKind.Unit, "currency")
        for code in sorted(codes)
    ]
    found += [
        Candidate(sign, lsp.CompletionItemKind.Unit, f"read as {code}")
        for sign, code in CURRENCY_SIGNS.items()
    ]
    return found


def _fallback(visible: list[FileIndex]) -> list[Candidate]:
    """Inside a recommendation's `{...}`, or where the text before the cursor does not parse:
    the names and functions."""
    return _names(visible) + _functions()


def _in_test(place: Place) -> bool:
    return bool(place.tokens) and place.tokens[0].type == "TEST"


def _in_quotes(place: Place, visible: list[FileIndex], closes: bool) -> list[Candidate]:
    if "STRING" not in place.accepted:
        return []
    rules = [
        (index, node)
        for index in visible
        for node in index.module.declarations
        if isinstance(node, s.Goal | s.Threshold | s.Budget | s.Trigger)
    ]
    if place.previous in _EXPECTS_BUDGET:
        rules = [(index, node) for index, node in rules if isinstance(node, s.Budget)]
    elif place.previous not in _EXPECTS_RULE:
        return []
    return [
        Candidate(
            node.name,
            lsp.CompletionItemKind.Event,
            detail=type(node).__name__.lower(),
            insert=quoted(node.name)[1:] if closes else quoted(node.name)[1:-1],
        )
        for index, node in rules
    ]


def _names(visible: list[FileIndex]) -> list[Candidate]:
    found = []
    for index in visible:
        for node in index.module.declarations:
            if isinstance(node, s.Metric):
                found.append(
                    Candidate(
                        node.name,
                        lsp.CompletionItemKind.Field,
                        metric_heading(node),
                        node.description,
                    )
                )
            elif isinstance(node, s.Table):
                found.append(
                    Candidate(
                        node.name,
                        lsp.CompletionItemKind.Struct,
                        table_heading(node),
                        table_keys(node),
                    )
                )
            elif isinstance(node, s.Let):
                found.append(
                    Candidate(node.name, lsp.CompletionItemKind.Variable, f"let {node.name}")
                )
    return found


def _functions() -> list[Candidate]:
    return [
        Candidate(
            name,
            lsp.CompletionItemKind.Function,
            signature(name, arity),
            describe_function(name),
            insert=f"{name}($1)",
            snippet=True,
        )
        for name, arity in functions().items()
    ]


def _dimensions(visible: list[FileIndex]) -> list[Candidate]:
    dimensions: set[str] = set()
    for index in visible:
        for node in index.module.declarations:
            if isinstance(node, s.Metric | s.Table) and node.dimension:
                dimensions.add(node.dimension)
    return [
        Candidate(d, lsp.CompletionItemKind.TypeParameter, "dimension") for d in sorted(dimensions)
    ]


def _budget_lines(visible: list[FileIndex], budget: str | None) -> list[Candidate]:
    found: list[Candidate] = []
    for index in visible:
        for node in index.module.declarations:
            if isinstance(node, s.Budget) and budget in (None, node.name):
                found.extend(
                    Candidate(
                        line.key.text,
                        lsp.CompletionItemKind.EnumMember,
                        f"{line.amount.text} in “{node.name}”",
                        insert=quoted(line.key.text) if line.key.quoted else None,
                    )
                    for line in node.lines
                )
    return found


def _keys_after(target: Token, visible: list[FileIndex], scope: Scope) -> list[Candidate]:
    """After `.`: a table's keys, or for a keyed value, the keys of the tables of its
    dimension; after a budget's quoted name (`expect proposed "B".`), its lines."""
    if target.type == "STRING":
        return _budget_lines(visible, unquoted(str(target)))
    name = str(target)
    tables = [n for i in visible for n in i.module.declarations if isinstance(n, s.Table)]
    metrics = {n.name: n for i in visible for n in i.module.declarations if isinstance(n, s.Metric)}
    dimension: str | None = None
    if name in metrics:
        dimension = metrics[name].dimension
    elif any(t.name == name for t in tables):
        dimension = next(t.dimension for t in tables if t.name == name)
    else:
        unit = let_unit(name, scope)
        dimension = unit.dimension if unit is not None else None
    keys: dict[str, str] = {}
    for table in tables:
        if table.name == name or (dimension is not None and table.dimension == dimension):
            for entry in table.entries:
                keys.setdefault(entry.key.text, f"{entry.value.text} in {table.name}")
    return [Candidate(k, lsp.CompletionItemKind.Value, detail) for k, detail in keys.items()]


def _items(
    candidates: Iterable[Candidate], typed: str, lines: LineMap, start: int, end: int
) -> lsp.CompletionList:
    replace = lsp.Range(
        start=lines.position(*lines.line_column(start)),
        end=lines.position(*lines.line_column(end), end=True),
    )
    items = []
    seen: set[tuple[str, lsp.CompletionItemKind]] = set()
    for candidate in candidates:
        rank = match_rank(typed, candidate.label)
        if rank is None or (candidate.label, candidate.kind) in seen:
            continue
        seen.add((candidate.label, candidate.kind))
        documentation = (
            lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=candidate.documentation)
            if candidate.documentation
            else None
        )
        items.append(
            lsp.CompletionItem(
                label=candidate.label,
                kind=candidate.kind,
                detail=candidate.detail,
                documentation=documentation,
                sort_text=f"{rank}{_order(candidate.kind)}{candidate.label}",
                filter_text=typed or None,
                text_edit=lsp.TextEdit(range=replace, new_text=candidate.insert or candidate.label),
                insert_text_format=(
                    lsp.InsertTextFormat.Snippet
                    if candidate.snippet
                    else lsp.InsertTextFormat.PlainText
                ),
            )
        )
    return lsp.CompletionList(is_incomplete=True, items=items)


def _order(kind: lsp.CompletionItemKind) -> int:
    """Names before functions before keywords, where they match as well."""
    if kind == lsp.CompletionItemKind.Keyword:
        return 3
    return 2 if kind == lsp.CompletionItemKind.Function else 1
