"""The header: the ruleset's name, its currency, its plan window, its locale and whether it rolls
snapshots up, and the currency of every amount written anywhere. It runs after the uses, as a
used file's currency must agree; a used file's locale and `roll up` are its own."""

from __future__ import annotations

import re
from collections.abc import Iterator

import attrs

from planrules.formats import LOCALES
from planrules.lang import syntax as s
from planrules.lang.check_reporting import Report, Reporting
from planrules.lang.check_uses import LoadedFiles
from planrules.lang.messages import Message, said_by
from planrules.lang.numbers import CURRENCY_SIGNS
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
    locale: str | None = None
    roll_up: bool = False


# The locales text numbers may be read in and reports written in.
# What people write for a locale that is not its code: a country, a region, a language's name.
_LOCALE_SPELLINGS = {"vn": "vi", "cn": "zh", "tw": "zh", "hk": "zh", "us": "en", "gb": "en"}


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
        code = currency_code(used.currency)
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
        locale = self.locale(module.locale)
        roll_up = self.roll_up(module.roll_up, period)
        if self.files.tested is not None:
            # A test runs the ruleset it tests as that ruleset reads its snapshots.
            tested = self.files.tested
            locale = locale or _known(tested.locale)
            roll_up = roll_up or tested.roll_up is not None
        if period is not None and period.start <= period.end:
            return Header(currency, self.window(period), period.cadence, locale, roll_up)
        return Header(currency, None, None, locale, roll_up)

    def check_opening(self, module: s.Module) -> None:
        if module.ruleset is None and not is_test_file(module.path):
            self.problem(
                "missing-ruleset",
                Span(module.path, 1, 1, 1, 2),
                Message('a ruleset starts with `ruleset "Name"`'),
            )
        if is_test_file(module.path) and not module.uses:
            self.problem(
                "test-without-use",
                Span(module.path, 1, 1, 1, 2),
                Message(
                    'a test file starts with `use "ruleset.plan"`, naming the ruleset it tests'
                ),
            )

    def currency(self, currency: s.Currency | None) -> str | None:
        code = currency_code(currency)
        if currency is not None and code is not None and not _CURRENCY_CODE.fullmatch(code):
            self.problem(
                "bad-currency",
                currency.span,
                Message(
                    "`{code}` is not a currency code (three capital letters, such as VND)",
                    code=currency.code,
                ),
            )
        return code

    def locale(self, locale: s.Locale | None) -> str | None:
        if locale is None or locale.code in LOCALES:
            return _known(locale)
        self.problem(
            "unknown-locale",
            locale.span,
            Message(
                "`{code}` is not a locale planrules knows ({locales})",
                code=locale.code,
                locales=", ".join(LOCALES),
            ),
            _locale_hint(locale.code),
        )
        return None

    def roll_up(self, roll_up: s.RollUp | None, period: s.PeriodDecl | None) -> bool:
        if roll_up is not None and period is None:
            self.problem(
                "roll-up-without-period",
                roll_up.span,
                Message(
                    "`roll up` rolls snapshots up into the plan's cadence, and there is none "
                    "without a `period` header"
                ),
                Message("add `period START to END CADENCE`, or remove `roll up`"),
            )
        return roll_up is not None

    def check_used_currencies(self, currency: str | None) -> None:
        for used in self.files.imported:
            code = currency_code(used.currency)
            if used.currency is not None and code != currency:
                self.problem(
                    "use-currency",
                    self.files.use_sites.get(used.path, used.currency.span),
                    Message(
                        "{path} is in {code}, this ruleset in {ours}",
                        path=used.path,
                        code=code,
                        ours=currency or "no currency",
                    ),
                )

    def window(self, period: s.PeriodDecl) -> Window | None:
        """The window's first and last periods must be on the calendar: the ISO week of
        9999-12-31 ends in the year 10000."""
        window = Window(period.start, period.end, period.cadence)
        try:
            window_first_period(window)
            window_last_period(window)
        except PeriodError as problem:
            self.problem(
                "bad-window",
                period.span,
                Message("the plan window cannot be used: {problem}", problem=said_by(problem)),
            )
            return None
        return window


def currency_code(currency: s.Currency | None) -> str | None:
    """The code a `currency` header stands for: `₫` and `đồng` for VND, `元` for CNY."""
    return CURRENCY_SIGNS.get(currency.code, currency.code) if currency is not None else None


def _known(locale: s.Locale | None) -> str | None:
    return locale.code if locale is not None and locale.code in LOCALES else None


def _locale_hint(written: str) -> str | None:
    """`VI`, `vi_VN`, `vn`, `cn`: the locale meant."""
    word = written.casefold().replace("-", "_")
    for guess in (word, word.split("_")[0], _LOCALE_SPELLINGS.get(word)):
        if guess in LOCALES:
            return Message("did you mean `{name}`?", name=guess)
    import difflib  # loaded only for a misspelling: a check without one does not need it

    close = difflib.get_close_matches(word, LOCALES, n=1, cutoff=0.5)
    return Message("did you mean `{name}`?", name=close[0]) if close else None


@attrs.define
class _AmountCurrencies(Reporting):
    def check(self, number: s.Number, currency: str | None) -> None:
        if number.currency is None:
            return
        if currency is None:
            self.problem(
                "currency-without-header",
                number.span,
                Message(
                    "`{number}` names a currency, but the ruleset has no `currency` header",
                    number=number.text,
                ),
            )
        elif number.currency != currency:
            self.problem(
                "currency-mismatch",
                number.span,
                Message(
                    "`{number}` is in {theirs}, the ruleset in {ours}",
                    number=number.text,
                    theirs=number.currency,
                    ours=currency,
                ),
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
