"""The printable action plan of one regency: its approved version, signatures and hash.

An HTML page with its own print stylesheet (A4, nothing but the document when
printed). It reuses the pages' session, language and scope: login required, 403
outside the user's regency, 404 (an HTML page) until the plan is approved. What it
shows is read by `services.documents`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from api.deps import CycleId, SessionDep
from api.pages import i18n
from api.pages.base import TEMPLATES, Page, SignedInDep
from domain.display import Language
from services import documents
from services.errors import NotFound

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


def render_document(page: Page, template: str, **context: Any) -> Response:
    """Render `document/<template>` in the page's language, keeping a language chosen."""
    html = TEMPLATES.get_template(f"document/{template}").render(
        lang=page.lang, t=i18n.TEXT[page.lang], **context
    )
    return page.remember(HTMLResponse(html))


@router.get("/cycles/{cycle_id}/commitments/{regency_code}/document", response_class=HTMLResponse)
def plan_document(
    cycle_id: CycleId, regency_code: str, who: SignedInDep, session: SessionDep
) -> Response:
    """The regency's approved action plan, printable, with every signature and the hash."""
    page, ref = who.page, who.commitment(session, cycle_id, regency_code)
    try:
        plan = documents.plan_document(session, ref)
    except NotFound:
        raise who.refuse(404, "not_found", ref.id) from None
    return render_document(
        page,
        "plan.html",
        row=plan.row,
        cycle=plan.cycle,
        items=plan.items,
        blocks=plan.blocks,
        budget_sources=i18n.BUDGET_SOURCES[page.lang],
        chain=plan.chain,
        w=WORDS[page.lang],
    )
