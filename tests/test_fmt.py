"""The canonical printer: each construct's layout, comments in place, and its round trip."""

from __future__ import annotations

from textwrap import dedent

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planrules.lang import syntax as s
from planrules.lang.build import parse_source
from planrules.lang.fmt import format_module, format_source
from planrules.lang.numbers import EXACT
from planrules.lang.source import Source
from tests import strategies as gen

PROPERTIES = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

LANGUAGE_EXAMPLE = """\
# SAADO sandals: online launch, third quarter
ruleset "SAADO Q3 online launch"
currency VND
period 2026-07-01 to 2026-09-30 monthly

metric reach: count "People reached by posts and ads"
metric leads: count
metric orders: count
metric revenue: money
metric spend: money by channel
metric orders_by_rep: count by rep
metric customers: count stock

table quota: count by rep { Lan 120  Minh 90  else 60 }

let conversion = orders / leads
let cpa = sum(spend) / orders

goal "Revenue 2 billion": total(revenue) >= 2 billion by 2026-09-30 owner "Sales lead"
goal "1000 interested customers": total(leads) >= 1000 by 2026-07-31
goal "Rep quota" per rep: total(orders_by_rep) >= quota by 2026-09-30

threshold "Cost per order": cpa
    warn above 150 thousand
    fail above 200 thousand

threshold "Orders per rep" per rep: orders_by_rep
    warn below 30
    fail below 20

budget "Promotion mix" total 1549 million for spend {
    advertising       340 million  share 20% .. 25%
    direct_marketing  100 million
    personal_selling  435 million
    sales_promotion   324 million
    public_relations  350 million
}

trigger "Conversion slump" when conversion < 2% for 2 periods cooldown 1 period {
    shift 10% from advertising to sales_promotion
    recommend "Conversion is {conversion}: review the inbox scripts"
}
"""


def fmt(text: str, path: str = "test.plan") -> str:
    result = format_source(Source.from_text(path, text))
    assert result.text is not None, result.diagnostics
    return result.text


def tree(text: str, path: str = "test.plan") -> s.Module:
    parsed = parse_source(Source.from_text(path, text))
    assert parsed.module is not None, parsed.diagnostics
    return parsed.module


def canonical(text: str) -> str:
    """A layout written indented in the test, as the printer should give it."""
    return dedent(text).lstrip("\n")


def assert_formats(messy: str, expected: str) -> None:
    expected = canonical(expected)
    assert fmt(messy) == expected
    assert fmt(expected) == expected
    assert tree(expected) == tree(messy)


# ---- each construct's canonical form -------------------------------------------------------


def test_the_language_reference_example_is_canonical() -> None:
    assert fmt(LANGUAGE_EXAMPLE) == LANGUAGE_EXAMPLE


def test_header_comes_first_one_item_a_line() -> None:
    messy = 'use "a.plan" ruleset_x_is_not_here_so\n'
    assert format_source(Source.from_text("t.plan", messy)).text is None
    assert_formats(
        'ruleset   "R"  use "a.plan" period 2026-07-01 to 2026-09-30 monthly currency VND '
        'use "b.plan" metric a: count',
        """
        ruleset "R"
        currency VND
        period 2026-07-01 to 2026-09-30 monthly
        use "a.plan"
        use "b.plan"

        metric a: count
        """,
    )


def test_one_line_declarations_of_a_kind_stay_together() -> None:
    assert_formats(
        'ruleset "R"\n\n\nmetric a: count\n\nmetric b:money by channel stock "Spend, \\"all\\""'
        "\ntable q: count by rep {Lan 1 else 2}\ntable r: count by rep {}\nlet x = a\n"
        "\n\nlet y = b\n",
        """
        ruleset "R"

        metric a: count
        metric b: money by channel stock "Spend, \\"all\\""

        table q: count by rep { Lan 1  else 2 }
        table r: count by rep {}

        let x = a
        let y = b
        """,
    )


