"""Compiled rules judged at a moment: goals with pacing and thresholds, and what every kind
shares (the moment itself, a rule's keys, its location). Budgets and triggers are compiled in
`budgets.py` and `triggers.py`.

Each rule is compiled once into an object holding its compiled expressions; `rows` judges it
at one current period. A `per` rule evaluates its expressions once, over all keys at a time,
then decides each key with a few exact comparisons. Paces are fractions `done / span` of whole
periods, and every pace test is a cross-multiplication, so no status hangs on a rounding.
"""

from __future__ import annotations

import bisect
import decimal
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from fractions import Fraction
from itertools import compress, repeat
from typing import Any

import attrs

from planrules.eval.compile import ExpressionCompiler, constant_value
from planrules.eval.dimensions import Dimensions
from planrules.eval.frame import Frame
from planrules.eval.pacing import pace, paced_elapsed, shared_weights
from planrules.eval.values import (
    Keyed,
    Unknown,
    as_fraction,
    at_key,
    multiply,
    subtract,
)
from planrules.lang import syntax as s
from planrules.lang.exprcheck import Scope, is_paced, metrics_read
from planrules.lang.fmt import expression as expression_text
from planrules.lang.messages import Message, said_by
from planrules.lang.periods import PeriodError
from planrules.lang.ratio_forms import rule_form
from planrules.report.model import Change, Location, Pacing, Result, Row

DEFAULT_TOLERANCE = Decimal("0.1")
WhatItTakes = Callable[[Result], tuple[Change, ...]]  # a rule's `to_pass`, made when read
# Numbers that are all >= 0 (> 0 where marked strict) exactly when a rule passes for a key;
# None where it cannot be judged (what it would take works from these).
Margins = list[tuple[Any, bool]] | None
FALLING_SHORT = frozenset(("warn", "fail"))  # the statuses that get what it would take
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}


@attrs.define
class Moment:
    """One evaluation at one current period: where the window and the deadlines fall."""

    frame: Frame
    current: int
    window_end: int | None
    position_of: Callable[[s.Goal], int]  # the position of the period holding a deadline

    @property
    def window_start(self) -> int:
        return self.frame.window_start

    def label(self, position: int) -> str:
        return self.frame.label(position)

    def positions(self) -> list[int]:
        """Positions with a snapshot, through the current one, in order."""
        positions = self.frame.positions
        return positions[: bisect.bisect_right(positions, self.current)]

    def keys(self, metrics: Sequence[str]) -> list[str]:
        """The keys of a `per` rule: every key its metrics had through the current period, in
        code-point order (a list shared by every rule reading the same metrics); the keys of
        a dimension made from others (`KeyedBy`) mapped from theirs."""
        dimension = metrics.dimension if isinstance(metrics, KeyedBy) else None
        return self.frame.keys_life(tuple(metrics), dimension).in_order(self.current)


class KeyedBy(tuple[str, ...]):
    """The metrics whose keys make a `per` rule's keys, and its dimension, where some are
    keyed by a dimension it is made from (`per team` of `group rep into team`)."""

    dimension: str

    def __new__(cls, metrics: Sequence[str], dimension: str) -> KeyedBy:
        made = super().__new__(cls, metrics)
        made.dimension = dimension
        return made


def _found(keys: Sequence[str], group: Iterable[str]) -> Iterator[tuple[str, int]]:
    """Each key of `group` that `keys` (in order) holds, with its index there."""
    for key in group:
        index = bisect.bisect_left(keys, key)
        if index < len(keys) and keys[index] == key:
            yield key, index


def location(span: Any) -> Location:
    return Location(span.file, span.line, span.column)


