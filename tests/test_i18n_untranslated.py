"""No English left in the checker's Vietnamese and Chinese output.

Every golden ruleset of `tests/golden/check/` is checked through the CLI with `--lang vi` and
`--lang zh`, and each line written for people (a diagnostic's message, its hint, the summary)
is searched for common English words once what the plan writer wrote is taken out: quoted
names, texts, keywords and punctuation (`` `...` ``, `"..."`, `'...'`) and file names, which
stay as written.
A word found is a fragment of English that reached the reader untranslated: a message made
with an f-string or `str.replace` rather than a `Message`, or a message id missing from a
catalogue. (The English output of the same files is the golden tests'.)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from planrules import i18n
from planrules.cli import main
from tests.test_golden import GOLDEN_DIR, GOLDENS

TRANSLATED = [code for code in i18n.LANGUAGES if code != i18n.ENGLISH]

# Words of English prose that no Vietnamese or Chinese message holds outside quotes. Words
# that are also keywords a message may name unquoted (`per`, `by`, `from`, `to`, `and`, `or`
# of the language, metric kinds, cadences) are left out where they could be meant as such:
# `or` and `not` are kept, as messages quote the keywords they name.
ENGLISH_WORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "or",
        "is",
        "are",
        "was",
        "be",
        "been",
        "not",
        "no",
        "with",
        "without",
        "of",
        "for",
        "has",
        "have",
        "had",
        "but",
        "than",
        "then",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "there",
        "here",
        "which",
        "who",
        "what",
        "when",
        "where",
        "while",
        "into",
        "onto",
        "expected",
        "found",
        "such",
        "ends",
        "too",
        "early",
        "point",
        "more",
        "must",
        "should",
        "cannot",
        "can",
        "could",
        "would",
        "will",
        "write",
        "use",
        "uses",
        "used",
        "add",
        "remove",
        "give",
        "choose",
        "leave",
        "did",
        "mean",
        "means",
        "only",
        "also",
        "each",
        "every",
        "any",
        "some",
        "other",
        "another",
        "after",
        "before",
        "between",
        "over",
        "under",
        "again",
        "never",
        "always",
        "already",
        "declaration",
        "declared",
        "unexpected",
        "character",
        "closed",
        "separators",
        "thousands",
        "decimals",
        "written",
        "file",
        "files",
        "error",
        "errors",
        "warning",
        "warnings",
        "checked",
        "formatted",
        "reformat",
    }
)

# A line that starts a diagnostic: `FILE:LINE:COLUMN: [warning ]CODE: message`, the word
# `warning` in the reader's language.
_HEADER = r"^\S.*?:\d+:\d+: (?:{warning} )?[a-z][a-z0-9-]*: (?P<message>.*)$"
# What the plan writer wrote, quoted as it stays in every language.
_QUOTED = (
    re.compile(r'"(?:[^"\\\n]|\\.)*"'),
    re.compile(r"`[^`\n]*`"),
    re.compile(r"'[^'\n]*'"),
    # File names (`use-cycle-back.plan`), which a message names unquoted in a chain of uses.
    re.compile(r"[\w./-]+\.[a-z]+\b"),
)
# A word: letters only, any script (`của` is one Vietnamese word, not `c` and `a`).
_WORD = re.compile(r"[^\W\d_]+")


def said_to_people(output: str, code: str) -> list[str]:
    """The lines of `planrules check`'s output written for people: each diagnostic's message
    (after its file, position and code) and hint, and every line that is not a source line or
    the caret under it."""
    with i18n.speaking(code):
        hint = "    " + i18n._("hint: {hint}").format(hint="")
        starts = re.compile(_HEADER.format(warning=re.escape(i18n._("warning"))))
    said = []
    for line in output.splitlines():
        header = starts.match(line)
        if header is not None:
            said.append(header["message"])
        elif line.startswith(hint):
            said.append(line[len(hint) :])
        elif line.strip() and not line.startswith("    "):
            said.append(line)
    return said


def english_in(text: str) -> list[str]:
    for quoted in _QUOTED:
        text = quoted.sub(" ", text)
    return [word for word in _WORD.findall(text) if word.lower() in ENGLISH_WORDS]


def test_the_search_finds_english_fragments_and_passes_quoted_words() -> None:
    assert english_in("cần a date such as 2026-09-30, gặp a number '30'") == [
        "a",
        "such",
        "a",
    ]
    assert english_in("cần ':' or 'per', gặp tên 'perrep'") == ["or"]
    assert english_in("số thập phân viết with a point: `3.7 tỷ`") == ["with", "a", "point"]
    assert english_in('"{conversion *}" ends too early') == ["ends", "too", "early"]
    assert english_in("cần ':' hoặc 'per', gặp tên 'perrep'") == []
    assert english_in("`doanh_thuu` không phải chỉ số; \"Is it the one\" 'or'") == []


@pytest.mark.parametrize("code", TRANSLATED)
@pytest.mark.parametrize("plan", GOLDENS, ids=[p.name for p in GOLDENS])
def test_no_english_is_left_in_the_checkers_output(
    plan: Path, code: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(GOLDEN_DIR)
    result = CliRunner().invoke(main, ["check", plan.name, "--lang", code])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    said = said_to_people(result.output, code)
    assert said, "nothing said to people: not even the summary"
    left = {line: english_in(line) for line in said}
    assert {line: words for line, words in left.items() if words} == {}


def test_fmt_and_explain_speak_the_readers_language(tmp_path: Path) -> None:
    plan = tmp_path / "plan.plan"
    plan.write_text((GOLDEN_DIR / "syntax-error.plan").read_text("utf-8"), "utf-8")
    formatted = CliRunner().invoke(main, ["fmt", str(plan), "--lang", "zh"])
    assert formatted.exit_code == 1
    assert "应为 'above' 或 'below'，实际为 名称 'over'" in formatted.output
    assert f"{plan}：未格式化，文件有错误" in formatted.output
    ruleset = GOLDEN_DIR.parent.parent.parent / "rulesets" / "saado.plan"
    explained = CliRunner().invoke(
        main,
        ["explain", str(ruleset), str(ruleset.with_suffix(".json")), "--rule", "x", "--lang", "vi"],
    )
    assert explained.exit_code == 2
    assert 'lỗi: không có quy tắc nào tên "x"; các quy tắc là "Doanh thu 2 tỷ"' in explained.output
