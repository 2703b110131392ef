"""Lark's tree to syntax nodes: the only module that knows the grammar's rule names.

The rules are in groups by what they build (`build_decls`, `build_interpolations`,
`build_tests`, `build_exprs`); this module walks the tree, hands each subtree to its rule,
refuses expressions nested too deep, and assembles the file's module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import attrs
from lark import Token, Tree

from planrules.lang import syntax as s
from planrules.lang.build_context import BuildState, Clause, Edges, NodeBuilder, current_build
from planrules.lang.build_decls import DeclarationBuilder, RuleBuilder
from planrules.lang.build_exprs import ExpressionBuilder
from planrules.lang.build_interpolations import RecommendationBuilder
from planrules.lang.build_tests import TestBlockBuilder
from planrules.lang.build_text import ParserText, parser_text
from planrules.lang.diagnostics import Diagnostic, error, sort_key
from planrules.lang.messages import Message
from planrules.lang.parser import SyntaxErrors, SyntaxProblem, locale_numbers, parse_recovering
from planrules.lang.parser import lark_parser as lark_parser  # the one parser, from here too
from planrules.lang.source import Source, Span, point

# An expression may nest this many levels (brackets, calls, unary operators, operands on the
# right of an operator) and no more: the checker and the printer follow nesting by recursion,
# and Python's stack is not deep enough for thousands of levels. A chain of operators
# (`a + b + c + ...`) is followed without recursion, so its length does not count.
MAX_NESTING = 100


@attrs.frozen
class Parsed:
    """A parsed file: its tree (None where it did not parse) and what went wrong on the way."""

    source: Source
    module: s.Module | None
    diagnostics: tuple[Diagnostic, ...]


def parse_source(source: Source) -> Parsed:
    """Parse one file; syntax problems come back as diagnostics, never as exceptions.

    The parser reads the text NFKC-normalised outside strings and comments (see build_text);
    its tokens are moved back to where they were written before anything is built of them, so
    that every span and diagnostic points into the file as written."""
    surrogate = _lone_surrogate(source)
    if surrogate is not None:
        return Parsed(source, None, (surrogate,))
    text = parser_text(source)
    locale_problems = locale_numbers(text.source)
    state = BuildState(source)
    reset = current_build.set(state)
    try:
        tree, comments = parse_recovering(lark_parser(), text.source)
        text.place(_tokens(tree, comments))
        module = _BUILDER._assemble(_BUILDER._build(tree).children, comments)
    except SyntaxErrors as problems:
        found = [*locale_problems, *problems.diagnostics]
        return Parsed(source, None, _placed(text, found))
    except SyntaxProblem as problem:  # from the builder, which sees tokens where written
        return Parsed(source, None, (*_placed(text, locale_problems), problem.diagnostic))
    finally:
        current_build.reset(reset)
    return Parsed(source, module, (*_placed(text, locale_problems), *state.diagnostics))


def _tokens(tree: Tree[Token], comments: list[Token]) -> Iterator[Token]:
    """Every token of a parsed file, comments too."""
    for subtree in tree.iter_subtrees():
        yield from (child for child in subtree.children if isinstance(child, Token))
    yield from comments


def _placed(text: ParserText, diagnostics: list[Diagnostic]) -> tuple[Diagnostic, ...]:
    """Diagnostics of the parser's text, where they were written, each once (a locale number
    the parser stopped at is found by both), in the order of the file."""
    placed = (attrs.evolve(d, span=text.span(d.span)) for d in diagnostics)
    return tuple(sorted(dict.fromkeys(placed), key=sort_key))


def _lone_surrogate(source: Source) -> Diagnostic | None:
    """A lone surrogate (only text handed over as a Python string can hold one) is not text:
    it could never be written out as UTF-8, so it is refused where it is."""
    try:
        source.text.encode("utf-8")
    except UnicodeEncodeError as problem:
        offset = problem.start
        line = source.text.count("\n", 0, offset) + 1
        column = offset - (source.text.rfind("\n", 0, offset) + 1) + 1
        escape = f"\\u{ord(source.text[offset]):04x}"
        message = Message(
            "a lone surrogate ({escape}) is not text; the file must be valid Unicode",
            escape=escape,
        )
        return error("syntax-error", point(source.path, line, column), message)
    return None


# The header lines a file may give once each, by the words that start them.
_Header = s.Currency | s.PeriodDecl | s.Locale | s.RollUp
_HEADER_KINDS: dict[type, str] = {
    s.Currency: "currency",
    s.PeriodDecl: "period",
    s.Locale: "locale",
    s.RollUp: "roll up",
}


class _Builder(NodeBuilder):
    """Builds a node for each of Lark's subtrees, bottom up, by the subtree's rule name, looked
    up in one table of the public methods of every group of rules.

    The file being built is in the context rather than in the builder, so one builder serves
    every file and thread.
    """

    def __init__(self) -> None:
        groups = (
            DeclarationBuilder(),
            RuleBuilder(),
            RecommendationBuilder(lark_parser, self._build),
            TestBlockBuilder(),
            ExpressionBuilder(),
        )
        self._rules: dict[str, Callable[[Any, list[Any]], Any]] = {
            name: getattr(group, name)
            for group in groups
            for name in dir(type(group))
            if not name.startswith("_") and callable(getattr(group, name))
        }

    def _build(self, tree: Any, depth: int = 0) -> Any:
        """The node of a subtree whose root is nested `depth` levels deep in an expression.

        Built bottom up without recursion: a chain such as `a + a + ... + a` is a tree as deep
        as the chain is long, far deeper than Python lets a recursion go.
        """
        if not isinstance(tree, Tree):
            return tree
        edges = self._edges
        built: list[Any] = []  # the nodes of the subtrees built, in order
        # A subtree is met twice: first (with None) to push the subtrees among its children
        # above it, then (with their number) to be built, their nodes the last ones built.
        pending: list[tuple[Tree[Token], int, int | None]] = [(tree, depth, None)]
        while pending:
            subtree, level, subtrees = pending.pop()
            if subtrees is not None:
                nodes = built[len(built) - subtrees :]
                del built[len(built) - subtrees :]
                built.append(self._node(subtree, nodes, edges))
                continue
            if level > MAX_NESTING:
                self._refuse_nesting(subtree)
            below = [
                (child, _child_depth(subtree, index, child, level), None)
                for index, child in enumerate(subtree.children)
                if isinstance(child, Tree)
            ]
            pending.append((subtree, level, len(below)))
            pending.extend(reversed(below))
        return built[0]

    def _node(self, tree: Tree[Token], nodes: list[Any], edges: dict[int, Edges]) -> Any:
        """A subtree's node, given the nodes of the subtrees among its children, in order; on
        the way, its first and last tokens go into `edges` for its span."""
        keep = tree.data in _TOKEN_RULES
        children: list[Any] = []
        taken = iter(nodes)
        first: Token | None = None
        last: Token | None = None
        branches: list[Any] = tree.children  # None for a missing optional part
        for child in branches:
            if isinstance(child, Tree):
                children.append(next(taken))
                start, end = edges[id(child)]
            elif child is None:
                children.append(None)
                continue
            else:
                if keep or child.type in _VALUE_TERMINALS:
                    children.append(child)
                start = end = child
            if first is None:
                first = start
            if end is not None:
                last = end
        edges[id(tree)] = (first, last)
        return self._rules[tree.data](tree, children)

    def _refuse_nesting(self, tree: Tree[Token]) -> None:
        """Stop at the first bracket or operator nested deeper than MAX_NESTING: no later phase
        may meet a tree that deep."""
        if tree.data in _LEAF_RULES:
            return  # a name or a number opens no level
        token = _own_token(tree)
        span = self._token_span(token) if token is not None else point(self._source.path, 1, 1)
        raise SyntaxProblem(
            error(
                "expression-too-deep",
                span,
                Message(
                    "expression nested more than {most} levels deep; split it into lets",
                    most=MAX_NESTING,
                ),
            )
        )

    # ---- the module ---------------------------------------------------------------------

    def _assemble(self, items: list[Any], comment_tokens: list[Token]) -> s.Module:
        comments = [self._comment(token) for token in comment_tokens]
        ruleset: str | None = None
        ruleset_span: Span | None = None
        headers: dict[str, Any] = {}
        uses: list[s.Use] = []
        declarations = []
        for item in items:
            if item is None:
                continue  # a declaration that could not be built; its problem is reported
            if isinstance(item, Clause) and item.name == "ruleset":
                ruleset, ruleset_span = item.value, item.span
            elif isinstance(item, s.Use):
                uses.append(item)
            elif isinstance(item, _Header):
                self._single_header(headers, item)
            else:
                declarations.append(item)
        end = self._source.text.rstrip().count("\n") + 1
        return s.Module(
            path=self._source.path,
            ruleset=ruleset,
            currency=headers.get("currency"),
            period=headers.get("period"),
            uses=tuple(uses),
            declarations=tuple(declarations),
            comments=tuple(comments),
            span=Span(self._source.path, 1, 1, end, 1),
            ruleset_span=ruleset_span,
            locale=headers.get("locale"),
            roll_up=headers.get("roll up"),
        )

    def _single_header(self, headers: dict[str, Any], item: _Header) -> None:
        kind = _HEADER_KINDS[type(item)]
        if kind in headers:
            self._problem(
                "duplicate-header",
                item.span,
                Message("the `{kind}` header is given twice", kind=kind),
            )
        else:
            headers[kind] = item

    def _comment(self, token: Token) -> s.Comment:
        line_start = self._source.text.rfind("\n", 0, token.start_pos or 0) + 1
        own_line = not self._source.text[line_start : token.start_pos].strip()
        return s.Comment(str(token).rstrip(), own_line, self._token_span(token))


# Lark keeps every token (keep_all_tokens), so that spans can start at a rule's keyword without
# Lark's costly position propagation; the builder passes on only the tokens that carry values,
# and all the tokens of the rules whose one token is their value (`!rule` in the grammar).
_VALUE_TERMINALS = frozenset({"NAME", "STRING", "NUMBER", "DATE", "PERIOD_ID", "CURRENCY_SIGN"})
_TOKEN_RULES = frozenset(
    {
        "metric_type",
        "cadence",
        "sign",
        "level_status",
        "direction",
        "severity",
        "status",
        "comparison_op",
    }
)
_LEAF_RULES = frozenset({"literal", "name", "date_literal"})
# Binary operators, whose left operand may be a chain as long as the expression.
_OPERATOR_RULES = frozenset({"or_op", "and_op", "compare", "add", "subtract", "multiply", "divide"})
# `atom` is a bracketed expression: the other atoms have rule names of their own.
_EXPRESSION_RULES = (
    _LEAF_RULES
    | _OPERATOR_RULES
    | {"not_op", "negate", "member", "index", "call", "rule_call", "atom"}
)


def _child_depth(parent: Tree[Token], index: int, child: Any, depth: int) -> int:
    """How deep a child is nested: an expression is one level deeper than the expression it is
    in, but the left operand of an operator is on the operator's level (it continues a chain);
    anything else is outside expressions, at 0."""
    if not isinstance(child, Tree) or child.data not in _EXPRESSION_RULES:
        return 0
    if index == 0 and parent.data in _OPERATOR_RULES:
        return depth
    return depth + 1


def _own_token(tree: Tree[Token]) -> Token | None:
    """The token that makes an expression what it is: its operator, bracket or function name."""
    for child in tree.children:
        if isinstance(child, Token):
            return child
        if isinstance(child, Tree) and child.data not in _EXPRESSION_RULES:
            return _own_token(child)  # a comparison's operator, one level down
    return None


_BUILDER = _Builder()
