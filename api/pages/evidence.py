"""The evidence (bukti dukung) of quarterly reports on the pages: a file opened in the
browser, a file removed from the report form, and a quarter's files as one ZIP.

Like every page, these take the session cookie (the JSON routes take bearer tokens) and
the person's scope; the work is `services.evidence`'s. Files are attached through the
report form itself (`api.pages.commitment`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from api import security
from api.deps import CycleId, RowId, RuntimeDep, TemporalDep
from api.files import file_response
from api.pages import attachments, forms, i18n
from api.pages.base import (
    LangCookie,
    SessionCookie,
    SignedInDep,
    page_for,
    refusal_words,
    scoped_commitment,
    to_login,
)
from api.pages.commitment import PAGE, attach_chosen, render_commitment, shown_again
from services import access, evidence
from services.database import transaction
from services.errors import Conflict, NotFound, OutOfScope

router = APIRouter(include_in_schema=False)

Sha256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]
Quarter = Annotated[int, Path(ge=1, le=4)]


@router.get(PAGE + "/evidence/{evidence_id}/{sha256}")
def evidence_file_page(
    cycle_id: CycleId,
    regency_code: str,
    evidence_id: RowId,
    sha256: Sha256,
    who: SignedInDep,
    runtime: RuntimeDep,
    variant: Annotated[str, Query(pattern="^(original|thumbnail|phone)$")] = "original",
) -> Response:
    """An evidence file in the browser (a photo, a PDF; other kinds download), or a photo's
    thumbnail or phone copy, for a person whose scope covers the regency."""
    store = evidence.store_of(runtime.settings, runtime.sessions)
    with transaction(runtime.sessions) as session:
        ref = who.commitment(session, cycle_id, regency_code)
        try:
            kept = evidence.read(session, store, ref, evidence_id, sha256, variant)
        except NotFound as missing:
            raise who.refuse(404, "not_found", missing.detail) from None
    shown = kept.media_type.startswith("image/") or kept.media_type == "application/pdf"
    return file_response(kept, inline=shown)


@router.get(PAGE + "/reports/{quarter}/evidence.zip")
def evidence_zip_page(
    cycle_id: CycleId,
    regency_code: str,
    quarter: Quarter,
    who: SignedInDep,
    runtime: RuntimeDep,
) -> Response:
    """A quarter's evidence as one ZIP with `manifest.json` and `SHA256SUMS`."""
    store = evidence.store_of(runtime.settings, runtime.sessions)
    with transaction(runtime.sessions) as session:
        ref = who.commitment(session, cycle_id, regency_code)
        try:
            content = evidence.zip_of(session, store, ref, quarter)
        except NotFound as missing:
            raise who.refuse(404, "not_found", missing.detail) from None
    name = f"bukti-{ref.cycle_id}-{ref.regency_code}-triwulan-{quarter}.zip"
    return Response(
        content=content,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post(PAGE + "/evidence/{evidence_id}/remove", response_class=HTMLResponse)
async def remove_evidence_page(
    cycle_id: CycleId,
    regency_code: str,
    evidence_id: RowId,
    request: Request,
    runtime: RuntimeDep,
    client: TemporalDep,
    token: SessionCookie = None,
    lang_cookie: LangCookie = None,
) -> Response:
    """Remove a file from the report form (the "Remove" button beside it): the form comes
    back as typed, and files chosen meanwhile are attached too."""
    page = page_for(request, None, lang_cookie)
    submitted = await request.form(max_files=attachments.MAX_CHOSEN)
    fields = forms.text_fields(submitted.multi_items())
    with transaction(runtime.sessions) as session:
        user = access.user_for_token(session, token, runtime.clock())
        if user is None:
            return to_login(request)
        if not security.same_secret(page.csrf, forms.first(fields, "csrf")):
            return page.error(user, 403, "form_expired", "")
        ref = scoped_commitment(page, session, user, cycle_id, regency_code)
        try:
            evidence.remove(session, user, ref, evidence_id, now=datetime.now(UTC))
        except OutOfScope as refused:
            return page.error(user, 403, "forbidden", refusal_words(page, refused))
        except NotFound:
            return page.error(user, 404, "not_found", str(evidence_id))
        except Conflict as refused:
            return render_commitment(
                page,
                session,
                user,
                ref,
                status_code=409,
                refusal=refusal_words(page, refused),
                typed=fields,
            )
    notice = i18n.TEXT[page.lang]["evidence_removed"]
    files = attachments.chosen_files(submitted)
    if files:
        answer = await attach_chosen(page, runtime, client, user, ref, fields, files)
        if answer is not None:
            return answer
    return shown_again(page, runtime, user, ref, fields, notice=notice)
