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
subclass `BadInput`. Needs the `serve` extra (httpx).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from types import TracebackType
from typing import Any

import httpx
import msgspec

__all__ = [
    "BadInput",
    "Client",
    "RemoteCheck",
    "RemoteExplanation",
    "RemoteReplay",
    "RemoteReport",
    "RemoteResult",
    "RemoteRuleset",
    "ServerError",
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


class ServerError(Exception):
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
    """A report from the server, with the library `Report`'s fields and methods."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._data: dict[str, Any] = _parsed(text)
        data = self._data
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
        self._http = httpx.Client(
            base_url=url, headers=headers, timeout=timeout, transport=transport
        )

    def evaluate(
        self, name: str, snapshots: object, at: str | None = None, strict: bool = False
    ) -> RemoteReport:
        body = {"snapshots": snapshots, "at": at, "strict": strict}
        return RemoteReport(self._post(f"/v1/rulesets/{_segment(name)}/evaluate", body))

    def replay(self, name: str, snapshots: object, strict: bool = False) -> RemoteReplay:
        body = {"snapshots": snapshots, "strict": strict}
        return RemoteReplay(self._post(f"/v1/rulesets/{_segment(name)}/replay", body))

    def explain(
        self,
        name: str,
        snapshots: object,
        rule: str,
        key: str | None = None,
        at: str | None = None,
    ) -> RemoteExplanation:
        body = {"snapshots": snapshots, "rule": rule, "key": key, "at": at}
        return RemoteExplanation(self._post(f"/v1/rulesets/{_segment(name)}/explain", body))

    def check(self, text: str) -> RemoteCheck:
        """The diagnostics of a ruleset's text (it reads no file: `use` is refused)."""
        return RemoteCheck(self._post("/v1/check", {"ruleset": text}))

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
        return _text_of(self._http.get(path))

    def _post(self, path: str, body: dict[str, Any]) -> str:
        try:
            content = _ENCODER.encode(body)
        except TypeError as problem:
            raise TypeError(f"the snapshots cannot be sent as JSON: {problem}") from None
        headers = {"Content-Type": "application/json"}
        return _text_of(self._http.post(path, content=content, headers=headers))


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
