"""Golden tests of the checker's diagnostics.

Every `tests/golden/check/*.plan` file (files under `lib/` are helpers that the goldens `use`,
not goldens themselves) is checked with the working directory set to `tests/golden/check`, so
that paths print as the goldens' own names (`unknown-name.plan`, `lib/crm.plan`). Every
diagnostic is rendered with `format_diagnostic`, joined with newlines, and compared exactly with
the `.expected` file beside the `.plan` file (same name, `.expected` in place of `.plan`).

Each stable code in `CODES` has a golden named after it: `<code>.plan`, or `<code>_test.plan`
for the codes that concern test files. Extra goldens (`syntax-error-*.plan`, ...) show more
cases of one code.

To regenerate the expected files from the checker's current output, run

    PLANRULES_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden.py

and review the diff before keeping it: some expected files state what the checker should say
where it does not yet (see the report that came with them), and regenerating overwrites those
with the current output. Without the variable the tests only compare.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from planrules.lang.check import check_file
from planrules.lang.diagnostics import CODES, format_diagnostic

TESTS = Path(__file__).resolve().parent
GOLDEN_DIR = TESTS / "golden" / "check"
SOURCE_DIR = TESTS.parent / "src" / "planrules"
UPDATE = os.environ.get("PLANRULES_UPDATE_GOLDEN") == "1"

# The first line of a rendered diagnostic: `FILE:LINE:COLUMN: [warning ]CODE: message`.
_HEADER = re.compile(r"^\S.*?:\d+:\d+: (?:warning )?([a-z][a-z0-9-]*): ", re.MULTILINE)

# A diagnostic code passed as a string literal to the functions that make diagnostics.
_CODE_ARGUMENT = re.compile(
    r"(?:(?<![\w.])error|(?<![\w.])warning|self\.problem|self\.caution|self\._problem)"
    r"\(\s*[\"']([^\"'\n]+)[\"']"
)


def golden_files() -> list[Path]:
    return [
        path
        for path in sorted(GOLDEN_DIR.glob("*.plan"))
        if "lib" not in path.relative_to(GOLDEN_DIR).parts
    ]


def expected_path(plan: Path) -> Path:
    return plan.with_suffix(".expected")


def render(name: str) -> str:
    """Every diagnostic for one golden, as `planrules check` prints them, one after another."""
    checked = check_file(name)
    return "\n".join(
        format_diagnostic(d, checked.sources.get(d.span.file)) for d in checked.diagnostics
    )


def codes_in(text: str) -> set[str]:
    return set(_HEADER.findall(text))


GOLDENS = golden_files()


def test_golden_files_exist() -> None:
    assert GOLDENS, f"no golden files in {GOLDEN_DIR}"


@pytest.mark.parametrize("plan", GOLDENS, ids=[p.name for p in GOLDENS])
def test_golden(plan: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(GOLDEN_DIR)
    actual = render(plan.name)
    expected_file = expected_path(plan)
    if UPDATE:
        expected_file.write_text(actual + "\n", encoding="utf-8")
        return
    assert expected_file.exists(), (
        f"{expected_file.name} is missing; write it, or run with PLANRULES_UPDATE_GOLDEN=1 "
        "and review what it wrote"
    )
    expected = expected_file.read_text(encoding="utf-8").removesuffix("\n")
    assert actual == expected, (
        f"{plan.name}: the checker's output differs from {expected_file.name}\n"
        f"--- expected ({expected_file.name})\n{expected}\n"
        f"--- actual\n{actual}\n---"
    )


def _expected_texts() -> dict[str, str]:
    return {
        plan.name: expected_path(plan).read_text(encoding="utf-8")
        for plan in GOLDENS
        if expected_path(plan).exists()
    }


def test_every_code_has_a_golden() -> None:
    texts = _expected_texts()
    missing = []
    for code in CODES:
        names = [f"{code}.plan", f"{code}_test.plan"]
        if not any(code in codes_in(texts.get(name, "")) for name in names):
            missing.append(code)
    assert not missing, (
        "codes without a golden file named after them whose expected output shows the code: "
        + ", ".join(missing)
    )


def test_every_expected_code_is_known() -> None:
    unknown = {
        name: sorted(codes_in(text) - set(CODES))
        for name, text in _expected_texts().items()
        if codes_in(text) - set(CODES)
    }
    assert not unknown, f"expected files show codes that are not in CODES: {unknown}"


def test_codes_in_source_are_known() -> None:
    found: dict[str, set[str]] = {}
    for path in sorted(SOURCE_DIR.rglob("*.py")):
        for code in _CODE_ARGUMENT.findall(path.read_text(encoding="utf-8")):
            found.setdefault(code, set()).add(path.name)
    assert "syntax-error" in found, "the scan of the source found no diagnostic codes"
    unknown = {code: sorted(files) for code, files in found.items() if code not in CODES}
    assert not unknown, f"codes used in src/planrules but missing from CODES: {unknown}"
