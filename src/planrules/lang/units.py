"""The unit algebra the checker applies before anything runs.

A value's type is its unit (count, money, ratio, number, or bool for conditions), the dimension
it is keyed by (None for a scalar), and whether it is a bare literal, which takes the other
side's unit in `+ -` and comparisons and is a plain number in `* /`.
"""

from __future__ import annotations

import attrs

from planrules.lang.messages import Message

UNITS = ("count", "money", "ratio", "number")
BOOL = "bool"


@attrs.frozen
class Type:
    unit: str
    dimension: str | None = None
    literal: bool = False

    @property
    def keyed(self) -> bool:
        return self.dimension is not None

    def scalar(self) -> Type:
        return attrs.evolve(self, dimension=None)


# A value keyed by two dimensions is keyed by one name, its dimensions joined (`cua_hang,
# kenh`), and each of its keys is the two keys joined (`HCM1 / facebook`), as reports print it.
DIMENSION_SEPARATOR = ", "
KEY_SEPARATOR = " / "


def joined_dimensions(parts: tuple[str, ...]) -> str:
    return DIMENSION_SEPARATOR.join(parts)


def dimension_parts(dimension: str) -> tuple[str, ...]:
    return tuple(dimension.split(DIMENSION_SEPARATOR))


class UnitError(Exception):
    """A combination of units the language forbids; the message says why."""


def describe(unit: str) -> str:
    return "a condition (true or false)" if unit == BOOL else unit


def additive(op: str, left: Type, right: Type) -> str:
    """The unit of `left op right` for + and -, or of the sides of a comparison."""
    if BOOL in (left.unit, right.unit):
        raise UnitError(
            Message(
                "`{op}` needs numbers on both sides, not {side}",
                op=op,
                side=_bool_side(left, right),
            )
        )
    if left.literal and not right.literal:
        return right.unit
    if right.literal and not left.literal:
        return left.unit
    if left.unit == right.unit:
        return left.unit
    if "money" in (left.unit, right.unit):
        return _money_mismatch(left, right, op)
    return "number"


def _money_mismatch(left: Type, right: Type, op: str) -> str:
    other = right.unit if left.unit == "money" else left.unit
    if op == "+":
        raise UnitError(Message("money cannot be added to a {other} value", other=other))
    if op == "-":
        raise UnitError(Message("money cannot be subtracted with a {other} value", other=other))
    raise UnitError(Message("money cannot be compared with a {other} value", other=other))


def multiplicative(op: str, left: Type, right: Type) -> str:
    """The unit of `left * right` or `left / right`; literals count as plain numbers."""
    if BOOL in (left.unit, right.unit):
        raise UnitError(
            Message(
                "`{op}` needs numbers on both sides, not {side}",
                op=op,
                side=_bool_side(left, right),
            )
        )
    a = "number" if left.literal else left.unit
    b = "number" if right.literal else right.unit
    if op == "*":
        return _product(a, b)
    return _quotient(a, b)


def _product(a: str, b: str) -> str:
    if a == b == "money":
        raise UnitError(
            Message("money times money has no meaning; divide one by the other for a ratio")
        )
    if "money" in (a, b):
        return "money"
    if a == b:
        return a
    if {a, b} == {"count", "ratio"}:
        return "count"
    return "number"


def _quotient(a: str, b: str) -> str:
    if a == b:
        return "ratio"
    if a == "money":
        return "money"
    return "number"


def _bool_side(left: Type, right: Type) -> str:
    return Message("a condition") if BOOL in (left.unit, right.unit) else Message("this")


def join_dimensions(left: Type, right: Type) -> str | None:
    """Element-wise arithmetic over keyed values: one dimension at most."""
    if left.dimension and right.dimension and left.dimension != right.dimension:
        raise UnitError(
            Message(
                "values keyed by {left} and by {right} cannot be combined",
                left=left.dimension,
                right=right.dimension,
            )
        )
    return left.dimension or right.dimension
