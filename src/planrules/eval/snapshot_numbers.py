"""Exact numbers from JSON, CSV or Python data, checked against the limits of the contract.

Every number is read from its text as an exact value (never through a float); integral values
become `int`, which keeps the evaluator's arithmetic fast, and the rest `Decimal`. A problem
is a `ValueProblem`, which the reader turns into an error that says where the value was.
"""

from __future__ import annotations

import decimal
import math
import re
from collections.abc import Mapping
from decimal import Decimal

import attrs

from planrules.eval.snapshot import Scalar, quoted, shown
from planrules.lang.numbers import LARGEST, MOST_DIGITS, MOST_PLACES
from planrules.lang.numbers import LIMITS as _LIMITS

_LARGEST_DECIMAL = Decimal(LARGEST)
_POWERS_OF_TEN = [10**n for n in range(MOST_DIGITS + MOST_PLACES)]
# Wide enough that `normalize` never rounds: it only strips trailing zeros; Inexact would
# say otherwise.
_UNROUNDED = decimal.Context(
    prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN, traps=[decimal.Inexact]
)
# Integers up to this many characters are read with int(), which is fast; longer ones go
# through Decimal, which has no limit on digits (int() refuses strings over 4300 digits).
SHORT_INTEGER = 24


class ValueProblem(Exception):
    """What is wrong with one value; the caller adds where it is."""


@attrs.frozen
class Rejected:
    """A JSON token that reads but is no exact number (NaN, 1e99999999999999999999999).

    It stands in for the value until validation, so that the error can name the period and
    the metric, which the JSON parser does not know.
    """

    text: str  # the token as written, or cut short
    problem: str


def exact_number(value: object) -> Scalar:
    """The exact value of a number from JSON or Python data; raises ValueProblem."""
    if type(value) is int:
        return checked_int(value)
    if type(value) is Decimal:
        return _from_decimal(value)
    if isinstance(value, bool):  # bool is an int to Python, never a number to a plan
        raise ValueProblem(f"{kind_of(value)} is not a number")
    if isinstance(value, int):
        return checked_int(int(value))
    if isinstance(value, Decimal):
        return _from_decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueProblem(f"{value!r} is not a number")
        # repr is the shortest text that reads back as this float: what the writer meant.
        return _from_decimal(Decimal(repr(value)))
    if isinstance(value, Rejected):
        raise ValueProblem(value.problem)
    if isinstance(value, str):
        raise ValueProblem(f"{quoted(value)} is text where a number is expected")
    if isinstance(value, Mapping):
        raise ValueProblem("a map where a number is expected")
    raise ValueProblem(f"{kind_of(value)} where a number is expected")


def checked_int(value: int) -> int:
    if -LARGEST <= value <= LARGEST:
        return value
    raise ValueProblem(f"{_int_text(value)} is too large ({_LIMITS})")


def _from_decimal(number: Decimal) -> Scalar:
    if not number.is_finite():
        raise ValueProblem(f"{number} is not a number")
    if number.is_zero():
        return 0
    # The exponent first, so that nothing below ever works on a vast or minute number; and
    # only a number of 10^24's magnitude needs comparing, which is slower.
    magnitude = number.adjusted()
    if magnitude > 24 or (magnitude == 24 and not -_LARGEST_DECIMAL <= number <= _LARGEST_DECIMAL):
        raise ValueProblem(f"{_decimal_text(number)} is too large ({_LIMITS})")
    if magnitude < -MOST_PLACES:
        raise ValueProblem(_too_fine(number))
    # In lowest terms the denominator divides 10^n exactly when the value has at most n
    # digits after the point; a ratio is much faster to get than the digits themselves.
    numerator, denominator = number.as_integer_ratio()
    if _POWERS_OF_TEN[MOST_DIGITS - 1 - magnitude] % denominator:
        raise ValueProblem(
            f"{_decimal_text(number)} has more than {MOST_DIGITS} significant digits ({_LIMITS})"
        )
    if _POWERS_OF_TEN[MOST_PLACES] % denominator:
        raise ValueProblem(_too_fine(number))
    return numerator if denominator == 1 else number.normalize(_UNROUNDED)


def _too_fine(number: Decimal) -> str:
    return f"{_decimal_text(number)} has more than {MOST_PLACES} digits after the point"


def decimal_from_text(text: str) -> Decimal | Rejected:
    try:
        return Decimal(text)
    except decimal.InvalidOperation:  # an exponent beyond even Decimal's range
        if _ZERO_DIGITS.fullmatch(text.partition("e")[0].partition("E")[0]):
            return Decimal(0)  # zero, whatever its exponent: as `0e999999999` reads
        return Rejected(shown(text), f"{shown(text)} is out of range ({_LIMITS})")


_ZERO_DIGITS = re.compile(r"[-+]?0*\.?0*")


def _int_text(value: int) -> str:
    if value.bit_length() > 1000:  # str() of a huge int is slow, or refused past 4300 digits
        return f"a number of about {int(value.bit_length() * math.log10(2))} digits"
    return shown(str(value))


def _decimal_text(number: Decimal) -> str:
    """As JSON would write it: 1e400, not Decimal's 1E+400."""
    return shown(str(number).replace("E+", "e").replace("E", "e"))


def kind_of(value: object) -> str:
    """What a value is, in JSON's words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Rejected):
        return value.text
    return f"a Python {type(value).__name__}"
