"""Rulesets accept what strategists type (issue 13, item 3): full-width characters read as the
language's own with every position kept on the character written, the currency signs and names
and the Chinese scale words, `3,7 tỷ` refused with its fix, and the `locale` and `roll up`
header lines."""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planrules.lang import syntax as s
from planrules.lang.build import Parsed
from planrules.lang.build_text import HASHES, QUOTES, parser_text
from planrules.lang.check import Checked, check_source
from planrules.lang.diagnostics import Diagnostic
from planrules.lang.fmt import format_source
from planrules.lang.numbers import CURRENCY_SIGNS, SCALES, parse_literal
from planrules.lang.parser import grammar_text
from planrules.lang.source import Source, Span

Parse = Callable[[str], Parsed]
Check = Callable[..., Checked]


def only(parsed: Parsed) -> s.Module:
    assert parsed.module is not None, parsed.diagnostics
    assert not parsed.diagnostics, parsed.diagnostics
    return parsed.module


def last_expr(module: s.Module) -> s.Expr:
    declaration = module.declarations[-1]
    assert isinstance(declaration, s.Let)
    return declaration.expr


def errors(checked: Checked) -> list[str]:
    """The codes of the errors found: the warnings of a sketch of a plan (`no-rules`,
    `unused`) are beside the point here."""
    return [d.code for d in checked.diagnostics if d.is_error]


def where(diagnostic: Diagnostic) -> tuple[str, int, int, int, int]:
    span = diagnostic.span
    return (diagnostic.code, span.line, span.column, span.end_line, span.end_column)


# ---- full-width text -----------------------------------------------------------------------


def test_full_width_code_reads_as_its_ascii_twin(parse: Parse) -> None:
    ascii_text = 'ruleset "r"\nmetric revenue: money\nlet share = revenue * 12.5% + 2 千万\n'
    full_width = (
        'ruleset "r"\nmetric ｒｅｖｅｎｕｅ：money\nlet share＝revenue　＊　１２．５％ ＋ ２ 千万\n'
    )
    assert only(parse(full_width)) == only(parse(ascii_text))


def test_full_width_quotes_open_and_close_a_text(parse: Parse) -> None:
    module = only(parse("ruleset ＂Kế hoạch＂\nmetric x: count\n"))
    assert module.ruleset == "Kế hoạch"


def test_texts_and_comments_are_kept_as_written(parse: Parse) -> None:
    module = only(parse('ruleset "Ｑ３ ２ tỷ"  # ｍｏｎｔｈｌｙ ㎏\nmetric x: count "số ２"\n'))
    assert module.ruleset == "Ｑ３ ２ tỷ"
    assert module.comments[0].text == "# ｍｏｎｔｈｌｙ ㎏"
    metric = module.declarations[0]
    assert isinstance(metric, s.Metric) and metric.description == "số ２"


def test_a_token_after_full_width_characters_keeps_its_written_column(parse: Parse) -> None:
    parsed = parse('ruleset "r"\nmetric 销售额：money\nlet x ＝ 销售额 ＋ ２ ＋ revenue\n')
    let = only(parsed).declarations[-1]
    assert isinstance(let, s.Let)
    assert isinstance(let.expr, s.Binary) and isinstance(let.expr.right, s.Name)
    # `let x ＝ 销售额 ＋ ２ ＋ ` is 18 code points as written.
    assert let.expr.right.span.column == 19
    assert let.expr.right.span.end_column == 26


@pytest.mark.parametrize(
    ("line", "column", "end_column"),
    [
        ("let x = ㎏ + 2 3", 15, 16),  # `㎏` reads `kg`, two characters for one
        ("let ﬁrst = 5 5", 14, 15),  # `ﬁ` reads `fi`
        ("let x = ①０ ＋＋ 2", 13, 14),  # `①` reads `1`
        ("let ﾊﾞ = 5 5", 12, 13),  # `ﾊﾞ` reads `バ`, one character for two
    ],
)
def test_syntax_errors_point_at_the_character_written(
    parse: Parse, line: str, column: int, end_column: int
) -> None:
    parsed = parse(f'ruleset "r"\n{line}\nmetric y: count\n')
    assert parsed.module is None
    assert [where(d) for d in parsed.diagnostics] == [("syntax-error", 2, column, 2, end_column)]


