"""Running a compiled ruleset over a history of snapshots: the `Ruleset` of the public API.

`load` and `loads` check a ruleset and compile it once; `Ruleset.evaluate` judges every rule
at one current period and returns a `Report`. Evaluating a checked ruleset never raises on the
numbers it is given: what cannot be known is reported as `unknown`, with the reason.
"""

from __future__ import annotations

import decimal
import functools
import itertools
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, cast

import attrs

from planrules.eval.adjust import Adjuster
from planrules.eval.budgets import BudgetRule
from planrules.eval.compile import ExpressionCompiler
from planrules.eval.dimensions import Dimensions
from planrules.eval.frame import Compiled, Frame
from planrules.eval.history import (
    History,
    merge_snapshots,
    plain_history,
    plain_snapshot,
    read_history,
    snapshots_from_data,
)
from planrules.eval.mismatch import PartialPeriod, Undeclared, data_warnings, partial_periods
from planrules.eval.rollup import roll_up_for
from planrules.eval.rules import (
    GoalRule,
    Moment,
    ThresholdRule,
    ThresholdRun,
)
from planrules.eval.snapshot import (
    DATA_ORIGIN,
    MetricValue,
    Shapes,
    SnapshotError,
    undeclared_names,
)
from planrules.eval.trace import Trace
from planrules.eval.traced import TracedAdjuster, traced_rule
from planrules.eval.triggers import TriggerRule
from planrules.eval.values import EVALUATION, Keyed, Unknown, at_key, describe
from planrules.eval.whatif_keys import Solver
from planrules.lang import syntax as s
from planrules.lang.check import Checked, check_file, check_source
from planrules.lang.diagnostics import InputError, RulesetError
from planrules.lang.messages import Message
from planrules.lang.numbers import EXACT
from planrules.lang.periods import (
    Period,
    PeriodError,
    parse_period,
    period_containing,
    period_label,
    period_offset,
    period_offsets,
    shift_period,
    window_first_period,
    window_last_period,
)
from planrules.lang.ratio_forms import RatioForm, form_of
from planrules.lang.source import Source
from planrules.lang.units import dimension_parts
from planrules.lang.workspace import Access
from planrules.report.model import (
    DataWarning,
    Recommendation,
    Replay,
    Report,
    Result,
    Results,
    Row,
    distinct,
    replay_of,
)

Rule = GoalRule | ThresholdRule | BudgetRule | TriggerRule


def load(
    path: str,
    allowed_paths: Sequence[str | os.PathLike[str]] = (),
    max_input_size: int | None = None,
) -> Ruleset:
    """Check and compile the ruleset in a file; raises RulesetError if it has errors.

    The files it `use`s and the snapshot files its tests name must be in the tree of its
    folder or of one of `allowed_paths`; `max_input_size` (bytes) replaces the limits on the
    size of every file read (10 MiB for rulesets, 1 GiB for snapshots)."""
    return Ruleset(check_file(path, access=Access.below(path, allowed_paths, max_input_size)))


def loads(
    text: str,
    filename: str = "<string>",
    allowed_paths: Sequence[str | os.PathLike[str]] = (),
    max_input_size: int | None = None,
) -> Ruleset:
    """Check and compile a ruleset given as text; `filename` names it in diagnostics, and its
    folder (the working folder for `<string>`) is where its `use`s may reach, as in `load`."""
    access = Access.below(filename, allowed_paths, max_input_size)
    return Ruleset(check_source(Source.from_text(filename, text), access=access))


