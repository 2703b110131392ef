"""Hypothesis strategies for rulesets: syntax trees that use every construct, and their text.

A tree is drawn node by node (`modules`), printed with the formatter, and the text is what
the parser must read back into the same tree; `ruleset_texts` adds comments to that text.
Names stay clear of what the lexer would read as something else: `and`, `or` and `not` in
expressions; keywords and scale words (`k`, `B`, `万`, ...) as bare keys, which are quoted
instead; `万`, `亿` and `元` anywhere in a name, as after a number they are scale or currency.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Sequence
from typing import TypeVar

from hypothesis import strategies as st

from planrules.lang import syntax as s
from planrules.lang.build_decls import _LOOKS_LIKE_A_PERIOD
from planrules.lang.fmt import expression, format_module, recommendation
from planrules.lang.numbers import CURRENCY_SIGNS, SCALES, canonical_literal, parse_literal
from planrules.lang.parser import grammar_text
from planrules.lang.source import Span

T = TypeVar("T")

PATH = "generated.plan"
SPAN = Span(PATH, 1, 1, 1, 1)  # spans are left out of equality

# Every word the grammar spells out, so that none is ever drawn where it would be read as one.
KEYWORDS = frozenset(re.findall(r'"([a-z]+)"', grammar_text()))
# Right after a number these are scale words or currencies, so no bare key may be one.
RESERVED_KEYS = KEYWORDS | SCALES.keys() | CURRENCY_SIGNS.keys()
# Keywords that name a metric or a let without trouble, since no keyword is due where one is read.
KEYWORD_NAMES = ("total", "share", "stock", "count", "key", "period")
OPERATOR_WORDS = frozenset({"and", "or", "not"})

# Letters for names: ASCII, Vietnamese (precomposed, as NFC keeps them) and Chinese. No 万, 亿
# or 元: right after a number they would be read as a scale word or a currency.
LETTERS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ăâđêôơưáàảãạấầẩẫậếềểễệốồổỗộớờởỡợứừửữựíìỉĩịúùủũụýỳỷỹỵ"
    "销售额渠道员工指标线索会员好评满意度推广费用天猫京东抖音"
)
WORD_CHARS = LETTERS + "0123456789_"
REAL_NAMES = (
    "reach",
    "leads",
    "revenue",
    "spend",
    "doanh_thu",
    "chi_phí",
    "khách_hàng",
    "销售额",
    "渠道",
    "员工线索",
    "perrep",
    "totals",
)
CURRENCIES = ("VND", "CNY", "USD", "₫", "元", "đồng", "RMB", "¥")
STATUSES = ("pass", "warn", "fail", "unknown", "fired", "quiet", "cooling")
COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")
BINARY_OPERATORS = ("or", "and", *COMPARISONS, "+", "-", "*", "/")
FUNCTIONS = (
    "sum",
    "avg",
    "min",
    "max",
    "count",
    "total",
    "previous",
    "change",
    "growth",
    "median",
    "percentile",
    "rank",
    "share",
    "since",
)


# ---- words and texts -----------------------------------------------------------------------


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


identifiers = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(LETTERS + "_"),
    st.text(WORD_CHARS, max_size=7),
)
# Declaration and dimension names, and bare keys.
plain_names = st.one_of(st.sampled_from(REAL_NAMES), identifiers).filter(
    lambda name: name not in RESERVED_KEYS
)
# Names read in expressions may be keywords, as long as they are not operators.
names = st.one_of(plain_names, st.sampled_from(KEYWORD_NAMES))
expression_names = names.filter(lambda name: name not in OPERATOR_WORDS)

# Anything that fits on a line: quotes and backslashes too, which the printer escapes.
texts = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")),
    max_size=12,
).map(_nfc)
# Texts that may sit inside `{...}` in a recommendation, where braces would end it.
brace_free_texts = texts.filter(lambda text: "{" not in text and "}" not in text)


keys = st.one_of(
    plain_names.map(lambda name: s.Key(name, False, SPAN)),
    texts.map(lambda text: s.Key(text, True, SPAN)),
)


# ---- numbers -------------------------------------------------------------------------------

digits = st.one_of(
    st.integers(0, 10**9).map(str),
    st.sampled_from(("2_000_000", "1_549", "0.5", "12.5", "3.25", "0.125")),
)
scale_words = st.sampled_from(sorted(SCALES))
gaps = st.sampled_from(("", " "))


@st.composite
def literal_texts(draw: st.DrawFn, *, currency: bool = True) -> str:
    """A number as written: digits, then a percent or a scale word, then maybe a currency."""
    text = draw(digits)
    suffix = draw(st.sampled_from(("", "", "%", "scale")))
    if suffix == "%":
        return text + "%"
    if suffix == "scale":
        text += draw(gaps) + draw(scale_words)
    if currency and draw(st.booleans()):
        code = draw(st.sampled_from(CURRENCIES))
        # A scale word ends where a word ends: `5kVND` would be 5 and a name (`₫`, `元` may
        # touch it).
        after_word = text[-1].isalpha() and code not in ("₫", "元")
        text += (" " if after_word else draw(gaps)) + code
    return text


def number_from(text: str) -> s.Number:
    parts = parse_literal(text)
    return s.Number(canonical_literal(text), parts.value, parts.percent, parts.currency, SPAN)


numbers = literal_texts().map(number_from)
plain_numbers = literal_texts(currency=False).map(number_from)
percents = st.builds(lambda text: number_from(text + "%"), digits)
counts = st.integers(1, 6).map(lambda count: number_from(str(count)))
# Values in lists may carry a sign.
values = st.builds(
    lambda sign, text: number_from(sign + text), st.sampled_from(("", "-", "+")), literal_texts()
)


# ---- expressions ---------------------------------------------------------------------------

dates = st.dates(datetime.date(2000, 1, 1), datetime.date(2099, 12, 31))


def expressions(
    leaves: st.SearchStrategy[s.Number] = numbers, key_texts: st.SearchStrategy[str] = texts
) -> st.SearchStrategy[s.Expr]:
    """Expressions of every form, nested; parentheses come from the printer."""
    base: st.SearchStrategy[s.Expr] = st.one_of(
        leaves,
        expression_names.map(lambda name: s.Name(name, SPAN)),
        # `status("RULE")`, its name quoted as a key is (without braces inside `{...}`), and a
        # date as `since(x, DATE)` reads one.
        key_texts.map(lambda text: s.Call("status", (s.RuleName(text, SPAN),), SPAN)),
        dates.map(lambda day: s.DateLiteral(day.isoformat(), day, SPAN)),
    )

    def extend(inner: st.SearchStrategy[s.Expr]) -> st.SearchStrategy[s.Expr]:
        return st.one_of(
            st.builds(s.Binary, st.sampled_from(BINARY_OPERATORS), inner, inner, st.just(SPAN)),
            st.builds(s.Unary, st.sampled_from(("-", "not")), inner, st.just(SPAN)),
            st.builds(
                s.Call,
                st.one_of(st.sampled_from(FUNCTIONS), expression_names),
                st.lists(inner, max_size=3).map(tuple),
                st.just(SPAN),
            ),
            st.builds(s.KeyAccess, inner, plain_names, st.just(False), st.just(SPAN)),
            st.builds(s.KeyAccess, inner, key_texts, st.just(True), st.just(SPAN)),
        )

    return st.recursive(base, extend, max_leaves=6)


# A trigger's condition comes right before `{`, where a currency would be read as a key.
conditions = expressions(leaves=plain_numbers)


# ---- declarations --------------------------------------------------------------------------


def _optional(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.one_of(st.none(), strategy)


def _not_written_like_a_period(expr: s.Expr) -> bool:
    """The tree builder refuses a goal's `from` written like a date or period (`from
    2000-01-01`, a date literal): a baseline is a number the plan starts from."""
    return not _LOOKS_LIKE_A_PERIOD.fullmatch(expression(expr))


# One dimension, or two (`by store, channel`), named by their names joined.
dimensions = st.one_of(
    plain_names,
    st.lists(plain_names, min_size=2, max_size=2, unique=True).map(", ".join),
)
metrics = st.builds(
    s.Metric,
    names,
    st.sampled_from(("count", "money", "ratio", "number")),
    _optional(dimensions),
    st.booleans(),
    _optional(texts),
    st.just(SPAN),
)
table_entries = st.builds(s.TableEntry, keys, values, st.just(SPAN))
tables = st.builds(
    s.Table,
    names,
    st.sampled_from(("count", "money", "ratio", "number")),
    plain_names,
    st.lists(table_entries, max_size=4).map(tuple),
    _optional(values),
    st.just(SPAN),
)
period_texts = st.sampled_from(("2026-07", "2026-Q3", "2026-W33", "2026-07-15", "2027-01"))
period_rows = st.builds(s.PeriodEntry, st.none(), period_texts, values, st.just(SPAN))
keyed_period_rows = st.builds(s.PeriodEntry, keys, period_texts, values, st.just(SPAN))
tables_by_period = st.one_of(
    st.builds(
        lambda name, unit, rows, default: s.Table(name, unit, None, (), default, SPAN, True, rows),
        names,
        st.sampled_from(("count", "money", "ratio", "number")),
        st.lists(period_rows, max_size=4).map(tuple),
        _optional(values),
    ),
    st.builds(
        lambda name, unit, dimension, rows, default: s.Table(
            name, unit, dimension, (), default, SPAN, True, rows
        ),
        names,
        st.sampled_from(("count", "money", "ratio", "number")),
        plain_names,
        st.lists(keyed_period_rows, max_size=4).map(tuple),
        _optional(values),
    ),
)
groups = st.builds(
    s.Group,
    plain_names,
    plain_names,
    st.lists(st.builds(s.GroupEntry, keys, keys, st.just(SPAN)), max_size=4).map(tuple),
    st.just(SPAN),
)
lets = st.builds(s.Let, names, expressions(), st.just(SPAN))
goals = st.builds(
    s.Goal,
    name=texts,
    per=_optional(dimensions),
    subject=expressions(),
    op=st.sampled_from((">=", ">", "<=", "<")),
    target=expressions(),
    deadline=_optional(dates),
    baseline=_optional(expressions().filter(_not_written_like_a_period)),
    tolerance=_optional(percents),
    phased=_optional(st.lists(percents, min_size=1, max_size=4).map(tuple)),
    owner=_optional(texts),
    span=st.just(SPAN),
)
levels = st.builds(
    s.Level,
    st.sampled_from(("warn", "fail")),
    st.sampled_from(("above", "below")),
    expressions(),
    st.just(SPAN),
)
thresholds = st.builds(
    s.Threshold,
    texts,
    _optional(plain_names),
    expressions(),
    st.lists(levels, max_size=3).map(tuple),
    _optional(texts),
    st.just(SPAN),
)
shares = st.one_of(
    st.builds(s.Share, percents, percents, st.just(SPAN)),
    st.builds(s.Share, percents, st.none(), st.just(SPAN)),
    st.builds(s.Share, st.none(), percents, st.just(SPAN)),
)
budget_lines = st.builds(s.BudgetLine, keys, numbers, _optional(shares), st.just(SPAN))


@st.composite
def budgets(draw: st.DrawFn) -> s.Budget:
    per_period = draw(st.booleans())
    metric = draw(_optional(plain_names))
    tolerance = draw(_optional(percents))
    # The total comes right before `{` when no clause follows it: no currency there.
    clauses = per_period or metric is not None or tolerance is not None
    return s.Budget(
        name=draw(texts),
        total=draw(numbers if clauses else plain_numbers),
        per_period=per_period,
        metric=metric,
        tolerance=tolerance,
        lines=tuple(draw(st.lists(budget_lines, max_size=5))),
        owner=draw(_optional(texts)),
        span=SPAN,
    )


action_keys = st.one_of(keys, st.just(s.Key("key", False, SPAN)))
shifts = st.builds(
    s.Shift,
    st.one_of(percents, numbers),
    action_keys,
    action_keys,
    _optional(texts),
    st.just(SPAN),
)
scales = st.builds(
    s.Scale,
    action_keys,
    st.sampled_from(("+", "-", "")),
    percents,
    _optional(texts),
    st.just(SPAN),
)
interpolations = st.builds(s.Interpolation, expressions(key_texts=brace_free_texts), st.just(SPAN))


def _merged(parts: Sequence[str | s.Interpolation]) -> tuple[str | s.Interpolation, ...]:
    """Parts as the parser gives them: no empty literal run, no two runs side by side."""
    merged: list[str | s.Interpolation] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif part != "":
            merged.append(part)
    return tuple(merged)


@st.composite
def recommends(draw: st.DrawFn) -> s.Recommend:
    literal_runs = st.one_of(texts, st.sampled_from(("{", "}", "{{", "}} ", "50%: ")))
    parts = _merged(draw(st.lists(st.one_of(literal_runs, interpolations), max_size=4)))
    return s.Recommend(recommendation(parts), parts, SPAN)


@st.composite
def triggers(draw: st.DrawFn) -> s.Trigger:
    hold = draw(_optional(counts))
    return s.Trigger(
        name=draw(texts),
        per=draw(_optional(plain_names)),
        condition=draw(conditions),
        hold=hold,
        window=draw(counts) if hold is not None and draw(st.booleans()) else None,
        cooldown=draw(_optional(st.one_of(counts, st.just(number_from("0"))))),
        severity=draw(_optional(st.sampled_from(("info", "warn", "fail")))),
        actions=tuple(draw(st.lists(st.one_of(shifts, scales, recommends()), max_size=4))),
        owner=draw(_optional(texts)),
        span=SPAN,
    )


# ---- tests of rulesets ---------------------------------------------------------------------

period_ids = st.one_of(
    st.builds(
        lambda year, month: f"{year}-{month:02}", st.integers(2000, 2099), st.integers(1, 12)
    ),
    st.builds(
        lambda year, quarter: f"{year}-Q{quarter}", st.integers(2000, 2099), st.integers(1, 4)
    ),
    st.builds(lambda year, week: f"{year}-W{week:02}", st.integers(2000, 2099), st.integers(1, 52)),
    dates.map(datetime.date.isoformat),
)
snapshot_entries = st.one_of(
    st.builds(s.SnapshotEntry, keys, values, st.none(), st.just(SPAN)),
    st.builds(
        s.SnapshotEntry,
        keys,
        st.none(),
        st.lists(table_entries, max_size=6).map(tuple),
        st.just(SPAN),
    ),
)
snapshot_blocks = st.builds(
    s.SnapshotBlock, period_ids, st.lists(snapshot_entries, max_size=5).map(tuple), st.just(SPAN)
)


@st.composite
def proposed_expectations(draw: st.DrawFn) -> s.ExpectProposed:
    indexed = draw(st.booleans())
    line = s.Key(draw(texts), True, SPAN) if indexed else draw(keys)
    op = draw(st.sampled_from(COMPARISONS))
    return s.ExpectProposed(draw(texts), line, indexed, op, draw(values), SPAN)


expectations = st.one_of(
    st.builds(s.ExpectStatus, texts, _optional(texts), st.sampled_from(STATUSES), st.just(SPAN)),
    st.builds(s.ExpectOverall, st.sampled_from(STATUSES), st.just(SPAN)),
    st.builds(
        s.ExpectValue,
        texts,
        _optional(texts),
        st.sampled_from(COMPARISONS),
        values,
        st.just(SPAN),
    ),
    proposed_expectations(),
    st.builds(s.ExpectRecommendation, texts, st.just(SPAN)),
)
test_items = st.one_of(
    snapshot_blocks,
    st.builds(s.SnapshotsFile, texts, st.just(SPAN)),
    st.builds(s.At, period_ids, st.just(SPAN)),
    expectations,
)
tests = st.builds(s.Test, texts, st.lists(test_items, max_size=6).map(tuple), st.just(SPAN))

declarations = st.one_of(
    metrics,
    tables,
    tables_by_period,
    groups,
    lets,
    goals,
    thresholds,
    budgets(),
    triggers(),
    tests,
)


# ---- whole files ---------------------------------------------------------------------------


@st.composite
def period_decls(draw: st.DrawFn) -> s.PeriodDecl:
    start, end = sorted(draw(st.lists(dates, min_size=2, max_size=2)))
    cadence = draw(st.sampled_from(("daily", "weekly", "monthly", "quarterly")))
    return s.PeriodDecl(start, end, cadence, SPAN)


currency_codes = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3)


@st.composite
def modules(draw: st.DrawFn, max_declarations: int = 6) -> s.Module:
    return s.Module(
        path=PATH,
        ruleset=draw(_optional(texts)),
        currency=draw(_optional(st.builds(s.Currency, currency_codes, st.just(SPAN)))),
        period=draw(_optional(period_decls())),
        uses=tuple(draw(st.lists(st.builds(s.Use, texts, st.just(SPAN)), max_size=2))),
        declarations=tuple(draw(st.lists(declarations, max_size=max_declarations))),
        comments=(),
        span=SPAN,
    )


comment_texts = texts.map(lambda text: "#" + text.rstrip())


@st.composite
def commented(draw: st.DrawFn, text: str) -> str:
    """`text` with comments added: on lines of their own (indented anyhow, some with a blank
    line below) and after lines."""
    lines = text.split("\n")[:-1]
    out: list[str] = []
    for line in lines:
        if draw(st.integers(0, 5)) == 0:
            out.append(" " * draw(st.integers(0, 9)) + draw(comment_texts))
            if draw(st.integers(0, 3)) == 0:
                out.append("")
        if line and draw(st.integers(0, 4)) == 0:
            line += " " * draw(st.integers(0, 3)) + draw(comment_texts)
        out.append(line)
    if draw(st.booleans()):
        out.append(draw(comment_texts))
    return "\n".join(out) + "\n"


# Where white space may not change: inside a text or a comment.
_STRING_OR_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*')
_WHITE_SPACE = st.sampled_from((" ", "  ", "\t", "\n", "\n    ", " \n\n  "))
_MAYBE_WHITE_SPACE = st.sampled_from(("", "", " ", "\n  "))


@st.composite
def respaced(draw: st.DrawFn, text: str) -> str:
    """`text` written another way: each space outside texts and comments another run of white
    space, newlines included, and some inside brackets and after commas."""
    out: list[str] = []
    position = 0
    for match in _STRING_OR_COMMENT.finditer(text):
        out.append(_respaced_code(draw, text[position : match.start()]))
        out.append(match.group())
        position = match.end()
    out.append(_respaced_code(draw, text[position:]))
    return "".join(out)


def _respaced_code(draw: st.DrawFn, code: str) -> str:
    out: list[str] = []
    for char in code:
        if char == " ":
            out.append(draw(_WHITE_SPACE))
        elif char in "([{,":
            out.append(char + draw(_MAYBE_WHITE_SPACE))
        elif char in ")]}":
            out.append(draw(_MAYBE_WHITE_SPACE) + char)
        else:
            out.append(char)
    return "".join(out)


@st.composite
def ruleset_texts(draw: st.DrawFn) -> str:
    """The text of a generated ruleset with comments added, maybe spaced anyhow; it parses
    without a problem."""
    text = draw(commented(format_module(draw(modules()))))
    return draw(respaced(text)) if draw(st.booleans()) else text
