"""Small things of issue 11, item 7: each input problem names its place and says what it is."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner

from planrules.cli import main
from planrules.eval.evaluate import load

RULESET = 'ruleset "x"\nmetric revenue: money\nthreshold "t": revenue warn above 1\n'


def run(tmp_path: Path, *args: str) -> tuple[int, str]:
    os.chdir(tmp_path)
    found = CliRunner().invoke(main, list(args))
    return found.exit_code, found.output


def write(folder: Path, name: str, data: str | bytes) -> str:
    path = folder / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return name


def test_an_empty_snapshot_list_and_a_header_only_csv_name_their_file(tmp_path: Path) -> None:
    plan = write(tmp_path, "x.plan", RULESET)
    for name, data in (("empty.json", "[]"), ("header.csv", "period,revenue\n")):
        write(tmp_path, name, data)
        code, output = run(tmp_path, "eval", plan, name)
        assert code == 2
        assert f"error: {name}: holds no snapshots" in output


def test_a_loop_of_links_says_so(tmp_path: Path) -> None:
    plan = write(tmp_path, "x.plan", RULESET)
    (tmp_path / "a.json").symlink_to(tmp_path / "b.json")
    (tmp_path / "b.json").symlink_to(tmp_path / "a.json")
    code, output = run(tmp_path, "eval", plan, "a.json")
    assert code == 2 and "symbolic links lead round in a loop" in output


def test_a_count_past_the_limit_states_the_limit(tmp_path: Path) -> None:
    plan = write(
        tmp_path, "r.plan", RULESET.replace("revenue warn", "rolling_sum(revenue, 3000000) warn")
    )
    code, output = run(tmp_path, "check", plan)
    assert code == 1
    assert "counts periods: a whole number from 1 to 1,000,000" in output


def test_lone_carriage_returns_count_as_lines(tmp_path: Path) -> None:
    plan = write(
        tmp_path,
        "cr.plan",
        RULESET.replace("revenue warn", "revenu warn").replace("\n", "\r").encode(),
    )
    code, output = run(tmp_path, "check", plan)
    assert code == 1 and "cr.plan:3:16: unknown-name" in output


def test_zero_reads_as_zero_whatever_its_exponent(tmp_path: Path) -> None:
    write(tmp_path, "x.plan", RULESET)
    ruleset = load(str(tmp_path / "x.plan"))
    values = []
    for number in ("0.0e-99999999999999999999", "0e999999999", "-0E+99999999999999999999"):
        name = write(
            tmp_path, "z.json", f'{{"period": "2026-07", "metrics": {{"revenue": {number}}}}}'
        )
        report = ruleset.evaluate(ruleset.read([str(tmp_path / name)]))
        values.append(report.results[0].value)
    assert values == [0, 0, 0]
