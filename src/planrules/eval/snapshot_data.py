"""Validation of snapshots in the JSON form, whether parsed from a file or handed over as data.

Only declared metrics are kept, their names NFC-normalised. The common case (whole numbers in
range under ASCII names) is checked in a few passes in C without building any place for error
messages; anything else takes the careful path, which names where each problem is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, ValuesView
from typing import Any, cast

from planrules.eval.snapshot import (
    KEY_SEPARATOR,
    MetricShapes,
    MetricValue,
    Place,
    Scalar,
    Shapes,
    Snapshot,
    joined_key,
    nested_metrics,
    nfc,
    quoted,
    shown,
    undeclared_names,
)
from planrules.eval.snapshot_numbers import ValueProblem, exact_number, kind_of
from planrules.lang.escape import visible
from planrules.lang.numbers import LARGEST
from planrules.lang.periods import Period, PeriodError, parse_period

_SNAPSHOT_FIELDS = frozenset(("period", "metrics"))
# A string holding a lone surrogate (JSON's "\ud800", or Python data) is no text: it could
# never be printed or written out, so it is an error at its place.


def _not_text(what: str, text: str) -> str:
    return (
        f"the {what} `{shown(visible(text))}` is not text: it holds a lone surrogate, "
        "which cannot be written as UTF-8"
    )


def is_text(text: str) -> bool:
    """False where `text` holds a lone surrogate (it cannot be encoded as UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class DuplicateKeys(dict[str, Any]):
    """A JSON object that gave some keys twice; validation reports them where they matter."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        seen: set[str] = set()
        duplicates: set[str] = set()
        for key, _ in pairs:
            (duplicates if key in seen else seen).add(key)
        self.duplicates = frozenset(duplicates)


# ---- snapshot objects -------------------------------------------------------------------


def snapshot_objects(data: object, place: Place) -> list[object]:
    if isinstance(data, Mapping):
        if "snapshots" in data and "period" not in data:
            return _wrapped_snapshots(data, place)
        return [data]
    if isinstance(data, list | tuple):
        return list(data)
    raise place.error(
        f"holds {kind_of(data)}, where a snapshot, a list of snapshots "
        'or {"snapshots": [...]} is expected'
    )


def _wrapped_snapshots(data: Mapping[Any, object], place: Place) -> list[object]:
    _reject_duplicate_fields(data, lambda: place)
    for field in data:
        if field != "snapshots":
            raise place.error(f"unknown field {quoted(field)} beside `snapshots`")
    inner = data["snapshots"]
    if not isinstance(inner, list | tuple):
        raise place.error(f"`snapshots` holds {kind_of(inner)}, where a list is expected")
    return list(inner)


def snapshot_from_object(item: object, file: Place, number: int, shapes: MetricShapes) -> Snapshot:
    """The snapshot `item`, the `number`th of `file`; the places an error names are built
    only for an error, as a file can hold a million snapshots."""

    def numbered() -> Place:
        return file.at(f"snapshot {number}")

    if not isinstance(item, Mapping):
        raise numbered().error(f"holds {kind_of(item)}, where a snapshot object is expected")
    _reject_duplicate_fields(item, numbered)
    if "period" not in item:
        raise numbered().error('has no `period` (a snapshot is {"period": ..., "metrics": {...}})')
    period = read_period(item["period"], numbered)

    # From here on the period names the snapshot better than its position does.
    def dated() -> Place:
        return file.at(f"period {item['period']}")

    if not item.keys() <= _SNAPSHOT_FIELDS:
        _reject_unknown_fields(item, dated())
    if "metrics" not in item:
        raise dated().error("has no `metrics`")
    raw = item["metrics"]
    metrics = _metrics(raw, dated, shapes)
    return Snapshot(period, metrics, file.origin, undeclared_names(raw, shapes))


def _reject_unknown_fields(item: Mapping[Any, object], place: Place) -> None:
    for field in item:
        if field not in _SNAPSHOT_FIELDS:
            raise place.error(
                f"unknown field {quoted(field)} (a snapshot has only `period` and `metrics`)"
            )


def _reject_duplicate_fields(item: Mapping[Any, object], where: Callable[[], Place]) -> None:
    if isinstance(item, DuplicateKeys) and item.duplicates:
        raise where().error(f"field {quoted(min(item.duplicates))} is given twice")


def read_period(text: object, where: Callable[[], Place]) -> Period:
    """The period `text` names; `where` gives the place an error names, built only then."""
    if not isinstance(text, str):
        raise where().error(
            f"the period is {kind_of(text)}, where text such as 2026-07 is expected"
        )
    try:
        return parse_period(text)
    except PeriodError as problem:
        # Only ASCII text is ever a period, so a text that cannot be written out is never
        # one: whether it can is asked only here, and asked first.
        if not is_text(text):
            raise where().error(_not_text("period", text)) from None
        raise where().error(str(problem)) from None


# ---- metrics ----------------------------------------------------------------------------


def _metrics(
    raw: object, where: Callable[[], Place], shapes: MetricShapes
) -> dict[str, MetricValue]:
    if type(raw) is dict:
        fast = metrics_fast(raw, shapes)
        if fast is not None:
            return fast
    place = where()
    if not isinstance(raw, Mapping):
        raise place.error(f"`metrics` holds {kind_of(raw)}, where an object is expected")
    duplicates = raw.duplicates if isinstance(raw, DuplicateKeys) else frozenset()
    nested = nested_metrics(shapes)
    metrics: dict[str, MetricValue] = {}
    written_as: dict[str, str] = {}
    for written, value in raw.items():
        # Names that cannot be declared (not text, or undeclared) are ignored unchecked.
        if not isinstance(written, str):
            continue
        if not is_text(written):
            raise place.error(_not_text("metric name", written))
        name = nfc(written)
        if name not in shapes:
            continue
        metric_place = place.at(f"metric `{shown(name)}`")
        if written in duplicates:
            raise metric_place.error("is given twice")
        if name in written_as:
            raise metric_place.error(_nfc_twins("metric", written_as[name], written))
        written_as[name] = written
        if value is not None and name in nested:
            metrics[name] = _nested_value(value, metric_place)
        elif value is not None:
            metrics[name] = (
                _keyed_value(value, metric_place) if shapes[name] else _scalar(value, metric_place)
            )
    return metrics


def _nested_value(value: object, place: Place) -> dict[str, Scalar]:
    """A metric by two dimensions: a map of the first dimension's keys to maps of the
    second's (`{"HCM1": {"facebook": 10}}`), its values keyed `HCM1 / facebook`."""
    if not isinstance(value, Mapping):
        raise place.error(
            f"{kind_of(value)} where a map of keys to maps of keys is expected (the metric is "
            "keyed by two dimensions)"
        )
    if isinstance(value, DuplicateKeys) and value.duplicates:
        raise _key_place(place, min(value.duplicates)).error("is given twice")
    # The first dimension's keys, checked as any keys are (text, NFC twins), apart from
    # their values, which are maps.
    outer = _keyed_checked(dict.fromkeys(value, 0), place)
    flat: dict[str, Scalar] = {}
    for written, key in zip(value, outer, strict=True):
        inner = value[written]
        if inner is None:
            continue
        key_place = place.at(f"key `{shown(key)}`")
        _no_separator(key, key_place)
        for second, number in _keyed_value(inner, key_place).items():
            _no_separator(second, key_place)
            flat[joined_key(key, second)] = number
    return flat


def _no_separator(key: str, place: Place) -> None:
    if KEY_SEPARATOR in key:
        raise place.error(
            f"the key `{shown(key)}` holds `{KEY_SEPARATOR.strip()}` between spaces, which "
            "joins the keys of two dimensions"
        )


def metrics_fast(raw: dict[Any, object], shapes: MetricShapes) -> dict[str, MetricValue] | None:
    """The common case (ASCII names, whole numbers in range) without building any place
    for error messages; None where anything needs the careful path."""
    unkeyed = shapes.unkeyed if isinstance(shapes, Shapes) else None
    if unkeyed is not None and raw.keys() <= unkeyed:
        return _scalars_fast(raw)
    metrics: dict[str, MetricValue] = {}
    nested = nested_metrics(shapes)
    for name, value in raw.items():
        if type(name) is not str or not name.isascii() or name in nested:
            return None
        keyed = shapes.get(name)
        if keyed is None or value is None:
            continue
        if keyed:
            values = _keyed_fast(value) if type(value) is dict else None
            if values is None:
                return None
            metrics[name] = values
        elif type(value) is int and -LARGEST <= value <= LARGEST:
            metrics[name] = value
        else:
            return None
    return metrics


def _scalars_fast(raw: dict[Any, Any]) -> dict[str, MetricValue] | None:
    """Declared scalar metrics only, all whole numbers in range, each test one pass in C; the
    names are declared ones, so already NFC."""
    if not raw:
        return {}
    numbers: Any = raw.values()
    if set(map(type, numbers)) != {int} or min(numbers) < -LARGEST or max(numbers) > LARGEST:
        return None
    metrics: dict[str, MetricValue] = dict(raw)
    return metrics


def _scalar(value: object, place: Place) -> Scalar:
    if isinstance(value, Mapping):
        raise place.error("a map of keys where a single number is expected (it is not keyed)")
    try:
        return exact_number(value)
    except ValueProblem as problem:
        raise place.error(str(problem)) from None


def _keyed_value(value: object, place: Place) -> dict[str, Scalar]:
    if not isinstance(value, Mapping):
        raise place.error(
            f"{kind_of(value)} where a map of keys to numbers is expected (the metric is keyed)"
        )
    fast = _keyed_fast(value)
    return fast if fast is not None else _keyed_checked(value, place)


def _keyed_fast(value: Mapping[Any, object]) -> dict[str, Scalar] | None:
    """The common case, all ints in range under plain keys, checked in C-speed passes.

    Returns None where anything needs a closer look; `_keyed_checked` then finds it.
    """
    if type(value) is not dict or not value:
        return None
    # Each test below is one pass in C over the values or the keys: no Python per item.
    if set(map(type, value.values())) != {int}:
        return None
    numbers = cast("ValuesView[int]", value.values())
    if min(numbers) < -LARGEST or max(numbers) > LARGEST:
        return None
    try:
        keys = "".join(value)
    except TypeError:  # a key that is not text
        return None
    if keys.isascii():
        return dict(value)  # ASCII is already NFC
    if not is_text(keys):
        return None
    normalised = {nfc(key): number for key, number in value.items()}
    return normalised if len(normalised) == len(value) else None


def _keyed_checked(value: Mapping[Any, object], place: Place) -> dict[str, Scalar]:
    """Every key and value checked one by one; the place is built only for an error."""
    duplicates = value.duplicates if isinstance(value, DuplicateKeys) else frozenset()
    result: dict[str, Scalar] = {}
    written_as: dict[str, str] = {}
    for written, number in value.items():
        if not isinstance(written, str):
            raise place.error(f"the key {written!r} is not text")
        if not written.isascii() and not is_text(written):
            raise place.error(_not_text("key", written))
        key = written if written.isascii() else nfc(written)
        if written in duplicates:
            raise _key_place(place, key).error("is given twice")
        if key in written_as:
            raise _key_place(place, key).error(_nfc_twins("key", written_as[key], written))
        written_as[key] = written
        if number is None:
            continue
        if type(number) is int and -LARGEST <= number <= LARGEST:
            result[key] = number  # most values, even on this path
            continue
        try:
            result[key] = exact_number(number)
        except ValueProblem as problem:
            raise _key_place(place, key).error(str(problem)) from None
    return result


def _key_place(metric: Place, key: str) -> Place:
    return metric.at(f"key `{shown(key)}`")


def _nfc_twins(what: str, first: str, second: str) -> str:
    return (
        f"is given twice, as {quoted(first)} and {quoted(second)}, "
        f"which are one {what} once NFC-normalised"
    )
