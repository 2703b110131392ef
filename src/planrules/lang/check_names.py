"""Declarations and scope: every name in scope, the lets and tables that give names their values,
and the names and `per` dimensions of the rules. These passes run after the uses, and every
rule is checked against what they find."""

from __future__ import annotations

import attrs

from planrules.lang import syntax as s
from planrules.lang.build import Parsed
from planrules.lang.check_reporting import Report, Reporting, repeated, where
from planrules.lang.check_uses import LoadedFiles
from planrules.lang.exprcheck import (
    MAX_EVALUATION_DEPTH,
    ExprChecker,
    Scope,
    did_you_mean,
    evaluation_depth,
    names_read,
)
from planrules.lang.messages import Message
from planrules.lang.source import Span
from planrules.lang.workspace import is_test_file


def declare_names(module: s.Module, files: LoadedFiles, report: Report) -> Declarations:
    """Every metric, table and let in scope, from this file and the files it uses."""
    declarations = Declarations(report)
    modules = [*files.imported, module]
    if files.tested is not None:
        modules = [m for m in modules if m is not files.tested] + [files.tested]
    for declaring in modules:
        whole = declaring is module or declaring is files.tested
        declarations.declare_module(declaring, whole)
    return declarations


def check_lets(scope: Scope, report: Report) -> None:
    """After the names, as a let may read any name in scope."""
    _LetsAndTables(report, scope).check()


def check_rule_names(
    module: s.Module, scope: Scope, rules: list[s.Rule], checked_file: Parsed, report: Report
) -> set[str]:
    """After the names and lets. Gives the `per` dimensions reported as unknown, so that a rule
    keyed by one is not also told its values are keyed otherwise."""
    names = _RuleNames(report, scope)
    names.check(rules)
    names.check_any_rules(module, rules, checked_file)
    return names.unknown_dimensions


@attrs.define
class Declarations(Reporting):
    """A used file lends its names only; the file checked and the ruleset under test bring
    their rules as well."""

    scope: Scope = attrs.field(factory=lambda: Scope({}, {}, {}))
    rules: list[s.Rule] = attrs.field(factory=list)
    owners: dict[str, str] = attrs.field(factory=dict)  # the path that declared each name

    def declare_module(self, module: s.Module, whole: bool) -> None:
        for declaration in module.declarations:
            if isinstance(declaration, s.Metric | s.Table | s.Let):
                self.declare(declaration, module.path)
            elif isinstance(declaration, s.Group):
                self.declare_group(declaration)
            elif whole and isinstance(declaration, s.Goal | s.Threshold | s.Budget | s.Trigger):
                self.rules.append(declaration)

    def declare_group(self, group: s.Group) -> None:
        if group.into in self.scope.groups:
            self.problem(
                "duplicate-name",
                group.span,
                Message("the group `{into}` is declared twice", into=group.into),
            )
            return
        self.scope.groups[group.into] = group

    def declare(self, declaration: s.Metric | s.Table | s.Let, path: str) -> None:
        name = declaration.name
        owners = self.owners
        if name in owners:
            if owners[name] == path:
                self.problem(
                    "duplicate-name",
                    declaration.span,
                    Message("`{name}` is declared twice in this file", name=name),
                )
            else:
                self.problem(
                    "use-conflict",
                    declaration.span,
                    Message(
                        "`{name}` is also declared in {owners}", name=name, owners=owners[name]
                    ),
                )
            return
        owners[name] = path
        if isinstance(declaration, s.Metric):
            self.scope.metrics[name] = declaration
        elif isinstance(declaration, s.Table):
            self.scope.tables[name] = declaration
        else:
            self.scope.lets[name] = declaration


