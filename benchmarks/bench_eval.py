"""Evaluation speed, side by side with hand-written Python doing the same work with Decimal.

Run: .venv/bin/python benchmarks/bench_eval.py [--stores N] [--repeat R]

(a) one snapshot and 20 thresholds through the Python API, against the same 20 checks written
    by hand (read the snapshot dict, Decimal, a list of (rule, key, status, value));
(b) a `per store` threshold and a paced `per store` goal over N stores (100,000) and 12
    periods, against a hand-written loop over the same dicts;
(c) the SAADO example on a 12-period history: microseconds per evaluation.
Each figure is the best and the median of R runs ((a): R x 10 samples of 200 calls); in (a)
and (b) planrules and the hand-written code take turns, so that a noisy moment of a shared
machine falls on both. The API runs include reading and validating the snapshot dicts and
building the report, whose results are kept as rows (rule, key, status, value, ...) and made
into `Result` objects when first read; (a) and (b) also show the cost of reading them all.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from planrules.eval.evaluate import load, loads

ROOT = Path(__file__).resolve().parent.parent


def timed(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def timed_in_turns(
    runs: list[Callable[[], object]], samples: int, calls: int
) -> list[tuple[float, float]]:
    """Best and median seconds per call of each run, from samples of `calls` calls each.

    A call of a few microseconds is too short to time alone, so each sample times a batch;
    the runs take turns sample by sample, so that a noisy moment of a shared machine falls
    on all of them alike rather than on one.
    """
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(samples):
        for run, taken in zip(runs, times, strict=True):
            start = time.perf_counter()
            for _ in range(calls):
                run()
            taken.append((time.perf_counter() - start) / calls)
    return [(min(taken), statistics.median(taken)) for taken in times]


# ---- (a) 20 thresholds on one snapshot -----------------------------------------------------

THRESHOLDS = 20


def thresholds_ruleset() -> str:
    lines = ['ruleset "Twenty thresholds"', "currency VND"]
    lines += [f"metric m{i}: money" for i in range(THRESHOLDS)]
    for i in range(THRESHOLDS):
        lines.append(f'threshold "T{i}": m{i} warn above {100 + i} fail above {200 + i}')
    return "\n".join(lines) + "\n"


def thresholds_snapshot() -> dict[str, Any]:
    rng = random.Random(1)
    metrics = {f"m{i}": rng.randint(0, 300) for i in range(THRESHOLDS)}
    return {"period": "2026-07", "metrics": metrics}


WARN_BOUNDS = [Decimal(100 + i) for i in range(THRESHOLDS)]
FAIL_BOUNDS = [Decimal(200 + i) for i in range(THRESHOLDS)]
NAMES = [f"m{i}" for i in range(THRESHOLDS)]
RULES = [f"T{i}" for i in range(THRESHOLDS)]


def thresholds_by_hand(snapshot: dict[str, Any]) -> list[tuple[str, None, str, Decimal]]:
    metrics = snapshot["metrics"]
    results = []
    for rule, name, warn, fail in zip(RULES, NAMES, WARN_BOUNDS, FAIL_BOUNDS, strict=True):
        value = Decimal(metrics[name])
        status = "fail" if value > fail else "warn" if value > warn else "pass"
        results.append((rule, None, status, value))
    return results


def bench_thresholds(repeat: int) -> None:
    ruleset = loads(thresholds_ruleset(), "thresholds.plan")
    snapshot = thresholds_snapshot()
    by_hand = thresholds_by_hand(snapshot)
    report = ruleset.evaluate(snapshot)
    assert [(r.rule, r.status, r.value) for r in report.results] == [
        (rule, status, value) for rule, _, status, value in by_hand
    ]
    api, hand, read = timed_in_turns(
        [
            lambda: ruleset.evaluate(snapshot),
            lambda: thresholds_by_hand(snapshot),
            lambda: list(ruleset.evaluate(snapshot).results),
        ],
        samples=repeat * 10,
        calls=200,
    )
    print("(a) one snapshot, 20 thresholds (per call, from samples of 200 calls)")
    print(f"    planrules  best {api[0] * 1e6:8.1f} us   median {api[1] * 1e6:8.1f} us")
    print(f"    by hand    best {hand[0] * 1e6:8.1f} us   median {hand[1] * 1e6:8.1f} us")
    print(f"    ratio (median) {api[1] / hand[1]:.2f}x   target: at most 3x")
    print(
        f"    planrules, every Result object read too: median {read[1] * 1e6:.1f} us "
        f"({read[1] / hand[1]:.2f}x)"
    )


# ---- (b) per store over 100,000 stores and 12 periods ---------------------------------------

STORES_RULESET = """ruleset "Stores"
currency VND
period 2026-01-01 to 2026-12-31 monthly
metric sales: money by store
table quota: money by store { else 1200 }
threshold "Store sales" per store: sales
    warn below 80
    fail below 50
