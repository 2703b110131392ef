"""The OpenAPI document of the API (`GET /openapi.json`), and `GET /docs`, a page rendering it
that loads nothing from elsewhere."""

from __future__ import annotations

import html
import json
from typing import Any

from planrules import __version__
from planrules.serve.jobs import EXPLAIN_FORMATS, REPLAY_FORMATS, REPORT_MEDIA

_REF = "#/components/schemas/"
_ERRORS = {
    400: "Bad JSON, a bad field, or snapshots that cannot be read (the message names the "
    "snapshot, period and metric).",
    401: "The token is missing or wrong (where the server has one).",
    404: "No ruleset of that name.",
    413: "The body is larger than the server's limit.",
    415: "The body is not JSON (`Content-Type: application/json`).",
    422: "The ruleset's file has errors and no version of it is in service.",
    405: "The path does not take this method; the `Allow` header lists those it does.",
    503: "No ruleset loaded yet (`not-ready`), no evaluation process free (`busy`), the time "
    "limit passed (`timeout`), or the evaluation process ended on this request "
    "(`worker-died`: try again).",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(status): _error(status) for status in (*statuses, 405)}


def _error(status: int) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": _ERRORS[status], "content": _json(_ref("Error"))}
    if status == 405:
        answer["headers"] = {"Allow": {"schema": {"type": "string"}}}
    return answer


def _nullable(kind: str) -> dict[str, Any]:
    return {"type": [kind, "null"]}


