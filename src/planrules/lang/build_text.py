"""The text the parser reads, and the way back to where each of its characters was written.

A ruleset is NFKC-normalised outside strings and comments before it is lexed, so that what an
input method types in full width reads as the language's own characters (`：` as `:`, `％` as
`%`, `２` as `2`, the ideographic space as a space). Strings and comments are left exactly as
written; only their delimiters are normalised (a full-width `＂` opens a string as `"` does), so
that this module and the lexer agree on where they are.

Diagnostics count columns in code points of the line as written, so every position the parser
reports is mapped back. NFKC changes the length of some characters (`㎏` is `kg`, `ﬁ` is `fi`),
and may join a character with the next (`ﾊﾞ` is `バ`), so each line is normalised in pieces:
a character, or a run of characters that normalise together. A piece normalised to as many
characters as it has maps character for character; any other piece maps as a whole: a position
inside it is moved to the piece's start for the start of a span, to its end for the end of one,
so that a caret never points off the characters it is about. Lines are never joined or split.

Text that is NFKC already, nearly every ruleset, is passed through as it is: one check in C.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping

import attrs
from lark import Token

from planrules.lang.source import Source, Span

# A piece of a line: where it starts and ends as written, and its normalised text.
Piece = tuple[int, int, str]


@attrs.frozen
class _LineMap:
    """Where the positions of one normalised line were written (0-based, one entry more than
    the normalised line is long): `starts[i]` for a span starting at i, `ends[i]` for a span
    ending there."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]


@attrs.frozen
class ParserText:
    """What the parser reads of a file (`source`) and, for the lines normalising changed (by
    number, from 1), where their positions were written."""

    source: Source
    lines: Mapping[int, _LineMap]
    # Where each line of the written text starts, for the offsets of tokens; empty where no
    # line changed.
    written_line_starts: tuple[int, ...]

    def span(self, span: Span) -> Span:
        """A span in the parser's text, as written."""
        if not self.lines:
            return span
        return Span(
            span.file,
            span.line,
            self._column(span.line, span.column, start=True),
            span.end_line,
            self._column(span.end_line, span.end_column, start=False),
        )

    def place(self, tokens: Iterable[Token]) -> None:
        """Move tokens the parser made to where they were written (lines and columns, and the
        offsets in the written text)."""
        if not self.lines:
            return
        starts = self.written_line_starts
        for token in tokens:
            line, end_line = token.line or 1, token.end_line or 1
            token.column = self._column(line, token.column or 1, start=True)
            token.end_column = self._column(end_line, token.end_column or 1, start=False)
            token.start_pos = starts[line - 1] + token.column - 1
            token.end_pos = starts[end_line - 1] + token.end_column - 1

    def _column(self, line: int, column: int, *, start: bool) -> int:
        mapped = self.lines.get(line)
        if mapped is None:
            return column
        positions = mapped.starts if start else mapped.ends
        index, last = max(column - 1, 0), len(positions) - 1
        # Past the end of the line (a problem at the end of the file) by as much as written.
        return positions[min(index, last)] + max(index - last, 0) + 1


def parser_text(source: Source) -> ParserText:
    """The text the parser reads of `source`: NFKC outside strings and comments."""
    if unicodedata.is_normalized("NFKC", source.text):
        return ParserText(source, {}, ())
    lines = source.text.split("\n")
    normalised: list[str] = []
    maps: dict[int, _LineMap] = {}
    for number, line in enumerate(lines, start=1):
        if unicodedata.is_normalized("NFKC", line):
            normalised.append(line)
            continue
        pieces = list(_line_pieces(line))
        text = "".join(piece[2] for piece in pieces)
        normalised.append(text)
        if text != line:
            maps[number] = _line_map(pieces, len(line))
    if not maps:
        return ParserText(source, {}, ())
    line_starts = tuple(itertools.accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
    return ParserText(Source(source.path, "\n".join(normalised)), maps, line_starts)


def _line_map(pieces: list[Piece], written_length: int) -> _LineMap:
    starts: list[int] = []
    ends: list[int] = []
    for start, end, text in pieces:
        if len(text) == end - start:
            starts.extend(range(start, end))
            ends.extend(range(start, end))
        else:
            starts.extend([start] * len(text))
            ends.extend([start] + [end] * (len(text) - 1))
    starts.append(written_length)
    ends.append(written_length)
    return _LineMap(tuple(starts), tuple(ends))


# ---- a line in pieces ------------------------------------------------------------------------


# The characters that open and close a string, and those that start a comment, once NFKC
# has read them (a test holds these to every character there is).
QUOTES = '"\uff02'  # ＂
HASHES = "#\ufe5f\uff03"  # ﹟ ＃
_DELIMITER = re.compile(f"[{QUOTES}{HASHES}]")
# A string's text: up to its closing quote or the end of the line; `\\` takes the character
# after it into the string, as the lexer reads it.
_STRING_TEXT = re.compile(f"(?:[^\\\\{QUOTES}]|\\\\.?)*")


def _line_pieces(line: str) -> Iterator[Piece]:
    """A line in pieces, in order: code normalised, strings and comments as written but for
    their delimiters."""
    code_start = 0
    while (delimiter := _DELIMITER.search(line, code_start)) is not None:
        position = delimiter.start()
        yield from _code_pieces(line, code_start, position)
        if line[position] in HASHES:
            yield (position, position + 1, "#")
            yield (position + 1, len(line), line[position + 1 :])
            return
        yield (position, position + 1, '"')
        close = _string_end(line, position + 1)
        yield (position + 1, close, line[position + 1 : close])
        if close == len(line):
            return
        yield (close, close + 1, '"')
        code_start = close + 1
    yield from _code_pieces(line, code_start, len(line))


def _string_end(line: str, start: int) -> int:
    """Where the string whose text starts at `start` is closed, or the line's end."""
    text = _STRING_TEXT.match(line, start)
    assert text is not None  # it matches the empty text
    return text.end()


def _code_pieces(line: str, start: int, end: int) -> list[Piece]:
    """The code `line[start:end]` in pieces, each normalised on its own: a character, or with
    the characters before it where NFKC would join them (a combining mark, the halves of a
    Hangul syllable)."""
    code = line[start:end]
    if unicodedata.is_normalized("NFKC", code):
        return [(start, end, code)] if code else []
    pieces: list[Piece] = []
    for position in range(start, end):
        normal = _normal(line[position])
        if pieces and _joins(pieces[-1][2], normal):
            first = pieces[-1][0]
            pieces[-1] = (first, position + 1, _normal_text(line[first : position + 1]))
        else:
            pieces.append((position, position + 1, normal))
    if "".join(piece[2] for piece in pieces) != _normal_text(code):
        # A joining this does not foresee: the code between delimiters is one piece.
        return [(start, end, _normal_text(code))]
    return pieces


def _normal(char: str) -> str:
    return char if char.isascii() else unicodedata.normalize("NFKC", char)


def _normal_text(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _joins(before: str, normal: str) -> bool:
    """Whether a character normalised as `normal` joins the piece normalised as `before`."""
    if not before or not normal:
        return True
    if normal.isascii():
        return False  # nothing composes with an ASCII character after it
    first = normal[0]
    if unicodedata.combining(first):
        return True
    pair = before[-1] + first
    return unicodedata.normalize("NFKC", pair) != pair
