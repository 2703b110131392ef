"""The pace of a goal with a deadline: how much of its time is gone, and how what remains to
do is shared out over the periods left (contract version 2, "Pacing follows the plan").

Shares are exact fractions of whole periods, or of phase weights; a key that first appears
inside the window is paced from its first period, its weights scaled over the periods it has.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from planrules.eval.values import as_fraction
from planrules.report.model import Pacing

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
    the key does; `phased` are the weights of the window's periods through the deadline."""
    window_start, current = moment.window_start, moment.current
    start = paced_from(moment, first)
    done, span = periods_done(moment, deadline, start)
    full = deadline - window_start + 1
    if phased is not None and len(phased) != full:
        return None, (
            f"`phased` gives {len(phased)} weights, but {moment.label(window_start)} "
            f"through {moment.label(deadline)} is {full} periods"
        )
    weights: tuple[Any, ...] = (1,) * span if phased is None else phased[start - window_start :]
    if done <= 0:
        elapsed: Any = 0  # the window has not started
    elif phased is None:
        elapsed = Fraction(done, span)
    elif start == window_start:
        elapsed = sum(weights[:done], Decimal(0))
    else:
        elapsed = _share_of(weights[:done], weights)
    later = range(max(current, start - 1) + 1, deadline + 1)
    shares = _shares(weights[len(weights) - len(later) :])
    schedule = tuple(zip(map(moment.label, later), shares, strict=True))
    remaining = deadline - current
    return Pacing(elapsed, remaining, True, forecasting, requires, True, schedule), None


def paced_elapsed(pacing: Pacing | None) -> Fraction | None:
    """The elapsed share of a goal judged against its pace line; None for any other."""
    if pacing is None or not pacing.paced or pacing.elapsed is None:
        return None
    return Fraction(pacing.elapsed)


def _share_of(part: Sequence[Any], weights: Sequence[Any]) -> Any:
    """What `part` of the weights comes to, as a share of them all (all of it where they
    sum to 0)."""
    whole = sum(weights, Decimal(0))
    if whole == 0:
        return Fraction(len(part), len(weights))
    return as_fraction(sum(part, Decimal(0))) / as_fraction(whole)


def _shares(weights: Sequence[Any]) -> list[Any]:
    """Each weight's share of their sum, exactly; equal shares where they sum to 0."""
    if not weights:
        return []
    whole = sum(weights, Decimal(0))
    if whole == 0:
        return [Fraction(1, len(weights))] * len(weights)
    return [as_fraction(weight) / as_fraction(whole) for weight in weights]
