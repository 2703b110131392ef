"""The tree builder's rules for declarations: the header, metrics, tables and lets, then the
rules of a plan (goals, thresholds, budgets, triggers) with their clauses and actions."""

from __future__ import annotations

import re
from typing import Any
from unicodedata import normalize

import attrs
from lark import Token, Tree

from planrules.lang import syntax as s
from planrules.lang.build_context import Clause, NodeBuilder, unescape
from planrules.lang.messages import Message
from planrules.lang.numbers import UNBOUNDED
from planrules.lang.source import Span


class DeclarationBuilder(NodeBuilder):
    """Builds the header and the declarations that give data: metrics, tables and lets."""

    def start(self, meta: Any, children: list[Any]) -> Tree[Any]:
        return Tree("start", children)

    # ---- header -----------------------------------------------------------------------------

    def ruleset_decl(self, meta: Any, children: list[Token]) -> Clause:
        return Clause("ruleset", unescape(children[0]), self._span(meta))

    def currency_decl(self, meta: Any, children: list[Token]) -> s.Currency:
        return s.Currency(str(children[0]), self._span(meta))

    def locale_decl(self, meta: Any, children: list[Token]) -> s.Locale:
        return s.Locale(str(children[0]), self._span(meta))

    def roll_up_decl(self, meta: Any, children: list[Token]) -> s.RollUp:
        return s.RollUp(self._span(meta))

    def period_decl(self, meta: Any, children: list[Any]) -> s.PeriodDecl | None:
        start_token, end_token, cadence = children
        start = self._date(start_token)
        end = self._date(end_token)
        if start is None or end is None:
            return None
        if end < start:
            self._problem(
                "bad-window", self._span(meta), Message("the window ends before it starts")
            )
        return s.PeriodDecl(start, end, cadence, self._span(meta))

    def cadence(self, meta: Any, children: list[Token]) -> str:
        return str(children[0])

    def use_decl(self, meta: Any, children: list[Token]) -> s.Use:
        return s.Use(unescape(children[0]), self._span(meta))

    # ---- declarations -----------------------------------------------------------------------

    def metric_decl(self, meta: Any, children: list[Any]) -> s.Metric:
        name, metric_type, *rest = children
        clauses = {c.name: c.value for c in rest if isinstance(c, Clause)}
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

    def dimension(self, meta: Any, children: list[Token | None]) -> Clause:
        return Clause("by", self._dimensions(meta, children), self._span(meta))

    def group_decl(self, meta: Any, children: list[Any]) -> s.Group:
        dimension, into, *entries = children
        return s.Group(str(dimension), str(into), tuple(entries), self._span(meta))

    def bare_group_key(self, meta: Any, children: list[Token]) -> s.Key:
        return self.bare_key(meta, children)

    def quoted_group_key(self, meta: Any, children: list[Token]) -> s.Key:
        return self.quoted_key(meta, children)

    def group_entry(self, meta: Any, children: list[Any]) -> s.GroupEntry:
        return s.GroupEntry(children[0], children[1], self._span(meta))

    def stock(self, meta: Any, children: list[Token]) -> Clause:
        return Clause("stock", True, self._span(meta))

    def table_decl(self, meta: Any, children: list[Any]) -> s.Table:
        name, table_type, first, *rest = children
        named = [c for c in rest if isinstance(c, Token) and c.type == "NAME"]
        second = named[0] if named else None
        entries = tuple(c for c in rest if isinstance(c, s.TableEntry))
        periods = tuple(p for c in rest if isinstance(c, tuple) for p in c)
        defaults = [c.value for c in rest if isinstance(c, Clause)]
        by_period = "period" in (str(first), str(second))
        dimension = None if str(first) == "period" else str(first)
        if second is not None and str(second) != "period":
            self._problem(
                "bad-table-dimensions",
                self._token_span(second),
                Message(
                    "a table is keyed by one dimension, by period, or by one dimension and "
                    "period, not by `{first}` and `{second}`",
                    first=first,
                    second=second,
                ),
            )
        self._table_shape(str(name), by_period, dimension, entries, periods)
        return s.Table(
            str(name),
            table_type,
            dimension,
            () if by_period else entries,
            defaults[0] if defaults else None,
            self._span(meta),
            by_period,
            periods if by_period else (),
        )

    def _table_shape(
        self,
        name: str,
        by_period: bool,
        dimension: str | None,
        entries: tuple[s.TableEntry, ...],
        periods: tuple[s.PeriodEntry, ...],
    ) -> None:
        """Each row written in the form the table's keys ask for."""
        wrong: list[s.TableEntry | s.PeriodEntry] = list(periods)
        wanted = "KEY VALUE"
        if by_period:
            wrong = [*entries, *(p for p in periods if (p.key is None) != (dimension is None))]
            wanted = "KEY { PERIOD VALUE ... }" if dimension else "PERIOD VALUE"
        for row in wrong:
            self._problem(
                "bad-table-entry",
                row.span,
                Message(
                    "each row of table `{name}` is written `{wanted}`", name=name, wanted=wanted
                ),
            )

    def table_entry(self, meta: Any, children: list[Any]) -> s.TableEntry:
        return s.TableEntry(children[0], children[1], self._span(meta))

    def period_entry(self, meta: Any, children: list[Any]) -> tuple[s.PeriodEntry, ...]:
        return (s.PeriodEntry(None, str(children[0]), children[1], self._span(meta)),)

    def keyed_periods(self, meta: Any, children: list[Any]) -> tuple[s.PeriodEntry, ...]:
        key, *rows = children
        return tuple(attrs.evolve(row, key=key) for row in rows)

    def period_value(self, meta: Any, children: list[Any]) -> s.PeriodEntry:
        return s.PeriodEntry(None, str(children[0]), children[1], self._span(meta))

    snapshot_keyed_value = table_entry

    def table_else(self, meta: Any, children: list[Any]) -> Clause:
        return Clause("else", children[0], self._span(meta))

    def bare_key(self, meta: Any, children: list[Token]) -> s.Key:
        return s.Key(str(children[0]), False, self._span(meta))

    def quoted_key(self, meta: Any, children: list[Token]) -> s.Key:
        return s.Key(unescape(children[0]), True, self._span(meta))

    def value(self, meta: Any, children: list[Any]) -> s.Number:
        sign, token = children
        number = self._number(token, sign or "")
        return attrs.evolve(number, span=self._span(meta))

    # A budget line's amount is a signed value too, in a rule of its own (see the grammar).
    line_amount = value

    def sign(self, meta: Any, children: list[Token]) -> str:
        return str(children[0])

    def let_decl(self, meta: Any, children: list[Any]) -> s.Let:
        return s.Let(str(children[0]), children[1], self._span(meta))