def test_a_span_over_a_character_that_reads_as_two_covers_it(parse: Parse) -> None:
    parsed = parse('ruleset "r"\nmetric ㎏: count\nlet y = ㎏ + 1\n')
    let = only(parsed).declarations[-1]
    assert isinstance(let, s.Let) and isinstance(let.expr, s.Binary)
    name = let.expr.left
    assert isinstance(name, s.Name) and name.name == "kg"
    assert (name.span.column, name.span.end_column) == (9, 10)


def test_checker_diagnostics_point_at_the_character_written(check: Check) -> None:
    checked = check('ruleset "r"\nmetric revenue：money\nlet x＝ｒｅｖｅｎｕｅ ＋ ㎏\n')
    assert [where(d) for d in checked.diagnostics if d.is_error] == [("unknown-name", 3, 17, 3, 18)]


def test_a_full_width_date_in_a_baseline_is_refused(check: Check) -> None:
    checked = check(
        'ruleset "r"\nperiod 2026-01-01 to 2026-12-31 monthly\nmetric x: count stock\n'
        'goal "g": x >= 5000 from ２０２５－１２ by 2026-12-31\n'
    )
    assert "bad-baseline" in errors(checked)


@pytest.mark.parametrize(
    ("read", "written"),
    [
        ((9, 10), (9, 10)),  # `(`, ending where `㎏` starts
        ((10, 12), (10, 11)),  # `kg`, all of `㎏`
        ((10, 11), (10, 11)),  # `k`: a part of `㎏` is all of it
        ((11, 12), (10, 11)),  # `g`
        ((12, 13), (11, 12)),  # `+`, after it
        ((13, 14), (12, 13)),  # past the end of the line
    ],
)
def test_a_span_of_the_text_read_is_placed_where_written(
    read: tuple[int, int], written: tuple[int, int]
) -> None:
    text = parser_text(Source.from_text("t.plan", 'ruleset "r"\nlet x = (㎏+\n'))
    assert text.source.text == 'ruleset "r"\nlet x = (kg+\n'
    span = text.span(Span("t.plan", 2, read[0], 2, read[1]))
    assert (span.column, span.end_column) == written


def test_the_delimiters_are_every_character_nfkc_reads_as_one() -> None:
    read_as = {'"': set(), "#": set()}
    for code in range(sys.maxunicode + 1):
        if not 0xD800 <= code <= 0xDFFF:
            normal = unicodedata.normalize("NFKC", chr(code))
            if normal in read_as:
                read_as[normal].add(chr(code))
    assert read_as == {'"': set(QUOTES), "#": set(HASHES)}


def test_text_already_normalised_is_passed_through() -> None:
    source = Source.from_text("t.plan", 'ruleset "Kế hoạch"\nmetric 销售额: money # ２\n')
    text = parser_text(source)
    assert text.source is source
    assert not text.lines


def test_full_width_code_is_formatted_as_read_texts_as_written() -> None:
    source = Source.from_text(
        "t.plan", 'ruleset "Ｑ３"\nmetric 销售额：money  # ２\nlet x ＝ 销售额 ＊ ２％\n'
    )
    assert format_source(source).text == (
        'ruleset "Ｑ３"\n\nmetric 销售额: money # ２\n\nlet x = 销售额 * 2%\n'
    )


def test_a_full_width_hash_starts_a_comment_that_fmt_keeps_in_place() -> None:
    source = Source.from_text(
        "t.plan", "＃ Kế hoạch\n\u3000\nruleset ＂r＂  ＃ ghi chú\nmetric x：count\n"
    )
    assert format_source(source).text == (
        '# Kế hoạch\n\nruleset "r" # ghi chú\n\nmetric x: count\n'
    )


# ---- NFKC never moves a caret off its character ----------------------------------------------

