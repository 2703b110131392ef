"""Checked expressions compiled into closures over a timeline of snapshots.

A compiled expression is a function of a `Frame` (one evaluation's snapshots and memo) and a
position on the timeline (0 for the earliest period, one more for each period after it). The
syntax tree is walked once, here; evaluating never looks at it again. Keyed values are worked
on whole, key by key inside one comprehension, so a `per store` rule over 100,000 stores costs
a handful of closure calls, not 100,000 walks of its expression.
"""

from __future__ import annotations

import decimal
import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from planrules.eval import functions
from planrules.eval.dimensions import regrouping
from planrules.eval.frame import Compiled, Frame
from planrules.eval.rollup import PartlyCovered
from planrules.eval.values import (
    Keyed,
    Unknown,
    absolute,
    add,
    divide_or_unknown,
    lift,
    lift1,
    logical_and,
    logical_not,
    logical_or,
    multiply,
    negate,
    round_half_away,
    subtract,
)
from planrules.lang import syntax as s
from planrules.lang.exprcheck import (
    AGGREGATES,
    STATUS_ORDER,
    ExprChecker,
    Scope,
    is_status_comparison,
    left_chain,
    metrics_read,
    names_read,
)
from planrules.lang.fmt import expression as expression_text
from planrules.lang.messages import Message
from planrules.lang.numbers import is_whole
from planrules.lang.units import Type

FLOW_UNITS = frozenset({"count", "money"})


class ExpressionTypes(ExprChecker):
    """The checker's typing, remembered per node: the ruleset is already known to be sound."""

    def __init__(self, scope: Scope) -> None:
        super().__init__(scope, lambda _diagnostic: None)
        self.known: dict[int, Type | None] = {}

    def type_of(self, expr: s.Expr) -> Type | None:
        key = id(expr)
        if key not in self.known:
            self.known[key] = super().type_of(expr)
        return self.known[key]


Record = Callable[[s.Expr, int, Any], None]  # told each value an expression comes to


