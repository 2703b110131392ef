"""A report written out for people and tools: terminal text, JSON, Markdown and JUnit XML.

`planrules eval --format text|json|markdown|junit` calls `render`. Every renderer ends its
output with a newline and reads only the `Report` model, so the four always agree.

Text from outside the program (rule and line names, keys from snapshots, recommendation texts)
is written through one escaping step per format: control characters are shown as `\\x1b`-style
escapes in text and Markdown (a key read from JSON must not move the cursor or colour the
terminal), cells escape `|` in Markdown, and XML is built by ElementTree, never by hand.

Reports for people are written in the reader's language (`planrules.i18n`): `render` takes
`lang`, and every fixed word goes through `_`, every number through the language's numbers,
and a `per` rule's keys are listed worst first, ties in the reader's order. The JSON report
is always written in English, with code-point order and plain numbers.
"""

from __future__ import annotations

import decimal
import functools
import operator
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar, cast

from planrules.eval.testing import TestFileRun, TestOutcome
from planrules.eval.values import EVALUATION, Num, subtract
from planrules.formats import REPLAY_FORMATS, REPORT_FORMATS
from planrules.i18n import (
    N_,
    _,
    compact,
    describe,
    ngettext,
    reader_order,
    speaking,
    spoken,
)
from planrules.lang.escape import escape_char as _escape
from planrules.lang.escape import printable
from planrules.lang.escape import visible as visible
from planrules.lang.fmt import display_width as cell_width
from planrules.lang.ratio_forms import RatioForm
from planrules.report.model import (
    Adjustment,
    Allocation,
    AllocationLine,
    Recommendation,
    Replay,
    Report,
    Result,
)

FORMATS = REPORT_FORMATS

# Result kinds in the order their sections appear, with the section titles.
SECTIONS = (
    ("goal", N_("Goals")),
    ("threshold", N_("Thresholds")),
    ("budget", N_("Budgets")),
    ("trigger", N_("Triggers")),
)

# The verdict lists the counts that matter most first:
# `FAIL: 3 fail, 1 warn, 15 pass, 2 fired, 4 quiet`.
VERDICT_ORDER = ("fail", "warn", "unknown", "pass", "fired", "quiet", "cooling")

# Statuses and severities as a reader is told them; the codes stay in JSON and XML attributes.
_STATUS_WORDS = {
    "pass": N_("pass"),
    "warn": N_("warn"),
    "fail": N_("fail"),
    "unknown": N_("unknown"),
    "fired": N_("fired"),
    "quiet": N_("quiet"),
    "cooling": N_("cooling"),
    "held": N_("held"),  # a trigger's period, in the HTML report's strips
    "info": N_("info"),
}


def status_word(status: str) -> str:
    """A status or severity in the reader's language (`fail`, `không đạt`, `未通过`)."""
    return _(_STATUS_WORDS[status]) if status in _STATUS_WORDS else status


def status_label(status: str) -> str:
    """The status as the first column of a report shows it: `FAIL`, `KHÔNG ĐẠT`."""
    return status_word(status).upper()


_ANSI = {
    "pass": "32",  # green
    "warn": "33",  # yellow
    "fail": "31",  # red
    "unknown": "35",  # magenta
    "fired": "1;31",  # bold red
    "quiet": "2",  # dim
    "cooling": "2",
}
_RESET = "\x1b[0m"

_GAP = "  "  # between the columns of a text table
_INDENT = "  "  # rows under a section title
_SEPARATOR = " · "  # between the figures in a details cell
# Owners line up in a column that starts at most this far in (a wide terminal's width).
OWNER_COLUMN_LIMIT = 132
# A "to pass" line fits a terminal of this many columns, its indentation included.
HINT_WIDTH = 100
# The fewest columns a label is cut to: one character and "…"; with less room the line says
# where to look instead.
_SHORTEST_CUT = 2


_Rendered = TypeVar("_Rendered", bound=Callable[..., str])


def in_exact_context(render_report: _Rendered) -> _Rendered:
    """Writes a report in the evaluation's exact context: a report is written after
    `evaluate` has returned, under whatever decimal context the caller has, and the few
    figures worked out while writing (a line's change, a share) must not round or overflow
    there, nor set its flags."""

    @functools.wraps(render_report)
    def exactly(*args: Any, **kwargs: Any) -> str:
        with decimal.localcontext(EVALUATION):
            return render_report(*args, **kwargs)

    return cast(_Rendered, exactly)


