"""The HTML report (`--format html`), opened for real in headless Chromium.

Each example ruleset's report is written by the CLI and opened in Debian's `chromium`, driven
by Playwright: no console errors, no request leaving the file, every chart drawn, the filter
box filters, axe-core (vendored under tests/vendor) finds no critical violation, and a
screenshot is saved under the test's temporary folder.

Without a browser the browser tests skip and say how to install one; under CI (the `CI`
environment variable set, as `.ci/run` runs) a missing browser is a failure, so that a CI run
never passes with them skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("jinja2")
pytest.importorskip("vl_convert")

from planrules.eval.evaluate import loads
from planrules.formats import REPLAY_FORMATS, REPORT_FORMATS
from planrules.lang.escape import visible
from planrules.report.html import (
    MOST_KEYS_IN_TABLE,
    history_of,
    render_html,
    render_replay_html,
)

ROOT = Path(__file__).resolve().parent.parent
RULESETS = sorted(
    path
    for path in (ROOT / "rulesets").glob("*.plan")
    if not path.name.endswith("_test.plan") and path.with_suffix(".json").exists()
)
AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
PLANRULES = [sys.executable, "-m", "planrules"]
INSTALL_HINT = (
    "the browser tests need Debian's chromium and Playwright: `make browser` "
    "(apt-get install -y chromium; pip install -e '.[dev,html]')"
)


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    if _chromium() is None:
        return "chromium is not installed"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = _browser_missing()
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {missing}; {INSTALL_HINT}")
        pytest.skip(f"{missing}: {INSTALL_HINT}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        launched = driver.chromium.launch(
            executable_path=_chromium(), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield launched
        finally:
            launched.close()


def _write(args: list[str], output: Path) -> Path:
    done = subprocess.run(
        [*PLANRULES, *args, "-o", str(output)], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode in (0, 1), done.stderr
    assert output.exists(), done.stderr
    return output


class Opened:
    def __init__(self, page: Any, errors: list[str], outside: list[str]) -> None:
        self.page, self.errors, self.outside = page, errors, outside


def _open(browser: Any, path: Path) -> Opened:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(route: Any) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:", "about:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", route)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return Opened(page, errors, outside)


def _axe_critical(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [v for v in found if v.get("impact") == "critical"]


@pytest.mark.parametrize("plan", RULESETS, ids=lambda p: p.stem)
def test_report_in_browser(browser: Any, plan: Path, tmp_path: Path) -> None:
    html = _write(
        ["eval", str(plan), str(plan.with_suffix(".json")), "--format", "html"],
        tmp_path / "report.html",
    )
    text = html.read_text(encoding="utf-8")
    assert "<script src" not in text and "<link" not in text and "@import" not in text
    opened = _open(browser, html)
    page = opened.page
    charts = page.locator("figure.chart svg")
    assert charts.count() > 0
    for index in range(charts.count()):
        drawn = charts.nth(index).locator("path, rect, line, circle, text").count()
        assert drawn > 2, f"chart {index} has no drawing"
    assert page.locator("figure.chart").count() == charts.count()
    # The filter box filters: a key typed in leaves only its rows.
    for box_index in range(page.locator("input.key-filter").count()):
        box = page.locator("input.key-filter").nth(box_index)
        table = page.locator("#" + box.get_attribute("data-table"))
        rows = table.locator("tbody tr")
        total = rows.count()
        key = rows.first.get_attribute("data-key")
        box.fill(key)
        visible = table.locator("tbody tr:not([hidden])")
        assert 1 <= visible.count() <= total
        assert all(
            key.lower() in visible.nth(i).inner_text().lower() for i in range(visible.count())
        )
        box.fill("zz-no-such-key-zz")
        assert table.locator("tbody tr:not([hidden])").count() == 0
        box.fill("")
        assert table.locator("tbody tr:not([hidden])").count() == total
    assert page.locator("#owners").count() == 1
    page.screenshot(path=str(tmp_path / f"{plan.stem}.png"), full_page=True)
    assert (tmp_path / f"{plan.stem}.png").stat().st_size > 10_000
    assert _axe_critical(page) == []
    page.emulate_media(media="print")
    page.pdf(path=str(tmp_path / f"{plan.stem}.pdf")) if hasattr(page, "pdf") else None
    assert opened.errors == []
    assert opened.outside == []
    page.context.close()


@pytest.mark.parametrize("lang", ["vi", "zh"])
def test_report_in_the_readers_language(browser: Any, lang: str, tmp_path: Path) -> None:
    plan = ROOT / "rulesets" / "saado.plan"
    html = _write(
        ["eval", str(plan), str(plan.with_suffix(".json")), "--format", "html", "--lang", lang],
        tmp_path / "report.html",
    )
    opened = _open(browser, html)
    assert opened.page.locator("html").get_attribute("lang") == lang
    body = opened.page.locator("body").inner_text()
    assert (
        ("Mục tiêu" in body or "Đạt" in body or "đạt" in body) if lang == "vi" else "目标" in body
    )
    page = opened.page
    page.screenshot(path=str(tmp_path / f"saado-{lang}.png"), full_page=True)
    assert _axe_critical(page) == []
    assert opened.errors == [] and opened.outside == []
    page.context.close()


def test_replay_in_browser(browser: Any, tmp_path: Path) -> None:
    plan = ROOT / "rulesets" / "saado.plan"
    html = _write(
        ["replay", str(plan), str(plan.with_suffix(".json")), "--format", "html"],
        tmp_path / "replay.html",
    )
    opened = _open(browser, html)
    page = opened.page
    assert page.locator("table.grid tbody tr").count() > 10
    assert page.locator("table.grid .badge.s-fail").count() > 0
    page.screenshot(path=str(tmp_path / "replay.png"), full_page=True)
    assert _axe_critical(page) == []
    assert opened.errors == [] and opened.outside == []
    page.context.close()


# ---- bad input renders as text -------------------------------------------------------------

HOSTILE = ["<script>alert(1)</script>", 'a "quoted" & name', "]]> end", "two\nlines", "\u202ertl"]

_HOSTILE_PLAN = """ruleset "R"
period 2026-01-01 to 2026-03-31 monthly
metric sales: count by store
metric reach: count
goal "{goal}" per store: total(sales) >= 10 by 2026-03-31 owner "{owner}"
threshold "T" per store: sales
    warn below 5
    fail below 2
