"""The public verification page: `/verify/{code}` checks a printed plan or joint commitment.

No sign-in: whoever holds the paper (or the PDF) scans its QR code or types its short
code. What the page says is `services.verify`'s answer; it shows no more than the paper.
`/verify` is a small form to type a code; `POST /verify/{code}/file` compares a file's
SHA-256 with the signed files recorded for the document, and keeps nothing.

Every lookup counts against the client address's `LookupLimit` (30 a minute, in
memory, one per app and so per process); beyond it the answer is 429 with Retry-After
and a page saying when to try again. The upload carries no CSRF token: it needs no
sign-in and changes nothing, so a forged one could only make a browser compute a hash.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from api.deps import RuntimeDep, SessionDep, client_address
from api.pages.base import LangCookie, LangQuery, Page, PageAnswer, page_for
from domain.display import Language
from domain.document import normalize_code
from domain.words import NC_, by_language
from services import documents, verify
from services.verify import FileCheck, LookupLimit, Verdict, VerifyResult

router = APIRouter(include_in_schema=False)

WORDS_SOURCE = {
    "title": NC_("verify.title", "Check a document"),
    "intro": NC_(
        "verify.intro",
        "Type the code printed beside the QR code on the action plan or the joint "
        "commitment, e.g. 7K3M-Q9XD-2P4A.",
    ),
    "code_label": NC_("verify.code_label", "Verification code"),
    "code_hint": NC_(
        "verify.code_hint",
        "12 letters and digits. Lowercase, no dashes, and the letters I, L or O (read as "
        "1, 1 and 0) are accepted too.",
    ),
    "check": NC_("verify.check", "Check"),
    "other_code": NC_("verify.other_code", "Check another code"),
    "code": NC_("verify.code", "Code"),
    "verdict_valid": NC_("verify.verdict_valid", "Registered and valid document"),
    "verdict_incomplete": NC_(
        "verify.verdict_incomplete",
        "Registered document, not yet fully signed",
    ),
    "verdict_superseded": NC_(
        "verify.verdict_superseded",
        "Registered document, but not the approved version",
    ),
    "verdict_ended": NC_("verify.verdict_ended", "Registered document, no longer in force"),
    "verdict_chain_broken": NC_(
        "verify.verdict_chain_broken",
        "Registered document, but its record is not intact",
    ),
    "verdict_unknown": NC_("verify.verdict_unknown", "Unknown code"),
    "verdict_malformed": NC_("verify.verdict_malformed", "Not a verification code"),
    "verdict_limited": NC_("verify.verdict_limited", "Too many checks"),
    "explain_valid": NC_(
        "verify.explain_valid",
        "This code belongs to a document recorded in Komitmen. Compare what follows with "
        "the document you hold.",
    ),
    "explain_incomplete": NC_(
        "verify.explain_incomplete",
        "This is the approved version of the action plan, but not every official has "
        "signed it yet.",
    ),
    "explain_superseded": NC_(
        "verify.explain_superseded",
        "This code belongs to a recorded version of the action plan, but not the approved"
        " one; the approved version is the one in force.",
    ),
    "explain_ended": NC_(
        "verify.explain_ended",
        "This commitment was withdrawn, or its cycle cancelled.",
    ),
    "explain_chain_broken": NC_(
        "verify.explain_chain_broken",
        "The audit trail of this document's cycle fails its check: its record appears to "
        "have been altered outside Komitmen. Do not rely on this document until BPBD "
        "Provinsi NTT confirms it.",
    ),
    "explain_unknown": NC_(
        "verify.explain_unknown",
        "No Komitmen document has this code at present. Check the code you typed.",
    ),
    "explain_malformed": NC_(
        "verify.explain_malformed",
        "A code has 12 letters and digits, e.g. 7K3M-Q9XD-2P4A.",
    ),
    "explain_limited": NC_(
        "verify.explain_limited",
        "Your address has made {limit} checks within a minute. Try again in {seconds} seconds.",
    ),
    "document": NC_("verify.document", "Document"),
    "joint_title": NC_("verify.joint_title", "Joint commitment on disaster management"),
    "cycle": NC_("verify.cycle", "Cycle"),
    "regency": NC_("verify.regency", "Regency/city"),
    "version": NC_("verify.version", "Version"),
    "approved_yes": NC_("verify.approved_yes", "the approved version"),
    "approved_other": NC_(
        "verify.approved_other",
        "not the approved version (approved: version {version})",
    ),
    "approved_none": NC_("verify.approved_none", "no version approved yet"),
    "document_hash": NC_("verify.document_hash", "Document hash (SHA-256)"),
    "document_format": NC_("verify.document_format", "Document format"),
    "cycle_hash": NC_("verify.cycle_hash", "Cycle document hash (SHA-256)"),
    "signatures": NC_("verify.signatures", "Signatures"),
    "signed_count": NC_("verify.signed_count", "{signed} of {required}"),
    "no_signatures": NC_("verify.no_signatures", "No signature on this version yet."),
    "signed_at": NC_("verify.signed_at", "When"),
    "method": NC_("verify.method", "How"),
    "evidence_wet": NC_("verify.evidence_wet", "SHA-256 of the scan"),
    "evidence_certified": NC_("verify.evidence_certified", "SHA-256 of the signed PDF"),
    "method_confirmed": NC_("verify.method_confirmed", "Confirmed in Komitmen"),
    "method_wet": NC_("verify.method_wet", "Wet ink signature (scan)"),
    "method_certified": NC_("verify.method_certified", "Certified electronic signature (TTE)"),
    "regencies": NC_("verify.regencies", "Regencies/cities"),
    "unsigned": NC_("verify.unsigned", "not yet fully signed"),
    "chain": NC_("verify.chain", "Audit trail of the cycle"),
    "chain_intact": NC_("verify.chain_intact", "Intact ({entries} entries)"),
    "chain_broken": NC_("verify.chain_broken", "Not intact: {reason}"),
    "break_edited": NC_("verify.break_edited", "an entry was changed after it was recorded"),
    "break_missing": NC_("verify.break_missing", "an entry was deleted"),
    "break_out_of_order": NC_("verify.break_out_of_order", "an entry was inserted"),
    "break_unlinked": NC_("verify.break_unlinked", "an entry was replaced"),
    "break_hidden": NC_(
        "verify.break_hidden", "an entry was hidden as superseded, though nothing superseded it"
    ),
    "break_truncated": NC_("verify.break_truncated", "the last entries were deleted"),
    "break_head_mismatch": NC_(
        "verify.break_head_mismatch",
        "the chain's end does not match its last entry",
    ),
    "break_no_trail": NC_("verify.break_no_trail", "the whole audit trail is missing"),
    "file_title": NC_("verify.file_title", "Check a PDF file"),
    "file_intro": NC_(
        "verify.file_intro",
        "Choose the signed PDF (or its scan) you hold. Its SHA-256 is compared with the "
        "files on record; your file is not kept. On a computer, sha256sum prints the same"
        " hash.",
    ),
    "file_label": NC_("verify.file_label", "File (at most {mb} MB)"),
    "file_button": NC_("verify.file_button", "Check file"),
    "file_missing": NC_("verify.file_missing", "Choose a file first."),
    "file_too_large": NC_(
        "verify.file_too_large",
        "The file is larger than {mb} MB; no file on record is that large.",
    ),
    "file_sha": NC_("verify.file_sha", "SHA-256 of your file"),
    "file_match": NC_("verify.file_match", "This file is the same as one on record:"),
    "match_evidence_wet": NC_("verify.match_evidence_wet", "the signed scan of {title}, {name}"),
    "match_evidence_certified": NC_(
        "verify.match_evidence_certified",
        "the electronically signed PDF of {title}, {name}",
    ),
    "match_evidence_confirmed": NC_(
        "verify.match_evidence_confirmed",
        "the signature file of {title}, {name}",
    ),
    "match_document": NC_("verify.match_document", "the canonical document whose hash is printed"),
    "match_generated_pdf": NC_(
        "verify.match_generated_pdf",
        "the PDF Komitmen generates of this document ({language})",
    ),
    "language_id": NC_("verify.language_id", "Bahasa Indonesia"),
    "language_en": NC_("verify.language_en", "English"),
    "file_no_match": NC_(
        "verify.file_no_match",
        "This file is not the same as any file on record for this document.",
    ),
    "file_no_match_note": NC_(
        "verify.file_no_match_note",
        "A PDF downloaded before the last signature or a later record differs; what "
        "counts is the code and the document hash printed on it.",
    ),
}
WORDS: dict[Language, dict[str, str]] = by_language(WORDS_SOURCE)
"""The verification page's words, in Bahasa Indonesia and English."""

