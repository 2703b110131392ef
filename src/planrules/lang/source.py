"""Where things are in a ruleset: spans, and the text behind them for excerpts."""

from __future__ import annotations

import unicodedata

import attrs


@attrs.frozen
class Span:
    """A range of a source file; lines and columns count from 1, columns in code points."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def through(self, other: Span) -> Span:
        """The span from the start of this one to the end of `other`."""
        return Span(self.file, self.line, self.column, other.end_line, other.end_column)


@attrs.frozen
class Source:
    """A ruleset's text after NFC normalisation, as diagnostics and spans see it."""

    path: str
    text: str

    @classmethod
    def from_text(cls, path: str, text: str) -> Source:
        return cls(path, unicodedata.normalize("NFC", text))

    def line_text(self, line: int) -> str:
        # Lines end at "\n" only, as the lexer counts them: `splitlines` would also end one at
        # a form feed, U+2028 and the like, and show the wrong line. A CRLF line ends in "\r".
        lines = self.text.split("\n")
        return lines[line - 1].removesuffix("\r") if 1 <= line <= len(lines) else ""


def point(file: str, line: int, column: int, width: int = 1) -> Span:
    """A span on one line starting at `column`, `width` code points wide."""
    return Span(file, line, column, line, column + max(width, 1))
