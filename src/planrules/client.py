"""A Python client of `planrules serve`: the same calls as the library, over HTTP.

    ruleset = planrules.load("rulesets/saado.plan")                         # in process
    ruleset = planrules.client.Client("http://127.0.0.1:8080").ruleset("saado")  # over HTTP
    report = ruleset.evaluate(snapshots, at="2026-08")

Both reports have `status`, `counts`, `results`, `result(rule, key)`, `results_for(rule)`,
`to_dict()` and `to_json()`. The client's are built from the server's JSON report: numbers
as the JSON gives them (`int`, or `Decimal` read from their text, never float), already
rounded as the contract rounds them (the library's `Result.value` is the exact value; its
`to_dict()` is what the client holds). `to_json()` is the server's text, byte for byte.

Errors the server answers raise `ServerError` (`status`, `code`, `message`, `diagnostics`);
a 400 (bad snapshots, whose message names the snapshot, period and metric) raises its
subclass `BadInput`. A server that cannot be reached, or answers too late, raises
`ConnectionFailed` (httpx's error is its `__cause__`); both are `ClientError`s.

Snapshots are sent only as JSON carries them unchanged: a value JSON would change or cannot
hold (NaN, an infinity, a key that is not text, a date, a set) raises the library's
`SnapshotError` naming its period and metric, before anything is sent, as
`planrules.load(...).evaluate(...)` refuses it (the client refuses it even in a metric the
ruleset does not declare, which the library passes over). Needs the `serve` extra (httpx).
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from types import TracebackType
from typing import Any

import httpx
import msgspec

from planrules.eval.snapshot import DATA_ORIGIN, Place, SnapshotError, shown
from planrules.eval.snapshot_numbers import kind_of

__all__ = [
    "BadInput",
    "Client",
    "ClientError",
    "ConnectionFailed",
    "RemoteCheck",
    "RemoteExplanation",
    "RemoteReplay",
    "RemoteReport",
    "RemoteResult",
    "RemoteRuleset",
    "ServerError",
    "SnapshotError",
]

# The fields of the library's `Result` that a kind may leave out of its JSON: read as None.
_RESULT_FIELDS = frozenset(
    {
        "rule", "kind", "key", "status", "value", "owner", "location", "reason", "message",
        "target", "baseline", "level", "planned", "used", "unplanned", "severity", "held",
        "last_fired", "to_pass", "elapsed", "progress", "expected", "forecast",
        "required_per_period", "required_by_period",
    }
)  # fmt: skip
_ENCODER = msgspec.json.Encoder(decimal_format="number")
# Values JSON carries unchanged whatever they hold: a dict of them needs no closer look.
_PLAIN = frozenset({int, str, bool, type(None)})


class ClientError(Exception):
    """What the client raises for a call that did not get its answer."""


class ConnectionFailed(ClientError):
    """The server could not be reached, or did not answer in time; the cause is httpx's."""


