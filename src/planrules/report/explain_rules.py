"""The sections of an explanation for each kind of rule, written from the evaluation's record.

Each figure comes from the report (a result's value, target, pacing, progress, forecast ...)
or from the trace the evaluation recorded (which test decided a goal, each level's bound, the
spending period by period, a trigger's periods, each action's limits); nothing here works a
figure out or decides a status again.
"""

from __future__ import annotations

from typing import Any

import attrs

from planrules.eval.adjust import Limit
from planrules.eval.evaluate import SEVERITY_COUNTS
from planrules.eval.rules import DEFAULT_TOLERANCE
from planrules.eval.trace import (
    ActionRecord,
    BudgetRecord,
    Elapsed,
    GoalRecord,
    LevelRecord,
    ThresholdRecord,
    TriggerPeriod,
    TriggerRecord,
)
from planrules.i18n import N_, _, ngettext, spoken
from planrules.lang import syntax as s
from planrules.lang.fmt import expression as expression_text
from planrules.lang.fmt import quote
from planrules.report.explain_steps import (
    Context,
    Step,
    not_needed,
    section,
    short,
    status_word,
    truth,
    unknown_because,
    verdict,
)
from planrules.report.model import Required


def sections(context: Context, rule: s.Rule) -> list[Step]:
    if isinstance(rule, s.Goal):
        return _goal_sections(context, rule)
    if isinstance(rule, s.Threshold):
        return _threshold_sections(context, rule)
    if isinstance(rule, s.Budget):
        return _budget_sections(context, rule)
    return _trigger_sections(context, rule)


def _tolerance_text(number: s.Number | None) -> str:
    if number is None:
        return f"{(DEFAULT_TOLERANCE * 100).normalize():f}%"
    return number.text


# ---- goals ---------------------------------------------------------------------------------


def _goal_sections(context: Context, goal: s.Goal) -> list[Step]:
    record = context.record
    assert isinstance(record, GoalRecord), "a traced goal records every key it judges"
    result_sections = [
        # The value is the result's, written as the report writes it.
        section(
            _("value"),
            [context.walker.walk(goal.subject, record.judged_at, shown_as=context.form(goal))],
        ),
        section(_("compared with"), _goal_comparison(context, goal, record)),
    ]
    if goal.deadline is not None:
        result_sections.append(section(_("pacing"), _goal_pacing(context, goal, record)))
    result_sections.append(verdict(context.status(), _goal_why(context, goal, record)))
    return result_sections


def _goal_comparison(context: Context, goal: s.Goal, record: GoalRecord) -> list[Step]:
    walker, write, judged = context.walker, context.write, record.judged_at
    unit = walker.unit_of(goal.subject)
    form = context.form(goal)
    if goal.baseline is not None:
        baseline = walker.walk(goal.baseline, judged, hint=unit, shown_as=form, title=_("baseline"))
    else:
        baseline = Step(
            _("baseline"), _("{value} (no `from`)").format(value=write.value(0, unit, form))
        )
    value = walker.value(goal.subject, judged)
    target = walker.value(goal.target, judged)
    comparison = f"{write.operand(value, unit, form)} {goal.op} {write.operand(target, unit, form)}"
    return [
        walker.walk(goal.target, judged, hint=unit, shown_as=form, title=_("target")),
        baseline,
        Step(comparison, truth(record.holds)),
        _deadline_step(context, goal, record),
    ]


def _deadline_step(context: Context, goal: s.Goal, record: GoalRecord) -> Step:
    if goal.deadline is None:
        return Step(
            _("deadline"),
            _("none: judged at the current period, {period}").format(
                period=context.label(context.current)
            ),
        )
    title = _("deadline {date}").format(date=goal.deadline.isoformat())
    deadline = record.deadline
    if deadline is None:
        reason = context.result.reason if context.result is not None else None
        return Step(title, _("cannot be placed: {reason}").format(reason=reason and spoken(reason)))
    if record.deadline_reached:
        return Step(
            title,
            _("reached: judged at {period}, the period holding it").format(
                period=context.label(deadline)
            ),
        )
    return Step(
        title,
        _("ahead: {deadline} holds it; judged on pace at {period}").format(
            deadline=context.label(deadline), period=context.label(context.current)
        ),
    )


