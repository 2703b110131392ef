"""The canonical printer behind `planrules fmt`: one layout for every ruleset, comments kept.

The layout:
- `ruleset "..."`, then `currency`, `period` and every `use`, one per line; a blank line.
- One declaration per line, or a header line with its body indented four spaces: threshold
  levels (and the threshold's `owner` last), budget lines, trigger actions, test items and
  snapshot entries. A block's `}` closes on its own line, a budget's or trigger's `owner`
  after it.
- A blank line between declarations, except between one-line declarations of the same kind
  (metrics, tables, lets, goals, ...), which stay together as a group.
- Optional clauses in the order the language reference lists them; `period` after a count
  of 1, `periods` otherwise.
- Lists of keys are columns: a budget's keys padded to the longest key and its amounts to
  the longest amount, so the `share` clauses line up. A table, or a keyed value in a
  snapshot, stays on one line (`{ Lan 120  Minh 90  else 60 }`) when it fits in 100 columns
  and holds no comment; otherwise it is a column like a budget's.
- What the user chose to write is kept: numbers as spelled (`2 tỷ`, `150k`), quoted or bare
  keys, `spend.x` or `spend["x"]`. Expressions get only the parentheses their precedence
  needs.

Comments live beside the tree, in `Module.comments`, so the printer places them by position:
each printed line holds the source positions (its anchors) of the nodes printed on it. A
comment on its own line goes on its own line before the printed line holding the first anchor
after it (or at the end of the file); a trailing comment goes at the end of the printed line
holding the last anchor before it. Runs of trailing comments on consecutive lines are aligned.
"""

from __future__ import annotations

import bisect
import itertools
import sys
import unicodedata
from collections.abc import Iterable, Sequence

import attrs

from planrules import syntax as s
from planrules.build import parse_source
from planrules.diagnostics import Diagnostic, has_errors
from planrules.source import Source, Span

INDENT = 4
MAX_WIDTH = 100
GAP = "  "  # between the columns of a list, and between the entries of a one-line list

Position = tuple[int, int]
_END_OF_FILE: Position = (sys.maxsize, 1)


@attrs.frozen
class FormatResult:
    """The formatted text, or None where the file could not be formatted, and why."""

    text: str | None
    diagnostics: tuple[Diagnostic, ...]


def format_source(source: Source) -> FormatResult:
    """Format one file; a file with a parse error is left alone (text None).

    Errors found while building the tree (a bad date, a clause given twice, a goal without a
    comparison) leave part of the text out of the tree, and printing that tree would delete it.
    """
    parsed = parse_source(source)
    if parsed.module is None or has_errors(parsed.diagnostics):
        return FormatResult(None, parsed.diagnostics)
    return FormatResult(format_module(parsed.module, source), parsed.diagnostics)


def format_module(module: s.Module, source: Source | None = None) -> str:
    """The canonical text of a tree, ending with one newline ("" for an empty module).

    `source`, the text the module was parsed from, tells where `ruleset "..."` was written
    (the tree does not): without it, comments above the first header or declaration are
    printed above the `ruleset` line.
    """
    comments = _CommentIndex(module.comments)
    chunks = _chunks(module, comments)
    lines = [line for chunk in chunks for line in chunk.lines]
    _anchor_ruleset(module, lines, source)
    left_over = _attach_comments(lines, module.comments)
    return _render(_rows(chunks, left_over))


# ---- printed lines and where comments go ---------------------------------------------------


@attrs.define
class _Line:
    """One printed line, the source positions it holds and the comments that go with it."""

    indent: int
    text: str
    anchors: list[Position] = attrs.field(factory=list)
    # A closing `}`: comments before it are inside the block, one level deeper.
    inner_indent: int | None = None
    leading: list[s.Comment] = attrs.field(factory=list)
    trailing: list[s.Comment] = attrs.field(factory=list)


@attrs.define
class _Chunk:
    """The lines of the header or of one declaration; `family` decides the blank lines."""

    family: str
    lines: list[_Line]


@attrs.frozen
class _Row:
    """A line of output: its code, and the trailing comment to align after it."""

    code: str
    comment: str | None = None


class _CommentIndex:
    """Where the comments are, to tell whether one falls inside a construct."""

    def __init__(self, comments: Iterable[s.Comment]) -> None:
        self._positions = sorted(_position(comment) for comment in comments)

    def inside(self, span: Span) -> bool:
        after_start = bisect.bisect_right(self._positions, _start(span))
        return after_start < len(self._positions) and self._positions[after_start] < _end(span)


def _position(comment: s.Comment) -> Position:
    return (comment.span.line, comment.span.column)


