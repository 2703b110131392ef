"""The report of an evaluation: results, adjustments, allocations and recommendations.

The model holds exact values; `to_dict` is the JSON form of the language reference, where
numbers are rounded (ratios to 4 decimals, everything else to 2, halves away from zero).
Messages for people are derived from the data when asked for, so an evaluation that nobody
reads as text never pays for formatting them.
"""

from __future__ import annotations

import decimal
import functools
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, ParamSpec, TypeVar, cast, overload

import attrs

from planrules.eval.values import (
    EVALUATION,
    Num,
    add,
    before_first,
    divide_or_unknown,
    multiply,
    scaled_half_away,
    subtract,
)
from planrules.i18n import ENGLISH, _, describe, speaking, spoken
from planrules.lang.numbers import EXACT
from planrules.lang.ratio_forms import RatioForm
from planrules.report.json_text import json_text

STATUS_ORDER = {"pass": 0, "warn": 1, "fail": 2}
COUNTED = ("pass", "warn", "fail", "unknown", "fired", "quiet", "cooling")
RATIO_DIGITS = 4
OTHER_DIGITS = 2

P = ParamSpec("P")
T = TypeVar("T")


@attrs.frozen
class Location:
    file: str
    line: int
    column: int

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column}


def _exactly(compute: Callable[P, T]) -> Callable[P, T]:
    """Worked out in the evaluation's exact context whenever it is asked for: a report is
    read after `evaluate` has returned, under whatever decimal context the caller has."""

    @functools.wraps(compute)
    def in_exact_context(*args: P.args, **kwargs: P.kwargs) -> T:
        with decimal.localcontext(EVALUATION):
            return compute(*args, **kwargs)

    return in_exact_context


@attrs.frozen
class Pacing:
    """Where a goal with a deadline stands in time; shared by every key of a `per` goal.

    `elapsed` is the share of the span gone (1 once the deadline's period is reached; None
    for a goal that is not paced), `remaining` the periods after the current one through the
    deadline's, and `schedule` each of them with its share of what is still to do (the phase
    weights that remain, scaled to sum to 1; equal shares without `phased`), in runs of
    periods with the same share, so that a long window costs no more than a short one.
    """

    elapsed: Num | None
    remaining: int
    paced: bool  # judged against the pace line: the deadline is ahead and the goal is paced
    forecasting: bool  # reports progress, expected and forecast (`>`/`>=` goals, or `from`)
    per_period: bool  # a paced `>`/`>=` goal: reports what each remaining period requires
    ahead: bool = False  # the deadline's period is still ahead
    schedule: tuple[Share, ...] = ()


@attrs.frozen
class Share:
    """Consecutive remaining periods, `first` through `last`, each with this `share` of what
    is still to do."""

    first: str
    last: str
    share: Num


@attrs.frozen
class DataWarning:
    """Where the data and the plan disagree without making a result wrong: a snapshot metric
    that looks like a declared one it lacks, a key that looks like one the plan names, an
    amount that could not be read. `suggestion` is the look-alike, where there is one."""

    code: str
    message: str
    file: str | None = None
    period: str | None = None
    metric: str | None = None
    key: str | None = None
    suggestion: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "period": self.period,
            "metric": self.metric,
            "key": self.key,
            "suggestion": self.suggestion,
        }

    def render(self, kind: str = "warning") -> str:
        """`FILE:PERIOD: warning: CODE: message`, as the CLI prints it (`error` with
        `--strict`)."""
        where = ":".join(part for part in (self.file, self.period) if part)
        return f"{where + ': ' if where else ''}{kind}: {self.code}: {spoken(self.message)}"


def distinct(warnings: Iterable[DataWarning]) -> tuple[DataWarning, ...]:
    """One warning per code, file, metric and key: the first."""
    found: dict[tuple[str, str | None, str | None, str | None], DataWarning] = {}
    for warning in warnings:
        found.setdefault((warning.code, warning.file, warning.metric, warning.key), warning)
    return tuple(found.values())


@attrs.frozen
class Required:
    """What a run of remaining periods (`period` through `through`) must each deliver."""

    period: str
    through: str
    amount: Num

    def to_dict(self, number: Callable[[Num], Any]) -> dict[str, Any]:
        return {"period": self.period, "through": self.through, "amount": number(self.amount)}