@in_exact_context
def render(
    report: Report,
    format: str,
    color: bool = False,
    fail_on_warn: bool = False,
    all_keys: bool = False,
    lang: str | None = None,
) -> str:
    """The report in one of `FORMATS`; `color` applies to text, `fail_on_warn` to JUnit,
    `all_keys` (every key of a `per` rule, not the worst) to text and Markdown, `lang` (a
    code of `planrules.i18n.LANGUAGES`; by default the language spoken, English where none
    was chosen) to all but JSON."""
    if format == "json":
        return render_json(report)
    if format == "html":  # charts over the periods need the history: `report.html.render_html`
        from planrules.report.html import render_html

        return render_html(report, lang=lang)
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}: choose one of {', '.join(FORMATS)}")
    with speaking(lang):
        if format == "text":
            return render_text(report, color=color, all_keys=all_keys)
        if format == "markdown":
            return render_markdown(report, all_keys=all_keys)
        return render_junit(report, fail_on_warn=fail_on_warn)


# ---- JSON ----------------------------------------------------------------------------------


def render_json(report: Report) -> str:
    """The report's JSON text (`Report.to_json`): English whatever language the caller is
    speaking, numbers exact."""
    return report.to_json()


# ---- shared wording ------------------------------------------------------------------------


def verdict(report: Report) -> str:
    """`FAIL: 3 fail, 1 warn, 15 pass, 2 fired, 4 quiet`, counts of 0 left out."""
    counts = report.counts
    shown = [_counted(counts[status], status) for status in VERDICT_ORDER if counts.get(status)]
    return _("{status}: {counts}").format(
        status=status_label(report.status),
        counts=_(", ").join(shown) if shown else _("no results"),
    )


def _counted(count: int, status: str) -> str:
    return _("{count} {status}").format(count=whole_count(count), status=status_word(status))


def whole_count(count: int) -> str:
    """A count of things (keys, periods) with the reader's thousands separators."""
    return describe(count, "count")


def rule_title(result: Result) -> str:
    """The rule's name, with `[key]` for one key of a `per` rule."""
    return result.rule if result.key is None else f"{result.rule} [{result.key}]"


def _trigger_title(trigger: str, key: str | None) -> str:
    return trigger if key is None else f"{trigger} [{key}]"


def _shown(
    value: Num | None, unit: str, currency: str | None, form: RatioForm | None = None
) -> str:
    return "" if value is None else describe(value, unit, currency, form)


def _compact(
    value: Num | None, unit: str, currency: str | None, form: RatioForm | None = None
) -> str:
    """For the value column of the text report: money in few columns where the reader's
    language has a short form for it (`1,55 tỷ ₫`; full figures in English)."""
    return "" if value is None else compact(value, unit, currency, form)


def _signed(value: Num, unit: str, currency: str | None, form: RatioForm | None = None) -> str:
    text = describe(value, unit, currency, form)
    return f"+{text}" if value > 0 else text


def details(result: Result, currency: str | None) -> str:
    """The figures of a result's kind for a details column; the reason of an unknown one."""
    if result.status == "unknown":
        return spoken(result.reason) if result.reason else status_word("unknown")
    return _DETAILS[result.kind](result, currency)


def _goal_details(result: Result, currency: str | None) -> str:
    figures = [
        (N_("target {amount}"), result.target),
        (N_("expected {amount}"), result.expected),
        (N_("forecast {amount}"), result.forecast),
        (N_("needs {amount}/period"), result.required_per_period),
    ]
    return _SEPARATOR.join(
        _(figure).format(amount=describe(value, result.unit, currency, result.form))
        for figure, value in figures
        if value is not None
    )


def _threshold_details(result: Result, _currency: str | None) -> str:
    return spoken(result.level) if result.level else ""


def _budget_details(result: Result, currency: str | None) -> str:
    spent = _shown(result.value, "money", currency)
    if result.planned is None:
        text = _("spent {spent}").format(spent=spent)
    else:
        planned = describe(result.planned, "money", currency)
        text = _("spent {spent} of {planned}").format(spent=spent, planned=planned)
    if result.used is not None:
        text += f" ({describe(result.used, 'ratio')})"
    if result.unplanned:
        unplanned = _("unplanned: {keys}").format(keys=_(", ").join(result.unplanned))
        text += f"{_SEPARATOR}{unplanned}"
    return text


def _trigger_details(result: Result, _currency: str | None) -> str:
    parts = [status_word(result.severity) if result.severity else ""]
    if result.held:
        parts.append(_("held {periods}").format(periods=_(", ").join(result.held)))
    else:
        parts.append(_("never held"))
    # A fired trigger's last firing is now; otherwise it tells why a trigger is cooling.
    if result.last_fired is not None and result.status != "fired":
        parts.append(_("last fired {period}").format(period=result.last_fired))
    return _SEPARATOR.join(part for part in parts if part)


_DETAILS: dict[str, Callable[[Result, str | None], str]] = {
    "goal": _goal_details,
    "threshold": _threshold_details,
    "budget": _budget_details,
    "trigger": _trigger_details,
}


