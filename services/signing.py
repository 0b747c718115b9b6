"""Wet and certified signatures: the file behind each, checked before the signature counts.

A cycle says how its plans are signed (`domain.commitment.SignatureMethod`):

- **confirmed**: the signatory confirms in Komitmen (`services.actions`, no file).
- **wet**: the signatory signs the printed plan in ink, the office stamps it, and the
  office uploads the scan. The scan is checked by its content (PDF, PNG or JPEG, at most
  `max_scan_bytes`), kept under its SHA-256, and the signature records that hash.
- **certified**: a certified electronic signature (TTE) through BSrE. The server sends
  the plan's PDF (or, after the first office, the PDF the previous office's signature
  returned) with the signatory's NIK and passphrase, validates the PAdES-signed PDF that
  comes back (`services.tte.validate_signed_pdf`: intact, covering the whole file,
  chained to the configured CA, an incremental update of the PDF sent), keeps it, and
  only then records the signature with the signed PDF's SHA-256.

The passphrase is never stored or logged. When BSrE cannot be reached, the request is
kept (`tte_request`, status "waiting") with the PDF it will send, and the API process
that holds the passphrase in memory retries with growing pauses for
`tte_retry_minutes`; if that process ends first, the signatory enters the passphrase
again and the same request goes on. Nothing the signatory did is lost either way.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from db import files
from db import models as m
from db.session import transaction
from domain.commitment import Sign, SignatureEvidence, SignatureMethod, signing_refusal
from domain.document import verification_code
from domain.refusals import RefusalCode as R
from domain.stages import Action
from services import actions, cycles, documents, pdf
from services import schemas as s
from services.access import AuthUser
from services.commitments import CommitmentRef
from services.errors import (
    ActionRefused,
    Conflict,
    FileNotAccepted,
    FileTooLarge,
    NotFound,
    Refusal,
    ServiceFailed,
    SignatureRefused,
)
from services.settings import Settings
from services.tte import (
    Bsre,
    InvalidSignedPdf,
    TteNotConfigured,
    TteRefused,
    TteUnavailable,
    bsre_from_settings,
    validate_signed_pdf,
)

logger = logging.getLogger(__name__)

PDF = "application/pdf"


# --- wet: the stamped scan -----------------------------------------------------------------


def scan_type(content: bytes, max_bytes: int) -> str:
    """The media type of a signed scan, judged by its content; refused if not a scan.

    FileTooLarge over `max_bytes`; FileNotAccepted for anything but a whole PDF, PNG or
    JPEG (a file named .pdf that is not one is refused, a PDF named .jpg is taken).
    """
    if len(content) > max_bytes:
        raise FileTooLarge.coded(R.SCAN_TOO_LARGE, size=f"{len(content):,}", limit=f"{max_bytes:,}")
    if not content:
        raise FileNotAccepted.coded(R.SCAN_EMPTY)
    if content.startswith(b"%PDF-"):
        # A PDF ends with %%EOF (perhaps followed by a line break): a cut-off upload doesn't.
        if b"%%EOF" not in content[-1024:]:
            raise FileNotAccepted.coded(R.PDF_INCOMPLETE)
        return PDF
    return _image_type(content)


def _image_type(content: bytes) -> str:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content)) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        kind = None
    if kind == "PNG":
        return "image/png"
    if kind == "JPEG":
        return "image/jpeg"
    raise FileNotAccepted.coded(R.SCAN_WRONG_TYPE)


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def signature_method(session: Session, ref: CommitmentRef) -> SignatureMethod:
    """How the commitment's cycle signs."""
    spec = cycles.get_cycle(session, ref.cycle_id).spec
    return SignatureMethod(spec.get("signature_method", SignatureMethod.CONFIRMED.value))


def _require_method(session: Session, ref: CommitmentRef, wanted: SignatureMethod) -> None:
    method = signature_method(session, ref)
    if method is not wanted:
        raise Conflict.coded(
            R.WRONG_METHOD, cycle=ref.cycle_id, method=method.value, wanted=wanted.value
        )


