"""Typing expressions: names, functions, units and keys, with every problem reported."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from decimal import Decimal

import attrs

from planrules import syntax as s
from planrules.diagnostics import Diagnostic, error
from planrules.numbers import is_whole
from planrules.units import BOOL, Type, UnitError, additive, join_dimensions, multiplicative

AGGREGATES = frozenset({"sum", "avg", "min", "max", "count"})
HISTORY = frozenset({"total", "previous", "change", "growth", "rolling_avg", "rolling_sum"})
SCALAR = frozenset({"abs", "round"})
FUNCTIONS = AGGREGATES | HISTORY | SCALAR
FLOWS_ONLY = frozenset({"total", "rolling_sum"})
COMPARISONS = frozenset({"<", "<=", ">", ">=", "==", "!="})

# How many arguments each function takes: (fewest, most); None for no upper bound.
_ARITY: dict[str, tuple[int, int | None]] = {
    "sum": (1, 1),
    "avg": (1, 1),
    "count": (1, 1),
    "min": (1, None),
    "max": (1, None),
    "abs": (1, 1),
    "round": (2, 2),
    "total": (1, 1),
    "previous": (1, 2),
    "change": (1, 1),
    "growth": (1, 1),
    "rolling_avg": (2, 2),
    "rolling_sum": (2, 2),
}


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None


@attrs.define
class Scope:
    """What names mean: metrics, tables and the types of lets (worked out on demand)."""

    metrics: dict[str, s.Metric]
    tables: dict[str, s.Table]
    lets: dict[str, s.Let]
    let_types: dict[str, Type | None] = attrs.field(factory=dict)
    typing_lets: set[str] = attrs.field(factory=set)

    def names(self) -> set[str]:
        return set(self.metrics) | set(self.tables) | set(self.lets)

    def reads_stock(self, expr: s.Expr, seen: frozenset[str] = frozenset()) -> s.Metric | None:
        """The stock metric an expression reads, through lets, if any."""
        for name in names_read(expr):
            metric = self.metrics.get(name)
            if metric is not None and metric.stock:
                return metric
            let = self.lets.get(name)
            if let is not None and name not in seen:
                found = self.reads_stock(let.expr, seen | {name})
                if found is not None:
                    return found
        return None


def names_read(expr: s.Expr) -> Iterable[str]:
    if isinstance(expr, s.Name):
        yield expr.name
    elif isinstance(expr, s.KeyAccess):
        yield from names_read(expr.target)
    elif isinstance(expr, s.Call):
        for arg in expr.args:
            yield from names_read(arg)
    elif isinstance(expr, s.Unary):
        yield from names_read(expr.operand)
    elif isinstance(expr, s.Binary):
        yield from names_read(expr.left)
        yield from names_read(expr.right)


class ExprChecker:
    """Gives the type of an expression, or None where a problem was reported."""

    def __init__(self, scope: Scope, report: Callable[[Diagnostic], None]) -> None:
        self.scope = scope
        self.report = report

    def problem(self, code: str, node: s.Expr, message: str, hint: str | None = None) -> None:
        self.report(error(code, node.span, message, hint))

    def type_of(self, expr: s.Expr) -> Type | None:
        if isinstance(expr, s.Number):
            unit = "money" if expr.currency else "number"
            return Type(unit, literal=expr.currency is None)
        if isinstance(expr, s.Name):
            return self._name(expr)
        if isinstance(expr, s.KeyAccess):
            return self._key_access(expr)
        if isinstance(expr, s.Call):
            return self._call(expr)
        if isinstance(expr, s.Unary):
            return self._unary(expr)
        return self._binary(expr)

    def _name(self, expr: s.Name) -> Type | None:
        scope = self.scope
        if expr.name in scope.metrics:
            metric = scope.metrics[expr.name]
            return Type(metric.type, metric.dimension)
        if expr.name in scope.tables:
            table = scope.tables[expr.name]
            return Type(table.type, table.dimension)
        if expr.name in scope.lets:
            return self.let_type(expr.name, expr)
        self.problem(
            "unknown-name",
            expr,
            f"`{expr.name}` is not a metric, table or let",
            did_you_mean(expr.name, scope.names()),
        )
        return None

    def let_type(self, name: str, use: s.Expr | None = None) -> Type | None:
        scope = self.scope
        if name in scope.let_types:
            return scope.let_types[name]
        if name in scope.typing_lets:
            self.report(
                error("let-cycle", scope.lets[name].span, f"let `{name}` is defined through itself")
            )
            scope.let_types[name] = None
            return None
        scope.typing_lets.add(name)
        found = self.type_of(scope.lets[name].expr)
        scope.typing_lets.discard(name)
        scope.let_types.setdefault(name, attrs.evolve(found, literal=False) if found else None)
        return scope.let_types[name]

    def _key_access(self, expr: s.KeyAccess) -> Type | None:
        target = self.type_of(expr.target)
        if target is None:
            return None
        if not target.keyed:
            self.problem(
                "not-keyed", expr, f"only a keyed value can be read at a key such as `{expr.key}`"
            )
            return None
        return target.scalar()

    def _unary(self, expr: s.Unary) -> Type | None:
        operand = self.type_of(expr.operand)
        if operand is None:
            return None
        wants_bool = expr.op == "not"
        if (operand.unit == BOOL) != wants_bool:
            needed = "a condition" if wants_bool else "a number"
            self.problem("type-mismatch", expr.operand, f"`{expr.op}` needs {needed}")
            return None
        return operand

    def _binary(self, expr: s.Binary) -> Type | None:
        left = self.type_of(expr.left)
        right = self.type_of(expr.right)
        if left is None or right is None:
            return None
        if expr.op in ("and", "or"):
            return self._logical(expr, left, right)
        try:
            dimension = join_dimensions(left, right)
            if expr.op in COMPARISONS:
                additive(expr.op, left, right)
                return Type(BOOL, dimension)
            if expr.op in ("+", "-"):
                unit = additive(expr.op, left, right)
            else:
                unit = multiplicative(expr.op, left, right)
        except UnitError as problem:
            code = "money-product" if "money times money" in str(problem) else "unit-mismatch"
            if "cannot be combined" in str(problem):
                code = "mixed-dimensions"
            self.problem(code, expr, str(problem))
            return None
        literal = left.literal and right.literal
        return Type(unit, dimension, literal)

    def _logical(self, expr: s.Binary, left: Type, right: Type) -> Type | None:
        for side, side_type in ((expr.left, left), (expr.right, right)):
            if side_type.unit != BOOL:
                self.problem("type-mismatch", side, f"`{expr.op}` joins conditions, not numbers")
                return None
        try:
            return Type(BOOL, join_dimensions(left, right))
        except UnitError as problem:
            self.problem("mixed-dimensions", expr, str(problem))
            return None

    def _call(self, expr: s.Call) -> Type | None:
        name = expr.function
        if name not in FUNCTIONS:
            self.problem(
                "unknown-function",
                expr,
                f"`{name}` is not a function",
                did_you_mean(name, FUNCTIONS),
            )
            return None
        if not self._arity(expr):
            return None
        args = [self.type_of(arg) for arg in expr.args]
        if any(arg is None for arg in args):
            return None
        types = [arg for arg in args if arg is not None]
        if any(t.unit == BOOL for t in types):
            self.problem("type-mismatch", expr, f"`{name}` takes numbers, not conditions")
            return None
        if name in AGGREGATES and len(types) == 1:
            return self._aggregate(expr, types[0])
        if name in ("min", "max"):
            return self._extremum(expr, types)
        return self._history_or_scalar(expr, types)

    def _arity(self, expr: s.Call) -> bool:
        fewest, most = _ARITY[expr.function]
        count = len(expr.args)
        if count >= fewest and (most is None or count <= most):
            return True
        wanted = f"{fewest}" if fewest == most else f"{fewest} to {most or 'any number of'}"
        if most is None:
            wanted = f"at least {fewest}"
        self.problem(
            "bad-arguments", expr, f"`{expr.function}` takes {wanted} argument(s), not {count}"
        )
        return False

    def _aggregate(self, expr: s.Call, arg: Type) -> Type | None:
        if not arg.keyed:
            self.problem(
                "bad-arguments",
                expr,
                f"`{expr.function}` works over the keys of a keyed value; this one has no keys",
            )
            return None
        unit = "count" if expr.function == "count" else arg.unit
        return Type(unit)

    def _extremum(self, expr: s.Call, types: list[Type]) -> Type | None:
        result = types[0]
        for other in types[1:]:
            try:
                unit = additive(",", result, other)
                result = Type(
                    unit, join_dimensions(result, other), result.literal and other.literal
                )
            except UnitError as problem:
                self.problem("unit-mismatch", expr, str(problem))
                return None
        return result

    def _history_or_scalar(self, expr: s.Call, types: list[Type]) -> Type | None:
        name = expr.function
        subject = types[0]
        if name in FLOWS_ONLY:
            stock = self.scope.reads_stock(expr.args[0])
            if stock is not None:
                self.problem(
                    "stock-total",
                    expr,
                    f"`{name}` adds up periods, but `{stock.name}` is a stock (a level); "
                    "use its latest value or rolling_avg",
                )
                return None
        if len(expr.args) == 2 and not self._count_argument(expr, name != "round"):
            return None
        if name == "growth":
            return Type("ratio", subject.dimension)
        return attrs.evolve(subject, literal=False) if name in HISTORY else subject

    def _count_argument(self, expr: s.Call, positive: bool) -> bool:
        argument = expr.args[1]
        if isinstance(argument, s.Number) and is_whole_count(argument, 1 if positive else 0):
            return True
        if positive:
            message = f"`{expr.function}` counts periods: a whole number of at least 1"
            self.problem("bad-count", argument, message)
        else:
            self.problem("bad-arguments", argument, f"`{expr.function}` needs a whole number here")
        return False


# Counts of periods or digits beyond this are typing slips, not plans.
_LARGEST_COUNT = Decimal(10) ** 6


def is_whole_count(number: s.Number, least: int) -> bool:
    value = number.value
    return (
        not number.percent
        and number.currency is None
        and is_whole(value)
        and least <= value <= _LARGEST_COUNT
    )
