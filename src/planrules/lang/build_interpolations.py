"""The tree builder's rule for a recommendation, whose text holds `{expr}` parts: each one is
parsed apart, with its problems placed where it was written in the file."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from lark import Lark, Token, Tree

from planrules.lang import syntax as s
from planrules.lang.build_context import NodeBuilder, unescape
from planrules.lang.diagnostics import Diagnostic, error
from planrules.lang.messages import Message
from planrules.lang.parser import SyntaxProblem, parse_with
from planrules.lang.source import Source, Span, point

_INTERPOLATION = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
# A `#` outside the quoted keys of an expression, which the lexer would take for a comment.
_HASH_OUTSIDE_TEXTS = re.compile(r'"(?:[^"\\]|\\.)*"|(#)')


class RecommendationBuilder(NodeBuilder):
    """Builds `recommend` actions. The expression in a pair of braces is parsed by the process's
    one parser and built by the walk of the builder of the whole file, at one level of nesting;
    the builder hands both in, as its module comes after this one.

    Every piece of a text costs time in its own length only, so that a text of many pieces is
    checked in time linear in its length."""

    def __init__(
        self, parser: Callable[[], Lark], build: Callable[[Tree[Token], int], Any]
    ) -> None:
        self._parser = parser
        self._build = build

    def recommend_action(self, meta: Any, children: list[Token]) -> s.Recommend:
        token = children[0]
        text = unescape(token)
        return s.Recommend(text, self._interpolations(token), self._span(meta))

    def _interpolations(self, token: Token) -> tuple[str | s.Interpolation, ...]:
        """Split a text into literal runs and `{expr}` parts, each expression parsed."""
        raw = str(token)[1:-1]
        parts: list[str | s.Interpolation] = []
        # The pieces of the literal run being read, joined when it ends: adding each piece to
        # one string would copy the run so far for every piece.
        literal: list[str] = []
        position = 0
        for match in _INTERPOLATION.finditer(raw):
            literal.append(unescape(f'"{raw[position : match.start()]}"'))
            position = match.end()
            piece = match.group(0)
            if piece in ("{{", "}}"):
                literal.append(piece[0])
                continue
            span = self._braces_span(token, match)
            if match.group(1) is None:
                self._problem(
                    "bad-interpolation", span, Message("write `{{{{` and `}}}}` for literal braces")
                )
                continue
            _end_run(literal, parts)
            expr = self._sub_expression(match.group(1), span)
            if expr is not None:
                parts.append(s.Interpolation(expr, span))
        literal.append(unescape(f'"{raw[position:]}"'))
        _end_run(literal, parts)
        return tuple(parts)

    def _braces_span(self, token: Token, match: re.Match[str]) -> Span:
        """Where a piece of the text in `token` (its braces and all) was written: a text is on
        one line, and the piece starts `match.start()` characters after the opening quote."""
        line = token.line or 1
        column = (token.column or 1) + 1 + match.start()
        return Span(self._source.path, line, column, line, column + len(match.group(0)))

    def _sub_expression(self, raw: str, span: Span) -> s.Expr | None:
        """The expression written (escapes and all) as `raw` in the braces at `span`."""
        if not raw.strip():
            self._problem(
                "bad-interpolation",
                span,
                Message(
                    '"{{{raw}}}" in a recommendation needs an expression or a key name', raw=raw
                ),
                Message("write `{{{{}}}}` for literal braces"),
            )
            return None
        text = unescape(f'"{raw}"')
        comment = next((m for m in _HASH_OUTSIDE_TEXTS.finditer(text) if m.group(1)), None)
        if comment is not None:
            # The lexer would drop the rest of the braces as a comment, without a word.
            column = span.column + 1 + _written_offset(raw, comment.start())
            self._problem(
                "bad-interpolation",
                point(span.file, span.line, column),
                Message("`#` cannot be used inside `{{...}}` in a recommendation"),
            )
            return None
        # Parsed on its own, the expression's positions count from the start of `text`; its
        # tokens are moved to the file's before building, so that its nodes and every problem
        # found on the way are placed in the file.
        try:
            expr, _ = parse_with(self._parser(), Source(self._source.path, text), start="expr")
        except SyntaxProblem as problem:
            self._diagnostics.append(_inside_braces(problem.diagnostic, raw, span))
            return None
        _move_to_braces(expr, span)
        if isinstance(expr, Token):
            return self._name_token(expr)
        result: s.Expr = self._build(expr, 1)
        return result


def _end_run(literal: list[str], parts: list[str | s.Interpolation]) -> None:
    """Close the literal run read so far, as one part of the text if it holds anything."""
    run = "".join(literal)
    literal.clear()
    if run:
        parts.append(run)


def _move_to_braces(expr: Tree[Token] | Token, braces: Span) -> None:
    """Move the tokens of an expression parsed on its own into the braces at `braces`: it was
    parsed as one line starting right after the `{`. (A token after an escape is placed as if
    the escape were the one character it stands for, as it was parsed.)"""
    for token in _tokens(expr):
        token.line = token.end_line = braces.line
        token.column = (token.column or 1) + braces.column
        token.end_column = (token.end_column or 1) + braces.column


def _tokens(expr: Tree[Token] | Token) -> list[Token]:
    """Every token of a parsed expression, found without recursion: a chain `a + a + ...` is a
    tree as deep as it is long."""
    if isinstance(expr, Token):
        return [expr]
    return [
        child
        for tree in expr.iter_subtrees()
        for child in tree.children
        if isinstance(child, Token)
    ]


def _written_offset(raw: str, offset: int) -> int:
    """Where the character `offset` characters into the unescaped `raw` was written in `raw`:
    an escape (`\\"`, `\\\\`) takes two characters for one."""
    position = 0
    for _ in range(offset):
        if position >= len(raw):
            break
        position += 2 if raw[position] == "\\" else 1
    return position


def _inside_braces(diagnostic: Diagnostic, raw: str, braces: Span) -> Diagnostic:
    """A syntax problem of the expression `raw`, parsed on its own, placed where it was written
    in the braces at `braces`, and told as a problem of the braces rather than of the file."""
    span = diagnostic.span
    inner = braces.column + 1  # where `raw` starts
    start = inner + _written_offset(raw, max(span.column - 1, 0))
    end = inner + _written_offset(raw, max(span.end_column - 1, 0))
    return error(
        "bad-interpolation",
        Span(span.file, braces.line, start, braces.line, max(end, start + 1)),
        _told_in_braces(diagnostic.message, raw),
        diagnostic.hint,
    )


_FILE_ENDS = "the file ends too early: expected {expected}"
_MORE_OF_THE_FILE = "more of this declaration, or a new declaration"


def _told_in_braces(message: str, raw: str) -> str:
    """A syntax error's message told of the braces holding `raw` rather than of a file: the
    braces end too early, and what may follow is an operator or the `}`. The message is made
    again from its parts (a `Message` and those it holds), so that it still reads in its
    reader's language."""
    if not isinstance(message, Message):
        return message.replace("the file ends too early", f'"{{{raw}}}" ends too early').replace(
            _MORE_OF_THE_FILE, "an operator or the `}`"
        )
    return _remade_in_braces(message, raw)


def _remade_in_braces(message: Message, raw: str) -> Message:
    if message.template == _MORE_OF_THE_FILE:
        return Message("an operator or the `}}`")
    fields = {
        name: _remade_in_braces(value, raw) if isinstance(value, Message) else value
        for name, value in message.fields.items()
    }
    if message.template == _FILE_ENDS:
        return Message(
            '"{{{raw}}}" ends too early: expected {expected}', raw=raw, expected=fields["expected"]
        )
    return type(message)(message.template, **fields)
