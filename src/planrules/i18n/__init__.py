"""The reader's language: the fixed words of reports, numbers as the reader writes them, and
keys in the reader's order.

Reports and the CLI's summaries write their fixed words through `_` and `ngettext`, whose
English text is the message id: English needs no catalogue, and another language reads its
catalogue, `planrules/locale/<lang>/LC_MESSAGES/planrules.po`, straight from the `.po` file
when first asked (Babel compiles it in memory), so that neither an editable install nor the
wheel needs a build step. Words written where no language is set are English, so the library
and the JSON report never change with the reader.

The language is a context variable, set by `speaking(code)` around a report's writing: the
same renderers serve every language without a language argument passed through every
helper, and threads (or asyncio tasks) writing reports in different languages do not meet.

English works with the core alone. Vietnamese and Chinese need the `i18n` extra (Babel for
catalogues and numbers, pyuca and pypinyin for collation); without it they are a
`MissingExtra` error that says what to install.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from planrules.formats import LOCALES
from planrules.lang.messages import Amount, Message

if TYPE_CHECKING:
    from planrules.lang.ratio_forms import RatioForm

LANGUAGES = LOCALES  # the reader's languages are the locales
ENGLISH = "en"
EXTRA = "i18n"


class MissingExtra(RuntimeError):
    """A language other than English asked for where the `i18n` extra is not installed."""

    def __init__(self, code: str, missing: str) -> None:
        super().__init__(
            f"--lang {code} needs the {EXTRA} extra ({missing} is not installed): "
            f"pip install 'planrules[{EXTRA}]'"
        )


class Words(Protocol):
    """What the standard library's gettext translations offer: the two calls used here."""

    def gettext(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, count: int) -> str: ...


class Numbers(Protocol):
    """How a language writes a value of a unit (see `planrules.eval.values.describe`)."""

    def describe(
        self, value: Any, unit: str, currency: str | None, form: RatioForm | None = None
    ) -> str: ...

    def compact(self, value: Any, unit: str, currency: str | None, form: RatioForm | None) -> str:
        """The value in few columns (`1,55 tỷ ₫`), for a narrow column of a text report."""
        ...


@attrs.frozen
class Language:
    code: str
    words: Words
    numbers: Numbers
    sort_key: Any  # text -> a key that orders texts as the reader does


class _EnglishWords:
    """The message ids are English already."""

    def gettext(self, message: str) -> str:
        return message

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return singular if count == 1 else plural


class _EnglishNumbers:
    """English numbers are the evaluator's own (`describe`), and English reports keep full
    figures in every column, so that their output stays what it has always been. The
    evaluator is imported only when a number is written: `planrules check` speaks through
    this module and does not load the evaluator."""

    def describe(
        self, value: Any, unit: str, currency: str | None, form: RatioForm | None = None
    ) -> str:
        from planrules.eval.values import describe as describe_in_english

        return describe_in_english(value, unit, currency, form)

    def compact(self, value: Any, unit: str, currency: str | None, form: RatioForm | None) -> str:
        return self.describe(value, unit, currency, form)


def _code_point_order(text: str) -> str:
    # English ties keep the code-point order of the JSON report: it needs no library.
    return text


ENGLISH_LANGUAGE = Language(ENGLISH, _EnglishWords(), _EnglishNumbers(), _code_point_order)


@functools.cache
def language(code: str | None) -> Language:
    """The language of `code` (English for None), its catalogue and tables read once."""
    if code is None or code == ENGLISH:
        return ENGLISH_LANGUAGE
    if code not in LANGUAGES:
        raise ValueError(f"`{code}` is not a language (one of {', '.join(LANGUAGES)})")
    try:
        from planrules.i18n.catalogue import translations
        from planrules.i18n.collation import sort_key_for
        from planrules.i18n.numbers import LocaleNumbers
    except ImportError as missing:
        raise MissingExtra(code, missing.name or str(missing)) from missing
    return Language(code, translations(code), LocaleNumbers(code), sort_key_for(code))


_SPEAKING: contextvars.ContextVar[Language] = contextvars.ContextVar(
    "planrules_language", default=ENGLISH_LANGUAGE
)


@contextlib.contextmanager
def speaking(code: str | None) -> Iterator[Language]:
    """Words, numbers and order in the language of `code` inside; None keeps the language
    already spoken (English where none was chosen), so that a renderer asked for no language
    writes in its caller's."""
    token = _SPEAKING.set(_SPEAKING.get() if code is None else language(code))
    try:
        yield _SPEAKING.get()
    finally:
        _SPEAKING.reset(token)


def current() -> Language:
    return _SPEAKING.get()


def _(message: str) -> str:
    """`message` (English, the message id) in the current language."""
    return _SPEAKING.get().words.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural message for `count`, in the current language."""
    return _SPEAKING.get().words.ngettext(singular, plural, count)


def spoken(text: str) -> str:
    """`text` as the current reader reads it: a `Message`'s template looked up in the
    catalogue and filled with its fields, each spoken in turn, an `Amount` written in the
    reader's numbers; other text, and anything in English, as it is (byte for byte)."""
    if _SPEAKING.get() is ENGLISH_LANGUAGE:
        return text
    if isinstance(text, Amount):
        return describe(text.value, text.unit, text.currency)
    if not isinstance(text, Message):
        return text
    fields = {
        name: spoken(value) if isinstance(value, str) else value
        for name, value in text.fields.items()
    }
    return _(text.template).format(**fields)


def N_(message: str) -> str:  # the name gettext extractors look for
    """Marks a message to be translated where it is used, not where it is defined (a table
    of titles at a module's top is made before any language is chosen)."""
    return message


def describe(
    value: Any, unit: str, currency: str | None = None, form: RatioForm | None = None
) -> str:
    """A value as reports write it, in the current language's numbers."""
    return _SPEAKING.get().numbers.describe(value, unit, currency, form)


def compact(
    value: Any, unit: str, currency: str | None = None, form: RatioForm | None = None
) -> str:
    """A value in few columns, in the current language's numbers (full figures in English)."""
    return _SPEAKING.get().numbers.compact(value, unit, currency, form)


def reader_order(text: str) -> Any:
    """A sort key that puts texts in the current reader's order."""
    return _SPEAKING.get().sort_key(text)
