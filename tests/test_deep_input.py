"""Deep and long input through the public API: diagnostics, never a RecursionError.

Python stops a recursion about 1000 calls deep. Expressions nested deeper than
build.MAX_NESTING are refused where they go too deep; long chains of operators and of lets,
which are not nesting, are checked and formatted however long they are.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from planrules import Checked, Source, check_file, check_source
from planrules.lang.fmt import format_source
from tests.conftest import codes

HEAD = 'ruleset "r"\nmetric orders: count\nmetric spend: money by channel\n'
RULE = 'threshold "t": orders warn below 1\n'
LEVELS = 10_000

NESTED = {
    "brackets": "(" * LEVELS + "orders" + ")" * LEVELS,
    "minus": "-" * LEVELS + "orders",
    "not": "not " * LEVELS + "orders > 1",
    "calls": "abs(" * LEVELS + "orders" + ")" * LEVELS,
    "keys": "spend" + ".tv" * LEVELS,
    "right operands": "orders" + " + (orders" * LEVELS + ")" * LEVELS,
}

CHAINS = {
    "sum": " + ".join(["orders"] * 5000),
    "product": " * ".join(["orders"] * 5000),
    "conditions": " or ".join(["orders > 1 and orders < 9"] * 2500),
    "mixed": " - ".join(["orders * 2 / orders"] * 2000),
}


def let_text(expression: str) -> str:
    return f"{HEAD}let x = {expression}\n{RULE}"


@pytest.fixture(params=["check_source", "check_file"])
def checker(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], Checked]:
    def check_text(text: str) -> Checked:
        if request.param == "check_source":
            return check_source(Source.from_text("deep.plan", text))
        path = tmp_path / "deep.plan"
        path.write_text(text, encoding="utf-8")
        return check_file(str(path))

    return check_text


@pytest.mark.parametrize("expression", NESTED.values(), ids=NESTED.keys())
def test_deep_nesting_is_one_diagnostic(checker: Callable[[str], Checked], expression: str) -> None:
    checked = checker(let_text(expression))
    assert codes(checked) == ["expression-too-deep"]
    assert checked.module is None


@pytest.mark.parametrize("expression", NESTED.values(), ids=NESTED.keys())
def test_deep_nesting_is_not_formatted(expression: str) -> None:
    result = format_source(Source.from_text("deep.plan", let_text(expression)))
    assert result.text is None
    assert [d.code for d in result.diagnostics] == ["expression-too-deep"]


@pytest.mark.parametrize("expression", CHAINS.values(), ids=CHAINS.keys())
def test_long_chains_are_checked(checker: Callable[[str], Checked], expression: str) -> None:
    checked = checker(let_text(expression))
    assert checked.ok, codes(checked)


def test_long_chains_report_their_problems(checker: Callable[[str], Checked]) -> None:
    chain = " + ".join(["orders"] * 3000)
    checked = checker(f'{HEAD}threshold "t": {chain} + ordrs - 5 USD warn above 1\n')
    assert codes(checked) == ["unknown-name", "currency-without-header"]


@pytest.mark.parametrize("expression", CHAINS.values(), ids=CHAINS.keys())
def test_long_chains_are_formatted(expression: str) -> None:
    result = format_source(Source.from_text("long.plan", let_text(expression)))
    assert result.text is not None
    assert f"let x = {expression}\n" in result.text


def test_a_long_chain_of_lets_is_checked(checker: Callable[[str], Checked]) -> None:
    # Each let reads the one declared after it, so none can be typed before the last.
    lets = "".join(f"let x{i} = x{i + 1} + 1\n" for i in range(3000))
    text = f"{HEAD}let x = x0\n{lets}let x3000 = total(orders)\n{RULE}"
    checked = checker(text)
    # Typed without trouble; too deep to evaluate, which is said once.
    assert codes(checked) == ["expression-too-deep"], codes(checked)
    assert checked.scope is not None
    assert checked.scope.let_types["x"] == checked.scope.let_types["x2999"]


def test_a_long_cycle_of_lets_is_one_diagnostic(checker: Callable[[str], Checked]) -> None:
    lets = "".join(f"let x{i} = x{(i + 1) % 3000} + 1\n" for i in range(3000))
    checked = checker(f"{HEAD}{lets}let x = x0\n{RULE}")
    assert codes(checked) == ["let-cycle"]
    assert checked.diagnostics[0].span.line == 4


def test_total_of_a_long_chain_of_lets_over_a_stock(checker: Callable[[str], Checked]) -> None:
    lets = "".join(f"let x{i} = x{i + 1}\n" for i in range(3000))
    text = f"{HEAD}metric customers: count stock\n{lets}let x3000 = customers\n"
    checked = checker(f'{text}threshold "t": total(x0) warn below 1\n')
    assert sorted(codes(checked)) == ["expression-too-deep", "stock-total"]


def test_a_chain_of_lets_too_deep_to_evaluate_is_reported_once() -> None:
    from planrules.lang.check import check_source as check_text
    from planrules.lang.source import Source

    lines = ['ruleset "x"', "metric orders: count", "let a0 = orders"]
    lines += [f"let a{i} = a{i - 1} + 1" for i in range(1, 400)]
    lines.append('threshold "t": a399 warn above 10')
    checked = check_text(Source.from_text("deep.plan", "\n".join(lines) + "\n"))
    deep = [d for d in checked.diagnostics if d.code == "expression-too-deep"]
    assert len(deep) == 1
    assert deep[0].span.line == 103  # a100: the first let past the limit
    assert "let `a100`" in deep[0].message


def test_the_deepest_chain_of_lets_the_checker_allows_evaluates() -> None:
    from planrules import loads

    lines = ['ruleset "x"', "metric orders: count", "let a0 = orders"]
    lines += [f"let a{i} = abs(a{i - 1}) + 1" for i in range(1, 67)]
    lines.append('threshold "t": ' + "-(" * 45 + "a66" + ")" * 45 + " warn above 10")
    ruleset = loads("\n".join(lines) + "\n", "deep.plan")
    report = ruleset.evaluate({"period": "2026-01", "metrics": {"orders": 1}})
    assert report.results[0].value == -67
