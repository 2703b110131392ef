"""File to report at scale: `planrules eval` of a `per store` ratio threshold, paced goal and
trigger over 12 months of JSON snapshots, in each report format, timed from the command line
with the peak memory of the process (issue 12, item 2).

    .venv/bin/python benchmarks/bench_large.py [--stores N] [--formats text,json,...]

The ruleset and the snapshots are written to a temporary folder; each format runs in a fresh
process, as a user runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RULESET = """ruleset "Stores"
currency VND
period 2026-01-01 to 2026-12-31 monthly

metric sales: money by store
metric visits: count by store
metric orders: count by store

let conversion = orders / visits

threshold "Conversion" per store: conversion
    warn below 2%
    fail below 1%
    owner "Ops"

goal "Store sales" per store: total(sales) >= 120 million by 2026-12-31 owner "Sales"

trigger "Slow store" per store when orders < 20 for 2 periods {
    recommend "Coach {key}"
}
"""


def snapshots(stores: int) -> list[dict[str, object]]:
    rng = random.Random(7)
    history = []
    for month in range(1, 13):
        sales, visits, orders = {}, {}, {}
        for index in range(stores):
            key = f"S{index:06d}"
            visits[key] = rng.randint(500, 2000)
            orders[key] = rng.randint(5, 60)
            sales[key] = rng.randint(5, 15) * 1_000_000
        metrics = {"sales": sales, "visits": visits, "orders": orders}
        history.append({"period": f"2026-{month:02d}", "metrics": metrics})
    return history


def run(folder: Path, report_format: str) -> tuple[float, float]:
    """Seconds and peak memory (MB) of one `planrules eval` in a fresh process."""
    command = [sys.executable, "-m", "planrules", "eval", str(folder / "stores.plan")]
    command += [str(folder / "stores.json"), "--format", report_format]
    command += ["-o", str(folder / f"report.{report_format}")]
    errors = folder / "stderr.txt"
    with errors.open("wb") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
        # wait4 gives this child's own resource use: its peak memory, not the largest so far.
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        error = errors.read_text(encoding="utf-8", errors="replace")
        raise SystemExit(f"planrules eval --format {report_format} failed:\n{error}")
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=100_000)
    parser.add_argument("--formats", default="text,markdown,json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "stores.plan").write_text(RULESET, encoding="utf-8")
        data = json.dumps(snapshots(args.stores))
        (folder / "stores.json").write_text(data, encoding="utf-8")
        size = len(data) / 2**20
        print(f"{args.stores:,} stores x 12 months: {size:.0f} MiB of JSON")
        for report_format in args.formats.split(","):
            seconds, peak = run(folder, report_format)
            print(f"  --format {report_format:<9} {seconds:6.2f} s   peak {peak:,.0f} MB")


if __name__ == "__main__":
    main()
