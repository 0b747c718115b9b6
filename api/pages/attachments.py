"""Evidence (bukti dukung) as the report pages show it and take it: the files of each item,
the files an officer chose in the report form, and the reviewer's notes per item.

The files go through `services.evidence`, as the JSON API's do; this module only reads
the form and words what the pages show, in the page's language (times in WITA).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import FormData, UploadFile
from temporalio.client import Client

from api.pages import i18n
from api.pages.base import Page, refusal_words
from domain.display import LANGUAGES, Language, format_deadline, format_number
from services import evidence
from services.access import AuthUser
from services.commitments import CommitmentRef
from services.errors import OutOfScope, Refusal
from services.runtime import Runtime

MAX_CHOSEN = 40
"""Files one report form may carry at once; a form with more is refused before it is read."""

FIELD = "evidence-"
"""The report form's file inputs: `evidence-<item position>`."""


@dataclass(frozen=True)
class EvidenceView:
    """One attached file as a page lists it: what it is, where to open it, what a photo says."""

    id: int
    quarter: int
    position: int
    sha256: str
    name: str
    kind: str
    kind_label: str
    size: str
    original: str
    thumbnail: str | None
    phone: str | None
    taken: str | None
    place: str | None
    far: str | None
    remove: str


def size_text(size: int, lang: Language) -> str:
    """A file's size as people read it: "35 KB", "1,4 MB" (Bahasa Indonesia)."""
    if size < 1024 * 1024:
        return f"{format_number(max(1, -(-size // 1024)), 0, lang)} KB"
    return f"{format_number(size / (1024 * 1024), 1, lang)} MB"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def views(
    rows: Iterable[Any], page_base: str, lang: Language, flag_km: float
) -> dict[tuple[int, int], list[EvidenceView]]:
    """The attached files by (quarter, item position), with their links under `page_base`
    (the commitment page's path, ending in "/page/")."""
    words = i18n.TEXT[lang]
    found: dict[tuple[int, int], list[EvidenceView]] = {}
    for row in rows:
        link = f"{page_base}evidence/{row.id}/{row.sha256}"
        made = row.thumbnail_sha256 is not None
        place = None
        if row.latitude is not None and row.longitude is not None:
            place = f"{row.latitude:.3f}, {row.longitude:.3f}"
        far = None
        if row.distance_km is not None and row.distance_km > flag_km:
            far = words["evidence_far"].format(km=format_number(round(row.distance_km), 0, lang))
        view = EvidenceView(
            id=row.id,
            quarter=row.quarter,
            position=row.item_position,
            sha256=row.sha256,
            name=row.file_name,
            kind=row.kind,
            kind_label=words.get(f"evidence_kind_{row.kind}", row.kind.upper()),
            size=size_text(row.size, lang),
            original=link,
            thumbnail=f"{link}?variant=thumbnail" if made else None,
            phone=f"{link}?variant=phone" if made and row.phone_sha256 else None,
            taken=format_deadline(_aware(row.taken_at), lang) if row.taken_at else None,
            place=place,
            far=far,
            remove=f"{page_base}evidence/{row.id}/remove",
        )
        found.setdefault((row.quarter, row.item_position), []).append(view)
    return found


def chosen_files(form: FormData) -> list[tuple[int, UploadFile]]:
    """The files chosen in the report form, each with its item's position; empty inputs
    (nothing chosen) are left out."""
    chosen = []
    for name, value in form.multi_items():
        if not isinstance(value, UploadFile) or not value.filename:
            continue
        number = name.removeprefix(FIELD)
        if name.startswith(FIELD) and number.isdigit():
            chosen.append((int(number), value))
    return chosen


async def store_chosen(
    runtime: Runtime,
    client: Client,
    page: Page,
    user: AuthUser,
    ref: CommitmentRef,
    quarter: int,
    chosen: Sequence[tuple[int, UploadFile]],
) -> tuple[int, dict[int, list[str]]]:
    """Attach each chosen file to its item; how many were kept, and each refused file's
    name and reason by item, in the page's language. OutOfScope (who the person is)
    goes to the caller: it refuses the whole form."""
    kept = 0
    refused: dict[int, list[str]] = {}
    for position, file in chosen:
        upload = evidence.Upload(quarter, position, file.filename or "", file.read)
        try:
            await evidence.upload(
                client,
                runtime.settings,
                runtime.sessions,
                runtime.upload_slots,
                user,
                ref,
                upload,
                now=datetime.now(UTC),
            )
        except OutOfScope:
            raise
        except Refusal as not_taken:
            words = i18n.TEXT[page.lang]["evidence_refused"]
            reason = refusal_words(page, not_taken)
            refused.setdefault(position, []).append(words.format(name=file.filename, reason=reason))
        else:
            kept += 1
    return kept, refused


MISSING = "missing-"
"""The return form's per-item fields: `missing-<item position>`, what evidence is missing."""


def compose_reason(
    general: str, fields: Mapping[str, Sequence[str]], positions: Iterable[int], lang: Language
) -> str:
    """The one reason the workflow takes: the general reason, then a line per item whose
    missing evidence was named ("Aksi 2: daftar hadir belum ada")."""
    lines = [general.strip()] if general.strip() else []
    line = i18n.TEXT[lang]["evidence_item_line"]
    for position in positions:
        typed = " ".join((fields.get(f"{MISSING}{position}") or [""])[0].split())
        if typed:
            lines.append(line.format(n=position, text=typed))
    return "\n".join(lines)


def _line_patterns() -> list[re.Pattern[str]]:
    patterns = []
    for lang in LANGUAGES:
        before, _, rest = i18n.TEXT[lang]["evidence_item_line"].partition("{n}")
        between = rest.partition("{text}")[0]
        patterns.append(re.compile(f"^{re.escape(before)}(\\d+){re.escape(between)}(.+)$"))
    return patterns


def missing_notes(reason: str | None) -> dict[int, str]:
    """The reviewer's note per item in a returned report's reason (`compose_reason`)."""
    notes: dict[int, str] = {}
    for text in (reason or "").splitlines():
        for pattern in _line_patterns():
            matched = pattern.match(text.strip())
            if matched:
                notes[int(matched.group(1))] = matched.group(2).strip()
                break
    return notes
