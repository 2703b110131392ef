"""The steps of an explanation, and the sub-expressions of a rule written out from a trace.

Every value a step shows is one the evaluation recorded (`planrules.eval.trace`): the
expression walk below reads the trace at each node and period, and writes "not worked out"
where the evaluation never needed a value there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from planrules.eval.compile import ExpressionTypes, literal_value
from planrules.eval.functions import calendar_start, date_start, periods_read
from planrules.eval.trace import NOT_READ, Record, Trace
from planrules.eval.values import Keyed, Unknown, at_key
from planrules.i18n import N_, _, describe, ngettext, spoken
from planrules.lang import syntax as s
from planrules.lang.exprcheck import ACROSS_KEYS, AGGREGATES, HISTORY, is_status_comparison
from planrules.lang.fmt import expression as expression_text
from planrules.lang.ratio_forms import RatioForm, form_of, rule_form
from planrules.report.model import Report, Result
from planrules.report.render import status_word as report_status_word

MAX_DEPTH = 50  # levels of sub-expressions written out; deeper ones are "…"
MAX_STEPS = 5000  # steps in one explanation, so a very wide expression stays readable
MAX_PERIODS = 24  # periods listed under a history function, a budget or a trigger
MAX_KEYS = 12  # keys written of a keyed value
MAX_TEXT = 160  # characters of an expression's text
ELLIPSIS = "…"
NOT_WORKED_OUT = N_("not worked out (the evaluation did not need it)")


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


def section(title: str, steps: Iterable[Step]) -> Step:
    return Step(title, "", tuple(steps))


def verdict(status: str, why: str) -> Step:
    return Step(_("verdict"), _("{status}: {why}").format(status=status_word(status), why=why))


def status_word(status: str) -> str:
    """A status in the reader's language; a status with no word of its own (`none`) too."""
    return _("none") if status == "none" else report_status_word(status)


def unknown_because(reason: str | None) -> str:
    """`unknown (reason)`, the reason as the reader reads it; `unknown` where none is given."""
    if not reason:
        return _("unknown")
    return _("unknown ({reason})").format(reason=spoken(reason))


def truth(value: Any) -> str:
    if isinstance(value, Unknown):
        return unknown_because(value.reason)
    return _("true") if value is True else _("false")


