"""A local stand-in for BSrE's Esign Client Service: the same contract, real PAdES signatures.

Users are keyed by NIK with a passphrase; each gets a certificate from the test CA the first
time they sign. `state.mode` makes the service misbehave the ways the tests need.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from io import BytesIO
from pathlib import Path
from typing import Annotated, Any

from asn1crypto import keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from fastapi import Depends, FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from tests.bsre.ca import CertificateAuthority, make_ca


class Mode(StrEnum):
    """How the service behaves."""

    NORMAL = "normal"
    DOWN = "down"  # every request answers 503
    UNTRUSTED = "untrusted"  # signs with a certificate from a CA nobody trusts
    CORRUPT = "corrupt"  # alters a signed byte after signing
    PARTIAL = "partial"  # appends a revision after signing, so the signature covers part


@dataclass
class User:
    """A person BSrE knows: NIK, passphrase, the name on their certificate."""

    nik: str
    passphrase: str
    common_name: str
    signers: dict[bool, signers.SimpleSigner] = field(default_factory=dict)


@dataclass
class BsreState:
    """Everything the service knows; tests change `mode` and `users` while it runs."""

    username: str
    password: str
    trusted: CertificateAuthority
    untrusted: CertificateAuthority
    users: dict[str, User] = field(default_factory=dict)
    mode: Mode = Mode.NORMAL
    documents: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def create(cls, directory: Path, *, username: str, password: str) -> BsreState:
        """A state with fresh trusted and untrusted CAs under `directory`."""
        return cls(
            username=username,
            password=password,
            trusted=make_ca(directory / "trusted", "BSrE Test"),
            untrusted=make_ca(directory / "untrusted", "Untrusted Test"),
        )

    def add_user(self, nik: str, passphrase: str, common_name: str | None = None) -> None:
        """Register `nik` with `passphrase`; the certificate is issued at first signing."""
        self.users[nik] = User(nik, passphrase, common_name or f"Penanda Tangan {nik[-4:]}")

    def signer_for(self, user: User, *, trusted: bool) -> signers.SimpleSigner:
        """The user's pyHanko signer under the trusted or the untrusted CA."""
        if trusted not in user.signers:
            ca = self.trusted if trusted else self.untrusted
            identity = ca.issue_signer(user.common_name, user.nik)
            key_der = identity.key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
            # The chain goes into the signature, as BSrE's does, so validators can build paths.
            chain = SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
                [_asn1(ca.issuing.certificate), _asn1(ca.root.certificate)]
            )
            user.signers[trusted] = signers.SimpleSigner(
                signing_cert=_asn1(identity.certificate),
                signing_key=keys.PrivateKeyInfo.load(key_der),
                cert_registry=chain,
            )
        return user.signers[trusted]


_basic = HTTPBasic(auto_error=False)


def _authenticated(
    request: Request, credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)]
) -> bool:
    state: BsreState = request.app.state.bsre
    return credentials is not None and (
        secrets.compare_digest(credentials.username, state.username)
        & secrets.compare_digest(credentials.password, state.password)
    )


