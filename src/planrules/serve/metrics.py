"""`GET /metrics`, in the Prometheus text format (prometheus-client).

With one server worker the figures are that process's. With `--workers N`, `planrules serve`
points PROMETHEUS_MULTIPROC_DIR at a folder of its own before the workers start, each worker
writes its figures there, and whichever worker answers adds up all of them.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

# This module's own registry: the process's default one may hold a host application's.
REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "planrules_http_requests",
    "HTTP requests answered, by method, route and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "planrules_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by route.",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
EVALUATIONS = Counter(
    "planrules_evaluations",
    "Evaluations made, by ruleset and the report's status.",
    ["ruleset", "status"],
    registry=REGISTRY,
)
RELOAD_FAILURES = Counter(
    "planrules_reload_failures",
    "Ruleset files that failed to load (the version in service, if any, stayed).",
    registry=REGISTRY,
)
TIMEOUTS = Counter(
    "planrules_timeouts",
    "Requests that ran past the time limit (their evaluation process was replaced).",
    registry=REGISTRY,
)
RULESETS_SERVED = Gauge(
    "planrules_rulesets_served",
    "Rulesets with a version in service.",
    registry=REGISTRY,
    multiprocess_mode="livemax",
)


def exposition() -> bytes:
    """Every figure, of this process or of every worker's."""
    folder = os.environ.get(MULTIPROCESS_VARIABLE)
    if not folder:
        return generate_latest(REGISTRY)
    gathered = CollectorRegistry()
    MultiProcessCollector(gathered, folder)  # type: ignore[no-untyped-call]
    return generate_latest(gathered)