def test_a_long_table_takes_a_line_per_entry_in_columns() -> None:
    entries = "  ".join(f"rep_number_{n} {n}00" for n in range(8))
    assert fmt(f'ruleset "R"\ntable quota: count by rep {{ {entries}  else 60 }}\n') == canonical(
        """
        ruleset "R"

        table quota: count by rep {
            rep_number_0  000
            rep_number_1  100
            rep_number_2  200
            rep_number_3  300
            rep_number_4  400
            rep_number_5  500
            rep_number_6  600
            rep_number_7  700
            else          60
        }
        """
    )


def test_goal_clauses_in_canonical_order() -> None:
    assert_formats(
        'ruleset "R"\ngoal "G" per rep : x>=5 owner "O" phased 50% 50% tolerance 5% '
        "from 1 by 2026-09-30\n",
        """
        ruleset "R"

        goal "G" per rep: x >= 5 by 2026-09-30 from 1 tolerance 5% phased 50% 50% owner "O"
        """,
    )


def test_a_long_goal_breaks_between_clauses() -> None:
    assert_formats(
        'ruleset "R"\ngoal "Doanh thu 2 tỷ": total(doanh_thu) >= 2 tỷ by 2026-09-30 '
        'phased 25% 35% 40% owner "Trưởng nhóm sales"\ngoal "b": x < 1\n',
        """
        ruleset "R"

        goal "Doanh thu 2 tỷ": total(doanh_thu) >= 2 tỷ by 2026-09-30 phased 25% 35% 40%
            owner "Trưởng nhóm sales"
        goal "b": x < 1
        """,
    )


def test_threshold_levels_indented_owner_last() -> None:
    assert_formats(
        'ruleset "R"\nthreshold "T" per rep: cpa owner "O" warn above 150 thousand '
        'fail above quota\nthreshold "U": x\n',
        """
        ruleset "R"

        threshold "T" per rep: cpa
            warn above 150 thousand
            fail above quota
            owner "O"

        threshold "U": x
        """,
    )


def test_budget_lines_are_aligned_columns() -> None:
    assert_formats(
        'ruleset "R"\nbudget "B" total 1549 million VND tolerance 15% for spend per period {\n'
        "advertising 340 million share 20% .. 25%\n"
        '"quảng cáo" 100 million share <= 10%\n'
        "tv 1 B share >= 5%\n"
        "personal_selling 435 million\n"
        '} owner "O"\n',
        """
        ruleset "R"

        budget "B" total 1549 million VND per period for spend tolerance 15% {
            advertising       340 million  share 20% .. 25%
            "quảng cáo"       100 million  share <= 10%
            tv                1 B          share >= 5%
            personal_selling  435 million
        } owner "O"
        """,
    )


def test_budget_lines_written_as_percents_are_printed_as_written() -> None:
    # The tree holds 21.95% of the total in money (340,005,500); the text keeps the percent.
    assert_formats(
        'ruleset "R"\nbudget "B" total 1549 million for spend {zalo 21.95%  share 20% .. 25%\n'
        "tiktok   -5 million facebook 0.5%}\n",
        """
        ruleset "R"

        budget "B" total 1549 million for spend {
            zalo      21.95%  share 20% .. 25%
            tiktok    -5 million
            facebook  0.5%
        }
        """,
    )


def test_budget_columns_count_chinese_as_two_columns() -> None:
    budget = 'budget "B" total 3万元 for 费用 { 天猫 1万元 share 25% .. 40%  微信小程序 8000元 }'
    text = fmt(f'ruleset "R"\n{budget}\n')
    assert "    天猫        1万元\n" not in text
    assert "    天猫        1万元  share 25% .. 40%\n    微信小程序  8000元\n" in text


def test_trigger_clauses_and_actions() -> None:
    assert_formats(
        'ruleset "R"\ntrigger "Costly channel" per channel when cost_per_lead > 250 thousand '
        'severity fail cooldown 1 periods for 2 of 3 period { shift 10% from key to "key" in "B" '
        "scale tv by -40% "
        'recommend "{key}: {cpa} per lead, {{not}} {spend[\\"quảng cáo\\"] / sum(spend)}" } '
        'owner "O"\n',
        """
        ruleset "R"

        trigger "Costly channel" per channel when cost_per_lead > 250 thousand for 2 of 3 periods
                cooldown 1 period severity fail {
            shift 10% from key to "key" in "B"
            scale tv by -40%
            recommend "{key}: {cpa} per lead, {{not}} {spend[\\"quảng cáo\\"] / sum(spend)}"
        } owner "O"
        """,
    )


