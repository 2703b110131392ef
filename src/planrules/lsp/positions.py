"""Between the language's spans (lines and columns from 1, in code points) and the protocol's
positions (from 0, in UTF-16 code units, as editors count them by default)."""

from __future__ import annotations

import bisect

from lsprotocol import types as lsp

from planrules.lang.source import Span


class LineMap:
    """The lines of one text, to turn spans and positions into each other and into offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        end = text.find("\n")
        while end >= 0:
            self.starts.append(end + 1)
            end = text.find("\n", end + 1)

    def line(self, number: int) -> str:
        """The text of line `number` (from 1), without its end."""
        if not 1 <= number <= len(self.starts):
            return ""
        start = self.starts[number - 1]
        end = self.text.find("\n", start)
        return self.text[start : end if end >= 0 else len(self.text)]

    def offset(self, line: int, column: int) -> int:
        """The offset of a (line, column) counted from 1 in code points, clipped to the text."""
        if line > len(self.starts):
            return len(self.text)
        start = self.starts[max(line, 1) - 1]
        return min(start + max(column, 1) - 1, len(self.text))

    def span_offsets(self, span: Span) -> tuple[int, int]:
        return self.offset(span.line, span.column), self.offset(span.end_line, span.end_column)

    def line_column(self, offset: int) -> tuple[int, int]:
        """The (line, column), from 1 in code points, of an offset."""
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1

    def span(self, path: str, start: int, end: int) -> Span:
        line, column = self.line_column(start)
        end_line, end_column = self.line_column(end)
        return Span(path, line, column, end_line, end_column)

    def position(self, line: int, column: int) -> lsp.Position:
        text = self.line(line)
        units = _utf16_units(text[: max(column - 1, 0)])
        return lsp.Position(line=max(line - 1, 0), character=units)

    def range(self, span: Span) -> lsp.Range:
        return lsp.Range(
            start=self.position(span.line, span.column),
            end=self.position(span.end_line, span.end_column),
        )

    def offset_at(self, position: lsp.Position) -> int:
        """The offset of a protocol position (past the end of a line: the line's end)."""
        number = position.line + 1
        if number > len(self.starts):
            return len(self.text)
        text = self.line(number)
        column = code_points(text, position.character)
        return self.starts[number - 1] + column


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def code_points(text: str, units: int) -> int:
    """How many code points of `text` its first `units` UTF-16 code units hold."""
    counted = 0
    for index, char in enumerate(text):
        if counted >= units:
            return index
        counted += 2 if ord(char) > 0xFFFF else 1
    return len(text)


def contains(span: Span, line: int, column: int) -> bool:
    """Whether (line, column) is in the span, its end included (a cursor right after a name
    is on it)."""
    after_start = (line, column) >= (span.line, span.column)
    before_end = (line, column) <= (span.end_line, span.end_column)
    return after_start and before_end
