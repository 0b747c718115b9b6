"""The signed documents as PDF, from real recorded commitments, read back with pdfium.

Every page is rendered to PNG into the browser tests' artefacts folder, to be looked at.
"""

from __future__ import annotations

import copy
import hashlib
import re
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium  # type: ignore[import-untyped]  # ships no type information
from temporalio.testing import WorkflowEnvironment

from db import people
from db.session import session_factory, transaction
from domain.calendar import WITA
from domain.cycle import cycle_document_hash
from domain.document import verification_code
from tests.api.client import Api, running_api
from tests.pages.browser import ARTIFACTS, PHONE, chromium, served, sign_in_browser
from tests.pages.test_document import LOCATION, NIP, chain_head, exact_plan
from tests.pages.test_pages import PASSWORD, PLAN, sign_in


def long_plan(count: int) -> dict[str, Any]:
    """`count` items, each the sample's first with its own activity and location."""
    plan = copy.deepcopy(PLAN)
    template = plan["items"][0]
    plan["items"] = [
        {**template, "activity": f"Aksi nomor {n}: {template['activity']}", "location": f"Desa {n}"}
        for n in range(1, count + 1)
    ]
    return plan


async def approve_and_sign(
    api: Api, base: str, code: str, plan: dict[str, Any], signers: tuple[str, ...]
) -> str:
    """Draft, submit and approve `plan`, then sign as each of `signers`; the document hash."""
    operator = f"operator-{code}"
    saved = await api.post(f"{base}/save-draft", operator, {"plan": plan, "based_on_version": 0})
    assert saved.status_code == 200, saved.text
    assert (await api.post(f"{base}/submit", operator, {"version": 1})).is_success
    approved = await api.post(f"{base}/approve", "reviewer", {"version": 1})
    assert approved.status_code == 200, approved.text
    document_hash = str(approved.json()["document_hash"])
    for signer in signers:
        signed = await api.post(f"{base}/sign", signer, {"document_hash": document_hash})
        assert signed.is_success, signed.text
    return document_hash


def pages_text(content: bytes, artefact: str) -> list[str]:
    """The text of every page; each page also lands as a PNG in the artefacts folder."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    document = pdfium.PdfDocument(content)
    texts = []
    for n in range(len(document)):
        page = document[n]
        page.render(scale=1.5).to_pil().save(ARTIFACTS / f"{artefact}-{n + 1}.png")
        texts.append(page.get_textpage().get_text_range().replace("\r\n", "\n"))
    return texts


def keywords(content: bytes) -> dict[str, str]:
    """The `name=value` pairs of the PDF's Keywords."""
    raw = pdfium.PdfDocument(content).get_metadata_dict()["Keywords"]
    return dict(pair.split("=", 1) for pair in raw.split(", "))


