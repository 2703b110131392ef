"""Nothing reaches a terminal or a document as code (issue 11, item 5): whatever the input
holds, the CLI prints no control character but newline and tab, no bidirectional control and
no line or paragraph separator (click's own usage errors included); Markdown makes no link of
a key; `fmt -` writes bytes exactly.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planrules import cli
from planrules.cli import main
from planrules.lang.escape import BIDI_CONTROLS, printable, visible
from planrules.report.render import markdown_text

HIDDEN = [
    *(chr(code) for code in range(0x20)),
    "\x7f",
    *(chr(code) for code in range(0x80, 0xA0)),
    *sorted(BIDI_CONTROLS),
    "\u2028",
    "\u2029",
]
ESCAPE = "\x1b"


def offending(text: str) -> list[str]:
    """The characters of `text` that must never be printed raw."""
    return [
        char
        for char in text
        if char not in "\n\t"
        and (
            ord(char) < 0x20
            or 0x7F <= ord(char) < 0xA0
            or char in BIDI_CONTROLS
            or char in "\u2028\u2029"
        )
    ]


def assert_clean(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    for stream in (result.stdout, result.stderr):
        assert not offending(stream), stream


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


PLAN = """ruleset "{name}"
period 2026-07-01 to 2026-12-31 monthly
metric sold: count by item
threshold "{rule}" per item: sold
    warn below 3
trigger "{trigger}" when sum(sold) < 100 {{
    recommend "{text} {{sum(sold)}}"
}}
{junk}"""

TEST = """use "plan.plan"

test "{test}" {{
    snapshot 2026-07 {{ sold {{ "{key}" 1 }} }}
    expect "{rule}"["{key}"] pass
}}
"""


def plan_text(name: str, rule: str, trigger: str, text: str, junk: str = "") -> str:
    return PLAN.format(name=name, rule=rule, trigger=trigger, text=text, junk=junk)


def snapshot_text(key: str, metric: str = "other") -> str:
    return json.dumps({"period": "2026-07", "metrics": {"sold": {key: 1, "a": 5}, metric: 2}})


# ---- regression tests, one per path that printed user text raw ----------------------------


def test_diagnostics_escape_the_source_line_and_the_message(tmp_path: Path) -> None:
    plan = write(
        tmp_path,
        "p.plan",
        'ruleset "r\x1b[2J"\nmetric s: count\nthreshold "t\u202e": s +\x1b[31m q\n',
    )
    result = CliRunner().invoke(main, ["check", plan])
    assert_clean(result)
    assert 'threshold "t\\u202e": s +\\x1b[31m q' in result.stdout
    lines = result.stdout.splitlines()
    source = next(line for line in lines if "threshold" in line)
    caret = lines[lines.index(source) + 1]
    # The caret stands under the escape, as wide as it is written.
    assert caret.index("^") == source.index("\\x1b")
    assert caret.strip() == "^~~~"


def test_cli_error_lines_escape_what_they_quote(tmp_path: Path) -> None:
    plan = write(tmp_path, "p.plan", plan_text("r", "T\u202e", "G", "x"))
    data = write(
        tmp_path, "s.json", '{"period": "2026-07", "metrics": {"sold": {"a": "\\u001b[2J"}}}'
    )
    evaluated = CliRunner().invoke(main, ["eval", plan, data])
    assert evaluated.exit_code == 2
    assert_clean(evaluated)
    assert '"\\u001b[2J" is text' in evaluated.stderr
    good = write(tmp_path, "g.json", snapshot_text("a"))
    explained = CliRunner().invoke(main, ["explain", plan, good, "--rule", "\x1b[2J"])
    assert explained.exit_code == 2
    assert_clean(explained)
    # The list of the ruleset's rules, in the message, is escaped too.
    assert "\\x1b[2J" in explained.stderr and "T\\u202e" in explained.stderr


def test_reports_escape_line_and_paragraph_separators(tmp_path: Path) -> None:
    plan = write(tmp_path, "p.plan", plan_text("r", "T", "G", "x"))
    data = write(tmp_path, "s.json", snapshot_text("k\u2028ey\u2029"))
    for output_format in ("text", "markdown", "junit"):
        result = CliRunner().invoke(main, ["eval", plan, data, "--format", output_format])
        assert_clean(result)
        assert "k\\u2028ey\\u2029" in result.stdout


def test_markdown_makes_no_link_of_a_key(tmp_path: Path) -> None:
    assert markdown_text("[link](http://evil)") == "\\[link\\](http://evil)"
    assert (
        markdown_text("![img](x) *b* _i_ `c` ~s~")
        == "!\\[img\\](x) \\*b\\* \\_i\\_ \\`c\\` \\~s\\~"
    )
    plan = write(tmp_path, "p.plan", plan_text("r", "T", "G", "x"))
    data = write(tmp_path, "s.json", snapshot_text("[link](http://evil)"))
    result = CliRunner().invoke(main, ["eval", plan, data, "--format", "markdown"])
    assert "\\[link\\](http://evil)" in result.stdout
    assert "[link](" not in result.stdout


def test_fmt_stdin_writes_its_bytes_exactly() -> None:
    text = (
        'ruleset "r\x1b[31mred\x1b[0m"\nmetric orders: count\n\n'
        'threshold "t": orders warn below 5\n'
    )
    result = CliRunner().invoke(main, ["fmt", "-"], input=text.encode("utf-8"))
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.startswith(b'ruleset "r\x1b[31mred\x1b[0m"\n')


# The user's text in click's own usage errors: an escape sequence, a C1 control, a bidi
# control, a line separator, a newline and a lone surrogate (as Python reads a byte of a
# command line that is not UTF-8), and how they are shown.
NASTY = "x\x1b[31m\x9b\u202e\u2028\ny\udcff"
NASTY_SHOWN = "x\\x1b[31m\\x9b\\u202e\\u2028\\ny\\udcff"


def assert_usage_error(result: Result, shown: str) -> None:
    """A usage error, exit 2, its one "Error:" line quoting the user's text escaped."""
    assert result.exit_code == 2, result.output
    assert_clean(result)
    [line] = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert shown in line


