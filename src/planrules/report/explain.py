"""`planrules explain`: how one rule's result came about, step by step.

An explanation is a tree of steps, each a piece of text and the value it came to, written for
people: every sub-expression (names and lets included), the target or the levels it was
compared with, the pacing arithmetic, a trigger's condition period by period, and the clipping
of each adjustment. The status comes from the report (`Ruleset.evaluate`), so an explanation
never disagrees with `planrules eval`; the steps under it are worked out again here with a
compiler and a frame of their own.
"""

from __future__ import annotations

import decimal
import json
import operator
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from typing import Any

import attrs

from planrules.eval.adjust import Adjuster, WorkingBudget
from planrules.eval.compile import Compiled, ExpressionCompiler, literal_value
from planrules.eval.evaluate import Ruleset, Timeline
from planrules.eval.rules import DEFAULT_TOLERANCE, BudgetRule, Moment, TriggerRule
from planrules.eval.values import (
    EVALUATION,
    Keyed,
    Unknown,
    at_key,
    describe,
    multiply,
    subtract,
    sum_of,
)
from planrules.lang import syntax as s
from planrules.lang.diagnostics import PlanError
from planrules.lang.exprcheck import AGGREGATES, HISTORY, did_you_mean
from planrules.lang.fmt import expression as expression_text
from planrules.lang.fmt import quote
from planrules.report.model import Adjustment, Report, Result
from planrules.report.render import visible

FORMATS = ("text", "json")
MAX_DEPTH = 50  # levels of sub-expressions written out; deeper ones are "…"
MAX_STEPS = 5000  # steps in one explanation, so a very wide expression stays readable
MAX_PERIODS = 24  # periods listed under a history function, a budget or a trigger
MAX_KEYS = 12  # keys written of a keyed value
MAX_LISTED = 20  # names listed in an error message
MAX_TEXT = 160  # characters of an expression's text
ELLIPSIS = "…"
TEXT_INDENT = "  "

_BEYOND: dict[str, Callable[[Any, Any], Any]] = {"above": operator.gt, "below": operator.lt}
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}
_KINDS: dict[type, str] = {
    s.Goal: "goal",
    s.Threshold: "threshold",
    s.Budget: "budget",
    s.Trigger: "trigger",
}


@attrs.frozen
class Step:
    """One line of the explanation tree: what was worked out, and what it came to."""

    text: str
    value: str
    children: tuple[Step, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "value": self.value,
            "children": [child.to_dict() for child in self.children],
        }


@attrs.frozen
class Explanation:
    """How one rule (one key of a `per` rule, or one budget line) came to its status.

    `steps` are sections: "value", "compared with", "pacing", "periods" (triggers),
    "adjustments", "recommendations" (triggers) and "verdict", each where it applies.
    """

    rule: str
    kind: str
    key: str | None
    as_of: str
    status: str
    steps: tuple[Step, ...]
    reason: str | None = None  # why the result is unknown, as the report says

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "kind": self.kind,
            "key": self.key,
            "as_of": self.as_of,
            "status": self.status,
            "reason": self.reason,
            "steps": [step.to_dict() for step in self.steps],
        }


class ExplainError(PlanError):
    """A rule or key to explain that does not exist, or a key given where none fits."""


# ---- the entry points ----------------------------------------------------------------------


def explain(
    ruleset: Ruleset,
    snapshots: object,
    rule: str,
    key: str | None = None,
    at: str | None = None,
) -> Explanation:
    """Explain `rule` (at `key`, for a budget a line) at `at`, the last period by default."""
    node = find_rule(ruleset, _nfc(rule))
    history = ruleset.history(snapshots)
    report = ruleset.evaluate(history, at=at)
    chosen = choose_key(node, report, None if key is None else _nfc(key))
    result = report.result(node.name, chosen)
    # A frame of our own: a fresh compiler numbers its memo slots from 1 again, so sharing
    # the evaluation's frame would read the evaluation's memoised values as ours.
    timeline = Timeline.of(ruleset.checked, history)
    current = timeline.current(at)
    with decimal.localcontext(EVALUATION):
        context = _Context.of(ruleset, report, timeline.moment(current), chosen, result)
        steps = _sections(context, node)
    return Explanation(
        rule=node.name,
        kind=_KINDS[type(node)],
        key=chosen,
        as_of=report.as_of,
        status=result.status if result is not None else "none",
        steps=tuple(steps),
        reason=result.reason if result is not None else None,
    )


def render_explanation(explanation: Explanation, format: str) -> str:
    """The explanation as an indented tree of `text = value` lines, or as JSON."""
    if format == "json":
        return json.dumps(explanation.to_dict(), ensure_ascii=False, indent=2) + "\n"
    if format == "text":
        return _render_text(explanation)
    raise ExplainError(f"unknown format {format!r}: choose one of {', '.join(FORMATS)}")


def _nfc(text: str) -> str:
    # Names and keys are NFC-normalised when read; a name typed on another system may not be.
    return unicodedata.normalize("NFC", text)


# ---- which rule and which key --------------------------------------------------------------


def find_rule(ruleset: Ruleset, name: str) -> s.Rule:
    rules = ruleset.checked.rules
    for rule in rules:
        if rule.name == name:
            return rule
    names = [rule.name for rule in rules]
    raise ExplainError(
        f"no rule named {quote(name)}{_hint(name, names)}; "
        f"the rules are {_listing(names) if names else 'none'}"
    )


