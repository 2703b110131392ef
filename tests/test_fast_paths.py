"""The evaluator's fast paths decide exactly what its general paths decide.

- A run of thresholds with fixed levels, judged in one loop, gives each rule the result it
  gets when judged alone.
- One plain snapshot, read without the bookkeeping error messages need, reads as the careful
  path reads it.
- Results kept as rows and made when read are the results the rules describe.
"""

from __future__ import annotations

import concurrent.futures
import decimal
import gc
import pickle
import types
import weakref
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from planrules.eval.evaluate import Ruleset, loads
from planrules.eval.triggers import TriggerRule
from planrules.report.model import Report

from .eval_strategies import checked_rulesets, histories

METRICS = [f"m{i}" for i in range(6)]
HEADER = 'ruleset "Runs"\ncurrency VND\n' + "".join(f"metric {m}: count\n" for m in METRICS)
SUBJECTS = [*METRICS, "m0 + m1", "m2 / 3", "-m3", "max(m4, 7)", "m5 * 0.5"]
LEVELS = [("warn", "above"), ("warn", "below"), ("fail", "above"), ("fail", "below")]
bounds = st.integers(-50, 150).map(str) | st.decimals(-50, 150, places=2).map(str)


@st.composite
def threshold_runs(draw: st.DrawFn) -> str:
    """Thresholds with fixed levels, now and then broken by one whose bound is computed."""
    lines = [HEADER]
    for index in range(draw(st.integers(1, 25))):
        subject = draw(st.sampled_from(SUBJECTS))
        combos = draw(st.lists(st.sampled_from(LEVELS), min_size=1, max_size=4, unique=True))
        lines.append(f'threshold "T{index}": {subject}')
        for status, direction in combos:
            bound = draw(bounds) if draw(st.integers(0, 9)) else "m1 * 2"
            lines.append(f"    {status} {direction} {bound}")
    return "\n".join(lines) + "\n"


values = st.one_of(
    st.integers(-100, 200),
    st.decimals(-100, 200, places=3),
    st.none(),
    st.just(True),  # not a number: the whole snapshot is refused
)


@st.composite
def plain_snapshots(draw: st.DrawFn) -> dict[str, Any]:
    metrics: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from([*METRICS, "undeclared"]), unique=True)):
        metrics[name] = draw(values)
    return {"period": draw(st.sampled_from(["2026-07", "2026-Q3"])), "metrics": metrics}


def judged_alone(ruleset: Ruleset) -> Ruleset:
    """The same ruleset with every rule judged on its own, as the general path does."""
    ruleset.judges = [
        (None, rule) if isinstance(rule, TriggerRule) else (rule.rows, None)
        for rule in ruleset.rules
    ]
    return ruleset


def outcome(ruleset: Ruleset, snapshots: object) -> Any:
    try:
        report = ruleset.evaluate(snapshots)
    except Exception as problem:  # the same problem is expected of both paths
        return type(problem).__name__, str(problem)
    return summary(report)


def summary(report: Report) -> Any:
    return (
        report.status,
        report.counts,
        [
            (r.rule, r.kind, r.key, r.status, r.value, r.level, r.reason, r.target)
            for r in report.results
        ],
    )


@settings(max_examples=150, deadline=None)
@given(threshold_runs(), plain_snapshots())
def test_a_run_of_thresholds_judges_each_as_alone(text: str, snapshot: dict[str, Any]) -> None:
    fast = loads(text, "runs.plan")
    alone = judged_alone(loads(text, "runs.plan"))
    assert outcome(fast, snapshot) == outcome(alone, snapshot)


@settings(max_examples=150, deadline=None)
@given(threshold_runs(), plain_snapshots())
def test_a_plain_snapshot_reads_as_the_careful_path(text: str, snapshot: dict[str, Any]) -> None:
    # A mapping that is not a dict, in a list, takes the careful path at every step.
    careful = [
        {"period": snapshot["period"], "metrics": types.MappingProxyType(snapshot["metrics"])}
    ]
    ruleset = loads(text, "runs.plan")
    assert outcome(ruleset, snapshot) == outcome(ruleset, careful)


@settings(max_examples=100, deadline=None)
@given(checked_rulesets(), histories())
def test_any_ruleset_judges_as_with_every_rule_alone(
    text: str, history: list[dict[str, Any]]
) -> None:
    fast = loads(text, "g.plan")
    alone = judged_alone(loads(text, "g.plan"))
    assert outcome(fast, history) == outcome(alone, history)


def test_results_are_made_once_and_read_alike() -> None:
    ruleset = loads(HEADER + 'threshold "T": m0 warn above 5 fail above 10\n', "t.plan")
    report = ruleset.evaluate({"period": "2026-07", "metrics": {"m0": 7}})
    assert report.counts["warn"] == 1 and report.status == "warn"
    first = report.results[0]
    assert report.results[0] is first
    assert (first.rule, first.status, first.value, first.level) == (
        "T",
        "warn",
        7,
        "warn above 5",
    )
    assert first.to_pass is not None and (first.to_pass[0].change, first.to_pass[0].to) == (-2, 5)
    assert list(report.results) == [first] and len(report.results) == 1


