"""The tree builder's rules for test blocks: snapshots given inline or from a file, the period
to evaluate at, and the expectations."""

from __future__ import annotations

from typing import Any

from lark import Token

from planrules.lang import syntax as s
from planrules.lang.build_context import NodeBuilder, unescape
from planrules.lang.messages import said_by
from planrules.lang.periods import PeriodError, parse_period


class TestBlockBuilder(NodeBuilder):
    """Builds `test` declarations and everything inside them."""

    def test_decl(self, meta: Any, children: list[Any]) -> s.Test:
        return s.Test(unescape(children[0]), tuple(children[1:]), self._span(meta))

    def snapshot_block(self, meta: Any, children: list[Any]) -> s.SnapshotBlock:
        period = self._period(children[0])
        return s.SnapshotBlock(period, tuple(children[1:]), self._span(meta))

    def _period(self, token: Token) -> str:
        try:
            parse_period(str(token))
        except PeriodError as problem:
            self._problem("bad-period", self._token_span(token), said_by(problem))
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
