"""The JSON text of a report, a replay or an explanation, as the CLI writes it.

The standard encoder can only write a Decimal by way of float, which would undo the exact
rounding `to_dict` did (1333333333.33 is not a float), so values are written here: indented
2, keys in the model's order, numbers in plain notation, text as UTF-8 escapes of JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

_INDENT = "  "


def json_text(value: Any) -> str:
    """`value` (dicts, lists, text, Decimals, ints, bools and None) as JSON, ending in a
    newline."""
    return _json_value(value, 0) + "\n"


def _json_value(value: Any, depth: int) -> str:
    kind = value.__class__
    if kind is str:
        return _json_string(value)
    if kind is dict:
        inner = depth + 1
        items = [f"{_json_string(_json_key(k))}: {_json_value(v, inner)}" for k, v in value.items()]
        return _json_container("{", items, "}", depth)
    if kind is list or kind is tuple:
        return _json_container("[", [_json_value(v, depth + 1) for v in value], "]", depth)
    if kind is Decimal:
        return json_decimal(value)
    # bool before int: True is an int to Python but `true` to JSON.
    if value is None or kind is bool:
        return _JSON_CONSTANTS[value]
    if kind is int:
        return int.__repr__(value)
    return _json_subclassed(value, depth)


def _json_subclassed(value: Any, depth: int) -> str:
    """A value of a subclass of a JSON type (a name kept as the parser's token, which is a
    str), written as its base type would be."""
    if isinstance(value, str):
        return _json_string(str.__str__(value))
    if isinstance(value, dict):
        return _json_value(dict(value), depth)
    if isinstance(value, list | tuple):
        return _json_value(list(value), depth)
    if isinstance(value, Decimal):
        return json_decimal(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int.__repr__(value)
    # A float or Fraction here would be a value `to_dict` forgot to round: better loud than
    # inexact.
    raise TypeError(f"cannot write {type(value).__name__} {value!r} as an exact JSON number")


_JSON_CONSTANTS = {None: "null", True: "true", False: "false"}


def _json_container(opening: str, items: list[str], closing: str, depth: int) -> str:
    if not items:
        return opening + closing
    inner = _INDENT * (depth + 1)
    body = ",\n".join(inner + item for item in items)
    return f"{opening}\n{body}\n{_INDENT * depth}{closing}"


def _json_key(key: object) -> str:
    if not isinstance(key, str):
        raise TypeError(f"JSON object keys are text, not {type(key).__name__} {key!r}")
    return str.__str__(key)


# The standard library's own escaping, without the encoder object `json.dumps` makes per call.
_json_string: Callable[[str], str] = json.encoder.encode_basestring


def json_decimal(value: Decimal) -> str:
    """A Decimal as a JSON number in plain notation: `1E+3` is `1000`, `1E-4` is `0.0001`."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a JSON number")
    return format(value, "f")
