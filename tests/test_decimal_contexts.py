"""Exact whatever the caller's decimal context (issue 11, item 1).

The library never reads numbers through the caller's decimal context: `check`, `loads`,
`evaluate` and the reports built from them (including messages, built lazily) give the same
results under any context a caller may have set (precision 1 to 50, any rounding, any traps),
and leave that context as it was, flags included.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planrules.eval.evaluate import loads
from planrules.eval.values import describe
from planrules.lang.check import check_source
from planrules.lang.diagnostics import RulesetError
from planrules.lang.source import Source
from planrules.report.render import render_text
from tests.test_eval_properties import evaluations

T = TypeVar("T")

ROUNDINGS = [
    decimal.ROUND_CEILING,
    decimal.ROUND_DOWN,
    decimal.ROUND_FLOOR,
    decimal.ROUND_HALF_DOWN,
    decimal.ROUND_HALF_EVEN,
    decimal.ROUND_HALF_UP,
    decimal.ROUND_UP,
    decimal.ROUND_05UP,
]
SIGNALS = [
    decimal.Clamped,
    decimal.DivisionByZero,
    decimal.Inexact,
    decimal.InvalidOperation,
    decimal.Overflow,
    decimal.Rounded,
    decimal.Subnormal,
    decimal.Underflow,
    decimal.FloatOperation,
]


@st.composite
def contexts(draw: st.DrawFn) -> decimal.Context:
    emax = draw(st.integers(0, 99))
    return decimal.Context(
        prec=draw(st.integers(1, 50)),
        rounding=draw(st.sampled_from(ROUNDINGS)),
        Emax=emax,
        Emin=-draw(st.integers(0, 99)),
        capitals=draw(st.sampled_from([0, 1])),
        clamp=draw(st.sampled_from([0, 1])),
        traps=draw(st.lists(st.sampled_from(SIGNALS), unique=True)),
        flags=draw(st.lists(st.sampled_from(SIGNALS), unique=True)),
    )


def _state(context: decimal.Context) -> tuple[Any, ...]:
    return (
        context.prec,
        context.rounding,
        context.Emax,
        context.Emin,
        context.capitals,
        context.clamp,
        dict(context.traps),
        dict(context.flags),
    )


@contextmanager
def caller_context(context: decimal.Context) -> Iterator[None]:
    """Runs the body with `context` as the thread's own (the very object, as a caller who
    called `decimal.setcontext` would), then checks it is the same object, unchanged."""
    outer = decimal.getcontext()
    before = _state(context)
    decimal.setcontext(context)
    try:
        yield
        assert decimal.getcontext() is context
        assert _state(context) == before
    finally:
        decimal.setcontext(outer)


def under(context: decimal.Context, work: Callable[[], T]) -> T:
    with caller_context(context):
        return work()


def _diagnostics(text: str) -> list[tuple[Any, ...]]:
    checked = check_source(Source.from_text("g.plan", text))
    return [(d.code, d.severity, d.span, d.message, d.hint) for d in checked.diagnostics]


def _reports(text: str, history: list[dict[str, Any]]) -> tuple[Any, ...]:
    report = loads(text, filename="g.plan").evaluate(history)
    return report.to_dict(), render_text(report)


def test_reports_built_later_ignore_the_callers_context() -> None:
    """A report's messages are built when asked for, after `evaluate` has returned."""
    text = (
        'ruleset "R"\nmetric orders: count\nmetric leads: count\n'
        'goal "Conversion": orders / leads >= 12.5%\n'
    )
    history = [{"period": "2026-01", "metrics": {"orders": 123456789, "leads": 1000000000}}]
    report = loads(text).evaluate(history)
    expected = (report.to_dict(), render_text(report))
    assert "12.3%" in expected[1]
    for context in _odd_contexts():
        report = loads(text).evaluate(history)
        seen = under(context, lambda r=report: (r.to_dict(), render_text(r)))  # type: ignore[misc]
        assert seen == expected


def _odd_contexts() -> list[decimal.Context]:
    return [
        decimal.Context(prec=1, rounding=decimal.ROUND_FLOOR),
        decimal.Context(prec=3, rounding=decimal.ROUND_UP),
        decimal.Context(traps=SIGNALS),
        decimal.Context(prec=2, Emax=1, Emin=-1, traps=SIGNALS),
    ]


@pytest.mark.parametrize("context", _odd_contexts())
def test_describe_is_exact_in_any_context(context: decimal.Context) -> None:
    with caller_context(context):
        assert describe(decimal.Decimal("0.123456789"), "ratio") == "12.3%"
        assert describe(decimal.Decimal("123456789.5"), "money", "VND") == "123,456,790 VND"