async def sign_wet(
    sessions: sessionmaker[Session],
    client: Client,
    settings: Settings,
    user: AuthUser,
    ref: CommitmentRef,
    body: s.SignIn,
    scan: bytes,
) -> s.ActionOut:
    """Sign with the stamped scan: checked, kept under its SHA-256, then the signature."""
    request = actions.request_for(Action.SIGN, user, body)
    assert isinstance(request, Sign)
    with transaction(sessions) as session:
        _require_method(session, ref, SignatureMethod.WET)
        media_type = scan_type(scan, settings.max_scan_bytes)
        digest = _sha256(scan)
        files.put_file(session, sha256=digest, content=scan, media_type=media_type, now=_now())
    evidence = SignatureEvidence(sha256=digest, media_type=media_type)
    signed = request.model_copy(update={"evidence": evidence})
    return await actions.take(client, ref, Action.SIGN, signed)


# --- certified: TTE through BSrE -------------------------------------------------------------


@dataclass(frozen=True)
class TteKey:
    """One office's certified signature on one document of one commitment."""

    cycle_id: str
    regency_code: str
    document_hash: str
    office: str


@dataclass
class TteRetries:
    """Certified signatures waiting for the signing service, retried from this process.

    Each holds its passphrase only in this closure's memory. Pauses grow from
    `first_pause` (doubling, at most 5 minutes) until `give_up_after` seconds have gone.
    """

    first_pause: float = 30.0
    give_up_after: float = 30 * 60.0
    tasks: dict[TteKey, asyncio.Task[None]] = field(default_factory=dict)

    def waiting(self, key: TteKey) -> bool:
        """Whether this process is retrying the request."""
        task = self.tasks.get(key)
        return task is not None and not task.done()

    def start(self, key: TteKey, attempt: Callable[[], Awaitable[bool]]) -> None:
        """Retry `attempt` (True once it no longer waits) unless already retrying it."""
        if self.waiting(key):
            return
        self.tasks[key] = asyncio.create_task(self._retry(key, attempt))

    async def _retry(self, key: TteKey, attempt: Callable[[], Awaitable[bool]]) -> None:
        pause, waited = self.first_pause, 0.0
        while waited < self.give_up_after:
            await asyncio.sleep(pause)
            waited += pause
            try:
                if await attempt():
                    return
            except Refusal as refused:
                # Recorded on the request; the signatory sees it on the page.
                logger.info("certified signature %s ended: %s", key, refused.detail)
                return
            except Exception:
                logger.exception("certified signature %s: retry failed", key)
                return
            pause = min(pause * 2, 300.0)
        logger.info("certified signature %s: gave up after %.0f s", key, waited)

    async def close(self) -> None:
        """Stop retrying (the process is ending); the requests stay, waiting."""
        for task in self.tasks.values():
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        self.tasks.clear()


@dataclass
class Certifier:
    """What a certified signature needs: sessions, Temporal, BSrE and the retries."""

    sessions: sessionmaker[Session]
    client: Client
    settings: Settings
    retries: TteRetries
    bsre: Callable[[], Bsre]


def certifier_bsre(settings: Settings) -> Callable[[], Bsre]:
    """BSrE from the settings, built on first use (once per process)."""
    built: list[Bsre] = []

    def bsre() -> Bsre:
        if not built:
            try:
                built.append(bsre_from_settings(settings))
            except TteNotConfigured as off:
                raise Conflict.coded(R.TTE_NOT_CONFIGURED, why=str(off)) from None
        return built[0]

    return bsre


def tte_view(row: m.TteRequest, *, retrying: bool) -> s.TteRequestOut:
    """A certified-signature request as the API and pages show it."""
    return s.TteRequestOut(
        office=row.office,
        requested_by=row.requested_by,
        document_hash=row.document_hash,
        status=row.status,
        attempts=row.attempts,
        last_error=row.last_error,
        retrying=retrying,
        output_sha256=row.output_sha256,
        document_id=row.document_id,
        updated_at=row.updated_at,
    )