def keyed_metrics(exprs: Iterable[s.Expr | None], scope: Scope, dimension: str) -> Sequence[str]:
    """The metrics keyed by `dimension` that these expressions read, through lets; where
    none is, those keyed by a dimension it is made from (a pair holding it, or the one a
    group groups), as a `KeyedBy`."""
    read = metrics_read([expr for expr in exprs if expr is not None], scope)
    own = sorted(name for name in read if scope.metrics[name].dimension == dimension)
    sources = _sources(dimension, scope)
    made_from = sorted(name for name in read if scope.metrics[name].dimension in sources)
    return KeyedBy(own + made_from, dimension) if made_from else own


def _sources(dimension: str, scope: Scope) -> set[str]:
    """The metrics' dimensions `dimension` is made from, through pairs and groups."""
    made = Dimensions.of(scope.metrics, scope.groups)
    return {
        source
        for source in scope.metric_dimensions()
        if source != dimension and made.path(source, dimension) is not None
    }


def made_already(row: Row, _solve: WhatItTakes) -> Result:
    """The result of a row that carries it: a budget's, made at once."""
    result: Result = row[3]
    return result


def unknown_reason(*values: Any) -> str | None:
    for value in values:
        if isinstance(value, Unknown):
            return value.reason
    return None


# ---- goals ---------------------------------------------------------------------------------


