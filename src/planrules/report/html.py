"""The report as one self-contained HTML page: `planrules eval --format html`, and the replay's
grid of rules by periods, `planrules replay --format html`.

The page is written by Jinja2 templates (`templates/`, autoescaped: every name, key, owner and
recommendation text from outside is text, never markup) and its charts are Vega-Lite specs
rendered to inline SVG by vl-convert, which draws them in-process with no browser and no
network. The page loads nothing: its styles, the filter box's few lines of script and the
charts are all in the file.

Every figure comes from the evaluator: the current `Report`, and for the history the reports
of each period of the same replay `planrules replay` makes (values, pace line `expected`,
statuses). This module chooses what to draw and how, never what a rule means: the only things
read from the ruleset itself are the bounds written as literals (a threshold's warn and fail
levels, a budget line's share range), to draw them as bands.

It needs the `html` extra (Jinja2 and vl-convert-python); without it `--format html` is an
error that says what to install.
"""

from __future__ import annotations

import decimal
import functools
import math
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import attrs

from planrules.eval.values import EVALUATION, Num
from planrules.i18n import N_, _, current, describe, ngettext, reader_order, speaking, spoken
from planrules.lang import syntax as s
from planrules.lang.escape import visible
from planrules.lang.periods import PeriodError, parse_period, period_label, shift_period
from planrules.report.model import Replay, Report, Result
from planrules.report.render import (
    adjustment_action,
    status_word,
    whole_count,
    worst_first_rank,
)

if TYPE_CHECKING:
    from jinja2 import Environment

    from planrules.eval.evaluate import Ruleset

EXTRA = "html"
# A `per` rule's table lists this many keys, the worst first; the histogram covers them all.
MOST_KEYS_IN_TABLE = 500
# Trigger strips and history charts of a `per` rule show this many keys, the worst first.
MOST_KEYS_IN_STRIPS = 30
# Past this many results in a period, the history keeps statuses only (see `History`).
MOST_RESULTS_WITH_VALUES = 20_000

# Statuses as the page shows them: a word, a sign and a colour. The colours are the
# Okabe-Ito palette (told apart by readers with any common colour blindness) chosen so that
# in grey scale they run light to dark from pass to fail; the sign and the word carry the
# status where colour does not.
STATUS_STYLE = {
    "pass": ("✓", "#009E73"),
    "warn": ("!", "#E69F00"),
    "fail": ("✗", "#A03C00"),
    "unknown": ("?", "#56B4E9"),
    "fired": ("▲", "#7A1F5C"),
    "quiet": ("·", "#BBBBBB"),
    "cooling": ("~", "#0072B2"),
    "held": ("●", "#F0E442"),
}
_STRIP_STATES = ("held", "fired", "cooling", "quiet")
_KIND_TITLES = {
    "goal": N_("Goals"),
    "threshold": N_("Thresholds"),
    "budget": N_("Budgets"),
    "trigger": N_("Triggers"),
}


class MissingHtmlExtra(RuntimeError):
    def __init__(self, missing: str) -> None:
        super().__init__(
            f"--format html needs the {EXTRA} extra ({missing} is not installed): "
            f"pip install 'planrules[{EXTRA}]'"
        )


# ---- the history: the reports of the replay's periods --------------------------------------


@attrs.frozen
class Point:
    """One result at one period, as the evaluator reported it."""

    status: str
    value: Num | None
    expected: Num | None = None
    target: Num | None = None


@attrs.frozen
class History:
    """The replay, and for each (rule, key) of a rule without `per` (and each budget line)
    its figures period by period; `budget_pace` the share of each budget that may be spent
    by each period where spending is paced (the evaluator's own pace line)."""

    replay: Replay
    points: dict[tuple[str, str | None], dict[str, Point]]
    budget_pace: dict[str, dict[str, Num]]
    # Each level of a threshold without `per` whose levels are not all numbers written out,
    # by (status, direction), period by period: the evaluator's bounds, where known.
    levels: dict[str, dict[tuple[str, str], dict[str, Num]]] = attrs.field(factory=dict)
    # Rules whose history was too large to keep values for (their statuses are in `replay`).
    statuses_only: bool = False


def history_of(ruleset: Ruleset, snapshots: object, strict: bool = False) -> History:
    """The replay of `snapshots` (`Ruleset.replay`), keeping the figures of each period's
    report for the charts."""
    from planrules.eval.budgets import BudgetRule
    from planrules.eval.rules import Moment, ThresholdRule

    points: dict[tuple[str, str | None], dict[str, Point]] = {}
    budget_pace: dict[str, dict[str, Num]] = {}
    budgets = [rule for rule in ruleset.rules if isinstance(rule, BudgetRule)]
    computed = [
        rule
        for rule in ruleset.rules
        if isinstance(rule, ThresholdRule) and rule.per is None and rule.fixed_levels is None
    ]
    levels: dict[str, dict[tuple[str, str], dict[str, Num]]] = {}
    statuses_only = False

    def keep(report: Report, moment: Moment) -> None:
        nonlocal statuses_only
        if len(report.results) > MOST_RESULTS_WITH_VALUES:
            statuses_only = True
        else:
            _keep_points(report, points)
        for budget in budgets:
            pace = budget.pace(moment)
            if pace is not None:
                budget_pace.setdefault(budget.name, {})[report.as_of] = budget.pace_line(pace)
        for threshold in computed:
            for status, direction, bound in threshold.bounds_at(moment):
                line = levels.setdefault(threshold.name, {}).setdefault((status, direction), {})
                if isinstance(bound, int | Decimal | Fraction):
                    line[report.as_of] = bound

    replay = ruleset.replay(snapshots, strict, keep)
    return History(replay, points, budget_pace, levels=levels, statuses_only=statuses_only)