def adjustment_action(adjustment: Adjustment, currency: str | None) -> str:
    """`shift X from A to B in "Budget"` or `scale LINE by X in "Budget"`, X as requested."""
    if adjustment.action == "shift":
        move = _("shift {amount} from {source} to {destination} in {budget}")
        amount = describe(adjustment.requested, "money", currency)
    else:
        move = _("scale {line} by {amount} in {budget}")
        amount = _signed(adjustment.requested, "money", currency)
    return _adjustment_words(move, adjustment, amount=amount)


def _adjustment_move(adjustment: Adjustment) -> str:
    """The action without its amount or budget, for a table that has columns for those."""
    if adjustment.action == "shift":
        return _adjustment_words(_("shift from {source} to {destination}"), adjustment)
    return _adjustment_words(_("scale {line}"), adjustment)


def _adjustment_words(template: str, adjustment: Adjustment, amount: str = "") -> str:
    return template.format(
        amount=amount,
        source=adjustment.source,
        destination=adjustment.destination,
        line=adjustment.line,
        budget=f'"{adjustment.budget}"',
    )


def adjustment_outcome(adjustment: Adjustment, currency: str | None) -> str:
    """What was applied against what was requested, and why less where it was clipped."""
    if adjustment.applied == adjustment.requested and adjustment.clipped is None:
        return _("applied in full")
    if adjustment.action == "shift":
        applied = describe(adjustment.applied, "money", currency)
    else:
        applied = _signed(adjustment.applied, "money", currency)
    text = _("applied {amount}").format(amount=applied)
    if adjustment.clipped is not None:
        text += _SEPARATOR + _("clipped: {why}").format(why=spoken(adjustment.clipped))
    return text


def adjusted_allocations(report: Report) -> list[Allocation]:
    """The allocations of budgets some adjustment touched, in the report's order."""
    touched = {adjustment.budget for adjustment in report.adjustments}
    return [a for a in report.allocations if a.budget in touched]


def _change(line: AllocationLine, currency: str | None) -> str:
    # An unchanged line is left blank so that the lines that moved stand out.
    difference = subtract(line.proposed, line.planned)
    return "" if difference == 0 else _signed(difference, "money", currency)


def _allocation_rows(allocation: Allocation, currency: str | None) -> list[list[str]]:
    return [
        [
            line.line,
            describe(line.planned, "money", currency),
            describe(line.proposed, "money", currency),
            _change(line, currency),
        ]
        for line in allocation.lines
    ]


def _sections(
    report: Report, all_keys: bool = True
) -> Iterable[tuple[str, list[Result], list[str]]]:
    """Each kind's title, the results shown (a `per` rule's keys worst first, see
    `reader_ordered`), and a line for each rule whose keys were cut (see `worst_keys`).

    The order and the cut are worked out from the rows' rule, key and status; only the
    results shown are made, so that a rule of 100,000 keys costs the 50 it shows."""
    summary = list(report.results.summary())
    for kind, title in SECTIONS:
        indexes = [index for index, row in enumerate(summary) if row[1] == kind]
        if not indexes:
            continue
        if kind != "budget":  # a budget's lines keep their declared order
            indexes = reader_ordered(summary, indexes)
        shown, cut = (indexes, []) if all_keys else worst_keys(summary, indexes)
        yield _(title), report.results.some(shown), cut


# Text and Markdown list this many keys of a `per` rule, the worst first, and count the rest.
MOST_KEYS_SHOWN = 50
# Worst first: what needs acting on, then what cannot be judged, then what is fine.
_WORST_FIRST = {status: rank for rank, status in enumerate(("fail", "fired", "warn", "unknown"))}
Summary = Sequence[tuple[str, str, str | None, str]]  # each result's rule, kind, key, status


def worst_first_rank(status: str) -> int:
    """Where a status comes in a list worst first (0 first)."""
    return _WORST_FIRST.get(status, len(_WORST_FIRST))


def reader_ordered(summary: Summary, indexes: Sequence[int]) -> list[int]:
    """The results at `indexes`, each rule's worst first, keys of one status in the reader's
    order (Vietnamese or pinyin collation; code points in English, as in JSON); the rules
    keep their order."""
    rules: dict[str, list[int]] = {}
    for index in indexes:
        rules.setdefault(summary[index][0], []).append(index)

    def place(index: int) -> tuple[int, Any]:
        _rule, _kind, key, status = summary[index]
        return worst_first_rank(status), reader_order(key or "")

    return [index for own in rules.values() for index in sorted(own, key=place)]


def worst_keys(summary: Summary, indexes: Sequence[int]) -> tuple[list[int], list[str]]:
    """`indexes` with each rule's keys beyond the `MOST_KEYS_SHOWN` worst left out (stably
    sorted by status, so keys of one status keep their order), and a line per rule cut
    counting what was left out by status."""
    shown, left = _first_of_each(
        indexes, lambda index: summary[index][0], lambda index: worst_first_rank(summary[index][3])
    )
    return shown, [_left_out(rule, [summary[index][3] for index in rest]) for rule, rest in left]


