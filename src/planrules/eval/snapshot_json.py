"""Snapshot files read as JSON, every number kept as the exact text it was written as.

What JSON allows but a plan cannot take (NaN, duplicate keys, numbers beyond range) is kept
in the data as a stand-in, so that validation can report it with its period and metric.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from planrules.eval.snapshot import SnapshotError
from planrules.eval.snapshot_data import DuplicateKeys
from planrules.eval.snapshot_numbers import SHORT_INTEGER, Rejected, decimal_from_text


def parse_json(text: str, name: str, rejected: list[str], *, named_json: bool) -> object:
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
