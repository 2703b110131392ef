"""Golden explanations: every rule of every example, at every key and every period.

`tests/golden/explain/<name>/<period>.txt` holds the text explanation of each rule of
`rulesets/<name>.plan` (each key of a `per` rule, and a budget whole and line by line) as of
that period of `rulesets/<name>.json`, one after the other; `last.json` the same in JSON as of
the last period.
A change to the evaluator or to explain shows up here as a diff to read.

To regenerate after an intended change, run

    PLANRULES_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_explain_golden.py

and read the diff before keeping it.
"""

from __future__ import annotations

import json
import os

import pytest

from planrules.eval.evaluate import Ruleset, load
from planrules.lang import syntax as s
from planrules.lang.periods import period_label
from planrules.report.explain import Explanation, explain, render_explanation
from tests.conftest import ROOT, RULESETS
from tests.test_reports import EXAMPLES, compare

GOLDEN = ROOT / "tests" / "golden" / "explain"


def every_explanation(ruleset: Ruleset, history: object, at: str) -> list[Explanation]:
    report = ruleset.evaluate(history, at=at)
    explanations = []
    for rule in ruleset.checked.rules:
        if isinstance(rule, s.Budget):
            keys: list[str | None] = [None, *(line.key.text for line in rule.lines)]
        elif rule.per is not None:
            keys = [r.key for r in report.results if r.rule == rule.name]
        else:
            keys = [None]
        explanations.extend(explain(ruleset, history, rule.name, key=key, at=at) for key in keys)
    return explanations


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_explanation_at_every_period(name: str) -> None:
    # Paths relative to the checkout, so the goldens do not depend on where it lies.
    os.chdir(ROOT)
    ruleset = load(f"rulesets/{name}.plan")
    history = ruleset.read([f"rulesets/{name}.json"])
    assert RULESETS.joinpath(f"{name}.json").exists()
    for snapshot in history.snapshots:
        at = period_label(snapshot.period)
        explanations = every_explanation(ruleset, history, at)
        assert explanations, f"{name} has no rules to explain"
        text = "\n".join(render_explanation(e, "text") for e in explanations)
        compare(GOLDEN / name / f"{at}.txt", text)
    data = [json.loads(render_explanation(e, "json")) for e in explanations]
    compare(GOLDEN / name / "last.json", json.dumps(data, ensure_ascii=False, indent=1) + "\n")