# ---- the reproducers of issue 11, item 1 ----------------------------------------------------

HEADER = 'ruleset "R"\ncurrency USD\nperiod 2026-01-01 to 2026-06-30 monthly\n'


def _codes(text: str, context: decimal.Context | None = None) -> list[str]:
    work = lambda: [d.code for d in check_source(Source.from_text("r.plan", text)).diagnostics]  # noqa: E731
    return under(context, work) if context is not None else work()


@pytest.mark.parametrize("context", [decimal.Context(), *_odd_contexts()])
def test_lines_over_the_total_by_a_hair(context: decimal.Context) -> None:
    text = HEADER + 'budget "B" total 100 {\n a 50\n b 50.000000000000000000000000001\n}\n'
    assert _codes(text, context) == ["budget-over-total"]


@pytest.mark.parametrize("context", [decimal.Context(), *_odd_contexts()])
def test_a_third_is_above_a_share_of_33_point_33_recurring(context: decimal.Context) -> None:
    text = HEADER + 'budget "B" total 3 {\n a 1 share <= 33.33333333333333333333333333333%\n}\n'
    assert _codes(text, context) == ["share-out-of-range"]
    text = HEADER + 'budget "B" total 3 {\n a 1 share <= 33.33333333333333333333333333334%\n}\n'
    assert _codes(text, context) == []


def test_a_three_digit_context_does_not_make_loads_accept_a_budget() -> None:
    text = HEADER + 'budget "B" total 100 {\n a 50.01\n b 50.01\n}\n'
    with pytest.raises(RulesetError, match="budget-over-total"):
        under(decimal.Context(prec=3), lambda: loads(text))


def test_a_context_trapping_inexact_does_not_make_loads_raise() -> None:
    context = decimal.Context(traps=[decimal.Inexact, decimal.Rounded])
    texts = [
        HEADER + 'budget "B" total 3 {\n a 1 share <= 34%\n b 1.5\n}\n',
        HEADER + 'metric x: money\ngoal "G": total(x) >= 5 by 2026-03-31 '
        "phased 33.33333333333333333333333333333% 33.33333333333333333333333333333% "
        "33.33333333333333333333333333334%\n",
    ]
    for text in texts:
        under(context, lambda text=text: loads(text))  # type: ignore[misc]


def test_a_share_of_a_long_line_and_a_huge_weight_are_diagnostics() -> None:
    text = HEADER + 'budget "B" total 3 {\n a 123456789012345678901234.5678 share <= 50%\n}\n'
    assert _codes(text) == ["budget-over-total", "share-out-of-range"]
    weights = "1000000000000000000000000000000% 0% 0%"
    text = HEADER + f'metric x: money\ngoal "G": total(x) >= 5 by 2026-03-31 phased {weights}\n'
    assert sorted(_codes(text)) == ["number-out-of-range", "phased-weights"]


# ---- literals past the limits of the contract -----------------------------------------------


@pytest.mark.parametrize(
    "literal",
    [
        "5" + "1" * 200,
        "0." + "1" * 250 + "%",
        "1" * 35,
        "1." + "0" * 33 + "1",
        "1000000000000000000000001",
        "1000000000000000000000000.1",
        "1000000000000000001 million",
        "0." + "0" * 34 + "1",
        "0." + "0" * 33 + "1%",
    ],
)
def test_literals_past_the_limits_are_located_errors(literal: str) -> None:
    text = HEADER + f'metric x: money\ngoal "G": x >= {literal}\n'
    checked = check_source(Source.from_text("r.plan", text))
    assert [(d.code, d.span.line, d.span.column) for d in checked.diagnostics] == [
        ("number-out-of-range", 5, 16)
    ]
    with pytest.raises(RulesetError, match="number-out-of-range"):
        loads(text)


@pytest.mark.parametrize(
    "literal",
    [
        "1" * 24 + "." + "1" * 10,
        "1." + "0" * 32 + "1",
        "1000000000000000000000000",
        "1000000000000000000 M",
        "0." + "0" * 33 + "1",
        "1.000000000000000000000000000000000000000",
    ],
)
def test_literals_at_the_limits_are_accepted(literal: str) -> None:
    text = HEADER + f'metric x: money\ngoal "G": x >= {literal}\n'
    assert "number-out-of-range" not in _codes(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(evaluations(), contexts())
def test_check_and_eval_are_the_same_under_any_callers_context(
    case: tuple[str, list[dict[str, Any]], str | None, bool], context: decimal.Context
) -> None:
    text, history, _at, _strict = case
    expected = (_diagnostics(text), _reports(text, history))
    assert under(context, lambda: (_diagnostics(text), _reports(text, history))) == expected
