"""The printable action plan of one regency: its approved version, signatures and hash.

An HTML page with its own print stylesheet (A4, nothing but the document when
printed). It reuses the pages' session, language and scope: login required, 403
outside the user's regency, 404 (an HTML page) until the plan is approved.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api.deps import CycleId, SessionDep
from api.pages import i18n
from api.pages.routes import (
    VisitDep,
    _env,
    scoped_commitment,
)
from db import models as m
from db import reads
from domain.catalog import load_catalog
from domain.display import Language, acting_mark, format_date

router = APIRouter(include_in_schema=False)

# Words of the document the pages do not use.
WORDS: dict[Language, dict[str, str]] = {
    "id": {
        "cycle": "Siklus",
        "no": "No.",
        "quarters": "Triwulan",
        "responsible": "Penanggung jawab",
        "source": "Sumber",
        "print": "Cetak",
        "page": "Halaman komitmen",
        "chain_head": "Ujung rantai jejak audit siklus (SHA-256)",
        "chain_entries": "entri; periksa dengan komitmen audit-verify",
    },
    "en": {
        "cycle": "Cycle",
        "no": "No.",
        "quarters": "Quarters",
        "responsible": "Responsible unit",
        "source": "Source",
        "print": "Print",
        "page": "Commitment page",
        "chain_head": "Head of the cycle's audit chain (SHA-256)",
        "chain_entries": "entries; check with komitmen audit-verify",
    },
}


def nip_grouped(nip: str | None) -> str | None:
    """An 18-digit NIP grouped 8-6-1-3 ("19750312 200012 1 003"); anything else as given."""
    if not nip:
        return None
    digits = nip.replace(" ", "")
    if len(digits) != 18 or not digits.isdigit():
        return nip
    return f"{digits[:8]} {digits[8:14]} {digits[14]} {digits[15:]}"


def signed_title(title: str, acting: str) -> str:
    """The title as a signature block writes it: "Plt. BUPATI KUPANG,", "a.n. BUPATI KUPANG,"."""
    # An a.n. signer's own title ("Sekretaris Daerah,") would go on the next line, but a
    # signature records only the office signed for: the name and NIP identify the signer.
    mark = acting_mark(acting)
    return f"{mark} {title.upper()}," if mark else f"{title.upper()},"


@dataclass(frozen=True)
class SignatureBlock:
    """One signature block: place and date, title, name and NIP."""

    place_and_date: str
    title: str
    name: str
    nip: str | None


def signature_block(signature: m.Signature, seat: str) -> SignatureBlock:
    """The block of one signature; the date is the signing day in WITA."""
    return SignatureBlock(
        place_and_date=f"{seat}, {format_date(signature.signed_at, 'id')}",
        title=signed_title(signature.title, signature.acting),
        name=signature.signer_name,
        nip=nip_grouped(signature.nip),
    )


def approved_signatures(session: Session, row: m.Commitment) -> list[m.Signature]:
    """The signatures given on the commitment's approved document, in signing order."""
    return [
        s
        for s in reads.list_signatures(session, commitment_id=row.id)
        if s.document_hash == row.document_hash
    ]


@router.get("/cycles/{cycle_id}/commitments/{regency_code}/document", response_class=HTMLResponse)
def plan_document(
    cycle_id: CycleId,
    regency_code: str,
    visit: VisitDep,
    session: SessionDep,
) -> Response:
    """The regency's approved action plan, printable, with every signature and the hash."""
    if visit.user is None:
        return visit.to_login()
    page, user = visit.page, visit.user
    found = scoped_commitment(page, session, user, cycle_id, regency_code)
    if isinstance(found, Response):
        return found
    code, row = found
    cid = row.id
    cycle = session.get(m.Cycle, cycle_id)
    if cycle is None or row.approved_version is None or not row.document_hash:
        return page.error(user, 404, "not_found", cid)
    items = reads.version_items(session, commitment_id=cid, number=row.approved_version)
    seat = load_catalog().get(code).seat
    blocks = [signature_block(s, seat) for s in approved_signatures(session, row)]
    html = _env.get_template("document/plan.html").render(
        lang=page.lang,
        t=i18n.TEXT[page.lang],
        row=row,
        cycle=cycle,
        items=items,
        blocks=blocks,
        budget_sources=i18n.BUDGET_SOURCES[page.lang],
        chain=reads.audit_chain_head(session, cycle_id=cycle_id),
        w=WORDS[page.lang],
    )
    return page.remember(HTMLResponse(html))
