"""Snapshots of a finer cadence rolled up into the plan's (`--roll-up`, the header `roll up`):
worked cases with their arithmetic, the errors, the CLI, and a property against hand sums."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from planrules.cli import main
from planrules.eval.evaluate import Ruleset, loads
from planrules.eval.history import History, read_history
from planrules.eval.mismatch import data_warnings, partial_periods
from planrules.eval.rollup import PartlyCovered, RollUp, finer_periods_in
from planrules.eval.snapshot import SnapshotError
from planrules.eval.values import Unknown
from planrules.lang.diagnostics import InputError
from planrules.lang.periods import parse_period
from tests.eval_helpers import exact

HEADER = """\
ruleset "Shop"
currency VND
period 2026-07-01 to 2026-09-30 monthly
metric revenue: money
metric orders: count
metric spend: money by channel
metric customers: count stock
metric stock_by_store: count by store stock
metric conversion: ratio
metric score: number
"""

RULES = """\
threshold "Revenue": revenue warn below 100
threshold "Orders": orders warn below 1
threshold "Customers": customers warn below 1
threshold "Spend" per channel: spend warn above 1000000
goal "Revenue so far": total(revenue) >= 1 by 2026-09-30
"""


def ruleset(body: str = RULES, header: str = HEADER) -> Ruleset:
    return loads(header + body, filename="shop.plan")


def day_range(first: str, last: str) -> list[datetime.date]:
    start, end = datetime.date.fromisoformat(first), datetime.date.fromisoformat(last)
    return [start + datetime.timedelta(days=n) for n in range((end - start).days + 1)]


def snap(period: str, **metrics: Any) -> dict[str, Any]:
    return {"period": period, "metrics": metrics}


def rolled(data: Any, body: str = RULES, header: str = HEADER) -> History:
    return ruleset(body, header).history(data, roll_up=True)


def metrics_of(history: History, period: str) -> dict[str, Any]:
    found = [s for s in history.snapshots if s.period == parse_period(period)]
    assert len(found) == 1, f"no snapshot of {period}"
    return found[0].metrics


def value_of(report: Any, rule: str, key: str | None = None) -> Any:
    result = report.result(rule, key)
    assert result is not None
    return result


def raises(call: Any, *fragments: str) -> str:
    with pytest.raises(SnapshotError) as caught:
        call()
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


# ---- days into months ----------------------------------------------------------------------


def test_days_are_summed_into_their_month() -> None:
    # July 2026: revenue is the day of the month, 1 + 2 + ... + 31 = 31 * 32 / 2 = 496;
    # orders 0.1 a day, 31 * 0.1 = 3.1 exactly (a float sum would be 3.1000000000000005).
    data = [
        snap(day.isoformat(), revenue=day.day, orders=Decimal("0.1"))
        for day in day_range("2026-07-01", "2026-07-31")
    ]
    history = rolled(data)
    assert [s.period for s in history.snapshots] == [parse_period("2026-07")]
    july = metrics_of(history, "2026-07")
    assert exact(july["revenue"], 496)
    assert exact(july["orders"], Decimal("3.1"))
    assert type(july) is dict  # every day given: nothing partial


def test_a_stock_takes_the_last_snapshot_of_the_period() -> None:
    # customers is a level: July's is July 31's (100 + 31), not a sum; August's is the last
    # day that gives it (August 30), as August 31 leaves it out.
    data = [
        snap(day.isoformat(), customers=100 + day.day)
        for day in day_range("2026-07-01", "2026-08-30")
    ]
    data.append(snap("2026-08-31", revenue=5))
    history = rolled(data)
    assert metrics_of(history, "2026-07")["customers"] == 131
    assert metrics_of(history, "2026-08")["customers"] == 130


def test_keyed_flows_are_summed_key_by_key_and_keyed_stocks_are_the_last_snapshot() -> None:
    # spend by channel: web 10 every day of July (310); tv 1000 on July 1 and 2 only (2000),
    # absent (0) on the other days; radio appears on July 31 (7).
    # stock_by_store: the last day's map, July 31 {a: 31}; store b, given only on July 1, is
    # no key of July's level.
    data = []
    for day in day_range("2026-07-01", "2026-07-31"):
        spend = {"web": 10}
        if day.day <= 2:
            spend["tv"] = 1000
        if day.day == 31:
            spend["radio"] = 7
        stores = {"a": day.day, "b": 5} if day.day == 1 else {"a": day.day}
        data.append(snap(day.isoformat(), spend=spend, stock_by_store=stores))
    july = metrics_of(rolled(data), "2026-07")
    assert july["spend"] == {"web": 310, "tv": 2000, "radio": 7}
    assert july["stock_by_store"] == {"a": 31}


def test_rolled_up_months_are_evaluated_as_months() -> None:
    # Every day of July and August: revenue 4 a day (July 124, August 124); total through
    # August 248. Orders 1 a day: July 31.
    data = [
        snap(day.isoformat(), revenue=4, orders=1, customers=day.day, spend={"web": 1})
        for day in day_range("2026-07-01", "2026-08-31")
    ]
    report = ruleset().evaluate(rolled(data), at="2026-08")
    assert report.as_of == "2026-08"
    assert exact(value_of(report, "Revenue").value, 124)
    assert exact(value_of(report, "Revenue so far").value, 248)
    assert exact(value_of(report, "Customers").value, 31)
    assert exact(value_of(report, "Spend", "web").value, 31)


# ---- weeks into months and quarters --------------------------------------------------------


def weeks(first: int, last: int, **metrics: Any) -> list[dict[str, Any]]:
    return [snap(f"2026-W{week:02d}", **metrics) for week in range(first, last + 1)]


def test_an_iso_week_belongs_to_the_month_holding_its_thursday() -> None:
    # W27 runs 2026-06-29 to 07-05 (Thursday July 2): July. W31 runs 07-27 to 08-02 (Thursday
    # July 30): July, though it ends in August. W32 (Thursday August 6) is August's first.
    # Revenue is the week's number: July W27..W31 = 27 + 28 + 29 + 30 + 31 = 145; August
    # W32..W35 = 32 + 33 + 34 + 35 = 134; September W36..W39 = 36 + 37 + 38 + 39 = 150.
    data = [snap(f"2026-W{week:02d}", revenue=week) for week in range(27, 40)]
    history = rolled(data)
    assert [(s.period, s.metrics["revenue"]) for s in history.snapshots] == [
        (parse_period("2026-07"), 145),
        (parse_period("2026-08"), 134),
        (parse_period("2026-09"), 150),
    ]
    assert all(type(s.metrics) is dict for s in history.snapshots)  # 5, 4 and 4 weeks: whole


def test_weeks_into_a_quarterly_plan() -> None:
    # Q3 2026 holds the 13 Thursdays July 2 .. September 24: weeks W27..W39, each 10 orders,
    # 130 in all. W26 (Thursday June 25) is Q2's, W40 (Thursday October 1) Q4's: one week
    # each, so their orders are unknown. Q4 holds 14 Thursdays, October 1 to December 31
    # (ISO year 2026 has 53 weeks).
    header = HEADER.replace("2026-09-30 monthly", "2026-12-31 quarterly")
    history = rolled(weeks(26, 40, orders=10), "", header)
    assert [s.period for s in history.snapshots] == [
        parse_period("2026-Q2"),
        parse_period("2026-Q3"),
        parse_period("2026-Q4"),
    ]
    assert metrics_of(history, "2026-Q3") == {"orders": 130}
    q4 = metrics_of(history, "2026-Q4")
    assert isinstance(q4, PartlyCovered)
    assert q4.coverage == {"orders": "1 of 14 weeks"}
    assert metrics_of(history, "2026-Q2").coverage == {"orders": "1 of 13 weeks"}
    assert finer_periods_in(parse_period("2026-Q3"), "weekly") == 13


def test_days_into_a_weekly_plan_and_months_into_a_quarterly_one() -> None:
    weekly = HEADER.replace("2026-09-30 monthly", "2026-09-30 weekly")
    days = [snap(day.isoformat(), orders=2) for day in day_range("2026-07-06", "2026-07-12")]
    assert metrics_of(rolled(days, "", weekly), "2026-W28") == {"orders": 14}  # 7 days x 2
    quarterly = HEADER.replace("2026-09-30 monthly", "2026-09-30 quarterly")
    months = [snap(f"2026-0{month}", orders=month) for month in (7, 8, 9)]
    assert metrics_of(rolled(months, "", quarterly), "2026-Q3") == {"orders": 24}  # 7 + 8 + 9


# ---- periods only partly covered -----------------------------------------------------------


def partial_history() -> list[dict[str, Any]]:
    """July 10 to September 12: July is 22 of 31 days, September 12 of 30; August whole.
    Revenue 1 a day, customers the day of the month, spend on web 2 a day."""
    return [
        snap(day.isoformat(), revenue=1, customers=day.day, spend={"web": 2})
        for day in day_range("2026-07-10", "2026-09-12")
    ]


def test_a_flow_in_a_partly_covered_period_is_unknown_with_the_coverage() -> None:
    plan = ruleset()
    history = plan.history(partial_history(), roll_up=True)
    july = plan.evaluate(history, at="2026-07")
    revenue = value_of(july, "Revenue")
    assert revenue.status == "unknown"
    assert revenue.reason.startswith("2026-07: 22 of 31 days")
    assert "`revenue`" in revenue.reason
    spend = value_of(july, "Spend", "web")  # a keyed flow: its keys exist, each unknown
    assert spend.status == "unknown"
    assert "2026-07: 22 of 31 days" in spend.reason
    # A stock still takes the period's last snapshot: July 31.
    assert exact(value_of(july, "Customers").value, 31)
    august = plan.evaluate(history, at="2026-08")
    assert exact(value_of(august, "Revenue").value, 31)  # whole: 31 days x 1
    # The window's total reads July, so it is unknown for July's reason.
    total = value_of(august, "Revenue so far")
    assert total.status == "unknown"
    assert "2026-07: 22 of 31 days" in total.reason
    september = plan.evaluate(history, at="2026-09")
    assert value_of(september, "Revenue").reason.startswith("2026-09: 12 of 30 days")
    assert exact(value_of(september, "Customers").value, 12)


def test_partly_covered_periods_are_warned_partial_period() -> None:
    plan = ruleset()
    history = plan.history(partial_history(), roll_up=True)
    timeline = plan.timeline(history)
    partial = partial_periods(history.snapshots, timeline.layout.positions)
    assert [p.metrics.label for p in partial] == ["2026-07", "2026-09"]
    at_august = timeline.moment(timeline.current("2026-08"))
    warnings = data_warnings(plan.scope, plan.budgets, [], at_august, partial)
    assert [(w.code, w.period) for w in warnings] == [("partial-period", "2026-07")]
    message = warnings[0].message
    assert "`revenue` 22 of 31 days" in message and "`spend` 22 of 31 days" in message
    assert warnings[0].file == "<snapshots>"


def test_the_report_warns_partial_period() -> None:
    plan = ruleset()
    report = plan.evaluate(plan.history(partial_history(), roll_up=True), at="2026-07")
    assert [w.code for w in report.warnings] == ["partial-period"]


def test_an_unkeyed_partial_flow_is_left_out_of_the_snapshot() -> None:
    # So that a run of thresholds, which reads the snapshot straight, never takes 22 days'
    # revenue for July's; the keyed flow keeps its keys (they come into being in July).
    july = metrics_of(rolled(partial_history()), "2026-07")
    assert isinstance(july, PartlyCovered)
    assert "revenue" not in july
    assert july["spend"] == {"web": 44}
    assert july["customers"] == 31
    assert isinstance(july.unknown("revenue"), Unknown)


def test_a_flow_given_on_fewer_days_than_another_is_partial_alone() -> None:
    # orders every day of July, revenue on 30 of its 31 days: only revenue is unknown.
    data = [
        snap(day.isoformat(), orders=1, revenue=1) for day in day_range("2026-07-01", "2026-07-30")
    ]
    data.append(snap("2026-07-31", orders=1))
    report = ruleset().evaluate(rolled(data))
    assert value_of(report, "Revenue").reason.startswith("2026-07: 30 of 31 days")
    assert exact(value_of(report, "Orders").value, 31)


# ---- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metric", "value", "what"),
    [("conversion", 0.5, "a ratio"), ("score", 3, "a number (not a count or money)")],
)
def test_a_ratio_or_number_cannot_be_rolled_up(metric: str, value: float, what: str) -> None:
    data = [snap("2026-07-01", revenue=1), snap("2026-07-02", **{metric: value})]
    raises(
        lambda: rolled(data),
        f"period 2026-07-02, metric `{metric}`: {what} cannot be summed",
        "cannot be rolled up into monthly periods",
    )


def test_a_period_given_at_two_cadences_is_an_error(tmp_path: Path) -> None:
    plan = ruleset()
    months = tmp_path / "months.json"
    months.write_text(json.dumps([snap("2026-07", revenue=100)]), encoding="utf-8")
    days = tmp_path / "days.json"
    days.write_text(json.dumps([snap("2026-07-03", revenue=1)]), encoding="utf-8")
    raises(
        lambda: plan.read([str(months), str(days)], roll_up=True),
        "period 2026-07 is given at two cadences: as days (in",
        f"and as a month (in {months})",
    )
    raises(
        lambda: rolled([snap("2026-07-01", revenue=1), snap("2026-W28", revenue=7)]),
        "period 2026-07 is given at two cadences: as days (in <snapshots>) and as ISO weeks",
    )


def test_other_periods_may_each_have_their_own_cadence() -> None:
    # June as a month, July from its days: each period at one cadence.
    data = [snap("2026-06", revenue=50)] + [
        snap(day.isoformat(), revenue=2) for day in day_range("2026-07-01", "2026-07-31")
    ]
    history = rolled(data)
    assert [s.metrics["revenue"] for s in history.snapshots] == [50, 62]


def test_a_day_given_in_two_files_is_an_error(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps([snap("2026-07-01", revenue=1)]), encoding="utf-8")
    second.write_text(json.dumps([snap("2026-07-01", revenue=1)]), encoding="utf-8")
    raises(
        lambda: ruleset().read([str(first), str(second)], roll_up=True),
        f"{second}: period 2026-07-01, metric `revenue`: given in both {first} and {second}",
    )


def test_a_sum_past_the_limits_is_an_error() -> None:
    big = 10**24
    data = [snap("2026-07-01", revenue=big), snap("2026-07-02", revenue=big)]
    raises(
        lambda: rolled(data),
        "period 2026-07, metric `revenue`: its sum over the period",
        "too large",
    )


def test_without_roll_up_finer_snapshots_are_still_an_error(tmp_path: Path) -> None:
    path = tmp_path / "days.json"
    path.write_text(json.dumps([snap("2026-07-01", revenue=1)]), encoding="utf-8")
    raises(
        lambda: ruleset().read([str(path)]),
        "period 2026-07-01 is a day, but the ruleset is monthly: write its periods as 2026-07",
        "or roll them up with `--roll-up` or the header `roll up`",
    )
    # A coarser period cannot be rolled up, and is not offered it.
    quarter = tmp_path / "quarter.json"
    quarter.write_text(json.dumps([snap("2026-Q3", revenue=1)]), encoding="utf-8")
    message = raises(lambda: ruleset().read([str(quarter)], roll_up=True), "is a quarter")
    assert "--roll-up" not in message


def test_the_header_roll_up_rolls_up_without_being_asked() -> None:
    header = HEADER.replace("monthly\n", "monthly\nroll up\n")
    data = [snap(day.isoformat(), revenue=3) for day in day_range("2026-07-01", "2026-07-31")]
    report = ruleset(RULES, header).evaluate(data)
    assert exact(value_of(report, "Revenue").value, 93)  # 31 days x 3


def test_roll_up_needs_a_period_header(tmp_path: Path) -> None:
    plan = loads('ruleset "r"\nmetric revenue: money\n', filename="r.plan")
    with pytest.raises(InputError, match="no `period` header"):
        plan.read([str(tmp_path / "missing.json")], roll_up=True)


def test_read_history_rolls_up_a_workbook_style_csv(tmp_path: Path) -> None:
    path = tmp_path / "days.csv"
    rows = "".join(f"2026-07-{day:02d},{day}\n" for day in range(1, 32))
    path.write_text("period,revenue\n" + rows, encoding="utf-8")
    plan = ruleset()
    assert plan.scope is not None
    history = read_history(
        [str(path)], plan.shapes, "monthly", roll_up=RollUp.of(plan.scope.metrics, "monthly")
    )
    assert metrics_of(history, "2026-07") == {"revenue": 496}


# ---- the CLI -------------------------------------------------------------------------------


def write_files(folder: Path, data: list[dict[str, Any]], body: str = RULES) -> tuple[str, str]:
    plan = folder / "shop.plan"
    plan.write_text(HEADER + body, encoding="utf-8")
    history = folder / "days.json"
    history.write_text(json.dumps(data), encoding="utf-8")
    return str(plan), str(history)


def full_july_and_august() -> list[dict[str, Any]]:
    return [
        snap(day.isoformat(), revenue=4, orders=1, customers=day.day, spend={"web": 1})
        for day in day_range("2026-07-01", "2026-08-31")
    ]


def test_cli_eval_without_and_with_roll_up(runner: CliRunner, tmp_path: Path) -> None:
    plan, history = write_files(tmp_path, full_july_and_august())
    refused = runner.invoke(main, ["eval", plan, history])
    assert refused.exit_code == 2
    assert "or roll them up with `--roll-up` or the header `roll up`" in refused.output
    result = runner.invoke(main, ["eval", plan, history, "--roll-up", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["as_of"] == "2026-08"
    values = {r["rule"]: r["value"] for r in report["results"]}
    assert values["Revenue"] == 124 and values["Revenue so far"] == 248


def test_cli_replay_and_explain_roll_up(runner: CliRunner, tmp_path: Path) -> None:
    plan, history = write_files(tmp_path, partial_history())
    replay = runner.invoke(main, ["replay", plan, history, "--roll-up", "--format", "json"])
    assert replay.exit_code == 0, replay.output
    rules = {rule["rule"]: rule["statuses"] for rule in json.loads(replay.stdout)["rules"]}
    # Revenue: July and September partly covered; August whole, 31 below 100 warns.
    assert rules["Revenue"] == {"2026-07": "unknown", "2026-08": "warn", "2026-09": "unknown"}
    explained = runner.invoke(
        main, ["explain", plan, history, "--roll-up", "--rule", "Revenue", "--at", "2026-07"]
    )
    assert explained.exit_code == 0, explained.output
    assert "2026-07: 22 of 31 days" in explained.stdout


def test_cli_test_rolls_up_a_test_s_snapshots(runner: CliRunner, tmp_path: Path) -> None:
    write_files(tmp_path, full_july_and_august())
    (tmp_path / "shop_test.plan").write_text(
        'use "shop.plan"\n'
        'test "July from its days" {\n'
        '    snapshots "days.json"\n'
        "    at 2026-07\n"
        '    expect value of "Revenue" == 124\n'
        "}\n",
        encoding="utf-8",
    )
    test_file = str(tmp_path / "shop_test.plan")
    refused = runner.invoke(main, ["test", test_file])
    assert refused.exit_code == 2
    assert "or roll them up with `--roll-up`" in refused.output
    result = runner.invoke(main, ["test", test_file, "--roll-up"])
    assert result.exit_code == 0, result.output
    assert "1 passed" in result.output


# ---- rolling up days equals summing them by hand -------------------------------------------

AMOUNTS = st.one_of(
    st.integers(min_value=0, max_value=10**9),
    st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False),
)
QUARTER = day_range("2026-07-01", "2026-09-30")
PROPERTY_RULES = """\
goal "Revenue": total(revenue) >= 5000 by 2026-09-30
threshold "Orders": orders warn below 40 fail below 10
threshold "Customers": customers warn below 50
threshold "Spend" per channel: spend warn above 3000
"""


@settings(max_examples=25, deadline=None)
@given(
    revenue=st.lists(AMOUNTS, min_size=len(QUARTER), max_size=len(QUARTER)),
    orders=st.lists(st.integers(0, 5), min_size=len(QUARTER), max_size=len(QUARTER)),
    customers=st.lists(st.integers(0, 100), min_size=len(QUARTER), max_size=len(QUARTER)),
    web=st.lists(st.one_of(st.none(), AMOUNTS), min_size=len(QUARTER), max_size=len(QUARTER)),
)
def test_rolled_up_days_evaluate_as_the_hand_summed_months(
    revenue: list[Any], orders: list[int], customers: list[int], web: list[Any]
) -> None:
    days = []
    by_month: dict[str, dict[str, Any]] = {}
    for index, day in enumerate(QUARTER):
        spend = {"web": web[index]} if web[index] is not None else {}
        days.append(
            snap(
                day.isoformat(),
                revenue=revenue[index],
                orders=orders[index],
                customers=customers[index],
                spend=spend,
            )
        )
        month = by_month.setdefault(
            f"2026-{day.month:02d}", {"revenue": 0, "orders": 0, "spend": {}}
        )
        month["revenue"] += revenue[index]
        month["orders"] += orders[index]
        month["customers"] = customers[index]  # the last day's
        if web[index] is not None:
            month["spend"]["web"] = month["spend"].get("web", 0) + web[index]
    plan = ruleset(PROPERTY_RULES)
    by_hand = [snap(period, **metrics) for period, metrics in by_month.items()]
    for at in ("2026-07", "2026-08", "2026-09"):
        rolled_up = plan.evaluate(plan.history(days, roll_up=True), at=at).to_dict()
        summed = plan.evaluate(by_hand, at=at).to_dict()
        assert rolled_up == summed


# ---- workbooks whose period column holds date cells ---------------------------------------


def day_workbook(path: Path, long: bool) -> str:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Days"
    sheet.append(["period", "metric", "key", "value"] if long else ["period", "revenue"])
    for day in day_range("2026-07-01", "2026-07-31"):
        sheet.append([day, "revenue", None, 10] if long else [day, 10])
    book.save(path)
    return str(path)


@pytest.mark.parametrize("long", [False, True])
def test_date_cells_of_days_are_read_as_days_when_rolling_up(tmp_path: Path, long: bool) -> None:
    path = day_workbook(tmp_path / "days.xlsx", long)
    plan = ruleset()
    assert metrics_of(plan.read([path], roll_up=True), "2026-07") == {"revenue": 310}
    # Without rolling up, each date is read as its month, given many times: the error
    # says how to sum them instead.
    with pytest.raises(SnapshotError) as caught:
        plan.read([path])
    where = "D3: `revenue` for 2026-07" if long else "A3: 2026-07"
    assert str(caught.value) == (
        f"{path}:Days!{where} is given twice ("
        + ("also at D2" if long else "rows 2 and 3")
        + "); its dates are read as periods of the ruleset's cadence (monthly): to sum days "
        "into them, roll them up with `--roll-up` or the header `roll up`"
    )


def test_a_test_file_rolls_up_a_workbook_of_date_cells(tmp_path: Path) -> None:
    day_workbook(tmp_path / "days.xlsx", long=False)
    plan = tmp_path / "shop.plan"
    plan.write_text(HEADER.replace("monthly\n", "monthly\nroll up\n") + RULES, encoding="utf-8")
    (tmp_path / "shop_test.plan").write_text(
        'use "shop.plan"\n\ntest "July" {\n    snapshots "days.xlsx"\n'
        '    expect "Revenue" pass\n}\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["test", str(tmp_path / "shop_test.plan")])
    assert result.exit_code == 0, result.output