class ExpressionCompiler:
    """Compiles expressions of one checked ruleset; lets are compiled once and shared.

    Given `record`, every closure it compiles tells `record` each value it comes to, for an
    explanation (`planrules.eval.trace`); without it, the closures hold no trace of tracing.
    A recording compiler numbers its memo slots below zero, so that its closures, sharing a
    frame with the ruleset's own, work everything out (and record it) themselves.
    """

    def __init__(self, scope: Scope, record: Record | None = None) -> None:
        self.scope = scope
        self.types = ExpressionTypes(scope)
        self.lets: dict[str, Compiled] = {}
        self.slots = 0
        self.record = record
        self.slot_step = 1 if record is None else -1
        # Goals' phase weights written alike, as one tuple (see `pacing.shared_weights`).
        self.weights: dict[tuple[str, ...], tuple[Decimal, ...]] = {}

    def type_of(self, expr: s.Expr) -> Type:
        found = self.types.type_of(expr)
        return found if found is not None else Type("number")

    def new_slot(self) -> int:
        """A memo slot: each memoised closure keeps its values under its own number."""
        self.slots += self.slot_step
        return self.slots

    def compile(self, expr: s.Expr) -> Compiled:
        compiled = self.compile_node(expr)
        return compiled if self.record is None else _recording(expr, compiled, self.record)

    def compile_node(self, expr: s.Expr) -> Compiled:
        match expr:
            case s.Number():
                return _constant(literal_value(expr))
            case s.Name():
                return self.name(expr.name)
            case s.KeyAccess():
                return self.key_access(expr)
            case s.Call():
                return self.call(expr)
            case s.Unary():
                return self.unary(expr)
            case s.Binary():
                return self.binary(expr)
        raise AssertionError(f"not an expression: {expr!r}")

    # ---- names ---------------------------------------------------------------------------

    def name(self, name: str) -> Compiled:
        if name in self.scope.metrics:
            return _metric_reader(self.scope.metrics[name])
        if name in self.scope.tables:
            table = self.scope.tables[name]
            if table.by_period:
                return _period_table_reader(table)
            return _constant(table_value(table))
        return self.let(name)

    def let(self, name: str) -> Compiled:
        if name not in self.lets:
            # Every let is compiled at once, each after the lets it reads (the checker's own
            # order), so a long chain of lets never recurses.
            for let in self.types.lets_in_dependency_order():
                if let not in self.lets:
                    self.lets[let] = _memoised(
                        self.new_slot(), self.compile(self.scope.lets[let].expr)
                    )
        return self.lets[name]

    def key_access(self, expr: s.KeyAccess) -> Compiled:
        target = self.compile(expr.target)
        key = expr.key

        def read_key(frame: Frame, position: int) -> Any:
            value = target(frame, position)
            return value.at(key) if isinstance(value, Keyed) else value

        return read_key

    # ---- operators -----------------------------------------------------------------------

    def unary(self, expr: s.Unary) -> Compiled:
        operand = self.compile(expr.operand)
        op = negate if expr.op == "-" else logical_not

        def apply(frame: Frame, position: int) -> Any:
            return lift1(op, operand(frame, position))

        return apply

    def binary(self, expr: s.Binary) -> Compiled:
        # `a + b + ... + z` nests as deep as it is long: the chain is compiled and run as a
        # loop, so neither compiling nor evaluating it recurses once per operator.
        chain = left_chain(expr)
        if is_status_comparison(chain[0]):
            # `status("R") >= warn and ...`: the comparison is run whole, its word unread.
            status = _status_comparison(chain[0], self.record)
            if len(chain) == 1:
                return status
            first = status if self.record is None else _recording(chain[0], status, self.record)
            chain = chain[1:]
        else:
            first = self.compile(chain[0].left)
        steps = [self.step(operation) for operation in chain]

        record = self.record
        metric = self.unkeyed_metric(chain[0].left)
        if metric is not None:
            # `m < 100`, `a + b`: the metric read here, as `combine_metric` reads it.
            read = first

            def apply_to_metric(frame: Frame, position: int) -> Any:
                snapshot = frame.metrics.get(position)
                value = snapshot.get(metric) if snapshot.__class__ is dict else None
                if value is None:
                    value = read(frame, position)
                for step in steps:
                    value = step(value, frame, position)
                return value

            return apply_to_metric

        if record is None:

            def apply(frame: Frame, position: int) -> Any:
                value = first(frame, position)
                for step in steps:
                    value = step(value, frame, position)
                return value

            return apply

        def apply_recording(frame: Frame, position: int) -> Any:
            # The operators inside the chain (`a + b` of `a + b + c`) are recorded as well.
            value = first(frame, position)
            for operation, step in zip(chain, steps, strict=True):
                value = step(value, frame, position)
                record(operation, position, value)
            return value

        return apply_recording

    def step(self, expr: s.Binary) -> Callable[[Any, Frame, int], Any]:
        """Applies `expr`'s operator to a value already worked out and its right operand."""
        right = self.compile(expr.right)
        if expr.op == "/":
            return _division(expr, right)
        fast, exact = _OPERATORS[expr.op]
        if isinstance(expr.right, s.Number) and self.record is None:
            fixed = literal_value(expr.right)
            # A number written out (`m < 100`): nothing to call for it, never keyed.

            def combine_constant(left: Any, _frame: Frame, _position: int) -> Any:
                try:
                    if left.__class__ is not Keyed:
                        return fast(left, fixed)
                    return lift(fast, left, fixed)
                except (TypeError, decimal.DecimalException):
                    return lift(exact, left, fixed)

            return combine_constant
        metric = self.unkeyed_metric(expr.right)
        if metric is not None:
            # A metric without a dimension (`a + b`): read from the snapshot here, and only
            # where it has no value there (a gap, an absent value) by its reader, which says why.

            def combine_metric(left: Any, frame: Frame, position: int) -> Any:
                snapshot = frame.metrics.get(position)
                other = snapshot.get(metric) if snapshot.__class__ is dict else None
                if other is None:
                    other = right(frame, position)
                try:
                    if left.__class__ is not Keyed:
                        return fast(left, other)
                    return lift(fast, left, other)
                except (TypeError, decimal.DecimalException):
                    return lift(exact, left, other)

            return combine_metric

        def combine(left: Any, frame: Frame, position: int) -> Any:
            other = right(frame, position)
            try:
                if left.__class__ is not Keyed and other.__class__ is not Keyed:
                    return fast(left, other)  # what `lift` does for two plain values
                return lift(fast, left, other)
            except (TypeError, decimal.DecimalException):
                return lift(exact, left, other)

        return combine

    def unkeyed_metric(self, expr: s.Expr) -> str | None:
        """The name of a metric without a dimension that `expr` reads as it is, where the
        closures are not recorded; None for anything else."""
        if self.record is not None or not isinstance(expr, s.Name):
            return None
        metric = self.scope.metrics.get(expr.name)
        return expr.name if metric is not None and metric.dimension is None else None

    # ---- functions -----------------------------------------------------------------------

    def call(self, expr: s.Call) -> Compiled:
        # A word, a percent or a date after the value is read as written, not evaluated.
        values = expr.args[:1] if expr.function in _FIXED_SECOND else expr.args
        args = [self.compile(arg) for arg in values]
        name = expr.function
        if name == "sum" and len(expr.args) == 2:
            return self.regroup(expr, args[0])
        if name in AGGREGATES and len(args) == 1:
            return functions.aggregate(name, args[0], self.keys_from_data(expr.args[0]))
        if name in ("min", "max"):
            return functions.extremes(min if name == "min" else max, args)
        if name == "abs":
            return _map1(absolute, args[0])
        if name == "round":
            return _rounding(args[0], int(literal_value(_number(expr.args[1]))))
        if name == "percentile":
            fraction = _number(expr.args[1]).value
            return functions.percentile(args[0], fraction, self.keys_from_data(expr.args[0]))
        if name == "rank":
            ascending = len(expr.args) > 1 and _word(expr.args[1]) == "ascending"
            return functions.rank(args[0], ascending, self.keys_from_data(expr.args[0]))
        if name == "share":
            return functions.share(args[0], self.keys_from_data(expr.args[0]))
        return self.history(expr, args)

    def regroup(self, expr: s.Call, arg: Compiled) -> Compiled:
        """`sum(x, kenh)`, `sum(x, team)`: x summed by the keys it maps to; `sum(x, rep)` of
        x keyed by `rep` alone, the plain sum."""
        dimension = self.type_of(expr.args[0]).dimension or ""
        target = _word(expr.args[1])
        keys = self.keys_from_data(expr.args[0])
        if self.type_of(expr).dimension is None:
            return functions.aggregate("sum", arg, keys)
        key_map = regrouping(dimension, target, self.scope.groups)
        return functions.regroup(arg, key_map, keys)

    def keys_from_data(self, expr: s.Expr) -> str | None:
        """The dimension whose existing keys an aggregate of `expr` ranges over: its own, where
        it reads a metric keyed by it. An aggregate of tables alone (`sum(quota)`) ranges over
        the tables' keys, as a plan's figure that does not move with the data."""
        dimension = self.type_of(expr).dimension
        if dimension is None:
            return None
        metrics = self.scope.metrics
        read = metrics_read([expr], self.scope)
        return dimension if any(metrics[name].dimension == dimension for name in read) else None

    def varies(self, expr: s.Expr) -> bool:
        """Whether `expr` may differ from period to period: it reads a snapshot or a table
        by period, through lets."""
        if metrics_read([expr], self.scope):
            return True
        scope, seen = self.scope, set()
        pending = list(names_read(expr))
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            if name in scope.tables and scope.tables[name].by_period:
                return True
            if name in scope.lets and name not in scope.metrics:
                pending.extend(names_read(scope.lets[name].expr))
        return False

    def history(self, expr: s.Call, args: list[Compiled]) -> Compiled:
        name = expr.function
        subject = args[0]
        counted = len(expr.args) > 1 and isinstance(expr.args[1], s.Number)
        count = int(literal_value(_number(expr.args[1]))) if counted else 1
        read = self.type_of(expr.args[0])
        dimension = read.dimension
        varies = self.varies(expr.args[0])
        if name in ("total", "since"):
            # A key's own sum is kept apart from the plain sum the next period builds on.
            slots = (self.new_slot(), self.new_slot() if dimension is not None else None)
            start = _window_start(expr)
            return functions.total(slots, subject, read.keyed, dimension, varies, start)
        if name == "previous":
            return functions.previous(subject, count, dimension)
        if name == "change":
            return functions.change(subject, dimension)
        if name == "growth":
            return functions.growth(subject, expression_text(expr.args[0]), dimension)
        # An explanation records every value read: it reads every period of the window.
        slot = self.new_slot() if self.record is None else None
        rolling = functions.rolling_sum(subject, count, dimension, varies, slot)
        if name == "rolling_sum":
            return rolling
        return functions.per_period(rolling, count, dimension)


