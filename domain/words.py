"""The words people read, kept in gettext catalogs a translator can work on without the code.

Source strings are English and live in the code, each marked with `NC_(context, text)`
(the context names where it is used, e.g. "page.sign" or "refusal.quarter_locked", so the
same English word can be worded differently in Indonesian where it means another thing),
and in the mail templates of `templates/email/`, as `pgettext(context, text)` and
`npgettext(context, singular, plural, n)` calls (contexts "mail.…", see
`mailing.rendering`). Babel extracts both (`python -m domain.words extract`: keyword
`NC_:1c,2` in the code, Jinja's extractor in the templates) into
`domain/locale/messages.pot`, and the translations live in
`domain/locale/<language>/LC_MESSAGES/messages.po`: Bahasa Indonesia complete, English
empty (the source text is English). The catalogs are compiled in memory when first used,
so there is no build step and no .mo file to forget.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import NamedTuple, TypeVar

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import Translations

from domain.display import LANGUAGES, Language

LOCALE = Path(__file__).parent / "locale"
DOMAIN = "messages"


K = TypeVar("K", bound=str)


class Word(NamedTuple):
    """A source string and the context that tells a translator where it is read."""

    context: str
    text: str


def NC_(context: str, text: str) -> Word:  # noqa: N802 - gettext's marker naming
    """Mark a string for extraction; translated when a table is built (`by_language`)."""
    return Word(context, text)


def po_path(language: Language) -> Path:
    """The catalog of one language."""
    return LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: Language) -> Translations:
    """The language's catalog, compiled in memory."""
    compiled = io.BytesIO()
    write_mo(compiled, read_catalog(language))
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)


def translate(word: Word, language: Language) -> str:
    """One word in a language; the English source where the catalog has none."""
    return str(translations(language).pgettext(word.context, word.text))


def by_language(table: Mapping[K, Word]) -> dict[Language, dict[K, str]]:
    """A table of marked words, translated into every language once."""
    return {lang: {key: translate(w, lang) for key, w in table.items()} for lang in LANGUAGES}


def by_value(table: Mapping[Language, Mapping[K, str]]) -> dict[Language, dict[str, str]]:
    """A label table keyed by plain strings (an enum's values), for rows read as text."""
    return {lang: {str(k): v for k, v in labels.items()} for lang, labels in table.items()}


CODE = ("domain", "services", "api", "activities")
"""The packages whose code marks words with `NC_`."""

MAIL_TEMPLATES = "templates/email"
"""The mail templates, whose words are `pgettext`/`npgettext` calls (`mailing.rendering`)."""

# Parsed as `mailing.rendering` loads them: i18n extension, trimmed blocks, newstyle.
TEMPLATE_OPTIONS = {
    "extensions": "jinja2.ext.i18n",
    "trim_blocks": "true",
    "lstrip_blocks": "true",
    "newstyle_gettext": "true",
    # A template Jinja cannot parse fails the extraction instead of being skipped.
    "silent": "false",
}


def extracted(root: Path) -> Catalog:
    """Every marked word in the code and the mail templates under `root`, as a catalog
    template."""
    template = Catalog(project="Komitmen", charset="utf-8")
    sources = [
        (
            package,
            extract_from_dir(
                root / package,
                method_map=[("**.py", "python")],
                keywords={"NC_": ((1, "c"), 2)},
                comment_tags=(),
            ),
        )
        for package in CODE
    ]
    jinja = "jinja2.ext:babel_extract"
    sources.append(
        (
            MAIL_TEMPLATES,
            extract_from_dir(
                root / MAIL_TEMPLATES,
                method_map=[("**.html", jinja), ("**.txt", jinja), ("**.jinja", jinja)],
                options_map={"**": TEMPLATE_OPTIONS},
                keywords={"pgettext": ((1, "c"), 2), "npgettext": ((1, "c"), 2, 3)},
                comment_tags=(),
            ),
        )
    )
    for folder, found in sources:
        for filename, lineno, message, _comments, context in found:
            template.add(message, locations=[(f"{folder}/{filename}", lineno)], context=context)
    return template


def read_catalog(language: Language) -> Catalog:
    """A language's catalog as stored."""
    with po_path(language).open("rb") as source:
        return read_po(source, locale=language)


def extract(root: Path) -> None:
    """Write messages.pot from the code and bring each language's catalog up to date:
    new words come in untranslated, words the code no longer has go."""
    template = extracted(root)
    with (LOCALE / f"{DOMAIN}.pot").open("wb") as out:
        write_po(out, template, omit_header=True, sort_output=True)
    for language in LANGUAGES:
        catalog = read_catalog(language)
        catalog.update(template, no_fuzzy_matching=True)
        with po_path(language).open("wb") as out:
            write_po(out, catalog, omit_header=True, sort_output=True, ignore_obsolete=True)


if __name__ == "__main__":
    if sys.argv[1:] != ["extract"]:
        raise SystemExit("usage: python -m domain.words extract")
    extract(Path(__file__).resolve().parents[1])
