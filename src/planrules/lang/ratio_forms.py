"""How ratios are shown: as the plan writes them (contract, version 2).

A name of unit `ratio` (a metric, `let` or table) is shown as a percent (`1.8%`) if any literal
it is compared with (the other side of a comparison, a threshold's level, a goal's target or
baseline, a table's entries) is written with `%`, or if it is compared with no literal at all;
otherwise as a plain number with two decimals, or one more than its most precise literal
(ROAS compared with `4.5` shows as `4.72`). A goal's or threshold's value follows the literals
the rule itself writes (its levels, target, baseline) where they agree (all with `%`, or all
without), and its subject's form otherwise; the subject's form is that of a ratio name, and a
percent for any other expression.

Everything here is worked out once, when a ruleset is checked (the forms of names, kept in the
`Scope`) or compiled (a rule's form): a result carries a reference to its rule's form, and an
evaluation does no work for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import attrs

from planrules.lang import syntax as s
from planrules.lang.exprcheck import COMPARISONS, ExprChecker, Scope, operands

PLAIN_DECIMALS = 2  # the fewest decimals a ratio written as a plain number is shown with
PERCENT_DECIMALS = 1


@attrs.frozen
class RatioForm:
    """How a ratio is written: a percent (`percent`), or a plain number, each with `decimals`
    decimals."""

    percent: bool
    decimals: int


PERCENT = RatioForm(True, PERCENT_DECIMALS)
_PLAIN: dict[int, RatioForm] = {}


def plain(decimals: int) -> RatioForm:
    """The plain form with `decimals` decimals; one object for each, shared by every rule."""
    return _PLAIN.setdefault(decimals, RatioForm(False, decimals))


def form_of_literals(literals: Iterable[s.Number]) -> RatioForm:
    """The form literals give what they are compared with: a percent if any is written with
    `%` or there are none; otherwise plain, with one decimal more than the most precise."""
    numbers = list(literals)
    if not numbers or any(number.percent for number in numbers):
        return PERCENT
    return plain(max(PLAIN_DECIMALS, *(_decimals(number) + 1 for number in numbers)))


def _decimals(number: s.Number) -> int:
    """Decimals as written: `4.5` has one, `4.50` two, `4` and `1.5k` none."""
    exponent = number.value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


# ---- names ---------------------------------------------------------------------------------


def name_forms(scope: Scope, rules: Iterable[s.Rule]) -> dict[str, RatioForm]:
    """The form of every ratio name in scope, from every comparison the lets and the rules
    write (a checked ruleset's, without errors)."""
    ratios = _ratio_names(scope)
    compared: dict[str, list[s.Number]] = {name: [] for name in ratios}

    def pair(side: s.Expr, other: s.Expr | None) -> None:
        name = _name_read(side)
        if name in ratios and other is not None:
            compared[name].extend(_literals(other, scope))

    for table in scope.tables.values():
        if table.name in ratios:
            compared[table.name].extend(_entries(table))
    exprs: list[s.Expr] = [let.expr for let in scope.lets.values()]
    for rule in rules:
        exprs.extend(_expressions(rule))
        if isinstance(rule, s.Goal):
            pair(rule.subject, rule.target)
            pair(rule.subject, rule.baseline)
        elif isinstance(rule, s.Threshold):
            for level in rule.levels:
                pair(rule.subject, level.bound)
    for node in _nodes(exprs):
        if isinstance(node, s.Binary) and node.op in COMPARISONS:
            pair(node.left, node.right)
            pair(node.right, node.left)
    return {name: form_of_literals(literals) for name, literals in compared.items()}


def _ratio_names(scope: Scope) -> set[str]:
    """The names of unit `ratio`, each as it resolves (a metric hides a table, a table a let)."""
    types = ExprChecker(scope, lambda _diagnostic: None)
    found = {name for name, metric in scope.metrics.items() if metric.type == "ratio"}
    for name, table in scope.tables.items():
        if table.type == "ratio" and name not in scope.metrics:
            found.add(name)
    for name in scope.lets:
        if name in scope.metrics or name in scope.tables:
            continue
        typed = types.let_type(name)
        if typed is not None and typed.unit == "ratio":
            found.add(name)
    return found


def _name_read(expr: s.Expr) -> str | None:
    """The name a side of a comparison reads as it is: `roas`, or one key of it (`roas.tiktok`)."""
    if isinstance(expr, s.KeyAccess):
        expr = expr.target
    return expr.name if isinstance(expr, s.Name) else None


def _literal(expr: s.Expr) -> s.Number | None:
    """A number written out: `4.5`, `20%`, `-0.5`."""
    if isinstance(expr, s.Unary) and expr.op == "-":
        expr = expr.operand
    return expr if isinstance(expr, s.Number) else None


def _literals(expr: s.Expr, scope: Scope) -> list[s.Number]:
    """The literals a side of a comparison is written with: a number, or a table's entries."""
    number = _literal(expr)
    if number is not None:
        return [number]
    name = _name_read(expr)
    if name is not None and name in scope.tables and name not in scope.metrics:
        return _entries(scope.tables[name])
    return []


def _entries(table: s.Table) -> list[s.Number]:
    numbers = [entry.value for entry in table.entries] + [row.value for row in table.periods]
    return numbers if table.default is None else [*numbers, table.default]


def _expressions(rule: s.Rule) -> list[s.Expr]:
    if isinstance(rule, s.Goal):
        return [e for e in (rule.subject, rule.target, rule.baseline) if e is not None]
    if isinstance(rule, s.Threshold):
        return [rule.subject, *(level.bound for level in rule.levels)]
    if isinstance(rule, s.Trigger):
        texts = [
            part.expr
            for action in rule.actions
            if isinstance(action, s.Recommend)
            for part in action.parts
            if isinstance(part, s.Interpolation)
        ]
        return [rule.condition, *texts]
    return []


def _nodes(exprs: Iterable[s.Expr]) -> Iterator[s.Expr]:
    """Every expression in `exprs` and in their parts, walked without recursion."""
    pending = list(exprs)
    while pending:
        node = pending.pop()
        yield node
        pending.extend(operands(node))


# ---- expressions and rules -----------------------------------------------------------------


def form_of(expr: s.Expr, scope: Scope) -> RatioForm:
    """How a ratio expression is written: a ratio name (or one key of it) in the name's form,
    anything else as a percent."""
    name = _name_read(expr)
    if name is None:
        return PERCENT
    return scope.forms.get(name, PERCENT)


def rule_form(rule: s.Goal | s.Threshold, scope: Scope) -> RatioForm:
    """The form of a goal's or threshold's value (and target, levels, forecast ...): that of
    the literals the rule writes where they agree, else its subject's."""
    if isinstance(rule, s.Goal):
        written = [rule.target, rule.baseline]
    else:
        written = [level.bound for level in rule.levels]
    literals = [number for e in written if e is not None and (number := _literal(e)) is not None]
    kinds = {number.percent for number in literals}
    if len(kinds) == 1:
        return form_of_literals(literals)
    return form_of(rule.subject, scope)