_Item = TypeVar("_Item")


def _first_of_each(
    items: Iterable[_Item], name_of: Callable[[_Item], str], rank: Callable[[_Item], int]
) -> tuple[list[_Item], list[tuple[str, list[_Item]]]]:
    """At most `MOST_KEYS_SHOWN` items of each name, the lowest `rank` first (stably), in
    the order the names come; and each name's items left out."""
    by_name: dict[str, list[_Item]] = {}
    for item in items:
        by_name.setdefault(name_of(item), []).append(item)
    shown: list[_Item] = []
    left: list[tuple[str, list[_Item]]] = []
    for name, own in by_name.items():
        if len(own) > MOST_KEYS_SHOWN:
            ranked = sorted(own, key=rank)
            shown.extend(ranked[:MOST_KEYS_SHOWN])
            left.append((name, ranked[MOST_KEYS_SHOWN:]))
        else:
            shown.extend(own)
    return shown, left


def _left_out(rule: str, statuses_left: Sequence[str]) -> str:
    counts: dict[str, int] = {}
    for status in statuses_left:
        counts[status] = counts.get(status, 0) + 1
    statuses = _(", ").join(
        _counted(counts[status], status) for status in VERDICT_ORDER if status in counts
    )
    more = ngettext(
        "{count} more key of {rule} ({statuses}); --all-keys lists them",
        "{count} more keys of {rule} ({statuses}); --all-keys lists them",
        len(statuses_left),
    )
    return more.format(count=whole_count(len(statuses_left)), rule=rule, statuses=statuses)


# ---- text ----------------------------------------------------------------------------------


@in_exact_context
def render_text(report: Report, color: bool = False, all_keys: bool = False) -> str:
    """A report for a terminal; status words are always written, colours only added. A
    `per` rule lists its worst keys and counts the rest, unless `all_keys`."""
    blocks = [[visible(_as_of(report))]]
    blocks.extend(_text_result_sections(report, color, all_keys))
    if report.adjustments:
        blocks.append(_text_adjustments(report))
    blocks.extend(_text_allocation(a, report.currency) for a in adjusted_allocations(report))
    if report.recommendations:
        blocks.append(_text_recommendations(report, all_keys))
    blocks.append([paint(verdict(report), report.status, color)])
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"


def _as_of(report: Report) -> str:
    return _("{ruleset} — as of {period}").format(ruleset=report.ruleset, period=report.as_of)


def _text_result_sections(report: Report, color: bool, all_keys: bool) -> list[list[str]]:
    currency = report.currency
    sections = list(_sections(report, all_keys))
    shown = [result for _, results, _ in sections for result in results]
    # Status, rule and value columns are as wide across sections as within, so that the
    # sections read as one table; details and owner only need to line up inside a section.
    leading = pad_columns(
        [
            [
                status_label(r.status),
                visible(rule_title(r)),
                visible(_compact(r.value, r.unit, currency, r.form)),
            ]
            for r in shown
        ],
        right_aligned={2},
    )
    # Results compare by identity (eq=False), so they can key their own rows.
    leading_of = dict(zip(shown, leading, strict=True))
    lead_width = cell_width(_INDENT + _GAP.join(leading[0]) + _GAP) if leading else 0
    # "to pass" lines sit under the rule titles: under the details they would start too far in
    # to fit `HINT_WIDTH` columns.
    hint_indent = cell_width(_INDENT + leading[0][0] + _GAP) if leading else 0
    blocks = []
    for title, results, cut in sections:
        trailing = _details_and_owner(results, currency, lead_width)
        rows = []
        for result, cells in zip(results, trailing, strict=True):
            rows.append(_text_result_row(result, leading_of[result], cells, color))
            rows.extend(_to_pass_lines(result, currency, hint_indent))
        rows.extend(_INDENT + visible(line) for line in cut)
        blocks.append([title, *rows])
    return blocks


def _to_pass_lines(result: Result, currency: str | None, indent: int) -> list[str]:
    """Under a goal or threshold that warns or fails: what one input alone would take, on one
    line of at most `HINT_WIDTH` columns."""
    changes = result.to_pass
    if not changes:
        return []
    lead = " " * indent + _("to pass: ")
    options = [
        (
            visible(change.input) + (f"[{visible(change.key)}]" if change.key is not None else ""),
            _("{change} (to {value})").format(
                change=_signed(change.change, change.unit, currency, change.form),
                value=_shown(change.to, change.unit, currency, change.form),
            ),
        )
        for change in changes
    ]
    return [lead + _fitting(options, HINT_WIDTH - cell_width(lead))]