def _goal_pacing(context: Context, goal: s.Goal, record: GoalRecord) -> list[Step]:
    result = context.result
    if result is None or result.pacing is None or record.elapsed is None:
        reason = result.reason if result is not None else None
        return [Step(_("elapsed"), unknown_because(reason))]
    pacing, write = result.pacing, context.write
    if record.elapsed.how == "unpaced":
        return [Step(_("pace"), _(UNPACED))]
    steps = [_elapsed_step(context, record.elapsed, pacing.elapsed)]
    if result.value is None or result.target is None:
        return steps
    unit, form = result.unit, result.form
    v, t = write.value(result.value, unit, form), write.value(result.target, unit, form)
    b = write.value(result.baseline or 0, unit, form)
    e = write.ratio(pacing.elapsed)
    if result.progress is not None:
        steps.append(
            Step(
                _(
                    "progress = (value - baseline) / (target - baseline) = "
                    "({value} - {baseline}) / ({target} - {baseline})"
                ).format(value=v, baseline=b, target=t),
                write.ratio(result.progress),
            )
        )
    if pacing.paced and result.progress is not None:
        # A `<` goal with no `from` has no progress, so no pace lines either.
        tolerance = _tolerance_text(goal.tolerance)
        steps.append(Step(_("pass line = elapsed"), e))
        steps.append(
            Step(
                _("warn line = elapsed × (1 - tolerance) = {elapsed} × (1 - {tolerance})").format(
                    elapsed=e, tolerance=tolerance
                ),
                write.ratio(record.warn_line),
            )
        )
    if result.expected is not None:
        steps.append(
            Step(
                _(
                    "expected = baseline + (target - baseline) × elapsed = "
                    "{baseline} + ({target} - {baseline}) × {elapsed}"
                ).format(baseline=b, target=t, elapsed=e),
                write.value(result.expected, unit, form),
            )
        )
    if result.forecast is not None:
        steps.append(
            Step(
                _(
                    "forecast = baseline + (value - baseline) / elapsed = "
                    "{baseline} + ({value} - {baseline}) / {elapsed}"
                ).format(baseline=b, value=v, elapsed=e),
                write.value(result.forecast, unit, form),
            )
        )
    runs = result.required_by_period
    if runs:
        share = write.ratio(pacing.schedule[0].share)
        steps.append(
            Step(
                _(
                    "required per period = max(0, target - value) × the next period's share of "
                    "the {remaining} left = max(0, {target} - {value}) × {share}"
                ).format(remaining=pacing.remaining, target=t, value=v, share=share),
                write.value(runs[0].amount, unit, form),
                tuple(Step(_run_text(run), write.value(run.amount, unit, form)) for run in runs),
            )
        )
    return steps


def _run_text(run: Required) -> str:
    if run.period == run.through:
        return _("required in {period}").format(period=run.period)
    return _("required in each of {period} through {through}").format(
        period=run.period, through=run.through
    )


UNPACED = (
    "none: the goal is not paced (it has no `from` and its subject is no `total(...)`), so "
    "it passes where the comparison holds now and warns where it does not, until its deadline"
)


def _elapsed_step(context: Context, elapsed: Elapsed, share: Any) -> Step:
    if elapsed.how == "reached":
        return Step(
            _("elapsed"),
            _("{share} (the deadline's period is reached)").format(share=context.write.ratio(1)),
        )
    if elapsed.how == "not started":
        return Step(
            _("elapsed"),
            _("{share} (the window has not started)").format(share=context.write.ratio(0)),
        )
    start, end = context.label(elapsed.start), context.label(elapsed.end)
    if elapsed.how == "phased" and elapsed.scaled_by:
        weights = " + ".join(weight.text for weight in elapsed.weights)
        whole = " + ".join(weight.text for weight in elapsed.scaled_by)
        return Step(
            _(
                "elapsed = ({weights}) / ({whole}) (phased weights from the key's first period, "
                "{start} through {end})"
            ).format(weights=weights, whole=whole, start=start, end=end),
            context.write.ratio(share),
        )
    if elapsed.how == "phased":
        weights = " + ".join(weight.text for weight in elapsed.weights)
        return Step(
            _("elapsed = {weights} (phased weights, {start} through {end})").format(
                weights=weights, start=start, end=end
            ),
            context.write.ratio(share),
        )
    return Step(
        ngettext(
            "elapsed = {done} of {span} period ({start} through {end})",
            "elapsed = {done} of {span} periods ({start} through {end})",
            elapsed.span,
        ).format(
            done=elapsed.done,
            span=elapsed.span,
            start=start,
            end=end,
        ),
        context.write.ratio(share),
    )


