"""The functions of the language compiled to closures: aggregates over keys, and history
functions over periods, which respect the life of keys (`planrules.eval.lifetimes`).

A keyed value is worked on whole; the life of keys changes it only for the few keys that
come into being inside the periods a function reads, so the usual value, whose keys all
existed already, costs one look-up of the keys new in those periods.
"""

from __future__ import annotations

import decimal
import operator
from collections.abc import Callable, Sequence
from typing import Any

from planrules.eval.frame import Compiled, Frame
from planrules.eval.lifetimes import KeyLife
from planrules.eval.values import (
    Keyed,
    Unknown,
    add,
    at_key,
    before_first,
    divide_or_unknown,
    extreme_of,
    lift,
    lift1,
    lift_many,
    multiply,
    subtract,
    sum_of,
)
from planrules.lang.messages import Message

# ---- aggregates over keys ------------------------------------------------------------------


def aggregate(name: str, arg: Compiled, dimension: str | None) -> Compiled:
    """`sum`, `avg`, `count`, `min` or `max` over the keys that exist at the position: a key
    absent from a flow counts as 0, as a flow's absent key is; where an absent key has no
    value (a ratio, number or stock), it is left out."""
    summarise = _SUMMARIES[name]

    def apply(frame: Frame, position: int) -> Any:
        value = arg(frame, position)
        if not isinstance(value, Keyed):
            return value
        if dimension is None:
            return summarise(list(value.values.values()))
        return summarise(_existing_values(value, frame.life(dimension).existing(position)))

    return apply


def _existing_values(value: Keyed, existing: frozenset[str]) -> list[Any]:
    """The values of the keys that exist; a key that did not exist yet in a period a history
    function read (`sum(previous(x))`) is left out, as it was no key of that period."""
    values = value.values
    if values.keys() == existing:
        found = list(values.values())  # the usual case: every key there, and no other
    elif isinstance(value.missing, Unknown):
        found = [values[key] for key in existing if key in values]
    else:
        found = [values.get(key, value.missing) for key in existing]
    if Unknown not in set(map(type, found)):
        return found
    return [v for v in found if not (isinstance(v, Unknown) and before_first(v.reason))]


_AVERAGE_OF_NONE = Message("an average over no keys")
_SMALLEST_OF_NONE = Message("the smallest of no keys")
_LARGEST_OF_NONE = Message("the largest of no keys")
_EXTREME_OF_NONE = Message("no values")
_AVERAGE_OVER_NO_PERIODS = Message("no periods")


def _average(values: list[Any]) -> Any:
    if not values:
        return Unknown(_AVERAGE_OF_NONE)
    return divide_or_unknown(sum_of(values), len(values), lambda: _AVERAGE_OF_NONE)


def _count(values: list[Any]) -> Any:
    return len(values)


def _smallest(values: list[Any]) -> Any:
    return extreme_of(values, min, _SMALLEST_OF_NONE)


def _largest(values: list[Any]) -> Any:
    return extreme_of(values, max, _LARGEST_OF_NONE)


_SUMMARIES: dict[str, Callable[[list[Any]], Any]] = {
    "sum": sum_of,
    "avg": _average,
    "count": _count,
    "min": _smallest,
    "max": _largest,
}


def extremes(pick: Callable[..., Any], args: list[Compiled]) -> Compiled:
    def scalar(values: list[Any]) -> Any:
        return extreme_of(values, pick, _EXTREME_OF_NONE)

    def apply(frame: Frame, position: int) -> Any:
        return lift_many(scalar, [arg(frame, position) for arg in args])

    return apply


# ---- history functions ---------------------------------------------------------------------


def periods_read(function: str, count: int, position: int, window_start: int) -> range:
    """The periods a history function reads at `position`, earliest first: `total` the
    window's through `position`, `previous` the one `count` back, `change` and `growth` the
    one before and this one, the rolling functions the last `count`. The closures below read
    these (a key only those since its first period), and an explanation lists them."""
    if function == "total":
        return range(window_start, position + 1)
    if function == "previous":
        return range(position - count, position - count + 1)
    if function in ("change", "growth"):
        return range(position - 1, position + 1)
    return range(position - count + 1, position + 1)


def plus(a: Any, b: Any) -> Any:
    try:
        return lift(operator.add, a, b)
    except (TypeError, decimal.DecimalException):
        return lift(add, a, b)