def _fitting(options: Sequence[tuple[str, str]], width: int) -> str:
    """As many options (label, figures), best first, as fit in `width` columns, joined by "or",
    with how many were left out. Where not even the first fits, its label is cut short (the
    figures never are: a number cut short would read as another number)."""
    texts = [f"{label} {figures}" for label, figures in options]
    for shown in range(len(texts), 0, -1):
        text = _(" or ").join(texts[:shown]) + _more(len(texts) - shown)
        if cell_width(text) <= width:
            return text
    label, figures = options[0]
    rest = f" {figures}{_more(len(options) - 1)}"
    room = width - cell_width(rest)
    if room >= _SHORTEST_CUT:
        return _cut(label, room) + rest
    return _("too long for this line: see the JSON report")


def _more(left_out: int) -> str:
    return _(" and {count} more").format(count=whole_count(left_out)) if left_out else ""


def _cut(text: str, width: int) -> str:
    """`text` ending in "…" within `width` columns (wide characters take two)."""
    kept = ""
    for char in text:
        if cell_width(kept + char) + 1 > width:
            break
        kept += char
    return kept + "…"


def _details_and_owner(
    results: Sequence[Result], currency: str | None, lead_width: int
) -> list[list[str]]:
    """Each row's details and owner; the owners of a section line up in a column unless one
    long details cell would push them all past `OWNER_COLUMN_LIMIT`, where they just follow
    (padding every row out to the longest would wrap rows that fit a terminal on their own)."""
    cells = [(visible(details(r, currency)), visible(_owner(r))) for r in results]
    width = max((cell_width(text) for text, owner in cells if owner), default=0)
    if lead_width + width > OWNER_COLUMN_LIMIT:
        width = 0
    return [_details_owner_cells(text, owner, width) for text, owner in cells]


def _details_owner_cells(text: str, owner: str, width: int) -> list[str]:
    if not owner:
        return [text]
    if width:
        text = _align(text, width, right=False)
    return [cell for cell in (text, owner) if cell]


def _owner(result: Result) -> str:
    return f"→ {result.owner}" if result.owner else ""


def _text_result_row(result: Result, leading: list[str], trailing: list[str], color: bool) -> str:
    status_cell, *others = leading
    word = status_label(result.status)
    # The word is coloured and its padding is not, so the escapes never count as width.
    status_cell = paint(word, result.status, color) + status_cell[len(word) :]
    return _text_row([status_cell, *others, *trailing])


def _text_row(cells: Sequence[str]) -> str:
    return (_INDENT + _GAP.join(cells)).rstrip(" ")


def _text_adjustments(report: Report) -> list[str]:
    lines = [_("Adjustments")]
    for adjustment in report.adjustments:
        lines.append(
            visible(
                f"{_INDENT}{_trigger_title(adjustment.trigger, adjustment.key)}: "
                f"{adjustment_action(adjustment, report.currency)}{_SEPARATOR}"
                f"{adjustment_outcome(adjustment, report.currency)}"
            )
        )
    return lines


def _text_allocation(allocation: Allocation, currency: str | None) -> list[str]:
    header = [_("line"), _("planned"), _("proposed"), _("change")]
    body = [[visible(cell) for cell in row] for row in _allocation_rows(allocation, currency)]
    rows = pad_columns([header, *body], right_aligned={1, 2, 3})
    return [visible(_allocation_title(allocation)), *map(_text_row, rows)]


def _allocation_title(allocation: Allocation) -> str:
    return _("Proposed allocation: {budget}").format(budget=allocation.budget)


def _text_recommendations(report: Report, all_keys: bool) -> list[str]:
    lines = [_("Recommendations")]
    shown, cut = _recommendations_shown(report, all_keys)
    for recommendation in shown:
        title = _trigger_title(recommendation.trigger, recommendation.key)
        lines.append(visible(f"{_INDENT}- {title}: {recommendation.text}"))
    lines.extend(visible(f"{_INDENT}{line}") for line in cut)
    return lines


def _recommendations_shown(
    report: Report, all_keys: bool
) -> tuple[list[Recommendation], list[str]]:
    """The recommendations listed: with `all_keys`, all; otherwise the first
    `MOST_KEYS_SHOWN` keys of each trigger, and a line counting the rest."""
    if all_keys:
        return list(report.recommendations), []
    shown, left = _first_of_each(
        report.recommendations, operator.attrgetter("trigger"), lambda _recommendation: 0
    )
    more = _("{count} more from {trigger}; --all-keys lists them")
    cut = [more.format(count=whole_count(len(rest)), trigger=trigger) for trigger, rest in left]
    return shown, cut


def paint(text: str, status: str, color: bool) -> str:
    """`text` in the colour of `status` when colour is on; unchanged otherwise."""
    if not color or status not in _ANSI:
        return text
    return f"\x1b[{_ANSI[status]}m{text}{_RESET}"