def _goal_why(context: Context, goal: s.Goal, record: GoalRecord) -> str:
    result = context.result
    if result is None:
        return _("no result")
    if result.status == "unknown" or record.verdict is None:
        return spoken(result.reason) if result.reason else _("a value is unknown")
    pacing = result.pacing
    holds = record.verdict == "holds"
    if record.verdict == "holds now":
        return _("the comparison holds now; the goal is not paced, so its deadline makes it final")
    if record.verdict == "not yet":
        return _("the comparison does not hold yet; a goal that is not paced warns until it does")
    if pacing is None:
        return _("the comparison holds") if holds else _("the comparison does not hold")
    if not pacing.paced:
        if holds:
            return _("at the deadline's period the comparison holds")
        return _("at the deadline's period the comparison does not hold")
    match record.verdict:
        case "holds":
            return _("the comparison already holds")
        case "not started":
            return _("the window has not started, so nothing is due yet")
        case "loose":
            return _("a `{op}` goal with no `from` warns until the comparison holds").format(
                op=goal.op
            )
        case "no span":
            return _("the target equals the baseline and the comparison does not hold")
    write = context.write
    p, e = write.ratio(result.progress), write.ratio(pacing.elapsed)
    w = write.ratio(record.warn_line)
    if record.verdict == "on pace":
        return _("progress {progress} reaches the pass line {pass_line}").format(
            progress=p, pass_line=e
        )
    if record.verdict == "near pace":
        return _(
            "progress {progress} is below the pass line {pass_line} but reaches the warn line "
            "{warn_line}"
        ).format(progress=p, pass_line=e, warn_line=w)
    return _("progress {progress} is below the warn line {warn_line}").format(
        progress=p, warn_line=w
    )


# ---- thresholds ----------------------------------------------------------------------------


def _threshold_sections(context: Context, threshold: s.Threshold) -> list[Step]:
    record = context.record
    assert isinstance(record, ThresholdRecord), "a traced threshold records every key it judges"
    levels = [_level_step(context, threshold, level) for level in record.levels]
    return [
        # The value is the result's, written as the report writes it.
        section(
            _("value"),
            [
                context.walker.walk(
                    threshold.subject, context.current, shown_as=context.form(threshold)
                )
            ],
        ),
        section(_("compared with"), levels),
        verdict(context.status(), _threshold_why(context)),
    ]


def _level_step(context: Context, threshold: s.Threshold, record: LevelRecord) -> Step:
    walker, at, level = context.walker, context.current, record.level
    unit, form = walker.unit_of(threshold.subject), context.form(threshold)
    value = walker.value(threshold.subject, at)
    children: list[Step] = []
    if not isinstance(level.bound, s.Number):
        children.append(walker.walk(level.bound, at, hint=unit, shown_as=form, title=_("bound")))
    sign = ">" if level.direction == "above" else "<"
    write = walker.writer
    compared = (
        f"{write.operand(value, unit, form)} {sign} {write.operand(record.bound, unit, form)}"
    )
    children.append(Step(compared, truth(record.reached)))
    if record.reached is True:
        shown = _("reached")
    elif record.reached is False:
        shown = _("not reached")
    else:
        shown = truth(record.reached)
    bound = short(expression_text(level.bound))
    if level.direction == "above":
        text = _("{status} above {bound}").format(status=status_word(level.status), bound=bound)
    else:
        text = _("{status} below {bound}").format(status=status_word(level.status), bound=bound)
    return Step(text, shown, tuple(children))