class Ruleset:
    """A checked ruleset compiled once, ready to evaluate any number of histories."""

    def __init__(self, checked: Checked) -> None:
        if not checked.ok or checked.module is None or checked.scope is None:
            raise RulesetError(checked.diagnostics, checked.sources)
        self.checked = checked
        self.name = checked.ruleset or checked.module.path
        self.currency = checked.currency
        self.scope = checked.scope
        metrics = checked.scope.metrics
        self.shapes = Shapes(
            {name: m.dimension is not None for name, m in metrics.items()},
            {name: dimension_parts(m.dimension) for name, m in metrics.items() if m.dimension},
        )
        self.dimensions = _dimensions(checked)
        # Whether a snapshot's keys can look like a key the plan names: a table with `else`,
        # or a budget reading a metric (see `mismatch.py`).
        self.keys_looked_at = (
            any(table.default is not None for table in checked.scope.tables.values())
            or any(isinstance(rule, s.Budget) and rule.metric for rule in checked.rules)
            or bool(checked.scope.groups)
        )
        compiler = ExpressionCompiler(checked.scope)
        # Compiled exactly, whatever the caller's context (`1 - tolerance` would round in it).
        with decimal.localcontext(EXACT):
            self.rules: list[Rule] = [_compile_rule(rule, compiler) for rule in checked.rules]
            self.texts = _compile_texts(checked.rules, compiler)
        self.by_name: dict[str, Rule] = {}  # the first rule of each name
        for compiled in self.rules:
            self.by_name.setdefault(compiled.name, compiled)
        self.budgets = [rule for rule in checked.rules if isinstance(rule, s.Budget)]
        self.budget_rules = {r.name: r for r in self.rules if isinstance(r, BudgetRule)}
        self.layouts: dict[tuple[Period, ...], Layout] = {}
        self.judges = _judges(self.rules)
        self.solvable = {
            rule.name: rule for rule in self.rules if isinstance(rule, GoalRule | ThresholdRule)
        }
        self.adjusts = any(
            isinstance(action, s.Shift | s.Scale)
            for rule in checked.rules
            if isinstance(rule, s.Trigger)
            for action in rule.actions
        )
        # What a report proposes when no trigger moves any budget: the plan as it is.
        self.planned = Adjuster.of(self.budgets).allocations()

    # ---- histories -------------------------------------------------------------------------

    def history(self, snapshots: object, roll_up: bool = False) -> History:
        """Snapshots in the JSON form (a dict, a list, or {"snapshots": [...]}) as a history;
        those of a finer cadence rolled up where `roll_up` or the header `roll up` says so."""
        if isinstance(snapshots, History):
            return snapshots
        return merge_snapshots(
            [snapshots_from_data(snapshots, "<snapshots>", self.shapes)],
            self.checked.cadence,
            roll_up_for(self.checked, roll_up),
        )

    def read(
        self, paths: Sequence[str], locale: str | None = None, roll_up: bool = False
    ) -> History:
        """The snapshot files merged into one history; files that hold no snapshot at all (an
        empty list, a CSV with only its header) are named. Text numbers in CSV files and
        workbooks are read in `locale`, by default the ruleset's `locale` header, else en.
        Snapshots of a finer cadence are rolled up where `roll_up` or the header says so."""
        limit = self.checked.access.snapshot_limit
        locale = locale or self.checked.locale
        rolling = roll_up_for(self.checked, roll_up)
        history = read_history(
            paths, self.shapes, self.checked.cadence, limit, locale, self.currency, rolling
        )
        if not history.snapshots:
            raise SnapshotError(
                ", ".join(paths), "holds no snapshots: there is nothing to evaluate"
            )
        return history

    def evaluate(
        self, snapshots: object, at: str | Period | None = None, strict: bool = False
    ) -> Report:
        """Judge every rule at `at` (the last period by default) against the snapshots."""
        with evaluating():
            timeline = self.timeline(snapshots)
            return self.report(timeline, timeline.current(at), strict)

    def replay(
        self,
        snapshots: object,
        strict: bool = False,
        each: Callable[[Report, Moment], None] | None = None,
    ) -> Replay:
        """The status of every rule at every period of the history: a backtest. `each`, where
        given, is shown every period's report and moment as it is made (the HTML report keeps
        the figures it draws)."""
        with evaluating():
            timeline = self.timeline(snapshots)
            # The plan's periods only: earlier snapshots are read by history functions, but
            # are not judged as periods of the plan.
            start = timeline.layout.window_start
            planned = [p for p in timeline.positions() if p >= start]

            def reports() -> Iterator[Report]:
                for position in planned:
                    report = self.report(timeline, position, strict)
                    if each is not None:
                        each(report, timeline.moment(position))
                    yield report

            return replay_of(self.name, reports(), len(planned))

    def timeline(self, snapshots: object) -> Timeline:
        plain = plain_snapshot(snapshots, self.shapes, self.checked.cadence)
        if plain is not None:
            assert isinstance(snapshots, dict)  # a plain snapshot is a dict with its metrics
            period, metrics = plain
            timeline = Timeline(self.checked, (period,), [metrics], self.dimensions, self.layouts)
            names = undeclared_names(snapshots["metrics"], self.shapes)
            if names:
                timeline.undeclared = [Undeclared(DATA_ORIGIN, timeline.layout.positions[0], names)]
            timeline.statuses = self.status_reader(timeline)
            return timeline
        # Rolling up needs a cadence to roll into: without one the careful path says so.
        cadence = self.checked.cadence
        rolls_blind = self.checked.roll_up and cadence is None
        listed = None if rolls_blind else plain_history(snapshots, self.shapes, cadence)
        if listed is not None:
            timeline = Timeline(self.checked, *listed, self.dimensions, self.layouts)
        else:
            history = self.history(snapshots)
            timeline = Timeline.of(self.checked, history, self.dimensions, self.layouts)
        timeline.statuses = self.status_reader(timeline)
        return timeline

    def status_reader(self, timeline: Timeline) -> Callable[[str, int], Any]:
        """A rule's status as if a period were the current one, for `status("RULE")`: worked
        out once per rule and period, and kept in the frame."""
        rules = self.by_name

        def status_at(name: str, position: int) -> Any:
            moment = timeline.moment(position)
            walks = moment.frame.walks
            mark = ("status", name, position)
            if mark not in walks:
                walks[mark] = statuses_of(rules[name], moment, self.scope.rules[name])
            return walks[mark]

        return status_at

    def traced(
        self, snapshots: object, rule: str, key: str | None, at: str | Period | None = None
    ) -> tuple[Report, Trace]:
        """Evaluate as `evaluate` does, recording what the rule named `rule` worked out for
        `key` (a budget's line, or None for the whole) and every budget action applied."""
        trace = Trace(rule, key)
        node = next(r for r in self.checked.rules if r.name == rule)
        traced = traced_rule(node, self.scope, trace)
        rules = [traced if compiled.name == rule else compiled for compiled in self.rules]
        with evaluating():
            timeline = self.timeline(snapshots)
            current = timeline.current(at)
            report = self.report(timeline, current, False, _judges(rules), trace)
        moment = timeline.moment(current)
        trace.current, trace.window_start = current, moment.window_start
        trace.label = timeline.label
        return report, trace

    def report(
        self,
        timeline: Timeline,
        current: int,
        strict: bool,
        judges: list[Judge] | None = None,
        trace: Trace | None = None,
    ) -> Report:
        """The report at `current`; `judges` are the ruleset's own unless a traced evaluation
        gives its own, and its `trace` records every budget action."""
        moment = timeline.moment(current)
        rows: list[Row] = []
        adjuster = self.adjuster(moment, trace) if self.adjusts else None
        warnings = (
            data_warnings(self.scope, self.budgets, timeline.undeclared, moment, timeline.partial)
            if timeline.undeclared or timeline.partial or self.keys_looked_at
            else []
        )
        recommendations: list[Recommendation] = []
        for judge, trigger in judges or self.judges:
            if judge is not None:
                rows.extend(judge(moment))
            else:
                assert trigger is not None
                found = trigger.rows(moment)
                rows.extend(found)
                for _, key, state, *_ in found:
                    if state == "fired":
                        self.act(trigger, key, moment, adjuster, recommendations)
        solver = Solver(moment, self.scope, self.solvable, rows)
        results = Results(rows, functools.partial(self.made, solver))
        return Report(
            self.name,
            timeline.label(current),
            self.currency,
            overall_status(results, strict),
            results,
            tuple(adjuster.adjustments) if adjuster is not None else (),
            adjuster.allocations() if adjuster is not None else self.planned,
            tuple(recommendations),
            _warnings_of(warnings, adjuster),
        )

    def adjuster(self, moment: Moment, trace: Trace | None) -> Adjuster:
        """The adjuster of one evaluation: a line's floor holds what it has spent so far."""
        spending = functools.partial(self.spent_so_far, moment)
        if trace is None:
            return Adjuster.of(self.budgets, self.currency, spending)
        return TracedAdjuster.tracing(self.budgets, self.currency, spending, trace)

    def spent_so_far(self, moment: Moment, budget: str) -> dict[str, Any]:
        return self.budget_rules[budget].spent_by_line(moment)

    def made(self, solve: Solver, rows: Sequence[Row]) -> tuple[Result, ...]:
        """The results of an evaluation's rows; a goal or threshold that warns or fails gets
        what it would take to pass, worked out when asked for by one solver for them all."""
        with evaluating():
            return tuple([row[0].made(row, solve) for row in rows])

    def act(
        self,
        rule: TriggerRule,
        key: str | None,
        moment: Moment,
        adjuster: Adjuster | None,
        recommendations: list[Recommendation],
    ) -> None:
        for action in rule.trigger.actions:
            if isinstance(action, s.Recommend):
                text = self.fill(action, moment, key)
                recommendations.append(Recommendation(rule.trigger.name, key, text))
            else:
                assert adjuster is not None, "a ruleset that adjusts has an adjuster"
                adjuster.apply(rule.trigger.name, key, action)

    def fill(self, action: s.Recommend, moment: Moment, key: str | None) -> str:
        pieces: list[str] = []
        for part, compiled in zip(action.parts, self.texts[id(action)], strict=True):
            if isinstance(part, str):
                pieces.append(part)
            elif compiled is None:
                pieces.append(key if key is not None else "key")
            else:
                run, unit, form = compiled
                value = at_key(run(moment.frame, moment.current), key)
                pieces.append(describe(value, unit, self.currency, form))
        return "".join(pieces)