def _keep_points(report: Report, points: dict[tuple[str, str | None], dict[str, Point]]) -> None:
    for result in report.results:
        if result.key is not None and result.kind != "budget":
            continue
        expected = result.expected if result.kind == "goal" else None
        point = Point(result.status, result.value, expected, result.target)
        points.setdefault((result.rule, result.key), {})[report.as_of] = point


# ---- numbers for charts and for people -----------------------------------------------------


def _float(value: Num | None) -> float | None:
    """A figure for a chart's scale (the label beside it is written exactly)."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _shown(result: Result, value: Num | None, currency: str | None) -> str:
    return "—" if value is None else describe(value, result.unit, currency, result.form)


def _worst_first(results: Iterable[Result]) -> list[Result]:
    return sorted(results, key=lambda r: (worst_first_rank(r.status), reader_order(r.key or "")))


def _d3_locale() -> dict[str, Any]:
    """The reader's decimal mark and digit groups, as Vega's number formats take them, read
    from how the language writes a number."""
    written = describe(Decimal("1234.5"), "number")
    group, mark = (written[1], written[5]) if len(written) == 7 else (",", ".")
    return {"decimal": mark, "thousands": group, "grouping": [3], "currency": ["", ""]}


# ---- charts ---------------------------------------------------------------------------------


class Charts:
    """Vega-Lite specs to inline SVG through vl-convert, in the reader's number format."""

    def __init__(self) -> None:
        try:
            import vl_convert
        except ImportError as missing:
            raise MissingHtmlExtra("vl-convert-python") from missing
        self._convert = vl_convert
        self._locale = _d3_locale()
        self.count = 0

    def svg(self, spec: dict[str, Any], label: str) -> str:
        spec = {
            "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
            "background": "white",
            "config": {
                # Vega's own descriptions of marks and axes are English whatever the reader's
                # language: the drawing is labelled as a whole instead (below).
                "aria": False,
                "font": "sans-serif",
                "view": {"stroke": None},
                "axis": {"labelFontSize": 11, "titleFontSize": 11, "labelLimit": 160},
                "legend": {"labelFontSize": 11, "titleFontSize": 11, "labelLimit": 200},
            },
            **spec,
        }
        drawn: str = self._convert.vegalite_to_svg(spec, format_locale=self._locale)
        self.count += 1
        # The drawing is labelled for screen readers as a whole: its marks are not read out.
        opening = drawn.index("<svg") + len("<svg")
        return (
            f'{drawn[:opening]} role="img" aria-label="{_attribute(label)}" '
            f'class="chart-svg"{drawn[opening:]}'
        )


