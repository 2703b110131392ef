"""The ASGI app: routes, the middleware every request passes (request id, access log,
metrics, token), the error answers, and the life of the server process (the rulesets loaded
before the first request, the evaluation processes started, the files watched, SIGHUP)."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import re
import signal
import time
import uuid
from collections.abc import AsyncIterator, Mapping, MutableMapping
from typing import Any

import attrs
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from planrules.lang.escape import printable
from planrules.serve import logs, metrics, routes
from planrules.serve.errors import ApiError, Problem
from planrules.serve.pool import EvaluationPool
from planrules.serve.registry import Registry
from planrules.serve.settings import Settings

_log = logging.getLogger("planrules.serve")
OPEN_PATHS = frozenset({"/healthz", "/readyz"})
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_STATUS_TEXT = {404: "unknown-path", 405: "method-not-allowed"}


@attrs.define
class State:
    settings: Settings
    registry: Registry
    pool: EvaluationPool
    watcher: asyncio.Task[None] | None = None
    stopping: asyncio.Event = attrs.field(factory=asyncio.Event)


ROUTES = [
    Route("/healthz", routes.healthz, methods=["GET"]),
    Route("/readyz", routes.readyz, methods=["GET"]),
    Route("/v1/rulesets", routes.list_rulesets, methods=["GET"]),
    Route("/v1/rulesets/{name}", routes.describe_ruleset, methods=["GET"]),
    Route("/v1/rulesets/{name}/evaluate", routes.evaluate, methods=["POST"]),
    Route("/v1/rulesets/{name}/replay", routes.replay, methods=["POST"]),
    Route("/v1/rulesets/{name}/explain", routes.explain, methods=["POST"]),
    Route("/v1/check", routes.check, methods=["POST"]),
    Route("/metrics", routes.prometheus, methods=["GET"]),
    Route("/openapi.json", routes.openapi, methods=["GET"]),
    Route("/docs", routes.docs, methods=["GET"]),
]


def create_app(settings: Settings) -> Starlette:
    registry = Registry(settings.rulesets_dir, metrics.RELOAD_FAILURES.inc)
    pool = EvaluationPool(settings.processes, settings.time_limit, registry.in_service)
    state = State(settings, registry, pool)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await _start(state)
        try:
            yield
        finally:
            await _stop(state)

    app = Starlette(
        routes=ROUTES,
        lifespan=lifespan,
        exception_handlers={
            ApiError: _api_error,
            HTTPException: _http_error,
            Exception: _unforeseen,
        },
    )
    app.state.planrules = state
    # `/v1/rulesets/` is no path of the API: a redirect would echo the Host header.
    app.router.redirect_slashes = False
    app.add_middleware(_Guard, token=settings.token)
    return app


def create_app_from_env() -> Starlette:
    """The app of a uvicorn worker, as `planrules serve` set it up in the environment."""
    return create_app(Settings.from_env())


# ---- the life of a server process ----------------------------------------------------------


async def _start(state: State) -> None:
    await state.registry.reload()
    _count_served(state)
    await state.pool.start()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGHUP, lambda: _reload_soon(state, None, "SIGHUP"))
    if state.settings.watch:
        state.watcher = asyncio.create_task(_watch(state))
    served = sum(e.served is not None for e in state.registry.entries.values())
    _log.info(
        "serving %d of %d rulesets from %s",
        served,
        len(state.registry.entries),
        state.registry.folder,
    )


async def _stop(state: State) -> None:
    state.stopping.set()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
    if state.watcher is not None:
        state.watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await state.watcher
    await state.pool.close()


_RELOADS: set[asyncio.Task[None]] = set()


def _reload_soon(state: State, changed: set[str] | None, why: str) -> None:
    task = asyncio.create_task(_reload(state, changed, why))
    _RELOADS.add(task)
    task.add_done_callback(_RELOADS.discard)


async def _reload(state: State, changed: set[str] | None, why: str) -> None:
    _log.info("reloading (%s)", why)
    try:
        await state.registry.reload(changed)
    except Exception:
        _log.exception("the reload failed; the versions in service stay")
        metrics.RELOAD_FAILURES.inc()
    _count_served(state)


def _count_served(state: State) -> None:
    served = sum(e.served is not None for e in state.registry.entries.values())
    metrics.RULESETS_SERVED.set(served)


async def _watch(state: State) -> None:
    """Reload the rulesets whose files change, for as long as the server runs."""
    from watchfiles import awatch

    folder = state.registry.folder
    try:
        async for changes in awatch(folder, stop_event=state.stopping, debounce=200, step=50):
            changed = {path for _change, path in changes}
            await _reload(state, changed, f"{len(changed)} files changed")
    except (OSError, RuntimeError) as problem:
        _log.error("the files are no longer watched (%s): reload with SIGHUP", problem)


# ---- errors --------------------------------------------------------------------------------


def problem_response(
    problem: Problem, closing: bool = False, headers: Mapping[str, str] | None = None
) -> Response:
    """The one place an error is answered: its text escaped as the CLI prints it, so that
    what a message echoes of a request (a lone surrogate, a control) can never break it."""
    sent = dict(headers or {})
    if problem.status == 401:
        sent["WWW-Authenticate"] = "Bearer"
    if closing:
        sent["Connection"] = "close"
    return JSONResponse(_printable(problem.to_dict()), status_code=problem.status, headers=sent)


def _printable(value: Any) -> Any:
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {_printable(key): _printable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_printable(item) for item in value]
    return value


async def _api_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiError)
    if error.problem.status == 503 and error.problem.code == "timeout":
        metrics.TIMEOUTS.inc()
    return problem_response(error.problem, error.closing)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    code = _STATUS_TEXT.get(error.status_code, "http-error")
    if error.status_code == 404:
        message = f"no endpoint at {request.url.path}"
    elif error.status_code == 405:
        allowed = (error.headers or {}).get("Allow", "")
        message = f"{request.method} is not allowed at {request.url.path} (allowed: {allowed})"
    else:
        message = error.detail
    return problem_response(Problem(error.status_code, code, message), headers=error.headers)


async def _unforeseen(request: Request, error: Exception) -> Response:
    _log.error("unforeseen error", exc_info=error)
    return problem_response(
        Problem(500, "internal", "the server failed on this request; its log says why")
    )


# ---- what every request passes -------------------------------------------------------------


class _Guard:
    """Each request's id (its `X-Request-Id`, if a sane one, else a new one), the token where
    one is set (compared in constant time), and its access log line and metrics."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = None if token is None else token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope["headers"])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        answered: dict[str, int] = {"status": 500, "bytes": 0}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                answered["status"] = message["status"]
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            elif message["type"] == "http.response.body":
                answered["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            if self._allowed(scope["path"], headers.get(b"authorization")):
                await self.app(scope, receive, send_with_id)
            else:
                problem = Problem(
                    401, "unauthorized", "this server needs its token: Authorization: Bearer TOKEN"
                )
                await problem_response(problem)(scope, receive, send_with_id)
        finally:
            self._record(scope, request_id, answered, time.perf_counter() - started)

    def _allowed(self, path: str, authorization: bytes | None) -> bool:
        if self.token is None or path in OPEN_PATHS:
            return True
        scheme, _, given = (authorization or b"").partition(b" ")
        # RFC 9110: the scheme is case-insensitive; the token is compared in constant time.
        return scheme.lower() == b"bearer" and hmac.compare_digest(given, self.token)

    def _record(
        self, scope: Scope, request_id: str, answered: dict[str, int], seconds: float
    ) -> None:
        route = _route_of(scope)
        metrics.REQUESTS.labels(scope["method"], route, str(answered["status"])).inc()
        metrics.LATENCY.labels(route).observe(seconds)
        client = scope.get("client")
        logs.access(
            {
                "request_id": request_id,
                "method": scope["method"],
                "path": scope["path"],
                "route": route,
                "status": answered["status"],
                "bytes": answered["bytes"],
                "duration_ms": round(seconds * 1000, 3),
                "client": f"{client[0]}:{client[1]}" if client else None,
            }
        )


def _route_of(scope: MutableMapping[str, Any]) -> str:
    """The route's template (`/v1/rulesets/{name}/evaluate`), so that metrics do not grow a
    series per ruleset name or stray path."""
    for route in ROUTES:
        match, _ = route.matches(dict(scope))
        if match is not Match.NONE:
            return route.path
    return "unmatched"
