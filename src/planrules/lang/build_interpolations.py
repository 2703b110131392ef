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
from planrules.lang.parser import SyntaxProblem, parse_with
from planrules.lang.source import Source, Span, point

_INTERPOLATION = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
# A `#` outside the quoted keys of an expression, which the lexer would take for a comment.
_HASH_OUTSIDE_TEXTS = re.compile(r'"(?:[^"\\]|\\.)*"|(#)')


class RecommendationBuilder(NodeBuilder):
    """Builds `recommend` actions. The expression in a pair of braces is parsed by the process's
    one parser and built by the walk of the builder of the whole file, at one level of nesting;
    the builder hands both in, as its module comes after this one."""

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
        literal = ""
        position = 0
        for match in _INTERPOLATION.finditer(raw):
            literal += unescape(f'"{raw[position : match.start()]}"')
            position = match.end()
            piece = match.group(0)
            if piece in ("{{", "}}"):
                literal += piece[0]
                continue
            column = (token.column or 1) + 1 + match.start()
            span = Span(
                self._source.path, token.line or 1, column, token.line or 1, column + len(piece)
            )
            if match.group(1) is None:
                self._problem("bad-interpolation", span, "write `{{` and `}}` for literal braces")
                continue
            if literal:
                parts.append(literal)
                literal = ""
            expr = self._sub_expression(match.group(1), span)
            if expr is not None:
                parts.append(s.Interpolation(expr, span))
        literal += unescape(f'"{raw[position:]}"')
        if literal:
            parts.append(literal)
        return tuple(parts)

    def _sub_expression(self, raw: str, span: Span) -> s.Expr | None:
        """The expression written (escapes and all) as `raw` in the braces at `span`."""
        if not raw.strip():
            self._problem(
                "bad-interpolation",
                span,
                f'"{{{raw}}}" in a recommendation needs an expression or a key name',
                "write `{{}}` for literal braces",
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
                "`#` cannot be used inside `{...}` in a recommendation",
            )
            return None
        # The sub-parse reports positions inside the braces; shift them to the file's.
        padded = "\n" * (span.line - 1) + " " * span.column + text
        try:
            expr, _ = parse_with(self._parser(), Source(self._source.path, padded), start="expr")
        except SyntaxProblem as problem:
            self._diagnostics.append(_inside_braces(problem.diagnostic, raw, span))
            return None
        if isinstance(expr, Token):
            return self._name_token(expr)
        result: s.Expr = self._build(expr, 1)
        return result


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
    """A syntax problem of the expression in the braces at `braces`, placed where it was written,
    and told as a problem of the braces rather than of the file."""
    span = diagnostic.span
    inner = braces.column + 1  # where `raw` starts
    start = inner + _written_offset(raw, max(span.column - inner, 0))
    end = inner + _written_offset(raw, max(span.end_column - inner, 0))
    message = diagnostic.message.replace(
        "the file ends too early", f'"{{{raw}}}" ends too early'
    ).replace("more of this declaration, or a new declaration", "an operator or the `}`")
    return error(
        "bad-interpolation",
        Span(span.file, braces.line, start, braces.line, max(end, start + 1)),
        message,
        diagnostic.hint,
    )