# Whether the request carries the service account's Basic credentials.
Authenticated = Annotated[bool, Depends(_authenticated)]


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def create_app(state: BsreState) -> FastAPI:
    """The FastAPI app serving BSrE's contract from `state`."""
    app = FastAPI(title="BSrE Esign Client Service (test stand-in)")
    app.state.bsre = state

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, error: RequestValidationError) -> JSONResponse:
        return _error(400, "Parameter tidak lengkap")

    @app.middleware("http")
    async def _down(request: Request, call_next: Any) -> Any:
        if state.mode is Mode.DOWN:
            return _error(503, "Service Unavailable")
        return await call_next(request)

    @app.post("/api/sign/pdf")
    async def sign_pdf(
        ok: Authenticated,
        file: Annotated[UploadFile, File()],
        nik: Annotated[str, Form()],
        passphrase: Annotated[str, Form()],
        tampilan: Annotated[str, Form()] = "invisible",
    ) -> Response:
        """Sign the uploaded PDF for `nik` (visible signatures are signed like invisible ones)."""
        if not ok:
            return _error(401, "Unauthorized")
        if tampilan not in ("invisible", "visible"):
            return _error(400, "Tampilan harus visible atau invisible")
        user = state.users.get(nik)
        if user is None:
            return _error(400, "User belum terdaftar")
        if not secrets.compare_digest(passphrase, user.passphrase):
            return _error(400, "Passphrase anda salah")
        pdf = await file.read()
        try:
            signed = await _sign(pdf, state.signer_for(user, trusted=state.mode != Mode.UNTRUSTED))
        except (PdfError, ValueError):
            return _error(400, "Dokumen bukan PDF yang dapat dibaca")
        if state.mode is Mode.CORRUPT:
            signed = _corrupt(signed)
        elif state.mode is Mode.PARTIAL:
            signed = _append_revision(signed)
        document_id = secrets.token_hex(8)
        state.documents[document_id] = signed
        return Response(signed, media_type="application/pdf", headers={"id_dokumen": document_id})

    @app.get("/api/sign/download/{document_id}")
    async def download(ok: Authenticated, document_id: str) -> Response:
        """A signed PDF by its id, once."""
        if not ok:
            return _error(401, "Unauthorized")
        signed = state.documents.pop(document_id, None)
        if signed is None:
            return _error(404, "Dokumen telah didownload sebelumnya")
        return Response(signed, media_type="application/pdf", headers={"id_dokumen": document_id})

    @app.post("/api/sign/verify")
    async def verify(ok: Authenticated, signed_file: Annotated[UploadFile, File()]) -> JSONResponse:
        """A report on the signatures of the uploaded PDF, in BSrE's shape."""
        if not ok:
            return _error(401, "Unauthorized")
        content = await signed_file.read()
        try:
            report = await _verify_report(content, signed_file.filename or "", state)
        except (PdfError, ValueError):
            return _error(400, "Dokumen bukan PDF yang dapat dibaca")
        return JSONResponse(report)

    @app.get("/api/user/status/{nik}")
    async def user_status(ok: Authenticated, nik: str) -> JSONResponse:
        """Whether `nik` is registered with an issued certificate."""
        if not ok:
            return _error(401, "Unauthorized")
        if nik in state.users:
            return JSONResponse(
                {
                    "status_code": 1111,
                    "status": "ISSUE",
                    "message": "User sudah terdaftar dan memiliki sertifikat dengan status ISSUE",
                }
            )
        return JSONResponse(
            {"status_code": 1110, "status": "NOT_REGISTERED", "message": "User belum terdaftar"}
        )

    return app


async def _sign(pdf: bytes, signer: signers.SimpleSigner) -> bytes:
    existing = len(PdfFileReader(BytesIO(pdf)).embedded_signatures)
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name=f"Signature{existing + 1}",
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason="Dokumen ini ditandatangani secara elektronik",
        location="Kupang",
    )
    output = await signers.async_sign_pdf(writer, meta, signer=signer)
    signed: bytes = output.getvalue()
    return signed


def _corrupt(signed: bytes) -> bytes:
    """Change one digit of the signature's /Location, a byte the signature covers."""
    marker = b"/Location (Kupang)"
    at = signed.rindex(marker)
    return signed[:at] + b"/Location (Kupanf)" + signed[at + len(marker) :]


def _append_revision(signed: bytes) -> bytes:
    """Append a revision that changes the catalogue, after the signature."""
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    writer.root["/KomitmenTampered"] = generic.TextStringObject("changed after signing")
    # pyHanko leaves these two untyped, as it does SimpleCertificateStore.from_certs.
    writer.update_root()  # type: ignore[no-untyped-call]
    output = BytesIO()
    writer.write(output)  # type: ignore[no-untyped-call]
    return output.getvalue()


async def _verify_report(content: bytes, name: str, state: BsreState) -> dict[str, Any]:
    signatures = PdfFileReader(BytesIO(content)).embedded_regular_signatures
    context = ValidationContext(
        trust_roots=[_asn1(state.trusted.root.certificate)], allow_fetching=False
    )
    details = []
    for embedded in signatures:
        status = await async_validate_pdf_signature(embedded, signer_validation_context=context)
        signed_in = status.signer_reported_dt
        details.append(
            {
                "signature_field": embedded.field_name,
                "info_signer": {
                    "signer_name": status.signing_cert.subject.native.get("common_name"),
                    "issuer_dn": status.signing_cert.issuer.human_friendly,
                    "cert_user_certified": status.trusted,
                },
                "signature_document": {
                    "document_integrity": bool(status.intact and status.valid),
                    "signed_in": signed_in.strftime("%Y-%m-%d %H:%M:%S") if signed_in else None,
                    "reason": embedded.sig_object.get("/Reason"),
                    "location": embedded.sig_object.get("/Location"),
                },
            }
        )
    valid = bool(details) and all(
        d["signature_document"]["document_integrity"] and d["info_signer"]["cert_user_certified"]
        for d in details
    )
    summary = None if not details else "DOCUMENT VALID !!!" if valid else "DOCUMENT NOT VALID !!!"
    return {
        "nama_dokumen": name,
        "jumlah_signature": len(details),
        "notes": None,
        "details": details,
        "summary": summary,
    }


def _asn1(certificate: x509.Certificate) -> Any:
    return asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))