class RuleBuilder(NodeBuilder):
    """Builds goals, thresholds, budgets and triggers, each from its clauses, which may come in
    any order but at most once each."""

    def _clauses(self, rule: str, parts: list[Any]) -> dict[str, Clause]:
        found: dict[str, Clause] = {}
        for part in parts:
            if not isinstance(part, Clause):
                continue
            if part.name in found:
                self._problem(
                    "duplicate-clause",
                    part.span,
                    Message("{rule} has more than one `{part}` clause", rule=rule, part=part.name),
                )
            else:
                found[part.name] = part
        return found

    @staticmethod
    def _clause_value(clauses: dict[str, Clause], name: str) -> Any:
        clause = clauses.get(name)
        return clause.value if clause is not None else None

    def _clause_spans(
        self, name: Token, clauses: dict[str, Clause]
    ) -> tuple[tuple[str, Span], ...]:
        named = ("name", self._token_span(name))
        return (named, *((clause.name, clause.span) for clause in clauses.values()))

    # ---- clauses shared by several rules ----------------------------------------------------

    def per_clause(self, meta: Any, children: list[Token | None]) -> Clause:
        return Clause("per", self._dimensions(meta, children), self._span(meta))

    def owner_clause(self, meta: Any, children: list[Token]) -> Clause:
        return Clause("owner", unescape(children[0]), self._span(meta))

    # ---- goals ------------------------------------------------------------------------------

    def goal_decl(self, meta: Any, children: list[Any]) -> s.Goal | None:
        name = unescape(children[0])
        clauses = self._clauses(f'goal "{name}"', children[1:])
        comparison = next(c for c in children[1:] if not isinstance(c, Clause))
        if not (isinstance(comparison, s.Binary) and comparison.op in (">=", ">", "<=", "<")):
            self._problem(
                "goal-needs-comparison",
                _expr_span(comparison),
                Message("a goal compares a value with its target using >=, >, <= or <"),
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
            clause_spans=self._clause_spans(children[0], clauses),
        )

    def deadline_clause(self, meta: Any, children: list[Token]) -> Clause:
        return Clause("by", self._date(children[0]), self._span(meta))

    def baseline_clause(self, meta: Any, children: list[Any]) -> Clause:
        baseline = children[0]
        written = self._written(baseline.span)
        if written is not None and _LOOKS_LIKE_A_PERIOD.fullmatch(normalize("NFKC", written)):
            # Not a subtraction (`2025 - 12`) nor a division, whatever the grammar makes of it.
            self._problem(
                "bad-baseline",
                baseline.span,
                Message(
                    "`from {written}` reads as a date or period; a baseline is a number the plan "
                    "starts from",
                    written=written,
                ),
                Message(
                    "write that number, e.g. `from 1.2 tỷ`; the plan's start date belongs in the "
                    "`period` header"
                ),
            )
            return Clause("from", None, self._span(meta))
        return Clause("from", baseline, self._span(meta))

    def tolerance_clause(self, meta: Any, children: list[Token]) -> Clause:
        return Clause("tolerance", self._number(children[0]), self._span(meta))

    def phased_clause(self, meta: Any, children: list[Token]) -> Clause:
        weights = tuple(self._number(token) for token in children)
        return Clause("phased", weights, self._span(meta))

    # ---- thresholds -------------------------------------------------------------------------

    def threshold_decl(self, meta: Any, children: list[Any]) -> s.Threshold:
        name = unescape(children[0])
        clauses = self._clauses(f'threshold "{name}"', children[1:])
        rest = [c for c in children[1:] if not isinstance(c, Clause)]
        return s.Threshold(
            name=name,
            per=self._clause_value(clauses, "per"),
            subject=rest[0],
            levels=tuple(rest[1:]),
            owner=self._clause_value(clauses, "owner"),
            span=self._span(meta),
            clause_spans=self._clause_spans(children[0], clauses),
        )

    def level(self, meta: Any, children: list[Any]) -> s.Level:
        status, direction, bound = children
        return s.Level(status, direction, bound, self._span(meta))

    def level_status(self, meta: Any, children: list[Token]) -> str:
        return str(children[0])

    # Rules whose one token is their value, wherever they stand, are built alike.
    direction = level_status
    severity = level_status
    status = level_status
    comparison_op = level_status

    # ---- budgets ----------------------------------------------------------------------------

    def budget_decl(self, meta: Any, children: list[Any]) -> s.Budget:
        name = unescape(children[0])
        clauses = self._clauses(f'budget "{name}"', children[2:])
        total = self._number(children[1])
        lines = [c for c in children[2:] if isinstance(c, s.BudgetLine)]
        return s.Budget(
            name=name,
            total=total,
            per_period="per period" in clauses,
            metric=self._clause_value(clauses, "for"),
            tolerance=self._clause_value(clauses, "tolerance"),
            lines=tuple(_share_of_total(line, total) for line in lines),
            owner=self._clause_value(clauses, "owner"),
            span=self._span(meta),
            clause_spans=self._clause_spans(children[0], clauses),
        )

    def per_period_clause(self, meta: Any, children: list[Any]) -> Clause:
        return Clause("per period", True, self._span(meta))

    def for_metric_clause(self, meta: Any, children: list[Token]) -> Clause:
        return Clause("for", str(children[0]), self._span(meta))

    def budget_line(self, meta: Any, children: list[Any]) -> s.BudgetLine:
        key, amount, share = children
        return s.BudgetLine(key, amount, share, self._span(meta))

    def share_range(self, meta: Any, children: list[Token]) -> s.Share:
        low, high = children
        return s.Share(self._number(low), self._number(high), self._span(meta))

    def share_at_least(self, meta: Any, children: list[Token]) -> s.Share:
        return s.Share(self._number(children[0]), None, self._span(meta))

    def share_at_most(self, meta: Any, children: list[Token]) -> s.Share:
        return s.Share(None, self._number(children[0]), self._span(meta))

    # ---- triggers and their actions ---------------------------------------------------------

    def trigger_decl(self, meta: Any, children: list[Any]) -> s.Trigger:
        name = unescape(children[0])
        clauses = self._clauses(f'trigger "{name}"', children[1:])
        rest = [c for c in children[1:] if not isinstance(c, Clause)]
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
            clause_spans=self._clause_spans(children[0], clauses),
        )

    def for_periods(self, meta: Any, children: list[Any]) -> Clause:
        return Clause("for", (self._number(children[0]), None), self._span(meta))

    def for_n_of_m(self, meta: Any, children: list[Any]) -> Clause:
        hold = self._number(children[0])
        return Clause("for", (hold, self._number(children[1])), self._span(meta))

    def cooldown_clause(self, meta: Any, children: list[Any]) -> Clause:
        return Clause("cooldown", self._number(children[0]), self._span(meta))

    def severity_clause(self, meta: Any, children: list[str]) -> Clause:
        return Clause("severity", children[0], self._span(meta))

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


# `2025-12`, `2025-Q4`, `2025-W51`, `2025-12-31` and `31/12/2025`: dates and periods, which the
# grammar would read as subtractions (or, for the last, divisions) where a number is expected.
_LOOKS_LIKE_A_PERIOD = re.compile(
    r"[0-9]{4}-(?:[0-9]{2}(?:-[0-9]{2})?|Q[0-9]|W[0-9]{2})|[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}"
)


def _share_of_total(line: s.BudgetLine, total: s.Number) -> s.BudgetLine:
    """A line written as a percent (`zalo 21.95%`) stands for that share of the budget's total:
    its amount becomes the money, exactly, and keeps its text for the formatter."""
    if not line.amount.percent:
        return line
    money = UNBOUNDED.multiply(total.value, line.amount.value)
    return attrs.evolve(line, amount=attrs.evolve(line.amount, value=money))


def _expr_span(expr: Any) -> Span:
    span: Span = expr.span
    return span
