"""Nothing reaches a terminal or a document as code (issue 11, item 5): whatever the input
holds, the CLI prints no control character but newline and tab, no bidirectional control and
no line or paragraph separator; Markdown makes no link of a key; `fmt -` writes bytes exactly.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
