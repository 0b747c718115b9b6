"""Certified electronic signatures (TTE) through BSrE's Esign Client Service, and their checks.

BSrE (Balai Sertifikasi Elektronik) signs a PDF for a person identified by NIK once they give
their passphrase; the contract is described in docs/tte.md. What BSrE returns is never taken
on trust: `validate_signed_pdf` checks it against the PDF we sent and the CAs we accept.

Errors:

    TteError                  something went wrong with a TTE; `.message` is safe to show
    ├── TteUnavailable        BSrE cannot be reached, timed out or failed (5xx): wait and retry
    ├── TteRefused            BSrE refused the request (4xx), e.g. a wrong passphrase: the
    │                         person (or an administrator) must act
    ├── InvalidSignedPdf      the signed PDF fails our checks; `.reason` says which
    └── TteNotConfigured      the KOMITMEN_BSRE_* settings are missing or unusable

No passphrase ever reaches an exception, a log line or a repr.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any, TypeAlias
from urllib.parse import quote

import httpx
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pydantic import SecretStr
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from services.settings import Settings

logger = logging.getLogger(__name__)

# BSrE's user status codes, as its clients document them (docs/tte.md).
STATUS_CERTIFICATE_ISSUED = 1111
STATUS_NOT_REGISTERED = 1110

# Longest BSrE message we pass on; their messages are one short sentence.
_MAX_MESSAGE = 300


class TteError(Exception):
    """A TTE failure whose `message` is short and safe to show to the person signing."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


class TteUnavailable(TteError):
    """BSrE cannot be reached, timed out or answered 5xx: wait and try again."""


class TteRefused(TteError):
    """BSrE refused the request (4xx) with its own message, e.g. a wrong passphrase."""


class InvalidSignedPdf(TteError):
    """A signed PDF failed one of our checks; `reason` names the check."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"the signed PDF is not acceptable: {reason}")
        self.reason = reason


class TteNotConfigured(TteError):
    """The KOMITMEN_BSRE_* settings are missing or unusable."""


@dataclass(frozen=True)
class SignedPdf:
    """The PDF BSrE signed, and BSrE's id for it (the `id_dokumen` header), if it gave one."""

    content: bytes = field(repr=False)
    document_id: str | None

    @property
    def size(self) -> int:
        """The signed PDF's length in bytes."""
        return len(self.content)


@dataclass(frozen=True)
class UserStatus:
    """What BSrE knows of a NIK: its status code, status name and message."""

    nik: str
    status_code: int | None
    message: str
    status: str | None = None

    @property
    def registered(self) -> bool:
        """Registered with an issued certificate (code 1111), so able to sign."""
        return self.status_code == STATUS_CERTIFICATE_ISSUED


@dataclass(frozen=True)
class PdfValidation:
    """The signatures a valid signed PDF holds, oldest first."""

    signer_common_names: tuple[str, ...]
    # The trusted timestamp's time when the signature has one, else the time the signer claims.
    signing_times: tuple[datetime | None, ...]

    @property
    def count(self) -> int:
        """How many signatures the PDF holds."""
        return len(self.signer_common_names)


