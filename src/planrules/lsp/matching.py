"""Names matched as people type them: without diacritics, case, and with spaces and
underscores alike (`doanh thu` finds `doanh_thu`, `chi tieu` finds `Chỉ tiêu`).

The folding is the language's own (`planrules.lang.names.normal_form`): one rule of what
counts as the same name, for the checker's "did you mean" and the editor alike.
"""

from __future__ import annotations

from planrules.lang.names import normal_form


def folded(text: str) -> str:
    return normal_form(text.strip())


def match_rank(typed: str, candidate: str) -> int | None:
    """How well `candidate` matches what was typed: 0 where it starts with it, 1 where a word of
    it does, 2 where it holds it anywhere; None where it does not match at all. Nothing typed
    matches everything equally."""
    wanted = folded(typed)
    if not wanted:
        return 0
    name = folded(candidate)
    if name.startswith(wanted):
        return 0
    if f"_{wanted}" in name:
        return 1
    if wanted in name:
        return 2
    return None


def matches(typed: str, candidate: str) -> bool:
    return match_rank(typed, candidate) is not None
