"""The catalogs hold every word the code marks, translated, and nothing else."""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from pathlib import Path

from domain.words import extracted, read_catalog

ROOT = Path(__file__).resolve().parents[2]


def forms(text: str | Sequence[str] | None) -> list[str]:
    """A message's text as a list: one string, or each plural form."""
    if text is None:
        return []
    return [text] if isinstance(text, str) else list(text)


def placeholders(texts: list[str]) -> set[str]:
    """The `{name}` (code) and `%(name)s` (mail templates) placeholders of the texts."""
    found: set[str] = set()
    for text in texts:
        found |= {name for _, name, _, _ in string.Formatter().parse(text) if name}
        found |= set(re.findall(r"%\((\w+)\)", text))
    return found


def test_every_marked_word_is_translated_into_indonesian_and_none_is_stale() -> None:
    code = {(m.context, m.id) for m in extracted(ROOT) if m.id}
    indonesian = {(m.context, m.id): forms(m.string) for m in read_catalog("id") if m.id}
    # A plural message is translated when every one of its forms is.
    missing = sorted((k for k in code if not all(indonesian.get(k) or [""])), key=str)
    assert not missing, f"untranslated (run `python -m domain.words extract`): {missing[:5]}"
    stale = sorted(set(indonesian) - code, key=str)
    assert not stale, f"in the catalog but no longer in the code: {stale[:5]}"


def test_the_words_of_the_mail_templates_are_extracted_too() -> None:
    catalog = extracted(ROOT)
    mail = [m for m in catalog if m.context and m.context.startswith("mail.")]
    assert len(mail) > 50
    assert all(loc.startswith("templates/email/") for m in mail for loc, _ in m.locations)
    greeting = catalog.get("Dear %(name)s,", context="mail.greeting")
    assert greeting is not None and len(greeting.locations) == 8  # every .txt and .html
    overdue = catalog.get(("%(num)d day overdue", "%(num)d days overdue"), "mail.remaining")
    assert overdue is not None and overdue.pluralizable


def test_a_translation_uses_only_the_placeholders_its_source_offers() -> None:
    for message in read_catalog("id"):
        if message.id and message.string:
            source, translated = forms(message.id), forms(message.string)
            assert placeholders(translated) <= placeholders(source), message.context
