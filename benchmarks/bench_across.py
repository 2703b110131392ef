"""What it would take for `per` rules that read other keys than their own (issue 12, item 1):
`orders / sum(orders)` and `orders - avg(orders)` per rep over 3 months, `evaluate()` against
the whole JSON report (`to_json()`, with `to_pass` for every rep that falls short).

    .venv/bin/python benchmarks/bench_across.py [--reps 500,1000,4000,16000] [--repeat R]

Each key's `to_pass` lists its own orders and the first ten other reps' (the contract's
inputs), so the report grows with the keys that fall short times eleven; its cost must grow
linearly with keys, as `evaluate()`'s does.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from typing import Any

import planrules

RULESET = """ruleset "Reps"
period 2026-01-01 to 2026-12-31 monthly
metric orders: count by rep
threshold "Share" per rep: orders / sum(orders) warn below 0.1%
threshold "Above average" per rep: orders - avg(orders) warn below 0
"""


def history(reps: int) -> list[dict[str, Any]]:
    rng = random.Random(3)
    return [
        {
            "period": f"2026-{month:02d}",
            "metrics": {"orders": {f"r{i:05d}": rng.randint(1, 200) for i in range(reps)}},
        }
        for month in (1, 2, 3)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", default="500,1000,4000,16000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ruleset = planrules.loads(RULESET, filename="reps.plan")
    print("reps     falling short   evaluate()   to_json()   ratio")
    for reps in map(int, args.reps.split(",")):
        snapshots = history(reps)
        evaluations, reports = [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            report = ruleset.evaluate(snapshots)
            evaluated = time.perf_counter()
            report.to_json()
            evaluations.append(evaluated - started)
            reports.append(time.perf_counter() - evaluated)
        short = sum(1 for result in report.results if result.status in ("warn", "fail"))
        evaluate, written = statistics.median(evaluations), statistics.median(reports)
        print(
            f"{reps:<8,} {short:>13,}   {evaluate * 1000:8.1f} ms {written:9.2f} s"
            f"   {written / evaluate:5.0f}x"
        )


if __name__ == "__main__":
    main()
