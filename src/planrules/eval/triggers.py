"""A compiled trigger: its condition at every period, held as `for` asks, and fired, cooling
or quiet as its cooldown allows, per key where it is `per`.
"""

from __future__ import annotations

import bisect
import collections
import itertools
import operator
from itertools import compress, repeat
from typing import Any

from planrules.eval.compile import ExpressionCompiler
from planrules.eval.frame import Frame
from planrules.eval.rules import Moment, WhatItTakes, keyed_metrics, location
from planrules.eval.values import Keyed, Unknown, at_key
from planrules.lang import syntax as s
from planrules.lang.exprcheck import read_through_statuses
from planrules.lang.messages import Message
from planrules.report.model import Result, Row

NO_SNAPSHOTS = Unknown(Message("no snapshots"))
NOBODY: frozenset[str | None] = frozenset()
THE_WHOLE: frozenset[str | None] = frozenset((None,))  # the one key of an unkeyed trigger


class Walk:
    """A trigger walked through the periods of one frame, up to `through`: at each period,
    the keys at which its condition held, and those at which it fired or was cooling. Each
    period is worked out for every key at once, with set operations, and once per frame:
    a replay goes on from where the last period stopped. An unkeyed trigger has the one key
    None."""

    __slots__ = (
        "conditions",
        "cooling",
        "fired",
        "frame",
        "held",
        "last_whole",
        "positions",
        "rule",
        "through",
    )

    def __init__(self, rule: TriggerRule, frame: Frame) -> None:
        self.rule = rule
        self.frame = frame
        self.positions: list[int] = []
        self.conditions: list[Any] = []
        # By position; a position without a snapshot has none: nothing held or fired there.
        self.held: dict[int, frozenset[str | None]] = {}
        self.fired: dict[int, frozenset[str | None]] = {}
        self.cooling: dict[int, frozenset[str | None]] = {}
        self.through = -1  # the current period walked to; positions count from 0
        self.last_whole: int | None = None  # where an unkeyed trigger last fired

    def go_to(self, current: int) -> None:
        """Walk on to `current`, period by period."""
        frame, rule = self.frame, self.rule
        every = frame.positions
        ahead = every[len(self.positions) : bisect.bisect_right(every, current)]
        if ahead:
            conditions = [rule.condition(frame, position) for position in ahead]
            self.positions.extend(ahead)
            self.conditions.extend(conditions)
            if rule.trigger.per is None:
                self.walk_whole(ahead, conditions)
            else:
                self.walk_keys(ahead, conditions)
        self.through = current

    def walk_keys(self, ahead: list[int], conditions: list[Any]) -> None:
        """The periods `ahead` walked for every key at once, with set operations."""
        held, fired, cooling = self.held, self.fired, self.cooling
        cooldown = self.rule.cooldown
        for position, condition in zip(ahead, conditions, strict=True):
            held[position] = self.held_at(position, condition)
            met = self.met(position)
            recent = self.fired_within(position - cooldown, position) if cooldown else NOBODY
            if recent:
                fired[position], cooling[position] = met - recent, met & recent
            else:
                fired[position] = met

    def walk_whole(self, ahead: list[int], conditions: list[Any]) -> None:
        """The periods `ahead` of an unkeyed trigger, whose one key is None: what `walk_keys`
        works out with sets, worked out by counting (the sets are THE_WHOLE or NOBODY)."""
        held, fired, cooling = self.held, self.fired, self.cooling
        rule = self.rule
        backs, hold, cooldown = rule.backs, rule.hold, rule.cooldown
        for position, condition in zip(ahead, conditions, strict=True):
            held[position] = THE_WHOLE if condition is True else NOBODY
            # `for N periods` holds in all N, `for N of M` in N of M, plain in the current one.
            count = 0
            for back in backs:
                if held.get(position - back):
                    count += 1
            met = count >= hold
            # Fired within the cooldown: in a period from `position - cooldown` on.
            last = self.last_whole
            if last is not None and last >= position - cooldown:
                fired[position] = NOBODY
                cooling[position] = THE_WHOLE if met else NOBODY
            elif met:
                fired[position] = THE_WHOLE
                self.last_whole = position
            else:
                fired[position] = NOBODY

    def held_at(self, position: int, condition: Any) -> frozenset[str | None]:
        """The keys at which the condition holds at `position`; before a key's first period
        it never counts as held."""
        per = self.rule.trigger.per
        if per is None:
            return THE_WHOLE if condition is True else NOBODY
        existing = self.frame.life(per).existing(position)
        if not isinstance(condition, Keyed):
            return frozenset(existing) if condition is True else NOBODY
        values = condition.values
        true = set(compress(values, map(operator.is_, values.values(), repeat(True))))
        if condition.missing is True:
            true.update(existing - values.keys())
        return frozenset(true & existing)

    def met(self, position: int) -> frozenset[str | None]:
        """The keys at which the condition held as `for` asks: in each of the last N periods,
        or (`for N of M`) in at least N of the last M, the current one need not be among
        them, as the contract words it."""
        rule, held = self.rule, self.held
        looked = [held.get(position - back, NOBODY) for back in rule.backs]
        if len(looked) == 1:
            return looked[0]
        if rule.hold == rule.looks_back:
            return looked[0].intersection(*looked[1:])
        if rule.hold == 1:
            return looked[0].union(*looked[1:])
        counts = collections.Counter(itertools.chain.from_iterable(looked))
        return frozenset(key for key, count in counts.items() if count >= rule.hold)

    def fired_within(self, start: int, end: int) -> frozenset[str | None]:
        """The keys that fired in a period from `start` up to, not including, `end`."""
        fired = self.fired
        recent = [fired[p] for p in range(max(start, 0), end) if p in fired]
        if len(recent) <= 1:
            return recent[0] if recent else NOBODY
        return recent[0].union(*recent[1:])

    def state_at(self, position: int, key: str | None) -> str:
        """Fired, cooling or quiet, as walked; the condition at `position` aside."""
        if key in self.fired.get(position, NOBODY):
            return "fired"
        return "cooling" if key in self.cooling.get(position, NOBODY) else "quiet"

    def held_through(self, key: str | None, current: int) -> list[int]:
        return [p for p in self.positions if p <= current and key in self.held[p]]

    def last_fired(self, key: str | None, before: int) -> int | None:
        """The last period before `before` in which the trigger fired at `key`."""
        end = bisect.bisect_left(self.positions, before)
        for position in reversed(self.positions[:end]):
            if key in self.fired[position]:
                return position
        return None


