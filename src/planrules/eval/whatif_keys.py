"""What it would take, for every falling-short key of a `per` rule at once.

A `per` rule that reads no aggregate over keys judges each key on the key's own values. So
changing an input at every key at once, each by its own amount, changes each key's margins as
changing it alone would: the samples, the solving and the confirming that `whatif` does for
one key are done here for all keys together, one evaluation of the rule (at the current
period only; earlier periods are kept) for each step. A report of 100,000 failing stores
costs a few evaluations of its rules, not 100,000 of them.

Each margin of a key is fitted, from four samples, as the ratio of two linear functions of
the input: a straight line is the usual case (sums, differences, a ratio's numerator), and a
ratio's denominator is the other. The value nearest the input's that passes is solved
exactly, put on the input's grid, and confirmed by judging the rule again, with one grid step
back failing, as `whatif` confirms it for one key. A key that this does not settle for every
input (a margin of another shape, an input absent at the key, an answer that does not
confirm) is worked out alone by `whatif`, so the answers are the same either way.
"""

from __future__ import annotations

import collections
import decimal
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from fractions import Fraction
from typing import Any, Final

import attrs

from planrules.eval.rules import FALLING_SHORT, GoalRule, Margins, Moment, ThresholdRule
from planrules.eval.symbolic import Own, Ratio, in_world
from planrules.eval.values import EVALUATION, Keyed, as_fraction
from planrules.eval.whatif import (
    NOT_A_RATIO_OF_LINES,
    NOTHING_PASSES,
    SAMPLES,
    Divisors,
    Grid,
    Input,
    as_input,
    change_of,
    changed_now,
    dimension_of,
    expressions_of,
    holds,
    in_closed_form,
    input_choices,
    inputs_of_key,
    nearest_on_grid,
    preference,
    reads_aggregate,
    what_it_takes,
)
from planrules.lang.exprcheck import Scope, metrics_read
from planrules.report.model import Change, Result, Row

Rule = GoalRule | ThresholdRule

# Keys of a rule asked for one by one before the rest are solved together: about where the
# cost of working out that many keys alone overtakes the cost of solving them all at once.
KEYS_SOLVED_ALONE = 64


@attrs.define
class Solver:
    """What it would take for any result of one evaluation to pass, worked out for the
    result's rule when first asked for: all the keys of a `per` rule together where it can
    be, otherwise the result's key alone."""

    moment: Moment
    scope: Scope
    rules: Mapping[str, Rule]  # by name: the rules it can solve
    rows: Sequence[Row]  # the evaluation's, read for the keys that fall short
    # Each rule's keys solved together, once enough of them are asked for; none for a rule
    # that cannot be.
    by_rule: dict[str, Mapping[str, tuple[Change, ...]]] = attrs.field(factory=dict)
    asked: collections.Counter[str] = attrs.field(factory=collections.Counter)
    alone_first: int = KEYS_SOLVED_ALONE
    _short: dict[str, list[str]] | None = None

    def __call__(self, result: Result) -> tuple[Change, ...]:
        rule = self.rules[result.rule]
        solved = self.by_rule.get(rule.name)
        if solved is None and self.together(rule, result.key):
            short = self.falling_short().get(rule.name, [])
            solve = solve_keys if judges_keys_apart(rule, self.scope) else solve_keys_across
            solved = self.by_rule[rule.name] = solve(rule, self.moment, self.scope, short)
        found = solved.get(result.key) if solved is not None and result.key else None
        return (
            found if found is not None else what_it_takes(rule, self.moment, result.key, self.scope)
        )

    def falling_short(self) -> dict[str, list[str]]:
        """The keys of each rule that warn or fail, as the evaluation judged them."""
        if self._short is None:
            short: dict[str, list[str]] = {}
            for rule, key, status, *_ in self.rows:
                if status in FALLING_SHORT and key is not None:
                    short.setdefault(rule.name, []).append(key)
            self._short, self.rows = short, ()
        return self._short

    def together(self, rule: Rule, key: str | None) -> bool:
        """Whether to solve every key of `rule` now: a report that reads a few keys' answers
        (the worst 50 of a text report) has each worked out alone, which costs a few
        evaluations of one key; one that reads more has them all worked out together. A rule
        that reads other keys than its own costs as much for one key alone as for all."""
        if key is None:
            return False
        self.asked[rule.name] += 1
        return self.asked[rule.name] > self.alone_first or not judges_keys_apart(rule, self.scope)


