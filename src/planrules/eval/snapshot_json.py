"""Snapshot files read as JSON, every number kept as the exact text it was written as.

What JSON allows but a plan cannot take (NaN, duplicate keys, numbers beyond range) is kept
in the data as a stand-in, so that validation can report it with its period and metric.

A file is first read by msgspec, in C, its numbers as `Decimal` from their text. msgspec keeps
the last of two members with one name, silently; so its reading is taken only where every
`:` of the text is accounted for, as a member of an object it read or inside a member's name:
then no object had a member twice. Anything else (an escape, which could hide a `:`; NaN; a
number or nesting msgspec refuses) is read again by the standard library, member by member,
which finds every problem and names it.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import msgspec

from planrules.eval.snapshot import SnapshotError
from planrules.eval.snapshot_data import DuplicateKeys
from planrules.eval.snapshot_numbers import SHORT_INTEGER, Rejected, decimal_from_text


def parse_json(text: str, name: str, rejected: list[str], *, named_json: bool) -> object:
    rejected.clear()
    fast = _read_in_c(text)
    return fast if fast is not None else _read_member_by_member(text, name, rejected, named_json)


_DECODER = msgspec.json.Decoder(float_hook=decimal_from_text)
# Objects of at most this many members have their members looked into for further objects;
# larger ones (a keyed metric's values) are counted only: an object inside one would leave
# its `:` unaccounted for, and the file is read member by member.
_LOOKED_INTO = 1000


def _read_in_c(text: str) -> object | None:
    """The data of `text` where msgspec's reading of it is the standard library's, else None."""
    if "\\u" in text:
        return None
    try:
        data = _DECODER.decode(text)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None
    return data if text.count(":") == _colons_accounted_for(data) else None


def _colons_accounted_for(data: object) -> int:
    """The members of the objects read, and the `:` inside their names."""
    count = 0
    pending = [data]
    while pending:
        item = pending.pop()
        if type(item) is dict:
            count += len(item) + "".join(item).count(":")
            if len(item) <= _LOOKED_INTO:
                pending.extend(item.values())
        elif type(item) is list:
            pending.extend(item)
    return count


def _read_member_by_member(text: str, name: str, rejected: list[str], named_json: bool) -> object:
    def reject_constant(constant: str) -> Rejected:
        problem = f"{constant} is not a number (JSON has none; write null for a missing value)"
        rejected.append(problem)
        return Rejected(constant, problem)

    def parse(parse_int: Any) -> object:
        rejected.clear()
        return json.loads(
            text,
            object_pairs_hook=_object_from_pairs,
            parse_float=decimal_from_text,
            parse_int=parse_int,
            parse_constant=reject_constant,
        )

    try:
        try:
            return parse(int)  # `int` itself keeps the parser's C fast path
        except json.JSONDecodeError:
            raise
        except ValueError:  # an integer over 4300 digits, which int() refuses
            return parse(_integer_from_text)
    except json.JSONDecodeError as problem:
        detail = f"line {problem.lineno}, column {problem.colno}: {problem.msg}"
        if named_json:
            raise SnapshotError(name, f"is not valid JSON ({detail})") from None
        raise SnapshotError(
            name, f"is neither JSON nor CSV (read as JSON, {detail}); name a CSV file *.csv"
        ) from None
    except RecursionError:
        raise SnapshotError(name, "is nested too deeply to hold snapshots") from None


def _integer_from_text(text: str) -> int | Decimal | Rejected:
    return int(text) if len(text) <= SHORT_INTEGER else decimal_from_text(text)


def _object_from_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    return result if len(result) == len(pairs) else DuplicateKeys(pairs)
