"""The canonical printer behind `planrules fmt`: one layout for every ruleset, comments kept.

The layout:
- `ruleset "..."`, then `currency`, `period`, `locale`, `roll up` and every `use`, one per
  line; a blank line.
- One declaration per line, or a header line with its body indented four spaces: threshold
  levels (and the threshold's `owner` last), budget lines, trigger actions, test items and
  snapshot entries. A block's `}` closes on its own line, a budget's or trigger's `owner`
  after it.
- A blank line between declarations, except between one-line declarations of the same kind
  (metrics, tables, lets, goals), which stay together as a group. No other blank lines but
  one below a comment that had one below it (a file's heading, a section's title).
- Optional clauses in the order the language reference lists them; `period` after a count
  of 1, `periods` otherwise. A goal, budget or trigger header longer than 100 columns breaks
  between clauses, continuing four spaces in (a goal) or eight (a header, to stand apart
  from its block's body).
- Lists of keys are columns: a budget's keys padded to the longest key and its amounts to
  the longest amount, so the `share` clauses line up. A table, a snapshot block and a keyed
  value in one stay on one line (`{ Lan 120  Minh 90  else 60 }`) when it fits in 100
  columns and holds no comment; otherwise they take a line per entry, keyed values in
  columns like a budget's. Widths count CJK characters as two columns.
- What the user chose to write is kept: numbers as spelled (`2 tỷ`, `150k`, `2 千万元`), the
  currency header's sign or name (`currency đồng`), quoted or bare keys, `spend.x` or
  `spend["x"]`, and every text and comment exactly as written, a recommendation's `{expr}`
  included. Outside texts and comments the code is printed as the parser read it, NFKC-
  normalised: full-width `：％２` are printed `:%2`. Expressions get only the parentheses their
  precedence needs.

Comments live beside the tree, in `Module.comments`, so the printer places them by position:
each printed line holds the source positions (its anchors) of the nodes printed on it. A
comment on its own line goes on its own line before the printed line holding the first anchor
after it (or at the end of the file), at that line's indentation; a trailing comment goes at
the end of the printed line holding the last anchor before it (where joined source lines bring
a line several, all but the last go above it). Runs of trailing comments are aligned.
"""

from __future__ import annotations

import bisect
import itertools
import sys
import unicodedata
from collections.abc import Iterable, Sequence

import attrs

from planrules.lang import syntax as s
from planrules.lang.build import parse_source
from planrules.lang.diagnostics import Diagnostic, has_errors
from planrules.lang.source import Source, Span

INDENT = 4
# A block's header continues deeper than its body, so that the two stay apart.
_HEADER_CONTINUATION = 2 * INDENT
MAX_WIDTH = 100
_GAP = "  "  # between the columns of a list, and between the entries of a one-line list

Position = tuple[int, int]
_END_OF_FILE: Position = (sys.maxsize, 1)


@attrs.frozen
class FormatResult:
    """The formatted text, or None where the file could not be formatted, and why."""

    text: str | None
    diagnostics: tuple[Diagnostic, ...]
    # The header's `locale` code as written (None where the file gives none or did not
    # parse): the language `planrules fmt` speaks to its reader by default.
    locale: str | None = None


def format_source(source: Source) -> FormatResult:
    """Format one file; a file with a parse error is left alone (text None).

    Errors found while building the tree (a bad date, a clause given twice, a goal without a
    comparison) leave part of the text out of the tree, and printing that tree would delete it.
    """
    parsed = parse_source(source)
    module = parsed.module
    locale = module.locale.code if module is not None and module.locale is not None else None
    if module is None or has_errors(parsed.diagnostics):
        return FormatResult(None, parsed.diagnostics, locale)
    return FormatResult(format_module(module, source), parsed.diagnostics, locale)


