"""One period's metrics as a file or a piece of data gives them, and what every reader of
snapshots shares: the declared shapes they are read against, the error any problem becomes,
the place that error names, and the words of its message."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TypeAlias

import attrs

from planrules.lang.diagnostics import InputError
from planrules.lang.periods import Period, period_label

Scalar: TypeAlias = int | Decimal
MetricValue: TypeAlias = Scalar | dict[str, Scalar]
MetricShapes: TypeAlias = Mapping[str, bool]  # declared metric name -> True if keyed


class Shapes(dict[str, bool]):
    """Declared metric names, True where keyed, with the unkeyed ones as a set: one subset
    test then tells that a snapshot gives only declared unkeyed metrics. `nested` names the
    metrics keyed by two dimensions, whose values nest a map in each key; `dimensions` gives
    each keyed metric's dimensions in order, which name the columns of a long table."""

    def __init__(
        self, shapes: Mapping[str, bool], dimensions: Mapping[str, tuple[str, ...]] | None = None
    ) -> None:
        super().__init__(shapes)
        self.unkeyed = frozenset(name for name, keyed in shapes.items() if not keyed)
        self.dimensions = dict(dimensions or {})
        self.nested = frozenset(name for name, parts in self.dimensions.items() if len(parts) > 1)


def nested_metrics(shapes: MetricShapes) -> frozenset[str]:
    return shapes.nested if isinstance(shapes, Shapes) else frozenset()


def metric_dimensions(shapes: MetricShapes) -> Mapping[str, tuple[str, ...]]:
    """Each keyed metric's dimensions (`("cua_hang", "kenh")`), where the shapes know them."""
    return shapes.dimensions if isinstance(shapes, Shapes) else {}


# The keys of a metric by two dimensions, joined as reports print them (`HCM1 / facebook`);
# see `planrules.lang.units.KEY_SEPARATOR`, which this is.
KEY_SEPARATOR = " / "


def joined_key(first: str, second: str) -> str:
    return f"{first}{KEY_SEPARATOR}{second}"


DATA_ORIGIN = "<snapshots>"  # the origin of snapshots handed over as Python data

_SHOWN_LENGTH = 40


@attrs.frozen
class Snapshot:
    """The metrics of one period, as one file (or one piece of data) gives them."""

    period: Period
    metrics: dict[str, MetricValue]  # declared metrics only; absent ones and null keys left out
    origin: str  # the file it came from, or DATA_ORIGIN
    undeclared: tuple[str, ...] = ()  # the metric names it gives that are not declared


def undeclared_names(names: Iterable[object], shapes: MetricShapes) -> tuple[str, ...]:
    """The metric names given (NFC) that the ruleset does not declare, in the order given:
    left out of the snapshot, but looked at for one that looks like a declared name."""
    if type(names) is dict and names.keys() <= shapes.keys():
        return ()  # the usual case, told by one subset test
    given = (nfc(name) for name in names if isinstance(name, str) and name != "period")
    return tuple(dict.fromkeys(name for name in given if name not in shapes))


class SnapshotError(InputError):
    """Snapshots that cannot be read: the file, then the period, metric and key at fault."""


@attrs.frozen
class Place:
    """Where a problem is: the file, then parts such as `period 2026-08` and `metric `x``."""

    origin: str
    parts: tuple[str, ...] = ()

    def at(self, part: str) -> Place:
        return Place(self.origin, (*self.parts, part))

    def error(self, problem: str) -> SnapshotError:
        where = ", ".join(self.parts)
        return SnapshotError(self.origin, f"{where}: {problem}" if where else problem)


def check_distinct_periods(
    snapshots: Sequence[Snapshot], place_of: Callable[[int], str], file: Place
) -> None:
    """A period given twice is an error naming both places; `place_of` gives the place of
    the snapshot at an index (`line 4`, `snapshot 2`), asked only for the error."""
    # Distinct starts make distinct periods: one pass over dates, which hash in C, settles
    # the usual case; periods of two cadences may share a start, so that leaves it open.
    if len({snapshot.period.start for snapshot in snapshots}) == len(snapshots):
        return
    first_index: dict[Period, int] = {}
    for index, snapshot in enumerate(snapshots):
        seen = first_index.setdefault(snapshot.period, index)
        if seen != index:
            label = period_label(snapshot.period)
            raise file.error(
                f"period {label} is given twice ({place_of(seen)} and {place_of(index)})"
            )


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def shown(text: str) -> str:
    """Text cut short for a message, so that one huge value cannot flood it."""
    return text if len(text) <= _SHOWN_LENGTH else text[: _SHOWN_LENGTH - 1] + "…"


def quoted(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return shown(json.dumps(text, ensure_ascii=False))