@attrs.define(slots=True, eq=False)
class Result:
    """One rule's verdict, for one key of a `per` rule (key None otherwise).

    Fields a kind does not use stay None; `to_dict` writes the fields of its own kind.
    """

    rule: str
    kind: str  # goal, threshold, budget, trigger
    key: str | None
    status: str
    value: Num | None
    owner: str | None
    location: Location
    unit: str = "number"  # the unit of `value` (count, money, ratio, number), for rounding
    reason: str | None = None
    target: Num | None = None
    baseline: Num | None = None
    pacing: Pacing | None = None
    level: str | None = None
    planned: Num | None = None
    used: Num | None = None
    unplanned: tuple[str, ...] = ()  # keys a budget's spending has but no line names
    severity: str | None = None
    held: tuple[str, ...] = ()
    last_fired: str | None = None
    # How a ratio value (and target, forecast ...) is written for people: the rule's form,
    # shared by all its results (`planrules.lang.ratio_forms`); None is a percent.
    form: RatioForm | None = None
    # Works out `to_pass` when first asked: it judges the rule again for each changed input.
    what_it_takes: Callable[[Result], tuple[Change, ...]] | None = attrs.field(
        default=None, repr=False
    )
    _changes: tuple[Change, ...] | None = attrs.field(default=None, init=False, repr=False)
    # A goal's pacing figures, once worked out (`_figures`): its fields and its message
    # both read them.
    _figures: _Figures | None = attrs.field(default=None, init=False, repr=False, eq=False)

    @property
    def to_pass(self) -> tuple[Change, ...] | None:
        """For a goal or threshold that warns or fails: each input that alone would pass it."""
        if self.what_it_takes is None:
            return None
        if self._changes is None:
            self._changes = self.what_it_takes(self)
        return self._changes

    @property
    def message(self) -> str:
        return self.message_in(None)

    @_exactly
    def message_in(self, currency: str | None) -> str:
        """The message, with money written in its currency."""
        return result_message(self, currency)

    # A goal's pacing figures are worked out when asked for: a `per store` goal over 100,000
    # stores decides its statuses by cross-multiplying, and only a report that is written
    # pays for the fractions.

    @property
    def elapsed(self) -> Num | None:
        return None if self.pacing is None else self.pacing.elapsed

    @property
    @_exactly
    def progress(self) -> Num | None:
        return _progress(self)

    @property
    @_exactly
    def expected(self) -> Num | None:
        return _expected(self)

    @property
    @_exactly
    def forecast(self) -> Num | None:
        return _forecast(self)

    @property
    @_exactly
    def required_by_period(self) -> tuple[Required, ...] | None:
        """What each remaining period must deliver for a paced `>`/`>=` goal to reach its
        target: the gap, max(0, target - value), shared out by `Pacing.schedule`; runs of
        consecutive periods needing the same amount are one `Required`."""
        return _required_by_period(self)

    @property
    def required_per_period(self) -> Num | None:
        """What the next period must deliver (see `required_by_period`)."""
        runs = self.required_by_period
        return runs[0].amount if runs else None

    @_exactly
    def to_dict(self, currency: str | None = None) -> dict[str, Any]:
        return _result_dict(self, currency)


# The figures below are worked out in the evaluation's exact context, which the `Result`
# properties and `to_dict` enter: a whole report enters it once, not once per figure.

# A goal's progress, expected, forecast and required_by_period.
_Figures = tuple[Num | None, Num | None, Num | None, tuple["Required", ...] | None]


def _figures(result: Result) -> _Figures:
    figures = result._figures
    if figures is None:
        figures = (
            _progress_of(result),
            _expected_of(result),
            _forecast_of(result),
            _required_by_period_of(result),
        )
        result._figures = figures
    return figures


def _progress(result: Result) -> Num | None:
    return _figures(result)[0]


def _expected(result: Result) -> Num | None:
    return _figures(result)[1]


def _forecast(result: Result) -> Num | None:
    return _figures(result)[2]


def _required_by_period(result: Result) -> tuple[Required, ...] | None:
    return _figures(result)[3]