def judges_keys_apart(rule: Rule, scope: Scope) -> bool:
    """A `per` rule that reads no aggregate and no metric keyed otherwise than by its own
    dimension: each key is judged on its own values and the unkeyed ones."""
    per = dimension_of(rule)
    if per is None:
        return False
    expressions = expressions_of(rule)
    if reads_aggregate(expressions, scope):
        return False
    read = metrics_read(expressions, scope)
    return all(scope.metrics[name].dimension in (None, per) for name in read)


def solve_keys(
    rule: Rule, moment: Moment, scope: Scope, short: Sequence[str]
) -> dict[str, tuple[Change, ...]]:
    """The changes for every key of `rule` in `short` (those that fall short), in the
    contract's order; a key left out is one to work out alone."""
    if not short:
        return {}
    with decimal.localcontext(EVALUATION):
        found: dict[str, list[Answer]] = {key: [] for key in short}
        for input in _inputs(rule, moment, scope):
            batch = _Batch.of(rule, moment, input, list(found))
            for key, answer in batch.solved().items():
                found[key].append(answer)
            for key in batch.unsettled:
                found.pop(key, None)
        return _in_order(found, Divisors.of(expressions_of(rule), scope))


Answer = tuple[Input, Change, Fraction]  # the input, its change, its value now


def _in_order(found: dict[str, list[Answer]], divisors: Divisors) -> dict[str, tuple[Change, ...]]:
    """Each key's changes in the contract's order."""

    def in_order(key: str, answers: list[Answer]) -> tuple[Change, ...]:
        if len(answers) == 1:
            return (answers[0][1],)
        ranked = [
            (preference(change, origin, divisors.only_divides(input, key)), change)
            for input, change, origin in answers
        ]
        return tuple(change for _, change in sorted(ranked, key=lambda pair: pair[0]))

    return {key: in_order(key, answers) for key, answers in found.items()}


def solve_keys_across(
    rule: Rule, moment: Moment, scope: Scope, short: Sequence[str]
) -> Mapping[str, tuple[Change, ...]]:
    """`solve_keys` for a `per` rule that reads other keys than its own (a sum over keys, a
    key by name): see `KeysAcross`."""
    return KeysAcross(rule, moment, scope, frozenset(short))


