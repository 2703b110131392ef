"""The syntax tree: frozen nodes holding data and a source span, and no behaviour.

Spans are left out of equality, so two trees compare equal when they say the same thing
wherever it was written (the formatter's round trip relies on it).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Literal

import attrs

from planrules.lang.source import Span

# ---- expressions ---------------------------------------------------------------------------


@attrs.frozen
class Number:
    """A literal; `text` is its spelling (white space folded), kept for the formatter."""

    text: str
    value: Decimal
    percent: bool
    currency: str | None
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class Name:
    name: str
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class KeyAccess:
    """`spend.advertising` (quoted False) or `spend["quảng cáo"]` (quoted True)."""

    target: Expr
    key: str
    quoted: bool
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class Call:
    function: str
    args: tuple[Expr, ...]
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class Unary:
    op: Literal["-", "not"]
    operand: Expr
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class Binary:
    op: str  # + - * / < <= > >= == != and or
    left: Expr
    right: Expr
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class RuleName:
    """`"Doanh thu 2 tỷ"` in `status("Doanh thu 2 tỷ")`: a rule named by its quoted name."""

    name: str
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class DateLiteral:
    """`2026-07-01` in `since(x, 2026-07-01)`; None where the date is not on the calendar
    (reported by the builder)."""

    text: str
    value: datetime.date | None
    span: Span = attrs.field(eq=False, repr=False)


Expr = Number | Name | KeyAccess | Call | Unary | Binary | RuleName | DateLiteral

# ---- header --------------------------------------------------------------------------------


@attrs.frozen
class Currency:
    """`currency VND`; `code` as written: a code, or a sign or name (`₫`, `đồng`, `人民币`) that
    the checker reads as the code it stands for."""

    code: str
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class Locale:
    """`locale vi`: how text numbers are read and reports written (checked, not parsed)."""

    code: str
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class RollUp:
    """`roll up`: snapshots of a finer cadence may be rolled up into the plan's."""

    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class PeriodDecl:
    start: datetime.date
    end: datetime.date
    cadence: str
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class Use:
    path: str
    span: Span = attrs.field(eq=False, repr=False)


# ---- declarations --------------------------------------------------------------------------


@attrs.frozen
class Key:
    """A key in a list or an action: `advertising` or `"quảng cáo"`."""

    text: str
    quoted: bool
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class Metric:
    name: str
    type: str  # count money ratio number
    dimension: str | None
    stock: bool
    description: str | None
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class TableEntry:
    key: Key
    value: Number
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class PeriodEntry:
    """`2026-07 500 triệu` of a table by period; `key` is the row's key in a table by a
    dimension and period (`Lan { 2026-07 40 }`), None in a table by period alone."""

    key: Key | None
    period: str
    value: Number
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class Table:
    """`dimension` None for a table by period alone; `by_period` where it is read at the
    current period, its values in `periods` (`entries` is then empty)."""

    name: str
    type: str
    dimension: str | None
    entries: tuple[TableEntry, ...]
    default: Number | None
    span: Span = attrs.field(eq=False, repr=False)
    by_period: bool = False
    periods: tuple[PeriodEntry, ...] = ()


@attrs.frozen
class GroupEntry:
    """`Lan: HCM_A`: the key `Lan` belongs to the group `HCM_A`."""

    key: Key
    group: Key
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class Group:
    """`group rep into team { ... }`: each key of `dimension` in a key of `into`."""

    dimension: str
    into: str
    entries: tuple[GroupEntry, ...]
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class Let:
    name: str
    expr: Expr
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class Goal:
    name: str
    per: str | None
    subject: Expr
    op: str  # >= > <= <
    target: Expr
    deadline: datetime.date | None
    baseline: Expr | None
    tolerance: Number | None
    phased: tuple[Number, ...] | None
    owner: str | None
    span: Span = attrs.field(eq=False, repr=False)
    # Where the name and each clause (`per`, `by`, `for`, ...) were written, for diagnostics.
    clause_spans: tuple[tuple[str, Span], ...] = attrs.field(default=(), eq=False, repr=False)


@attrs.frozen
class Level:
    status: Literal["warn", "fail"]
    direction: Literal["above", "below"]
    bound: Expr
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class Threshold:
    name: str
    per: str | None
    subject: Expr
    levels: tuple[Level, ...]
    owner: str | None
    span: Span = attrs.field(eq=False, repr=False)
    # Where the name and each clause (`per`, `by`, `for`, ...) were written, for diagnostics.
    clause_spans: tuple[tuple[str, Span], ...] = attrs.field(default=(), eq=False, repr=False)


