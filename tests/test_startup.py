"""Start-up: the parser is read from the user's cache when it can be (and built when it cannot),
and `import planrules` loads nothing until a public name is used. By behaviour, not by timing."""

from __future__ import annotations

import functools
import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from lark import Lark

import planrules
from planrules import cli
from planrules.lang import parser
from planrules.lang.parser import SyntaxProblem, parse_with
from planrules.lang.source import Source
from tests.conftest import RULESETS

POSIX_ONLY = pytest.mark.skipif(parser.cache_folder() is None, reason="no cache on this system")
_BUILD = parser._build


@functools.cache
def _fresh() -> Lark:
    """A parser built from the grammar here and now, the cache aside."""
    return _BUILD(parser.grammar_text())


def _modules_after(program: str) -> set[str]:
    """The modules a fresh interpreter holds after running `program`."""
    code = f"{program}\nimport json, sys; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


def _loaded(modules: set[str], *prefixes: str) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


# ---- lazy imports ---------------------------------------------------------------------------


def test_import_planrules_loads_neither_the_engine_nor_click() -> None:
    modules = _modules_after("import planrules")
    heavy = ("planrules.eval", "planrules.report", "planrules.cli", "planrules.lang", "click")
    assert _loaded(modules, *heavy, "lark", "attrs", "attr", "hypothesis") == []


def test_planrules_check_loads_neither_the_evaluator_nor_the_reports() -> None:
    program = (
        "from planrules.cli import main\n"
        "try:\n"
        f"    main(['check', {str(RULESETS / 'saado.plan')!r}])\n"
        "except SystemExit as done:\n"
        "    assert done.code == 0, done.code\n"
    )
    modules = _modules_after(program)
    assert "planrules.lang.check" in modules
    assert _loaded(modules, "planrules.eval", "planrules.report", "hypothesis") == []


def test_every_public_name_imports_from_a_fresh_interpreter() -> None:
    names = [name for name in planrules.__all__ if name != "__version__"]
    program = "\n".join(
        [
            *(f"from planrules import {name}" for name in names),
            "import planrules",
            f"assert all(getattr(planrules, n) is not None for n in {names!r})",
            "assert set(planrules.__all__) <= set(dir(planrules))",
        ]
    )
    assert "planrules.eval.evaluate" in _modules_after(program)


def test_the_public_names_are_those_of_their_modules() -> None:
    from planrules.eval import evaluate
    from planrules.report import model

    assert planrules.load is evaluate.load
    assert planrules.loads is evaluate.loads
    assert planrules.Report is model.Report
    assert set(planrules.__all__) == {*planrules._PUBLIC, "__version__"}
    for name in planrules.__all__:
        assert getattr(planrules, name) is not None


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nonesuch'"):
        _ = planrules.nonesuch  # type: ignore[attr-defined]
    with pytest.raises(ImportError):
        exec("from planrules import nonesuch", {})


def test_the_commands_offer_the_formats_the_reports_write() -> None:
    from planrules.report import render

    assert cli.REPORT_FORMATS == render.FORMATS
    assert cli.REPLAY_FORMATS == render.REPLAY_FORMATS


# ---- the parser's cache ---------------------------------------------------------------------


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache folder of the user's own; the parser's cache goes in `planrules` below."""
    home = tmp_path / "cache"
    home.mkdir()
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts the parsers built from the grammar (rather than read from the cache)."""
    built: list[str] = []
    build = parser._build

    def counting(text: str) -> Lark:
        built.append(text)
        return build(text)

    monkeypatch.setattr(parser, "_build", counting)
    return built


def _cache_file(cache_home: Path, text: str | None = None) -> Path:
    key = parser.cache_key(parser.grammar_text() if text is None else text)
    return cache_home / "planrules" / parser.cache_file_name(key)


