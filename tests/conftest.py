"""Shared fixtures: parsing and checking text, and a CliRunner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from planrules.lang.build import Parsed, parse_source
from planrules.lang.check import Checked, check_file
from planrules.lang.source import Source

ROOT = Path(__file__).resolve().parents[1]
RULESETS = ROOT / "rulesets"


@pytest.fixture
def parse() -> Callable[[str], Parsed]:
    def parse_text(text: str) -> Parsed:
        return parse_source(Source.from_text("test.plan", text))

    return parse_text


@pytest.fixture
def check(tmp_path: Path) -> Callable[..., Checked]:
    """Check text written to a file (so that `use` resolves), named `name`."""

    def check_text(text: str, name: str = "test.plan", **others: str) -> Checked:
        for other, content in others.items():
            (tmp_path / other.replace("__", "/")).write_text(content, encoding="utf-8")
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return check_file(str(path))

    return check_text


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def codes(checked: Checked) -> list[str]:
    return [d.code for d in checked.diagnostics]