def _attribute(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def _status_scale(states: Sequence[str]) -> dict[str, Any]:
    return {
        "domain": [status_word(state) for state in states],
        "range": [STATUS_STYLE[state][1] for state in states],
    }


def _as_percent(result: Result) -> bool:
    """Whether the result's values are written as percents: a ratio, unless its rule writes
    it as a plain number (`revenue / sum(spend)` against `warn below 8`)."""
    return result.unit == "ratio" and (result.form is None or result.form.percent)


# Periods to come drawn one by one; past this many, only the deadline's.
MOST_PERIODS_AHEAD = 60


def _periods_after(label: str, count: int) -> list[str]:
    """The labels of the `count` periods after the one labelled `label`."""
    try:
        period = parse_period(label)
        if count > MOST_PERIODS_AHEAD:
            return [period_label(shift_period(period, count))]
        return [period_label(shift_period(period, step)) for step in range(1, count + 1)]
    except PeriodError:
        return []


def _history_chart(
    charts: Charts,
    periods: Sequence[str],
    series: dict[str, dict[str, Num]],
    bands: Sequence[tuple[str, float | None, float | None]],
    markers: Sequence[tuple[str, float]],
    current: str | None,
    label: str,
    ratio: bool,
) -> str:
    """Lines over the periods (`series`: a name and its value at each period), bands of
    statuses (`bands`: a status and its range, None where open), horizontal rules
    (`markers`: a name and a value) and the current period marked."""
    values = [
        {"period": period, "series": name, "value": _float(points[period])}
        for name, points in series.items()
        for period in periods
        if period in points and _float(points[period]) is not None
    ]
    if not values:
        return ""
    numbers: list[float] = [float(v["value"]) for v in values]  # type: ignore[arg-type]
    numbers += [value for _name, value in markers]
    for _status, start, end in bands:
        numbers.extend(x for x in (start, end) if x is not None)
    low, high = min(numbers), max(numbers)
    spread = (high - low) or abs(high) or 1.0
    floor, ceiling = low - spread * 0.1, high + spread * 0.1
    number_format = ".1%" if ratio else ",~r"
    layers: list[dict[str, Any]] = []
    band_values = [
        {
            "status": status_word(status),
            "from": floor if start is None else start,
            "to": ceiling if end is None else end,
            "strength": 0.32 if status == "fail" else 0.14,
            "middle": ((floor if start is None else start) + (ceiling if end is None else end)) / 2,
        }
        for status, start, end in bands
    ]
    if band_values:
        layers.append(
            {
                "data": {"values": band_values},
                "mark": {"type": "rect"},
                "encoding": {
                    # Across the whole plot: a rect with no x of its own covers one period.
                    "x": {"value": 0},
                    "x2": {"value": "width"},
                    "y": {"field": "from", "type": "quantitative"},
                    "y2": {"field": "to"},
                    # Fail darker than warn, so that they differ in grey too.
                    "opacity": {"field": "strength", "type": "quantitative", "scale": None},
                    "color": {
                        "field": "status",
                        "type": "nominal",
                        "scale": _status_scale([b[0] for b in bands]),
                        "legend": {"title": _("Bands")},
                    },
                },
            }
        )
        # Each band named inside the plot: told apart without its colour.
        layers.append(
            {
                "data": {"values": band_values},
                "mark": {"type": "text", "align": "left", "x": 4, "color": "#222", "fontSize": 10},
                "encoding": {
                    "y": {"field": "middle", "type": "quantitative"},
                    "text": {"field": "status"},
                },
            }
        )
    if current is not None:
        layers.append(
            {
                "data": {"values": [{"period": current, "label": _("now")}]},
                "mark": {"type": "rule", "strokeDash": [2, 2], "color": "#333"},
                "encoding": {"x": {"field": "period", "type": "ordinal"}},
            }
        )
    for name, value in markers:
        layers.append(
            {
                "data": {"values": [{"value": value, "name": name}]},
                "mark": {"type": "rule", "color": "#222", "strokeWidth": 1.5},
                # Across the whole plot: a rule with no x of its own is drawn at one point.
                "encoding": {
                    "y": {"field": "value", "type": "quantitative"},
                    "x": {"value": 0},
                    "x2": {"value": "width"},
                },
            }
        )
        layers.append(
            {
                "data": {"values": [{"value": value, "name": name}]},
                "mark": {"type": "text", "align": "left", "dy": -6, "x": 4, "color": "#222"},
                "encoding": {
                    "y": {"field": "value", "type": "quantitative"},
                    "text": {"field": "name"},
                },
            }
        )
    names = list(series)
    dashes = [[1, 0], [6, 3], [2, 2], [8, 2, 2, 2]]
    layers.append(
        {
            "data": {"values": values},
            "mark": {"type": "line", "point": {"filled": True, "size": 50}, "strokeWidth": 2},
            "encoding": {
                "x": {"field": "period", "type": "ordinal", "sort": list(periods)},
                "y": {"field": "value", "type": "quantitative"},
                "color": {
                    "field": "series",
                    "type": "nominal",
                    "scale": {"domain": names, "range": ["#000000", "#0072B2", "#CC79A7"]},
                    "legend": {"title": None, "orient": "bottom"},
                },
                "strokeDash": {
                    "field": "series",
                    "type": "nominal",
                    "scale": {"domain": names, "range": dashes[: len(names)]},
                    "legend": None,
                },
                "shape": {
                    "field": "series",
                    "type": "nominal",
                    "scale": {"domain": names, "range": ["circle", "square", "triangle-up"]},
                    "legend": None,
                },
            },
        }
    )
    spec = {
        "width": 520,
        "height": 200,
        "layer": layers,
        "resolve": {"scale": {"color": "independent"}},
        "encoding": {
            "x": {
                "field": "period",
                "type": "ordinal",
                "sort": list(periods),
                "title": _("Period"),
                "scale": {"domain": list(periods)},
            },
            "y": {
                "type": "quantitative",
                "title": None,
                "scale": {"domain": [floor, ceiling], "nice": False, "zero": False},
                "axis": {"format": number_format},
            },
        },
    }
    return charts.svg(spec, label)


def _level_bands(levels: Sequence[tuple[str, str, Decimal]]) -> list[tuple[str, Any, Any]]:
    """Warn and fail bands from a threshold's literal levels: `fail below 0.5%` is the band
    under 0.5%, `warn below 1%` the band from there to 1%; the rest is pass."""
    bands: list[tuple[str, Any, Any]] = []
    for direction in ("below", "above"):
        own = sorted(
            ((status, float(bound)) for status, where, bound in levels if where == direction),
            key=lambda level: level[1],
            reverse=direction == "above",
        )
        edge: float | None = None
        for status, bound in own:
            if direction == "below":
                bands.append((status, edge, bound))
            else:
                bands.append((status, bound, edge))
            edge = bound
    return [(status, start, end) for status, start, end in bands if status in ("warn", "fail")]


def _strip_chart(
    charts: Charts, periods: Sequence[str], rows: Sequence[tuple[str, dict[str, str]]], label: str
) -> str:
    """A strip of periods per key (or one for a trigger without `per`): held, fired, cooling."""
    values = [
        {
            "key": name,
            "period": period,
            "state": status_word(states.get(period, "quiet")),
            "sign": STATUS_STYLE[states.get(period, "quiet")][0],
        }
        for name, states in rows
        for period in periods
    ]
    if not values:
        return ""
    spec = {
        "width": max(40 * len(periods), 160),
        "height": {"step": 24},
        "data": {"values": values},
        "encoding": {
            "x": {"field": "period", "type": "ordinal", "sort": list(periods), "title": None},
            "y": {
                "field": "key",
                "type": "nominal",
                "sort": [name for name, _states in rows],
                "title": None,
            },
        },
        "layer": [
            {
                "mark": {"type": "rect", "stroke": "white", "strokeWidth": 2},
                "encoding": {
                    "color": {
                        "field": "state",
                        "type": "nominal",
                        "scale": _status_scale(_STRIP_STATES),
                        "legend": {"title": None, "orient": "bottom"},
                    }
                },
            },
            {
                "mark": {"type": "text", "fontSize": 13, "color": "#000"},
                "encoding": {"text": {"field": "sign"}},
            },
        ],
    }
    return charts.svg(spec, label)


def _budget_chart(
    charts: Charts,
    lines: Sequence[dict[str, Any]],
    label: str,
) -> str:
    """Planned, spent and proposed per line as grouped bars, each line's share range as a
    band and the pace line (what may be spent by now) as a tick."""
    measures = [_("planned"), _("spent"), _("proposed")]
    bars = [
        {"line": line["name"], "measure": measure, "amount": line[field]}
        for line in lines
        for measure, field in zip(measures, ("planned", "spent", "proposed"), strict=True)
        if line[field] is not None
    ]
    if not bars:
        return ""
    ranges = [
        {"line": line["name"], "from": line["share_from"], "to": line["share_to"]}
        for line in lines
        if line["share_from"] is not None or line["share_to"] is not None
    ]
    paces = [
        {"line": line["name"], "pace": line["pace"], "label": _("pace")}
        for line in lines
        if line["pace"] is not None
    ]
    layers: list[dict[str, Any]] = []
    if ranges:
        layers.append(
            {
                "data": {"values": ranges},
                "mark": {"type": "bar", "color": "#56B4E9", "opacity": 0.25, "height": 30},
                "encoding": {
                    "y": {"field": "line", "type": "nominal"},
                    "x": {"field": "from", "type": "quantitative"},
                    "x2": {"field": "to"},
                },
            }
        )
    # One layer per measure, each set off from the line's middle by a fixed number of pixels:
    # grouped bars that stay inside their row whatever else the chart layers.
    colours = ["#BBBBBB", "#000000", "#0072B2"]
    for index, measure in enumerate(measures):
        layers.append(
            {
                "data": {"values": [bar for bar in bars if bar["measure"] == measure]},
                "mark": {
                    "type": "bar",
                    "height": 10,
                    "yOffset": (index - 1) * 12,
                    "stroke": "#000",
                    "strokeWidth": 0.5,
                },
                "encoding": {
                    "y": {"field": "line", "type": "nominal"},
                    "x": {"field": "amount", "type": "quantitative", "stack": None},
                    "color": {
                        "datum": measure,
                        "scale": {"domain": measures, "range": colours},
                        "legend": {"title": None, "orient": "bottom"},
                    },
                },
            }
        )
    if paces:
        layers.append(
            {
                "data": {"values": paces},
                "mark": {"type": "tick", "color": "#D55E00", "thickness": 3, "size": 34},
                "encoding": {
                    "y": {"field": "line", "type": "nominal"},
                    "x": {"field": "pace", "type": "quantitative"},
                },
            }
        )
    spec = {
        "width": 520,
        "height": {"step": 48},
        "layer": layers,
        "encoding": {
            "y": {
                "field": "line",
                "type": "nominal",
                "title": None,
                "sort": [line["name"] for line in lines],
            },
            "x": {"type": "quantitative", "title": None, "axis": {"format": ",~s"}},
        },
    }
    return charts.svg(spec, label)


def _histogram(
    charts: Charts,
    values: Sequence[float],
    levels: Sequence[tuple[str, float]],
    ratio: bool,
    label: str,
    targets: Sequence[float] = (),
) -> str:
    """How the values of every key of a `per` rule spread, with its levels drawn; `targets`,
    where each key has its own (a table), spread beside them."""
    if not values:
        return ""
    names = [_("value"), _("target")]
    spread = [{"value": value, "series": names[0]} for value in values]
    spread += [{"value": target, "series": names[1]} for target in targets]
    layers: list[dict[str, Any]] = [
        {
            "data": {"values": spread},
            "mark": {"type": "bar", "stroke": "#000", "strokeWidth": 0.3, "opacity": 0.75},
            "encoding": {
                "color": {
                    "field": "series",
                    "type": "nominal",
                    "scale": {"domain": names, "range": ["#0072B2", "#E69F00"]},
                    "legend": {"title": None, "orient": "bottom"} if targets else None,
                },
                "x": {
                    "field": "value",
                    "type": "quantitative",
                    "bin": {"maxbins": 30},
                    "title": _("Value"),
                    "axis": {"format": ".1%" if ratio else ",~s"},
                },
                "y": {
                    "aggregate": "count",
                    "type": "quantitative",
                    "title": _("Keys"),
                    # Keys are counted whole: a tick between two counts goes unlabelled.
                    "axis": {"labelExpr": "datum.value % 1 ? '' : format(datum.value, ',')"},
                    "stack": None,
                },
            },
        }
    ]
    for name, value in levels:
        layers.append(
            {
                "data": {"values": [{"value": value, "name": name}]},
                "mark": {"type": "rule", "strokeWidth": 2, "strokeDash": [5, 3], "color": "#000"},
                "encoding": {"x": {"field": "value", "type": "quantitative"}},
            }
        )
        layers.append(
            {
                "data": {"values": [{"value": value, "name": name}]},
                "mark": {"type": "text", "angle": 0, "dy": -4, "y": 0, "align": "left", "dx": 3},
                "encoding": {
                    "x": {"field": "value", "type": "quantitative"},
                    "text": {"field": "name"},
                },
            }
        )
    return charts.svg({"width": 520, "height": 180, "layer": layers}, label)


# ---- the page's content ---------------------------------------------------------------------


def _literal(expr: s.Expr) -> Decimal | None:
    return expr.value if isinstance(expr, s.Number) else None


@attrs.define
class _Declared:
    """What the ruleset writes as literals, to draw: threshold levels, budget share ranges."""

    levels: dict[str, list[tuple[str, str, Decimal]]] = attrs.field(factory=dict)
    shares: dict[tuple[str, str], tuple[Decimal | None, Decimal | None]] = attrs.field(factory=dict)
    triggers: dict[str, str | None] = attrs.field(factory=dict)  # owner of each trigger


def _declared(ruleset: Ruleset | None) -> _Declared:
    declared = _Declared()
    if ruleset is None:
        return declared
    for node in ruleset.checked.rules:
        if isinstance(node, s.Threshold):
            declared.levels[node.name] = [
                (level.status, level.direction, bound)
                for level in node.levels
                if (bound := _literal(level.bound)) is not None
            ]
        elif isinstance(node, s.Budget):
            for line in node.lines:
                if line.share is not None:
                    low, high = line.share.minimum, line.share.maximum
                    declared.shares[(node.name, line.key.text)] = (
                        None if low is None else low.value,
                        None if high is None else high.value,
                    )
        elif isinstance(node, s.Trigger):
            declared.triggers[node.name] = node.owner
    return declared


class _Page:
    """The report's content, made into plain dictionaries for the template."""

    def __init__(
        self,
        report: Report,
        history: History | None,
        declared: _Declared,
        charts: Charts,
    ) -> None:
        self.report = report
        self.currency = report.currency
        self.history = history
        self.declared = declared
        self.charts = charts
        periods = history.replay.periods if history is not None else ()
        # The history as of the report's period: later periods are not drawn.
        if report.as_of in periods:
            periods = periods[: periods.index(report.as_of) + 1]
        self.periods: tuple[str, ...] = tuple(periods)
        self.replay_rows = (
            {(row.rule, row.key): row.statuses for row in history.replay.rows} if history else {}
        )

    def money(self, value: Num | None) -> str:
        return "—" if value is None else describe(value, "money", self.currency)

    def result_row(self, result: Result) -> dict[str, Any]:
        hints = []
        for change in result.to_pass or ():
            where = change.input + (f"[{change.key}]" if change.key is not None else "")
            hints.append(
                _("{input} {change} (to {to})").format(
                    input=where,
                    change=_signed(change.change, change.unit, self.currency, change.form),
                    to=describe(change.to, change.unit, self.currency, change.form),
                )
            )
        return {
            "rule": result.rule,
            "key": result.key,
            "status": result.status,
            "value": _shown(result, result.value, self.currency),
            "message": result.message_in(self.currency),
            "owner": result.owner,
            "to_pass": hints,
            "rank": worst_first_rank(result.status),
        }

    def series(self, rule: str, key: str | None = None) -> dict[str, Point]:
        if self.history is None:
            return {}
        return self.history.points.get((rule, key), {})

    def goal(self, result: Result) -> dict[str, Any]:
        row = self.result_row(result)
        points = self.series(result.rule)
        # Through the report's period: a history may hold later ones (`--at`).
        known = set(self.periods or (self.report.as_of,))
        points = {period: point for period, point in points.items() if period in known}
        value_series = {p: pt.value for p, pt in points.items() if pt.value is not None}
        if not value_series and result.value is not None:
            value_series = {self.report.as_of: result.value}
        series: dict[str, dict[str, Num]] = {_("value"): value_series}
        expected = {p: pt.expected for p, pt in points.items() if pt.expected is not None}
        pacing = result.pacing
        # The periods still to come, through the deadline's: where the pace line reaches the
        # target and the forecast is drawn.
        ahead = _periods_after(self.report.as_of, pacing.remaining) if pacing else []
        end = ahead[-1] if ahead else self.report.as_of
        reaches_target = pacing is not None and (bool(ahead) or pacing.elapsed == 1)
        if expected and reaches_target and result.target is not None:
            # The line from baseline to target ends at the target, at the deadline.
            expected[end] = result.target
        if expected:
            series[_("pace line")] = expected
        forecast = result.forecast
        if forecast is not None and ahead:
            series[_("forecast")] = {end: forecast}
        markers: list[tuple[str, float]] = []
        target = _float(result.target)
        if target is not None:
            markers.append((_("target {value}").format(value=row_target(result, self)), target))
        baseline = _float(result.baseline)
        if baseline is not None and expected:
            text = _("baseline {value}").format(
                value=_shown(result, result.baseline, self.currency)
            )
            markers.append((text, baseline))
        periods = (*(self.periods or (self.report.as_of,)), *ahead)
        chart = _history_chart(
            self.charts,
            periods,
            series,
            (),
            markers,
            self.report.as_of,
            _("{rule}: value over the periods against the target").format(rule=result.rule),
            _as_percent(result),
        )
        facts: list[tuple[str, str]] = [
            (_("Value"), row["value"]),
            (_("Target"), row_target(result, self)),
        ]
        if result.expected is not None:
            facts.append((_("Pace line now"), _shown(result, result.expected, self.currency)))
        if forecast is not None:
            facts.append((_("Forecast"), _shown(result, forecast, self.currency)))
        if result.required_by_period:
            for run in result.required_by_period:
                span = run.period if run.period == run.through else f"{run.period} – {run.through}"
                facts.append(
                    (
                        _("Required per period ({periods})").format(periods=span),
                        _shown(result, run.amount, self.currency),
                    )
                )
        return {**row, "chart": chart, "facts": facts, "paced": result.pacing is not None}

    def threshold(self, result: Result) -> dict[str, Any]:
        row = self.result_row(result)
        levels = self.declared.levels.get(result.rule, [])
        points = self.series(result.rule)
        values = {p: pt.value for p, pt in points.items() if pt.value is not None}
        if not values and result.value is not None:
            values = {self.report.as_of: result.value}
        series: dict[str, dict[str, Num]] = {_("value"): values}
        computed = self.history.levels.get(result.rule, {}) if self.history else {}
        for (status, direction), bounds in computed.items():
            # Levels worked out each period (a let, a table): drawn as lines, not bands.
            series[
                _("{status} {direction}").format(status=status_word(status), direction=_(direction))
            ] = bounds
        chart = _history_chart(
            self.charts,
            self.periods or (self.report.as_of,),
            series,
            _level_bands(levels),
            (),
            self.report.as_of,
            _("{rule}: value over the periods with its warn and fail bands").format(
                rule=result.rule
            ),
            _as_percent(result),
        )
        facts = [(_("Value"), row["value"])]
        now = [
            (status, direction, bounds[self.report.as_of])
            for (status, direction), bounds in computed.items()
            if self.report.as_of in bounds
        ]
        for status, direction, bound in levels or now:
            facts.append(
                (
                    status_word(status),
                    _("{direction} {bound}").format(
                        direction=_(direction),
                        bound=describe(bound, result.unit, self.currency, result.form),
                    ),
                )
            )
        return {**row, "chart": chart, "facts": facts}

    def budget(self, results: Sequence[Result]) -> dict[str, Any]:
        whole = next((r for r in results if r.key is None), results[0])
        allocation = self.report.allocation(whole.rule)
        proposed = {line.line: line for line in allocation.lines} if allocation else {}
        pace_by_period = (self.history.budget_pace if self.history else {}).get(whole.rule, {})
        pace = pace_by_period.get(self.report.as_of)
        total = _float(whole.planned)
        lines = []
        rows = []
        for result in results:
            if result.key is None:
                continue
            planned = _float(result.planned)
            share = self.declared.shares.get((whole.rule, result.key), (None, None))
            line_pace = None
            if pace is not None and planned is not None:
                line_pace = planned * float(pace)
            allocated = proposed.get(result.key)
            lines.append(
                {
                    "name": result.key,
                    "planned": planned,
                    "spent": _float(result.value),
                    "proposed": _float(allocated.proposed) if allocated else None,
                    "share_from": (
                        None if share[0] is None or total is None else float(share[0]) * total
                    ),
                    "share_to": (
                        None if share[1] is None or total is None else float(share[1]) * total
                    ),
                    "pace": line_pace,
                }
            )
            row = self.result_row(result)
            row["planned"] = self.money(result.planned)
            row["spent"] = self.money(result.value)
            row["proposed"] = self.money(allocated.proposed) if allocated else "—"
            row["share"] = _share_text(share)
            rows.append(row)
        chart = _budget_chart(
            self.charts,
            lines,
            _("{budget}: planned, spent and proposed per line").format(budget=whole.rule),
        )
        adjustments = [
            {
                "trigger": a.trigger,
                "key": a.key,
                "action": adjustment_action(a, self.currency),
                "requested": self.money(a.requested),
                "applied": self.money(a.applied),
                "clipped": spoken(a.clipped) if a.clipped else None,
            }
            for a in self.report.adjustments
            if a.budget == whole.rule
        ]
        return {
            **self.result_row(whole),
            "chart": chart,
            "lines": rows,
            "adjustments": adjustments,
            "pace": None if pace is None else describe(pace, "ratio"),
        }

    def trigger(self, results: Sequence[Result]) -> dict[str, Any]:
        first = results[0]
        ranked = _worst_first(results)
        shown = ranked[:MOST_KEYS_IN_STRIPS]
        periods = self.periods or (self.report.as_of,)
        rows = []
        for result in shown:
            statuses = self.replay_rows.get((result.rule, result.key), ())
            by_period = (
                dict(zip(self.history.replay.periods, statuses, strict=False))
                if self.history
                else {}
            )
            states: dict[str, str] = {}
            for period in periods:
                status = by_period.get(period)
                if status in ("fired", "cooling"):
                    states[period] = status
                elif period in result.held:
                    states[period] = "held"
                else:
                    states[period] = "quiet"
            states[self.report.as_of] = (
                result.status
                if result.status in ("fired", "cooling")
                else states.get(self.report.as_of, "quiet")
            )
            rows.append((result.key if result.key is not None else result.rule, states))
        chart = _strip_chart(
            self.charts,
            periods,
            rows,
            _("{trigger}: periods held, fired and cooling").format(trigger=first.rule),
        )
        return {
            "rule": first.rule,
            "owner": first.owner,
            "severity": status_word(first.severity) if first.severity else None,
            "chart": chart,
            "rows": [self.result_row(r) for r in shown],
            "more": len(ranked) - len(shown),
            "status": ranked[0].status,
        }

    def per_rule(self, results: Sequence[Result]) -> dict[str, Any]:
        first = results[0]
        ranked = _worst_first(results)
        shown = ranked[:MOST_KEYS_IN_TABLE]
        values = [v for r in results if (v := _float(r.value)) is not None]
        levels: list[tuple[str, float]] = []
        if first.kind == "threshold":
            for status, direction, bound in self.declared.levels.get(first.rule, []):
                word = _("{status} {direction} {bound}").format(
                    status=status_word(status),
                    direction=_(direction),
                    bound=describe(bound, first.unit, self.currency, first.form),
                )
                levels.append((word, float(bound)))
        own_targets: list[float] = []
        if first.kind == "goal":
            targets = {r.target for r in results if r.target is not None}
            if len(targets) > 1:
                own_targets = [float(r.target) for r in results if r.target is not None]
            elif len(targets) == 1:
                target = targets.pop()
                levels.append(
                    (
                        _("target {value}").format(value=_shown(first, target, self.currency)),
                        float(target),
                    )
                )
        histogram = _histogram(
            self.charts,
            values,
            levels,
            _as_percent(first),
            _("{rule}: how the values of all {count} keys spread").format(
                rule=first.rule, count=whole_count(len(results))
            ),
            own_targets,
        )
        counts: dict[str, int] = {}
        for result in results:
            counts[result.status] = counts.get(result.status, 0) + 1
        rows = []
        for result in shown:
            row = self.result_row(result)
            row["target"] = row_target(result, self) if result.kind == "goal" else ""
            rows.append(row)
        return {
            "rule": first.rule,
            "kind": first.kind,
            "owner": first.owner,
            "rows": rows,
            "more": len(ranked) - len(shown),
            "total": len(ranked),
            "histogram": histogram,
            "counts": [(status_word(st), st, whole_count(n)) for st, n in _ordered(counts)],
            "status": ranked[0].status,
        }


def _ordered(counts: dict[str, int]) -> list[tuple[str, int]]:
    order = ("fail", "warn", "unknown", "pass", "fired", "quiet", "cooling")
    return [(status, counts[status]) for status in order if counts.get(status)]


def row_target(result: Result, page: _Page) -> str:
    return _shown(result, result.target, page.currency)


def _signed(value: Num, unit: str, currency: str | None, form: Any = None) -> str:
    text = describe(value, unit, currency, form)
    return text if text.startswith(("-", "−")) else "+" + text


def _share_text(share: tuple[Decimal | None, Decimal | None]) -> str:
    low, high = share
    if low is None and high is None:
        return ""
    written_low = "" if low is None else describe(low, "ratio")
    written_high = "" if high is None else describe(high, "ratio")
    return f"{written_low} .. {written_high}".strip()


def _owners(report: Report, page: _Page) -> list[dict[str, Any]]:
    """Who does what: each owner's results that need acting on, fired triggers and
    recommendations; results that pass are counted."""
    no_owner = _("No owner")
    owners: dict[str, dict[str, Any]] = {}

    def entry(owner: str | None) -> dict[str, Any]:
        name = owner or no_owner
        return owners.setdefault(
            name,
            {
                "owner": name,
                "actions": [],
                "fired": [],
                "recommendations": [],
                "fine": 0,
                "more": 0,
            },
        )

    trigger_owner: dict[tuple[str, str | None], str | None] = {}
    for result in _worst_first(report.results):
        if result.kind == "trigger":
            trigger_owner[(result.rule, result.key)] = result.owner
            if result.status == "fired":
                entry(result.owner)["fired"].append(page.result_row(result))
            continue
        if result.status in ("fail", "warn", "unknown"):
            actions = entry(result.owner)["actions"]
            if len(actions) < MOST_KEYS_IN_STRIPS:
                actions.append(page.result_row(result))
            else:
                entry(result.owner)["more"] += 1
        else:
            entry(result.owner)["fine"] += 1
    for recommendation in report.recommendations:
        owner = trigger_owner.get(
            (recommendation.trigger, recommendation.key),
            page.declared.triggers.get(recommendation.trigger),
        )
        entry(owner)["recommendations"].append(
            {
                "trigger": recommendation.trigger,
                "key": recommendation.key,
                "text": recommendation.text,
            }
        )
    named = sorted((o for o in owners if o != no_owner), key=reader_order)
    ordered = [owners[o] for o in named] + ([owners[no_owner]] if no_owner in owners else [])
    # An owner whose results all pass is listed too, with how many: nobody is left out.
    return ordered


def _sections(page: _Page) -> list[dict[str, Any]]:
    by_rule: dict[str, list[Result]] = {}
    kinds: dict[str, str] = {}
    for result in page.report.results:
        by_rule.setdefault(result.rule, []).append(result)
        kinds[result.rule] = result.kind
    sections: dict[str, dict[str, Any]] = {
        kind: {"kind": kind, "title": _(title), "items": []} for kind, title in _KIND_TITLES.items()
    }
    for rule, results in by_rule.items():
        kind = kinds[rule]
        items = sections[kind]["items"]
        if kind == "budget":
            items.append({"type": "budget", **page.budget(results)})
        elif kind == "trigger":
            items.append({"type": "trigger", **page.trigger(results)})
        elif results[0].key is not None:
            items.append({"type": "per", **page.per_rule(results)})
        elif kind == "goal":
            items.append({"type": "goal", **page.goal(results[0])})
        else:
            items.append({"type": "threshold", **page.threshold(results[0])})
    return [section for section in sections.values() if section["items"]]


def _template_messages() -> None:  # pragma: no cover - never called
    """The messages the templates write, where Babel's Python extractor (the catalogue test's,
    and a translator's) finds them: the templates are not Python."""
    ngettext("{count} more key", "{count} more keys", 1)
    ngettext(
        "The {shown} worst of {total} keys are listed; {count} more key is in the histogram.",
        "The {shown} worst of {total} keys are listed; {count} more keys are in the histogram.",
        1,
    )
    ngettext("{count} more result", "{count} more results", 1)
    ngettext("{count} other result passes", "{count} other results pass", 1)
    _("as of {period}")
    _("Verdict")
    _("Counts")
    _("Sections")
    _("Who does what")
    _("Warnings")
    _("To pass, any one of")
    _("Pace line: up to {share} of each line's plan may be spent by now")
    _("Status")
    _("Line")
    _("Planned")
    _("Spent")
    _("Proposed")
    _("Share range")
    _("Adjustments")
    _("Trigger")
    _("Action")
    _("Requested")
    _("Applied")
    _("Clipped")
    _("applied in full")
    _("Severity")
    _("Filter keys")
    _("Key")
    _("Value")
    _("Target")
    _("Details")
    _("To act on")
    _("Fired triggers")
    _("Recommendations")
    _("{shown} of {total} rows")
    ngettext("{count} more key of {rule}", "{count} more keys of {rule}", 1)
    _("Rule")
    _("overall")
    _(N_("below"))
    _(N_("above"))


# ---- templates ------------------------------------------------------------------------------


@functools.cache
def _shown_safely(value: Any) -> Any:
    """Text written into the page as the text report writes it: a control, a newline or a
    bidirectional control (a right-to-left override in a key, which would reorder the rest
    of its line) shown as its escape. Markup the page makes itself (the charts) is kept."""
    from markupsafe import Markup

    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value)
    return value


