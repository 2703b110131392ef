"""The parser and tree builder: literals, keywords, Unicode names, positions, robustness."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planrules.lang import syntax as s
from planrules.lang.build import MAX_NESTING, Parsed, parse_source
from planrules.lang.numbers import parse_literal
from planrules.lang.source import Source
from tests.conftest import RULESETS

Parse = Callable[[str], Parsed]


def only_let(parse: Parse, expression: str) -> s.Expr:
    parsed = parse(f'ruleset "r"\nlet x = {expression}\n')
    assert parsed.module is not None, parsed.diagnostics
    let = parsed.module.declarations[0]
    assert isinstance(let, s.Let)
    return let.expr


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1549", Decimal(1549)),
        ("2_000_000", Decimal(2_000_000)),
        ("0.5", Decimal("0.5")),
        ("12.5%", Decimal("0.125")),
        ("150k", Decimal(150_000)),
        ("150 thousand", Decimal(150_000)),
        ("2 B", Decimal(2 * 10**9)),
        ("2 tỷ", Decimal(2 * 10**9)),
        ("2tỉ", Decimal(2 * 10**9)),
        ("3 triệu", Decimal(3 * 10**6)),
        ("5 nghìn", Decimal(5000)),
        ("5 ngàn", Decimal(5000)),
        ("20万", Decimal(200_000)),
        ("1.5亿", Decimal(150_000_000)),
        ("340 million", Decimal(340_000_000)),
    ],
)
def test_number_literals_are_exact(parse: Parse, text: str, value: Decimal) -> None:
    number = only_let(parse, text)
    assert isinstance(number, s.Number)
    assert number.value == value
    assert number.text == text


@pytest.mark.parametrize(
    ("text", "currency"),
    [("340 million VND", "VND"), ("20万元", "CNY"), ("150000₫", "VND"), ("5 USD", "USD")],
)
def test_currency_belongs_to_its_number(parse: Parse, text: str, currency: str) -> None:
    number = only_let(parse, text)
    assert isinstance(number, s.Number)
    assert number.currency == currency


def test_a_code_followed_by_a_value_is_a_key(parse: Parse) -> None:
    parsed = parse('ruleset "r"\ntable t: money by c { VND 5 USD 6 else 1 }\n')
    assert parsed.module is not None
    table = parsed.module.declarations[0]
    assert isinstance(table, s.Table)
    assert [entry.key.text for entry in table.entries] == ["VND", "USD"]


def test_a_currency_before_a_brace_belongs_to_the_number(parse: Parse) -> None:
    parsed = parse(
        'ruleset "r"\ncurrency VND\nmetric spend: money by channel\n'
        'budget "b" total 200 million VND for spend { ads 100 million VND }\n'
        'trigger "t" when sum(spend) > 5 VND { recommend "x" }\n'
    )
    assert parsed.module is not None, parsed.diagnostics
    budget = parsed.module.declarations[1]
    assert isinstance(budget, s.Budget)
    assert budget.total.currency == "VND"


def test_a_name_after_a_number_is_not_a_scale_word(parse: Parse) -> None:
    parsed = parse('ruleset "r"\ntable quota: count by rep { Lan 120  Minh 90  Bảo 3 else 60 }\n')
    assert parsed.module is not None
    table = parsed.module.declarations[0]
    assert isinstance(table, s.Table)
    assert [(e.key.text, e.value.value) for e in table.entries] == [
        ("Lan", 120),
        ("Minh", 90),
        ("Bảo", 3),
    ]


def test_keywords_are_whole_words(parse: Parse) -> None:
    parsed = parse('ruleset "r"\nmetric orders: count by rep\ngoal "g" perrep: orders > 1\n')
    assert parsed.module is None
    assert parsed.diagnostics[0].code == "syntax-error"
    assert "perrep" in parsed.diagnostics[0].message


def test_function_names_and_clause_words_can_be_names(parse: Parse) -> None:
    parsed = parse(
        'ruleset "r"\nmetric total: count\nmetric share: ratio by by\n'
        "let x = total(total) + sum(share) + share.by\n"
    )
    assert parsed.module is not None, parsed.diagnostics


def test_unicode_names_are_nfc_normalised(parse: Parse) -> None:
    decomposed = "doanh_thu\u0303"  # a combining tilde, composed by NFC
    parsed = parse(f'ruleset "r"\nmetric {decomposed}: money\nmetric 销售额: money\n')
    assert parsed.module is not None
    names = [d.name for d in parsed.module.declarations if isinstance(d, s.Metric)]
    assert names == ["doanh_thũ", "销售额"]


def test_precedence_and_left_association(parse: Parse) -> None:
    expr = only_let(parse, "a - b - c * d / e or not f < g and h")
    assert isinstance(expr, s.Binary) and expr.op == "or"
    left = expr.left
    assert isinstance(left, s.Binary) and left.op == "-"
    assert isinstance(left.left, s.Binary) and left.left.op == "-"
    assert isinstance(left.right, s.Binary) and left.right.op == "/"
    right = expr.right
    assert isinstance(right, s.Binary) and right.op == "and"
    assert isinstance(right.left, s.Unary) and right.left.op == "not"


def test_a_long_chain_of_operators_builds_left_to_right(parse: Parse) -> None:
    expr = only_let(parse, " - ".join(["a"] * 5000))
    assert (expr.span.column, expr.span.end_column) == (9, 9 + 4 * 4999 + 1)
    depth = 0
    while isinstance(expr, s.Binary):
        assert expr.op == "-" and expr.right == s.Name("a", expr.span)
        expr, depth = expr.left, depth + 1
    assert depth == 4999
    assert expr == s.Name("a", expr.span)


@pytest.mark.parametrize(
    ("opening", "closing"),
    [("(", ")"), ("-", ""), ("not ", ""), ("abs(", ")"), ("a + (", ")")],
    ids=["brackets", "minus", "not", "calls", "right operands"],
)
def test_nesting_is_allowed_up_to_the_limit(parse: Parse, opening: str, closing: str) -> None:
    levels = MAX_NESTING // 2 if opening == "a + (" else MAX_NESTING  # `+` and `(` each nest
    parsed = parse(f'ruleset "r"\nlet x = {opening * levels}a{closing * levels}\n')
    assert parsed.module is not None, parsed.diagnostics


@pytest.mark.parametrize("levels", [MAX_NESTING + 1, 500, 10_000])
@pytest.mark.parametrize(
    ("opening", "closing", "width"),
    [("(", ")", 1), ("-", "", 1), ("not ", "", 3), ("abs(", ")", 3)],
    ids=["brackets", "minus", "not", "calls"],
)
def test_deeper_nesting_is_refused_where_it_goes_too_deep(
    parse: Parse, opening: str, closing: str, width: int, levels: int
) -> None:
    parsed = parse(f'ruleset "r"\nlet x = {opening * levels}a{closing * levels}\n')
    assert parsed.module is None
    [problem] = parsed.diagnostics
    assert problem.code == "expression-too-deep"
    assert problem.message == (
        f"expression nested more than {MAX_NESTING} levels deep; split it into lets"
    )
    column = 9 + len(opening) * MAX_NESTING  # the first opening past the limit
    assert (problem.span.line, problem.span.column, problem.span.end_column) == (
        2,
        column,
        column + width,
    )


def test_deep_nesting_in_a_recommendation_is_refused(parse: Parse) -> None:
    deep = "(" * 10_000 + "a" + ")" * 10_000
    parsed = parse(f'ruleset "r"\ntrigger "t" when a > 1 {{ recommend "{{{deep}}}" }}\n')
    assert parsed.module is None
    assert [d.code for d in parsed.diagnostics] == ["expression-too-deep"]


def test_goal_splits_into_subject_and_target(parse: Parse) -> None:
    parsed = parse(
        'ruleset "r"\nperiod 2026-07-01 to 2026-09-30 monthly\nmetric revenue: money\n'
        'goal "Revenue": total(revenue) >= 2 billion owner "Lan" by 2026-09-30 from 5 '
        "tolerance 5% phased 20% 30% 50%\n"
    )
    assert parsed.module is not None, parsed.diagnostics
    goal = parsed.module.declarations[1]
    assert isinstance(goal, s.Goal)
    assert goal.op == ">="
    assert isinstance(goal.subject, s.Call) and goal.subject.function == "total"
    assert goal.deadline == datetime.date(2026, 9, 30)
    assert goal.owner == "Lan"
    assert goal.phased is not None and len(goal.phased) == 3


def test_a_clause_given_twice_is_reported(parse: Parse) -> None:
    parsed = parse('ruleset "r"\nmetric x: count\ngoal "g": x > 1 owner "a" owner "b"\n')
    assert [d.code for d in parsed.diagnostics] == ["duplicate-clause"]


def test_recommend_text_is_split_into_parts(parse: Parse) -> None:
    parsed = parse(
        'ruleset "r"\nmetric x: count\ntrigger "t" when x > 1 {\n'
        '    recommend "x is {x * 2}, {{literally}} \\"quoted\\""\n}\n'
    )
    assert parsed.module is not None
    trigger = parsed.module.declarations[1]
    assert isinstance(trigger, s.Trigger)
    action = trigger.actions[0]
    assert isinstance(action, s.Recommend)
    assert action.text == 'x is {x * 2}, {{literally}} "quoted"'
    assert action.parts[0] == "x is "
    interpolation = action.parts[1]
    assert isinstance(interpolation, s.Interpolation)
    assert interpolation.span.line == 4
    assert interpolation.span.column == 21
    assert action.parts[2] == ', {literally} "quoted"'


def recommend_problems(parse: Parse, text: str) -> list[tuple[str, int, int, str]]:
    """The problems with `recommend "TEXT"`, the text starting at column 37 of line 3."""
    parsed = parse(
        f'ruleset "r"\nmetric x: count\ntrigger "t" when x > 1 {{ recommend "{text}" }}\n'
    )
    return [(d.code, d.span.line, d.span.column, d.message) for d in parsed.diagnostics]


@pytest.mark.parametrize("braces", ["{}", "{ }"])
def test_an_empty_interpolation_is_reported_at_its_braces(parse: Parse, braces: str) -> None:
    message = f'"{braces}" in a recommendation needs an expression or a key name'
    assert recommend_problems(parse, f"x is {braces}") == [("bad-interpolation", 3, 42, message)]


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("x is {+}", 43, "found '+'"),
        ("x is {x x}", 45, "expected an operator or the `}`, found a name 'x'"),
        ("x is {x *}", 46, '"{x *}" ends too early'),
        # An escaped quote is two characters in the file, one in the expression.
        ('{x[\\"k\\"] + } and {{}}', 48, '"{x[\\"k\\"] + }" ends too early'),
    ],
)
def test_a_syntax_error_in_an_interpolation_is_placed_in_the_text(
    parse: Parse, text: str, column: int, fragment: str
) -> None:
    [(code, line, at, message)] = recommend_problems(parse, text)
    assert (code, line, at) == ("bad-interpolation", 3, column)
    assert fragment in message
    assert "file" not in message


def test_a_hash_in_an_interpolation_is_not_a_comment(parse: Parse) -> None:
    [(code, line, column, message)] = recommend_problems(parse, "x is {x # note}")
    assert (code, line, column) == ("bad-interpolation", 3, 45)
    assert "`#`" in message
    # Inside a quoted key it is just a character.
    assert recommend_problems(parse, 'x is {x[\\"#1\\"]}') == []


def test_spans_point_at_the_source(parse: Parse) -> None:
    parsed = parse('ruleset "r"\nmetric orders: count\nlet  x =  orders / 2\n')
    assert parsed.module is not None
    let = parsed.module.declarations[1]
    assert isinstance(let, s.Let)
    assert (let.span.line, let.span.column) == (3, 1)
    assert (let.expr.span.line, let.expr.span.column) == (3, 11)
    assert let.expr.span.end_column == 21


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x0c", "\x1c", "\x85", "\r"])
def test_excerpt_lines_end_at_newlines_only(separator: str) -> None:
    # The lexer counts lines by "\n" alone; excerpts must show the line it means.
    source = Source.from_text("t.plan", f"# a{separator}b\nsecond\r\nthird")
    assert [source.line_text(n) for n in (1, 2, 3, 4)] == [
        f"# a{separator}b",
        "second",
        "third",
        "",
    ]


def test_comments_are_collected(parse: Parse) -> None:
    parsed = parse('# plan\nruleset "r" # trailing\nmetric x: count\n')
    assert parsed.module is not None
    comments = parsed.module.comments
    assert [(c.text, c.own_line, c.span.line) for c in comments] == [
        ("# plan", True, 1),
        ("# trailing", False, 2),
    ]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('ruleset "r"\nmetric x count\n', "expected ':'"),
        ('ruleset "r"\nmetric x: count\nlet y = x +\n', "the file ends too early"),
        ('ruleset "r"\nlet y = 1 < 2 < 3\n', "comparisons do not chain"),
        ('ruleset "r"\nlet y = "open\n', "not closed on its line"),
        ('ruleset "r"\nmetric x: cnt\n', "'count', 'money', 'number' or 'ratio'"),
    ],
)
def test_syntax_errors_speak_plainly(parse: Parse, text: str, fragment: str) -> None:
    parsed = parse(text)
    assert parsed.module is None
    message = parsed.diagnostics[0].message
    assert fragment in message
    assert "__ANON" not in message and "$END" not in message


@pytest.mark.parametrize(
    "text",
    [
        "let y = ١٢٣",  # Arabic-Indic digits, which NFKC leaves as they are
        "let y = 12.٣",
    ],
)
def test_only_ascii_digits_make_numbers_dates_and_periods(parse: Parse, text: str) -> None:
    parsed = parse(f'ruleset "r"\nmetric x: count\n{text}\n')
    assert parsed.module is None
    assert [d.code for d in parsed.diagnostics] == ["syntax-error"]


@pytest.mark.parametrize("text", ["１２", "1２", "١٢٣", "12.٣"])
def test_number_literals_take_ascii_digits_only(text: str) -> None:
    with pytest.raises(ValueError, match="not a number literal"):
        parse_literal(text)


EXAMPLES = sorted(RULESETS.glob("*.plan"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_parse(path: object) -> None:
    source = Source.from_text(str(path), RULESETS.joinpath(str(path)).read_text("utf-8"))
    parsed = parse_source(source)
    assert parsed.module is not None, parsed.diagnostics


def _example_texts() -> list[str]:
    return [p.read_text("utf-8") for p in EXAMPLES]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_never_crashes_the_parser(text: str) -> None:
    parsed = parse_source(Source.from_text("fuzz.plan", text))
    assert parsed.module is not None or parsed.diagnostics


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_truncated_and_shuffled_examples_never_crash(data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(_example_texts()))
    lines = text.splitlines()
    cut = data.draw(st.integers(0, len(text)))
    shuffled = data.draw(st.permutations(lines))
    for variant in (text[:cut], "\n".join(shuffled)):
        parsed = parse_source(Source.from_text("fuzz.plan", variant))
        assert parsed.module is not None or parsed.diagnostics


# ---- every syntax error at once ------------------------------------------------------------


def syntax_errors(parsed: Parsed) -> list[tuple[int, int]]:
    """Where each syntax error is, as (line, column)."""
    assert parsed.module is None
    assert {d.code for d in parsed.diagnostics} == {"syntax-error"}
    return [(d.span.line, d.span.column) for d in parsed.diagnostics]


def test_every_syntax_error_of_a_file_is_reported_in_one_run(parse: Parse) -> None:
    parsed = parse(
        'ruleset "r"\n'
        "metric leads count\n"  # 2:14 a missing colon
        "metric orders: count\n"
        'goal "g": total(orders) >= 5 foo by 2026-09-30\n'  # 4:30 a stray word
        'threshold "t": orders warn over 5\n'  # 5:28 `over` is not a direction
        'goal "h": total(orders) >= 5 by 30/09/2026\n'  # 6:33 not a date
    )
    assert syntax_errors(parsed) == [(2, 14), (4, 30), (5, 28), (6, 33)]
    assert "'over'" in parsed.diagnostics[2].message


def test_columns_after_a_recovery_count_code_points_of_the_line(parse: Parse) -> None:
    parsed = parse(
        'ruleset "Kế hoạch"\nmetric doanh_thu money\nmetric đơn_hàng: count\n'
        'goal "Doanh thu 2 tỷ": total(doanh_thu) >= 2 tỷ bởi 2026-09-30\n'
    )
    # `bởi` is the 49th code point of its line, after `2 tỷ` and the Vietnamese name.
    assert syntax_errors(parsed) == [(2, 18), (4, 49)]


def test_a_stray_word_after_a_value_is_reported_at_the_word(parse: Parse) -> None:
    parsed = parse(
        'ruleset "r"\nmetric spend: money by channel\n'
        'budget "b" total 100 million for spend {\n'
        "    ads  50 million  extra\n"
        "    web  20 million\n"
        "}\n"
        "table quota: count by rep { Lan 120 people\n"
        "    Minh 90 }\n"
    )
    assert syntax_errors(parsed) == [(4, 22), (7, 37)]
    first = parsed.diagnostics[0]
    assert first.message == "expected a number after 'extra', found a name 'web' on line 5"
    assert first.hint == "remove 'extra' if it is a stray word, or give it its value"


def test_a_key_with_its_value_on_the_next_line_is_no_stray_word(parse: Parse) -> None:
    parsed = parse('ruleset "r"\ntable quota: count by rep {\n    Lan\n    120\n}\n')
    assert parsed.diagnostics == ()


def test_a_declaration_after_an_unfinished_one_is_read_on_its_own(parse: Parse) -> None:
    parsed = parse(
        'ruleset "r"\nmetric orders: count\n'
        "let x = orders +\n"
        'goal "g": total(orders) >= 5 by 2026-13-01 foo\n'  # `foo` is the goal's own error
    )
    assert syntax_errors(parsed) == [(4, 1), (4, 44)]
    assert parsed.diagnostics[0].message == "the declaration before this `goal` is not finished"


def test_an_error_with_no_declaration_after_it_ends_the_report(parse: Parse) -> None:
    parsed = parse('ruleset "r"\nmetric x: count\nbudget "b" total 5 {\n  a 1\n  b 2 3\n  c 4\n}\n')
    assert syntax_errors(parsed) == [(5, 7)]


def test_at_most_fifty_syntax_errors_are_reported(parse: Parse) -> None:
    parsed = parse('ruleset "r"\n' + "metric x: cnt\n" * 80)
    assert syntax_errors(parsed) == [(line, 11) for line in range(2, 52)]


@pytest.mark.parametrize(
    ("amount", "hint"),
    [
        ("21,95%", "decimals are written with a point: `21.95%`"),
        ("150,5", "decimals are written with a point: `150.5`"),
        ("1,549", "write `1549` for thousands (no separators), `1.549` for a decimal"),
    ],
)
def test_a_decimal_comma_gets_a_hint(parse: Parse, amount: str, hint: str) -> None:
    parsed = parse(f'ruleset "r"\nmetric spend: money by channel\nlet x = {amount}\n')
    assert [d.hint for d in parsed.diagnostics] == [hint]


# ---- budget lines as a percent of the total ------------------------------------------------


def only_budget(parse: Parse, text: str) -> s.Budget:
    parsed = parse(f'ruleset "r"\nmetric spend: money by channel\n{text}\n')
    assert parsed.module is not None, parsed.diagnostics
    budget = parsed.module.declarations[-1]
    assert isinstance(budget, s.Budget)
    return budget


def test_a_percent_line_is_that_share_of_the_total_exactly(parse: Parse) -> None:
    budget = only_budget(
        parse, 'budget "b" total 1549 million for spend { zalo 21.95%  web 100 million }'
    )
    zalo, web = budget.lines
    # 21.95% of 1,549,000,000 = 340,005,500, with no rounding on the way.
    assert zalo.amount.value == Decimal(340_005_500)
    assert (zalo.amount.text, zalo.amount.percent) == ("21.95%", True)
    assert web.amount.value == Decimal(100_000_000)


def test_a_percent_line_keeps_every_digit(parse: Parse) -> None:
    budget = only_budget(parse, 'budget "b" total 7 { a 33.333333333333333333333333333333% }')
    # 7 x 0.33333333333333333333333333333333: 33 significant digits, more than a float keeps.
    assert budget.lines[0].amount.value == Decimal("2.33333333333333333333333333333331")


def test_a_line_amount_may_carry_a_sign_for_the_checker_to_refuse(parse: Parse) -> None:
    budget = only_budget(parse, 'budget "b" total 7 million { a -2 million }')
    assert budget.lines[0].amount.value == Decimal(-2_000_000)


# ---- a baseline is a number, not a date ----------------------------------------------------


@pytest.mark.parametrize("written", ["2025-12", "2025-Q4", "2025-W51", "2025-12-31", "31/12/2025"])
def test_a_baseline_written_as_a_date_or_period_is_refused(parse: Parse, written: str) -> None:
    parsed = parse(
        'ruleset "r"\nmetric customers: count stock\n'
        f'goal "g": customers >= 5000 by 2026-12-31 from {written}\n'
    )
    assert [d.code for d in parsed.diagnostics] == ["bad-baseline"]
    problem = parsed.diagnostics[0]
    assert problem.message.startswith(f"`from {written}` reads as a date or period")
    assert "`from 1.2 tỷ`" in (problem.hint or "")
    assert (problem.span.line, problem.span.column) == (3, 48)


def test_a_baseline_subtraction_with_spaces_is_a_subtraction(parse: Parse) -> None:
    parsed = parse(
        'ruleset "r"\nmetric customers: count stock\n'
        'goal "g": customers >= 5000 by 2026-12-31 from 4200 - 200\n'
    )
    assert parsed.module is not None and parsed.diagnostics == ()
    goal = parsed.module.declarations[-1]
    assert isinstance(goal, s.Goal) and isinstance(goal.baseline, s.Binary)
