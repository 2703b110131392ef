"""Exact number literals: scale words, percents, currencies, and the decimal context."""

from __future__ import annotations

import decimal
import re
from decimal import Decimal

import attrs

# Wide enough that sums and products of 34-digit inputs never round.
EXACT = decimal.Context(prec=200, rounding=decimal.ROUND_HALF_EVEN, Emax=999_999, Emin=-999_999)

SCALES: dict[str, int] = {
    "k": 3,
    "thousand": 3,
    "nghìn": 3,
    "ngàn": 3,
    "M": 6,
    "million": 6,
    "triệu": 6,
    "B": 9,
    "billion": 9,
    "tỷ": 9,
    "tỉ": 9,
    "万": 4,
    "亿": 8,
}

CURRENCY_SIGNS: dict[str, str] = {"₫": "VND", "元": "CNY"}

_SCALE_WORDS = "|".join(sorted(map(re.escape, SCALES), key=len, reverse=True))
# `[0-9]`, not `\d`: `\d` also matches other scripts' digits, which Decimal would then accept.
_LITERAL = re.compile(
    r"(?P<sign>[-+]?)(?P<digits>[0-9](?:_?[0-9])*(?:\.[0-9](?:_?[0-9])*)?)"
    r"(?:(?P<percent>%)|(?P<scale_gap>\s*)(?P<scale>" + _SCALE_WORDS + r"))?"
    r"(?:(?P<currency_gap>\s*)(?P<currency>[A-Z]{3}|₫|元))?"
)


@attrs.frozen
class NumberParts:
    """A literal taken apart: its exact value and what was written after the digits."""

    value: Decimal
    percent: bool
    scale: str | None
    currency: str | None  # an ISO code; ₫ and 元 are read as VND and CNY


def parse_literal(text: str) -> NumberParts:
    """Read a number literal as the grammar's NUMBER token (optionally signed) spells it."""
    match = _LITERAL.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a number literal: {text!r}")
    value = Decimal(match["digits"].replace("_", ""))
    if match["percent"]:
        value = value.scaleb(-2, EXACT)
    scale = match["scale"]
    if scale:
        value = value.scaleb(SCALES[scale], EXACT)
    if match["sign"] == "-":
        value = -value
    currency = match["currency"]
    return NumberParts(
        value=value,
        percent=bool(match["percent"]),
        scale=scale,
        currency=CURRENCY_SIGNS.get(currency, currency) if currency else None,
    )


def canonical_literal(text: str) -> str:
    """The literal as written, with each run of white space inside it made one space."""
    return " ".join(text.split())


def is_whole(value: Decimal) -> bool:
    return value == value.to_integral_value()