class KeysAcross(Mapping[str, tuple[Change, ...]]):
    """The changes for the falling-short keys of a `per` rule that reads other keys than its
    own, whose inputs for a key are its own values and a few other keys' (`inputs_of_key`).

    Another key's value, or an unkeyed metric, is an input of many keys: one judging with it
    as a `Ratio` gives all their margins. Each key's own value moves in a world of its own
    (`Own`): one judging gives every key's margins in its world. So the rule is judged once
    per input, not once per input and key, and each judging when first needed; a key's
    answer is solved from them when the key is first asked for (a text report asks for 50
    keys of 100,000). A key left out is one to work out alone.
    """

    def __init__(self, rule: Rule, moment: Moment, scope: Scope, short: frozenset[str]) -> None:
        self.rule, self.moment, self.short = rule, moment, short
        with decimal.localcontext(EVALUATION):
            expressions = expressions_of(rule)
            self.choices = input_choices(rule, moment, scope, reads_aggregate(expressions, scope))
            self.divisors = Divisors.of(expressions, scope)
        self.owned = {choice.input.metric for choice in self.choices if choice.own}
        self.judged: dict[Input, Callable[[str | None], Margins] | None] = {}
        self.solved: dict[str, tuple[Change, ...] | None] = {}

    def __getitem__(self, key: str) -> tuple[Change, ...]:
        if key not in self.solved:
            with decimal.localcontext(EVALUATION):
                self.solved[key] = self.solve(key) if key in self.short else None
        found = self.solved[key]
        if found is None:
            raise KeyError(key)
        return found

    def __iter__(self) -> Iterator[str]:
        return (key for key in sorted(self.short) if key in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def solve(self, key: str) -> tuple[Change, ...] | None:
        """The key's changes; None where an input of it is left unsettled."""
        answers: list[Answer] = []
        for input in inputs_of_key(self.choices, key):
            settled = self.settled(input, key)
            if isinstance(settled, _Unsettled):
                return None
            if settled is not None:
                answers.append(settled)
        return _in_order({key: answers}, self.divisors)[key]

    def settled(self, input: Input, key: str) -> Settled:
        now = self.moment.frame.metrics[self.moment.current][input.metric]
        own = input.key == key and input.metric in self.owned
        placeholder = Input(input.metric, "", input.unit, input.stock, input.form)
        judging = placeholder if own else input
        if judging not in self.judged:
            self.judged[judging] = self.judge_own(input.metric) if own else self.judge(input)
        margins_at = self.judged[judging]
        start = now if input.key is None else now.get(input.key)
        # A key absent now would be made to appear, which changes more than its value.
        if margins_at is None or start is None:
            return _UNSETTLED
        return _settled(margins_at, key, input, Grid.of(input), Fraction(as_fraction(start)))

    def judge_own(self, metric: str) -> Callable[[str | None], Margins] | None:
        """The margins with every falling-short key's own value of `metric` moving, each in
        its own world."""
        now = self.moment.frame.metrics[self.moment.current][metric]
        present = [key for key in self.short if key in now]
        try:
            value = {**now, **{key: Own(key, Ratio.of_change(now[key])) for key in present}}
            return judged_with(self.rule, self.moment, metric, value)
        except NOT_A_RATIO_OF_LINES:
            return None

    def judge(self, input: Input) -> Callable[[str | None], Margins] | None:
        """The margins with `input` (another key's value, or an unkeyed metric) moving."""
        now = self.moment.frame.metrics[self.moment.current][input.metric]
        try:
            if input.key is None:
                return judged_with(self.rule, self.moment, input.metric, Ratio.of_change(now))
            changed = {**now, input.key: Ratio.of_change(now[input.key])}
            return judged_with(self.rule, self.moment, input.metric, changed)
        except NOT_A_RATIO_OF_LINES:
            return None


class _Unsettled:
    """An input whose answer for a key the batch cannot vouch for: the key is worked out
    alone."""


_UNSETTLED: Final = _Unsettled()
Settled = Answer | None | _Unsettled  # None: no value of the input passes


def _settled(
    margins_at: Callable[[str | None], Margins],
    key: str,
    input: Input,
    grid: Grid,
    origin: Fraction,
) -> Settled:
    """`input`'s answer for `key` from the margins judged with it left unknown."""
    try:
        margins = margins_at(key)
        if margins is None:
            return _UNSETTLED
        in_its_world = [(in_world(margin, key), strict) for margin, strict in margins]
    except NOT_A_RATIO_OF_LINES:
        return _UNSETTLED
    target = in_closed_form(in_its_world, grid, origin)
    if isinstance(target, Fraction):
        return input, change_of(input, origin, target), origin
    if target is NOTHING_PASSES:
        return None
    return _UNSETTLED


def judged_with(
    rule: Rule, moment: Moment, metric: str, value: Any
) -> Callable[[str | None], Margins]:
    """The rule's margins at any key, with `metric` at the current period given `value`."""
    frame, current = moment.frame, moment.current
    changed = changed_now(moment, frame.metrics, metric, value)
    # Values before the current period do not depend on it, nor do the keys' lives.
    changed.frame.memo = {slot: v for slot, v in frame.memo.items() if slot[1] < current}
    changed.frame.lives = dict(frame.lives)
    return rule.key_margins(changed)


def _inputs(rule: Rule, moment: Moment, scope: Scope) -> Iterable[Input]:
    """The inputs of every key, in `rule_inputs` order: a metric keyed by the rule's
    dimension stands for each key's own value (its key is a placeholder until solved)."""
    snapshot = moment.frame.metrics.get(moment.current, {})
    for name in metrics_read(expressions_of(rule), scope):
        metric = scope.metrics[name]
        if snapshot.get(name) is None:
            continue
        key = "" if metric.dimension is not None else None
        yield Input(name, key, metric.type, metric.stock, scope.forms.get(name))


@attrs.define
class _Batch:
    """One input solved for many keys at once."""

    rule: Rule
    moment: Moment
    input: Input
    grid: Grid
    now: dict[str, Any]  # each key's value of the input now, as the snapshot holds it
    origins: dict[str, Fraction]  # the same, as fractions
    unsettled: set[str]

    @classmethod
    def of(cls, rule: Rule, moment: Moment, input: Input, short: Sequence[str]) -> _Batch:
        current = moment.frame.metrics[moment.current][input.metric]
        now: dict[str, Any] = {}
        unsettled: set[str] = set()
        for key in short:
            value = current if input.key is None else current.get(key)
            # A key absent now would be made to appear, which changes more than its value.
            if value is None:
                unsettled.add(key)
            else:
                now[key] = value
        origins = {key: Fraction(as_fraction(value)) for key, value in now.items()}
        return cls(rule, moment, input, Grid.of(input), now, origins, unsettled)

    def judged(self, values: Mapping[str, Fraction | Ratio]) -> dict[str, Margins]:
        """Each key's margins with the input at the key set to its value in `values`."""
        given = {
            key: value if isinstance(value, Ratio) else as_input(value)
            for key, value in values.items()
        }
        now = self.moment.frame.metrics[self.moment.current][self.input.metric]
        # An unkeyed input given a value per key: the rule, which reads it key by key, meets
        # each key's own.
        value = Keyed(given, now) if self.input.key is None else {**now, **given}
        margins_at = judged_with(self.rule, self.moment, self.input.metric, value)
        return {key: margins_at(key) for key in values}

    def solved(self) -> dict[str, tuple[Input, Change, Fraction]]:
        """Each key's change, in closed form where the rule's margins are ratios of lines in
        the input, otherwise from samples."""
        try:
            judged = self.judged({key: Ratio.of_change(value) for key, value in self.now.items()})
        except NOT_A_RATIO_OF_LINES:
            return self.solved_from_samples()
        answers: dict[str, tuple[Input, Change, Fraction]] = {}
        for key, found in judged.items():
            target = None if found is None else in_closed_form(found, self.grid, self.origins[key])
            if isinstance(target, Fraction):
                answers[key] = self.answer(key, target)
            elif target is not NOTHING_PASSES:
                self.unsettled.add(key)
        return answers

    def solved_from_samples(self) -> dict[str, tuple[Input, Change, Fraction]]:
        steps = {key: max(self.input.grid, abs(origin)) for key, origin in self.origins.items()}
        now = self.rule.key_margins(self.moment)
        samples: dict[str, list[Margins]] = {key: [now(key)] for key in self.origins}
        for t in range(1, SAMPLES):
            judged = self.judged({key: o + t * steps[key] for key, o in self.origins.items()})
            for key, found in judged.items():
                if found is None:
                    self.settle_alone(key, samples)
                else:
                    samples[key].append(found)
        candidates: dict[str, tuple[int, int]] = {}
        for key, taken in samples.items():
            nearest = nearest_on_grid(taken, self.grid, self.origins[key], steps[key])
            if nearest is None:
                self.unsettled.add(key)
            else:
                candidates[key] = nearest
        return self.confirmed(candidates)

    def settle_alone(self, key: str, samples: dict[str, Any]) -> None:
        self.unsettled.add(key)
        samples.pop(key, None)
        self.origins.pop(key, None)
        self.now.pop(key, None)

    def confirmed(
        self, candidates: dict[str, tuple[int, int]]
    ) -> dict[str, tuple[Input, Change, Fraction]]:
        """The candidates that pass where one grid step back toward the value now does not,
        trying one step further where a strict comparison is not met at its root."""
        grid = self.grid
        outside = {key for key, (index, _) in candidates.items() if not grid.holds(index)}
        self.unsettled |= outside
        trying = {key: index for key, (index, _) in candidates.items() if key not in outside}
        passing = self.passing({key: grid.value(index) for key, index in trying.items()})
        answers: dict[str, tuple[Input, Change, Fraction]] = {}
        backs: dict[str, Fraction] = {}
        further: dict[str, int] = {}
        for key, index in trying.items():
            direction = candidates[key][1]
            if key not in passing:
                further[key] = index + direction
                continue
            back = index - direction
            if grid.holds(back) and (grid.value(back) - self.origins[key]) * direction > 0:
                backs[key] = grid.value(back)
            else:
                answers[key] = self.answer(key, grid.value(index))
        passing_back = self.passing(backs)
        for key in backs:
            if key in passing_back:
                self.unsettled.add(key)  # not the nearest: left to the search for one key
            else:
                answers[key] = self.answer(key, grid.value(trying[key]))
        # One step further: the step back is the first candidate, which failed.
        self.unsettled.update(key for key, index in further.items() if not grid.holds(index))
        further = {key: index for key, index in further.items() if grid.holds(index)}
        passing_further = self.passing({key: grid.value(i) for key, i in further.items()})
        for key, index in further.items():
            if key in passing_further:
                answers[key] = self.answer(key, grid.value(index))
            else:
                self.unsettled.add(key)
        return answers

    def passing(self, values: Mapping[str, Fraction]) -> set[str]:
        if not values:
            return set()
        return {
            key for key, found in self.judged(values).items() if found is not None and holds(found)
        }

    def answer(self, key: str, target: Fraction) -> tuple[Input, Change, Fraction]:
        """The key's input (the batch's, at the key where it is keyed), its change to
        `target`, and its value now."""
        origin, input = self.origins[key], self.input
        if input.key is not None:
            input = Input(input.metric, key, input.unit, input.stock, input.form)
        return input, change_of(input, origin, target), origin