goal "Store quota" per store: total(sales) >= quota by 2026-12-31
"""
PERIODS = 12
AT = 9  # the current period is the ninth month: the goal is paced at 9/12


def stores_history(stores: int) -> list[dict[str, Any]]:
    rng = random.Random(2)
    names = [f"store-{n:06d}" for n in range(stores)]
    return [
        {
            "period": f"2026-{month:02d}",
            "metrics": {"sales": {name: rng.randint(30, 150) for name in names}},
        }
        for month in range(1, PERIODS + 1)
    ]


QUOTA = Decimal(1200)
WARN_BELOW = Decimal(80)
FAIL_BELOW = Decimal(50)
TOLERANCE = Decimal("0.1")


def stores_by_hand(history: list[dict[str, Any]]) -> list[tuple[str, str, str, Decimal]]:
    """What a careful programmer writes: Decimal, exact pace by cross-multiplying."""
    current = history[AT - 1]["metrics"]["sales"]
    upto = [snapshot["metrics"]["sales"] for snapshot in history[:AT]]
    stores = sorted(set().union(*upto))
    results = []
    for store in stores:
        value = Decimal(current.get(store, 0))
        status = "fail" if value < FAIL_BELOW else "warn" if value < WARN_BELOW else "pass"
        results.append(("Store sales", store, status, value))
    for store in stores:
        total = sum((Decimal(sales.get(store, 0)) for sales in upto), Decimal(0))
        # progress = total / quota against elapsed = AT / PERIODS, cross-multiplied
        if total >= QUOTA or total * PERIODS >= QUOTA * AT:
            status = "pass"
        elif total * PERIODS >= QUOTA * AT * (1 - TOLERANCE):
            status = "warn"
        else:
            status = "fail"
        results.append(("Store quota", store, status, total))
    return results


def bench_stores(stores: int, repeat: int) -> None:
    ruleset = loads(STORES_RULESET, "stores.plan")
    history = stores_history(stores)
    at = f"2026-{AT:02d}"
    report = ruleset.evaluate(history, at=at)
    by_hand = stores_by_hand(history)
    assert [(r.rule, r.key, r.status, r.value) for r in report.results] == by_hand
    api, hand, read = timed_in_turns(
        [
            lambda: ruleset.evaluate(history, at=at),
            lambda: stores_by_hand(history),
            lambda: list(ruleset.evaluate(history, at=at).results),
        ],
        samples=repeat,
        calls=1,
    )
    print(f"(b) per store threshold + paced per store goal, {stores:,} stores, {PERIODS} periods")
    print(f"    planrules  best {api[0]:6.3f} s   median {api[1]:6.3f} s")
    print(f"    by hand    best {hand[0]:6.3f} s   median {hand[1]:6.3f} s")
    print(f"    ratio (median) {api[1] / hand[1]:.2f}x   target: below 1x")
    print(
        f"    planrules, every Result object read too: median {read[1]:.3f} s "
        f"({read[1] / hand[1]:.2f}x)"
    )


# ---- (c) SAADO over 12 months ---------------------------------------------------------------


def saado_history() -> list[dict[str, Any]]:
    rng = random.Random(3)
    history = []
    for month in range(1, PERIODS + 1):
        reps = {"Lan": rng.randint(150, 300), "Minh": rng.randint(100, 250), "Hoa": 90}
        history.append(
            {
                "period": f"2026-{month:02d}",
                "metrics": {
                    "tiep_can": rng.randint(500_000, 900_000),
                    "quan_tam": rng.randint(5_000, 11_000),
                    "chi_phi": {
                        "facebook_ads": rng.randint(90, 120) * 1_000_000,
                        "group": rng.randint(20, 35) * 1_000_000,
                        "profile": rng.randint(10, 20) * 1_000_000,
                        "offline": 20_000_000,
                    },
                    "don_dien_thoai": reps,
                    "don_inbox": {rep: count * 2 for rep, count in reps.items()},
                    "don_quay_lai": rng.randint(100, 200),
                    "doanh_thu": rng.randint(400, 800) * 1_000_000,
                    "doanh_thu_km": rng.randint(100, 300) * 1_000_000,
                    "phan_hoi_tot": rng.randint(250, 350),
                    "phan_hoi_xau": rng.randint(5, 30),
                    "khach_trung_thanh": 200 + month * 40,
                },
            }
        )
    return history


def bench_saado(repeat: int) -> None:
    ruleset = load(str(ROOT / "rulesets" / "saado.plan"))
    history = saado_history()
    best, median = timed(lambda: ruleset.evaluate(history), repeat * 20)
    print("(c) SAADO ruleset, 12-month history")
    print(
        f"    planrules  best {best * 1e6:8.1f} us   median {median * 1e6:8.1f} us per evaluation"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    bench_thresholds(args.repeat)
    bench_stores(args.stores, args.repeat)
    bench_saado(args.repeat)


if __name__ == "__main__":
    main()
