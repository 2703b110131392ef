"""A benchmark matrix: planrules against the same work written by hand, and against peers.

Run: .venv/bin/python benchmarks/bench_matrix.py [--repeat N] [--quick] [--only SUBSTRING]

Each row is a shape of ruleset and data. planrules is measured through its public API
(`planrules.loads(...)`, `Ruleset.evaluate(snapshots)` with snapshots as the list of dicts
`{"period": ..., "metrics": {...}}`, `Ruleset.replay`), against Python written by hand that
reads the same dicts, computes the same values exactly (`Decimal`, `Fraction`) and decides the
same statuses; before any timing, the statuses of both (and of every peer) are compared, and a
row whose statuses differ is marked. The runs of a row take turns sample by sample in one
process, so a noisy moment falls on all of them alike; a row shows the median of each and the
ratio of the medians planrules / by hand. For `per` shapes a second planrules column times
evaluate() followed by report.to_dict() (the JSON report, where much of the time goes).

Peers, where installed (`pip install -e '.[bench]'`): rule-engine, cel-python and zen-engine
evaluate scalar thresholds (one compiled expression per rule) and per-key thresholds row by
row (Python gathers each key's value as the hand-written code does, the peer decides its
status); Polars works the `per` thresholds and goals as columns. A peer cell is its median and
its ratio to the hand-written code; "—" where the peer cannot express the shape, "≠" where its
statuses differ from the hand-written ones (cel-python divides in binary floating point,
rule-engine and zen-engine in decimals of a fixed precision; on these data all agree).
cel-python takes about 0.4 ms a row, so it is skipped above 10,000 keys.

A row gets as many samples as fit in a time budget (20 s of timed runs, 5 s with --quick):
n in the table. Where one round of a row is far over it (replay of 8,000 periods), the first,
untimed runs of each (which take turns too) are the sample. --quick leaves out 100,000 keys and
replays 2,000 periods instead of 8,000.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import importlib
import importlib.metadata
import math
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import planrules

Snapshot = dict[str, Any]
History = list[Snapshot]
Status = tuple[str, str | None, str]  # (rule, key, status)
Row = tuple[str, str | None, str, Any]  # (rule, key, status, value)

D0 = Decimal(0)
PEERS = ("rule-engine", "cel-python", "zen-engine", "polars")
MODULES = {
    "rule-engine": "rule_engine",
    "cel-python": "celpy",
    "zen-engine": "zen",
    "polars": "polars",
}


# ---- peers -----------------------------------------------------------------------------------


def peer_module(name: str) -> Any:
    """The peer's module, or None where it is not installed."""
    try:
        return importlib.import_module(MODULES[name])
    except Exception:
        return None


def peer_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def ternary(subject: str, op: str, warn: str, fail: str) -> str:
    """A threshold as one expression giving its status, in the syntax all three peers share."""
    return f'{subject} {op} {fail} ? "fail" : ({subject} {op} {warn} ? "warn" : "pass")'


class Expr:
    """One compiled status expression of a peer, evaluated against a dict of numbers."""

    def __init__(self, peer: str, text: str) -> None:
        module = peer_module(peer)
        self.peer = peer
        if peer == "rule-engine":
            rule = module.Rule(text)
            self.run: Callable[[dict[str, Any]], Any] = rule.evaluate
        elif peer == "cel-python":
            env = module.Environment()
            program = env.program(env.compile(text))
            to_cel = module.json_to_cel
            self.run = lambda data: program.evaluate(to_cel(data))
        elif peer == "zen-engine":
            self.run = module.compile_expression(text).evaluate
        else:
            raise ValueError(peer)


# ---- timing ----------------------------------------------------------------------------------


SAMPLE = 5e-3  # a call shorter than this is timed in a batch of calls that lasts about as long


def in_turns(runs: list[Callable[[], object]], samples: int, calls: list[int]) -> list[list[float]]:
    """Seconds per call of each run, `samples` samples of calls[i] calls of run i; the runs
    take turns sample by sample, so a noisy moment of the machine falls on all of them."""
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(samples):
        for run, taken, count in zip(runs, times, calls, strict=True):
            start = time.perf_counter()
            for _ in range(count):
                run()
            taken.append((time.perf_counter() - start) / count)
    return times


def duration(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.1f} µs"


# ---- cases -----------------------------------------------------------------------------------