def statuses_of(rule: Rule, moment: Moment, node: s.Rule) -> Any:
    """The rule's status at the moment, as `status("RULE")` compares it: pass, warn or fail
    (a fired trigger as its severity, a quiet or cooling one as pass), or an Unknown; a `per`
    rule's by key, a budget's for the whole."""
    rows = rule.rows_at(moment) if isinstance(rule, TriggerRule) else rule.rows(moment)
    unknown = Unknown(
        Message(
            '"{rule}" is unknown in {period}', rule=rule.name, period=moment.label(moment.current)
        )
    )
    found: dict[str | None, Any] = {}
    for row in rows:
        status = row[2]
        if status == "fired":
            status = SEVERITY_COUNTS[rule.severity] if isinstance(rule, TriggerRule) else status
        elif status in ("quiet", "cooling"):
            status = "pass"
        found[row[1]] = unknown if status == "unknown" else status
    if isinstance(node, s.Budget) or node.per is None:
        return found.get(None, unknown)
    no_result = Unknown(Message('"{rule}" has no result for this key', rule=rule.name))
    return Keyed({key: status for key, status in found.items() if key is not None}, no_result)


def _warnings_of(found: list[DataWarning], adjuster: Adjuster | None) -> tuple[DataWarning, ...]:
    every = [*found, *adjuster.warnings] if adjuster is not None else found
    return distinct(every) if every else ()