def _unknown_at(condition: Any, keys: list[str | None]) -> list[int]:
    """The indexes of the keys at which `condition` is unknown."""
    if not isinstance(condition, Keyed):
        return list(range(len(keys))) if condition.__class__ is Unknown else []
    values, missing = condition.values, condition.missing
    unknown: set[str | None] = {k for k, value in values.items() if value.__class__ is Unknown}
    if missing.__class__ is Unknown:
        unknown.update(key for key in keys if key is not None and key not in values)
    if not unknown:
        return []
    return [index for index, key in enumerate(keys) if key in unknown]


class TriggerRule:
    kind = "trigger"

    def __init__(self, trigger: s.Trigger, compiler: ExpressionCompiler) -> None:
        self.trigger = trigger
        self.name = trigger.name
        self.condition = compiler.compile(trigger.condition)
        self.hold = int(trigger.hold.value) if trigger.hold is not None else 1
        self.window = int(trigger.window.value) if trigger.window is not None else None
        self.cooldown = int(trigger.cooldown.value) if trigger.cooldown is not None else 0
        self.looks_back = self.window or self.hold  # the periods `for` looks at
        self.backs = tuple(range(self.looks_back))
        self.severity = trigger.severity or "warn"
        self.location = location(trigger.span)
        # A status read at each key brings the keys of the rule it reads.
        read = read_through_statuses([trigger.condition], compiler.scope)
        self.key_metrics = keyed_metrics(read, compiler.scope, trigger.per) if trigger.per else []

    def walk(self, moment: Moment) -> Walk:
        """The trigger walked to the current period. The walk is kept in the frame and goes on
        from where it stopped, so that a replay walks each period once."""
        frame = moment.frame
        walk = frame.walks.get(self)
        if walk is None or walk.through > moment.current:
            walk = frame.walks[self] = Walk(self, frame)
        walk.go_to(moment.current)
        return walk

    def rows(self, moment: Moment) -> list[Row]:
        """A row (self, key, state, moment, walk, reason) per key at the current period; its
        result, which names every period held so far, is made only when read. The state is
        unknown where the condition is unknown now."""
        walk = self.walk(moment)
        condition = walk.conditions[-1] if walk.conditions else NO_SNAPSHOTS
        return self._rows(moment, walk, condition)

    def rows_at(self, moment: Moment) -> list[Row]:
        """The rows as `rows` makes them, read from a walk already past the moment's period
        where there is one (another trigger reading this one's status at an earlier period
        does not make it walk again from the start)."""
        walk = moment.frame.walks.get(self)
        current = moment.current
        if walk is None or walk.through <= current:
            return self.rows(moment)
        index = bisect.bisect_right(walk.positions, current) - 1
        condition = walk.conditions[index] if index >= 0 else NO_SNAPSHOTS
        return self._rows(moment, walk, condition)

    def _rows(self, moment: Moment, walk: Walk, condition: Any) -> list[Row]:
        current = moment.current
        fired = walk.fired.get(current, NOBODY)
        cooling = walk.cooling.get(current, NOBODY)
        keys: list[str | None] = (
            [None] if self.trigger.per is None else list(moment.keys(self.key_metrics))
        )
        states = {key: "cooling" for key in cooling}
        states.update(dict.fromkeys(fired, "fired"))
        rows = [(self, key, states.get(key, "quiet"), moment, walk, None) for key in keys]
        for index in _unknown_at(condition, keys):
            reason = at_key(condition, keys[index]).reason
            rows[index] = (self, keys[index], "unknown", moment, walk, reason)
        return rows

    def looked_at(self, position: int) -> list[int]:
        """The periods `for` looks at for `position`, earliest first."""
        return [position - back for back in reversed(self.backs)]

    def made(self, row: Row, _solve: WhatItTakes) -> Result:
        _, key, status, moment, walk, reason = row
        held = walk.held_through(key, moment.current)
        last_fired = walk.last_fired(key, moment.current + 1)
        return Result(
            rule=self.trigger.name,
            kind="trigger",
            key=key,
            status=status,
            value=None,
            owner=self.trigger.owner,
            location=self.location,
            reason=reason,
            severity=self.severity,
            held=tuple(moment.label(p) for p in held),
            last_fired=moment.label(last_fired) if last_fired is not None else None,
        )