@pytest.mark.parametrize(
    "args",
    [
        ["eval", "--" + NASTY],  # an unknown option
        ["eval", "p.plan", "s.json", "--format", NASTY],  # a value not among the choices
        ["replay", "p.plan", "s.json", "--format=" + NASTY],
        ["check", "--max-input-size", NASTY, "p.plan"],  # a bad parameter of our own type
        [NASTY],  # an unknown command
    ],
)
def test_usage_errors_escape_the_users_text(args: list[str]) -> None:
    result = CliRunner().invoke(main, args)
    assert_usage_error(result, NASTY_SHOWN)
    assert result.stderr.startswith("Usage: ")


def test_usage_errors_about_paths_escape_them(tmp_path: Path) -> None:
    plan = write(tmp_path, "p.plan", plan_text("r", "T", "G", "x"))
    data = write(tmp_path, "s.json", snapshot_text("a"))
    folder = tmp_path / NASTY
    folder.mkdir()
    file = write(tmp_path, NASTY + ".txt", "")
    # Click shows a byte of a file's name that is not UTF-8 as U+FFFD.
    shown = NASTY_SHOWN.replace("\\udcff", "\ufffd")
    directory = CliRunner().invoke(main, ["eval", plan, data, "-o", str(folder)])
    assert_usage_error(directory, f"{shown}' is a directory")
    not_folder = CliRunner().invoke(main, ["check", "--allow-path", file, plan])
    assert_usage_error(not_folder, f"{shown}.txt' is a file")
    tests = write(tmp_path, NASTY + "_test.plan", "")
    test_file = CliRunner().invoke(main, ["eval", tests, data])
    assert_usage_error(test_file, f"{NASTY_SHOWN}_test.plan is a test file")


def test_a_missing_argument_is_a_clean_usage_error() -> None:
    result = CliRunner().invoke(main, ["explain"])
    assert_usage_error(result, "Missing argument 'RULESET'")


