"""`planrules eval`, `test` and `replay` through click's CliRunner: output, exit codes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from planrules.cli import main
from tests.conftest import RULESETS

SAADO = str(RULESETS / "saado.plan")
SAADO_HISTORY = str(RULESETS / "saado.json")

RULESET = """ruleset "Shop"
currency VND
metric orders: count
metric leads: count
let conversion = orders / leads
threshold "Conversion": conversion
    warn below 3%
    fail below 2%
"""


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def snapshots(folder: Path, *periods: tuple[str, int, int]) -> str:
    data = [
        {"period": period, "metrics": {"orders": orders, "leads": leads}}
        for period, orders, leads in periods
    ]
    return write(folder, "history.json", json.dumps(data))


# ---- eval ----------------------------------------------------------------------------------


def test_eval_text_report_of_saado(runner: CliRunner) -> None:
    result = runner.invoke(main, ["eval", SAADO, SAADO_HISTORY, "--at", "2026-08"])
    assert result.exit_code == 1  # the plan has failing rules
    out = result.output
    assert "SAADO Q3 online launch — as of 2026-08" in out
    assert "WARN   Doanh thu 2 tỷ" in out
    assert "to pass: doanh_thu +60,000,000 VND" in out
    assert out.rstrip().splitlines()[-1].startswith("FAIL: ")
    assert "\x1b[" not in out  # no colour when piped


def test_eval_json_is_the_report(runner: CliRunner) -> None:
    result = runner.invoke(main, ["eval", SAADO, SAADO_HISTORY, "--format", "json"])
    report = json.loads(result.output, parse_float=Decimal)
    assert report["as_of"] == "2026-09"
    assert report["status"] == "fail"
    revenue = report["results"][0]
    assert revenue["rule"] == "Doanh thu 2 tỷ" and revenue["value"] == 1860000000
    assert report["allocations"]["Quảng cáo hằng tháng"]["facebook_ads"]["proposed"] == 90000000


def test_eval_markdown_and_junit(runner: CliRunner) -> None:
    markdown = runner.invoke(main, ["eval", SAADO, SAADO_HISTORY, "--format", "markdown"])
    assert markdown.output.startswith("## SAADO Q3 online launch")
    junit = runner.invoke(main, ["eval", SAADO, SAADO_HISTORY, "--format", "junit"])
    suite = ET.fromstring(junit.output.encode()).find("testsuite")
    assert suite is not None and int(suite.attrib["failures"]) >= 3


def test_eval_exit_codes(runner: CliRunner, tmp_path: Path) -> None:
    ruleset = write(tmp_path, "shop.plan", RULESET)
    passing = snapshots(tmp_path, ("2026-08", 40, 1000))
    assert runner.invoke(main, ["eval", ruleset, passing]).exit_code == 0
    warning = snapshots(tmp_path, ("2026-08", 25, 1000))
    assert runner.invoke(main, ["eval", ruleset, warning]).exit_code == 0
    assert runner.invoke(main, ["eval", ruleset, warning, "--fail-on", "warn"]).exit_code == 1
    failing = snapshots(tmp_path, ("2026-08", 16, 900))
    result = runner.invoke(main, ["eval", ruleset, failing])
    assert result.exit_code == 1
    assert "to pass: orders +11 (to 27) or leads -367 (to 533)" in result.output


def test_eval_unknown_is_a_warning_or_with_strict_a_failure(
    runner: CliRunner, tmp_path: Path
) -> None:
    ruleset = write(tmp_path, "shop.plan", RULESET)
    history = snapshots(tmp_path, ("2026-08", 10, 0))
    result = runner.invoke(main, ["eval", ruleset, history])
    assert result.exit_code == 0
    assert "UNKNOWN" in result.output and "divides by zero in 2026-08" in result.output
    assert runner.invoke(main, ["eval", ruleset, history, "--strict"]).exit_code == 1


def test_eval_writes_a_file(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = runner.invoke(main, ["eval", SAADO, SAADO_HISTORY, "--format", "json", "-o", str(out)])
    assert result.exit_code == 1
    assert json.loads(out.read_text(encoding="utf-8"))["ruleset"] == "SAADO Q3 online launch"


def test_eval_at_a_period_with_no_snapshot(runner: CliRunner) -> None:
    result = runner.invoke(main, ["eval", SAADO, SAADO_HISTORY, "--at", "2026-12"])
    assert result.exit_code == 2
    assert "2026-12 has no snapshot" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("{not json", "history.json"),
        ('[{"period": "2026-08", "metrics": {"orders": NaN, "leads": 1}}]', "orders"),
        ('[{"period": "2026-08", "metrics": {"orders": 1e400, "leads": 1}}]', "too large"),
        ('[{"period": "2026-08", "metrics": {"orders": "5", "leads": 1}}]', "text"),
        ('[{"period": "2026-W33", "metrics": {"orders": 5, "leads": 1}}]', "2026-W33"),
        (
            '[{"period": "2026-08", "metrics": {"orders": 5}},'
            ' {"period": "2026-08", "metrics": {"leads": 5}}]',
            "2026-08",
        ),
    ],
)
def test_eval_bad_snapshots_exit_2_naming_the_place(
    runner: CliRunner, tmp_path: Path, content: str, fragment: str
) -> None:
    ruleset = write(
        tmp_path,
        "shop.plan",
        RULESET.replace(
            "currency VND\n", "currency VND\nperiod 2026-01-01 to 2026-12-31 monthly\n"
        ),
    )
    history = write(tmp_path, "history.json", content)
    result = runner.invoke(main, ["eval", ruleset, history])
    assert result.exit_code == 2, result.output
    assert fragment in result.output
    assert "Traceback" not in result.output


def test_eval_of_a_ruleset_with_errors(runner: CliRunner, tmp_path: Path) -> None:
    ruleset = write(tmp_path, "bad.plan", RULESET.replace("orders / leads", "ordrs / leads"))
    history = snapshots(tmp_path, ("2026-08", 40, 1000))
    result = runner.invoke(main, ["eval", ruleset, history])
    assert result.exit_code == 2
    assert "unknown-name" in result.output and "did you mean `orders`?" in result.output


def test_eval_of_missing_files(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["eval", str(tmp_path / "nope.plan"), SAADO_HISTORY])
    assert result.exit_code == 2 and "nope.plan" in result.output
    result = runner.invoke(main, ["eval", SAADO, str(tmp_path / "nope.json")])
    assert result.exit_code == 2 and "nope.json" in result.output


def test_eval_merges_several_snapshot_files(runner: CliRunner, tmp_path: Path) -> None:
    ruleset = write(tmp_path, "shop.plan", RULESET)
    first = write(
        tmp_path, "a.json", '{"period": "2026-07", "metrics": {"orders": 40, "leads": 1000}}'
    )
    second = write(tmp_path, "b.csv", "period,orders,leads\n2026-08,16,900\n")
    result = runner.invoke(main, ["eval", ruleset, first, second, "--format", "json"])
    assert json.loads(result.output)["as_of"] == "2026-08"
    again = write(tmp_path, "c.csv", "period,orders\n2026-08,17\n")
    clash = runner.invoke(main, ["eval", ruleset, second, again])
    assert clash.exit_code == 2 and "orders" in clash.output


def test_eval_of_a_test_file_is_bad_usage(runner: CliRunner) -> None:
    result = runner.invoke(main, ["eval", str(RULESETS / "saado_test.plan"), SAADO_HISTORY])
    assert result.exit_code == 2
    assert "planrules test" in result.output


# ---- replay --------------------------------------------------------------------------------


def test_replay_text_and_json(runner: CliRunner) -> None:
    result = runner.invoke(main, ["replay", SAADO, SAADO_HISTORY])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    # The plan's window starts in July: June's snapshot is read, but not judged.
    assert "2026-06" not in lines[2] and "2026-07" in lines[2] and "2026-09" in lines[2]
    assert any(line.split()[:4] == ["Doanh", "thu", "2", "tỷ"] for line in lines)
    data = json.loads(
        runner.invoke(main, ["replay", SAADO, SAADO_HISTORY, "--format", "json"]).output
    )
    assert data["periods"] == ["2026-07", "2026-08", "2026-09"]
    revenue = data["rules"][0]
    assert revenue["statuses"] == {
        "2026-07": "pass",
        "2026-08": "warn",
        "2026-09": "fail",
    }


# ---- test ----------------------------------------------------------------------------------


def test_test_runs_every_example(runner: CliRunner) -> None:
    result = runner.invoke(main, ["test", str(RULESETS)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "44 passed, 0 failed"


def test_test_selects_by_name(runner: CliRunner) -> None:
    result = runner.invoke(main, ["test", str(RULESETS), "-k", "September"])
    assert result.exit_code == 0
    assert result.output.strip().splitlines()[-1] == "1 passed, 0 failed"
    nothing = runner.invoke(main, ["test", str(RULESETS), "-k", "no such test"])
    assert nothing.exit_code == 2


def test_test_failure_shows_expected_actual_and_place(runner: CliRunner, tmp_path: Path) -> None:
    write(tmp_path, "shop.plan", RULESET)
    tests = write(
        tmp_path,
        "shop_test.plan",
        'use "shop.plan"\n\ntest "weak month" {\n'
        "    snapshot 2026-08 { orders 16  leads 900 }\n"
        '    expect "Conversion" pass\n'
        '    expect value of "Conversion" == 1.78%\n'
        "}\n",
    )
    result = runner.invoke(main, ["test", tests])
    assert result.exit_code == 1
    assert "FAIL weak month" in result.output
    assert 'shop_test.plan:5:5: expected "Conversion" pass' in result.output
    assert "got fail" in result.output
    assert result.output.strip().splitlines()[-1] == "0 passed, 1 failed"


def test_test_tells_where_snapshots_do_not_match_the_plan(
    runner: CliRunner, tmp_path: Path
) -> None:
    write(tmp_path, "shop.plan", RULESET)
    # `Order s` looks like `orders`, which this snapshot lacks: read as nothing, and said so.
    write(
        tmp_path, "august.json", '{"period": "2026-08", "metrics": {"Order s": 16, "leads": 900}}'
    )
    tests = write(
        tmp_path,
        "shop_test.plan",
        'use "shop.plan"\n\ntest "t" {\n    snapshots "august.json"\n    expect status warn\n}\n',
    )
    relaxed = runner.invoke(main, ["test", tests])
    assert "test 't': " in relaxed.stderr and "warning: unknown-metric: `Order s`" in relaxed.stderr
    strict = runner.invoke(main, ["test", tests, "--strict"])
    assert strict.exit_code == 2 and "error: unknown-metric" in strict.stderr


def test_test_junit(runner: CliRunner) -> None:
    result = runner.invoke(main, ["test", str(RULESETS / "saado_test.plan"), "--format", "junit"])
    assert result.exit_code == 0
    xml = result.output[: result.output.rindex("</testsuites>") + len("</testsuites>")]
    suites = ET.fromstring(xml.encode())
    cases = suites.findall("./testsuite/testcase")
    assert len(cases) == 12 and not suites.findall(".//failure")


def test_test_file_without_tests_is_an_error(runner: CliRunner, tmp_path: Path) -> None:
    write(tmp_path, "shop.plan", RULESET)
    empty = write(tmp_path, "shop_test.plan", 'use "shop.plan"\n')
    result = runner.invoke(main, ["test", empty])
    assert result.exit_code == 2
    assert "no tests" in result.output


def test_test_naming_a_rule_that_does_not_exist(runner: CliRunner, tmp_path: Path) -> None:
    write(tmp_path, "shop.plan", RULESET)
    tests = write(
        tmp_path,
        "shop_test.plan",
        'use "shop.plan"\n\ntest "t" {\n    snapshot 2026-08 { orders 1  leads 2 }\n'
        '    expect "Convrsion" pass\n}\n',
    )
    result = runner.invoke(main, ["test", tests])
    assert result.exit_code == 2
    assert "shop_test.plan:5:" in result.output


def test_test_naming_a_key_the_rule_does_not_have(runner: CliRunner, tmp_path: Path) -> None:
    write(
        tmp_path,
        "shop.plan",
        RULESET + 'metric sold: count by rep\nthreshold "Sold" per rep: sold warn below 5\n',
    )
    tests = write(
        tmp_path,
        "shop_test.plan",
        'use "shop.plan"\n\ntest "t" {\n    snapshot 2026-08 { sold { Lan 7 } }\n'
        '    expect "Sold"["Minh"] pass\n}\n',
    )
    result = runner.invoke(main, ["test", tests])
    assert result.exit_code == 1
    assert 'shop_test.plan:5:5: expected "Sold"["Minh"] pass' in result.output
    assert '"Sold" has no key "Minh"; its keys are "Lan"' in result.output


# ---- explain -------------------------------------------------------------------------------


def test_explain_a_goal_and_a_trigger(runner: CliRunner) -> None:
    goal = runner.invoke(
        main, ["explain", SAADO, SAADO_HISTORY, "--rule", "Doanh thu 2 tỷ", "--at", "2026-08"]
    )
    assert goal.exit_code == 0, goal.output
    assert goal.output.startswith("Doanh thu 2 tỷ (goal) as of 2026-08: warn")
    assert "elapsed" in goal.output and "warn line" in goal.output
    trigger = runner.invoke(main, ["explain", SAADO, SAADO_HISTORY, "--rule", "Tỷ lệ chốt thấp"])
    assert "2026-09 = fired" in trigger.output
    assert "clipped" in trigger.output or "applied" in trigger.output


def test_explain_as_json(runner: CliRunner) -> None:
    result = runner.invoke(
        main,
        ["explain", SAADO, SAADO_HISTORY, "--rule", "Đơn mỗi rep trong tháng", "--key", "Hoa"],
    )
    assert result.exit_code == 0
    data = json.loads(
        runner.invoke(
            main,
            [
                "explain",
                SAADO,
                SAADO_HISTORY,
                "--rule",
                "Đơn mỗi rep trong tháng",
                "--key",
                "Hoa",
                "--format",
                "json",
            ],
        ).output
    )
    assert data["key"] == "Hoa" and data["status"] == "warn"


def test_explain_an_unknown_rule_lists_the_rules(runner: CliRunner) -> None:
    result = runner.invoke(main, ["explain", SAADO, SAADO_HISTORY, "--rule", "Doanh thu"])
    assert result.exit_code == 2
    assert "did you mean `Doanh thu 2 tỷ`?" in result.output
    assert '"Tỷ lệ chốt thấp"' in result.output
    assert "Traceback" not in result.output


def test_evaluation_leaves_the_cycle_collector_as_it_found_it() -> None:
    import gc

    from planrules import load

    ruleset = load(SAADO)
    history = ruleset.read([SAADO_HISTORY])
    assert gc.isenabled()
    ruleset.evaluate(history)
    assert gc.isenabled()
    gc.disable()
    try:
        ruleset.replay(history)
        assert not gc.isenabled()
    finally:
        gc.enable()
