"""Diagnostics: a stable code, a span and a message, and the errors that carry them."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Literal

import attrs

from planrules.lang.escape import is_hidden, printable, shown_width
from planrules.lang.messages import Message
from planrules.lang.source import Source, Span

Severity = Literal["error", "warning"]
# Text (a `Message` or not) in the reader's language.
Say = Callable[[str], str]

# Every stable code, with the kind of problem it names. Codes never change meaning; tests check
# that each one used in the code is listed here and has a golden file in tests/golden/check/.
CODES: dict[str, str] = {
    "syntax-error": "the text does not follow the grammar; the message says what was expected",
    "expression-too-deep": "an expression nested more than 100 levels deep (brackets, calls, ...)",
    "number-out-of-range": "a number literal past the limits of the contract (more than 34 "
    "significant digits, beyond 10^24, or more than 34 digits after the point)",
    "bad-date": "a date that is not on the calendar, such as 2026-02-30",
    "bad-period": "a period that is malformed or not of the ruleset's cadence",
    "bad-window": "a `period` header whose end comes before its start",
    "duplicate-header": "a header (`currency`, `period`, `locale`, `roll up`) given twice",
    "duplicate-clause": "a rule clause (`by`, `owner`, `cooldown`, ...) given twice",
    "bad-interpolation": "a lone `{` or `}` in a recommendation's text, or `{...}` holding no "
    "expression, a malformed one or a `#`",
    "goal-needs-comparison": "a goal whose expression is not `VALUE >= TARGET` (or >, <=, <)",
    "missing-ruleset": 'a ruleset file that does not start with `ruleset "Name"`',
    "test-without-use": "a test file with no `use` naming the ruleset under test",
    "test-outside-test-file": "a `test` block in a file not named *_test.plan",
    "bad-currency": "a `currency` header that is not a three-letter code or a currency's sign "
    "or name (`₫`, `đồng`, `¥`, `人民币`, ...)",
    "unknown-locale": "a `locale` header other than `vi`, `zh` or `en` (with a suggestion)",
    "roll-up-without-period": "a `roll up` header in a ruleset with no `period` header",
    "locale-number": "a number written with a decimal comma and a unit (`3,7 tỷ`, `21,95%`): in "
    "a ruleset a comma separates arguments, so decimals take a point",
    "currency-without-header": "a currency after a number in a ruleset with no `currency` header",
    "currency-mismatch": "a currency other than the ruleset's",
    "use-missing": "`use` of a file that does not exist or cannot be read",
    "use-cycle": "files that `use` each other in a cycle",
    "use-not-ruleset": "`use` of a file not named .plan that is not a ruleset (its text is not "
    "shown)",
    "path-outside-root": "`use` or `snapshots` of a file outside the folder of the file checked "
    "(and of the folders `--allow-path` adds)",
    "use-too-deep": "a chain of `use`s more than 32 files deep (a file using one using ...)",
    "use-conflict": "a name declared in two files joined by `use`",
    "use-currency": "a used file in another currency",
    "duplicate-name": "a metric, table or let declared twice",
    "duplicate-rule": "two rules with one name",
    "duplicate-key": "a table key given twice",
    "duplicate-line": "a budget line given twice",
    "unknown-name": "a name that is not a metric, table or let (with a suggestion)",
    "unknown-function": "a call of a function the language does not have",
    "bad-arguments": "a function called with the wrong number or kind of arguments",
    "let-cycle": "a let defined through itself",
    "not-keyed": "a key read from a value that has no keys",
    "type-mismatch": "a condition where a number is needed, or the other way round",
    "unit-mismatch": "money added to or compared with a non-money value",
    "money-product": "money multiplied by money",
    "keyed-value": "a keyed value where a single value is needed (no `per`, no aggregate)",
    "mixed-dimensions": "values keyed by two different dimensions combined",
    "unknown-dimension": "`per DIM` or `group DIM into ...` where no metric is keyed by DIM",
    "stock-total": "`total` or `rolling_sum` of a stock",
    "bad-percent": "a tolerance or share that is not a percent from 0% to 100%",
    "phased-weights": "`phased` weights that do not sum to 100% or do not match the periods",
    "budget-over-total": "budget lines that add up to more than the total",
    "share-out-of-range": "a budget line planned outside its own share range",
    "share-range-inverted": "a share range whose minimum is above its maximum",
    "budget-metric": "a budget `for` a metric that is not keyed money",
    "bad-count": "a number of periods that is not a whole number from 1 (0 for cooldown) to 10^6",
    "hold-exceeds-window": "`for N of M periods` with N greater than M",
    "key-outside-per": "`key` in an action of a trigger without `per`",
    "bad-amount": "`scale` by an amount that is not a percent, or a budget's total or line "
    "that is not money (a line may be a percent of the total)",
    "unknown-budget": "an action or expectation naming a budget that does not exist",
    "unknown-line": "an action or expectation naming a line no budget has",
    "ambiguous-line": "an action whose lines are in several budgets, without `in`",
    "unknown-rule": 'an expectation or a `status("...")` naming a rule that does not exist',
    "bad-expectation": "an expectation its rule can never meet (a status or key it never has)",
    "duplicate-test": "two tests with one name in a file",
    "duplicate-period": "two snapshots of one period in a test",
    "snapshot-shape": "a snapshot value of the wrong shape (keys for a scalar, or none for keyed)",
    "test-without-snapshots": "a test with no `snapshot` block and no `snapshots` file",
    "at-without-snapshot": "a test's `at` a period none of its snapshots is of",
    "snapshots-missing": "a test's `snapshots` file that does not exist or is not a file",
    "bad-baseline": "a goal's `from` that is a date or period, or that reads a metric",
    "status-outside-trigger": '`status("RULE")` outside a trigger\'s condition (a goal, a '
    "threshold, a let)",
    "bad-status": "`status(...)` not compared with pass, warn, fail or unknown, or without a "
    "rule's name in quotes",
    "trigger-cycle": "a trigger that reads its own status, directly or through other triggers",
    "bad-percentile": "`percentile(x, P)` with P not a percent from 0% to 100%",
    "rank-outside-per": "`rank` or `share` in a rule without `per`",
    "window-not-coarser": "`total(x, quarter)` or `total(x, year)` not longer than the cadence",
    "misplaced-date": "a date in an expression other than `since(x, DATE)`",
    "bad-table-dimensions": "a table keyed by two dimensions, or by a dimension and not `period`",
    "bad-table-entry": "a table row not written as the table's keys ask (`PERIOD VALUE` in a "
    "table by period, `KEY { PERIOD VALUE ... }` by a dimension and period)",
    "bad-dimensions": "a value keyed by one dimension twice (`by rep, rep`)",
    "dimension-not-in-value": "`sum(x, DIM)` where x is not keyed by DIM and no group of its "
    "dimension makes DIM",
    "bad-group": "a group making a dimension that metrics are keyed by already",
    "table-period-cadence": "a table's period not of the plan's cadence",
    "table-period-outside": "a table's period outside the plan's window",
    "no-rules": "warning: a ruleset with no goal, threshold, budget or trigger",
    "no-levels": "warning: a threshold with no warn or fail level",
    "unreachable-level": "warning: a threshold level that can never be reached",
    "deadline-outside-window": "warning: a goal's deadline outside the plan window",
    "unpaced-goal": "warning: a `>`/`>=` goal with a deadline that cannot be paced (no "
    "`total(...)`, no `from`), so it warns until it holds",
    "unused": "warning: a metric, let or table that nothing in a ruleset reads",
}


@attrs.frozen
class Diagnostic:
    code: str
    severity: Severity
    span: Span
    message: str
    hint: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def error(code: str, span: Span, message: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic(code, "error", span, message, hint)


def warning(code: str, span: Span, message: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic(code, "warning", span, message, hint)


def sort_key(diagnostic: Diagnostic) -> tuple[str, int, int, str]:
    span = diagnostic.span
    return (span.file, span.line, span.column, diagnostic.code)


def sorted_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(set(diagnostics), key=sort_key)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


def _as_written(text: str) -> str:
    return text


def format_diagnostic(
    diagnostic: Diagnostic, source: Source | None = None, say: Say = _as_written
) -> str:
    """`FILE:LINE:COLUMN: CODE: message`, then the source line and a caret under the span.

    `say` writes the message, the hint and the fixed words in the reader's language (the
    caller's: the checker runs before anyone knows who reads it); as written, they are
    English. The code stays English: it is what people search for."""
    span = diagnostic.span
    kind = say(Message("warning")) + " " if diagnostic.severity == "warning" else ""
    message = say(diagnostic.message)
    lines = [f"{span.file}:{span.line}:{span.column}: {kind}{diagnostic.code}: {message}"]
    if source is not None:
        text = source.line_text(span.line)
        if text:
            text, at = excerpt_window(text, span)
            lines.append(f"    {text}")
            lines.append("    " + _caret_line(text, at))
    if diagnostic.hint:
        lines.append("    " + say(Message("hint: {hint}", hint=diagnostic.hint)))
    # Names, texts and the source line are the input's: their control characters are shown
    # as escapes (the caret line counts each escape's width).
    return printable("\n".join(lines))


# How much of a long source line an excerpt shows, in code points, around the caret.
EXCERPT_WIDTH = 120
ELLIPSIS = "\u2026"


def excerpt_window(text: str, span: Span) -> tuple[str, Span]:
    """At most EXCERPT_WIDTH code points of a source line, around the start of `span`, each
    cut end marked with an ellipsis; and the span moved to point into what is kept."""
    if len(text) <= EXCERPT_WIDTH:
        return text, span
    start = min(max(span.column - 1, 0), len(text))
    low = max(0, min(start - EXCERPT_WIDTH // 3, len(text) - EXCERPT_WIDTH))
    high = low + EXCERPT_WIDTH
    before = ELLIPSIS if low else ""
    after = ELLIPSIS if high < len(text) else ""
    shift = low - len(before)
    end_column = min(span.end_column, high + 1) if span.end_line == span.line else high + 1
    moved = attrs.evolve(span, column=span.column - shift, end_column=end_column - shift)
    return before + text[low:high] + after, moved


def _caret_line(text: str, span: Span) -> str:
    start = min(span.column - 1, len(text))
    end = span.end_column - 1 if span.end_line == span.line else len(text)
    width = max(1, min(end, len(text)) - start)
    # Tabs are kept, and wide (CJK) characters take two cells, so that the caret lines up
    # under the source line in a terminal.
    padding = "".join("\t" if ch == "\t" else " " * _cells(ch) for ch in text[:start])
    underlined = sum(_cells(ch) for ch in text[start : start + width]) or 1
    return padding + "^" + "~" * (underlined - 1)


def _cells(ch: str) -> int:
    if is_hidden(ch):
        return shown_width(ch)
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


class PlanError(Exception):
    """Base of every error planrules raises on bad input."""


class InputError(PlanError):
    """A file or argument that cannot be read at all: missing, not UTF-8, empty, binary."""

    def __init__(self, path: str, reason: str) -> None:
        # A message, so that the CLI can say it in its reader's language.
        super().__init__(Message("{path}: {reason}", path=path, reason=reason))
        self.path = path
        self.reason = reason


class RulesetError(PlanError):
    """A ruleset with errors; carries every diagnostic and the sources they point into."""

    def __init__(self, diagnostics: Sequence[Diagnostic], sources: dict[str, Source]) -> None:
        self.diagnostics = tuple(diagnostics)
        self.sources = dict(sources)
        errors = [d for d in self.diagnostics if d.is_error]
        first = errors[0] if errors else self.diagnostics[0]
        super().__init__(format_diagnostic(first))

    def render(self) -> str:
        return "\n".join(
            format_diagnostic(d, self.sources.get(d.span.file)) for d in self.diagnostics
        )
