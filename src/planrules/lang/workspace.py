"""Reading ruleset files from disk: one clear error for a file that cannot be read."""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

import attrs

from planrules.lang.diagnostics import InputError
from planrules.lang.messages import Message
from planrules.lang.source import Source

PLAN_SUFFIX = ".plan"
TEST_SUFFIX = "_test.plan"


def is_test_file(path: str) -> bool:
    return path.endswith(TEST_SUFFIX)


# The largest files read unless the caller says otherwise (`--max-input-size`, `max_input_size`).
RULESET_LIMIT = 10 * 1024**2
SNAPSHOT_LIMIT = 1024**3
_CHUNK = 1024**2


def read_source(path: str | Path, limit: int = RULESET_LIMIT) -> Source:
    """Read a ruleset as UTF-8; raises InputError naming the file for anything unreadable."""
    name = str(path)
    return decode_source(name, read_limited(name, limit, Message("a ruleset file")))


def read_limited(name: str, limit: int, kind: Message) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; raises InputError naming the file.

    The size is checked before reading, and the read stops at `limit + 1` bytes, so a file that
    grows meanwhile is still bounded. FIFOs, devices and sockets are refused: opened with
    O_NONBLOCK, a FIFO without a writer never blocks, and nothing is read from one.
    """
    try:
        if not stat.S_ISREG(os.stat(name).st_mode):
            raise InputError(name, _not_regular(os.stat(name).st_mode, kind))
        handle = os.open(
            name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        )
        try:
            return _read_open(name, handle, limit, kind)
        finally:
            os.close(handle)
    except FileNotFoundError:
        raise InputError(name, Message("no such file")) from None
    except OSError as problem:
        # A name too long, a loop of links, no permission: whatever the system refuses.
        raise InputError(name, _unreadable(_reason(problem))) from None
    except ValueError as problem:  # a NUL in the path
        raise InputError(name, _unreadable(str(problem))) from None


def _read_open(name: str, handle: int, limit: int, kind: Message) -> bytes:
    status = os.fstat(handle)  # the file opened, which may not be the one looked at first
    if not stat.S_ISREG(status.st_mode):
        raise InputError(name, _not_regular(status.st_mode, kind))
    if status.st_size > limit:
        raise InputError(name, _too_large(limit))
    chunks: list[bytes] = []
    total = 0
    expected = status.st_size + 1  # one byte more tells a file that grew
    while total <= limit:
        chunk = os.read(handle, min(limit + 1 - total, max(expected - total, _CHUNK)))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if total > limit:
        raise InputError(name, _too_large(limit))
    return b"".join(chunks)


def _unreadable(reason: str) -> Message:
    # The system's reason stays as the system gives it.
    return Message("cannot be read ({reason})", reason=reason)


def _not_regular(mode: int, kind: Message) -> Message:
    if stat.S_ISDIR(mode):
        return Message("is a folder, not {kind}", kind=kind)
    if stat.S_ISFIFO(mode):
        what = Message("a named pipe (FIFO)")
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        what = Message("a device")
    elif stat.S_ISSOCK(mode):
        what = Message("a socket")
    else:
        what = Message("not a regular file")
    return Message("is {what}, not {kind}: only regular files are read", what=what, kind=kind)


def _too_large(limit: int) -> Message:
    return Message(
        "is larger than {size}, the limit (--max-input-size changes it)", size=size_text(limit)
    )


def size_text(size: int) -> str:
    """A size for people: `10 MiB`, `1 GiB`, `1500 bytes`."""
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


def _reason(problem: OSError) -> str:
    if problem.errno == errno.ELOOP:
        return "its symbolic links lead round in a loop"
    return problem.strerror or str(problem)


def decoded_text(name: str, data: bytes, kind: Message) -> str:
    """`data` as UTF-8 text, without the BOM editors and spreadsheets often start it with; a
    binary file (not `kind`), bytes that are not UTF-8, or no text at all is an error."""
    if b"\x00" in data:
        raise InputError(name, Message("is a binary file, not {kind}", kind=kind))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as problem:
        byte = problem.start + 1
        raise InputError(
            name, Message("is not UTF-8 text (byte {byte} cannot be decoded)", byte=byte)
        ) from None
    if not text.strip():
        raise InputError(name, Message("is empty"))
    return text


def decode_source(name: str, data: bytes) -> Source:
    text = decoded_text(name, data, Message("a ruleset"))
    # Old Mac line endings (a lone CR) count as lines, as CRLF and LF do.
    return Source.from_text(name, _LONE_CR.sub("\n", text))


_LONE_CR = re.compile(r"\r(?!\n)")


def find_plan_files(paths: Iterable[str]) -> list[str]:
    """The files named, and the `*.plan` files found below each folder named, in order."""
    found: list[str] = []
    for path in paths:
        try:
            found.extend(_plan_files(path))
        except OSError as problem:
            raise InputError(path, _unreadable(_reason(problem))) from None
    return list(dict.fromkeys(found))


def _plan_files(path: str) -> list[str]:
    candidate = Path(path)
    if candidate.is_dir():
        files = sorted(str(p) for p in candidate.rglob(f"*{PLAN_SUFFIX}") if p.is_file())
        if not files:
            raise InputError(path, Message("holds no .plan files"))
        return files
    if candidate.exists():
        return [path]
    raise InputError(path, Message("no such file or folder"))


@attrs.frozen
class Access:
    """Which files a check may read beyond the one it was given, and how large any may be.

    `use "..."` and `snapshots "..."` resolve inside `roots` (real paths of folders: the folder
    of the file checked, and any the caller allowed); None allows anywhere.
    """

    roots: tuple[str, ...] | None = None
    ruleset_limit: int = RULESET_LIMIT
    snapshot_limit: int = SNAPSHOT_LIMIT

    @classmethod
    def below(
        cls,
        path: str,
        allowed_paths: Sequence[str | os.PathLike[str]] = (),
        max_input_size: int | None = None,
    ) -> Access:
        """The access of a check of `path`: its folder's tree, and the folders allowed."""
        roots = (_real(os.path.dirname(path) or "."), *(_real(p) for p in allowed_paths))
        if max_input_size is None:
            return cls(tuple(dict.fromkeys(roots)))
        return cls(tuple(dict.fromkeys(roots)), max_input_size, max_input_size)

    def allows(self, target: str) -> bool:
        if self.roots is None:
            return True
        try:
            real = _real(target)
        except ValueError:  # a NUL in the path: reading it says why
            return True
        return any(_within(real, root) for root in self.roots)

    def read_ruleset(self, path: str) -> Source:
        return read_source(path, self.ruleset_limit)


def _real(path: str | os.PathLike[str]) -> str:
    return os.path.realpath(os.path.abspath(path))


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)
