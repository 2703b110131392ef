"""Numbers written as text the way a locale writes them, in CSV cells and workbook text cells.

`vi` groups thousands with `.` and marks decimals with `,` (`1.549.000.000`, `3,7`, `21,95%`);
`en` and `zh` do the opposite (`1,549,000,000`, `3.7`). Spaces, including the non-breaking
ones spreadsheets put between groups, may group thousands under any locale. A cell of 1 to 3
digits, one separator and exactly three digits (`1,549`, `1.549`) reads two ways, and is an
error naming both under any locale. After the digits come what a ruleset's literal may have:
`%`, a scale word, a currency; a currency sign may also come first (`¥150万`). That tail is
read by the ruleset's own literal reader, so a cell accepts exactly the words a ruleset does.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final

import attrs

from planrules.eval.snapshot import Scalar, shown
from planrules.eval.snapshot_numbers import ValueProblem, exact_number
from planrules.formats import LOCALES
from planrules.lang.numbers import CURRENCY_SIGNS, NumberParts, parse_literal

DEFAULT_LOCALE: Final = "en"

# The group separator and the decimal mark of each locale.
_MARKS: Final = {"en": (",", "."), "zh": (",", "."), "vi": (".", ",")}
_SPACES: Final = " \u00a0\u202f\u2007"  # space, no-break, narrow no-break, figure space
_SIGNS: Final = {"-": "-", "\u2212": "-"}  # U+2212 is the minus sign proper

_PREFIX_CURRENCY = "|".join(map(re.escape, sorted(CURRENCY_SIGNS, key=len, reverse=True)))
# The sign, the digits with their separators (ending on a digit), then whatever follows.
_SHAPE: Final = re.compile(
    rf"(?P<currency>{_PREFIX_CURRENCY}|[A-Z]{{3}})?[{_SPACES}]*"
    rf"(?P<sign>[-\u2212]?)[{_SPACES}]*"
    rf"(?P<number>[0-9](?:[0-9.,{_SPACES}]*[0-9])?)"
    r"(?P<tail>.*)",
    re.DOTALL,
)
# Reads two ways: 1 to 3 digits (not a leading 0), one separator, exactly three digits.
_TWO_WAYS: Final = re.compile(r"[1-9][0-9]{0,2}[.,][0-9]{3}")
_EXAMPLES: Final = {
    "en": "1500, 1,549,000, -2.5, 21.95% or 3.7 billion",
    "zh": "1500, 1,549,000, -2.5, 21.95% or 150万",
    "vi": "1500, 1.549.000, -2,5, 21,95% or 3,7 tỷ",
}


@attrs.frozen
class TextNumbers:
    """How text cells are read as numbers: the locale, and the plan's currency (a cell in
    another currency would be a silently wrong number)."""

    locale: str = DEFAULT_LOCALE
    currency: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.locale not in LOCALES:
            raise ValueError(f"`{self.locale}` is not a locale (one of {', '.join(LOCALES)})")

    @property
    def point_decimals(self) -> bool:
        """Whether the decimal mark is `.`, so that JSON's numbers (`1.5e6`) read as JSON."""
        return _MARKS[self.locale][1] == "."

    def read(self, text: str) -> Scalar:
        """The exact value of a text cell; raises ValueProblem saying what is wrong."""
        cell = text.strip(_SPACES + "\t\r\n")
        parts = self._parts(cell)
        if parts is None:
            raise self._not_a_number(cell)
        if parts.currency not in (None, self.currency) and self.currency is not None:
            raise ValueProblem(
                f"`{shown(cell)}` is in {parts.currency}, but the plan's currency is "
                f"{self.currency}"
            )
        return exact_number(parts.value)

    def _parts(self, cell: str) -> NumberParts | None:
        """The cell read as a ruleset's literal once its digits are put as a ruleset writes
        them; None where it is no number in this locale. Raises ValueProblem where it reads
        two ways."""
        shape = _SHAPE.fullmatch(cell)
        if shape is None:
            return None
        number = shape["number"]
        if _TWO_WAYS.fullmatch(number):
            raise _two_ways(cell, number, shape["tail"])
        digits = self._digits(number)
        if digits is None:
            return None
        tail = shape["tail"].strip(_SPACES)
        tail = tail if tail.startswith("%") else f" {tail}"
        if shape["currency"]:
            tail = f"{tail} {shape['currency']}"
        try:
            return parse_literal(f"{_SIGNS.get(shape['sign'], '')}{digits}{tail.rstrip()}")
        except ValueError:
            return None

    def _digits(self, number: str) -> str | None:
        """The digits as a ruleset writes them (`1549000000.5`), or None where the grouping
        is not this locale's."""
        group, mark = _MARKS[self.locale]
        whole, _, fraction = number.partition(mark)
        if any(separator in fraction for separator in (group, mark, *_SPACES)):
            return None
        groups = re.split(f"[{re.escape(group)}{_SPACES}]", whole)
        if len(groups) > 1 and not _grouped(groups):
            return None
        digits = "".join(groups)
        if len(digits) > 1 and digits.startswith("0"):
            return None  # `05` is a code, not a number
        return f"{digits}.{fraction}" if fraction else digits

    def _not_a_number(self, cell: str) -> ValueProblem:
        others = [o for o in LOCALES if _MARKS[o] != _MARKS[self.locale]]
        readable = [o for o in others if TextNumbers(o)._parts(cell) is not None]
        hint = f"; with locale {readable[0]} it would be read as a number" if readable else ""
        return ValueProblem(
            f"`{shown(cell)}` is text where a number is expected (locale {self.locale} "
            f"writes numbers such as {_EXAMPLES[self.locale]}){hint}"
        )


def reads_two_ways(cell: str) -> bool:
    """`1,549` or `1.549`: thousands or a fraction, whatever the locale."""
    return _TWO_WAYS.fullmatch(cell.lstrip("-")) is not None


def _grouped(groups: list[str]) -> bool:
    """Thousands grouped as people group them: 1 to 3 digits, then groups of three."""
    return 1 <= len(groups[0]) <= 3 and all(len(rest) == 3 for rest in groups[1:])


def _two_ways(cell: str, number: str, tail: str) -> ValueProblem:
    grouped = number.replace(",", "").replace(".", "")
    readings = [
        parse_literal(f"{grouped}{_tail(tail)}").value,
        parse_literal(f"{number.replace(',', '.')}{_tail(tail)}").value,
    ]
    first, second = (_plain(value) for value in readings)
    return ValueProblem(
        f"`{shown(cell)}` reads two ways, as {first} or as {second}: write it without "
        f"the separator (`{grouped}`), or with more digits after the decimal mark"
    )


def _tail(tail: str) -> str:
    try:
        parse_literal(f"1{tail.strip(_SPACES)}")
    except ValueError:
        return ""
    stripped = tail.strip(_SPACES)
    return stripped if stripped.startswith("%") else f" {stripped}"


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"
