"""A compiled budget: what its lines and the whole have spent, against the plan and its pace.

Spending is summed over the window through the current period (or taken per period with `per
period`), read at each line's key; the pace is the share of the window gone, and every pace
test is a cross-multiplication, so no status hangs on a rounding.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from planrules.eval.compile import ExpressionCompiler, literal_value
from planrules.eval.frame import Compiled
from planrules.eval.rules import DEFAULT_TOLERANCE, Moment, location, made_already
from planrules.eval.values import Keyed, Unknown, at_key, divide_or_unknown, multiply, sum_of
from planrules.lang import syntax as s
from planrules.lang.messages import Message
from planrules.report.model import Result, Row, worst


class BudgetRule:
    kind = "budget"

    def __init__(self, budget: s.Budget, compiler: ExpressionCompiler) -> None:
        self.budget = budget
        self.name = budget.name
        self.total = literal_value(budget.total)
        self.lines = [(line.key.text, literal_value(line.amount)) for line in budget.lines]
        tolerance = budget.tolerance.value if budget.tolerance is not None else DEFAULT_TOLERANCE
        self.allowance = 1 + tolerance
        self.pace_lines: dict[Fraction, Any] = {}
        self.location = location(budget.span)
        self.spending: Compiled | None = None
        self.metric: s.Name | None = None
        if budget.metric is not None:
            self.metric = s.Name(budget.metric, budget.span)
            spent = (
                self.metric if budget.per_period else s.Call("total", (self.metric,), budget.span)
            )
            self.spending = compiler.compile(spent)

    def judged_at(self, moment: Moment) -> int:
        """The period whose spending is judged: the current one, but no later than the
        window's end for spending summed over the window."""
        end = moment.window_end
        if not self.budget.per_period and end is not None:
            return min(moment.current, end)
        return moment.current

    def results(self, moment: Moment) -> list[Result]:
        if self.spending is None:
            return []
        spent = self.spending(moment.frame, self.judged_at(moment))
        pace = self.pace(moment)
        results = [self.line_result(key, amount, spent, pace) for key, amount in self.lines]
        results.append(self.whole_result(spent, pace, results))
        return results

    def spent_by_line(self, moment: Moment) -> dict[str, Any]:
        """What each line has spent so far in the window (an Unknown where that cannot be
        known); nothing for a budget without `for`, or judged `per period`."""
        if self.spending is None or self.budget.per_period:
            return {}
        spent = self.spending(moment.frame, self.judged_at(moment))
        return {line: self.spent_of(spent, line) for line, _ in self.lines}

    def rows(self, moment: Moment) -> list[Row]:
        """A budget's few results are made at once: rows (self, key, status, result)."""
        return [(self, result.key, result.status, result) for result in self.results(moment)]

    made = staticmethod(made_already)

    def elapsed(self, moment: Moment) -> tuple[int, int] | None:
        """Periods of the window gone and periods in it, where spending is paced."""
        end = moment.window_end
        if self.budget.per_period or end is None:
            return None
        start = moment.window_start
        return max(min(moment.current, end) - start + 1, 0), end - start + 1

    def pace(self, moment: Moment) -> Fraction | None:
        elapsed = self.elapsed(moment)
        return None if elapsed is None else Fraction(*elapsed)

    def pace_line(self, pace: Fraction) -> Any:
        """The share of a plan that may be spent by now: pace x (1 + tolerance), worked out
        once for each pace (a window has a few) rather than for every line."""
        line = self.pace_lines.get(pace)
        if line is None:
            line = self.pace_lines[pace] = multiply(pace, self.allowance)
        return line

    @staticmethod
    def spent_of(spent: Any, key: str | None) -> Any:
        """What a line (`key`) has spent, or with key None the whole budget: every key."""
        if key is not None:
            return at_key(spent, key)
        if isinstance(spent, Unknown):
            return spent
        return sum_of(spent.values.values() if isinstance(spent, Keyed) else ())

    def judge_spending(self, spent: Any, planned: Any, pace: Fraction | None) -> tuple[bool, bool]:
        """Whether more is spent than planned, and whether spending runs ahead of the pace
        line: spent / planned > pace x (1 + tolerance), cross-multiplied."""
        over_plan = bool(spent > planned)
        if pace is None:
            return over_plan, False
        line = self.pace_line(pace)
        if spent.__class__ is int and planned.__class__ is int and line.__class__ is Fraction:
            # Whole amounts against a ratio: cross-multiplied, no Fraction made.
            return over_plan, spent * line.denominator > planned * line.numerator
        return over_plan, bool(spent > multiply(planned, line))

    def result(self, key: str | None, planned: Any, spent: Any) -> Result:
        result = Result(
            rule=self.budget.name,
            kind="budget",
            key=key,
            status="pass",
            value=None if isinstance(spent, Unknown) else spent,
            owner=self.budget.owner,
            location=self.location,
            unit="money",
            planned=planned,
        )
        if isinstance(spent, Unknown):
            result.status, result.reason = "unknown", spent.reason
        elif planned != 0:
            result.used = divide_or_unknown(spent, planned, str)
        return result

    def line_result(self, key: str, amount: Any, spent: Any, pace: Fraction | None) -> Result:
        line_spent = self.spent_of(spent, key)
        result = self.result(key, amount, line_spent)
        if result.status == "unknown":
            return result
        over_plan, over_pace = self.judge_spending(line_spent, amount, pace)
        if over_plan:
            result.status = "fail"
        elif over_pace:
            result.status = "warn"
        return result

    def whole_result(self, spent: Any, pace: Fraction | None, lines: list[Result]) -> Result:
        result = self.result(None, self.total, self.spent_of(spent, None))
        if result.status == "unknown":
            return result
        named = {key for key, _ in self.lines}
        values = spent.values if isinstance(spent, Keyed) else {}
        result.unplanned = tuple(sorted(k for k, v in values.items() if k not in named and v != 0))
        over_plan, over_pace = self.judge_spending(result.value, self.total, pace)
        own = "fail" if over_plan else "warn" if result.unplanned or over_pace else "pass"
        statuses = [line.status for line in lines]
        if "unknown" in statuses and own != "fail":
            line = lines[statuses.index("unknown")]
            result.status, result.reason = "unknown", line.reason
            return result
        result.status = worst([*statuses, own])
        result.reason = _why(lines, over_plan, result.unplanned, over_pace)
        return result


def _why(
    lines: list[Result], over_plan: bool, unplanned: tuple[str, ...], over_pace: bool
) -> str | None:
    """Why a whole budget warns or fails: the first of these that holds."""
    over_amount = [line.key or "" for line in lines if line.status == "fail"]
    off_pace = [line.key or "" for line in lines if line.status == "warn"]
    if over_amount:
        return Message("lines over their amount: {lines}", lines=", ".join(over_amount))
    if over_plan:
        return Message("all spending is over the total")
    if unplanned:
        return Message("spending on keys no line names: {keys}", keys=", ".join(unplanned))
    if off_pace:
        return Message("lines off pace: {lines}", lines=", ".join(off_pace))
    if over_pace:
        return Message("all spending runs ahead of the pace line")
    return None