def short(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + ELLIPSIS


@attrs.define
class Writer:
    """Writes values with their units and the ruleset's currency."""

    currency: str | None

    def value(self, value: Any, unit: str, form: RatioForm | None = None) -> str:
        """`form` says how a ratio is written (a percent where None)."""
        if value is NOT_READ:
            return _(NOT_WORKED_OUT)
        if isinstance(value, Unknown):
            return unknown_because(value.reason)
        if isinstance(value, Keyed):
            return self.keyed(value, unit, form)
        return describe(value, unit, self.currency, form)

    def keyed(self, value: Keyed, unit: str, form: RatioForm | None = None) -> str:
        items = sorted(value.values.items())
        if not items:
            return _("no keys")
        shown = [f"{k}: {describe(v, unit, self.currency, form)}" for k, v in items[:MAX_KEYS]]
        if len(items) > MAX_KEYS:
            shown.append(_("{ellipsis} ({count} keys)").format(ellipsis=ELLIPSIS, count=len(items)))
        return _(", ").join(shown)

    def operand(self, value: Any, unit: str, form: RatioForm | None = None) -> str:
        """A value inside a comparison's text; an unknown's reason is in the step's value."""
        if value is NOT_READ or isinstance(value, Unknown):
            return _("unknown")
        return self.value(value, unit, form)

    def money(self, value: Any) -> str:
        return self.value(value, "money")

    def ratio(self, value: Any) -> str:
        return self.value(value, "ratio")


class Walker:
    """Writes out an expression at a period, at the rule's key, with every sub-expression's
    value as the trace recorded it."""

    def __init__(
        self, trace: Trace, types: ExpressionTypes, key: str | None, writer: Writer
    ) -> None:
        self.trace = trace
        self.types = types
        self.key = key
        self.writer = writer
        self.steps_left = MAX_STEPS
        self.quiet_cut = False
        self.expanded: set[tuple[str, int, bool]] = set()  # lets written out already

    def value(self, expr: s.Expr, position: int, whole: bool = False) -> Any:
        """The recorded value at `position`; keyed values at the rule's key unless `whole`."""
        value = self.trace.value(expr, position)
        return value if whole or value is NOT_READ else at_key(value, self.key)

    def unit_of(self, expr: s.Expr, hint: str | None = None) -> str:
        """A bare literal takes the unit of what it is compared with or added to."""
        found = self.types.type_of(expr)
        if found is None:
            return "number"
        return hint if found.literal and hint is not None else found.unit

    def form_of(self, expr: s.Expr, hint: RatioForm | None = None) -> RatioForm:
        """How a ratio is written: a ratio name in its form, a bare literal in that of what it
        is compared with or added to (`hint`), any other expression as a percent."""
        found = self.types.type_of(expr)
        if found is not None and found.literal and hint is not None:
            return hint
        return form_of(expr, self.types.scope)

    def walk(
        self,
        expr: s.Expr,
        position: int,
        *,
        whole: bool = False,
        hint: str | None = None,
        form: RatioForm | None = None,
        shown_as: RatioForm | None = None,
        title: str = "",
        in_period: bool = False,
        levels: int = MAX_DEPTH,
    ) -> Step:
        """A step for `expr` and, `levels` deep, its parts; "…" where MAX_DEPTH cuts it. A bare
        literal takes the unit `hint` and the ratio form `form` of what it is compared with;
        `shown_as` writes the step's own value in that form (a rule's value as its results)."""
        self.steps_left -= 1
        text = short(expression_text(expr))
        if title:
            text = f"{title} {text}"
        if in_period:
            text = _("{expression} in {period}").format(
                expression=text, period=self.trace.label(position)
            )
        shown = self.writer.value(
            self.value(expr, position, whole),
            self.unit_of(expr, hint),
            shown_as or self.form_of(expr, form),
        )
        if not self.has_parts(expr):
            return Step(text, shown)
        if levels <= 0 or self.steps_left <= 0:
            # A shallow walk (a trigger's period row) ends quietly; a cut one says so.
            quiet = self.quiet_cut and self.steps_left > 0
            return Step(text, shown, () if quiet else (Step(ELLIPSIS, _("left out")),))
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
            return expr.name in self.types.scope.lets
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
            case s.Binary() if is_status_comparison(expr):
                return (self.status(expr, position),)
            case s.Binary():
                return self.sides(expr, position, whole, levels)
            case s.Call():
                return self.call(expr, position, whole, levels)
        return ()

    def status(self, expr: s.Binary, position: int) -> Step:
        """The status `status("RULE")` compared, as the rule had it in that period."""
        call = expr.left if isinstance(expr.left, s.Call) else expr.right
        self.steps_left -= 1
        status = self.value(call, position)
        if isinstance(status, Unknown):
            shown = _("unknown: {reason}").format(reason=spoken(status.reason))
        elif isinstance(status, str):
            shown = report_status_word(status)
        else:
            shown = self.writer.value(status, "number")
        text = _("{expression} in {period}").format(
            expression=short(expression_text(call)), period=self.trace.label(position)
        )
        return Step(text, shown)

    def sides(self, expr: s.Binary, position: int, whole: bool, levels: int) -> tuple[Step, ...]:
        takes_unit = expr.op in ("+", "-", "<", "<=", ">", ">=", "==", "!=")
        left_hint = self.unit_of(expr.right) if takes_unit else None
        right_hint = self.unit_of(expr.left) if takes_unit else None
        left_form = self.form_of(expr.right) if takes_unit else None
        right_form = self.form_of(expr.left) if takes_unit else None
        return (
            self.walk(
                expr.left, position, whole=whole, hint=left_hint, form=left_form, levels=levels
            ),
            self.walk(
                expr.right, position, whole=whole, hint=right_hint, form=right_form, levels=levels
            ),
        )

    def let(self, name: str, position: int, whole: bool, levels: int) -> tuple[Step, ...]:
        let = self.types.scope.lets[name]
        mark = (name, position, whole)
        # The let's value is the name's, and is written as the name is (a ratio in its form).
        form = self.types.scope.forms.get(name)
        if mark in self.expanded:
            # Written out once; a let read many times would otherwise grow the tree
            # exponentially (let b = a + a, let c = b + b, ...).
            self.steps_left -= 1
            body = short(expression_text(let.expr))
            value = self.writer.value(
                self.value(let.expr, position, whole), self.unit_of(let.expr), form
            )
            return (
                Step(
                    _("let {name} = {body} (written out above)").format(name=name, body=body), value
                ),
            )
        self.expanded.add(mark)
        step = self.walk(let.expr, position, whole=whole, shown_as=form, levels=levels)
        return (attrs.evolve(step, text=f"let {name} = {step.text}"),)

    def call(self, expr: s.Call, position: int, whole: bool, levels: int) -> tuple[Step, ...]:
        name, args = expr.function, expr.args
        over_keys = name in AGGREGATES and (len(args) == 1 or name == "sum")
        if over_keys or name in ACROSS_KEYS:
            # An aggregate works over all the keys, so its argument is shown whole (the
            # dimension `sum(x, kenh)` sums away is in the text already).
            return (self.walk(args[0], position, whole=True, levels=levels),)
        if name in HISTORY:
            return self.history(expr, position, whole, levels)
        if name == "round":
            args = args[:1]  # the digits are in the text already
        return tuple(self.walk(arg, position, whole=whole, levels=levels) for arg in args)

    def history(self, expr: s.Call, position: int, whole: bool, levels: int) -> tuple[Step, ...]:
        count = _count(expr.args[1]) if len(expr.args) > 1 else 1
        read = periods_read(expr.function, count, position, self.trace.window_start)
        if expr.function in ("total", "since") and len(expr.args) > 1:
            read = range(self.first_summed(expr.args[1], position), position + 1)
        if not read:
            return (Step(_("no period of the window yet"), _("an empty sum, 0")),)
        positions = self.trace.summed(expr.args[0], read) if expr.function in SUMS else read
        steps = self.over_periods(
            positions,
            lambda p: self.walk(expr.args[0], p, whole=whole, in_period=True, levels=levels),
        )
        return (*steps, *not_needed(len(read) - len(positions)))

    def first_summed(self, bound: s.Expr, position: int) -> int:
        """Where `total(x, quarter)`, `total(x, year)` or `since(x, DATE)` starts summing."""
        label, start = self.trace.label, self.trace.window_start
        if isinstance(bound, s.DateLiteral) and bound.value is not None:
            return date_start(label, position, bound.value)
        window = bound.name if isinstance(bound, s.Name) else "year"
        return calendar_start(label, position, start, window)

    def over_periods(
        self, positions: Sequence[int], step: Callable[[int], Step], latest: bool = False
    ) -> list[Step]:
        """One step per period; a long run keeps its first and last periods, or with `latest`
        (a trigger, whose state hangs on the recent periods) the last ones only."""
        if len(positions) <= MAX_PERIODS:
            return [step(p) for p in positions]
        if latest:
            left_out = len(positions) - MAX_PERIODS
            earlier = Step(
                ELLIPSIS,
                ngettext(
                    "{count} earlier period left out", "{count} earlier periods left out", left_out
                ).format(count=left_out),
            )
            return [earlier, *(step(p) for p in positions[-MAX_PERIODS:])]
        half = MAX_PERIODS // 2
        left_out = len(positions) - 2 * half
        return [
            *(step(p) for p in positions[:half]),
            Step(
                ELLIPSIS,
                ngettext("{count} period left out", "{count} periods left out", left_out).format(
                    count=left_out
                ),
            ),
            *(step(p) for p in positions[-half:]),
        ]


# The history functions that sum their periods, so that the first unknown one is the sum.
SUMS = frozenset({"total", "rolling_sum", "rolling_avg"})


def not_needed(count: int) -> tuple[Step, ...]:
    """A step for the periods after the first unknown of a sum, which it did not need."""
    if count == 0:
        return ()
    left_over = ngettext(
        "{count} later period not needed: the sum is unknown",
        "{count} later periods not needed: the sum is unknown",
        count,
    )
    return (Step(ELLIPSIS, left_over.format(count=count)),)


def _count(expr: s.Expr) -> int:
    # The checker lets only whole literal counts through.
    return int(literal_value(expr)) if isinstance(expr, s.Number) else 1


@attrs.define
class Context:
    """One explanation: the report and trace of its evaluation, and the result explained."""

    report: Report
    trace: Trace
    key: str | None
    result: Result | None
    walker: Walker
    write: Writer

    @property
    def current(self) -> int:
        return self.trace.current

    @property
    def record(self) -> Record | None:
        return self.trace.record

    def label(self, position: int) -> str:
        return self.trace.label(position)

    def status(self) -> str:
        return self.result.status if self.result is not None else "none"

    def form(self, rule: s.Goal | s.Threshold) -> RatioForm:
        """How the rule's value, target and levels are written: as its results are."""
        return rule_form(rule, self.walker.types.scope)

    def result_value(self, value: Any, unit: str) -> str:
        """A number of the result; unknown where the report could not know it."""
        if value is None:
            return unknown_because(self.result.reason if self.result is not None else None)
        return self.write.value(value, unit)
