"""The README's example is a real ruleset: it checks clean and is in the canonical layout."""

from __future__ import annotations

import re

from planrules.lang.check import check_source
from planrules.lang.fmt import format_source
from planrules.lang.source import Source
from tests.conftest import ROOT


def readme_example() -> Source:
    text = (ROOT / "README.md").read_text("utf-8")
    match = re.search(r"```\n(ruleset .*?)```", text, re.S)
    assert match is not None, "the README shows no ruleset"
    return Source.from_text("README.md", match.group(1))


def test_the_readme_example_checks_clean() -> None:
    assert check_source(readme_example()).diagnostics == ()


def test_the_readme_example_is_formatted() -> None:
    source = readme_example()
    assert format_source(source).text == source.text
