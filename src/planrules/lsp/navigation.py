"""Go to definition, find references and rename, across the files joined by `use`: a ruleset
and the test files (and other rulesets) that use it."""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterator

from lsprotocol import types as lsp
from pygls.uris import from_fs_path

from planrules.lang import exprcheck
from planrules.lang import syntax as s
from planrules.lang.check import check_source
from planrules.lang.source import Source
from planrules.lsp.analysis import Analysis, Documents
from planrules.lsp.grammar import spellings
from planrules.lsp.index import FileIndex, Occurrence, Symbol, quoted

# The name that stands for the current key of a `per` trigger.
CURRENT_KEY = "key"

_NAME = re.compile(r"[^\W\d]\w*")


class RenameRefused(Exception):
    """A new name that cannot be given: not a name, or one already taken."""


def occurrence_at(analysis: Analysis, position: lsp.Position) -> Occurrence | None:
    index = analysis.index
    if index is None:
        return None
    return index.at(*index.lines.line_column(index.lines.offset_at(position)))


def _same(symbol: Symbol, other: Symbol) -> bool:
    """Whether two occurrences name one thing; a line whose budget could not be told (an
    action in a file without the budget) is taken as any budget's line of that key."""
    if symbol.kind != other.kind or symbol.name != other.name:
        return False
    return symbol.kind != "line" or "" in (symbol.scope, other.scope) or symbol.scope == other.scope


def _declaring(
    documents: Documents, path: str, symbol: Symbol
) -> tuple[FileIndex, Occurrence] | None:
    for index in documents.visible(path):
        for occurrence in index.occurrences:
            if occurrence.definition and _same(symbol, occurrence.symbol):
                return index, occurrence
    return None


def _location(index: FileIndex, occurrence: Occurrence) -> lsp.Location:
    return lsp.Location(
        uri=from_fs_path(index.path) or index.path, range=index.lines.range(occurrence.span)
    )


def definition(
    documents: Documents, analysis: Analysis, position: lsp.Position
) -> list[lsp.Location]:
    occurrence = occurrence_at(analysis, position)
    if occurrence is None:
        return []
    found = _declaring(documents, analysis.path, occurrence.symbol)
    return [_location(*found)] if found is not None else []


def _all_occurrences(
    documents: Documents, analysis: Analysis, position: lsp.Position, open_paths: list[str]
) -> tuple[Symbol, list[tuple[FileIndex, Occurrence]]] | None:
    occurrence = occurrence_at(analysis, position)
    if occurrence is None:
        return None
    declared = _declaring(documents, analysis.path, occurrence.symbol)
    if declared is None:
        return None
    symbol = declared[1].symbol
    found = [
        (index, other)
        for index in documents.readers_of(declared[0].path, open_paths)
        for other in index.occurrences
        if _same(symbol, other.symbol)
    ]
    return symbol, found


def references(
    documents: Documents,
    analysis: Analysis,
    position: lsp.Position,
    open_paths: list[str],
    include_declaration: bool,
) -> list[lsp.Location]:
    found = _all_occurrences(documents, analysis, position, open_paths)
    if found is None:
        return []
    return [
        _location(index, occurrence)
        for index, occurrence in found[1]
        if include_declaration or not occurrence.definition
    ]


def prepare_rename(analysis: Analysis, position: lsp.Position) -> lsp.Range | None:
    occurrence = occurrence_at(analysis, position)
    if occurrence is None or analysis.index is None:
        return None
    return analysis.index.lines.range(occurrence.span)


