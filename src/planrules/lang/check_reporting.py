"""What the checker's passes share: one list that every diagnostic goes to, and the way their
messages point at a clause and write numbers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from fractions import Fraction

import attrs

from planrules.lang import syntax as s
from planrules.lang.diagnostics import Diagnostic, error, warning
from planrules.lang.numbers import UNBOUNDED
from planrules.lang.source import Span

Report = Callable[[Diagnostic], None]


@attrs.define
class Reporting:
    """A pass reports into the list the whole check collects, so that no problem stops it."""

    report: Report

    def problem(self, code: str, span: Span, message: str, hint: str | None = None) -> None:
        self.report(error(code, span, message, hint))

    def caution(self, code: str, span: Span, message: str, hint: str | None = None) -> None:
        self.report(warning(code, span, message, hint))


def repeated(keys: Iterable[s.Key]) -> Iterator[s.Key]:
    """Each key given again after its first (in a table, a group, a budget)."""
    seen: set[str] = set()
    for key in keys:
        if key.text in seen:
            yield key
        seen.add(key.text)


def where(rule: s.Rule, clause: str) -> Span:
    """Where a rule's name or clause was written; the whole rule where that is not known."""
    return next((span for name, span in rule.clause_spans if name == clause), rule.span)


def plain(value: Decimal) -> str:
    return f"{value.normalize(UNBOUNDED):,f}"


def percent(value: Fraction) -> str:
    """A share as a percent to two decimals (halves to even), worked out exactly."""
    hundredths = round(value * 10_000)
    return f"{Decimal(hundredths).scaleb(-2, UNBOUNDED).normalize(UNBOUNDED):f}%"
