"""What the language server reads from the grammar itself, so that keywords and declarations
the language gains are offered and recognised without a change here."""

from __future__ import annotations

import functools

from lark import Token
from lark.exceptions import LarkError

from planrules.lang.build import lark_parser


@functools.cache
def spellings() -> dict[str, str]:
    """The text of each terminal written as a plain string in the grammar: keywords and
    punctuation, by terminal name (`GOAL` is `goal`)."""
    return {t.name: t.pattern.value for t in lark_parser().terminals if t.pattern.type == "str"}


def accepted_after(text: str) -> tuple[frozenset[str], tuple[Token, ...]] | None:
    """The terminals the parser takes after `text` (read from the start of a file, or of a
    declaration), and the tokens it read; None where `text` does not parse that far."""
    parser = lark_parser().parse_interactive(text, start="start")
    tokens: list[Token] = []
    try:
        for token in parser.iter_parse():
            tokens.append(token)
        accepted: set[str] = parser.accepts()  # type: ignore[no-untyped-call]
    except LarkError:
        return None
    return frozenset(accepted), tuple(tokens)


def words(terminals: frozenset[str]) -> list[str]:
    """The keywords among `terminals`, as they are spelt."""
    found = {spellings()[name] for name in terminals if name in spellings()}
    return sorted(word for word in found if word.isidentifier())
