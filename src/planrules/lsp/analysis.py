"""The editor's files as the server sees them: open buffers first, the disk for the rest; each
file checked by the checker itself and indexed, and the files that `use` each other found.

An analysis is kept for a text as long as the text is unchanged, so hover, completion and the
rest answer from what the last check found.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from planrules.lang import syntax as s
from planrules.lang.check import Checked, check_source
from planrules.lang.check_uses import resolve_use as resolved_by_checker
from planrules.lang.diagnostics import InputError
from planrules.lang.exprcheck import Scope
from planrules.lang.messages import Message
from planrules.lang.source import Source
from planrules.lang.workspace import (
    PLAN_SUFFIX,
    RULESET_LIMIT,
    Access,
    decode_source,
    read_limited,
)
from planrules.lsp.index import FileIndex, Symbol, build_index
from planrules.lsp.partial import tolerant_module
from planrules.lsp.positions import LineMap

# The text of an open document by its path, None for a file not open.
OpenText = Callable[[str], str | None]


class Analysis:
    """One file: its text and the checker's verdict; the index of what parsed of it is made
    when a request first needs it, so that publishing diagnostics waits for the check alone."""

    def __init__(self, written: str, source: Source, checked: Checked) -> None:
        self.written = written
        self.source = source
        self.checked = checked

    @property
    def path(self) -> str:
        return self.source.path

    @functools.cached_property
    def lines(self) -> LineMap:
        return LineMap(self.source.text, self.written)

    @functools.cached_property
    def index(self) -> FileIndex | None:
        module = self.checked.module  # parsed whole by the check: not parsed again
        if module is None:
            module = tolerant_module(self.source)
        return build_index(module, self.source.text, self.lines) if module is not None else None


class Documents:
    """Open buffers over the disk, and the analyses and indexes of their texts."""

    def __init__(self, open_text: OpenText) -> None:
        self.open_text = open_text
        self._analyses: dict[str, tuple[str, Analysis]] = {}
        self._indexes: dict[str, tuple[str, FileIndex | None]] = {}

    def source(self, path: str) -> Source:
        """The file's text as the checker reads it, from its buffer where it is open; raises
        InputError where it cannot be read."""
        return self.texts(path)[1]

    def texts(self, path: str) -> tuple[str, Source]:
        """The file's text as the editor has it, and as the checker reads it: from its buffer
        where it is open, else from the disk; raises InputError where it cannot be read."""
        written = self.open_text(path)
        if written is None:
            data = read_limited(path, RULESET_LIMIT, Message("a ruleset file"))
            source = decode_source(path, data)
            return data.decode("utf-8-sig"), source
        try:
            return written, decode_source(path, written.encode("utf-8", "surrogatepass"))
        except InputError:  # an empty buffer, or one holding what no file could: checked as is
            return written, Source.from_text(path, written)

    def analyse(self, path: str) -> Analysis:
        written, source = self.texts(path)
        kept = self._analyses.get(path)
        if kept is not None and kept[0] == written and not self._uses_changed(kept[1]):
            return kept[1]
        checked = check_source(source, self.source, Access.below(path))
        analysis = Analysis(written, source, checked)
        self._analyses[path] = (written, analysis)
        return analysis

    def _uses_changed(self, analysis: Analysis) -> bool:
        """Whether a file the analysis read besides its own now reads otherwise."""
        for path, source in analysis.checked.sources.items():
            if path == analysis.path:
                continue
            try:
                if self.source(path).text != source.text:
                    return True
            except InputError:
                return True
        return False

    def index(self, path: str) -> FileIndex | None:
        """The index of a file (None where it cannot be read or nothing of it parses): its
        analysis's where it has one for its text, else one of its own."""
        try:
            written, source = self.texts(path)
        except InputError:
            return None
        analysed = self._analyses.get(path)
        if analysed is not None and analysed[0] == written:
            return analysed[1].index
        kept = self._indexes.get(path)
        if kept is not None and kept[0] == written:
            return kept[1]
        module = tolerant_module(source)
        lines = LineMap(source.text, written)
        index = build_index(module, source.text, lines) if module is not None else None
        self._indexes[path] = (written, index)
        return index

    def scope(self, analysis: Analysis) -> Scope:
        """What names mean in the analysed file: the checker's scope, or where the file did not
        parse, one made of the declarations that did and of the files it uses."""
        if analysis.checked.scope is not None:
            return analysis.checked.scope
        scope = Scope({}, {}, {})
        for index in reversed(self.visible(analysis.path)):
            for node in index.module.declarations:
                if isinstance(node, s.Metric):
                    scope.metrics[node.name] = node
                elif isinstance(node, s.Table):
                    scope.tables[node.name] = node
                elif isinstance(node, s.Let):
                    scope.lets[node.name] = node
        return scope

    def currency(self, analysis: Analysis) -> str | None:
        """The ruleset's currency as the checker read it, or as the header of what parsed
        writes it."""
        if analysis.checked.currency is not None:
            return analysis.checked.currency
        headers = (index.module.currency for index in self.visible(analysis.path))
        return next((header.code for header in headers if header is not None), None)

    def visible(self, path: str) -> list[FileIndex]:
        """The indexes of a file and of every file it uses, through their uses, itself first."""
        found: list[FileIndex] = []
        for used in used_closure(path, self.index):
            index = self.index(used)
            if index is not None:
                found.append(index)
        return found

    def project(self, path: str, open_paths: list[str]) -> list[str]:
        """The files that may read what `path` declares: the .plan files beside it and beside
        the files it uses, and the open documents, each once."""
        folders = {os.path.dirname(p) for p in used_closure(path, self.index)}
        found = [path]
        for folder in sorted(folders):
            found.extend(sorted(str(p) for p in Path(folder or ".").glob(f"*{PLAN_SUFFIX}")))
        found.extend(open_paths)
        return list(dict.fromkeys(os.path.normpath(p) for p in found))

    def readers_of(self, path: str, open_paths: list[str]) -> Iterator[FileIndex]:
        """The indexes of the files that see what `path` declares: itself and those that use
        it, directly or through others."""
        for candidate in self.project(path, open_paths):
            if path in used_closure(candidate, self.index):
                index = self.index(candidate)
                if index is not None:
                    yield index

    def declaration(self, path: str, symbol: Symbol) -> FileIndex | None:
        """The visible file declaring `symbol` for a reader at `path`."""
        for index in self.visible(path):
            if index.definition(symbol) is not None:
                return index
        return None


def used_closure(path: str, index_of: Callable[[str], FileIndex | None]) -> list[str]:
    """`path` and every file it uses, through their uses, each once, in the order met."""
    seen: dict[str, None] = {}
    pending = [os.path.normpath(path)]
    while pending:
        current = pending.pop(0)
        if current in seen:
            continue
        seen[current] = None
        index = index_of(current)
        if index is not None:
            pending.extend(resolve_use(current, use) for use in index.module.uses)
    return list(seen)


def resolve_use(from_path: str, use: s.Use) -> str:
    """The path a `use` names, as the checker resolves it."""
    return resolved_by_checker(from_path, use.path)
