"""Properties of explanations over generated checked rulesets and histories.

An explanation is read from a traced evaluation. For every result of the report:
- the traced evaluation's report is the report (tracing changes nothing it decides);
- every figure the explanation shows for the result is the report's figure, written as the
  report writes it: a goal's value, target, progress, expected, forecast and required per
  period; a threshold's value and the level reached; a budget's spending and each
  adjustment's applied and clipped amounts; a trigger's held periods, its state and the
  period it last fired in.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hypothesis import given, settings

from planrules.eval.evaluate import Ruleset, loads
from planrules.eval.values import describe
from planrules.lang.ratio_forms import RatioForm
from planrules.report.explain import Explanation, Step, explain
from planrules.report.model import Report, Result
from tests.test_eval_properties import evaluations


def flattened(steps: tuple[Step, ...]) -> Iterator[Step]:
    pending = list(reversed(steps))
    while pending:
        step = pending.pop()
        yield step
        pending.extend(reversed(step.children))


def section(explanation: Explanation, title: str) -> tuple[Step, ...]:
    found = [step for step in explanation.steps if step.text == title]
    assert len(found) == 1, f"{explanation.rule}: no single section {title!r}"
    return found[0].children


def valued(explanation: Explanation, prefix: str) -> list[str]:
    return [s.value for s in flattened(explanation.steps) if s.text.startswith(prefix)]


class Figures:
    def __init__(self, ruleset: Ruleset, report: Report) -> None:
        self.ruleset, self.report = ruleset, report

    def write(self, value: Any, unit: str, form: RatioForm | None = None) -> str:
        return describe(value, unit, self.ruleset.currency, form)

    def check(self, result: Result, explanation: Explanation) -> None:
        assert (explanation.rule, explanation.key) == (result.rule, result.key)
        assert (explanation.status, explanation.reason) == (result.status, result.reason)
        getattr(self, result.kind)(result, explanation)

    def goal(self, result: Result, explanation: Explanation) -> None:
        (value_step,) = section(explanation, "value")
        if result.value is None or result.target is None:
            return
        value = self.write(result.value, result.unit, result.form)
        target = self.write(result.target, result.unit, result.form)
        if result.status != "unknown":
            assert value_step.value == value
        compared = section(explanation, "compared with")
        assert compared[0].value == target
        assert compared[2].text.startswith(f"{value} ") and compared[2].text.endswith(target)
        figures = {
            # Progress is a share of the way, a percent; the others are written as the value.
            "progress =": (result.progress, "ratio", None),
            "expected =": (result.expected, result.unit, result.form),
            "forecast =": (result.forecast, result.unit, result.form),
            "required per period =": (result.required_per_period, result.unit, result.form),
        }
        for prefix, (figure, unit, form) in figures.items():
            shown = valued(explanation, prefix)
            assert shown == ([] if figure is None else [self.write(figure, unit, form)]), prefix

    def threshold(self, result: Result, explanation: Explanation) -> None:
        (value_step,) = section(explanation, "value")
        if result.value is not None:
            assert value_step.value == self.write(result.value, result.unit, result.form)
        reached = {s.text for s in section(explanation, "compared with") if s.value == "reached"}
        if result.status == "pass":
            assert not reached
        if result.level is not None:
            assert result.level in reached

    def budget(self, result: Result, explanation: Explanation) -> None:
        (spent,) = section(explanation, "value")
        if result.value is not None:
            # Before the window, with a note saying so.
            shown = spent.value.removesuffix(" (the window has not started)")
            assert shown == self.write(result.value, "money")
        adjusted = [
            step
            for step in section(explanation, "adjustments")
            if step.value.startswith(("applied", "skipped"))
        ]
        expected = [
            adjustment
            for adjustment in self.report.adjustments
            if adjustment.budget == result.rule
            and (
                result.key is None
                or result.key in (adjustment.source, adjustment.destination, adjustment.line)
            )
        ]
        assert len(adjusted) == len(expected)
        for step, adjustment in zip(adjusted, expected, strict=True):
            clipped = {child.text: child.value for child in step.children}
            if step.value == "skipped":
                assert clipped["why"] == adjustment.clipped
                continue
            assert step.value == f"applied {self.write(adjustment.applied, 'money')}"
            assert clipped["clipped"] == (adjustment.clipped or "no: all of the request fits")

    def trigger(self, result: Result, explanation: Explanation) -> None:
        rows = section(explanation, "periods")
        held = tuple(row.text for row in rows if row.children[0].value == "held")
        assert held == result.held
        fired = [row.text for row in rows if row.value == "fired"]
        assert (fired[-1] if fired else None) == result.last_fired
        if result.status != "unknown" and rows:
            assert rows[-1].value == result.status


@given(evaluations())
@settings(max_examples=60, deadline=None)
def test_every_figure_an_explanation_shows_is_the_reports(
    case: tuple[str, list[dict[str, Any]], str | None, bool],
) -> None:
    text, history, at, _strict = case
    ruleset = loads(text)
    report = ruleset.evaluate(history, at=at)
    figures = Figures(ruleset, report)
    for result in report.results:
        traced, _ = ruleset.traced(history, result.rule, result.key, at)
        assert traced.to_dict() == report.to_dict()
        figures.check(result, explain(ruleset, history, result.rule, key=result.key, at=at))