class BsreClient:
    """An async client of BSrE's Esign Client Service (HTTP Basic auth); close it when done."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str | SecretStr,
        timeout_seconds: float = 30.0,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        secret = password.get_secret_value() if isinstance(password, SecretStr) else password
        self.base_url = base_url.rstrip("/")
        self.username = username
        self.timeout_seconds = timeout_seconds
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=httpx.BasicAuth(username, secret),
            timeout=timeout_seconds,
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"BsreClient(base_url={self.base_url!r}, username={self.username!r})"

    async def __aenter__(self) -> BsreClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections this client holds."""
        await self._http.aclose()

    async def sign_pdf(self, pdf: bytes, *, nik: str, passphrase: str) -> SignedPdf:
        """Have BSrE sign `pdf` for the person `nik` with an invisible signature."""
        response = await self._send(
            "POST",
            "/api/sign/pdf",
            data={"nik": nik, "passphrase": passphrase, "tampilan": "invisible"},
            files={"file": ("dokumen.pdf", pdf, "application/pdf")},
            secret=passphrase,
        )
        if not response.content.startswith(b"%PDF-"):
            # A 200 without a PDF is BSrE misbehaving, not the signer's doing.
            raise TteUnavailable("BSrE answered without a signed PDF", status_code=200)
        document_id = response.headers.get("id_dokumen") or response.headers.get("id-dokumen")
        logger.info("BSrE signed a PDF (%d bytes), document id %s", len(pdf), document_id)
        return SignedPdf(content=response.content, document_id=document_id)

    async def verify(self, pdf: bytes) -> dict[str, Any]:
        """BSrE's own report on the signatures in `pdf` (its JSON, as it is)."""
        response = await self._send(
            "POST",
            "/api/sign/verify",
            files={"signed_file": ("dokumen.pdf", pdf, "application/pdf")},
        )
        report = _json_object(response)
        if report is None:
            raise TteUnavailable("BSrE's verification answer is not a JSON object")
        return report

    async def user_status(self, nik: str) -> UserStatus:
        """Whether BSrE knows `nik` and holds an issued certificate for it."""
        response = await self._send(
            "GET", f"/api/user/status/{quote(nik, safe='')}", status_answers_4xx=True
        )
        body = _json_object(response)
        if body is None:
            raise TteUnavailable("BSrE's user status answer is not a JSON object")
        # Some deployments wrap the answer in {"data": {...}}.
        data = body.get("data")
        inner: dict[str, Any] = data if isinstance(data, dict) else body
        code = inner.get("status_code")
        message = inner.get("message") or body.get("message") or ""
        status = inner.get("status")
        if response.is_client_error and not isinstance(code, int):
            raise TteRefused(_bsre_message(response, None), status_code=response.status_code)
        return UserStatus(
            nik=nik,
            status_code=code if isinstance(code, int) else None,
            message=str(message)[:_MAX_MESSAGE],
            status=str(status) if status is not None else None,
        )

    async def _send(
        self,
        method: str,
        path: str,
        *,
        data: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        secret: str | None = None,
        status_answers_4xx: bool = False,
    ) -> httpx.Response:
        # Errors are raised outside the except blocks so that no httpx exception, whose
        # request holds the multipart body and so the passphrase, hangs on as __context__.
        response: httpx.Response | None = None
        failure = ""
        try:
            response = await self._http.request(method, path, data=data, files=files)
        except httpx.TimeoutException:
            failure = f"BSrE did not answer within {self.timeout_seconds:g} seconds"
        except httpx.TransportError:
            failure = "BSrE cannot be reached"
        if response is None:
            logger.warning("BSrE %s %s: %s", method, _path_only(path), failure)
            raise TteUnavailable(failure)
        status = response.status_code
        # 408 and 429 are BSrE being busy: retrying later is right, as for 5xx.
        if status >= 500 or status in (408, 429):
            logger.warning("BSrE %s %s: HTTP %d", method, _path_only(path), status)
            raise TteUnavailable(f"BSrE is unavailable (HTTP {status})", status_code=status)
        if response.is_client_error and not status_answers_4xx:
            message = _bsre_message(response, secret)
            logger.info("BSrE %s %s refused: HTTP %d", method, _path_only(path), status)
            raise TteRefused(message, status_code=status)
        return response


@dataclass(frozen=True)
class Bsre:
    """A BSrE client and the CA certificates its signed PDFs must chain to."""

    client: BsreClient
    trust_roots: tuple[x509.Certificate, ...]


def bsre_from_settings(settings: Settings) -> Bsre:
    """The BSrE client and trust roots the KOMITMEN_BSRE_* settings describe."""
    if not settings.bsre_url:
        raise TteNotConfigured("KOMITMEN_BSRE_URL is not set: electronic signing is off")
    if settings.bsre_ca_file is None:
        raise TteNotConfigured("KOMITMEN_BSRE_CA_FILE is not set: signed PDFs could not be checked")
    roots = load_trust_roots(settings.bsre_ca_file)
    client = BsreClient(
        settings.bsre_url,
        settings.bsre_username,
        settings.bsre_password,
        settings.bsre_timeout_seconds,
    )
    return Bsre(client=client, trust_roots=roots)


def load_trust_roots(path: Path) -> tuple[x509.Certificate, ...]:
    """The certificates in the PEM file `path`."""
    try:
        return tuple(x509.load_pem_x509_certificates(path.read_bytes()))
    except (OSError, ValueError) as error:
        raise TteNotConfigured(f"{path} holds no readable PEM certificate: {error}") from None


