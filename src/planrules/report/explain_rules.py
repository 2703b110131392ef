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
from planrules.lang import syntax as s
from planrules.lang.fmt import expression as expression_text
from planrules.lang.fmt import quote
from planrules.report.explain_steps import (
    Context,
    Step,
    not_needed,
    periods_word,
    section,
    short,
    truth,
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
            "value",
            [context.walker.walk(goal.subject, record.judged_at, shown_as=context.form(goal))],
        ),
        section("compared with", _goal_comparison(context, goal, record)),
    ]
    if goal.deadline is not None:
        result_sections.append(section("pacing", _goal_pacing(context, goal, record)))
    result_sections.append(verdict(context.status(), _goal_why(context, goal, record)))
    return result_sections


def _goal_comparison(context: Context, goal: s.Goal, record: GoalRecord) -> list[Step]:
    walker, write, judged = context.walker, context.write, record.judged_at
    unit = walker.unit_of(goal.subject)
    form = context.form(goal)
    if goal.baseline is not None:
        baseline = walker.walk(goal.baseline, judged, hint=unit, shown_as=form, title="baseline")
    else:
        baseline = Step("baseline", f"{write.value(0, unit, form)} (no `from`)")
    value = walker.value(goal.subject, judged)
    target = walker.value(goal.target, judged)
    comparison = f"{write.operand(value, unit, form)} {goal.op} {write.operand(target, unit, form)}"
    return [
        walker.walk(goal.target, judged, hint=unit, shown_as=form, title="target"),
        baseline,
        Step(comparison, truth(record.holds)),
        _deadline_step(context, goal, record),
    ]


def _deadline_step(context: Context, goal: s.Goal, record: GoalRecord) -> Step:
    if goal.deadline is None:
        return Step(
            "deadline", f"none: judged at the current period, {context.label(context.current)}"
        )
    title = f"deadline {goal.deadline.isoformat()}"
    deadline = record.deadline
    if deadline is None:
        reason = context.result.reason if context.result is not None else None
        return Step(title, f"cannot be placed: {reason}")
    if record.deadline_reached:
        return Step(title, f"reached: judged at {context.label(deadline)}, the period holding it")
    return Step(
        title,
        f"ahead: {context.label(deadline)} holds it; judged on pace at "
        f"{context.label(context.current)}",
    )


def _goal_pacing(context: Context, goal: s.Goal, record: GoalRecord) -> list[Step]:
    result = context.result
    if result is None or result.pacing is None or record.elapsed is None:
        reason = result.reason if result is not None else None
        return [Step("elapsed", f"unknown ({reason})" if reason else "unknown")]
    pacing, write = result.pacing, context.write
    if record.elapsed.how == "unpaced":
        return [Step("pace", UNPACED)]
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
                f"progress = (value - baseline) / (target - baseline) = ({v} - {b}) / ({t} - {b})",
                write.ratio(result.progress),
            )
        )
    if pacing.paced and result.progress is not None:
        # A `<` goal with no `from` has no progress, so no pace lines either.
        tolerance = _tolerance_text(goal.tolerance)
        steps.append(Step("pass line = elapsed", e))
        steps.append(
            Step(
                f"warn line = elapsed × (1 - tolerance) = {e} × (1 - {tolerance})",
                write.ratio(record.warn_line),
            )
        )
    if result.expected is not None:
        steps.append(
            Step(
                f"expected = baseline + (target - baseline) × elapsed = {b} + ({t} - {b}) × {e}",
                write.value(result.expected, unit, form),
            )
        )
    if result.forecast is not None:
        steps.append(
            Step(
                f"forecast = baseline + (value - baseline) / elapsed = {b} + ({v} - {b}) / {e}",
                write.value(result.forecast, unit, form),
            )
        )
    runs = result.required_by_period
    if runs:
        share = write.ratio(pacing.schedule[0].share)
        steps.append(
            Step(
                f"required per period = max(0, target - value) × the next period's share of "
                f"the {pacing.remaining} left = max(0, {t} - {v}) × {share}",
                write.value(runs[0].amount, unit, form),
                tuple(
                    Step(f"required {_run_text(context, run)}", write.value(run.amount, unit, form))
                    for run in runs
                ),
            )
        )
    return steps


