"""The checker: ordered passes over a parsed ruleset that collect every diagnostic.

Each pass names what must run before it. The result, `Checked`, is what the compiler builds on:
the module, every name in scope with its type, the rules in ruleset order and the window.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import attrs

from planrules.lang import syntax as s
from planrules.lang.build import Parsed, parse_source
from planrules.lang.diagnostics import Diagnostic, InputError, error, sorted_diagnostics, warning
from planrules.lang.exprcheck import (
    MAX_EVALUATION_DEPTH,
    ExprChecker,
    Scope,
    did_you_mean,
    evaluation_depth,
    is_whole_count,
    names_read,
)
from planrules.lang.periods import (
    PeriodError,
    Window,
    parse_period,
    period_containing,
    periods_between,
    window_first_period,
    window_last_period,
)
from planrules.lang.source import Source, Span
from planrules.lang.units import BOOL, Type, UnitError, additive
from planrules.lang.workspace import is_test_file, read_source

Reader = Callable[[str], Source]
_T = TypeVar("_T")

_RULE_STATES = ("pass", "warn", "fail", "unknown")
_TRIGGER_STATES = ("fired", "quiet", "cooling", "unknown")
_CURRENCY_CODE = re.compile(r"[A-Z]{3}")
_ONE = Decimal(1)


@attrs.frozen
class Checked:
    """A checked file: the tree, the scope it sees, and every diagnostic found."""

    module: s.Module | None
    sources: dict[str, Source]
    diagnostics: tuple[Diagnostic, ...]
    scope: Scope | None
    rules: tuple[s.Rule, ...]
    tests: tuple[s.Test, ...]
    ruleset: str | None
    currency: str | None
    window: Window | None
    cadence: str | None

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def check_file(path: str, read: Reader = read_source) -> Checked:
    """Check one file from disk; raises InputError only where the file itself cannot be read."""
    return check_source(read(path), read)


def check_source(source: Source, read: Reader = read_source) -> Checked:
    return _Checker(source, read).run()


@attrs.define
class _Checker:
    source: Source
    read: Reader
    diagnostics: list[Diagnostic] = attrs.field(factory=list)
    parsed: dict[str, Parsed] = attrs.field(factory=dict)
    module: s.Module | None = None
    imported: list[s.Module] = attrs.field(factory=list)
    tested: s.Module | None = None
    scope: Scope = attrs.field(factory=lambda: Scope({}, {}, {}))
    rules: list[s.Rule] = attrs.field(factory=list)
    use_sites: dict[str, Span] = attrs.field(factory=dict)
    unknown_dimensions: set[str] = attrs.field(factory=set)
    let_depths: dict[str, int] = attrs.field(factory=dict)
    deep_lets: set[str] = attrs.field(factory=set)
    currency: str | None = None
    window: Window | None = None
    cadence: str | None = None

    def report(self, diagnostic: Diagnostic) -> None:
        self.diagnostics.append(diagnostic)

    def problem(self, code: str, span: Span, message: str, hint: str | None = None) -> None:
        self.report(error(code, span, message, hint))

    def caution(self, code: str, span: Span, message: str, hint: str | None = None) -> None:
        self.report(warning(code, span, message, hint))

    def run(self) -> Checked:
        parsed = self.parse(self.source)
        self.module = parsed.module
        if self.module is not None:
            for check in (
                self.resolve_uses,
                self.check_header,
                self.declare_names,
                self.check_lets,
                self.check_rule_names,
                self.check_rules,
                self.check_tests,
                self.check_currencies,
            ):
                check()
        return Checked(
            module=self.module,
            sources={path: p.source for path, p in self.parsed.items()},
            diagnostics=tuple(sorted_diagnostics(self.diagnostics)),
            scope=self.scope if self.module is not None else None,
            rules=tuple(self.rules),
            tests=tuple(self.declarations(s.Test)) if self.module is not None else (),
            ruleset=self.ruleset_name(),
            currency=self.currency,
            window=self.window,
            cadence=self.cadence,
        )

    def parse(self, source: Source) -> Parsed:
        parsed = parse_source(source)
        self.parsed[source.path] = parsed
        self.diagnostics.extend(parsed.diagnostics)
        return parsed

    def declarations(self, kind: type[_T]) -> Iterator[_T]:
        assert self.module is not None
        return (d for d in self.module.declarations if isinstance(d, kind))

    def ruleset_name(self) -> str | None:
        if self.module is not None and self.module.ruleset is not None:
            return self.module.ruleset
        return self.tested.ruleset if self.tested is not None else None

    # ---- pass: uses (first; every other pass sees what the uses bring) ------------------

    def resolve_uses(self) -> None:
        """Load every `use`d file, depth first, reporting missing files and cycles."""
        assert self.module is not None
        self.follow_uses(self.module, [self.module.path])
        if is_test_file(self.module.path) and self.module.uses:
            self.tested = self.loaded(self.module.uses[0], self.module.path)

    def follow_uses(self, module: s.Module, chain: list[str]) -> None:
        for use in module.uses:
            target = _resolve(module.path, use.path)
            if target in chain:
                cycle = " -> ".join([*chain[chain.index(target) :], target])
                self.problem("use-cycle", use.span, f"`use` makes a cycle: {cycle}")
                continue
            if target in self.parsed:
                continue
            self.use_sites[target] = use.span
            used = self.load(use, target)
            if used is not None:
                self.imported.append(used)
                self.follow_uses(used, [*chain, target])

    def load(self, use: s.Use, target: str) -> s.Module | None:
        try:
            source = self.read(target)
        except InputError as problem:
            self.problem("use-missing", use.span, f'cannot use "{use.path}": {problem.reason}')
            return None
        except OSError as problem:  # from a reader other than read_source
            reason = problem.strerror or str(problem)
            self.problem("use-missing", use.span, f'cannot use "{use.path}": {reason}')
            return None
        parsed = self.parse(source)
        return parsed.module

    def loaded(self, use: s.Use, from_path: str) -> s.Module | None:
        parsed = self.parsed.get(_resolve(from_path, use.path))
        return parsed.module if parsed is not None else None

    # ---- pass: header (after uses: a used file's currency must agree) -------------------

    def check_header(self) -> None:
        module = self.module
        assert module is not None
        base = self.tested if self.tested is not None else module
        if module.ruleset is None and not is_test_file(module.path):
            self.problem(
                "missing-ruleset",
                Span(module.path, 1, 1, 1, 2),
                'a ruleset starts with `ruleset "Name"`',
            )
        if is_test_file(module.path) and not module.uses:
            self.problem(
                "test-without-use",
                Span(module.path, 1, 1, 1, 2),
                'a test file starts with `use "ruleset.plan"`, naming the ruleset it tests',
            )
        currency = base.currency or module.currency
        if currency is not None and not _CURRENCY_CODE.fullmatch(currency.code):
            self.problem(
                "bad-currency",
                currency.span,
                f"`{currency.code}` is not a currency code (three capital letters, such as VND)",
            )
        self.currency = currency.code if currency is not None else None
        for used in self.imported:
            if used.currency is not None and used.currency.code != self.currency:
                self.problem(
                    "use-currency",
                    self.use_sites.get(used.path, used.currency.span),
                    f"{used.path} is in {used.currency.code}, this ruleset in "
                    f"{self.currency or 'no currency'}",
                )
        period = base.period or module.period
        if period is not None and period.start <= period.end:
            self.window = Window(period.start, period.end, period.cadence)
            self.cadence = period.cadence
            self.check_window_periods(period)

    def check_window_periods(self, period: s.PeriodDecl) -> None:
        """The window's first and last periods must be on the calendar: the ISO week of
        9999-12-31 ends in the year 10000."""
        assert self.window is not None
        try:
            window_first_period(self.window)
            window_last_period(self.window)
        except PeriodError as problem:
            self.problem("bad-window", period.span, f"the plan window cannot be used: {problem}")
            self.window = None

    # ---- pass: names (after uses) --------------------------------------------------------

    def declare_names(self) -> None:
        """Every metric, table and let in scope, from this file and the files it uses."""
        assert self.module is not None
        owners: dict[str, str] = {}
        modules = [*self.imported, self.module]
        if self.tested is not None:
            modules = [m for m in modules if m is not self.tested] + [self.tested]
        for module in modules:
            whole = module is self.module or module is self.tested
            for declaration in module.declarations:
                if isinstance(declaration, s.Metric | s.Table | s.Let):
                    self.declare(declaration, module.path, owners)
                elif whole and isinstance(declaration, s.Goal | s.Threshold | s.Budget | s.Trigger):
                    self.rules.append(declaration)

    def declare(
        self, declaration: s.Metric | s.Table | s.Let, path: str, owners: dict[str, str]
    ) -> None:
        name = declaration.name
        if name in owners:
            if owners[name] == path:
                self.problem(
                    "duplicate-name", declaration.span, f"`{name}` is declared twice in this file"
                )
            else:
                self.problem(
                    "use-conflict",
                    declaration.span,
                    f"`{name}` is also declared in {owners[name]}",
                )
            return
        owners[name] = path
        if isinstance(declaration, s.Metric):
            self.scope.metrics[name] = declaration
        elif isinstance(declaration, s.Table):
            self.scope.tables[name] = declaration
        else:
            self.scope.lets[name] = declaration

    def expressions(self) -> ExprChecker:
        return ExprChecker(self.scope, self.report)

    # ---- pass: lets (after names) --------------------------------------------------------

    def check_lets(self) -> None:
        checker = self.expressions()
        for let in self.scope.lets.values():
            checker.let_type(let.name)
        for table in self.scope.tables.values():
            self.check_table(table)
        self.check_let_depths()

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
                    f"let `{name}` is built on lets nested more than {MAX_EVALUATION_DEPTH} "
                    "levels deep; flatten the chain",
                )
            if too_deep:
                self.deep_lets.add(name)
            depths[name] = depth

    def check_table(self, table: s.Table) -> None:
        seen: set[str] = set()
        for entry in table.entries:
            if entry.key.text in seen:
                self.problem(
                    "duplicate-key", entry.key.span, f"`{entry.key.text}` is in the table twice"
                )
            seen.add(entry.key.text)
            self.check_literal_unit(entry.value, table.type)
        if table.default is not None:
            self.check_literal_unit(table.default, table.type)

    def check_literal_unit(self, number: s.Number, unit: str) -> None:
        if number.currency is not None and unit != "money":
            self.problem("unit-mismatch", number.span, f"a money amount given for a {unit} value")

    # ---- pass: rules (after names and lets) ----------------------------------------------

    def check_rule_names(self) -> None:
        assert self.module is not None
        seen: dict[str, s.Rule] = {}
        for rule in self.rules:
            if rule.name in seen:
                self.problem(
                    "duplicate-rule",
                    _where(rule, "name"),
                    f'a rule named "{rule.name}" exists already',
                )
            else:
                seen[rule.name] = rule
            if getattr(rule, "per", None) is not None:
                self.check_dimension(rule)
        dropped = any(d.is_error for d in self.parsed[self.source.path].diagnostics)
        if not is_test_file(self.source.path) and not self.rules and not dropped:
            self.caution(
                "no-rules",
                self.module.ruleset_span or Span(self.module.path, 1, 1, 1, 2),
                "this ruleset has no goal, threshold, budget or trigger",
            )

    def dimensions(self) -> set[str]:
        metric_dims = {m.dimension for m in self.scope.metrics.values() if m.dimension}
        return metric_dims | {t.dimension for t in self.scope.tables.values()}

    def check_dimension(self, rule: s.Goal | s.Threshold | s.Trigger | s.Budget) -> None:
        per = getattr(rule, "per", None)
        assert per is not None
        metric_dims = {m.dimension for m in self.scope.metrics.values() if m.dimension}
        if per not in metric_dims:
            self.unknown_dimensions.add(per)
            self.problem(
                "unknown-dimension",
                _where(rule, "per"),
                f"`per {per}`: no metric is keyed by {per}",
                did_you_mean(per, self.dimensions()),
            )

    def value_type(self, expr: s.Expr, per: str | None, what: str) -> Type | None:
        """The type of a value a rule reads: a number, keyed only by the rule's own `per`."""
        found = self.expressions().type_of(expr)
        if found is None:
            return None
        if found.dimension is not None and found.dimension != per:
            if per not in self.unknown_dimensions:
                self.keyed_problem(expr, found.dimension, per, what)
            return None
        return found.scalar()

    def keyed_problem(self, expr: s.Expr, dimension: str, per: str | None, what: str) -> None:
        if per is None:
            self.problem(
                "keyed-value",
                expr.span,
                f"{what} is keyed by {dimension}: aggregate it (sum, avg, min, max, count) "
                f"or add `per {dimension}` to the rule",
            )
        else:
            self.problem(
                "mixed-dimensions",
                expr.span,
                f"{what} is keyed by {dimension}, but the rule is `per {per}`",
            )

    def number_type(self, expr: s.Expr, per: str | None, what: str) -> Type | None:
        found = self.value_type(expr, per, what)
        if found is not None and found.unit == BOOL:
            self.problem("type-mismatch", expr.span, f"{what} must be a number, not a condition")
            return None
        return found

    def compatible(self, expr: s.Expr, left: Type, right: Type, op: str) -> None:
        try:
            additive(op, left, right)
        except UnitError as problem:
            self.problem("unit-mismatch", expr.span, str(problem))

    def check_rules(self) -> None:
        """Each rule by its kind; triggers need only the budgets' names and lines."""
        for rule in self.rules:
            if isinstance(rule, s.Goal):
                self.check_goal(rule)
            elif isinstance(rule, s.Threshold):
                self.check_threshold(rule)
            elif isinstance(rule, s.Budget):
                self.check_budget(rule)
            else:
                self.check_trigger(rule)

    def check_goal(self, goal: s.Goal) -> None:
        subject = self.number_type(goal.subject, goal.per, "the goal's value")
        target = self.number_type(goal.target, goal.per, "the goal's target")
        if subject is not None and target is not None:
            self.compatible(goal.target, subject, target, goal.op)
        if goal.baseline is not None:
            baseline = self.number_type(goal.baseline, goal.per, "the goal's baseline")
            if subject is not None and baseline is not None:
                self.compatible(goal.baseline, subject, baseline, "from")
        if goal.tolerance is not None:
            self.check_fraction(goal.tolerance, "a tolerance")
        if goal.deadline is not None:
            self.check_deadline(goal)
        elif goal.phased is not None:
            self.problem(
                "phased-weights",
                goal.phased[0].span.through(goal.phased[-1].span),
                "`phased` spreads a goal over the periods to its deadline; add `by DATE`",
            )

    def check_fraction(self, number: s.Number, what: str) -> None:
        if number.currency is not None or not (0 <= number.value <= 1):
            self.problem(
                "bad-percent", number.span, f"{what} is a percent from 0% to 100%, such as 10%"
            )

    def check_deadline(self, goal: s.Goal) -> None:
        window = self.window
        assert goal.deadline is not None
        if window is None:
            return
        try:
            period_containing(goal.deadline, window.cadence)
        except PeriodError as problem:
            self.problem("bad-date", _where(goal, "by"), f"the deadline cannot be used: {problem}")
            return
        if not (window.start <= goal.deadline <= (window.end or goal.deadline)):
            self.caution(
                "deadline-outside-window",
                _where(goal, "by"),
                f"the deadline {goal.deadline} is outside the plan window "
                f"{window.start} to {window.end}",
            )
        elif goal.phased is not None:
            self.check_phased(goal, goal.phased, window, goal.deadline)

    def check_phased(
        self, goal: s.Goal, weights: tuple[s.Number, ...], window: Window, deadline: datetime.date
    ) -> None:
        first = window_first_period(window)
        last = period_containing(deadline, window.cadence)
        count = periods_between(first, last)
        span = weights[0].span.through(weights[-1].span)
        if len(weights) != count:
            self.problem(
                "phased-weights",
                span,
                f"`phased` gives {len(weights)} weight(s), but the goal spans {count} "
                f"period(s) from the window's start through its deadline",
            )
        total = sum((w.value for w in weights), Decimal(0))
        if total != _ONE:
            self.problem(
                "phased-weights",
                span,
                f"`phased` weights sum to {_percent(total)}, not 100%",
            )

    def check_threshold(self, threshold: s.Threshold) -> None:
        subject = self.number_type(threshold.subject, threshold.per, "the threshold's value")
        for level in threshold.levels:
            bound = self.number_type(level.bound, threshold.per, "a level")
            if subject is not None and bound is not None:
                self.compatible(level.bound, subject, bound, "<")
        if not threshold.levels:
            self.caution("no-levels", threshold.span, "this threshold has no warn or fail level")
        self.check_reachable(threshold.levels)

    def check_reachable(self, levels: tuple[s.Level, ...]) -> None:
        """A warn level hidden behind a fail level in the same direction is never reported."""
        fails = {
            level.direction: _constant(level.bound) for level in levels if level.status == "fail"
        }
        for level in levels:
            fail = fails.get(level.direction)
            warn = _constant(level.bound)
            if level.status != "warn" or fail is None or warn is None:
                continue
            hidden = warn >= fail if level.direction == "above" else warn <= fail
            if hidden:
                self.caution(
                    "unreachable-level",
                    level.span,
                    f"`warn {level.direction} {_plain(warn)}` can never be reached: "
                    f"`fail {level.direction} {_plain(fail)}` is reached first",
                )

    # ---- pass: budgets (after names) -----------------------------------------------------

    def budgets(self) -> list[s.Budget]:
        return [rule for rule in self.rules if isinstance(rule, s.Budget)]

    def check_budget(self, budget: s.Budget) -> None:
        total = budget.total.value
        seen: set[str] = set()
        for line in budget.lines:
            if line.key.text in seen:
                self.problem(
                    "duplicate-line", line.key.span, f"`{line.key.text}` is in the budget twice"
                )
            seen.add(line.key.text)
            self.check_share(budget, line)
        planned = sum((line.amount.value for line in budget.lines), Decimal(0))
        if planned > total:
            self.problem(
                "budget-over-total",
                budget.span,
                f"the lines add up to {_plain(planned)}, more than the total {_plain(total)}",
            )
        if budget.tolerance is not None:
            self.check_fraction(budget.tolerance, "a tolerance")
        if budget.metric is not None:
            self.check_budget_metric(budget)

    def check_share(self, budget: s.Budget, line: s.BudgetLine) -> None:
        share = line.share
        if share is None:
            return
        bounds = [b for b in (share.minimum, share.maximum) if b is not None]
        for bound in bounds:
            self.check_fraction(bound, "a share")
        if any(not 0 <= b.value <= 1 or b.currency for b in bounds):
            return
        low = share.minimum.value if share.minimum is not None else None
        high = share.maximum.value if share.maximum is not None else None
        if low is not None and high is not None and low > high:
            self.problem(
                "share-range-inverted",
                share.span,
                f"the share range of `{line.key.text}` runs from {_percent(low)} down to "
                f"{_percent(high)}",
            )
            return
        total = budget.total.value
        if total <= 0:
            return
        planned = line.amount.value / total
        if (low is not None and planned < low) or (high is not None and planned > high):
            self.problem(
                "share-out-of-range",
                line.span,
                f"`{line.key.text}` is planned at {_percent(planned)} of the total, outside its "
                f"share range",
            )

    def check_budget_metric(self, budget: s.Budget) -> None:
        assert budget.metric is not None
        metric = self.scope.metrics.get(budget.metric)
        if metric is None:
            self.problem(
                "unknown-name",
                _where(budget, "for"),
                f"`{budget.metric}` is not a metric",
                did_you_mean(budget.metric, self.scope.metrics),
            )
        elif metric.type != "money" or metric.dimension is None:
            self.problem(
                "budget-metric",
                _where(budget, "for"),
                f"a budget tracks keyed money (`metric {metric.name}: money by channel`); "
                f"`{metric.name}` is {_metric_shape(metric)}",
            )

    # ---- triggers ------------------------------------------------------------------------

    def check_trigger(self, trigger: s.Trigger) -> None:
        condition = self.value_type(trigger.condition, trigger.per, "the condition")
        if condition is not None and condition.unit != BOOL:
            self.problem(
                "type-mismatch",
                trigger.condition.span,
                "a trigger's condition must be true or false, such as `conversion < 2%`",
            )
        self.check_counts(trigger)
        for action in trigger.actions:
            if isinstance(action, s.Recommend):
                self.check_text(action, trigger.per)
            else:
                self.check_budget_action(action, trigger.per)

    def check_counts(self, trigger: s.Trigger) -> None:
        for number, least in ((trigger.hold, 1), (trigger.window, 1), (trigger.cooldown, 0)):
            if number is not None and not is_whole_count(number, least):
                self.problem(
                    "bad-count",
                    number.span,
                    f"a number of periods is a whole number of at least {least}",
                )
        hold, window = trigger.hold, trigger.window
        if hold is not None and window is not None and hold.value > window.value:
            self.problem(
                "hold-exceeds-window",
                hold.span.through(window.span),
                f"`for {hold.text} of {window.text} periods` asks for more periods than it "
                "looks at",
            )

    def check_text(self, action: s.Recommend, per: str | None) -> None:
        for part in action.parts:
            if not isinstance(part, s.Interpolation):
                continue
            if part.expr == s.Name("key", part.span):
                if per is None:
                    self.problem(
                        "key-outside-per",
                        part.span,
                        "`{key}` names the current key of a `per` trigger; this one has none",
                    )
                continue
            self.value_type(part.expr, per, "a value in the text")

    def check_budget_action(self, action: s.Shift | s.Scale, per: str | None) -> None:
        keys = [action.source, action.destination] if isinstance(action, s.Shift) else [action.line]
        for key in keys:
            if _is_current_key(key) and per is None:
                self.problem(
                    "key-outside-per",
                    key.span,
                    "`key` names the current key of a `per` trigger; quote a line called key",
                )
        if isinstance(action, s.Scale) and not action.amount.percent:
            self.problem("bad-amount", action.amount.span, "`scale` takes a percent, such as 10%")
        if isinstance(action, s.Shift) and action.amount.percent:
            self.check_fraction(action.amount, "a shifted share")
        named = [key for key in keys if not _is_current_key(key)]
        if action.budget is not None:
            self.check_named_budget(action.budget, named, action.span)
        elif named:
            self.find_budget(named, action.span)

    def check_named_budget(self, name: str, keys: list[s.Key], span: Span) -> None:
        budgets = {b.name: b for b in self.budgets()}
        budget = budgets.get(name)
        if budget is None:
            self.problem(
                "unknown-budget", span, f'no budget is named "{name}"', did_you_mean(name, budgets)
            )
            return
        lines = {line.key.text for line in budget.lines}
        for key in keys:
            if key.text not in lines:
                self.problem(
                    "unknown-line",
                    key.span,
                    f'budget "{name}" has no line `{key.text}`',
                    did_you_mean(key.text, lines),
                )

    def find_budget(self, keys: list[s.Key], span: Span) -> None:
        wanted = {key.text for key in keys}
        having = [b for b in self.budgets() if wanted <= {ln.key.text for ln in b.lines}]
        if len(having) > 1:
            self.problem(
                "ambiguous-line",
                span,
                f"these lines are in several budgets ({_names(b.name for b in having)}); "
                'say which with `in "BUDGET"`',
            )
        elif not having:
            all_lines = {ln.key.text for b in self.budgets() for ln in b.lines}
            for key in keys:
                if key.text not in all_lines:
                    self.problem(
                        "unknown-line",
                        key.span,
                        f"no budget has a line `{key.text}`",
                        did_you_mean(key.text, all_lines),
                    )
                    return
            self.problem("unknown-line", span, "no single budget has all these lines")

    # ---- pass: tests (after rules) -------------------------------------------------------

    def check_tests(self) -> None:
        assert self.module is not None
        testing = is_test_file(self.module.path)
        rules = {rule.name: rule for rule in self.rules}
        names: set[str] = set()
        for test in self.declarations(s.Test):
            if not testing:
                self.problem(
                    "test-outside-test-file",
                    test.span,
                    "tests belong in a file named *_test.plan",
                )
            if test.name in names:
                self.problem(
                    "duplicate-test", test.span, f'a test named "{test.name}" exists already'
                )
            names.add(test.name)
            periods: set[str] = set()
            for item in test.items:
                if isinstance(item, s.SnapshotBlock):
                    if item.period in periods:
                        self.problem(
                            "duplicate-period",
                            item.span,
                            f"this test has two snapshots of {item.period}",
                        )
                    periods.add(item.period)
                self.check_test_item(item, rules)

    def check_test_item(self, item: s.TestItem, rules: dict[str, s.Rule]) -> None:
        if isinstance(item, s.ExpectStatus | s.ExpectValue):
            rule = rules.get(item.rule)
            if rule is None:
                self.problem(
                    "unknown-rule",
                    item.span,
                    f'no rule is named "{item.rule}"',
                    did_you_mean(item.rule, rules),
                )
            else:
                self.check_expectation(item, rule)
        elif isinstance(item, s.ExpectProposed):
            self.check_named_budget(item.budget, [item.line], item.span)
        elif isinstance(item, s.SnapshotBlock):
            self.check_cadence(item.period, item.span)
            self.check_snapshot_block(item)
        elif isinstance(item, s.At):
            self.check_cadence(item.period, item.span)

    def check_expectation(self, item: s.ExpectStatus | s.ExpectValue, rule: s.Rule) -> None:
        """An expectation the rule can never meet is a mistake in the test, not a failure."""
        kind = type(rule).__name__.lower()
        keyed = not isinstance(rule, s.Goal | s.Threshold | s.Trigger) or rule.per is not None
        if item.key is not None and not keyed:
            self.problem(
                "bad-expectation",
                item.span,
                f'{kind} "{rule.name}" has no `per`, so it has no result for a key',
            )
        if isinstance(item, s.ExpectStatus):
            possible = _TRIGGER_STATES if isinstance(rule, s.Trigger) else _RULE_STATES
            if item.status not in possible:
                self.problem(
                    "bad-expectation",
                    item.span,
                    f"a {kind} is never {item.status}; it is {_alternatives(possible)}",
                )

    def check_cadence(self, label: str, span: Span) -> None:
        cadence = self.cadence
        if cadence is None:
            return
        try:
            period = parse_period(label)
        except ValueError:
            return  # reported by the builder
        if period.cadence != cadence:
            self.problem(
                "bad-period",
                span,
                f"{label} is not a {cadence} period, as the ruleset's cadence is",
            )

    def check_repeated_keys(self, keys: list[s.Key], where: str) -> None:
        seen: set[str] = set()
        for key in keys:
            if key.text in seen:
                self.problem("duplicate-key", key.span, f"`{key.text}` is given twice {where}")
            seen.add(key.text)

    def check_snapshot_block(self, block: s.SnapshotBlock) -> None:
        self.check_repeated_keys(
            [entry.metric for entry in block.entries], f"in the snapshot of {block.period}"
        )
        for entry in block.entries:
            keyed = [value.key for value in entry.values or ()]
            self.check_repeated_keys(keyed, f"for `{entry.metric.text}`")
            metric = self.scope.metrics.get(entry.metric.text)
            if metric is None:
                self.problem(
                    "unknown-name",
                    entry.metric.span,
                    f"`{entry.metric.text}` is not a metric",
                    did_you_mean(entry.metric.text, self.scope.metrics),
                )
            elif (entry.values is None) != (metric.dimension is None):
                wanted = (
                    f"is keyed by {metric.dimension}: give its values in a block, "
                    f"`{metric.name} {{ KEY VALUE ... }}`"
                    if metric.dimension
                    else f"has no keys: give it one value, `{metric.name} VALUE`"
                )
                self.problem("snapshot-shape", entry.span, f"`{metric.name}` {wanted}")

    # ---- pass: currencies (any time) -----------------------------------------------------

    def check_currencies(self) -> None:
        assert self.module is not None
        for number in _numbers(self.module):
            self.check_currency(number, self.currency)
        for used in self.imported:
            code = used.currency.code if used.currency is not None else None
            for number in _numbers(used):
                self.check_currency(number, code if used is not self.tested else self.currency)

    def check_currency(self, number: s.Number, currency: str | None) -> None:
        if number.currency is None:
            return
        if currency is None:
            self.problem(
                "currency-without-header",
                number.span,
                f"`{number.text}` names a currency, but the ruleset has no `currency` header",
            )
        elif number.currency != currency:
            self.problem(
                "currency-mismatch",
                number.span,
                f"`{number.text}` is in {number.currency}, the ruleset in {currency}",
            )


