"""Keys in the order a Vietnamese or Chinese reader sorts them.

Vietnamese: the Unicode Collation Algorithm (pyuca, a pure-Python implementation with the
DUCET table; PyICU would bring CLDR's tailorings but builds from source against the system's
ICU, with no wheel to install) with CLDR's Vietnamese tailoring added: `ă`, `â`, `ê`, `ô`,
`ơ` and `ư` are letters of their own after `a`, `e`, `o` and `u` (DUCET has `đ` after `d`
already), so `an` < `az` < `ăn` < `ân` and `Cửa hàng` < `Đại lý` < `Văn phòng`.

Chinese: by pinyin, as dictionaries and most Chinese software order names (pypinyin, which
knows the readings of words as well as of characters), syllable by syllable with the tone
after each (`李` li3 before `刘` liu2), then by the characters themselves; keys written in
Latin letters sort among the syllables by their letters.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from pypinyin import Style, lazy_pinyin
from pyuca import Collator

# CLDR's Vietnamese tailoring as combining marks after a base letter (text is compared in
# NFD): each base with its mark sorts after every string that starts with the base alone.
_BREVE, _CIRCUMFLEX, _HORN = "\u0306", "\u0302", "\u031b"
_VIETNAMESE_LETTERS = {
    _BREVE: "aA",
    _CIRCUMFLEX: "aAeEoO",
    _HORN: "oOuU",
}
# Their order after the base: a < ă < â, o < ô < ơ.
_MARK_ORDER = (_BREVE, _CIRCUMFLEX, _HORN)
_COMMON_SECONDARY, _COMMON_TERTIARY = 0x20, 0x02
# DUCET's weights fit 16 bits; pyuca compares them as Python ints, so a weight past them sorts
# after every letter, symbol and ideograph.
_ABOVE_EVERY_PRIMARY = 0xFFFF


@functools.cache
def _collator() -> Collator:
    return Collator()


@functools.cache
def _vietnamese_collator() -> Collator:
    """DUCET with each Vietnamese letter expanded to its base letter and a primary weight
    above every letter's: the usual way to write `&a < ă` as an expansion, which keeps `ă`
    after `az` and before `b`."""
    collator = Collator()
    for rank, mark in enumerate(_MARK_ORDER, start=1):
        after = [_ABOVE_EVERY_PRIMARY + rank, _COMMON_SECONDARY, _COMMON_TERTIARY]
        for base in _VIETNAMESE_LETTERS[mark]:
            letter = [ord(base), ord(mark)]
            elements = collator.table.find_prefix([ord(base)])[1]
            collator.table.add(letter, [*elements, after])
    return collator


def _vietnamese_key(text: str) -> tuple[Any, str]:
    return _vietnamese_collator().sort_key(text), text


def _chinese_key(text: str) -> tuple[Any, Any, str]:
    syllables = "".join(lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True))
    collator = _collator()
    return collator.sort_key(syllables), collator.sort_key(text), text


_KEYS: dict[str, Callable[[str], Any]] = {"vi": _vietnamese_key, "zh": _chinese_key}


def sort_key_for(code: str) -> Callable[[str], Any]:
    """A key function ordering texts as readers of `code` do; ties broken by code point."""
    return _KEYS[code]