def _threshold_why(context: Context) -> str:
    result = context.result
    if result is None:
        return _("no result")
    if result.status == "unknown":
        return spoken(result.reason) if result.reason else _("a value is unknown")
    if result.level is None:
        return _("no level is reached")
    return _("{level} is reached (fail wins over warn)").format(level=spoken(result.level))


# ---- budgets -------------------------------------------------------------------------------


def _budget_sections(context: Context, budget: s.Budget) -> list[Step]:
    planned = _planned(context, budget)
    write = context.write
    if context.key is not None:
        what = _("planned {line}").format(line=context.key)
    else:
        what = _("planned total")
    adjustments = section(_("adjustments"), _budget_adjustments(context, budget))
    record = context.record
    if budget.metric is None or not isinstance(record, BudgetRecord):
        return [
            section(
                _("value"), [Step(_("spent"), _("not checked: the budget has no `for` metric"))]
            ),
            section(_("compared with"), [Step(what, write.money(planned))]),
            adjustments,
            verdict("none", _("a budget without `for` has only its allocation")),
        ]
    return [
        section(_("value"), [_spent_step(context, budget, record)]),
        section(_("compared with"), _budget_comparison(context, budget, record, planned, what)),
        section(_("pacing"), _budget_pacing(context, budget, record)),
        adjustments,
        verdict(context.status(), _budget_why(context, record)),
    ]


def _planned(context: Context, budget: s.Budget) -> Any:
    """The plan of the line explained, or of the whole budget, as the report allocates it."""
    allocation = context.report.allocation(budget.name)
    assert allocation is not None, "every budget has its allocation in the report"
    if context.key is None:
        return allocation.total
    return next(line.planned for line in allocation.lines if line.line == context.key)


def _spent_step(context: Context, budget: s.Budget, record: BudgetRecord) -> Step:
    assert budget.metric is not None
    metric, key = budget.metric, context.key
    what = _key_text(metric, key) if key is not None else f"sum({metric})"
    result = context.result
    spent = context.result_value(result.value if result is not None else None, "money")
    periods = dict(record.by_period)
    positions = list(periods)
    if budget.per_period:
        text = _("spent = {what} in {period} (per period)").format(
            what=what, period=context.label(record.judged_at)
        )
    elif positions:
        text = _("spent = {what} summed over {start} through {end}").format(
            what=what, start=context.label(positions[0]), end=context.label(record.judged_at)
        )
    else:
        return Step(_("spent"), _("{spent} (the window has not started)").format(spent=spent))

    def spent_in(position: int) -> Step:
        label = context.label(position)
        return Step(
            _("{expression} in {period}").format(expression=what, period=label),
            context.write.money(periods[position]),
        )

    steps = context.walker.over_periods(positions, spent_in)
    return Step(text, spent, (*steps, *not_needed(record.not_needed)))


def _key_text(metric: str, key: str) -> str:
    return f"{metric}.{key}" if key.isidentifier() else f"{metric}[{quote(key)}]"


def _budget_comparison(
    context: Context, budget: s.Budget, record: BudgetRecord, planned: Any, what: str
) -> list[Step]:
    write, result = context.write, context.result
    steps = [Step(what, write.money(planned))]
    spending = record.spending.get(context.key)
    if result is None or result.value is None or spending is None:
        return steps
    compared = f"{write.money(result.value)} > {write.money(planned)}"
    steps.append(Step(compared, truth(spending.over_plan)))
    if context.key is None:
        unplanned = _(", ").join(result.unplanned) if result.unplanned else _("none")
        steps.append(Step(_("spending on keys no line names"), unplanned))
        lines = [
            Step(line.key.text, status_word(found.status))
            for line in budget.lines
            if (found := context.report.result(budget.name, line.key.text)) is not None
        ]
        steps.append(Step(_("lines"), "", tuple(lines)))
    return steps


