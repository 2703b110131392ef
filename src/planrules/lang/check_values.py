"""The values rules read, whatever their kind: typed against the scope, keyed only by the rule's
own `per`, in units that go together, and percents that are fractions of a whole."""

from __future__ import annotations

import attrs

from planrules.lang import syntax as s
from planrules.lang.check_reporting import Reporting
from planrules.lang.exprcheck import ExprChecker, Scope
from planrules.lang.messages import Message, said_by
from planrules.lang.units import BOOL, Type, UnitError, additive


@attrs.define
class RuleValues(Reporting):
    scope: Scope
    # A rule whose `per` was reported unknown is not told again that its values are keyed.
    unknown_dimensions: set[str]
    # The rule whose values are being typed: what a status or a rank may be read in.
    rule: s.Rule | None = None

    def expressions(self) -> ExprChecker:
        return ExprChecker(self.scope, self.report, self.rule)

    def value_type(self, expr: s.Expr, per: str | None, what: str) -> Type | None:
        """The type of a value a rule reads: a number, keyed only by the rule's own `per`."""
        found = self.expressions().type_of(expr)
        if found is None:
            return None
        if found.dimension is not None and found.dimension != per:
            if per not in self.unknown_dimensions:
                self.keyed_problem(expr, found.dimension, per, what)
            return None
        return found.scalar()

    def keyed_problem(self, expr: s.Expr, dimension: str, per: str | None, what: str) -> None:
        if per is None:
            self.problem(
                "keyed-value",
                expr.span,
                Message(
                    "{what} is keyed by {dimension}: aggregate it (sum, avg, min, max, count) or "
                    "add `per {dimension}` to the rule",
                    what=what,
                    dimension=dimension,
                ),
            )
        else:
            self.problem(
                "mixed-dimensions",
                expr.span,
                Message(
                    "{what} is keyed by {dimension}, but the rule is `per {per}`",
                    what=what,
                    dimension=dimension,
                    per=per,
                ),
            )

    def number_type(self, expr: s.Expr, per: str | None, what: str) -> Type | None:
        found = self.value_type(expr, per, what)
        if found is not None and found.unit == BOOL:
            self.problem(
                "type-mismatch",
                expr.span,
                Message("{what} must be a number, not a condition", what=what),
            )
            return None
        return found

    def compatible(self, expr: s.Expr, left: Type, right: Type, op: str) -> None:
        try:
            additive(op, left, right)
        except UnitError as problem:
            self.problem("unit-mismatch", expr.span, said_by(problem))

    def check_fraction(self, number: s.Number, what: str) -> None:
        if number.currency is not None or not (0 <= number.value <= 1):
            self.problem(
                "bad-percent",
                number.span,
                Message("{what} is a percent from 0% to 100%, such as 10%", what=what),
            )