# Rulesets in ASCII (texts aside) with problems the parser and the checker find.
_BASES = (
    'ruleset "Kế hoạch"\ncurrency VND\nmetric offers_kg: count\nmetric revenue: money\n'
    'goal "Doanh thu": total(revenue) >= 2 billion by 30/09/2026\n',
    'ruleset "r"\ncurrency VND\nperiod 2026-07-01 to 2026-09-30 monthly\n'
    "metric profit_kg: money by channel # 10 kg\nlet fifty = 10 + profit_kgs\n"
    'goal "g": total(profit_kg) >= 10 CNY by 2026-09-30 owner "No 10"\n'
    "let ratio = max(1,5%) + orders\n",
    'ruleset "r"\nmetric staff: count by rep\ntable quota: count by rep { Lan 10 Minh 9 else 6 }\n'
    'threshold "t" per rep: staff\n    warn below quota - offs\n'
    'budget "b" total 10 million {\n  ads 21,95% share 20% .. 25%\n',
    'ruleset "r"\nmetric x: count\nlet y = (x + 1\nlet z = x * ff\n'
    'trigger "t" when x < 10 for 2 periods {\n  recommend "{x}"\n',
)
# Spellings that NFKC reads as the text on the left.
_EXPANSIONS = (("kg", "㎏"), ("fi", "ﬁ"), ("ff", "ﬀ"), ("10", "⑩"), ("No", "№"))
_PROTECTED = re.compile(r'"[^"\n]*"|#[^\n]*')


def _full_width(char: str) -> str | None:
    if char == " ":
        return "\u3000"
    if "!" <= char <= "~" and char not in '"#\\':
        return chr(ord(char) + 0xFEE0)
    return None


@st.composite
def written_forms(draw: st.DrawFn) -> tuple[str, str, list[tuple[int, int, int, int]]]:
    """A base ruleset, the same ruleset with characters of its code written in other forms,
    and its pieces: (base start, base end, written start, written end)."""
    base = draw(st.sampled_from(_BASES))
    choices = iter(draw(st.lists(st.booleans(), min_size=len(base), max_size=len(base))))
    protected = {i for m in _PROTECTED.finditer(base) for i in range(m.start(), m.end())}
    written: list[str] = []
    pieces: list[tuple[int, int, int, int]] = []
    position = 0
    while position < len(base):
        spelling, length = base[position], 1
        use_other = next(choices)
        if position not in protected and use_other:
            expansion = next((e for e in _EXPANSIONS if base.startswith(e[0], position)), None)
            if expansion is not None:
                spelling, length = expansion[1], len(expansion[0])
            else:
                spelling = _full_width(base[position]) or spelling
        start = sum(map(len, written))
        written.append(spelling)
        pieces.append((position, position + length, start, start + len(spelling)))
        position += length
    return base, "".join(written), pieces


def _offset(text: str, line: int, column: int) -> int:
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    return starts[line - 1] + column - 1


def _column(text: str, line: int, offset: int) -> int:
    """The column of `offset` on `line` (lines are never joined or split: a span may end one
    past its line's end)."""
    return offset - _offset(text, line, 1) + 1


def _written_position(pieces: list[tuple[int, int, int, int]], offset: int, *, start: bool) -> int:
    """Where a position of the base text is in the written one: inside a piece written with
    another number of characters, at the piece's start (a span's start) or end (its end)."""
    for base_start, base_end, written_start, written_end in pieces:
        if base_start <= offset < base_end:
            if base_end - base_start == written_end - written_start:
                return written_start + offset - base_start
            return written_start if start or offset == base_start else written_end
    return pieces[-1][3]


def _diagnostics(text: str) -> list[Diagnostic]:
    return list(check_source(Source.from_text("generated.plan", text)).diagnostics)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(written_forms())
def test_nfkc_never_moves_a_caret_off_its_character(
    form: tuple[str, str, list[tuple[int, int, int, int]]],
) -> None:
    base, written, pieces = form
    expected = []
    for diagnostic in _diagnostics(base):
        span = diagnostic.span
        start = _written_position(pieces, _offset(base, span.line, span.column), start=True)
        end = _written_position(pieces, _offset(base, span.end_line, span.end_column), start=False)
        expected.append(
            (
                diagnostic.code,
                span.line,
                _column(written, span.line, start),
                span.end_line,
                _column(written, span.end_line, end),
            )
        )
    assert expected, "each base ruleset has problems"
    assert [where(d) for d in _diagnostics(written)] == expected


