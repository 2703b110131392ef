"""Parse and check a generated ruleset of about 5,000 lines mixing every kind of declaration.

Run: .venv/bin/python benchmarks/bench_check.py [--lines N] [--repeat R]
Prints the line count and the best and median wall time of parse + check over R runs.

Run: .venv/bin/python benchmarks/bench_check.py --startup [--repeat R]
Prints the best and median wall time, over R fresh processes each, of `planrules check
rulesets/saado.plan` and of `python -c "import planrules"`: once with the modules' bytecode
cached, as an installed package runs, and once with every module compiled from its source on
each run, as under PYTHONDONTWRITEBYTECODE=1 in a checkout.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from planrules.lang.build import lark_parser
from planrules.lang.check import check_source
from planrules.lang.source import Source

HEADER = """ruleset "Generated benchmark plan"
currency VND
period 2026-01-01 to 2026-12-31 monthly
"""


def block(i: int) -> str:
    """One group of declarations (about 50 lines) with names made unique by `i`."""
    return f"""
# group {i}
metric reach_{i}: count "People reached, group {i}"
metric leads_{i}: count
metric orders_{i}: count
metric revenue_{i}: money
metric spend_{i}: money by channel_{i}
metric orders_by_rep_{i}: count by rep
metric customers_{i}: count stock
metric satisfaction_{i}: ratio
table quota_{i}: count by rep {{ Lan 120  Minh 90  "Hồng" 80  else 60 }}
let conversion_{i} = orders_{i} / leads_{i}
let cpa_{i} = sum(spend_{i}) / orders_{i}
let share_{i} = spend_{i} / sum(spend_{i})
let trend_{i} = growth(rolling_avg(revenue_{i}, 3))

goal "Revenue {i}": total(revenue_{i}) >= 2 tỷ by 2026-12-31 tolerance 15% owner "Sales"
goal "Leads {i}": total(leads_{i}) >= 1000 by 2026-03-31 phased 30% 30% 40%
goal "Quota {i}" per rep: total(orders_by_rep_{i}) >= quota_{i} by 2026-12-31
goal "Customers {i}": customers_{i} >= 5000 by 2026-12-31 from 3000

threshold "Cost per order {i}": cpa_{i}
    warn above 150 thousand
    fail above 200 thousand
    owner "Marketing"

threshold "Orders per rep {i}" per rep: orders_by_rep_{i}
    warn below 30
    fail below 20

threshold "Satisfaction {i}": satisfaction_{i} warn below 80% fail below 60%

budget "Mix {i}" total 1549 million VND for spend_{i} tolerance 10% {{
    advertising       340 million  share 20% .. 25%
    direct_marketing  100 million  share <= 10%
    personal_selling  435 million
    sales_promotion   324 million  share >= 15%
    public_relations  350 million
}} owner "CMO"

trigger "Slump {i}" when conversion_{i} < 2% and change(leads_{i}) < 0 for 2 periods
        cooldown 1 period severity warn {{
    shift 10% from advertising to sales_promotion in "Mix {i}"
    recommend "Conversion is {{conversion_{i}}}: review the scripts ({{{{group {i}}}}})"
}} owner "Sales lead"

trigger "Costly channel {i}" per channel_{i} when share_{i} > 40% for 2 of 3 periods {{
    shift 5% from key to personal_selling in "Mix {i}"
    scale public_relations by -5% in "Mix {i}"
    recommend "{{key}} takes {{share_{i}}} of spend"
}}
"""


def generate(lines: int) -> str:
    parts = [HEADER]
    count = HEADER.count("\n")
    i = 0
    while count < lines:
        text = block(i)
        parts.append(text)
        count += text.count("\n")
        i += 1
    return "".join(parts)


def _wall_times(command: list[str], environment: dict[str, str], repeat: int) -> list[float]:
    """The wall time of `command` in `repeat` fresh processes, after one run to warm caches."""
    times = []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        subprocess.run(command, env=environment, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return times[1:]


def startup(repeat: int) -> None:
    ruleset = Path(__file__).resolve().parents[1] / "rulesets" / "saado.plan"
    script = shutil.which("planrules", path=os.path.dirname(sys.executable))
    check = [script] if script else [sys.executable, "-m", "planrules"]
    commands = {
        "planrules check rulesets/saado.plan": [*check, "check", str(ruleset)],
        'python -c "import planrules"': [sys.executable, "-c", "import planrules"],
        'python -c "pass" (the interpreter alone)': [sys.executable, "-c", "pass"],
    }
    with tempfile.TemporaryDirectory(prefix="planrules-bytecode-") as bytecode:
        cached = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        cached["PYTHONPYCACHEPREFIX"] = bytecode  # the checkout is left as it is
        from_source = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        from_source.pop("PYTHONPYCACHEPREFIX", None)
        for title, environment in (
            ("bytecode cached (as installed)", cached),
            ("every module compiled from source (PYTHONDONTWRITEBYTECODE=1)", from_source),
        ):
            print(f"start-up, {title}, {repeat} fresh processes each:")
            for name, command in commands.items():
                times = _wall_times(command, environment, repeat)
                print(
                    f"  {name}: best {min(times) * 1000:.0f} ms, "
                    f"median {statistics.median(times) * 1000:.0f} ms"
                )


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--lines", type=int, default=5000)
    options.add_argument("--repeat", type=int, default=None)
    options.add_argument(
        "--startup", action="store_true", help="time fresh `planrules check` processes instead"
    )
    args = options.parse_args()
    if args.startup:
        startup(args.repeat or 20)
        return
    repeat = args.repeat or 7
    text = generate(args.lines)
    source = Source.from_text("generated.plan", text)
    started = time.perf_counter()
    lark_parser()
    built = time.perf_counter() - started
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        checked = check_source(source)
        times.append(time.perf_counter() - started)
    errors = [d for d in checked.diagnostics if d.is_error]
    if errors:
        raise SystemExit(f"the generated ruleset has errors: {errors[:3]}")
    print(f"parse + check of a {text.count(chr(10))}-line ruleset, {len(checked.rules)} rules")
    print(f"  grammar built once per process: {built * 1000:.0f} ms")
    print(f"  best {min(times) * 1000:.0f} ms, median {statistics.median(times) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
