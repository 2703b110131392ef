"""Which files planrules reads, and how much of them (issue 11, items 3, 4 and 6).

`use` and `snapshots` stay in the folder tree of the file checked unless the user widens it;
no file is read past a size limit, and nothing but regular files is read; a file that is not a
ruleset is never echoed; a long source line shows only a window around the caret; a test
file's data problems are located diagnostics.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import planrules
from planrules.cli import main
from planrules.lang.check import check_file
from planrules.lang.diagnostics import InputError, error, format_diagnostic
from planrules.lang.source import Source, point
from planrules.lang.workspace import Access, read_limited, read_source

METRICS = "metric orders: count\n"
MAIN = 'ruleset "r"\nuse "{use}"\nthreshold "t": orders warn below 5\n'
RULESET = (
    'ruleset "Shop"\nperiod 2026-07-01 to 2026-09-30 monthly\nmetric orders: count\n'
    'threshold "Orders": orders warn below 5\n'
)
AUGUST = '[{"period": "2026-08", "metrics": {"orders": 7}}]'


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def codes(path: Path, **access: Any) -> list[str]:
    checked = check_file(str(path), access=Access.below(str(path), **access))
    return [d.code for d in checked.diagnostics]


# ---- item 4: files only where the user meant ----------------------------------------------


def test_use_outside_the_root_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "shared" / "metrics.plan", METRICS)
    plan = write(tmp_path / "team" / "plan.plan", MAIN.format(use="../shared/metrics.plan"))
    result = run("check", str(plan))
    assert result.exit_code == 1
    assert f"{plan}:2:1: path-outside-root: " in result.output
    assert "--allow-path" in result.output
    allowed = run("check", "--allow-path", str(tmp_path / "shared"), str(plan))
    assert allowed.exit_code == 0, allowed.output


def test_an_absolute_use_is_refused_and_never_read(tmp_path: Path) -> None:
    secret = write(tmp_path / "secret.plan", "not even a ruleset")
    plan = write(tmp_path / "team" / "plan.plan", MAIN.format(use=secret))
    assert "path-outside-root" in codes(plan)


def test_a_used_file_may_reach_up_within_the_root(tmp_path: Path) -> None:
    write(tmp_path / "metrics.plan", METRICS)
    write(tmp_path / "lib" / "more.plan", 'use "../metrics.plan"\nmetric leads: count\n')
    plan = write(tmp_path / "plan.plan", MAIN.format(use="lib/more.plan"))
    assert codes(plan) == []


def test_a_folder_named_on_the_command_line_is_the_root(tmp_path: Path) -> None:
    write(tmp_path / "shared" / "metrics.plan", METRICS)
    write(tmp_path / "team" / "plan.plan", MAIN.format(use="../shared/metrics.plan"))
    result = run("check", str(tmp_path))
    assert "team/plan.plan" not in result.output  # shared/metrics.plan is no ruleset alone
    assert "path-outside-root" not in result.output


def test_a_link_out_of_the_root_is_outside(tmp_path: Path) -> None:
    write(tmp_path / "elsewhere" / "metrics.plan", METRICS)
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "linked.plan").symlink_to(tmp_path / "elsewhere" / "metrics.plan")
    plan = write(tmp_path / "team" / "plan.plan", MAIN.format(use="linked.plan"))
    assert "path-outside-root" in codes(plan)


def test_the_api_confines_and_widens(tmp_path: Path) -> None:
    write(tmp_path / "shared" / "metrics.plan", METRICS)
    plan = write(tmp_path / "team" / "plan.plan", MAIN.format(use="../shared/metrics.plan"))
    with pytest.raises(planrules.RulesetError) as raised:
        planrules.load(str(plan))
    assert raised.value.diagnostics[0].code == "path-outside-root"
    assert planrules.load(str(plan), allowed_paths=[tmp_path / "shared"]).name == "r"
    text = MAIN.format(use=tmp_path / "shared" / "metrics.plan")
    with pytest.raises(planrules.RulesetError):
        planrules.loads(text, filename=str(tmp_path / "team" / "x.plan"))
    loaded = planrules.loads(
        text, filename=str(tmp_path / "team" / "x.plan"), allowed_paths=[str(tmp_path)]
    )
    assert loaded.name == "r"


@pytest.mark.parametrize(
    "content", ["root:x:0:0:root:/root:/bin/bash\n", "SECRET_KEY=hunter2\nOTHER=1\n"]
)
def test_a_file_that_is_not_a_ruleset_is_never_echoed(tmp_path: Path, content: str) -> None:
    write(tmp_path / "conf" / ".env", content)
    plan = write(tmp_path / "plan.plan", MAIN.format(use="conf/.env"))
    result = run("check", str(plan))
    assert result.exit_code == 1
    assert "use-not-ruleset" in result.output
    for word in ("root:x", "SECRET", "hunter2", "bash"):
        assert word not in result.output


@pytest.mark.skipif(not os.path.exists("/etc/passwd"), reason="no /etc/passwd here")
def test_etc_passwd_even_when_allowed(tmp_path: Path) -> None:
    plan = write(tmp_path / "plan.plan", MAIN.format(use="/etc/passwd"))
    refused = run("check", str(plan))
    assert "path-outside-root" in refused.output
    allowed = run("check", "--allow-path", "/etc", str(plan))
    assert allowed.exit_code == 1
    assert "use-not-ruleset" in allowed.output
    assert "root:x" not in allowed.output


def test_snapshots_outside_the_root(tmp_path: Path) -> None:
    write(tmp_path / "shop.plan", RULESET)
    write(tmp_path / "data" / "august.json", AUGUST)
    test = write(
        tmp_path / "tests" / "shop_test.plan",
        'use "../shop.plan"\ntest "August" {\n    snapshots "../data/august.json"\n'
        '    expect "Orders" pass\n}\n',
    )
    refused = run("test", str(test))
    assert refused.exit_code == 2
    assert f"{test}:1:1: path-outside-root" in refused.output
    assert f"{test}:3:5: path-outside-root" in refused.output
    allowed = run("test", "--allow-path", str(tmp_path), str(test))
    assert allowed.exit_code == 0, allowed.output
    assert "1 passed, 0 failed" in allowed.output
    assert run("test", str(tmp_path)).exit_code == 0


# ---- item 3: bounded inputs ---------------------------------------------------------------


def test_a_ruleset_over_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    plan = write(tmp_path / "plan.plan", RULESET + "#" * 2000 + "\n")
    with pytest.raises(InputError, match="is larger than 1 KiB, the limit"):
        read_source(str(plan), 1024)
    result = run("check", "--max-input-size", "1K", str(plan))
    assert result.exit_code == 2
    assert "is larger than 1 KiB" in result.output
    assert run("check", "--max-input-size", "1M", str(plan)).exit_code == 0
    bad = run("check", "--max-input-size", "lots", str(plan))
    assert bad.exit_code == 2
    assert "not a size" in bad.output


def test_the_default_limits(tmp_path: Path) -> None:
    access = Access.below(str(tmp_path / "x.plan"))
    assert (access.ruleset_limit, access.snapshot_limit) == (10 * 1024**2, 1024**3)


def test_a_file_that_grows_while_read_is_still_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = write(tmp_path / "plan.plan", b"x" * 5000)
    real_stat, real_fstat = os.stat, os.fstat

    def small(result: os.stat_result) -> os.stat_result:
        fields = list(result)
        fields[6] = 10  # st_size: as it was when looked at, before it grew
        return os.stat_result(fields)

    monkeypatch.setattr(os, "stat", lambda *a, **k: small(real_stat(*a, **k)))
    monkeypatch.setattr(os, "fstat", lambda *a, **k: small(real_fstat(*a, **k)))
    with pytest.raises(InputError, match="larger than 100 bytes"):
        read_limited(str(plan), 100, "a ruleset file")


def test_a_snapshot_file_over_the_limit(tmp_path: Path) -> None:
    plan = write(tmp_path / "shop.plan", RULESET)
    data = write(tmp_path / "august.json", AUGUST + " " * 2048)
    result = run("eval", "--max-input-size", "1K", str(plan), str(data))
    assert result.exit_code == 2
    assert f"{data}: is larger than 1 KiB" in result.output
    ruleset = planrules.load(str(plan), max_input_size=1024)
    with pytest.raises(planrules.SnapshotError, match="larger than 1 KiB"):
        ruleset.read([str(data)])
    assert planrules.load(str(plan)).read([str(data)]).snapshots


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.plan"
    os.mkfifo(fifo)
    started = time.monotonic()
    result = run("check", str(fifo))
    assert result.exit_code == 2
    assert "is a named pipe (FIFO), not a ruleset file" in result.output
    plan = write(tmp_path / "plan.plan", MAIN.format(use="pipe.plan"))
    used = run("check", str(plan))
    assert "use-missing" in used.output
    assert "named pipe" in used.output
    shop = write(tmp_path / "shop.plan", RULESET)
    snapshots = run("eval", str(shop), str(fifo))
    assert snapshots.exit_code == 2
    assert "is a named pipe (FIFO), not a snapshot file" in snapshots.output
    assert time.monotonic() - started < 10


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
def test_dev_zero_is_refused_everywhere(tmp_path: Path) -> None:
    result = run("check", "/dev/zero")
    assert result.exit_code == 2
    assert "/dev/zero: is a device, not a ruleset file" in result.output
    plan = write(tmp_path / "plan.plan", MAIN.format(use="/dev/zero"))
    used = run("check", "--allow-path", "/dev", str(plan))
    assert used.exit_code == 1
    assert "is a device" in used.output
    shop = write(tmp_path / "shop.plan", RULESET)
    assert "is a device" in run("eval", str(shop), "/dev/zero").output
    test = write(
        tmp_path / "shop_test.plan",
        'use "shop.plan"\ntest "Zero" {\n    snapshots "/dev/zero"\n    expect "Orders" pass\n}\n',
    )
    tested = run("test", "--allow-path", "/dev", str(test))
    assert tested.exit_code == 2
    assert f"{test}:3:5: snapshots-missing" in tested.output
    assert "is not a regular file" in tested.output


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder, not a ruleset file"):
        read_source(str(tmp_path))


# ---- item 3: a capped excerpt -------------------------------------------------------------


def test_a_long_line_shows_a_window_around_the_caret() -> None:
    line = " + ".join(f"u{i}" for i in range(4000))
    source = Source.from_text("long.plan", f"let x = {line}\n")
    column = 9 + line.index("u2667 ")
    text = format_diagnostic(error("unknown-name", point("long.plan", 1, column, 5), "m"), source)
    _, excerpt, caret = text.splitlines()
    assert len(excerpt) <= 4 + 122
    assert excerpt.startswith("    \u2026") and excerpt.endswith("\u2026")
    start = caret.index("^")
    assert excerpt[start : start + 5] == "u2667"
    assert caret.strip() == "^~~~~"


def test_the_window_at_either_end_of_a_long_line() -> None:
    line = "x" * 30000
    source = Source.from_text("long.plan", line)
    first = format_diagnostic(error("syntax-error", point("long.plan", 1, 1), "m"), source)
    assert first.splitlines()[1] == "    " + "x" * 120 + "\u2026"
    assert first.splitlines()[2] == "    ^"
    last = format_diagnostic(error("syntax-error", point("long.plan", 1, 30000), "m"), source)
    assert last.splitlines()[1] == "    \u2026" + "x" * 120
    assert last.splitlines()[2] == "    " + " " * 120 + "^"


def test_a_short_line_is_shown_whole() -> None:
    source = Source.from_text("a.plan", "let x = y\n")
    text = format_diagnostic(error("unknown-name", point("a.plan", 1, 9), "m"), source)
    assert text.splitlines()[1:] == ["    let x = y", "            ^"]


def test_four_thousand_errors_on_one_long_line_stay_small(tmp_path: Path) -> None:
    names = " + ".join(f"u{i}" for i in range(4000))
    plan = write(
        tmp_path / "long.plan",
        f'ruleset "Long"\nmetric m: count\nthreshold "g": {names} warn above 1\n',
    )
    result = run("check", str(plan))
    assert result.exit_code == 1
    assert result.output.count("unknown-name") == 4000
    assert len(result.output) < 2_000_000  # 184 MB before the window


# ---- item 6: a test file's data problems are input errors ---------------------------------


@pytest.mark.parametrize(
    ("body", "where", "code"),
    [
        ('    at 2026-08\n    expect "Orders" pass\n', "3:1", "test-without-snapshots"),
        (
            "    snapshot 2026-07 { orders 7 }\n    at 2026-08\n",
            "5:5",
            "at-without-snapshot",
        ),
        ('    snapshots "missing.json"\n', "4:5", "snapshots-missing"),
        (
            "    snapshot 2026-08 { orders 12345678901234567890123456789012345 }\n",
            "4:31",
            "number-out-of-range",
        ),
        ("    snapshot 2026-08 { orders 2000000000000000000000000 }\n", "4:31", ""),
    ],
)
def test_data_problems_of_a_test_file(tmp_path: Path, body: str, where: str, code: str) -> None:
    write(tmp_path / "shop.plan", RULESET)
    test = write(tmp_path / "shop_test.plan", f'use "shop.plan"\n\ntest "T" {{\n{body}}}\n')
    checked = run("check", str(test))
    assert checked.exit_code == 1, checked.output
    assert f"{test}:{where}: {code}" in checked.output
    tested = run("test", str(test))
    assert tested.exit_code == 2, tested.output
    assert f"{test}:{where}: {code}" in tested.output
    assert "Traceback" not in tested.output


def test_at_a_period_a_snapshot_file_lacks_is_a_test_error(tmp_path: Path) -> None:
    write(tmp_path / "shop.plan", RULESET)
    write(tmp_path / "august.json", AUGUST)
    test = write(
        tmp_path / "shop_test.plan",
        'use "shop.plan"\ntest "T" {\n    snapshots "august.json"\n    at 2026-09\n'
        '    expect "Orders" pass\n}\n',
    )
    assert run("check", str(test)).exit_code == 0
    tested = run("test", str(test))
    assert tested.exit_code == 2, tested.output
    assert "2026-09" in tested.output
    assert "Traceback" not in tested.output


def test_snapshot_errors_quote_only_a_short_excerpt(tmp_path: Path) -> None:
    plan = write(tmp_path / "shop.plan", RULESET)
    secret = write(tmp_path / ".env", "SECRET_KEY=hunter2\n")
    result = run("eval", str(plan), str(secret))
    assert result.exit_code == 2
    assert "hunter2" not in result.output
    assert "SECRET" not in result.output
    long = write(
        tmp_path / "long.json",
        '{"period": "2026-08", "metrics": {"orders": "' + "A" * 5000 + '\\u0007"}}',
    )
    result = run("eval", str(plan), str(long))
    assert result.exit_code == 2
    assert '"' + "A" * 38 + "\u2026" in result.output
    assert "A" * 41 not in result.output
    assert "\x07" not in result.output


@pytest.mark.parametrize("command", ["check", "fmt", "eval", "test", "replay", "explain"])
def test_every_reading_command_takes_the_options(command: str) -> None:
    result = run(command, "--help")
    assert "--allow-path DIR" in result.output
    assert "--max-input-size SIZE" in result.output


def test_fmt_stdin_is_bounded() -> None:
    result = CliRunner().invoke(main, ["fmt", "--max-input-size", "1K", "-"], input="#" * 2000)
    assert result.exit_code == 2
    assert "<stdin>: is larger than 1 KiB" in result.output