def total(
    slots: tuple[int, int | None],
    subject: Compiled,
    keyed: bool,
    dimension: str | None,
    varies: bool,
) -> Compiled:
    """The window's sum through a position; reuses the sum through the position before.
    `varies`: the subject reads the snapshots (see `summands`). With a `dimension`, keys that
    come into being inside the window are summed over their own periods (`_since_first`),
    memoised in the second slot apart from the plain sum, which the next position builds on."""
    zero: Any = Keyed({}, 0) if keyed else 0
    over = summands(subject, varies)
    sum_slot, own_slot = slots

    def plain_sum(frame: Frame, position: int) -> Any:
        memo = frame.memo
        key = (sum_slot, position)
        if key in memo:
            return memo[key]
        start = frame.window_start
        before = memo.get((sum_slot, position - 1))
        if position < start:
            running = zero
        elif before is not None and position > start:
            running = _plus_unless_unknown(before, subject(frame, position))
        else:
            running = sum_over_periods(over(frame, periods_read("total", 0, position, start)))
        memo[key] = running
        return running

    if dimension is None or own_slot is None:
        return plain_sum

    def with_own_sums(frame: Frame, position: int) -> Any:
        memo = frame.memo
        key = (own_slot, position)
        if key in memo:
            return memo[key]
        running = plain_sum(frame, position)
        start = frame.window_start
        if position >= start:
            running = _since_first(frame, dimension, subject, over, running, start, position)
        memo[key] = running
        return running

    return with_own_sums


def _plus_unless_unknown(before: Any, value: Any) -> Any:
    """The sum through a position from the sum through the one before, as `sum_over_periods`
    has it: its first unknown, whole (an unknown is not added key by key)."""
    if before.__class__ is Unknown:
        return before
    if value.__class__ is Unknown:
        return value
    return plus(before, value)


Summands = Callable[[Frame, range], list[Any]]


def summands(subject: Compiled, varies: bool) -> Summands:
    """Values whose sum is the sum of `subject` over some periods.

    They stop at the first unknown, which is the sum: a window of centuries of daily periods
    with a few snapshots costs as many values as it has snapshots, since a gap is unknown. A
    subject that reads no snapshot (`varies` false) is the same in every period, gap or not:
    its one summand is its value times the number of periods.
    """
    if not varies:

        def repeated(frame: Frame, periods: range) -> list[Any]:
            return [lift(multiply, subject(frame, periods.start), len(periods))]

        return repeated

    def in_order(frame: Frame, periods: range) -> list[Any]:
        values = []
        for position in periods:
            value = subject(frame, position)
            values.append(value)
            if value.__class__ is Unknown:
                break
        return values

    return in_order


def sum_over_periods(values: list[Any]) -> Any:
    """The sum of one value over several periods; keyed values are summed key by key.

    While the periods list their keys in one order, the running sums stay a plain list
    (no dict is built per period); the keyed result is made once at the end.
    """
    unknown = next((v for v in values if isinstance(v, Unknown)), None)
    if unknown is not None:
        return unknown
    first = values[0]
    if not isinstance(first, Keyed):
        running = first
        for value in values[1:]:
            running = plus(running, value)
        return running
    keys = list(first.values)
    sums = list(first.values.values())
    missing = first.missing
    for position, value in enumerate(values[1:], start=1):
        if len(value.values) != len(keys) or not all(map(operator.eq, keys, value.values)):
            running = Keyed(dict(zip(keys, sums, strict=True)), missing)
            for later in values[position:]:
                running = plus(running, later)
            return running
        try:
            sums = list(map(operator.add, sums, value.values.values()))
        except (TypeError, decimal.DecimalException):
            sums = list(map(add, sums, value.values.values()))
        missing = plus(missing, value.missing)
    return Keyed(dict(zip(keys, sums, strict=True)), missing)


def _since_first(
    frame: Frame,
    dimension: str,
    subject: Compiled,
    over: Summands,
    summed: Any,
    first: int,
    through: int,
) -> Any:
    """`summed`, the sum of `subject` over the periods `first` through `through`, with each
    key that comes into being after `first` summed over its own periods only.

    Before its first period a key is absent: a flow's absent key is 0, so its sum is right
    already unless a period before it holds no value for it (a gap in the history, or an
    absent key with no value); only those keys are summed again.
    """
    life = frame.life(dimension)
    sums: dict[str, Any] = {}
    for appears, keys in life.groups_after(first, through):
        if all(_nothing_for(keys, subject(frame, p)) for p in range(first, appears)):
            continue
        values = over(frame, range(appears, through + 1))
        for key in keys:
            sums[key] = _sum_at(values, key)
    return _with_values(summed, sums, life, through)