trigger "{trigger}" when reach < 100 {{
    recommend "{text}"
}} owner "{owner}"
"""


def _json_string(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)[1:-1]


def _hostile_report(text: str) -> tuple[str, str]:
    # Rule names and texts are one line without bidirectional controls; keys hold anything.
    safe = text.replace("\n", " ").replace("\u202e", "\u200f")
    plan = _HOSTILE_PLAN.format(
        goal=_json_string("G " + safe),
        owner=_json_string("O " + safe),
        trigger=_json_string("Tr " + safe),
        text=_json_string("Rec " + safe),
    )
    ruleset = loads(plan)
    snapshots = [
        {
            "period": period,
            "metrics": {"sales": {text: 1, "plain": 4}, "reach": 50},
        }
        for period in ("2026-01", "2026-02")
    ]
    report = ruleset.evaluate(snapshots)
    return render_html(report, history_of(ruleset, snapshots), ruleset), safe


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_stays_text(text: str) -> None:
    page, _safe = _hostile_report(text)
    assert "<script>alert" not in page
    assert "<script" not in page.replace("<script>\n(function", "")


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_in_the_dom(browser: Any, text: str, tmp_path: Path) -> None:
    page_text, safe = _hostile_report(text)
    path = tmp_path / "hostile.html"
    path.write_text(page_text, encoding="utf-8")
    opened = _open(browser, path)
    page = opened.page
    assert page.locator("script").count() == 1  # the filter box's own
    keys = page.locator("table.keys tr[data-key]").evaluate_all(
        "rows => rows.map(r => r.getAttribute('data-key'))"
    )
    # Shown as the text report shows them: a control or a bidirectional control escaped.
    assert visible(text) in keys
    body = page.locator("body").evaluate("b => b.textContent")
    for written in ("G " + safe, "O " + safe, "Rec " + safe):
        assert visible(written) in body
    assert "\u202e" not in body  # no override reaches the page to reorder it
    assert page.evaluate("() => window.alerted === undefined")
    assert opened.errors == [] and opened.outside == []
    page.context.close()


# ---- many keys -----------------------------------------------------------------------------


def test_many_keys_table_and_histogram(browser: Any, tmp_path: Path) -> None:
    keys = 1200
    plan = """ruleset "Stores"
period 2026-01-01 to 2026-03-31 monthly
metric sales: count by store
threshold "Sales" per store: sales
    warn below 50
    fail below 20
