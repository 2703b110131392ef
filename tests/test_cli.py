"""The command line through click's CliRunner: output, exit codes, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from planrules.cli import main
from tests.conftest import RULESETS

GOOD = 'ruleset "r"\nmetric orders: count\nthreshold "t": orders warn below 5\n'
BAD = 'ruleset "r"\nmetric orders: count\nthreshold "t": ordrs warn below 5\n'
MESSY = 'ruleset "r"\nmetric   orders:count # how many\nthreshold "t": orders   warn below 5\n'


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_check_examples_passes(runner: CliRunner) -> None:
    result = runner.invoke(main, ["check", str(RULESETS)])
    assert result.exit_code == 0, result.output
    assert "checked 8 files: 0 errors, 0 warnings" in result.output


def test_check_reports_located_errors(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "plan.plan", BAD)
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == (f"{path}:3:16: unknown-name: `ordrs` is not a metric, table or let")
    assert lines[1] == '    threshold "t": ordrs warn below 5'
    assert lines[2] == "                   ^~~~~"
    assert lines[3] == "    hint: did you mean `orders`?"
    assert lines[-1] == "checked 1 file: 1 error, 0 warnings"


def test_check_warnings_do_not_fail(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "plan.plan", 'ruleset "r"\nmetric orders: count\n')
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 0
    assert "warning no-rules" in result.output


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "is empty"),
        (b"  \n\n", "is empty"),
        (b"\xff\xfe ruleset", "is not UTF-8"),
        (b"\x00\x01\x02binary", "is a binary file"),
    ],
)
def test_check_unreadable_files(
    runner: CliRunner, tmp_path: Path, content: bytes, reason: str
) -> None:
    path = write(tmp_path, "plan.plan", content)
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 2
    assert f"error: {path}: {reason}" in result.output
    assert "Traceback" not in result.output


def test_check_missing_path_and_empty_folder(runner: CliRunner, tmp_path: Path) -> None:
    missing = runner.invoke(main, ["check", str(tmp_path / "nope.plan")])
    assert missing.exit_code == 2
    assert "no such file or folder" in missing.output
    empty = runner.invoke(main, ["check", str(tmp_path)])
    assert empty.exit_code == 2
    assert "holds no .plan files" in empty.output


def test_check_needs_a_path(runner: CliRunner) -> None:
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 2


def test_fmt_rewrites_in_place(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "plan.plan", MESSY)
    result = runner.invoke(main, ["fmt", str(path)])
    assert result.exit_code == 0, result.output
    text = path.read_text("utf-8")
    assert "metric orders: count # how many" in text
    assert runner.invoke(main, ["fmt", "--check", str(path)]).exit_code == 0


def test_fmt_check_and_diff_leave_the_file_alone(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "plan.plan", MESSY)
    checked = runner.invoke(main, ["fmt", "--check", str(path)])
    assert checked.exit_code == 1
    assert f"would reformat {path}" in checked.output
    diffed = runner.invoke(main, ["fmt", "--diff", str(path)])
    assert diffed.exit_code == 0
    assert "-metric   orders:count # how many" in diffed.output
    assert path.read_text("utf-8") == MESSY


def test_fmt_stdin_to_stdout(runner: CliRunner) -> None:
    result = runner.invoke(main, ["fmt", "-"], input=MESSY.encode("utf-8"))
    assert result.exit_code == 0
    assert result.output.startswith('ruleset "r"\n')
    assert "metric orders: count" in result.output


def test_fmt_never_writes_a_file_that_does_not_parse(runner: CliRunner, tmp_path: Path) -> None:
    broken = 'ruleset "r"\nmetric orders count\n'
    path = write(tmp_path, "plan.plan", broken)
    result = runner.invoke(main, ["fmt", str(path)])
    assert result.exit_code == 1
    assert "syntax-error" in result.output
    assert path.read_text("utf-8") == broken


def test_fmt_keeps_the_examples_stable(runner: CliRunner) -> None:
    result = runner.invoke(main, ["fmt", "--check", str(RULESETS)])
    assert result.exit_code == 0, result.output


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0
    assert "planrules" in result.output