def _start(span: Span) -> Position:
    return (span.line, span.column)


def _end(span: Span) -> Position:
    # Spans end one column after their last character; the anchor is that character.
    return (span.end_line, span.end_column - 1)


def _span_anchors(span: Span) -> list[Position]:
    return [_start(span), _end(span)]


def _anchor_ruleset(module: s.Module, lines: list[_Line], source: Source | None) -> None:
    if module.ruleset is None:
        return
    ruleset_line = lines[0]
    if source is not None:
        ruleset_line.anchors.append(_first_token(source.text))
        return
    # Without the text, the best guess is that nothing but comments came before the first
    # header or declaration.
    others = [anchor for line in lines[1:] for anchor in line.anchors]
    first = min(others, default=_END_OF_FILE)
    ruleset_line.anchors.append((first[0], first[1] - 1))


def _first_token(text: str) -> Position:
    """Where the first thing other than white space and comments starts."""
    for number, line in enumerate(text.split("\n"), start=1):
        code = line.lstrip(" \t\f\r")
        if code and not code.startswith("#"):
            return (number, len(line) - len(code) + 1)
    return (1, 1)


def _attach_comments(lines: list[_Line], comments: Sequence[s.Comment]) -> list[s.Comment]:
    """Give each comment to the printed line it belongs with; return those for the end."""
    index = sorted((anchor, number) for number, line in enumerate(lines) for anchor in line.anchors)
    anchors = [anchor for anchor, _ in index]
    left_over: list[s.Comment] = []
    for comment in comments:
        position = _position(comment)
        if comment.own_line:
            after = bisect.bisect_right(anchors, position)
            if after < len(index):
                lines[index[after][1]].leading.append(comment)
            else:
                left_over.append(comment)
        elif lines:
            before = bisect.bisect_left(anchors, position) - 1
            lines[index[before][1] if before >= 0 else 0].trailing.append(comment)
        else:
            left_over.append(comment)
    return left_over


def _rows(chunks: list[_Chunk], left_over: list[s.Comment]) -> list[_Row]:
    rows: list[_Row] = []
    for previous, chunk in zip([None, *chunks], chunks, strict=False):
        if previous is not None and _apart(previous, chunk):
            rows.append(_Row(""))
        for line in chunk.lines:
            rows.extend(_line_rows(line))
    if left_over:
        if rows:
            rows.append(_Row(""))
        rows.extend(_Row(comment.text) for comment in left_over)
    return rows


def _apart(previous: _Chunk, chunk: _Chunk) -> bool:
    """Whether a blank line separates two chunks: all but one-liners of one kind are apart."""
    together = previous.family == chunk.family and len(previous.lines) == len(chunk.lines) == 1
    return not together


def _line_rows(line: _Line) -> list[_Row]:
    # A line holds one trailing comment; where joined source lines brought several, the
    # earlier ones go above it, on their own lines.
    trailing = sorted(line.trailing, key=_position)
    above = sorted(line.leading + trailing[:-1], key=_position)
    comment_indent = line.indent if line.inner_indent is None else line.inner_indent
    rows = [_Row(" " * comment_indent + comment.text) for comment in above]
    rows.append(_Row(" " * line.indent + line.text, trailing[-1].text if trailing else None))
    return rows


def _render(rows: list[_Row]) -> str:
    out: list[str] = []
    for commented, run in itertools.groupby(rows, key=lambda row: row.comment is not None):
        group = list(run)
        if not commented:
            out.extend(row.code for row in group)
            continue
        column = max(_width(row.code) for row in group) + 1
        out.extend(f"{row.code}{' ' * (column - _width(row.code))}{row.comment}" for row in group)
    return "\n".join(out) + "\n" if out else ""


def _width(text: str) -> int:
    """Columns on a terminal: CJK characters take two, combining marks none."""
    return sum(_char_width(char) for char in text)


def _char_width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _fits(text: str, indent: int) -> bool:
    return indent + _width(text) <= MAX_WIDTH


# ---- the module ----------------------------------------------------------------------------


def _chunks(module: s.Module, comments: _CommentIndex) -> list[_Chunk]:
    header = _header_lines(module)
    chunks = [_Chunk("header", header)] if header else []
    chunks.extend(_declaration(decl, comments) for decl in module.declarations)
    return chunks