def rename(
    documents: Documents,
    analysis: Analysis,
    position: lsp.Position,
    new_name: str,
    open_paths: list[str],
) -> lsp.WorkspaceEdit | None:
    """Every occurrence renamed, in every file that reads it; raises RenameRefused for a name
    that is not one, or that something the files see already has."""
    found = _all_occurrences(documents, analysis, position, open_paths)
    if found is None:
        return None
    symbol, occurrences = found
    new_name = new_name.strip()
    _refuse_bad_name(symbol, new_name)
    files = {index.path: index for index, _ in occurrences}
    for path in files:
        if any(_taken(index, symbol, new_name) for index in documents.visible(path)):
            raise RenameRefused(f"`{new_name}` is already declared where `{symbol.name}` is read")
    _refuse_changed_meaning(documents, symbol, new_name, occurrences, open_paths)
    changes: dict[str, list[lsp.TextEdit]] = {}
    for index, occurrence in occurrences:
        uri = from_fs_path(index.path) or index.path
        changes.setdefault(uri, []).append(
            lsp.TextEdit(
                range=index.lines.range(occurrence.span), new_text=_spelt(occurrence, new_name)
            )
        )
    return lsp.WorkspaceEdit(changes=changes)


def _refuse_changed_meaning(
    documents: Documents,
    symbol: Symbol,
    new_name: str,
    occurrences: list[tuple[FileIndex, Occurrence]],
    open_paths: list[str],
) -> None:
    """Refuse a rename after which the files would not read as before: the renamed files, and
    those that read them, checked again as edited must find the problems they find now, and
    no other."""
    edited: dict[str, Source] = {}
    for path in dict.fromkeys(index.path for index, _ in occurrences):
        index = next(i for i, _ in occurrences if i.path == path)
        text = index.lines.text
        spans = sorted(
            (index.lines.span_offsets(o.span), _spelt(o, new_name))
            for i, o in occurrences
            if i.path == path
        )
        for (start, end), spelt in reversed(spans):
            text = text[:start] + spelt + text[end:]
        edited[path] = Source.from_text(path, text)

    def read(path: str) -> Source:
        return edited[path] if path in edited else documents.source(path)

    readers = {r.path for path in edited for r in documents.readers_of(path, open_paths)}
    for path in sorted(edited.keys() | readers):
        before = Counter(d.code for d in documents.analyse(path).checked.diagnostics)
        after = Counter(d.code for d in check_source(read(path), read).diagnostics)
        if after != before:
            found = ", ".join(sorted((after - before).keys() | (before - after).keys()))
            raise RenameRefused(
                f"renaming `{symbol.name}` to `{new_name}` would change what the files mean"
                f" ({found})"
            )


def _refuse_bad_name(symbol: Symbol, new_name: str) -> None:
    if not new_name or "\n" in new_name:
        raise RenameRefused("a name cannot be empty or span lines")
    if symbol.kind == "name" and not _NAME.fullmatch(new_name):
        raise RenameRefused(
            f"`{new_name}` is not a name: letters, digits and `_`, not starting with a digit"
        )
    if symbol.kind == "name" and _reserved(new_name):
        raise RenameRefused(f"`{new_name}` is a word the language gives a meaning to")


def _reserved(name: str) -> bool:
    """A word the language reads as its own where a name stands: a keyword, `key` (the key
    of a `per` trigger, in its actions and texts) or a function."""
    return name in _keywords() or name == CURRENT_KEY or name in exprcheck.FUNCTIONS


@functools.cache
def _keywords() -> frozenset[str]:
    return frozenset(word for word in spellings().values() if word.isidentifier())


def _spelt(occurrence: Occurrence, new_name: str) -> str:
    if occurrence.symbol.kind == "rule":
        return quoted(new_name)
    if occurrence.quoted or not _NAME.fullmatch(new_name) or _reserved(new_name):
        return quoted(new_name)
    return new_name


def _taken(index: FileIndex, symbol: Symbol, new_name: str) -> bool:
    return any(
        other.kind == symbol.kind
        and other.name == new_name
        and (symbol.kind != "line" or other.scope == symbol.scope)
        for other in _declared(index)
    )


def _declared(index: FileIndex) -> Iterator[Symbol]:
    yield from (o.symbol for o in index.occurrences if o.definition)
    for node in index.module.declarations:
        if isinstance(node, s.Metric | s.Table | s.Let):  # declared though its name was not found
            yield Symbol("name", node.name)
