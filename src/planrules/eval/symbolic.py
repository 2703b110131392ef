"""A value that depends on one input: what it would take, worked out in closed form.

To find the value of an input at which a rule passes, the rule is judged once with the input
given as `Ratio.of_change(value now)`: the input's value now plus an unknown change x. The
evaluator's arithmetic carries it through sums, differences, products with numbers and
divisions as the ratio of two lines in x, `(p1 x + p0) / (q1 x + q0)`, so every margin comes
out as such a ratio, exactly: the margins' roots, and so the answer, are then solved without
judging the rule again.

Anything whose result would not be such a ratio (a product of two values that both depend
on x), and anything that would branch on the value (a comparison, `max`, `abs`, a test of
zero, a hash), raises `NotLinear`: the caller falls back to sampling the margins. An answer is
therefore never worked out from a guess about the rule's shape.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any, NoReturn

from planrules.eval.values import Symbolic, add, as_fraction, multiply, subtract

_NUMBERS = (int, Decimal, Fraction)


class NotLinear(Exception):
    """The rule did with the input what a ratio of lines cannot follow."""


class Ratio(Symbolic):
    """`(p1 x + p0) / (q1 x + q0)` for the unknown change x of one input, exact numbers."""

    __slots__ = ("p0", "p1", "q0", "q1")

    def __init__(self, p1: Any, p0: Any, q1: Any, q0: Any) -> None:
        self.p1, self.p0, self.q1, self.q0 = p1, p0, q1, q0

    @classmethod
    def of_change(cls, origin: Any) -> Ratio:
        """The input's value now (`origin`) plus the change x."""
        return cls(1, origin, 0, 1)

    def __repr__(self) -> str:
        return f"Ratio(({self.p1} x + {self.p0}) / ({self.q1} x + {self.q0}))"

    def fit(self) -> tuple[Fraction, Fraction, Fraction] | None:
        """(a, b, c) with the value `(a x + b) / (c x + 1)`, as fractions; None where the
        value now is undefined (a denominator of 0 at x = 0)."""
        if self.q0 == 0:
            return None
        q0 = Fraction(as_fraction(self.q0))
        return (
            Fraction(as_fraction(self.p1)) / q0,
            Fraction(as_fraction(self.p0)) / q0,
            Fraction(as_fraction(self.q1)) / q0,
        )

    # ---- arithmetic ------------------------------------------------------------------------

    def __add__(self, other: Any) -> Any:
        return _combined(self, other, add)

    __radd__ = __add__

    def __sub__(self, other: Any) -> Any:
        return _combined(self, other, subtract)

    def __rsub__(self, other: Any) -> Any:
        return _combined(-self, other, add)

    def __neg__(self) -> Ratio:
        return Ratio(multiply(self.p1, -1), multiply(self.p0, -1), self.q1, self.q0)

    def __pos__(self) -> Ratio:
        return self

    def __mul__(self, other: Any) -> Any:
        if other.__class__ is Ratio:
            return _ratio_of(
                _times(self.p1, self.p0, other.p1, other.p0),
                _times(self.q1, self.q0, other.q1, other.q0),
            )
        if isinstance(other, _NUMBERS):
            return Ratio(multiply(self.p1, other), multiply(self.p0, other), self.q1, self.q0)
        return NotImplemented

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Any:
        if other.__class__ is Ratio:
            return self * other.inverse()
        if isinstance(other, _NUMBERS):
            if other == 0:
                raise NotLinear("divided by zero")
            return Ratio(self.p1, self.p0, multiply(self.q1, other), multiply(self.q0, other))
        return NotImplemented

    def __rtruediv__(self, other: Any) -> Any:
        if isinstance(other, _NUMBERS):
            return self.inverse() * other
        return NotImplemented

    def inverse(self) -> Ratio:
        if self.p1 == 0 and self.p0 == 0:
            raise NotLinear("divided by a value that is zero whatever the input")
        if self.q1 != 0:
            # 1 / (p / q) is q / p only where q is not 0: where it is, the rule divides by
            # zero and is unknown, which the ratio q / p would no longer say.
            raise NotLinear("divided by a value whose own denominator depends on the input")
        return Ratio(self.q1, self.q0, self.p1, self.p0)

    # ---- what a ratio of lines cannot answer -------------------------------------------------

    def _branches(self, *_other: Any) -> NoReturn:
        raise NotLinear("the rule compares or tests a value that depends on the input")

    __lt__ = __le__ = __gt__ = __ge__ = _branches
    __eq__ = __ne__ = _branches
    __bool__ = __abs__ = __hash__ = __round__ = _branches
    __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = __pow__ = __rpow__ = _branches
    # Taken apart as a number (to round it, say).
    as_integer_ratio = __int__ = __float__ = __trunc__ = __floor__ = __ceil__ = _branches


def _combined(left: Ratio, right: Any, op: Any) -> Any:
    """left + right or left - right (`op`), over a common denominator."""
    if right.__class__ is Ratio:
        if left.q1 == right.q1 and left.q0 == right.q0:
            return Ratio(op(left.p1, right.p1), op(left.p0, right.p0), left.q1, left.q0)
        across = _times(left.p1, left.p0, right.q1, right.q0)
        down = _times(right.p1, right.p0, left.q1, left.q0)
        numerator = (op(across[0], down[0]), op(across[1], down[1]), op(across[2], down[2]))
        return _ratio_of(numerator, _times(left.q1, left.q0, right.q1, right.q0))
    if isinstance(right, _NUMBERS):
        return Ratio(
            op(left.p1, multiply(right, left.q1)),
            op(left.p0, multiply(right, left.q0)),
            left.q1,
            left.q0,
        )
    return NotImplemented


Quadratic = tuple[Any, Any, Any]  # (x², x, 1) coefficients


def _times(a1: Any, a0: Any, b1: Any, b0: Any) -> Quadratic:
    """(a1 x + a0)(b1 x + b0)."""
    return (
        multiply(a1, b1),
        add(multiply(a1, b0), multiply(a0, b1)),
        multiply(a0, b0),
    )


def _ratio_of(numerator: Quadratic, denominator: Quadratic) -> Ratio:
    if numerator[0] != 0 or denominator[0] != 0:
        raise NotLinear("a product of two values that both depend on the input")
    return Ratio(numerator[1], numerator[2], denominator[1], denominator[2])
