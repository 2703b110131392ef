"""The work of one request, done in an evaluation process (see `pool`): the body read, the
snapshots checked, the ruleset evaluated, the report written. Everything that costs CPU is
here, so the server's event loop only passes bytes along.

A job carries the version of the ruleset it asked for (its sources, as checked when loaded),
so a request finishes on the version it started with, whatever a reload did since; an
evaluation process compiles each version once and keeps the latest of each ruleset.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from planrules.lang.diagnostics import InputError, PlanError
from planrules.lang.source import Source
from planrules.lang.workspace import Access
from planrules.serve.errors import ApiError, Problem, diagnostics_json

if TYPE_CHECKING:
    from planrules.eval.evaluate import Ruleset
    from planrules.eval.history import History

REPORT_MEDIA = {
    "json": "application/json",
    "text": "text/plain; charset=utf-8",
    "markdown": "text/markdown; charset=utf-8",
    "junit": "application/xml",
    "html": "text/html; charset=utf-8",
}
REPLAY_FORMATS = ("json", "text", "html")
EXPLAIN_FORMATS = ("json", "text")
# Where a sent ruleset or snapshot is said to be, in messages.
BODY = "body"
SENT_RULESET = "<request>"

_log = logging.getLogger("planrules.serve")


@attrs.frozen
class Version:
    """One version of a served ruleset: what a process needs to compile it again exactly."""

    name: str
    digest: str
    path: str
    sources: tuple[tuple[str, str], ...]  # every file read, path and text, as checked


@attrs.frozen
class Job:
    operation: str  # evaluate, replay, explain, check, or prepare
    version: Version | None = None
    body: bytes = b""
    format: str = "json"
    # For `prepare`: the versions in service, compiled before the process takes a request.
    versions: tuple[Version, ...] = ()


@attrs.frozen
class Outcome:
    """What a job answers: a response's status, media type and text; for an evaluation, the
    report's status (for the metrics); or a problem."""

    status: int = 200
    media_type: str = "application/json"
    text: str = ""
    report_status: str | None = None
    problem: Problem | None = None


def run_job(job: Job) -> Outcome:
    """A job's outcome; never raises: bad input is a problem naming its place, and anything
    unforeseen is logged here and answered as an internal error without its details."""
    try:
        return _OPERATIONS[job.operation](job)
    except ApiError as error:
        return Outcome(error.problem.status, problem=error.problem)
    except PlanError as problem:
        return Outcome(400, problem=Problem(400, _code_of(problem), _http_message(problem)))
    except Exception:
        _log.exception("a %s job failed", job.operation)
        message = "the server failed on this request; its log says why"
        return Outcome(500, problem=Problem(500, "internal", message))


def _code_of(problem: PlanError) -> str:
    from planrules.eval.snapshot import DATA_ORIGIN, SnapshotError

    # The snapshots as a whole (none at all) are named by their origin.
    about_snapshots = isinstance(problem, InputError) and problem.path == DATA_ORIGIN
    return (
        "bad-snapshots" if isinstance(problem, SnapshotError) or about_snapshots else "bad-request"
    )


# The library's words for the command line, said in the body's fields: HTTP has no flags.
_HTTP_WORDING = (
    ("leave out --key", "leave out `key`"),
    ("choose a key with --key:", "choose a key with `key`:"),
    (
        "roll them up with `--roll-up` or the header `roll up`",
        "roll them up with the header `roll up`",
    ),
)


def _http_message(problem: PlanError) -> str:
    if isinstance(problem, InputError) and problem.path == "--at":
        return f"{BODY}: `at`: {problem.reason}"
    message = str(problem)
    for command_line, http in _HTTP_WORDING:
        message = message.replace(command_line, http)
    return message


# ---- the operations ------------------------------------------------------------------------


