"""One evaluation's frame: the snapshots by position, the window, the memo of values, and
the life of each dimension's keys, which every compiled closure reads."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from planrules.eval.lifetimes import KeyLife
from planrules.eval.values import Unknown
from planrules.lang.messages import Message


class Frame:
    """One evaluation: the snapshots by position, the window, and memoised values.

    `metrics[position]` is the snapshot of that period (absent for a gap); `labels` names any
    position. Values at a position do not depend on which period is current, so the memo
    serves every period a trigger or a replay looks at.
    """

    __slots__ = (
        "dimensions",
        "key_lives",
        "label",
        "lives",
        "memo",
        "metrics",
        "positions",
        "walks",
        "window_start",
    )

    def __init__(
        self,
        metrics: dict[int, dict[str, Any]],
        label: Callable[[int], str],
        window_start: int,
        dimensions: Mapping[str, Sequence[str]],
    ) -> None:
        self.metrics = metrics
        self.label = label
        self.positions = sorted(metrics)  # the positions with a snapshot, in order
        self.window_start = window_start
        self.dimensions = dimensions  # each dimension's keyed metrics
        self.memo: dict[tuple[int, int], Any] = {}
        self.lives: dict[str, KeyLife] = {}
        self.key_lives: dict[tuple[str, ...], KeyLife] = {}
        # What a rule worked out period by period and goes on from at a later current
        # period (a trigger's walk), so that a replay walks each period once.
        self.walks: dict[object, Any] = {}

    def life(self, dimension: str) -> KeyLife:
        """When each key of `dimension` comes into being, worked out once per evaluation."""
        found = self.lives.get(dimension)
        if found is None:
            found = self.lives[dimension] = self.keys_life(
                tuple(self.dimensions.get(dimension, ()))
            )
        return found

    def keys_life(self, metrics: tuple[str, ...]) -> KeyLife:
        """When each key first has a value in any of `metrics`: a `per` rule's keys."""
        found = self.key_lives.get(metrics)
        if found is None:
            lives = [self.metric_life(metric) for metric in metrics]
            found = self.key_lives[metrics] = KeyLife.merged(lives, self.label)
        return found

    def metric_life(self, metric: str) -> KeyLife:
        found = self.key_lives.get((metric,))
        if found is None:
            found = self.key_lives[(metric,)] = KeyLife(self.metrics, (metric,), self.label)
        return found

    def gap(self, position: int) -> Unknown:
        first = self.positions[0] if self.positions else 0
        if position < first:
            return Unknown(
                Message(
                    "no snapshot for {period}: the history starts at {first}",
                    period=self.label(position),
                    first=self.label(first),
                )
            )
        return Unknown(
            Message("{period} has no snapshot (a gap in the history)", period=self.label(position))
        )


Compiled = Callable[[Frame, int], Any]
