"""`planrules explain`: how one rule's result came about, step by step.

An explanation is a tree of steps, each a piece of text and the value it came to, written for
people: every sub-expression (names and lets included), the target or the levels it was
compared with, the pacing arithmetic, a trigger's condition period by period, and the clipping
of each adjustment. The rule is evaluated once with a trace (`Ruleset.traced`): the status and
every figure come from that evaluation's report and its record, so an explanation never
disagrees with `planrules eval`, and nothing here works a figure out again.
"""

from __future__ import annotations

import decimal
import json
import unicodedata
from collections.abc import Sequence
from typing import Any

import attrs

from planrules.eval.compile import ExpressionTypes
from planrules.eval.evaluate import Ruleset
from planrules.eval.values import EVALUATION
from planrules.i18n import N_, _, spoken
from planrules.lang import syntax as s
from planrules.lang.diagnostics import PlanError
from planrules.lang.exprcheck import did_you_mean
from planrules.lang.fmt import quote
from planrules.lang.messages import Message
from planrules.report.explain_rules import sections
from planrules.report.explain_steps import Context, Step, Walker, Writer, status_word
from planrules.report.model import Report
from planrules.report.render import visible

__all__ = [
    "ExplainError",
    "Explanation",
    "Step",
    "choose_key",
    "explain",
    "find_rule",
    "render_explanation",
]

FORMATS = ("text", "json")
MAX_LISTED = 20  # names listed in an error message
TEXT_INDENT = "  "
_KINDS: dict[type, str] = {
    s.Goal: "goal",
    s.Threshold: "threshold",
    s.Budget: "budget",
    s.Trigger: "trigger",
}
_KIND_WORDS = {
    "goal": N_("goal"),
    "threshold": N_("threshold"),
    "budget": N_("budget"),
    "trigger": N_("trigger"),
}


