"""The server's life: the time limit (past it, 503, and the evaluation process replaced, not
left stuck), SIGTERM finishing the requests in flight, safe binding, the token file, and
several workers reloading and counting together."""

from __future__ import annotations

import re
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from planrules.cli import main
from tests.serve_helpers import (
    JSON,
    hash_of,
    many_reps_body,
    rulesets_copy,
    running_server,
    saado_snapshots,
    wait_until,
)

SAADO_AUGUST = {"snapshots": saado_snapshots(), "at": "2026-08"}
# SAADO with 5,000 reps: its JSON report takes a second or more to write.
SLOW_BODY = many_reps_body(5000)


def test_a_request_past_the_time_limit_is_503_and_frees_its_process(tmp_path: Path) -> None:
    folder = rulesets_copy(tmp_path)
    options = ("--time-limit", "0.3", "--processes", "1")
    with running_server(folder, *options) as server, server.client() as client:
        slow = client.post("/v1/rulesets/saado/evaluate", content=SLOW_BODY, headers=JSON)
        assert slow.status_code == 503
        error = slow.json()["error"]
        assert error["code"] == "timeout"
        assert "time limit of 0.3 s" in error["message"]
        # The one evaluation process was killed and replaced: the next request is answered
        # by the new one once it is ready, not queued behind the runaway.
        wait_until(lambda: _evaluates(client), server)
        assert re.search(r"planrules_timeouts_total 1\.0", client.get("/metrics").text)
        assert "ran past the time limit: replaced" in server.log()


def _evaluates(client: httpx.Client) -> bool:
    return client.post("/v1/rulesets/saado/evaluate", json=SAADO_AUGUST).status_code == 200


def test_sigterm_finishes_the_request_in_flight(tmp_path: Path) -> None:
    folder = rulesets_copy(tmp_path)
    with running_server(folder) as server:
        answers: list[httpx.Response] = []

        def send() -> None:
            with server.client() as client:
                answers.append(
                    client.post("/v1/rulesets/saado/evaluate", content=SLOW_BODY, headers=JSON)
                )

        sender = threading.Thread(target=send)
        sender.start()
        # Connected, then given a moment to send its 600 KB: the evaluation takes seconds.
        wait_until(lambda: _connections(server.url) >= 1, server)
        time.sleep(0.5)
        assert not answers
        server.signal(signal.SIGTERM)
        sender.join(60)
        # uvicorn, once it has finished, ends by the signal it was sent.
        assert server.process.wait(60) in (0, -signal.SIGTERM)
    [answer] = answers
    assert answer.status_code == 200
    assert answer.json()["ruleset"] == "SAADO Q3 online launch"
    log = server.log()
    assert "Shutting down" in log and "Finished server process" in log
    assert "Traceback" not in log


def _connections(url: str) -> int:
    """The connections established to the server's port, as the kernel lists them."""
    port = url.rsplit(":", 1)[1]
    established = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state = fields[1], fields[3]
        if state == "01" and int(local.split(":")[1], 16) == int(port):
            established += 1
    return established


def test_binding_beyond_loopback_needs_a_token_or_insecure(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", str(tmp_path), "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "--host 0.0.0.0 would serve every ruleset to the network without a token" in (
        result.output
    )
    assert "--token-file FILE, or --insecure" in result.output


@pytest.mark.parametrize(
    ("text", "words"), [("short\n", "at least 16 characters"), ("\n\n", "at least 16 characters")]
)
def test_a_token_file_must_hold_a_real_token(tmp_path: Path, text: str, words: str) -> None:
    token = tmp_path / "token"
    token.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["serve", str(tmp_path), "--token-file", str(token)])
    assert result.exit_code == 2
    assert words in result.output


def test_a_missing_token_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = CliRunner().invoke(main, ["serve", str(tmp_path), "--token-file", str(missing)])
    assert result.exit_code == 2
    assert f"{missing}: the token file cannot be read" in result.output


def test_no_ruleset_loaded_is_503_and_not_ready(tmp_path: Path) -> None:
    folder = tmp_path / "rulesets"
    folder.mkdir()
    (folder / "broken.plan").write_text('ruleset "B"\nmetric x: coun\n', encoding="utf-8")
    with running_server(folder, ready=False) as server, server.client() as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").json()["error"]["code"] == "not-ready"
        assert client.get("/readyz").status_code == 503
        response = client.post("/v1/rulesets/other/evaluate", json=SAADO_AUGUST)
        assert (response.status_code, response.json()["error"]["code"]) == (503, "not-ready")
        response = client.post("/v1/rulesets/broken/evaluate", json=SAADO_AUGUST)
        assert (response.status_code, response.json()["error"]["code"]) == (422, "ruleset-errors")
        # Mended, it loads, and the server is ready.
        (folder / "broken.plan").write_text(
            'ruleset "B"\nmetric x: count\nthreshold "T": x\n    warn below 2\n', encoding="utf-8"
        )
        wait_until(lambda: client.get("/readyz").status_code == 200, server)


def test_two_workers_serve_count_together_and_reload_on_sighup(tmp_path: Path) -> None:
    folder = rulesets_copy(tmp_path)
    with (
        running_server(folder, "--workers", "2", "--no-watch") as server,
        server.client() as client,
    ):
        for _ in range(6):
            assert _evaluates(client)
        # Each response may come from either worker; the metrics add up both.
        evaluations = re.search(
            r'planrules_evaluations_total\{ruleset="saado",status="fail"\} (\d+)',
            client.get("/metrics").text,
        )
        assert evaluations is not None and float(evaluations.group(1)) == 6
        before = hash_of(client, "saado")
        saado = folder / "saado.plan"
        saado.write_text(saado.read_text("utf-8").replace(">= 2 tỷ by", ">= 3 tỷ by"), "utf-8")
        server.signal(signal.SIGHUP)

        def all_reloaded() -> bool:
            # Fresh connections, so that both workers are asked.
            hashes = set()
            for _ in range(10):
                with server.client(limits=httpx.Limits(max_keepalive_connections=0)) as fresh:
                    hashes.add(hash_of(fresh, "saado"))
            return before not in hashes

        wait_until(all_reloaded, server)
        assert server.process.poll() is None
