"""The `{...}` parts of a recommendation: each is parsed from its own text, and what is found in
it is placed where it was written in the file, however far down and along the text is.

- A problem inside braces is reported at its line and column in the file (columns in code
  points), after escapes, Vietnamese, Chinese and astral characters alike.
- Moving a text down or along moves every position found in it by as much, and nothing else.
- A text of many pieces is parsed piece by piece: the parser reads each piece's text only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planrules.lang import build_interpolations
from planrules.lang import syntax as s
from planrules.lang.build import Parsed
from planrules.lang.check import Checked, check_source
from planrules.lang.source import Source

Parse = Callable[[str], Parsed]

HEADER = 'ruleset "R"\ncurrency VND\nmetric sales: count "Sales"\nmetric rev: money\n'


def ruleset(text: str, blank_lines: int = 0, indent: int = 4) -> str:
    """A ruleset whose one trigger recommends `text` (as written between the quotes), on line
    6 + `blank_lines`, after `indent` spaces."""
    return (
        HEADER
        + "\n" * blank_lines
        + 'trigger "Low" when sales < 3 and rev < 1 {\n'
        + f'{" " * indent}recommend "{text}"\n'
        + "}\n"
    )


def checked(text: str) -> Checked:
    return check_source(Source.from_text("t.plan", text))


def problems(text: str) -> list[tuple[str, int, int, int]]:
    """Each diagnostic's code, line and columns (start and end)."""
    return [
        (d.code, d.span.line, d.span.column, d.span.end_column) for d in checked(text).diagnostics
    ]


def column_of(line: str, fragment: str) -> int:
    """The column (in code points, from 1) where `fragment` starts on `line`."""
    return line.index(fragment) + 1


# Written before the braces: escaped quotes and backslashes, Vietnamese, Chinese and an emoji,
# each one code point (and so one column) per character once unescaped.
PREFIX = '\\"Tiếng Việt\\" \\\\ 中文 😀 '


@pytest.mark.parametrize("blank_lines", [0, 1, 60])
@pytest.mark.parametrize("indent", [0, 4, 300])
def test_problems_in_braces_are_placed_in_the_file(blank_lines: int, indent: int) -> None:
    text = PREFIX + "{salez} {sales + rev} {sales +} {sales # n} {} } {sales sales}"
    source = ruleset(text, blank_lines, indent)
    line_number = 6 + blank_lines
    line = source.split("\n")[line_number - 1]
    at = functools.partial(column_of, line)
    assert problems(source) == [
        ("unknown-name", line_number, at("salez}"), at("salez}") + 5),
        ("unit-mismatch", line_number, at("sales + rev"), at("sales + rev") + 11),
        # An expression that ends too early is reported where it ends, at the `}`.
        ("bad-interpolation", line_number, at("+}") + 1, at("+}") + 2),
        ("bad-interpolation", line_number, at("# n"), at("# n") + 1),
        ("bad-interpolation", line_number, at("{}"), at("{}") + 2),
        ("bad-interpolation", line_number, at("} {sales sales"), at("} {sales sales") + 1),
        ("bad-interpolation", line_number, at("sales sales") + 6, at("sales sales") + 11),
    ]


def test_the_did_you_mean_of_a_name_in_braces_is_kept() -> None:
    source = ruleset(PREFIX * 3 + "{salez}", blank_lines=25, indent=200)
    [problem] = checked(source).diagnostics
    line = source.split("\n")[30]
    assert (problem.code, problem.span.line) == ("unknown-name", 31)
    assert problem.span.column == column_of(line, "salez")
    assert problem.hint == "did you mean `sales`?"