class GoalRule:
    kind = "goal"

    def __init__(self, goal: s.Goal, compiler: ExpressionCompiler) -> None:
        self.goal = goal
        self.name = goal.name
        self.subject = compiler.compile(goal.subject)
        self.target = compiler.compile(goal.target)
        self.baseline = compiler.compile(goal.baseline) if goal.baseline is not None else None
        tolerance = goal.tolerance.value if goal.tolerance is not None else DEFAULT_TOLERANCE
        self.slack = 1 - tolerance
        self.weights = (
            shared_weights(tuple(w.value for w in goal.phased), compiler.weights)
            if goal.phased
            else None
        )
        self.unit = compiler.type_of(goal.subject).unit
        self.form = rule_form(goal, compiler.scope)  # one object for every key's result
        self.paced = is_paced(goal, compiler.scope)
        self.forecasting = goal.op in (">", ">=") or goal.baseline is not None
        self.requires = self.paced and goal.op in (">", ">=")
        self.compare = _COMPARE[goal.op]
        self.location = location(goal.span)
        self.key_metrics = (
            keyed_metrics((goal.subject, goal.target, goal.baseline), compiler.scope, goal.per)
            if goal.per
            else []
        )

    def when(self, moment: Moment) -> tuple[int, Pacing | None, str | None]:
        """The position the goal is judged at, its pacing, and why it cannot be judged."""
        goal = self.goal
        at = moment.current
        if goal.deadline is None:
            return at, None, None
        try:
            deadline = moment.position_of(goal)
        except PeriodError as unplaceable:
            why = said_by(unplaceable)
            unplaced = Message("the deadline's period cannot be placed: {problem}", problem=why)
            return at, None, unplaced
        if at < deadline and not self.paced:
            # Judged on the comparison as it stands now, not final until the deadline.
            return at, Pacing(None, deadline - at, False, False, False, ahead=True), None
        if at < deadline:
            pacing, problem = self.pace(moment, deadline)
            return at, pacing, problem
        if deadline not in moment.frame.metrics:
            problem = Message(
                "the deadline's period {period} has no snapshot", period=moment.label(deadline)
            )
            return deadline, None, problem
        return deadline, Pacing(1, 0, False, self.forecasting, self.requires), None

    def values_at(self, frame: Frame, at: int) -> tuple[Any, Any, Any]:
        return (
            self.subject(frame, at),
            self.target(frame, at),
            self.baseline(frame, at) if self.baseline is not None else None,
        )

    def key_margins(self, moment: Moment) -> Callable[[str | None], Margins]:
        """For any key, numbers that are all >= 0 (> 0 where marked strict) exactly when the
        goal passes for it; None where it cannot be judged. The values are worked out once,
        for every key."""
        at, pacing, problem = self.when(moment)
        values = self.values_at(moment.frame, at)
        paces: dict[int, tuple[Pacing | None, str | None]] = {}

        def margins(key: str | None) -> Margins:
            own, trouble = pacing, problem
            if trouble is None and own is not None and own.paced and key is not None:
                first = self.first_inside(moment, key)
                if first is not None:
                    if first not in paces:
                        paces[first] = self.pace(moment, moment.position_of(self.goal), first)
                    own, trouble = paces[first]
            if trouble is not None:
                return None
            value, target, baseline = (at_key(v, key) for v in values)
            return self.margins_of(value, target, baseline, own)

        return margins

    def margins_of(self, value: Any, target: Any, baseline: Any, pacing: Pacing | None) -> Margins:
        if any(isinstance(v, Unknown) for v in (value, target, baseline)):
            return None
        goal = self.goal
        elapsed = paced_elapsed(pacing)
        if elapsed == 0:
            return []
        base = 0 if baseline is None else baseline
        span = subtract(target, base)
        loose = goal.op in ("<", "<=") and goal.baseline is None
        if elapsed is not None and not loose and span != 0:
            moved = multiply(subtract(value, base), elapsed.denominator)
            needed = multiply(span, elapsed.numerator)
            return [(subtract(moved, needed) if span > 0 else subtract(needed, moved), False)]
        strict = goal.op in (">", "<")
        above = subtract(value, target) if goal.op in (">", ">=") else subtract(target, value)
        return [(above, strict)]

    def rows(self, moment: Moment) -> list[Row]:
        """The goal judged at `moment`: rows (self, key, status, value, target, baseline,
        pacing, reason)."""
        goal = self.goal
        at, pacing, problem = self.when(moment)
        values = self.values_at(moment.frame, at)
        judge = self.judge_with(pacing, problem)
        if goal.per is None:
            return [judge(None, *values)]
        keys = moment.keys(self.key_metrics)
        columns = [_column(value, keys) for value in values]
        rows = self.key_rows(keys, columns, pacing, problem, judge)
        if at < moment.current:
            return self.rows_before_first(moment, at, rows, keys, columns)
        if problem is None and pacing is not None and pacing.paced:
            return self.rows_from_first(moment, rows, keys, columns)
        return rows

    def rows_before_first(
        self, moment: Moment, at: int, rows: list[Row], keys: list[str], columns: list[list[Any]]
    ) -> list[Row]:
        """`rows` of a goal judged at its deadline, gone by, with each key that first appeared
        after it unknown: the key did not exist when the goal was due."""
        assert self.goal.per is not None
        life = moment.frame.life(self.goal.per)
        for _, group in life.groups_after(at, moment.current):
            for key, index in _found(keys, group):
                value, target, baseline = (column[index] for column in columns)
                not_yet = life.not_yet(key).reason
                rows[index] = self.unknown(key, value, target, baseline, None, not_yet)
        return rows

    def key_rows(
        self,
        keys: list[str],
        columns: list[list[Any]],
        pacing: Pacing | None,
        problem: str | None,
        judge: Callable[[str | None, Any, Any, Any], Row],
    ) -> list[Row]:
        if problem is None and pacing is not None:
            statuses = self.paced_column(pacing, *columns)
            if statuses is not None:
                return list(
                    zip(
                        repeat(self),
                        keys,
                        statuses,
                        columns[0],
                        columns[1],
                        repeat(None),
                        repeat(pacing),
                        repeat(None),
                    )
                )
        return [judge(key, *row) for key, *row in zip(keys, *columns, strict=True)]

    def first_inside(self, moment: Moment, key: str) -> int | None:
        """Where a key of a `per` goal first appears inside the window, so that it is paced
        from there (see `rows_from_first`); None for a key there from the window's start."""
        assert self.goal.per is not None
        first = moment.frame.life(self.goal.per).first.get(key)
        return None if first is None or first <= moment.window_start else first

    def rows_from_first(
        self, moment: Moment, rows: list[Row], keys: list[str], columns: list[list[Any]]
    ) -> list[Row]:
        """`rows` with each key that first appears inside the window judged against a pace
        line of its own, from its first period."""
        assert self.goal.per is not None
        late = moment.frame.life(self.goal.per).groups_after(moment.window_start, moment.current)
        if not late:
            return rows
        deadline = moment.position_of(self.goal)
        for appears, group in late:
            pacing, problem = self.pace(moment, deadline, appears)
            judge = self.judge_with(pacing, problem, appears)
            for key, index in _found(keys, group):
                rows[index] = judge(key, *(column[index] for column in columns))
        return rows

    def made(self, row: Row, solve: WhatItTakes) -> Result:
        """The result of one of this goal's rows; if it warns or fails, `solve` says what it
        would take to pass."""
        _, key, status, value, target, baseline, pacing, reason = row
        return Result(
            self.name,
            "goal",
            key,
            status,
            value,
            self.goal.owner,
            self.location,
            self.unit,
            reason,
            target,
            baseline,
            pacing,
            form=self.form,
            what_it_takes=solve if status in FALLING_SHORT else None,
        )

    def paced_column(
        self, pacing: Pacing, values: list[Any], targets: list[Any], baselines: list[Any]
    ) -> list[str] | None:
        """Every key's status at once, for the usual paced goal (rising, no `from`, numbers
        known and targets above zero), by comparisons mapped in C; None for anything else."""
        if not pacing.paced or self.goal.op not in (">=", ">") or self.baseline is not None:
            return None
        kinds = set(map(type, values)) | set(map(type, targets))
        if not kinds <= {int, Decimal} or not all(map(operator.lt, repeat(0), targets)):
            return None
        elapsed = paced_elapsed(pacing)
        assert elapsed is not None
        ahead, span_of_time = elapsed.numerator, elapsed.denominator
        if ahead == 0:
            return ["pass"] * len(values)
        warn_ahead = multiply(ahead, self.slack)
        try:
            holds = map(self.compare, values, targets)
            done = list(map(operator.mul, values, repeat(span_of_time)))
            on_pace = map(operator.ge, done, map(operator.mul, targets, repeat(ahead)))
            near = map(operator.ge, done, map(operator.mul, targets, repeat(warn_ahead)))
            return [
                "pass" if held or paced else "warn" if close else "fail"
                for held, paced, close in zip(holds, on_pace, near, strict=True)
            ]
        except (TypeError, decimal.DecimalException):
            return None

    def pace(
        self, moment: Moment, deadline: int, first: int | None = None
    ) -> tuple[Pacing | None, str | None]:
        """The pacing of the goal, or of its keys that first appear in `first`."""
        return pace(moment, deadline, self.weights, first, self.forecasting, self.requires)

    def warn_line(self, elapsed: Any) -> Any:
        """The progress below which a paced goal fails: elapsed x (1 - tolerance). The
        verdict itself compares cross-multiplied, with `ahead x slack` (see `verdict_with`)."""
        return multiply(elapsed, self.slack)

    def verdict_with(self, pacing: Pacing | None) -> Callable[[Any, Any, Any], str]:
        """A function deciding one key whose values are known: the verdict names the test that
        decided it, and GOAL_STATUS gives its status. What is the same for every key is worked
        out once."""
        goal, compare = self.goal, self.compare
        paced = pacing is not None and pacing.paced
        ahead_of_deadline = pacing is not None and pacing.ahead
        elapsed = paced_elapsed(pacing) or Fraction(0)
        ahead, span_of_time = elapsed.numerator, elapsed.denominator
        warn_ahead = multiply(ahead, self.slack)
        loose = goal.op in ("<", "<=") and goal.baseline is None

        def verdict(value: Any, target: Any, baseline: Any) -> str:
            holds = compare(value, target)
            if not paced and ahead_of_deadline:
                return "holds now" if holds else "not yet"
            if not paced:
                return "holds" if holds else "misses"
            if holds:
                return "holds"
            if ahead == 0:
                return "not started"
            if loose:
                return "loose"
            base = 0 if baseline is None else baseline
            return _pace_verdict(value, target, base, span_of_time, ahead, warn_ahead)

        return verdict

    def judge_with(
        self, pacing: Pacing | None, problem: str | None, first: int | None = None
    ) -> Callable[[str | None, Any, Any, Any], Row]:
        """A function judging one key (paced from `first`, where it first appears inside the
        window); what is the same for every key is worked out once."""
        verdict = self.verdict_with(pacing)

        def judge(key: str | None, value: Any, target: Any, baseline: Any) -> Row:
            if (
                problem is not None
                or value.__class__ is Unknown
                or target.__class__ is Unknown
                or baseline.__class__ is Unknown
            ):
                return self.unknown(key, value, target, baseline, pacing, problem)
            status = GOAL_STATUS[verdict(value, target, baseline)]
            return (self, key, status, value, target, baseline, pacing, None)

        return judge

    def unknown(
        self,
        key: str | None,
        value: Any,
        target: Any,
        baseline: Any,
        pacing: Pacing | None,
        problem: str | None,
    ) -> Row:
        def known(number: Any) -> Any:
            return None if isinstance(number, Unknown) else number

        reason = problem or unknown_reason(value, target, baseline) or ""
        return (self, key, "unknown", known(value), known(target), known(baseline), pacing, reason)