def test_for_one_period_is_singular() -> None:
    text = fmt('ruleset "R"\ntrigger "T" when x < 1 for 1 periods cooldown 2 period {}\n')
    assert 'trigger "T" when x < 1 for 1 period cooldown 2 periods {\n}\n' in text


def test_tests_and_snapshots() -> None:
    assert_formats(
        'use "saado.plan"\ntest "T" { snapshot 2026-07 { reach 150k spend { advertising 100 '
        'million } } snapshots "q3.json" at 2026-Q3 expect "R"["Minh"] fail expect status '
        'warn expect value of "C" == 1.78% expect proposed "B".advertising == 309.8 million '
        'expect proposed "B"["quảng cáo"] >= -5 expect recommendation contains "review" }\n',
        """
        use "saado.plan"

        test "T" {
            snapshot 2026-07 { reach 150k  spend { advertising 100 million } }
            snapshots "q3.json"
            at 2026-Q3
            expect "R"["Minh"] fail
            expect status warn
            expect value of "C" == 1.78%
            expect proposed "B".advertising == 309.8 million
            expect proposed "B"["quảng cáo"] >= -5
            expect recommendation contains "review"
        }
        """,
    )


def test_a_long_snapshot_takes_a_line_per_entry() -> None:
    channels = "  ".join(f"channel_{n} {n} million" for n in range(6))
    assert_formats(
        f'use "p.plan"\ntest "T" {{ snapshot 2026-07 {{ reach 150k spend {{ {channels} }} '
        "leads { a 1 } } }\n",
        """
        use "p.plan"

        test "T" {
            snapshot 2026-07 {
                reach 150k
                spend {
                    channel_0  0 million
                    channel_1  1 million
                    channel_2  2 million
                    channel_3  3 million
                    channel_4  4 million
                    channel_5  5 million
                }
                leads { a 1 }
            }
        }
        """,
    )


# ---- what the user wrote is kept -----------------------------------------------------------


@pytest.mark.parametrize(
    "literal", ["2 tỷ", "150k", "20万元", "1_549", "12.5%", "340 million VND", "2 B", "5₫"]
)
def test_numbers_keep_their_spelling(literal: str) -> None:
    assert f"let x = {literal}\n" in fmt(f'ruleset "R"\ncurrency VND\nlet x = {literal}\n')


def test_white_space_inside_a_number_is_folded() -> None:
    assert "let x = 2 tỷ\n" in fmt('ruleset "R"\nlet x = 2    tỷ\n')


def test_keys_stay_quoted_or_bare() -> None:
    text = fmt('ruleset "R"\nlet x = spend.tv + spend["quảng cáo"] + spend["tv"]\n')
    assert 'let x = spend.tv + spend["quảng cáo"] + spend["tv"]\n' in text


def test_texts_are_escaped_again() -> None:
    assert fmt('ruleset "a \\"b\\" \\\\ c"\n') == 'ruleset "a \\"b\\" \\\\ c"\n'


@pytest.mark.parametrize(
    ("written", "printed"),
    [
        ("((a + b)) * (c)", "(a + b) * c"),
        ("(a - b) - c", "a - b - c"),
        ("a - (b - c)", "a - (b - c)"),
        ("a / (b * c)", "a / (b * c)"),
        ("(a * b) + (c / d)", "a * b + c / d"),
        ("-(a + b)", "-(a + b)"),
        ("-(a.x)", "-a.x"),
        ("(-a).x", "(-a).x"),
        ('(a + b)["k"]', '(a + b)["k"]'),
        ("- - a", "--a"),
        ("not (a < b)", "not a < b"),
        ("(not a) < b", "(not a) < b"),
        ("(a < b) == (c < d)", "(a < b) == (c < d)"),
        ("a or (b and c)", "a or b and c"),
        ("(a or b) and c", "(a or b) and c"),
        ("(a and b) or c", "a and b or c"),
        ("not not a", "not not a"),
        ("f(  (a), b + c ,g())", "f(a, b + c, g())"),
    ],
)
def test_expressions_take_the_parentheses_they_need(written: str, printed: str) -> None:
    assert fmt(f'ruleset "R"\nlet x = {written}\n') == f'ruleset "R"\n\nlet x = {printed}\n'


