"""What did parse of a file that does not: the declarations a syntax error is in are blanked
(their newlines kept, so every span stays the file's own) until the rest parses, so that hover,
completion and the outline still see every declaration that is whole."""

from __future__ import annotations

import functools
import re

from planrules.lang import syntax as s
from planrules.lang.build import parse_source
from planrules.lang.diagnostics import Diagnostic
from planrules.lang.source import Source
from planrules.lsp.grammar import accepted_after, words


@functools.cache
def _block_start() -> re.Pattern[str]:
    """A line that starts a header line or a declaration: one of the words the grammar takes at
    the top of a file (`ruleset`, `metric`, `goal`, ...), so that a declaration the language
    gains starts a block too."""
    accepted = accepted_after("")
    top = words(accepted[0]) if accepted is not None else []
    return re.compile(rf"^[ \t]*(?:{'|'.join(map(re.escape, top))})(?!\w)", re.MULTILINE)


# The parser's message for a declaration left unfinished: the error is on the next one's
# keyword, the fault in the block before it.
_UNFINISHED = "the declaration before this `{keyword}` is not finished"
# Every round blanks at least one block; a file has no more blocks than lines.
_MOST_ROUNDS = 200


def block_starts(text: str) -> list[int]:
    """The lines (from 1) where blocks begin, in order; line 1 always begins one."""
    lines = [text.count("\n", 0, match.start()) + 1 for match in _block_start().finditer(text)]
    return sorted({1, *lines})


def block_of(starts: list[int], line: int) -> tuple[int, int]:
    """The first line of the block holding `line`, and the first line after it."""
    first = max((start for start in starts if start <= line), default=1)
    after = min((start for start in starts if start > line), default=10**9)
    return first, after


def tolerant_module(source: Source) -> s.Module | None:
    """The module of `source`, the declarations a syntax error is in left out."""
    parsed = parse_source(source)
    if parsed.module is not None:
        return parsed.module
    lines = source.text.split("\n")
    starts = block_starts(source.text)
    blanked: set[int] = set()
    for _ in range(_MOST_ROUNDS):
        blocks = {_faulty_block(starts, d) for d in parsed.diagnostics} - blanked
        if not blocks:
            return None
        blanked |= blocks
        text = "\n".join(_blank(lines, starts, blanked))
        parsed = parse_source(Source(source.path, text))
        if parsed.module is not None:
            return parsed.module
    return None


def _faulty_block(starts: list[int], diagnostic: Diagnostic) -> int:
    line = diagnostic.span.line
    first, _ = block_of(starts, line)
    if getattr(diagnostic.message, "template", None) == _UNFINISHED and first == line:
        first, _ = block_of(starts, line - 1)
    return first


def _blank(lines: list[str], starts: list[int], blanked: set[int]) -> list[str]:
    out = list(lines)
    for first in blanked:
        _, after = block_of(starts, first)
        for number in range(first, min(after, len(lines) + 1)):
            out[number - 1] = " " * len(lines[number - 1])
    return out
