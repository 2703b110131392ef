"""The header: the ruleset's name, its currency and its plan window, and the currency of every
amount written anywhere. It runs after the uses, as a used file's currency must agree."""

from __future__ import annotations

import re
from collections.abc import Iterator

import attrs

from planrules.lang import syntax as s
from planrules.lang.check_reporting import Report, Reporting
from planrules.lang.check_uses import LoadedFiles
from planrules.lang.periods import PeriodError, Window, window_first_period, window_last_period
from planrules.lang.source import Span
from planrules.lang.workspace import is_test_file

_CURRENCY_CODE = re.compile(r"[A-Z]{3}")


@attrs.frozen
class Header:
    """What the header settles for the later passes; the cadence stays known even where the
    window cannot be used."""

    currency: str | None
    window: Window | None
    cadence: str | None


def check_header(module: s.Module, files: LoadedFiles, report: Report) -> Header:
    return _HeaderCheck(report, module, files).check()


def check_currencies(
    module: s.Module, files: LoadedFiles, currency: str | None, report: Report
) -> None:
    """Each amount in the currency of the file it is written in; the ruleset under test is in
    the test file's."""
    amounts = _AmountCurrencies(report)
    for number in _numbers(module):
        amounts.check(number, currency)
    for used in files.imported:
        code = used.currency.code if used.currency is not None else None
        for number in _numbers(used):
            amounts.check(number, code if used is not files.tested else currency)


@attrs.define
class _HeaderCheck(Reporting):
    """A test file has the header of the ruleset it tests, where that ruleset gives one."""

    module: s.Module
    files: LoadedFiles

    def check(self) -> Header:
        module = self.module
        base = self.files.tested if self.files.tested is not None else module
        self.check_opening(module)
        currency = self.currency(base.currency or module.currency)
        self.check_used_currencies(currency)
        period = base.period or module.period
        if period is not None and period.start <= period.end:
            return Header(currency, self.window(period), period.cadence)
        return Header(currency, None, None)

    def check_opening(self, module: s.Module) -> None:
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

    def currency(self, currency: s.Currency | None) -> str | None:
        if currency is not None and not _CURRENCY_CODE.fullmatch(currency.code):
            self.problem(
                "bad-currency",
                currency.span,
                f"`{currency.code}` is not a currency code (three capital letters, such as VND)",
            )
        return currency.code if currency is not None else None

    def check_used_currencies(self, currency: str | None) -> None:
        for used in self.files.imported:
            if used.currency is not None and used.currency.code != currency:
                self.problem(
                    "use-currency",
                    self.files.use_sites.get(used.path, used.currency.span),
                    f"{used.path} is in {used.currency.code}, this ruleset in "
                    f"{currency or 'no currency'}",
                )

    def window(self, period: s.PeriodDecl) -> Window | None:
        """The window's first and last periods must be on the calendar: the ISO week of
        9999-12-31 ends in the year 10000."""
        window = Window(period.start, period.end, period.cadence)
        try:
            window_first_period(window)
            window_last_period(window)
        except PeriodError as problem:
            self.problem("bad-window", period.span, f"the plan window cannot be used: {problem}")
            return None
        return window


@attrs.define
class _AmountCurrencies(Reporting):
    def check(self, number: s.Number, currency: str | None) -> None:
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
