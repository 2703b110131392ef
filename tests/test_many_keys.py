"""Reports of `per` rules over many keys: text and Markdown list each rule's worst keys and
count the rest, unless asked for all; JSON and JUnit always hold every key (issue 12, item 2)."""

from __future__ import annotations

import gc
import json
from typing import Any

from click.testing import CliRunner

from planrules.cli import main
from planrules.eval.evaluate import loads
from planrules.report.model import Report
from planrules.report.render import MOST_KEYS_SHOWN, render

PLAN = """\
ruleset "Stores"
metric orders: count by store
threshold "Orders" per store: orders warn below 10 fail below 5
trigger "Slump" per store when orders < 5 {
    recommend "{key}: only {orders} orders"
}
"""

STORES = 120


def _report() -> Report:
    # Stores s000..s119: every fifth fails, every fifth after it warns, the rest pass.
    orders = {f"s{i:03d}": (1 if i % 5 == 0 else 7 if i % 5 == 1 else 20) for i in range(STORES)}
    snapshots: list[dict[str, Any]] = [{"period": "2026-07", "metrics": {"orders": orders}}]
    return loads(PLAN, filename="stores.plan").evaluate(snapshots)


def _rows(text: str, rule: str) -> list[str]:
    return [line for line in text.splitlines() if f" {rule} [" in line and "- " not in line]


def test_text_lists_the_worst_keys_and_counts_the_rest() -> None:
    text = render(_report(), "text")
    rows = _rows(text, "Orders")
    assert len(rows) == MOST_KEYS_SHOWN
    statuses = [row.split()[0] for row in rows]
    # 24 fail, then 24 warn, then the first 2 that pass, each in key order.
    assert statuses == ["FAIL"] * 24 + ["WARN"] * 24 + ["PASS"] * 2
    assert rows[0].split()[2] == "[s000]" and rows[24].split()[2] == "[s001]"
    assert "70 more keys of Orders (70 pass); --all-keys lists them" in text
    # The verdict still counts every key.
    assert text.rstrip().endswith("FAIL: 24 fail, 24 warn, 72 pass, 24 fired, 96 quiet")


def test_text_makes_only_the_results_it_shows_and_they_are_the_reports_own() -> None:
    """The text report makes the 50 results of each rule it shows, not all 120: the rest stay
    rows. What it shows is what the whole list of results says."""
    report = _report()
    text = render(report, "text")
    assert report.results._made is None  # nothing made beyond the results shown
    every = _report()
    made = list(every.results)  # every result made first: the plain path
    assert render(every, "text") == text
    some = report.results.some([0, 5, 119])
    assert [r.to_dict(None) for r in some] == [made[i].to_dict(None) for i in (0, 5, 119)]


def test_triggers_and_recommendations_are_cut_the_same_way() -> None:
    text = render(_report(), "text")
    slump = _rows(text, "Slump")
    assert len(slump) == MOST_KEYS_SHOWN
    assert [row.split()[0] for row in slump[:24]] == ["FIRED"] * 24
    assert "70 more keys of Slump (70 quiet); --all-keys lists them" in text
    recommendations = [line for line in text.splitlines() if line.startswith("  - Slump [")]
    assert len(recommendations) == 24  # under the cut: all of them


def test_all_keys_lists_every_key() -> None:
    report = _report()
    text = render(report, "text", all_keys=True)
    assert len(_rows(text, "Orders")) == STORES
    assert "--all-keys" not in text
    markdown = render(report, "markdown", all_keys=True)
    assert markdown.count("| Orders |") == STORES


def test_markdown_is_cut_like_text() -> None:
    markdown = render(_report(), "markdown")
    assert markdown.count("| Orders |") == MOST_KEYS_SHOWN
    assert "70 more keys of Orders (70 pass); --all-keys lists them" in markdown


def test_json_and_junit_hold_every_key() -> None:
    report = _report()
    results = json.loads(render(report, "json"))["results"]
    assert sum(1 for result in results if result["rule"] == "Orders") == STORES
    assert render(report, "junit").count('name="Orders [') == STORES


def test_the_cli_cuts_unless_all_keys(tmp_path: Any) -> None:
    plan = tmp_path / "stores.plan"
    plan.write_text(PLAN, encoding="utf-8")
    data = tmp_path / "stores.json"
    orders = {f"s{i:03d}": (1 if i % 5 == 0 else 20) for i in range(STORES)}
    data.write_text(json.dumps([{"period": "2026-07", "metrics": {"orders": orders}}]))
    cut = CliRunner().invoke(main, ["eval", str(plan), str(data)])
    assert cut.exit_code == 1
    assert "70 more keys of Orders (70 pass); --all-keys lists them" in cut.output
    every = CliRunner().invoke(main, ["eval", str(plan), str(data), "--all-keys"])
    assert every.exit_code == 1
    assert len(_rows(every.output, "Orders")) == STORES
    markdown = CliRunner().invoke(main, ["eval", str(plan), str(data), "--format", "markdown"])
    assert markdown.output.count("| Orders |") == MOST_KEYS_SHOWN


def test_the_cli_pauses_the_collector_only_while_a_command_runs(tmp_path: Any) -> None:
    plan = tmp_path / "stores.plan"
    plan.write_text(PLAN, encoding="utf-8")
    seen: list[bool] = []

    def noting(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return checking(*args, **kwargs)

    import planrules.lang.check as check_module

    checking = check_module.check_file
    was = gc.isenabled()
    gc.enable()
    try:
        check_module.check_file = noting  # type: ignore[assignment]
        result = CliRunner().invoke(main, ["check", str(plan)])
    finally:
        check_module.check_file = checking  # type: ignore[assignment]
        assert gc.isenabled()
        (gc.enable if was else gc.disable)()
    assert result.exit_code == 0, result.output
    assert seen == [False]
