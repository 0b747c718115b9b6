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
from services import documents, verify
from services.verify import FileCheck, LookupLimit, Verdict, VerifyResult

router = APIRouter(include_in_schema=False)

WORDS: dict[Language, dict[str, str]] = {
    "id": {
        "title": "Periksa keaslian dokumen",
        "intro": (
            "Ketik kode yang tercetak di samping kode QR pada rencana aksi atau komitmen "
            "bersama, misalnya 7K3M-Q9XD-2P4A."
        ),
        "code_label": "Kode verifikasi",
        "code_hint": (
            "12 huruf dan angka. Huruf kecil, tanpa tanda hubung, dan huruf I, L atau O "
            "(dibaca 1, 1 dan 0) juga diterima."
        ),
        "check": "Periksa",
        "other_code": "Periksa kode lain",
        "code": "Kode",
        "verdict_valid": "Dokumen terdaftar dan sah",
        "verdict_incomplete": "Dokumen terdaftar, tanda tangan belum lengkap",
        "verdict_superseded": "Dokumen terdaftar, tetapi bukan versi yang disetujui",
        "verdict_ended": "Dokumen terdaftar, tetapi tidak berlaku lagi",
        "verdict_chain_broken": "Dokumen terdaftar, tetapi catatannya tidak utuh",
        "verdict_unknown": "Kode tidak dikenal",
        "verdict_malformed": "Bukan kode verifikasi",
        "verdict_limited": "Terlalu banyak pemeriksaan",
        "explain_valid": (
            "Kode ini milik dokumen yang tercatat di Komitmen. Cocokkan keterangan di bawah "
            "dengan dokumen yang Anda pegang."
        ),
        "explain_incomplete": (
            "Ini versi rencana aksi yang disetujui, tetapi belum semua pejabat menandatanganinya."
        ),
        "explain_superseded": (
            "Kode ini milik versi rencana aksi yang tercatat, tetapi bukan versi yang "
            "disetujui; yang berlaku adalah versi yang disetujui."
        ),
        "explain_ended": "Komitmen ini sudah ditarik atau siklusnya dibatalkan.",
        "explain_chain_broken": (
            "Jejak audit siklus dokumen ini tidak lolos pemeriksaan: catatannya tampak diubah "
            "di luar Komitmen. Jangan mengandalkan dokumen ini sebelum dipastikan oleh BPBD "
            "Provinsi NTT."
        ),
        "explain_unknown": (
            "Tidak ada dokumen Komitmen dengan kode ini saat ini. Periksa kembali kode yang "
            "Anda ketik."
        ),
        "explain_malformed": ("Kode terdiri atas 12 huruf dan angka, misalnya 7K3M-Q9XD-2P4A."),
        "explain_limited": (
            "Dari alamat Anda sudah ada {limit} pemeriksaan dalam satu menit. "
            "Coba lagi dalam {seconds} detik."
        ),
        "document": "Dokumen",
        "joint_title": "Komitmen bersama penanggulangan bencana",
        "cycle": "Siklus",
        "regency": "Kabupaten/kota",
        "version": "Versi",
        "approved_yes": "versi yang disetujui",
        "approved_other": "bukan versi yang disetujui (yang disetujui: versi {version})",
        "approved_none": "belum ada versi yang disetujui",
        "document_hash": "Hash dokumen (SHA-256)",
        "document_format": "Format dokumen",
        "cycle_hash": "Hash dokumen siklus (SHA-256)",
        "signatures": "Tanda tangan",
        "signed_count": "{signed} dari {required}",
        "no_signatures": "Belum ada tanda tangan pada versi ini.",
        "signed_at": "Waktu",
        "method": "Cara",
        "evidence_wet": "SHA-256 pindaian",
        "evidence_certified": "SHA-256 PDF bertanda tangan",
        "method_confirmed": "Dikonfirmasi di Komitmen",
        "method_wet": "Tanda tangan basah (pindaian)",
        "method_certified": "Tanda tangan elektronik tersertifikasi (TTE)",
        "regencies": "Kabupaten/kota",
        "unsigned": "tanda tangan belum lengkap",
        "chain": "Jejak audit siklus",
        "chain_intact": "Utuh ({entries} entri)",
        "chain_broken": "Tidak utuh: {reason}",
        "break_edited": "ada entri yang diubah setelah dicatat",
        "break_missing": "ada entri yang dihapus",
        "break_out_of_order": "ada entri yang disisipkan",
        "break_unlinked": "ada entri yang diganti",
        "break_truncated": "entri terakhir dihapus",
        "break_head_mismatch": "ujung rantai tidak cocok dengan entri terakhir",
        "break_no_trail": "seluruh jejak audit hilang",
        "file_title": "Periksa berkas PDF",
        "file_intro": (
            "Pilih berkas PDF bertanda tangan (atau pindaiannya) yang Anda pegang. SHA-256-nya "
            "dibandingkan dengan berkas yang tercatat; berkas Anda tidak disimpan. Di komputer, "
            "perintah sha256sum memberi hash yang sama."
        ),
        "file_label": "Berkas (paling besar {mb} MB)",
        "file_button": "Periksa berkas",
        "file_missing": "Pilih berkas dulu.",
        "file_too_large": "Berkas lebih besar dari {mb} MB; tidak ada berkas tercatat sebesar itu.",
        "file_sha": "SHA-256 berkas Anda",
        "file_match": "Berkas ini sama dengan yang tercatat:",
        "match_evidence_wet": "pindaian bertanda tangan {title}, {name}",
        "match_evidence_certified": "PDF bertanda tangan elektronik {title}, {name}",
        "match_evidence_confirmed": "berkas tanda tangan {title}, {name}",
        "match_document": "dokumen kanonik yang hashnya tercetak",
        "match_generated_pdf": "PDF yang dibuat Komitmen untuk dokumen ini ({language})",
        "language_id": "Bahasa Indonesia",
        "language_en": "bahasa Inggris",
        "file_no_match": (
            "Berkas ini tidak sama dengan berkas mana pun yang tercatat untuk dokumen ini."
        ),
        "file_no_match_note": (
            "PDF yang diunduh sebelum tanda tangan terakhir atau sebelum catatan baru berbeda "
            "isinya; yang menentukan adalah kode dan hash dokumen yang tercetak."
        ),
    },
    "en": {
        "title": "Check a document",
        "intro": (
            "Type the code printed beside the QR code on the action plan or the joint "
            "commitment, e.g. 7K3M-Q9XD-2P4A."
        ),
        "code_label": "Verification code",
        "code_hint": (
            "12 letters and digits. Lowercase, no dashes, and the letters I, L or O (read as "
            "1, 1 and 0) are accepted too."
        ),
        "check": "Check",
        "other_code": "Check another code",
        "code": "Code",
        "verdict_valid": "Registered and valid document",
        "verdict_incomplete": "Registered document, not yet fully signed",
        "verdict_superseded": "Registered document, but not the approved version",
        "verdict_ended": "Registered document, no longer in force",
        "verdict_chain_broken": "Registered document, but its record is not intact",
        "verdict_unknown": "Unknown code",
        "verdict_malformed": "Not a verification code",
        "verdict_limited": "Too many checks",
        "explain_valid": (
            "This code belongs to a document recorded in Komitmen. Compare what follows with "
            "the document you hold."
        ),
        "explain_incomplete": (
            "This is the approved version of the action plan, but not every official has "
            "signed it yet."
        ),
        "explain_superseded": (
            "This code belongs to a recorded version of the action plan, but not the approved "
            "one; the approved version is the one in force."
        ),
        "explain_ended": "This commitment was withdrawn, or its cycle cancelled.",
        "explain_chain_broken": (
            "The audit trail of this document's cycle fails its check: its record appears to "
            "have been altered outside Komitmen. Do not rely on this document until BPBD "
            "Provinsi NTT confirms it."
        ),
        "explain_unknown": (
            "No Komitmen document has this code at present. Check the code you typed."
        ),
        "explain_malformed": "A code has 12 letters and digits, e.g. 7K3M-Q9XD-2P4A.",
        "explain_limited": (
            "Your address has made {limit} checks within a minute. Try again in {seconds} seconds."
        ),
        "document": "Document",
        "joint_title": "Joint commitment on disaster management",
        "cycle": "Cycle",
        "regency": "Regency/city",
        "version": "Version",
        "approved_yes": "the approved version",
        "approved_other": "not the approved version (approved: version {version})",
        "approved_none": "no version approved yet",
        "document_hash": "Document hash (SHA-256)",
        "document_format": "Document format",
        "cycle_hash": "Cycle document hash (SHA-256)",
        "signatures": "Signatures",
        "signed_count": "{signed} of {required}",
        "no_signatures": "No signature on this version yet.",
        "signed_at": "When",
        "method": "How",
        "evidence_wet": "SHA-256 of the scan",
        "evidence_certified": "SHA-256 of the signed PDF",
        "method_confirmed": "Confirmed in Komitmen",
        "method_wet": "Wet ink signature (scan)",
        "method_certified": "Certified electronic signature (TTE)",
        "regencies": "Regencies/cities",
        "unsigned": "not yet fully signed",
        "chain": "Audit trail of the cycle",
        "chain_intact": "Intact ({entries} entries)",
        "chain_broken": "Not intact: {reason}",
        "break_edited": "an entry was changed after it was recorded",
        "break_missing": "an entry was deleted",
        "break_out_of_order": "an entry was inserted",
        "break_unlinked": "an entry was replaced",
        "break_truncated": "the last entries were deleted",
        "break_head_mismatch": "the chain's end does not match its last entry",
        "break_no_trail": "the whole audit trail is missing",
        "file_title": "Check a PDF file",
        "file_intro": (
            "Choose the signed PDF (or its scan) you hold. Its SHA-256 is compared with the "
            "files on record; your file is not kept. On a computer, sha256sum prints the "
            "same hash."
        ),
        "file_label": "File (at most {mb} MB)",
        "file_button": "Check file",
        "file_missing": "Choose a file first.",
        "file_too_large": "The file is larger than {mb} MB; no file on record is that large.",
        "file_sha": "SHA-256 of your file",
        "file_match": "This file is the same as one on record:",
        "match_evidence_wet": "the signed scan of {title}, {name}",
        "match_evidence_certified": "the electronically signed PDF of {title}, {name}",
        "match_evidence_confirmed": "the signature file of {title}, {name}",
        "match_document": "the canonical document whose hash is printed",
        "match_generated_pdf": "the PDF Komitmen generates of this document ({language})",
        "language_id": "Bahasa Indonesia",
        "language_en": "English",
        "file_no_match": "This file is not the same as any file on record for this document.",
        "file_no_match_note": (
            "A PDF downloaded before the last signature or a later record differs; what "
            "counts is the code and the document hash printed on it."
        ),
    },
}
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
