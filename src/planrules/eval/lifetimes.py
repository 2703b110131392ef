"""Keys have a life (contract version 2): a key of a dimension exists from the first period in
which a snapshot gives it a value in a metric keyed by that dimension. Tables never make a key
exist.

Before its first period a key has no history: a history function reaching back before it is
unknown for that key (`previous`, `change`, `growth`) or looks only at the periods since
(`total`, the rolling functions); an aggregate over keys ranges over the keys that exist; a
`per` trigger counts only periods in which its key exists; a `per` goal is paced from the
key's first period. An unknown that comes only from reaching before a key's first period says
so with a `KeyNotYet` reason, and does not count toward the overall status.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from planrules.eval.values import KeyNotYet, Unknown


class KeyLife:
    """When each key of one dimension first has a value, over a whole history."""

    def __init__(
        self,
        snapshots: Mapping[int, Mapping[str, Any]],
        metrics: Sequence[str],
        label: Callable[[int], str],
    ) -> None:
        self.label = label
        self.first: dict[str, int] = {}
        self.appearing: list[tuple[int, list[str]]] = []  # (position, keys new there), in order
        first = self.first
        for position in sorted(snapshots):
            snapshot = snapshots[position]
            new: dict[str, int] = {}
            for metric in metrics:
                values = snapshot.get(metric)
                if not isinstance(values, dict) or values.keys() <= first.keys():
                    continue
                if not first and not new:
                    # The history's first keys, all at once and in the snapshot's order.
                    new = dict.fromkeys(values, position)
                    continue
                # Later, a few keys at a time: in code-point order, so that the order never
                # hangs on the hashing of a run.
                unseen = values.keys() - first.keys() - new.keys()
                new.update(dict.fromkeys(sorted(unseen), position))
            if new:
                self.appearing.append((position, list(new)))
                first.update(new)
        self.starts = [position for position, _ in self.appearing]
        self._existing: dict[int, frozenset[str]] = {}
        self._in_order: dict[int, list[str]] = {}

    @classmethod
    def merged(cls, lives: Sequence[KeyLife], label: Callable[[int], str]) -> KeyLife:
        """The life of keys that have a value in any of several metrics, from each metric's
        own: a key comes into being in the first period one of them gives it."""
        if len(lives) == 1:
            return lives[0]
        groups: dict[int, list[list[str]]] = {}
        for life in lives:
            for position, group in life.appearing:
                groups.setdefault(position, []).append(group)
        merged = cls({}, (), label)
        first = merged.first
        for position in sorted(groups):
            new = dict.fromkeys(itertools.chain.from_iterable(groups[position]))
            if first:
                new = dict.fromkeys(sorted(new.keys() - first.keys()))
            if new:
                merged.appearing.append((position, list(new)))
                first.update(dict.fromkeys(new, position))
        merged.starts = [position for position, _ in merged.appearing]
        return merged

    @classmethod
    def mapped(
        cls, source: KeyLife, key_map: Callable[[str], str], label: Callable[[int], str]
    ) -> KeyLife:
        """The life of the keys `key_map` makes of `source`'s: each from the first period
        one of the keys it is made of exists in."""
        mapped = cls({}, (), label)
        first = mapped.first
        for position, group in source.appearing:
            new = dict.fromkeys(sorted({key_map(key) for key in group} - first.keys()))
            if new:
                mapped.appearing.append((position, list(new)))
                first.update(dict.fromkeys(new, position))
        mapped.starts = [position for position, _ in mapped.appearing]
        return mapped

    def groups_after(self, after: int, through: int) -> list[tuple[int, list[str]]]:
        """The keys whose first period lies in (after, through], grouped by it."""
        low = bisect.bisect_right(self.starts, after)
        high = bisect.bisect_right(self.starts, through)
        return self.appearing[low:high]

    def existing(self, position: int) -> frozenset[str]:
        """The keys that exist at `position`: one set per first period, shared by the
        positions up to the next one."""
        index = bisect.bisect_right(self.starts, position)
        found = self._existing.get(index)
        if found is None:
            groups = (group for _, group in self.appearing[:index])
            found = self._existing[index] = frozenset(itertools.chain.from_iterable(groups))
        return found

    def in_order(self, position: int) -> list[str]:
        """The keys that exist at `position`, in code-point order; shared, not to be changed."""
        index = bisect.bisect_right(self.starts, position)
        found = self._in_order.get(index)
        if found is None:
            found = self._in_order[index] = sorted(self.existing(position))
        return found

    def not_yet(self, key: str) -> Unknown:
        first = self.first.get(key)
        if first is None:
            return Unknown(KeyNotYet("`{key}` first appears in no period", key=key))
        first_period = self.label(first)
        return Unknown(KeyNotYet("`{key}` first appears in {period}", key=key, period=first_period))