def _progress_of(result: Result) -> Num | None:
    pacing = result.pacing
    if pacing is None or not pacing.forecasting or result.value is None or result.target is None:
        return None
    base = result.baseline or 0
    span = subtract(result.target, base)
    if span == 0:
        return None
    return _exact(divide_or_unknown(subtract(result.value, base), span, str))


def _forecast_pacing(result: Result) -> Pacing | None:
    """The pacing, where this result reports `expected` and `forecast`."""
    pacing = result.pacing
    if pacing is None or not pacing.paced or not pacing.forecasting:
        return None
    return None if result.value is None or result.target is None else pacing


def _expected_of(result: Result) -> Num | None:
    pacing = _forecast_pacing(result)
    if pacing is None:
        return None
    base = result.baseline or 0
    return _exact(add(base, multiply(subtract(result.target, base), pacing.elapsed)))


def _forecast_of(result: Result) -> Num | None:
    pacing = _forecast_pacing(result)
    if pacing is None or pacing.elapsed == 0:
        return None
    base = result.baseline or 0
    moved = subtract(result.value, base)
    return _exact(add(base, divide_or_unknown(moved, pacing.elapsed, str)))


def _required_by_period_of(result: Result) -> tuple[Required, ...] | None:
    pacing = result.pacing
    if pacing is None or not pacing.per_period or not pacing.schedule:
        return None
    if result.value is None or result.target is None:
        return None
    gap = max(subtract(result.target, result.value), 0)
    runs: list[Required] = []
    for run in pacing.schedule:
        amount = _exact(multiply(gap, run.share))
        if runs and runs[-1].amount == amount:
            runs[-1] = attrs.evolve(runs[-1], through=run.last)
        else:
            runs.append(Required(run.first, run.last, amount))
    return tuple(runs)


def _required_per_period(result: Result) -> Num | None:
    runs = _required_by_period(result)
    return runs[0].amount if runs else None


def _result_dict(result: Result, currency: str | None) -> dict[str, Any]:
    number = _rounder(result.unit)
    data: dict[str, Any] = {
        "rule": result.rule,
        "kind": result.kind,
        "key": result.key,
        "status": result.status,
        "value": number(result.value),
    }
    data.update(_KIND_FIELDS[result.kind](result, number))
    data["owner"] = result.owner
    if result.reason is not None:
        data["reason"] = result.reason
    data["message"] = result_message(result, currency)
    data["location"] = result.location.to_dict()
    return data


def _exact(value: Any) -> Num:
    """The arithmetic helpers are untyped (they carry unknowns too); these results are numbers."""
    return cast(Num, value)


@attrs.frozen
class Change:
    """One input changed alone so that a rule would pass (filled in by `what it takes`)."""

    input: str
    key: str | None
    change: Num
    to: Num
    unit: str = "number"
    form: RatioForm | None = None  # of a ratio input, as its name is shown

    def to_dict(self) -> dict[str, Any]:
        number = _rounder(self.unit)
        return {
            "input": self.input,
            "key": self.key,
            "change": number(self.change),
            "to": number(self.to),
        }


def _goal_fields(result: Result, number: Any) -> dict[str, Any]:
    runs = _required_by_period(result)
    return {
        "target": number(result.target),
        "elapsed": ratio(result.elapsed),
        "progress": ratio(_progress(result)),
        "expected": number(_expected(result)),
        "forecast": number(_forecast(result)),
        "required_per_period": number(runs[0].amount) if runs else None,
        "required_by_period": None if runs is None else [run.to_dict(number) for run in runs],
        **_to_pass(result),
    }


def _threshold_fields(result: Result, _number: Any) -> dict[str, Any]:
    return {"level": result.level, **_to_pass(result)}


def _to_pass(result: Result) -> dict[str, Any]:
    if result.to_pass is None:
        return {}
    return {"to_pass": [change.to_dict() for change in result.to_pass]}


def _budget_fields(result: Result, number: Any) -> dict[str, Any]:
    return {"planned": number(result.planned), "used": ratio(result.used)}


def _trigger_fields(result: Result, _number: Any) -> dict[str, Any]:
    return {
        "severity": result.severity,
        "held": list(result.held),
        "last_fired": result.last_fired,
    }