# A CA certificate as cryptography or asn1crypto (pyHanko's own type) holds it.
TrustRoot: TypeAlias = x509.Certificate | asn1_x509.Certificate


def validate_signed_pdf(
    signed: bytes, *, original: bytes, trust_roots: Sequence[TrustRoot]
) -> PdfValidation:
    """Check that `signed` is `original` plus a valid, trusted signature covering the file.

    Checks, in order: `signed` begins with the exact bytes of `original` (BSrE signs by an
    incremental update); it holds more signatures than `original`; every signature is
    intact, cryptographically valid and chains to one of `trust_roots`; the newest covers
    the entire file; the revisions after each older signature only add signatures.
    Raises InvalidSignedPdf naming the first failed check. CPU-bound and runs its own event
    loop: from async code, call it through `asyncio.to_thread`.
    """
    if not trust_roots:
        raise ValueError("validate_signed_pdf needs at least one trust root")
    if not signed.startswith(original):
        raise InvalidSignedPdf("the signed file does not begin with the document that was sent")
    try:
        before = len(PdfFileReader(BytesIO(original)).embedded_regular_signatures)
    except (PdfError, ValueError) as error:
        raise ValueError(f"the original is not a readable PDF: {error}") from None
    try:
        signatures = PdfFileReader(BytesIO(signed)).embedded_regular_signatures
    except (PdfError, ValueError):
        signatures = None
    if signatures is None:
        raise InvalidSignedPdf("the signed file is not a readable PDF")
    if len(signatures) <= before:
        raise InvalidSignedPdf("the signed file holds no new signature")
    roots = [_as_asn1(root) for root in trust_roots]
    return asyncio.run(_validate_signatures(signatures, roots))


async def _validate_signatures(signatures: list[Any], roots: list[Any]) -> PdfValidation:
    context = ValidationContext(
        trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail"
    )
    names: list[str] = []
    times: list[datetime | None] = []
    statuses = []
    for number, embedded in enumerate(signatures, start=1):
        try:
            status = await async_validate_pdf_signature(embedded, signer_validation_context=context)
        except (PdfError, ValueError) as error:
            raise InvalidSignedPdf(f"signature {number} cannot be read ({error})") from None
        name = _common_name(status.signing_cert)
        label = f"signature {number} ({name})"
        if not status.intact:
            raise InvalidSignedPdf(f"{label} does not match the bytes it covers: altered")
        if not status.valid:
            raise InvalidSignedPdf(f"{label} is cryptographically invalid")
        if status.revoked:
            raise InvalidSignedPdf(f"{label}'s certificate is revoked")
        if not status.trusted:
            raise InvalidSignedPdf(f"{label}'s certificate does not chain to a trusted CA")
        statuses.append((label, status))
        names.append(name)
        timestamp = status.timestamp_validity
        times.append(timestamp.timestamp if timestamp is not None else status.signer_reported_dt)
    newest_label, newest = statuses[-1]
    if newest.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        raise InvalidSignedPdf(
            f"the newest signature, {newest_label}, does not cover the whole file"
        )
    for label, status in statuses:
        if not status.bottom_line:
            raise InvalidSignedPdf(f"the file was changed after {label} beyond adding signatures")
    return PdfValidation(signer_common_names=tuple(names), signing_times=tuple(times))


def _as_asn1(certificate: TrustRoot) -> Any:
    if isinstance(certificate, x509.Certificate):
        return asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))
    return certificate


def _common_name(certificate: Any) -> str:
    name = certificate.subject.native.get("common_name", "")
    # A subject may carry several CNs; asn1crypto gives a list then.
    return ", ".join(name) if isinstance(name, list) else str(name)


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _bsre_message(response: httpx.Response, secret: str | None) -> str:
    """BSrE's own error message (`error`, else `message`), short and without the secret."""
    body = _json_object(response)
    message = ""
    if body is not None:
        message = str(body.get("error") or body.get("message") or "").strip()
    if not message:
        message = f"BSrE refused the request (HTTP {response.status_code})"
    if secret:
        # BSrE is not known to echo a passphrase, but its message is shown to people.
        message = message.replace(secret, "***")
    return message[:_MAX_MESSAGE]


def _path_only(path: str) -> str:
    # The user status path ends in a NIK, personal data that has no place in logs.
    return "/api/user/status/…" if path.startswith("/api/user/status/") else path
