"""One evaluation's frame: the snapshots by position, the window, the memo of values, and
the life of each dimension's keys, which every compiled closure reads."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from planrules.eval.dimensions import Dimensions
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
        "statuses",
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
        # A rule's status as if a position were the current period (`status("RULE")` in a
        # trigger's condition): set by the evaluation that owns the frame.
        self.statuses: Callable[[str, int], Any] | None = None

    def status(self, rule: str, position: int) -> Any:
        """The status of `rule` at `position`: pass, warn or fail, unknown (an Unknown), or
        for a `per` rule those by key."""
        if self.statuses is None:
            return Unknown(Message('the status of "{rule}" is not worked out here', rule=rule))
        return self.statuses(rule, position)

    def life(self, dimension: str) -> KeyLife:
        """When each key of `dimension` comes into being, worked out once per evaluation;
        a dimension made from others (`planrules.eval.dimensions`) from theirs."""
        found = self.lives.get(dimension)
        if found is None:
            found = self.keys_life(tuple(self.dimensions.get(dimension, ())))
            dimensions = self.dimensions
            if isinstance(dimensions, Dimensions) and dimension in dimensions.derived:
                made = [
                    KeyLife.mapped(self.life(source), key_map, self.label)
                    for source, key_map in dimensions.derived[dimension]
                ]
                found = KeyLife.merged([found, *made], self.label)
            self.lives[dimension] = found
        return found

    def keys_life(self, metrics: tuple[str, ...], dimension: str | None = None) -> KeyLife:
        """When each key first has a value in any of `metrics`: a `per` rule's keys. With a
        `dimension`, a metric keyed by one it is made from gives its keys mapped."""
        # A dimension is marked apart from the names of metrics, which hold no NUL.
        remembered = (*metrics, f"\0{dimension}") if dimension else metrics
        found = self.key_lives.get(remembered)
        if found is None:
            lives = [self.metric_life(metric, dimension) for metric in metrics]
            found = self.key_lives[remembered] = KeyLife.merged(lives, self.label)
        return found

    def metric_life(self, metric: str, dimension: str | None = None) -> KeyLife:
        found = self.key_lives.get((metric,))
        if found is None:
            found = self.key_lives[(metric,)] = KeyLife(self.metrics, (metric,), self.label)
        dimensions = self.dimensions
        if dimension is None or not isinstance(dimensions, Dimensions):
            return found
        source = dimensions.metric_dimensions.get(metric)
        if source is None or source == dimension:
            return found
        key_map = dimensions.path(source, dimension)
        return found if key_map is None else KeyLife.mapped(found, key_map, self.label)

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