def test_the_nodes_in_braces_are_placed_in_the_file(parse: Parse) -> None:
    source = ruleset(PREFIX + "{sales * 2} and {rev}", blank_lines=9, indent=120)
    parsed = parse(source)
    assert parsed.module is not None
    trigger = parsed.module.declarations[-1]
    assert isinstance(trigger, s.Trigger)
    [action] = trigger.actions
    assert isinstance(action, s.Recommend)
    first, second = (part for part in action.parts if isinstance(part, s.Interpolation))
    line = source.split("\n")[14]
    braces = column_of(line, "{sales")
    assert (first.span.line, first.span.column, first.span.end_column) == (15, braces, braces + 11)
    product = first.expr
    assert isinstance(product, s.Binary)
    assert (product.span.line, product.span.column) == (15, braces + 1)
    assert (product.span.end_line, product.span.end_column) == (15, braces + 10)
    assert (product.right.span.column, product.right.span.end_column) == (braces + 9, braces + 10)
    assert isinstance(second.expr, s.Name)
    name = column_of(line, "rev}")
    assert (second.expr.span.line, second.expr.span.column) == (15, name)
    assert second.expr.span.end_column == name + 3


def test_a_number_out_of_range_in_braces_is_placed_in_the_file() -> None:
    huge = "9" * 40
    source = ruleset(PREFIX + "{sales * " + huge + "}", blank_lines=3, indent=50)
    line = source.split("\n")[8]
    start = column_of(line, huge)
    assert problems(source) == [("number-out-of-range", 9, start, start + 40)]


def test_braces_nested_too_deep_are_placed_in_the_file() -> None:
    source = ruleset(PREFIX + "{" + "(" * 101 + "sales" + ")" * 101 + "}", 2, 70)
    [problem] = checked(source).diagnostics
    line = source.split("\n")[7]
    assert (problem.code, problem.span.line) == ("expression-too-deep", 8)
    assert problem.span.column == column_of(line, "(") + 100


def test_a_long_chain_in_braces_is_built_and_placed() -> None:
    chain = " + ".join(["sales"] * 3000)
    source = ruleset(PREFIX + "{" + chain + " + salez}", blank_lines=2, indent=8)
    line = source.split("\n")[7]
    assert problems(source) == [("unknown-name", 8, column_of(line, "salez"), len(line) - 1)]


# Pieces of a recommendation's text, some of them wrong in the ways a writer gets them wrong.
PIECES = [
    "{sales}",
    "{salez}",
    "{sales + rev}",
    "{sales *}",
    "{+}",
    "{}",
    "{sales # n}",
    "{sales sales}",
    "{(sales}",
    "{1,5}",
    "{" + "9" * 40 + "}",
    "{nope(sales)}",
    '{rev[\\"k\\"]}',
    "{{",
    "}}",
    "{",
    "}",
    '\\"',
    "\\\\",
    "Tiếng Việt ",
    "中文",
    "😀",
    " ",
]


@given(
    pieces=st.lists(st.sampled_from(PIECES), min_size=1, max_size=12),
    blank_lines=st.integers(0, 200),
    indent=st.integers(0, 400),
)
def test_moving_a_text_moves_its_problems_by_as_much(
    pieces: list[str], blank_lines: int, indent: int
) -> None:
    text = "".join(pieces)
    near = problems(ruleset(text))
    assert all(line == 6 for _, line, _, _ in near)
    far = problems(ruleset(text, blank_lines, indent))
    moved = [
        (code, line + blank_lines, start + indent - 4, end + indent - 4)
        for code, line, start, end in near
    ]
    assert sorted(far) == sorted(moved)


def test_each_piece_is_parsed_from_its_own_text(monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[int] = []
    parse_with = build_interpolations.parse_with

    def counting(lark: Any, source: Source, start: str = "start") -> Any:
        read.append(len(source.text))
        return parse_with(lark, source, start)

    monkeypatch.setattr(build_interpolations, "parse_with", counting)
    pieces = 2000
    source = ruleset(" ".join(["{sales}"] * pieces), blank_lines=100, indent=100)
    assert checked(source).ok
    assert read == [len("sales")] * pieces