def _run_text(context: Context, run: Required) -> str:
    if run.period == run.through:
        return f"in {run.period}"
    return f"in each of {run.period} through {run.through}"


UNPACED = (
    "none: the goal is not paced (it has no `from` and its subject is no `total(...)`), so "
    "it passes where the comparison holds now and warns where it does not, until its deadline"
)


def _elapsed_step(context: Context, elapsed: Elapsed, share: Any) -> Step:
    if elapsed.how == "reached":
        return Step("elapsed", "100.0% (the deadline's period is reached)")
    if elapsed.how == "not started":
        return Step("elapsed", "0.0% (the window has not started)")
    through = f"{context.label(elapsed.start)} through {context.label(elapsed.end)}"
    if elapsed.how == "phased" and elapsed.scaled_by:
        weights = " + ".join(weight.text for weight in elapsed.weights)
        whole = " + ".join(weight.text for weight in elapsed.scaled_by)
        return Step(
            f"elapsed = ({weights}) / ({whole}) (phased weights from the key's first period, "
            f"{through})",
            context.write.ratio(share),
        )
    if elapsed.how == "phased":
        weights = " + ".join(weight.text for weight in elapsed.weights)
        return Step(f"elapsed = {weights} (phased weights, {through})", context.write.ratio(share))
    return Step(
        f"elapsed = {elapsed.done} of {elapsed.span} {periods_word(elapsed.span)} ({through})",
        context.write.ratio(share),
    )


def _goal_why(context: Context, goal: s.Goal, record: GoalRecord) -> str:
    result = context.result
    if result is None:
        return "no result"
    if result.status == "unknown" or record.verdict is None:
        return result.reason or "a value is unknown"
    pacing = result.pacing
    holds = "holds" if record.verdict == "holds" else "does not hold"
    if record.verdict == "holds now":
        return "the comparison holds now; the goal is not paced, so its deadline makes it final"
    if record.verdict == "not yet":
        return "the comparison does not hold yet; a goal that is not paced warns until it does"
    if pacing is None:
        return f"the comparison {holds}"
    if not pacing.paced:
        return f"at the deadline's period the comparison {holds}"
    match record.verdict:
        case "holds":
            return "the comparison already holds"
        case "not started":
            return "the window has not started, so nothing is due yet"
        case "loose":
            return f"a `{goal.op}` goal with no `from` warns until the comparison holds"
        case "no span":
            return "the target equals the baseline and the comparison does not hold"
    write = context.write
    p, e = write.ratio(result.progress), write.ratio(pacing.elapsed)
    w = write.ratio(record.warn_line)
    if record.verdict == "on pace":
        return f"progress {p} reaches the pass line {e}"
    if record.verdict == "near pace":
        return f"progress {p} is below the pass line {e} but reaches the warn line {w}"
    return f"progress {p} is below the warn line {w}"


# ---- thresholds ----------------------------------------------------------------------------


def _threshold_sections(context: Context, threshold: s.Threshold) -> list[Step]:
    record = context.record
    assert isinstance(record, ThresholdRecord), "a traced threshold records every key it judges"
    levels = [_level_step(context, threshold, level) for level in record.levels]
    return [
        # The value is the result's, written as the report writes it.
        section(
            "value",
            [
                context.walker.walk(
                    threshold.subject, context.current, shown_as=context.form(threshold)
                )
            ],
        ),
        section("compared with", levels),
        verdict(context.status(), _threshold_why(context)),
    ]