class evaluating:
    """What an evaluation runs in: the exact decimal context, set for the calling thread and
    given back as it was afterwards.

    The decimal context is each thread's own copy of EVALUATION, made once:
    `decimal.localcontext` would copy it on every evaluation; clearing its flags is enough.
    Nothing else is switched: the cycle collector stays as the caller set it (a service
    evaluating in several threads needs it running; the CLI, which owns its process, pauses
    it). A class rather than a generator, which costs more: it is entered on every
    evaluation.
    """

    __slots__ = ("outer",)

    def __enter__(self) -> None:
        self.outer = decimal.getcontext()
        exact = _EXACT.context
        exact.clear_flags()
        decimal.setcontext(exact)

    def __exit__(self, *_exception: object) -> None:
        decimal.setcontext(self.outer)


class _PerThread(threading.local):
    def __init__(self) -> None:
        self.context = EVALUATION.copy()


_EXACT = _PerThread()


Judge = tuple[Callable[[Moment], list[Row]], None] | tuple[None, TriggerRule]


def _judges(rules: Sequence[Rule]) -> list[Judge]:
    """How each rule is judged, in ruleset order, looked up once: thresholds that follow one
    another with fixed levels as one run; a trigger on its own, as it also acts when fired."""
    judges: list[Judge] = []
    for joins, group in itertools.groupby(rules, ThresholdRun.joins):
        if joins:
            judges.append((ThresholdRun(cast(list[ThresholdRule], list(group))).rows, None))
            continue
        for rule in group:
            judges.append((None, rule) if isinstance(rule, TriggerRule) else (rule.rows, None))
    return judges


