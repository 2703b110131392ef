"""Budget actions of fired triggers, applied in order to working copies of the budgets.

Each action is clipped so that no line falls below zero, below what it has already spent in
the window, or below its MIN share, rises above its MAX share, or pushes the lines past the
total; where less than requested is applied, the binding limit is named (the first in that
order on a tie).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from planrules.eval.compile import literal_value
from planrules.eval.values import Unknown, add, describe, multiply, subtract, sum_of
from planrules.lang import syntax as s
from planrules.lang.messages import Amount, Message
from planrules.report.model import Adjustment, Allocation, AllocationLine, DataWarning

CURRENT_KEY = "key"


@attrs.frozen
class ShareLimit:
    share: Any  # the share as a fraction of the total
    text: str  # as written, `20%`


# What each line of the budget named has spent so far, where its spending is summed over the
# window (an Unknown where it cannot be known); read when an action first touches the budget.
SpentSoFar = Callable[[str], dict[str, Any]]


def nothing_spent(_budget: str) -> dict[str, Any]:
    return {}


@attrs.define
class WorkingBudget:
    """A budget's lines as the actions leave them; `planned` keeps the declared amounts."""

    name: str
    total: Any
    planned: dict[str, Any]
    lines: dict[str, Any]
    minimum: dict[str, ShareLimit]
    maximum: dict[str, ShareLimit]
    currency: str | None = None  # for the amounts written in reasons
    metric: str | None = None  # what its spending is read from
    spent: dict[str, Any] | None = None  # see SpentSoFar; None until read

    @classmethod
    def of(cls, budget: s.Budget, currency: str | None = None) -> WorkingBudget:
        planned = {line.key.text: literal_value(line.amount) for line in budget.lines}
        minimum: dict[str, ShareLimit] = {}
        maximum: dict[str, ShareLimit] = {}
        for line in budget.lines:
            if line.share is None:
                continue
            if line.share.minimum is not None:
                minimum[line.key.text] = _limit(line.share.minimum)
            if line.share.maximum is not None:
                maximum[line.key.text] = _limit(line.share.maximum)
        total = literal_value(budget.total)
        return cls(
            budget.name, total, planned, dict(planned), minimum, maximum, currency, budget.metric
        )

    def known_spent(self, line: str) -> Any:
        """What `line` has spent so far, where that is known; None otherwise."""
        spent = (self.spent or {}).get(line)
        return None if isinstance(spent, Unknown) else spent

    def floor_limit(self, line: str) -> Limit:
        """How far `line` may fall: to the highest of zero, what it has spent so far and its
        MIN share of the total; a tie is named in that order."""
        minimum = self.minimum.get(line)
        spent = self.known_spent(line)
        floors: list[tuple[Any, str]] = [(0, "zero")]
        if spent is not None:
            floors.append((spent, "spent"))
        if minimum is not None:
            floors.append((multiply(minimum.share, self.total), "share"))
        floor = max(amount for amount, _ in floors)
        # Only the words of the floor that binds are written (a money amount costs).
        named = next(reason for amount, reason in floors if amount == floor)
        if named == "zero":
            why = Message("{line} would fall below zero", line=line)
        elif named == "spent":
            written = Amount(describe(spent, "money", self.currency), spent, "money", self.currency)
            why = Message("{line} has already spent {amount}", line=line, amount=written)
        else:
            assert minimum is not None
            why = Message(
                "{line} would fall below its {share} share", line=line, share=minimum.text
            )
        room = subtract(self.lines[line], floor)
        return Limit("floor", room, why, line, minimum, floor, spent)

    def ceiling_limits(self, line: str, with_total: bool) -> list[Limit]:
        """How far `line` may rise: to its MAX share, and (`with_total`, where no other line
        gives way) no further than the total leaves free."""
        limits: list[Limit] = []
        maximum = self.maximum.get(line)
        if maximum is not None:
            ceiling = multiply(maximum.share, self.total)
            why = Message(
                "{line} would rise above its {share} share", line=line, share=maximum.text
            )
            room = subtract(ceiling, self.lines[line])
            limits.append(Limit("ceiling", room, why, line, maximum, ceiling))
        if with_total:
            lines = sum_of(self.lines.values())
            free = subtract(self.total, lines)
            why = Message("lines would exceed the total")
            limits.append(Limit("free", free, why, None, None, lines))
        return limits

    def limits(self, action: s.Shift | s.Scale, lines: list[str]) -> list[Limit]:
        """Every limit on an action, in the order a tie names the binding one."""
        if isinstance(action, s.Shift):
            return [self.floor_limit(lines[0]), *self.ceiling_limits(lines[1], False)]
        if action.sign == "-":
            return [self.floor_limit(lines[0])]
        return self.ceiling_limits(lines[0], True)

    def allocation(self) -> Allocation:
        return Allocation(
            self.name,
            self.total,
            tuple(AllocationLine(k, self.planned[k], self.lines[k]) for k in self.planned),
        )


