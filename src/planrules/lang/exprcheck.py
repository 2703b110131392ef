"""Typing expressions: names, functions, units and keys, with every problem reported."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

import attrs

from planrules.lang import syntax as s
from planrules.lang.diagnostics import Diagnostic, error
from planrules.lang.messages import Amount, Message, said_by
from planrules.lang.numbers import is_whole
from planrules.lang.units import (
    BOOL,
    Type,
    UnitError,
    additive,
    dimension_parts,
    join_dimensions,
    joined_dimensions,
    multiplicative,
)

if TYPE_CHECKING:
    from planrules.lang.ratio_forms import RatioForm

AGGREGATES = frozenset({"sum", "avg", "min", "max", "count", "median"})
HISTORY = frozenset(
    {"total", "previous", "change", "growth", "rolling_avg", "rolling_sum", "since"}
)
SCALAR = frozenset({"abs", "round"})
# Over the keys of a keyed value: a figure of them all (`percentile`), or one per key.
ACROSS_KEYS = frozenset({"percentile", "rank", "share"})
# Read only in a trigger's condition, compared with a status word.
STATUS = "status"
FUNCTIONS = AGGREGATES | HISTORY | SCALAR | ACROSS_KEYS | {STATUS}
# The words a status is compared with, in their order, then `unknown`.
STATUS_ORDER = ("pass", "warn", "fail")
STATUS_WORDS = (*STATUS_ORDER, "unknown")
# The calendar windows of `total(x, WINDOW)`, each with the cadences finer than it.
CALENDAR_WINDOWS: dict[str, tuple[str, ...]] = {
    "quarter": ("daily", "weekly", "monthly"),
    "year": ("daily", "weekly", "monthly", "quarterly"),
}
RANK_ORDERS = ("ascending", "descending")
FLOWS_ONLY = frozenset({"total", "rolling_sum", "since"})
COMPARISONS = frozenset({"<", "<=", ">", ">=", "==", "!="})

# How many arguments each function takes: (fewest, most); None for no upper bound.
ARITY: dict[str, tuple[int, int | None]] = {
    "sum": (1, 2),
    "avg": (1, 1),
    "count": (1, 1),
    "min": (1, None),
    "max": (1, None),
    "abs": (1, 1),
    "round": (2, 2),
    "total": (1, 2),
    "since": (2, 2),
    "median": (1, 1),
    "percentile": (2, 2),
    "rank": (1, 2),
    "share": (1, 1),
    "status": (1, 1),
    "previous": (1, 2),
    "change": (1, 1),
    "growth": (1, 1),
    "rolling_avg": (2, 2),
    "rolling_sum": (2, 2),
}


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    import difflib  # loaded only for a misspelling: a check without one does not need it

    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return Message("did you mean `{name}`?", name=close[0]) if close else None


@attrs.define
class Scope:
    """What names mean: metrics, tables and the types of lets (worked out on demand)."""

    metrics: dict[str, s.Metric]
    tables: dict[str, s.Table]
    lets: dict[str, s.Let]
    let_types: dict[str, Type | None] = attrs.field(factory=dict)
    typing_lets: set[str] = attrs.field(factory=set)
    # How each ratio name is shown (`planrules.lang.ratio_forms`), set once the check is sound.
    forms: dict[str, RatioForm] = attrs.field(factory=dict)
    # The rules by name (`status("NAME")`), and the header's cadence (calendar windows).
    rules: dict[str, s.Rule] = attrs.field(factory=dict)
    cadence: str | None = None
    # The hierarchies, by the dimension each makes (`group rep into team`: under `team`).
    groups: dict[str, s.Group] = attrs.field(factory=dict)

    def metric_dimensions(self) -> set[str]:
        """The dimensions metrics are keyed by, two-dimension ones as one (`a, b`)."""
        return {m.dimension for m in self.metrics.values() if m.dimension}

    def known_dimensions(self) -> set[str]:
        """Every dimension a value can be keyed by: those of the metrics, each of a pair of
        dimensions alone, and those the groups make (`team`, and `team, kenh` of a pair
        `rep, kenh`)."""
        metrics = self.metric_dimensions()
        known = metrics | {part for dimension in metrics for part in dimension_parts(dimension)}
        for group in self.groups.values():
            known.add(group.into)
            for dimension in metrics:
                regrouped = regrouped_dimension(dimension, group.into, self.groups)
                if regrouped:
                    known.add(regrouped)
        return known

    def names(self) -> set[str]:
        return set(self.metrics) | set(self.tables) | set(self.lets)

    def reads_stock(self, expr: s.Expr) -> s.Metric | None:
        """The first stock metric an expression reads, through lets, if any.

        Lets are followed without recursion, as a chain of lets may be long.
        """
        seen: set[str] = set()
        reading = [names_read(expr)]
        while reading:
            name = next(reading[-1], None)
            if name is None:
                reading.pop()
                continue
            metric = self.metrics.get(name)
            if metric is not None and metric.stock:
                return metric
            let = self.lets.get(name)
            if let is not None and name not in seen:
                seen.add(name)
                reading.append(names_read(let.expr))
        return None


def is_cumulative(expr: s.Expr, scope: Scope) -> bool:
    """Whether `expr`, lets written out, is a sum of `total(...)` terms: a figure that grows
    through the window, and so can be paced."""
    pending, seen = [expr], set()
    while pending:
        node = pending.pop()
        if isinstance(node, s.Name) and node.name in scope.lets:
            if node.name not in seen:  # a let read twice is looked at once
                seen.add(node.name)
                pending.append(scope.lets[node.name].expr)
        elif isinstance(node, s.Binary) and node.op == "+":
            pending.extend((node.left, node.right))
        elif isinstance(node, s.KeyAccess):
            pending.append(node.target)  # one key of a running total: `total(x).Lan`
        elif isinstance(node, s.Call) and node.function == "sum" and len(node.args) == 1:
            pending.append(node.args[0])  # running totals summed over keys
        elif not (isinstance(node, s.Call) and node.function == "total" and len(node.args) == 1):
            return False
    return True


def is_paced(goal: s.Goal, scope: Scope) -> bool:
    """A goal is paced (judged against a pace line before its deadline) if and only if it has
    a deadline and either a baseline (`from`) or a cumulative subject (`total(...)`)."""
    return goal.deadline is not None and (
        goal.baseline is not None or is_cumulative(goal.subject, scope)
    )


def metrics_read(exprs: Iterable[s.Expr], scope: Scope) -> list[str]:
    """The metrics the expressions read, through lets, in the order first met."""
    found: dict[str, None] = {}
    seen: set[str] = set()
    pending = [name for expr in exprs for name in names_read(expr)]
    pending.reverse()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in scope.metrics:
            found[name] = None
        elif name in scope.lets:
            pending.extend(reversed(list(names_read(scope.lets[name].expr))))
    return list(found)


def names_read(expr: s.Expr) -> Iterator[str]:
    """The names an expression reads, in the order they are written."""
    pending = [expr]
    while pending:
        node = pending.pop()
        if isinstance(node, s.Name):
            yield node.name
        else:
            pending.extend(reversed(operands(node)))


def operands(expr: s.Expr) -> tuple[s.Expr, ...]:
    """The expressions an expression is made of, in the order they are written."""
    if isinstance(expr, s.KeyAccess):
        return (expr.target,)
    if isinstance(expr, s.Call):
        return expr.args
    if isinstance(expr, s.Unary):
        return (expr.operand,)
    if isinstance(expr, s.Binary):
        return (expr.left, expr.right)
    return ()


def statuses_read(exprs: Iterable[s.Expr]) -> list[s.RuleName]:
    """The rules whose status the expressions read (`status("RULE")`), in order."""
    found: list[s.RuleName] = []
    pending = list(exprs)
    pending.reverse()
    while pending:
        node = pending.pop()
        if isinstance(node, s.RuleName):
            found.append(node)
        else:
            pending.extend(reversed(operands(node)))
    return found


def rule_values(rule: s.Rule) -> list[s.Expr]:
    """The expressions a rule's result is worked out from (a trigger's texts aside)."""
    if isinstance(rule, s.Goal):
        return [e for e in (rule.subject, rule.target, rule.baseline) if e is not None]
    if isinstance(rule, s.Threshold):
        return [rule.subject, *(level.bound for level in rule.levels)]
    if isinstance(rule, s.Trigger):
        return [rule.condition]
    return []


def read_through_statuses(exprs: Iterable[s.Expr], scope: Scope) -> list[s.Expr]:
    """The expressions, and those of every rule whose status they read, through statuses:
    what makes the keys of a `per` trigger reading `status("RULE")`."""
    found = list(exprs)
    seen: set[str] = set()
    index = 0
    while index < len(found):
        for named in statuses_read([found[index]]):
            rule = scope.rules.get(named.name)
            if rule is not None and named.name not in seen:
                seen.add(named.name)
                found.extend(rule_values(rule))
        index += 1
    return found


def left_chain(expr: s.Binary) -> list[s.Binary]:
    """The operations down a chain of left operands, innermost first: `a - b + c` gives
    [`a - b`, `a - b + c`], and the chain starts from the first one's left operand (`a`).

    Walk a chain with this rather than by recursion: `a + a + ... + a` nests as deep as it is
    long, and the parser allows such chains (see build.MAX_NESTING).
    """
    chain = [expr]
    while isinstance(chain[-1].left, s.Binary):
        chain.append(chain[-1].left)
    chain.reverse()
    return chain


class ExprChecker:
    """Gives the type of an expression, or None where a problem was reported.

    `rule` is the rule whose value it types (None for a let): only a trigger's condition may
    read a status, and only a rule `per` a dimension may rank its keys."""

    def __init__(
        self,
        scope: Scope,
        report: Callable[[Diagnostic], None],
        rule: s.Rule | None = None,
    ) -> None:
        self.scope = scope
        self.report = report
        self.rule = rule

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
        if isinstance(expr, s.RuleName):
            self.problem(
                "bad-status",
                expr,
                Message('a rule\'s name in quotes is read only by `status("RULE")`'),
            )
            return None
        if isinstance(expr, s.DateLiteral):
            self.problem(
                "misplaced-date",
                expr,
                Message("a date is read only by `since(x, {date})`", date=expr.text),
            )
            return None
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
            Message("`{expr}` is not a metric, table or let", expr=expr.name),
            did_you_mean(expr.name, scope.names()),
        )
        return None

    def let_type(self, name: str, use: s.Expr | None = None) -> Type | None:
        scope = self.scope
        if name not in scope.let_types:
            # The lets a let reads are typed before it, so that typing one never recurses
            # through a chain of lets, however long.
            for let in self._lets_in_typing_order(name):
                found = self.type_of(scope.lets[let].expr)
                scope.let_types.setdefault(
                    let, attrs.evolve(found, literal=False) if found else None
                )
        return scope.let_types[name]

    def _lets_in_typing_order(self, name: str) -> list[str]:
        """The let `name` and the untyped lets it reads, through lets, each after those it reads.

        A let read through itself is reported and typed None here. Walked without recursion.
        """
        scope = self.scope
        order: list[str] = []
        entered = {name}
        scope.typing_lets.add(name)
        reading = [(name, self._lets_read(name))]
        while reading:
            current, reads = reading[-1]
            read = next(reads, None)
            if read is None:
                reading.pop()
                scope.typing_lets.discard(current)
                order.append(current)
            elif read in scope.typing_lets:
                self._let_cycle(read)
            elif read not in scope.let_types and read not in entered:
                entered.add(read)
                scope.typing_lets.add(read)
                reading.append((read, self._lets_read(read)))
        return order

    def lets_in_dependency_order(self) -> list[str]:
        """Every let, each after the lets it reads (a cycle, reported already, is cut)."""
        order: list[str] = []
        placed: set[str] = set()
        for start in self.scope.lets:
            if start in placed:
                continue
            placed.add(start)
            reading = [(start, self._lets_read(start))]
            while reading:
                current, reads = reading[-1]
                read = next(reads, None)
                if read is None:
                    reading.pop()
                    order.append(current)
                elif read not in placed:
                    placed.add(read)
                    reading.append((read, self._lets_read(read)))
        return order

    def _lets_read(self, name: str) -> Iterator[str]:
        scope = self.scope
        for read in names_read(scope.lets[name].expr):
            # A metric or table of the same name hides the let (see _name).
            if read in scope.lets and read not in scope.metrics and read not in scope.tables:
                yield read

    def _let_cycle(self, name: str) -> None:
        scope = self.scope
        if name not in scope.let_types:
            self.report(
                error(
                    "let-cycle",
                    scope.lets[name].span,
                    Message("let `{name}` is defined through itself", name=name),
                )
            )
            scope.let_types[name] = None

    def _key_access(self, expr: s.KeyAccess) -> Type | None:
        target = self.type_of(expr.target)
        if target is None:
            return None
        if not target.keyed:
            self.problem(
                "not-keyed",
                expr,
                Message("only a keyed value can be read at a key such as `{key}`", key=expr.key),
            )
            return None
        return target.scalar()

    def _unary(self, expr: s.Unary) -> Type | None:
        operand = self.type_of(expr.operand)
        if operand is None:
            return None
        wants_bool = expr.op == "not"
        if (operand.unit == BOOL) != wants_bool:
            needed = Message("a condition") if wants_bool else Message("a number")
            self.problem(
                "type-mismatch",
                expr.operand,
                Message("`{op}` needs {needed}", op=expr.op, needed=needed),
            )
            return None
        return operand

    def _binary(self, expr: s.Binary) -> Type | None:
        chain = left_chain(expr)
        if is_status_comparison(chain[0]):
            # `status("R") >= warn and ...`: the comparison is typed whole, its word unread.
            result = self._status_comparison(chain[0])
            chain = chain[1:]
        else:
            result = self.type_of(chain[0].left)
        for operation in chain:
            right = self.type_of(operation.right)
            result = (
                None
                if result is None or right is None
                else self._operation(operation, result, right)
            )
        return result

    def _operation(self, expr: s.Binary, left: Type, right: Type) -> Type | None:
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
            self.problem(code, expr, said_by(problem))
            return None
        literal = left.literal and right.literal
        return Type(unit, dimension, literal)

    def _logical(self, expr: s.Binary, left: Type, right: Type) -> Type | None:
        for side, side_type in ((expr.left, left), (expr.right, right)):
            if side_type.unit != BOOL:
                self.problem(
                    "type-mismatch",
                    side,
                    Message("`{op}` joins conditions, not numbers", op=expr.op),
                )
                return None
        try:
            return Type(BOOL, join_dimensions(left, right))
        except UnitError as problem:
            self.problem("mixed-dimensions", expr, said_by(problem))
            return None

    def _call(self, expr: s.Call) -> Type | None:
        name = expr.function
        if name not in FUNCTIONS:
            known = Message("the functions are {names}", names=", ".join(sorted(FUNCTIONS)))
            close = did_you_mean(name, FUNCTIONS)
            self.problem(
                "unknown-function",
                expr,
                Message("`{name}` is not a function", name=name),
                Message("{guess} ({known})", guess=close, known=known) if close else known,
            )
            return None
        if not self._arity(expr):
            return None
        if name == STATUS and not isinstance(self.rule, s.Trigger):
            self.status_outside_trigger(expr)
            return None
        if name == STATUS:
            self.problem(
                "bad-status",
                expr,
                Message(
                    '`status(...)` is compared with a status: `status("RULE") >= warn` '
                    "(pass, warn, fail or unknown)"
                ),
            )
            return None
        if not self._second_argument(expr):
            return None
        typed = expr.args[:1] if _WORD_OR_FIXED_SECOND.get(name) else expr.args
        args = [self.type_of(arg) for arg in typed]
        if any(arg is None for arg in args):
            return None
        types = [arg for arg in args if arg is not None]
        if any(t.unit == BOOL for t in types):
            self.problem(
                "type-mismatch", expr, Message("`{name}` takes numbers, not conditions", name=name)
            )
            return None
        if name == "sum" and len(expr.args) == 2:
            return self._regrouped(expr, types[0])
        if name in AGGREGATES and len(types) == 1:
            return self._aggregate(expr, types[0])
        if name in ACROSS_KEYS:
            return self._across_keys(expr, types[0])
        if name in ("min", "max"):
            return self._extremum(expr, types)
        return self._history_or_scalar(expr, types)

    def _second_argument(self, expr: s.Call) -> bool:
        """The second argument of a function that takes a word, a percent or a date there:
        `total(x, quarter)`, `rank(x, ascending)`, `percentile(x, 90%)`, `since(x, DATE)`."""
        kind = _WORD_OR_FIXED_SECOND.get(expr.function)
        if kind is None or len(expr.args) < 2:
            return True
        argument = expr.args[1]
        if kind == "window":
            return self._calendar_window(expr, argument)
        if kind == "dimension":
            if isinstance(argument, s.Name):
                return True
            self.problem(
                "bad-arguments",
                argument,
                Message("`sum(x, DIMENSION)` names the dimension to sum away or roll up into"),
            )
            return False
        if kind == "order":
            if isinstance(argument, s.Name) and argument.name in RANK_ORDERS:
                return True
            self.problem(
                "bad-arguments",
                argument,
                Message("`rank` orders its keys `ascending` or `descending` (the default)"),
            )
            return False
        if kind == "percent":
            if (
                isinstance(argument, s.Number)
                and argument.currency is None
                and argument.percent
                and 0 <= argument.value <= 1
            ):
                return True
            self.problem(
                "bad-percentile",
                argument,
                Message(
                    "`percentile` takes a percent from 0% to 100%, written with `%`: "
                    "`percentile(x, 90%)`"
                ),
            )
            return False
        if isinstance(argument, s.DateLiteral):
            return argument.value is not None  # a date off the calendar is reported already
        self.problem(
            "bad-arguments",
            argument,
            Message("`since` sums from a date: `since(x, 2026-07-01)`"),
        )
        return False

    def _regrouped(self, expr: s.Call, arg: Type) -> Type | None:
        """`sum(x, kenh)`: x's dimension `kenh` summed away; `sum(x, team)`: x's keys rolled
        up into the groups of `group rep into team`."""
        target = expr.args[1]
        assert isinstance(target, s.Name)
        if not arg.keyed:
            self._aggregate(expr, arg)  # reports a value with no keys
            return None
        regrouped = regrouped_dimension(arg.dimension or "", target.name, self.scope.groups)
        if regrouped is not None:
            return Type(arg.unit, regrouped or None)
        parts = dimension_parts(arg.dimension or "")
        candidates = [*parts, *(g.into for g in self.scope.groups.values() if g.dimension in parts)]
        self.problem(
            "dimension-not-in-value",
            target,
            Message(
                "the value is keyed by {dimension}: it has no `{target}` to sum away, and no "
                "group of it makes `{target}`",
                dimension=arg.dimension,
                target=target.name,
            ),
            did_you_mean(target.name, candidates),
        )
        return None

    def _calendar_window(self, expr: s.Call, argument: s.Expr) -> bool:
        if not (isinstance(argument, s.Name) and argument.name in CALENDAR_WINDOWS):
            self.problem(
                "bad-arguments",
                argument,
                Message(
                    "`total` sums the window so far, or the calendar `quarter` or `year` so far: "
                    "`total(x, quarter)`"
                ),
            )
            return False
        cadence = self.scope.cadence
        if cadence is not None and cadence not in CALENDAR_WINDOWS[argument.name]:
            self.problem(
                "window-not-coarser",
                argument,
                Message(
                    "a {window} is not longer than the plan's {cadence} periods: "
                    "`total(x, {window})` would be the current period alone",
                    window=argument.name,
                    cadence=cadence,
                ),
                Message("use the value itself, or a longer window (`year`)")
                if argument.name == "quarter"
                else Message("use the value itself"),
            )
            return False
        return True

    def _across_keys(self, expr: s.Call, arg: Type) -> Type | None:
        """`percentile(x, P%)`: a figure of all the keys; `rank(x)` and `share(x)`: one per
        key, in a rule `per` the value's dimension."""
        if not self._keyed_argument(expr, arg):
            return None
        if expr.function == "percentile":
            return Type(arg.unit)
        rule = self.rule
        if rule is not None and (isinstance(rule, s.Budget) or rule.per is None):
            self.problem(
                "rank-outside-per",
                expr,
                Message(
                    "`{function}` gives each key its own figure: use it in a rule "
                    "`per {dimension}`",
                    function=expr.function,
                    dimension=arg.dimension,
                ),
            )
            return None
        unit = "count" if expr.function == "rank" else "ratio"
        return Type(unit, arg.dimension)

    def _status_comparison(self, expr: s.Binary) -> Type | None:
        """`status("RULE") OP WORD`: the rule's status at each period, in a trigger only."""
        call, word = (expr.left, expr.right) if _is_status(expr.left) else (expr.right, expr.left)
        assert isinstance(call, s.Call)
        if not self._arity(call):
            return None
        named = call.args[0]
        if not isinstance(named, s.RuleName):
            self.problem(
                "bad-status",
                named,
                Message('`status` takes a rule\'s name in quotes: `status("Revenue 2 billion")`'),
            )
            return None
        if not isinstance(self.rule, s.Trigger):
            self.status_outside_trigger(expr)
            return None
        read = self.scope.rules.get(named.name)
        if read is None:
            self.problem(
                "unknown-rule",
                named,
                Message('there is no rule named "{rule}"', rule=named.name),
                did_you_mean(named.name, self.scope.rules),
            )
            return None
        if read is self.rule:
            self.problem(
                "trigger-cycle",
                named,
                Message('trigger "{rule}" reads its own status', rule=named.name),
            )
            return None
        if not (isinstance(word, s.Name) and word.name in STATUS_WORDS):
            self.problem(
                "bad-status",
                word,
                Message("a status is compared with pass, warn, fail or unknown"),
            )
            return None
        if word.name == "unknown" and expr.op not in ("==", "!="):
            self.problem(
                "bad-status",
                expr,
                Message("`unknown` is no step between pass and fail: ask `== unknown`"),
            )
            return None
        per = read.per if isinstance(read, s.Goal | s.Threshold | s.Trigger) else None
        return Type(BOOL, per)

    def status_outside_trigger(self, expr: s.Expr) -> None:
        self.problem(
            "status-outside-trigger",
            expr,
            Message(
                "a rule's status is a condition of a trigger only: "
                '`trigger "..." when status("RULE") >= warn {{ ... }}`'
            ),
        )

    def _arity(self, expr: s.Call) -> bool:
        fewest, most = ARITY[expr.function]
        count = len(expr.args)
        if count >= fewest and (most is None or count <= most):
            return True
        wanted: str = str(fewest)
        if most is None:
            wanted = Message("at least {fewest}", fewest=fewest)
        elif fewest != most:
            wanted = Message("{fewest} to {most}", fewest=fewest, most=most)
        self.problem(
            "bad-arguments",
            expr,
            Message(
                "`{function}` takes {wanted} argument(s), not {count}",
                function=expr.function,
                wanted=wanted,
                count=count,
            ),
        )
        return False

    def _keyed_argument(self, expr: s.Call, arg: Type) -> bool:
        """Whether the argument of a function over keys has keys; a problem where not."""
        if not arg.keyed:
            self.problem(
                "bad-arguments",
                expr,
                Message(
                    "`{function}` works over the keys of a keyed value; this one has no keys",
                    function=expr.function,
                ),
            )
        return arg.keyed

    def _aggregate(self, expr: s.Call, arg: Type) -> Type | None:
        if not self._keyed_argument(expr, arg):
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
                self.problem("unit-mismatch", expr, said_by(problem))
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
                    Message(
                        "`{name}` adds up periods, but `{stock}` is a stock (a level); use its "
                        "latest value or rolling_avg",
                        name=name,
                        stock=stock.name,
                    ),
                )
                return None
        counted = name not in _WORD_OR_FIXED_SECOND
        if len(expr.args) == 2 and counted and not self._count_argument(expr, name != "round"):
            return None
        if name == "growth":
            return Type("ratio", subject.dimension)
        return attrs.evolve(subject, literal=False) if name in HISTORY else subject

    def _count_argument(self, expr: s.Call, positive: bool) -> bool:
        argument = expr.args[1]
        if isinstance(argument, s.Number) and is_whole_count(argument, 1 if positive else 0):
            return True
        if positive:
            message = Message(
                "`{function}` counts periods: a whole number from 1 to {most}",
                function=expr.function,
                most=Amount(f"{LARGEST_COUNT:,}", LARGEST_COUNT, "count"),
            )
            self.problem("bad-count", argument, message)
        else:
            self.problem(
                "bad-arguments",
                argument,
                Message("`{function}` needs a whole number here", function=expr.function),
            )
        return False


