"""Text from outside the program made safe to print: control characters, bidirectional
controls, line and paragraph separators and lone surrogates written as visible escapes.

Every path that prints text from a ruleset, a snapshot or the command line goes through one
of these, so that a name can neither send a terminal a command (`\\x1b[2J`), reorder what it
shows (a "Trojan source" name), forge a line of output, nor crash the output's encoding (a
lone surrogate cannot be written as UTF-8).
"""

from __future__ import annotations

import unicodedata

# Bidirectional controls can reorder what a terminal or a viewer shows.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Categories always escaped: controls (C0, DEL, C1), lone surrogates, line and paragraph
# separators (U+2028, U+2029), which break a line in some viewers.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def is_hidden(char: str) -> bool:
    """True for a character that must be written as an escape to be shown safely."""
    return unicodedata.category(char) in _HIDDEN_CATEGORIES or char in BIDI_CONTROLS


def escape_char(char: str) -> str:
    """The visible escape of one character: `\\n`, `\\x1b`, `\\u202e`."""
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` with every hidden character (newlines and tabs too) written as an escape, for
    text that must stay on one line: a table cell, a name in a message."""
    if text.isprintable():
        return text
    return "".join(escape_char(char) if is_hidden(char) else char for char in text)


def printable(text: str) -> str:
    """`text` as `visible` writes it, but keeping its newlines and tabs: for whole messages
    of several lines, such as a diagnostic with its source line."""
    if text.isprintable():
        return text
    return "".join(
        escape_char(char) if char not in "\n\t" and is_hidden(char) else char for char in text
    )


def shown_width(char: str) -> int:
    """How many characters `printable` writes for `char` (1 unless it is escaped)."""
    return len(escape_char(char)) if char not in "\n\t" and is_hidden(char) else 1
