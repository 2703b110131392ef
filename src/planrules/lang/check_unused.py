"""Declarations nothing reads: a metric, let or table that no rule, let or test of the ruleset
reads is most often a misspelt or forgotten name, and a rule that should read it reads
something else."""

from __future__ import annotations

from collections.abc import Iterator

from planrules.lang import syntax as s
from planrules.lang.check_reporting import Report
from planrules.lang.diagnostics import warning
from planrules.lang.exprcheck import Scope, names_read
from planrules.lang.messages import Message


def check_unused(module: s.Module, scope: Scope, rules: list[s.Rule], report: Report) -> None:
    """Warn about this file's own metrics, lets and tables that nothing reads, in a file that
    has rules (a file of declarations only is a library, read by the files that use it)."""
    if not any(
        isinstance(d, s.Goal | s.Threshold | s.Budget | s.Trigger) for d in module.declarations
    ):
        return
    read = set(_names_read(scope, rules, module))
    for declaration in module.declarations:
        if not isinstance(declaration, s.Metric | s.Table | s.Let):
            continue
        if declaration.name in read or not _in_scope(declaration, scope):
            continue
        kind = type(declaration).__name__.lower()
        report(
            warning(
                "unused",
                declaration.span,
                Message(
                    "{kind} `{declaration}` is declared but nothing reads it",
                    kind=kind,
                    declaration=declaration.name,
                ),
                _HINTS[kind],
            )
        )


_HINTS = {
    "metric": Message("read it in a rule or a let, or remove it (snapshots may still carry it)"),
    "let": Message("read it in a rule, or remove it"),
    "table": Message("read it in a rule or a let, or remove it"),
}


def _in_scope(declaration: s.Metric | s.Table | s.Let, scope: Scope) -> bool:
    """A declaration refused as a duplicate is reported already, and is not in scope."""
    found = {**scope.metrics, **scope.tables, **scope.lets}.get(declaration.name)
    return found is declaration


def _names_read(scope: Scope, rules: list[s.Rule], module: s.Module) -> Iterator[str]:
    """Every name read anywhere: by a let (read or not: a let nothing reads is the one to warn
    about, not the names it reads), a rule, or a snapshot of a test."""
    for let in scope.lets.values():
        yield from names_read(let.expr)
    for rule in rules:
        for expr in _rule_expressions(rule):
            yield from names_read(expr)
        if isinstance(rule, s.Budget) and rule.metric is not None:
            yield rule.metric
    for declaration in module.declarations:
        if isinstance(declaration, s.Test):
            yield from _snapshot_metrics(declaration)


def _rule_expressions(rule: s.Rule) -> Iterator[s.Expr]:
    if isinstance(rule, s.Goal):
        yield rule.subject
        yield rule.target
        if rule.baseline is not None:
            yield rule.baseline
    elif isinstance(rule, s.Threshold):
        yield rule.subject
        yield from (level.bound for level in rule.levels)
    elif isinstance(rule, s.Trigger):
        yield rule.condition
        for action in rule.actions:
            if isinstance(action, s.Recommend):
                yield from (p.expr for p in action.parts if isinstance(p, s.Interpolation))


def _snapshot_metrics(test: s.Test) -> Iterator[str]:
    for item in test.items:
        if isinstance(item, s.SnapshotBlock):
            yield from (entry.metric.text for entry in item.entries)