@attrs.frozen
class Share:
    """A budget line's share range; `minimum`/`maximum` None where that side is open."""

    minimum: Number | None
    maximum: Number | None
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class BudgetLine:
    """`advertising 340 million`, or `zalo 21.95%`: a percent line's `amount` is written as a
    percent (`percent` True, `text` as written) but its `value` is that share of the budget's
    total in money, exactly, so that everything after the parser reads money."""

    key: Key
    amount: Number
    share: Share | None
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class Budget:
    name: str
    total: Number
    per_period: bool
    metric: str | None
    tolerance: Number | None
    lines: tuple[BudgetLine, ...]
    owner: str | None
    span: Span = attrs.field(eq=False, repr=False)
    # Where the name and each clause (`per`, `by`, `for`, ...) were written, for diagnostics.
    clause_spans: tuple[tuple[str, Span], ...] = attrs.field(default=(), eq=False, repr=False)


@attrs.frozen
class Shift:
    amount: Number
    source: Key
    destination: Key
    budget: str | None
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class Scale:
    line: Key
    sign: Literal["+", "-", ""]
    amount: Number
    budget: str | None
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class Interpolation:
    """`{expr}` inside a recommendation's text."""

    expr: Expr
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class Recommend:
    # The text as written; `parts` carry its meaning, so spacing inside `{ }` is no change.
    text: str = attrs.field(eq=False)
    parts: tuple[str | Interpolation, ...]
    span: Span = attrs.field(eq=False, repr=False)


Action = Shift | Scale | Recommend


@attrs.frozen
class Trigger:
    name: str
    per: str | None
    condition: Expr
    hold: Number | None  # N of `for N periods` / `for N of M periods`
    window: Number | None  # M of `for N of M periods`
    cooldown: Number | None
    severity: str | None
    actions: tuple[Action, ...]
    owner: str | None
    span: Span = attrs.field(eq=False, repr=False)
    # Where the name and each clause (`per`, `by`, `for`, ...) were written, for diagnostics.
    clause_spans: tuple[tuple[str, Span], ...] = attrs.field(default=(), eq=False, repr=False)


# ---- tests of rulesets ---------------------------------------------------------------------


@attrs.frozen
class SnapshotEntry:
    """`reach 150k`, or with `values` a keyed block `spend { advertising 100 million }`."""

    metric: Key
    value: Number | None
    values: tuple[TableEntry, ...] | None
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class SnapshotBlock:
    period: str
    entries: tuple[SnapshotEntry, ...]
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class SnapshotsFile:
    path: str
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class At:
    period: str
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class ExpectStatus:
    rule: str
    key: str | None
    status: str
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class ExpectOverall:
    status: str
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class ExpectValue:
    rule: str
    key: str | None
    op: str
    value: Number
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class ExpectProposed:
    budget: str
    line: Key
    indexed: bool  # `"Budget"["line"]` rather than `"Budget".line`
    op: str
    value: Number
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class ExpectRecommendation:
    text: str
    span: Span = attrs.field(eq=False, repr=False)


Expectation = ExpectStatus | ExpectOverall | ExpectValue | ExpectProposed | ExpectRecommendation
TestItem = SnapshotBlock | SnapshotsFile | At | Expectation


@attrs.frozen
class Test:
    name: str
    items: tuple[TestItem, ...]
    span: Span = attrs.field(eq=False, repr=False)


Rule = Goal | Threshold | Budget | Trigger
Declaration = Metric | Table | Let | Group | Rule | Test


@attrs.frozen
class Comment:
    """A `#` comment; `own_line` where nothing but white space precedes it on its line."""

    text: str
    own_line: bool
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class Module:
    """One `.plan` file as written."""

    path: str
    ruleset: str | None
    currency: Currency | None
    period: PeriodDecl | None
    uses: tuple[Use, ...]
    declarations: tuple[Declaration, ...]
    comments: tuple[Comment, ...] = attrs.field(eq=False, repr=False)
    span: Span = attrs.field(eq=False, repr=False)
    ruleset_span: Span | None = attrs.field(default=None, eq=False, repr=False)
    # Header lines of the file's own, never taken from the files it uses.
    locale: Locale | None = None
    roll_up: RollUp | None = None
