"""Hypothesis strategies for evaluating: well-typed ruleset texts and histories of snapshots.

`checked_rulesets()` draws the text of a ruleset over a fixed vocabulary of metrics, built so
that the checker accepts it: every expression is drawn for a unit (money, count, ratio,
number) and, inside a `per` rule, a dimension, following the unit rules of the language
reference (money never added to or compared with a non-money value, no money times money, a
bare literal takes the other side's unit in `+ -` and comparisons and is a plain number in
`* /`), `total` and `rolling_sum` never read a stock, budgets are allocated within their total
and share ranges, and phased weights cover the span to the deadline and sum to 100%.

`histories()` draws 1 to 8 monthly snapshots in the JSON form for that vocabulary.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from hypothesis import strategies as st

UNITS = ("money", "count", "ratio", "number")
DIMENSIONS = ("rep", "channel")

HEADER = 'ruleset "G"\ncurrency VND\n'
PERIOD = "period 2026-01-01 to 2026-06-30 monthly\n"
WINDOW_START = datetime.date(2026, 1, 1)
WINDOW_END = datetime.date(2026, 6, 30)

DECLARATIONS = """\
metric revenue: money
metric cost: money "Cost of goods"
metric leads: count
metric orders: count
metric rate: ratio
metric score: number
metric customers: count stock
metric spend: money by channel
metric sold: count by rep
metric quality: ratio by rep
table quota: count by rep { Lan 10  Minh 5 %s}
let margin = revenue - cost
let conversion = orders / leads
let cpa = sum(spend) / orders
let rep_share = sold / sum(sold)
let channel_share = spend / sum(spend)
let loyal = customers + leads
"""

# Scalar names by unit, with whether they read a stock (through lets too).
SCALARS: dict[str, tuple[tuple[str, bool], ...]] = {
    "money": (("revenue", False), ("cost", False), ("margin", False), ("cpa", False)),
    "count": (("leads", False), ("orders", False), ("customers", True), ("loyal", True)),
    "ratio": (("rate", False), ("conversion", False)),
    "number": (("score", False),),
}
# Scalars read at one key of a keyed value.
KEY_READS: dict[str, tuple[str, ...]] = {
    "money": ("spend.advertising", 'spend["print ads"]', "spend.search"),
    "count": ("sold.Lan", 'quota["Hoa"]', "quota.Minh"),
    "ratio": ("quality.Minh", "rep_share.Lan", 'channel_share["social"]'),
    "number": (),
}
# Keyed values of every unit and dimension.
KEYED: dict[tuple[str, str], tuple[str, ...]] = {
    ("rep", "count"): ("sold", "quota"),
    ("rep", "ratio"): ("quality", "rep_share", "(sold / sum(sold))"),
    ("rep", "money"): ("(revenue * rep_share)",),
    ("rep", "number"): ("(score * quality)",),
    ("channel", "money"): ("spend",),
    ("channel", "ratio"): ("channel_share", "(spend / sum(spend))"),
    ("channel", "count"): ("(orders * channel_share)",),
    ("channel", "number"): ("(score * channel_share)",),
}
LINES = ("advertising", "search", "social")
REPS = ("Lan", "Minh", "Hoa", "An")
CHANNELS = (*LINES, "tv", "print ads")

# Literals as written, by the unit they stand for (a bare literal takes the other side's unit).
LITERALS: dict[str, tuple[str, ...]] = {
    "money": (
        "0",
        "500",
        "150k",
        "2 million",
        "1.5M",
        "12.5 million",
        "2_000_000",
        "1 billion",
        "300 thousand",
        "0.25",
    ),
    "count": ("0", "1", "5", "120", "1_000", "2k", "1.5", "30"),
    "ratio": ("0", "2%", "12.5%", "0.5", "100%", "0%", "1", "0.0001"),
    "number": ("0", "3", "0.25", "1.5", "20%", "-1", "100"),
}
# Plain numbers on one side of `*` or `/`.
FACTORS = ("2", "0.5", "100", "10%", "0", "3", "1.5k", "0.001")


Dim = str | None


class E(NamedTuple):
    """A drawn expression: its text (safe as an operand), unit, dimension and stock use."""

    text: str
    unit: str
    dim: str | None = None
    stock: bool = False


def _join(dims: Sequence[str | None]) -> str | None:
    found = {d for d in dims if d is not None}
    assert len(found) <= 1, dims
    return found.pop() if found else None


class Drawer:
    """Draws expressions for one ruleset; `scalars` grows with the ruleset's own lets."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw
        self.scalars = {unit: list(names) for unit, names in SCALARS.items()}

    def pick(self, options: Sequence[Any]) -> Any:
        return self.draw(st.sampled_from(options))

    def periods(self) -> str:
        return self.pick(["period", "periods"])  # interchangeable

    def chance(self, p: float) -> bool:
        return self.draw(st.integers(0, 999)) < int(p * 1000)

    # ---- leaves ---------------------------------------------------------------------------

    def leaf(self, unit: str, dim: str | None, keyed: bool, flow: bool) -> E:
        """A name, a keyed value (where `dim` allows or `keyed` demands one), or a key read."""
        if keyed or (dim is not None and self.chance(0.4)):
            assert dim is not None
            return E(self.pick(KEYED[dim, unit]), unit, dim)
        if KEY_READS[unit] and self.chance(0.2):
            return E(self.pick(KEY_READS[unit]), unit)
        names = [(n, stock) for n, stock in self.scalars[unit] if not (flow and stock)]
        name, stock = self.pick(names)
        return E(name, unit, None, stock)

    def literal(self, unit: str, money_code: bool = False) -> str:
        text = self.pick(LITERALS[unit])
        if unit == "money" and money_code and self.chance(0.25):
            text += " VND"
        if self.chance(0.1):
            text = f"-{text}"
        return text

    # ---- expressions ----------------------------------------------------------------------

    def expr(
        self,
        unit: str,
        depth: int,
        dim: str | None = None,
        keyed: bool = False,
        flow: bool = False,
        code: bool = True,
    ) -> E:
        """An expression of `unit`, never a bare literal.

        `dim`: keyed values of that dimension may appear outside aggregates (a `per` rule);
        `keyed`: the result must be keyed by `dim`; `flow`: no stock may be read (inside
        total or rolling_sum); `code`: money literals may carry the currency.
        """
        if depth <= 0 or self.chance(0.25):
            return self.leaf(unit, dim, keyed, flow)
        kinds = ["add", "add", "neg", "mul", "mul", "ext", "abs", "hist", "hist"]
        if not keyed:
            kinds += ["agg", "agg"]
        if unit == "count" and not keyed:
            kinds.append("count")
        if unit == "ratio":
            kinds += ["growth", "quotient"]
        if unit == "number":
            kinds += ["mixed", "quotient"]
        kind = self.pick(kinds)
        sub = depth - 1
        return getattr(self, f"_{kind}")(unit, sub, dim, keyed, flow, code)

    def _sides(self, keyed: bool) -> tuple[bool, bool]:
        if not keyed:
            return False, False
        return self.pick([(True, False), (False, True), (True, True)])

    def _add(self, unit: str, depth: int, dim: Dim, keyed: bool, flow: bool, code: bool) -> E:
        op = self.pick(["+", "-"])
        left_keyed, right_keyed = self._sides(keyed)
        left = self.expr(unit, depth, dim, left_keyed, flow, code)
        if not right_keyed and self.chance(0.4):
            literal = self.literal(unit, code)
            if self.chance(0.5):
                return E(f"({left.text} {op} {literal})", unit, left.dim, left.stock)
            return E(f"({literal} {op} {left.text})", unit, left.dim, left.stock)
        right = self.expr(unit, depth, dim, right_keyed, flow, code)
        return E(
            f"({left.text} {op} {right.text})",
            unit,
            _join([left.dim, right.dim]),
            left.stock or right.stock,
        )

    def _neg(self, unit: str, depth: int, dim: Dim, keyed: bool, flow: bool, code: bool) -> E:
        inner = self.expr(unit, depth, dim, keyed, flow, code)
        return E(f"(-{inner.text})", unit, inner.dim, inner.stock)

    def _binary(self, op: str, unit: str, left: E, right: E) -> E:
        return E(
            f"({left.text} {op} {right.text})",
            unit,
            _join([left.dim, right.dim]),
            left.stock or right.stock,
        )

    def _factor(self, dim: Dim, keyed: bool, flow: bool) -> E | str:
        """A non-money factor: an expression of count, ratio or number, or a plain number."""
        if not keyed and self.chance(0.4):
            return self.pick(FACTORS)
        return self.expr(self.pick(["count", "ratio", "number"]), 1, dim, keyed, flow)

    def _mul(self, unit: str, depth: int, dim: Dim, keyed: bool, flow: bool, code: bool) -> E:
        left_keyed, right_keyed = self._sides(keyed)
        if unit == "money":
            money = self.expr("money", depth, dim, left_keyed, flow, code=False)
            factor = self._factor(dim, right_keyed, flow)
            if isinstance(factor, str):
                factor = E(factor, "number")
            form = self.pick(["*", "*r", "/"])
            if form == "*r":
                return self._binary("*", unit, factor, money)
            return self._binary(form, unit, money, factor)
        if unit == "count":
            a, b = self.pick([("count", "count"), ("count", "ratio"), ("ratio", "count")])
        elif unit == "ratio":
            a = b = "ratio"
        else:
            a, b = self.pick([("number", "number"), ("count", "number"), ("ratio", "number")])
        left = self.expr(a, depth, dim, left_keyed, flow)
        right = self.expr(b, depth, dim, right_keyed, flow)
        if self.chance(0.5):
            left, right = right, left
        return self._binary("*", unit, left, right)

    def _quotient(self, unit: str, depth: int, dim: Dim, keyed: bool, flow: bool, code: bool) -> E:
        """`X / X` is a ratio; for a number: a count or ratio divided by another unit."""
        left_keyed, right_keyed = self._sides(keyed)
        if unit == "ratio":
            a = b = self.pick(UNITS)
        else:
            a, b = self.pick(
                [("count", "ratio"), ("ratio", "count"), ("count", "money"), ("number", "money")]
            )
            if not right_keyed and self.chance(0.3):
                left = self.expr(self.pick(["count", "ratio"]), depth, dim, left_keyed, flow)
                return self._binary("/", unit, left, E(self.pick(FACTORS), "number"))
        left = self.expr(a, depth, dim, left_keyed, flow, code=False)
        right = self.expr(b, depth, dim, right_keyed, flow, code=False)
        return self._binary("/", unit, left, right)

    def _mixed(self, unit: str, depth: int, dim: Dim, keyed: bool, flow: bool, code: bool) -> E:
        """Two different non-money units added or subtracted: a number."""
        left_keyed, right_keyed = self._sides(keyed)
        a, b = self.pick([("count", "ratio"), ("ratio", "number"), ("number", "count")])
        left = self.expr(a, depth, dim, left_keyed, flow)
        right = self.expr(b, depth, dim, right_keyed, flow)
        return self._binary(self.pick(["+", "-"]), unit, left, right)

    def _agg(self, unit: str, depth: int, dim: Dim, keyed: bool, flow: bool, code: bool) -> E:
        over = self.pick(DIMENSIONS)
        inner = self.expr(unit, depth, over, True, flow, code=False)
        function = self.pick(["sum", "avg", "min", "max"])
        return E(f"{function}({inner.text})", unit, None, inner.stock)

    def _count(self, unit: str, depth: int, dim: Dim, keyed: bool, flow: bool, code: bool) -> E:
        over = self.pick(DIMENSIONS)
        inner = self.expr(self.pick(UNITS), depth, over, True, flow, code=False)
        return E(f"count({inner.text})", "count", None, inner.stock)

    def _ext(self, unit: str, depth: int, dim: Dim, keyed: bool, flow: bool, code: bool) -> E:
        function = self.pick(["min", "max"])
        n = self.draw(st.integers(2, 3))
        keyed_at = self.draw(st.integers(0, n - 1)) if keyed else -1
        args: list[E] = [
            self.expr(unit, depth, dim, i == keyed_at, flow, code=False) for i in range(n)
        ]
        texts = [a.text for a in args]
        if self.chance(0.3):
            texts.append(self.literal(unit))
        return E(
            f"{function}({', '.join(texts)})",
            unit,
            _join([a.dim for a in args]),
            any(a.stock for a in args),
        )

    def _abs(self, unit: str, depth: int, dim: Dim, keyed: bool, flow: bool, code: bool) -> E:
        inner = self.expr(unit, depth, dim, keyed, flow, code=False)
        if self.chance(0.5):
            return E(f"abs({inner.text})", unit, inner.dim, inner.stock)
        digits = self.draw(st.integers(0, 3))
        return E(f"round({inner.text}, {digits})", unit, inner.dim, inner.stock)

    def _hist(self, unit: str, depth: int, dim: Dim, keyed: bool, flow: bool, code: bool) -> E:
        function = self.pick(
            ["total", "previous", "previous", "change", "rolling_avg", "rolling_sum"]
        )
        sums = function in ("total", "rolling_sum")
        inner = self.expr(unit, depth, dim, keyed, flow or sums, code=False)
        n = self.draw(st.integers(1, 3))
        if function == "previous" and self.chance(0.5):
            text = f"previous({inner.text}, {n})"
        elif function.startswith("rolling"):
            text = f"{function}({inner.text}, {n})"
        else:
            text = f"{function}({inner.text})"
        return E(text, unit, inner.dim, inner.stock)

    def _growth(self, unit: str, depth: int, dim: Dim, keyed: bool, flow: bool, code: bool) -> E:
        inner = self.expr(self.pick(UNITS), depth, dim, keyed, flow, code=False)
        return E(f"growth({inner.text})", "ratio", inner.dim, inner.stock)

    # ---- conditions -----------------------------------------------------------------------

    def condition(self, depth: int, dim: str | None, code: bool = True) -> str:
        """A condition; `code`: may end with a money literal's currency code."""
        kind = self.pick(["cmp", "cmp", "cmp", "and", "or", "not"] if depth > 0 else ["cmp"])
        if kind == "not":
            return f"not ({self.condition(depth - 1, dim)})"
        if kind in ("and", "or"):
            left = self.condition(depth - 1, dim)
            right = self.condition(depth - 1, dim, code)
            return f"({left}) {kind} ({right})"
        unit = self.pick(UNITS)
        op = self.pick(["<", "<=", ">", ">=", "==", "!="])
        left = self.expr(unit, 2, dim)
        if self.chance(0.6):
            return f"{left.text} {op} {self.literal(unit, code)}"
        right = self.expr(unit, 2, dim)
        return f"{left.text} {op} {right.text}"


