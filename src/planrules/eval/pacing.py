"""The pace of a goal with a deadline: how much of its time is gone, and how what remains to
do is shared out over the periods left (contract version 2, "Pacing follows the plan").

Shares are exact fractions of whole periods, or of phase weights; a key that first appears
inside the window is paced from its first period, its weights scaled over the periods it has.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from planrules.eval.values import as_fraction
from planrules.lang.messages import Message
from planrules.report.model import Pacing, Share

if TYPE_CHECKING:
    from planrules.eval.rules import Moment


def paced_from(moment: Moment, first: int | None) -> int:
    """Where a key's pace line starts: the later of the window's start and the key's first
    period (None: the window's start)."""
    start = moment.window_start
    return start if first is None else max(start, first)


def periods_done(moment: Moment, deadline: int, start: int) -> tuple[int, int]:
    """The periods from `start` through the current one, and through the deadline's."""
    return moment.current - start + 1, deadline - start + 1


def pace(
    moment: Moment,
    deadline: int,
    phased: tuple[Any, ...] | None,
    first: int | None,
    forecasting: bool,
    requires: bool,
) -> tuple[Pacing | None, str | None]:
    """The pacing before the deadline of a paced goal (or of its keys first appearing in
    `first`): elapsed, and the phase weights that remain scaled to sum to 100%, start where
    the key does; `phased` are the weights of the window's periods through the deadline.
    Worked out once per frame for every goal that shares them (a Pacing is immutable):
    goals whose weights are written alike share one tuple of them (`shared_weights`), which
    is known by its identity here, as equal weights written otherwise (10% and 10.0%) make
    a pacing that reads otherwise."""
    walks = moment.frame.walks
    mark = ("pace", moment.current, deadline, id(phased), first, forecasting, requires)
    found = walks.get(mark)
    if found is None:
        found = walks[mark] = pace_afresh(moment, deadline, phased, first, forecasting, requires)
    return found


def shared_weights(
    weights: tuple[Decimal, ...], known: dict[tuple[str, ...], tuple[Decimal, ...]]
) -> tuple[Decimal, ...]:
    """`weights`, or the tuple of weights written alike that `known` (one ruleset's) holds."""
    return known.setdefault(tuple(map(str, weights)), weights)


def pace_afresh(
    moment: Moment,
    deadline: int,
    phased: tuple[Any, ...] | None,
    first: int | None,
    forecasting: bool,
    requires: bool,
) -> tuple[Pacing | None, str | None]:
    """What `pace` gives, worked out."""
    window_start, current = moment.window_start, moment.current
    start = paced_from(moment, first)
    done, span = periods_done(moment, deadline, start)
    full = deadline - window_start + 1
    if phased is not None and len(phased) != full:
        return None, Message(
            "`phased` gives {weights} weights, but {start} through {end} is {periods} periods",
            weights=len(phased),
            start=moment.label(window_start),
            end=moment.label(deadline),
            periods=full,
        )
    if done <= 0:
        elapsed: Any = 0  # the window has not started
    elif phased is None:
        elapsed = Fraction(done, span)
    elif start == window_start:
        elapsed = sum(phased[:done], Decimal(0))
    else:
        own = phased[start - window_start :]
        elapsed = _share_of(own[:done], own)
    later = range(max(current, start - 1) + 1, deadline + 1)
    if phased is None:
        schedule = _equal_shares(later, moment.label)
    else:
        schedule = _phase_shares(phased[len(phased) - len(later) :], later, moment.label)
    remaining = deadline - current
    return Pacing(elapsed, remaining, True, forecasting, requires, True, schedule), None


def paced_elapsed(pacing: Pacing | None) -> Fraction | None:
    """The elapsed share of a goal judged against its pace line; None for any other."""
    if pacing is None or not pacing.paced or pacing.elapsed is None:
        return None
    elapsed = pacing.elapsed
    return elapsed if elapsed.__class__ is Fraction else Fraction(elapsed)  # immutable


def _share_of(part: Sequence[Any], weights: Sequence[Any]) -> Any:
    """What `part` of the weights comes to, as a share of them all (all of it where they
    sum to 0)."""
    whole = sum(weights, Decimal(0))
    if whole == 0:
        return Fraction(len(part), len(weights))
    return as_fraction(sum(part, Decimal(0))) / as_fraction(whole)


def _equal_shares(later: range, label: Callable[[int], str]) -> tuple[Share, ...]:
    """One run: each of the periods left takes an equal share."""
    if not later:
        return ()
    return (Share(label(later[0]), label(later[-1]), Fraction(1, len(later))),)


def _phase_shares(
    weights: Sequence[Any], later: range, label: Callable[[int], str]
) -> tuple[Share, ...]:
    """Each period left with its weight's share of theirs, exactly; equal shares where they
    sum to 0."""
    whole = sum(weights, Decimal(0))
    if whole == 0:
        return _equal_shares(later, label)
    return tuple(
        Share(label(period), label(period), as_fraction(weight) / as_fraction(whole))
        for period, weight in zip(later, weights, strict=True)
    )
