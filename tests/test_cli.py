"""The command line through click's CliRunner: output, exit codes, bad input."""

from __future__ import annotations

import os
import stat
import tempfile
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
    assert "checked 10 files: 0 errors, 0 warnings" in result.output


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


# ---- deep and long input -------------------------------------------------------------------

DEEP = 'ruleset "r"\nmetric orders: count\nlet x = ' + "(" * 10_000 + "orders" + ")" * 10_000 + "\n"
LONG = (
    'ruleset "r"\nmetric orders: count\nthreshold "t": '
    + "+".join(["orders"] * 5000)
    + " warn below 5\n"
)


def test_check_refuses_deep_nesting_without_a_traceback(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "deep.plan", DEEP)
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 1, result.output
    assert f"{path}:3:109: expression-too-deep: expression nested more than 100 levels" in (
        result.output
    )
    assert not isinstance(result.exception, RecursionError)


def test_check_takes_a_long_chain_of_operators(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["check", str(write(tmp_path, "long.plan", LONG))])
    assert result.exit_code == 0, result.output


def test_fmt_leaves_deep_nesting_alone(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "deep.plan", DEEP)
    result = runner.invoke(main, ["fmt", str(path)])
    assert result.exit_code == 1
    assert "expression-too-deep" in result.output
    assert f"{path}: not formatted, it has errors" in result.output
    assert path.read_text("utf-8") == DEEP


def test_fmt_formats_a_long_chain_of_operators(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "long.plan", LONG)
    result = runner.invoke(main, ["fmt", str(path)])
    assert result.exit_code == 0, result.output
    assert " + ".join(["orders"] * 5000) in path.read_text("utf-8")


# ---- paths the system refuses --------------------------------------------------------------


@pytest.mark.parametrize("name", ["x" * 5000 + ".plan", "x" * 300 + "/plan.plan"])
def test_a_path_too_long_is_one_error_line(runner: CliRunner, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    for command in ("check", "fmt"):
        result = runner.invoke(main, [command, str(path)])
        assert result.exit_code == 2, result.output
        assert result.output.startswith(f"error: {path}: ")
        assert "Traceback" not in result.output
        assert not isinstance(result.exception, OSError)


@pytest.mark.parametrize("used", ["x" * 5000 + ".plan", "x" * 300 + ".plan"])
def test_use_of_a_path_too_long_is_use_missing(
    runner: CliRunner, tmp_path: Path, used: str
) -> None:
    path = write(tmp_path, "plan.plan", GOOD.replace("\n", f'\nuse "{used}"\n', 1))
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 1, result.output
    assert f'{path}:2:1: use-missing: cannot use "{used}": cannot be read (' in result.output


# ---- where fmt writes ----------------------------------------------------------------------


def test_fmt_writes_through_a_link_to_its_target(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = write(tmp_path / "real", "plan.plan", MESSY)
    target.chmod(0o640)
    link = tmp_path / "link.plan"
    link.symlink_to(target)
    result = runner.invoke(main, ["fmt", str(link)])
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert "metric orders: count # how many" in target.read_text("utf-8")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in target.parent.iterdir()] == ["plan.plan"]


def test_fmt_does_not_rewrite_a_read_only_file(runner: CliRunner, tmp_path: Path) -> None:
    read_only = write(tmp_path, "a.plan", MESSY)
    read_only.chmod(0o444)
    other = write(tmp_path, "b.plan", MESSY)
    result = runner.invoke(main, ["fmt", str(read_only), str(other)])
    assert result.exit_code == 2
    assert f"error: {read_only}: cannot be written (read-only)" in result.output
    assert read_only.read_text("utf-8") == MESSY
    assert f"formatted {other}" in result.output
    assert other.read_text("utf-8") != MESSY


def test_fmt_in_a_folder_it_cannot_write_in(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "plan.plan", MESSY)

    def refuse(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    result = runner.invoke(main, ["fmt", str(path)])
    assert result.exit_code == 2
    assert result.output == f"error: {path}: cannot be written: Permission denied\n"
    assert path.read_text("utf-8") == MESSY


def test_fmt_that_fails_while_writing_leaves_the_file_whole(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "plan.plan", MESSY)

    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    result = runner.invoke(main, ["fmt", str(path)])
    assert result.exit_code == 2
    assert f"error: {path}: cannot be written: No space left on device" in result.output
    assert path.read_text("utf-8") == MESSY
    assert [p.name for p in tmp_path.iterdir()] == ["plan.plan"]


# ---- excerpts --------------------------------------------------------------------------------


def test_excerpts_count_lines_as_the_lexer_does(runner: CliRunner, tmp_path: Path) -> None:
    # U+2028 and a form feed end a line for str.splitlines, but not for the lexer.
    text = 'ruleset "r"\n# notes\u2028more\x0cnotes\n' + BAD.split("\n", 1)[1]
    path = write(tmp_path, "plan.plan", text)
    result = runner.invoke(main, ["check", str(path)])
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{path}:4:16: unknown-name:")
    assert lines[1] == '    threshold "t": ordrs warn below 5'


# ---- every syntax error at once, and the checker's new warnings ----------------------------


def test_check_reports_every_syntax_error_at_once(runner: CliRunner, tmp_path: Path) -> None:
    text = (
        'ruleset "Kế hoạch"\ncurrency VND\n'
        "metric doanh_thu money\n"
        "metric chi_phi: money by kenh\n"
        'budget "Quý 3" total 1.2 tỷ for chi_phi {\n'
        "    zalo    21,95%\n"
        "    tiktok  300 triệu\n"
        "}\n"
        'goal "Doanh thu": total(doanh_thu) >= 2 tỷ by 30/09/2026\n'
    )
    path = write(tmp_path, "plan.plan", text)
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    headers = [line for line in result.output.splitlines() if line.startswith(str(path))]
    assert headers == [
        f"{path}:3:18: syntax-error: expected ':', found a name 'money'",
        f"{path}:6:13: locale-number: `21,95%` has a decimal comma, but in a ruleset a comma "
        "separates arguments",
        f"{path}:9:47: syntax-error: expected a date such as 2026-09-30, found a number '30'",
    ]
    assert "    hint: decimals are written with a point: `21.95%`" in result.output
    assert result.output.splitlines()[-1] == "checked 1 file: 3 errors, 0 warnings"


def test_check_warns_of_unused_names_and_unpaced_goals_without_failing(
    runner: CliRunner, tmp_path: Path
) -> None:
    text = (
        'ruleset "r"\ncurrency VND\nperiod 2026-07-01 to 2026-09-30 monthly\n'
        "metric revenue: money\nmetric reach: count\n"
        'goal "Revenue": revenue >= 2 billion by 2026-09-30\n'
    )
    path = write(tmp_path, "plan.plan", text)
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 0
    headers = [line for line in result.output.splitlines() if line.startswith(str(path))]
    assert headers == [
        f"{path}:5:1: warning unused: metric `reach` is declared but nothing reads it",
        f'{path}:6:17: warning unpaced-goal: goal "Revenue" is not paced: `revenue` is one '
        "period's figure, so until 2026-09-30 it warns unless it already holds",
    ]
    assert result.output.splitlines()[-1] == "checked 1 file: 0 errors, 2 warnings"
