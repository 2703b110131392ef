"""`planrules.client`: the library's calls over HTTP, against a live server, giving reports
with the library's fields and methods, numbers as the JSON gives them."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

import planrules
from planrules.client import (
    BadInput,
    Client,
    ClientError,
    ConnectionFailed,
    RemoteReport,
    ServerError,
    SnapshotError,
)
from planrules.report.explain import explain
from tests.conftest import RULESETS
from tests.serve_helpers import (
    TOKEN,
    Server,
    free_port,
    rulesets_copy,
    running_server,
    saado_snapshots,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder: Path = rulesets_copy(tmp_path_factory.mktemp("client"))
    with running_server(folder) as running:
        yield running


@pytest.fixture
def client(server: Server) -> Iterator[Client]:
    with Client(server.url, token=TOKEN) as client:
        yield client


def _local(name: str = "saado") -> planrules.Ruleset:
    """The ruleset as the server compiles it, named relative to its folder."""
    return planrules.loads((RULESETS / f"{name}.plan").read_text("utf-8"), filename=f"{name}.plan")


@pytest.mark.parametrize("at", ["2026-07", "2026-08", "2026-09"])
def test_a_remote_report_is_the_librarys(client: Client, at: str) -> None:
    remote = client.evaluate("saado", saado_snapshots(), at=at)
    local = _local().evaluate(saado_snapshots(), at=at)
    assert (remote.ruleset, remote.as_of, remote.status) == (
        local.ruleset,
        local.as_of,
        local.status,
    )
    assert remote.counts == local.counts
    assert remote.to_json() == local.to_json()
    # Decimal against Decimal, each as the contract rounds it.
    assert remote.to_dict() == local.to_dict()
    assert [r.to_dict() for r in remote.results] == local.to_dict()["results"]
    assert len(remote.results) == len(local.results)
    for mine, theirs in zip(remote.results, local.results, strict=True):
        assert (mine.rule, mine.kind, mine.key, mine.status) == (
            theirs.rule,
            theirs.kind,
            theirs.key,
            theirs.status,
        )
        assert mine.owner == theirs.owner


def test_results_are_found_by_rule_and_key(client: Client) -> None:
    remote = client.evaluate("saado", saado_snapshots(), at="2026-08")
    hoa = remote.result("Chỉ tiêu đơn từng rep", "Hoa")
    assert hoa is not None
    assert (hoa.status, hoa.value, hoa.target) == ("fail", 600, 1300)
    assert hoa.forecast == 900 and hoa.reason is None
    assert [change["input"] for change in hoa.to_pass] == ["don_inbox", "don_dien_thoai"]
    revenue = remote.result("Doanh thu 2 tỷ")
    assert revenue is not None and revenue.progress == Decimal("0.57")
    assert isinstance(revenue.progress, Decimal)
    assert remote.result("Doanh thu 2 tỷ", "Hoa") is None
    assert [r.key for r in remote.results_for("Chỉ tiêu đơn từng rep")] == ["Hoa", "Lan", "Minh"]
    with pytest.raises(AttributeError, match="no field 'forcast'"):
        _ = revenue.forcast


def test_one_line_moves_a_caller_between_in_process_and_http(server: Server) -> None:
    def monthly_review(ruleset: planrules.Ruleset | planrules.client.RemoteRuleset) -> object:
        report = ruleset.evaluate(saado_snapshots(), at="2026-08")
        failing = [(r.rule, r.key) for r in report.results if r.status == "fail"]
        return report.status, report.counts, failing, report.to_json()

    with Client(server.url, token=TOKEN) as client:
        assert monthly_review(client.ruleset("saado")) == monthly_review(_local())


def test_numbers_are_sent_exactly(client: Client) -> None:
    snapshots = saado_snapshots()
    snapshots[1]["metrics"]["doanh_thu"] = Decimal("560000000.0000000001")
    snapshots[2]["metrics"]["doanh_thu"] = 580000000.5
    remote = client.evaluate("saado", snapshots, at="2026-08")
    assert remote.to_json() == _local().evaluate(snapshots, at="2026-08").to_json()


def test_replay_and_explain_are_the_librarys(client: Client) -> None:
    replay = client.replay("saado", saado_snapshots())
    local = _local().replay(saado_snapshots())
    assert replay.to_json() == local.to_json()
    assert (replay.periods, replay.overall) == (local.periods, local.overall)
    explanation = client.explain("saado", saado_snapshots(), "Chỉ tiêu đơn từng rep", key="Lan")
    expected = explain(_local(), saado_snapshots(), "Chỉ tiêu đơn từng rep", key="Lan")
    assert explanation.to_json() == expected.to_json()
    assert (explanation.rule, explanation.key, explanation.status) == (
        expected.rule,
        expected.key,
        expected.status,
    )
    assert len(explanation.steps) == len(expected.steps)


def test_check_rulesets_and_describe(client: Client) -> None:
    checked = client.check('ruleset "X"\ncurrency VND\nmetric m: count\ngoal "G": mm >= 1\n')
    assert not checked.ok
    assert [(d["code"], d["line"], d["column"]) for d in checked] == [("unknown-name", 4, 11)]
    names = [entry["name"] for entry in client.rulesets()]
    assert names == ["online_channel_zh", "promotion_budget", "race_kpis", "saado"]
    described = client.describe("saado")
    assert described["name"] == "saado" and described["currency"] == "VND"


def test_bad_snapshots_raise_bad_input_naming_period_and_metric(client: Client) -> None:
    snapshots = saado_snapshots()
    snapshots[2]["metrics"]["tiep_can"] = "many"
    with pytest.raises(BadInput) as raised:
        client.evaluate("saado", snapshots)
    assert raised.value.status == 400 and raised.value.code == "bad-snapshots"
    assert "period 2026-08" in raised.value.message and "tiep_can" in raised.value.message


def test_server_errors_raise_with_status_and_code(server: Server, client: Client) -> None:
    with pytest.raises(ServerError) as unknown:
        client.evaluate("nope", saado_snapshots())
    assert (unknown.value.status, unknown.value.code) == (404, "unknown-ruleset")
    assert not isinstance(unknown.value, BadInput)
    with Client(server.url) as anonymous, pytest.raises(ServerError) as refused:
        anonymous.rulesets()
    assert (refused.value.status, refused.value.code) == (401, "unauthorized")


def _july(value: object, metric: str = "tiep_can") -> list[dict[str, Any]]:
    return [{"period": "2026-07", "metrics": {metric: value}}]


UNSENDABLE = [
    _july(float("nan")),
    _july(float("inf")),
    _july(float("-inf"), "doanh_thu"),
    _july(Decimal("NaN")),
    _july(Decimal("-Infinity")),
    _july({"rep1": float("nan")}, "don_inbox"),
    _july({1: 5}, "don_inbox"),
    _july({"rep1": datetime.date(2026, 7, 1)}, "don_inbox"),
    _july(datetime.date(2026, 7, 1)),
    _july({1, 2}),
    _july(b"5"),
    _july(object()),
    [{"period": datetime.date(2026, 7, 1), "metrics": {"tiep_can": 1}}],
    {frozenset({1})},
    {"snapshots": {1, 2}},
]


@pytest.mark.parametrize("snapshots", UNSENDABLE, ids=repr)
def test_what_json_would_change_is_refused_as_the_library_refuses_it(
    client: Client, snapshots: object
) -> None:
    """NaN, infinities, keys that are not text, dates, sets: JSON would turn them into null,
    "1", text or a list, and the server would evaluate what the library refuses."""
    with pytest.raises(SnapshotError) as local:
        _local().evaluate(snapshots)
    with pytest.raises(SnapshotError) as remote:
        client.evaluate("saado", snapshots)
    assert str(remote.value) == str(local.value)


def test_what_json_carries_is_sent_as_the_library_reads_it(client: Client) -> None:
    snapshots = saado_snapshots()
    snapshots[1]["metrics"]["doanh_thu"] = 1234567.5
    snapshots[2]["metrics"]["doanh_thu"] = Decimal("2345678.25")
    remote = client.evaluate("saado", tuple(snapshots), at="2026-08")
    assert remote.to_json() == _local().evaluate(snapshots, at="2026-08").to_json()


def test_a_lone_surrogate_reaches_the_server_and_is_named(client: Client) -> None:
    with pytest.raises(BadInput) as raised:
        client.evaluate("saado", saado_snapshots(), at="\ud800")
    assert "`at`" in raised.value.message and "\\ud800" in raised.value.message


def test_a_remote_report_has_the_currency_and_allocations(client: Client) -> None:
    remote = client.evaluate("saado", saado_snapshots())
    local = _local().evaluate(saado_snapshots())
    assert remote.currency == local.currency == "VND"
    [allocation] = local.allocations
    assert remote.allocation(allocation.budget) == json.loads(
        json.dumps(allocation.to_dict(), default=int)
    )
    assert remote.allocation("no such budget") is None


def test_a_server_that_cannot_be_reached_raises_the_clients_error(tmp_path: Path) -> None:
    with (
        Client(f"http://127.0.0.1:{free_port()}") as nowhere,
        pytest.raises(ConnectionFailed) as raised,
    ):
        nowhere.rulesets()
    assert isinstance(raised.value.__cause__, httpx.ConnectError)
    assert isinstance(raised.value, ClientError) and "/v1/rulesets" in str(raised.value)
    with pytest.raises(ClientError, match="not the URL of a server"):
        Client("http://[::1")


def test_a_remote_report_reads_any_report_json() -> None:
    text = _local().evaluate(json.loads((RULESETS / "saado.json").read_text("utf-8"))).to_json()
    report = RemoteReport(text)
    assert report.status == "fail" and report.as_of == "2026-09"
    assert report.to_json() is text