def _budget_pacing(context: Context, budget: s.Budget, record: BudgetRecord) -> list[Step]:
    write, result = context.write, context.result
    if budget.per_period:
        return [Step(_("pace"), _("not checked: each period's spending is judged on its own"))]
    if record.pace is None:
        return [Step(_("pace"), _("not checked: the plan window has no end"))]
    line = write.ratio(record.pace_line)
    steps = [
        Step(
            _("elapsed = {done} of {span} periods").format(done=record.done, span=record.span),
            write.ratio(record.pace),
        ),
        Step(
            _("pace line = elapsed × (1 + tolerance) = {elapsed} × (1 + {tolerance})").format(
                elapsed=write.ratio(record.pace), tolerance=_tolerance_text(budget.tolerance)
            ),
            line,
        ),
    ]
    spending = record.spending.get(context.key)
    if result is None or result.value is None or spending is None:
        return steps
    if result.used is None:
        return [Step(_("used = spent / planned"), _("none: nothing is planned")), *steps]
    used = _("used = spent / planned = {spent} / {planned}").format(
        spent=write.money(result.value), planned=write.money(result.planned)
    )
    return [
        Step(used, write.ratio(result.used)),
        *steps,
        Step(f"{write.ratio(result.used)} > {line}", truth(spending.over_pace)),
    ]


def _budget_why(context: Context, record: BudgetRecord) -> str:
    """A line's verdict from the spending tests the evaluator recorded; the whole budget's
    from its reason in the report, which names the check that decided it."""
    result = context.result
    if result is None:
        return _("no result")
    if result.status == "unknown":
        return spoken(result.reason) if result.reason else _("the spending is unknown")
    if context.key is None:
        return spoken(result.reason) if result.reason else _("within the plan and its pace")
    spending = record.spending.get(context.key)
    if spending is not None and spending.over_plan:
        return _("more is spent than planned")
    if spending is not None and spending.over_pace:
        return _("spending runs ahead of the pace line")
    return _("within the plan and its pace")


def _budget_adjustments(context: Context, budget: s.Budget) -> list[Step]:
    key = context.key
    steps = [
        action_step(context, record)
        for record in context.trace.actions
        if record.adjustment.budget == budget.name and (key is None or key in record.lines)
    ]
    allocation = context.report.allocation(budget.name)
    if allocation is not None:
        write = context.write
        for line in allocation.lines:
            if key is None or line.line == key:
                change = f"{write.money(line.planned)} → {write.money(line.proposed)}"
                steps.append(Step(_("proposed {line}").format(line=line.line), change))
    return steps or [Step(_("none"), _("no fired trigger adjusts it"))]


# ---- triggers ------------------------------------------------------------------------------


def _trigger_sections(context: Context, trigger: s.Trigger) -> list[Step]:
    record = context.record
    assert isinstance(record, TriggerRecord), "a traced trigger records every key it walks"
    return [
        section(_("value"), [context.walker.walk(trigger.condition, context.current)]),
        section(_("periods"), _trigger_periods(context, trigger, record)),
        section(_("adjustments"), _trigger_adjustments(context, trigger)),
        section(_("recommendations"), _recommendations(context, trigger)),
        verdict(context.status(), _trigger_why(context, trigger)),
    ]


def _trigger_periods(context: Context, trigger: s.Trigger, record: TriggerRecord) -> list[Step]:
    """One row per period with a snapshot, as the evaluator walked them (gaps count as not
    held); a row is written only where it is shown (a long history shows its last ones)."""
    periods = {period.position: period for period in record.periods}

    def row(position: int) -> Step:
        period = periods[position]
        condition = context.walker.shallow(trigger.condition, position)
        children = [attrs.evolve(condition, value=_held_text(period))]
        children.append(_hold_step(context, trigger, period))
        cooldown = trigger.cooldown
        if period.met and cooldown is not None and cooldown.value > 0:
            children.append(_cooldown_step(context, cooldown, period))
        return Step(context.label(position), status_word(period.state), tuple(children))

    return context.walker.over_periods(list(periods), row, latest=True)


def _held_text(period: TriggerPeriod) -> str:
    if not period.exists:
        return _("not counted: the key has no history before its first period")
    if period.condition is True:
        return _("held")
    if period.condition is False:
        return _("not held")
    return _("{unknown}: counts as not held").format(unknown=truth(period.condition))


