"""The joint commitment (komitmen bersama) of a cycle, ready to print.

One HTML page with the documents' print stylesheet (A4 portrait), and the same
document as a PDF (`services.pdf`): the preamble, the strategic issues committed to
across the three phases, then every regency of the cycle with its stage, the hash
of its signed action plan and its signature blocks, and at the bottom the cycle
document hash (`domain.cycle.cycle_document_hash`) with a QR code and the short
code that check a printed copy at `{public URL}/verify`.

Every signed-in user may read it, regency users included: all regencies sign the
commitment jointly, and it shows what signing makes public (names, titles,
dates, NIPs, hashes), never a plan's items, which stay within the regency's scope.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from api.deps import CycleId, RuntimeDep, SessionDep
from api.pages import i18n
from api.pages.base import SignedInDep
from api.pages.document import WORDS, pdf_response, render_document
from domain.catalog import load_catalog
from domain.display import Language
from domain.plan import ISSUE_LABELS
from services import documents, pdf
from services.documents import SignatureBlock, SignedRegency, listed
from services.errors import NotFound

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class RegencyEntry:
    """One regency in the joint commitment: where it stands and who has signed."""

    code: str
    name: str
    stage: str
    version: int | None
    document_hash: str | None
    """The approved document's hash once every required office has signed it."""
    signed: int
    required: int
    blocks: list[SignatureBlock]


def regency_entry(regency: SignedRegency, required: int, lang: Language) -> RegencyEntry:
    """One regency of the joint commitment as the document lists it, its stage in words."""
    row = regency.row
    return RegencyEntry(
        code=regency.code,
        name=regency.name,
        stage=(
            i18n.stage_label(row.stage, row.round > 1, lang)
            if row is not None
            else i18n.TEXT[lang]["not_started"]
        ),
        version=row.approved_version if row is not None else None,
        document_hash=regency.document_hash,
        signed=len(regency.blocks),
        required=required,
        blocks=regency.blocks,
    )


@router.get("/cycles/{cycle_id}/document", response_class=HTMLResponse)
def joint_document(
    cycle_id: CycleId, who: SignedInDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """The cycle's joint commitment, printable: every regency's signatures and the cycle hash."""
    page = who.page
    try:
        joint = documents.joint_commitment(session, cycle_id)
    except NotFound:
        raise who.refuse(404, "not_found", cycle_id) from None
    cycle = joint.cycle
    entries = [regency_entry(r, joint.required, page.lang) for r in joint.regencies]
    words = WORDS[page.lang]
    province = load_catalog().province
    preamble = words["preamble"].format(
        meeting=cycle.name,
        agency=province.disaster_agency,
        regencies=listed(joint.regency_names, words["and"]),
        year=cycle.year,
        phases=listed([p.lower() for p in i18n.PHASES[page.lang].values()], words["and"]),
    )
    return render_document(
        page,
        "joint.html",
        documents.verification(joint.cycle_hash, runtime.settings.public_base_url),
        w=words,
        cycle=cycle,
        preamble=preamble,
        issues=list(ISSUE_LABELS[page.lang].values()),
        entries=entries,
        cycle_hash=joint.cycle_hash,
        chain=joint.chain,
        acknowledgment=(
            replace(joint.acknowledgment, place_and_date=words["acknowledged"])
            if joint.acknowledgment is not None
            else None
        ),
        pdf_href=f"/cycles/{cycle.id}/document.pdf",
    )


@router.get("/cycles/{cycle_id}/document.pdf")
def joint_document_pdf(
    cycle_id: CycleId, who: SignedInDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """The cycle's joint commitment as an A4 PDF, the same bytes for the same document."""
    page = who.page
    try:
        joint = documents.joint_commitment(session, cycle_id)
    except NotFound:
        raise who.refuse(404, "not_found", cycle_id) from None
    check = documents.verification(joint.cycle_hash, runtime.settings.public_base_url)
    content = pdf.joint_pdf(joint, verify_url=check.url, language=page.lang)
    return pdf_response(page, content, f"komitmen-bersama-{joint.cycle.id}.pdf")
