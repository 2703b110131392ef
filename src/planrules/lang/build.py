"""Lark's tree to syntax nodes: the only module that knows the grammar's rule names."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import attrs
from lark import Lark, Token, Tree

from planrules.lang import syntax as s
from planrules.lang.diagnostics import Diagnostic, error
from planrules.lang.numbers import canonical_literal, parse_literal
from planrules.lang.parser import SyntaxProblem, build_lark, parse_with
from planrules.lang.periods import PeriodError, parse_date, parse_period
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
    """Parse one file; syntax problems come back as diagnostics, never as exceptions."""
    state = _BuildState(source)
    reset = _state.set(state)
    try:
        tree, comments = parse_with(lark_parser(), source)
        module = _BUILDER._assemble(_BUILDER._build(tree).children, comments)
    except SyntaxProblem as problem:
        return Parsed(source, None, (problem.diagnostic,))
    finally:
        _state.reset(reset)
    return Parsed(source, module, tuple(state.diagnostics))


@functools.cache
def lark_parser() -> Lark:
    """The one parser of the process."""
    return build_lark()


# The first and last token of a subtree (None for a subtree with no tokens).
_Edges = tuple[Token | None, Token | None]


@attrs.define
class _BuildState:
    """What the builder of the file being parsed needs: its source, the problems found, and the
    edge tokens of the subtrees built so far (by id), from which spans are made."""

    source: Source
    diagnostics: list[Diagnostic] = attrs.field(factory=list)
    edges: dict[int, _Edges] = attrs.field(factory=dict)


_state: ContextVar[_BuildState] = ContextVar("planrules_build")


@attrs.frozen
class _Clause:
    """A rule's optional clause on its way into the rule's node."""

    name: str
    value: Any
    span: Span


_ESCAPE = re.compile(r'\\(["\\])')
_INTERPOLATION = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
# A `#` outside the quoted keys of an expression, which the lexer would take for a comment.
_HASH_OUTSIDE_TEXTS = re.compile(r'"(?:[^"\\]|\\.)*"|(#)')


def unescape(token: str) -> str:
    return _ESCAPE.sub(r"\1", token[1:-1])


def _binary(op: str) -> Callable[[_Builder, Any, list[Any]], s.Binary]:
    def build(self: _Builder, meta: Any, children: list[Any]) -> s.Binary:
        return s.Binary(op, children[0], children[-1], self._span(meta))

    return build


class _Builder:
    """Builds a node for each of Lark's subtrees, bottom up, by the subtree's rule name.

    The file being built is in the context rather than in the builder, so one builder serves
    every file and thread.
    """

    def __init__(self) -> None:
        self._rules: dict[str, Callable[[Any, list[Any]], Any]] = {
            name: getattr(self, name)
            for name in dir(type(self))
            if not name.startswith("_") and callable(getattr(self, name))
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

    def _node(self, tree: Tree[Token], nodes: list[Any], edges: dict[int, _Edges]) -> Any:
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
                f"expression nested more than {MAX_NESTING} levels deep; split it into lets",
            )
        )

    # ---- plumbing ------------------------------------------------------------------------

    @property
    def _source(self) -> Source:
        return _state.get().source

    @property
    def _diagnostics(self) -> list[Diagnostic]:
        return _state.get().diagnostics

    @property
    def _edges(self) -> dict[int, _Edges]:
        return _state.get().edges

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

    def _problem(self, code: str, span: Span, message: str, hint: str | None = None) -> None:
        self._diagnostics.append(error(code, span, message, hint))

    def _number(self, token: Token, sign: str = "") -> s.Number:
        text = canonical_literal(sign + str(token))
        parts = parse_literal(text)
        return s.Number(text, parts.value, parts.percent, parts.currency, self._token_span(token))

    def _comment(self, token: Token) -> s.Comment:
        line_start = self._source.text.rfind("\n", 0, token.start_pos or 0) + 1
        own_line = not self._source.text[line_start : token.start_pos].strip()
        return s.Comment(str(token).rstrip(), own_line, self._token_span(token))

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
            if isinstance(item, _Clause) and item.name == "ruleset":
                ruleset, ruleset_span = item.value, item.span
            elif isinstance(item, s.Use):
                uses.append(item)
            elif isinstance(item, s.Currency | s.PeriodDecl):
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
        )

    def _single_header(self, headers: dict[str, Any], item: s.Currency | s.PeriodDecl) -> None:
        kind = "currency" if isinstance(item, s.Currency) else "period"
        if kind in headers:
            self._problem("duplicate-header", item.span, f"the `{kind}` header is given twice")
        else:
            headers[kind] = item

    def _clauses(self, rule: str, parts: list[Any]) -> dict[str, _Clause]:
        found: dict[str, _Clause] = {}
        for part in parts:
            if not isinstance(part, _Clause):
                continue
            if part.name in found:
                self._problem(
                    "duplicate-clause", part.span, f"{rule} has more than one `{part.name}` clause"
                )
            else:
                found[part.name] = part
        return found

    @staticmethod
    def _clause_value(clauses: dict[str, _Clause], name: str) -> Any:
        clause = clauses.get(name)
        return clause.value if clause is not None else None

    # ---- header --------------------------------------------------------------------------

    def atom(self, meta: Any, children: list[Any]) -> Any:
        return children[0]  # `( expr )`: the parentheses only group

    def start(self, meta: Any, children: list[Any]) -> Tree[Any]:
        return Tree("start", children)

    def ruleset_decl(self, meta: Any, children: list[Token]) -> _Clause:
        return _Clause("ruleset", unescape(children[0]), self._span(meta))

    def currency_decl(self, meta: Any, children: list[Token]) -> s.Currency:
        return s.Currency(str(children[0]), self._span(meta))

    def period_decl(self, meta: Any, children: list[Any]) -> s.PeriodDecl | None:
        start_token, end_token, cadence = children
        start = self._date(start_token)
        end = self._date(end_token)
        if start is None or end is None:
            return None
        if end < start:
            self._problem("bad-window", self._span(meta), "the window ends before it starts")
        return s.PeriodDecl(start, end, cadence, self._span(meta))

    def _date(self, token: Token) -> Any:
        try:
            return parse_date(str(token))
        except PeriodError as problem:
            self._problem("bad-date", self._token_span(token), str(problem))
            return None

    def cadence(self, meta: Any, children: list[Token]) -> str:
        return str(children[0])

    def use_decl(self, meta: Any, children: list[Token]) -> s.Use:
        return s.Use(unescape(children[0]), self._span(meta))

    # ---- declarations --------------------------------------------------------------------

    def metric_decl(self, meta: Any, children: list[Any]) -> s.Metric:
        name, metric_type, *rest = children
        clauses = {c.name: c.value for c in rest if isinstance(c, _Clause)}
        descriptions = [unescape(c) for c in rest if isinstance(c, Token) and c.type == "STRING"]
        return s.Metric(
            str(name),
            metric_type,
            clauses.get("by"),
            "stock" in clauses,
            descriptions[0] if descriptions else None,
            self._span(meta),
        )

    def metric_type(self, meta: Any, children: list[Token]) -> str:
        return str(children[0])

    def dimension(self, meta: Any, children: list[Token]) -> _Clause:
        return _Clause("by", str(children[0]), self._span(meta))

    def stock(self, meta: Any, children: list[Token]) -> _Clause:
        return _Clause("stock", True, self._span(meta))

    def table_decl(self, meta: Any, children: list[Any]) -> s.Table:
        name, table_type, dimension, *rest = children
        entries = tuple(c for c in rest if isinstance(c, s.TableEntry))
        defaults = [c.value for c in rest if isinstance(c, _Clause)]
        return s.Table(
            str(name),
            table_type,
            str(dimension),
            entries,
            defaults[0] if defaults else None,
            self._span(meta),
        )

    def table_entry(self, meta: Any, children: list[Any]) -> s.TableEntry:
        return s.TableEntry(children[0], children[1], self._span(meta))

    snapshot_keyed_value = table_entry

    def table_else(self, meta: Any, children: list[Any]) -> _Clause:
        return _Clause("else", children[0], self._span(meta))

    def bare_key(self, meta: Any, children: list[Token]) -> s.Key:
        return s.Key(str(children[0]), False, self._span(meta))

    def quoted_key(self, meta: Any, children: list[Token]) -> s.Key:
        return s.Key(unescape(children[0]), True, self._span(meta))

    def value(self, meta: Any, children: list[Any]) -> s.Number:
        sign, token = children
        number = self._number(token, sign or "")
        return attrs.evolve(number, span=self._span(meta))

    def sign(self, meta: Any, children: list[Token]) -> str:
        return str(children[0])

    def let_decl(self, meta: Any, children: list[Any]) -> s.Let:
        return s.Let(str(children[0]), children[1], self._span(meta))

    # ---- rules ---------------------------------------------------------------------------

    def per_clause(self, meta: Any, children: list[Token]) -> _Clause:
        return _Clause("per", str(children[0]), self._span(meta))

    def owner_clause(self, meta: Any, children: list[Token]) -> _Clause:
        return _Clause("owner", unescape(children[0]), self._span(meta))

    def goal_decl(self, meta: Any, children: list[Any]) -> s.Goal | None:
        name = unescape(children[0])
        clauses = self._clauses(f'goal "{name}"', children[1:])
        comparison = next(c for c in children[1:] if not isinstance(c, _Clause))
        if not (isinstance(comparison, s.Binary) and comparison.op in (">=", ">", "<=", "<")):
            self._problem(
                "goal-needs-comparison",
                _expr_span(comparison),
                "a goal compares a value with its target using >=, >, <= or <",
            )
            return None
        return s.Goal(
            name=name,
            per=self._clause_value(clauses, "per"),
            subject=comparison.left,
            op=comparison.op,
            target=comparison.right,
            deadline=self._clause_value(clauses, "by"),
            baseline=self._clause_value(clauses, "from"),
            tolerance=self._clause_value(clauses, "tolerance"),
            phased=self._clause_value(clauses, "phased"),
            owner=self._clause_value(clauses, "owner"),
            span=self._span(meta),
            clause_spans=_clause_spans(children[0], clauses),
        )

    def deadline_clause(self, meta: Any, children: list[Token]) -> _Clause:
        return _Clause("by", self._date(children[0]), self._span(meta))

    def baseline_clause(self, meta: Any, children: list[Any]) -> _Clause:
        return _Clause("from", children[0], self._span(meta))

    def tolerance_clause(self, meta: Any, children: list[Token]) -> _Clause:
        return _Clause("tolerance", self._number(children[0]), self._span(meta))

    def phased_clause(self, meta: Any, children: list[Token]) -> _Clause:
        weights = tuple(self._number(token) for token in children)
        return _Clause("phased", weights, self._span(meta))

    def threshold_decl(self, meta: Any, children: list[Any]) -> s.Threshold:
        name = unescape(children[0])
        clauses = self._clauses(f'threshold "{name}"', children[1:])
        rest = [c for c in children[1:] if not isinstance(c, _Clause)]
        return s.Threshold(
            name=name,
            per=self._clause_value(clauses, "per"),
            subject=rest[0],
            levels=tuple(rest[1:]),
            owner=self._clause_value(clauses, "owner"),
            span=self._span(meta),
            clause_spans=_clause_spans(children[0], clauses),
        )

    def level(self, meta: Any, children: list[Any]) -> s.Level:
        status, direction, bound = children
        return s.Level(status, direction, bound, self._span(meta))

    def level_status(self, meta: Any, children: list[Token]) -> str:
        return str(children[0])

    direction = level_status
    severity = level_status
    status = level_status
    comparison_op = level_status

    def budget_decl(self, meta: Any, children: list[Any]) -> s.Budget:
        name = unescape(children[0])
        clauses = self._clauses(f'budget "{name}"', children[2:])
        return s.Budget(
            name=name,
            total=self._number(children[1]),
            per_period="per period" in clauses,
            metric=self._clause_value(clauses, "for"),
            tolerance=self._clause_value(clauses, "tolerance"),
            lines=tuple(c for c in children[2:] if isinstance(c, s.BudgetLine)),
            owner=self._clause_value(clauses, "owner"),
            span=self._span(meta),
            clause_spans=_clause_spans(children[0], clauses),
        )

    def per_period_clause(self, meta: Any, children: list[Any]) -> _Clause:
        return _Clause("per period", True, self._span(meta))

    def for_metric_clause(self, meta: Any, children: list[Token]) -> _Clause:
        return _Clause("for", str(children[0]), self._span(meta))

    def budget_line(self, meta: Any, children: list[Any]) -> s.BudgetLine:
        key, amount, share = children
        return s.BudgetLine(key, self._number(amount), share, self._span(meta))

    def share_range(self, meta: Any, children: list[Token]) -> s.Share:
        low, high = children
        return s.Share(self._number(low), self._number(high), self._span(meta))

    def share_at_least(self, meta: Any, children: list[Token]) -> s.Share:
        return s.Share(self._number(children[0]), None, self._span(meta))

    def share_at_most(self, meta: Any, children: list[Token]) -> s.Share:
        return s.Share(None, self._number(children[0]), self._span(meta))

    def trigger_decl(self, meta: Any, children: list[Any]) -> s.Trigger:
        name = unescape(children[0])
        clauses = self._clauses(f'trigger "{name}"', children[1:])
        rest = [c for c in children[1:] if not isinstance(c, _Clause)]
        hold, window = self._clause_value(clauses, "for") or (None, None)
        return s.Trigger(
            name=name,
            per=self._clause_value(clauses, "per"),
            condition=rest[0],
            hold=hold,
            window=window,
            cooldown=self._clause_value(clauses, "cooldown"),
            severity=self._clause_value(clauses, "severity"),
            actions=tuple(rest[1:]),
            owner=self._clause_value(clauses, "owner"),
            span=self._span(meta),
            clause_spans=_clause_spans(children[0], clauses),
        )

    def for_periods(self, meta: Any, children: list[Any]) -> _Clause:
        return _Clause("for", (self._number(children[0]), None), self._span(meta))

    def for_n_of_m(self, meta: Any, children: list[Any]) -> _Clause:
        hold = self._number(children[0])
        return _Clause("for", (hold, self._number(children[1])), self._span(meta))

    def cooldown_clause(self, meta: Any, children: list[Any]) -> _Clause:
        return _Clause("cooldown", self._number(children[0]), self._span(meta))

    def severity_clause(self, meta: Any, children: list[str]) -> _Clause:
        return _Clause("severity", children[0], self._span(meta))

    def periods(self, meta: Any, children: list[Token]) -> None:
        return None

    def shift_action(self, meta: Any, children: list[Any]) -> s.Shift:
        amount, source, destination, budget = children
        return s.Shift(self._number(amount), source, destination, budget, self._span(meta))

    def scale_action(self, meta: Any, children: list[Any]) -> s.Scale:
        line, sign, amount, budget = children
        return s.Scale(line, sign or "", self._number(amount), budget, self._span(meta))

    def in_budget(self, meta: Any, children: list[Token]) -> str:
        return unescape(children[0])

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
            expr, _ = parse_with(lark_parser(), Source(self._source.path, padded), start="expr")
        except SyntaxProblem as problem:
            self._diagnostics.append(_inside_braces(problem.diagnostic, raw, span))
            return None
        if isinstance(expr, Token):
            return self._name_token(expr)
        result: s.Expr = self._build(expr, 1)
        return result

    # ---- tests ---------------------------------------------------------------------------

    def test_decl(self, meta: Any, children: list[Any]) -> s.Test:
        return s.Test(unescape(children[0]), tuple(children[1:]), self._span(meta))

    def snapshot_block(self, meta: Any, children: list[Any]) -> s.SnapshotBlock:
        period = self._period(children[0])
        return s.SnapshotBlock(period, tuple(children[1:]), self._span(meta))

    def _period(self, token: Token) -> str:
        try:
            parse_period(str(token))
        except PeriodError as problem:
            self._problem("bad-period", self._token_span(token), str(problem))
        return str(token)

    def snapshot_value(self, meta: Any, children: list[Any]) -> s.SnapshotEntry:
        return s.SnapshotEntry(children[0], children[1], None, self._span(meta))

    def snapshot_keyed(self, meta: Any, children: list[Any]) -> s.SnapshotEntry:
        return s.SnapshotEntry(children[0], None, tuple(children[1:]), self._span(meta))

    def snapshots_file(self, meta: Any, children: list[Token]) -> s.SnapshotsFile:
        return s.SnapshotsFile(unescape(children[0]), self._span(meta))

    def at_clause(self, meta: Any, children: list[Token]) -> s.At:
        return s.At(self._period(children[0]), self._span(meta))

    def expect_status(self, meta: Any, children: list[Any]) -> s.ExpectStatus:
        rule, key, status = children
        return s.ExpectStatus(unescape(rule), key, status, self._span(meta))

    def expect_overall(self, meta: Any, children: list[str]) -> s.ExpectOverall:
        return s.ExpectOverall(children[0], self._span(meta))

    def expect_value(self, meta: Any, children: list[Any]) -> s.ExpectValue:
        rule, key, op, value = children
        return s.ExpectValue(unescape(rule), key, op, value, self._span(meta))

    def expect_proposed(self, meta: Any, children: list[Any]) -> s.ExpectProposed:
        budget, (line, indexed), op, value = children
        return s.ExpectProposed(unescape(budget), line, indexed, op, value, self._span(meta))

    def expect_recommendation(self, meta: Any, children: list[Token]) -> s.ExpectRecommendation:
        return s.ExpectRecommendation(unescape(children[0]), self._span(meta))

    def rule_key(self, meta: Any, children: list[Token]) -> str:
        return unescape(children[0])

    def dotted_line(self, meta: Any, children: list[s.Key]) -> tuple[s.Key, bool]:
        return children[0], False

    def indexed_line(self, meta: Any, children: list[Token]) -> tuple[s.Key, bool]:
        return s.Key(unescape(children[0]), True, self._token_span(children[0])), True

    # ---- expressions ---------------------------------------------------------------------

    def _name_token(self, token: Token) -> s.Name:
        return s.Name(str(token), self._token_span(token))

    def name(self, meta: Any, children: list[Token]) -> s.Name:
        return self._name_token(children[0])

    def literal(self, meta: Any, children: list[Token]) -> s.Number:
        return self._number(children[0])

    def call(self, meta: Any, children: list[Any]) -> s.Call:
        function, *args = children
        arguments = tuple(a for a in args if a is not None)
        return s.Call(str(function), arguments, self._span(meta))

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


# Lark keeps every token (keep_all_tokens), so that spans can start at a rule's keyword without
# Lark's costly position propagation; the builder passes on only the tokens that carry values,
# and all the tokens of the rules whose one token is their value (`!rule` in the grammar).
_VALUE_TERMINALS = frozenset({"NAME", "STRING", "NUMBER", "DATE", "PERIOD_ID"})
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
_LEAF_RULES = frozenset({"literal", "name"})
# Binary operators, whose left operand may be a chain as long as the expression.
_OPERATOR_RULES = frozenset({"or_op", "and_op", "compare", "add", "subtract", "multiply", "divide"})
# `atom` is a bracketed expression: the other atoms have rule names of their own.
_EXPRESSION_RULES = (
    _LEAF_RULES | _OPERATOR_RULES | {"not_op", "negate", "member", "index", "call", "atom"}
)


def _clause_spans(name: Token, clauses: dict[str, _Clause]) -> tuple[tuple[str, Span], ...]:
    named = ("name", _BUILDER._token_span(name))
    return (named, *((clause.name, clause.span) for clause in clauses.values()))


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


def _expr_span(expr: Any) -> Span:
    span: Span = expr.span
    return span