class ServerError(ClientError):
    """An error the server answered: its HTTP status, code, message and diagnostics."""

    def __init__(
        self, status: int, code: str, message: str, diagnostics: Sequence[Any] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.diagnostics = tuple(diagnostics or ())


class BadInput(ServerError):
    """A 400: bad snapshots (the message names the snapshot, period and metric) or fields."""


def _parsed(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


class RemoteResult:
    """One result of a report, as its JSON gives it; fields its kind does not have are None,
    as on the library's `Result`."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def __getattr__(self, name: str) -> Any:
        if name in _RESULT_FIELDS:
            return self._data.get(name)
        raise AttributeError(f"a result has no field {name!r}")

    def to_dict(self) -> dict[str, Any]:
        return dict(self._data)

    def __repr__(self) -> str:
        return f"RemoteResult({self.rule!r}, key={self.key!r}, status={self.status!r})"


class RemoteReport:
    """A report from the server, with the library `Report`'s fields and methods; an
    allocation is its JSON object, and `currency` the evaluated version's (from the
    server's `Planrules-Currency` header; None where the ruleset has none)."""

    def __init__(self, text: str, currency: str | None = None) -> None:
        self._text = text
        self._data: dict[str, Any] = _parsed(text)
        data = self._data
        self.currency = currency
        self.ruleset: str = data["ruleset"]
        self.as_of: str = data["as_of"]
        self.status: str = data["status"]
        self.counts: dict[str, int] = data["counts"]
        self.results: tuple[RemoteResult, ...] = tuple(
            RemoteResult(result) for result in data["results"]
        )
        self.adjustments: tuple[dict[str, Any], ...] = tuple(data.get("adjustments", ()))
        self.allocations: dict[str, Any] = data.get("allocations", {})
        self.recommendations: tuple[dict[str, Any], ...] = tuple(data.get("recommendations", ()))
        self.warnings: tuple[dict[str, Any], ...] = tuple(data.get("warnings", ()))
        self._by_rule_and_key = {(r.rule, r.key): r for r in reversed(self.results)}

    def result(self, rule: str, key: str | None = None) -> RemoteResult | None:
        return self._by_rule_and_key.get((rule, key))

    def results_for(self, rule: str) -> tuple[RemoteResult, ...]:
        return tuple(result for result in self.results if result.rule == rule)

    def allocation(self, budget: str) -> dict[str, Any] | None:
        """The allocation proposed for `budget`, a line's planned and proposed amounts."""
        found: dict[str, Any] | None = self.allocations.get(budget)
        return found

    def to_dict(self) -> dict[str, Any]:
        """The JSON report in Python values: numbers `int` or `Decimal`, as `Report.to_dict`."""
        return _parsed(self._text)  # type: ignore[no-any-return]

    def to_json(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"RemoteReport({self.ruleset!r}, as_of={self.as_of!r}, status={self.status!r})"


class _RemoteJson:
    """A JSON answer kept as its text, read as Python values."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._data: dict[str, Any] = _parsed(text)

    def to_dict(self) -> dict[str, Any]:
        return _parsed(self._text)  # type: ignore[no-any-return]

    def to_json(self) -> str:
        return self._text


class RemoteReplay(_RemoteJson):
    """A replay (`Replay`): `periods`, `overall` (a status per period), `rows`, `warnings`."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.ruleset: str = self._data["ruleset"]
        self.periods: tuple[str, ...] = tuple(self._data["periods"])
        self.overall: tuple[str, ...] = tuple(self._data["status"][p] for p in self.periods)
        self.rows: tuple[dict[str, Any], ...] = tuple(self._data["rules"])
        self.warnings: tuple[dict[str, Any], ...] = tuple(self._data.get("warnings", ()))


class RemoteExplanation(_RemoteJson):
    """An explanation (`Explanation`): the rule, key, period, status, reason and steps."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.rule: str = self._data["rule"]
        self.kind: str = self._data["kind"]
        self.key: str | None = self._data["key"]
        self.as_of: str = self._data["as_of"]
        self.status: str = self._data["status"]
        self.reason: str | None = self._data.get("reason")
        self.steps: tuple[dict[str, Any], ...] = tuple(self._data["steps"])


class RemoteCheck(_RemoteJson):
    """A check of a ruleset's text: `ok`, and every diagnostic as a dict."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.ok: bool = self._data["ok"]
        self.diagnostics: tuple[dict[str, Any], ...] = tuple(self._data["diagnostics"])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.diagnostics)


class RemoteRuleset:
    """A ruleset served at a client's server, called as a `planrules.Ruleset` is."""

    def __init__(self, client: Client, name: str) -> None:
        self.client = client
        self.name = name

    def evaluate(
        self, snapshots: object, at: str | None = None, strict: bool = False
    ) -> RemoteReport:
        return self.client.evaluate(self.name, snapshots, at=at, strict=strict)

    def replay(self, snapshots: object, strict: bool = False) -> RemoteReplay:
        return self.client.replay(self.name, snapshots, strict=strict)

    def explain(
        self, snapshots: object, rule: str, key: str | None = None, at: str | None = None
    ) -> RemoteExplanation:
        return self.client.explain(self.name, snapshots, rule, key=key, at=at)


class Client:
    """The server at `url`; `token` where it has one. Use it as a context manager, or
    `close()` it, to let its connections go."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        try:
            self._http = httpx.Client(
                base_url=url, headers=headers, timeout=timeout, transport=transport
            )
        except httpx.InvalidURL as problem:
            raise ClientError(f"{url!r} is not the URL of a server: {problem}") from problem

    def evaluate(
        self, name: str, snapshots: object, at: str | None = None, strict: bool = False
    ) -> RemoteReport:
        body = {"snapshots": snapshots, "at": at, "strict": strict}
        response = self._post(f"/v1/rulesets/{_segment(name)}/evaluate", body)
        return RemoteReport(_text_of(response), response.headers.get("Planrules-Currency"))

    def replay(self, name: str, snapshots: object, strict: bool = False) -> RemoteReplay:
        body = {"snapshots": snapshots, "strict": strict}
        return RemoteReplay(_text_of(self._post(f"/v1/rulesets/{_segment(name)}/replay", body)))

    def explain(
        self,
        name: str,
        snapshots: object,
        rule: str,
        key: str | None = None,
        at: str | None = None,
    ) -> RemoteExplanation:
        body = {"snapshots": snapshots, "rule": rule, "key": key, "at": at}
        path = f"/v1/rulesets/{_segment(name)}/explain"
        return RemoteExplanation(_text_of(self._post(path, body)))

    def check(self, text: str) -> RemoteCheck:
        """The diagnostics of a ruleset's text (it reads no file: `use` is refused)."""
        return RemoteCheck(_text_of(self._post("/v1/check", {"ruleset": text})))

    def rulesets(self) -> list[dict[str, Any]]:
        """Every ruleset served: name, hash, rule count, load time, and its file's problems."""
        rulesets: list[dict[str, Any]] = _parsed(self._get("/v1/rulesets"))["rulesets"]
        return rulesets

    def describe(self, name: str) -> dict[str, Any]:
        """What the ruleset needs: its metrics (unit, dimension, stock), rules and owners."""
        described: dict[str, Any] = _parsed(self._get(f"/v1/rulesets/{_segment(name)}"))
        return described

    def ruleset(self, name: str) -> RemoteRuleset:
        """The served ruleset `name`, with `evaluate` and `replay` as `planrules.load` gives
        them: the one line that moves a caller between in-process and HTTP."""
        return RemoteRuleset(self, name)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _get(self, path: str) -> str:
        return _text_of(self._request("GET", path))

    def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        for field, value in body.items():
            if field == "snapshots":
                _check_sendable(value)
            elif not isinstance(value, str | bool | None):
                raise TypeError(f"`{field}` must be text, not {kind_of(value)}")
        content = _encoded(body)
        return self._request("POST", path, content, {"Content-Type": "application/json"})

    def _request(
        self, method: str, path: str, content: bytes | None = None, headers: Any = None
    ) -> httpx.Response:
        try:
            return self._http.request(method, path, content=content, headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL) as problem:
            url = f"{self._http.base_url}".rstrip("/") + path
            raise ConnectionFailed(f"{method} {url}: {problem}") from problem


# What the library says of a value of a type JSON has not, by where it is ({kind}: a Python
# date).
_NOT_SNAPSHOTS = (
    'holds {kind}, where a snapshot, a list of snapshots or {{"snapshots": [...]}} is expected'
)
_NOT_PERIOD = "the period is {kind}, where text such as 2026-07 is expected"
_NOT_NUMBER = "{kind} where a number is expected"


def _check_sendable(snapshots: object) -> None:
    """Raise `SnapshotError` for a value in `snapshots` that JSON cannot carry unchanged,
    named as the library names its place: the snapshot or period, the metric, the key."""
    origin = Place(DATA_ORIGIN)
    if isinstance(snapshots, dict) and "snapshots" in snapshots and "period" not in snapshots:
        _check_keys(snapshots, origin, "field")
        for field, value in snapshots.items():
            if field == "snapshots":
                _check_snapshot_list(
                    value, origin, "`snapshots` holds {kind}, where a list is expected"
                )
            else:
                _check_value(value, origin, _NOT_SNAPSHOTS)
    elif isinstance(snapshots, dict):
        _check_snapshot(snapshots, origin, 1)
    else:
        _check_snapshot_list(snapshots, origin)


def _check_snapshot_list(snapshots: object, place: Place, unsendable: str = _NOT_SNAPSHOTS) -> None:
    if isinstance(snapshots, list | tuple):
        for number, snapshot in enumerate(snapshots, 1):
            _check_snapshot(snapshot, place, number)
    else:
        _check_value(snapshots, place, unsendable)


def _check_snapshot(snapshot: object, origin: Place, number: int) -> None:
    numbered = origin.at(f"snapshot {number}")
    if not isinstance(snapshot, dict):
        _check_value(snapshot, numbered, "holds {kind}, where a snapshot object is expected")
        return
    period = snapshot.get("period")
    place = origin.at(f"period {period}") if isinstance(period, str) else numbered
    _check_keys(snapshot, place, "field")
    for field, value in snapshot.items():
        if field == "metrics" and isinstance(value, dict):
            _check_keys(value, place, "metric name")
            for metric, metric_value in value.items():
                _check_value(metric_value, place.at(f"metric `{shown(metric)}`"), _NOT_NUMBER)
        else:
            _check_value(value, place, _NOT_PERIOD if field == "period" else _NOT_NUMBER)


def _check_value(value: object, place: Place, unsendable: str) -> None:
    """`unsendable` says what a value of a type JSON has not is not."""
    if value is None or isinstance(value, str | int):  # bool is an int
        return
    if isinstance(value, float | Decimal):
        finite = math.isfinite(value) if isinstance(value, float) else value.is_finite()
        if not finite:
            # As the library says it: `nan` for a float, `NaN` for a Decimal.
            shown_value = repr(value) if isinstance(value, float) else str(value)
            raise place.error(f"{shown_value} is not a number")
        return
    if isinstance(value, dict):
        _check_keys(value, place, "key")
        if set(map(type, value.values())) <= _PLAIN:
            return
        for key, item in value.items():
            _check_value(item, place.at(f"key `{shown(key)}`"), _NOT_NUMBER)
        return
    if isinstance(value, list | tuple):
        for item in value:
            _check_value(item, place, unsendable)
        return
    raise place.error(unsendable.format(kind=kind_of(value)))


def _encoded(body: dict[str, Any]) -> bytes:
    """`body` as JSON; text that UTF-8 cannot hold (a lone surrogate) is sent in JSON's
    escapes, for the server to say what is wrong with it, as the library would."""
    try:
        return _ENCODER.encode(body)
    except UnicodeEncodeError:
        pass
    escapes: dict[str, str] = {}
    marker = f"\x00planrules-{uuid.uuid4().hex}-"

    def swapped(value: Any) -> Any:
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                token = f"{marker}{len(escapes)}"
                escapes[token] = json.dumps(value)
                return token
            return value
        if isinstance(value, dict):
            return {swapped(key): swapped(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [swapped(item) for item in value]
        return value

    encoded = _ENCODER.encode(swapped(body))
    for token, escaped in escapes.items():
        encoded = encoded.replace(_ENCODER.encode(token), escaped.encode("ascii"))
    return encoded


def _check_keys(mapping: dict[Any, Any], place: Place, what: str) -> None:
    for key in mapping:
        if not isinstance(key, str):
            raise place.error(f"the {what} {key!r} is not text")


def _segment(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


def _text_of(response: httpx.Response) -> str:
    if response.is_success:
        return response.text
    try:
        error = response.json()["error"]
        code, message = error["code"], error["message"]
        diagnostics = error.get("diagnostics")
    except (ValueError, KeyError, TypeError):
        code, message, diagnostics = "http-error", response.text[:500], None
    kind = BadInput if response.status_code == 400 else ServerError
    raise kind(response.status_code, code, message, diagnostics)
