"""Triggers and their actions: the condition, the counts of periods, the text of a
recommendation and the budget lines a shift or scale moves."""

from __future__ import annotations

import attrs

from planrules.lang import syntax as s
from planrules.lang.check_budgets import BudgetLines
from planrules.lang.check_reporting import Report, Reporting
from planrules.lang.check_values import RuleValues
from planrules.lang.diagnostics import error
from planrules.lang.exprcheck import LARGEST_COUNT, is_whole_count, statuses_read
from planrules.lang.messages import Amount, Message
from planrules.lang.units import BOOL


@attrs.define
class TriggerCheck(Reporting):
    """Needs only the budgets' names and lines, not their own checks."""

    values: RuleValues
    budget_lines: BudgetLines

    def check(self, trigger: s.Trigger) -> None:
        condition = self.values.value_type(trigger.condition, trigger.per, Message("the condition"))
        if condition is not None and condition.unit != BOOL:
            self.problem(
                "type-mismatch",
                trigger.condition.span,
                Message("a trigger's condition must be true or false, such as `conversion < 2%`"),
            )
        self.check_counts(trigger)
        for action in trigger.actions:
            if isinstance(action, s.Recommend):
                self.check_text(action, trigger.per)
            else:
                self.check_budget_action(action, trigger.per)

    def check_counts(self, trigger: s.Trigger) -> None:
        for number, least in ((trigger.hold, 1), (trigger.window, 1), (trigger.cooldown, 0)):
            if number is not None and not is_whole_count(number, least):
                self.problem(
                    "bad-count",
                    number.span,
                    Message(
                        "a number of periods is a whole number from {least} to {most}",
                        least=least,
                        most=Amount(f"{LARGEST_COUNT:,}", LARGEST_COUNT, "count"),
                    ),
                )
        hold, window = trigger.hold, trigger.window
        if hold is not None and window is not None and hold.value > window.value:
            self.problem(
                "hold-exceeds-window",
                hold.span.through(window.span),
                Message(
                    "`for {hold} of {window} periods` asks for more periods than it looks at",
                    hold=hold.text,
                    window=window.text,
                ),
            )

    def check_text(self, action: s.Recommend, per: str | None) -> None:
        for part in action.parts:
            if not isinstance(part, s.Interpolation):
                continue
            if part.expr == s.Name("key", part.span):
                if per is None:
                    self.problem(
                        "key-outside-per",
                        part.span,
                        Message(
                            "`{{key}}` names the current key of a `per` trigger; this one has none"
                        ),
                    )
                continue
            self.values.value_type(part.expr, per, Message("a value in the text"))

    def check_budget_action(self, action: s.Shift | s.Scale, per: str | None) -> None:
        keys = [action.source, action.destination] if isinstance(action, s.Shift) else [action.line]
        for key in keys:
            if _is_current_key(key) and per is None:
                self.problem(
                    "key-outside-per",
                    key.span,
                    Message(
                        "`key` names the current key of a `per` trigger; quote a line called key"
                    ),
                )
        if isinstance(action, s.Scale) and not action.amount.percent:
            self.problem(
                "bad-amount", action.amount.span, Message("`scale` takes a percent, such as 10%")
            )
        if isinstance(action, s.Shift) and action.amount.percent:
            self.values.check_fraction(action.amount, Message("a shifted share"))
        named = [key for key in keys if not _is_current_key(key)]
        if action.budget is not None:
            self.budget_lines.check_named(action.budget, named, action.span)
        elif named:
            self.budget_lines.find(named, action.span)


def _is_current_key(key: s.Key) -> bool:
    return key.text == "key" and not key.quoted


def check_status_cycles(rules: list[s.Rule], report: Report) -> None:
    """No trigger may read its own status through other triggers (`A` when `status("B")`,
    `B` when `status("A")`): neither could be worked out first. A trigger reading itself
    directly is reported where its condition is typed."""
    triggers = {rule.name: rule for rule in rules if isinstance(rule, s.Trigger)}
    reads = {name: _statuses_read(trigger) for name, trigger in triggers.items()}
    for name, trigger in triggers.items():
        for first in reads[name]:
            if first.name == name or first.name not in triggers:
                continue
            path = _path_back(first.name, name, reads)
            if path is not None:
                report(
                    error(
                        "trigger-cycle",
                        first.span,
                        Message(
                            'trigger "{rule}" reads its own status through {path}',
                            rule=trigger.name,
                            path=" → ".join(f'"{step}"' for step in path),
                        ),
                    )
                )
                break


def _statuses_read(trigger: s.Trigger) -> list[s.RuleName]:
    """The rules whose status the trigger reads, in its condition and its texts."""
    exprs: list[s.Expr] = [trigger.condition]
    for action in trigger.actions:
        if isinstance(action, s.Recommend):
            exprs.extend(part.expr for part in action.parts if isinstance(part, s.Interpolation))
    return statuses_read(exprs)


def _path_back(start: str, goal: str, reads: dict[str, list[s.RuleName]]) -> list[str] | None:
    """The triggers from `start` whose statuses lead back to `goal`, if any do."""
    came_from: dict[str, str | None] = {start: None}
    pending = [start]
    while pending:
        name = pending.pop(0)
        for read in reads.get(name, ()):
            if read.name == goal:
                path = [name]
                while (before := came_from[path[-1]]) is not None:
                    path.append(before)
                return list(reversed(path))
            if read.name in reads and read.name not in came_from:
                came_from[read.name] = name
                pending.append(read.name)
    return None