_SNAPSHOT_LIST = {"type": "array", "items": _ref("Snapshot"), "minItems": 1}
_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "diagnostics": {"type": "array", "items": _ref("Diagnostic")},
                },
            }
        },
    },
    "Diagnostic": {
        "type": "object",
        "required": ["code", "severity", "message", "file", "line", "column", "text"],
        "properties": {
            "code": {"type": "string", "description": "The stable code (`unknown-name`)."},
            "severity": {"enum": ["error", "warning"]},
            "message": {"type": "string"},
            "hint": _nullable("string"),
            "file": {"type": "string"},
            "line": _nullable("integer"),
            "column": {**_nullable("integer"), "description": "In code points, from 1."},
            "end_line": _nullable("integer"),
            "end_column": _nullable("integer"),
            "text": {"type": "string", "description": "As `planrules check` prints it."},
        },
    },
    "Snapshots": {
        "description": "Snapshots in the JSON form of docs/LANGUAGE.md: a list of "
        '`{"period": "2026-08", "metrics": {...}}`, one snapshot, or `{"snapshots": [...]}`. '
        "Numbers are read exactly from their text.",
        "anyOf": [
            _SNAPSHOT_LIST,
            _ref("Snapshot"),
            {
                "type": "object",
                "required": ["snapshots"],
                "properties": {"snapshots": _SNAPSHOT_LIST},
            },
        ],
    },
    "Snapshot": {
        "type": "object",
        "required": ["period", "metrics"],
        "properties": {
            "period": {"type": "string", "examples": ["2026-08"]},
            "metrics": {
                "type": "object",
                "description": "A value per metric: a number, null, or for a keyed metric "
                "an object of a number (or null) per key.",
            },
        },
    },
    "EvaluateRequest": {
        "type": "object",
        "required": ["snapshots"],
        "additionalProperties": False,
        "properties": {
            "snapshots": _ref("Snapshots"),
            "at": {**_nullable("string"), "description": "The current period; the last one."},
            "strict": {"type": "boolean", "description": "Count an unknown result as failing."},
        },
    },
    "ReplayRequest": {
        "type": "object",
        "required": ["snapshots"],
        "additionalProperties": False,
        "properties": {"snapshots": _ref("Snapshots"), "strict": {"type": "boolean"}},
    },
    "ExplainRequest": {
        "type": "object",
        "required": ["snapshots", "rule"],
        "additionalProperties": False,
        "properties": {
            "snapshots": _ref("Snapshots"),
            "rule": {"type": "string"},
            "key": {**_nullable("string"), "description": "The key of a `per` rule."},
            "at": _nullable("string"),
        },
    },
    "CheckRequest": {
        "type": "object",
        "required": ["ruleset"],
        "additionalProperties": False,
        "properties": {
            "ruleset": {
                "type": "string",
                "description": 'A ruleset\'s text; it reads no file (`use` and `snapshots "..."`'
                " are refused).",
            }
        },
    },
    "CheckResult": {
        "type": "object",
        "required": ["ok", "errors", "warnings", "diagnostics"],
        "properties": {
            "ok": {"type": "boolean"},
            "errors": {"type": "integer"},
            "warnings": {"type": "integer"},
            "diagnostics": {"type": "array", "items": _ref("Diagnostic")},
        },
    },
    "Report": {
        "description": "The JSON report of docs/LANGUAGE.md, as `planrules eval --format json`.",
        "type": "object",
        "required": ["ruleset", "as_of", "status", "counts", "results"],
        "properties": {
            "ruleset": {"type": "string"},
            "as_of": {"type": "string"},
            "status": {"enum": ["pass", "warn", "fail", "unknown"]},
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
            "results": {"type": "array", "items": {"type": "object"}},
            "adjustments": {"type": "array"},
            "allocations": {"type": "object"},
            "recommendations": {"type": "array"},
            "warnings": {"type": "array"},
        },
    },
    "Replay": {
        "type": "object",
        "required": ["ruleset", "periods", "status", "rules"],
        "properties": {
            "ruleset": {"type": "string"},
            "periods": {"type": "array", "items": {"type": "string"}},
            "status": {"type": "object", "additionalProperties": {"type": "string"}},
            "warnings": {"type": "array"},
            "rules": {"type": "array", "items": {"type": "object"}},
        },
    },
    "Explanation": {
        "type": "object",
        "required": ["rule", "kind", "key", "as_of", "status", "steps"],
        "properties": {
            "rule": {"type": "string"},
            "kind": {"type": "string"},
            "key": _nullable("string"),
            "as_of": {"type": "string"},
            "status": {"type": "string"},
            "reason": _nullable("string"),
            "steps": {"type": "array"},
        },
    },
    "RulesetSummary": {
        "type": "object",
        "required": ["name", "served", "hash", "rules", "loaded_at", "diagnostics"],
        "properties": {
            "name": {"type": "string", "description": "The file's stem."},
            "served": {"type": "boolean"},
            "hash": {**_nullable("string"), "description": "sha256 of the files read."},
            "rules": _nullable("integer"),
            "loaded_at": _nullable("string"),
            "diagnostics": {
                "type": ["array", "null"],
                "items": _ref("Diagnostic"),
                "description": "Where the file on disk fails to load (the version in "
                "service, if any, stays).",
            },
            "failed_at": _nullable("string"),
            "failed_hash": _nullable("string"),
        },
    },
    "RulesetList": {
        "type": "object",
        "required": ["rulesets"],
        "properties": {"rulesets": {"type": "array", "items": _ref("RulesetSummary")}},
    },
    "RulesetDescription": {
        "type": "object",
        "required": ["name", "hash", "metrics", "rules"],
        "properties": {
            "name": {"type": "string"},
            "ruleset": _nullable("string"),
            "hash": {"type": "string"},
            "loaded_at": {"type": "string"},
            "currency": _nullable("string"),
            "period": {"type": ["object", "null"]},
            "metrics": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "unit", "dimension", "stock"],
                    "properties": {
                        "name": {"type": "string"},
                        "unit": {"enum": ["count", "money", "ratio", "number"]},
                        "dimension": _nullable("string"),
                        "stock": {"type": "boolean"},
                        "description": _nullable("string"),
                    },
                },
            },
            "rules": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "kind", "owner"],
                    "properties": {
                        "name": {"type": "string"},
                        "kind": {"enum": ["goal", "threshold", "budget", "trigger"]},
                        "per": _nullable("string"),
                        "owner": _nullable("string"),
                    },
                },
            },
        },
    },
    "Health": {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"type": "string"}, "rulesets": {"type": "integer"}},
    },
}


def _name_parameter() -> dict[str, Any]:
    return {
        "name": "name",
        "in": "path",
        "required": True,
        "description": "The ruleset's name: its file's stem.",
        "schema": {"type": "string"},
    }


def _format_parameter(formats: tuple[str, ...]) -> dict[str, Any]:
    return {
        "name": "format",
        "in": "query",
        "required": False,
        "schema": {"enum": list(formats), "default": "json"},
    }