def _compile_rule(rule: s.Rule, compiler: ExpressionCompiler) -> Rule:
    if isinstance(rule, s.Goal):
        return GoalRule(rule, compiler)
    if isinstance(rule, s.Threshold):
        return ThresholdRule(rule, compiler)
    if isinstance(rule, s.Budget):
        return BudgetRule(rule, compiler)
    return TriggerRule(rule, compiler)


TextParts = list[tuple[Compiled, str, RatioForm] | None]


def _compile_texts(rules: Sequence[s.Rule], compiler: ExpressionCompiler) -> dict[int, TextParts]:
    """Each recommendation's `{expr}` compiled, with its unit and how a ratio is written
    (`{NAME}` as the name is shown, any other ratio as a percent); None for `{key}`."""
    texts: dict[int, TextParts] = {}
    for rule in rules:
        if not isinstance(rule, s.Trigger):
            continue
        for action in rule.actions:
            if not isinstance(action, s.Recommend):
                continue
            parts: TextParts = []
            for part in action.parts:
                if isinstance(part, str) or _names_current_key(part.expr, rule, compiler):
                    parts.append(None)
                else:
                    parts.append(
                        (
                            compiler.compile(part.expr),
                            compiler.type_of(part.expr).unit,
                            form_of(part.expr, compiler.scope),
                        )
                    )
            texts[id(action)] = parts
    return texts


def _names_current_key(expr: s.Expr, rule: s.Trigger, compiler: ExpressionCompiler) -> bool:
    return (
        rule.per is not None
        and isinstance(expr, s.Name)
        and expr.name == "key"
        and expr.name not in compiler.scope.names()
    )


# What a fired trigger counts as in the overall status, by its severity.
SEVERITY_COUNTS = {"info": "pass", "warn": "warn", "fail": "fail"}


def overall_status(results: Results, strict: bool = False) -> str:
    """The worst result; a fired trigger counts as its severity, unknown as warn (fail strict)."""
    statuses = results.counted_statuses()
    if "fail" in statuses:
        return "fail"
    fired = results.fired_severities() if "fired" in statuses else set()
    severities = {SEVERITY_COUNTS[severity] for severity in fired}
    if "fail" in severities or (strict and "unknown" in statuses):
        return "fail"
    if "warn" in statuses or "unknown" in statuses or "warn" in severities:
        return "warn"
    return "pass"


def _dimensions(checked: Checked) -> Dimensions:
    """Each dimension's keyed metrics, the metrics whose keys make its keys exist, and the
    dimensions made from others (each of a pair, a group's)."""
    assert checked.scope is not None
    return Dimensions.of(checked.scope.metrics, checked.scope.groups)


LAYOUTS_KEPT = 256  # layouts a ruleset remembers (a service sees the same few periods)
# ... and only those of histories this short: a long one is read from files, seldom twice,
# and looking it up would hash each of its periods twice and keep it all alive.
LAYOUT_PERIODS_KEPT = 1000