# What each verdict of a goal comes to. "holds" and "misses" are the comparison as written,
# for a goal with no deadline or whose deadline's period is reached; before its deadline an
# unpaced goal "holds now" or is "not yet" there; a paced one passes where it "holds" already
# or has "not started", warns where it is "loose" (a `<` goal with no `from`, which has no
# progress to pace), and otherwise is judged by its progress against the pace lines.
GOAL_STATUS = {
    "holds": "pass",
    "misses": "fail",
    "holds now": "pass",  # an unpaced goal before its deadline: provisional
    "not yet": "warn",
    "not started": "pass",
    "loose": "warn",
    "on pace": "pass",
    "near pace": "warn",
    "behind pace": "fail",
    "no span": "fail",  # the target equals the baseline and the comparison does not hold
}


def _pace_verdict(
    value: Any, target: Any, base: Any, span_of_time: int, ahead: Any, warn_ahead: Any
) -> str:
    """On pace where progress (value - base) / (target - base) >= ahead / span_of_time, near
    it within the tolerance (warn_ahead = ahead x (1 - tolerance)), else behind.

    Cross-multiplied, so no division (and no rounding) decides it.
    """
    try:
        return _progress_verdict(value - base, target - base, span_of_time, ahead, warn_ahead)
    except (TypeError, decimal.DecimalException):  # Decimal beside Fraction: go exact
        moved, span = subtract(value, base), subtract(target, base)
        return _progress_verdict(
            as_fraction(moved),
            as_fraction(span),
            span_of_time,
            as_fraction(ahead),
            as_fraction(warn_ahead),
        )