async def sign_certified(
    certifier: Certifier,
    user: AuthUser,
    ref: CommitmentRef,
    body: s.CertifiedSignIn,
) -> s.TteRequestOut:
    """Ask BSrE for the signatory's certified signature and record it once it validates.

    Answers the request: "signed" (the signature is recorded), or "waiting" (BSrE could
    not be reached; this process retries). Refuses (SignatureRefused) when BSrE refuses
    the signatory, and (ServiceFailed) when the PDF it returns does not validate.
    """
    sign_body = s.SignIn(document_hash=body.document_hash, acting=body.acting)
    request = actions.request_for(Action.SIGN, user, sign_body)
    assert isinstance(request, Sign) and user.office is not None
    ref.ensure_open()
    key = TteKey(ref.cycle_id, ref.regency_code, body.document_hash, user.office)
    with transaction(certifier.sessions) as session:
        _require_method(session, ref, SignatureMethod.CERTIFIED)
        _refuse_early(session, ref, user, body.document_hash)
        row = files.tte_request(
            session, commitment_id=ref.id, document_hash=body.document_hash, office=user.office
        )
        if row is not None and row.status == "signed":
            raise Conflict.coded(R.OFFICE_SIGNED_DOCUMENT, office=user.office)
        original = _pdf_to_sign(session, ref, certifier.settings)
        digest = _sha256(original)
        files.put_file(session, sha256=digest, content=original, media_type=PDF, now=_now())
        now = _now()
        if row is None:
            row = m.TteRequest(
                commitment_id=ref.id,
                office=user.office,
                requested_by=user.username,
                document_hash=body.document_hash,
                created_at=now,
                attempts=0,
            )
            session.add(row)
        row.status, row.input_sha256, row.updated_at = "waiting", digest, now
        row.requested_by, row.last_error = user.username, None

    passphrase = body.passphrase

    async def attempt() -> bool:
        return await _attempt(certifier, key, ref, request, body.nik, passphrase)

    if not await attempt():
        certifier.retries.start(key, attempt)
    return tte_status(certifier, ref, user.office, body.document_hash)


def tte_status(
    certifier: Certifier, ref: CommitmentRef, office: str, document_hash: str
) -> s.TteRequestOut:
    """Where one office's certified signature on one document stands."""
    key = TteKey(ref.cycle_id, ref.regency_code, document_hash, office)
    with transaction(certifier.sessions) as session:
        row = files.tte_request(
            session, commitment_id=ref.id, document_hash=document_hash, office=office
        )
        if row is None:
            raise NotFound(f"no certified signature was asked of '{office}' on this document")
        return tte_view(row, retrying=certifier.retries.waiting(key))


def _refuse_early(session: Session, ref: CommitmentRef, user: AuthUser, document_hash: str) -> None:
    # What the workflow would refuse, refused before the signatory's passphrase goes out.
    row = ref.recorded()
    if document_hash != row.document_hash:
        raise Conflict.coded(
            R.STALE_DOCUMENT_HASH, expected=str(row.document_hash), given=document_hash
        )
    spec = cycles.get_cycle(session, ref.cycle_id).spec
    signed = {sig.office for sig in documents.approved_signatures(session, ref)}
    refusal = signing_refusal(
        user.office,
        signatories=spec.get("signatories", ()),
        signed=signed,
        ordered=bool(spec.get("ordered_signing")),
    )
    if refusal is not None:
        raise Conflict(refusal.reason, refusal.code, refusal.params)


def _pdf_to_sign(session: Session, ref: CommitmentRef, settings: Settings) -> bytes:
    """The previous office's certified PDF of this document, or the plan's PDF for the first."""
    previous = [
        sig
        for sig in documents.approved_signatures(session, ref)
        if sig.method == SignatureMethod.CERTIFIED.value and sig.evidence_sha256
    ]
    if previous:
        kept = files.get_file(session, previous[-1].evidence_sha256 or "")
        if kept is None:
            raise NotFound(f"the certified PDF of '{previous[-1].office}' is not kept")
        return kept.content
    document = documents.plan_document(session, ref)
    code = verification_code(document.row.document_hash or "")
    return pdf.plan_pdf(document, verify_url=f"{settings.public_base_url}/verify/{code}")


