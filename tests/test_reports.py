"""Golden reports of the example rulesets, and their own tests run one pytest item each.

Every `rulesets/<name>.plan` is evaluated against `rulesets/<name>.json` at each period of the
history; the JSON report must equal `tests/golden/reports/<name>/<period>.json`, and the text
report of the last period `tests/golden/reports/<name>/report.txt`. The expected values were
checked against the hand-worked `rulesets/*_test.plan` files, which also run here.

To regenerate after an intended change, run

    PLANRULES_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_reports.py

and read the diff before keeping it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from planrules.eval.evaluate import Ruleset, load
from planrules.eval.testing import run_test
from planrules.lang import syntax as s
from planrules.lang.check import check_file
from planrules.lang.periods import period_label
from planrules.report.render import render_json, render_text
from tests.conftest import ROOT, RULESETS

GOLDEN = ROOT / "tests" / "golden" / "reports"
UPDATE = os.environ.get("PLANRULES_UPDATE_GOLDEN") == "1"
EXAMPLES = sorted(path.stem for path in RULESETS.glob("*.plan") if not path.stem.endswith("_test"))


def history_periods(name: str) -> list[str]:
    ruleset = load(str(RULESETS / f"{name}.plan"))
    history = ruleset.read([str(RULESETS / f"{name}.json")])
    return [period_label(snapshot.period) for snapshot in history.snapshots]


def compare(path: Path, actual: str) -> None:
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"no golden {path}; run with PLANRULES_UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8")


@pytest.fixture(scope="module", params=EXAMPLES)
def example(request: pytest.FixtureRequest) -> tuple[str, Ruleset]:
    name = request.param
    # Paths relative to the checkout, so the goldens do not depend on where it lies.
    os.chdir(ROOT)
    return name, load(f"rulesets/{name}.plan")


def test_every_example_has_a_history_and_tests() -> None:
    assert len(EXAMPLES) >= 4
    for name in EXAMPLES:
        assert (RULESETS / f"{name}.json").exists()
        assert (RULESETS / f"{name}_test.plan").exists()


def test_json_report_at_every_period(example: tuple[str, Ruleset]) -> None:
    name, ruleset = example
    history = ruleset.read([f"rulesets/{name}.json"])
    for snapshot in history.snapshots:
        label = period_label(snapshot.period)
        report = ruleset.evaluate(history, at=label)
        text = render_json(report)
        assert json.loads(text)["as_of"] == label
        compare(GOLDEN / name / f"{label}.json", text)


def test_text_report_at_the_last_period(example: tuple[str, Ruleset]) -> None:
    name, ruleset = example
    report = ruleset.evaluate(ruleset.read([f"rulesets/{name}.json"]))
    compare(GOLDEN / name / "report.txt", render_text(report))


def example_tests() -> list[tuple[str, int]]:
    cases = []
    for path in sorted(RULESETS.glob("*_test.plan")):
        checked = check_file(str(path))
        cases.extend((path.name, index) for index in range(len(checked.tests)))
    return cases


@pytest.mark.parametrize(("file", "index"), example_tests())
def test_example_test_blocks(file: str, index: int) -> None:
    checked = check_file(str(RULESETS / file))
    test = checked.tests[index]
    outcome = run_test(Ruleset(checked), test)
    assert outcome.error is None, outcome.error
    problems = [
        f"line {f.span.line}: expected {f.expected}, got {f.actual}" for f in outcome.failures
    ]
    assert not problems, f"{test.name}: " + "; ".join(problems)


def expected_statuses(file: str) -> dict[str, set[str]]:
    checked = check_file(str(RULESETS / file))
    found: dict[str, set[str]] = {}
    for test in checked.tests:
        for item in test.items:
            if isinstance(item, s.ExpectStatus):
                found.setdefault(item.rule, set()).add(item.status)
    return found


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_tests_put_every_rule_through_its_statuses(name: str) -> None:
    """Each goal, threshold and budget passes somewhere and reaches each of its other
    statuses somewhere; each trigger fires somewhere."""
    found = expected_statuses(f"{name}_test.plan")
    checked = check_file(str(RULESETS / f"{name}.plan"))
    gaps = []
    for rule in checked.rules:
        wanted = _statuses_a_rule_can_take(rule)
        missing = wanted - found.get(rule.name, set())
        if missing:
            gaps.append(f"{rule.name}: {sorted(missing)}")
    assert not gaps, gaps


def _statuses_a_rule_can_take(rule: s.Rule) -> set[str]:
    if isinstance(rule, s.Trigger):
        return {"fired", "quiet"}
    if isinstance(rule, s.Threshold):
        return {"pass"} | {level.status for level in rule.levels}
    if isinstance(rule, s.Budget):
        return {"pass", "fail"} if rule.metric is not None else set()
    return {"pass", "fail"}
