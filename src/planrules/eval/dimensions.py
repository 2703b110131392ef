"""Dimensions made from others: each of a pair (`cua_hang` of `cua_hang, kenh`) and a group
(`team` of `group rep into team`). Their keys come from the keys of the dimension they are
made from, mapped (`HCM1 / facebook` to `HCM1`, `Lan` to `HCM_A`), and exist from the first
period one of those exists in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from planrules.lang import syntax as s
from planrules.lang.exprcheck import regrouped_dimension
from planrules.lang.units import KEY_SEPARATOR, dimension_parts, joined_dimensions

KeyMap = Callable[[str], str]

# The group of a key that no group names (reported with the warning `ungrouped-key`).
NO_GROUP = "(none)"


def split_key(key: str) -> list[str]:
    return key.split(KEY_SEPARATOR)


def without_part(index: int) -> KeyMap:
    """`HCM1 / facebook` without its part at `index` (1): `HCM1`."""

    def keep(key: str) -> str:
        parts = split_key(key)
        return KEY_SEPARATOR.join(parts[:index] + parts[index + 1 :])

    return keep


def grouped_part(index: int, groups: Mapping[str, str]) -> KeyMap:
    """A key with its part at `index` replaced by that part's group, `(none)` where the
    group names no group for it."""

    def group(key: str) -> str:
        parts = split_key(key)
        parts[index] = groups.get(parts[index], NO_GROUP)
        return KEY_SEPARATOR.join(parts)

    return group


def group_map(group: s.Group) -> dict[str, str]:
    return {entry.key.text: entry.group.text for entry in group.entries}


def regrouping(dimension: str, target: str, groups: Mapping[str, s.Group]) -> KeyMap:
    """How `sum(x, target)` maps a key of x, keyed by `dimension` (the checker has made sure
    one of the two applies): `target` summed away, or the group `target` in place of the
    dimension it groups."""
    parts = dimension_parts(dimension)
    if target in parts:
        return without_part(parts.index(target))
    group = groups[target]
    return grouped_part(parts.index(group.dimension), group_map(group))


class Dimensions(dict[str, list[str]]):
    """Each dimension's keyed metrics, and how the dimensions made from others get their
    keys: `derived[target]` lists (source dimension, key map) pairs."""

    def __init__(
        self,
        metrics: Mapping[str, list[str]],
        derived: Mapping[str, Sequence[tuple[str, KeyMap]]],
        metric_dimensions: Mapping[str, str],
    ) -> None:
        super().__init__(metrics)
        self.derived = derived
        self.metric_dimensions = metric_dimensions

    @classmethod
    def of(cls, metrics: Mapping[str, s.Metric], groups: Mapping[str, s.Group]) -> Dimensions:
        keyed: dict[str, list[str]] = {}
        derived: dict[str, list[tuple[str, KeyMap]]] = {}
        for metric in metrics.values():
            if metric.dimension is None:
                continue
            keyed.setdefault(metric.dimension, []).append(metric.name)
        for dimension in list(keyed):
            parts = dimension_parts(dimension)
            if len(parts) > 1:
                for index in range(len(parts)):
                    remaining = joined_dimensions(parts[:index] + parts[index + 1 :])
                    derived.setdefault(remaining, []).append((dimension, without_part(index)))
        for group in groups.values():
            derived.setdefault(group.into, []).append(
                (group.dimension, grouped_part(0, group_map(group)))
            )
            for dimension in list(keyed):
                parts = dimension_parts(dimension)
                regrouped = regrouped_dimension(dimension, group.into, groups)
                if len(parts) > 1 and regrouped:
                    key_map = grouped_part(parts.index(group.dimension), group_map(group))
                    derived.setdefault(regrouped, []).append((dimension, key_map))
        dimensions = {m.name: m.dimension for m in metrics.values() if m.dimension is not None}
        return cls(keyed, derived, dimensions)

    def path(self, source: str, target: str) -> KeyMap | None:
        """How a key of `source` becomes one of `target`, through the dimensions made from
        others; None where no way leads there."""
        if source == target:
            return _same
        for made_from, key_map in self.derived.get(target, ()):
            inner = self.path(source, made_from)
            if inner is not None:
                return _composed(inner, key_map)
        return None


def _same(key: str) -> str:
    return key


def _composed(first: KeyMap, then: KeyMap) -> KeyMap:
    def both(key: str) -> str:
        return then(first(key))

    return both
