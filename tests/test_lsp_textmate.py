"""The VS Code extension's TextMate grammar against the language's own: every keyword of the
Lark grammar is highlighted, and every number of the examples is one number token with its
scale word and currency. (The scopes themselves are tested in editors/vscode/test/ by
vscode-tmgrammar-test, `make grammar-test`.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from planrules.lang.build import lark_parser
from planrules.lsp.grammar import spellings
from tests.conftest import ROOT, RULESETS

TEXTMATE = json.loads(
    (ROOT / "editors" / "vscode" / "syntaxes" / "planrules.tmLanguage.json").read_text("utf-8")
)
REPOSITORY = TEXTMATE["repository"]


def _patterns(rule: dict[str, object]) -> list[str]:
    inner = rule.get("patterns", [])
    assert isinstance(inner, list)
    return [p["match"] for p in inner if "match" in p]


def test_every_keyword_of_the_grammar_is_highlighted() -> None:
    highlighted = set()
    for pattern in _patterns(REPOSITORY["keyword"]):
        alternatives = re.search(r"\(([\w|]+)\)", pattern)
        assert alternatives is not None
        highlighted |= set(alternatives.group(1).split("|"))
    keywords = {word for word in spellings().values() if word.isidentifier()}
    assert keywords - highlighted == set()


@pytest.mark.parametrize("path", sorted(RULESETS.glob("*.plan")), ids=lambda p: p.name)
def test_every_number_of_the_examples_is_one_number_token(path: Path) -> None:
    text = path.read_text("utf-8")
    number = re.compile(REPOSITORY["number"]["match"])
    tokens = [t for t in lark_parser().lex(text) if t.type == "NUMBER"]
    assert tokens
    for token in tokens:
        found = number.match(text, token.start_pos)
        assert found is not None and found.group(0) == str(token), str(token)
