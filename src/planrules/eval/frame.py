"""One evaluation's frame: the snapshots by position, the window, the memo of values, and
the life of each dimension's keys, which every compiled closure reads."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from planrules.eval.lifetimes import KeyLife
from planrules.eval.values import Unknown


class Frame:
    """One evaluation: the snapshots by position, the window, and memoised values.

    `metrics[position]` is the snapshot of that period (absent for a gap); `labels` names any
    position. Values at a position do not depend on which period is current, so the memo
    serves every period a trigger or a replay looks at.
    """

    __slots__ = ("dimensions", "label", "lives", "memo", "metrics", "positions", "window_start")

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

    def life(self, dimension: str) -> KeyLife:
        """When each key of `dimension` comes into being, worked out once per evaluation."""
        found = self.lives.get(dimension)
        if found is None:
            metrics = self.dimensions.get(dimension, ())
            found = self.lives[dimension] = KeyLife(self.metrics, metrics, self.label)
        return found

    def gap(self, position: int) -> Unknown:
        first = self.positions[0] if self.positions else 0
        if position < first:
            return Unknown(
                f"no snapshot for {self.label(position)}: the history starts at {self.label(first)}"
            )
        return Unknown(f"{self.label(position)} has no snapshot (a gap in the history)")


Compiled = Callable[[Frame, int], Any]