def test_recommendation_texts_are_kept_as_written() -> None:
    # The language reference: texts stay as written, the expressions in braces included.
    written_text = r'"Is { conversion }, {a+b} {(a)} {{x}} \"q\" \\ {spend[\"tv\"]}"'
    written = f'ruleset "R"\ntrigger "T" when a < 1 {{\n recommend {written_text}\n}}\n'
    text = fmt(written)
    assert f"    recommend {written_text}\n" in text
    assert recommendation_parts(text) == recommendation_parts(written)


def recommendation_parts(text: str) -> tuple[str | s.Interpolation, ...]:
    trigger = tree(text).declarations[0]
    assert isinstance(trigger, s.Trigger) and isinstance(trigger.actions[0], s.Recommend)
    return trigger.actions[0].parts


# ---- comments ------------------------------------------------------------------------------


def test_comments_stay_beside_their_lines() -> None:
    assert_formats(
        """\
# SAADO: the heading, set apart

ruleset "R"   # the name
# money
currency VND
metric   orders:count # how many
   # the next metric
metric leads: count
threshold "T": orders # per month
    # the warning first
    warn below 5 # five
  # then failure
    fail below 3
budget "B" total 5 { # small
  # the first line
  a 1
  bb 2 # second
     # still inside
} # after the block
trigger "X" when orders < 1 {
    # nothing to do yet
}
test "t" {
   # a snapshot
   snapshot 2026-07 { orders 1 } # July
   expect status pass
   # last in the test
}
# the end
# of the file
""",
        """
        # SAADO: the heading, set apart

        ruleset "R" # the name
        # money
        currency VND

        metric orders: count # how many
        # the next metric
        metric leads: count

        threshold "T": orders # per month
            # the warning first
            warn below 5 # five
            # then failure
            fail below 3

        budget "B" total 5 { # small
            # the first line
            a   1
            bb  2 # second
            # still inside
        } # after the block

        trigger "X" when orders < 1 {
            # nothing to do yet
        }

        test "t" {
            # a snapshot
            snapshot 2026-07 { orders 1 } # July
            expect status pass
            # last in the test
        }

        # the end
        # of the file
        """,
    )


def test_a_comment_inside_a_list_spreads_it_over_lines() -> None:
    assert_formats(
        'ruleset "R"\ntable q: count by rep { Lan 1 # the lead\n Minh 2 }\n',
        """
        ruleset "R"

        table q: count by rep {
            Lan   1 # the lead
            Minh  2
        }
        """,
    )


def test_comments_of_lines_joined_into_one_all_stay() -> None:
    assert_formats(
        'ruleset "R"\ngoal "G": x >= 5 # the target\n    # by when\n    by 2026-09-30 # soon\n',
        """
        ruleset "R"

        # the target
        # by when
        goal "G": x >= 5 by 2026-09-30 # soon
        """,
    )


def test_trailing_comments_on_consecutive_lines_line_up() -> None:
    text = fmt('ruleset "R"\nlet a = x # one\nlet long_name = x + y # two\n')
    assert text.endswith("let a = x             # one\nlet long_name = x + y # two\n")


def test_a_file_of_comments_only() -> None:
    assert fmt("# just\n\n\n# notes\n") == "# just\n\n# notes\n"


# ---- long and deep expressions -------------------------------------------------------------


@pytest.mark.parametrize(("operator", "terms"), [("+", 400), ("-", 5000), ("*", 5000)])
def test_a_long_chain_of_operators_is_printed(operator: str, terms: int) -> None:
    chain = f" {operator} ".join(["orders"] * terms)
    squeezed = chain.replace(" ", "")
    assert fmt(f'ruleset "R"\nlet x = {squeezed}\n') == f'ruleset "R"\n\nlet x = {chain}\n'