def format_module(module: s.Module, source: Source | None = None) -> str:
    """The canonical text of a tree that parsed without errors, ending with one newline.

    `source` is the text the module was parsed from. It tells where `ruleset "..."` was
    written, which the tree does not, and which comments had a blank line below them. Without
    it, comments above the first header or declaration are printed above the `ruleset` line.
    An empty module prints as "".
    """
    comments = _CommentIndex(module.comments)
    chunks = _chunks(module, comments)
    lines = [line for chunk in chunks for line in chunk.lines]
    _anchor_ruleset(module, lines, source)
    left_over = _attach_comments(lines, module.comments)
    blank_lines = _blank_lines(source.text) if source is not None else frozenset()
    return _render(_rows(chunks, left_over, blank_lines))


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
    """The lines of the header or of one declaration, and what decides the blank lines."""

    family: str
    lines: list[_Line]
    # Indented lines below a header (levels, a block's lines), not a goal's continuation.
    has_body: bool


@attrs.frozen
class _Row:
    """A line of output: its code, and the trailing comment to align after it."""

    code: str
    comment: str | None = None


_BLANK = _Row("")


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
    """Give the `ruleset` line, which has no span in the tree, the position it was written at."""
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
    """Where the first thing other than white space and comments starts, as the parser reads
    the line (a full-width `＃` starts a comment; the white space before it is one character
    for one, so the column is the written one)."""
    for number, line in enumerate(text.split("\n"), start=1):
        read = unicodedata.normalize("NFKC", line)
        code = read.lstrip(_WHITE_SPACE)
        if code and not code.startswith("#"):
            return (number, len(read) - len(code) + 1)
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


# White space as the lexer reads it (after NFKC, which makes the ideographic space a space).
_WHITE_SPACE = " \t\f\r"


def _blank_lines(text: str) -> frozenset[int]:
    lines = enumerate(text.split("\n"), start=1)
    return frozenset(
        number
        for number, line in lines
        if not unicodedata.normalize("NFKC", line).strip(_WHITE_SPACE)
    )


def _rows(
    chunks: list[_Chunk], left_over: list[s.Comment], blank_lines: frozenset[int]
) -> list[_Row]:
    rows: list[_Row] = []
    for previous, chunk in zip([None, *chunks], chunks, strict=False):
        if previous is not None and _apart(previous, chunk):
            rows.append(_BLANK)
        for line in chunk.lines:
            rows.extend(_line_rows(line, blank_lines))
    rows.append(_BLANK)
    rows.extend(_comment_rows(left_over, 0, blank_lines))
    return rows


def _apart(previous: _Chunk, chunk: _Chunk) -> bool:
    """Whether a blank line separates two chunks: all but one-liners of one kind are apart."""
    return previous.family != chunk.family or previous.has_body or chunk.has_body


def _line_rows(line: _Line, blank_lines: frozenset[int]) -> list[_Row]:
    # A line holds one trailing comment; where joined source lines brought several, the
    # earlier ones go above it, on their own lines.
    trailing = sorted(line.trailing, key=_position)
    above = sorted(line.leading + trailing[:-1], key=_position)
    comment_indent = line.indent if line.inner_indent is None else line.inner_indent
    rows = _comment_rows(above, comment_indent, blank_lines)
    rows.append(_Row(" " * line.indent + line.text, trailing[-1].text if trailing else None))
    return rows


def _comment_rows(
    comments: Iterable[s.Comment], indent: int, blank_lines: frozenset[int]
) -> list[_Row]:
    """Comments on lines of their own, each followed by a blank line where it was in the source,
    so that a comment set apart from what follows it (a file's heading) stays apart."""
    rows = []
    for comment in comments:
        rows.append(_Row(" " * indent + comment.text))
        if comment.own_line and comment.span.line + 1 in blank_lines:
            rows.append(_BLANK)
    return rows


def _render(rows: list[_Row]) -> str:
    out: list[str] = []
    for commented, run in itertools.groupby(_tidy(rows), key=lambda row: row.comment is not None):
        group = list(run)
        if not commented:
            out.extend(row.code for row in group)
            continue
        column = max(display_width(row.code) for row in group) + 1
        out.extend(
            f"{row.code}{' ' * (column - display_width(row.code))}{row.comment}" for row in group
        )
    return "\n".join(out) + "\n" if out else ""


def _tidy(rows: list[_Row]) -> list[_Row]:
    """Without blank lines at either end, or two in a row."""
    tidy: list[_Row] = []
    for row in rows:
        if row != _BLANK or (tidy and tidy[-1] != _BLANK):
            tidy.append(row)
    while tidy and tidy[-1] == _BLANK:
        tidy.pop()
    return tidy


