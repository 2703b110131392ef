"""Reading ruleset files from disk: one clear error for a file that cannot be read."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from planrules.diagnostics import InputError
from planrules.source import Source

PLAN_SUFFIX = ".plan"
TEST_SUFFIX = "_test.plan"


def is_test_file(path: str) -> bool:
    return path.endswith(TEST_SUFFIX)


def read_source(path: str | Path) -> Source:
    """Read a ruleset as UTF-8; raises InputError naming the file for anything unreadable."""
    name = str(path)
    file = Path(path)
    if not file.exists():
        raise InputError(name, "no such file")
    if file.is_dir():
        raise InputError(name, "is a folder, not a ruleset file")
    try:
        data = file.read_bytes()
    except OSError as problem:
        raise InputError(name, f"cannot be read ({problem.strerror})") from None
    return decode_source(name, data)


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
        candidate = Path(path)
        if candidate.is_dir():
            files = sorted(str(p) for p in candidate.rglob(f"*{PLAN_SUFFIX}") if p.is_file())
            if not files:
                raise InputError(path, "holds no .plan files")
            found.extend(files)
        elif candidate.exists():
            found.append(path)
        else:
            raise InputError(path, "no such file or folder")
    return list(dict.fromkeys(found))
