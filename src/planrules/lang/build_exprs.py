"""The tree builder's rules for expressions: names, literals, calls, keys and operators."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lark import Token

from planrules.lang import syntax as s
from planrules.lang.build_context import NodeBuilder, unescape


def _binary(op: str) -> Callable[[ExpressionBuilder, Any, list[Any]], s.Binary]:
    def build(self: ExpressionBuilder, meta: Any, children: list[Any]) -> s.Binary:
        return s.Binary(op, children[0], children[-1], self._span(meta))

    return build


class ExpressionBuilder(NodeBuilder):
    """Builds the nodes of expressions, wherever they stand."""

    def atom(self, meta: Any, children: list[Any]) -> Any:
        return children[0]  # `( expr )`: the parentheses only group

    def name(self, meta: Any, children: list[Token]) -> s.Name:
        return self._name_token(children[0])

    def literal(self, meta: Any, children: list[Token]) -> s.Number:
        return self._number(children[0])

    def call(self, meta: Any, children: list[Any]) -> s.Call:
        function, *args = children
        arguments = tuple(a for a in args if a is not None)
        return s.Call(str(function), arguments, self._span(meta))

    def rule_call(self, meta: Any, children: list[Any]) -> s.Call:
        function, rule = children
        named = s.RuleName(unescape(rule), self._token_span(rule))
        return s.Call(str(function), (named,), self._span(meta))

    def date_literal(self, meta: Any, children: list[Token]) -> s.DateLiteral:
        return s.DateLiteral(str(children[0]), self._date(children[0]), self._span(meta))

    def member(self, meta: Any, children: list[Any]) -> s.KeyAccess:
        return s.KeyAccess(children[0], str(children[1]), False, self._span(meta))

    def index(self, meta: Any, children: list[Any]) -> s.KeyAccess:
        return s.KeyAccess(children[0], unescape(children[1]), True, self._span(meta))

    def negate(self, meta: Any, children: list[Any]) -> s.Unary:
        return s.Unary("-", children[0], self._span(meta))

    def not_op(self, meta: Any, children: list[Any]) -> s.Unary:
        return s.Unary("not", children[0], self._span(meta))

    def compare(self, meta: Any, children: list[Any]) -> s.Binary:
        left, op, right = children
        return s.Binary(op, left, right, self._span(meta))

    add = _binary("+")
    subtract = _binary("-")
    multiply = _binary("*")
    divide = _binary("/")
    and_op = _binary("and")
    or_op = _binary("or")
