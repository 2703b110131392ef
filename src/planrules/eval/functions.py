"""The functions of the language compiled to closures: aggregates over keys, and history
functions over periods, which respect the life of keys (`planrules.eval.lifetimes`).

A keyed value is worked on whole; the life of keys changes it only for the few keys that
come into being inside the periods a function reads, so the usual value, whose keys all
existed already, costs one look-up of the keys new in those periods.
"""

from __future__ import annotations

import datetime
import decimal
import itertools
import operator
from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from planrules.eval.frame import Compiled, Frame
from planrules.eval.lifetimes import KeyLife
from planrules.eval.values import (
    Keyed,
    Unknown,
    add,
    as_fraction,
    at_key,
    before_first,
    divide_or_unknown,
    extreme_of,
    first_unknown,
    lift,
    lift1,
    lift_many,
    multiply,
    subtract,
    sum_of,
    whole_if_possible,
)
from planrules.lang.messages import Message
from planrules.lang.periods import (
    Period,
    PeriodError,
    next_period,
    parse_period,
    period_containing,
    period_offset,
)

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


_NO_VALUES = Message("no values")
_HALF = Decimal("0.5")


def percentile_of(values: list[Any], fraction: Decimal) -> Any:
    """The value below which `fraction` of the values lie, between the two nearest where it
    falls between them (the values sorted, at (n - 1) x fraction, as a spreadsheet's
    PERCENTILE.INC has it): exact, as every value is."""
    if not values:
        return Unknown(_NO_VALUES)
    unknown = first_unknown(values)
    if unknown is not None:
        return unknown
    ordered = sorted(values, key=as_fraction)
    place = Fraction(len(ordered) - 1) * Fraction(fraction)
    below = int(place)
    part = place - below
    if part == 0:
        return ordered[below]
    low, high = as_fraction(ordered[below]), as_fraction(ordered[below + 1])
    return whole_if_possible(low + (high - low) * part)


def _median(values: list[Any]) -> Any:
    return percentile_of(values, _HALF)


_SUMMARIES: dict[str, Callable[[list[Any]], Any]] = {
    "sum": sum_of,
    "avg": _average,
    "count": _count,
    "min": _smallest,
    "max": _largest,
    "median": _median,
}


def percentile(arg: Compiled, fraction: Decimal, dimension: str | None) -> Compiled:
    """`percentile(x, P%)` over the keys that exist, as `aggregate` reads them."""

    def apply(frame: Frame, position: int) -> Any:
        value = arg(frame, position)
        if not isinstance(value, Keyed):
            return value
        found = _existing_items(frame, value, dimension, position)
        return percentile_of(list(found.values()), fraction)

    return apply


def rank(arg: Compiled, ascending: bool, dimension: str | None) -> Compiled:
    """Each existing key's place among them: 1 for the largest (the smallest, `ascending`),
    ties in key order, so that the ranks are 1 to the number of keys. Where any key's value
    is unknown, every rank is: that key could stand anywhere."""

    def apply(frame: Frame, position: int) -> Any:
        value = arg(frame, position)
        if not isinstance(value, Keyed):
            return value
        items = _existing_items(frame, value, dimension, position)
        unknown = first_unknown(items.values())
        if unknown is not None:
            return Keyed({}, unknown)
        by_key = sorted(items)
        sign = 1 if ascending else -1
        # Sorting is stable: keys of equal value stay in key order.
        order = sorted(by_key, key=lambda key: sign * as_fraction(items[key]))
        return Keyed({key: place for place, key in enumerate(order, start=1)}, Unknown(_NO_RANK))

    return apply


_NO_RANK = Message("a key with no value this period has no rank")


def share(arg: Compiled, dimension: str | None) -> Compiled:
    """Each existing key's part of the sum over the keys."""

    def apply(frame: Frame, position: int) -> Any:
        value = arg(frame, position)
        if not isinstance(value, Keyed):
            return value
        items = _existing_items(frame, value, dimension, position)
        whole = sum_of(list(items.values()))
        if isinstance(whole, Unknown):
            return Keyed({}, whole)

        def reason() -> str:
            return Message("the keys sum to 0 in {period}", period=frame.label(position))

        parts = {key: divide_or_unknown(part, whole, reason) for key, part in items.items()}
        return Keyed(parts, Unknown(_NO_SHARE))

    return apply


