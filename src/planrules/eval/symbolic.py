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

from planrules.eval.values import Symbolic, add, as_fraction, multiply, subtract, whole_if_possible

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


# ---- every key's own change at once ----------------------------------------------------------
#
# A `per` rule that sums over its keys (`orders / sum(orders)`) sees a key's change twice: in
# the key's own value and in the sum. Changing each key alone would judge the rule once per
# key, and each judging reads every key: quadratic. Instead every key's value is given as
# `Own`: in the world where that key's input moves by x it is a `Ratio` in x, in every other
# world it is the value now. Element by element, values stay `Own`; a sum over keys becomes
# `Summed`, the same sum in every world but for one term; anything else that mixes worlds is
# `Across`, worked out for a world when it is read. One judging of the rule then gives each
# key's margins in its own world (`in_world`). Whatever a ratio of lines cannot follow raises
# `NotLinear`, as for `Ratio`.

# Worlds combined lazily deeper than this (an aggregate of values that are themselves sums,
# say) would cost as much per key as judging the key alone: the keys are worked out alone.
MOST_NESTED = 32


class World(Symbolic):
    """A value that depends on which key's input moves."""

    __slots__ = ()
    depth = 0

    def in_world(self, key: str) -> Any:
        """The value where `key`'s input moves by x: a `Ratio`, or a number x does not move."""
        raise NotImplementedError

    def __add__(self, other: Any) -> Any:
        return _across_worlds(self, other, add)

    def __radd__(self, other: Any) -> Any:
        return _across_worlds(other, self, add)

    def __sub__(self, other: Any) -> Any:
        return _across_worlds(self, other, subtract)

    def __rsub__(self, other: Any) -> Any:
        return _across_worlds(other, self, subtract)

    def __mul__(self, other: Any) -> Any:
        return _across_worlds(self, other, multiply)

    def __rmul__(self, other: Any) -> Any:
        return _across_worlds(other, self, multiply)

    def __truediv__(self, other: Any) -> Any:
        return _across_worlds(self, other, _divided)

    def __rtruediv__(self, other: Any) -> Any:
        return _across_worlds(other, self, _divided)

    def __neg__(self) -> Any:
        return _across_worlds(0, self, subtract)

    def __pos__(self) -> Any:
        return self

    _branches = Ratio._branches
    __lt__ = __le__ = __gt__ = __ge__ = _branches
    __eq__ = __ne__ = _branches
    __bool__ = __abs__ = __hash__ = __round__ = _branches
    __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = __pow__ = __rpow__ = _branches
    as_integer_ratio = __int__ = __float__ = __trunc__ = __floor__ = __ceil__ = _branches


class Own(World):
    """One key's value: `line` in the world where the key's own input moves, and `line` at
    no change (`still`) in every other."""

    __slots__ = ("_still", "key", "line")

    def __init__(self, key: str, line: Any) -> None:
        self.key, self.line = key, line
        self._still: Any = None

    def __repr__(self) -> str:
        return f"Own({self.key!r}, {self.line!r})"

    @property
    def still(self) -> Any:
        if self._still is None:
            self._still = _at_rest(self.line)
        return self._still

    def in_world(self, key: str) -> Any:
        return self.line if key == self.key else self.still


class Summed(World):
    """`base` in every world, plus one term's change in the world of its key: a sum over
    keys. Each term is added in constant time (the terms are a chain), so a sum over n keys
    costs n steps; the changes are gathered by key when first read."""

    __slots__ = ("_changes", "_terms", "base")

    def __init__(self, base: Any, terms: _Terms | None) -> None:
        self.base, self._terms = base, terms
        self._changes: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"Summed({self.base!r}, {self.changes()!r})"

    def plus(self, term: Own, op: Any) -> Summed:
        change = subtract(term.line, term.still)
        return Summed(op(self.base, term.still), (term.key, op(0, change), self._terms))

    def changes(self) -> dict[str, Any]:
        if self._changes is None:
            changes: dict[str, Any] = {}
            terms = self._terms
            while terms is not None:
                key, change, terms = terms
                changes[key] = add(changes[key], change) if key in changes else change
            self._changes = changes
        return self._changes

    def in_world(self, key: str) -> Any:
        change = self.changes().get(key)
        return self.base if change is None else add(self.base, change)


_Terms = tuple[str, Any, Any]  # (key, change, the terms before)


class Across(World):
    """`op(left, right)` of two values that depend on the world, worked out per world."""

    __slots__ = ("depth", "left", "op", "right")

    def __init__(self, op: Any, left: Any, right: Any) -> None:
        self.op, self.left, self.right = op, left, right
        self.depth = 1 + max(_depth(left), _depth(right))
        if self.depth > MOST_NESTED:
            raise NotLinear("values mixed across keys too many times over")

    def in_world(self, key: str) -> Any:
        return self.op(in_world(self.left, key), in_world(self.right, key))


def in_world(value: Any, key: str) -> Any:
    """`value` where `key`'s input moves: itself unless it depends on the world."""
    return value.in_world(key) if isinstance(value, World) else value


def _depth(value: Any) -> int:
    return value.depth if isinstance(value, World) else 0


def _across_worlds(left: Any, right: Any, op: Any) -> Any:
    """`op(left, right)`, at least one of them a `World`: kept as `Own` element by element,
    as `Summed` for a sum over keys, otherwise `Across`."""
    if not (_is_term(left) and _is_term(right)):
        return NotImplemented
    if left.__class__ is Own:
        if right.__class__ is Own:
            if right.key == left.key:
                return Own(left.key, op(left.line, right.line))
            if op is add or op is subtract:
                return Summed(0, None).plus(left, add).plus(right, op)
        elif isinstance(right, _NUMBERS):
            return Own(left.key, op(left.line, right))
        elif right.__class__ is Summed and op is add:
            return right.plus(left, add)
    elif left.__class__ is Summed:
        if right.__class__ is Own and (op is add or op is subtract):
            return left.plus(right, op)
        if isinstance(right, _NUMBERS) and (op is add or op is subtract):
            return Summed(op(left.base, right), left._terms)
    elif isinstance(left, _NUMBERS):
        if right.__class__ is Own:
            return Own(right.key, op(left, right.line))
        if right.__class__ is Summed and op is add:
            return Summed(add(left, right.base), right._terms)
    return Across(op, left, right)


def _is_term(value: Any) -> bool:
    return isinstance(value, World | int | Decimal | Fraction) and not isinstance(value, bool)


def _at_rest(line: Any) -> Any:
    """A line's value at no change."""
    if line.__class__ is not Ratio:
        return line
    if line.q0 == 0:
        raise NotLinear("undefined at the value now")
    return whole_if_possible(Fraction(as_fraction(line.p0)) / as_fraction(line.q0))


def _divided(left: Any, right: Any) -> Any:
    if isinstance(right, _NUMBERS) and right == 0:
        raise NotLinear("divided by zero")
    if isinstance(left, _NUMBERS) and isinstance(right, _NUMBERS):
        return whole_if_possible(Fraction(as_fraction(left)) / as_fraction(right))
    return left / right
