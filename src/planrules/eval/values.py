"""The values evaluation works with: exact numbers, unknowns that say why, keyed maps.

Numbers are `int` where whole (the fastest exact arithmetic Python has), `Decimal` where the
input had decimals, and `Fraction` where a division does not come out even, so nothing is ever
rounded before a report is written. Python's own operators already combine int with either of
the others exactly; only Decimal with Fraction, or a Decimal result too long for the context,
needs the slower path through `Fraction`.
"""

from __future__ import annotations

import decimal
import itertools
import operator
from collections.abc import Callable, Iterable
from decimal import Decimal
from fractions import Fraction
from typing import Any

from planrules.lang.messages import Message
from planrules.lang.numbers import EXACT
from planrules.lang.ratio_forms import PERCENT, RatioForm

Num = int | Decimal | Fraction

# Decimal arithmetic traps Inexact, so a result that would round falls back to Fraction.
EVALUATION = EXACT.copy()
EVALUATION.traps[decimal.Inexact] = True


class KeyNotYet(Message):
    """The reason of an unknown that comes only from reaching before a key's first period
    (see `planrules.eval.lifetimes`): it does not count toward the overall status. A message,
    so that a report translates it."""


def before_first(reason: object) -> bool:
    return isinstance(reason, KeyNotYet)


class Unknown:
    """A value that could not be known, with the reason; it absorbs arithmetic.

    Comparisons with an unknown are unknown too (three-valued logic), so Python's operators
    carry it through element-wise work without a branch per element. It has no truth value:
    a test of one is a bug in the evaluator, not something to guess about. Of two unknowns
    the first is kept, unless it comes only from before a key's first period and the other
    does not: data really missing must not hide behind a key that did not exist yet.
    """

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"Unknown({self.reason!r})"

    def _absorb(self, *other: object) -> Unknown:
        if other and isinstance(other[0], Unknown):
            return either_unknown(self, other[0])
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = _absorb
    __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _absorb
    __neg__ = __abs__ = __pos__ = _absorb
    __lt__ = __le__ = __gt__ = __ge__ = _absorb
    __eq__ = __ne__ = _absorb  # type: ignore[assignment]
    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> bool:
        raise TypeError(f"an unknown value has no truth value ({self.reason})")


class Keyed:
    """A map from keys to values; `missing` is the value of any key the map lacks."""

    __slots__ = ("missing", "values")

    def __init__(self, values: dict[str, Any], missing: Any) -> None:
        self.values = values
        self.missing = missing

    def __repr__(self) -> str:
        return f"Keyed({self.values!r}, missing={self.missing!r})"

    def at(self, key: str) -> Any:
        if key in self.values:
            return self.values[key]
        missing = self.missing
        if isinstance(missing, Unknown):
            return Unknown(Message("{reason} (key `{key}`)", reason=missing.reason, key=key))
        return missing


# What an expression evaluates to: a Num, a bool, an Unknown or a Keyed. Typed as Any because
# the evaluator leans on Python's operators working across all of them.
Value = Any


def at_key(value: Value, key: str | None) -> Value:
    """A keyed value read at the rule's key; scalars are the same at every key."""
    if key is not None and isinstance(value, Keyed):
        return value.at(key)
    return value


# ---- exact arithmetic ----------------------------------------------------------------------


def as_fraction(value: Any) -> Any:
    return Fraction(value) if isinstance(value, Decimal) else value