def _nothing_for(keys: Sequence[str], value: Any) -> bool:
    """Whether `value` adds nothing to these keys: absent from it, as a flow's 0."""
    if not isinstance(value, Keyed):
        return False
    missing, values = value.missing, value.values
    zero = missing.__class__ is not Unknown and missing == 0
    return zero and not any(key in values for key in keys)


def _sum_at(values: Sequence[Any], key: str) -> Any:
    running = at_key(values[0], key)
    for value in values[1:]:
        running = plus(running, at_key(value, key))
    return running


def _with_values(value: Any, values: dict[str, Any], life: KeyLife, position: int) -> Any:
    """`value` with these keys' values given anew. An unknown whole (a gap) stays the value
    of every other key that exists at `position`, written out: an aggregate or a budget
    reading them must meet it, not take it for the absent key of a ratio, left out."""
    if not values:
        return value
    if isinstance(value, Keyed):
        return Keyed({**value.values, **values}, value.missing)
    return Keyed({**dict.fromkeys(life.existing(position), value), **values}, value)


def _read_earlier(
    frame: Frame, dimension: str | None, value: Any, read_at: int, position: int
) -> Any:
    """`value`, read at `read_at` for the period `position`, unknown for the keys that come
    into being after `read_at`: before its first period a key has no history."""
    if dimension is None:
        return value
    life = frame.life(dimension)
    new = {
        key: life.not_yet(key) for _, keys in life.groups_after(read_at, position) for key in keys
    }
    return _with_values(value, new, life, position)


def _period_before(frame: Frame, dimension: str | None, subject: Compiled, position: int) -> Any:
    return _read_earlier(frame, dimension, subject(frame, position - 1), position - 1, position)


def previous(subject: Compiled, count: int, dimension: str | None) -> Compiled:
    def previous_value(frame: Frame, position: int) -> Any:
        read_at = position - count
        return _read_earlier(frame, dimension, subject(frame, read_at), read_at, position)

    return previous_value


def change(subject: Compiled, dimension: str | None) -> Compiled:
    def changed(frame: Frame, position: int) -> Any:
        now = subject(frame, position)
        before = _period_before(frame, dimension, subject, position)
        try:
            return lift(operator.sub, now, before)
        except (TypeError, decimal.DecimalException):
            return lift(subtract, now, before)

    return changed


def growth(subject: Compiled, text: str, dimension: str | None) -> Compiled:
    def grown(frame: Frame, position: int) -> Any:
        def reason() -> str:
            return Message(
                "growth of `{expression}`: it was 0 in {period}",
                expression=text,
                period=frame.label(position - 1),
            )

        def grow(now: Any, before: Any) -> Any:
            return subtract(divide_or_unknown(now, before, reason), 1)

        before = _period_before(frame, dimension, subject, position)
        return lift(grow, subject(frame, position), before)

    return grown


def rolling_sum(subject: Compiled, count: int, dimension: str | None, varies: bool) -> Compiled:
    over = summands(subject, varies)

    def rolling(frame: Frame, position: int) -> Any:
        periods = periods_read("rolling_sum", count, position, frame.window_start)
        running = sum_over_periods(over(frame, periods))
        if dimension is not None:
            running = _since_first(
                frame, dimension, subject, over, running, periods.start, position
            )
        return running

    return rolling


def per_period(rolling: Compiled, count: int, dimension: str | None) -> Compiled:
    """The rolling average: the rolling sum over its periods, for a key that came into being
    inside them, over the periods since."""

    def average(frame: Frame, position: int) -> Any:
        summed = rolling(frame, position)
        averaged = lift1(lambda value: _divided(value, count), summed)
        if dimension is None or not isinstance(summed, Keyed):
            return averaged
        life = frame.life(dimension)
        since = {
            key: _divided(at_key(summed, key), position - appears + 1)
            for appears, keys in life.groups_after(position - count + 1, position)
            for key in keys
        }
        return _with_values(averaged, since, life, position)

    return average


def _divided(value: Any, count: int) -> Any:
    return divide_or_unknown(value, count, lambda: _AVERAGE_OVER_NO_PERIODS)