@attrs.frozen
class Layout:
    """Where a history's periods fall: numbered from the earliest period the evaluation can
    need (the window's first, or the history's). It depends only on the periods, so a
    ruleset works it out once for every request that sends the same ones."""

    cadence: str
    base: Period
    periods: tuple[Period, ...]
    positions: tuple[int, ...]  # of `periods`, in order
    window_start: int
    window_end: int | None
    labels: dict[int, str] = attrs.field(factory=dict, eq=False)  # filled in as named

    @classmethod
    def of(cls, checked: Checked, periods: tuple[Period, ...]) -> Layout:
        window = checked.window
        window_first = window_first_period(window) if window else periods[0]
        last = window_last_period(window) if window else None
        base = min(periods[0], window_first)
        return cls(
            checked.cadence or periods[0].cadence,
            base,
            periods,
            tuple(period_offsets(base, periods)),
            period_offset(base, window_first),
            period_offset(base, last) if last is not None else None,
        )


class Timeline:
    """A history's snapshots by position, with its layout."""

    @classmethod
    def of(
        cls,
        checked: Checked,
        history: History,
        dimensions: dict[str, list[str]],
        layouts: dict[tuple[Period, ...], Layout] | None = None,
    ) -> Timeline:
        if not history.snapshots:
            raise InputError("<snapshots>", "there are no snapshots to evaluate")
        periods = tuple(snapshot.period for snapshot in history.snapshots)
        metrics = [snapshot.metrics for snapshot in history.snapshots]
        timeline = cls(checked, periods, metrics, dimensions, layouts)
        timeline.undeclared = [
            Undeclared(snapshot.origin, position, snapshot.undeclared)
            for snapshot, position in zip(history.snapshots, timeline.layout.positions, strict=True)
            if snapshot.undeclared
        ]
        timeline.partial = partial_periods(history.snapshots, timeline.layout.positions)
        return timeline

    def __init__(
        self,
        checked: Checked,
        periods: tuple[Period, ...],
        metrics: list[dict[str, MetricValue]],
        dimensions: dict[str, list[str]],
        layouts: dict[tuple[Period, ...], Layout] | None = None,
    ) -> None:
        """`metrics` of each of `periods`, which are in order and distinct; `dimensions`
        names each dimension's keyed metrics."""
        if len(periods) > LAYOUT_PERIODS_KEPT:
            layouts = None
        layout = layouts.get(periods) if layouts is not None else None
        if layout is None:
            layout = Layout.of(checked, periods)
            if layouts is not None:
                if len(layouts) >= LAYOUTS_KEPT:
                    layouts.clear()
                layouts[periods] = layout
        self.layout = layout
        self.metrics = dict(zip(layout.positions, metrics, strict=True))
        self.frame: Frame | None = None
        self.statuses: Callable[[str, int], Any] | None = None
        self.undeclared: list[Undeclared] = []
        self.partial: list[PartialPeriod] = []
        self.dimensions = dimensions

    def position(self, period: Period) -> int:
        return period_offset(self.layout.base, period)

    def label(self, position: int) -> str:
        labels = self.layout.labels
        label = labels.get(position)
        if label is None:
            try:
                label = period_label(shift_period(self.layout.base, position))
            except PeriodError:
                label = f"period {position} of the history"
            labels[position] = label
        return label

    def current(self, at: str | Period | None) -> int:
        layout = self.layout
        if at is None:
            return layout.positions[-1]
        period = at
        if isinstance(at, str):
            try:
                period = parse_period(at)
            except PeriodError as problem:
                raise InputError("--at", str(problem)) from None
        assert isinstance(period, Period)
        if period not in layout.periods:
            known = ", ".join(period_label(p) for p in layout.periods)
            raise InputError(
                "--at", f"{period_label(period)} has no snapshot (the history has {known})"
            )
        return self.position(period)

    def deadline(self, goal: s.Goal) -> int:
        assert goal.deadline is not None
        return self.position(period_containing(goal.deadline, self.layout.cadence))

    def moment(self, current: int) -> Moment:
        # One frame for every moment: values at a position do not depend on which period is
        # current, so a replay reuses what earlier periods worked out (running totals above all).
        if self.frame is None:
            self.frame = Frame(self.metrics, self.label, self.layout.window_start, self.dimensions)
            self.frame.statuses = self.statuses
        return Moment(self.frame, current, self.layout.window_end, self.deadline)

    def positions(self) -> list[int]:
        return list(self.layout.positions)