def _limit(number: s.Number) -> ShareLimit:
    return ShareLimit(literal_value(number), number.text)


@attrs.frozen
class Limit:
    """How far an action may move a line, and the words for it where it binds.

    `kind` is "floor" (how far a line may fall), "ceiling" (how far it may rise) or "free"
    (what the total leaves free); `line` the line it bounds (None for the free room); `share`
    the MIN or MAX share that sets it, if any; `bound` what the line may fall or rise to (for
    the free room, the sum of the lines).
    """

    kind: str
    room: Any
    why: str
    line: str | None
    share: ShareLimit | None
    bound: Any
    spent: Any = None  # for a floor, what the line has spent so far, where it is known


def clip(requested: Any, limits: list[Limit]) -> tuple[Any, str | None]:
    """The amount that may be applied, and the binding limit where it is less than asked."""
    applied = requested
    for limit in limits:
        if limit.room < applied:
            applied = limit.room
    if applied < 0:
        applied = 0
    if applied >= requested:
        return requested, None
    binding = next(limit.why for limit in limits if limit.room <= applied)
    return applied, binding


@attrs.define
class Adjuster:
    """Applies the budget actions of fired triggers, in the order they are given."""

    budgets: dict[str, WorkingBudget]
    spending: SpentSoFar = nothing_spent
    adjustments: list[Adjustment] = attrs.field(factory=list)
    warnings: list[DataWarning] = attrs.field(factory=list)

    @classmethod
    def of(
        cls,
        budgets: list[s.Budget],
        currency: str | None = None,
        spending: SpentSoFar = nothing_spent,
    ) -> Adjuster:
        return cls(
            {budget.name: WorkingBudget.of(budget, currency) for budget in budgets}, spending
        )

    def allocations(self) -> tuple[Allocation, ...]:
        return tuple(budget.allocation() for budget in self.budgets.values())

    def apply(self, trigger: str, key: str | None, action: s.Shift | s.Scale) -> None:
        names, budget_name, budget, problem = self.resolve(action, key)
        if budget is None:
            self.skip(trigger, key, action, names, problem, budget_name or "")
        elif isinstance(action, s.Shift):
            self.shift(trigger, key, action, budget, names[0], names[1])
        else:
            self.scale(trigger, key, action, budget, names[0])

    def resolve(
        self, action: s.Shift | s.Scale, key: str | None
    ) -> tuple[list[str], str | None, WorkingBudget | None, str]:
        """The lines an action names (the word `key` read as the current key), the budget's
        name, the budget where it has them all, and otherwise why not."""
        written = (
            [action.source, action.destination] if isinstance(action, s.Shift) else [action.line]
        )
        names = [_line(line, key) for line in written]
        # The budget is the one the written lines name (as the checker found it); only then
        # is the current key looked for among its lines.
        fixed = [line.text for line in written if not _is_current_key(line)]
        budget_name = action.budget or self.holding(fixed)
        budget, problem = self.find(budget_name, names)
        if budget is not None and budget.spent is None:
            budget.spent = self.spending(budget.name)
            self.warn_unknown_spent(budget)
        return names, budget_name, budget, problem

    def warn_unknown_spent(self, budget: WorkingBudget) -> None:
        for line, spent in (budget.spent or {}).items():
            if isinstance(spent, Unknown):
                self.warnings.append(
                    DataWarning(
                        "unknown-spent",
                        Message(
                            'what line {line} of "{budget}" has spent is unknown ({reason}): '
                            "its floor leaves it out",
                            line=line,
                            budget=budget.name,
                            reason=spent.reason,
                        ),
                        metric=budget.metric,
                        key=line,
                    )
                )

    def holding(self, lines: list[str]) -> str | None:
        """The one budget holding all these lines, if the lines settle it."""
        if not lines:
            return None
        having = [b.name for b in self.budgets.values() if set(lines) <= set(b.lines)]
        return having[0] if len(having) == 1 else None

    def find(self, name: str | None, lines: list[str]) -> tuple[WorkingBudget | None, str]:
        wanted = set(lines)
        if name is not None:
            budget = self.budgets[name]
            missing = sorted(wanted - set(budget.lines))
            if missing:
                return None, Message(
                    '{line} is not a line of "{budget}"', line=missing[0], budget=name
                )
            return budget, ""
        having = [b for b in self.budgets.values() if wanted <= set(b.lines)]
        if len(having) == 1:
            return having[0], ""
        named = ", ".join(sorted(wanted))
        if having:
            return None, Message("{lines} are lines of several budgets", lines=named)
        if len(wanted) > 1:
            return None, Message("no budget has the lines {lines}", lines=named)
        return None, Message("no budget has the line {line}", line=named)

    def skip(
        self,
        trigger: str,
        key: str | None,
        action: s.Shift | s.Scale,
        names: list[str],
        problem: str,
        budget_name: str,
    ) -> None:
        requested = 0 if action.amount.percent else literal_value(action.amount)
        self.adjustments.append(
            Adjustment(
                trigger=trigger,
                key=key,
                action="shift" if isinstance(action, s.Shift) else "scale",
                budget=budget_name,
                requested=requested,
                applied=0,
                clipped=problem,
                source=names[0] if isinstance(action, s.Shift) else None,
                destination=names[1] if isinstance(action, s.Shift) else None,
                line=names[0] if isinstance(action, s.Scale) else None,
            )
        )

    def shift(
        self,
        trigger: str,
        key: str | None,
        action: s.Shift,
        budget: WorkingBudget,
        source: str,
        destination: str,
    ) -> None:
        amount = literal_value(action.amount)
        requested = multiply(amount, budget.lines[source]) if action.amount.percent else amount
        applied, clipped = clip(requested, budget.limits(action, [source, destination]))
        budget.lines[source] = subtract(budget.lines[source], applied)
        budget.lines[destination] = add(budget.lines[destination], applied)
        self.adjustments.append(
            Adjustment(
                trigger=trigger,
                key=key,
                action="shift",
                budget=budget.name,
                requested=requested,
                applied=applied,
                clipped=clipped,
                source=source,
                destination=destination,
            )
        )

    def scale(
        self, trigger: str, key: str | None, action: s.Scale, budget: WorkingBudget, line: str
    ) -> None:
        requested = multiply(literal_value(action.amount), budget.lines[line])
        applied, clipped = clip(requested, budget.limits(action, [line]))
        if action.sign == "-":
            budget.lines[line] = subtract(budget.lines[line], applied)
        else:
            budget.lines[line] = add(budget.lines[line], applied)
        self.adjustments.append(
            Adjustment(
                trigger=trigger,
                key=key,
                action="scale",
                budget=budget.name,
                requested=requested if action.sign != "-" else -requested,
                applied=applied if action.sign != "-" else -applied,
                clipped=clipped,
                line=line,
            )
        )


def _is_current_key(key: s.Key) -> bool:
    return key.text == CURRENT_KEY and not key.quoted


def _line(key: s.Key, current: str | None) -> str:
    return current if _is_current_key(key) and current is not None else key.text
