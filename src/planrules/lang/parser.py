"""The one Lark parser, built once per process, and Lark's errors as diagnostics."""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterator
from contextvars import ContextVar
from importlib import resources
from pathlib import Path
from typing import Any

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from planrules.lang.diagnostics import Diagnostic, error
from planrules.lang.source import Source, point

_comments: ContextVar[list[Token]] = ContextVar("planrules_comments")

# Terminals that are not keywords or punctuation, in a strategist's words.
_TERMINAL_WORDS = {
    "NAME": "a name",
    "STRING": 'a quoted text ("...")',
    "NUMBER": "a number",
    "DATE": "a date such as 2026-09-30",
    "PERIOD_ID": "a period such as 2026-07, 2026-Q3, 2026-W33 or 2026-07-15",
    "$END": "the end of the file",
}
_DECLARATION_WORDS = ("metric", "table", "let", "goal", "threshold", "budget", "trigger", "test")
_OPERATOR_WORDS = ("+", "-", "*", "/", "<", ">")
_COMPARISONS = frozenset({"<", "<=", ">", ">=", "==", "!="})


class _KeepNames:
    """Keeps NAME in every lexer state, so that keywords are matched as whole words only."""

    always_accept = ("NAME",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        return stream


def grammar_text() -> str:
    packaged = resources.files("planrules").joinpath("grammar/planrules.lark")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    # An editable install or a checkout: the grammar lives at the top of the repository.
    return (Path(__file__).resolve().parents[3] / "grammar" / "planrules.lark").read_text(
        encoding="utf-8"
    )


def _collect_comment(token: Token) -> Token:
    sink = _comments.get(None)
    if sink is not None:
        sink.append(token)
    return token


def build_lark() -> Lark:
    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        postlex=_KeepNames(),
        keep_all_tokens=True,
        maybe_placeholders=True,
        start=["start", "expr"],
        lexer_callbacks={"COMMENT": _collect_comment},
    )


@functools.cache
def _keyword_spellings() -> dict[str, str]:
    spellings = {}
    for terminal in build_lark().terminals:
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
                "comparisons do not chain: write `a < b and b < c`",
            )
        found = _describe_token(token)
        accepted = _parser_expects(problem)
        expected = describe_expected(accepted)
        hint = _keyword_hint(str(token), accepted) if token.type == "NAME" else None
        return error("syntax-error", span, f"expected {expected}, found {found}", hint)
    expected_set = _parser_expects(problem)
    if isinstance(problem, UnexpectedEOF | UnexpectedToken):
        line, column = _end_position(source)
    opened = _unclosed_brace(source.text)
    hint = f"the `{{` on line {opened} is never closed" if opened else None
    return error(
        "syntax-error",
        point(source.path, line, column),
        f"the file ends too early: expected {describe_expected(expected_set)}",
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
            'this text is not closed on its line, or uses an escape other than \\" and \\\\',
        )
    expected = describe_expected(_parser_expects(problem))
    return error("syntax-error", span, f"unexpected character {char!r}; expected {expected}")


def _keyword_hint(word: str, accepted: set[str]) -> str | None:
    """A misspelt keyword (`tresholds`, `perrep`) gets the keyword it is closest to."""
    spellings = _keyword_spellings()
    keywords = [spellings[name].strip("'") for name in accepted if name in spellings]
    words = [k for k in keywords if k.isidentifier()]
    for keyword in words:
        rest = word[len(keyword) :]
        if word.startswith(keyword) and rest.isidentifier() and len(keyword) > 2:
            return f"did you mean `{keyword} {rest}`?"
    close = difflib.get_close_matches(word, words, n=1, cutoff=0.7)
    return f"did you mean `{close[0]}`?" if close else None


def _parser_expects(problem: UnexpectedInput) -> set[str]:
    """What the parser could take here; the lexer's own list always has NAME (see _KeepNames)."""
    state = getattr(problem, "state", None)
    try:
        return set(state.parse_conf.parse_table.states[state.position])  # type: ignore[union-attr]
    except (AttributeError, KeyError):
        return set(getattr(problem, "expected", None) or getattr(problem, "allowed", None) or ())


def describe_expected(terminals: set[str] | frozenset[str]) -> str:
    spellings = _keyword_spellings()
    words = set()
    for name in terminals:
        if name in _TERMINAL_WORDS:
            words.add(_TERMINAL_WORDS[name])
        elif name in spellings:
            words.add(spellings[name])
    words = _summarise(words)
    if len(words) > 8:
        return "more of this declaration, or a new declaration"
    if not words:
        return "something else"
    ordered = sorted(words, key=lambda w: (w.startswith("'"), w))
    if len(ordered) == 1:
        return ordered[0]
    return ", ".join(ordered[:-1]) + " or " + ordered[-1]


def _summarise(words: set[str]) -> set[str]:
    declarations = {f"'{w}'" for w in _DECLARATION_WORDS}
    if len(words & declarations) >= 5:
        words = (words - declarations) | {"a declaration (metric, table, let, goal, ...)"}
    operators = {f"'{w}'" for w in _OPERATOR_WORDS}
    if len(words & operators) >= 4:
        words = (words - operators - {"'>='", "'<='", "'=='", "'!='"}) | {"an operator"}
    return words


def _after_comparison(problem: UnexpectedToken) -> bool:
    state = problem.interactive_parser
    return state is not None and any(
        getattr(item, "data", None) == "comparison_op" for item in state.parser_state.value_stack
    )


def _describe_token(token: Token) -> str:
    if token.type in ("NAME", "STRING", "NUMBER", "DATE", "PERIOD_ID"):
        return f"{_TERMINAL_WORDS[token.type].split(' such')[0]} {str(token)!r}"
    return f"'{token}'"


def _last_line(source: Source) -> int:
    return max(1, source.text.count("\n") + 1)


def _end_position(source: Source) -> tuple[int, int]:
    stripped = source.text.rstrip()
    line = stripped.count("\n") + 1
    column = len(stripped) - (stripped.rfind("\n") + 1) + 1
    return line, column
