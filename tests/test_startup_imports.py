"""Start-up: what `planrules check` loads. Each command imports what it uses when it runs; these
tests hold the check of a clean ruleset to the modules checking needs (by the modules a fresh
interpreter holds, never by timing), and show that what is left out still loads when needed."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import RULESETS


def _modules_after(program: str) -> set[str]:
    """The modules a fresh interpreter holds after running `program`."""
    code = f"{program}\nimport json, sys; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_a_clean_check_loads_neither_the_formatter_nor_difflib() -> None:
    program = (
        "from planrules.cli import main\n"
        "try:\n"
        f"    main(['check', {str(RULESETS / 'saado.plan')!r}])\n"
        "except SystemExit as done:\n"
        "    assert done.code == 0, done.code\n"
    )
    modules = _modules_after(program)
    assert "planrules.lang.check" in modules
    assert {"planrules.lang.fmt", "difflib"} & modules == set()


def test_importing_the_cli_loads_neither_the_parser_nor_the_checker() -> None:
    modules = _modules_after("import planrules.cli")
    assert {m for m in modules if m.startswith(("lark", "planrules.lang.check"))} == set()
    assert {"planrules.lang.syntax", "planrules.lang.fmt", "difflib", "tempfile"} & modules == set()


def test_what_a_clean_check_leaves_out_loads_when_a_message_needs_it() -> None:
    """A misspelt name, keyword and locale (`did you mean`, difflib) and a level written as the
    ruleset writes it (the formatter), checked in a fresh interpreter that loaded neither."""
    expected = {
        'metric orders: count\nthreshold "t": order warn below 5\n': "did you mean `orders`?",
        'metric orders: count\ntreshold "t": orders warn below 5\n': "did you mean `threshold`?",
        "locale vii\nmetric orders: count\n": "did you mean `vi`?",
        'metric orders: count\nthreshold "t": orders warn above 200 fail above 150\n': (
            "`warn above 200` can never be reached: `fail above 150` is reached first"
        ),
    }
    program = [
        "from planrules.lang.check import check_source",
        "from planrules.lang.source import Source",
    ]
    for body, said in expected.items():
        text = f'ruleset "r"\ncurrency VND\n{body}'
        program += [
            f"checked = check_source(Source.from_text('m.plan', {text!r}))",
            "said = [str(t) for d in checked.diagnostics for t in (d.message, d.hint)]",
            f"assert {said!r} in said, said",
        ]
    assert {"difflib", "planrules.lang.fmt"} <= _modules_after("\n".join(program))