def _no_building(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(text: str) -> Lark:
        raise AssertionError("the parser was built, not read from the cache")

    monkeypatch.setattr(parser, "_build", refuse)


def _parses_like_a_fresh_parser(lark: Lark) -> None:
    fresh = _fresh()
    for path in sorted(RULESETS.glob("*.plan")):
        source = Source.from_text(str(path), path.read_text(encoding="utf-8"))
        tree, comments = parse_with(lark, source)
        expected_tree, expected_comments = parse_with(fresh, source)
        assert tree == expected_tree
        assert [(c.line, c.column, str(c)) for c in comments] == [
            (c.line, c.column, str(c)) for c in expected_comments
        ]
    broken = Source.from_text("broken.plan", 'goal "g": total(revenue) >= \nmetric x: count\n')
    problems = []
    for each in (lark, fresh):
        with pytest.raises(SyntaxProblem) as problem:
            parse_with(each, broken)
        problems.append(problem.value.diagnostic)
    assert problems[0] == problems[1]
    assert (
        parse_with(lark, Source.from_text("e", "a + b * 2"), start="expr")[0]
        == parse_with(fresh, Source.from_text("e", "a + b * 2"), start="expr")[0]
    )


@POSIX_ONLY
def test_the_second_build_reads_the_parser_from_the_cache(
    cache_home: Path, builds: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    parser.build_lark()
    assert len(builds) == 1
    cached = _cache_file(cache_home)
    assert cached.is_file()
    # Private to the user: no one else may read, or write, the file or its folder.
    assert stat.S_IMODE(cached.stat().st_mode) == 0o600
    assert stat.S_IMODE(cached.parent.stat().st_mode) == 0o700
    # Written through a temporary file renamed into place: nothing else is left behind.
    assert [p.name for p in cached.parent.iterdir()] == [cached.name]
    _no_building(monkeypatch)
    _parses_like_a_fresh_parser(parser.build_lark())


@POSIX_ONLY
@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="cut short"),
        pytest.param(lambda data: data[:-10] + bytes(10), id="zeros at the end"),
        pytest.param(lambda data: b"not a cache file\n" + data, id="no header"),
        pytest.param(lambda data: b"", id="empty"),
        pytest.param(lambda data: os.urandom(5000), id="noise"),
    ],
)
def test_a_damaged_cache_file_is_built_again(
    cache_home: Path,
    builds: list[str],
    damage: Callable[[bytes], bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parser.build_lark()
    cached = _cache_file(cache_home)
    cached.write_bytes(damage(cached.read_bytes()))
    _parses_like_a_fresh_parser(parser.build_lark())
    assert len(builds) == 2
    _no_building(monkeypatch)  # and cached again, whole
    parser.build_lark()


@POSIX_ONLY
def test_a_damaged_pickle_with_a_matching_header_is_not_unpickled(
    cache_home: Path, builds: list[str]
) -> None:
    parser.build_lark()
    cached = _cache_file(cache_home)
    header, payload = cached.read_bytes().split(b"\n", 1)
    cached.write_bytes(header + b"\n" + payload.replace(b"NAME", b"EMAN"))
    _parses_like_a_fresh_parser(parser.build_lark())
    assert len(builds) == 2


@POSIX_ONLY
def test_a_changed_grammar_is_built_again(
    cache_home: Path, builds: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = parser.grammar_text()
    parser.build_lark()
    changed = text + "\n// a comment changes the text, so the key\n"
    monkeypatch.setattr(parser, "grammar_text", lambda: changed)
    parser.build_lark()
    assert builds == [text, changed]
    assert _cache_file(cache_home, text) != _cache_file(cache_home, changed)
    assert _cache_file(cache_home, changed).is_file()
    parser.build_lark()
    assert len(builds) == 2


@POSIX_ONLY
def test_a_cache_file_under_another_key_is_not_read(
    cache_home: Path, builds: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file renamed into place, or a clash of names: the key in the file is checked whole."""
    text = parser.grammar_text()
    parser.build_lark()
    changed = text + "\n// changed\n"
    _cache_file(cache_home, text).rename(_cache_file(cache_home, changed))
    monkeypatch.setattr(parser, "grammar_text", lambda: changed)
    parser.build_lark()
    assert builds == [text, changed]


def test_the_key_holds_the_grammar_and_lark_version(monkeypatch: pytest.MonkeyPatch) -> None:
    text = parser.grammar_text()
    key = parser.cache_key(text)
    assert parser.cache_key(text) == key
    assert parser.cache_key(text + " ") != key
    monkeypatch.setattr(parser, "lark_version", "0.0.0")
    assert parser.cache_key(text) != key


@POSIX_ONLY
def test_a_cache_that_cannot_be_written_is_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, builds: list[str]
) -> None:
    # A cache home that is a file: no folder can be made below it, even by root.
    blocked = tmp_path / "a file"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    _parses_like_a_fresh_parser(parser.build_lark())
    parser.build_lark()
    assert len(builds) == 2


@POSIX_ONLY
def test_a_read_only_home_is_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, builds: list[str]
) -> None:
    # Refused as the system would refuse a read-only folder (root is never refused, so the
    # refusal is made here).
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(home))

    def refused(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refused)
    _parses_like_a_fresh_parser(parser.build_lark())
    assert not (home / ".cache").exists()


@POSIX_ONLY
def test_a_failed_write_leaves_nothing_behind(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch, builds: list[str]
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "rename", fail)
    _parses_like_a_fresh_parser(parser.build_lark())
    assert list((cache_home / "planrules").iterdir()) == []


@POSIX_ONLY
def test_a_cache_others_may_write_to_is_not_read(cache_home: Path, builds: list[str]) -> None:
    parser.build_lark()
    folder = cache_home / "planrules"
    cached = _cache_file(cache_home)
    cached.chmod(0o666)
    parser.build_lark()
    assert len(builds) == 2
    cached.chmod(0o600)
    folder.chmod(0o777)
    parser.build_lark()
    parser.build_lark()
    assert len(builds) == 4
    folder.chmod(0o700)
    parser.build_lark()
    assert len(builds) == 4


@POSIX_ONLY
def test_a_linked_cache_folder_or_file_is_not_followed(
    cache_home: Path, tmp_path: Path, builds: list[str]
) -> None:
    parser.build_lark()
    folder = cache_home / "planrules"
    elsewhere = tmp_path / "elsewhere"
    folder.rename(elsewhere)
    folder.symlink_to(elsewhere)
    parser.build_lark()
    assert len(builds) == 2
    folder.unlink()
    folder.mkdir(mode=0o700)
    name = parser.cache_file_name(parser.cache_key(parser.grammar_text()))
    (folder / name).symlink_to(elsewhere / name)
    parser.build_lark()
    assert len(builds) == 3


@POSIX_ONLY
def test_the_cache_folder_follows_xdg_and_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert parser.cache_folder() == tmp_path / "xdg" / "planrules"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/is/ignored")
    assert parser.cache_folder() == tmp_path / ".cache" / "planrules"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert parser.cache_folder() == tmp_path / ".cache" / "planrules"
    monkeypatch.setenv("HOME", "relative")
    assert parser.cache_folder() is None
