"""The catalogs hold every word the code marks, translated, and nothing else."""

from __future__ import annotations

import string
from pathlib import Path

from domain.words import extracted, read_catalog

ROOT = Path(__file__).resolve().parents[2]


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_marked_word_is_translated_into_indonesian_and_none_is_stale() -> None:
    code = {(m.context, m.id) for m in extracted(ROOT) if m.id}
    indonesian = {(m.context, m.id): m.string for m in read_catalog("id") if m.id}
    missing = sorted(k for k in code if not indonesian.get(k))
    assert not missing, f"untranslated (run `python -m domain.words extract`): {missing[:5]}"
    stale = sorted(set(indonesian) - code)
    assert not stale, f"in the catalog but no longer in the code: {stale[:5]}"


def test_a_translation_uses_only_the_placeholders_its_source_offers() -> None:
    for message in read_catalog("id"):
        if message.id and message.string:
            source, translated = str(message.id), str(message.string)
            assert placeholders(translated) <= placeholders(source), message.context
