"""Reloads without a gap: rulesets reload as their files change and on SIGHUP; a file that
fails to check never replaces the version in service; requests running meanwhile all get
their answer; a change to a `use`d file reloads the rulesets that use it."""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.serve_helpers import (
    Server,
    hash_of,
    rulesets_copy,
    running_server,
    saado_snapshots,
    wait_until,
)

SAADO_AUGUST = {"snapshots": saado_snapshots(), "at": "2026-08"}
MAIN = """ruleset "Main"
currency VND
period 2026-07-01 to 2026-09-30 monthly
use "shared/common.plan"

goal "Revenue": revenue >= {target} owner "Sales"
"""
COMMON = "metric revenue: money\n"
JULY = {"snapshots": [{"period": "2026-07", "metrics": {"revenue": 150}}]}


def _target(client: httpx.Client) -> int:
    report = client.post("/v1/rulesets/saado/evaluate", json=SAADO_AUGUST)
    assert report.status_code == 200, report.text
    result = next(r for r in report.json()["results"] if r["rule"] == "Doanh thu 2 tỷ")
    return int(result["target"])


class Load:
    """Requests sent one after another from a thread until stopped; every status kept."""

    def __init__(self, server: Server) -> None:
        self.statuses: list[int] = []
        self.targets: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(server,))

    def _run(self, server: Server) -> None:
        with server.client() as client:
            while not self._stop.is_set():
                response = client.post("/v1/rulesets/saado/evaluate", json=SAADO_AUGUST)
                self.statuses.append(response.status_code)
                if response.status_code == 200:
                    result = response.json()["results"][0]
                    self.targets.add(int(result["target"]))

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(60)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = rulesets_copy(tmp_path)
    (folder / "shared").mkdir()
    (folder / "shared" / "common.plan").write_text(COMMON, encoding="utf-8")
    (folder / "main.plan").write_text(MAIN.format(target=100), encoding="utf-8")
    return folder


@pytest.fixture
def server(folder: Path) -> Iterator[Server]:
    with running_server(folder) as running:
        yield running


def _edit_saado(folder: Path, old: str, new: str) -> None:
    path = folder / "saado.plan"
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_changed_file_is_served_while_requests_run(server: Server, folder: Path) -> None:
    with server.client() as client:
        before = hash_of(client, "saado")
        with Load(server) as load:
            wait_until(lambda: len(load.statuses) >= 3)
            _edit_saado(folder, ">= 2 tỷ by 2026-09-30", ">= 3 tỷ by 2026-09-30")
            wait_until(lambda: hash_of(client, "saado") != before)
            seen = len(load.statuses)
            wait_until(lambda: len(load.statuses) >= seen + 3)
        assert _target(client) == 3_000_000_000
    assert set(load.statuses) == {200}
    assert load.targets == {2_000_000_000, 3_000_000_000}


def test_a_file_that_fails_to_check_never_replaces_the_version_in_service(
    server: Server, folder: Path
) -> None:
    with server.client() as client:
        before = hash_of(client, "saado")
        with Load(server) as load:
            wait_until(lambda: len(load.statuses) >= 3)
            _edit_saado(folder, "total(doanh_thu) >= 2 tỷ", "total(doanh_thuu) >= 2 tỷ")

            def failed() -> bool:
                entry = next(
                    e for e in client.get("/v1/rulesets").json()["rulesets"] if e["name"] == "saado"
                )
                return entry["diagnostics"] is not None

            wait_until(failed)
            seen = len(load.statuses)
            wait_until(lambda: len(load.statuses) >= seen + 3)
        entry = next(
            e for e in client.get("/v1/rulesets").json()["rulesets"] if e["name"] == "saado"
        )
        assert entry["served"] is True and entry["hash"] == before
        assert entry["failed_hash"] != before
        [error] = [d for d in entry["diagnostics"] if d["severity"] == "error"]
        assert (error["code"], error["file"]) == ("unknown-name", "saado.plan")
        assert "did you mean `doanh_thu`?" in error["hint"]
        assert _target(client) == 2_000_000_000
        assert re.search(r"planrules_reload_failures_total [1-9]", client.get("/metrics").text)
        # Mended, it is served again, its problems gone.
        _edit_saado(folder, "total(doanh_thuu) >= 2 tỷ", "total(doanh_thu) >= 2 tỷ")
        wait_until(lambda: not failed())
        assert hash_of(client, "saado") == before
    assert set(load.statuses) == {200}


def test_a_change_to_a_used_file_reloads_the_rulesets_that_use_it(
    server: Server, folder: Path
) -> None:
    with server.client() as client:
        before = hash_of(client, "main")
        assert client.post("/v1/rulesets/main/evaluate", json=JULY).json()["status"] == "pass"
        common = folder / "shared" / "common.plan"
        common.write_text(COMMON + 'metric orders: count "Orders"\n', encoding="utf-8")
        wait_until(lambda: hash_of(client, "main") != before)
        metrics = [m["name"] for m in client.get("/v1/rulesets/main").json()["metrics"]]
        assert metrics == ["revenue", "orders"]
        # A used file that breaks keeps the version in service of each ruleset using it.
        after = hash_of(client, "main")
        common.write_text("metric revenue: monee\n", encoding="utf-8")
        wait_until(lambda: _main_entry(client)["diagnostics"] is not None)
        assert hash_of(client, "main") == after
        assert client.post("/v1/rulesets/main/evaluate", json=JULY).status_code == 200


def _main_entry(client: httpx.Client) -> dict[str, object]:
    listed = client.get("/v1/rulesets").json()["rulesets"]
    entry: dict[str, object] = next(e for e in listed if e["name"] == "main")
    return entry


def test_new_files_are_served_and_deleted_ones_no_longer(server: Server, folder: Path) -> None:
    with server.client() as client:
        (folder / "second.plan").write_text(MAIN.format(target=200), encoding="utf-8")
        wait_until(lambda: hash_of(client, "second") is not None)
        assert client.post("/v1/rulesets/second/evaluate", json=JULY).json()["status"] == "fail"
        (folder / "second.plan").unlink()
        wait_until(lambda: client.get("/v1/rulesets/second").status_code == 404)
        # A test file is not a ruleset.
        (folder / "main_test.plan").write_text('use "main.plan"\n', encoding="utf-8")
        (folder / "third.plan").write_text(MAIN.format(target=300), encoding="utf-8")
        wait_until(lambda: hash_of(client, "third") is not None)
        assert hash_of(client, "main_test") is None


def test_sighup_reloads_where_files_are_not_watched(folder: Path) -> None:
    with running_server(folder, "--no-watch") as server, server.client() as client:
        before = hash_of(client, "saado")
        _edit_saado(folder, ">= 2 tỷ by 2026-09-30", ">= 3 tỷ by 2026-09-30")
        # Unwatched, the change waits for the signal.
        assert _target(client) == 2_000_000_000
        server.signal(signal.SIGHUP)
        wait_until(lambda: hash_of(client, "saado") != before, server)
        assert _target(client) == 3_000_000_000
        assert server.process.poll() is None