STATUS = {Verdict.UNKNOWN: 404, Verdict.MALFORMED: 422}
"""The HTTP status of a verdict; every other verdict names a known document (200)."""

CHUNK = 64 * 1024

_limits_lock = threading.Lock()


def lookup_limit(request: Request) -> LookupLimit:
    """The app's lookup limit, made on first use: one per app, so one per process."""
    state = request.app.state
    with _limits_lock:
        limit: LookupLimit | None = getattr(state, "verify_lookups", None)
        if limit is None:
            limit = LookupLimit()
            state.verify_lookups = limit
    return limit


def wants_json(request: Request) -> bool:
    """Whether the client asked for JSON rather than the page."""
    return "application/json" in request.headers.get("accept", "")


def visitor(request: Request, lang: LangQuery = None, lang_cookie: LangCookie = None) -> Page:
    """The page of a visitor: nobody needs to be signed in."""
    return page_for(request, lang, lang_cookie)


VisitorDep = Annotated[Page, Depends(visitor)]


def counted(request: Request, page: VisitorDep) -> Page:
    """A lookup counted against the client address's limit; the 429 answer beyond it."""
    limit = lookup_limit(request)
    wait = limit.take(client_address(request), time.monotonic())
    if wait:
        if wants_json(request):
            answer: Response = JSONResponse(
                {"detail": f"too many lookups; try again in {wait} s", "retry_after": wait},
                status_code=429,
            )
        else:
            answer = render(page, 429, wait=wait, limit=limit.limit)
        answer.headers["Retry-After"] = str(wait)
        raise PageAnswer(answer)
    return page