# How `for` saw each period it looked at (`planrules.eval.trace.TriggerPeriod.looked`).
_LOOKED = {
    "held": N_("held"),
    "not held": N_("not held"),
    "no snapshot": N_("no snapshot"),
    "before the key's first period": N_("before the key's first period"),
}


def _hold_step(context: Context, trigger: s.Trigger, period: TriggerPeriod) -> Step:
    met = _("met") if period.met else _("not met")
    if trigger.hold is None:
        return Step(_("no `for`: it fires in each period where the condition holds"), met)
    marks = _(", ").join(f"{context.label(p)} {_(_LOOKED[mark])}" for p, mark in period.looked)
    hold = trigger.hold.text
    if trigger.window is not None:
        title = _("for {hold} of {window} periods ({marks}): held in {held}")
        title = title.format(
            hold=hold, window=trigger.window.text, marks=marks, held=period.held_in
        )
    else:
        title = ngettext(
            "for {hold} period ({marks}): held in {held}",
            "for {hold} periods ({marks}): held in {held}",
            int(trigger.hold.value),
        ).format(hold=hold, marks=marks, held=period.held_in)
    return Step(title, met)


def _cooldown_step(context: Context, cooldown: s.Number, period: TriggerPeriod) -> Step:
    title = ngettext("cooldown {count} period", "cooldown {count} periods", int(cooldown.value))
    title = title.format(count=cooldown.text)
    if period.fired_before is None or period.since is None:
        return Step(_("{title}: it has not fired before").format(title=title), _("clear"))
    when = ngettext(
        "fired in {period}, {count} period before",
        "fired in {period}, {count} periods before",
        period.since,
    ).format(period=context.label(period.fired_before), count=period.since)
    state = status_word("cooling") if period.state == "cooling" else _("clear")
    return Step(_("{title}: {when}").format(title=title, when=when), state)


def _trigger_why(context: Context, trigger: s.Trigger) -> str:
    result = context.result
    if result is None:
        return _("no result")
    as_of = context.report.as_of
    match result.status:
        case "fired":
            severity = result.severity or "warn"
            counts = SEVERITY_COUNTS[severity]
            return _("it fired in {period}; severity {severity}, counted as {counts}").format(
                period=as_of, severity=status_word(severity), counts=status_word(counts)
            )
        case "cooling":
            assert trigger.cooldown is not None, "only a trigger with a cooldown cools"
            return ngettext(
                "it would fire in {period}, but it fired in {fired}, within its cooldown of "
                "{count} period",
                "it would fire in {period}, but it fired in {fired}, within its cooldown of "
                "{count} periods",
                int(trigger.cooldown.value),
            ).format(period=as_of, fired=result.last_fired, count=trigger.cooldown.text)
        case "unknown":
            return _("the condition cannot be computed in {period}: {reason}").format(
                period=as_of, reason=result.reason and spoken(result.reason)
            )
    return _("the condition has not held as `for` asks in {period}").format(period=as_of)


def _trigger_adjustments(context: Context, trigger: s.Trigger) -> list[Step]:
    steps = [
        action_step(context, record)
        for record in context.trace.actions
        if record.trigger == trigger.name and record.key == context.key
    ]
    if steps:
        return steps
    if not any(isinstance(action, s.Shift | s.Scale) for action in trigger.actions):
        return [Step(_("none"), _("the trigger has no budget actions"))]
    return [
        Step(
            _("none"),
            _("actions apply only where the trigger fired in {period}").format(
                period=context.report.as_of
            ),
        )
    ]


def _recommendations(context: Context, trigger: s.Trigger) -> list[Step]:
    texts = [
        Step(_("recommend"), r.text)
        for r in context.report.recommendations
        if r.trigger == trigger.name and r.key == context.key
    ]
    nothing = _("nothing is recommended in {period}").format(period=context.report.as_of)
    return texts or [Step(_("none"), nothing)]


# ---- adjustments ---------------------------------------------------------------------------