def _level_step(context: Context, threshold: s.Threshold, record: LevelRecord) -> Step:
    walker, at, level = context.walker, context.current, record.level
    unit, form = walker.unit_of(threshold.subject), context.form(threshold)
    value = walker.value(threshold.subject, at)
    children: list[Step] = []
    if not isinstance(level.bound, s.Number):
        children.append(walker.walk(level.bound, at, hint=unit, shown_as=form, title="bound"))
    sign = ">" if level.direction == "above" else "<"
    write = walker.writer
    compared = (
        f"{write.operand(value, unit, form)} {sign} {write.operand(record.bound, unit, form)}"
    )
    children.append(Step(compared, truth(record.reached)))
    if record.reached is True:
        shown = "reached"
    elif record.reached is False:
        shown = "not reached"
    else:
        shown = truth(record.reached)
    text = f"{level.status} {level.direction} {short(expression_text(level.bound))}"
    return Step(text, shown, tuple(children))


def _threshold_why(context: Context) -> str:
    result = context.result
    if result is None:
        return "no result"
    if result.status == "unknown":
        return result.reason or "a value is unknown"
    if result.level is None:
        return "no level is reached"
    return f"{result.level} is reached (fail wins over warn)"


# ---- budgets -------------------------------------------------------------------------------


def _budget_sections(context: Context, budget: s.Budget) -> list[Step]:
    planned = _planned(context, budget)
    write = context.write
    what = f"planned {context.key}" if context.key is not None else "planned total"
    adjustments = section("adjustments", _budget_adjustments(context, budget))
    record = context.record
    if budget.metric is None or not isinstance(record, BudgetRecord):
        return [
            section("value", [Step("spent", "not checked: the budget has no `for` metric")]),
            section("compared with", [Step(what, write.money(planned))]),
            adjustments,
            verdict("none", "a budget without `for` has only its allocation"),
        ]
    return [
        section("value", [_spent_step(context, budget, record)]),
        section("compared with", _budget_comparison(context, budget, record, planned, what)),
        section("pacing", _budget_pacing(context, budget, record)),
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
        text = f"spent = {what} in {context.label(record.judged_at)} (per period)"
    elif positions:
        span = f"{context.label(positions[0])} through {context.label(record.judged_at)}"
        text = f"spent = {what} summed over {span}"
    else:
        return Step("spent", f"{spent} (the window has not started)")

    def spent_in(position: int) -> Step:
        label = context.label(position)
        return Step(f"{what} in {label}", context.write.money(periods[position]))

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
        unplanned = ", ".join(result.unplanned) if result.unplanned else "none"
        steps.append(Step("spending on keys no line names", unplanned))
        lines = [
            Step(line.key.text, found.status)
            for line in budget.lines
            if (found := context.report.result(budget.name, line.key.text)) is not None
        ]
        steps.append(Step("lines", "", tuple(lines)))
    return steps


def _budget_pacing(context: Context, budget: s.Budget, record: BudgetRecord) -> list[Step]:
    write, result = context.write, context.result
    if budget.per_period:
        return [Step("pace", "not checked: each period's spending is judged on its own")]
    if record.pace is None:
        return [Step("pace", "not checked: the plan window has no end")]
    line = write.ratio(record.pace_line)
    steps = [
        Step(f"elapsed = {record.done} of {record.span} periods", write.ratio(record.pace)),
        Step(
            f"pace line = elapsed × (1 + tolerance) = {write.ratio(record.pace)} × "
            f"(1 + {_tolerance_text(budget.tolerance)})",
            line,
        ),
    ]
    spending = record.spending.get(context.key)
    if result is None or result.value is None or spending is None:
        return steps
    if result.used is None:
        return [Step("used = spent / planned", "none: nothing is planned"), *steps]
    used = f"{write.money(result.value)} / {write.money(result.planned)}"
    return [
        Step(f"used = spent / planned = {used}", write.ratio(result.used)),
        *steps,
        Step(f"{write.ratio(result.used)} > {line}", truth(spending.over_pace)),
    ]


def _budget_why(context: Context, record: BudgetRecord) -> str:
    """A line's verdict from the spending tests the evaluator recorded; the whole budget's
    from its reason in the report, which names the check that decided it."""
    result = context.result
    if result is None:
        return "no result"
    if result.status == "unknown":
        return result.reason or "the spending is unknown"
    if context.key is None:
        return result.reason or "within the plan and its pace"
    spending = record.spending.get(context.key)
    if spending is not None and spending.over_plan:
        return "more is spent than planned"
    if spending is not None and spending.over_pace:
        return "spending runs ahead of the pace line"
    return "within the plan and its pace"


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
                steps.append(Step(f"proposed {line.line}", change))
    return steps or [Step("none", "no fired trigger adjusts it")]


# ---- triggers ------------------------------------------------------------------------------


def _trigger_sections(context: Context, trigger: s.Trigger) -> list[Step]:
    record = context.record
    assert isinstance(record, TriggerRecord), "a traced trigger records every key it walks"
    return [
        section("value", [context.walker.walk(trigger.condition, context.current)]),
        section("periods", _trigger_periods(context, trigger, record)),
        section("adjustments", _trigger_adjustments(context, trigger)),
        section("recommendations", _recommendations(context, trigger)),
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
        return Step(context.label(position), period.state, tuple(children))

    return context.walker.over_periods(list(periods), row, latest=True)


def _held_text(period: TriggerPeriod) -> str:
    if not period.exists:
        return "not counted: the key has no history before its first period"
    if period.condition is True:
        return "held"
    if period.condition is False:
        return "not held"
    return f"{truth(period.condition)}: counts as not held"


def _hold_step(context: Context, trigger: s.Trigger, period: TriggerPeriod) -> Step:
    met = "met" if period.met else "not met"
    if trigger.hold is None:
        return Step("no `for`: it fires in each period where the condition holds", met)
    marks = ", ".join(f"{context.label(p)} {mark}" for p, mark in period.looked)
    if trigger.window is not None:
        title = f"for {trigger.hold.text} of {trigger.window.text} periods"
    else:
        title = f"for {trigger.hold.text} {periods_word(int(trigger.hold.value))}"
    return Step(f"{title} ({marks}): held in {period.held_in}", met)


def _cooldown_step(context: Context, cooldown: s.Number, period: TriggerPeriod) -> Step:
    title = f"cooldown {cooldown.text} {periods_word(int(cooldown.value))}"
    if period.fired_before is None or period.since is None:
        return Step(f"{title}: it has not fired before", "clear")
    when = (
        f"fired in {context.label(period.fired_before)}, {period.since} "
        f"{periods_word(period.since)} before"
    )
    return Step(f"{title}: {when}", "cooling" if period.state == "cooling" else "clear")


def _trigger_why(context: Context, trigger: s.Trigger) -> str:
    result = context.result
    if result is None:
        return "no result"
    as_of = context.report.as_of
    match result.status:
        case "fired":
            severity = result.severity or "warn"
            counts = SEVERITY_COUNTS[severity]
            return f"it fired in {as_of}; severity {severity}, counted as {counts}"
        case "cooling":
            assert trigger.cooldown is not None, "only a trigger with a cooldown cools"
            cooldown = int(trigger.cooldown.value)
            return (
                f"it would fire in {as_of}, but it fired in {result.last_fired}, within its "
                f"cooldown of {trigger.cooldown.text} {periods_word(cooldown)}"
            )
        case "unknown":
            return f"the condition cannot be computed in {as_of}: {result.reason}"
    return f"the condition has not held as `for` asks in {as_of}"


def _trigger_adjustments(context: Context, trigger: s.Trigger) -> list[Step]:
    steps = [
        action_step(context, record)
        for record in context.trace.actions
        if record.trigger == trigger.name and record.key == context.key
    ]
    if steps:
        return steps
    if not any(isinstance(action, s.Shift | s.Scale) for action in trigger.actions):
        return [Step("none", "the trigger has no budget actions")]
    return [Step("none", f"actions apply only where the trigger fired in {context.report.as_of}")]


def _recommendations(context: Context, trigger: s.Trigger) -> list[Step]:
    texts = [
        Step("recommend", r.text)
        for r in context.report.recommendations
        if r.trigger == trigger.name and r.key == context.key
    ]
    return texts or [Step("none", f"nothing is recommended in {context.report.as_of}")]


# ---- adjustments ---------------------------------------------------------------------------


def action_step(context: Context, record: ActionRecord) -> Step:
    """A budget action as the adjuster applied it: what it asked for, each limit as it stood
    then, and what it moved."""
    action, lines, adjustment = record.action, record.lines, record.adjustment
    if isinstance(action, s.Shift):
        text = f"shift {action.amount.text} from {lines[0]} to {lines[1]}"
    else:
        text = f"scale {lines[0]} by {action.sign}{action.amount.text}"
    if record.total is None:
        return Step(text, "skipped", (Step("why", adjustment.clipped or ""),))
    money = context.write.money
    limits = [_requested_step(context, record), *_limit_steps(context, record)]
    cut = isinstance(action, s.Scale) and action.sign == "-"
    rule = "-min(|requested|, limit)" if cut else "min(requested, limits), at least 0"
    outcome = [
        Step(f"applied = {rule}", money(adjustment.applied)),
        Step("clipped", adjustment.clipped or "no: all of the request fits"),
        *(
            Step(line, f"{money(record.before[line])} → {money(record.after[line])}")
            for line in lines
        ),
    ]
    text += f" in {quote(adjustment.budget)}"
    return Step(text, f"applied {money(adjustment.applied)}", (*limits, *outcome))


def _requested_step(context: Context, record: ActionRecord) -> Step:
    """What an action asks for; a cut (`by -P%`) is written negative, as the report has it."""
    money, amount = context.write.money, record.action.amount
    requested = money(record.adjustment.requested)
    if not amount.percent:
        return Step("requested", requested)
    line = record.lines[0]
    sign = record.action.sign if isinstance(record.action, s.Scale) else ""
    return Step(f"requested = {sign}{amount.text} × {line} {money(record.before[line])}", requested)


def _limit_steps(context: Context, record: ActionRecord) -> list[Step]:
    """Each limit the adjuster tried, in its order; where a rising line has no MAX share, a
    step says so in the place its limit would have."""
    steps = [_limit_step(context, record, limit) for limit in record.limits]
    action = record.action
    raises = isinstance(action, s.Shift) or action.sign != "-"
    if raises and not any(limit.kind == "ceiling" for limit in record.limits):
        place = 1 if isinstance(action, s.Shift) else 0
        steps.insert(place, Step(f"limit: {record.lines[-1]} has no MAX share", "none"))
    return steps


def _limit_step(context: Context, record: ActionRecord, limit: Limit) -> Step:
    money = context.write.money
    total = money(record.total)
    if limit.kind == "free":
        return Step(
            f"limit: total - sum of lines = {total} - {money(limit.bound)}", money(limit.room)
        )
    assert limit.line is not None, "a floor or a ceiling bounds a line"
    amount = money(record.before[limit.line])
    if limit.kind == "ceiling":
        assert limit.share is not None, "a ceiling is a MAX share"
        text = f"limit: MAX × total - {limit.line} = {limit.share.text} × {total} - {amount}"
    elif limit.share is None and limit.spent is None:
        text = f"limit: {limit.line} - 0 (no MIN share)"
    else:
        names, values = ["0"], ["0"]  # in the order a tie names the binding one
        if limit.spent is not None:
            names.append("spent")
            values.append(f"spent {money(limit.spent)}")
        if limit.share is not None:
            names.append("MIN × total")
            values.append(f"{limit.share.text} × {total}")
        text = (
            f"limit: {limit.line} - max({', '.join(names)}) = {amount} - "
            f"max({', '.join(values)}) = {amount} - {money(limit.bound)}"
        )
    return Step(text, money(limit.room))
