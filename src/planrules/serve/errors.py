"""The one shape of every error the API answers: `{"error": {"code", "message",
"diagnostics"?}}`, with a fitting status. Never a traceback."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from planrules.lang.diagnostics import Diagnostic, format_diagnostic
from planrules.lang.source import Source


@attrs.frozen
class Problem:
    """An error as the API answers it; `status` is the HTTP status."""

    status: int
    code: str
    message: str
    diagnostics: tuple[dict[str, Any], ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.diagnostics is not None:
            body["diagnostics"] = list(self.diagnostics)
        return {"error": body}


class ApiError(Exception):
    """Raised by a route; the app answers with its problem, and ends the connection where
    `closing` (the rest of a body of unknown length is not read)."""

    def __init__(
        self, status: int, code: str, message: str, diagnostics: Any = None, closing: bool = False
    ) -> None:
        super().__init__(message)
        self.problem = Problem(status, code, message, diagnostics)
        self.closing = closing


_SERVED_FOLDER_ONLY = (
    "the server reads files only inside the folder it serves: move the file into it"
)


def diagnostics_json(
    diagnostics: Iterable[Diagnostic], sources: Mapping[str, Source], root: str | None = None
) -> tuple[dict[str, Any], ...]:
    """Diagnostics as an editor wants them: code, severity, message, hint, the range (lines
    and columns from 1, columns in code points) and the text `planrules check` prints. Files
    below `root` are named relative to it, so that a response does not show where the server
    keeps them."""
    return tuple(
        _diagnostic_json(diagnostic, sources.get(diagnostic.span.file), root)
        for diagnostic in diagnostics
    )


def _diagnostic_json(
    diagnostic: Diagnostic, source: Source | None, root: str | None
) -> dict[str, Any]:
    span = diagnostic.span
    file = _shown_path(span.file, root)
    hint = diagnostic.hint
    if diagnostic.code == "path-outside-root" and "--allow-path" in str(hint):
        # A server has no flags: it reads only inside the folder it serves.
        hint = _SERVED_FOLDER_ONLY
    shown = attrs.evolve(diagnostic, span=attrs.evolve(span, file=file), hint=hint)
    return {
        "code": diagnostic.code,
        "severity": diagnostic.severity,
        "message": str(diagnostic.message),
        "hint": None if hint is None else str(hint),
        "file": file,
        "line": span.line,
        "column": span.column,
        "end_line": span.end_line,
        "end_column": span.end_column,
        "text": format_diagnostic(shown, source),
    }


def _shown_path(path: str, root: str | None) -> str:
    if root is None or not os.path.isabs(path):
        return path
    relative = os.path.relpath(path, root)
    return path if relative.startswith("..") else relative