@dataclass
class Case:
    """A row: planrules, the hand-written code and the peers on one shape."""

    shape: str
    ruleset: str
    history: History | Snapshot
    hand: Callable[[], list[Row]]
    at: str | None = None
    per_unit: tuple[str, int] | None = None  # ("period", 8000): a column of time per unit
    keyed: bool = False  # time evaluate() + to_dict() as well
    replay: bool = False
    peers: dict[str, Callable[[], object]] = field(default_factory=dict)
    peer_statuses: dict[str, Callable[[object], list[Status]]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # peer: why it is not run
    check: Callable[[Any], str | None] | None = None  # more than statuses: planrules' report


def statuses_of(rows: Sequence[Row]) -> list[Status]:
    return [(rule, key, status) for rule, key, status, _ in rows]


def planrules_statuses(result: Any) -> list[Status]:
    if isinstance(result, planrules.Report):
        return [(rule, key, status) for rule, _, key, status in result.results.summary()]
    # a replay: every (rule, key) through every period
    return [(row.rule, row.key, status or "-") for row in result.rows for status in row.statuses]


def first_difference(a: list[Status], b: list[Status]) -> str:
    if len(a) != len(b):
        return f"{len(a)} results against {len(b)}"
    for left, right in zip(a, b, strict=True):
        if left != right:
            return f"{left} against {right}"
    return "none"


@dataclass
class Measured:
    shape: str
    cells: dict[str, str]
    notes: list[str]


def measure(case: Case, repeat: int, budget: float) -> Measured:
    ruleset = planrules.loads(case.ruleset, "bench.plan")
    history, at = case.history, case.at
    runs: dict[str, Callable[[], object]] = {}
    if case.replay:
        runs["planrules"] = lambda: ruleset.replay(history)
    else:
        runs["planrules"] = lambda: ruleset.evaluate(history, at=at)
        if case.keyed:
            runs["+to_dict"] = lambda: ruleset.evaluate(history, at=at).to_dict()
    runs["hand"] = case.hand
    runs.update(case.peers)

    notes: list[str] = []
    # One untimed run of each: the statuses compared, and a first measure of the time.
    started = time.perf_counter()
    once: dict[str, float] = {}
    results: dict[str, object] = {}
    for name, run in runs.items():
        start = time.perf_counter()
        results[name] = run()
        once[name] = time.perf_counter() - start
    reference = statuses_of(results["hand"])  # type: ignore[arg-type]
    wrong: set[str] = set()
    mine = planrules_statuses(results["planrules"])
    if case.replay:
        reference = [(rule, key, status) for rule, key, status, _ in results["hand"]]  # type: ignore[attr-defined]
    if mine != reference:
        wrong.add("planrules")
        notes.append(
            f"planrules and the hand-written code differ: {first_difference(mine, reference)}"
        )
    if case.check is not None:
        problem = case.check(results["planrules"])
        if problem is not None:
            wrong.add("planrules")
            notes.append(f"planrules and the hand-written code differ: {problem}")
    for name, statuses in case.peer_statuses.items():
        theirs = statuses(results[name])
        if theirs != reference:
            wrong.add(name)
            notes.append(
                f"{name} differs from the hand-written code: {first_difference(theirs, reference)}"
            )
    del results
    # Samples of several calls where one call is short; as many samples as the budget allows.
    calls = [max(1, math.ceil(SAMPLE / max(taken, 1e-7))) for taken in once.values()]
    one_round = sum(max(SAMPLE, taken) for taken in once.values())
    samples = repeat * 3 if one_round < 0.05 else repeat
    samples = max(1, min(samples, int(budget / max(one_round, 1e-9))))
    if one_round > 3 * budget:
        # one round is far over the budget: the first runs (which took turns too, but include
        # what planrules works out once per ruleset and set of periods) are the sample
        times = [[once[name]] for name in runs]
        notes.append("one run of each only (the first), to stay within the time budget")
    else:
        if samples < repeat:
            notes.append(f"{samples} sample(s) only, to stay within the time budget")
        times = in_turns(list(runs.values()), samples, calls)
    medians = {name: statistics.median(taken) for name, taken in zip(runs, times, strict=True)}
    hand = medians["hand"]
    cells: dict[str, str] = {}
    cells["planrules"] = duration(medians["planrules"]) + (" ≠" if "planrules" in wrong else "")
    cells["+to_dict"] = duration(medians["+to_dict"]) if "+to_dict" in medians else ""
    cells["by hand"] = duration(hand)
    cells["ratio"] = f"{medians['planrules'] / hand:.2f}x"
    if case.per_unit is not None:
        unit, count = case.per_unit
        cells["per unit"] = (
            f"{duration(medians['planrules'] / count)} vs {duration(hand / count)} per {unit}"
        )
    else:
        cells["per unit"] = ""
    for peer in PEERS:
        if peer in medians:
            mark = " ≠" if peer in wrong else ""
            cells[peer] = f"{duration(medians[peer])} {medians[peer] / hand:.1f}x{mark}"
        elif peer_module(peer) is None:
            cells[peer] = "not installed"
        elif peer in case.skipped:
            cells[peer] = case.skipped[peer]
        else:
            cells[peer] = "—"
    cells["n"] = str(samples)
    cells["wall"] = f"{time.perf_counter() - started:.0f}s"
    return Measured(case.shape, cells, notes)


# ---- hand-written helpers: what a careful programmer writes ----------------------------------


def num(value: Any) -> Decimal | None:
    """A JSON number as an exact Decimal (None where absent)."""
    if value is None:
        return None
    return Decimal(value) if not isinstance(value, float) else Decimal(str(value))


def divide(a: Decimal | Fraction | None, b: Decimal | Fraction | None) -> Fraction | None:
    """a / b exactly; None (unknown) where either is unknown or b is 0."""
    if a is None or b is None or b == 0:
        return None
    return Fraction(a) / Fraction(b)


def above(value: Any, warn: Any, fail: Any) -> str:
    if value is None:
        return "unknown"
    return "fail" if value > fail else "warn" if value > warn else "pass"


def below(value: Any, warn: Any, fail: Any) -> str:
    if value is None:
        return "unknown"
    return "fail" if value < fail else "warn" if value < warn else "pass"


TOLERANCE = Fraction(1, 10)


def paced(value: Decimal | None, target: Decimal, elapsed: Fraction, baseline: Decimal = D0) -> str:
    """A paced `>=` goal whose deadline is ahead: progress against elapsed, exactly."""
    if value is None:
        return "unknown"
    if value >= target:
        return "pass"
    span = target - baseline
    if span == 0:
        return "fail"
    progress = Fraction(value - baseline) / Fraction(span)
    if progress >= elapsed:
        return "pass"
    return "warn" if progress >= elapsed * (1 - TOLERANCE) else "fail"


def scalar(history: History, name: str, index: int) -> Decimal | None:
    if index < 0:
        return None
    return num(history[index]["metrics"].get(name))


def total(history: History, name: str, upto: int) -> Decimal | None:
    """The sum over periods 0..upto; unknown where a period lacks the metric."""
    sum_ = D0
    for snapshot in history[: upto + 1]:
        value = snapshot["metrics"].get(name)
        if value is None:
            return None
        sum_ += num(value)  # type: ignore[operator]
    return sum_


def rolling_avg(history: History, name: str, upto: int, n: int) -> Fraction | None:
    if upto + 1 < n:
        return None
    sum_ = D0
    for snapshot in history[upto + 1 - n : upto + 1]:
        value = snapshot["metrics"].get(name)
        if value is None:
            return None
        sum_ += num(value)  # type: ignore[operator]
    return Fraction(sum_) / n


def growth(history: History, name: str, upto: int) -> Fraction | None:
    now, before = scalar(history, name, upto), scalar(history, name, upto - 1)
    ratio = divide(now, before)
    return None if ratio is None else ratio - 1


def trigger_state(
    held: Sequence[bool], n: int, m: int | None, cooldown: int, known_now: bool = True
) -> tuple[str, list[int], int | None]:
    """A trigger through the periods in order: its state at the last, the periods it held
    in and the last it fired in (`for n periods`, or `for n of m periods` where m is given)."""
    last_fired: int | None = None
    state = "quiet"
    for t in range(len(held)):
        if m is None:
            would = t + 1 >= n and all(held[t + 1 - n : t + 1])
        else:
            would = sum(held[max(0, t + 1 - m) : t + 1]) >= n
        if not would:
            state = "quiet"
        elif last_fired is not None and t - last_fired <= cooldown:
            state = "cooling"
        else:
            state, last_fired = "fired", t
    if not known_now:
        state = "unknown"
    return state, [t for t, h in enumerate(held) if h], last_fired


def months(count: int, year: int = 2026) -> list[str]:
    return [f"{year + i // 12}-{i % 12 + 1:02d}" for i in range(count)]


def snapshots(periods: list[str], metrics: list[dict[str, Any]]) -> History:
    return [{"period": p, "metrics": m} for p, m in zip(periods, metrics, strict=True)]


# ---- scalar thresholds -----------------------------------------------------------------------

N20 = 20
HEADER = 'ruleset "Bench"\ncurrency VND\n'


def scalar_peers(
    texts: list[tuple[str, str]], snapshot: Snapshot, names: list[str], cel: list[str]
) -> tuple[dict[str, Callable[[], object]], dict[str, Callable[[object], list[Status]]]]:
    """Each installed peer evaluating one compiled status expression per rule."""
    runs: dict[str, Callable[[], object]] = {}
    checks: dict[str, Callable[[object], list[Status]]] = {}
    metrics = snapshot["metrics"]
    for peer in ("rule-engine", "cel-python", "zen-engine"):
        if peer_module(peer) is None:
            continue
        exprs = [
            (rule, Expr(peer, cel_expr if peer == "cel-python" else text).run)
            for (rule, text), cel_expr in zip(texts, cel, strict=True)
        ]

        def run(exprs: list[tuple[str, Callable[[dict[str, Any]], Any]]] = exprs) -> object:
            data = {name: metrics[name] for name in names}  # the snapshot's numbers, as read
            return [(rule, None, str(expr(data))) for rule, expr in exprs]

        runs[peer] = run
        checks[peer] = lambda result: list(result)  # type: ignore[call-overload]
    return runs, checks


def case_thresholds_metrics() -> Case:
    rng = random.Random(1)
    names = [f"m{i}" for i in range(N20)]
    text = HEADER + "".join(f"metric {n}: money\n" for n in names)
    text += "".join(
        f'threshold "T{i}": m{i} warn above {100 + i} fail above {200 + i}\n' for i in range(N20)
    )
    snapshot: Snapshot = {"period": "2026-07", "metrics": {n: rng.randint(0, 300) for n in names}}
    warn = [Decimal(100 + i) for i in range(N20)]
    fail = [Decimal(200 + i) for i in range(N20)]

    def hand() -> list[Row]:
        metrics = snapshot["metrics"]
        rows: list[Row] = []
        for i in range(N20):
            value = num(metrics.get(names[i]))
            rows.append((f"T{i}", None, above(value, warn[i], fail[i]), value))
        return rows

    exprs = [(f"T{i}", ternary(f"m{i}", ">", str(100 + i), str(200 + i))) for i in range(N20)]
    peers, checks = scalar_peers(exprs, snapshot, names, [e for _, e in exprs])
    return Case(
        "thresholds: 20 on metrics", text, snapshot, hand, peers=peers, peer_statuses=checks
    )


def case_thresholds_ratios() -> Case:
    rng = random.Random(2)
    text = HEADER + "".join(f"metric a{i}: count\nmetric b{i}: count\n" for i in range(N20))
    text += "".join(f"let r{i} = a{i} / b{i}\n" for i in range(N20))
    text += "".join(f'threshold "R{i}": r{i} warn above 40% fail above 60%\n' for i in range(N20))
    metrics: dict[str, int] = {}
    for i in range(N20):
        metrics[f"a{i}"] = rng.randint(0, 300)
        metrics[f"b{i}"] = rng.randint(200, 400)
    metrics["a0"], metrics["b0"] = 120, 300  # exactly 40%: not above, so pass
    snapshot: Snapshot = {"period": "2026-07", "metrics": metrics}
    warn, fail = Fraction(2, 5), Fraction(3, 5)

    def hand() -> list[Row]:
        m = snapshot["metrics"]
        rows: list[Row] = []
        for i in range(N20):
            value = divide(num(m.get(f"a{i}")), num(m.get(f"b{i}")))
            rows.append((f"R{i}", None, above(value, warn, fail), value))
        return rows

    names = list(metrics)
    exprs = [(f"R{i}", ternary(f"a{i} / b{i}", ">", "0.4", "0.6")) for i in range(N20)]
    cel = [ternary(f"double(a{i}) / double(b{i})", ">", "0.4", "0.6") for i in range(N20)]
    peers, checks = scalar_peers(exprs, snapshot, names, cel)
    return Case(
        "thresholds: 20 on let ratios", text, snapshot, hand, peers=peers, peer_statuses=checks
    )


def case_thresholds_arithmetic() -> Case:
    rng = random.Random(3)
    names = [f"m{i}" for i in range(N20)]
    text = HEADER + "".join(f"metric {n}: money\n" for n in names)
    subjects = [f"m{i} + m{(i + 1) % N20} - m{(i + 2) % N20} * 2" for i in range(N20)]
    text += "".join(
        f'threshold "A{i}": {s} warn below 0 fail below -100\n' for i, s in enumerate(subjects)
    )
    snapshot: Snapshot = {"period": "2026-07", "metrics": {n: rng.randint(0, 300) for n in names}}
    zero, floor = Decimal(0), Decimal(-100)

    def hand() -> list[Row]:
        m = snapshot["metrics"]
        values = [num(m.get(n)) for n in names]
        rows: list[Row] = []
        for i in range(N20):
            a, b, c = values[i], values[(i + 1) % N20], values[(i + 2) % N20]
            value = None if a is None or b is None or c is None else a + b - c * 2
            rows.append((f"A{i}", None, below(value, zero, floor), value))
        return rows

    exprs = [(f"A{i}", ternary(f"({s})", "<", "0", "-100")) for i, s in enumerate(subjects)]
    peers, checks = scalar_peers(exprs, snapshot, names, [e for _, e in exprs])
    return Case(
        "thresholds: 20 on arithmetic of 3 metrics",
        text,
        snapshot,
        hand,
        peers=peers,
        peer_statuses=checks,
    )


# ---- goals over 12 months, judged at the ninth -----------------------------------------------

YEAR = "period 2026-01-01 to 2026-12-31 monthly\n"
AT = 9
PERIODS = 12
WEIGHTS = [5, 5, 5, 10, 10, 10, 10, 10, 10, 10, 5, 10]


def monthly(rng: random.Random, names: list[str], low: int, high: int) -> History:
    return snapshots(
        months(PERIODS), [{n: rng.randint(low, high) for n in names} for _ in range(PERIODS)]
    )


def case_goals_total(phased: bool) -> Case:
    rng = random.Random(4)
    names = [f"s{i}" for i in range(N20)]
    weights = " ".join(f"{w}%" for w in WEIGHTS)
    clause = f" phased {weights}" if phased else ""
    text = HEADER + YEAR + "".join(f"metric {n}: money\n" for n in names)
    text += "".join(f'goal "G{i}": total(s{i}) >= 1200 by 2026-12-31{clause}\n' for i in range(N20))
    history = monthly(rng, names, 70, 130)
    target = Decimal(1200)
    elapsed = Fraction(sum(WEIGHTS[:AT]), 100) if phased else Fraction(AT, PERIODS)

    def hand() -> list[Row]:
        rows: list[Row] = []
        for i, name in enumerate(names):
            value = total(history, name, AT - 1)
            rows.append((f"G{i}", None, paced(value, target, elapsed), value))
        return rows

    shape = "goals: 20 phased totals" if phased else "goals: 20 paced totals"
    return Case(shape + ", 12 periods", text, history, hand, at=months(AT)[-1])


def case_goals_stock() -> Case:
    rng = random.Random(5)
    names = [f"c{i}" for i in range(N20)]
    text = HEADER + YEAR + "".join(f"metric {n}: count stock\n" for n in names)
    text += "".join(f'goal "S{i}": c{i} >= 5000 by 2026-12-31 from 3000\n' for i in range(N20))
    history = monthly(rng, names, 4000, 5100)
    target, base, elapsed = Decimal(5000), Decimal(3000), Fraction(AT, PERIODS)

    def hand() -> list[Row]:
        rows: list[Row] = []
        for i, name in enumerate(names):
            value = scalar(history, name, AT - 1)
            rows.append((f"S{i}", None, paced(value, target, elapsed, base), value))
        return rows

    return Case("goals: 20 stocks with from, 12 periods", text, history, hand, at=months(AT)[-1])


# ---- history functions over 24 periods -------------------------------------------------------

P24 = 24


def case_history(function: str) -> Case:
    rng = random.Random(6)
    names = [f"m{i}" for i in range(N20)]
    text = HEADER + "period 2025-01-01 to 2026-12-31 monthly\n"
    text += "".join(f"metric {n}: money\n" for n in names)
    history = snapshots(
        months(P24, 2025), [{n: rng.randint(100, 300) for n in names} for _ in range(P24)]
    )
    last = P24 - 1
    value_of: Callable[[str], Any]
    if function == "previous":
        levels, check = ("above 250", "above 280"), above
        bounds: tuple[Any, Any] = (Decimal(250), Decimal(280))
        value_of = lambda n: scalar(history, n, last - 1)  # noqa: E731
        subject = "previous({})"
    elif function == "growth":
        levels, check = ("below -10%", "below -30%"), below
        bounds = (Fraction(-1, 10), Fraction(-3, 10))
        value_of = lambda n: growth(history, n, last)  # noqa: E731
        subject = "growth({})"
    elif function == "rolling_avg":
        levels, check = ("above 200", "above 220"), above
        bounds = (Decimal(200), Decimal(220))
        value_of = lambda n: rolling_avg(history, n, last, 6)  # noqa: E731
        subject = "rolling_avg({}, 6)"
    else:
        levels, check = ("above 4800", "above 5000"), above
        bounds = (Decimal(4800), Decimal(5000))
        value_of = lambda n: total(history, n, last)  # noqa: E731
        subject = "total({})"
    text += "".join(
        f'threshold "H{i}": {subject.format(n)} warn {levels[0]} fail {levels[1]}\n'
        for i, n in enumerate(names)
    )

    def hand() -> list[Row]:
        rows: list[Row] = []
        for i, name in enumerate(names):
            value = value_of(name)
            rows.append((f"H{i}", None, check(value, *bounds), value))
        return rows

    shown = subject.format("x")
    return Case(f"history: 20 x {shown}, 24 periods", text, history, hand)


# ---- per key: thresholds and goals -----------------------------------------------------------


def keyed_history(
    keys: int, seed: int, low: int = 30, high: int = 150
) -> tuple[History, list[str]]:
    """12 months of sales per store; every store sells in January, about 1% of the later
    months lack a store (0 sales: the metric is a flow)."""
    rng = random.Random(seed)
    names = [f"store-{n:06d}" for n in range(keys)]
    metrics = []
    for month in range(PERIODS):
        sales = {
            name: rng.randint(low, high) for name in names if month == 0 or rng.random() >= 0.01
        }
        metrics.append({"sales": sales})
    return snapshots(months(PERIODS), metrics), names


def keyed_union(history: History, upto: int) -> list[str]:
    keys: set[str] = set()
    for snapshot in history[: upto + 1]:
        keys.update(snapshot["metrics"]["sales"])
    return sorted(keys)


CEL_KEYS = 10_000  # cel-python takes about 0.4 ms a row: 100,000 keys would take a minute


def row_by_row_peers(
    history: History, warn: int, fail: int, keys: int
) -> tuple[dict[str, Callable[[], object]], dict[str, Callable[[object], list[Status]]]]:
    """rule-engine, cel-python, zen-engine deciding each key's status, one row at a time."""
    runs: dict[str, Callable[[], object]] = {}
    checks: dict[str, Callable[[object], list[Status]]] = {}
    text = ternary("sales", "<", str(warn), str(fail))
    for peer in ("rule-engine", "cel-python", "zen-engine"):
        if peer_module(peer) is None or (peer == "cel-python" and keys > CEL_KEYS):
            continue
        expr = Expr(peer, text).run

        def run(expr: Callable[[dict[str, Any]], Any] = expr) -> object:
            current = history[AT - 1]["metrics"]["sales"]
            return [
                ("Store sales", key, str(expr({"sales": current.get(key, 0)})))
                for key in keyed_union(history, AT - 1)
            ]

        runs[peer] = run
        checks[peer] = lambda result: list(result)  # type: ignore[call-overload]
    return runs, checks


def polars_frame(pl: Any, history: History) -> Any:
    """The first AT months as one long frame (period, store, sales), from the same dicts."""
    frames = []
    for index, snapshot in enumerate(history[:AT]):
        sales = snapshot["metrics"]["sales"]
        frames.append(
            pl.DataFrame(
                {"store": list(sales), "sales": list(sales.values())},
                schema={"store": pl.String, "sales": pl.Int64},
            ).with_columns(period=pl.lit(index, pl.Int32))
        )
    return pl.concat(frames)


def polars_statuses(rule: str) -> Callable[[object], list[Status]]:
    def statuses(frame: object) -> list[Status]:
        return [(rule, key, status) for key, status in frame.select("store", "status").rows()]  # type: ignore[attr-defined]

    return statuses


def case_keyed_threshold(keys: int) -> Case:
    history, _ = keyed_history(keys, 7)
    text = HEADER + YEAR + "metric sales: money by store\n"
    text += 'threshold "Store sales" per store: sales\n    warn below 80\n    fail below 50\n'
    warn, fail = Decimal(80), Decimal(50)

    def hand() -> list[Row]:
        current = history[AT - 1]["metrics"]["sales"]
        rows: list[Row] = []
        for key in keyed_union(history, AT - 1):
            value = num(current.get(key, 0))
            rows.append(("Store sales", key, below(value, warn, fail), value))
        return rows

    peers, checks = row_by_row_peers(history, 80, 50, keys)
    pl = peer_module("polars")
    if pl is not None:

        def polars_run() -> object:
            long = polars_frame(pl, history)
            current = long.filter(pl.col("period") == AT - 1).select("store", "sales")
            frame = (
                long.select("store")
                .unique()
                .join(current, on="store", how="left")
                .with_columns(pl.col("sales").fill_null(0))
                .sort("store")
            )
            sales = pl.col("sales")
            return frame.with_columns(
                status=pl.when(sales < 50)
                .then(pl.lit("fail"))
                .when(sales < 80)
                .then(pl.lit("warn"))
                .otherwise(pl.lit("pass"))
            )

        peers["polars"] = polars_run
        checks["polars"] = polars_statuses("Store sales")
    skipped = {"cel-python": f"skipped > {CEL_KEYS:,}"} if keys > CEL_KEYS else {}
    return Case(
        f"per key: threshold, {keys:,} keys",
        text,
        history,
        hand,
        at=months(AT)[-1],
        keyed=True,
        peers=peers,
        peer_statuses=checks,
        skipped=skipped,
    )


QUOTA_KEYS = 100


def case_keyed_goal(keys: int) -> Case:
    history, names = keyed_history(keys, 8, 70, 130)
    rng = random.Random(9)
    listed = {name: 1000 + 10 * rng.randint(0, 40) for name in names[:QUOTA_KEYS]}
    entries = "  ".join(f'"{k}" {v}' for k, v in listed.items())
    text = HEADER + YEAR + "metric sales: money by store\n"
    text += f"table quota: money by store {{ {entries}  else 1200 }}\n"
    text += 'goal "Store quota" per store: total(sales) >= quota by 2026-12-31\n'
    quota = {k: Decimal(v) for k, v in listed.items()}
    default = Decimal(1200)
    elapsed = Fraction(AT, PERIODS)

    def hand() -> list[Row]:
        upto = [snapshot["metrics"]["sales"] for snapshot in history[:AT]]
        rows: list[Row] = []
        for key in keyed_union(history, AT - 1):
            value = sum((num(sales.get(key, 0)) or D0 for sales in upto), D0)
            target = quota.get(key, default)
            rows.append(("Store quota", key, paced(value, target, elapsed), value))
        return rows

    peers: dict[str, Callable[[], object]] = {}
    checks: dict[str, Callable[[object], list[Status]]] = {}
    pl = peer_module("polars")
    if pl is not None:
        table = pl.DataFrame(
            {"store": list(listed), "quota": list(listed.values())},
            schema={"store": pl.String, "quota": pl.Int64},
        )

        def polars_run() -> object:
            long = polars_frame(pl, history)
            frame = (
                long.group_by("store")
                .agg(pl.col("sales").sum())
                .join(table, on="store", how="left")
                .with_columns(pl.col("quota").fill_null(1200))
                .sort("store")
            )
            # exact in integers: progress >= elapsed is total * 12 >= quota * 9, and the
            # tolerance of 10% makes the warn test total * 120 >= quota * 81.
            tot, q = pl.col("sales"), pl.col("quota")
            return frame.with_columns(
                status=pl.when((tot >= q) | (tot * PERIODS >= q * AT))
                .then(pl.lit("pass"))
                .when(tot * PERIODS * 10 >= q * AT * 9)
                .then(pl.lit("warn"))
                .otherwise(pl.lit("fail"))
            )

        peers["polars"] = polars_run
        checks["polars"] = polars_statuses("Store quota")
    return Case(
        f"per key: paced goal, table target, {keys:,} keys",
        text,
        history,
        hand,
        at=months(AT)[-1],
        keyed=True,
        peers=peers,
        peer_statuses=checks,
    )


# ---- triggers --------------------------------------------------------------------------------


def case_triggers(kind: str) -> Case:
    rng = random.Random(10)
    names = [f"m{i}" for i in range(N20)]
    text = HEADER + "period 2025-01-01 to 2026-12-31 monthly\n"
    text += "".join(f"metric {n}: money\n" for n in names)
    history = snapshots(
        months(P24, 2025), [{n: rng.randint(50, 250) for n in names} for _ in range(P24)]
    )
    n, m, cooldown, level = 2, None, 0, 110
    clause = "for 2 periods"
    if kind == "of":
        m, clause, level = 3, "for 2 of 3 periods", 100
    elif kind == "cooldown":
        cooldown, clause, level = 2, "for 2 periods cooldown 2 periods", 130
    text += "".join(
        f'trigger "Low {i}" when m{i} < {level} {clause} {{\n    recommend "m{i} low"\n}}\n'
        for i in range(N20)
    )
    bound = Decimal(level)

    def hand() -> list[Row]:
        rows: list[Row] = []
        recommendations = []
        for i, name in enumerate(names):
            values = [num(snapshot["metrics"].get(name)) for snapshot in history]
            held = [v is not None and v < bound for v in values]
            state, held_at, last = trigger_state(held, n, m, cooldown, values[-1] is not None)
            if state == "fired":
                recommendations.append((f"Low {i}", None, f"{name} low"))
            rows.append((f"Low {i}", None, state, (held_at, last)))
        return rows

    return Case(f"triggers: 20 x {clause}, 24 periods", text, history, hand)


def case_keyed_trigger(keys: int) -> Case:
    history, _ = keyed_history(keys, 11)
    text = HEADER + YEAR + "metric sales: money by store\n"
    text += (
        'trigger "Slow store" per store when sales < 50 for 2 of 3 periods cooldown 1 period {\n'
        '    recommend "{key} is slow"\n}\n'
    )
    bound = Decimal(50)

    def hand() -> list[Row]:
        upto = [snapshot["metrics"]["sales"] for snapshot in history[:AT]]
        rows: list[Row] = []
        recommendations = []
        for key in keyed_union(history, AT - 1):
            # every store exists from January, so every period counts
            held = [num(sales.get(key, 0)) < bound for sales in upto]  # type: ignore[operator]
            state, held_at, last = trigger_state(held, 2, 3, 1)
            if state == "fired":
                recommendations.append(("Slow store", key, f"{key} is slow"))
            rows.append(("Slow store", key, state, (held_at, last)))
        return rows

    return Case(
        f"per key: trigger 2 of 3 cooldown 1, {keys:,} keys",
        text,
        history,
        hand,
        at=months(AT)[-1],
        keyed=True,
    )


# ---- budgets with shifts and scales ----------------------------------------------------------

LINES = {  # line: (amount in millions, MIN share, MAX share) of a total of 1000 million
    "ads": (300, Fraction(20, 100), Fraction(35, 100)),
    "search": (250, Fraction(10, 100), None),
    "social": (200, None, Fraction(25, 100)),
    "events": (150, None, None),
    "pr": (100, None, None),
}
MILLION = 1_000_000


def case_budget() -> Case:
    rng = random.Random(12)
    text = HEADER + YEAR + "metric spend: money by channel\nmetric orders: count\n"
    text += """budget "Mix" total 1000 million for spend {
    ads     300 million  share 20% .. 35%
    search  250 million  share >= 10%
    social  200 million  share <= 25%
    events  150 million
    pr      100 million
}
trigger "Shift" when orders < 500 {
    shift 20% from ads to social
}
trigger "Raise" when orders < 600 {
    scale search by +30%
}
trigger "Cut" when orders < 700 {
    scale events by -50%
}
trigger "Cut pr" when orders < 700 {
    scale pr by -10%
}
"""
    per_month = {"ads": 26, "search": 19, "social": 18, "events": 11, "pr": 12}
    metrics = []
    for month in range(PERIODS):
        spend = {
            line: (amount + rng.randint(-3, 3)) * MILLION for line, amount in per_month.items()
        }
        if month == 4:
            spend["radio"] = 2 * MILLION  # a key no line names
        metrics.append({"spend": spend, "orders": 450 if month == AT - 1 else 800})
    history = snapshots(months(PERIODS), metrics)
    total_ = Decimal(1000 * MILLION)
    elapsed = Fraction(AT, PERIODS)

    def hand() -> list[Row]:
        upto = history[:AT]
        rows: list[Row] = []
        spent: dict[str, Decimal] = {}
        for snapshot in upto:
            for key, value in snapshot["metrics"]["spend"].items():
                spent[key] = spent.get(key, D0) + num(value)  # type: ignore[operator]
        lines = {line: Decimal(a * MILLION) for line, (a, _, _) in LINES.items()}
        worst = "pass"
        for line, amount in lines.items():
            used = spent.get(line, D0)
            if used > amount:
                status = "fail"
            elif Fraction(used) / Fraction(amount) > elapsed * (1 + TOLERANCE):
                status = "warn"
            else:
                status = "pass"
            worst = max(worst, status, key=("pass", "warn", "fail").index)
            rows.append(("Mix", line, status, used))
        everything = sum(spent.values(), D0)
        unnamed = any(v != 0 for k, v in spent.items() if k not in lines)
        whole = worst
        if everything > total_:
            whole = "fail"
        elif whole == "pass" and (
            unnamed or Fraction(everything) / Fraction(total_) > elapsed * (1 + TOLERANCE)
        ):
            whole = "warn"
        rows.append(("Mix", None, whole, everything))
        # the triggers, judged at the current period, then their actions on a working copy
        orders = num(history[AT - 1]["metrics"].get("orders"))
        working = dict(lines)
        adjustments = []

        def floor(line: str) -> Decimal:
            low = LINES[line][1]
            return max(
                D0,
                Decimal(0) if low is None else total_ * Decimal(low.numerator) / low.denominator,
                spent.get(line, D0),
            )

        def ceiling(line: str) -> Decimal:
            high = LINES[line][2]
            return total_ if high is None else total_ * Decimal(high.numerator) / high.denominator

        for name, level in (("Shift", 500), ("Raise", 600), ("Cut", 700), ("Cut pr", 700)):
            fired = orders is not None and orders < level
            rows.append((name, None, "fired" if fired else "quiet", None))
            if not fired:
                continue
            if name == "Shift":
                requested = working["ads"] * Decimal("0.2")
                applied = max(
                    D0,
                    min(
                        requested,
                        working["ads"] - floor("ads"),
                        ceiling("social") - working["social"],
                    ),
                )
                working["ads"] -= applied
                working["social"] += applied
            elif name == "Raise":
                requested = working["search"] * Decimal("0.3")
                applied = max(
                    D0,
                    min(
                        requested,
                        ceiling("search") - working["search"],
                        total_ - sum(working.values()),
                    ),
                )
                working["search"] += applied
            else:
                line, share = ("events", "0.5") if name == "Cut" else ("pr", "0.1")
                requested = working[line] * Decimal(share)
                applied = max(D0, min(requested, working[line] - floor(line)))
                working[line] -= applied
            adjustments.append((name, requested, applied))
        proposed["Mix"] = working
        return rows

    proposed: dict[str, dict[str, Decimal]] = {}

    def check(report: planrules.Report) -> str | None:
        """The proposed allocation is compared too, line by line."""
        hand()
        allocation = report.allocation("Mix")
        theirs = {} if allocation is None else {a.line: a.proposed for a in allocation.lines}
        if theirs != proposed["Mix"]:
            return f"proposed {theirs} against {proposed['Mix']}"
        return None

    return Case("budget", text, history, hand, at=months(AT)[-1], check=check)


# ---- replay ----------------------------------------------------------------------------------


def case_replay(periods: int) -> Case:
    rng = random.Random(13)
    start = datetime.date(2000, 1, 1)
    end = start + datetime.timedelta(days=periods - 1)
    days = [(start + datetime.timedelta(days=d)).isoformat() for d in range(periods)]
    target = 100 * periods
    text = HEADER + f"period {start} to {end} daily\nmetric sales: money\n"
    text += 'threshold "Sales": sales warn below 80 fail below 50\n'
    text += 'threshold "Weekly average": rolling_avg(sales, 7) warn below 95 fail below 90\n'
    text += f'goal "Total": total(sales) >= {target} by {end}\n'
    text += 'trigger "Slump" when sales < 60 for 2 periods cooldown 3 periods {\n'
    text += '    recommend "slump"\n}\n'
    history = snapshots(days, [{"sales": rng.randint(40, 160)} for _ in range(periods)])
    w80, f50, w95, f90 = Decimal(80), Decimal(50), Decimal(95), Decimal(90)
    goal = Decimal(target)
    s60 = Decimal(60)

    def hand() -> list[Row]:
        values = [num(snapshot["metrics"].get("sales")) for snapshot in history]
        sales, weekly, totals, slump = [], [], [], []
        running = D0
        window = D0
        last_fired: int | None = None
        for t, value in enumerate(values):
            assert value is not None
            sales.append(below(value, w80, f50))
            window += value
            if t >= 7:
                window -= values[t - 7]  # type: ignore[operator]
            weekly.append(below(Fraction(window) / 7, w95, f90) if t >= 6 else "unknown")
            running += value
            if t == periods - 1:
                totals.append("pass" if running >= goal else "fail")
            else:
                totals.append(paced(running, goal, Fraction(t + 1, periods)))
            would = t >= 1 and value < s60 and values[t - 1] < s60  # type: ignore[operator]
            if not would:
                slump.append("quiet")
            elif last_fired is not None and t - last_fired <= 3:
                slump.append("cooling")
            else:
                slump.append("fired")
                last_fired = t
        return [
            (rule, None, status, None)
            for rule, column in (
                ("Sales", sales),
                ("Weekly average", weekly),
                ("Total", totals),
                ("Slump", slump),
            )
            for status in column
        ]

    return Case(
        f"replay: 4 rules, {periods:,} periods",
        text,
        history,
        hand,
        replay=True,
        per_unit=("period", periods),
    )


# ---- the same block of 10 rules, 1 to 100 times ----------------------------------------------

BLOCK = """metric a{i}: money
metric b{i}: count
metric c{i}: count stock
threshold "A{i}": a{i} warn above 250 fail above 280
threshold "Per order {i}": a{i} / b{i} warn above 5 fail above 7
threshold "Growth {i}": growth(a{i}) warn below -10% fail below -30%
threshold "Average {i}": rolling_avg(b{i}, 3) warn below 45 fail below 40
goal "Total {i}": total(a{i}) >= 2400 by 2026-12-31
goal "Phased {i}": total(b{i}) >= 600 by 2026-12-31 phased {weights}
goal "Stock {i}": c{i} >= 5000 by 2026-12-31 from 3000
goal "Floor {i}": a{i} >= 100
trigger "Few {i}" when b{i} < 40 for 2 periods cooldown 1 period {{
    recommend "few b{i}"
}}
trigger "Many {i}" when a{i} > 280 for 2 of 3 periods {{
    recommend "many a{i}"
}}
"""


def case_rules(rules: int) -> Case:
    blocks = rules // 10
    rng = random.Random(14)
    weights = " ".join(f"{w}%" for w in WEIGHTS)
    text = HEADER + YEAR + "".join(BLOCK.format(i=i, weights=weights) for i in range(blocks))
    metrics = []
    for _ in range(PERIODS):
        snapshot: dict[str, int] = {}
        for i in range(blocks):
            snapshot[f"a{i}"] = rng.randint(120, 300)
            snapshot[f"b{i}"] = rng.randint(30, 70)
            snapshot[f"c{i}"] = rng.randint(4000, 5100)
        metrics.append(snapshot)
    history = snapshots(months(PERIODS), metrics)
    now = AT - 1
    e_total, e_phased = Fraction(AT, PERIODS), Fraction(sum(WEIGHTS[:AT]), 100)
    levels = [Decimal(v) for v in (250, 280, 5, 7, 45, 40, 2400, 600, 5000, 3000, 100, 40)]
    g_warn, g_fail = Fraction(-1, 10), Fraction(-3, 10)

    def hand() -> list[Row]:
        w250, f280, w5, f7, w45, f40, t2400, t600, t5000, b3000, f100, b40 = levels
        upto = history[:AT]
        rows: list[Row] = []
        for i in range(blocks):
            a, b, c = f"a{i}", f"b{i}", f"c{i}"
            av, bv, cv = scalar(upto, a, now), scalar(upto, b, now), scalar(upto, c, now)
            rows.append((f"A{i}", None, above(av, w250, f280), av))
            ratio = divide(av, bv)
            rows.append((f"Per order {i}", None, above(ratio, w5, f7), ratio))
            g = growth(upto, a, now)
            rows.append((f"Growth {i}", None, below(g, g_warn, g_fail), g))
            ra = rolling_avg(upto, b, now, 3)
            rows.append((f"Average {i}", None, below(ra, w45, f40), ra))
            ta = total(upto, a, now)
            rows.append((f"Total {i}", None, paced(ta, t2400, e_total), ta))
            tb = total(upto, b, now)
            rows.append((f"Phased {i}", None, paced(tb, t600, e_phased), tb))
            rows.append((f"Stock {i}", None, paced(cv, t5000, e_total, b3000), cv))
            floor = "unknown" if av is None else "pass" if av >= f100 else "fail"
            rows.append((f"Floor {i}", None, floor, av))
            bs = [scalar(upto, b, t) for t in range(AT)]
            held = [v is not None and v < b40 for v in bs]
            state, held_at, last = trigger_state(held, 2, None, 1, bs[-1] is not None)
            rows.append((f"Few {i}", None, state, (held_at, last)))
            as_ = [scalar(upto, a, t) for t in range(AT)]
            held = [v is not None and v > f280 for v in as_]
            state, held_at, last = trigger_state(held, 2, 3, 0, as_[-1] is not None)
            rows.append((f"Many {i}", None, state, (held_at, last)))
        return rows

    return Case(
        f"rules: the same 10-rule block, {rules:,} rules",
        text,
        history,
        hand,
        at=months(AT)[-1],
        per_unit=("rule", rules),
    )


# ---- the matrix ------------------------------------------------------------------------------


def cases(quick: bool) -> list[tuple[str, Callable[[], Case]]]:
    """(shape, maker) of every row: the data is made only for the rows that run."""
    keys = [1_000, 10_000] if quick else [1_000, 10_000, 100_000]
    replays = [12, 120, 2_000] if quick else [12, 120, 8_000]
    made: list[tuple[str, Callable[[], Case]]] = [
        ("thresholds: 20 on metrics", case_thresholds_metrics),
        ("thresholds: 20 on let ratios", case_thresholds_ratios),
        ("thresholds: 20 on arithmetic of 3 metrics", case_thresholds_arithmetic),
        ("goals: 20 paced totals, 12 periods", lambda: case_goals_total(False)),
        ("goals: 20 phased totals, 12 periods", lambda: case_goals_total(True)),
        ("goals: 20 stocks with from, 12 periods", case_goals_stock),
    ]
    for function, shown in (
        ("previous", "previous(x)"),
        ("growth", "growth(x)"),
        ("rolling_avg", "rolling_avg(x, 6)"),
        ("total", "total(x)"),
    ):
        made.append(
            (f"history: 20 x {shown}, 24 periods", functools.partial(case_history, function))
        )
    for k in keys:
        made.append((f"per key: threshold, {k:,} keys", functools.partial(case_keyed_threshold, k)))
    for k in keys:
        made.append(
            (
                f"per key: paced goal, table target, {k:,} keys",
                functools.partial(case_keyed_goal, k),
            )
        )
    for kind, clause in (
        ("for", "for 2 periods"),
        ("of", "for 2 of 3 periods"),
        ("cooldown", "for 2 periods cooldown 2"),
    ):
        made.append(
            (f"triggers: 20 x {clause}, 24 periods", functools.partial(case_triggers, kind))
        )
    for k in (1_000, 10_000):
        made.append(
            (
                f"per key: trigger 2 of 3 cooldown 1, {k:,} keys",
                functools.partial(case_keyed_trigger, k),
            )
        )
    made.append(("budget: 5 lines, 4 triggers shift/scale, clipped", case_budget))
    for n in replays:
        made.append((f"replay: 4 rules, {n:,} periods", functools.partial(case_replay, n)))
    for n in (10, 100, 1_000):
        made.append(
            (f"rules: a 10-rule block x {n // 10}, {n:,} rules", functools.partial(case_rules, n))
        )
    return made


def machine() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    peers = ", ".join(f"{p} {peer_version(p)}" for p in PEERS)
    return (
        f"machine: {model}, {os.cpu_count()} cores; Python {platform.python_version()} "
        f"({sys.implementation.name}); planrules {planrules.__version__}\npeers: {peers}"
    )


COLUMNS = ["shape", "planrules", "+to_dict", "by hand", "ratio", "per unit", *PEERS, "n"]


def print_table(rows: list[Measured]) -> None:
    table = [COLUMNS] + [[m.shape] + [m.cells[c] for c in COLUMNS[1:]] for m in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(COLUMNS))]
    for index, row in enumerate(table):
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |")
        if index == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="samples per row (default 5)")
    parser.add_argument("--quick", action="store_true", help="smaller, under 2 minutes")
    parser.add_argument("--only", default="", help="only the shapes whose name holds this")
    args = parser.parse_args()
    repeat = max(1, args.repeat if not args.quick or args.repeat != 5 else 3)
    budget = 5.0 if args.quick else 20.0  # seconds of timed runs per row, at most
    print(machine())
    print(
        f"median of n samples per row (up to {repeat}, x3 for short rows; a call under 5 ms is "
        "timed in batches of about 5 ms); ratio = planrules / by hand; a peer cell is its "
        "median and its ratio to by hand"
    )
    started = time.perf_counter()
    measured: list[Measured] = []
    for shape, make in cases(args.quick):
        if args.only and args.only not in shape:
            continue
        case = make()
        case.shape = shape
        result = measure(case, repeat, budget)
        measured.append(result)
        print(f"  {case.shape}: {result.cells['ratio']} ({result.cells['wall']})", file=sys.stderr)
    print()
    print_table(measured)
    notes = [f"{m.shape}: {note}" for m in measured for note in m.notes]
    if notes:
        print()
        print("notes:")
        for note in notes:
            print(f"  {note}")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