def _post(
    summary: str, request: str, formats: tuple[str, ...], result: str, named: bool = True
) -> dict[str, Any]:
    content = {
        REPORT_MEDIA[format].split(";")[0]: {"schema": _ref(result) if format == "json" else {}}
        for format in formats
    }
    statuses = (400, 401, 404, 413, 415, 422, 503) if named else (400, 401, 413, 415, 503)
    return {
        "post": {
            "summary": summary,
            "parameters": [_name_parameter()] * named
            + ([_format_parameter(formats)] if len(formats) > 1 else []),
            "requestBody": {"required": True, "content": _json(_ref(request))},
            "responses": {
                "200": {"description": summary, "content": content},
                **_errors(*statuses),
            },
        }
    }


def _get(
    summary: str, result: str, statuses: tuple[int, ...], open_: bool = False
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "responses": {
            "200": {"description": summary, "content": _json(_ref(result))},
            **_errors(*statuses),
        },
    }
    if open_:
        operation["security"] = []
    return {"get": operation}


def document() -> dict[str, Any]:
    report_formats = ("json", "text", "markdown", "junit", "html")
    named = {"parameters": [_name_parameter()]}
    describe = _get(
        "What a caller must send: metrics, rules and owners",
        "RulesetDescription",
        (401, 404, 422, 503),
    )
    describe["get"].update(named)
    evaluate = _post("The report at a period", "EvaluateRequest", report_formats, "Report")
    evaluate["post"]["responses"]["200"]["headers"] = {
        "Planrules-Currency": {
            "description": "The ruleset's currency (absent where it has none).",
            "schema": {"type": "string"},
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "planrules",
            "version": __version__,
            "description": "Rulesets for business plans, evaluated against metric snapshots.",
        },
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"token": []}],
        "paths": {
            "/healthz": _get("The server is alive", "Health", (), open_=True),
            "/readyz": _get("A ruleset is in service", "Health", (503,), open_=True),
            "/v1/rulesets": _get(
                "Every ruleset, its version in service and problems", "RulesetList", (401,)
            ),
            "/v1/rulesets/{name}": describe,
            "/v1/rulesets/{name}/evaluate": evaluate,
            "/v1/rulesets/{name}/replay": _post(
                "Every rule's status at every period", "ReplayRequest", REPLAY_FORMATS, "Replay"
            ),
            "/v1/rulesets/{name}/explain": _post(
                "How one result came about", "ExplainRequest", EXPLAIN_FORMATS, "Explanation"
            ),
            "/v1/check": _post(
                "A ruleset's diagnostics", "CheckRequest", ("json",), "CheckResult", named=False
            ),
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics",
                    "responses": {
                        "200": {
                            "description": "The text format",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        },
                        **_errors(401),
                    },
                }
            },
        },
    }


def docs_page(spec: dict[str, Any]) -> str:
    """The document as one self-contained page: each endpoint, its body and its answers."""
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(spec['info']['title'])} API</title>",
        "<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60em;margin:2em auto;"
        "padding:0 1em}code,pre{background:#f4f4f4;padding:.1em .3em}pre{padding:.6em;"
        "overflow:auto}h2{border-top:1px solid #ccc;padding-top:.6em}</style></head><body>",
        f"<h1>{html.escape(spec['info']['title'])} {html.escape(spec['info']['version'])}</h1>",
        f"<p>{html.escape(spec['info']['description'])} The document: "
        "<a href='/openapi.json'>/openapi.json</a>.</p>",
    ]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            parts.append(f"<h2><code>{method.upper()} {html.escape(path)}</code></h2>")
            parts.append(f"<p>{html.escape(operation['summary'])}</p>")
            body = operation.get("requestBody")
            if body is not None:
                schema = body["content"]["application/json"]["schema"]
                parts.append("<h3>Body</h3>" + _schema_block(schema, spec))
            parts.append("<h3>Answers</h3><ul>")
            for status, answer in operation["responses"].items():
                media = ", ".join(answer.get("content", {}))
                parts.append(
                    f"<li><b>{status}</b> {html.escape(answer['description'])}"
                    + (f" <code>{html.escape(media)}</code>" if media else "")
                    + "</li>"
                )
            parts.append("</ul>")
    parts.append("</body></html>")
    return "".join(parts)


def _schema_block(schema: dict[str, Any], spec: dict[str, Any]) -> str:
    name = schema["$ref"].removeprefix(_REF)
    shown = spec["components"]["schemas"][name]
    return f"<p><code>{name}</code></p><pre>{html.escape(json.dumps(shown, indent=2))}</pre>"