_KIND_FIELDS = {
    "goal": _goal_fields,
    "threshold": _threshold_fields,
    "budget": _budget_fields,
    "trigger": _trigger_fields,
}


@attrs.frozen
class Adjustment:
    trigger: str
    key: str | None
    action: str  # shift or scale
    budget: str
    requested: Num
    applied: Num
    clipped: str | None
    source: str | None = None  # `from` of a shift
    destination: str | None = None  # `to` of a shift
    line: str | None = None  # the line of a scale

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "trigger": self.trigger,
            "key": self.key,
            "action": self.action,
            "budget": self.budget,
        }
        if self.action == "shift":
            data["from"] = self.source
            data["to"] = self.destination
        else:
            data["line"] = self.line
        data["requested"] = amount(self.requested)
        data["applied"] = amount(self.applied)
        data["clipped"] = self.clipped
        return data


@attrs.frozen
class AllocationLine:
    line: str
    planned: Num
    proposed: Num


@attrs.frozen
class Allocation:
    budget: str
    total: Num
    lines: tuple[AllocationLine, ...]

    @property
    def changed(self) -> bool:
        return any(line.planned != line.proposed for line in self.lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            line.line: {"planned": amount(line.planned), "proposed": amount(line.proposed)}
            for line in self.lines
        }


@attrs.frozen
class Recommendation:
    trigger: str
    key: str | None
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"trigger": self.trigger, "key": self.key, "text": self.text}


Row = tuple[Any, ...]
"""One result as an evaluation first makes it: `(rule, key, status, ...)`, where the rest is
the compiled rule's own and `rule.made(row)` makes the `Result`."""

_STATUS_OF_ROW = operator.itemgetter(2)


class Results(Sequence[Result]):
    """A report's results in ruleset order, made into `Result` objects when first read.

    An evaluation keeps each result as a row of plain values. A service that only wants the
    verdict, or a `per store` rule over 100,000 stores, does not pay for 100,000 objects
    that nobody reads. Statuses and counts are read from the rows directly.

    Once made, the rows and the evaluation behind them are let go. Threads may share it: the
    rows are always read before the results (which are set before the rows are dropped), so a
    reader sees one or the other whole; two threads reading it first at once may both make
    the results, and the first made is kept.
    """

    __slots__ = ("_made", "_make", "_rows")

    def __init__(
        self, rows: Sequence[Row], make: Callable[[Sequence[Row]], tuple[Result, ...]]
    ) -> None:
        self._rows = rows
        self._make = make
        self._made: tuple[Result, ...] | None = None

    @classmethod
    def of(cls, results: Iterable[Result]) -> Results:
        """Results already made (a report built by hand, as tests do)."""
        made = cls((), _nothing_to_make)
        made._made = tuple(results)
        return made

    def made(self) -> tuple[Result, ...]:
        rows, make = self._rows, self._make
        made = self._made
        if made is None:
            made = make(rows)
            if self._made is None:
                self._made = made
            made = self._made
            self._rows, self._make = (), _nothing_to_make
        return made

    def some(self, indexes: Sequence[int]) -> list[Result]:
        """The results at `indexes`, in that order; where the results are not made yet, only
        these are made (a report showing 50 keys of 100,000), and the rest stay rows."""
        # The maker before the rows: `made` drops the rows first, so rows read after a maker
        # that has been dropped are empty, and the results made are read instead.
        make = self._make
        rows = self._rows
        if self._made is None and len(rows) > max(indexes, default=-1):
            return list(make([rows[index] for index in indexes]))
        made = self.made()
        return [made[index] for index in indexes]

    def _rows_or_made(self) -> tuple[Sequence[Row], tuple[Result, ...] | None]:
        rows = self._rows
        return rows, self._made

    def statuses(self) -> list[str]:
        rows, made = self._rows_or_made()
        if made is not None:
            return [result.status for result in made]
        return list(map(_STATUS_OF_ROW, rows))

    def counted_statuses(self) -> set[str]:
        """The statuses that count toward the overall status: every one but an unknown that
        comes only from reaching before a key's first period (see `eval.lifetimes`)."""
        rows, made = self._rows_or_made()
        if made is not None:
            return {r.status for r in made if r.status != "unknown" or not before_first(r.reason)}
        statuses = set(map(_STATUS_OF_ROW, rows))
        if "unknown" not in statuses:
            return statuses  # the usual case, told without a loop in Python
        return {row[2] for row in rows if row[2] != "unknown" or not before_first(_row_reason(row))}

    def fired_severities(self) -> set[str]:
        """The severities of the triggers that fired."""
        rows, made = self._rows_or_made()
        if made is not None:
            return {r.severity for r in made if r.status == "fired" and r.severity}
        return {row[0].severity for row in rows if row[2] == "fired"}

    def summary(self) -> Iterator[tuple[str, str, str | None, str]]:
        """(rule, kind, key, status) of each result, without making the results."""
        rows, made = self._rows_or_made()
        if made is not None:
            return ((r.rule, r.kind, r.key, r.status) for r in made)
        return ((row[0].name, row[0].kind, row[1], row[2]) for row in rows)

    def __len__(self) -> int:
        rows, made = self._rows_or_made()
        return len(rows) if made is None else len(made)

    @overload
    def __getitem__(self, index: int) -> Result: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Result, ...]: ...

    def __getitem__(self, index: int | slice) -> Result | tuple[Result, ...]:
        return self.made()[index]

    def __iter__(self) -> Iterator[Result]:
        return iter(self.made())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Results):
            return self.made() == other.made()
        if isinstance(other, tuple):
            return self.made() == other
        return NotImplemented

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as the results themselves: the rows hold the compiled rules.
        return (Results.of, (self.made(),))

    def __hash__(self) -> int:
        return hash(self.made())

    def __repr__(self) -> str:
        return f"Results({list(self.made())!r})"


