"""The checker's diagnostics as the protocol's: each with its code, range and message as
`planrules check` writes them (in the ruleset's `locale` where it gives one, paths relative to
the file's folder), the hint as related information, and a did-you-mean's name kept for the
code action that applies it.

A problem the check of a file found in another (a ruleset a test file uses, a `use` cycle) is
shown on the `use` line that reaches that file, as `check` writes it (`saado.plan:32:19: code:
message`), with its place in that file as related information: it goes when the check of the
file no longer finds it, whichever file is changed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from lsprotocol import types as lsp
from pygls.uris import from_fs_path

from planrules.lang.diagnostics import Diagnostic, InputError
from planrules.lang.messages import Message
from planrules.lang.source import Span
from planrules.lsp.analysis import Analysis, Documents, resolve_use, used_closure
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


def protocol_diagnostics(
    documents: Documents, analysis: Analysis, uri: str
) -> list[lsp.Diagnostic]:
    lines = analysis.lines
    folder = os.path.dirname(analysis.path)
    found = []
    with reader_language(analysis.checked.locale) as say:

        def said(text: str) -> str:
            return relative_paths(say(text), folder)

        for diagnostic in analysis.checked.diagnostics:
            if diagnostic.span.file == analysis.path:
                found.append(_converted(diagnostic, lines, uri, said))
            else:
                found.append(_elsewhere(documents, analysis, diagnostic, said))
    return found


def relative_paths(message: str, folder: str) -> str:
    """A message with the paths below `folder` written from there, as `check` writes the paths
    it is given."""
    return message.replace(os.path.join(folder, ""), "") if folder else message


def _elsewhere(
    documents: Documents, analysis: Analysis, diagnostic: Diagnostic, say: Callable[[str], str]
) -> lsp.Diagnostic:
    """A problem in another file, on the `use` line that reaches it."""
    elsewhere = diagnostic.span.file
    try:
        written, source = documents.texts(elsewhere)
        place = LineMap(source.text, written).range(diagnostic.span)
    except InputError:
        place = lsp.Range(
            start=lsp.Position(line=0, character=0), end=lsp.Position(line=0, character=0)
        )
    shown = os.path.relpath(elsewhere, os.path.dirname(analysis.path) or ".")
    start = place.start
    message = f"{shown}:{start.line + 1}:{start.character + 1}: {diagnostic.code}: "
    message += say(diagnostic.message)
    target = lsp.Location(uri=from_fs_path(elsewhere) or elsewhere, range=place)
    related = [lsp.DiagnosticRelatedInformation(location=target, message=say(diagnostic.message))]
    if diagnostic.hint:
        related.append(
            lsp.DiagnosticRelatedInformation(location=target, message=say(diagnostic.hint))
        )
    return lsp.Diagnostic(
        range=analysis.lines.range(_use_reaching(documents, analysis, elsewhere)),
        message=message,
        severity=_severity(diagnostic),
        code=diagnostic.code,
        source=SOURCE,
        related_information=related,
    )


def _use_reaching(documents: Documents, analysis: Analysis, elsewhere: str) -> Span:
    """The span of the first `use` of the file through which `elsewhere` is read; the file's
    start where none is found."""
    module = analysis.checked.module or (analysis.index.module if analysis.index else None)
    uses = module.uses if module is not None else ()
    for use in uses:
        if elsewhere in used_closure(resolve_use(analysis.path, use), documents.index):
            return use.span
    return uses[0].span if uses else Span(analysis.path, 1, 1, 1, 1)


def _severity(diagnostic: Diagnostic) -> lsp.DiagnosticSeverity:
    if diagnostic.is_error:
        return lsp.DiagnosticSeverity.Error
    return lsp.DiagnosticSeverity.Warning


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
        severity=_severity(diagnostic),
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
