"""Text for people that a report can write again in its reader's language.

The checker and the evaluator write their messages before anyone knows who will read them,
and most readers (the JSON report, the library's callers, English output) want the English
text as it has always been. So a `Message` is that English text, a `str`, and carries what
it was made from as well: its template, which is the catalogue's message id, and its named
fields. A renderer that speaks another language looks the template up and fills it with the
fields, each written again in turn where it is a `Message` or an `Amount` (see
`planrules.i18n.spoken`). This module depends on nothing, so that every phase may use it.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any


class Message(str):
    """English text made by filling `template` with `fields`; `Message` is also the keyword
    the catalogue's extractor looks for, so every template is a literal in the source."""

    template: str
    fields: dict[str, Any]

    def __new__(cls, template: str, /, **fields: Any) -> Message:
        message = super().__new__(cls, template.format(**fields))
        message.template = template
        message.fields = fields
        return message

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its template and fields: the English text alone would lose them, and
        # as its own class, which may mark what the message is (a subclass).
        return (_remade, (type(self), self.template, self.fields))


def _remade(kind: type[Message], template: str, fields: dict[str, Any]) -> Message:
    return kind(template, **fields)


class Amount(str):
    """A figure inside a message, in English as the caller wrote it, with its value and unit
    so that a reader's language writes it its own way (`1,549,000,000 VND` in English,
    `1.549.000.000 ₫` in Vietnamese)."""

    value: Decimal | Fraction | int
    unit: str
    currency: str | None

    def __new__(
        cls, english: str, value: Decimal | Fraction | int, unit: str, currency: str | None = None
    ) -> Amount:
        amount = super().__new__(cls, english)
        amount.value = value
        amount.unit = unit
        amount.currency = currency
        return amount

    def __reduce__(self) -> tuple[Any, ...]:
        return (Amount, (str(self), self.value, self.unit, self.currency))


def said_by(problem: BaseException) -> str:
    """What an exception raised with a message says, the `Message` itself where it was one,
    so that a diagnostic made from it is translated too."""
    first = problem.args[0] if len(problem.args) == 1 else None
    return first if isinstance(first, str) else str(problem)