"""
    ruleset = loads(plan)
    snapshots = [
        {"period": p, "metrics": {"sales": {f"s{i:05}": i % 100 for i in range(keys)}}}
        for p in ("2026-01", "2026-02")
    ]
    report = ruleset.evaluate(snapshots)
    path = tmp_path / "stores.html"
    path.write_text(render_html(report, history_of(ruleset, snapshots), ruleset), "utf-8")
    opened = _open(browser, path)
    page = opened.page
    rows = page.locator("table.keys tbody tr")
    assert rows.count() == MOST_KEYS_IN_TABLE
    assert rows.first.locator(".badge").inner_text().strip().endswith("FAIL")
    more = page.locator(".keys-more").inner_text()
    assert str(keys - MOST_KEYS_IN_TABLE) in more.replace(",", "")
    histogram = page.locator("figure.chart svg")
    assert histogram.count() == 1
    assert histogram.locator("path").count() > 3
    assert opened.errors == [] and opened.outside == []
    page.context.close()


# ---- the formats registry and the replay ---------------------------------------------------


def test_formats_list_html() -> None:
    assert "html" in REPORT_FORMATS
    assert "html" in REPLAY_FORMATS


def test_replay_html_statuses_are_the_replays() -> None:
    plan = ROOT / "rulesets" / "saado.plan"
    from planrules.eval.evaluate import load

    ruleset = load(str(plan))
    import json

    snapshots = json.loads(plan.with_suffix(".json").read_text(encoding="utf-8"))
    history = history_of(ruleset, snapshots)
    assert history.replay == ruleset.replay(snapshots)
    page = render_replay_html(history.replay)
    for period in history.replay.periods:
        assert period in page


COMPUTED_LEVELS = """ruleset "Levels"
currency VND
period 2026-07-01 to 2026-09-30 monthly
metric revenue: money
metric cost: money
let floor = cost * 2
threshold "Revenue over cost": revenue
    warn below floor
    fail below cost
"""


def test_levels_worked_out_each_period_are_drawn_from_the_evaluator() -> None:
    """A threshold whose levels are a let: its bounds each period are the evaluator's, drawn
    as lines beside the value, and the current ones listed."""
    ruleset = loads(COMPUTED_LEVELS, filename="levels.plan")
    snapshots = [
        {"period": "2026-07", "metrics": {"revenue": 500, "cost": 100}},
        {"period": "2026-08", "metrics": {"revenue": 300, "cost": 200}},
        {"period": "2026-09", "metrics": {"revenue": 350, "cost": 150}},
    ]
    history = history_of(ruleset, snapshots)
    assert history.levels["Revenue over cost"] == {
        ("warn", "below"): {"2026-07": 200, "2026-08": 400, "2026-09": 300},
        ("fail", "below"): {"2026-07": 100, "2026-08": 200, "2026-09": 150},
    }
    page = render_html(ruleset.evaluate(snapshots), history, ruleset)
    assert "warn below" in page  # the chart's legend
    assert "below 300 VND" in page  # the current bound, listed


def test_a_goal_before_its_deadline_is_drawn_through_the_deadline() -> None:
    """As of August, SAADO's revenue goal (due in September) is drawn with September on the
    axis: the pace line reaching the target there and the forecast beside it, while the
    value stops at August (the history holds September: it is not shown)."""
    import json

    from planrules.eval.evaluate import load

    plan = ROOT / "rulesets" / "saado.plan"
    ruleset = load(str(plan))
    snapshots = json.loads(plan.with_suffix(".json").read_text(encoding="utf-8"))
    history = history_of(ruleset, snapshots)
    page = render_html(ruleset.evaluate(snapshots, at="2026-08"), history, ruleset)
    goal = page[page.index('class="card item-goal"') :]
    goal = goal[: goal.index("</article>")]
    assert "2026-09" in goal and ">forecast<" in goal
    assert "1,860,000,000" not in page  # September's value, after the report's period


def test_who_does_what_lists_every_owner_and_keys_are_counted_whole() -> None:
    """An owner whose results all pass is listed, with how many; a count axis labels whole
    numbers only."""
    import json

    from planrules.eval.evaluate import load

    plan = ROOT / "rulesets" / "saado.plan"
    ruleset = load(str(plan))
    snapshots = json.loads(plan.with_suffix(".json").read_text(encoding="utf-8"))
    page = render_html(ruleset.evaluate(snapshots), history_of(ruleset, snapshots), ruleset)
    owners = page[page.index('id="owners"') :]
    assert "Marketing" in owners
    assert "datum.value % 1" not in page  # the label expression is applied, not written out


def test_the_wheel_ships_the_templates(tmp_path: Path) -> None:
    import zipfile

    from tests.test_packaging import build_wheel

    wheel = build_wheel(tmp_path / "wheel")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for template in ("base.html.j2", "macros.html.j2", "report.html.j2", "replay.html.j2"):
        assert f"planrules/report/templates/{template}" in names
