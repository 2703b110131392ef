"""A trigger is walked through the periods for every key at once, with set operations
(`planrules.eval.triggers.Walk`); these properties hold it to the contract's words, worked
out key by key and period by period in the plainest way, on generated histories with gaps and
keys that come into being late."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from planrules.eval.evaluate import loads

KEYS = ("a", "b", "c")
LEVEL = 10


@st.composite
def walks(draw: st.DrawFn) -> tuple[str, list[dict[str, Any]], tuple[int, int | None, int]]:
    hold = draw(st.integers(1, 3))
    window = draw(st.none() | st.integers(hold, 4))
    cooldown = draw(st.integers(0, 3))
    clause = f"for {hold} of {window} periods" if window else f"for {hold} periods"
    text = (
        'ruleset "W"\nperiod 2026-01-01 to 2026-12-31 monthly\nmetric x: count by store\n'
        f'trigger "T" per store when x < {LEVEL} {clause} cooldown {cooldown} periods {{\n'
        '    recommend "look at {key}"\n}\n'
    )
    months = sorted(draw(st.sets(st.integers(1, 12), min_size=1, max_size=12)))
    first = {key: draw(st.integers(1, 12)) for key in KEYS}
    history = []
    for month in months:
        values = {key: draw(st.integers(0, 2 * LEVEL)) for key in KEYS if first[key] <= month}
        if values:
            history.append({"period": f"2026-{month:02d}", "metrics": {"x": values}})
    return text, history, (hold, window, cooldown)


def _by_hand(
    history: list[dict[str, Any]], at: str, key: str, params: tuple[int, int | None, int]
) -> tuple[str, list[str], str | None]:
    hold, window, cooldown = params
    looks_back = window or hold
    walked = [s for s in history if s["period"] <= at]
    month = {s["period"]: int(s["period"][5:]) for s in walked}
    held = {
        month[s["period"]]
        for s in walked
        if key in s["metrics"]["x"] and s["metrics"]["x"][key] < LEVEL
    }
    state, last_fired = "quiet", None
    for snapshot in walked:
        position = month[snapshot["period"]]
        looked = [position - back in held for back in range(looks_back)]
        met = all(looked) if window is None else sum(looked) >= hold
        if not met:
            state = "quiet"
        elif last_fired is not None and position - last_fired <= cooldown:
            state = "cooling"
        else:
            state, last_fired = "fired", position
    labels = [f"2026-{m:02d}" for m in sorted(held)]
    return state, labels, None if last_fired is None else f"2026-{last_fired:02d}"


@settings(max_examples=200, deadline=None)
@given(walks())
def test_every_key_at_every_period_is_walked_as_the_contract_words_it(
    case: tuple[str, list[dict[str, Any]], tuple[int, int | None, int]],
) -> None:
    text, history, params = case
    if not history:
        return
    ruleset = loads(text, filename="w.plan")
    for snapshot in history:
        at = snapshot["period"]
        report = ruleset.evaluate(history, at=at)
        for result in report.results:
            assert result.key is not None
            expected = _by_hand(history, at, result.key, params)
            assert (result.status, list(result.held), result.last_fired) == expected, (
                at,
                result.key,
            )
        fired = sorted(r.key for r in report.results if r.status == "fired")
        assert sorted(r.key for r in report.recommendations) == fired
