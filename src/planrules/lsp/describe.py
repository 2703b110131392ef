"""What the editor says about a declaration, a number or a function: the text of hovers and
of completion items' documentation, read from the tree, the checker's scope and its registry
of functions."""

from __future__ import annotations

import os
from collections.abc import Sequence
from decimal import Decimal

from planrules.lang import exprcheck
from planrules.lang import syntax as s
from planrules.lang.exprcheck import ExprChecker, Scope
from planrules.lang.units import Type
from planrules.lsp.index import Declared, FileIndex, Symbol, walk

_RULE_KINDS = {s.Goal: "goal", s.Threshold: "threshold", s.Budget: "budget", s.Trigger: "trigger"}


def code_block(text: str) -> str:
    return f"```planrules\n{text}\n```"


def written(index: FileIndex, node: s.Declaration | s.Expr | s.BudgetLine) -> str:
    """The text a node was written as."""
    start, end = index.lines.span_offsets(node.span)
    return index.lines.text[start:end]


def where(index: FileIndex, node: Declared) -> str:
    return f"{os.path.basename(index.path)}:{node.span.line}"


def type_text(unit: Type | None) -> str:
    if unit is None:
        return "unknown (the checker could not type it)"
    return unit.unit + (f" by {unit.dimension}" if unit.dimension else "")


def metric_heading(metric: s.Metric) -> str:
    parts = [f"metric {metric.name}: {metric.type}"]
    if metric.dimension:
        parts.append(f"by {metric.dimension}")
    if metric.stock:
        parts.append("stock")
    return " ".join(parts)


def table_heading(table: s.Table) -> str:
    by = [table.dimension] if table.dimension else []
    if table.by_period:
        by.append("period")
    return f"table {table.name}: {table.type} by {', '.join(by)}"


def table_keys(table: s.Table) -> str:
    keys = [f"{entry.key.text} {entry.value.text}" for entry in table.entries]
    for entry in table.periods:
        key = f"{entry.key.text} " if entry.key is not None else ""
        keys.append(f"{key}{entry.period} {entry.value.text}")
    if table.default is not None:
        keys.append(f"else {table.default.text}")
    return ", ".join(keys) if keys else "no keys"


def describe_declaration(
    symbol: Symbol, node: Declared, index: FileIndex, scope: Scope | None
) -> str:
    if isinstance(node, s.Metric):
        text = [code_block(metric_heading(node))]
        if node.description:
            text.append(node.description)
        if node.stock:
            text.append("A stock: a level at each period's end, not added up over periods.")
    elif isinstance(node, s.Let):
        text = [code_block(f"let {node.name} = {written(index, node.expr)}")]
        text.append(f"unit: {type_text(let_unit(node.name, scope))}")
    elif isinstance(node, s.Table):
        text = [code_block(table_heading(node)), f"keys: {table_keys(node)}"]
    elif isinstance(node, s.BudgetLine):
        text = [
            code_block(f"{symbol.name}  {node.amount.text}"),
            f"a line of budget “{symbol.scope}”",
        ]
        if node.share is not None:
            text.append(f"share: {_share_text(node.share)}")
    else:
        text = [_rule_description(node)]
    text.append(f"declared at {where(index, node)}")
    return "\n\n".join(text)


def _rule_description(rule: s.Goal | s.Threshold | s.Budget | s.Trigger) -> str:
    kind = _RULE_KINDS[type(rule)]
    lines = [code_block(f'{kind} "{rule.name}"')]
    details = [f"kind: {kind}"]
    per = getattr(rule, "per", None)
    if per:
        details.append(f"per {per}")
    details.append(f"owner: {rule.owner}" if rule.owner else "owner: none given")
    lines.append(" · ".join(details))
    return "\n\n".join(lines)


def _share_text(share: s.Share) -> str:
    if share.minimum is not None and share.maximum is not None:
        return f"{share.minimum.text} .. {share.maximum.text}"
    if share.minimum is not None:
        return f">= {share.minimum.text}"
    return f"<= {share.maximum.text}" if share.maximum is not None else ""


def let_unit(name: str, scope: Scope | None) -> Type | None:
    if scope is None or name not in scope.lets:
        return None
    if name in scope.let_types:
        return scope.let_types[name]
    return ExprChecker(scope, lambda _problem: None).let_type(name)


# ---- numbers ---------------------------------------------------------------------------------


def exact(value: Decimal) -> str:
    """A value in full, with thousands separated: `2,000,000,000`, `0.25`."""
    text = format(value, ",f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def describe_number(
    number: s.Number,
    index: FileIndex,
    scope: Scope | None,
    currency: str | None,
    rules: Sequence[s.Rule] = (),
) -> str:
    if number.percent:
        value = f"{exact(number.value * 100)}% = {exact(number.value)}"
    else:
        money = _is_money(number, index, scope, rules)
        unit = number.currency or (currency if money else None)
        value = exact(number.value) + (f" {unit}" if unit else "")
    return f"`{number.text}` = {value}"


