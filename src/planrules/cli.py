"""The `planrules` command: thin click commands over the public API."""

from __future__ import annotations

import difflib
import os
import stat
import sys
import tempfile
from collections.abc import Sequence
from typing import NoReturn

import click

from planrules import __version__
from planrules.check import check_file
from planrules.diagnostics import Diagnostic, InputError, PlanError, format_diagnostic
from planrules.fmt import FormatResult, format_source
from planrules.source import Source
from planrules.workspace import decode_source, find_plan_files, read_source

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_UNUSABLE = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="planrules")
def main() -> None:
    """Check, format and run rulesets for business plans."""


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _files(paths: Sequence[str]) -> list[str]:
    try:
        return find_plan_files(paths)
    except InputError as problem:
        _fail_unusable(problem)


def _fail_unusable(problem: PlanError) -> NoReturn:
    click.echo(f"error: {problem}", err=True)
    sys.exit(EXIT_UNUSABLE)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
def check(paths: tuple[str, ...]) -> None:
    """Check rulesets for errors; PATHS are files or folders searched for *.plan."""
    errors = warnings = 0
    unreadable = False
    files = _files(paths)
    # A test file checks its ruleset again; each problem is shown once.
    shown: set[Diagnostic] = set()
    for path in files:
        try:
            checked = check_file(path)
        except InputError as problem:
            click.echo(f"error: {problem}", err=True)
            unreadable = True
            continue
        for diagnostic in checked.diagnostics:
            if diagnostic in shown:
                continue
            shown.add(diagnostic)
            source = checked.sources.get(diagnostic.span.file)
            click.echo(format_diagnostic(diagnostic, source))
            errors += diagnostic.is_error
            warnings += not diagnostic.is_error
    click.echo(
        f"checked {_plural(len(files), 'file')}: {_plural(errors, 'error')}, "
        f"{_plural(warnings, 'warning')}",
        err=True,
    )
    if unreadable:
        sys.exit(EXIT_UNUSABLE)
    sys.exit(EXIT_PROBLEMS if errors else EXIT_OK)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--check", "check_only", is_flag=True, help="List files that would change; exit 1.")
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff, change nothing.")
def fmt(paths: tuple[str, ...], check_only: bool, show_diff: bool) -> None:
    """Rewrite rulesets in the canonical layout; `-` reads standard input."""
    if "-" in paths:
        if len(paths) > 1:
            raise click.UsageError("`-` (standard input) cannot be mixed with files")
        sys.exit(_format_stdin(check_only, show_diff))
    outcome = EXIT_OK
    for path in _files(paths):
        try:
            source = read_source(path)
        except InputError as problem:
            click.echo(f"error: {problem}", err=True)
            outcome = EXIT_UNUSABLE
            continue
        outcome = max(outcome, _format_file(source, check_only, show_diff))
    sys.exit(outcome)


def _format_stdin(check_only: bool, show_diff: bool) -> int:
    try:
        source = decode_source("<stdin>", sys.stdin.buffer.read())
    except InputError as problem:
        click.echo(f"error: {problem}", err=True)
        return EXIT_UNUSABLE
    return _format_file(source, check_only, show_diff, to_stdout=True)


def _format_file(source: Source, check_only: bool, show_diff: bool, to_stdout: bool = False) -> int:
    result = format_source(source)
    if result.text is None:
        _print_format_problems(result, source)
        return EXIT_PROBLEMS
    if check_only or show_diff:
        return _report_change(source, result.text, check_only, show_diff)
    if to_stdout:
        click.echo(result.text, nl=False)
    elif result.text != source.text:
        _write_safely(source.path, result.text)
        click.echo(f"formatted {source.path}", err=True)
    return EXIT_OK


def _report_change(source: Source, formatted: str, check_only: bool, show_diff: bool) -> int:
    if formatted == source.text:
        return EXIT_OK
    if show_diff:
        diff = difflib.unified_diff(
            source.text.splitlines(keepends=True),
            formatted.splitlines(keepends=True),
            fromfile=source.path,
            tofile=f"{source.path} (formatted)",
        )
        click.echo("".join(diff), nl=False)
    if check_only:
        click.echo(f"would reformat {source.path}")
        return EXIT_PROBLEMS
    return EXIT_OK


def _print_format_problems(result: FormatResult, source: Source) -> None:
    for diagnostic in result.diagnostics:
        click.echo(format_diagnostic(diagnostic, source), err=True)
    click.echo(f"{source.path}: not formatted, it has errors", err=True)


def _write_safely(path: str, text: str) -> None:
    """Write through a temporary file and rename, so a failure never leaves half a file."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".planrules-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.chmod(temporary, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