def test_the_program_name_in_usage_lines_is_escaped() -> None:
    result = CliRunner().invoke(main, ["eval"], prog_name="plan" + NASTY)
    assert result.exit_code == 2
    assert_clean(result)
    assert result.stderr.startswith(f"Usage: plan{NASTY_SHOWN} eval ")


def test_no_arguments_show_the_help_as_it_is() -> None:
    result = CliRunner().invoke(main, [], prog_name="plan" + NASTY)
    assert result.exit_code == 2
    assert_clean(result)
    assert result.stderr.startswith(f"Usage: plan{NASTY_SHOWN} [OPTIONS] COMMAND")
    assert "\nCommands:\n" in result.stderr and "Error:" not in result.stderr


def test_a_usage_error_quoting_raw_text_is_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever click's version quotes raw (click 8.1 wrote `No such option: NAME`), and our
    own usage errors, are printed escaped, on one line."""

    def refuse(paths: Sequence[str]) -> list[str]:
        raise click.UsageError(f"No such option: {paths[0]}")

    monkeypatch.setattr(cli, "find_plan_files", refuse)
    result = CliRunner().invoke(main, ["check", NASTY])
    assert_usage_error(result, f"No such option: {NASTY_SHOWN}")


def test_escaping_helpers() -> None:
    assert (
        visible("a\nb\tc\x1b\x85\u202e\u2028\ud800") == "a\\nb\\tc\\x1b\\x85\\u202e\\u2028\\ud800"
    )
    assert printable("a\nb\tc\x1b\r") == "a\nb\tc\\x1b\\r"
    assert printable("plain text, 中文") == "plain text, 中文"


# ---- the property: any text the CLI prints is free of control characters -------------------

_PLAIN = "ab é中 []()|*_<>&{}#-"
names = st.text(alphabet=st.sampled_from(HIDDEN + list(_PLAIN)), min_size=1, max_size=6)
# Names inside a ruleset's quotes, which end at a quote or a backslash.
quoted_names = names.filter(lambda name: '"' not in name and "\\" not in name)
# Text for click's own usage errors, which may also hold lone surrogates: Python reads a byte
# of the command line that is not UTF-8 as one (U+DC80 to U+DCFF).
arguments = st.text(
    alphabet=st.sampled_from([*HIDDEN, "\udc80", "\udcff", *_PLAIN]), min_size=1, max_size=6
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=quoted_names,
    rule=quoted_names,
    trigger=quoted_names,
    text=quoted_names,
    key=names,
    metric=names,
    junk=st.one_of(st.just(""), names),
    asked=names,
    argument=arguments,
)
def test_the_cli_prints_no_control_character(
    name: str,
    rule: str,
    trigger: str,
    text: str,
    key: str,
    metric: str,
    junk: str,
    asked: str,
    argument: str,
) -> None:
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        plan = write(folder, "plan.plan", plan_text(name, rule, trigger, text, junk))
        data = write(folder, "s.json", snapshot_text(key, metric))
        test_key = key.replace('"', "").replace("\\", "") or "k"
        write(folder, "plan_test.plan", TEST.format(test=name, key=test_key, rule=rule))
        commands = [
            ["check", plan],
            *(["eval", plan, data, "--format", f] for f in ("text", "markdown", "junit")),
            ["eval", plan, data, "--at", asked],
            ["explain", plan, data, "--rule", rule, "--key", key],
            ["explain", plan, data, "--rule", rule, "--key", asked],
            ["explain", plan, data, "--rule", asked],
            ["explain", plan, data, "--rule", trigger],
            ["replay", plan, data],
            ["test", str(folder / "plan_test.plan")],
            ["test", str(folder / "plan_test.plan"), "-k", asked],
        ]
        for command in commands:
            assert_clean(runner.invoke(main, command))
        usage_errors = [
            ["eval", "--" + argument],
            ["eval", plan, data, "--format", argument],
            ["check", "--max-input-size", argument, plan],
            [argument],
        ]
        for command in usage_errors:
            result = runner.invoke(main, command)
            assert result.exit_code == 2, result.output
            assert_clean(result)
        assert_clean(runner.invoke(main, ["eval"], prog_name=argument))
