"""Reading ruleset files from disk: one clear error for a file that cannot be read."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from planrules.lang.diagnostics import InputError
from planrules.lang.source import Source

PLAN_SUFFIX = ".plan"
TEST_SUFFIX = "_test.plan"


def is_test_file(path: str) -> bool:
    return path.endswith(TEST_SUFFIX)


def read_source(path: str | Path) -> Source:
    """Read a ruleset as UTF-8; raises InputError naming the file for anything unreadable."""
    name = str(path)
    try:
        data = _read_bytes(name, Path(path))
    except OSError as problem:
        # A name too long, a loop of links, no permission: whatever the system refuses.
        raise InputError(name, f"cannot be read ({_reason(problem)})") from None
    return decode_source(name, data)


def _read_bytes(name: str, file: Path) -> bytes:
    if not file.exists():
        raise InputError(name, "no such file")
    if file.is_dir():
        raise InputError(name, "is a folder, not a ruleset file")
    return file.read_bytes()


def _reason(problem: OSError) -> str:
    return problem.strerror or str(problem)


def decode_source(name: str, data: bytes) -> Source:
    if b"\x00" in data:
        raise InputError(name, "is a binary file, not a ruleset")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as problem:
        raise InputError(
            name, f"is not UTF-8 text (byte {problem.start + 1} cannot be decoded)"
        ) from None
    if not text.strip():
        raise InputError(name, "is empty")
    return Source.from_text(name, text)


def find_plan_files(paths: Iterable[str]) -> list[str]:
    """The files named, and the `*.plan` files found below each folder named, in order."""
    found: list[str] = []
    for path in paths:
        try:
            found.extend(_plan_files(path))
        except OSError as problem:
            raise InputError(path, f"cannot be read ({_reason(problem)})") from None
    return list(dict.fromkeys(found))


def _plan_files(path: str) -> list[str]:
    candidate = Path(path)
    if candidate.is_dir():
        files = sorted(str(p) for p in candidate.rglob(f"*{PLAN_SUFFIX}") if p.is_file())
        if not files:
            raise InputError(path, "holds no .plan files")
        return files
    if candidate.exists():
        return [path]
    raise InputError(path, "no such file or folder")