def _exactly(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(left: Any, right: Any) -> Any:
        # A ratio that does not end (a Fraction) met with a Decimal: as fractions at once,
        # rather than after the TypeError, which costs more than the arithmetic.
        if left.__class__ is Fraction and right.__class__ is Decimal:
            return whole_if_possible(op(left, Fraction(right)))
        if left.__class__ is Decimal and right.__class__ is Fraction:
            return whole_if_possible(op(Fraction(left), right))
        try:
            return op(left, right)
        except (TypeError, decimal.DecimalException):
            return whole_if_possible(op(as_fraction(left), as_fraction(right)))

    apply.__name__ = op.__name__
    return apply


add = _exactly(operator.add)
subtract = _exactly(operator.sub)
multiply = _exactly(operator.mul)


def whole_if_possible(value: Any) -> Any:
    if isinstance(value, Fraction) and value.denominator == 1:
        return value.numerator
    return value


class Symbolic:
    """A value that stands for many (`planrules.eval.symbolic`): it does its own arithmetic,
    and what would decide on its value, such as a test for zero, it refuses."""

    __slots__ = ()


def divide_or_unknown(left: Any, right: Any, reason: Callable[[], str]) -> Any:
    """left / right exactly; division by zero is unknown, with the reason made on demand."""
    if type(left) is int and type(right) is int:  # the usual case (counts), first
        if right == 0:
            return Unknown(reason())
        quotient, remainder = divmod(left, right)
        return quotient if remainder == 0 else Fraction(left, right)
    if isinstance(left, Unknown):
        return left
    if isinstance(right, Unknown):
        return right
    if isinstance(right, Symbolic):
        return left / right
    if right == 0:
        return Unknown(reason())  # whatever the numerator, a symbolic one too
    if isinstance(left, Symbolic):
        return left / right
    return whole_if_possible(Fraction(as_fraction(left)) / as_fraction(right))


def negate(value: Any) -> Any:
    return -value


def absolute(value: Any) -> Any:
    return abs(value)


def round_half_away(value: Num, digits: int) -> Num:
    """Rounds to `digits` (at least 0) decimals, halves away from zero, exactly."""
    scale = 10**digits
    rounded: Num = whole_if_possible(Fraction(scaled_half_away(value, scale), scale))
    return rounded


def scaled_half_away(value: Num, scale: int) -> int:
    """value * scale rounded to a whole number, halves away from zero, in integers."""
    numerator, denominator = value.as_integer_ratio()
    whole, rest = divmod(abs(numerator) * scale, denominator)
    if 2 * rest >= denominator:
        whole += 1
    return -whole if numerator < 0 else whole


def to_decimal(value: Num, digits: int) -> Decimal:
    """The value rounded half away from zero to `digits` decimals, trailing zeros dropped."""
    if value.__class__ is int:
        return Decimal(value)
    if value.__class__ is Decimal:
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent >= -digits:
            return _plain(value)  # no more decimals than that already
    # Scaling by a power of ten moves the exponent only: exact in any context.
    return _plain(Decimal(scaled_half_away(value, 10**digits)).scaleb(-digits, EXACT))


def _plain(value: Decimal) -> Decimal:
    if value == 0:
        return Decimal(0)
    normal = value.normalize(EXACT)
    # normalize() writes 1000 as 1E+3; quantizing to units puts the zeros back.
    exponent = normal.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        return normal.quantize(Decimal(1), context=EXACT)
    return normal


# ---- three-valued logic ------------------------------------------------------------------


def either_unknown(first: Unknown, second: Unknown) -> Unknown:
    """The unknown to keep of two: the first, unless only it comes from before a key's first
    period."""
    if before_first(first.reason) and not before_first(second.reason):
        return second
    return first


def logical_and(left: Any, right: Any) -> Any:
    if left is False or right is False:
        return False
    if left is True and right is True:
        return True
    return _unknown_of(left, right)


def logical_or(left: Any, right: Any) -> Any:
    if left is True or right is True:
        return True
    if left is False and right is False:
        return False
    return _unknown_of(left, right)


def _unknown_of(left: Any, right: Any) -> Any:
    if isinstance(left, Unknown):
        return either_unknown(left, right) if isinstance(right, Unknown) else left
    return right


def logical_not(value: Any) -> Any:
    return value if isinstance(value, Unknown) else not value


# ---- element-wise over keys ----------------------------------------------------------------


def lift(op: Callable[[Any, Any], Any], left: Value, right: Value) -> Value:
    """`op` of two values, element by element where either is keyed (union of keys)."""
    if isinstance(left, Keyed):
        if isinstance(right, Keyed):
            return _both_keyed(op, left, right)
        values = left.values
        paired = map(op, values.values(), itertools.repeat(right))
        return Keyed(dict(zip(values, paired, strict=True)), op(left.missing, right))
    if isinstance(right, Keyed):
        values = right.values
        paired = map(op, itertools.repeat(left), values.values())
        return Keyed(dict(zip(values, paired, strict=True)), op(left, right.missing))
    return op(left, right)


def _both_keyed(op: Callable[[Any, Any], Any], left: Keyed, right: Keyed) -> Keyed:
    mine, theirs = left.values, right.values
    missing = op(left.missing, right.missing)
    if len(mine) == len(theirs) and all(map(operator.eq, mine, theirs)):
        # The same keys in the same order (the usual case): pair the values up in C.
        paired = map(op, mine.values(), theirs.values())
        return Keyed(dict(zip(mine, paired, strict=True)), missing)
    # The union keeps the order keys were first seen in, so a running total over periods
    # keeps one order and the next period pairs up in C again.
    keys = dict.fromkeys(mine)
    keys.update(dict.fromkeys(theirs))
    if isinstance(left.missing, Unknown) or isinstance(right.missing, Unknown):
        return Keyed({k: op(left.at(k), right.at(k)) for k in keys}, missing)
    mine_missing, theirs_missing = left.missing, right.missing
    paired = map(
        op,
        [mine.get(k, mine_missing) for k in keys],
        [theirs.get(k, theirs_missing) for k in keys],
    )
    return Keyed(dict(zip(keys, paired, strict=True)), missing)


def lift1(op: Callable[[Any], Any], value: Value) -> Value:
    if isinstance(value, Keyed):
        return Keyed({k: op(v) for k, v in value.values.items()}, op(value.missing))
    return op(value)


def lift_many(op: Callable[[list[Any]], Any], values: list[Value]) -> Value:
    """An n-ary scalar function (`min(a, b, c)`) applied key by key where any is keyed."""
    keyed = [v for v in values if isinstance(v, Keyed)]
    if not keyed:
        return op(values)
    keys: set[str] = set()
    for value in keyed:
        keys.update(value.values)
    missing = op([v.missing if isinstance(v, Keyed) else v for v in values])
    return Keyed({k: op([at_key(v, k) for v in values]) for k in keys}, missing)


# ---- aggregates over the keys of one value --------------------------------------------------


def first_unknown(values: Iterable[Any]) -> Unknown | None:
    """The first unknown among the values, one that does not come only from before a key's
    first period where there is one."""
    found: Unknown | None = None
    for value in values:
        if isinstance(value, Unknown):
            if not before_first(value.reason):
                return value
            if found is None:
                found = value
    return found


def sum_of(values: Iterable[Any]) -> Any:
    """The exact sum; the first unknown among the values, if any (it absorbs the rest)."""
    items = values if isinstance(values, list) else list(values)
    try:
        return sum(items, 0)
    except (TypeError, decimal.DecimalException):
        return whole_if_possible(sum((as_fraction(v) for v in items), Fraction(0)))


def extreme_of(values: list[Any], pick: Callable[..., Any], empty: str) -> Any:
    if not values:
        return Unknown(empty)
    unknown = first_unknown(values)
    if unknown is not None:
        return unknown
    return pick(values)


# ---- values written for people -------------------------------------------------------------


def describe(
    value: Any, unit: str, currency: str | None = None, form: RatioForm | None = None
) -> str:
    """A value as a recommendation or a text report writes it, rounded half away from zero.

    Ratios as `form` says (`planrules.lang.ratio_forms`): a percent with one decimal unless it
    is given, or a plain number with its decimals. Money and counts are whole numbers with
    thousands separators (money with its currency), other numbers up to two decimals.
    """
    if isinstance(value, Unknown):
        return "unknown"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Keyed):
        return ", ".join(
            f"{k}: {describe(v, unit, currency, form)}" for k, v in sorted(value.values.items())
        )
    if unit == "ratio":
        shown = PERCENT if form is None else form
        digits = shown.decimals
        if shown.percent:
            return f"{_rounded_to(value, digits, 100):,.{digits}f}%"
        return f"{_rounded_to(value, digits):,.{digits}f}"
    if unit in ("money", "count"):
        text = f"{scaled_half_away(value, 1):,}"
        return f"{text} {currency}" if unit == "money" and currency else text
    return f"{to_decimal(value, 2):,}"


def _rounded_to(value: Num, digits: int, times: int = 1) -> Decimal:
    """`value * times` rounded half away from zero to `digits` decimals, worked in integers:
    exact in any decimal context."""
    return Decimal(scaled_half_away(value, times * 10**digits)).scaleb(-digits, EXACT)