def action_step(context: Context, record: ActionRecord) -> Step:
    """A budget action as the adjuster applied it: what it asked for, each limit as it stood
    then, and what it moved."""
    action, lines, adjustment = record.action, record.lines, record.adjustment
    if isinstance(action, s.Shift):
        text = _("shift {amount} from {source} to {destination}").format(
            amount=action.amount.text, source=lines[0], destination=lines[1]
        )
    else:
        text = _("scale {line} by {amount}").format(
            line=lines[0], amount=f"{action.sign}{action.amount.text}"
        )
    if record.total is None:
        why = spoken(adjustment.clipped) if adjustment.clipped else ""
        return Step(text, _("skipped"), (Step(_("why"), why),))
    money = context.write.money
    limits = [_requested_step(context, record), *_limit_steps(context, record)]
    cut = isinstance(action, s.Scale) and action.sign == "-"
    if cut:
        applied = _("applied = -min(|requested|, limit)")
    else:
        applied = _("applied = min(requested, limits), at least 0")
    clipped = spoken(adjustment.clipped) if adjustment.clipped else None
    outcome = [
        Step(applied, money(adjustment.applied)),
        Step(_("clipped"), clipped or _("no: all of the request fits")),
        *(
            Step(line, f"{money(record.before[line])} → {money(record.after[line])}")
            for line in lines
        ),
    ]
    text = _("{action} in {budget}").format(action=text, budget=quote(adjustment.budget))
    applied_amount = _("applied {amount}").format(amount=money(adjustment.applied))
    return Step(text, applied_amount, (*limits, *outcome))


def _requested_step(context: Context, record: ActionRecord) -> Step:
    """What an action asks for; a cut (`by -P%`) is written negative, as the report has it."""
    money, amount = context.write.money, record.action.amount
    requested = money(record.adjustment.requested)
    if not amount.percent:
        return Step(_("requested"), requested)
    line = record.lines[0]
    sign = record.action.sign if isinstance(record.action, s.Scale) else ""
    text = _("requested = {share} × {line} {amount}").format(
        share=f"{sign}{amount.text}", line=line, amount=money(record.before[line])
    )
    return Step(text, requested)


def _limit_steps(context: Context, record: ActionRecord) -> list[Step]:
    """Each limit the adjuster tried, in its order; where a rising line has no MAX share, a
    step says so in the place its limit would have."""
    steps = [_limit_step(context, record, limit) for limit in record.limits]
    action = record.action
    raises = isinstance(action, s.Shift) or action.sign != "-"
    if raises and not any(limit.kind == "ceiling" for limit in record.limits):
        place = 1 if isinstance(action, s.Shift) else 0
        no_share = _("limit: {line} has no MAX share").format(line=record.lines[-1])
        steps.insert(place, Step(no_share, _("none")))
    return steps


def _limit_step(context: Context, record: ActionRecord, limit: Limit) -> Step:
    money = context.write.money
    total = money(record.total)
    if limit.kind == "free":
        return Step(
            _("limit: total - sum of lines = {total} - {lines}").format(
                total=total, lines=money(limit.bound)
            ),
            money(limit.room),
        )
    assert limit.line is not None, "a floor or a ceiling bounds a line"
    amount = money(record.before[limit.line])
    if limit.kind == "ceiling":
        assert limit.share is not None, "a ceiling is a MAX share"
        text = _("limit: MAX × total - {line} = {share} × {total} - {amount}").format(
            line=limit.line, share=limit.share.text, total=total, amount=amount
        )
    elif limit.share is None and limit.spent is None:
        text = _("limit: {line} - 0 (no MIN share)").format(line=limit.line)
    else:
        names, values = ["0"], ["0"]  # in the order a tie names the binding one
        if limit.spent is not None:
            names.append(_("spent"))
            values.append(_("spent {amount}").format(amount=money(limit.spent)))
        if limit.share is not None:
            names.append(_("MIN × total"))
            values.append(f"{limit.share.text} × {total}")
        text = _("limit: {line} - max({names}) = {amount} - max({values}) = {amount} - {floor}")
        text = text.format(
            line=limit.line,
            names=", ".join(names),
            amount=amount,
            values=", ".join(values),
            floor=money(limit.bound),
        )
    return Step(text, money(limit.room))