# Functions whose second argument is not a value: a word, a percent or a date.
_WORD_OR_FIXED_SECOND = {
    "sum": "dimension",
    "total": "window",
    "rank": "order",
    "percentile": "percent",
    "since": "date",
}


def regrouped_dimension(dimension: str, target: str, groups: Mapping[str, s.Group]) -> str | None:
    """The dimension of `sum(x, target)` for x keyed by `dimension`: the other of two
    dimensions where `target` is one of them ("" where it was the only one, a single value),
    the group's dimension in place of the one it groups; None where neither applies."""
    parts = dimension_parts(dimension)
    if target in parts:
        return joined_dimensions(tuple(p for p in parts if p != target))
    group = groups.get(target)
    if group is not None and group.dimension in parts:
        return joined_dimensions(tuple(target if p == group.dimension else p for p in parts))
    return None


def _is_status(expr: s.Expr) -> bool:
    return isinstance(expr, s.Call) and expr.function == STATUS


def is_status_comparison(expr: s.Expr) -> bool:
    """`status("RULE") OP WORD` (either way round), which is typed and run as one."""
    return (
        isinstance(expr, s.Binary)
        and expr.op in COMPARISONS
        and (_is_status(expr.left) or _is_status(expr.right))
    )


# Counts of periods or digits beyond this are typing slips, not plans.
LARGEST_COUNT = 10**6


def is_whole_count(number: s.Number, least: int) -> bool:
    value = number.value
    return (
        not number.percent
        and number.currency is None
        and is_whole(value)
        and least <= value <= LARGEST_COUNT
    )


# An evaluation recurses about three Python frames per level of an expression, lets read
# included; this keeps the deepest ruleset well inside Python's default limit of 1000.
MAX_EVALUATION_DEPTH = 200


def evaluation_depth(expr: s.Expr, let_depths: dict[str, int]) -> int:
    """How deep evaluating `expr` nests, counting the depth of the lets it reads (from
    `let_depths`; a let missing there counts 1). A chain `a + b + ... + z` is one level, as it
    is evaluated in a loop. Recursion here is bounded by the parser's nesting limit."""
    if isinstance(expr, s.Name):
        return 1 + let_depths.get(expr.name, 0)
    if isinstance(expr, s.Binary):
        chain = left_chain(expr)
        parts = [chain[0].left, *(operation.right for operation in chain)]
    else:
        parts = list(operands(expr))
    return 1 + max((evaluation_depth(part, let_depths) for part in parts), default=0)
