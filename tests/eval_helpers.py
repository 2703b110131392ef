"""Helpers for the evaluator's worked tests: a common header, snapshots, exact comparisons."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from planrules.eval.evaluate import Ruleset, loads
from planrules.report.model import Report, Result

# A plan window of July to September 2026, monthly, with a metric of every shape.
HEADER = """\
ruleset "T"
currency VND
period 2026-07-01 to 2026-09-30 monthly
metric revenue: money
metric leads: count
metric orders: count
metric spend: money by channel
metric sold: count by rep
metric rate: ratio by rep
metric share: ratio
metric score: number
metric customers: count stock
metric backlog: count stock
"""


def ruleset(body: str, header: str = HEADER) -> Ruleset:
    return loads(header + body, filename="t.plan")


def snap(period: str, **metrics: Any) -> dict[str, Any]:
    return {"period": period, "metrics": metrics}


def months(*values: dict[str, Any], first: int = 7) -> list[dict[str, Any]]:
    """Snapshots for consecutive months of 2026 from `first`, one dict of metrics each."""
    return [snap(f"2026-{first + i:02d}", **metrics) for i, metrics in enumerate(values)]


def evaluate(
    body: str,
    snapshots: Any,
    at: str | None = None,
    strict: bool = False,
    header: str = HEADER,
) -> Report:
    return ruleset(body, header).evaluate(snapshots, at=at, strict=strict)


def result(report: Report, rule: str, key: str | None = None) -> Result:
    found = report.result(rule, key)
    assert found is not None, f"no result for {rule!r} key {key!r}"
    return found


def exact(actual: Any, expected: int | Decimal | Fraction | str) -> bool:
    """`actual` is an exact number (never a float) equal to `expected`."""
    if actual is None or isinstance(actual, float | bool):
        return False
    if not isinstance(actual, int | Decimal | Fraction):
        return False
    want = Fraction(Decimal(expected)) if isinstance(expected, str) else Fraction(expected)
    return Fraction(actual) == want