_NO_SHARE = Message("a key with no value this period has no share")


def regroup(arg: Compiled, key_map: Callable[[str], str], dimension: str | None) -> Compiled:
    """The existing keys' values summed by the key each maps to: `sum(x, kenh)` by store,
    `sum(x, team)` by team. A key mapped to by none is 0 where x is a flow (nothing
    happened there), else unknown."""

    def apply(frame: Frame, position: int) -> Any:
        value = arg(frame, position)
        if not isinstance(value, Keyed):
            return value
        groups: dict[str, list[Any]] = {}
        for key, part in _existing_items(frame, value, dimension, position).items():
            groups.setdefault(key_map(key), []).append(part)
        missing = value.missing
        absent = missing if missing.__class__ is Unknown or missing == 0 else Unknown(_NONE_MAPPED)
        return Keyed({key: sum_of(parts) for key, parts in groups.items()}, absent)

    return apply


_NONE_MAPPED = Message("no key of this one has a value this period")


def _existing_items(
    frame: Frame, value: Keyed, dimension: str | None, position: int
) -> dict[str, Any]:
    """The values of the keys that exist, by key, as `_existing_values` reads them."""
    values = value.values
    if dimension is None:
        return dict(values)
    existing = sorted(frame.life(dimension).existing(position))
    if isinstance(value.missing, Unknown):
        found = {key: values[key] for key in existing if key in values}
    else:
        found = {key: values.get(key, value.missing) for key in existing}
    return {
        key: v
        for key, v in found.items()
        if not (isinstance(v, Unknown) and before_first(v.reason))
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


Start = Callable[[Frame, int], int]  # the first position a sum reads for a position


def total(
    slots: tuple[int, int | None],
    subject: Compiled,
    keyed: bool,
    dimension: str | None,
    varies: bool,
    start_of: Start | None = None,
) -> Compiled:
    """The sum through a position from the window's start (or from `start_of` the position:
    a calendar quarter's or year's first period, a date's); reuses the sum through the
    position before where that starts at the same period.
    `varies`: the subject reads the snapshots (see `summands`). With a `dimension`, keys that
    come into being inside the window are summed over their own periods (`_since_first`),
    memoised in the second slot apart from the plain sum, which the next position builds on."""
    zero: Any = Keyed({}, 0) if keyed else 0
    over = summands(subject, varies)
    sum_slot, own_slot = slots

    def first(frame: Frame, position: int) -> int:
        return frame.window_start if start_of is None else start_of(frame, position)

    def plain_sum(frame: Frame, position: int) -> Any:
        memo = frame.memo
        key = (sum_slot, position)
        if key in memo:
            return memo[key]
        start = first(frame, position)
        before = memo.get((sum_slot, position - 1))
        if position < start:
            running = zero
        elif (
            before is not None
            and position > start
            and (start_of is None or start_of(frame, position - 1) == start)
        ):
            running = _plus_unless_unknown(before, subject(frame, position))
        else:
            running = sum_over_periods(over(frame, range(start, position + 1)))
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
        start = first(frame, position)
        if position >= start:
            running = _since_first(frame, dimension, subject, over, running, start, position)
        memo[key] = running
        return running

    return with_own_sums


# ---- calendar windows ----------------------------------------------------------------------


def _period_at(label: Callable[[int], str], position: int) -> Period | None:
    try:
        return parse_period(label(position))
    except PeriodError:
        return None  # a position past the calendar, which no snapshot has


def _anchor(period: Period) -> datetime.date:
    """The day that places a period in a quarter or year: a week's Thursday (as ISO weeks
    belong to the year of their Thursday), any other period's first day."""
    if period.cadence == "weekly":
        return period.start + datetime.timedelta(days=3)
    return period.start


def calendar_start(
    label: Callable[[int], str], position: int, window_start: int, window: str
) -> int:
    """The first position of the calendar `window` (quarter or year) that holds `position`,
    not before the plan's window: `total(x, quarter)` sums the quarter so far."""
    period = _period_at(label, position)
    if period is None:
        return window_start
    day = _anchor(period)
    month = 1 if window == "year" else 3 * ((day.month - 1) // 3) + 1
    opening = datetime.date(day.year, month, 1)
    first = period_containing(opening, period.cadence)
    if _anchor(first) < opening:
        first = next_period(first)
    return max(window_start, position - period_offset(first, period))


def date_start(label: Callable[[int], str], position: int, day: datetime.date) -> int:
    """The position of the period that holds `day`: `since(x, DAY)` sums from it (after
    `position` where the day is still to come: an empty sum)."""
    period = _period_at(label, position)
    if period is None:
        return position + 1
    return position - period_offset(period_containing(day, period.cadence), period)


def calendar_window(window: str) -> Start:
    def start(frame: Frame, position: int) -> int:
        return calendar_start(frame.label, position, frame.window_start, window)

    return start


def since_date(day: datetime.date) -> Start:
    def start(frame: Frame, position: int) -> int:
        return date_start(frame.label, position, day)

    return start


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


_WHOLE = {int}


def sum_over_periods(values: list[Any]) -> Any:
    """The sum of one value over several periods; keyed values are summed key by key.

    While the periods list their keys in one order, the running sums stay a plain list
    (no dict is built per period); the keyed result is made once at the end.
    """
    kinds = set(map(type, values))
    if kinds == _WHOLE:
        return sum(values)  # whole numbers, added in C as the loop below adds them
    if Unknown in kinds:
        return next(v for v in values if isinstance(v, Unknown))
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
            later = values[position:]
            if _whole_keyed([running, *later]):
                return _whole_union_sum(running, later)
            for each in later:
                running = plus(running, each)
            return running
        try:
            sums = list(map(operator.add, sums, value.values.values()))
        except (TypeError, decimal.DecimalException):
            sums = list(map(add, sums, value.values.values()))
        missing = plus(missing, value.missing)
    return Keyed(dict(zip(keys, sums, strict=True)), missing)


def _whole_keyed(values: list[Any]) -> bool:
    """Whether every value is keyed, holding whole numbers only, with a whole `missing`."""
    if set(map(type, values)) != _KEYED or set(map(type, (v.missing for v in values))) != _WHOLE:
        return False
    numbers = itertools.chain.from_iterable(value.values.values() for value in values)
    return set(map(type, numbers)) <= _WHOLE


_KEYED = {Keyed}


def _whole_union_sum(running: Keyed, later: list[Keyed]) -> Keyed:
    """What adding each of `later` to `running` in turn gives (`plus`: every key of either,
    in the order first seen, a key absent from one taking its `missing`), for whole numbers,
    whose sum does not depend on how it is grouped: one dict, no Keyed per period."""
    sums, missing = dict(running.values), running.missing
    for value in later:
        own, absent = value.values, value.missing
        merged = {key: total + own.get(key, absent) for key, total in sums.items()}
        for key, number in own.items():
            if key not in merged:
                merged[key] = missing + number
        sums, missing = merged, missing + absent
    return Keyed(sums, missing)


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


def rolling_sum(
    subject: Compiled, count: int, dimension: str | None, varies: bool, slot: int | None
) -> Compiled:
    """The sum of the last `count` periods; where they hold whole numbers only, from the sum
    at the position before (kept in the memo under `slot`, with whether its periods did too),
    as a replay or a trigger's walk reads it period after period. Without a slot (in an
    explanation, which records every value read) always from every period."""
    over = summands(subject, varies)

    def rolling(frame: Frame, position: int) -> Any:
        periods = periods_read("rolling_sum", count, position, frame.window_start)
        running = sum_over_periods(over(frame, periods))
        if dimension is not None:
            running = _since_first(
                frame, dimension, subject, over, running, periods.start, position
            )
        return running

    if dimension is not None or not varies or slot is None:
        return rolling

    def rolling_on(frame: Frame, position: int) -> Any:
        memo = frame.memo
        key = (slot, position)
        found = memo.get(key)
        if found is not None:
            return found[0]
        before = memo.get((slot, position - 1))
        if before is not None and before[1]:
            # The periods before held whole numbers only (the one that drops out among them).
            entering = subject(frame, position)
            if entering.__class__ is int:
                running = before[0] + entering - subject(frame, position - count)
                memo[key] = (running, True)
                return running
        values = over(frame, periods_read("rolling_sum", count, position, frame.window_start))
        running = sum_over_periods(values)
        memo[key] = (running, set(map(type, values)) == _WHOLE)
        return running

    return rolling_on


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