@attrs.frozen
class Explanation:
    """How one rule (one key of a `per` rule, or one budget line) came to its status.

    `steps` are sections: "value", "compared with", "pacing", "periods" (triggers),
    "adjustments", "recommendations" (triggers) and "verdict", each where it applies.
    """

    rule: str
    kind: str
    key: str | None
    as_of: str
    status: str
    steps: tuple[Step, ...]
    reason: str | None = None  # why the result is unknown, as the report says

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "kind": self.kind,
            "key": self.key,
            "as_of": self.as_of,
            "status": self.status,
            "reason": self.reason,
            "steps": [step.to_dict() for step in self.steps],
        }

    def to_json(self) -> str:
        """The explanation as JSON text, exactly as `planrules explain --format json` writes
        it (its values are text already: `to_dict()` goes through `json.dumps` too)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"


class ExplainError(PlanError):
    """A rule or key to explain that does not exist, or a key given where none fits."""


# ---- the entry points ----------------------------------------------------------------------


def explain(
    ruleset: Ruleset,
    snapshots: object,
    rule: str,
    key: str | None = None,
    at: str | None = None,
) -> Explanation:
    """Explain `rule` (at `key`, for a budget a line) at `at`, the last period by default.

    The steps are written in the language spoken (`planrules.i18n.speaking`), English where
    none is chosen."""
    node = find_rule(ruleset, _nfc(rule))
    history = ruleset.history(snapshots)
    wanted = None if key is None else _nfc(key)
    if wanted is None and not isinstance(node, s.Budget) and node.per is not None:
        # The only key of a `per` rule is explained without being named.
        wanted = choose_key(node, ruleset.evaluate(history, at=at), None)
    report, trace = ruleset.traced(history, node.name, wanted, at)
    chosen = choose_key(node, report, wanted)
    result = report.result(node.name, chosen)
    assert ruleset.checked.scope is not None  # a Ruleset is only made of a sound check
    writer = Writer(ruleset.currency)
    walker = Walker(trace, ExpressionTypes(ruleset.checked.scope), chosen, writer)
    # Values are written in the exact context, as the report's are, whatever the caller's.
    with decimal.localcontext(EVALUATION):
        steps = sections(Context(report, trace, chosen, result, walker, writer), node)
    return Explanation(
        rule=node.name,
        kind=_KINDS[type(node)],
        key=chosen,
        as_of=report.as_of,
        status=result.status if result is not None else "none",
        steps=tuple(steps),
        reason=result.reason if result is not None else None,
    )


def render_explanation(explanation: Explanation, format: str) -> str:
    """The explanation as an indented tree of `text = value` lines, or as JSON."""
    if format == "json":
        return explanation.to_json()
    if format == "text":
        return _render_text(explanation)
    raise ExplainError(
        Message(
            "unknown format {format!r}: choose one of {formats}",
            format=format,
            formats=", ".join(FORMATS),
        )
    )


def _nfc(text: str) -> str:
    # Names and keys are NFC-normalised when read; a name typed on another system may not be.
    return unicodedata.normalize("NFC", text)


# ---- which rule and which key --------------------------------------------------------------


def find_rule(ruleset: Ruleset, name: str) -> s.Rule:
    rules = ruleset.checked.rules
    for rule in rules:
        if rule.name == name:
            return rule
    names = [rule.name for rule in rules]
    raise ExplainError(
        Message(
            "no rule named {name}{hint}; the rules are {rules}",
            name=quote(name),
            hint=_hint(name, names),
            rules=_listing(names) if names else Message("none"),
        )
    )


def choose_key(rule: s.Rule, report: Report, key: str | None) -> str | None:
    """The key to explain: given, or the only one; a budget's key is one of its lines."""
    name = quote(rule.name)
    if isinstance(rule, s.Budget):
        lines = [line.key.text for line in rule.lines]
        if key is not None and key not in lines:
            raise ExplainError(
                Message(
                    "budget {name} has no line {line}{hint}; its lines are {lines}",
                    name=name,
                    line=quote(key),
                    hint=_hint(key, lines),
                    lines=_listing(lines),
                )
            )
        return key
    if rule.per is None:
        if key is not None:
            raise ExplainError(
                Message("{name} has no `per`, so it has no keys: leave out --key", name=name)
            )
        return None
    keys = [r.key for r in report.results if r.rule == rule.name and r.key is not None]
    if key is None:
        if len(keys) == 1:
            return keys[0]
        if not keys:
            raise ExplainError(
                Message(
                    "{name} is per {per}, but no key of {per} appears through {period}",
                    name=name,
                    per=rule.per,
                    period=report.as_of,
                )
            )
        raise ExplainError(
            Message(
                "{name} is per {per}: choose a key with --key: {keys}",
                name=name,
                per=rule.per,
                keys=_listing(keys),
            )
        )
    if key not in keys:
        raise ExplainError(
            Message(
                "{name} has no key {key} through {period}{hint}; its keys are {keys}",
                name=name,
                key=quote(key),
                period=report.as_of,
                hint=_hint(key, keys),
                keys=_listing(keys),
            )
        )
    return key


def _hint(name: str, candidates: Sequence[str]) -> str:
    hint = did_you_mean(name, candidates)
    return Message(" ({hint})", hint=hint) if hint else ""


def _listing(names: Sequence[str]) -> str:
    shown = ", ".join(quote(name) for name in names[:MAX_LISTED])
    more = len(names) - MAX_LISTED
    return Message("{names} and {more} more", names=shown, more=more) if more > 0 else shown


# ---- text ----------------------------------------------------------------------------------


def _render_text(explanation: Explanation) -> str:
    name = (
        explanation.rule if explanation.key is None else f"{explanation.rule} [{explanation.key}]"
    )
    heading = _("{rule} ({kind}) as of {period}: {status}").format(
        rule=name,
        kind=_(_KIND_WORDS[explanation.kind]),
        period=explanation.as_of,
        status=status_word(explanation.status),
    )
    lines = [visible(heading)]
    if explanation.reason is not None:
        lines.append(visible(_("reason: {reason}").format(reason=spoken(explanation.reason))))
    pending = [(step, 0) for step in reversed(explanation.steps)]
    # A stack rather than recursion: depth is bounded, but a stack costs nothing either way.
    while pending:
        step, depth = pending.pop()
        line = f"{step.text} = {step.value}" if step.value else step.text
        lines.append(TEXT_INDENT * depth + visible(line))
        pending.extend((child, depth + 1) for child in reversed(step.children))
    return "\n".join(lines) + "\n"
