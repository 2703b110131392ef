"""Names compared as people write them: when two names *look alike* (contract version 2).

Both are first put in a normal form: NFKD, combining marks dropped, `đ`/`Đ` as `d`, case
folded, and each run of spaces, `-` and `_` as one `_`. They look alike if the normal forms
are equal, or differ by a Levenshtein distance of 1 where the shorter has 5 to 8 code points,
or 2 where it has 9 or more: `Doanh thu` and `doanh_thu` look alike; 王芳 and 张伟 do not.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

_SEPARATORS = re.compile(r"[\s_\-]+")


@functools.lru_cache(maxsize=4096)
def normal_form(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SEPARATORS.sub("_", bare.casefold())


def looks_alike(first: str, second: str) -> bool:
    a, b = normal_form(first), normal_form(second)
    if a == b:
        return True
    shorter = min(len(a), len(b))
    allowed = 2 if shorter >= 9 else 1 if shorter >= 5 else 0
    return allowed > 0 and _distance_within(a, b, allowed)


def look_alike(name: str, candidates: Iterable[str]) -> str | None:
    """The first of `candidates` (in their order) that looks like `name`, if any."""
    return next((candidate for candidate in candidates if looks_alike(name, candidate)), None)


def _distance_within(a: str, b: str, most: int) -> bool:
    """Whether the Levenshtein distance of `a` and `b` is at most `most`."""
    if abs(len(a) - len(b)) > most:
        return False
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other))
            )
        if min(current) > most:
            return False
        previous = current
    return previous[-1] <= most
