"""Budgets: their lines, shares and the metric they track, and the budget lines that triggers'
actions and tests' expectations name."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction

import attrs

from planrules.lang import syntax as s
from planrules.lang.check_reporting import Reporting, percent, plain, repeated, where
from planrules.lang.check_values import RuleValues
from planrules.lang.exprcheck import did_you_mean
from planrules.lang.messages import Message
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
        for key in repeated(line.key for line in budget.lines):
            self.problem(
                "duplicate-line", key.span, Message("`{key}` is in the budget twice", key=key.text)
            )
        for line in budget.lines:
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
                Message(
                    "the lines add up to {planned}, more than the total {total}",
                    planned=plain(planned),
                    total=budget.total.text,
                ),
            )
        if budget.tolerance is not None:
            self.values.check_fraction(budget.tolerance, Message("a tolerance"))
        if budget.metric is not None:
            self.check_metric(budget)

    def check_total(self, total: s.Number) -> bool:
        """Whether the total is money; the lines are not weighed against one that is not."""
        if total.percent:
            self.problem(
                "bad-amount",
                total.span,
                Message(
                    "a budget's total is money, such as 500 million, not a percent ({total})",
                    total=total.text,
                ),
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
                Message(
                    "`{key}` is planned at {amount}; a line's amount is money of 0 or more, or a "
                    "percent of the total",
                    key=line.key.text,
                    amount=amount.text,
                ),
            )
        elif amount.percent and amount.currency is not None:
            self.problem(
                "bad-amount",
                amount.span,
                Message(
                    "`{key}` is planned at {amount}: a percent of the total takes no currency",
                    key=line.key.text,
                    amount=amount.text,
                ),
                Message(
                    "write `{percent}%` for a share of the total, or an amount of money without "
                    "`%`",
                    percent=amount.text.split("%")[0],
                ),
            )

    def check_share(self, budget: s.Budget, line: s.BudgetLine) -> None:
        share = line.share
        if share is None:
            return
        bounds = [b for b in (share.minimum, share.maximum) if b is not None]
        for bound in bounds:
            self.values.check_fraction(bound, Message("a share"))
        if any(not 0 <= b.value <= 1 or b.currency for b in bounds):
            return
        low = share.minimum.value if share.minimum is not None else None
        high = share.maximum.value if share.maximum is not None else None
        minimum, maximum = share.minimum, share.maximum
        if minimum is not None and maximum is not None and minimum.value > maximum.value:
            self.problem(
                "share-range-inverted",
                share.span,
                Message(
                    "the share range of `{key}` runs from {minimum} down to {maximum}",
                    key=line.key.text,
                    minimum=minimum.text,
                    maximum=maximum.text,
                ),
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
                Message(
                    "`{key}` is planned at {share} of the total, outside its share range",
                    key=line.key.text,
                    share=share_text,
                ),
            )

    def check_metric(self, budget: s.Budget) -> None:
        assert budget.metric is not None
        metrics = self.values.scope.metrics
        metric = metrics.get(budget.metric)
        if metric is None:
            self.problem(
                "unknown-name",
                where(budget, "for"),
                Message("`{metric}` is not a metric", metric=budget.metric),
                did_you_mean(budget.metric, metrics),
            )
        elif metric.type != "money" or metric.dimension is None:
            self.problem(
                "budget-metric",
                where(budget, "for"),
                Message(
                    "a budget tracks keyed money (`metric {metric}: money by channel`); "
                    "`{metric}` is {shape}",
                    metric=metric.name,
                    shape=_metric_shape(metric),
                ),
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
                "unknown-budget",
                span,
                Message('no budget is named "{name}"', name=name),
                did_you_mean(name, budgets),
            )
            return
        lines = {line.key.text for line in budget.lines}
        for key in keys:
            if key.text not in lines:
                self.problem(
                    "unknown-line",
                    key.span,
                    Message('budget "{name}" has no line `{key}`', name=name, key=key.text),
                    did_you_mean(key.text, lines),
                )

    def find(self, keys: list[s.Key], span: Span) -> None:
        wanted = {key.text for key in keys}
        having = [b for b in self.budgets if wanted <= {ln.key.text for ln in b.lines}]
        if len(having) > 1:
            self.problem(
                "ambiguous-line",
                span,
                Message(
                    'these lines are in several budgets ({names}); say which with `in "BUDGET"`',
                    names=_names(b.name for b in having),
                ),
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
                    Message("no budget has a line `{key}`", key=key.text),
                    did_you_mean(key.text, all_lines),
                )
                return
        self.problem("unknown-line", span, Message("no single budget has all these lines"))


def _metric_shape(metric: s.Metric) -> str:
    if metric.dimension:
        return Message("{unit} by {dimension}", unit=metric.type, dimension=metric.dimension)
    return metric.type


def _names(names: Iterable[str], shown: int = 3) -> str:
    listed = [f'"{name}"' for name in names]
    more = len(listed) - shown
    if more > 0:
        return Message("{names} and {more} more", names=", ".join(listed[:shown]), more=more)
    return ", ".join(listed)