def _evaluate(job: Job) -> Outcome:
    from planrules.report.render import render

    ruleset = compiled(_version(job))
    body = _fields(job.body, required={"snapshots"}, optional={"at", "strict"})
    history = _history(ruleset, body)
    at, strict = _text_or_none(body, "at"), _flag(body, "strict")
    report = ruleset.evaluate(history, at=at, strict=strict)
    if job.format == "json":
        text = report.to_json()
    elif job.format == "html":
        text = _html(ruleset, history, report, strict)
    else:
        text = render(report, job.format)
    return Outcome(200, REPORT_MEDIA[job.format], text, report.status)


def _html(ruleset: Ruleset, history: object, report: Any, strict: bool) -> str:
    from planrules.report.html import MissingHtmlExtra, history_of, render_html

    try:
        return render_html(report, history_of(ruleset, history, strict), ruleset)
    except MissingHtmlExtra as missing:
        raise ApiError(501, "not-installed", str(missing)) from None


def _replay(job: Job) -> Outcome:
    from planrules.report.render import render_replay

    ruleset = compiled(_version(job))
    body = _fields(job.body, required={"snapshots"}, optional={"strict"})
    replay = ruleset.replay(_history(ruleset, body), strict=_flag(body, "strict"))
    return Outcome(200, REPORT_MEDIA[job.format], render_replay(replay, job.format))


def _explain(job: Job) -> Outcome:
    from planrules.report.explain import explain, render_explanation

    ruleset = compiled(_version(job))
    body = _fields(job.body, required={"snapshots", "rule"}, optional={"key", "at"})
    rule = body.fields["rule"]
    if not isinstance(rule, str):
        raise ApiError(400, "bad-request", f"{BODY}: `rule` must be text, the rule's name")
    history = _history(ruleset, body)
    explanation = explain(
        ruleset, history, rule, key=_text_or_none(body, "key"), at=_text_or_none(body, "at")
    )
    return Outcome(200, REPORT_MEDIA[job.format], render_explanation(explanation, job.format))


def _check(job: Job) -> Outcome:
    from planrules.lang.check import check_source
    from planrules.report.json_text import json_text

    text = _fields(job.body, required={"ruleset"}, optional=set()).fields["ruleset"]
    if not isinstance(text, str):
        raise ApiError(400, "bad-request", f"{BODY}: `ruleset` must be the ruleset's text")
    source = Source.from_text(SENT_RULESET, text)
    # Nothing is allowed: a sent ruleset reads no file, and its `use`s say so.
    checked = check_source(source, _reads_nothing, Access(roots=()))
    diagnostics = diagnostics_json(
        [_refused(diagnostic) for diagnostic in checked.diagnostics], checked.sources
    )
    errors = sum(d["severity"] == "error" for d in diagnostics)
    body = {
        "ok": errors == 0,
        "errors": errors,
        "warnings": len(diagnostics) - errors,
        "diagnostics": list(diagnostics),
    }
    return Outcome(200, "application/json", json_text(body))


def _reads_nothing(path: str) -> Source:
    raise InputError(path, "a ruleset sent over HTTP reads no file")


def _refused(diagnostic: Any) -> Any:
    """`path-outside-root` said as it is for a sent ruleset: no file is read at all."""
    if diagnostic.code != "path-outside-root":
        return diagnostic
    path = getattr(diagnostic.message, "fields", {}).get("path", "")
    message = (
        f'cannot read "{path}": a ruleset sent over HTTP reads no file (`use` and '
        '`snapshots "..."` are refused there)'
    )
    hint = "check it where its files are, with `planrules check`, or serve it from the folder"
    return attrs.evolve(diagnostic, message=message, hint=hint)


def _prepare(job: Job) -> Outcome:
    """Load what every evaluation needs and compile the versions in service, so that a
    fresh process's first request pays for neither (nor runs past its time limit for it)."""
    import planrules.report.render  # noqa: F401

    for version in job.versions:
        compiled(version)
    return Outcome(200, "text/plain; charset=utf-8", f"{len(job.versions)} compiled")