@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40))
@settings(max_examples=200, deadline=None)
def test_the_parser_reads_the_nfkc_of_every_line_outside_texts(text: str) -> None:
    source = Source.from_text("t.plan", text)
    normalised = parser_text(source).source.text
    assert normalised.count("\n") == source.text.count("\n")
    if (
        '"' not in text
        and "#" not in text
        and not any(unicodedata.normalize("NFKC", c) in ('"', "#") for c in text)
    ):
        assert normalised == unicodedata.normalize("NFKC", source.text)


# ---- currencies and scale words --------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "value", "currency"),
    [
        ("2 千万元", 20_000_000, "CNY"),
        ("2千万元", 20_000_000, "CNY"),
        ("3 千", 3_000, None),
        ("5 百万", 5_000_000, None),
        ("1 十万", 100_000, None),
        ("1 百亿", 10_000_000_000, None),
        ("1 十亿", 1_000_000_000, None),
        ("1 千亿", 100_000_000_000, None),
        ("150万人民币", 1_500_000, "CNY"),
        ("3 千万 RMB", 30_000_000, "CNY"),
        ("5 ¥", 5, "CNY"),
        ("5 ￥", 5, "CNY"),  # full width, read as `¥`
        ("2 tỷ ₫", 2_000_000_000, "VND"),
        ("2 tỷ đ", 2_000_000_000, "VND"),
        ("500k đ", 500_000, "VND"),
        ("500đ", 500, "VND"),
        ("3 triệu VNĐ", 3_000_000, "VND"),
        ("3 triệu đồng", 3_000_000, "VND"),
        ("７ 万元", 70_000, "CNY"),
    ],
)
def test_scale_words_and_currencies(parse: Parse, literal: str, value: int, currency: str) -> None:
    number = last_expr(only(parse(f'ruleset "r"\nlet x = {literal}\n')))
    assert isinstance(number, s.Number)
    assert number.value == Decimal(value)
    assert number.currency == currency


def test_a_word_starting_like_a_currency_is_a_name(parse: Parse) -> None:
    table = only(parse('ruleset "r"\ntable q: count by rep { Lan 5 đơn 6  đ 7  RMBs 8 }\n'))
    declaration = table.declarations[0]
    assert isinstance(declaration, s.Table)
    assert [e.key.text for e in declaration.entries] == ["Lan", "đơn", "đ", "RMBs"]
    assert all(e.value.currency is None for e in declaration.entries)


def test_a_scale_word_that_runs_into_a_name_is_not_one(parse: Parse) -> None:
    table = only(parse('ruleset "r"\ntable q: count by rep { Lan 5 千叶 6 }\n'))
    declaration = table.declarations[0]
    assert isinstance(declaration, s.Table)
    assert [(e.key.text, e.value.value) for e in declaration.entries] == [
        ("Lan", 5),
        ("千叶", 6),
    ]


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("₫", "VND"),
        ("đ", "VND"),
        ("VNĐ", "VND"),
        ("đồng", "VND"),
        ("¥", "CNY"),
        ("￥", "CNY"),
        ("元", "CNY"),
        ("人民币", "CNY"),
        ("RMB", "CNY"),
        ("VND", "VND"),
    ],
)
def test_the_currency_header_takes_signs_and_names(check: Check, header: str, code: str) -> None:
    amount = "2 tỷ ₫" if code == "VND" else "150万元"
    checked = check(
        f'ruleset "r"\ncurrency {header}\nmetric m: money\n'
        f'goal "g": total(m) >= {amount}\nlet in_code = m + 5 {code}\n'
    )
    assert checked.currency == code
    assert errors(checked) == []


def test_a_sign_of_another_currency_is_a_mismatch(check: Check) -> None:
    checked = check('ruleset "r"\ncurrency đồng\nmetric m: money\nlet x = m + 20万元\n')
    assert errors(checked) == ["currency-mismatch"]


def test_the_grammar_and_the_literal_reader_know_the_same_words() -> None:
    pattern = re.search(r"^NUMBER: /(.*)/$", grammar_text(), re.MULTILINE)
    assert pattern is not None
    number = re.compile(pattern.group(1))
    for word in SCALES:
        assert number.fullmatch(f"5 {word}"), word
        assert parse_literal(f"5 {word}").value == Decimal(5).scaleb(SCALES[word])
    for sign, code in CURRENCY_SIGNS.items():
        assert number.fullmatch(f"5 {sign}"), sign
        assert number.fullmatch(f"5 万 {sign}"), sign
        assert parse_literal(f"5 {sign}").currency == code


