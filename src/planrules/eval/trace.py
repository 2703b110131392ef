"""What an evaluation computed for one rule and key, recorded as it ran: what `explain` reads.

Nothing is recorded unless asked for. `Ruleset.traced` compiles the one rule asked about again,
with a compiler whose closures record their values and a traced variant of its rule class
(`planrules.eval.traced`), and runs it in place of the ruleset's own for one evaluation; the
adjuster is traced in the same way. Every other evaluation runs the untraced code, which holds
no check of whether it is traced. Like Open Policy Agent's tracer, the trace holds the
evaluator's own figures, so an explanation can never disagree with the report it explains.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs

from planrules.eval.adjust import Limit
from planrules.eval.values import Unknown
from planrules.lang import syntax as s
from planrules.report.model import Adjustment

NOT_READ: Any = object()  # the value of an expression the evaluation never worked out there


@attrs.frozen
class Elapsed:
    """How a paced goal's elapsed share came about.

    `how` is "reached" (the deadline's period is reached), "unpaced" (a goal that is not
    paced, before its deadline), "not started" (the window lies ahead), "even" (`done` of
    `span` periods) or "phased" (the `weights` of the periods done).
    """

    how: str
    start: int
    end: int  # the position the span runs to: the deadline's, or the current one if phased
    done: int = 0
    span: int = 0
    weights: tuple[s.Number, ...] = ()
    scaled_by: tuple[s.Number, ...] = ()  # a late key's weights, which its share is of


@attrs.frozen
class GoalRecord:
    """A goal judged at one key.

    `verdict` names the test that decided it (see `GOAL_STATUS` in `planrules.eval.rules`);
    None where a value is unknown.
    """

    judged_at: int
    deadline: int | None  # the position of the deadline's period; None without a deadline
    deadline_reached: bool
    elapsed: Elapsed | None
    holds: Any  # the comparison as written: True, False or an Unknown
    warn_line: Any  # elapsed x (1 - tolerance), for a paced goal
    verdict: str | None


@attrs.frozen
class LevelRecord:
    level: s.Level
    bound: Any  # at the key
    reached: Any  # True, False or an Unknown


@attrs.frozen
class ThresholdRecord:
    levels: tuple[LevelRecord, ...]  # in the ruleset's order


@attrs.frozen
class Spending:
    """A budget line's (or, with key None, the whole budget's) spending against its plan."""

    over_plan: bool
    over_pace: bool


@attrs.frozen
class BudgetRecord:
    judged_at: int
    by_period: tuple[tuple[int, Any], ...]  # the spending counted, period by period
    not_needed: int  # periods after the first unknown spending, which is the sum
    done: int  # periods of the window gone
    span: int  # periods in the window; 0 where the pace is not checked
    pace: Any  # done / span
    pace_line: Any  # pace x (1 + tolerance)
    spending: dict[str | None, Spending]


@attrs.frozen
class TriggerPeriod:
    """One period of a trigger at one key, as the evaluator walked it."""

    position: int
    condition: Any  # at the key: True, False or an Unknown
    state: str  # fired, cooling or quiet
    fired_before: int | None  # the last period it fired in before this one
    since: int | None  # periods since then
    met: bool  # the condition held as `for` asks
    looked: tuple[tuple[int, str], ...]  # the periods `for` looked at: held, not held, no snapshot
    held_in: int  # how many of them held
    exists: bool = True  # the key exists here: before its first period nothing counts


@attrs.frozen
class TriggerRecord:
    periods: tuple[TriggerPeriod, ...]


@attrs.frozen
class ActionRecord:
    """A budget action of a fired trigger, applied to the working budgets in its turn."""

    trigger: str
    key: str | None
    action: s.Shift | s.Scale
    lines: tuple[str, ...]  # the lines it names, the word `key` read as the current key
    adjustment: Adjustment  # as the report has it
    limits: tuple[Limit, ...]  # in the order they were tried
    before: dict[str, Any]  # the lines it names, before and after it
    after: dict[str, Any]
    total: Any  # the budget's total; None for an action skipped


Record = GoalRecord | ThresholdRecord | BudgetRecord | TriggerRecord


@attrs.define
class Trace:
    """The record of one evaluation for the rule `rule` at `key` (a budget's line, or None)."""

    rule: str
    key: str | None
    current: int = 0  # the position evaluated at
    window_start: int = 0
    label: Callable[[int], str] = str  # a position's period, as the report writes it
    record: Record | None = None
    actions: list[ActionRecord] = attrs.field(factory=list)
    # Expression values as computed, whole (keyed values with all their keys), by the node's
    # id and the position; the node is kept beside them so that its id is never reused.
    values: dict[tuple[int, int], Any] = attrs.field(factory=dict)
    nodes: dict[int, s.Expr] = attrs.field(factory=dict)

    def note(self, expr: s.Expr, position: int, value: Any) -> None:
        self.nodes[id(expr)] = expr
        self.values[(id(expr), position)] = value

    def value(self, expr: s.Expr, position: int) -> Any:
        """The value of `expr` at `position`, or NOT_READ where it was never worked out."""
        return self.values.get((id(expr), position), NOT_READ)

    def summed(self, expr: s.Expr, positions: Sequence[int]) -> Sequence[int]:
        """The leading `positions` whose values a sum of `expr` over them worked out: through
        the first unknown, which is the sum, so that the periods after it (centuries of them,
        in a long window) were never needed."""
        for index, position in enumerate(positions):
            value = self.value(expr, position)
            if value is NOT_READ:
                return positions[:index]
            if isinstance(value, Unknown):
                return positions[: index + 1]
        return positions