_OPERATIONS: dict[str, Callable[[Job], Outcome]] = {
    "evaluate": _evaluate,
    "replay": _replay,
    "explain": _explain,
    "check": _check,
    "prepare": _prepare,
}


# ---- the ruleset of a job ------------------------------------------------------------------

# Each ruleset's latest version compiled in this process: its digest, and the ruleset.
_COMPILED: dict[str, tuple[str, Ruleset]] = {}


def _version(job: Job) -> Version:
    assert job.version is not None, f"a {job.operation} job names its ruleset"
    return job.version


def compiled(version: Version) -> Ruleset:
    """The version compiled, from its sources as they were checked (not from disk, which a
    reload may have changed since)."""
    kept = _COMPILED.get(version.name)
    if kept is not None and kept[0] == version.digest:
        return kept[1]
    from planrules.eval.evaluate import Ruleset
    from planrules.lang.check import check_source

    texts = dict(version.sources)

    def read(path: str) -> Source:
        if path not in texts:
            raise InputError(path, "was not read when this version was loaded")
        return Source(path, texts[path])

    checked = check_source(read(version.path), read, Access(roots=None))
    ruleset = Ruleset(checked)
    _COMPILED[version.name] = (version.digest, ruleset)
    return ruleset


# ---- the body ------------------------------------------------------------------------------


@attrs.frozen
class _Body:
    """A request's JSON object, numbers as Decimal from their text; and what JSON allows but
    a plan cannot take (NaN, Infinity), found while reading it."""

    fields: Mapping[str, Any]
    rejected: tuple[str, ...]


def _fields(body: bytes, required: set[str], optional: set[str]) -> _Body:
    """The body read, with the fields named and no others."""
    from planrules.eval.snapshot import SnapshotError, quoted
    from planrules.eval.snapshot_data import DuplicateKeys
    from planrules.eval.snapshot_json import parse_json

    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as problem:
        raise ApiError(
            400, "bad-json", f"{BODY}: is not UTF-8 (byte {problem.start + 1})"
        ) from None
    rejected: list[str] = []
    try:
        data = parse_json(text, BODY, rejected, named_json=True)
    except SnapshotError as problem:
        raise ApiError(400, "bad-json", str(problem)) from None
    if isinstance(data, DuplicateKeys):
        twice = quoted(sorted(data.duplicates)[0])
        raise ApiError(400, "bad-request", f"{BODY}: the field {twice} is given twice")
    if type(data) is not dict:
        raise ApiError(400, "bad-request", f"{BODY}: must be a JSON object")
    missing = sorted(required - data.keys())
    if missing:
        raise ApiError(400, "bad-request", f"{BODY}: `{missing[0]}` is missing")
    unknown = sorted(data.keys() - required - optional)
    if unknown:
        known = ", ".join(f"`{name}`" for name in sorted(required | optional))
        raise ApiError(
            400,
            "bad-request",
            f"{BODY}: {quoted(unknown[0])} is not a field here (the fields: {known})",
        )
    return _Body(data, tuple(rejected))


def _history(ruleset: Ruleset, body: _Body) -> History:
    """The body's snapshots; a NaN or Infinity in them is named with its period and metric
    by the reading, and one elsewhere in the body (not JSON either) after it."""
    history = ruleset.history(body.fields["snapshots"])
    if body.rejected:
        from planrules.eval.snapshot import SnapshotError

        raise SnapshotError(BODY, body.rejected[0])
    return history


def _text_or_none(body: _Body, name: str) -> str | None:
    value = body.fields.get(name)
    if value is None or isinstance(value, str):
        return value
    raise ApiError(400, "bad-request", f"{BODY}: `{name}` must be text or null")


def _flag(body: _Body, name: str) -> bool:
    value = body.fields.get(name, False)
    if isinstance(value, bool):
        return value
    raise ApiError(400, "bad-request", f"{BODY}: `{name}` must be true or false")
