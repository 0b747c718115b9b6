"""The printable action plan of one regency: its approved version, signatures and hash.

An HTML page with its own print stylesheet (A4, nothing but the document when
printed), and the same document as a PDF (`services.pdf`). They reuse the pages'
session, language and scope: login required, 403 outside the user's regency, 404
(an HTML page) until the plan is approved. What they show is read by
`services.documents`; both print every field the document hash covers, and a QR
code with the short code that checks a printed copy at `{public URL}/verify`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from api.deps import CycleId, RuntimeDep, SessionDep
from api.pages import i18n
from api.pages.base import TEMPLATES, Page, SignedIn, SignedInDep
from domain.catalog import load_catalog
from domain.display import LANGUAGES, Language, format_amount
from services import documents, pdf
from services.documents import Verification
from services.errors import NotFound

router = APIRouter(include_in_schema=False)

# Words of the document pages beside the documents' own (`services.documents.WORDS`).
PAGE_WORDS: dict[Language, dict[str, str]] = {
    "id": {"print": "Cetak", "page": "Halaman komitmen", "pdf": "Unduh PDF"},
    "en": {"print": "Print", "page": "Commitment page", "pdf": "Download PDF"},
}
WORDS: dict[Language, dict[str, str]] = {
    lang: {**documents.WORDS[lang], **PAGE_WORDS[lang]} for lang in LANGUAGES
}


def render_document(page: Page, template: str, check: Verification, **context: Any) -> Response:
    """Render `document/<template>` in the page's language, with its QR code and code."""
    html = TEMPLATES.get_template(f"document/{template}").render(
        lang=page.lang,
        t=i18n.TEXT[page.lang],
        agency=load_catalog().province.disaster_agency,
        check=check,
        # segno writes the SVG from our own URL: markup to keep, not text to escape.
        qr_svg=Markup(check.qr_svg()),
        **context,
    )
    return page.remember(HTMLResponse(html))


def pdf_response(page: Page, content: bytes, filename: str) -> Response:
    """A PDF to download under `filename`, keeping a language chosen."""
    disposition = f'attachment; filename="{filename}"'
    return page.remember(
        Response(
            content, media_type="application/pdf", headers={"Content-Disposition": disposition}
        )
    )


def _approved_plan(
    who: SignedIn, session: Session, cycle_id: str, regency_code: str
) -> documents.PlanDocument:
    """The approved plan of a commitment in the person's scope, or the 403 or 404 page."""
    ref = who.commitment(session, cycle_id, regency_code)
    try:
        return documents.plan_document(session, ref)
    except NotFound:
        raise who.refuse(404, "not_found", ref.id) from None


@router.get("/cycles/{cycle_id}/commitments/{regency_code}/document", response_class=HTMLResponse)
def plan_document(
    cycle_id: CycleId,
    regency_code: str,
    who: SignedInDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """The regency's approved action plan, printable, with every signature and the hash."""
    page, plan = who.page, _approved_plan(who, session, cycle_id, regency_code)
    words = WORDS[page.lang]
    fmt = words["document_format"].format(format=int(plan.document_format))
    return render_document(
        page,
        "plan.html",
        documents.verification(plan.document_hash, runtime.settings.public_base_url),
        title=words["plan_title"].format(regency=plan.row.regency_name),
        row=plan.row,
        cycle=plan.cycle,
        items=plan.items,
        blocks=plan.blocks,
        budget_sources=i18n.BUDGET_SOURCES[page.lang],
        amount=format_amount,
        chain=plan.chain,
        hash_label=f"{words['document_hash']}, {fmt}",
        pdf_href=f"/cycles/{cycle_id}/commitments/{plan.row.regency_code}/document.pdf",
        w=words,
    )


@router.get("/cycles/{cycle_id}/commitments/{regency_code}/document.pdf")
def plan_document_pdf(
    cycle_id: CycleId,
    regency_code: str,
    who: SignedInDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """The regency's approved action plan as an A4 PDF, the same bytes for the same document."""
    page, plan = who.page, _approved_plan(who, session, cycle_id, regency_code)
    check = documents.verification(plan.document_hash, runtime.settings.public_base_url)
    content = pdf.plan_pdf(plan, verify_url=check.url, language=page.lang)
    filename = f"rencana-aksi-{plan.row.regency_code}-v{plan.row.approved_version}.pdf"
    return pdf_response(page, content, filename)