def _header_lines(module: s.Module) -> list[_Line]:
    lines = []
    if module.ruleset is not None:
        lines.append(_Line(0, f"ruleset {quote(module.ruleset)}"))
    if module.currency is not None:
        lines.append(_one_line(f"currency {module.currency.code}", module.currency.span))
    if module.period is not None:
        period = module.period
        text = f"period {period.start.isoformat()} to {period.end.isoformat()} {period.cadence}"
        lines.append(_one_line(text, period.span))
    lines.extend(_one_line(f"use {quote(use.path)}", use.span) for use in module.uses)
    return lines


def _declaration(decl: s.Declaration, comments: _CommentIndex) -> _Chunk:
    family = type(decl).__name__
    match decl:
        case s.Metric():
            return _Chunk(family, [_one_line(_metric(decl), decl.span)])
        case s.Table():
            return _Chunk(family, _table(decl, comments))
        case s.Let():
            return _Chunk(
                family, [_one_line(f"let {decl.name} = {expression(decl.expr)}", decl.span)]
            )
        case s.Goal():
            return _Chunk(family, [_one_line(_goal(decl), decl.span)])
        case s.Threshold():
            return _Chunk(family, _threshold(decl))
        case s.Budget():
            return _Chunk(family, _budget(decl))
        case s.Trigger():
            return _Chunk(family, _trigger(decl))
        case s.Test():
            return _Chunk(family, _test(decl, comments))


def _one_line(text: str, span: Span, indent: int = 0) -> _Line:
    return _Line(indent, text, _span_anchors(span))


def _closing(indent: int, span: Span, owner: str | None = None) -> _Line:
    return _Line(indent, "}" + " ".join(["", *_owner(owner)]), [_end(span)], indent + INDENT)


