"""Budgets: their lines, shares and the metric they track, and the budget lines that triggers'
actions and tests' expectations name."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction

import attrs

from planrules.lang import syntax as s
from planrules.lang.check_reporting import Reporting, percent, plain, where
from planrules.lang.check_values import RuleValues
from planrules.lang.exprcheck import did_you_mean
from planrules.lang.numbers import UNBOUNDED
from planrules.lang.source import Span


def budgets_among(rules: Iterable[s.Rule]) -> list[s.Budget]:
    return [rule for rule in rules if isinstance(rule, s.Budget)]


@attrs.define
class BudgetCheck(Reporting):
    values: RuleValues

    def check(self, budget: s.Budget) -> None:
        total = budget.total.value
        money_total = self.check_total(budget.total)
        seen: set[str] = set()
        for line in budget.lines:
            if line.key.text in seen:
                self.problem(
                    "duplicate-line", line.key.span, f"`{line.key.text}` is in the budget twice"
                )
            seen.add(line.key.text)
            self.check_amount(line)
            if money_total:
                self.check_share(budget, line)
        # Exactly, whatever the caller's context: a sum rounded to its precision may hide
        # lines that exceed the total.
        planned = functools.reduce(
            UNBOUNDED.add, (line.amount.value for line in budget.lines), Decimal(0)
        )
        if money_total and planned > total:
            self.problem(
                "budget-over-total",
                budget.span,
                f"the lines add up to {plain(planned)}, more than the total {budget.total.text}",
            )
        if budget.tolerance is not None:
            self.values.check_fraction(budget.tolerance, "a tolerance")
        if budget.metric is not None:
            self.check_metric(budget)

    def check_total(self, total: s.Number) -> bool:
        """Whether the total is money; the lines are not weighed against one that is not."""
        if total.percent:
            self.problem(
                "bad-amount",
                total.span,
                f"a budget's total is money, such as 500 million, not a percent ({total.text})",
            )
        return not total.percent

    def check_amount(self, line: s.BudgetLine) -> None:
        """A line's amount is money of 0 or more, or a percent of the total without a currency:
        nothing else has a meaning as a budget line."""
        amount = line.amount
        if amount.value < 0:
            self.problem(
                "bad-amount",
                amount.span,
                f"`{line.key.text}` is planned at {amount.text}; a line's amount is money of 0 "
                "or more, or a percent of the total",
            )
        elif amount.percent and amount.currency is not None:
            self.problem(
                "bad-amount",
                amount.span,
                f"`{line.key.text}` is planned at {amount.text}: a percent of the total takes no "
                f"currency",
                f"write `{amount.text.split('%')[0]}%` for a share of the total, or an amount "
                "of money without `%`",
            )

    def check_share(self, budget: s.Budget, line: s.BudgetLine) -> None:
        share = line.share
        if share is None:
            return
        bounds = [b for b in (share.minimum, share.maximum) if b is not None]
        for bound in bounds:
            self.values.check_fraction(bound, "a share")
        if any(not 0 <= b.value <= 1 or b.currency for b in bounds):
            return
        low = share.minimum.value if share.minimum is not None else None
        high = share.maximum.value if share.maximum is not None else None
        minimum, maximum = share.minimum, share.maximum
        if minimum is not None and maximum is not None and minimum.value > maximum.value:
            self.problem(
                "share-range-inverted",
                share.span,
                f"the share range of `{line.key.text}` runs from {minimum.text} down to "
                f"{maximum.text}",
            )
            return
        total = budget.total.value
        if total <= 0:
            return
        # A fraction, not a decimal: a share of a third must not round to 33.33...%.
        planned = Fraction(line.amount.value) / Fraction(total)
        if (low is not None and planned < low) or (high is not None and planned > high):
            # A line written as a percent of the total is quoted as written.
            share_text = line.amount.text if line.amount.percent else percent(planned)
            self.problem(
                "share-out-of-range",
                line.span,
                f"`{line.key.text}` is planned at {share_text} of the total, outside its "
                f"share range",
            )

    def check_metric(self, budget: s.Budget) -> None:
        assert budget.metric is not None
        metrics = self.values.scope.metrics
        metric = metrics.get(budget.metric)
        if metric is None:
            self.problem(
                "unknown-name",
                where(budget, "for"),
                f"`{budget.metric}` is not a metric",
                did_you_mean(budget.metric, metrics),
            )
        elif metric.type != "money" or metric.dimension is None:
            self.problem(
                "budget-metric",
                where(budget, "for"),
                f"a budget tracks keyed money (`metric {metric.name}: money by channel`); "
                f"`{metric.name}` is {_metric_shape(metric)}",
            )


@attrs.define
class BudgetLines(Reporting):
    """The lines of every budget in scope, found by the budget's name or, where none is named,
    in the one budget that has them all."""

    budgets: list[s.Budget]

    def check_named(self, name: str, keys: list[s.Key], span: Span) -> None:
        budgets = {b.name: b for b in self.budgets}
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

    def find(self, keys: list[s.Key], span: Span) -> None:
        wanted = {key.text for key in keys}
        having = [b for b in self.budgets if wanted <= {ln.key.text for ln in b.lines}]
        if len(having) > 1:
            self.problem(
                "ambiguous-line",
                span,
                f"these lines are in several budgets ({_names(b.name for b in having)}); "
                'say which with `in "BUDGET"`',
            )
        elif not having:
            self.check_lines_exist(keys, span)

    def check_lines_exist(self, keys: list[s.Key], span: Span) -> None:
        all_lines = {ln.key.text for b in self.budgets for ln in b.lines}
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


def _metric_shape(metric: s.Metric) -> str:
    return f"{metric.type} by {metric.dimension}" if metric.dimension else metric.type


def _names(names: Iterable[str], shown: int = 3) -> str:
    listed = [f'"{name}"' for name in names]
    more = len(listed) - shown
    return ", ".join(listed[:shown]) + (f" and {more} more" if more > 0 else "")