def _is_money(
    number: s.Number, index: FileIndex, scope: Scope | None, rules: Sequence[s.Rule]
) -> bool:
    """Whether a bare literal stands for money where it is written: beside money in a sum or a
    comparison, a goal's target or a threshold's level for money, a budget's amounts and the
    amounts moved between its lines, a money table's values, the expected value of a rule
    about money or of a budget's line."""
    for node in walk(index.module):
        other = _beside(node, number)
        if isinstance(node, s.ExpectValue) and number is node.value:
            other = _rule_value(node.rule, rules)
        if other is True:
            return True
        if other is not None and other is not False and scope is not None:
            found = ExprChecker(scope, lambda _problem: None).type_of(other)
            return found is not None and found.unit == "money"
        if isinstance(node, s.Table) and (
            number is node.default or any(number is e.value for e in node.entries)
        ):
            return node.type == "money"
    return False


def _beside(node: object, number: s.Number) -> s.Expr | bool | None:
    """What gives `number` its unit in `node`: the expression beside it, True where it is money
    by its place (a budget's amounts), None where `node` does not hold it directly."""
    if isinstance(node, s.Binary) and node.op in ("+", "-", "<", "<=", ">", ">=", "==", "!="):
        if node.right is number:
            return node.left
        if node.left is number:
            return node.right
    if isinstance(node, s.Goal) and (number is node.target or number is node.baseline):
        return node.subject
    if isinstance(node, s.Threshold) and any(level.bound is number for level in node.levels):
        return node.subject
    if isinstance(node, s.Budget) and (
        number is node.total or any(line.amount is number for line in node.lines)
    ):
        return not number.percent
    if isinstance(node, s.Shift) and number is node.amount:
        return not number.percent
    if isinstance(node, s.ExpectProposed) and number is node.value:
        return not number.percent
    return None


def _rule_value(name: str, rules: Sequence[s.Rule]) -> s.Expr | bool | None:
    """What a rule's value is: a goal's or threshold's subject; a budget's lines are money."""
    rule = next((r for r in rules if r.name == name), None)
    if isinstance(rule, s.Goal | s.Threshold):
        return rule.subject
    return True if isinstance(rule, s.Budget) else None


# ---- functions -------------------------------------------------------------------------------

_GROUPS = (
    (exprcheck.AGGREGATES, "over the keys of a keyed value"),
    (exprcheck.HISTORY, "over the periods of the plan"),
    (exprcheck.SCALAR, "scalar"),
)


def functions() -> dict[str, tuple[int, int | None]]:
    """The functions the checker knows, with the fewest and most arguments each takes."""
    return {name: exprcheck.ARITY[name] for name in sorted(exprcheck.FUNCTIONS)}


# Each function's parameters as the language reference names them; the checker's arity says
# which are optional (`planrules.lang.exprcheck.ARITY`).
PARAMETERS: dict[str, tuple[str, ...]] = {
    "sum": ("x", "dimension"),
    "avg": ("x",),
    "count": ("x",),
    "min": ("x", "y"),
    "max": ("x", "y"),
    "abs": ("x",),
    "round": ("x", "digits"),
    "total": ("x", "quarter|year"),
    "since": ("x", "DATE"),
    "median": ("x",),
    "percentile": ("x", "P%"),
    "rank": ("x", "ascending|descending"),
    "share": ("x",),
    "status": ('"RULE"',),
    "previous": ("x", "n"),
    "change": ("x",),
    "growth": ("x",),
    "rolling_avg": ("x", "n"),
    "rolling_sum": ("x", "n"),
}


def signature(name: str, arity: tuple[int, int | None]) -> str:
    """`name(x, digits)`, with optional parameters in brackets and `...` for any more."""
    fewest, most = arity
    names = PARAMETERS.get(name, ())
    count = max(fewest, len(names)) if most is None else most
    written = [names[i] if i < len(names) else f"x{i + 1}" for i in range(count)]
    shown = ", ".join(written[:fewest])
    if most is None:
        shown += f"[, {', '.join([*written[fewest:], '...'])}]"
    else:
        shown += "".join(f"[, {n}]" for n in written[fewest:])
    return f"{name}({shown})"


def describe_function(name: str) -> str:
    arity = functions().get(name)
    if arity is None:
        return code_block(f"{name}(...)") + "\n\nnot a function planrules knows"
    group = next((text for names, text in _GROUPS if name in names), None)
    if name == "min" or name == "max":
        group = "over the keys of a keyed value, or the least/greatest of its arguments"
    text = [code_block(signature(name, arity))]
    if group:
        text.append(group)
    return "\n\n".join(text)
