"""The printable documents over httpx against the real app (SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
from html import escape
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from db import people, reads
from db.session import session_factory, transaction
from domain.audit import ChainHead
from domain.calendar import WITA
from domain.cycle import cycle_document_hash
from domain.document import verification_code
from services.documents import nip_grouped, signed_title
from tests.api.client import Api, running_api
from tests.pages.test_pages import PLAN, sign_in

NIP = "197503122000121003"
LOCATION = "Desa Oelnasi, Kecamatan Kupang Tengah"


def exact_plan() -> dict[str, Any]:
    """The sample plan with a budget in cents, a location of its own and three partners."""
    plan = copy.deepcopy(PLAN)
    first = plan["items"][0]
    first["budget_rp"] = "150000000.50"
    first["location"] = LOCATION
    first["partners"] = ["pemerintah", "akademisi", "media"]
    # Text beyond Latin-1 (the PDF core fonts' limit) prints too.
    first["activity"] = "Input data SPM ke e-SPM — pelatihan “operator” ≥ 2 orang"
    return plan


def test_nip_and_title_are_written_as_on_paper() -> None:
    assert nip_grouped(NIP) == "19750312 200012 1 003"
    assert nip_grouped(None) is None and nip_grouped("123") == "123"
    assert signed_title("Bupati Kupang", "plt") == "Plt. BUPATI KUPANG,"
    assert signed_title("Bupati Kupang", "pj") == "Pj. BUPATI KUPANG,"
    assert signed_title("Bupati Kupang", "an") == "a.n. BUPATI KUPANG,"
    assert signed_title("Kepala Bappeda Kabupaten Kupang", "definitive") == (
        "KEPALA BAPPEDA KABUPATEN KUPANG,"
    )


def chain_head(api: Api, cycle_id: str) -> ChainHead:
    """The end of the cycle's audit chain as the database holds it."""
    with transaction(session_factory(api.url)) as session:
        head = reads.audit_chain_head(session, cycle_id=cycle_id)
        assert head is not None
        return head