def _division(expr: s.Binary, right: Compiled) -> Callable[[Any, Frame, int], Any]:
    def combine(left: Any, frame: Frame, position: int) -> Any:
        def reason() -> str:
            return Message(
                "`{expression}` divides by zero in {period}",
                expression=expression_text(expr),
                period=frame.label(position),
            )

        def divide(a: Any, b: Any) -> Any:
            return divide_or_unknown(a, b, reason)

        return lift(divide, left, right(frame, position))

    return combine


# ---- literals and tables -------------------------------------------------------------------


def literal_value(number: s.Number) -> int | Decimal:
    value = number.value
    return int(value) if is_whole(value) else value


def constant_value(expr: s.Expr) -> int | Decimal | None:
    """The value of a number written as such (`120`, `-5`, `0.8`); None for anything else."""
    if isinstance(expr, s.Number):
        return literal_value(expr)
    if isinstance(expr, s.Unary) and expr.op == "-" and isinstance(expr.operand, s.Number):
        value = literal_value(expr.operand)
        # Not `-value`: Decimal's minus rounds to the context's precision, copy_negate never.
        return -value if isinstance(value, int) else value.copy_negate()
    return None


def table_value(table: s.Table) -> Keyed:
    values = {entry.key.text: literal_value(entry.value) for entry in table.entries}
    if table.default is not None:
        return Keyed(values, literal_value(table.default))
    no_value = Message("table `{name}` has no value for this key and no `else`", name=table.name)
    return Keyed(values, Unknown(no_value))


