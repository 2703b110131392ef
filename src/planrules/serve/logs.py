"""Logs as JSON lines on standard error: the access log (one line per request, with its id)
and the server's own messages, uvicorn's included."""

from __future__ import annotations

import datetime
import json
import logging
from typing import Any

ACCESS = logging.getLogger("planrules.serve.access")


class JsonFormatter(logging.Formatter):
    """A record as one JSON object: time, level, logger, message, and the fields given as
    `extra={"fields": {...}}`."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def log_config(level: str = "info") -> dict[str, Any]:
    """The `logging.config.dictConfig` of a server process, for uvicorn's `log_config`."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    quiet = {"handlers": ["stderr"], "level": level.upper(), "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"stderr": handler},
        "loggers": {
            "uvicorn": quiet,
            "uvicorn.error": {"level": level.upper()},
            "planrules": quiet,
            "watchfiles": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        },
    }


def access(fields: dict[str, Any]) -> None:
    ACCESS.info(
        "%s %s %s", fields["method"], fields["path"], fields["status"], extra={"fields": fields}
    )
