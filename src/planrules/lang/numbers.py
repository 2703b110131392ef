"""Exact number literals: scale words, percents, currencies, and the decimal context."""

from __future__ import annotations

import decimal
import re
from collections.abc import Iterable
from decimal import Decimal

import attrs

from planrules.lang.messages import Message

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
LIMITS = Message("at most 10^24 and 34 significant digits")

SCALES: dict[str, int] = {
    "k": 3,
    "thousand": 3,
    "nghìn": 3,
    "ngàn": 3,
    "千": 3,
    "M": 6,
    "million": 6,
    "triệu": 6,
    "B": 9,
    "billion": 9,
    "tỷ": 9,
    "tỉ": 9,
    "万": 4,
    "亿": 8,
    # 十, 百 and 千 before 万 or 亿 multiply it, as Chinese counts: 千万 is ten million.
    "十万": 5,
    "百万": 6,
    "千万": 7,
    "十亿": 9,
    "百亿": 10,
    "千亿": 11,
}

# Currency signs and names, each read as its ISO code; any other three capitals are a code.
CURRENCY_SIGNS: dict[str, str] = {
    "₫": "VND",
    "đ": "VND",
    "VNĐ": "VND",
    "đồng": "VND",
    "¥": "CNY",
    "元": "CNY",
    "人民币": "CNY",
    "RMB": "CNY",
}


def _any_of(words: Iterable[str]) -> str:
    """A regular expression for any of `words`, the longest first, so that `千万` is not read
    as `千` followed by something else."""
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


# The grammar's NUMBER spells these out too: a test holds the two together.
SCALE_PATTERN = _any_of(SCALES)
# A word ends where a word ends (`5 đơn` is 5 and a name); a sign or a Chinese name needs no
# end (`20万元`, where 元 also touches the scale word).
CURRENCY_PATTERN = r"(?:(?:VNĐ|đồng|đ|[A-Z]{3})(?!\w)|" + _any_of(("₫", "¥", "元", "人民币")) + ")"
# `[0-9]`, not `\d`: `\d` also matches other scripts' digits, which Decimal would then accept.
_LITERAL = re.compile(
    r"(?P<sign>[-+]?)(?P<digits>[0-9](?:_?[0-9])*(?:\.[0-9](?:_?[0-9])*)?)"
    r"(?:(?P<percent>%)|(?P<scale_gap>\s*)(?P<scale>" + SCALE_PATTERN + r"))?"
    r"(?:(?P<currency_gap>\s*)(?P<currency>" + CURRENCY_PATTERN + r"))?"
)


@attrs.frozen
class NumberParts:
    """A literal taken apart: its exact value and what was written after the digits."""

    value: Decimal
    percent: bool
    scale: str | None
    currency: str | None  # an ISO code: ₫, đồng, 元, 人民币 ... are read as VND or CNY


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
        return Message("is too large ({limits})", limits=LIMITS)
    _sign, digits, exponent = value.normalize(UNBOUNDED).as_tuple()
    assert isinstance(exponent, int)
    if len(digits) > MOST_DIGITS:
        return Message(
            "has more than {most} significant digits ({limits})", most=MOST_DIGITS, limits=LIMITS
        )
    if -exponent > MOST_PLACES:
        return Message("has more than {most} digits after the point", most=MOST_PLACES)
    return None


def is_whole(value: Decimal) -> bool:
    return value == value.to_integral_value(context=UNBOUNDED)
