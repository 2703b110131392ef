"""Time and peak memory to read a 100,000-row workbook in the long layout, against the same
values as a CSV file (the wide form: a row per day, a column per store).

    .venv/bin/python benchmarks/bench_workbook.py [--rows N] [--stores N] [--repeat R]

Each read runs in a fresh process, so that its peak resident memory (ru_maxrss) is its own;
the figure given is that peak less the same process's peak before reading (imports done).
Needs the `xlsx` extra (python-calamine, openpyxl).
"""

from __future__ import annotations

import argparse
import datetime
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHAPES = {"sales": True}


def write_files(folder: Path, rows: int, stores: int) -> tuple[Path, Path]:
    import openpyxl

    days = rows // stores
    start = datetime.date(2026, 1, 1)
    labels = [(start + datetime.timedelta(days=d)).isoformat() for d in range(days)]
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Data")
    sheet.append(["period", "metric", "key", "value"])
    for day, label in enumerate(labels):
        for store in range(stores):
            sheet.append([label, "sales", f"s{store}", (day * 7 + store) % 1000 + 0.25])
    workbook = folder / "long.xlsx"
    book.save(workbook)
    csv = folder / "wide.csv"
    header = ",".join(["period", *(f"sales.s{store}" for store in range(stores))])
    lines = [header]
    for day, label in enumerate(labels):
        values = (f"{(day * 7 + store) % 1000 + 0.25}" for store in range(stores))
        lines.append(",".join([label, *values]))
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return workbook, csv


def read_once(path: str) -> None:
    """In a child process: read the file once, print seconds and extra peak KiB."""
    from planrules.eval.history import read_snapshot_file

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.perf_counter()
    snapshots = read_snapshot_file(path, SHAPES, cadence="daily")
    seconds = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    values = sum(len(s.metrics["sales"]) for s in snapshots)  # type: ignore[arg-type]
    print(f"{seconds} {peak - before} {values}")


def measure(path: Path, repeat: int) -> tuple[list[float], list[int], int]:
    seconds, memory, values = [], [], 0
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, __file__, "--read", str(path)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        seconds.append(float(out[0]))
        memory.append(int(out[1]))
        values = int(out[2])
    return seconds, memory, values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--stores", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--read", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read:
        read_once(args.read)
        return
    with tempfile.TemporaryDirectory() as folder:
        workbook, csv = write_files(Path(folder), args.rows, args.stores)
        print(f"{args.rows:,} values: {args.rows // args.stores} days x {args.stores} stores")
        for label, path in (("xlsx, long layout", workbook), ("CSV, wide form", csv)):
            seconds, memory, values = measure(path, args.repeat)
            size = path.stat().st_size / 2**20
            print(
                f"{label:18} {size:6.1f} MiB  median {statistics.median(seconds):.3f} s "
                f"(best {min(seconds):.3f} s)  peak +{max(memory) / 1024:.0f} MiB  "
                f"({values:,} values read)"
            )


if __name__ == "__main__":
    main()
