"""The signing forms of cycles that sign wet or certified, and the files behind signatures.

Each form goes through `services.signing`, as the JSON API does; a refusal shows the
commitment page again with the reason in the page's language, above the form.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from api import security
from api.deps import CycleId, RuntimeDep, TemporalDep
from api.pages import forms
from api.pages.base import (
    LangCookie,
    Page,
    SessionCookie,
    SignedInDep,
    page_for,
    page_text,
    refusal_words,
    scoped_commitment,
    to_login,
)
from api.pages.commitment import PAGE, render_commitment
from services import access, signing
from services.access import AuthUser
from services.commitments import CommitmentRef
from services.database import transaction
from services.errors import (
    Conflict,
    FileNotAccepted,
    FileTooLarge,
    OutOfScope,
    Refusal,
    ServiceFailed,
    SignatureRefused,
)
from services.runtime import Runtime
from services.schemas import CertifiedSignIn, SignIn

router = APIRouter(include_in_schema=False)

# What a person reads for each refusal of a signing form; the service's own words follow.
_REFUSAL_WORDS: tuple[tuple[type[Refusal], str], ...] = (
    (FileTooLarge, "scan_too_large"),
    (FileNotAccepted, "scan_not_accepted"),
    (SignatureRefused, "tte_refused"),
    (ServiceFailed, "tte_invalid"),
)
_STATUS = {FileTooLarge: 413, FileNotAccepted: 415, SignatureRefused: 422, ServiceFailed: 502}


def _refusal_text(page: Page, refused: Refusal, runtime: Runtime) -> str:
    for kind, key in _REFUSAL_WORDS:
        if isinstance(refused, kind):
            megabytes = runtime.settings.max_scan_bytes // (1024 * 1024)
            words = page_text(page, key).format(mb=megabytes)
            # The limit in MB says it all; other refusals add their reason.
            return words if kind is FileTooLarge else f"{words} ({refusal_words(page, refused)})"
    return refusal_words(page, refused)


async def _signed_form(
    request: Request,
    runtime: Runtime,
    token: str | None,
    lang_cookie: str | None,
    cycle_id: str,
    regency_code: str,
) -> tuple[Page, AuthUser, CommitmentRef, dict[str, str | UploadFile]] | Response:
    """The form, the person and the commitment; or the answer if it goes no further."""
    page = page_for(request, None, lang_cookie)
    # One file at most, a few fields: nothing else is read.
    submitted = await request.form(max_files=1, max_fields=8)
    form = dict(submitted.items())
    with transaction(runtime.sessions) as session:
        user = access.user_for_token(session, token, runtime.clock())
        if user is None:
            return to_login(request)
        csrf = form.get("csrf")
        if not security.same_secret(page.csrf, csrf if isinstance(csrf, str) else None):
            return page.error(user, 403, "form_expired", "")
        ref = scoped_commitment(page, session, user, cycle_id, regency_code)
    return page, user, ref, form


def _again(
    page: Page,
    runtime: Runtime,
    user: AuthUser,
    ref: CommitmentRef,
    refusal: str | None,
    status: int,
    typed: dict[str, list[str]] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    with transaction(runtime.sessions) as session:
        fresh = scoped_commitment(page, session, user, ref.cycle_id, ref.regency_code)
        return render_commitment(
            page,
            session,
            user,
            fresh,
            status_code=status,
            refusal=refusal,
            typed=typed,
            errors=errors,
        )


def _unconfirmed(
    page: Page,
    runtime: Runtime,
    user: AuthUser,
    ref: CommitmentRef,
    form: dict[str, str | UploadFile],
    typed: dict[str, list[str]] | None = None,
) -> Response | None:
    """The page again with the confirmation's error (422) if the signer did not tick it."""
    try:
        forms.require_confirmation(bool(_text(form, forms.CONFIRM)), page.lang)
    except forms.FormInvalid as invalid:
        return _again(page, runtime, user, ref, None, 422, typed, invalid.errors)
    return None


def _done(request: Request) -> RedirectResponse:
    target = request.url.path.rsplit("/", 1)[0]
    return RedirectResponse(f"{target}?done=sign", status_code=303)


