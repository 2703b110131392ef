"""Between the language's spans (lines and columns from 1, in code points of the analysed text)
and the protocol's positions (from 0, in UTF-16 code units of the editor's buffer).

The analysed text is not always the buffer: the checker reads a file without its BOM, with
lone CRs as line ends and in NFC (`planrules.lang.workspace.decode_source`), while the editor
counts positions on the characters as written, NFD or not. Lines are the same in both (the
protocol ends a line at CRLF, CR or LF, and NFC never joins lines), so a line the analysis
changed is mapped on its own, in pieces: a character with the combining marks after it, which
NFC turns into what the analysis holds. A piece normalised to as many characters as it has maps
character for character; any other maps as a whole: a position inside it moves to its start
for the start of a range, to its end for the end of one. A line whose pieces do not add up to
what the analysis holds (characters that compose across pieces) maps as one piece.
"""

from __future__ import annotations

import bisect
import re
import unicodedata

import attrs
from lsprotocol import types as lsp

from planrules.lang.source import Span

_PROTOCOL_LINE_END = re.compile(r"\r\n|\r|\n")
_BOM = "\ufeff"


@attrs.frozen
class _Columns:
    """For one line the analysis changed, where each position (from 0) of one text is in the
    other: `starts`/`ends` from analysed to written, for the start and the end of a range;
    `back` from written to analysed."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    back: tuple[int, ...]


class LineMap:
    """The lines of one text, to turn spans and positions into each other and into offsets;
    `written`, where given and different, is the editor's text that positions count in."""

    def __init__(self, text: str, written: str | None = None) -> None:
        self.text = text
        self.starts = [0]
        end = text.find("\n")
        while end >= 0:
            self.starts.append(end + 1)
            end = text.find("\n", end + 1)
        self._written: list[str] | None = None
        if written is not None and written != text:
            lines = _PROTOCOL_LINE_END.split(written)
            if len(lines) == len(self.starts):
                self._written = lines
        self._columns: dict[int, _Columns | None] = {}

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

    def position(self, line: int, column: int, *, end: bool = False) -> lsp.Position:
        """The protocol's position of a (line, column) from 1; `end` for the end of a range."""
        at = max(column - 1, 0)
        columns = self._line_columns(line)
        if columns is None:
            text = self.line(line)
        else:
            text = self._written_line(line)
            mapped = columns.ends if end else columns.starts
            at = mapped[at] if at < len(mapped) else len(text) + at - len(mapped) + 1
        return lsp.Position(line=max(line - 1, 0), character=_utf16_units(text[:at]))

    def range(self, span: Span) -> lsp.Range:
        return lsp.Range(
            start=self.position(span.line, span.column),
            end=self.position(span.end_line, span.end_column, end=True),
        )

    def offsets_range(self, start: int, end: int) -> lsp.Range:
        """The protocol's range of the text between two offsets."""
        return lsp.Range(
            start=self.position(*self.line_column(start)),
            end=self.position(*self.line_column(end), end=True),
        )

    def whole(self) -> lsp.Range:
        """The range of the whole text as the editor has it."""
        return self.offsets_range(0, len(self.text))

    def offset_at(self, position: lsp.Position) -> int:
        """The offset of a protocol position (past the end of a line: the line's end)."""
        number = position.line + 1
        if number > len(self.starts):
            return len(self.text)
        columns = self._line_columns(number)
        if columns is None:
            column = code_points(self.line(number), position.character)
        else:
            written = code_points(self._written_line(number), position.character)
            column = columns.back[min(written, len(columns.back) - 1)]
        return self.starts[number - 1] + column

    def _written_line(self, number: int) -> str:
        assert self._written is not None
        return self._written[number - 1] if 1 <= number <= len(self._written) else ""

    def _line_columns(self, number: int) -> _Columns | None:
        """The columns of a line the analysis changed; None for one it left as written."""
        if self._written is None or not 1 <= number <= len(self._written):
            return None
        if number not in self._columns:
            written = self._written[number - 1]
            analysed = self.line(number).removesuffix("\r")
            self._columns[number] = (
                None if written == analysed else _columns(written, analysed, first=number == 1)
            )
        return self._columns[number]


def _pieces(written: str, analysed: str, first: bool) -> list[tuple[int, int, str]]:
    """The line as written in pieces: (start, end, what the analysis holds of it)."""
    pieces: list[tuple[int, int, str]] = []
    start = 0
    if first and written.startswith(_BOM):
        pieces.append((0, 1, ""))
        start = 1
    for index in range(start + 1, len(written) + 1):
        if index == len(written) or not unicodedata.combining(written[index]):
            pieces.append((start, index, unicodedata.normalize("NFC", written[start:index])))
            start = index
    if "".join(normal for _, _, normal in pieces) != analysed:
        return [(0, len(written), analysed)]
    return pieces


def _columns(written: str, analysed: str, first: bool) -> _Columns:
    starts = [len(written)] * (len(analysed) + 1)
    ends = [len(written)] * (len(analysed) + 1)
    back = [len(analysed)] * (len(written) + 1)
    at = 0
    for start, end, normal in _pieces(written, analysed, first):
        if len(normal) == end - start:
            for step in range(len(normal)):
                starts[at + step] = ends[at + step] = start + step
                back[start + step] = at + step
        else:
            for step in range(len(normal)):
                starts[at + step] = start
                ends[at + step] = end if step else start
            for place in range(start, end):
                back[place] = at
        at += len(normal)
    return _Columns(tuple(starts), tuple(ends), tuple(back))


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