def choose_key(rule: s.Rule, report: Report, key: str | None) -> str | None:
    """The key to explain: given, or the only one; a budget's key is one of its lines."""
    name = quote(rule.name)
    if isinstance(rule, s.Budget):
        lines = [line.key.text for line in rule.lines]
        if key is not None and key not in lines:
            raise ExplainError(
                f"budget {name} has no line {quote(key)}{_hint(key, lines)}; "
                f"its lines are {_listing(lines)}"
            )
        return key
    if rule.per is None:
        if key is not None:
            raise ExplainError(f"{name} has no `per`, so it has no keys: leave out --key")
        return None
    keys = [r.key for r in report.results if r.rule == rule.name and r.key is not None]
    if key is None:
        if len(keys) == 1:
            return keys[0]
        if not keys:
            raise ExplainError(
                f"{name} is per {rule.per}, but no key of {rule.per} appears through {report.as_of}"
            )
        raise ExplainError(f"{name} is per {rule.per}: choose a key with --key: {_listing(keys)}")
    if key not in keys:
        raise ExplainError(
            f"{name} has no key {quote(key)} through {report.as_of}{_hint(key, keys)}; "
            f"its keys are {_listing(keys)}"
        )
    return key


def _hint(name: str, candidates: Sequence[str]) -> str:
    hint = did_you_mean(name, candidates)
    return f" ({hint})" if hint else ""


def _listing(names: Sequence[str]) -> str:
    shown = ", ".join(quote(name) for name in names[:MAX_LISTED])
    more = len(names) - MAX_LISTED
    return f"{shown} and {more} more" if more > 0 else shown


# ---- values written for people -------------------------------------------------------------


def _truth(value: Any) -> str:
    if isinstance(value, Unknown):
        return f"unknown ({value.reason})"
    return "true" if value is True else "false"