def _window_start(expr: s.Call) -> functions.Start | None:
    """Where `total(x, quarter)`, `total(x, year)` and `since(x, DATE)` start summing; None
    for `total(x)`, which sums the window."""
    if len(expr.args) < 2:
        return None
    bound = expr.args[1]
    if isinstance(bound, s.DateLiteral):
        assert bound.value is not None, "the checker lets only calendar dates through"
        return functions.since_date(bound.value)
    return functions.calendar_window(_word(bound))


def _word(expr: s.Expr) -> str:
    assert isinstance(expr, s.Name), "the checker lets only words through here"
    return expr.name


def _period_table_reader(table: s.Table) -> Compiled:
    """A table by period read at the current period: its row of that period, else its
    `else` value, else unknown; by a dimension too, that period's keyed row."""
    default: Any = (
        literal_value(table.default)
        if table.default is not None
        else Unknown(
            Message("table `{name}` has no value for this period and no `else`", name=table.name)
        )
    )
    if table.dimension is None:
        values = {row.period: literal_value(row.value) for row in table.periods}

        def read(frame: Frame, position: int) -> Any:
            return values.get(frame.label(position), default)

        return read
    rows: dict[str, dict[str, Any]] = {}
    for row in table.periods:
        assert row.key is not None, "the builder keys every row of a table by key and period"
        rows.setdefault(row.period, {})[row.key.text] = literal_value(row.value)
    by_period = {period: Keyed(keyed, default) for period, keyed in rows.items()}
    nothing = Keyed({}, default)

    def read_keyed(frame: Frame, position: int) -> Any:
        return by_period.get(frame.label(position), nothing)

    return read_keyed


_FIXED_SECOND = frozenset({"sum", "total", "since", "rank", "percentile"})
_STATUS_RANKS = {status: rank for rank, status in enumerate(STATUS_ORDER)}


