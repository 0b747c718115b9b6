"""services.tte against the BSrE stand-in: real PAdES signatures, real validation."""

from __future__ import annotations

import asyncio
import logging
import socket
import traceback
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from fpdf import FPDF
from pydantic import SecretStr

from services.settings import Settings
from services.tte import (
    BsreClient,
    InvalidSignedPdf,
    PdfValidation,
    TteError,
    TteNotConfigured,
    TteRefused,
    TteUnavailable,
    bsre_from_settings,
    load_trust_roots,
    validate_signed_pdf,
)
from tests.bsre.fixture import RunningBsre
from tests.bsre.service import Mode
from tests.smtp import free_port

KEPALA_BPBD = "5301010101800001"
BUPATI = "5301010101700002"
KEPALA_PASSPHRASE = "Kupang#Siaga-2025"
BUPATI_PASSPHRASE = "Flobamora!Tangguh-77"


def make_pdf(text: str = "Rencana aksi daerah penanggulangan bencana") -> bytes:
    """A one-page PDF, as the document renderer would give."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(w=0, text=text)
    return bytes(pdf.output())


def register(bsre: RunningBsre) -> None:
    bsre.add_user(KEPALA_BPBD, KEPALA_PASSPHRASE, "Kepala BPBD Kabupaten Kupang")
    bsre.add_user(BUPATI, BUPATI_PASSPHRASE, "Bupati Kupang")


async def validate(
    signed: bytes, *, original: bytes, roots: Sequence[x509.Certificate]
) -> PdfValidation:
    return await asyncio.to_thread(
        validate_signed_pdf, signed, original=original, trust_roots=roots
    )


async def test_a_signed_pdf_validates(bsre: RunningBsre, client: BsreClient) -> None:
    register(bsre)
    original = make_pdf()

    signed = await client.sign_pdf(original, nik=KEPALA_BPBD, passphrase=KEPALA_PASSPHRASE)

    assert signed.document_id
    assert signed.content.startswith(original)
    result = await validate(
        signed.content, original=original, roots=load_trust_roots(bsre.ca_pem_path)
    )
    assert result.count == 1
    assert result.signer_common_names == ("Kepala BPBD Kabupaten Kupang",)
    assert result.signing_times[0] is not None
    report = await client.verify(signed.content)
    assert report["jumlah_signature"] == 1
    assert report["details"][0]["info_signer"]["signer_name"] == "Kepala BPBD Kabupaten Kupang"


async def test_two_offices_sign_one_after_the_other(bsre: RunningBsre, client: BsreClient) -> None:
    register(bsre)
    roots = load_trust_roots(bsre.ca_pem_path)
    original = make_pdf()

    first = await client.sign_pdf(original, nik=KEPALA_BPBD, passphrase=KEPALA_PASSPHRASE)
    second = await client.sign_pdf(first.content, nik=BUPATI, passphrase=BUPATI_PASSPHRASE)

    # The first signature covers an earlier revision; only the newest covers the whole file.
    result = await validate(second.content, original=first.content, roots=roots)
    assert result.count == 2
    assert result.signer_common_names == ("Kepala BPBD Kabupaten Kupang", "Bupati Kupang")
    assert await validate(second.content, original=original, roots=roots) == result
    assert first.document_id != second.document_id


async def test_a_wrong_passphrase_is_refused_with_bsres_message(
    bsre: RunningBsre, client: BsreClient
) -> None:
    register(bsre)

    with pytest.raises(TteRefused) as refused:
        await client.sign_pdf(make_pdf(), nik=KEPALA_BPBD, passphrase="bukan-passphrase")

    assert refused.value.message == "Passphrase anda salah"
    assert refused.value.status_code == 400


async def test_an_unregistered_nik(bsre: RunningBsre, client: BsreClient) -> None:
    register(bsre)

    unknown = await client.user_status("5301999999999999")
    known = await client.user_status(KEPALA_BPBD)

    assert not unknown.registered
    assert unknown.status_code == 1110
    assert unknown.message == "User belum terdaftar"
    assert known.registered
    assert known.status == "ISSUE"
    with pytest.raises(TteRefused, match="belum terdaftar"):
        await client.sign_pdf(make_pdf(), nik="5301999999999999", passphrase=KEPALA_PASSPHRASE)


async def test_wrong_service_credentials_are_refused(bsre: RunningBsre) -> None:
    async with BsreClient(bsre.url, bsre.username, "not-the-password") as stranger:
        with pytest.raises(TteRefused) as refused:
            await stranger.user_status(KEPALA_BPBD)
    assert refused.value.status_code == 401


async def test_a_service_answering_503_is_unavailable(
    bsre: RunningBsre, client: BsreClient
) -> None:
    register(bsre)
    bsre.mode = Mode.DOWN

    with pytest.raises(TteUnavailable) as down:
        await client.sign_pdf(make_pdf(), nik=KEPALA_BPBD, passphrase=KEPALA_PASSPHRASE)
    assert down.value.status_code == 503
    with pytest.raises(TteUnavailable):
        await client.user_status(KEPALA_BPBD)
    with pytest.raises(TteUnavailable):
        await client.verify(make_pdf())


async def test_nothing_listening_is_unavailable() -> None:
    async with BsreClient(f"http://127.0.0.1:{free_port()}", "u", "p", 5) as nowhere:
        with pytest.raises(TteUnavailable, match="cannot be reached"):
            await nowhere.sign_pdf(make_pdf(), nik=KEPALA_BPBD, passphrase=KEPALA_PASSPHRASE)


async def test_a_service_that_never_answers_times_out() -> None:
    # A listening socket nobody accepts from: the connection opens, no answer ever comes.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        async with BsreClient(url, "u", "p", timeout_seconds=0.5) as slow:
            with pytest.raises(TteUnavailable, match="did not answer within 0.5 seconds"):
                await slow.user_status(KEPALA_BPBD)


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        (Mode.UNTRUSTED, "does not chain to a trusted CA"),
        (Mode.CORRUPT, "does not match the bytes it covers"),
        (Mode.PARTIAL, "does not cover the whole file"),
    ],
)
async def test_a_bad_signed_pdf_is_rejected(
    bsre: RunningBsre, client: BsreClient, mode: Mode, reason: str
) -> None:
    register(bsre)
    bsre.mode = mode
    original = make_pdf()

    signed = await client.sign_pdf(original, nik=KEPALA_BPBD, passphrase=KEPALA_PASSPHRASE)

    with pytest.raises(InvalidSignedPdf, match=reason):
        await validate(signed.content, original=original, roots=load_trust_roots(bsre.ca_pem_path))


async def test_trusting_only_another_ca_rejects_a_good_signature(
    bsre: RunningBsre, client: BsreClient
) -> None:
    register(bsre)
    original = make_pdf()
    signed = await client.sign_pdf(original, nik=KEPALA_BPBD, passphrase=KEPALA_PASSPHRASE)

    with pytest.raises(InvalidSignedPdf, match="trusted CA"):
        await validate(
            signed.content, original=original, roots=load_trust_roots(bsre.untrusted_ca_pem_path)
        )


async def test_a_signed_pdf_of_another_document_is_rejected(
    bsre: RunningBsre, client: BsreClient
) -> None:
    register(bsre)
    ours = make_pdf("Komitmen bersama Kabupaten Kupang")
    theirs = make_pdf("Komitmen bersama Kabupaten Alor")
    signed = await client.sign_pdf(theirs, nik=KEPALA_BPBD, passphrase=KEPALA_PASSPHRASE)

    with pytest.raises(InvalidSignedPdf) as rejected:
        await validate(signed.content, original=ours, roots=load_trust_roots(bsre.ca_pem_path))
    assert rejected.value.reason == "the signed file does not begin with the document that was sent"


async def test_a_pdf_without_a_new_signature_is_rejected(
    bsre: RunningBsre, client: BsreClient
) -> None:
    register(bsre)
    signed = await client.sign_pdf(make_pdf(), nik=KEPALA_BPBD, passphrase=KEPALA_PASSPHRASE)

    with pytest.raises(InvalidSignedPdf, match="no new signature"):
        await validate(
            signed.content, original=signed.content, roots=load_trust_roots(bsre.ca_pem_path)
        )


async def test_bytes_that_are_not_a_pdf_are_rejected(bsre: RunningBsre) -> None:
    original = make_pdf()

    # A revision whose cross-reference points nowhere.
    broken = original + b"\ntrailer\n<< /Size 3 >>\nstartxref\n999999\n%%EOF\n"

    with pytest.raises(InvalidSignedPdf, match="not a readable PDF"):
        await validate(broken, original=original, roots=load_trust_roots(bsre.ca_pem_path))


async def test_the_passphrase_appears_in_no_log_exception_or_repr(
    bsre: RunningBsre, client: BsreClient, caplog: pytest.LogCaptureFixture
) -> None:
    register(bsre)
    caplog.set_level(logging.DEBUG)  # the root logger: httpx, httpcore, uvicorn, ours
    failures: list[TteError] = []
    original = make_pdf()

    signed = await client.sign_pdf(original, nik=KEPALA_BPBD, passphrase=KEPALA_PASSPHRASE)
    for mode in (Mode.NORMAL, Mode.DOWN):
        bsre.mode = mode
        try:
            await client.sign_pdf(original, nik=KEPALA_BPBD, passphrase=BUPATI_PASSPHRASE)
        except TteError as error:
            failures.append(error)
    async with BsreClient(f"http://127.0.0.1:{free_port()}", "u", "p") as nowhere:
        try:
            await nowhere.sign_pdf(original, nik=KEPALA_BPBD, passphrase=KEPALA_PASSPHRASE)
        except TteError as error:
            failures.append(error)

    assert [type(f) for f in failures] == [TteRefused, TteUnavailable, TteUnavailable]
    assert any(r.name.startswith("httpx") or r.name.startswith("httpcore") for r in caplog.records)
    texts = [caplog.text, repr(client), repr(signed), repr(nowhere)]
    texts += [repr(record.args) for record in caplog.records]
    for failure in failures:
        texts += [str(failure), repr(failure), "".join(traceback.format_exception(failure))]
        assert failure.__context__ is None and failure.__cause__ is None
    for text in texts:
        for secret in (KEPALA_PASSPHRASE, BUPATI_PASSPHRASE, bsre.password):
            assert secret not in text


async def test_a_passphrase_bsre_echoes_is_masked() -> None:
    passphrase = "Sangat-Rahasia-7391"

    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": f"Passphrase {passphrase} salah"})

    async with BsreClient("http://bsre.test", "u", "p", transport=httpx.MockTransport(echo)) as c:
        with pytest.raises(TteRefused) as refused:
            await c.sign_pdf(make_pdf(), nik=KEPALA_BPBD, passphrase=passphrase)
    assert refused.value.message == "Passphrase *** salah"


async def test_the_client_and_trust_roots_come_from_settings(bsre: RunningBsre) -> None:
    settings = Settings(
        bsre_url=bsre.url,
        bsre_username=bsre.username,
        bsre_password=SecretStr(bsre.password),
        bsre_ca_file=bsre.ca_pem_path,
        bsre_timeout_seconds=5,
    )

    setup = bsre_from_settings(settings)

    async with setup.client as client:
        assert (await client.user_status(KEPALA_BPBD)).status_code == 1110
    assert [root.subject.rfc4514_string() for root in setup.trust_roots] == [
        "CN=BSrE Test Root CA,O=Komitmen Test PKI,C=ID"
    ]
    assert bsre.password not in repr(settings)


def test_missing_settings_say_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(TteNotConfigured, match="KOMITMEN_BSRE_URL"):
        bsre_from_settings(Settings(bsre_url=None))
    with pytest.raises(TteNotConfigured, match="KOMITMEN_BSRE_CA_FILE"):
        bsre_from_settings(Settings(bsre_url="http://bsre.test", bsre_ca_file=None))
    empty = tmp_path / "empty.pem"
    empty.write_text("")
    with pytest.raises(TteNotConfigured, match="no readable PEM"):
        bsre_from_settings(Settings(bsre_url="http://bsre.test", bsre_ca_file=empty))