def _text(form: dict[str, str | UploadFile], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


@router.post(PAGE + "/sign-wet", response_class=HTMLResponse)
async def sign_wet_page(
    cycle_id: CycleId,
    regency_code: str,
    request: Request,
    runtime: RuntimeDep,
    client: TemporalDep,
    token: SessionCookie = None,
    lang_cookie: LangCookie = None,
) -> Response:
    """Sign with the stamped scan, from the commitment page."""
    answer = await _signed_form(request, runtime, token, lang_cookie, cycle_id, regency_code)
    if isinstance(answer, Response):
        return answer
    page, user, ref, form = answer
    unconfirmed = _unconfirmed(page, runtime, user, ref, form)
    if unconfirmed is not None:
        return unconfirmed
    scan = form.get("scan")
    content = b""
    if isinstance(scan, UploadFile):
        content = await scan.read(runtime.settings.max_scan_bytes + 1)
    try:
        body = SignIn(document_hash=_text(form, "document_hash"))
        await signing.sign_wet(runtime.sessions, client, runtime.settings, user, ref, body, content)
    except ValidationError:
        return _again(page, runtime, user, ref, page_text(page, "form_expired"), 422)
    except OutOfScope as refused:
        return page.error(user, 403, "forbidden", refusal_words(page, refused))
    except Refusal as refused:
        status = _STATUS.get(type(refused), 409)
        return _again(page, runtime, user, ref, _refusal_text(page, refused, runtime), status)
    return _done(request)


@router.post(PAGE + "/sign-certified", response_class=HTMLResponse)
async def sign_certified_page(
    cycle_id: CycleId,
    regency_code: str,
    request: Request,
    runtime: RuntimeDep,
    client: TemporalDep,
    token: SessionCookie = None,
    lang_cookie: LangCookie = None,
) -> Response:
    """Sign with a certified electronic signature (TTE), from the commitment page."""
    answer = await _signed_form(request, runtime, token, lang_cookie, cycle_id, regency_code)
    if isinstance(answer, Response):
        return answer
    page, user, ref, form = answer
    # The NIK comes back into the form after a refusal; the passphrase never does.
    typed = {"nik": [_text(form, "nik")]}
    unconfirmed = _unconfirmed(page, runtime, user, ref, form, typed)
    if unconfirmed is not None:
        return unconfirmed
    try:
        body = CertifiedSignIn(
            document_hash=_text(form, "document_hash"),
            nik=_text(form, "nik").replace(" ", ""),
            passphrase=_text(form, "passphrase"),
        )
    except ValidationError:
        return _again(page, runtime, user, ref, page_text(page, "tte_form_invalid"), 422, typed)
    try:
        outcome = await signing.sign_certified(runtime.certifier(client), user, ref, body)
    except OutOfScope as refused:
        return page.error(user, 403, "forbidden", refusal_words(page, refused))
    except Conflict as refused:
        return _again(page, runtime, user, ref, refusal_words(page, refused), 409, typed)
    except Refusal as refused:
        status = _STATUS.get(type(refused), 409)
        text = _refusal_text(page, refused, runtime)
        return _again(page, runtime, user, ref, text, status, typed)
    if outcome.status == "waiting":
        # Not signed yet: the page says the request waits for BSrE and is retried.
        return RedirectResponse(request.url.path.rsplit("/", 1)[0], status_code=303)
    return _done(request)


@router.get(PAGE + "/signatures/{office}/file")
def signature_file_page(
    cycle_id: CycleId,
    regency_code: str,
    office: Annotated[str, Path(max_length=32)],
    who: SignedInDep,
    runtime: RuntimeDep,
) -> Response:
    """The stamped scan or certified PDF behind a signature, for a person in scope."""
    with transaction(runtime.sessions) as session:
        ref = who.commitment(session, cycle_id, regency_code)
        try:
            kept = signing.signature_file(session, ref, office)
        except Refusal as missing:
            raise who.refuse(404, "not_found", missing.detail) from None
        extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
        name = f"tanda-tangan-{regency_code}-{office}.{extension.get(kept.media_type, 'bin')}"
        return Response(
            content=kept.content,
            media_type=kept.media_type,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
