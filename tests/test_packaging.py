"""The wheel carries the grammar and works outside the checkout; the editable install too."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT, RULESETS

GRAMMAR = "planrules/grammar/planrules.lark"


def build_wheel(folder: Path) -> Path:
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"]
    subprocess.run(
        [*pip_wheel, "--no-build-isolation", "--wheel-dir", str(folder), str(ROOT)],
        check=True,
        capture_output=True,
    )
    return next(folder.glob("planrules-*.whl"))


def test_the_wheel_ships_the_grammar_and_loads_it_outside_the_checkout(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "wheel")
    with zipfile.ZipFile(wheel) as archive:
        packaged = archive.read(GRAMMAR).decode("utf-8")
        archive.extractall(tmp_path / "site")
    assert packaged == (ROOT / "grammar" / "planrules.lark").read_text("utf-8")
    program = (
        "import planrules, planrules.lang.parser as p; from planrules.lang.check import check_file;"
        f"c = check_file({str(RULESETS / 'saado.plan')!r});"
        "print(planrules.__file__); print(c.ok, len(c.rules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", program],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "site"), "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    location, verdict = result.stdout.splitlines()
    assert location.startswith(str(tmp_path / "site"))
    assert verdict.startswith("True ")


def test_the_editable_install_finds_the_grammar_of_the_checkout() -> None:
    from planrules.lang.parser import grammar_text

    assert grammar_text() == (ROOT / "grammar" / "planrules.lark").read_text("utf-8")
