"""Numbers as a Vietnamese or Chinese reader writes them, through Babel's locale data.

The rounding is the evaluator's (`to_decimal`: half away from zero, to the digits a unit is
written with, as `planrules.eval.values.describe` chooses them); Babel only writes the rounded
Decimal with the locale's digit groups and decimal mark, with a pattern that has exactly those
digits, so it never rounds again. Its compact form (`1,55 tỷ`, `154.9万`) does round, and is
run in a decimal context that rounds half away from zero too (Babel rounds in the current
context). A test checks that this module, given Babel's `en`, writes what `describe` does.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Any

from babel.numbers import format_compact_decimal, format_decimal, format_percent

from planrules.eval.values import Keyed, Unknown, as_fraction, to_decimal
from planrules.lang.ratio_forms import PERCENT, RatioForm

# Money and counts are whole; other plain numbers have up to two decimals.
_WHOLE_UNITS = ("money", "count")
_NUMBER_DECIMALS = 2

# How a reader writes the plan's currency after an amount: the sign they use, and whether a
# space comes before it (`1.549.000.000 ₫`, `1,549,000元`). Any other currency is written as
# its code after a space, as English reports do.
_CURRENCY_SIGNS: dict[tuple[str, str], tuple[str, str]] = {
    ("vi", "VND"): (" ", "₫"),
    ("zh", "CNY"): ("", "元"),
}

# Decimals of the compact form: `1,55 tỷ` (hundredths of the scale word Vietnamese readers
# quote), `154.9万` (tenths of 万, as Chinese reports write it).
_COMPACT_DECIMALS = {"vi": 2, "zh": 1, "en": 2}
# The smallest amount written compact: from `triệu` (10^6) and `万` (10^4) on; below, the full
# figure is as narrow (`123,33 nghìn ₫` is wider than `123.333 ₫`).
_COMPACT_FROM = {"vi": 10**6, "zh": 10**4, "en": 10**6}

# Babel rounds compact numbers in the current context: this one rounds half away from zero,
# as every number in a report does, with room for any amount a snapshot may hold.
_HALF_AWAY = decimal.Context(prec=100, rounding=decimal.ROUND_HALF_UP)


def _pattern(decimals: int, fixed: bool) -> str:
    """A Babel number pattern with thousands groups and `decimals` decimals, all written where
    `fixed` (`12.0%`), else only those that are not trailing zeros (`3.5`)."""
    if not decimals:
        return "#,##0"
    return "#,##0." + ("0" if fixed else "#") * decimals


class LocaleNumbers:
    """How the reader of `code` writes values (see `planrules.i18n.Numbers`)."""

    def __init__(self, code: str) -> None:
        self.code = code

    def describe(
        self, value: Any, unit: str, currency: str | None, form: RatioForm | None = None
    ) -> str:
        # What an explanation shows besides numbers, as the English describe does: an
        # unknown, a truth, a value per key.
        if isinstance(value, Unknown | bool | Keyed):
            return self._not_a_number(value, unit, currency, form)
        if unit == "ratio":
            return self._ratio(value, PERCENT if form is None else form)
        if unit in _WHOLE_UNITS:
            text = self._decimal(to_decimal(value, 0), _pattern(0, fixed=False))
            return self._with_currency(text, currency) if unit == "money" else text
        return self._decimal(to_decimal(value, _NUMBER_DECIMALS), _pattern(2, fixed=False))

    def _not_a_number(
        self, value: Unknown | bool | Keyed, unit: str, currency: str | None, form: RatioForm | None
    ) -> str:
        from planrules.i18n import _

        if isinstance(value, Unknown):
            return _("unknown")
        if isinstance(value, bool):
            return _("true") if value else _("false")
        return _(", ").join(
            f"{key}: {self.describe(item, unit, currency, form)}"
            for key, item in sorted(value.values.items())
        )

    def compact(self, value: Any, unit: str, currency: str | None, form: RatioForm | None) -> str:
        if unit != "money" or abs(value) < _COMPACT_FROM[self.code]:
            return self.describe(value, unit, currency, form)
        with decimal.localcontext(_HALF_AWAY):
            text = format_compact_decimal(
                to_decimal(value, 0),
                format_type="long",
                fraction_digits=_COMPACT_DECIMALS[self.code],
                locale=self.code,
            )
        return self._with_currency(text, currency)

    def _ratio(self, value: Any, form: RatioForm) -> str:
        pattern = _pattern(form.decimals, fixed=True)
        if not form.percent:
            return self._decimal(to_decimal(value, form.decimals), pattern)
        # Rounded as a percent first (exactly, as a fraction), then shown by Babel as a
        # percent of its hundredth, which is exact in Decimal.
        percent = to_decimal(as_fraction(value) * 100, form.decimals)
        with decimal.localcontext(_HALF_AWAY):
            return format_percent(percent.scaleb(-2), format=pattern + "%", locale=self.code)

    def _decimal(self, value: Decimal, pattern: str) -> str:
        with decimal.localcontext(_HALF_AWAY):
            return format_decimal(value, format=pattern, locale=self.code)

    def _with_currency(self, text: str, currency: str | None) -> str:
        if currency is None:
            return text
        space, sign = _CURRENCY_SIGNS.get((self.code, currency), (" ", currency))
        return f"{text}{space}{sign}"
