"""A compiled trigger: its condition at every period, held as `for` asks, and fired, cooling
or quiet as its cooldown allows, per key where it is `per`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from planrules.eval.compile import ExpressionCompiler
from planrules.eval.rules import Moment, keyed_metrics, location, made_already
from planrules.eval.values import Unknown, at_key
from planrules.lang import syntax as s
from planrules.report.model import Result, Row


@attrs.frozen
class TriggerState:
    key: str | None
    state: str  # fired quiet cooling unknown
    held: tuple[int, ...]
    last_fired: int | None
    reason: str | None


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
        self.severity = trigger.severity or "warn"
        self.location = location(trigger.span)
        self.key_metrics = (
            keyed_metrics([trigger.condition], compiler.scope, trigger.per) if trigger.per else []
        )

    def states(self, moment: Moment) -> list[TriggerState]:
        positions = moment.positions()
        conditions = {p: self.condition(moment.frame, p) for p in positions}
        if self.trigger.per is None:
            return [self.state(None, positions, conditions)]
        keys = moment.keys(self.key_metrics)
        first = moment.frame.life(self.trigger.per).first
        return [self.state(key, positions, conditions, first.get(key)) for key in keys]

    def state(
        self,
        key: str | None,
        positions: Sequence[int],
        conditions: dict[int, Any],
        since: int | None = None,
    ) -> TriggerState:
        """The state of the trigger at `key`, whose periods count from `since`, its first."""
        held = [
            p
            for p in positions
            if at_key(conditions[p], key) is True and (since is None or p >= since)
        ]
        held_set = set(held)
        last_fired: int | None = None
        state = "quiet"
        for position in positions:
            state, last_fired = self.next_state(position, held_set, last_fired)
        current = at_key(conditions[positions[-1]], key) if positions else Unknown("no snapshots")
        if isinstance(current, Unknown):
            return TriggerState(key, "unknown", tuple(held), last_fired, current.reason)
        return TriggerState(key, state, tuple(held), last_fired, None)

    def next_state(
        self, position: int, held: set[int], last_fired: int | None
    ) -> tuple[str, int | None]:
        """The state at `position`, walking the periods in order, and the last it fired in."""
        if not self.would_fire(position, held):
            return "quiet", last_fired
        if last_fired is not None and position - last_fired <= self.cooldown:
            return "cooling", last_fired
        return "fired", position

    def would_fire(self, position: int, held: set[int]) -> bool:
        # With `for N of M` the current period need not be one of the N: held in at least N
        # of the last M is enough, as the contract words it.
        if self.window is None:
            return all(position - back in held for back in range(self.looks_back))
        return sum(1 for back in range(self.looks_back) if position - back in held) >= self.hold

    def looked_at(self, position: int) -> list[int]:
        """The periods `would_fire` looks at for `position`, earliest first."""
        return [position - back for back in reversed(range(self.looks_back))]

    def row(self, moment: Moment, state: TriggerState) -> Row:
        """A trigger's result is made at once: a row (self, key, state, result)."""
        return (self, state.key, state.state, self.result(moment, state))

    made = staticmethod(made_already)

    def result(self, moment: Moment, state: TriggerState) -> Result:
        return Result(
            rule=self.trigger.name,
            kind="trigger",
            key=state.key,
            status=state.state,
            value=None,
            owner=self.trigger.owner,
            location=self.location,
            reason=state.reason,
            severity=self.severity,
            held=tuple(moment.label(p) for p in state.held),
            last_fired=moment.label(state.last_fired) if state.last_fired is not None else None,
        )