# ---- rules ---------------------------------------------------------------------------------

DATES_IN_WINDOW = ("2026-01-31", "2026-02-15", "2026-03-31", "2026-04-01", "2026-05-20")
DATES_OUTSIDE = ("2025-12-15", "2025-11-30", "2026-08-31", "2026-09-30")
DATES_ANY = ("2025-11-30", "2026-01-15", "2026-03-31", "2026-06-30", "2026-09-30", "2026-12-31")
PERCENTS = ("0%", "5%", "10%", "12.5%", "20%", "50%", "100%")


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def _weights(draw: st.DrawFn, count: int) -> list[str]:
    """`count` percents summing to exactly 100%, some of them zero or with decimals."""
    hundredths = 10_000
    cuts = sorted(
        draw(st.lists(st.integers(0, hundredths), min_size=count - 1, max_size=count - 1))
    )
    if draw(st.booleans()):  # whole percents
        cuts = [c - c % 100 for c in cuts]
    bounds = [0, *cuts, hundredths]
    return [_percent(Decimal(b - a) / 100) for a, b in itertools.pairwise(bounds)]


@st.composite
def goals(draw: st.DrawFn, gen: Drawer, name: str, windowed: bool) -> str:
    per = draw(st.sampled_from([None, None, "rep", "channel"]))
    unit = gen.pick(UNITS)
    if per is not None and gen.chance(0.5):
        subject = gen.expr(unit, 2, per, keyed=True)
    else:
        subject = gen.expr(unit, 2, per)
    op = gen.pick([">=", ">", "<=", "<"])
    literal_target = gen.chance(0.7)
    target = gen.literal(unit) if literal_target else gen.expr(unit, 1, per, code=False).text
    text = f'goal "{name}"' + (f" per {per}" if per else "") + f": {subject.text} {op} {target}"
    clauses: list[str] = []
    deadline = None
    if gen.chance(0.6):
        if windowed:
            deadline = gen.pick([*DATES_IN_WINDOW, "2026-06-30", "2026-06-30", *DATES_OUTSIDE])
        else:
            deadline = gen.pick(DATES_ANY)
        clauses.append(f"by {deadline}")
    if gen.chance(0.3):
        # Sometimes the target itself: a goal whose target equals its baseline. A baseline is
        # known in advance (version 2), so it is a literal, never an expression of metrics.
        same = literal_target and gen.chance(0.2)
        baseline = target if same else gen.literal(unit, money_code=True)
        clauses.append(f"from {baseline}")
    if gen.chance(0.3):
        clauses.append(f"tolerance {gen.pick(PERCENTS)}")
    if windowed and deadline is not None and gen.chance(0.5):
        day = datetime.date.fromisoformat(deadline)
        if WINDOW_START <= day <= WINDOW_END:
            clauses.append("phased " + " ".join(_weights(draw, day.month)))
    if gen.chance(0.2):
        clauses.append('owner "Sales lead"')
    order = draw(st.permutations(clauses))
    return " ".join([text, *order])