async def _attempt(
    certifier: Certifier,
    key: TteKey,
    ref: CommitmentRef,
    request: Sign,
    nik: str,
    passphrase: SecretStr,
) -> bool:
    """One try; True once the request no longer waits (signed, or refused with a reason)."""
    with transaction(certifier.sessions) as session:
        row = _row(session, ref, key)
        original = files.get_file(session, row.input_sha256)
        assert original is not None
        row.attempts += 1
        row.updated_at = _now()
        sent = original.content
    bsre = certifier.bsre()
    try:
        signed = await bsre.client.sign_pdf(sent, nik=nik, passphrase=passphrase.get_secret_value())
    except TteUnavailable as down:
        _settle(certifier, ref, key, "waiting", down.message)
        return False
    except TteRefused as refused:
        _settle(certifier, ref, key, "refused", refused.message)
        raise SignatureRefused.coded(R.TTE_REFUSED, message=refused.message) from None
    try:
        validation = await asyncio.to_thread(
            validate_signed_pdf, signed.content, original=sent, trust_roots=bsre.trust_roots
        )
    except InvalidSignedPdf as invalid:
        _settle(certifier, ref, key, "invalid", invalid.reason)
        raise ServiceFailed.coded(R.TTE_INVALID, reason=invalid.reason) from None
    digest = _sha256(signed.content)
    with transaction(certifier.sessions) as session:
        files.put_file(session, sha256=digest, content=signed.content, media_type=PDF, now=_now())
    evidence = SignatureEvidence(sha256=digest, media_type=PDF, document_id=signed.document_id)
    try:
        with transaction(certifier.sessions) as session:
            fresh = find_commitment_again(session, ref)
        await actions.take(
            certifier.client, fresh, Action.SIGN, request.model_copy(update={"evidence": evidence})
        )
    except ActionRefused as refused:
        _settle(certifier, ref, key, "refused", refused.reason)
        raise
    logger.info(
        "certified signature of %s on %s recorded (%d signatures in the PDF)",
        key.office,
        ref.id,
        validation.count,
    )
    _settle(certifier, ref, key, "signed", None, output=digest, document_id=signed.document_id)
    return True


def find_commitment_again(session: Session, ref: CommitmentRef) -> CommitmentRef:
    """The commitment as recorded now (it may have moved while BSrE signed)."""
    return CommitmentRef(
        cycle_id=ref.cycle_id, regency_code=ref.regency_code, row=_recorded(session, ref)
    )


def _recorded(session: Session, ref: CommitmentRef) -> m.Commitment:
    row = session.get(m.Commitment, ref.id)
    if row is None:
        raise NotFound(f"commitment {ref.id} is not recorded")
    return row


def _row(session: Session, ref: CommitmentRef, key: TteKey) -> m.TteRequest:
    row = files.tte_request(
        session, commitment_id=ref.id, document_hash=key.document_hash, office=key.office
    )
    if row is None:
        raise NotFound(f"no certified signature was asked of '{key.office}' on this document")
    return row


def _settle(
    certifier: Certifier,
    ref: CommitmentRef,
    key: TteKey,
    status: str,
    error: str | None,
    *,
    output: str | None = None,
    document_id: str | None = None,
) -> None:
    with transaction(certifier.sessions) as session:
        row = _row(session, ref, key)
        row.status, row.last_error, row.updated_at = status, error, _now()
        if output is not None:
            row.output_sha256, row.document_id = output, document_id


# --- the files behind signatures -----------------------------------------------------------


def signature_file(session: Session, ref: CommitmentRef, office: str) -> m.StoredFile:
    """The scan or certified PDF behind an office's signature on the approved document."""
    for sig in documents.approved_signatures(session, ref):
        if sig.office == office and sig.evidence_sha256:
            kept = files.get_file(session, sig.evidence_sha256)
            if kept is not None:
                return kept
    raise NotFound(f"no file is kept for the signature of '{office}' on {ref.id}")


class HoldsRetries(Protocol):
    """What holds this process's retries (the Runtime)."""

    retries: TteRetries | None


def retrying(holder: HoldsRetries, request: m.TteRequest) -> bool:
    """Whether this process is retrying a waiting request (it holds the passphrase)."""
    if holder.retries is None:
        return False
    commitment = request.commitment_id
    cycle_id, _, regency_code = commitment.rpartition(":")
    key = TteKey(cycle_id, regency_code, request.document_hash, request.office)
    return holder.retries.waiting(key)