def _progress_verdict(moved: Any, span: Any, span_of_time: int, ahead: Any, warn_ahead: Any) -> str:
    if span == 0:
        return "no span"
    done = moved * span_of_time
    if span < 0:
        done, span = -done, -span
    if done >= span * ahead:
        return "on pace"
    return "near pace" if done >= span * warn_ahead else "behind pace"


def _column(value: Any, keys: list[str]) -> list[Any]:
    """A value read at each key, in key order."""
    if not isinstance(value, Keyed):
        return [value] * len(keys)
    values, missing = value.values, value.missing
    if not isinstance(missing, Unknown):
        return [values.get(key, missing) for key in keys]
    return [values[key] if key in values else value.at(key) for key in keys]


# ---- thresholds ----------------------------------------------------------------------------


def level_text(status: str, direction: str, bound: str) -> Message:
    """A threshold's level as the report names the one reached (`warn below 400`)."""
    if status == "fail":
        if direction == "above":
            return Message("fail above {bound}", bound=bound)
        return Message("fail below {bound}", bound=bound)
    if direction == "above":
        return Message("warn above {bound}", bound=bound)
    return Message("warn below {bound}", bound=bound)


class ThresholdRule:
    kind = "threshold"

    def __init__(self, threshold: s.Threshold, compiler: ExpressionCompiler) -> None:
        self.threshold = threshold
        self.name = threshold.name
        self.subject = compiler.compile(threshold.subject)
        # Fail levels are tried first: the first level reached decides.
        self.level_nodes = sorted(threshold.levels, key=lambda level: level.status != "fail")
        self.levels = [
            (
                level.status,
                operator.gt if level.direction == "above" else operator.lt,
                compiler.compile(level.bound),
                level_text(level.status, level.direction, expression_text(level.bound)),
            )
            for level in self.level_nodes
        ]
        # Most thresholds compare with numbers written out: those are read once, here.
        fixed = [constant_value(level.bound) for level in self.level_nodes]
        self.fixed_levels: list[tuple[str, Callable[[Any, Any], Any], Any, str]] | None = (
            None
            if None in fixed
            else [
                (status, beyond, bound, text)
                for (status, beyond, _, text), bound in zip(self.levels, fixed, strict=True)
            ]
        )
        self.per = threshold.per
        subject = threshold.subject
        # An unkeyed metric compared as it is, which a run of thresholds reads straight from
        # the snapshot.
        self.plain_metric = (
            subject.name
            if isinstance(subject, s.Name)
            and subject.name in compiler.scope.metrics
            and compiler.scope.metrics[subject.name].dimension is None
            else None
        )
        self.unit = compiler.type_of(threshold.subject).unit
        self.form = rule_form(threshold, compiler.scope)  # one object for every key's result
        self.location = location(threshold.span)
        self.key_metrics = (
            keyed_metrics(
                [threshold.subject, *(level.bound for level in threshold.levels)],
                compiler.scope,
                threshold.per,
            )
            if threshold.per
            else []
        )

    def rows(self, moment: Moment) -> list[Row]:
        """The threshold judged at `moment`: rows (self, key, status, value, level, reason)."""
        frame, at = moment.frame, moment.current
        value = self.subject(frame, at)
        if self.per is None:
            return [self.judge_now(value, frame, at)]
        bounds = [bound(frame, at) for _, _, bound, _ in self.levels]
        keys = moment.keys(self.key_metrics)
        columns = [_column(value, keys)] + [_column(bound, keys) for bound in bounds]
        judged = self.level_columns(keys, columns[0], columns[1:])
        if judged is not None:
            return judged
        return [
            self.judge(key, value, row) for key, value, *row in zip(keys, *columns, strict=True)
        ]

    def level_columns(
        self, keys: list[str], values: list[Any], bounds: list[list[Any]]
    ) -> list[Row] | None:
        """Every key judged at once where all values are known: each level compared over the
        whole column in C, the first level reached (fail levels first) winning."""
        kinds = set(map(type, values)).union(*(map(type, column) for column in bounds))
        if Unknown in kinds:
            return None
        count = len(keys)
        statuses = ["pass"] * count
        levels: list[str | None] = [None] * count
        for (status, beyond, _, text), column in reversed(
            list(zip(self.levels, bounds, strict=True))
        ):
            for index in compress(range(count), map(beyond, values, column)):
                statuses[index] = status
                levels[index] = text
        return list(zip(repeat(self), keys, statuses, values, levels, repeat(None)))

    def bounds_at(self, moment: Moment) -> list[tuple[str, str, Any]]:
        """Each level's bound at the current period, as (status, `above` or `below`, bound);
        the bound may be keyed, or an Unknown."""
        frame, at = moment.frame, moment.current
        return [
            (node.status, node.direction, bound(frame, at))
            for node, (_, _, bound, _) in zip(self.level_nodes, self.levels, strict=True)
        ]

    def key_margins(self, moment: Moment) -> Callable[[str | None], Margins]:
        """For any key, numbers that are all >= 0 exactly when no level is reached for it;
        None where the threshold cannot be judged. The values are worked out once, for every
        key."""
        frame, at = moment.frame, moment.current
        value = self.subject(frame, at)
        bounds = [(beyond, bound(frame, at)) for _, beyond, bound, _ in self.levels]

        def margins(key: str | None) -> Margins:
            own = at_key(value, key)
            if isinstance(own, Unknown):
                return None
            found: list[tuple[Any, bool]] = []
            for beyond, bound in bounds:
                limit = at_key(bound, key)
                if isinstance(limit, Unknown):
                    return None
                room = subtract(limit, own) if beyond is operator.gt else subtract(own, limit)
                found.append((room, False))
            return found

        return margins

    def judge_now(self, value: Any, frame: Frame, at: int) -> Row:
        """A threshold without `per`: its bounds are read only as far as they are needed."""
        if value.__class__ is Unknown:
            return (self, None, "unknown", None, None, value.reason)
        for status, beyond, bound, text in self.levels:
            reached = beyond(value, bound(frame, at))
            if reached is True:
                return (self, None, status, value, text, None)
            if reached is not False:
                return (self, None, "unknown", value, None, reached.reason)
        return (self, None, "pass", value, None, None)

    def judge(self, key: str | None, value: Any, bounds: Sequence[Any]) -> Row:
        if isinstance(value, Unknown):
            return (self, key, "unknown", None, None, value.reason)
        for (status, beyond, _, text), bound in zip(self.levels, bounds, strict=True):
            reached = beyond(value, bound)
            if reached is True:
                return (self, key, status, value, text, None)
            if reached is not False:
                return (self, key, "unknown", value, None, reached.reason)
        return (self, key, "pass", value, None, None)

    def made(self, row: Row, solve: WhatItTakes) -> Result:
        """The result of one of this threshold's rows; if it warns or fails, `solve` says
        what it would take to pass."""
        _, key, status, value, level, reason = row
        return Result(
            self.name,
            "threshold",
            key,
            status,
            value,
            self.threshold.owner,
            self.location,
            self.unit,
            reason,
            level=level,
            form=self.form,
            what_it_takes=solve if status in FALLING_SHORT else None,
        )