def test_evaluation_leaves_the_callers_decimal_context_and_collector_as_they_were() -> None:
    ruleset = loads(HEADER + 'threshold "T": m0 / 3 warn above 5\n', "t.plan")
    gc.disable()
    try:
        with decimal.localcontext() as mine:
            mine.prec = 5
            report = ruleset.evaluate({"period": "2026-07", "metrics": {"m0": 100}})
            assert decimal.getcontext() is mine and mine.prec == 5
            assert not gc.isenabled()
    finally:
        gc.enable()
    assert report.results[0].value == Fraction(100, 3)  # exact, whatever the caller's context
    ruleset.evaluate({"period": "2026-07", "metrics": {"m0": 100}})
    assert gc.isenabled()


def test_the_collector_runs_while_the_library_evaluates_and_reads() -> None:
    # A service evaluating in several threads needs the collector: the library never pauses
    # it (issue 12, item 6). Thousands of keys make enough objects for it to run.
    ruleset = loads(
        HEADER + 'metric s: count by store\nthreshold "T" per store: s / 3 warn above 5\n', "t.plan"
    )
    history = [
        {"period": f"2026-{month:02d}", "metrics": {"s": {f"k{i}": i for i in range(5000)}}}
        for month in range(1, 13)
    ]
    collections: list[str] = []

    def note(phase: str, _info: dict[str, int]) -> None:
        collections.append(phase)

    gc.callbacks.append(note)
    try:
        report = ruleset.evaluate(history)
        assert gc.isenabled()
        during_evaluation = len(collections)
        report.to_dict()
    finally:
        gc.callbacks.remove(note)
    assert during_evaluation > 0
    assert len(collections) > during_evaluation


def test_evaluations_in_threads_agree() -> None:
    text = HEADER + "".join(
        f'threshold "T{i}": m{i % 6} * 1.5 / 7 warn above {i} fail above {i * 3}\n'
        for i in range(20)
    )
    ruleset = loads(text, "t.plan")
    snapshots = [
        {
            "period": f"2026-{month:02d}",
            "metrics": {m: month * 7 + i for i, m in enumerate(METRICS)},
        }
        for month in range(1, 13)
    ]
    expected = [summary(ruleset.evaluate(snapshot)) for snapshot in snapshots]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(5):
            got = list(pool.map(lambda s: summary(ruleset.evaluate(s)), snapshots))
            assert got == expected


def test_the_layout_of_a_history_is_worked_out_once_per_set_of_periods() -> None:
    text = (
        HEADER.replace("currency VND\n", "currency VND\nperiod 2026-01-01 to 2026-12-31 monthly\n")
        + 'goal "G": m0 >= 120 by 2026-12-31 from 0\n'
    )
    ruleset = loads(text, "t.plan")
    july = {"period": "2026-07", "metrics": {"m0": 70}}
    august = {"period": "2026-08", "metrics": {"m0": 80}}
    reports = [ruleset.evaluate(july), ruleset.evaluate(july)]
    assert len(ruleset.layouts) == 1
    reports.append(ruleset.evaluate(august))
    assert len(ruleset.layouts) == 2
    # July is the 7th month of the window whichever evaluation worked its place out.
    assert [r.results[0].elapsed for r in reports] == [Fraction(7, 12)] * 2 + [Fraction(8, 12)]
    for report, snapshot in zip(reports, (july, july, august), strict=True):
        assert summary(report) == summary(loads(text, "t.plan").evaluate(snapshot))


def test_a_threshold_without_levels_passes_in_a_run() -> None:
    text = HEADER + 'threshold "No levels": m0\nthreshold "High": m1\n    fail above 10\n'
    report = loads(text, "t.plan").evaluate({"period": "2026-07", "metrics": {"m0": 100, "m1": 1}})
    assert [(r.rule, r.status, r.value, r.level) for r in report.results] == [
        ("No levels", "pass", 100, None),
        ("High", "pass", 1, None),
    ]


def test_a_negative_bound_is_read_exactly_whatever_the_context_at_load() -> None:
    text = HEADER + 'threshold "T": m0\n    fail below -1.2345\n'
    with decimal.localcontext() as low:
        low.prec = 3
        ruleset = loads(text, "t.plan")
    report = ruleset.evaluate({"period": "2026-07", "metrics": {"m0": Decimal("-1.234")}})
    assert report.results[0].status == "pass"
    report = ruleset.evaluate({"period": "2026-07", "metrics": {"m0": Decimal("-1.2346")}})
    assert report.results[0].status == "fail"


def test_a_report_built_from_a_tuple_of_results_counts_and_pickles() -> None:
    ruleset = loads(HEADER + 'threshold "T": m0 warn above 5\n', "t.plan")
    made = ruleset.evaluate({"period": "2026-07", "metrics": {"m0": 1}})
    by_hand = attrs.evolve(made, results=tuple(made.results))
    assert by_hand.counts == made.counts and by_hand.counts["pass"] == 1
    copied = pickle.loads(pickle.dumps(made))
    assert copied.to_dict() == made.to_dict()
    assert hash(made) == hash(made)


def test_a_report_whose_results_are_read_lets_the_evaluation_go() -> None:
    ruleset = loads(HEADER + 'threshold "T": m0 warn above 5\n', "t.plan")
    report = ruleset.evaluate({"period": "2026-07", "metrics": {"m0": 1}})
    assert report.results[0].status == "pass"
    gone = weakref.ref(ruleset)
    del ruleset
    gc.collect()
    assert gone() is None