CountedDep = Annotated[Page, Depends(counted)]


def render(page: Page, status: int, **context: Any) -> Response:
    """The verification page, never cached: its answer is the record as it stands now."""
    values: dict[str, Any] = {
        "result": None,
        "file_check": None,
        "file_error": None,
        "max_mb": 0,
        "wait": 0,
        "limit": 0,
        **context,
    }
    response = page.render(
        "verify.html",
        status_code=status,
        w=WORDS[page.lang],
        plan_title=documents.WORDS[page.lang]["plan_title"],
        **values,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def megabytes(size: int) -> int:
    """A size limit in whole MB, as the form states it."""
    return max(size // (1024 * 1024), 1)


def answer(
    page: Page,
    result: VerifyResult,
    max_bytes: int,
    *,
    file_check: FileCheck | None = None,
    file_error: str | None = None,
    status: int | None = None,
) -> Response:
    """The page (or, asked for, the JSON) of a code's result."""
    status = status or STATUS.get(result.verdict, 200)
    if wants_json(page.request):
        body = {"known": result.known, **asdict(result)}
        if file_check is not None:
            body["file_check"] = asdict(file_check)
        response: Response = JSONResponse(jsonable_encoder(body), status_code=status)
        response.headers["Cache-Control"] = "no-store"
        return page.remember(response)
    return render(
        page,
        status,
        result=result,
        file_check=file_check,
        file_error=file_error,
        max_mb=megabytes(max_bytes),
    )


@router.get("/verify", response_class=HTMLResponse)
def verify_form(
    page: VisitorDep,
    code: Annotated[str | None, Query(max_length=verify.MAX_TYPED)] = None,
) -> Response:
    """The form to type a code; with `?code=`, on to that code's page."""
    if code is None or not code.strip():
        return render(page, 200)
    normalized = normalize_code(code)
    if normalized is None:
        malformed = VerifyResult(typed=code, code=None, verdict=Verdict.MALFORMED)
        return render(page, 422, result=malformed)
    return page.remember(RedirectResponse(f"/verify/{normalized}", status_code=303))


@router.get("/verify/{code}", response_class=HTMLResponse)
def verify_code(code: str, page: CountedDep, session: SessionDep, runtime: RuntimeDep) -> Response:
    """What a printed document's code belongs to: the verdict first, then what the paper shows."""
    return answer(page, verify.verify(session, code), runtime.settings.max_scan_bytes)


@router.get("/verify/{code}/file")
def verify_file_again(code: str, page: VisitorDep) -> Response:
    """Back to the code's page (a language switch on the file's answer lands here)."""
    normalized = normalize_code(code[: verify.MAX_TYPED]) or ""
    return page.remember(RedirectResponse(f"/verify/{normalized}", status_code=303))


@router.post("/verify/{code}/file", response_class=HTMLResponse)
def verify_file(
    code: str,
    page: CountedDep,
    session: SessionDep,
    runtime: RuntimeDep,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Whether an uploaded file is one of the document's signed files, by its SHA-256."""
    result = verify.verify(session, code)
    max_bytes = runtime.settings.max_scan_bytes
    words = WORDS[page.lang]
    if not result.known:
        return answer(page, result, max_bytes)
    if file is None or not file.filename:
        return answer(page, result, max_bytes, file_error=words["file_missing"], status=422)
    digest, size = hashlib.sha256(), 0
    # Hashed as it is read, never held whole; no recorded file is larger than a scan may be.
    while chunk := file.file.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            too_large = words["file_too_large"].format(mb=megabytes(max_bytes))
            return answer(page, result, max_bytes, file_error=too_large, status=413)
        digest.update(chunk)
    check = verify.check_file(
        session,
        result,
        digest.hexdigest(),
        size,
        public_base_url=runtime.settings.public_base_url,
    )
    return answer(page, result, max_bytes, file_check=check)