async def test_document_shows_the_approved_plan_signatures_and_hash(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = time_skipping_env
    year = (await env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(env.client, db_url, tmp_path) as api:
        cycle = await api.start_cycle(["53.01", "53.71"], year)
        base = f"/cycles/{cycle}/commitments/53.01"
        document_url = f"{base}/document"

        unauthenticated = await api.http.get(document_url)
        assert unauthenticated.status_code == 303
        assert unauthenticated.headers["location"].startswith("/login?next=")

        plan = exact_plan()
        saved = await api.post(
            f"{base}/save-draft", "operator-5301", {"plan": plan, "based_on_version": 0}
        )
        assert saved.status_code == 200, saved.text
        assert (await api.post(f"{base}/submit", "operator-5301", {"version": 1})).is_success

        await sign_in(api, "operator-5301")
        early = await api.http.get(document_url)
        assert early.status_code == 404
        assert "text/html" in early.headers["content-type"]
        assert "Tidak ditemukan" in early.text

        approved = await api.post(f"{base}/approve", "reviewer", {"version": 1})
        assert approved.status_code == 200, approved.text
        document_hash = approved.json()["document_hash"]
        with transaction(session_factory(api.url)) as session:
            kalak = people.get_user(session, username="kalak-5301")
            assert kalak is not None
            kalak.nip = NIP
        # A signature's acting status is the signer's on record, never the request's.
        api.set_acting("kada-5301", "plt")
        for signer in ("kalak-5301", "bappeda-5301", "kada-5301"):
            signed = await api.post(f"{base}/sign", signer, {"document_hash": document_hash})
            assert signed.is_success, signed.text

        page = await api.http.get(document_url)
        assert page.status_code == 200, page.text
        text = page.text
        assert "Rencana Aksi Daerah" in text and "Kabupaten Kupang" in text
        assert '<link rel="stylesheet" href="/static/document.css?v=' in text and "Rakor" in text
        assert '<html lang="id" class="landscape">' in text
        stylesheet = await api.http.get("/static/document.css")
        assert "@media print" in stylesheet.text and "A4 landscape" in stylesheet.text
        assert document_hash in text
        head = chain_head(api, cycle)
        assert f'id="chain-head">{head.hash}</code> ({head.length} entri)' in text
        assert text.count('class="block"') == 3
        assert text.count("Oelamasi, ") == 3
        assert "Plt. BUPATI KUPANG," in text
        assert "NIP. 19750312 200012 1 003" in text
        assert text.count("NIP. ") == 1
        for item in plan["items"]:
            assert escape(item["activity"]) in text
            assert escape(item["indicator"]) in text
            assert escape(item["location"]) in text
        assert text.count('<tr id="item-') == len(plan["items"])
        # Every field the hash covers, amounts exact: never rounded to whole rupiah.
        assert ">Rp150.000.000,50<" in text and ">Rp25.000.000<" in text
        assert f'data-label="Lokasi">{LOCATION}<' in text
        assert ">Pemerintah, Akademisi, Media<" in text and ">I, II, III, IV<" in text
        # A QR code and the short code to check a printed copy, not a command to run.
        code = verification_code(document_hash)
        assert '<svg viewBox="0 0 ' in text and 'class="qr"' in text and "<img" not in text
        assert f'id="verification-code">{code}<' in text
        public = api.k.settings.public_base_url
        assert f"Periksa keaslian dokumen ini di {public}/verify dengan kode" in text
        assert f"{public}/verify/{code}" in text  # the QR's title names what it encodes
        assert "audit-verify" not in text
        assert f'href="{document_url}.pdf"' in text and "Unduh PDF" in text
        english = await api.http.get(document_url, params={"lang": "en"})
        assert ">Rp150,000,000.50<" in english.text
        assert f"Check this document&#39;s authenticity at {public}/verify" in english.text
        await api.http.get(document_url, params={"lang": "id"})

        await sign_in(api, "operator-5371")
        outsider = await api.http.get(document_url)
        assert outsider.status_code == 403
        assert document_hash not in outsider.text and "Oelamasi" not in outsider.text


def full_name(api: Api, username: str) -> str:
    """The name a user signs with."""
    with transaction(session_factory(api.url)) as session:
        user = people.get_user(session, username=username)
        assert user is not None
        return user.full_name


async def approve(api: Api, base: str, operator: str) -> str:
    """Draft, submit and approve the sample plan; returns the approved document's hash."""
    saved = await api.post(f"{base}/save-draft", operator, {"plan": PLAN, "based_on_version": 0})
    assert saved.status_code == 200, saved.text
    assert (await api.post(f"{base}/submit", operator, {"version": 1})).is_success
    approved = await api.post(f"{base}/approve", "reviewer", {"version": 1})
    assert approved.status_code == 200, approved.text
    return str(approved.json()["document_hash"])


async def test_joint_commitment_lists_every_regency_its_signatures_and_the_cycle_hash(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = time_skipping_env
    year = (await env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(env.client, db_url, tmp_path) as api:
        cycle = await api.start_cycle(["53.71", "53.01", "53.04"], year)
        joint_url = f"/cycles/{cycle}/document"

        unauthenticated = await api.http.get(joint_url)
        assert unauthenticated.status_code == 303
        assert unauthenticated.headers["location"].startswith("/login?next=")

        kupang = f"/cycles/{cycle}/commitments/53.01"
        kupang_hash = await approve(api, kupang, "operator-5301")
        with transaction(session_factory(api.url)) as session:
            kalak = people.get_user(session, username="kalak-5301")
            assert kalak is not None
            kalak.nip = NIP
        # A Plt. Kepala BPBD, and someone signing on the Bupati's behalf (a.n.), as recorded.
        api.set_acting("kalak-5301", "plt")
        api.set_acting("kada-5301", "an")
        for signer in ("kalak-5301", "bappeda-5301", "kada-5301"):
            signed = await api.post(f"{kupang}/sign", signer, {"document_hash": kupang_hash})
            assert signed.is_success, signed.text
        belu = f"/cycles/{cycle}/commitments/53.04"
        belu_hash = await approve(api, belu, "operator-5304")
        signed = await api.post(f"{belu}/sign", "kalak-5304", {"document_hash": belu_hash})
        assert signed.is_success, signed.text

        # The whole province signs it jointly: a user of an unsigned regency reads it too.
        await sign_in(api, "operator-5371")
        board = await api.http.get(f"/cycles/{cycle}/board")
        assert f'href="{joint_url}"' in board.text

        page = await api.http.get(joint_url)
        assert page.status_code == 200, page.text
        text = page.text
        assert "KOMITMEN BERSAMA" in text and "/static/document.css" in text
        assert 'class="portrait"' in text and "<style" not in text
        assert "BPBD Provinsi NTT" in text and f"({year})" in text
        assert "Kabupaten Kupang, Kabupaten Belu, dan Kota Kupang" in text
        assert "prabencana, tanggap darurat, dan pascabencana" in text
        assert "Kualitas pelaporan SPM" in text and "Kolaborasi pentahelix" in text
        sections = [text.index(f'id="regency-{code}"') for code in ("53.01", "53.04", "53.71")]
        assert sections == sorted(sections)
        kupang_part = text[sections[0] : sections[1]]
        belu_part = text[sections[1] : sections[2]]
        ending = text.index('id="acknowledgment"')
        kota_part = text[sections[2] : ending]
        # The document ends with the province's acknowledgment: the Gubernur by default.
        acknowledged = text[ending:]
        assert "Mengetahui," in acknowledged and "GUBERNUR NUSA TENGGARA TIMUR," in acknowledged

        assert "Tindak Lanjut" in kupang_part and kupang_hash in kupang_part
        assert kupang_part.count('class="block"') == 3
        assert kupang_part.count("Oelamasi, ") == 3
        assert "Plt. KEPALA" in kupang_part
        assert "a.n. BUPATI KUPANG," in kupang_part
        assert "NIP. 19750312 200012 1 003" in kupang_part and kupang_part.count("NIP. ") == 1
        for signer in ("kalak-5301", "bappeda-5301", "kada-5301"):
            assert escape(full_name(api, signer)) in kupang_part

        assert "Disetujui, menunggu tanda tangan" in belu_part
        assert "belum ditandatangani" in belu_part and "1 dari 3 tanda tangan" in belu_part
        assert belu_hash not in text
        assert belu_part.count('class="block"') == 1
        assert escape(full_name(api, "kalak-5304")) in belu_part

        assert "Draf" in kota_part and "belum ditandatangani" in kota_part
        assert 'class="block"' not in kota_part

        cycle_hash = cycle_document_hash({"53.01": kupang_hash, "53.04": None, "53.71": None})
        assert f'id="cycle-hash">{cycle_hash}<' in text
        assert f'id="chain-head">{chain_head(api, cycle).hash}<' in text
        assert f'id="verification-code">{verification_code(cycle_hash)}<' in text
        assert 'class="qr"' in text and "audit-verify" not in text
        assert f'href="{joint_url}.pdf"' in text

        english = await api.http.get(joint_url, params={"lang": "en"})
        assert english.status_code == 200
        assert "JOINT COMMITMENT" in english.text and "not yet signed" in english.text
        assert "Kabupaten Belu, and Kota Kupang" in english.text
        assert "Resilient villages (Destana)" in english.text
        assert "Follow-up" in english.text and "1 of 3 signatures" in english.text
        assert "a.n. BUPATI KUPANG," in english.text
        assert f'id="cycle-hash">{cycle_hash}<' in english.text

        missing = await api.http.get("/cycles/no-such-cycle/document")
        assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