def test_a_long_chain_keeps_the_parentheses_it_needs() -> None:
    chain = " or ".join(["a and (b or c)"] * 3000)
    written = f'ruleset "R"\nlet x = ((a - (b - c)) * d) / e + {chain}\n'
    assert fmt(written) == f'ruleset "R"\n\nlet x = (a - (b - c)) * d / e + {chain}\n'


@pytest.mark.parametrize(
    "nested",
    [
        "(" * 10_000 + "a" + ")" * 10_000,
        "-" * 10_000 + "a",
        "not " * 10_000 + "a",
        "abs(" * 10_000 + "a" + ")" * 10_000,
        "a" + ".b" * 10_000,
        "a" + " + (a" * 10_000 + ")" * 10_000,
    ],
    ids=["brackets", "minus", "not", "calls", "keys", "right operands"],
)
def test_a_deeply_nested_expression_is_not_formatted(nested: str) -> None:
    result = format_source(Source.from_text("deep.plan", f'ruleset "R"\nlet x = {nested}\n'))
    assert result.text is None
    assert [d.code for d in result.diagnostics] == ["expression-too-deep"]


# ---- files that cannot be formatted --------------------------------------------------------


def test_a_file_that_does_not_parse_is_not_formatted() -> None:
    result = format_source(Source.from_text("bad.plan", 'ruleset "R"\nmetric orders count\n'))
    assert result.text is None
    assert [d.code for d in result.diagnostics] == ["syntax-error"]


@pytest.mark.parametrize(
    "text",
    [
        'ruleset "R"\ngoal "G": x >= 1 by 2026-09-30 by 2026-08-31\n',
        'ruleset "R"\ngoal "G": x >= 1 by 2026-02-30\n',
        'ruleset "R"\ngoal "G": x\n',
        'ruleset "R"\ncurrency VND\ncurrency USD\n',
    ],
)
def test_a_file_whose_tree_lost_text_is_not_formatted(text: str) -> None:
    # Printing the tree would silently drop the second clause, the bad date or the goal.
    result = format_source(Source.from_text("bad.plan", text))
    assert result.text is None
    assert result.diagnostics


# ---- properties ----------------------------------------------------------------------------


def with_percent_lines_resolved(module: s.Module) -> s.Module:
    """The tree the parser reads back: a budget line written as a percent (`zalo 21.95%`)
    stands for that share of the budget's total, in money."""
    declarations = [
        attrs.evolve(d, lines=tuple(_resolved(line, d.total) for line in d.lines))
        if isinstance(d, s.Budget)
        else d
        for d in module.declarations
    ]
    return attrs.evolve(module, declarations=tuple(declarations))


def _resolved(line: s.BudgetLine, total: s.Number) -> s.BudgetLine:
    if not line.amount.percent:
        return line
    money = EXACT.multiply(total.value, line.amount.value)
    return attrs.evolve(line, amount=attrs.evolve(line.amount, value=money))


@PROPERTIES
@given(st.data())
def test_printing_a_tree_gives_the_tree_back_however_it_is_spaced(data: st.DataObject) -> None:
    module = data.draw(gen.modules())
    text = format_module(module)
    parsed = parse_source(Source.from_text(gen.PATH, text))
    assert parsed.diagnostics == ()
    assert parsed.module == with_percent_lines_resolved(module)
    assert fmt(data.draw(gen.respaced(text)), gen.PATH) == text


@PROPERTIES
@given(st.data())
def test_formatting_is_stable_and_keeps_meaning_and_comments(data: st.DataObject) -> None:
    text = data.draw(gen.ruleset_texts())
    once = fmt(text, gen.PATH)
    assert fmt(once, gen.PATH) == once
    before, after = tree(text, gen.PATH), tree(once, gen.PATH)
    assert after == before
    assert sorted(c.text for c in after.comments) == sorted(c.text for c in before.comments)
    assert once == "" or (once.endswith("\n") and not once.endswith("\n\n"))
    assert all(line == line.rstrip() for line in once.split("\n"))