def _status_comparison(expr: s.Binary, record: Record | None) -> Compiled:
    """`status("RULE") OP WORD` at a position: the rule judged as if that period were the
    current one (`Frame.status_of`), compared in the order pass < warn < fail. A status that
    is unknown makes the comparison unknown, except `== unknown` and `!= unknown`."""
    call, word, op = expr.left, expr.right, expr.op
    if not (isinstance(call, s.Call) and call.function == "status"):
        call, word, op = expr.right, expr.left, _MIRRORED[expr.op]
    assert isinstance(call, s.Call) and isinstance(call.args[0], s.RuleName)
    rule, wanted = call.args[0].name, _word(word)
    fast = _OPERATORS[op][0]

    def judge(status: Any) -> Any:
        if wanted == "unknown":
            return (status.__class__ is Unknown) == (op == "==")
        if status.__class__ is Unknown:
            return status
        return fast(_STATUS_RANKS[status], _STATUS_RANKS[wanted])

    def compare(frame: Frame, position: int) -> Any:
        status = frame.status(rule, position)
        if record is not None:
            record(call, position, status)  # for an explanation: the status compared
        return lift1(judge, status)

    return compare


_MIRRORED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _number(expr: s.Expr) -> s.Number:
    assert isinstance(expr, s.Number), "the checker lets only literal counts through"
    return expr


def _constant(value: Any) -> Compiled:
    def constant(_frame: Frame, _position: int) -> Any:
        return value

    return constant


def _recording(expr: s.Expr, compute: Compiled, record: Record) -> Compiled:
    def recorded(frame: Frame, position: int) -> Any:
        value = compute(frame, position)
        record(expr, position, value)
        return value

    return recorded


def _memoised(slot: int, compute: Compiled) -> Compiled:
    def remembered(frame: Frame, position: int) -> Any:
        memo = frame.memo
        key = (slot, position)
        if key in memo:
            return memo[key]
        value = memo[key] = compute(frame, position)
        return value

    return remembered


def _metric_reader(metric: s.Metric) -> Compiled:
    name = metric.name
    keyed = metric.dimension is not None
    flow = metric.type in FLOW_UNITS and not metric.stock
    zero_when_absent = keyed and flow

    def read(frame: Frame, position: int) -> Any:
        snapshot = frame.metrics.get(position)
        if snapshot is None:
            return frame.gap(position)
        if flow and type(snapshot) is PartlyCovered and name in snapshot.coverage:
            return snapshot.unknown(name)  # summed over part of a rolled-up period only
        value = snapshot.get(name)
        if value is None:
            return Unknown(
                Message(
                    "`{name}` has no value in {period}", name=name, period=frame.label(position)
                )
            )
        if not keyed:
            return value
        if zero_when_absent:
            return Keyed(value, 0)
        no_value = Message(
            "`{name}` has no value for this key in {period}",
            name=name,
            period=frame.label(position),
        )
        return Keyed(value, Unknown(no_value))

    return read


# ---- operators and functions ---------------------------------------------------------------

_OPERATORS: dict[str, tuple[Callable[[Any, Any], Any], Callable[[Any, Any], Any]]] = {
    "+": (operator.add, add),
    "-": (operator.sub, subtract),
    "*": (operator.mul, multiply),
    "<": (operator.lt, operator.lt),
    "<=": (operator.le, operator.le),
    ">": (operator.gt, operator.gt),
    ">=": (operator.ge, operator.ge),
    "==": (operator.eq, operator.eq),
    "!=": (operator.ne, operator.ne),
    "and": (logical_and, logical_and),
    "or": (logical_or, logical_or),
}


def _map1(op: Callable[[Any], Any], arg: Compiled) -> Compiled:
    def apply(frame: Frame, position: int) -> Any:
        return lift1(op, arg(frame, position))

    return apply


def _rounding(arg: Compiled, digits: int) -> Compiled:
    def round_value(value: Any) -> Any:
        return value if isinstance(value, Unknown) else round_half_away(value, digits)

    return _map1(round_value, arg)
