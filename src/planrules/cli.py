"""The `planrules` command: thin click commands over the public API.

Each command imports what it uses when it runs, so that `planrules check` does not load the
evaluator and the reports, nor `planrules --help` the parser.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

import click

from planrules import __version__
from planrules.formats import LOCALES, REPLAY_FORMATS, REPORT_FORMATS
from planrules.lang.diagnostics import Diagnostic, InputError, PlanError, format_diagnostic
from planrules.lang.escape import printable, visible
from planrules.lang.messages import Message, said_by
from planrules.lang.source import Source
from planrules.lang.workspace import (
    RULESET_LIMIT,
    Access,
    decode_source,
    find_plan_files,
    is_test_file,
    read_source,
    size_text,
)

if TYPE_CHECKING:
    from planrules.eval.evaluate import Ruleset
    from planrules.eval.testing import TestFileRun
    from planrules.lang.check import Checked
    from planrules.lang.fmt import FormatResult
    from planrules.report.model import DataWarning

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_UNUSABLE = 2


class _EscapedUsageError(click.UsageError):
    """A usage error as click words it, with the user's text in it (an option, a value, a
    path) escaped: not every message of every click version quotes it safely."""

    def __init__(self, problem: click.UsageError) -> None:
        super().__init__(visible(problem.format_message()), problem.ctx)


@contextlib.contextmanager
def _escaped_usage_errors() -> Iterator[None]:
    try:
        yield
    except click.exceptions.NoArgsIsHelpError:
        raise  # the help, for a command line with no arguments: it quotes none
    except click.UsageError as problem:
        raise _EscapedUsageError(problem) from problem


class _Main(click.Group):
    """The command group, whose usage errors print the user's text escaped, so that click's
    "Usage: ..." and "Error: ..." lines send a terminal no command either."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        # The program's name, from the command line too, heads every usage line.
        name = visible(info_name) if info_name is not None else None
        with _escaped_usage_errors():
            return super().make_context(name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        # A command's own arguments are parsed here, once it is known which command it is.
        with _escaped_usage_errors(), _collector_paused():
            return super().invoke(ctx)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a command runs: the CLI owns its process, and an
    evaluation makes a great many small objects and no cycles, which the collector would walk
    again and again (a third of a 100,000-key evaluation). The library itself never pauses
    it. Switched back on afterwards, only if it was on."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="planrules")
def main() -> None:
    """Check, format and run rulesets for business plans."""


def _files(paths: Sequence[str]) -> list[str]:
    # A folder named on the command line is one the user meant: its files may use each other.
    click.get_current_context().meta[_FOLDERS] = [p for p in paths if os.path.isdir(p)]
    try:
        return find_plan_files(paths)
    except InputError as problem:
        _fail_unusable(problem)


def _say(text: str, err: bool = False) -> None:
    """One message, its text from the input (paths, names, keys) with control characters
    shown as escapes, so that it cannot send the terminal a command."""
    click.echo(printable(text), err=err)


def _fail_unusable(problem: PlanError) -> NoReturn:
    _say_error(problem)
    sys.exit(EXIT_UNUSABLE)


def _say_error(problem: PlanError | Message) -> None:
    """`error: …` on standard error, in the language spoken where the problem is a message."""
    from planrules.i18n import _, spoken

    said = said_by(problem) if isinstance(problem, PlanError) else problem
    _say(_("error: {problem}").format(problem=spoken(said)), err=True)


# ---- which files a command may read --------------------------------------------------------

_ALLOWED = "planrules.allowed"
_FOLDERS = "planrules.folders"
_MAX_SIZE = "planrules.max_input_size"
_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


class _Size(click.ParamType[int, object]):
    """A size in bytes: `1000000`, `512K`, `10M`, `1G` (or `10MiB`, `10MB`: powers of 1024)."""

    name = "SIZE"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip().lower().removesuffix("b").removesuffix("i")
        number = text.rstrip("kmg")
        unit = text[len(number) :]
        if not number.isdigit() or len(unit) > 1 or not 0 < int(number) < 2**50:
            self.fail(f"{value!r} is not a size such as 1048576, 512K, 10M or 1G", param, ctx)
        return int(number) * _SIZE_UNITS[unit]


def _remember(ctx: click.Context, param: click.Parameter, value: object) -> object:
    ctx.meta[_ALLOWED if param.name == "allow_path" else _MAX_SIZE] = value
    return value


def _input_options(command: Callable[..., None]) -> Callable[..., None]:
    """`--allow-path` and `--max-input-size`, for every command that reads rulesets."""
    command = click.option(
        "--max-input-size",
        type=_Size(),
        expose_value=False,
        callback=_remember,
        help=f"The largest file read, in bytes (or 512K, 10M, 1G); by default "
        f"{size_text(RULESET_LIMIT)} for rulesets, 1 GiB for snapshots.",
    )(command)
    return click.option(
        "--allow-path",
        multiple=True,
        metavar="DIR",
        type=click.Path(file_okay=False),
        expose_value=False,
        callback=_remember,
        help="Let `use` and `snapshots` reach files below DIR too (repeatable); by default "
        "only files below the folder of the file checked.",
    )(command)


def _locale_option(command: Callable[..., None]) -> Callable[..., None]:
    """`--locale`, for every command that reads snapshot files."""
    return click.option(
        "--locale",
        type=click.Choice(LOCALES),
        help="How text numbers in CSV files and workbooks are written: vi reads 1.549.000 "
        "and 3,7; en and zh read 1,549,000 and 3.7 (default: the ruleset's `locale`, else en).",
    )(command)


def _roll_up_option(command: Callable[..., None]) -> Callable[..., None]:
    """`--roll-up`, for every command that reads snapshot files."""
    return click.option(
        "--roll-up",
        is_flag=True,
        help="Roll snapshots of a finer cadence (days, weeks) up into the ruleset's: flows "
        "summed, stocks the period's last (as the header `roll up` does).",
    )(command)


def _lang_option(command: Callable[..., None]) -> Callable[..., None]:
    """`--lang`, for every command that writes a report for people."""
    return click.option(
        "--lang",
        type=click.Choice(LOCALES),
        help="The language and number format of the report (default: the ruleset's `locale`, "
        "else en; vi and zh need the i18n extra). JSON stays English.",
    )(command)


_HEADER_LOCALES = "planrules.header_locales"


@contextlib.contextmanager
def _speaking(lang: str | None, header_locale: str | None = None) -> Iterator[None]:
    """The CLI's own words and the reports in `lang`, else the ruleset's `locale` header,
    else English; a language whose extra is missing is a usage error saying what to install."""
    from planrules.i18n import MissingExtra, speaking

    try:
        with speaking(lang or header_locale):
            yield
    except MissingExtra as problem:
        raise click.UsageError(str(problem)) from None


def _diagnostic_text(diagnostic: Diagnostic, checked: Checked, lang: str | None) -> str:
    """A diagnostic as `format_diagnostic` writes it, in `lang`, else the checked file's
    `locale` header (where it checked far enough to read it), else English."""
    from planrules.i18n import spoken

    with _speaking(lang, checked.locale):
        return format_diagnostic(diagnostic, checked.sources.get(diagnostic.span.file), spoken)


def _access(path: str) -> Access:
    """Where the ruleset at `path` may reach, and the limit on the size of files read."""
    meta = click.get_current_context().meta
    allowed = [*meta.get(_ALLOWED, ()), *meta.get(_FOLDERS, ())]
    return Access.below(path, allowed, meta.get(_MAX_SIZE))


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@_lang_option
@_input_options
def check(paths: tuple[str, ...], lang: str | None) -> None:
    """Check rulesets for errors; PATHS are files or folders searched for *.plan."""
    from planrules.lang.check import check_file

    errors = warnings = 0
    unreadable = False
    files = _files(paths)
    # A test file checks its ruleset again; each problem is shown once.
    shown: set[Diagnostic] = set()
    for path in files:
        try:
            checked = check_file(path, access=_access(path))
        except InputError as problem:
            with _speaking(lang):
                _say_error(problem)
            unreadable = True
            continue
        click.get_current_context().meta.setdefault(_HEADER_LOCALES, []).append(checked.locale)
        for diagnostic in checked.diagnostics:
            if diagnostic in shown:
                continue
            shown.add(diagnostic)
            click.echo(_diagnostic_text(diagnostic, checked, lang))
            errors += diagnostic.is_error
            warnings += not diagnostic.is_error
    with _speaking(lang, _shared_header_locale()):
        click.echo(_check_summary(len(files), errors, warnings), err=True)
    if unreadable:
        sys.exit(EXIT_UNUSABLE)
    sys.exit(EXIT_PROBLEMS if errors else EXIT_OK)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--check", "check_only", is_flag=True, help="List files that would change; exit 1.")
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff, change nothing.")
@_lang_option
@_input_options
def fmt(paths: tuple[str, ...], check_only: bool, show_diff: bool, lang: str | None) -> None:
    """Rewrite rulesets in the canonical layout; `-` reads standard input."""
    if "-" in paths:
        if len(paths) > 1:
            raise click.UsageError("`-` (standard input) cannot be mixed with files")
        sys.exit(_format_stdin(check_only, show_diff, lang))
    outcome = EXIT_OK
    with _speaking(lang):
        files = _files(paths)
    for path in files:
        try:
            source = read_source(path, _access(path).ruleset_limit)
        except InputError as problem:
            with _speaking(lang):
                _say_error(problem)
            outcome = EXIT_UNUSABLE
            continue
        outcome = max(outcome, _format_file(source, check_only, show_diff, lang))
    sys.exit(outcome)


@main.command("lsp")
@click.option(
    "--stdio",
    is_flag=True,
    help="Standard input and output, the one transport (for clients that name it).",
)
def lsp_command(stdio: bool) -> None:
    """Speak the Language Server Protocol on standard input and output, for editors."""
    try:
        from planrules.lsp.server import serve
    except ImportError as missing:
        raise click.ClickException(
            f"the language server needs the `lsp` extra ({missing.name} is not installed): "
            "pip install 'planrules[lsp]'"
        ) from None
    serve()


def _check_summary(files: int, errors: int, warnings: int) -> str:
    from planrules.i18n import _, ngettext

    return _("checked {files}: {errors}, {warnings}").format(
        files=ngettext("{count} file", "{count} files", files).format(count=files),
        errors=ngettext("{count} error", "{count} errors", errors).format(count=errors),
        warnings=ngettext("{count} warning", "{count} warnings", warnings).format(count=warnings),
    )


def _format_stdin(check_only: bool, show_diff: bool, lang: str | None) -> int:
    try:
        limit = _access("-").ruleset_limit
        data = sys.stdin.buffer.read(limit + 1)
        if len(data) > limit:
            raise InputError("<stdin>", f"is larger than {size_text(limit)}, the limit")
        source = decode_source("<stdin>", data)
    except InputError as problem:
        with _speaking(lang):
            _say_error(problem)
        return EXIT_UNUSABLE
    return _format_file(source, check_only, show_diff, lang, to_stdout=True)


def _format_file(
    source: Source, check_only: bool, show_diff: bool, lang: str | None, to_stdout: bool = False
) -> int:
    """Format one file; what is said to people is in `lang`, else the file's `locale` header
    (where it parsed far enough to read it), else English."""
    from planrules.i18n import LANGUAGES
    from planrules.lang.fmt import format_source

    result = format_source(source)
    with _speaking(lang, result.locale if result.locale in LANGUAGES else None):
        return _write_formatted(source, result, check_only, show_diff, to_stdout)


def _write_formatted(
    source: Source, result: FormatResult, check_only: bool, show_diff: bool, to_stdout: bool
) -> int:
    from planrules.i18n import _

    if result.text is None:
        _print_format_problems(result, source)
        return EXIT_PROBLEMS
    if check_only or show_diff:
        return _report_change(source, result.text, check_only, show_diff)
    if to_stdout:
        # The bytes exactly: click.echo would strip escape sequences when not on a terminal.
        sys.stdout.flush()
        out = sys.stdout.buffer
        out.write(result.text.encode("utf-8"))
        out.flush()
    elif result.text != source.text:
        problem = _write_problem(source.path, result.text)
        if problem is not None:
            _say_error(Message("{path}: {reason}", path=source.path, reason=problem))
            return EXIT_UNUSABLE
        _say(_("formatted {path}").format(path=source.path), err=True)
    return EXIT_OK


def _report_change(source: Source, formatted: str, check_only: bool, show_diff: bool) -> int:
    import difflib

    from planrules.i18n import _

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
        _say(_("would reformat {path}").format(path=source.path))
        return EXIT_PROBLEMS
    return EXIT_OK


def _print_format_problems(result: FormatResult, source: Source) -> None:
    from planrules.i18n import _, spoken

    for diagnostic in result.diagnostics:
        click.echo(format_diagnostic(diagnostic, source, spoken), err=True)
    _say(_("{path}: not formatted, it has errors").format(path=source.path), err=True)


def _write_problem(path: str, text: str, new_file_ok: bool = False) -> str | None:
    """Write `text` over the file at `path`: None when done, else why it was not, the file
    left as it was. With `new_file_ok` a file that does not exist yet is created."""
    # A link stays a link: the file it points to is the one rewritten.
    target = os.path.realpath(path)
    try:
        if new_file_ok and not os.path.lexists(target):
            _write_safely(target, text, _new_file_mode())
            return None
        if os.path.isdir(target):
            return Message("is a folder")
        mode = stat.S_IMODE(os.stat(target).st_mode)
        # Writing through a new file and a rename would get past a file's own permissions
        # (only the folder's count), so they are checked here.
        if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
            return Message("cannot be written (read-only)")
        if not os.access(target, os.W_OK):
            return Message("cannot be written: {reason}", reason=os.strerror(errno.EACCES))
        _write_safely(target, text, mode)
    except OSError as problem:
        return Message("cannot be written: {reason}", reason=problem.strerror or str(problem))
    return None


def _new_file_mode() -> int:
    """What open() would give a new file: read and write for all, less the umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _write_safely(path: str, text: str, mode: int) -> None:
    """Write through a temporary file and rename, so a failure never leaves half a file."""
    import tempfile

    folder = os.path.dirname(path)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".planrules-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


@main.command("eval")
@click.argument("ruleset_path", metavar="RULESET", type=click.Path())
@click.argument(
    "snapshot_paths", metavar="SNAPSHOTS...", nargs=-1, required=True, type=click.Path()
)
@click.option("--at", "at", metavar="PERIOD", help="The current period (default: the last one).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(REPORT_FORMATS),
    default="text",
    show_default=True,
    help="How to write the report.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to FILE.")
@click.option("--strict", is_flag=True, help="Count an unknown result as a failure.")
@click.option(
    "--fail-on",
    type=click.Choice(["fail", "warn"]),
    default="fail",
    show_default=True,
    help="The status from which the exit code is 1.",
)
@click.option(
    "--all-keys",
    is_flag=True,
    help="List every key of a `per` rule in text and Markdown (default: the 50 worst).",
)
@_locale_option
@_roll_up_option
@_lang_option
@_input_options
def evaluate_command(
    ruleset_path: str,
    snapshot_paths: tuple[str, ...],
    at: str | None,
    output_format: str,
    output: str | None,
    strict: bool,
    fail_on: str,
    all_keys: bool,
    locale: str | None,
    roll_up: bool,
    lang: str | None,
) -> None:
    """Evaluate RULESET against SNAPSHOTS (JSON, CSV, .xlsx or .ods files) and print the
    report."""
    from planrules.report.render import render

    ruleset = _load_ruleset(ruleset_path, lang)
    with _speaking(lang, ruleset.checked.locale):
        try:
            history = ruleset.read(snapshot_paths, locale, roll_up)
            report = ruleset.evaluate(history, at=at, strict=strict)
        except PlanError as problem:
            _fail_unusable(problem)
        _refuse_on_warnings(report.warnings, strict)
        color = output is None and _wants_color()
        if output_format == "html":
            text = _html_report(ruleset, history, report, strict)
        else:
            text = render(
                report,
                output_format,
                color=color,
                fail_on_warn=fail_on == "warn",
                all_keys=all_keys,
            )
        _emit(text, output)
    failing = ("fail", "warn") if fail_on == "warn" else ("fail",)
    sys.exit(EXIT_PROBLEMS if report.status in failing else EXIT_OK)


def _html_report(ruleset: Ruleset, history: object, report: Any, strict: bool) -> str:
    """The HTML report, with charts over the periods of the same replay as `replay`."""
    from planrules.report.html import MissingHtmlExtra, history_of, render_html

    try:
        return render_html(report, history_of(ruleset, history, strict), ruleset)
    except MissingHtmlExtra as missing:
        _say(f"error: {missing}", err=True)
        sys.exit(EXIT_UNUSABLE)
    except PlanError as problem:
        _fail_unusable(problem)


def _load_ruleset(path: str, lang: str | None) -> Ruleset:
    from planrules.eval.evaluate import Ruleset
    from planrules.lang.check import check_file

    if is_test_file(path):
        raise click.UsageError(f"{path} is a test file; run it with `planrules test`")
    from planrules.i18n import _

    try:
        checked = check_file(path, access=_access(path))
    except InputError as problem:
        with _speaking(lang):
            _fail_unusable(problem)
    for diagnostic in checked.diagnostics:
        click.echo(_diagnostic_text(diagnostic, checked, lang), err=True)
    if not checked.ok:
        with _speaking(lang, checked.locale):
            _say(_("{path}: not evaluated, it has errors").format(path=path), err=True)
        sys.exit(EXIT_UNUSABLE)
    return Ruleset(checked)


def _tell_warnings(warnings: Sequence[DataWarning], strict: bool, where: str = "") -> bool:
    """Where the data and the plan disagree, on standard error (each line after `where`);
    True where `--strict` makes them errors."""
    from planrules.i18n import _

    kind = _("error") if strict else _("warning")
    for warning in warnings:
        click.echo(visible(f"{where}{warning.render(kind)}"), err=True)
    return strict and bool(warnings)


def _refuse_on_warnings(warnings: Sequence[DataWarning], strict: bool) -> None:
    """The warnings told; with `--strict` they are errors, and nothing is reported."""
    if _tell_warnings(warnings, strict):
        from planrules.i18n import _

        refused = _("not evaluated: the snapshots do not match the plan (--strict)")
        click.echo(refused, err=True)
        sys.exit(EXIT_UNUSABLE)


def _wants_color() -> bool:
    """Colour only on a terminal, and never where NO_COLOR asks for none."""
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


@main.command("replay")
@click.argument("ruleset_path", metavar="RULESET", type=click.Path())
@click.argument(
    "snapshot_paths", metavar="SNAPSHOTS...", nargs=-1, required=True, type=click.Path()
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(REPLAY_FORMATS),
    default="text",
    show_default=True,
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the table to FILE.")
@click.option("--strict", is_flag=True, help="Count an unknown result as a failure.")
@_locale_option
@_roll_up_option
@_lang_option
@_input_options
def replay_command(
    ruleset_path: str,
    snapshot_paths: tuple[str, ...],
    output_format: str,
    output: str | None,
    strict: bool,
    locale: str | None,
    roll_up: bool,
    lang: str | None,
) -> None:
    """The status of every rule at every period of SNAPSHOTS: a backtest of RULESET."""
    from planrules.report.render import render_replay

    ruleset = _load_ruleset(ruleset_path, lang)
    with _speaking(lang, ruleset.checked.locale):
        try:
            replay = ruleset.replay(ruleset.read(snapshot_paths, locale, roll_up), strict=strict)
        except PlanError as problem:
            _fail_unusable(problem)
        _refuse_on_warnings(replay.warnings, strict)
        text = render_replay(replay, output_format, color=output is None and _wants_color())
        _emit(text, output)


@main.command("explain")
@click.argument("ruleset_path", metavar="RULESET", type=click.Path())
@click.argument(
    "snapshot_paths", metavar="SNAPSHOTS...", nargs=-1, required=True, type=click.Path()
)
@click.option("--rule", "rule", required=True, metavar="NAME", help="The rule to explain.")
@click.option("--key", "key", metavar="KEY", help="The key, for a `per` rule.")
@click.option("--at", "at", metavar="PERIOD", help="The current period (default: the last one).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@_locale_option
@_roll_up_option
@_lang_option
@_input_options
def explain_command(
    ruleset_path: str,
    snapshot_paths: tuple[str, ...],
    rule: str,
    key: str | None,
    at: str | None,
    output_format: str,
    locale: str | None,
    roll_up: bool,
    lang: str | None,
) -> None:
    """Show how one rule's result came about: every value, the pacing, the periods."""
    from planrules.i18n import ENGLISH
    from planrules.report.explain import explain, render_explanation

    ruleset = _load_ruleset(ruleset_path, lang)
    # The steps are written as the explanation is made; JSON, like the JSON report, stays
    # English.
    speaks = ENGLISH if output_format == "json" else lang
    try:
        history = ruleset.read(snapshot_paths, locale, roll_up)
        with _speaking(speaks, ruleset.checked.locale):
            explanation = explain(ruleset, history, rule, key=key, at=at)
            text = render_explanation(explanation, output_format)
    except PlanError as problem:
        # Said to people, in their language even where the explanation asked for is JSON.
        with _speaking(lang, ruleset.checked.locale):
            _fail_unusable(problem)
    _emit(text, None)


@main.command("serve")
@click.argument(
    "rulesets_dir", metavar="RULESETS_DIR", type=click.Path(exists=True, file_okay=False)
)
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to bind.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False),
    help="Require `Authorization: Bearer TOKEN`, TOKEN the file's first line (16 characters "
    "or more); /healthz and /readyz stay open.",
)
@click.option(
    "--max-body",
    type=_Size(),
    default="1MiB",
    show_default=True,
    help="The largest request body, in bytes (or 512K, 10M).",
)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--processes",
    type=click.IntRange(1, 64),
    help="Evaluation processes per worker (default: the cores shared among the workers).",
)
@click.option(
    "--time-limit",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.01, 3600),
    help="Seconds a request may take; past it, 503 (its evaluation process is replaced).",
)
@click.option("--insecure", is_flag=True, help="Allow binding beyond loopback without a token.")
@click.option(
    "--no-watch",
    is_flag=True,
    help="Do not watch the files (where change events do not arrive); reload on SIGHUP.",
)
def serve_command(
    rulesets_dir: str,
    host: str,
    port: int,
    token_file: str | None,
    max_body: int,
    workers: int,
    processes: int | None,
    time_limit: float,
    insecure: bool,
    no_watch: bool,
) -> None:
    """Serve the rulesets of RULESETS_DIR (each *.plan but *_test.plan, named by its stem)
    over HTTP: a JSON API, reloaded as the files change (needs the serve extra)."""
    try:
        from planrules.serve.run import serve
        from planrules.serve.settings import Settings, SettingsError, check_exposure, read_token
    except ImportError as missing:
        _say(
            f"error: serve needs the serve extra ({missing.name} is not installed): "
            "pip install 'planrules[serve]'",
            err=True,
        )
        sys.exit(EXIT_UNUSABLE)
    try:
        token = None if token_file is None else read_token(token_file)
        check_exposure(host, token, insecure)
        token_file = None if token_file is None else os.path.abspath(token_file)
    except SettingsError as problem:
        _say(f"error: {problem}", err=True)
        sys.exit(EXIT_UNUSABLE)
    cores = os.cpu_count() or 1
    settings = Settings(
        rulesets_dir=os.path.abspath(rulesets_dir),
        host=host,
        port=port,
        token_file=token_file,
        max_body=max_body,
        workers=workers,
        processes=processes or max(1, cores // workers),
        time_limit=time_limit,
        insecure=insecure,
        watch=not no_watch,
    )
    serve(settings)


@main.command("test")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("-k", "selection", metavar="TEXT", help="Run only the tests whose name holds TEXT.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "junit"]),
    default="text",
    show_default=True,
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write JUnit XML to FILE.")
@click.option(
    "--strict", is_flag=True, help="Treat snapshots that do not match the plan as errors."
)
@_locale_option
@_roll_up_option
@_lang_option
@_input_options
def test_command(
    paths: tuple[str, ...],
    selection: str | None,
    output_format: str,
    output: str | None,
    strict: bool,
    locale: str | None,
    roll_up: bool,
    lang: str | None,
) -> None:
    """Run the tests in *_test.plan files (folders are searched)."""
    from planrules.i18n import _

    files = [path for path in _files(paths) if is_test_file(path)]
    if not files:
        with _speaking(lang):
            _fail_unusable(InputError(", ".join(paths), Message("no *_test.plan files here")))
    runs: list[TestFileRun] = []
    unusable = False
    for path in files:
        run = _run_test_file(path, selection, locale, roll_up, lang)
        unusable = unusable or run is None
        if run is not None:
            runs.append(run)
            with _speaking(lang, _shared_header_locale()):
                for outcome in run.outcomes:
                    where = _("{path}: test {name!r}: ").format(path=run.path, name=outcome.name)
                    unusable = _tell_warnings(outcome.warnings, strict, where) or unusable
            # A test that could not run (its snapshots unreadable, its `at` missing from them)
            # is an input error, not a failure.
            unusable = unusable or any(outcome.error is not None for outcome in run.outcomes)
    passed = sum(outcome.passed for run in runs for outcome in run.outcomes)
    failed = sum(not outcome.passed for run in runs for outcome in run.outcomes)
    with _speaking(lang, _shared_header_locale()):
        unusable = _tell_test_results(runs, output_format, output, selection) or unusable
        click.echo(
            _("{passed} passed, {failed} failed").format(passed=passed, failed=failed),
            err=output_format == "junit",
        )
    if unusable:
        sys.exit(EXIT_UNUSABLE)
    sys.exit(EXIT_PROBLEMS if failed else EXIT_OK)


def _tell_test_results(
    runs: Sequence[TestFileRun], output_format: str, output: str | None, selection: str | None
) -> bool:
    """Each failure (or the JUnit XML); True where `-k` selected no test."""
    from planrules.i18n import _
    from planrules.report.render import describe_failure, render_test_junit

    if output_format == "junit":
        _emit(render_test_junit(runs), output)
    else:
        for run in runs:
            for outcome in run.outcomes:
                if not outcome.passed:
                    _say(describe_failure(run, outcome))
    if selection is not None and not any(run.outcomes for run in runs):
        _say(_("no test name holds {text!r}").format(text=selection), err=True)
        return True
    return False


def _shared_header_locale() -> str | None:
    """The `locale` header of the rulesets tested, where they all give the same one."""
    locales = set(click.get_current_context().meta.get(_HEADER_LOCALES, ()))
    return locales.pop() if len(locales) == 1 else None


def _run_test_file(
    path: str, selection: str | None, locale: str | None, roll_up: bool, lang: str | None
) -> TestFileRun | None:
    """The file's tests run, or None (and why, printed) where it cannot be checked."""
    from planrules.eval.evaluate import Ruleset
    from planrules.eval.testing import TestFileRun, run_tests
    from planrules.i18n import _
    from planrules.lang.check import check_file

    try:
        checked = check_file(path, access=_access(path))
    except InputError as problem:
        with _speaking(lang):
            _say_error(problem)
        return None
    for diagnostic in checked.diagnostics:
        click.echo(_diagnostic_text(diagnostic, checked, lang), err=True)
    click.get_current_context().meta.setdefault(_HEADER_LOCALES, []).append(checked.locale)
    if not checked.ok:
        with _speaking(lang, checked.locale):
            _say(_("{path}: not run, it has errors").format(path=path), err=True)
        return None
    if not checked.tests:
        with _speaking(lang, checked.locale):
            _say_error(
                Message("{path}: holds no tests (a test file with none never passes)", path=path)
            )
        return None

    def selected(name: str) -> bool:
        return selection is None or selection in name

    outcomes = run_tests(Ruleset(checked), checked.tests, selected, locale, roll_up)
    return TestFileRun(
        path, checked.sources.get(checked.module.path) if checked.module else None, tuple(outcomes)
    )


def _emit(text: str, output: str | None) -> None:
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    trouble = _write_problem(output, text, new_file_ok=True)
    if trouble is not None:
        # In the language spoken: the caller writes the report inside its `_speaking`.
        _say_error(Message("{path}: {reason}", path=output, reason=trouble))
        sys.exit(EXIT_UNUSABLE)
