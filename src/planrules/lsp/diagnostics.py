"""The checker's diagnostics as the protocol's: each with its code, range and message as
`planrules check` writes them (in the ruleset's `locale` where it gives one), the hint as
related information, and a did-you-mean's name kept for the code action that applies it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from lsprotocol import types as lsp

from planrules.lang.diagnostics import Diagnostic
from planrules.lang.messages import Message
from planrules.lsp.analysis import Analysis
from planrules.lsp.positions import LineMap

SOURCE = "planrules"
# The checker's hint for a name it knows a close one to (`planrules.lang.exprcheck`, the
# parser's keyword hints, the checker's names).
DID_YOU_MEAN = "did you mean `{name}`?"


def suggestion(diagnostic: Diagnostic) -> str | None:
    """The name a diagnostic's did-you-mean hint offers, if it has one."""
    hint = diagnostic.hint
    if isinstance(hint, Message) and hint.template == DID_YOU_MEAN:
        name = hint.fields.get("name")
        return str(name) if name is not None else None
    return None


def own_diagnostics(analysis: Analysis) -> list[Diagnostic]:
    """The diagnostics in the analysed file itself (a test file's check also reads the ruleset
    it tests, whose problems belong to that file)."""
    return [d for d in analysis.checked.diagnostics if d.span.file == analysis.path]


def protocol_diagnostics(analysis: Analysis, uri: str) -> list[lsp.Diagnostic]:
    lines = analysis.lines
    with reader_language(analysis.checked.locale) as say:
        return [_converted(d, lines, uri, say) for d in own_diagnostics(analysis)]


def _converted(
    diagnostic: Diagnostic, lines: LineMap, uri: str, say: Callable[[str], str]
) -> lsp.Diagnostic:
    span_range = lines.range(diagnostic.span)
    related = None
    if diagnostic.hint:
        location = lsp.Location(uri=uri, range=span_range)
        related = [
            lsp.DiagnosticRelatedInformation(location=location, message=say(diagnostic.hint))
        ]
    replacement = suggestion(diagnostic)
    return lsp.Diagnostic(
        range=span_range,
        message=say(diagnostic.message),
        severity=(
            lsp.DiagnosticSeverity.Error if diagnostic.is_error else lsp.DiagnosticSeverity.Warning
        ),
        code=diagnostic.code,
        source=SOURCE,
        related_information=related,
        data={"replacement": replacement} if replacement is not None else None,
    )


@contextmanager
def reader_language(locale: str | None) -> Iterator[Callable[[str], str]]:
    """Messages in the ruleset's `locale`, as `planrules check` writes them by default; in
    English where the `i18n` extra that speaks it is not installed."""
    from planrules.i18n import MissingExtra, language, speaking, spoken

    try:
        language(locale)
    except (MissingExtra, ValueError):  # no extra to speak it, or no such language
        yield str
        return
    with speaking(locale):
        yield spoken