def _row_reason(row: Row) -> object:
    # A budget's row ends with its result; every other row with its reason.
    last = row[-1]
    return last.reason if isinstance(last, Result) else last


def _nothing_to_make(_rows: Sequence[Row]) -> tuple[Result, ...]:
    return ()


def as_results(results: Results | Iterable[Result]) -> Results:
    return results if isinstance(results, Results) else Results.of(results)


@attrs.frozen(slots=False)  # a frozen class with a __dict__ is made in half the time
class Report:
    ruleset: str
    as_of: str
    currency: str | None
    status: str
    results: Results = attrs.field(converter=as_results)  # a tuple of results is taken too
    adjustments: tuple[Adjustment, ...]
    allocations: tuple[Allocation, ...]
    recommendations: tuple[Recommendation, ...]
    warnings: tuple[DataWarning, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(COUNTED, 0)
        for status in self.results.statuses():
            counts[status] += 1
        return counts

    def result(self, rule: str, key: str | None = None) -> Result | None:
        """The result of `rule` at `key` (a `per` rule's key, a budget's line; None for a rule
        without `per`, or a budget as a whole)."""
        return self._by_rule_and_key.get((rule, key))

    def results_for(self, rule: str) -> tuple[Result, ...]:
        """Every result of `rule`: one per key of a `per` rule, a budget's lines and whole."""
        return tuple(result for result in self.results if result.rule == rule)

    @functools.cached_property
    def _by_rule_and_key(self) -> dict[tuple[str, str | None], Result]:
        # Looked up once per report: a service asking for many keys of a 100,000-key rule
        # would otherwise walk every result for each.
        found: dict[tuple[str, str | None], Result] = {}
        for result in self.results:
            found.setdefault((result.rule, result.key), result)
        return found

    def allocation(self, budget: str) -> Allocation | None:
        for allocation in self.allocations:
            if allocation.budget == budget:
                return allocation
        return None

    @_exactly
    def to_dict(self) -> dict[str, Any]:
        """The report as the contract's JSON object, in Python values: dicts in the contract's
        key order, lists, `str`, `int`, `bool`, `None`, and every number a `decimal.Decimal`
        already rounded as the contract says (ratios to 4 places, other values to 2). Write
        it with `to_json()`, not `json.dumps`, which cannot take a Decimal without a float."""
        return {
            "ruleset": self.ruleset,
            "as_of": self.as_of,
            "status": self.status,
            "counts": self.counts,
            "results": [_result_dict(result, self.currency) for result in self.results],
            "adjustments": [adjustment.to_dict() for adjustment in self.adjustments],
            "allocations": {a.budget: a.to_dict() for a in self.allocations},
            "recommendations": [r.to_dict() for r in self.recommendations],
            "warnings": [warning.to_dict() for warning in self.warnings],
        }

    def to_json(self) -> str:
        """The report as the contract's JSON text, exactly as `planrules eval --format json`
        writes it. `to_dict()` holds `Decimal` numbers (rounded as the contract says), which
        `json.dumps` cannot write without losing them to floats."""
        with decimal.localcontext(EVALUATION), speaking(ENGLISH):
            return json_text(self.to_dict())


@attrs.frozen
class ReplayRow:
    """One rule (and key) through the history; None where it had no result in a period."""

    rule: str
    kind: str
    key: str | None
    statuses: tuple[str | None, ...]


@attrs.frozen
class Replay:
    """A backtest: every rule's status at every period, and the overall status of each."""

    ruleset: str
    periods: tuple[str, ...]
    overall: tuple[str, ...]
    rows: tuple[ReplayRow, ...]
    warnings: tuple[DataWarning, ...] = ()  # of every period, each once

    def to_dict(self) -> dict[str, Any]:
        """The replay as a JSON object in Python values (text, lists, dicts, None)."""
        return {
            "ruleset": self.ruleset,
            "periods": list(self.periods),
            "status": dict(zip(self.periods, self.overall, strict=True)),
            "warnings": [warning.to_dict() for warning in self.warnings],
            "rules": [
                {
                    "rule": row.rule,
                    "kind": row.kind,
                    "key": row.key,
                    "statuses": dict(zip(self.periods, row.statuses, strict=True)),
                }
                for row in self.rows
            ],
        }

    def to_json(self) -> str:
        """The replay as JSON text, exactly as `planrules replay --format json` writes it."""
        return json_text(self.to_dict())


def replay_of(ruleset: str, reports: Iterable[Report], count: int) -> Replay:
    """The replay of `count` reports, each read as it comes and let go: rows in ruleset order
    (keys in key order, a budget's lines as declared), wherever a rule or key first appears."""
    rows: dict[tuple[str, str | None], list[str | None]] = {}
    kinds: dict[str, str] = {}
    order: dict[str, int] = {}
    periods: list[str] = []
    overall: list[str] = []
    warnings: list[DataWarning] = []
    for index, report in enumerate(reports):
        periods.append(report.as_of)
        overall.append(report.status)
        warnings.extend(report.warnings)
        for rule, kind, key, status in report.results.summary():
            row = rows.get((rule, key))
            if row is None:
                order.setdefault(rule, len(order))
                kinds[rule] = kind
                row = rows[(rule, key)] = [None] * count
            row[index] = status
    first_seen = {rule_key: index for index, rule_key in enumerate(rows)}

    def place(rule_key: tuple[str, str | None]) -> tuple[int, str, int]:
        rule, key = rule_key
        # A budget's lines keep their declared order; other keys sort by code point.
        if kinds[rule] == "budget" or key is None:
            return order[rule], "", first_seen[rule_key]
        return order[rule], key, 0

    ranked = sorted(rows, key=place)
    return Replay(
        ruleset,
        tuple(periods),
        tuple(overall),
        tuple(ReplayRow(rule, kinds[rule], key, tuple(rows[(rule, key)])) for rule, key in ranked),
        distinct(warnings),
    )


def worst(statuses: Iterable[str]) -> str:
    """The worst of pass, warn and fail."""
    found = "pass"
    for status in statuses:
        if STATUS_ORDER.get(status, 0) > STATUS_ORDER[found]:
            found = status
    return found


def ratio(value: Num | None) -> int | Decimal | None:
    return None if value is None else _json_number(value, RATIO_DIGITS)


def amount(value: Num | None) -> int | Decimal | None:
    return None if value is None else _json_number(value, OTHER_DIGITS)


def _json_number(value: Num, digits: int) -> int | Decimal:
    """`value` rounded half away from zero to `digits` decimals: a whole number as an int,
    any other as a Decimal without trailing zeros (in plain notation: it has decimals)."""
    if type(value) is int:
        return value
    scale: int = 10**digits
    scaled = scaled_half_away(value, scale)
    whole, rest = divmod(scaled, scale)
    if not rest:
        return whole
    # Scaling by a power of ten moves the exponent only: exact in any context.
    return Decimal(scaled).scaleb(-digits, EXACT).normalize(EXACT)


def _rounder(unit: str) -> Any:
    return ratio if unit == "ratio" else amount


# ---- messages for people -------------------------------------------------------------------
# In the reader's language where a report for people is written (`planrules.i18n.speaking`),
# in English everywhere else, the JSON report included.


def result_message(result: Result, currency: str | None = None) -> str:
    if result.status == "unknown":
        return _("unknown: {reason}").format(reason=spoken(result.reason or ""))
    return _MESSAGES[result.kind](result, currency)


def _shown(result: Result, value: Num | None, currency: str | None) -> str:
    return _("none") if value is None else describe(value, result.unit, currency, result.form)


def _goal_message(result: Result, currency: str | None) -> str:
    value = _shown(result, result.value, currency)
    target = _shown(result, result.target, currency)
    # Each sentence is one message, whole, so that a translator can order its words.
    passed = result.status == "pass"
    pacing = result.pacing
    if pacing is None:
        if passed:
            return _("{value} against the target {target}: met").format(value=value, target=target)
        return _("{value} against the target {target}: missed").format(value=value, target=target)
    if pacing.ahead and not pacing.paced:
        if passed:
            text = _("{value} against the target {target}, not paced: met for now")
        else:
            text = _("{value} against the target {target}, not paced: not met yet")
        return text.format(value=value, target=target)
    if not pacing.paced:
        if passed:
            text = _("at the deadline {value} against the target {target}: met")
        else:
            text = _("at the deadline {value} against the target {target}: missed")
        return text.format(value=value, target=target)
    elapsed = describe(pacing.elapsed, "ratio")
    progress = _progress(result)
    if progress is None:
        if passed:
            text = _(
                "{value} against the target {target} with {elapsed} of the time gone: "
                "within the target"
            )
        else:
            text = _(
                "{value} against the target {target} with {elapsed} of the time gone: "
                "not within the target yet"
            )
        return text.format(value=value, target=target, elapsed=elapsed)
    text = _("{value} of {target}: {progress} of the way with {elapsed} of the time gone").format(
        value=value, target=target, progress=describe(progress, "ratio"), elapsed=elapsed
    )
    forecast = _forecast(result)
    if forecast is not None:
        text += _("; on this pace {forecast}").format(forecast=_shown(result, forecast, currency))
    required = _required_per_period(result)
    if required is not None:
        needed = _shown(result, required, currency)
        text += _("; needs {amount} a period from here").format(amount=needed)
    return text


def _threshold_message(result: Result, currency: str | None) -> str:
    value = _shown(result, result.value, currency)
    if result.level is None:
        return _("{value}: no level reached").format(value=value)
    return f"{value}: {spoken(result.level)}"


def _budget_message(result: Result, currency: str | None) -> str:
    spent = describe(result.value, "money", currency)
    planned = describe(result.planned, "money", currency)
    text = _("spent {spent} of {planned}").format(spent=spent, planned=planned)
    if result.used is not None:
        text += f" ({describe(result.used, 'ratio')})"
    if result.key is None and result.reason is not None:
        text += f"; {spoken(result.reason)}"  # why the whole budget warns or fails
    elif result.unplanned:
        keys = _(", ").join(result.unplanned)
        text += _("; spending on keys no line names: {keys}").format(keys=keys)
    return text


def _trigger_message(result: Result, _currency: str | None) -> str:
    held = _(", ").join(result.held) if result.held else _("no period")
    if result.status == "fired":
        # The severity words are translated where reports list statuses (`render.status_word`).
        severity = _(result.severity) if result.severity else ""
        return _("fired ({severity}); the condition held in {periods}").format(
            severity=severity, periods=held
        )
    if result.status == "cooling":
        return _("would fire, but is cooling down after firing in {period}").format(
            period=result.last_fired
        )
    return _("quiet; the condition held in {periods}").format(periods=held)


_MESSAGES = {
    "goal": _goal_message,
    "threshold": _threshold_message,
    "budget": _budget_message,
    "trigger": _trigger_message,
}