def display_width(text: str) -> int:
    """Columns on a terminal: wide and full-width (CJK) characters take two, marks none."""
    return sum(_char_width(char) for char in text)


def _char_width(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _fits(text: str, indent: int) -> bool:
    return indent + display_width(text) <= MAX_WIDTH


# ---- the module ----------------------------------------------------------------------------


def _chunks(module: s.Module, comments: _CommentIndex) -> list[_Chunk]:
    header = _header_lines(module)
    chunks = [_Chunk("header", header, has_body=True)] if header else []
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
    if module.locale is not None:
        lines.append(_one_line(f"locale {module.locale.code}", module.locale.span))
    if module.roll_up is not None:
        lines.append(_one_line("roll up", module.roll_up.span))
    lines.extend(_one_line(f"use {quote(use.path)}", use.span) for use in module.uses)
    return lines


def _declaration(decl: s.Declaration, comments: _CommentIndex) -> _Chunk:
    lines = _declaration_lines(decl, comments)
    has_body = len(lines) > 1 and not isinstance(decl, s.Goal)
    return _Chunk(type(decl).__name__, lines, has_body)


def _declaration_lines(decl: s.Declaration, comments: _CommentIndex) -> list[_Line]:
    match decl:
        case s.Metric():
            return [_one_line(_metric(decl), decl.span)]
        case s.Table():
            return _table(decl, comments)
        case s.Let():
            return [_one_line(f"let {decl.name} = {expression(decl.expr)}", decl.span)]
        case s.Group():
            rows = [[f"{_key(entry.key)}:", _key(entry.group)] for entry in decl.entries]
            spans = [entry.span for entry in decl.entries]
            head = f"group {decl.dimension} into {decl.into}"
            return _keyed_list(head, rows, spans, decl.span, 0, comments)
        case s.Goal():
            return _goal(decl)
        case s.Threshold():
            return _threshold(decl)
        case s.Budget():
            return _budget(decl)
        case s.Trigger():
            return _trigger(decl)
        case s.Test():
            return _test(decl, comments)


# ---- lines, lists and clauses -------------------------------------------------------------


def _one_line(text: str, span: Span, indent: int = 0) -> _Line:
    return _Line(indent, text, _span_anchors(span))


def _closing(indent: int, span: Span, owner: str | None = None) -> _Line:
    return _Line(indent, "}" + " ".join(["", *_owner(owner)]), [_end(span)], indent + INDENT)


def _columns(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows of cells as lines, every cell but a row's last padded to its column's width."""
    widths = [
        max((display_width(row[column]) for row in rows if len(row) > column + 1), default=0)
        for column in range(max((len(row) for row in rows), default=0))
    ]
    return [
        _GAP.join(
            [
                cell + " " * (widths[column] - display_width(cell))
                for column, cell in enumerate(row[:-1])
            ]
            + list(row[-1:])
        )
        for row in rows
    ]


def _inline_list(rows: Sequence[Sequence[str]]) -> str:
    return _braced([" ".join(row) for row in rows])


def _braced(items: Sequence[str]) -> str:
    return "{ " + _GAP.join(items) + " }" if items else "{}"


# A clause of a rule's header line: its text and the anchors of what is printed in it.
_Clause = tuple[str, list[Position]]


def _wrapped(
    clauses: Sequence[_Clause], end: list[Position], continuation: int, suffix: str = ""
) -> list[_Line]:
    """Clauses filled onto lines of at most MAX_WIDTH columns, breaking only between clauses;
    the last line also holds the `end` anchors."""
    lines = [_Line(0, clauses[0][0], list(clauses[0][1]))]
    for number, (text, anchors) in enumerate(clauses[1:], start=2):
        tail = suffix if number == len(clauses) else ""
        if _fits(f"{lines[-1].text} {text}{tail}", lines[-1].indent):
            lines[-1].text += f" {text}"
            lines[-1].anchors.extend(anchors)
        else:
            lines.append(_Line(continuation, text, list(anchors)))
    lines[-1].text += suffix
    lines[-1].anchors.extend(end)
    return lines


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
    if table.by_period and table.dimension is None:
        rows = [[row.period, row.value.text] for row in table.periods]
        spans = [row.span for row in table.periods]
    if table.default is not None:
        rows.append(["else", table.default.text])
        spans.append(table.default.span)
    keys = ", ".join(d for d in (table.dimension, "period" if table.by_period else None) if d)
    head = f"table {table.name}: {table.type} by {keys}"
    if table.by_period and table.dimension is not None:
        return _table_by_key_and_period(head, table, comments)
    return _keyed_list(head, rows, spans, table.span, 0, comments)


def _table_by_key_and_period(head: str, table: s.Table, comments: _CommentIndex) -> list[_Line]:
    """`table t: count by rep, period { Lan { 2026-07 40 ... } ... }`: a list per key."""
    groups: list[list[s.PeriodEntry]] = []
    for row in table.periods:
        if groups and groups[-1][0].key == row.key:
            groups[-1].append(row)
        else:
            groups.append([row])
    keyed = [
        (
            _key(group[0].key) if group[0].key is not None else "",
            [[row.period, row.value.text] for row in group],
            [row.span for row in group],
            group[0].span.through(group[-1].span),
        )
        for group in groups
    ]
    tail = [f"else {table.default.text}"] if table.default is not None else []
    inline = f"{head} " + _braced(
        [f"{key} {_inline_list(rows)}" for key, rows, _, _ in keyed] + tail
    )
    if _fits(inline, 0) and not comments.inside(table.span):
        return [_Line(0, inline, _span_anchors(table.span))]
    lines = [_Line(0, f"{head} {{", [_start(table.span)])]
    for key, rows, spans, span in keyed:
        lines.extend(_keyed_list(key, rows, spans, span, INDENT, comments))
    if table.default is not None:
        lines.append(_one_line(tail[0], table.default.span, INDENT))
    return [*lines, _closing(0, table.span)]


def _goal(goal: s.Goal) -> list[_Line]:
    comparison = f"{expression(goal.subject, SUM)} {goal.op} {expression(goal.target, SUM)}"
    clauses = [(f"goal {quote(goal.name)}{_per(goal.per)}: {comparison}", [_start(goal.span)])]
    if goal.deadline is not None:
        clauses.append((f"by {goal.deadline.isoformat()}", []))
    if goal.baseline is not None:
        clauses.append((f"from {expression(goal.baseline, SUM)}", [_end(goal.baseline.span)]))
    if goal.tolerance is not None:
        clauses.append((f"tolerance {goal.tolerance.text}", [_end(goal.tolerance.span)]))
    if goal.phased is not None:
        weights = [weight.text for weight in goal.phased]
        clauses.append((" ".join(["phased", *weights]), [_end(goal.phased[-1].span)]))
    if goal.owner is not None:
        clauses.append((" ".join(_owner(goal.owner)), []))
    return _wrapped(clauses, [_end(goal.span)], INDENT)


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
    head = f"budget {quote(budget.name)} total {budget.total.text}"
    clauses = [(head, [_start(budget.span), _end(budget.total.span)])]
    if budget.per_period:
        clauses.append(("per period", []))
    if budget.metric is not None:
        clauses.append((f"for {budget.metric}", []))
    if budget.tolerance is not None:
        clauses.append((f"tolerance {budget.tolerance.text}", [_end(budget.tolerance.span)]))
    rows = [_budget_row(line) for line in budget.lines]
    body = _column_lines(rows, [line.span for line in budget.lines], INDENT)
    return [
        *_wrapped(clauses, [], _HEADER_CONTINUATION, " {"),
        *body,
        _closing(0, budget.span, budget.owner),
    ]


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
    condition = expression(trigger.condition)
    head = f"trigger {quote(trigger.name)}{_per(trigger.per)} when {condition}"
    clauses = [(head, [_start(trigger.span), _end(trigger.condition.span)])]
    hold, window = trigger.hold, trigger.window
    if hold is not None and window is not None:
        text = f"for {hold.text} of {window.text} {_periods(window)}"
        clauses.append((text, [_end(window.span)]))
    elif hold is not None:
        clauses.append((f"for {hold.text} {_periods(hold)}", [_end(hold.span)]))
    if trigger.cooldown is not None:
        text = f"cooldown {trigger.cooldown.text} {_periods(trigger.cooldown)}"
        clauses.append((text, [_end(trigger.cooldown.span)]))
    if trigger.severity is not None:
        clauses.append((f"severity {trigger.severity}", []))
    body = [_one_line(_action(action), action.span, INDENT) for action in trigger.actions]
    return [
        *_wrapped(clauses, [], _HEADER_CONTINUATION, " {"),
        *body,
        _closing(0, trigger.span, trigger.owner),
    ]


def _action(action: s.Action) -> str:
    match action:
        case s.Shift():
            text = f"shift {action.amount.text} from {_key(action.source)}"
            return f"{text} to {_key(action.destination)}{_in_budget(action.budget)}"
        case s.Scale():
            text = f"scale {_key(action.line)} by {action.sign}{action.amount.text}"
            return text + _in_budget(action.budget)
        case s.Recommend():
            # The text as written, braces and spacing inside them too (see the docstring).
            return f"recommend {quote(action.text)}"


def _in_budget(budget: str | None) -> str:
    return "" if budget is None else f" in {quote(budget)}"


def recommendation(parts: Iterable[str | s.Interpolation]) -> str:
    """A text (unquoted) that reads as `parts`: literal braces doubled, `{expr}` printed.

    The printer keeps a recommendation's text as written; this makes one for a tree built by
    hand, whose `Recommend.text` must read as its parts.
    """
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
    head = f"snapshot {block.period}"
    inline = f"{head} {_braced([_inline_entry(entry) for entry in block.entries])}"
    if _fits(inline, INDENT) and not comments.inside(block.span):
        return [_one_line(inline, block.span, INDENT)]
    body = [line for entry in block.entries for line in _snapshot_entry(entry, comments)]
    opening = _Line(INDENT, f"{head} {{", [_start(block.span)])
    return [opening, *body, _closing(INDENT, block.span)]


def _inline_entry(entry: s.SnapshotEntry) -> str:
    if entry.value is not None:
        return f"{_key(entry.metric)} {entry.value.text}"
    return f"{_key(entry.metric)} {_inline_list(_keyed_rows(entry))}"


def _keyed_rows(entry: s.SnapshotEntry) -> list[list[str]]:
    return [[_key(value.key), value.value.text] for value in entry.values or ()]


def _snapshot_entry(entry: s.SnapshotEntry, comments: _CommentIndex) -> list[_Line]:
    indent = 2 * INDENT
    if entry.value is not None:
        return [_one_line(_inline_entry(entry), entry.span, indent)]
    spans = [value.span for value in entry.values or ()]
    head = _key(entry.metric)
    return _keyed_list(head, _keyed_rows(entry), spans, entry.span, indent, comments)


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
        case s.RuleName():
            return quote(expr.name), POSTFIX
        case s.DateLiteral():
            return expr.text, POSTFIX
        case s.Unary(op="-"):
            return "-" + expression(expr.operand, NEGATION), NEGATION
        case s.Unary():
            return "not " + expression(expr.operand, NOT), NOT
        case s.Binary():
            return _binary(expr), _BINDING[expr.op]


def _binary(expr: s.Binary) -> str:
    """An operation, and the operations down its chain of left operands that need no
    parentheses, printed without recursion: `a + a + ... + a` nests as deep as it is long."""
    chain = [expr]
    left = expr.left
    while isinstance(left, s.Binary) and _BINDING[left.op] >= _left_context(chain[-1].op):
        chain.append(left)
        left = left.left
    innermost = chain[-1]
    pieces = [expression(innermost.left, _left_context(innermost.op))]
    for operation in reversed(chain):
        right = expression(operation.right, _BINDING[operation.op] + 1)
        pieces.append(f" {operation.op} {right}")
    return "".join(pieces)


def _left_context(op: str) -> int:
    # Operators are left-associative, so only the right operand must bind tighter; comparisons
    # do not chain, so neither side of one may be a comparison without parentheses.
    binding = _BINDING[op]
    return binding + 1 if binding == COMPARISON else binding