# ---- a decimal comma -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "fixed"),
    [
        ("3,7 tỷ", "3.7 tỷ"),
        ("3,7tỷ", "3.7tỷ"),
        ("21,95%", "21.95%"),
        ("1,5 triệu VND", "1.5 triệu VND"),
        ("2,5 ₫", "2.5 ₫"),
        ("1.549,5 triệu", "1549.5 triệu"),
        ("1,5 千万", "1.5 千万"),
    ],
)
def test_a_decimal_comma_with_a_unit_is_a_locale_number(
    parse: Parse, written: str, fixed: str
) -> None:
    parsed = parse(f'ruleset "r"\ncurrency VND\nlet x = {written}\nlet y = 1\n')
    assert [where(d) for d in parsed.diagnostics] == [("locale-number", 3, 9, 3, 9 + len(written))]
    diagnostic = parsed.diagnostics[0]
    assert diagnostic.message == (
        f"`{written}` has a decimal comma, but in a ruleset a comma separates arguments"
    )
    assert diagnostic.hint is not None and diagnostic.hint.endswith(f": `{fixed}`")


def test_a_locale_number_in_a_call_is_refused_too(parse: Parse) -> None:
    parsed = parse('ruleset "r"\nmetric a: money\nlet x = max(a,3,7 tỷ)\n')
    assert [where(d) for d in parsed.diagnostics] == [("locale-number", 3, 15, 3, 21)]


def test_a_locale_number_in_a_budget_line(check: Check) -> None:
    checked = check(
        'ruleset "r"\ncurrency VND\nmetric spend: money by channel\n'
        'budget "b" total 1.2 tỷ for spend {\n    zalo    21,95%\n    tiktok  300 triệu\n}\n'
    )
    assert [where(d) for d in checked.diagnostics] == [("locale-number", 5, 13, 5, 19)]


@pytest.mark.parametrize(
    "expression",
    [
        "max(a,7)",
        "round(a,2)",
        "max(1,5)",
        "max(1, 5%)",
        "max(a, 3.7 tỷ)",
        "a + 1",
    ],
)
def test_commas_between_arguments_are_left_alone(parse: Parse, expression: str) -> None:
    only(parse(f'ruleset "r"\nmetric a: money\nlet x = {expression}\n'))


def test_a_decimal_comma_in_a_text_or_comment_is_left_alone(parse: Parse) -> None:
    only(parse('ruleset "3,7 tỷ"  # 21,95%\nmetric a: money "3,7 tỷ"\n'))


def test_a_decimal_comma_without_a_unit_stays_a_syntax_error_with_a_hint(parse: Parse) -> None:
    parsed = parse('ruleset "r"\nlet x = 150,5\n')
    assert [(d.code, d.hint) for d in parsed.diagnostics] == [
        ("syntax-error", "decimals are written with a point: `150.5`")
    ]


def test_a_full_width_locale_number_is_placed_as_written(parse: Parse) -> None:
    parsed = parse('ruleset "r"\nlet x ＝ ３，７ tỷ\n')
    assert [where(d) for d in parsed.diagnostics] == [("locale-number", 2, 9, 2, 15)]
    assert parsed.diagnostics[0].hint == "decimals are written with a point: `3.7 tỷ`"


# ---- the header lines `locale` and `roll up` ----------------------------------------------

_PERIOD = "period 2026-07-01 to 2026-09-30 monthly\n"


def test_locale_and_roll_up_are_carried_on_the_result(check: Check) -> None:
    checked = check(f'ruleset "r"\n{_PERIOD}locale vi\nroll up\nmetric m: count\n')
    assert errors(checked) == []
    assert (checked.locale, checked.roll_up) == ("vi", True)


def test_without_them_no_locale_and_no_roll_up(check: Check) -> None:
    checked = check('ruleset "r"\nmetric m: count\n')
    assert (checked.locale, checked.roll_up) == (None, False)