@st.composite
def thresholds(draw: st.DrawFn, gen: Drawer, name: str) -> str:
    per = draw(st.sampled_from([None, None, "rep", "channel"]))
    unit = gen.pick(UNITS)
    subject = gen.expr(unit, 2, per, keyed=per is not None and gen.chance(0.5))
    combos = draw(
        st.lists(
            st.sampled_from(
                [("warn", "above"), ("warn", "below"), ("fail", "above"), ("fail", "below")]
            ),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    levels = []
    for status, direction in combos:
        bound = gen.literal(unit, True) if gen.chance(0.75) else gen.expr(unit, 1, per).text
        levels.append(f"    {status} {direction} {bound}")
    head = f'threshold "{name}"' + (f" per {per}" if per else "") + f": {subject.text}"
    owner = ['    owner "Ops"'] if gen.chance(0.2) else []
    return "\n".join([head, *levels, *owner])


class Budget(NamedTuple):
    text: str
    lines: tuple[str, ...]


MILLION_FORMS = ("{} million", "{}M", "{}_000_000", "{}000k", "{} triệu")


@st.composite
def budgets(draw: st.DrawFn) -> Budget:
    total = draw(st.sampled_from([1000, 1000, 1000, 0]))  # million
    amounts = draw(st.lists(st.integers(0, total // 3), min_size=2, max_size=2))
    room = total - sum(amounts)
    # Sometimes fully allocated: no room for a raise.
    amounts.append(room if draw(st.booleans()) else draw(st.integers(0, room)))
    lines = []
    for key, amount in zip(LINES, amounts, strict=True):
        form = draw(st.sampled_from(MILLION_FORMS))
        line = f"    {key}  {form.format(amount)}"
        share = amount / 10 if total else 0  # percent of the total (unchecked for 0)
        low = max(0, int(share) - draw(st.integers(0, 10)))
        high = min(100, -int(-share // 1) + draw(st.integers(0, 10)))
        kind = draw(st.sampled_from(["range", "min", "max", "none"]))
        if kind == "range":
            line += f"  share {low}% .. {high}%"
        elif kind == "min":
            line += f"  share >= {low}%"
        elif kind == "max":
            line += f"  share <= {high}%"
        lines.append(line)
    total_text = draw(st.sampled_from(["1000 million", "1 billion", "1B", "1 tỷ VND"]))
    if total == 0:
        total_text = draw(st.sampled_from(["0", "0 million"]))
    clauses = []
    if draw(st.booleans()):
        clauses.append("per period")
    if draw(st.integers(0, 9)) > 1:
        clauses.append("for spend")
    if draw(st.booleans()):
        clauses.append(f"tolerance {draw(st.sampled_from(PERCENTS))}")
    order = draw(st.permutations(clauses))
    head = " ".join(['budget "Mix" total', total_text, *order, "{"])
    owner = ' owner "Marketing"' if draw(st.booleans()) else ""
    return Budget("\n".join([head, *lines, "}" + owner]), LINES)


@st.composite
def triggers(draw: st.DrawFn, gen: Drawer, name: str, lines: tuple[str, ...]) -> str:
    per = draw(st.sampled_from([None, None, "rep", "channel"]))
    clauses = []
    hold = gen.pick(["none", "for", "of"])
    if hold == "for":
        clauses.append(f"for {draw(st.integers(1, 4))} {gen.periods()}")
    elif hold == "of":
        m = draw(st.integers(1, 4))
        clauses.append(f"for {draw(st.integers(1, m))} of {m} {gen.periods()}")
    if gen.chance(0.4):
        clauses.append(f"cooldown {draw(st.integers(0, 3))} {gen.periods()}")
    if gen.chance(0.4):
        clauses.append(f"severity {gen.pick(['info', 'warn', 'fail'])}")
    # The condition comes right before `{` when no clause follows: no currency code there.
    condition = gen.condition(2, per, code=bool(clauses))
    head = f'trigger "{name}"' + (f" per {per}" if per else "") + f" when {condition}"
    actions = []
    for _ in range(draw(st.integers(1, 3))):
        kind = gen.pick(["recommend", "shift", "scale"] if lines else ["recommend"])
        sources = [*lines, "key"] if per else list(lines)
        in_budget = ' in "Mix"' if gen.chance(0.3) else ""
        if kind == "shift":
            source = gen.pick(sources)
            destination = gen.pick([line for line in sources if line != source])
            amount = gen.pick(["20 million", "50M", "1 billion", "0", "10%", "100%", "0%", "35.5%"])
            actions.append(f"shift {amount} from {source} to {destination}{in_budget}")
        elif kind == "scale":
            sign = gen.pick(["+", "-", ""])
            actions.append(
                f"scale {gen.pick(sources)} by {sign}{gen.pick(PERCENTS[1:])}{in_budget}"
            )
        else:
            text = recommendation(gen, per).replace("\\", "\\\\").replace('"', '\\"')
            actions.append(f'recommend "{text}"')
    body = "\n".join(f"    {action}" for action in actions)
    owner = ' owner "Lead"' if gen.chance(0.2) else ""
    return " ".join([head, *clauses, "{"]) + "\n" + body + "\n}" + owner


def recommendation(gen: Drawer, per: str | None) -> str:
    parts = [gen.pick(["Check", "Value is", "Note:", "Xem lại"])]
    for _ in range(gen.draw(st.integers(0, 3))):
        choice = gen.pick(["expr", "expr", "cond", "key", "braces"])
        if choice == "key" and per is not None:
            parts.append("{key}")
        elif choice == "braces":
            parts.append("{{literal}}")
        elif choice == "cond":
            parts.append("{" + gen.condition(1, per, code=False) + "}")
        else:
            parts.append("{" + gen.expr(gen.pick(UNITS), 2, per, code=False).text + "}")
        parts.append(gen.pick(["now", "and", "vs", "then"]))
    return " ".join(parts)


@st.composite
def checked_rulesets(draw: st.DrawFn) -> str:
    """The text of a ruleset the checker accepts (warnings allowed)."""
    gen = Drawer(draw)
    windowed = draw(st.booleans())
    out = [HEADER + (PERIOD if windowed else "")]
    out.append(DECLARATIONS % ("else 3 " if draw(st.booleans()) else ""))
    for i in range(draw(st.integers(0, 2))):
        unit = gen.pick(UNITS)
        let = gen.expr(unit, 2)
        out.append(f"let extra{i} = {let.text}\n")
        gen.scalars[unit].append((f"extra{i}", let.stock))
    budget = draw(st.none() | budgets())
    lines = budget.lines if budget else ()
    rules: list[str] = []
    if budget is not None:
        rules.append(budget.text)
    for i in range(draw(st.integers(0, 3))):
        rules.append(draw(goals(gen, f"Goal {i}", windowed)))
    for i in range(draw(st.integers(0, 2))):
        rules.append(draw(thresholds(gen, f"Threshold {i}")))
    for i in range(draw(st.integers(0, 3))):
        rules.append(draw(triggers(gen, f"Trigger {i}", lines)))
    if not rules:
        rules.append('goal "Revenue": total(revenue) >= 2 billion')
    rules = draw(st.permutations(rules))
    return "".join(out) + "\n" + "\n\n".join(rules) + "\n"


# ---- histories -----------------------------------------------------------------------------

MONTHS = ("2025-11", "2025-12", *(f"2026-{m:02d}" for m in range(1, 10)))

SCALAR_METRICS = ("revenue", "cost", "leads", "orders", "rate", "score", "customers")
KEYED_METRICS = {"spend": CHANNELS, "sold": REPS, "quality": REPS}

numbers: st.SearchStrategy[int | Decimal] = st.one_of(
    st.sampled_from([0, 1, -1, Decimal(0), Decimal("0.0"), Decimal("-0.5"), 100]),
    st.integers(-1000, 10**10),
    st.integers(-(10**24), 10**24),  # the largest a snapshot may hold
    st.builds(
        lambda digits, places: Decimal(digits).scaleb(-places),
        st.integers(-(10**12), 10**12),
        st.integers(0, 4),
    ),
)

_ABSENT = object()


@st.composite
def keyed_values(draw: st.DrawFn, keys: Sequence[str]) -> Any:
    shape = draw(st.sampled_from(["map"] * 5 + ["empty", "null", "absent"]))
    if shape == "empty":
        return {}
    if shape == "null":
        return None
    if shape == "absent":
        return _ABSENT
    chosen = draw(st.lists(st.sampled_from(keys), unique=True, min_size=1, max_size=len(keys)))
    return {key: draw(numbers) for key in chosen}


@st.composite
def snapshots(draw: st.DrawFn, period: str) -> dict[str, Any]:
    metrics: dict[str, Any] = {}
    for name in SCALAR_METRICS:
        shape = draw(st.sampled_from(["value"] * 6 + ["null", "absent"]))
        if shape == "value":
            metrics[name] = draw(numbers)
        elif shape == "null":
            metrics[name] = None
    for name, keys in KEYED_METRICS.items():
        value = draw(keyed_values(keys))
        if value is not _ABSENT:
            metrics[name] = value
    return {"period": period, "metrics": metrics}


@st.composite
def histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """1 to 8 monthly snapshots of 2025-11 to 2026-09, gaps allowed, in any order."""
    periods = draw(st.lists(st.sampled_from(MONTHS), min_size=1, max_size=8, unique=True))
    return [draw(snapshots(period)) for period in periods]
