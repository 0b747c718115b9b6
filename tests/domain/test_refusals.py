"""Every refusal the transition rules can give, in both languages: no English on an
Indonesian page, and the English reason the JSON API has always given."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from domain.errors import TransitionRefused
from domain.refusals import RefusalCode, english_reason, refusal_text, refused

ROOT = Path(__file__).resolve().parents[2]
SAMPLE: dict[str, str | int] = {
    "name": "Operator BPBD",
    "own": "53.01",
    "regency": "53.71",
    "action": "approve",
    "stage": "review",
    "allowed": "",
    "role": "reviewer",
    "roles": "reviewer",
    "based_on": 1,
    "latest": 2,
    "what": "the submitted draft",
    "expected": "2",
    "given": 1,
    "item": 5,
    "count": 4,
    "office": "bpbd_head",
    "required": "bpbd_head, planning_head",
    "first": "bpbd_head",
    "method": "wet",
    "version": "2",
    "hash": "ab" * 32,
    "quarter": 1,
    "opens": "2026-03-01",
    "state": "submitted",
    "key": "q1",
    "current": "2026-04-20",
    "days": 365,
    "status": "cancelled",
    "acting": "plt",
    "claimed": "definitive",
    "commitment": "rakor-2026-53.01",
    "size": "11,534,336",
    "limit": "10,485,760",
    "cycle": "rakor-2026",
    "wanted": "certified",
    "why": "KOMITMEN_BSRE_URL is not set",
    "message": "passphrase salah",
    "reason": "the signature does not cover the whole file",
    "mark": "Pj.",
    "start": "2026-01-05",
    "end": "2026-12-31",
    "username": "kalak.kupang",
    "sk": "800/123/BKPSDM/2026",
    "village": "5304010001",
    "prefix": "5303",
}
# Words that give an English sentence away; none of them is Indonesian.
ENGLISH = re.compile(
    r"\b(the|is|not|may|cannot|has|have|already|needs|signs|office|report|quarter|"
    r"deadline|version|first|submit|save|item|items|locked|waiting|cycle)\b",
    re.IGNORECASE,
)


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("code", list(RefusalCode))
def test_each_refusal_reads_in_indonesian_with_no_english(code: RefusalCode) -> None:
    indonesian = refusal_text(code, SAMPLE, "id")
    english = refusal_text(code, SAMPLE, "en")
    assert "{" not in indonesian and "{" not in english, (indonesian, english)
    found = ENGLISH.findall(indonesian)
    assert not found, f"{code}: English words {found} in {indonesian!r}"
    assert indonesian != english
    assert english == english_reason(code, SAMPLE)


@pytest.mark.parametrize("code", list(RefusalCode))
def test_each_refusal_is_raised_somewhere(code: RefusalCode) -> None:
    """A code no rule raises is a sentence nobody reads; every one has its place."""
    sources = [
        *(ROOT / "domain").glob("*.py"),
        *(ROOT / "workflows").glob("*.py"),
        *(ROOT / "services").glob("*.py"),
        # Evidence refusals are named by `evidence.inspect.refusal_code`, raised by the services.
        *(ROOT / "evidence").glob("*.py"),
    ]
    raised = re.compile(rf"\b(R|RefusalCode)\.{code.name}\b")
    assert any(raised.search(path.read_text()) for path in sources), code


def test_a_refusal_keeps_its_code_and_params_and_its_english_reason() -> None:
    refusal = refused(RefusalCode.QUARTER_LOCKED, quarter=2)
    assert isinstance(refusal, TransitionRefused)
    assert (refusal.code, refusal.params) == ("quarter_locked", {"quarter": 2})
    assert str(refusal) == "quarter 2 is locked; reports can no longer be submitted"
    assert refusal_text(refusal.code, refusal.params, "id") == (
        "Triwulan 2 sudah dikunci; laporan tidak dapat diajukan lagi."
    )


def test_an_unknown_code_or_missing_params_still_read_as_a_sentence() -> None:
    assert refusal_text("something_new", {}, "id") == "Permintaan ditolak."
    assert refusal_text("something_new", {}, "en") == "The request was refused."
    assert refusal_text("quarter_locked", {}, "id") == "Permintaan ditolak."