@pytest.mark.parametrize("locale", ["vi", "zh", "en"])
def test_each_locale(check: Check, locale: str) -> None:
    assert check(f'ruleset "r"\nlocale {locale}\n').locale == locale


@pytest.mark.parametrize(
    ("written", "hint"),
    [
        ("VI", "did you mean `vi`?"),
        ("vi_VN", "did you mean `vi`?"),
        ("vn", "did you mean `vi`?"),
        ("cn", "did you mean `zh`?"),
        ("zh_CN", "did you mean `zh`?"),
        ("eng", "did you mean `en`?"),
        ("fr", None),
    ],
)
def test_an_unknown_locale_is_located_with_a_suggestion(
    check: Check, written: str, hint: str | None
) -> None:
    checked = check(f'ruleset "r"\nlocale {written}\n')
    problems = [d for d in checked.diagnostics if d.is_error]
    assert [where(d) for d in problems] == [("unknown-locale", 2, 1, 2, 8 + len(written))]
    assert problems[0].hint == hint
    assert checked.locale is None


def test_roll_up_needs_a_period(check: Check) -> None:
    checked = check('ruleset "r"\nroll   up\nmetric m: count\n')
    assert [where(d) for d in checked.diagnostics if d.is_error] == [
        ("roll-up-without-period", 2, 1, 2, 10)
    ]


@pytest.mark.parametrize("line", ["locale vi", "roll up"])
def test_a_header_line_given_twice(check: Check, line: str) -> None:
    checked = check(f'ruleset "r"\n{_PERIOD}{line}\n{line}\n')
    assert [where(d)[:3] for d in checked.diagnostics if d.is_error] == [("duplicate-header", 4, 1)]


def test_header_lines_come_before_the_declarations(parse: Parse) -> None:
    parsed = parse('ruleset "r"\nmetric m: count\nlocale vi\n')
    assert [d.code for d in parsed.diagnostics] == ["syntax-error"]


def test_a_metric_may_be_called_locale_or_roll(parse: Parse) -> None:
    module = only(parse('ruleset "r"\nlocale zh\nmetric locale: count\nmetric roll: count\n'))
    assert [d.name for d in module.declarations if isinstance(d, s.Metric)] == ["locale", "roll"]


def test_a_used_files_header_lines_are_its_own(check: Check) -> None:
    library = f"{_PERIOD}locale zh\nroll up\nmetric m: count\n"
    checked = check('ruleset "r"\nuse "lib.plan"\nlet x = m\n', **{"lib.plan": library})
    assert errors(checked) == []
    assert (checked.locale, checked.roll_up) == (None, False)


def test_a_test_file_runs_its_ruleset_with_that_rulesets_header(check: Check) -> None:
    ruleset = f'ruleset "r"\n{_PERIOD}locale vi\nroll up\nmetric m: count\n'
    checked = check('use "plan.plan"\n', "plan_test.plan", **{"plan.plan": ruleset})
    assert (checked.locale, checked.roll_up) == ("vi", True)


# ---- formatting keeps the new spellings -----------------------------------------------------


def test_fmt_keeps_the_new_header_lines_and_spellings() -> None:
    text = (
        'ruleset "线上渠道"\n'
        "currency 人民币\n"
        f"{_PERIOD}"
        "locale zh\n"
        "roll up\n"
        "\n"
        "metric 销售额: money\n"
        "\n"
        'goal "两千万": total(销售额) >= 2 千万元 by 2026-09-30\n'
        'goal "一百亿": total(销售额) >= 1 百亿 RMB by 2026-09-30\n'
    )
    assert format_source(Source.from_text("t.plan", text)).text == text


def test_fmt_puts_the_header_lines_in_order() -> None:
    text = f'ruleset "r"\nroll up\nlocale vi\ncurrency đồng\n{_PERIOD}metric m: money\n'
    assert format_source(Source.from_text("t.plan", text)).text == (
        f'ruleset "r"\ncurrency đồng\n{_PERIOD}locale vi\nroll up\n\nmetric m: money\n'
    )


def test_fmt_does_not_rewrite_a_file_with_a_locale_number() -> None:
    result = format_source(Source.from_text("t.plan", 'ruleset "r"\nlet x = max(1,5%)\n'))
    assert result.text is None
    assert [d.code for d in result.diagnostics] == ["locale-number"]
