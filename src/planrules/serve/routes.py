"""The endpoints. Each reads the request, hands any work to the evaluation pool, and answers
JSON (or the report format asked for); every error is an `ApiError`, answered by `app`."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from planrules.serve import metrics
from planrules.serve.errors import ApiError
from planrules.serve.jobs import EXPLAIN_FORMATS, REPLAY_FORMATS, REPORT_MEDIA, Job, Outcome
from planrules.serve.openapi import docs_page, document
from planrules.serve.registry import Served, description, summary

if TYPE_CHECKING:
    from planrules.serve.app import State

REPORT_FORMATS = tuple(REPORT_MEDIA)
CURRENCY_HEADER = "Planrules-Currency"


def _state(request: Request) -> State:
    state: State = request.app.state.planrules
    return state


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "alive"})


async def readyz(request: Request) -> Response:
    registry = _state(request).registry
    served = sum(entry.served is not None for entry in registry.entries.values())
    if not served:
        raise ApiError(503, "not-ready", "no ruleset has loaded yet")
    return JSONResponse({"status": "ready", "rulesets": served})


async def list_rulesets(request: Request) -> Response:
    entries = _state(request).registry.entries
    return JSONResponse({"rulesets": [summary(entries[name]) for name in sorted(entries)]})


async def describe_ruleset(request: Request) -> Response:
    name, _version = _served(request)
    return JSONResponse(description(_state(request).registry.entries[name]))


async def evaluate(request: Request) -> Response:
    name, served = _served(request)
    outcome = await _run(request, "evaluate", served, REPORT_FORMATS)
    if outcome.report_status is not None:
        metrics.EVALUATIONS.labels(name, outcome.report_status).inc()
    response = _answer(outcome)
    # The report's JSON has no currency (the contract's); the client's report takes it here.
    currency = served.checked.currency
    if currency is not None and currency.isascii() and currency.isprintable():
        response.headers[CURRENCY_HEADER] = currency
    return response


async def replay(request: Request) -> Response:
    _name, served = _served(request)
    return _answer(await _run(request, "replay", served, REPLAY_FORMATS))


async def explain(request: Request) -> Response:
    _name, served = _served(request)
    return _answer(await _run(request, "explain", served, EXPLAIN_FORMATS))


async def check(request: Request) -> Response:
    return _answer(await _run(request, "check", None, ("json",)))


async def prometheus(request: Request) -> Response:
    return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)


async def openapi(request: Request) -> Response:
    return JSONResponse(document())


async def docs(request: Request) -> Response:
    return HTMLResponse(docs_page(document()))


# ---- helpers -------------------------------------------------------------------------------


def _served(request: Request) -> tuple[str, Served]:
    """The ruleset named in the path, as in service now: a request keeps this version."""
    registry = _state(request).registry
    # A name typed on one system may come decomposed (NFD); the files' names are matched
    # as given, then composed.
    given = request.path_params["name"]
    name = given if given in registry.entries else unicodedata.normalize("NFC", given)
    entry = registry.entries.get(name)
    if entry is not None and entry.served is not None:
        return name, entry.served
    if entry is not None and entry.failed is not None:
        raise ApiError(
            422,
            "ruleset-errors",
            f"ruleset {name!r} has errors and no version of it is in service",
            list(entry.failed.diagnostics),
        )
    if not registry.ready:
        raise ApiError(503, "not-ready", "no ruleset has loaded yet")
    known = ", ".join(sorted(registry.entries)) or "none"
    raise ApiError(404, "unknown-ruleset", f"no ruleset is named {name!r} (the rulesets: {known})")


async def _run(
    request: Request, operation: str, served: Served | None, formats: tuple[str, ...]
) -> Outcome:
    format = request.query_params.get("format", "json")
    if format not in formats:
        raise ApiError(400, "bad-request", f"format {format!r} is not one of {', '.join(formats)}")
    body = await _json_body(request, _state(request).settings.max_body)
    version = None if served is None else served.version
    return await _state(request).pool.run(Job(operation, version, body, format))


async def _json_body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it is known to pass `limit` bytes: from its declared
    length before a byte is read (uvicorn then discards what the client still sends, so that
    it reads its answer), else as its chunks arrive (and the connection is closed, as the
    end of such a body is not known)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        shown = media or "none"
        raise ApiError(
            415, "unsupported-media-type", f"the body must be JSON (Content-Type: {shown})"
        )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit, closing=False)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit, closing=True)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int, closing: bool) -> ApiError:
    message = f"the body is larger than the limit of {limit} bytes"
    return ApiError(413, "body-too-large", message, closing=closing)


def _answer(outcome: Outcome) -> Response:
    if outcome.problem is not None:
        raise ApiError(
            outcome.problem.status,
            outcome.problem.code,
            outcome.problem.message,
            outcome.problem.diagnostics,
        )
    return Response(outcome.text, status_code=outcome.status, media_type=outcome.media_type)
