"""Tables by period, against the header: each period of the plan's cadence and in its window."""

from __future__ import annotations

from planrules.lang import syntax as s
from planrules.lang.check_reporting import Report
from planrules.lang.diagnostics import error
from planrules.lang.messages import Message
from planrules.lang.periods import (
    PeriodError,
    Window,
    cadence_of_label,
    in_window,
    parse_period,
)


def check_period_tables(tables: list[s.Table], window: Window | None, report: Report) -> None:
    """A table by period names periods of the window, in its cadence: a row of another cadence
    or outside the window would never be read. Without a `period` header its periods must at
    least be on the calendar."""
    for table in tables:
        for row in table.periods:
            problem = _period_problem(row, window)
            if problem is not None:
                code, message = problem
                report(error(code, row.span, message))


def _period_problem(row: s.PeriodEntry, window: Window | None) -> tuple[str, str] | None:
    try:
        period = parse_period(row.period)
    except PeriodError as problem:
        return "bad-period", str(problem)
    if window is None:
        return None
    if cadence_of_label(row.period) != window.cadence:
        return "table-period-cadence", Message(
            "{period} is not a {cadence} period, as the plan's are",
            period=row.period,
            cadence=window.cadence,
        )
    if not in_window(period, window):
        end = window.end if window.end is not None else "…"
        return "table-period-outside", Message(
            "{period} is outside the plan's window ({start} to {end}): it would never be read",
            period=row.period,
            start=window.start.isoformat(),
            end=str(end),
        )
    return None