def pad_columns(
    rows: Sequence[Sequence[str]], right_aligned: Iterable[int] = ()
) -> list[list[str]]:
    """Cells padded to their column's width in terminal cells (wide CJK characters take two);
    a column empty in every row is left out, so it adds no gap."""
    if not rows:
        return []
    right = set(right_aligned)
    widths = [max(cell_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        [
            _align(cell, width, index in right)
            for index, (cell, width) in enumerate(zip(row, widths, strict=True))
            if width
        ]
        for row in rows
    ]


def _align(text: str, width: int, right: bool) -> str:
    padding = " " * (width - cell_width(text))
    return padding + text if right else text + padding


# ---- Markdown ------------------------------------------------------------------------------


_RESULT_HEADER = (N_("Status"), N_("Rule"), N_("Key"), N_("Value"), N_("Details"), N_("Owner"))
_ADJUSTMENT_HEADER = (
    N_("Trigger"),
    N_("Key"),
    N_("Action"),
    N_("Budget"),
    N_("Requested"),
    N_("Applied"),
    N_("Clipped"),
)
_ALLOCATION_HEADER = (N_("Line"), N_("Planned"), N_("Proposed"), N_("Change"))


@in_exact_context
def render_markdown(report: Report, all_keys: bool = False) -> str:
    """GitHub-flavoured Markdown for a pull request: a table per kind, then the changes. A
    `per` rule lists its worst keys and counts the rest, unless `all_keys`."""
    blocks = [
        f"## {markdown_text(_as_of(report))}",
        f"**{markdown_text(verdict(report))}**",
    ]
    for title, results, cut in _sections(report, all_keys):
        table = _markdown_results(results, report.currency)
        notes = "".join(f"\n\n{markdown_text(line)}" for line in cut)
        blocks.append(f"### {title}\n\n{table}{notes}")
    if report.adjustments:
        blocks.append(f"### {_('Adjustments')}\n\n{_markdown_adjustments(report)}")
    for allocation in adjusted_allocations(report):
        table = markdown_table(
            _ALLOCATION_HEADER, _allocation_rows(allocation, report.currency), {1, 2, 3}
        )
        blocks.append(f"### {markdown_text(_allocation_title(allocation))}\n\n{table}")
    if report.recommendations:
        shown, cut = _recommendations_shown(report, all_keys)
        bullets = "\n".join(
            [
                *(
                    f"- {markdown_text(_trigger_title(r.trigger, r.key))}: {markdown_text(r.text)}"
                    for r in shown
                ),
                *(markdown_text(line) for line in cut),
            ]
        )
        blocks.append(f"### {_('Recommendations')}\n\n{bullets}")
    return "\n\n".join(blocks) + "\n"


def _markdown_results(results: Sequence[Result], currency: str | None) -> str:
    rows = [
        [
            status_label(result.status),
            result.rule,
            result.key or "",
            _shown(result.value, result.unit, currency, result.form),
            details(result, currency),
            result.owner or "",
        ]
        for result in results
    ]
    return markdown_table(_RESULT_HEADER, rows, right_aligned={3})


def _markdown_adjustments(report: Report) -> str:
    currency = report.currency
    rows = [
        [
            a.trigger,
            a.key or "",
            _adjustment_move(a),
            a.budget,
            describe(a.requested, "money", currency),
            describe(a.applied, "money", currency),
            spoken(a.clipped) if a.clipped else "",
        ]
        for a in report.adjustments
    ]
    return markdown_table(_ADJUSTMENT_HEADER, rows, right_aligned={4, 5})


def markdown_table(
    header: Sequence[str], rows: Iterable[Sequence[str]], right_aligned: Iterable[int] = ()
) -> str:
    """A table whose `header` holds message ids, written in the reader's language."""
    right = set(right_aligned)
    rule = ["---:" if index in right else "---" for index in range(len(header))]
    lines = [_markdown_row([_(title) for title in header]), _markdown_row(rule, escape=False)]
    lines.extend(_markdown_row(row) for row in rows)
    return "\n".join(lines)


def _markdown_row(cells: Sequence[str], escape: bool = True) -> str:
    shown = [markdown_text(cell) if escape else cell for cell in cells]
    return "| " + " | ".join(shown) + " |"


# Characters that make links, images, emphasis, code or table cells in Markdown, each written
# with a backslash so that it shows as itself.
_MARKDOWN_ESCAPES = str.maketrans({char: "\\" + char for char in "|[]*_`~"})


def markdown_text(text: str) -> str:
    """`text` safe inside a table cell or a list item: `|` and the characters of Markdown's
    links and emphasis escaped (a backslash first, so that a backslash of the text cannot
    unescape them), HTML characters as entities, a newline as `<br>`, other control
    characters as visible escapes: a key such as `[link](http://evil)` stays text."""
    text = text.replace("\\", "\\\\").translate(_MARKDOWN_ESCAPES)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "<br>".join(visible(line) for line in text.split("\n"))


# ---- JUnit XML -----------------------------------------------------------------------------

# What each result becomes in JUnit: a passing case, one passing with a note, a failure or an
# error (a rule that could not be judged).
_PASSED, _NOTED, _FAILED, _ERRORED = "passed", "noted", "failed", "errored"


@in_exact_context
def render_junit(report: Report, fail_on_warn: bool = False) -> str:
    """JUnit XML: a test case per result, so that CI lists failing rules like failing tests.

    `fail` fails, `warn` passes with the message in `<system-out>` (fails under
    `fail_on_warn`), `unknown` is an error; a fired trigger counts by its severity.
    """
    outcomes = [junit_outcome(result, fail_on_warn) for result in report.results]
    totals = {
        "tests": str(len(outcomes)),
        "failures": str(outcomes.count(_FAILED)),
        "errors": str(outcomes.count(_ERRORED)),
    }
    suites = _xml_element(None, "testsuites", name=report.ruleset, **totals)
    suite = _xml_element(suites, "testsuite", name=report.ruleset, **totals, skipped="0")
    _junit_properties(suite, report)
    notes = _trigger_notes(report)
    for result, outcome in zip(report.results, outcomes, strict=True):
        extra = notes.pop((result.rule, result.key), []) if result.kind == "trigger" else []
        _junit_case(suite, report, result, outcome, extra)
    # Notes whose trigger has no result (none should) are kept at the suite's level.
    leftover = [line for lines in notes.values() for line in lines]
    if leftover:
        _xml_element(suite, "system-out", text="\n".join(leftover))
    return _xml_document(suites)


def _xml_document(root: ET.Element) -> str:
    ET.indent(root)
    written: bytes = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    return written.decode("utf-8") + "\n"


def junit_outcome(result: Result, fail_on_warn: bool) -> str:
    if result.status == "unknown":
        return _ERRORED
    if result.kind == "trigger":
        # Only a trigger that fired says anything; its severity says how loud.
        weight = result.severity if result.status == "fired" else "pass"
    else:
        weight = result.status
    if weight == "fail" or (weight == "warn" and fail_on_warn):
        return _FAILED
    return _NOTED if weight == "warn" else _PASSED


def _junit_properties(suite: ET.Element, report: Report) -> None:
    properties = _xml_element(suite, "properties")
    values = {"as_of": report.as_of, "status": report.status, "currency": report.currency}
    for name, value in values.items():
        if value is not None:
            _xml_element(properties, "property", name=name, value=value)


def _trigger_notes(report: Report) -> dict[tuple[str, str | None], list[str]]:
    """What each trigger did (adjustments, recommendations), to go with its test case."""
    notes: dict[tuple[str, str | None], list[str]] = {}
    for adjustment in report.adjustments:
        notes.setdefault((adjustment.trigger, adjustment.key), []).append(
            f"{adjustment_action(adjustment, report.currency)}{_SEPARATOR}"
            f"{adjustment_outcome(adjustment, report.currency)}"
        )
    for recommendation in report.recommendations:
        key = (recommendation.trigger, recommendation.key)
        noted = _("recommendation: {text}").format(text=recommendation.text)
        notes.setdefault(key, []).append(noted)
    return notes


def _junit_case(
    suite: ET.Element, report: Report, result: Result, outcome: str, notes: list[str]
) -> None:
    case = _xml_element(
        suite, "testcase", classname=f"{report.ruleset}.{result.kind}", name=rule_title(result)
    )
    message = result.message_in(report.currency)
    where = _("at {place}").format(
        place=f"{result.location.file}:{result.location.line}:{result.location.column}"
    )
    body = "\n".join([message, *_owner_line(result), where])
    kind = result.severity if result.kind == "trigger" else result.status
    if outcome == _FAILED:
        _xml_element(case, "failure", text=body, message=message, type=kind or result.status)
    elif outcome == _ERRORED:
        reason = spoken(result.reason) if result.reason else status_word("unknown")
        _xml_element(case, "error", text=f"{reason}\n{where}", message=reason, type="unknown")
    output = ([message] if outcome == _NOTED else []) + notes
    if output:
        _xml_element(case, "system-out", text="\n".join(output))


def _owner_line(result: Result) -> list[str]:
    return [_("owner: {owner}").format(owner=result.owner)] if result.owner else []


def _xml_element(
    parent: ET.Element | None, tag: str, text: str | None = None, **attributes: str
) -> ET.Element:
    """An element with its text and attributes made valid XML 1.0 first."""
    clean = {name: xml_text(value) for name, value in attributes.items()}
    element = ET.Element(tag, clean) if parent is None else ET.SubElement(parent, tag, clean)
    if text is not None:
        element.text = xml_text(text)
    return element


def xml_text(text: str) -> str:
    """`text` with the characters XML 1.0 cannot hold at all (most control characters,
    surrogates, U+FFFE/U+FFFF) written as visible escapes, and the others a reader of the
    file should not get raw either (a carriage return, C1 and bidirectional controls, U+2028
    and U+2029); newlines and tabs are kept. ElementTree escapes the rest."""
    shown = printable(text)
    if "\ufffe" not in shown and "\uffff" not in shown:
        return shown
    return "".join(_escape(char) if char in "\ufffe\uffff" else char for char in shown)


# ---- replay (a backtest) -------------------------------------------------------------------


@in_exact_context
def render_replay(replay: Replay, format: str, color: bool = False, lang: str | None = None) -> str:
    """The replay as JSON (always English), or as a text table in `lang` (English default)."""
    if format == "json":
        return replay.to_json()
    if format == "text":
        with speaking(lang):
            return render_replay_text(replay, color)
    if format == "html":
        from planrules.report.html import render_replay_html

        return render_replay_html(replay, lang=lang)
    raise ValueError(f"unknown format {format!r}: choose one of {', '.join(REPLAY_FORMATS)}")


def render_replay_text(replay: Replay, color: bool = False) -> str:
    """One row per rule (and key), one column per period, statuses as words."""
    header = [_("Rule"), *replay.periods]
    rows = [header]
    for row in replay.rows:
        title = visible(row.rule) + (f" [{visible(row.key)}]" if row.key is not None else "")
        rows.append([title, *(status_label(status) if status else "-" for status in row.statuses)])
    rows.append([_("overall"), *(status_label(status) for status in replay.overall)])
    padded = pad_columns(rows)
    statuses = [["", *(s or "" for s in row.statuses)] for row in replay.rows]
    statuses.append(["", *replay.overall])
    replayed = ngettext(
        "{ruleset}: replay of {count} period",
        "{ruleset}: replay of {count} periods",
        len(replay.periods),
    )
    lines = [replayed.format(ruleset=visible(replay.ruleset), count=len(replay.periods)), ""]
    lines.append(_text_row(padded[0]).rstrip())
    for cells, row_statuses in zip(padded[1:], statuses, strict=True):
        painted = [
            paint(cell, status, color) for cell, status in zip(cells, row_statuses, strict=True)
        ]
        lines.append(_text_row(painted).rstrip())
    return "\n".join(lines) + "\n"


# ---- ruleset tests -------------------------------------------------------------------------


def describe_failure(run: TestFileRun, outcome: TestOutcome) -> str:
    """A failed test: its name and place, then each expectation that did not hold, with the
    line it was written on and a caret, as diagnostics are shown."""
    span = outcome.span
    lines = [f"{status_label('fail')} {visible(outcome.name)} ({span.file}:{span.line})"]
    if outcome.error is not None:
        lines.append("  " + _("could not run: {why}").format(why=visible(outcome.error)))
    for failure in outcome.failures:
        where = failure.span
        expected = _("expected {value}").format(value=visible(failure.expected))
        lines.append(f"  {where.file}:{where.line}:{where.column}: {expected}")
        lines.append("      " + _("got {value}").format(value=visible(failure.actual)))
        if run.source is not None:
            text = run.source.line_text(where.line)
            lines.append(f"    | {visible(text)}")
            lines.append("    | " + " " * _columns_before(text, where.column) + "^")
    return "\n".join(lines)


def _columns_before(text: str, column: int) -> int:
    return cell_width(text[: column - 1])


def render_test_junit(runs: Sequence[TestFileRun]) -> str:
    """One test suite per test file, one test case per test."""
    root = _xml_element(None, "testsuites")
    for run in runs:
        failed = sum(1 for outcome in run.outcomes if outcome.failures)
        errors = sum(1 for outcome in run.outcomes if outcome.error is not None)
        suite = _xml_element(
            root,
            "testsuite",
            name=run.path,
            tests=str(len(run.outcomes)),
            failures=str(failed),
            errors=str(errors),
            skipped="0",
        )
        for outcome in run.outcomes:
            case = _xml_element(suite, "testcase", classname=run.path, name=outcome.name)
            if outcome.error is not None:
                _xml_element(case, "error", text=outcome.error, message=outcome.error)
            for failure in outcome.failures:
                message = _("expected {expected}, got {actual}").format(
                    expected=failure.expected, actual=failure.actual
                )
                place = _("at {place}").format(
                    place=f"{failure.span.file}:{failure.span.line}:{failure.span.column}"
                )
                _xml_element(case, "failure", text=f"{message}\n{place}", message=message)
    return _xml_document(root)
