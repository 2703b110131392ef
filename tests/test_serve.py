"""`planrules serve`, spoken to over HTTP: every endpoint, every error, the token, the body
limit, the access log. One server for the module, on a copy of the example rulesets with a
broken one beside them."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import planrules
from planrules.report.explain import explain
from planrules.report.render import render
from tests.conftest import RULESETS
from tests.serve_helpers import (
    JSON,
    TOKEN,
    Server,
    rulesets_copy,
    running_server,
    saado_snapshots,
    wait_until,
)

BROKEN = 'ruleset "Broken"\ncurrency VND\nmetric revenue: money\ngoal "G": revenu >= 1\n'
# A ruleset that uses a file beside the served folder, which a server never reads.
OUTSIDE = 'ruleset "Outside"\nuse "../shared.plan"\n'
SAADO_AUGUST = {"snapshots": saado_snapshots(), "at": "2026-08"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = rulesets_copy(tmp_path_factory.mktemp("serve"))
    (folder / "broken.plan").write_text(BROKEN, encoding="utf-8")
    (folder / "outside.plan").write_text(OUTSIDE, encoding="utf-8")
    (folder.parent / "shared.plan").write_text('ruleset "Shared"\n', encoding="utf-8")
    with running_server(folder) as running:
        yield running


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def error_of(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert "Traceback" not in response.text
    return error


# ---- health and the token ------------------------------------------------------------------


def test_health_and_readiness_need_no_token(server: Server) -> None:
    with server.client(token=None) as anonymous:
        assert anonymous.get("/healthz").json() == {"status": "alive"}
        assert anonymous.get("/readyz").json() == {"status": "ready", "rulesets": 4}


@pytest.mark.parametrize("path", ["/v1/rulesets", "/v1/rulesets/saado", "/metrics", "/docs"])
@pytest.mark.parametrize("token", [None, "wrong-token-0123456789", TOKEN + "x", TOKEN[:-1]])
def test_everything_else_needs_the_token(server: Server, path: str, token: str | None) -> None:
    with server.client(token=token) as client:
        response = client.get(path)
    error = error_of(response, 401, "unauthorized")
    assert "Bearer" in error["message"]
    assert response.headers["www-authenticate"] == "Bearer"


def test_the_token_is_taken_only_as_a_bearer_token(server: Server) -> None:
    with server.client(token=None) as client:
        response = client.get("/v1/rulesets", headers={"Authorization": TOKEN})
    error_of(response, 401, "unauthorized")


# ---- what is served ------------------------------------------------------------------------


def test_the_rulesets_are_listed_with_hash_rules_and_load_time(http: httpx.Client) -> None:
    listed = {entry["name"]: entry for entry in http.get("/v1/rulesets").json()["rulesets"]}
    assert sorted(listed) == [
        "broken",
        "online_channel_zh",
        "outside",
        "promotion_budget",
        "race_kpis",
        "saado",
    ]
    saado = listed["saado"]
    assert saado["served"] is True
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", saado["hash"])
    assert saado["rules"] == len(planrules.load(str(RULESETS / "saado.plan")).checked.rules)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", saado["loaded_at"])
    assert saado["diagnostics"] is None


def test_a_ruleset_that_fails_to_check_shows_its_diagnostics(http: httpx.Client) -> None:
    listed = {entry["name"]: entry for entry in http.get("/v1/rulesets").json()["rulesets"]}
    broken = listed["broken"]
    assert (broken["served"], broken["hash"], broken["rules"]) == (False, None, None)
    [diagnostic] = [d for d in broken["diagnostics"] if d["severity"] == "error"]
    assert diagnostic["code"] == "unknown-name"
    assert (diagnostic["file"], diagnostic["line"], diagnostic["column"]) == ("broken.plan", 4, 11)
    assert "did you mean `revenue`?" in diagnostic["hint"]
    assert diagnostic["text"].startswith("broken.plan:4:11: unknown-name:")


def test_a_ruleset_says_what_a_caller_must_send(http: httpx.Client) -> None:
    described = http.get("/v1/rulesets/saado").json()
    metrics = {metric["name"]: metric for metric in described["metrics"]}
    assert metrics["chi_phi"] == {
        "name": "chi_phi",
        "unit": "money",
        "dimension": "kenh",
        "stock": False,
        "description": "Ad spend per channel",
    }
    assert metrics["khach_trung_thanh"]["stock"] is True
    rules = {rule["name"]: rule for rule in described["rules"]}
    assert rules["Doanh thu 2 tỷ"] == {
        "name": "Doanh thu 2 tỷ",
        "kind": "goal",
        "per": None,
        "owner": "Trưởng nhóm sales",
    }
    assert rules["Chỉ tiêu đơn từng rep"]["per"] == "rep"
    assert described["currency"] == "VND"
    assert described["period"] == {"start": "2026-07-01", "end": "2026-09-30", "cadence": "monthly"}


# ---- evaluate, replay, explain: the library's own texts --------------------------------------


def _saado() -> planrules.Ruleset:
    """SAADO as the server compiles it: named relative to the served folder."""
    return planrules.loads((RULESETS / "saado.plan").read_text("utf-8"), filename="saado.plan")


def test_evaluate_answers_the_libraries_json_report(http: httpx.Client) -> None:
    response = http.post("/v1/rulesets/saado/evaluate", json=SAADO_AUGUST)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.text == _saado().evaluate(saado_snapshots(), at="2026-08").to_json()


@pytest.mark.parametrize(
    ("format", "media"),
    [
        ("text", "text/plain; charset=utf-8"),
        ("markdown", "text/markdown; charset=utf-8"),
        ("junit", "application/xml"),
    ],
)
def test_evaluate_answers_the_other_formats(http: httpx.Client, format: str, media: str) -> None:
    response = http.post(f"/v1/rulesets/saado/evaluate?format={format}", json=SAADO_AUGUST)
    assert response.status_code == 200
    assert response.headers["content-type"] == media
    report = _saado().evaluate(saado_snapshots(), at="2026-08")
    assert response.text == render(report, format)


def test_evaluate_answers_the_html_report(http: httpx.Client) -> None:
    response = http.post("/v1/rulesets/saado/evaluate?format=html", json=SAADO_AUGUST)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text.startswith("<!DOCTYPE html>") or response.text.startswith("<!doctype")
    assert "Doanh thu 2 tỷ" in response.text and "<svg" in response.text


def test_strict_counts_an_unknown_result_as_failing(http: httpx.Client) -> None:
    july_without_revenue = saado_snapshots()[:2]
    del july_without_revenue[1]["metrics"]["doanh_thu"]
    body = {"snapshots": july_without_revenue, "strict": True}
    response = http.post("/v1/rulesets/saado/evaluate", json=body)
    expected = _saado().evaluate(july_without_revenue, strict=True)
    assert response.json()["status"] == expected.status == "fail"
    assert response.text == expected.to_json()


def test_replay_answers_the_libraries_replay(http: httpx.Client) -> None:
    response = http.post("/v1/rulesets/saado/replay", json={"snapshots": saado_snapshots()})
    assert response.status_code == 200
    assert response.text == _saado().replay(saado_snapshots()).to_json()
    text = http.post("/v1/rulesets/saado/replay?format=text", json={"snapshots": saado_snapshots()})
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    assert "2026-07" in text.text and "2026-09" in text.text


def test_explain_answers_the_libraries_explanation(http: httpx.Client) -> None:
    body = {"snapshots": saado_snapshots(), "rule": "Chỉ tiêu đơn từng rep", "key": "Hoa"}
    response = http.post("/v1/rulesets/saado/explain", json=body)
    assert response.status_code == 200
    expected = explain(_saado(), saado_snapshots(), "Chỉ tiêu đơn từng rep", key="Hoa")
    assert response.text == expected.to_json()
    as_text = http.post("/v1/rulesets/saado/explain?format=text", json=body)
    assert as_text.headers["content-type"] == "text/plain; charset=utf-8"
    assert "Hoa" in as_text.text


def test_explain_of_an_unknown_rule_lists_the_rules(http: httpx.Client) -> None:
    body = {"snapshots": saado_snapshots(), "rule": "Doanh thu 3 tỷ"}
    error = error_of(http.post("/v1/rulesets/saado/explain", json=body), 400, "bad-request")
    assert "Doanh thu 2 tỷ" in error["message"]


# ---- bad requests ----------------------------------------------------------------------------


def test_bad_json_is_400_naming_line_and_column(http: httpx.Client) -> None:
    response = http.post("/v1/rulesets/saado/evaluate", content=b'{"snapshots": [', headers=JSON)
    error = error_of(response, 400, "bad-json")
    assert error["message"].startswith("body: is not valid JSON (line 1, column 16")


def test_a_body_that_is_not_utf8_is_400(http: httpx.Client) -> None:
    response = http.post("/v1/rulesets/saado/evaluate", content=b'{"x": "\xff"}', headers=JSON)
    assert "not UTF-8" in error_of(response, 400, "bad-json")["message"]


def test_a_nan_is_400(http: httpx.Client) -> None:
    body = b'{"snapshots": [{"period": "2026-07", "metrics": {"doanh_thu": NaN}}]}'
    response = http.post("/v1/rulesets/saado/evaluate", content=body, headers=JSON)
    message = error_of(response, 400, "bad-snapshots")["message"]
    assert "NaN is not a number" in message
    assert "period 2026-07" in message and "metric `doanh_thu`" in message


def test_a_field_given_twice_is_400(http: httpx.Client) -> None:
    body = b'{"snapshots": [], "at": "2026-07", "at": "2026-08"}'
    response = http.post("/v1/rulesets/saado/evaluate", content=body, headers=JSON)
    assert 'the field "at" is given twice' in error_of(response, 400, "bad-request")["message"]


def test_bad_snapshots_are_400_naming_period_and_metric(http: httpx.Client) -> None:
    snapshots = saado_snapshots()
    snapshots[1]["metrics"]["doanh_thu"] = "abc"
    response = http.post("/v1/rulesets/saado/evaluate", json={"snapshots": snapshots})
    message = error_of(response, 400, "bad-snapshots")["message"]
    assert "period 2026-07" in message and "metric `doanh_thu`" in message


def test_a_key_given_to_an_unkeyed_metric_is_400_naming_it(http: httpx.Client) -> None:
    snapshots = saado_snapshots()
    snapshots[2]["metrics"]["doanh_thu"] = {"Lan": 1}
    response = http.post("/v1/rulesets/saado/evaluate", json={"snapshots": snapshots})
    message = error_of(response, 400, "bad-snapshots")["message"]
    assert "period 2026-08" in message and "doanh_thu" in message


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ([], "must be a JSON object"),
        ({}, "`snapshots` is missing"),
        ({"snapshots": [], "when": "2026-08"}, '"when" is not a field here'),
        ({"snapshots": saado_snapshots(), "at": 202608}, "`at` must be text or null"),
        ({"snapshots": saado_snapshots(), "strict": "yes"}, "`strict` must be true or false"),
        ({"snapshots": saado_snapshots(), "at": "2026-12"}, "2026-12 has no snapshot"),
        ({"snapshots": saado_snapshots(), "at": "August"}, "body: `at`: `August` is not a period"),
    ],
)
def test_bad_fields_are_400_saying_which(http: httpx.Client, body: Any, words: str) -> None:
    response = http.post("/v1/rulesets/saado/evaluate", json=body)
    assert response.status_code == 400, response.text
    assert words in response.json()["error"]["message"]


def test_an_unknown_format_is_400(http: httpx.Client) -> None:
    response = http.post("/v1/rulesets/saado/evaluate?format=pdf", json=SAADO_AUGUST)
    assert "'pdf' is not one of json, text" in error_of(response, 400, "bad-request")["message"]


def test_an_unknown_ruleset_is_404_listing_the_rulesets(http: httpx.Client) -> None:
    error = error_of(
        http.post("/v1/rulesets/sado/evaluate", json=SAADO_AUGUST), 404, "unknown-ruleset"
    )
    assert "saado" in error["message"]
    error_of(http.get("/v1/rulesets/sado"), 404, "unknown-ruleset")


def test_an_unknown_path_and_method_answer_json(http: httpx.Client) -> None:
    error_of(http.get("/v2/rulesets"), 404, "unknown-path")
    error_of(http.get("/v1/rulesets/saado/evaluate"), 405, "method-not-allowed")


def test_a_body_that_is_not_json_is_415(http: httpx.Client) -> None:
    response = http.post(
        "/v1/rulesets/saado/evaluate",
        content=b"period,metric",
        headers={"Content-Type": "text/csv"},
    )
    error_of(response, 415, "unsupported-media-type")
    error_of(http.post("/v1/check", content=b"{}"), 415, "unsupported-media-type")


def test_a_ruleset_with_errors_is_422_with_its_diagnostics(http: httpx.Client) -> None:
    error = error_of(
        http.post("/v1/rulesets/broken/evaluate", json=SAADO_AUGUST), 422, "ruleset-errors"
    )
    assert [d["code"] for d in error["diagnostics"] if d["severity"] == "error"] == ["unknown-name"]


# ---- the body limit --------------------------------------------------------------------------


def test_a_body_declared_over_the_limit_is_413(http: httpx.Client) -> None:
    body = b" " * (1024**2 + 1)
    response = http.post("/v1/rulesets/saado/evaluate", content=body, headers=JSON)
    error_of(response, 413, "body-too-large")


def test_a_chunked_body_over_the_limit_is_413_before_it_is_all_sent(server: Server) -> None:
    sent = []

    def chunks() -> Iterator[bytes]:
        # 64 MiB, far more than the server would take; it answers long before the end.
        for _ in range(1024):
            sent.append(1)
            yield b" " * 65536

    with server.client() as client:
        try:
            response = client.post("/v1/rulesets/saado/evaluate", content=chunks(), headers=JSON)
        except httpx.TransportError:
            # The server may close the connection while the client is still sending.
            response = None
    if response is not None:
        assert response.request.headers["transfer-encoding"] == "chunked"
        error_of(response, 413, "body-too-large")
        assert response.headers["connection"] == "close"
    assert len(sent) < 1024


def test_a_body_just_under_the_limit_is_read(http: httpx.Client) -> None:
    body = json.dumps(SAADO_AUGUST).encode()
    padded = body[:-1] + b" " * (1024**2 - len(body)) + b"}"
    response = http.post("/v1/rulesets/saado/evaluate", content=padded, headers=JSON)
    assert response.status_code == 200


# ---- check ---------------------------------------------------------------------------------


def test_check_answers_diagnostics_as_an_editor_wants_them(http: httpx.Client) -> None:
    response = http.post("/v1/check", json={"ruleset": BROKEN})
    assert response.status_code == 200
    checked = response.json()
    assert (checked["ok"], checked["errors"]) == (False, 1)
    [error] = [d for d in checked["diagnostics"] if d["severity"] == "error"]
    assert error == {
        "code": "unknown-name",
        "severity": "error",
        "message": "`revenu` is not a metric, table or let",
        "hint": "did you mean `revenue`?",
        "file": "<request>",
        "line": 4,
        "column": 11,
        "end_line": 4,
        "end_column": 17,
        "text": error["text"],
    }
    assert error["text"].splitlines()[1:3] == ['    goal "G": revenu >= 1', "              ^~~~~~"]


def test_check_of_a_sound_ruleset_is_ok(http: httpx.Client) -> None:
    text = (RULESETS / "saado.plan").read_text("utf-8")
    checked = http.post("/v1/check", json={"ruleset": text}).json()
    assert (checked["ok"], checked["errors"]) == (True, 0)


def test_check_reads_no_file(http: httpx.Client) -> None:
    text = 'ruleset "U"\ncurrency VND\nuse "saado.plan"\nuse "/etc/passwd"\n'
    checked = http.post("/v1/check", json={"ruleset": text}).json()
    refused = [d for d in checked["diagnostics"] if d["code"] == "path-outside-root"]
    assert [d["line"] for d in refused] == [3, 4]
    assert all("reads no file" in d["message"] for d in refused)
    assert "root:x:" not in json.dumps(checked)


def test_check_refuses_a_tests_snapshots_file(http: httpx.Client) -> None:
    text = 'use "saado.plan"\ntest "t" {\n    snapshots "saado.json"\n    expect status fail\n}\n'
    checked = http.post("/v1/check", json={"ruleset": text}).json()
    assert any("reads no file" in d["message"] for d in checked["diagnostics"])


def test_check_needs_text(http: httpx.Client) -> None:
    error_of(http.post("/v1/check", json={"ruleset": 3}), 400, "bad-request")
    error_of(http.post("/v1/check", json={}), 400, "bad-request")


# ---- metrics, documents, logs --------------------------------------------------------------


def test_metrics_count_requests_latency_evaluations_and_reload_failures(http: httpx.Client) -> None:
    http.post("/v1/rulesets/saado/evaluate", json=SAADO_AUGUST)
    response = http.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert re.search(
        r'planrules_http_requests_total\{method="POST",route="/v1/rulesets/\{name\}/evaluate",'
        r'status="200"\} [1-9]',
        text,
    )
    assert (
        'planrules_http_request_duration_seconds_bucket{le="0.1",route="/v1/rulesets/{name}/evaluate"}'
        in text
    )
    assert re.search(r'planrules_evaluations_total\{ruleset="saado",status="fail"\} [1-9]', text)
    # broken.plan failed to load once, at start.
    assert re.search(r"planrules_reload_failures_total [1-9]", text)
    assert "planrules_rulesets_served 4.0" in text


def test_the_openapi_document_describes_every_endpoint(http: httpx.Client) -> None:
    from planrules.serve.app import ROUTES

    document = http.get("/openapi.json").json()
    assert document["openapi"].startswith("3.")
    documented = set(document["paths"])
    served = {route.path for route in ROUTES} - {"/openapi.json", "/docs"}
    assert served == documented
    evaluate = document["paths"]["/v1/rulesets/{name}/evaluate"]["post"]
    assert set(evaluate["responses"]) == {
        "200", "400", "401", "404", "405", "413", "415", "422", "503"
    }  # fmt: skip
    assert evaluate["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/EvaluateRequest"
    }


def test_the_docs_page_renders_the_document_and_loads_nothing(http: httpx.Client) -> None:
    page = http.get("/docs")
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    for path in ("/v1/rulesets/{name}/evaluate", "/v1/check", "/readyz"):
        assert path in page.text
    assert "EvaluateRequest" in page.text
    assert not re.search(r"(src|href)=['\"]https?:", page.text)


def test_each_request_has_an_id_in_its_response_and_its_access_log_line(
    server: Server, http: httpx.Client
) -> None:
    given = http.get("/v1/rulesets", headers={"X-Request-Id": "caller-id-42"})
    assert given.headers["x-request-id"] == "caller-id-42"
    made = http.get("/v1/rulesets/saado", headers={"X-Request-Id": "no spaces\tor tabs"})
    made_id = made.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made_id)
    # The line is written once the response is sent.
    wait_until(lambda: made_id in server.log())
    lines = {line.get("request_id"): line for line in server.log_lines()}
    logged = lines["caller-id-42"]
    assert (logged["method"], logged["path"], logged["status"]) == ("GET", "/v1/rulesets", 200)
    assert logged["route"] == "/v1/rulesets" and logged["duration_ms"] >= 0
    assert lines[made_id]["path"] == "/v1/rulesets/saado"


# ---- no text in a request can break its answer ------------------------------------------------

ONE_SNAPSHOT = [{"period": "2026-07", "metrics": {"tiep_can": 1}}]
SURROGATE = "\ud800"


def post_text(http: httpx.Client, path: str, body: Any) -> httpx.Response:
    """`body` sent as JSON text with every non-ASCII character escaped, so that a lone
    surrogate goes as `\\ud800`, as any JSON client may send it."""
    return http.post(path, content=json.dumps(body).encode("ascii"), headers=JSON)


@pytest.mark.parametrize(
    ("path", "body", "named"),
    [
        ("evaluate", {"snapshots": ONE_SNAPSHOT, "at": SURROGATE}, "`at`"),
        ("explain", {"snapshots": ONE_SNAPSHOT, "rule": SURROGATE}, "\\ud800"),
        ("explain", {"snapshots": ONE_SNAPSHOT, "rule": "Doanh thu 2 tỷ", "key": SURROGATE}, ""),
        ("explain", {"snapshots": ONE_SNAPSHOT, "rule": "Doanh thu 2 tỷ", "at": SURROGATE}, "`at`"),
        ("evaluate", {"snapshots": ONE_SNAPSHOT, SURROGATE: 1}, "\\ud800"),
        (
            "evaluate",
            {"snapshots": [{"period": "2026-07", "metrics": {"tiep_can": SURROGATE}}]},
            "",
        ),
        ("evaluate", {"snapshots": [{"period": "2026-07", "metrics": {}, SURROGATE: 1}]}, ""),
        ("evaluate", {"snapshots": [{"period": SURROGATE, "metrics": {}}]}, ""),
        (
            "replay",
            {"snapshots": [{"period": "2026-07", "metrics": {"don_inbox": {SURROGATE: 1}}}]},
            "",
        ),
    ],
)
def test_a_lone_surrogate_in_any_field_is_400_not_500(
    http: httpx.Client, path: str, body: Any, named: str
) -> None:
    response = post_text(http, f"/v1/rulesets/saado/{path}", body)
    assert response.status_code == 400, response.text
    message = response.json()["error"]["message"]
    assert named in message
    message.encode("utf-8")  # whatever it echoes, it is text UTF-8 can hold


def test_a_field_given_twice_with_a_surrogate_name_is_400(http: httpx.Client) -> None:
    body = b'{"snapshots": [], "\\ud800": 1, "\\ud800": 2}'
    response = http.post("/v1/rulesets/saado/evaluate", content=body, headers=JSON)
    assert "is given twice" in error_of(response, 400, "bad-request")["message"]


# Any character, lone surrogates (which `st.text` leaves out) and controls often among them.
_ANY_CHARACTER = st.one_of(
    st.characters(categories=["Cs"]),
    st.characters(exclude_categories=()),
    st.sampled_from('\x00\x1b\u202e\u2028\ufeff"\\`{}'),
)
_ANY_TEXT = st.lists(_ANY_CHARACTER, max_size=12).map("".join)
# Where a string can go in each endpoint's body: a function of the string to the body.
_STRING_SLOTS: dict[str, list[Any]] = {
    "/v1/rulesets/saado/evaluate": [
        lambda text: {"snapshots": ONE_SNAPSHOT, "at": text},
        lambda text: {"snapshots": ONE_SNAPSHOT, text: True},
        lambda text: {"snapshots": [{"period": text, "metrics": {"tiep_can": 1}}]},
        lambda text: {"snapshots": [{"period": "2026-07", "metrics": {text: 1}}]},
        lambda text: {"snapshots": [{"period": "2026-07", "metrics": {"tiep_can": text}}]},
        lambda text: {"snapshots": [{"period": "2026-07", "metrics": {"don_inbox": {text: 1}}}]},
        lambda text: {"snapshots": [{"period": "2026-07", "metrics": {}, text: 1}]},
        lambda text: {"snapshots": {"snapshots": ONE_SNAPSHOT, text: 1}},
    ],
    "/v1/rulesets/saado/replay": [
        lambda text: {"snapshots": [{"period": "2026-07", "metrics": {"don_inbox": {"a": text}}}]},
        lambda text: {"snapshots": ONE_SNAPSHOT, "strict": text},
    ],
    "/v1/rulesets/saado/explain": [
        lambda text: {"snapshots": ONE_SNAPSHOT, "rule": text},
        lambda text: {"snapshots": ONE_SNAPSHOT, "rule": "Chỉ tiêu đơn từng rep", "key": text},
        lambda text: {"snapshots": ONE_SNAPSHOT, "rule": "Doanh thu 2 tỷ", "at": text},
    ],
    "/v1/check": [
        lambda text: {"ruleset": text},
        lambda text: {"ruleset": f'ruleset "{text}"\nmetric {text}: count\ngoal "G": x >= 1\n'},
    ],
}


@pytest.mark.parametrize("path", sorted(_STRING_SLOTS))
def test_any_text_in_any_string_field_is_answered_below_500(server: Server, path: str) -> None:
    """Arbitrary text (controls, bidirectional controls, lone surrogates) in every string a
    body can hold: never a 5xx, always JSON that UTF-8 holds."""

    @given(slot=st.sampled_from(_STRING_SLOTS[path]), text=_ANY_TEXT)
    @settings(max_examples=60, deadline=None, derandomize=True, database=None)
    def answered(slot: Any, text: str) -> None:
        with server.client() as http:
            response = post_text(http, path, slot(text))
        assert response.status_code < 500, response.text
        response.content.decode("utf-8")
        response.json()

    answered()


# ---- the answers say what HTTP calls things --------------------------------------------------


def test_a_method_a_path_does_not_take_is_405_with_allow(http: httpx.Client) -> None:
    response = http.delete("/v1/rulesets/saado")
    error = error_of(response, 405, "method-not-allowed")
    assert "GET" in response.headers["allow"].split(", ")
    assert "DELETE" in error["message"] and "GET" in error["message"]
    assert http.get("/v1/rulesets/saado/evaluate").headers["allow"] == "POST"
    document = http.get("/openapi.json").json()
    documented = document["paths"]["/v1/rulesets/{name}"]["get"]["responses"]["405"]
    assert "Allow" in documented["headers"]


@pytest.mark.parametrize(
    ("path", "body", "said", "unsaid"),
    [
        ("evaluate", {"at": "2030-01"}, "body: `at`: 2030-01 has no snapshot", "--at"),
        ("explain", {"rule": "Doanh thu 2 tỷ", "key": "Hoa"}, "leave out `key`", "--key"),
        ("explain", {"rule": "Chỉ tiêu đơn từng rep"}, "choose a key with `key`", "--key"),
    ],
)
def test_errors_name_the_bodys_fields_not_flags(
    http: httpx.Client, path: str, body: dict[str, Any], said: str, unsaid: str
) -> None:
    response = http.post(
        f"/v1/rulesets/saado/{path}", json={"snapshots": saado_snapshots(), **body}
    )
    message = error_of(response, 400, "bad-request")["message"]
    assert said in message and unsaid not in message


def test_a_finer_period_is_not_told_to_roll_up_with_a_flag(http: httpx.Client) -> None:
    snapshots = [{"period": "2026-07-01", "metrics": {"tiep_can": 1}}]
    response = http.post("/v1/rulesets/saado/evaluate", json={"snapshots": snapshots})
    message = error_of(response, 400, "bad-snapshots")["message"]
    assert "header `roll up`" in message and "--roll-up" not in message


def test_a_file_outside_the_folder_is_not_told_of_allow_path(http: httpx.Client) -> None:
    listed = {entry["name"]: entry for entry in http.get("/v1/rulesets").json()["rulesets"]}
    diagnostics = listed["outside"]["diagnostics"]
    [diagnostic] = [d for d in diagnostics if d["code"] == "path-outside-root"]
    assert "inside the folder it serves" in diagnostic["hint"]
    assert "--allow-path" not in json.dumps(listed)


def test_no_snapshots_at_all_are_bad_snapshots(http: httpx.Client) -> None:
    response = http.post("/v1/rulesets/saado/evaluate", json={"snapshots": []})
    assert "no snapshots" in error_of(response, 400, "bad-snapshots")["message"]
    schemas = http.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["Snapshots"]["anyOf"][0]["minItems"] == 1


def test_a_path_with_a_trailing_slash_is_404_and_echoes_no_host(http: httpx.Client) -> None:
    response = http.get("/v1/rulesets/", headers={"Host": "evil.example"})
    error_of(response, 404, "unknown-path")
    assert "location" not in response.headers and "evil" not in response.text


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer"])
def test_the_bearer_scheme_is_matched_in_any_case(server: Server, scheme: str) -> None:
    with server.client(token=None) as client:
        response = client.get("/v1/rulesets", headers={"Authorization": f"{scheme} {TOKEN}"})
    assert response.status_code == 200
    with server.client(token=None) as client:
        response = client.get("/v1/rulesets", headers={"Authorization": f"Basic {TOKEN}"})
    error_of(response, 401, "unauthorized")


def test_a_decomposed_ruleset_name_finds_the_composed_one(tmp_path: Path) -> None:
    folder = tmp_path / "rulesets"
    folder.mkdir()
    plan = (RULESETS / "saado.plan").read_text("utf-8")
    (folder / "cửa_hàng.plan").write_text(plan, encoding="utf-8")
    decomposed = unicodedata.normalize("NFD", "cửa_hàng")
    with running_server(folder) as running, running.client() as http:
        response = http.post(f"/v1/rulesets/{decomposed}/evaluate", json=SAADO_AUGUST)
        assert response.status_code == 200, response.text
        assert http.get(f"/v1/rulesets/{decomposed}").json()["name"] == "cửa_hàng"


def test_the_503_answer_names_worker_died(http: httpx.Client) -> None:
    document = http.get("/openapi.json").json()
    evaluate = document["paths"]["/v1/rulesets/{name}/evaluate"]["post"]
    assert "`worker-died`" in evaluate["responses"]["503"]["description"]