def _resolve(from_path: str, target: str) -> str:
    return os.path.normpath(Path(from_path).parent / target)


def _where(rule: s.Rule, clause: str) -> Span:
    """Where a rule's name or clause was written; the whole rule where that is not known."""
    return next((span for name, span in rule.clause_spans if name == clause), rule.span)


def _is_current_key(key: s.Key) -> bool:
    return key.text == "key" and not key.quoted


def _constant(expr: s.Expr) -> Decimal | None:
    if isinstance(expr, s.Number):
        return expr.value
    if isinstance(expr, s.Unary) and expr.op == "-":
        inner = _constant(expr.operand)
        return -inner if inner is not None else None
    return None


def _numbers(node: object) -> Iterator[s.Number]:
    """Every number literal in a tree, in the order written; walked without recursion, as a
    chain such as `a + a + ... + a` nests as deep as it is long."""
    pending = [node]
    while pending:
        item = pending.pop()
        if isinstance(item, s.Number):
            yield item
        elif isinstance(item, tuple):
            pending.extend(reversed(item))
        elif attrs.has(type(item)):
            fields = attrs.fields(type(item))  # type: ignore[arg-type]
            pending.extend(reversed([getattr(item, f.name) for f in fields if f.eq]))


def _alternatives(words: Iterable[str]) -> str:
    listed = list(words)
    return ", ".join(listed[:-1]) + " or " + listed[-1]


def _metric_shape(metric: s.Metric) -> str:
    return f"{metric.type} by {metric.dimension}" if metric.dimension else metric.type


def _names(names: Iterable[str], shown: int = 3) -> str:
    listed = [f'"{name}"' for name in names]
    more = len(listed) - shown
    return ", ".join(listed[:shown]) + (f" and {more} more" if more > 0 else "")


def _plain(value: Decimal) -> str:
    return f"{value.normalize():,f}"


def _percent(value: Decimal) -> str:
    rounded = (value * 100).quantize(Decimal("0.01")).normalize()
    return f"{rounded:f}%"
