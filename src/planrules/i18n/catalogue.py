"""A language's catalogue, read from the `.po` file kept in the package.

Reading the `.po` source at run time (Babel's reader, then its `.mo` writer into memory for
the standard library's `gettext`) means there is no compiled file to forget to build: an
editable install and the wheel read the same text, and the catalogue is read once per process
and language.
"""

from __future__ import annotations

import gettext
import io
from importlib import resources

from babel.messages.extract import DEFAULT_KEYWORDS
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DOMAIN = "planrules"


def catalogue_path(code: str) -> resources.abc.Traversable:
    return resources.files("planrules") / "locale" / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def translations(code: str) -> gettext.GNUTranslations:
    """The messages of `code`'s catalogue; a message it lacks stays English."""
    with catalogue_path(code).open("rb") as source:
        catalogue = read_po(source, locale=code, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


# The calls under which the source marks its messages, for Babel's extractor (the test that
# every message has a translation, and a translator updating a catalogue): gettext's usual
# ones, and `Message`, whose first argument is its template (`planrules.lang.messages`), and
# `KeyNotYet`, the message that marks an unknown from before a key's first period.
EXTRACTION_KEYWORDS = {**DEFAULT_KEYWORDS, "Message": (1,), "KeyNotYet": (1,)}