def _environment() -> Environment:
    try:
        import jinja2
    except ImportError as missing:
        raise MissingHtmlExtra("Jinja2") from missing
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("planrules.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,  # a file ends with its last line's newline, as every report
        finalize=_shown_safely,
    )
    # What the macros use: a macro imported by another template does not see its context.
    environment.globals.update(styles=STATUS_STYLE, status_word=status_word)
    return environment


def _common(title: str) -> dict[str, Any]:
    from markupsafe import Markup

    return {
        "title": title,
        "lang": current().code,
        "_": _,
        "ngettext": ngettext,
        "status_word": status_word,
        "styles": STATUS_STYLE,
        "whole": whole_count,
        "Markup": Markup,
    }


def render_html(
    report: Report,
    history: History | None = None,
    ruleset: Ruleset | None = None,
    lang: str | None = None,
) -> str:
    """The report as one HTML page; `history` (from `history_of`) adds the charts over the
    periods, `ruleset` the bands of literal levels and share ranges."""
    with decimal.localcontext(EVALUATION), speaking(lang):
        from markupsafe import Markup

        charts = Charts()
        page = _Page(report, history, _declared(ruleset), charts)
        sections = _sections(page)
        for section in sections:
            for item in section["items"]:
                for field in ("chart", "histogram"):
                    if item.get(field):
                        item[field] = Markup(item[field])
        counts = [
            (status_word(status), status, whole_count(count))
            for status, count in report.counts.items()
            if count
        ]
        title = _("{ruleset} — as of {period}").format(ruleset=report.ruleset, period=report.as_of)
        return (
            _environment()
            .get_template("report.html.j2")
            .render(
                **_common(title),
                report=report,
                status=report.status,
                counts=counts,
                sections=sections,
                owners=_owners(report, page),
                warnings=[w.render(_("warning")) for w in report.warnings],
                charts=charts.count,
                most_keys=MOST_KEYS_IN_TABLE,
            )
        )


def render_replay_html(replay: Replay, lang: str | None = None) -> str:
    """The replay as a grid of rules by periods, each cell a status word on its colour."""
    with speaking(lang):
        rows: list[dict[str, Any]] = []
        per_rule: dict[str, int] = {}
        left: dict[str, int] = {}
        for row in replay.rows:
            seen = per_rule.get(row.rule, 0)
            if row.key is not None and seen >= MOST_KEYS_IN_TABLE:
                left[row.rule] = left.get(row.rule, 0) + 1
                continue
            per_rule[row.rule] = seen + 1
            rows.append({"rule": row.rule, "key": row.key, "statuses": row.statuses})
        replayed = ngettext(
            "{ruleset}: replay of {count} period",
            "{ruleset}: replay of {count} periods",
            len(replay.periods),
        ).format(ruleset=replay.ruleset, count=len(replay.periods))
        return (
            _environment()
            .get_template("replay.html.j2")
            .render(
                **_common(replayed),
                replay=replay,
                rows=rows,
                left=sorted(left.items()),
                warnings=[w.render(_("warning")) for w in replay.warnings],
            )
        )