@attrs.define
class _LetsAndTables(Reporting):
    scope: Scope
    let_depths: dict[str, int] = attrs.field(factory=dict)
    deep_lets: set[str] = attrs.field(factory=set)

    def check(self) -> None:
        checker = self.expressions()
        for let in self.scope.lets.values():
            checker.let_type(let.name)
        for table in self.scope.tables.values():
            self.check_table(table)
        for group in self.scope.groups.values():
            self.check_group(group)
        self.check_let_depths()

    def check_group(self, group: s.Group) -> None:
        """A group names a dimension the metrics have, into a dimension of its own; each key
        in one group."""
        scope = self.scope
        known = scope.known_dimensions()
        if group.dimension not in known:
            self.problem(
                "unknown-dimension",
                group.span,
                Message(
                    "`group {dimension} into {into}`: no metric is keyed by {dimension}",
                    dimension=group.dimension,
                    into=group.into,
                ),
                did_you_mean(group.dimension, known),
            )
        if group.into in scope.metric_dimensions():
            self.problem(
                "bad-group",
                group.span,
                Message(
                    "`{into}` is a dimension of metrics already: a group makes a dimension of "
                    "its own",
                    into=group.into,
                ),
            )
        for key in repeated(entry.key for entry in group.entries):
            self.problem(
                "duplicate-key", key.span, Message("`{key}` is in the group twice", key=key.text)
            )

    def expressions(self) -> ExprChecker:
        return ExprChecker(self.scope, self.report)

    def check_let_depths(self) -> None:
        """Lets built on lets so deep that evaluating them would exhaust Python's stack; only
        the first let of a chain that goes too deep is reported."""
        depths = self.let_depths
        for name in self.expressions().lets_in_dependency_order():
            if self.scope.let_types.get(name) is None:
                continue  # its problem (a cycle, a unit error) is reported already
            let = self.scope.lets[name]
            depth = evaluation_depth(let.expr, depths)
            too_deep = depth > MAX_EVALUATION_DEPTH
            if too_deep and not any(n in self.deep_lets for n in names_read(let.expr)):
                self.problem(
                    "expression-too-deep",
                    let.span,
                    Message(
                        "let `{name}` is built on lets nested more than {most} levels deep; "
                        "flatten the chain",
                        name=name,
                        most=MAX_EVALUATION_DEPTH,
                    ),
                )
            if too_deep:
                self.deep_lets.add(name)
            depths[name] = depth

    def check_table(self, table: s.Table) -> None:
        for again in repeated(entry.key for entry in table.entries):
            self.problem(
                "duplicate-key",
                again.span,
                Message("`{key}` is in the table twice", key=again.text),
            )
        for entry in table.entries:
            self.check_literal_unit(entry.value, table.type)
        periods: set[tuple[str | None, str]] = set()
        for row in table.periods:
            key = row.key.text if row.key is not None else None
            if (key, row.period) in periods:
                self.problem(
                    "duplicate-key",
                    row.span,
                    Message("`{key}` is in the table twice", key=row.period),
                )
            periods.add((key, row.period))
            self.check_literal_unit(row.value, table.type)
        if table.default is not None:
            self.check_literal_unit(table.default, table.type)

    def check_literal_unit(self, number: s.Number, unit: str) -> None:
        if number.currency is not None and unit != "money":
            self.problem(
                "unit-mismatch",
                number.span,
                Message("a money amount given for a {unit} value", unit=unit),
            )


@attrs.define
class _RuleNames(Reporting):
    scope: Scope
    unknown_dimensions: set[str] = attrs.field(factory=set)

    def check(self, rules: list[s.Rule]) -> None:
        seen: dict[str, s.Rule] = {}
        for rule in rules:
            if rule.name in seen:
                self.problem(
                    "duplicate-rule",
                    where(rule, "name"),
                    Message('a rule named "{rule}" exists already', rule=rule.name),
                )
            else:
                seen[rule.name] = rule
            if getattr(rule, "per", None) is not None:
                self.check_dimension(rule)

    def check_any_rules(self, module: s.Module, rules: list[s.Rule], checked_file: Parsed) -> None:
        """A ruleset with no rules is suspect, unless a syntax error may have dropped them."""
        dropped = any(d.is_error for d in checked_file.diagnostics)
        if not is_test_file(checked_file.source.path) and not rules and not dropped:
            self.caution(
                "no-rules",
                module.ruleset_span or Span(module.path, 1, 1, 1, 2),
                Message("this ruleset has no goal, threshold, budget or trigger"),
            )

    def dimensions(self) -> set[str]:
        tables = {t.dimension for t in self.scope.tables.values() if t.dimension}
        return self.scope.known_dimensions() | tables

    def check_dimension(self, rule: s.Goal | s.Threshold | s.Trigger | s.Budget) -> None:
        per = getattr(rule, "per", None)
        assert per is not None
        if per not in self.scope.known_dimensions():
            self.unknown_dimensions.add(per)
            self.problem(
                "unknown-dimension",
                where(rule, "per"),
                Message("`per {per}`: no metric is keyed by {per}", per=per),
                did_you_mean(per, self.dimensions()),
            )
