"""No traceback from any input (issue 11, item 2): text that is not Unicode, far deadlines in
`explain`, deep chains of `use`s."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import planrules
from planrules.cli import main
from planrules.lang.check import check_file
from planrules.lang.check_uses import MAX_USE_DEPTH
from planrules.lang.diagnostics import PlanError, RulesetError

KEYED = """ruleset "S"
period 2026-07-01 to 2026-12-31 monthly
metric sold: count by item
threshold "T" per item: sold
    warn below 3
"""

# JSON's "\\ud800" is a lone surrogate: Python reads it, but it can never be written as UTF-8.
SURROGATE_SNAPSHOTS = {
    "key": ('{"period": "2026-07", "metrics": {"sold": {"\\ud800": 1}}}', "the key `\\ud800`"),
    "key among others": (
        '{"period": "2026-07", "metrics": {"sold": {"a": 1, "b\\udfff": 2}}}',
        "the key `b\\udfff`",
    ),
    "metric name": (
        '{"period": "2026-07", "metrics": {"s\\udc00old": {"a": 1}}}',
        "the metric name `s\\udc00old`",
    ),
    "period": ('{"period": "2026-0\\ud8007", "metrics": {}}', "the period `2026-0\\ud8007`"),
}


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("case", sorted(SURROGATE_SNAPSHOTS))
@pytest.mark.parametrize(
    "command",
    [
        ["eval", "--format", "text"],
        ["eval", "--format", "json"],
        ["eval", "--format", "markdown"],
        ["eval", "--format", "junit"],
        ["replay"],
        ["explain", "--rule", "T", "--key", "a"],
    ],
)
def test_a_lone_surrogate_in_a_snapshot_is_a_located_error(
    case: str, command: list[str], tmp_path: Path
) -> None:
    snapshot, named = SURROGATE_SNAPSHOTS[case]
    plan = write(tmp_path, "s.plan", KEYED)
    data = write(tmp_path, "s.json", snapshot)
    result = CliRunner().invoke(main, [command[0], plan, data, *command[1:]])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"error: {data}: " in result.stderr
    assert named in result.stderr
    assert "is not text" in result.stderr
    result.stderr.encode("utf-8")  # what is printed can be written out


def test_a_lone_surrogate_in_python_data_is_a_snapshot_error() -> None:
    ruleset = planrules.loads(KEYED)
    for data in (
        {"period": "2026-07", "metrics": {"sold": {"\ud800": 1}}},
        {"period": "2026-07", "metrics": {"sold": {"é\ud800": 1}}},
        {"period": "2026-07", "metrics": {"\udc00": 1}},
        {"period": "\ud800", "metrics": {}},
    ):
        with pytest.raises(PlanError, match="is not text"):
            ruleset.evaluate([data])


def test_a_lone_surrogate_in_a_ruleset_text_is_a_located_error() -> None:
    text = KEYED.replace('"T"', '"T\ud800"')
    with pytest.raises(RulesetError) as raised:
        planrules.loads(text)
    message = str(raised.value)
    assert message.startswith("<string>:4:13: syntax-error: a lone surrogate (\\ud800)")
    message.encode("utf-8")


FAR_DEADLINE = """ruleset "W"
metric sold: count
goal "G": total(sold) >= 100 by 9999-12-31
"""


def test_explain_a_deadline_at_the_end_of_the_calendar(tmp_path: Path) -> None:
    plan = write(tmp_path, "w.plan", FAR_DEADLINE)
    snapshots = [
        write(tmp_path, f"w{week}.json", json.dumps({"period": week, "metrics": {"sold": 5}}))
        for week in ("2026-W27", "2026-W28")
    ]
    evaluated = CliRunner().invoke(main, ["eval", plan, *snapshots])
    explained = CliRunner().invoke(main, ["explain", plan, *snapshots, "--rule", "G"])
    assert evaluated.exception is None or isinstance(evaluated.exception, SystemExit)
    assert explained.exit_code == 0, explained.output
    assert "UNKNOWN" in evaluated.stdout
    assert "outside years 1 to 9999" in explained.stdout
    assert "verdict = unknown" in explained.stdout


def _chain(folder: Path, files: int) -> str:
    """`f0.plan` uses `f1.plan`, which uses `f2.plan`, ..., `files` files in all."""
    for index in range(files):
        use = f'use "f{index + 1}.plan"\n' if index + 1 < files else ""
        write(folder, f"f{index}.plan", f'ruleset "F{index}"\n{use}metric m{index}: count\n')
    return str(folder / "f0.plan")


def test_a_chain_of_a_thousand_uses_is_use_too_deep(tmp_path: Path) -> None:
    root = _chain(tmp_path, 1000)
    checked = check_file(root)
    errors = [d for d in checked.diagnostics if d.is_error]
    assert [d.code for d in errors] == ["use-too-deep"]
    assert errors[0].span.file.endswith(f"f{MAX_USE_DEPTH}.plan")
    result = CliRunner().invoke(main, ["check", root])
    assert result.exit_code == 1, result.output
    assert "use-too-deep" in result.stdout


def test_a_chain_at_the_limit_is_fine(tmp_path: Path) -> None:
    at_limit, past_limit = tmp_path / "at", tmp_path / "past"
    at_limit.mkdir()
    past_limit.mkdir()
    # The file checked, then MAX_USE_DEPTH files used one by the other.
    checked = check_file(_chain(at_limit, MAX_USE_DEPTH + 1))
    assert not [d for d in checked.diagnostics if d.is_error]
    too_deep = check_file(_chain(past_limit, MAX_USE_DEPTH + 2))
    assert [d.code for d in too_deep.diagnostics if d.is_error] == ["use-too-deep"]
