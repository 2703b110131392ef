"""Exact number literals: scale words, percents, currencies, and the decimal context."""

from __future__ import annotations

import decimal
import re
from decimal import Decimal

import attrs

# Wide enough that sums and products of 34-digit inputs never round.
EXACT = decimal.Context(prec=200, rounding=decimal.ROUND_HALF_EVEN, Emax=999_999, Emin=-999_999)
# For a literal's own digits, which may be past the limits below (an error, but one that is
# reported, not rounded): adding, negating, scaling and normalizing never round in it, and
# their cost is bounded by the literal's length, as literals have no exponent. Never divide in
# it: a quotient that does not end would take all the memory there is.
UNBOUNDED = decimal.Context(
    prec=decimal.MAX_PREC,
    Emax=decimal.MAX_EMAX,
    Emin=decimal.MIN_EMIN,
    traps=[decimal.Inexact, decimal.InvalidOperation, decimal.Overflow],
)

# The limits of the contract for every number, in rulesets as in snapshots.
LARGEST = 10**24
MOST_DIGITS = 34
# Not in the contract: a value as fine as 1e-999999999 would hang exact arithmetic (its
# denominator has a billion digits), so fractions stop at as many places as digits.
MOST_PLACES = 34
LIMITS = "at most 10^24 and 34 significant digits"

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
        value = value.scaleb(-2, UNBOUNDED)
    scale = match["scale"]
    if scale:
        value = value.scaleb(SCALES[scale], UNBOUNDED)
    if match["sign"] == "-":
        value = value.copy_negate()
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


def beyond_limits(value: Decimal) -> str | None:
    """What puts a literal's exact value past the limits of the contract, if anything."""
    if value.is_zero():
        return None
    if value.copy_abs() > LARGEST:
        return f"is too large ({LIMITS})"
    _sign, digits, exponent = value.normalize(UNBOUNDED).as_tuple()
    assert isinstance(exponent, int)
    if len(digits) > MOST_DIGITS:
        return f"has more than {MOST_DIGITS} significant digits ({LIMITS})"
    if -exponent > MOST_PLACES:
        return f"has more than {MOST_PLACES} digits after the point"
    return None


def is_whole(value: Decimal) -> bool:
    return value == value.to_integral_value(context=UNBOUNDED)