def _short(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + ELLIPSIS


def _key_text(metric: str, key: str) -> str:
    return f"{metric}.{key}" if key.isidentifier() else f"{metric}[{quote(key)}]"


def _periods_word(count: int) -> str:
    return "period" if count == 1 else "periods"


@attrs.define
class _Writer:
    """Writes values with their units and the ruleset's currency."""

    currency: str | None

    def value(self, value: Any, unit: str) -> str:
        if isinstance(value, Unknown):
            return f"unknown ({value.reason})"
        if isinstance(value, Keyed):
            return self.keyed(value, unit)
        return describe(value, unit, self.currency)

    def keyed(self, value: Keyed, unit: str) -> str:
        items = sorted(value.values.items())
        if not items:
            return "no keys"
        shown = [f"{k}: {describe(v, unit, self.currency)}" for k, v in items[:MAX_KEYS]]
        if len(items) > MAX_KEYS:
            shown.append(f"{ELLIPSIS} ({len(items)} keys)")
        return ", ".join(shown)

    def operand(self, value: Any, unit: str) -> str:
        """A value inside a comparison's text; an unknown's reason is in the step's value."""
        return "unknown" if isinstance(value, Unknown) else self.value(value, unit)

    def money(self, value: Any) -> str:
        return self.value(value, "money")

    def ratio(self, value: Any) -> str:
        return self.value(value, "ratio")


# ---- sub-expressions -----------------------------------------------------------------------


class _Walker:
    """Walks an expression, evaluating every sub-expression at a period, at the rule's key."""

    def __init__(
        self, compiler: ExpressionCompiler, moment: Moment, key: str | None, writer: _Writer
    ) -> None:
        self.compiler = compiler
        self.moment = moment
        self.key = key
        self.writer = writer
        self.steps_left = MAX_STEPS
        self.quiet_cut = False
        self.expanded: set[tuple[str, int, bool]] = set()  # lets written out already
        # By node id; the node is kept beside its closure so that its id is never reused.
        self.closures: dict[int, tuple[s.Expr, Compiled]] = {}

    def value(self, expr: s.Expr, position: int, whole: bool = False) -> Any:
        """The value at `position`; keyed values at the rule's key unless `whole`."""
        found = self.closures.get(id(expr))
        if found is None:
            found = self.closures[id(expr)] = (expr, self.compiler.compile(expr))
        value = found[1](self.moment.frame, position)
        return value if whole else at_key(value, self.key)

    def unit_of(self, expr: s.Expr, hint: str | None = None) -> str:
        """A bare literal takes the unit of what it is compared with or added to."""
        found = self.compiler.type_of(expr)
        return hint if found.literal and hint is not None else found.unit

    def walk(
        self,
        expr: s.Expr,
        position: int,
        *,
        whole: bool = False,
        hint: str | None = None,
        title: str = "",
        in_period: bool = False,
        levels: int = MAX_DEPTH,
    ) -> Step:
        """A step for `expr` and, `levels` deep, its parts; "…" where MAX_DEPTH cuts it."""
        self.steps_left -= 1
        text = _short(expression_text(expr))
        if title:
            text = f"{title} {text}"
        if in_period:
            text = f"{text} in {self.moment.label(position)}"
        shown = self.writer.value(self.value(expr, position, whole), self.unit_of(expr, hint))
        if not self.has_parts(expr):
            return Step(text, shown)
        if levels <= 0 or self.steps_left <= 0:
            # A shallow walk (a trigger's period row) ends quietly; a cut one says so.
            quiet = self.quiet_cut and self.steps_left > 0
            return Step(text, shown, () if quiet else (Step(ELLIPSIS, "left out"),))
        return Step(text, shown, self.parts(expr, position, whole, levels - 1))

    def shallow(self, expr: s.Expr, position: int) -> Step:
        """The expression and the values of its direct parts, nothing deeper."""
        self.quiet_cut = True
        try:
            return self.walk(expr, position, levels=1)
        finally:
            self.quiet_cut = False

    def has_parts(self, expr: s.Expr) -> bool:
        if isinstance(expr, s.Number):
            return False
        if isinstance(expr, s.Name):
            return expr.name in self.compiler.scope.lets
        return True

    def parts(self, expr: s.Expr, position: int, whole: bool, levels: int) -> tuple[Step, ...]:
        match expr:
            case s.Name():
                return self.let(expr.name, position, whole, levels)
            case s.KeyAccess():
                # The key read is named in the text; the value it is read from is shown whole.
                return (self.walk(expr.target, position, whole=True, levels=levels),)
            case s.Unary():
                return (self.walk(expr.operand, position, whole=whole, levels=levels),)
            case s.Binary():
                return self.sides(expr, position, whole, levels)
            case s.Call():
                return self.call(expr, position, whole, levels)
        return ()

    def sides(self, expr: s.Binary, position: int, whole: bool, levels: int) -> tuple[Step, ...]:
        left_unit = self.compiler.type_of(expr.left)
        right_unit = self.compiler.type_of(expr.right)
        takes_unit = expr.op in ("+", "-", "<", "<=", ">", ">=", "==", "!=")
        return (
            self.walk(
                expr.left,
                position,
                whole=whole,
                hint=right_unit.unit if takes_unit else None,
                levels=levels,
            ),
            self.walk(
                expr.right,
                position,
                whole=whole,
                hint=left_unit.unit if takes_unit else None,
                levels=levels,
            ),
        )

    def let(self, name: str, position: int, whole: bool, levels: int) -> tuple[Step, ...]:
        let = self.compiler.scope.lets[name]
        mark = (name, position, whole)
        if mark in self.expanded:
            # Written out once; a let read many times would otherwise grow the tree
            # exponentially (let b = a + a, let c = b + b, ...).
            self.steps_left -= 1
            body = _short(expression_text(let.expr))
            value = self.writer.value(self.value(let.expr, position, whole), self.unit_of(let.expr))
            return (Step(f"let {name} = {body} (written out above)", value),)
        self.expanded.add(mark)
        step = self.walk(let.expr, position, whole=whole, levels=levels)
        return (attrs.evolve(step, text=f"let {name} = {step.text}"),)

    def call(self, expr: s.Call, position: int, whole: bool, levels: int) -> tuple[Step, ...]:
        name, args = expr.function, expr.args
        if name in AGGREGATES and len(args) == 1:
            # An aggregate works over all the keys, so its argument is shown whole.
            return (self.walk(args[0], position, whole=True, levels=levels),)
        if name in HISTORY:
            return self.history(expr, position, whole, levels)
        if name == "round":
            args = args[:1]  # the digits are in the text already
        return tuple(self.walk(arg, position, whole=whole, levels=levels) for arg in args)

    def history(self, expr: s.Call, position: int, whole: bool, levels: int) -> tuple[Step, ...]:
        name = expr.function
        count = _count(expr.args[1]) if len(expr.args) > 1 else 1
        if name == "total":
            start = self.moment.window_start
            if position < start:
                return (Step("no period of the window yet", "an empty sum, 0"),)
            positions = list(range(start, position + 1))
        elif name == "previous":
            positions = [position - count]
        elif name in ("change", "growth"):
            positions = [position - 1, position]
        else:
            positions = list(range(position - count + 1, position + 1))
        return tuple(
            self.over_periods(
                positions,
                lambda p: self.walk(expr.args[0], p, whole=whole, in_period=True, levels=levels),
            )
        )

    def over_periods(
        self, positions: Sequence[int], step: Callable[[int], Step], latest: bool = False
    ) -> list[Step]:
        """One step per period; a long run keeps its first and last periods, or with `latest`
        (a trigger, whose state hangs on the recent periods) the last ones only."""
        if len(positions) <= MAX_PERIODS:
            return [step(p) for p in positions]
        if latest:
            left_out = len(positions) - MAX_PERIODS
            earlier = Step(ELLIPSIS, f"{left_out} earlier {_periods_word(left_out)} left out")
            return [earlier, *(step(p) for p in positions[-MAX_PERIODS:])]
        half = MAX_PERIODS // 2
        left_out = len(positions) - 2 * half
        return [
            *(step(p) for p in positions[:half]),
            Step(ELLIPSIS, f"{left_out} {_periods_word(left_out)} left out"),
            *(step(p) for p in positions[-half:]),
        ]


def _count(expr: s.Expr) -> int:
    # The checker lets only whole literal counts through.
    return int(literal_value(expr)) if isinstance(expr, s.Number) else 1


# ---- the context of one explanation --------------------------------------------------------


@attrs.define
class _Context:
    ruleset: Ruleset
    report: Report
    moment: Moment
    key: str | None
    result: Result | None
    walker: _Walker
    write: _Writer

    @classmethod
    def of(
        cls,
        ruleset: Ruleset,
        report: Report,
        moment: Moment,
        key: str | None,
        result: Result | None,
    ) -> _Context:
        assert ruleset.checked.scope is not None  # a Ruleset is only made of a sound check
        writer = _Writer(ruleset.currency)
        walker = _Walker(ExpressionCompiler(ruleset.checked.scope), moment, key, writer)
        return cls(ruleset, report, moment, key, result, walker, writer)

    @property
    def current(self) -> int:
        return self.moment.current

    def label(self, position: int) -> str:
        return self.moment.label(position)

    def result_value(self, value: Any, unit: str) -> str:
        """A number of the result; None where the report could not know it."""
        if value is None:
            reason = self.result.reason if self.result is not None else None
            return f"unknown ({reason})" if reason else "unknown"
        return self.write.value(value, unit)


def _sections(context: _Context, rule: s.Rule) -> list[Step]:
    if isinstance(rule, s.Goal):
        return _goal_sections(context, rule)
    if isinstance(rule, s.Threshold):
        return _threshold_sections(context, rule)
    if isinstance(rule, s.Budget):
        return _budget_sections(context, rule)
    return _trigger_sections(context, rule)


def _section(title: str, steps: Iterable[Step]) -> Step:
    return Step(title, "", tuple(steps))


def _verdict(status: str, why: str) -> Step:
    return Step("verdict", f"{status}: {why}")


# ---- goals ---------------------------------------------------------------------------------


def _goal_sections(context: _Context, goal: s.Goal) -> list[Step]:
    judged = _judged_at(context, goal)
    walker = context.walker
    sections = [
        _section("value", [walker.walk(goal.subject, judged)]),
        _section("compared with", _goal_comparison(context, goal, judged)),
    ]
    if goal.deadline is not None:
        sections.append(_section("pacing", _goal_pacing(context, goal)))
    sections.append(_verdict(_status(context), _goal_why(context, goal)))
    return sections


def _status(context: _Context) -> str:
    return context.result.status if context.result is not None else "none"


def _judged_at(context: _Context, goal: s.Goal) -> int:
    """A goal whose deadline's period is reached is judged at that period."""
    if goal.deadline is None:
        return context.current
    return min(context.current, context.moment.position_of(goal))


def _goal_comparison(context: _Context, goal: s.Goal, judged: int) -> list[Step]:
    walker = context.walker
    unit = walker.unit_of(goal.subject)
    value = walker.value(goal.subject, judged)
    target = walker.value(goal.target, judged)
    if goal.baseline is not None:
        baseline = walker.walk(goal.baseline, judged, hint=unit, title="baseline")
    else:
        baseline = Step("baseline", f"{context.write.value(0, unit)} (no `from`)")
    write = walker.writer
    comparison = f"{write.operand(value, unit)} {goal.op} {write.operand(target, unit)}"
    return [
        walker.walk(goal.target, judged, hint=unit, title="target"),
        baseline,
        Step(comparison, _truth(_COMPARE[goal.op](value, target))),
        _deadline_step(context, goal),
    ]


def _deadline_step(context: _Context, goal: s.Goal) -> Step:
    if goal.deadline is None:
        return Step(
            "deadline", f"none: judged at the current period, {context.label(context.current)}"
        )
    deadline = context.moment.position_of(goal)
    title = f"deadline {goal.deadline.isoformat()}"
    if context.current >= deadline:
        return Step(title, f"reached: judged at {context.label(deadline)}, the period holding it")
    return Step(
        title,
        f"ahead: {context.label(deadline)} holds it; judged on pace at "
        f"{context.label(context.current)}",
    )


def _goal_pacing(context: _Context, goal: s.Goal) -> list[Step]:
    result = context.result
    if result is None or result.pacing is None:
        reason = result.reason if result is not None else None
        return [Step("elapsed", f"unknown ({reason})" if reason else "unknown")]
    pacing = result.pacing
    steps = [_elapsed_step(context, goal)]
    if result.value is None or result.target is None:
        return steps
    write = context.write
    unit = result.unit
    v, t = write.value(result.value, unit), write.value(result.target, unit)
    b = write.value(result.baseline or 0, unit)
    e = write.ratio(pacing.elapsed)
    if result.progress is not None:
        steps.append(
            Step(
                f"progress = (value - baseline) / (target - baseline) = ({v} - {b}) / ({t} - {b})",
                write.ratio(result.progress),
            )
        )
    if pacing.paced and result.progress is not None:
        # A `<` goal with no `from` has no progress, so no pace lines either.
        tolerance, written = _tolerance(goal.tolerance)
        steps.append(Step("pass line = elapsed", e))
        steps.append(
            Step(
                f"warn line = elapsed × (1 - tolerance) = {e} × (1 - {written})",
                write.ratio(multiply(pacing.elapsed, 1 - tolerance)),
            )
        )
    if result.expected is not None:
        steps.append(
            Step(
                f"expected = baseline + (target - baseline) × elapsed = {b} + ({t} - {b}) × {e}",
                write.value(result.expected, unit),
            )
        )
    if result.forecast is not None:
        steps.append(
            Step(
                f"forecast = baseline + (value - baseline) / elapsed = {b} + ({v} - {b}) / {e}",
                write.value(result.forecast, unit),
            )
        )
    if result.required_per_period is not None:
        left = pacing.remaining
        steps.append(
            Step(
                f"required per period = max(0, target - value) / periods left = "
                f"max(0, {t} - {v}) / {left}",
                write.value(result.required_per_period, unit),
            )
        )
    return steps


def _tolerance(number: s.Number | None) -> tuple[Any, str]:
    if number is None:
        return DEFAULT_TOLERANCE, "10%"  # the default
    return number.value, number.text


def _elapsed_step(context: _Context, goal: s.Goal) -> Step:
    moment = context.moment
    if context.current >= moment.position_of(goal):
        return Step("elapsed", "100.0% (the deadline's period is reached)")
    start, deadline = moment.window_start, moment.position_of(goal)
    done, span = context.current - start + 1, deadline - start + 1
    if done <= 0:
        return Step("elapsed", "0.0% (the window has not started)")
    if goal.phased:
        weights = " + ".join(weight.text for weight in goal.phased[:done])
        total = sum((weight.value for weight in goal.phased[:done]), decimal.Decimal(0))
        return Step(
            f"elapsed = {weights} (phased weights, {context.label(start)} through "
            f"{context.label(context.current)})",
            context.write.ratio(total),
        )
    return Step(
        f"elapsed = {done} of {span} {_periods_word(span)} ({context.label(start)} through "
        f"{context.label(deadline)})",
        context.write.ratio(Fraction(done, span)),
    )


def _goal_why(context: _Context, goal: s.Goal) -> str:
    result = context.result
    if result is None:
        return "no result"
    if result.status == "unknown":
        return result.reason or "a value is unknown"
    assert result.value is not None and result.target is not None
    holds = _COMPARE[goal.op](result.value, result.target)
    pacing = result.pacing
    if pacing is None:
        return "the comparison holds" if holds else "the comparison does not hold"
    if not pacing.paced:
        held = "holds" if holds else "does not hold"
        return f"at the deadline's period the comparison {held}"
    if holds:
        return "the comparison already holds"
    if pacing.elapsed == 0:
        return "the window has not started, so nothing is due yet"
    if goal.op in ("<", "<=") and goal.baseline is None:
        return f"a `{goal.op}` goal with no `from` warns until the comparison holds"
    if result.progress is None:
        return "the target equals the baseline and the comparison does not hold"
    return _pace_why(context, goal, result)


def _pace_why(context: _Context, goal: s.Goal, result: Result) -> str:
    assert result.pacing is not None and result.progress is not None
    write = context.write
    progress, elapsed = Fraction(result.progress), Fraction(result.pacing.elapsed)
    tolerance, _ = _tolerance(goal.tolerance)
    warn_line = elapsed * (1 - Fraction(tolerance))
    p, e, w = write.ratio(progress), write.ratio(elapsed), write.ratio(warn_line)
    if progress >= elapsed:
        return f"progress {p} reaches the pass line {e}"
    if progress >= warn_line:
        return f"progress {p} is below the pass line {e} but reaches the warn line {w}"
    return f"progress {p} is below the warn line {w}"


# ---- thresholds ----------------------------------------------------------------------------


def _threshold_sections(context: _Context, threshold: s.Threshold) -> list[Step]:
    at = context.current
    levels = [_level_step(context, threshold, level) for level in threshold.levels]
    return [
        _section("value", [context.walker.walk(threshold.subject, at)]),
        _section("compared with", levels),
        _verdict(_status(context), _threshold_why(context)),
    ]


def _level_step(context: _Context, threshold: s.Threshold, level: s.Level) -> Step:
    walker, at = context.walker, context.current
    unit = walker.unit_of(threshold.subject)
    value = walker.value(threshold.subject, at)
    bound = walker.value(level.bound, at)
    reached = _BEYOND[level.direction](value, bound)
    children: list[Step] = []
    if not isinstance(level.bound, s.Number):
        children.append(walker.walk(level.bound, at, hint=unit, title="bound"))
    sign = ">" if level.direction == "above" else "<"
    write = walker.writer
    children.append(
        Step(f"{write.operand(value, unit)} {sign} {write.operand(bound, unit)}", _truth(reached))
    )
    if isinstance(reached, Unknown):
        shown = f"unknown ({reached.reason})"
    else:
        shown = "reached" if reached is True else "not reached"
    text = f"{level.status} {level.direction} {_short(expression_text(level.bound))}"
    return Step(text, shown, tuple(children))


def _threshold_why(context: _Context) -> str:
    result = context.result
    if result is None:
        return "no result"
    if result.status == "unknown":
        return result.reason or "a value is unknown"
    if result.level is None:
        return "no level is reached"
    return f"{result.level} is reached (fail wins over warn)"


# ---- budgets -------------------------------------------------------------------------------


def _budget_sections(context: _Context, budget: s.Budget) -> list[Step]:
    planned = _planned(budget, context.key)
    write = context.write
    what = f"planned {context.key}" if context.key is not None else "planned total"
    adjustments = _section("adjustments", _budget_adjustments(context, budget))
    if budget.metric is None:
        return [
            _section("value", [Step("spent", "not checked: the budget has no `for` metric")]),
            _section("compared with", [Step(what, write.money(planned))]),
            adjustments,
            _verdict("none", "a budget without `for` has only its allocation"),
        ]
    rule = _compiled_budget(context.ruleset, budget.name)
    return [
        _section("value", [_spent_step(context, budget)]),
        _section("compared with", _budget_comparison(context, budget, planned, what)),
        _section("pacing", _budget_pacing(context, budget, rule, planned)),
        adjustments,
        _verdict(_status(context), _budget_why(context, rule, planned)),
    ]


def _planned(budget: s.Budget, line: str | None) -> Any:
    for entry in budget.lines:
        if entry.key.text == line:
            return literal_value(entry.amount)
    return literal_value(budget.total)


def _compiled_budget(ruleset: Ruleset, name: str) -> BudgetRule:
    return next(r for r in ruleset.rules if isinstance(r, BudgetRule) and r.budget.name == name)


def _spending_positions(context: _Context, budget: s.Budget) -> list[int]:
    """The periods whose spending counts: the current one, or the window's so far."""
    moment = context.moment
    if budget.per_period:
        return [context.current]
    end = moment.window_end
    last = context.current if end is None else min(context.current, end)
    return list(range(moment.window_start, last + 1))


def _spent_step(context: _Context, budget: s.Budget) -> Step:
    assert budget.metric is not None
    metric, key = budget.metric, context.key
    read = context.walker.compiler.name(metric)
    frame = context.moment.frame
    what = _key_text(metric, key) if key is not None else f"sum({metric})"

    def spent_in(position: int) -> Step:
        value = read(frame, position)
        if key is not None:
            value = at_key(value, key)
        elif isinstance(value, Keyed):
            value = sum_of(value.values.values())
        return Step(f"{what} in {context.label(position)}", context.write.money(value))

    positions = _spending_positions(context, budget)
    result = context.result
    spent = context.result_value(result.value if result is not None else None, "money")
    if budget.per_period:
        text = f"spent = {what} in {context.label(context.current)} (per period)"
    elif positions:
        span = f"{context.label(positions[0])} through {context.label(positions[-1])}"
        text = f"spent = {what} summed over {span}"
    else:
        return Step("spent", f"{spent} (the window has not started)")
    children = context.walker.over_periods(positions, spent_in)
    return Step(text, spent, tuple(children))


def _budget_comparison(context: _Context, budget: s.Budget, planned: Any, what: str) -> list[Step]:
    write, result = context.write, context.result
    steps = [Step(what, write.money(planned))]
    if result is None or result.value is None:
        return steps
    spent = result.value
    steps.append(Step(f"{write.money(spent)} > {write.money(planned)}", _truth(spent > planned)))
    if context.key is None:
        unplanned = ", ".join(result.unplanned) if result.unplanned else "none"
        steps.append(Step("spending on keys no line names", unplanned))
        lines = [
            Step(line.key.text, found.status)
            for line in budget.lines
            if (found := context.report.result(budget.name, line.key.text)) is not None
        ]
        steps.append(Step("lines", "", tuple(lines)))
    return steps


def _budget_pacing(
    context: _Context, budget: s.Budget, rule: BudgetRule, planned: Any
) -> list[Step]:
    write, result, moment = context.write, context.result, context.moment
    if budget.per_period:
        return [Step("pace", "not checked: each period's spending is judged on its own")]
    if moment.window_end is None:
        return [Step("pace", "not checked: the plan window has no end")]
    pace = rule.pace(moment)
    assert pace is not None
    start, end = moment.window_start, moment.window_end
    done = max(min(context.current, end) - start + 1, 0)
    _, written = _tolerance(budget.tolerance)
    steps = [
        Step(f"elapsed = {done} of {end - start + 1} periods", write.ratio(pace)),
        Step(
            f"pace line = elapsed × (1 + tolerance) = {write.ratio(pace)} × (1 + {written})",
            write.ratio(multiply(pace, rule.allowance)),
        ),
    ]
    if result is None or result.value is None:
        return steps
    if result.used is None:
        steps.insert(0, Step("used = spent / planned", "none: nothing is planned"))
        return steps
    used = f"{write.money(result.value)} / {write.money(planned)}"
    steps.insert(0, Step(f"used = spent / planned = {used}", write.ratio(result.used)))
    over = rule.over_pace(result.value, planned, pace)
    line = write.ratio(multiply(pace, rule.allowance))
    steps.append(Step(f"{write.ratio(result.used)} > {line}", _truth(over)))
    return steps


def _budget_why(context: _Context, rule: BudgetRule, planned: Any) -> str:
    result = context.result
    if result is None:
        return "no result"
    if result.status == "unknown":
        return result.reason or "the spending is unknown"
    assert result.value is not None
    spent = result.value
    pace = rule.pace(context.moment)
    reasons: list[str] = []
    if spent > planned:
        reasons.append("more is spent than planned")
    elif rule.over_pace(spent, planned, pace):
        reasons.append("spending runs ahead of the pace line")
    if context.key is None:
        if result.unplanned:
            reasons.append(f"spending on keys no line names ({', '.join(result.unplanned)})")
        worst_lines = [
            f"{r.key} {r.status}"
            for r in context.report.results
            if r.rule == rule.budget.name and r.key is not None and r.status != "pass"
        ]
        if worst_lines:
            reasons.append(f"lines: {', '.join(worst_lines)}")
    return "; ".join(reasons) if reasons else "within the plan and its pace"


def _budget_adjustments(context: _Context, budget: s.Budget) -> list[Step]:
    key = context.key
    steps = [
        step
        for adjustment, step in _replayed_actions(context)
        if adjustment.budget == budget.name
        and (key is None or key in (adjustment.source, adjustment.destination, adjustment.line))
    ]
    allocation = context.report.allocation(budget.name)
    if allocation is not None:
        write = context.write
        for line in allocation.lines:
            if key is None or line.line == key:
                change = f"{write.money(line.planned)} → {write.money(line.proposed)}"
                steps.append(Step(f"proposed {line.line}", change))
    return steps or [Step("none", "no fired trigger adjusts it")]


# ---- triggers ------------------------------------------------------------------------------


def _trigger_sections(context: _Context, trigger: s.Trigger) -> list[Step]:
    rule = next(
        r
        for r in context.ruleset.rules
        if isinstance(r, TriggerRule) and r.trigger.name == trigger.name
    )
    return [
        _section("value", [context.walker.walk(trigger.condition, context.current)]),
        _section("periods", _trigger_periods(context, trigger, rule)),
        _section("adjustments", _trigger_adjustments(context, trigger)),
        _section("recommendations", _recommendations(context, trigger)),
        _verdict(_status(context), _trigger_why(context, rule)),
    ]


def _trigger_periods(context: _Context, trigger: s.Trigger, rule: TriggerRule) -> list[Step]:
    """One row per period with a snapshot, as the evaluator walks them (gaps count as not
    held); the state of each follows from the condition, `for` and `cooldown`."""
    walker, moment = context.walker, context.moment
    positions = moment.positions()
    conditions = {p: walker.value(trigger.condition, p) for p in positions}
    held = {p for p in positions if conditions[p] is True}
    rows: list[tuple[int, Callable[[], Step]]] = []
    last_fired: int | None = None
    for position in positions:
        would_fire = rule.would_fire(position, held)
        fired_before = last_fired
        if not would_fire:
            state = "quiet"
        elif last_fired is not None and position - last_fired <= rule.cooldown:
            state = "cooling"
        else:
            state, last_fired = "fired", position
        rows.append(
            (position, _row_maker(context, trigger, rule, position, held, state, fired_before))
        )
    makers = dict(rows)
    return walker.over_periods(list(makers), lambda p: makers[p](), latest=True)


def _row_maker(
    context: _Context,
    trigger: s.Trigger,
    rule: TriggerRule,
    position: int,
    held: set[int],
    state: str,
    fired_before: int | None,
) -> Callable[[], Step]:
    """A period's row is written only where it is shown (a long history shows its ends)."""

    def row() -> Step:
        walker = context.walker
        condition = walker.shallow(trigger.condition, position)
        held_here = _held_text(walker.value(trigger.condition, position))
        children = [
            attrs.evolve(condition, value=held_here),
            _hold_step(context, rule, position, held),
        ]
        if rule.would_fire(position, held) and rule.cooldown > 0:
            children.append(_cooldown_step(context, rule, position, fired_before))
        return Step(context.label(position), state, tuple(children))

    return row


def _held_text(value: Any) -> str:
    if isinstance(value, Unknown):
        return f"unknown ({value.reason}): counts as not held"
    return "held" if value is True else "not held"


def _hold_step(context: _Context, rule: TriggerRule, position: int, held: set[int]) -> Step:
    met = "met" if rule.would_fire(position, held) else "not met"
    if rule.trigger.hold is None and rule.window is None:
        return Step("no `for`: it fires in each period where the condition holds", met)
    span = rule.window or rule.hold
    looked = [position - back for back in reversed(range(span))]
    metrics = context.moment.frame.metrics
    marks = []
    for p in looked:
        mark = "held" if p in held else ("no snapshot" if p not in metrics else "not held")
        marks.append(f"{context.label(p)} {mark}")
    count = sum(1 for p in looked if p in held)
    if rule.window is not None:
        title = f"for {rule.hold} of {rule.window} periods"
    else:
        title = f"for {rule.hold} {_periods_word(rule.hold)}"
    return Step(f"{title} ({', '.join(marks)}): held in {count}", met)


def _cooldown_step(
    context: _Context, rule: TriggerRule, position: int, fired_before: int | None
) -> Step:
    title = f"cooldown {rule.cooldown} {_periods_word(rule.cooldown)}"
    if fired_before is None:
        return Step(f"{title}: it has not fired before", "clear")
    since = position - fired_before
    when = f"fired in {context.label(fired_before)}, {since} {_periods_word(since)} before"
    return Step(f"{title}: {when}", "cooling" if since <= rule.cooldown else "clear")


def _trigger_why(context: _Context, rule: TriggerRule) -> str:
    result = context.result
    if result is None:
        return "no result"
    as_of = context.report.as_of
    match result.status:
        case "fired":
            counts = "pass" if rule.severity == "info" else rule.severity
            return f"it fired in {as_of}; severity {rule.severity}, counted as {counts}"
        case "cooling":
            return (
                f"it would fire in {as_of}, but it fired in {result.last_fired}, within its "
                f"cooldown of {rule.cooldown} {_periods_word(rule.cooldown)}"
            )
        case "unknown":
            return f"the condition cannot be computed in {as_of}: {result.reason}"
    return f"the condition has not held as `for` asks in {as_of}"


def _trigger_adjustments(context: _Context, trigger: s.Trigger) -> list[Step]:
    steps = [
        step
        for adjustment, step in _replayed_actions(context)
        if adjustment.trigger == trigger.name and adjustment.key == context.key
    ]
    if steps:
        return steps
    if not any(isinstance(action, s.Shift | s.Scale) for action in trigger.actions):
        return [Step("none", "the trigger has no budget actions")]
    return [Step("none", f"actions apply only where the trigger fired in {context.report.as_of}")]


def _recommendations(context: _Context, trigger: s.Trigger) -> list[Step]:
    texts = [
        Step("recommend", r.text)
        for r in context.report.recommendations
        if r.trigger == trigger.name and r.key == context.key
    ]
    return texts or [Step("none", f"nothing is recommended in {context.report.as_of}")]


# ---- adjustments ---------------------------------------------------------------------------


def _replayed_actions(context: _Context) -> list[tuple[Adjustment, Step]]:
    """Every budget action of the report, applied again in the evaluator's order (fired
    triggers in result order, their actions in turn), each explained before it is applied:
    an action's limits depend on what the actions before it left in the working copy."""
    triggers = {r.name: r for r in context.ruleset.checked.rules if isinstance(r, s.Trigger)}
    adjuster = Adjuster.of(context.ruleset.budgets)
    explained: list[tuple[Adjustment, Step]] = []
    for result in context.report.results:
        if result.kind != "trigger" or result.status != "fired":
            continue
        for action in triggers[result.rule].actions:
            if isinstance(action, s.Recommend):
                continue
            step = _action_step(context, adjuster, result.rule, result.key, action)
            explained.append((adjuster.adjustments[-1], step))
    return explained


def _action_step(
    context: _Context,
    adjuster: Adjuster,
    trigger: str,
    key: str | None,
    action: s.Shift | s.Scale,
) -> Step:
    names, _, budget, problem = adjuster.resolve(action, key)
    if isinstance(action, s.Shift):
        text = f"shift {action.amount.text} from {names[0]} to {names[1]}"
    else:
        text = f"scale {names[0]} by {action.sign}{action.amount.text}"
    if budget is None:
        adjuster.apply(trigger, key, action)
        return Step(text, "skipped", (Step("why", problem),))
    text += f" in {quote(budget.name)}"
    before = dict(budget.lines)
    if isinstance(action, s.Shift):
        limits = _shift_limits(context, budget, action, names[0], names[1])
    else:
        limits = _scale_limits(context, budget, action, names[0])
    adjuster.apply(trigger, key, action)
    adjustment = adjuster.adjustments[-1]
    write = context.write
    cut = isinstance(action, s.Scale) and action.sign == "-"
    rule = "-min(|requested|, limit)" if cut else "min(requested, limits), at least 0"
    outcome = [
        Step(f"applied = {rule}", write.money(adjustment.applied)),
        Step("clipped", adjustment.clipped or "no: all of the request fits"),
        *(
            Step(name, f"{write.money(before[name])} → {write.money(budget.lines[name])}")
            for name in names
        ),
    ]
    return Step(text, f"applied {write.money(adjustment.applied)}", (*limits, *outcome))


def _requested_step(
    context: _Context, amount: s.Number, line: str, base: Any, sign: str = ""
) -> Step:
    """What an action asks for; a cut (`by -P%`) is written negative, as the report has it."""
    money = context.write.money
    value = literal_value(amount)
    if not amount.percent:
        return Step("requested", money(value))
    requested = multiply(value, base)
    return Step(
        f"requested = {sign}{amount.text} × {line} {money(base)}",
        money(-requested if sign == "-" else requested),
    )


def _shift_limits(
    context: _Context, budget: WorkingBudget, action: s.Shift, source: str, destination: str
) -> list[Step]:
    return [
        _requested_step(context, action.amount, source, budget.lines[source]),
        _floor_step(context, budget, source),
        _ceiling_step(context, budget, destination),
    ]


def _scale_limits(
    context: _Context, budget: WorkingBudget, action: s.Scale, line: str
) -> list[Step]:
    requested = _requested_step(context, action.amount, line, budget.lines[line], action.sign)
    if action.sign == "-":
        return [requested, _floor_step(context, budget, line)]
    money = context.write.money
    lines = sum_of(budget.lines.values())
    free = Step(
        f"limit: total - sum of lines = {money(budget.total)} - {money(lines)}",
        money(subtract(budget.total, lines)),
    )
    return [requested, _ceiling_step(context, budget, line), free]


def _floor_step(context: _Context, budget: WorkingBudget, line: str) -> Step:
    """How far a line may fall: source - max(0, MIN × total)."""
    money = context.write.money
    room, _ = budget.floor_limit(line)
    amount = money(budget.lines[line])
    minimum = budget.minimum.get(line)
    if minimum is None:
        return Step(f"limit: {line} - 0 (no MIN share)", money(room))
    floor = multiply(minimum.share, budget.total)
    return Step(
        f"limit: {line} - max(0, MIN × total) = {amount} - max(0, {minimum.text} × "
        f"{money(budget.total)}) = {amount} - {money(max(floor, 0))}",
        money(room),
    )


def _ceiling_step(context: _Context, budget: WorkingBudget, line: str) -> Step:
    """How far a line may rise: MAX × total - line, an absent MAX being the total."""
    money = context.write.money
    amount = money(budget.lines[line])
    maximum = budget.maximum.get(line)
    if maximum is None:
        room = subtract(budget.total, budget.lines[line])
        return Step(
            f"limit: total - {line} (no MAX share) = {money(budget.total)} - {amount}", money(room)
        )
    ceiling = multiply(maximum.share, budget.total)
    return Step(
        f"limit: MAX × total - {line} = {maximum.text} × {money(budget.total)} - {amount}",
        money(subtract(ceiling, budget.lines[line])),
    )


# ---- text ----------------------------------------------------------------------------------


def _render_text(explanation: Explanation) -> str:
    name = (
        explanation.rule if explanation.key is None else f"{explanation.rule} [{explanation.key}]"
    )
    lines = [
        visible(f"{name} ({explanation.kind}) as of {explanation.as_of}: {explanation.status}")
    ]
    if explanation.reason is not None:
        lines.append(visible(f"reason: {explanation.reason}"))
    pending = [(step, 0) for step in reversed(explanation.steps)]
    # A stack rather than recursion: depth is bounded, but a stack costs nothing either way.
    while pending:
        step, depth = pending.pop()
        line = f"{step.text} = {step.value}" if step.value else step.text
        lines.append(TEXT_INDENT * depth + visible(line))
        pending.extend((child, depth + 1) for child in reversed(step.children))
    return "\n".join(lines) + "\n"