async def test_plan_and_joint_commitment_pdfs_carry_what_the_hashes_cover(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = time_skipping_env
    year = (await env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(env.client, db_url, tmp_path) as api:
        cycle = await api.start_cycle(["53.01", "53.71"], year)
        base = f"/cycles/{cycle}/commitments/53.01"
        pdf_url = f"{base}/document.pdf"

        unauthenticated = await api.http.get(pdf_url)
        assert unauthenticated.status_code == 303

        api.set_acting("kada-5301", "plt")
        with transaction(session_factory(api.url)) as session:
            kalak = people.get_user(session, username="kalak-5301")
            assert kalak is not None
            kalak.nip = NIP
        signers = ("kalak-5301", "bappeda-5301", "kada-5301")
        document_hash = await approve_and_sign(api, base, "5301", exact_plan(), signers)
        code = verification_code(document_hash)

        await sign_in(api, "operator-5301")
        page = await api.http.get(f"{base}/document")
        assert f'href="{pdf_url}"' in page.text and "Unduh PDF" in page.text

        answer = await api.http.get(pdf_url)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/pdf"
        assert answer.headers["content-disposition"] == (
            'attachment; filename="rencana-aksi-53.01-v1.pdf"'
        )
        content = answer.content
        assert content.startswith(b"%PDF-")
        # The same document gives the same bytes, so its SHA-256 can be shown to verifiers.
        again = await api.http.get(pdf_url)
        assert hashlib.sha256(again.content).digest() == hashlib.sha256(content).digest()

        texts = pages_text(content, "pdf-plan")
        # Words as read, whatever line a table cell wrapped them onto.
        text = " ".join("\n".join(texts).split())
        assert "BPBD PROVINSI NTT" in text and "KABUPATEN KUPANG" in text
        assert f"Rakor ({year})" in text
        assert "Rp150.000.000,50" in text and "Rp150.000.000 " not in text
        assert LOCATION in text
        assert "Pemerintah, Akademisi, Media" in text
        assert "—" in text and "“operator” ≥ 2" in text
        assert "I, II, III, IV" in text
        assert document_hash in text and code in text
        public = api.k.settings.public_base_url
        assert f"Periksa keaslian dokumen ini di {public}/verify dengan kode" in text
        head = chain_head(api, cycle)
        assert head.hash in text
        assert "Plt. BUPATI KUPANG," in text and "NIP. 19750312 200012 1 003" in text
        assert text.count("Oelamasi, ") == 3
        assert texts[-1].rstrip().endswith(f"Halaman {len(texts)} dari {len(texts)}")
        assert "audit-verify" not in text
        meta = keywords(content)
        assert meta["document-hash"] == document_hash
        assert meta["verification-code"] == code
        assert meta["document-format"] in {"1", "2"}
        assert meta["chain-head"] == head.hash
        # The QR code is drawn, not an image: nothing on the pages but vector paths and text.
        assert b"/Subtype /Image" not in content

        english = await api.http.get(pdf_url, params={"lang": "en"})
        english_text = " ".join("\n".join(pages_text(english.content, "pdf-plan-en")).split())
        assert "Rp150,000,000.50" in english_text and "Page 1 of" in english_text
        assert f"Check this document's authenticity at {public}/verify" in english_text

        # The joint commitment: every regency, signed or not, and the cycle's hash.
        # `?lang=en` was remembered; Bahasa Indonesia again.
        joint = await api.http.get(f"/cycles/{cycle}/document.pdf", params={"lang": "id"})
        assert joint.status_code == 200
        assert joint.headers["content-disposition"] == (
            f'attachment; filename="komitmen-bersama-{cycle}.pdf"'
        )
        assert (await api.http.get(f"/cycles/{cycle}/document.pdf")).content == joint.content
        joint_text = " ".join("\n".join(pages_text(joint.content, "pdf-joint")).split())
        cycle_hash = cycle_document_hash({"53.01": document_hash, "53.71": None})
        assert "KOMITMEN BERSAMA" in joint_text and "BPBD Provinsi NTT" in joint_text
        assert "Kabupaten Kupang" in joint_text and "Kota Kupang" in joint_text
        assert document_hash in joint_text and "belum ditandatangani" in joint_text
        assert cycle_hash in joint_text and verification_code(cycle_hash) in joint_text
        assert keywords(joint.content)["document-hash"] == cycle_hash
        assert "Plt. BUPATI KUPANG," in joint_text

        await sign_in(api, "operator-5371")
        outsider = await api.http.get(pdf_url)
        assert outsider.status_code == 403 and "application/pdf" not in outsider.headers.get(
            "content-type", ""
        )
        unapproved = await api.http.get(f"/cycles/{cycle}/commitments/53.71/document.pdf")
        assert unapproved.status_code == 404
        # The joint commitment is everyone's to read, as its HTML page is.
        assert (await api.http.get(f"/cycles/{cycle}/document.pdf")).status_code == 200


async def test_a_forty_item_plan_paginates_with_its_heading_on_every_page(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = time_skipping_env
    year = (await env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(env.client, db_url, tmp_path) as api:
        cycle = await api.start_cycle(["53.71"], year)
        base = f"/cycles/{cycle}/commitments/53.71"
        await approve_and_sign(api, base, "5371", long_plan(40), ("kalak-5371",))
        await sign_in(api, "operator-5371")
        answer = await api.http.get(f"{base}/document.pdf")
        assert answer.status_code == 200, answer.text
        texts = pages_text(answer.content, "pdf-plan-40")
        pages = len(texts)
        assert pages >= 3
        for n, text in enumerate(texts, start=1):
            assert f"Halaman {n} dari {pages}" in text
            # The table's heading is repeated on every page the table runs onto.
            if n < pages:
                assert "Uraian aksi" in text and "Lokasi" in text
        every = "\n".join(texts)
        for n in range(1, 41):
            assert f"Aksi nomor {n}:" in every and re.search(rf"\bDesa {n}\b", every)


async def test_document_pages_fit_a_phone_and_print_on_a4_in_chromium(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = time_skipping_env
    year = (await env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(env.client, db_url, tmp_path) as api:
        cycle = await api.start_cycle(["53.01", "53.71"], year)
        base = f"/cycles/{cycle}/commitments/53.01"
        await approve_and_sign(
            api, base, "5301", exact_plan(), ("kalak-5301", "bappeda-5301", "kada-5301")
        )
        api.set_password("operator-5301", PASSWORD)
        async with served(api.app) as site, chromium() as browser:
            phone = await sign_in_browser(browser, site, "operator-5301", PASSWORD, PHONE)
            for path, name in (
                (f"{base}/document", "plan"),
                (f"/cycles/{cycle}/document", "joint"),
            ):
                page = await phone.open(path)
                # Nothing wider than the screen: items are cards, the QR code fits.
                width = await page.evaluate("document.documentElement.scrollWidth")
                assert width <= PHONE["width"], f"{name}: {width} px wide"
                assert await page.locator("svg.qr").is_visible()
                await phone.screenshot(f"document-{name}-phone")
                await page.emulate_media(media="print")
                printed = await page.pdf(prefer_css_page_size=True, print_background=True)
                texts = pages_text(printed, f"document-{name}-printed")
                assert "Periksa keaslian dokumen ini di" in " ".join(" ".join(texts).split())
                await page.emulate_media(media="screen")
