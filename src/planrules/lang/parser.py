"""The one Lark parser, built once per process (or read from the user's cache), and Lark's
errors as diagnostics.

Building the LALR tables from the grammar takes about 0.1 s, most of what a short command
costs; the built parser is kept in the user's cache folder (`$XDG_CACHE_HOME/planrules`, by
default `~/.cache/planrules`) under a key of everything it was built from, the grammar text,
Lark's version, Python's version and the options, so that a changed grammar or Lark is built
again. The grammar file stays the one source of truth: the cache only holds what it builds to.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import io
import os
import pickle
import re
import stat
import sys
import types
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from lark import Lark, Token, Tree
from lark import __version__ as lark_version
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.parsers.lalr_analysis import Action

from planrules.lang.diagnostics import Diagnostic, error
from planrules.lang.messages import Message
from planrules.lang.numbers import CURRENCY_PATTERN, SCALE_PATTERN, canonical_literal
from planrules.lang.source import Source, Span, point

_comments: ContextVar[list[Token]] = ContextVar("planrules_comments")

# Terminals that are not keywords or punctuation, in a strategist's words (messages, so that
# a syntax error reads in its reader's language; a keyword or punctuation is quoted as it is).
_TERMINAL_WORDS = {
    "NAME": Message("a name"),
    "STRING": Message('a quoted text ("...")'),
    "NUMBER": Message("a number"),
    "DATE": Message("a date such as 2026-09-30"),
    "PERIOD_ID": Message("a period such as 2026-07, 2026-Q3, 2026-W33 or 2026-07-15"),
    "CURRENCY_SIGN": Message("a currency sign (₫ or ¥)"),
    "$END": Message("the end of the file"),
}
_DECLARATION_WORDS = (
    "metric",
    "table",
    "let",
    "goal",
    "threshold",
    "budget",
    "trigger",
    "test",
    "group",
)
_OPERATOR_WORDS = ("+", "-", "*", "/", "<", ">")
_COMPARISONS = frozenset({"<", "<=", ">", ">=", "==", "!="})


class _KeepNames:
    """Keeps NAME in every lexer state, so that keywords are matched as whole words only."""

    always_accept = ("NAME",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        return stream


def grammar_text() -> str:
    package = Path(__file__).resolve().parents[1]
    packaged = package / "grammar" / "planrules.lark"
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    # An editable install or a checkout: the grammar lives at the top of the repository.
    checkout = package.parents[1] / "grammar" / "planrules.lark"
    if checkout.is_file():
        return checkout.read_text(encoding="utf-8")
    # A package not in files of its own (a zip): its loader reads the grammar.
    from importlib import resources

    return resources.files("planrules").joinpath("grammar/planrules.lark").read_text("utf-8")


def _collect_comment(token: Token) -> Token:
    sink = _comments.get(None)
    if sink is not None:
        sink.append(token)
    return token


# How the parser is built from the grammar; all of it is part of the cache's key.
_OPTIONS: dict[str, Any] = {
    "parser": "lalr",
    "lexer": "contextual",
    "keep_all_tokens": True,
    "maybe_placeholders": True,
    "start": ["start", "expr"],
}


@functools.cache
def lark_parser() -> Lark:
    """The one parser of the process."""
    return build_lark()


def build_lark() -> Lark:
    """A parser for the grammar: read from the cache where it holds one built from this very
    grammar, else built (and cached for the next process). A cache that cannot be read or
    written is passed over without a word: it only ever saves time."""
    text = grammar_text()
    key = cache_key(text)
    cached = _read_cache(key)
    if cached is not None:
        return cached
    lark = _build(text)
    _write_cache(key, lark)
    return lark


def _build(text: str) -> Lark:
    return Lark(
        text,
        postlex=_KeepNames(),
        lexer_callbacks={"COMMENT": _collect_comment},
        **_OPTIONS,
    )


# ---- the cache of the built parser ----------------------------------------------------------
#
# The cache holds the parser as Lark's `load` gives it back, pickled whole: unpickling that takes
# less than half the time `load` takes to make it from what Lark's `save` writes, which it walks
# object by object. Unpickling runs whatever the file says: a cache file is read only where no
# one but the user could have written it. It lives in a folder of the user's own that no one
# else may write to (made 0700), is itself the user's and written by no one else, and is opened
# through the folder's descriptor without following links, so that nothing can be swapped in
# between the checks and the reading. Its first line holds the key and the SHA-256 of the rest,
# checked before anything is unpickled, so that a file cut short or damaged is built again
# rather than read. It is written to a temporary file and renamed into place, so a reader never
# sees half of one. Where any of this is not possible (no user ids, no cache folder, a
# read-only home), the parser is built every time. The pickle names `_KeepNames` and
# `_collect_comment` rather than holding them: they are this module's own.

_CACHE_FORMAT = b"planrules-parser-cache 2"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


def cache_key(text: str) -> str:
    """The key of the parser built from grammar `text`: the text, how it is built, and the
    versions of Lark and Python (whose pickles and regular expressions it holds)."""
    parts = (
        _CACHE_FORMAT.decode(),
        lark_version,
        f"{sys.implementation.name} {sys.version_info[0]}.{sys.version_info[1]}",
        repr(sorted(_OPTIONS.items())),
        text,
    )
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def cache_folder() -> Path | None:
    """Where the cached parser is kept: `$XDG_CACHE_HOME/planrules`, else
    `~/.cache/planrules`; None where there is no such place (or no user ids to guard it)."""
    if not hasattr(os, "getuid") or not _NOFOLLOW or not _DIRECTORY:
        return None
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        home = os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    return Path(base) / "planrules"


def cache_file_name(key: str) -> str:
    return f"parser-{key[:32]}.pickle"


def _header(key: str, payload: bytes) -> bytes:
    """A cache file's first line: the format, the key, the SHA-256 of the pickle after it."""
    digest = hashlib.sha256(payload).hexdigest()
    return b" ".join([_CACHE_FORMAT, key.encode(), digest.encode()]) + b"\n"