def _columns(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows of cells as lines, every cell but a row's last padded to its column's width."""
    widths = [
        max((_width(row[column]) for row in rows if len(row) > column + 1), default=0)
        for column in range(max((len(row) for row in rows), default=0))
    ]
    return [
        GAP.join(
            [cell + " " * (widths[column] - _width(cell)) for column, cell in enumerate(row[:-1])]
            + list(row[-1:])
        )
        for row in rows
    ]


def _inline_list(rows: Sequence[Sequence[str]]) -> str:
    if not rows:
        return "{}"
    return "{ " + GAP.join(" ".join(row) for row in rows) + " }"


def _keyed_list(
    head: str,
    rows: Sequence[Sequence[str]],
    spans: Sequence[Span],
    span: Span,
    indent: int,
    comments: _CommentIndex,
) -> list[_Line]:
    """`head { KEY VALUE ... }` on one line where it fits and holds no comment, else a column."""
    inline = f"{head} {_inline_list(rows)}"
    if _fits(inline, indent) and not comments.inside(span):
        return [_Line(indent, inline, _span_anchors(span))]
    head_line = _Line(indent, f"{head} {{", [_start(span)])
    return [head_line, *_column_lines(rows, spans, indent + INDENT), _closing(indent, span)]


def _column_lines(rows: Sequence[Sequence[str]], spans: Sequence[Span], indent: int) -> list[_Line]:
    return [_one_line(text, span, indent) for text, span in zip(_columns(rows), spans, strict=True)]


def _per(dimension: str | None) -> str:
    return "" if dimension is None else f" per {dimension}"


def _owner(owner: str | None) -> list[str]:
    return [] if owner is None else ["owner", quote(owner)]


def _periods(count: s.Number) -> str:
    return "period" if count.value == 1 else "periods"


def _key(key: s.Key) -> str:
    return quote(key.text) if key.quoted else key.text


def quote(text: str) -> str:
    """A text as a double-quoted string, with `\\` and `"` escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---- declarations --------------------------------------------------------------------------


def _metric(metric: s.Metric) -> str:
    words = [f"metric {metric.name}: {metric.type}"]
    if metric.dimension is not None:
        words.append(f"by {metric.dimension}")
    if metric.stock:
        words.append("stock")
    if metric.description is not None:
        words.append(quote(metric.description))
    return " ".join(words)


def _table(table: s.Table, comments: _CommentIndex) -> list[_Line]:
    rows = [[_key(entry.key), entry.value.text] for entry in table.entries]
    spans = [entry.span for entry in table.entries]
    if table.default is not None:
        rows.append(["else", table.default.text])
        spans.append(table.default.span)
    head = f"table {table.name}: {table.type} by {table.dimension}"
    return _keyed_list(head, rows, spans, table.span, 0, comments)


def _goal(goal: s.Goal) -> str:
    subject = expression(goal.subject, SUM)
    words = [f"goal {quote(goal.name)}{_per(goal.per)}:", subject, goal.op]
    words.append(expression(goal.target, SUM))
    if goal.deadline is not None:
        words += ["by", goal.deadline.isoformat()]
    if goal.baseline is not None:
        words += ["from", expression(goal.baseline, SUM)]
    if goal.tolerance is not None:
        words += ["tolerance", goal.tolerance.text]
    if goal.phased is not None:
        words += ["phased", *(weight.text for weight in goal.phased)]
    return " ".join(words + _owner(goal.owner))


def _threshold(threshold: s.Threshold) -> list[_Line]:
    head = f"threshold {quote(threshold.name)}{_per(threshold.per)}: "
    head += expression(threshold.subject)
    lines = [_Line(0, head, [_start(threshold.span), _end(threshold.subject.span)])]
    for level in threshold.levels:
        text = f"{level.status} {level.direction} {expression(level.bound, SUM)}"
        lines.append(_one_line(text, level.span, INDENT))
    if threshold.owner is not None:
        lines.append(_Line(INDENT, " ".join(_owner(threshold.owner)), _owner_anchor(threshold)))
    return lines


def _owner_anchor(threshold: s.Threshold) -> list[Position]:
    # The owner has no span of its own; the threshold ends with it where it was written last.
    # Written before a level, it is moved below the levels and holds no comment.
    end = _end(threshold.span)
    others = [_end(threshold.subject.span), *(_end(level.span) for level in threshold.levels)]
    return [end] if end > max(others) else []


def _budget(budget: s.Budget) -> list[_Line]:
    words = [f"budget {quote(budget.name)} total {budget.total.text}"]
    anchors = [_start(budget.span), *_span_anchors(budget.total.span)]
    if budget.per_period:
        words.append("per period")
    if budget.metric is not None:
        words.append(f"for {budget.metric}")
    if budget.tolerance is not None:
        words.append(f"tolerance {budget.tolerance.text}")
        anchors += _span_anchors(budget.tolerance.span)
    head = _Line(0, " ".join([*words, "{"]), anchors)
    rows = [_budget_row(line) for line in budget.lines]
    body = _column_lines(rows, [line.span for line in budget.lines], INDENT)
    return [head, *body, _closing(0, budget.span, budget.owner)]


def _budget_row(line: s.BudgetLine) -> list[str]:
    row = [_key(line.key), line.amount.text]
    if line.share is not None:
        row.append(_share(line.share))
    return row


def _share(share: s.Share) -> str:
    if share.minimum is not None and share.maximum is not None:
        return f"share {share.minimum.text} .. {share.maximum.text}"
    if share.minimum is not None:
        return f"share >= {share.minimum.text}"
    if share.maximum is not None:
        return f"share <= {share.maximum.text}"
    raise ValueError("a share range needs a minimum, a maximum or both")


def _trigger(trigger: s.Trigger) -> list[_Line]:
    words = [f"trigger {quote(trigger.name)}{_per(trigger.per)} when"]
    words.append(expression(trigger.condition))
    anchors = [_start(trigger.span), _end(trigger.condition.span)]
    counts = [count for count in (trigger.hold, trigger.window, trigger.cooldown) if count]
    anchors += [anchor for count in counts for anchor in _span_anchors(count.span)]
    if trigger.hold is not None and trigger.window is not None:
        words.append(f"for {trigger.hold.text} of {trigger.window.text} {_periods(trigger.window)}")
    elif trigger.hold is not None:
        words.append(f"for {trigger.hold.text} {_periods(trigger.hold)}")
    if trigger.cooldown is not None:
        words.append(f"cooldown {trigger.cooldown.text} {_periods(trigger.cooldown)}")
    if trigger.severity is not None:
        words.append(f"severity {trigger.severity}")
    head = _Line(0, " ".join([*words, "{"]), anchors)
    body = [_one_line(_action(action), action.span, INDENT) for action in trigger.actions]
    return [head, *body, _closing(0, trigger.span, trigger.owner)]


def _action(action: s.Action) -> str:
    match action:
        case s.Shift():
            text = f"shift {action.amount.text} from {_key(action.source)}"
            return f"{text} to {_key(action.destination)}{_in_budget(action.budget)}"
        case s.Scale():
            text = f"scale {_key(action.line)} by {action.sign}{action.amount.text}"
            return text + _in_budget(action.budget)
        case s.Recommend():
            return f"recommend {quote(recommendation(action.parts))}"


def _in_budget(budget: str | None) -> str:
    return "" if budget is None else f" in {quote(budget)}"


def recommendation(parts: Iterable[str | s.Interpolation]) -> str:
    """A recommendation's text (unquoted): literal braces doubled, `{expr}` printed."""
    return "".join(
        part.replace("{", "{{").replace("}", "}}")
        if isinstance(part, str)
        else "{" + expression(part.expr) + "}"
        for part in parts
    )


# ---- tests of rulesets ---------------------------------------------------------------------


def _test(test: s.Test, comments: _CommentIndex) -> list[_Line]:
    head = _Line(0, f"test {quote(test.name)} {{", [_start(test.span)])
    body = [line for item in test.items for line in _test_item(item, comments)]
    return [head, *body, _closing(0, test.span)]


def _test_item(item: s.TestItem, comments: _CommentIndex) -> list[_Line]:
    match item:
        case s.SnapshotBlock():
            return _snapshot_block(item, comments)
        case s.SnapshotsFile():
            return [_one_line(f"snapshots {quote(item.path)}", item.span, INDENT)]
        case s.At():
            return [_one_line(f"at {item.period}", item.span, INDENT)]
        case _:
            return [_one_line(_expectation(item), item.span, INDENT)]


def _snapshot_block(block: s.SnapshotBlock, comments: _CommentIndex) -> list[_Line]:
    head = _Line(INDENT, f"snapshot {block.period} {{", [_start(block.span)])
    body = [line for entry in block.entries for line in _snapshot_entry(entry, comments)]
    return [head, *body, _closing(INDENT, block.span)]


def _snapshot_entry(entry: s.SnapshotEntry, comments: _CommentIndex) -> list[_Line]:
    indent = 2 * INDENT
    if entry.value is not None:
        return [_one_line(f"{_key(entry.metric)} {entry.value.text}", entry.span, indent)]
    values = entry.values or ()
    rows = [[_key(value.key), value.value.text] for value in values]
    spans = [value.span for value in values]
    return _keyed_list(_key(entry.metric), rows, spans, entry.span, indent, comments)


def _expectation(expectation: s.Expectation) -> str:
    match expectation:
        case s.ExpectStatus():
            return f"expect {_rule(expectation.rule, expectation.key)} {expectation.status}"
        case s.ExpectOverall():
            return f"expect status {expectation.status}"
        case s.ExpectValue():
            rule = _rule(expectation.rule, expectation.key)
            return f"expect value of {rule} {expectation.op} {expectation.value.text}"
        case s.ExpectProposed():
            line = expectation.line
            where = f"[{quote(line.text)}]" if expectation.indexed else f".{_key(line)}"
            budget = quote(expectation.budget)
            return f"expect proposed {budget}{where} {expectation.op} {expectation.value.text}"
        case s.ExpectRecommendation():
            return f"expect recommendation contains {quote(expectation.text)}"


def _rule(name: str, key: str | None) -> str:
    return quote(name) if key is None else f"{quote(name)}[{quote(key)}]"


# ---- expressions ---------------------------------------------------------------------------

# Binding strength, loosest first: or < and < not < comparison < + - < * / < unary - < the rest.
OR, AND, NOT, COMPARISON, SUM, PRODUCT, NEGATION, POSTFIX = range(1, 9)

_BINDING = {
    "or": OR,
    "and": AND,
    **dict.fromkeys(("<", "<=", ">", ">=", "==", "!="), COMPARISON),
    "+": SUM,
    "-": SUM,
    "*": PRODUCT,
    "/": PRODUCT,
}


def expression(expr: s.Expr, context: int = OR) -> str:
    """An expression as text, in parentheses where `context` binds tighter than it does."""
    text, binding = _expression(expr)
    return f"({text})" if binding < context else text


def _expression(expr: s.Expr) -> tuple[str, int]:
    match expr:
        case s.Number():
            return expr.text, POSTFIX
        case s.Name():
            return expr.name, POSTFIX
        case s.KeyAccess():
            target = expression(expr.target, POSTFIX)
            key = f"[{quote(expr.key)}]" if expr.quoted else f".{expr.key}"
            return target + key, POSTFIX
        case s.Call():
            arguments = ", ".join(expression(argument) for argument in expr.args)
            return f"{expr.function}({arguments})", POSTFIX
        case s.Unary(op="-"):
            return "-" + expression(expr.operand, NEGATION), NEGATION
        case s.Unary():
            return "not " + expression(expr.operand, NOT), NOT
        case s.Binary():
            return _binary(expr), _BINDING[expr.op]


def _binary(expr: s.Binary) -> str:
    binding = _BINDING[expr.op]
    # Operators are left-associative, so only the right operand must bind tighter; comparisons
    # do not chain, so neither side of one may be a comparison without parentheses.
    left_context = binding + 1 if binding == COMPARISON else binding
    left = expression(expr.left, left_context)
    return f"{left} {expr.op} {expression(expr.right, binding + 1)}"
