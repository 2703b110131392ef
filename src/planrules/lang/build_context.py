"""What every group of the tree builder's rules shares: the file being built, held in the
context so that one builder serves every file and thread, and the spans, problems, numbers and
dates made from its tokens."""

from __future__ import annotations

import re
from contextvars import ContextVar
from typing import Any

import attrs
from lark import Token, Tree

from planrules.lang import syntax as s
from planrules.lang.diagnostics import Diagnostic, error
from planrules.lang.messages import Message, said_by
from planrules.lang.numbers import beyond_limits, canonical_literal, parse_literal
from planrules.lang.periods import PeriodError, parse_date
from planrules.lang.source import Source, Span
from planrules.lang.units import joined_dimensions

# The first and last token of a subtree (None for a subtree with no tokens).
Edges = tuple[Token | None, Token | None]


@attrs.define
class BuildState:
    """What the builder of the file being parsed needs: its source, the problems found, and the
    edge tokens of the subtrees built so far (by id), from which spans are made."""

    source: Source
    diagnostics: list[Diagnostic] = attrs.field(factory=list)
    edges: dict[int, Edges] = attrs.field(factory=dict)


current_build: ContextVar[BuildState] = ContextVar("planrules_build")


@attrs.frozen
class Clause:
    """A rule's optional clause on its way into the rule's node."""

    name: str
    value: Any
    span: Span


_ESCAPE = re.compile(r'\\(["\\])')


def unescape(token: str) -> str:
    return _ESCAPE.sub(r"\1", token[1:-1])


class NodeBuilder:
    """The base of every group of rules: what a rule needs of the file being built.

    Its methods are private, so that a group's public methods are its rules and nothing else.
    """

    @property
    def _source(self) -> Source:
        return current_build.get().source

    @property
    def _diagnostics(self) -> list[Diagnostic]:
        return current_build.get().diagnostics

    @property
    def _edges(self) -> dict[int, Edges]:
        return current_build.get().edges

    def _span(self, tree: Tree[Token]) -> Span:
        """From the first token of a subtree to the end of its last one."""
        first, last = self._edges[id(tree)]
        if first is None or last is None:
            return Span(self._source.path, 1, 1, 1, 1)
        return Span(
            self._source.path,
            first.line or 1,
            first.column or 1,
            last.end_line or 1,
            last.end_column or 1,
        )

    def _token_span(self, token: Token) -> Span:
        return Span(
            self._source.path,
            token.line or 1,
            token.column or 1,
            token.end_line or 1,
            token.end_column or 1,
        )

    def _written(self, span: Span) -> str | None:
        """The text of a span on one line as written; None for a span over several lines."""
        if span.line != span.end_line:
            return None
        return self._source.line_text(span.line)[span.column - 1 : span.end_column - 1]

    def _problem(self, code: str, span: Span, message: str, hint: str | None = None) -> None:
        self._diagnostics.append(error(code, span, message, hint))

    def _number(self, token: Token, sign: str = "") -> s.Number:
        text = canonical_literal(sign + str(token))
        parts = parse_literal(text)
        span = self._token_span(token)
        problem = beyond_limits(parts.value)
        if problem is not None:
            # Reported, never rounded: the value is kept exact for the rest of the check.
            self._problem(
                "number-out-of-range",
                span,
                Message("the number {number} {problem}", number=_cut(text), problem=problem),
            )
        return s.Number(text, parts.value, parts.percent, parts.currency, span)

    def _date(self, token: Token) -> Any:
        try:
            return parse_date(str(token))
        except PeriodError as problem:
            self._problem("bad-date", self._token_span(token), said_by(problem))
            return None

    def _dimensions(self, meta: Any, children: list[Token | None]) -> str:
        """`cua_hang` or, for two, `cua_hang, kenh`: a value keyed by both is keyed by that
        one name (see `planrules.lang.units.dimension_parts`)."""
        first, *others = [child for child in children if child is not None]
        if not others:
            return str(first)
        second = others[0]
        if str(second) == str(first):
            self._problem(
                "bad-dimensions",
                self._token_span(second),
                Message("`{dimension}` is named twice", dimension=first),
            )
        return joined_dimensions((str(first), str(second)))

    def _name_token(self, token: Token) -> s.Name:
        return s.Name(str(token), self._token_span(token))


def _cut(text: str, most: int = 40) -> str:
    """A literal as a message quotes it: a long one by its ends."""
    return text if len(text) <= most else f"{text[: most // 2]}...{text[-most // 2 :]}"
