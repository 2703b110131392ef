"""The JSON text of a report, a replay or an explanation, as the CLI writes it.

The standard encoder can only write a Decimal by way of float, which would undo the exact
rounding `to_dict` did (1333333333.33 is not a float); msgspec writes a Decimal from its own
digits, in C: indented 2, keys in the model's order, text in UTF-8 with JSON's escapes.
Numbers are in plain notation (`1000`, not `1E+3`).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import msgspec

_INDENT = 2
# A number msgspec wrote with an exponent (as `str(Decimal)` does for 1E+3 or 2.5E-7), or
# text that looks like one: then the Decimals are spelled out first. The search starts from
# the `E`, which the regex engine finds as fast as `bytes.find`; the digit before it is
# checked per `E` found (a pattern starting with `[0-9]` is tried at every digit: 15 times
# slower on a report of 100,000 keys).
_EXPONENT = re.compile(rb"E[-+]?[0-9]")


def json_text(value: Any) -> str:
    """`value` (dicts, lists, text, Decimals, ints, bools and None) as JSON, ending in a
    newline."""
    encoded = _ENCODER.encode(value)
    if _has_exponent(encoded):
        encoded = _ENCODER.encode(_plain_numbers(value))
    return msgspec.json.format(encoded, indent=_INDENT).decode() + "\n"


def _has_exponent(encoded: bytes) -> bool:
    return any(
        encoded[found.start() - 1 : found.start()].isdigit()
        for found in _EXPONENT.finditer(encoded)
    )


def _plain_numbers(value: Any) -> Any:
    """`value` with every Decimal as its digits in plain notation."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a JSON number")
        return msgspec.Raw(format(value, "f").encode())
    if isinstance(value, dict):
        return {key: _plain_numbers(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_numbers(item) for item in value]
    return value


def _as_json_type(value: Any) -> Any:
    """A value of a subclass of a JSON type (a name kept as the parser's token, a message,
    both str) as its base type; anything else is refused."""
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, int):
        return int(value)
    # A Fraction or a float here would be a value `to_dict` forgot to round: better loud
    # than inexact.
    raise TypeError(f"cannot write {type(value).__name__} {value!r} as an exact JSON number")


_ENCODER = msgspec.json.Encoder(decimal_format="number", enc_hook=_as_json_type)