def _private(info: os.stat_result, kind: int) -> bool:
    """Whether a file or folder is of the kind expected, the user's, and written by no one
    else."""
    return (
        stat.S_IFMT(info.st_mode) == kind
        and info.st_uid == os.getuid()
        and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def _open_folder(folder: Path) -> int | None:
    """A descriptor of the cache folder, where it is the user's own; None where it is not."""
    try:
        handle = os.open(folder, os.O_RDONLY | _DIRECTORY | _NOFOLLOW)
    except OSError:
        return None
    try:
        if _private(os.fstat(handle), stat.S_IFDIR):
            return handle
    except OSError:
        pass
    os.close(handle)
    return None


def _read_cache(key: str) -> Lark | None:
    folder = cache_folder()
    handle = _open_folder(folder) if folder is not None else None
    if handle is None:
        return None
    try:
        file = os.open(cache_file_name(key), os.O_RDONLY | _NOFOLLOW, dir_fd=handle)
        with os.fdopen(file, "rb") as stream:
            if not _private(os.fstat(stream.fileno()), stat.S_IFREG):
                return None
            header = stream.readline(200)
            payload = stream.read()
        if header != _header(key, payload):
            return None
        lark = pickle.loads(payload)
        return lark if isinstance(lark, Lark) else None
    except Exception:  # a cache that cannot be read is no cache: the parser is built
        return None
    finally:
        os.close(handle)


def _write_cache(key: str, lark: Lark) -> None:
    folder = cache_folder()
    if folder is None:
        return
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return
    handle = _open_folder(folder)
    if handle is None:
        return
    try:
        _write_file(handle, cache_file_name(key), key, lark)
    except Exception:  # not cached this time; the next process builds it again
        pass
    finally:
        os.close(handle)


class _ByName(pickle.Pickler):
    """Pickles by name what the parser holds but must not copy: its regular-expression module,
    and the parse table's actions, which the parser tells apart by identity (`is Shift`)."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, types.ModuleType):
            return importlib.import_module, (obj.__name__,)
        if isinstance(obj, Action):
            return obj.name  # the global of that name in the module of its class
        return NotImplemented


def _pickled(lark: Lark) -> bytes:
    """The parser as `Lark.load` gives it back (without what only building it needed),
    pickled."""
    saved = io.BytesIO()
    lark.save(saved)
    saved.seek(0)
    pickled = io.BytesIO()
    _ByName(pickled, protocol=pickle.HIGHEST_PROTOCOL).dump(Lark.load(saved))
    return pickled.getvalue()


def _write_file(folder: int, name: str, key: str, lark: Lark) -> None:
    """Write the cache file `name` in the folder open as `folder`: through a temporary file
    renamed into place, which on POSIX replaces the file in one step."""
    payload = _pickled(lark)
    temporary = f".parser-{os.getpid()}-{os.urandom(6).hex()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW
    try:
        with os.fdopen(os.open(temporary, flags, 0o600, dir_fd=folder), "wb") as out:
            out.write(_header(key, payload) + payload)
        os.rename(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary, dir_fd=folder)
        raise


@functools.cache
def _keyword_spellings() -> dict[str, str]:
    spellings = {}
    for terminal in lark_parser().terminals:
        if terminal.pattern.type == "str":
            spellings[terminal.name] = f"'{terminal.pattern.value}'"
    return spellings


def parse_with(lark: Lark, source: Source, start: str = "start") -> tuple[Any, list[Token]]:
    """Parse, returning the result and the comments met on the way; raises SyntaxProblem."""
    sink: list[Token] = []
    reset = _comments.set(sink)
    try:
        return lark.parse(source.text, start=start), sink
    except UnexpectedInput as problem:
        raise SyntaxProblem(syntax_diagnostic(problem, source)) from None
    finally:
        _comments.reset(reset)


class SyntaxProblem(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


# A file with more syntax errors than this is not worth reading further: the rest is noise.
MAX_SYNTAX_ERRORS = 50

# A line that starts a declaration, where the parser takes the file up again after a syntax
# error. Group `start` is the keyword, so that blanking stops right before it.
_DECLARATION_LINE = re.compile(
    r"^[ \t]*(?P<start>(?:metric|table)[ \t]+[^\W\d]\w*[ \t]*:"
    r"|let[ \t]+[^\W\d]\w*[ \t]*="
    r"|group[ \t]+[^\W\d]\w*[ \t]+into\b"
    r'|(?:goal|threshold|budget|trigger|test|use)[ \t]*")',
    re.MULTILINE,
)


class SyntaxErrors(Exception):
    """Every syntax error of a file (up to MAX_SYNTAX_ERRORS), in the order met."""

    def __init__(self, diagnostics: tuple[Diagnostic, ...]) -> None:
        super().__init__(diagnostics[0].message)
        self.diagnostics = diagnostics


def parse_recovering(lark: Lark, source: Source) -> tuple[Any, list[Token]]:
    """Parse a whole file like `parse_with`, but where it stops at a syntax error, take the file
    up again at the next line that starts a declaration, so that one run reports every syntax
    error; raises SyntaxErrors with all of them.

    The text before the point taken up from is blanked (newlines kept) rather than cut off, so
    that every position Lark reports is the file's own.
    """
    found: list[Diagnostic] = []
    resume: int | None = 0
    while resume is not None and len(found) < MAX_SYNTAX_ERRORS:
        try:
            parsed = parse_with(lark, _blanked_before(source, resume))
        except SyntaxProblem as problem:
            found.append(problem.diagnostic)
            stopped = max(resume + 1, _offset(source.text, problem.diagnostic.span))
            resume = _next_declaration(source.text, stopped)
        else:
            if not found:
                return parsed
            resume = None
    raise SyntaxErrors(tuple(found))


def _blanked_before(source: Source, offset: int) -> Source:
    blank = re.sub(r"[^\n]", " ", source.text[:offset])
    return Source(source.path, blank + source.text[offset:])


def _next_declaration(text: str, offset: int) -> int | None:
    """Where the first declaration starting at `offset` or later begins, if any."""
    for match in _DECLARATION_LINE.finditer(text):
        if match.start("start") >= offset:
            return match.start("start")
    return None


def _offset(text: str, span: Span) -> int:
    """The position in `text` of a span's start (lines end at "\\n", as the lexer counts)."""
    line_start = 0
    for _ in range(span.line - 1):
        line_start = text.find("\n", line_start) + 1
    return line_start + span.column - 1


def syntax_diagnostic(problem: UnexpectedInput, source: Source) -> Diagnostic:
    line = max(problem.line, 1) if problem.line not in (None, -1) else _last_line(source)
    column = max(problem.column, 1) if problem.column not in (None, -1) else 1
    if isinstance(problem, UnexpectedCharacters):
        return _unexpected_character(problem, source, line, column)
    if isinstance(problem, UnexpectedToken) and problem.token.type != "$END":
        token: Any = problem.token
        span = point(source.path, line, column, len(str(token)))
        if str(token) in _COMPARISONS and _after_comparison(problem):
            return error(
                "syntax-error",
                span,
                Message("comparisons do not chain: write `a < b and b < c`"),
            )
        accepted = _parser_expects(problem)
        keyword = _declaration_read_as_name(problem, source)
        if keyword is not None:
            return _unfinished_declaration(keyword, source)
        stray = _stray_word(problem, accepted)
        if stray is not None:
            return _stray_word_diagnostic(stray, token, source)
        found = _describe_token(token)
        expected = describe_expected(accepted)
        hint = _keyword_hint(str(token), accepted) if token.type == "NAME" else None
        if token.type == "COMMA":
            locale_number = _locale_number_before(problem, source)
            if locale_number is not None:
                return locale_number
            hint = _decimal_comma_hint(problem, source)
        return error(
            "syntax-error",
            span,
            Message("expected {expected}, found {found}", expected=expected, found=found),
            hint,
        )
    expected_set = _parser_expects(problem)
    if isinstance(problem, UnexpectedEOF | UnexpectedToken):
        line, column = _end_position(source)
    opened = _unclosed_brace(source.text)
    hint = Message("the `{{` on line {line} is never closed", line=opened) if opened else None
    return error(
        "syntax-error",
        point(source.path, line, column),
        Message(
            "the file ends too early: expected {expected}",
            expected=describe_expected(expected_set),
        ),
        hint,
    )


_BRACES_STRINGS_COMMENTS = re.compile(r'"(?:[^"\\\n]|\\.)*"?|#[^\n]*|[{}]')


def _unclosed_brace(text: str) -> int | None:
    """The line of the last `{` left open, braces inside texts and comments aside."""
    open_lines: list[int] = []
    for match in _BRACES_STRINGS_COMMENTS.finditer(text):
        piece = match.group(0)
        if piece == "{":
            open_lines.append(text.count("\n", 0, match.start()) + 1)
        elif piece == "}" and open_lines:
            open_lines.pop()
    return open_lines[-1] if open_lines else None


def _unexpected_character(
    problem: UnexpectedCharacters, source: Source, line: int, column: int
) -> Diagnostic:
    position = problem.pos_in_stream or 0
    char = source.text[position] if position < len(source.text) else ""
    span = point(source.path, line, column)
    if char == '"':
        return error(
            "syntax-error",
            span,
            Message(
                'this text is not closed on its line, or uses an escape other than \\" and \\\\'
            ),
        )
    expected = describe_expected(_parser_expects(problem))
    return error(
        "syntax-error",
        span,
        Message("unexpected character {char!r}; expected {expected}", char=char, expected=expected),
    )


def _declaration_read_as_name(problem: UnexpectedToken, source: Source) -> Token | None:
    """The keyword of a declaration line that the parser read as a name, because the
    declaration before it was not finished (`let x = a +` before `goal "g": ...`)."""
    state = problem.interactive_parser
    stack = state.parser_state.value_stack if state is not None else []
    word = stack[-1] if stack else None
    if not isinstance(word, Token) or word.type != "NAME" or word.start_pos is None:
        return None
    line_start = source.text.rfind("\n", 0, word.start_pos) + 1
    line = _DECLARATION_LINE.match(source.text, line_start)
    return word if line is not None and line.start("start") == word.start_pos else None


def _unfinished_declaration(keyword: Token, source: Source) -> Diagnostic:
    span = point(source.path, keyword.line or 1, keyword.column or 1, len(str(keyword)))
    return error(
        "syntax-error",
        span,
        Message("the declaration before this `{keyword}` is not finished", keyword=keyword),
        Message("complete it, or remove what is left of it"),
    )


# The entries of a list (a table, a budget, a snapshot block), as the parser's stack holds them.
_LIST_ENTRIES = frozenset(
    {"table_entry", "budget_line", "snapshot_value", "snapshot_keyed", "snapshot_keyed_value"}
)


def _stray_word(problem: UnexpectedToken, accepted: set[str]) -> Token | None:
    """A word the parser took for a key of a list, on a line before the token it then failed
    at: the word is what makes no sense (`ads 50 million extra`, where the next line's key meets
    no value), so the error belongs there rather than on the next line."""
    state = problem.interactive_parser
    stack = state.parser_state.value_stack if state is not None and "NUMBER" in accepted else []
    if len(stack) < 2 or not _opens_or_continues_list(stack[-2]):
        return None
    word = stack[-1]
    if not isinstance(word, Token) or word.type not in ("NAME", "STRING"):
        return None
    return word if (word.line or 0) < (problem.token.line or 0) else None


def _opens_or_continues_list(item: Any) -> bool:
    """Whether a stack item is a list's `{` or the entries of a list read so far."""
    if isinstance(item, Token):
        return item.type == "LBRACE"
    entries = item.children if str(item.data).startswith("__") else [item]
    return any(getattr(entry, "data", None) in _LIST_ENTRIES for entry in entries)


def _stray_word_diagnostic(word: Token, found: Token, source: Source) -> Diagnostic:
    span = point(source.path, word.line or 1, word.column or 1, len(str(word)))
    return error(
        "syntax-error",
        span,
        Message(
            "expected a number after {word!r}, found {found} on line {line}",
            word=str(word),
            found=_describe_token(found),
            line=found.line,
        ),
        Message("remove {word!r} if it is a stray word, or give it its value", word=str(word)),
    )


# `3,7 tỷ`, `21,95%`, `1.549,5 triệu`: a number with a decimal comma (its thousands perhaps
# grouped with points, as Vietnamese writes them) that a percent, a scale word or a currency
# follows. In a ruleset a comma separates arguments, but `max(a, 3,7 tỷ)` is not what anyone
# means by three arguments: this shape is refused wherever it is. A comma between plain digits
# (`round(x,2)`, `max(1,5)`) is left to mean what the grammar says.
_SCALE = r"\s*(?:" + SCALE_PATTERN + r")(?!(?!元|人民币)\w)"
_CURRENCY = r"\s*" + CURRENCY_PATTERN + r"(?!\s*[-+]?[0-9])"
_LOCALE_NUMBER = re.compile(
    r"(?<![\w.])(?P<whole>[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+),(?P<fraction>[0-9]+)"
    rf"(?P<unit>%|{_SCALE}(?:{_CURRENCY})?|{_CURRENCY})"
)
_DIGIT_COMMA_DIGIT = re.compile(r"[0-9],[0-9]")
_TEXT_OR_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"?|#[^\n]*')


def locale_numbers(source: Source) -> list[Diagnostic]:
    """Every number written with a decimal comma and a unit (`3,7 tỷ`) outside texts and
    comments, as the error `locale-number` with the number as a ruleset writes it."""
    found = []
    for candidate in _DIGIT_COMMA_DIGIT.finditer(source.text):
        match = _locale_number_at(source.text, candidate.start() + 1)
        if match is not None and _in_code(source.text, match.start()):
            found.append(_locale_number(match, source))
    return found


def _locale_number_at(text: str, comma: int) -> re.Match[str] | None:
    """The locale number whose decimal comma is at offset `comma`, if there is one."""
    start = comma
    while start > 0 and text[start - 1] in "0123456789.":
        start -= 1
    match = _LOCALE_NUMBER.match(text, start)
    return match if match is not None and match.end("whole") == comma else None


def _in_code(text: str, offset: int) -> bool:
    """Whether offset `offset` is outside texts and comments."""
    line_start = text.rfind("\n", 0, offset) + 1
    for piece in _TEXT_OR_COMMENT.finditer(text, line_start):
        if piece.start() >= offset:
            break
        if piece.end() > offset:
            return False
    return True


def _locale_number_before(problem: UnexpectedToken, source: Source) -> Diagnostic | None:
    """The comma the parser stopped at, where it is the decimal comma of a locale number."""
    comma = problem.token.start_pos
    match = _locale_number_at(source.text, comma) if comma is not None else None
    return _locale_number(match, source) if match is not None else None


def _locale_number(match: re.Match[str], source: Source) -> Diagnostic:
    written = canonical_literal(match.group(0))
    whole = match["whole"]
    fixed = canonical_literal(f"{whole.replace('.', '')}.{match['fraction']}{match['unit']}")
    if "." not in whole:
        hint = Message("decimals are written with a point: `{fixed}`", fixed=fixed)
    else:
        hint = Message(
            "decimals are written with a point, thousands without separators: `{fixed}`",
            fixed=fixed,
        )
    return error(
        "locale-number",
        _offsets_span(source, match.start(), match.end()),
        Message(
            "`{written}` has a decimal comma, but in a ruleset a comma separates arguments",
            written=written,
        ),
        hint,
    )


def _offsets_span(source: Source, start: int, end: int) -> Span:
    """The span from offset `start` to offset `end` of the text."""
    text = source.text
    line = text.count("\n", 0, start) + 1
    end_line = line + text.count("\n", start, end)
    column = start - text.rfind("\n", 0, start)
    end_column = end - text.rfind("\n", 0, end)
    return Span(source.path, line, column, end_line, end_column)


_DIGITS_AFTER_COMMA = re.compile(r"(?P<digits>[0-9]+)(?P<percent>%?)")


def _decimal_comma_hint(problem: UnexpectedToken, source: Source) -> str | None:
    """`21,95%`: a decimal comma, as spreadsheets in many locales write it."""
    state = problem.interactive_parser
    stack = state.parser_state.value_stack if state is not None else []
    before = _last_token(stack[-1]) if stack else None
    comma = problem.token.start_pos
    if not isinstance(before, Token) or before.type != "NUMBER" or comma is None:
        return None
    after = _DIGITS_AFTER_COMMA.match(source.text, comma + 1)
    if before.end_pos != comma or after is None:
        return None
    digits = after.group(0)
    thousands, decimal = f"{before}{digits}", f"{before}.{digits}"
    if len(after.group("digits")) == 3 and not after.group("percent"):  # `1,549`: either
        return Message(
            "write `{thousands}` for thousands (no separators), `{decimal}` for a decimal",
            thousands=thousands,
            decimal=decimal,
        )
    return Message("decimals are written with a point: `{fixed}`", fixed=decimal)


def _last_token(item: Any) -> Token | None:
    """The last token of a stack item: the item itself, or the last one in its subtree."""
    while isinstance(item, Tree):
        present = [child for child in item.children if child is not None]
        item = present[-1] if present else None
    return item if isinstance(item, Token) else None


def _keyword_hint(word: str, accepted: set[str]) -> str | None:
    """A misspelt keyword (`tresholds`, `perrep`) gets the keyword it is closest to."""
    spellings = _keyword_spellings()
    keywords = [spellings[name].strip("'") for name in accepted if name in spellings]
    words = [k for k in keywords if k.isidentifier()]
    for keyword in words:
        rest = word[len(keyword) :]
        if word.startswith(keyword) and rest.isidentifier() and len(keyword) > 2:
            meant = f"{keyword} {rest}"
            return Message("did you mean `{name}`?", name=meant)
    import difflib  # loaded only for a misspelling: a check without one does not need it

    close = difflib.get_close_matches(word, words, n=1, cutoff=0.7)
    return Message("did you mean `{name}`?", name=close[0]) if close else None


def _parser_expects(problem: UnexpectedInput) -> set[str]:
    """What the parser could take here; the lexer's own list always has NAME (see _KeepNames)."""
    state = getattr(problem, "state", None)
    try:
        return set(state.parse_conf.parse_table.states[state.position])  # type: ignore[union-attr]
    except (AttributeError, KeyError):
        return set(getattr(problem, "expected", None) or getattr(problem, "allowed", None) or ())


def describe_expected(terminals: set[str] | frozenset[str]) -> str:
    """What the parser could take, in a strategist's words: a `Message` (its English text as
    it has always been), so that the words and the list's `or` read in the reader's language;
    keywords and punctuation stay quoted as they are written."""
    spellings = _keyword_spellings()
    words: set[str] = set()
    if "NUMBER" in terminals:
        # A date (`since(x, 2026-07-01)`) and a rule's name (`status("RULE")`) stand where a
        # value may, but only those two functions read them: a value is what is expected.
        terminals = (
            set(terminals) - {"DATE", "STRING"}
            if "RPAR" in terminals
            else set(terminals) - {"DATE"}
        )
    for name in terminals:
        if name in _TERMINAL_WORDS:
            words.add(_TERMINAL_WORDS[name])
        elif name in spellings:
            words.add(spellings[name])
    words = _summarise(words)
    if len(words) > 8:
        return Message("more of this declaration, or a new declaration")
    if not words:
        return Message("something else")
    ordered = sorted(words, key=lambda w: (w.startswith("'"), str(w)))
    return one_of(ordered)


def one_of(items: Sequence[str]) -> str:
    """`a, b or c`: a `Message` whose commas and `or` read in the reader's language."""
    if len(items) == 1:
        return items[0]
    listed = items[0]
    for item in items[1:-1]:
        listed = Message("{listed}, {item}", listed=listed, item=item)
    return Message("{listed} or {last}", listed=listed, last=items[-1])


def _summarise(words: set[str]) -> set[str]:
    declarations = {f"'{w}'" for w in _DECLARATION_WORDS}
    if len(words & declarations) >= 5:
        words = (words - declarations) | {Message("a declaration (metric, table, let, goal, ...)")}
    operators = {f"'{w}'" for w in _OPERATOR_WORDS}
    if len(words & operators) >= 4:
        words = (words - operators - {"'>='", "'<='", "'=='", "'!='"}) | {Message("an operator")}
    return words


def _after_comparison(problem: UnexpectedToken) -> bool:
    state = problem.interactive_parser
    return state is not None and any(
        getattr(item, "data", None) == "comparison_op" for item in state.parser_state.value_stack
    )


def _describe_token(token: Token) -> str:
    text = str(token)
    if token.type == "NAME":
        return Message("a name {text!r}", text=text)
    if token.type == "STRING":
        return Message('a quoted text ("...") {text!r}', text=text)
    if token.type == "NUMBER":
        return Message("a number {text!r}", text=text)
    if token.type == "DATE":
        return Message("a date {text!r}", text=text)
    if token.type == "PERIOD_ID":
        return Message("a period {text!r}", text=text)
    return f"'{token}'"


def _last_line(source: Source) -> int:
    return max(1, source.text.count("\n") + 1)


def _end_position(source: Source) -> tuple[int, int]:
    stripped = source.text.rstrip()
    line = stripped.count("\n") + 1
    column = len(stripped) - (stripped.rfind("\n") + 1) + 1
    return line, column