class ThresholdRun:
    """Thresholds that follow one another in a ruleset, without `per` and with numbers
    written out as their levels, judged in one loop: the metrics they compare as they are
    read from the snapshot at once, and each decided by its fixed levels with no call per
    rule. A service's checks of one snapshot are mostly such thresholds."""

    def __init__(self, rules: Sequence[ThresholdRule]) -> None:
        self.rules = [(rule, rule.subject, rule.fixed_levels or []) for rule in rules]
        # A subject that is not a plain metric reads as absent here and is computed instead.
        self.metrics: list[Any] = [rule.plain_metric for rule in rules]
        self.unread = [None] * len(rules)

    @staticmethod
    def joins(rule: object) -> bool:
        """A threshold without `per` whose levels are all numbers written out (or that has
        no levels, and so passes)."""
        return (
            isinstance(rule, ThresholdRule) and rule.per is None and rule.fixed_levels is not None
        )

    def rows(self, moment: Moment) -> list[Row]:
        frame, at = moment.frame, moment.current
        snapshot = frame.metrics.get(at)
        found = list(map(snapshot.get, self.metrics)) if snapshot is not None else self.unread
        rows: list[Row] = []
        append = rows.append
        for (rule, subject, levels), value in zip(self.rules, found, strict=True):
            if value is None:
                value = subject(frame, at)
                if value.__class__ is Unknown:
                    append((rule, None, "unknown", None, None, value.reason))
                    continue
            for status, beyond, bound, text in levels:
                if beyond(value, bound):
                    append((rule, None, status, value, text, None))
                    break
            else:
                append((rule, None, "pass", value, None, None))
        return rows
