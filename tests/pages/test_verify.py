"""The public verification page against a real signed commitment (SQLite and PostgreSQL).

Whoever holds a printed plan checks it at /verify/{code} without signing in, and learns
no more than the paper shows. Screenshots at 390 px and 1366 px land in the artefacts.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from html import escape
from pathlib import Path

import httpx
from playwright.async_api import FilePayload
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from db import models as m
from db import people, reads
from db.session import session_factory, transaction
from domain.calendar import WITA
from domain.cycle import cycle_document_hash
from domain.document import verification_code
from services.verify import ChainSeen, LookupLimit, PlanSeen, Verdict, plan_verdict
from tests.api.client import Api, running_api
from tests.pages.browser import ARTIFACTS, PHONE, chromium, served
from tests.pages.test_document import NIP, full_name
from tests.pages.test_pages import PLAN, sign_in
from tests.pages.test_pdf import approve_and_sign

SIGNERS = ("kalak-5301", "bappeda-5301", "kada-5301")
SCAN = b"%PDF-1.4\n% the stamped page, scanned\n%%EOF\n"
DESKTOP_WIDE = {"width": 1366, "height": 900}


def test_the_limit_allows_its_lookups_then_says_how_long_to_wait() -> None:
    limit = LookupLimit(limit=3, window=60.0)
    assert [limit.take("10.0.0.1", now) for now in (0.0, 1.0, 2.0)] == [0, 0, 0]
    assert limit.take("10.0.0.1", 10.0) == 51  # the first lookup leaves the window at 60
    assert limit.take("10.0.0.2", 10.0) == 0  # another address counts on its own
    assert limit.take("10.0.0.1", 59.5) == 1
    assert limit.take("10.0.0.1", 60.0) == 0  # refused lookups were not counted
    assert limit.take("10.0.0.1", 60.5) == 1


def test_the_limit_forgets_the_least_recently_seen_address_beyond_its_size() -> None:
    limit = LookupLimit(limit=1, window=60.0, max_clients=2)
    assert limit.take("a", 0.0) == 0 and limit.take("b", 1.0) == 0
    assert limit.take("a", 2.0) > 0  # a is now the most recently seen
    assert limit.take("c", 3.0) == 0  # b is forgotten
    assert limit.take("b", 4.0) == 0  # and a, now the least recently seen, is forgotten
    assert limit.take("c", 5.0) > 0 and limit.take("a", 6.0) == 0


def plan_seen(**changes: object) -> PlanSeen:
    """An approved, fully signed plan version, with `changes`."""
    values: dict[str, object] = {
        "cycle_id": "rakor-2026",
        "cycle_name": "Rakor",
        "cycle_year": 2026,
        "regency_code": "53.01",
        "regency_name": "Kabupaten Kupang",
        "version": 2,
        "approved": True,
        "approved_version": 2,
        "document_hash": "0" * 64,
        "document_format": 2,
        "signatures": [],
        "required": 3,
        "complete": True,
        "ended": False,
    }
    values.update(changes)
    return PlanSeen(**values)  # type: ignore[arg-type]


def test_the_verdict_names_the_worst_that_holds() -> None:
    intact, broken = ChainSeen(True, 10), ChainSeen(False, 4, "edited")
    assert plan_verdict(plan_seen(), intact) is Verdict.VALID
    assert plan_verdict(plan_seen(complete=False), intact) is Verdict.INCOMPLETE
    assert plan_verdict(plan_seen(approved=False, complete=False), intact) is Verdict.SUPERSEDED
    assert plan_verdict(plan_seen(ended=True), intact) is Verdict.ENDED
    assert plan_verdict(plan_seen(ended=True), broken) is Verdict.CHAIN_BROKEN


@dataclass
class Signed:
    """A cycle with Kabupaten Kupang's plan approved and signed (the Bupati wet, as Plt.)."""

    api: Api
    cycle: str
    document_hash: str
    code: str

    def visitor(self, address: str) -> httpx.AsyncClient:
        """A client with no session at all, from `address`."""
        transport = httpx.ASGITransport(app=self.api.app, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://komitmen")


@asynccontextmanager
async def signed_plan(
    env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> AsyncIterator[Signed]:
    """Kupang's plan approved and signed by all three offices; Kota Kupang only drafted."""
    year = (await env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(env.client, db_url, tmp_path) as api:
        cycle = await api.start_cycle(["53.01", "53.71"], year)
        with transaction(session_factory(api.url)) as session:
            kalak = people.get_user(session, username="kalak-5301")
            assert kalak is not None
            kalak.nip = NIP
        api.set_acting("kada-5301", "plt")
        base = f"/cycles/{cycle}/commitments/53.01"
        document_hash = await approve_and_sign(api, base, "5301", PLAN, SIGNERS)
        kota = f"/cycles/{cycle}/commitments/53.71"
        saved = await api.post(
            f"{kota}/save-draft", "operator-5371", {"plan": PLAN, "based_on_version": 0}
        )
        assert saved.status_code == 200, saved.text
        with transaction(session_factory(api.url)) as session:
            version = reads.get_version(session, commitment_id=f"{cycle}:53.01", number=1)
            assert version is not None and version.verify_code
            code = version.verify_code
            # The Bupati's signature as a wet one, with its stamped scan's hash.
            bupati = session.scalars(
                select(m.Signature).where(
                    m.Signature.commitment_id == f"{cycle}:53.01",
                    m.Signature.office == "regional_head",
                )
            ).one()
            bupati.method = "wet"
            bupati.evidence_sha256 = hashlib.sha256(SCAN).hexdigest()
            bupati.evidence_media_type = "application/pdf"
        assert code == verification_code(document_hash)
        yield Signed(api=api, cycle=cycle, document_hash=document_hash, code=code)


def kota_code(signed: Signed) -> str:
    """The code of Kota Kupang's draft, never approved."""
    with transaction(session_factory(signed.api.url)) as session:
        version = reads.get_version(session, commitment_id=f"{signed.cycle}:53.71", number=1)
        assert version is not None and version.verify_code
        return version.verify_code


def emails(api: Api, usernames: tuple[str, ...]) -> list[str]:
    """The email addresses of some people."""
    with transaction(session_factory(api.url)) as session:
        found = [people.get_user(session, username=name) for name in usernames]
        return [user.email for user in found if user is not None]


async def test_a_printed_plan_is_checked_by_its_code_without_signing_in(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    async with signed_plan(time_skipping_env, db_url, tmp_path) as signed:
        api, code = signed.api, signed.code
        async with signed.visitor("10.0.0.1") as visitor:
            page = await visitor.get(f"/verify/{code}")
            assert page.status_code == 200, page.text
            assert "text/html" in page.headers["content-type"]
            assert page.headers["cache-control"] == "no-store"
            text = page.text
            # The verdict first, then what the paper shows.
            assert text.index("Dokumen terdaftar dan sah") < text.index("Kabupaten Kupang")
            assert f'<code id="code">{code}</code>' in text
            assert 'id="regency">Kabupaten Kupang (53.01)<' in text
            assert 'id="version">1 · versi yang disetujui<' in text
            assert f'id="document-hash">{signed.document_hash}<' in text
            assert 'id="document-format">2<' in text
            assert "Tanda tangan (3 dari 3)" in text
            for signer in SIGNERS:
                assert escape(full_name(api, signer)) in text
            assert "Plt. BUPATI KUPANG," in text and "NIP. 19750312 200012 1 003" in text
            assert text.count("Dikonfirmasi di Komitmen") == 2
            assert "Tanda tangan basah (pindaian)" in text
            assert (
                f'SHA-256 pindaian</dt><dd><code class="hash">{hashlib.sha256(SCAN).hexdigest()}'
                in text
            )
            assert text.count(" WITA</dd>") == 3
            assert 'id="chain">Utuh (' in text
            assert 'action="/verify/' + code + '/file"' in text
            # Nothing the paper does not show: no items, no other regency, no email.
            for item in PLAN["items"]:
                assert escape(item["activity"]) not in text
                assert escape(item["indicator"]) not in text
            assert "Kota Kupang" not in text and "53.71" not in text
            for address in emails(api, (*SIGNERS, "operator-5301", "reviewer")):
                assert address not in text
            assert "Keluar" not in text and "set-cookie" not in page.headers

            # Typed by hand: lowercase, no dashes, O and I/L for 0 and 1.
            typed = code.replace("-", "").lower().replace("0", "o").replace("1", "l")
            again = await visitor.get(f"/verify/{typed}")
            assert again.status_code == 200 and f'<code id="code">{code}</code>' in again.text
            form = await visitor.get("/verify", params={"code": f" {typed[:6]} {typed[6:]} "})
            assert form.status_code == 303 and form.headers["location"] == f"/verify/{code}"
            blank = await visitor.get("/verify")
            assert blank.status_code == 200 and 'id="form-code"' in blank.text
            assert "Periksa keaslian dokumen" in blank.text

            english = await visitor.get(f"/verify/{code}", params={"lang": "en"})
            assert "Registered and valid document" in english.text
            assert "Wet ink signature (scan)" in english.text and "Intact (" in english.text
            await visitor.get(f"/verify/{code}", params={"lang": "id"})

            as_json = await visitor.get(f"/verify/{code}", headers={"Accept": "application/json"})
            assert as_json.status_code == 200
            body = as_json.json()
            assert body["known"] and body["verdict"] == "valid" and body["joint"] is None
            assert body["plan"]["regency_code"] == "53.01" and body["chain"]["intact"]
            assert [s["method"] for s in body["plan"]["signatures"]].count("wet") == 1
            assert "items" not in body["plan"]

            # Unknown and garbage codes: a clear page, never a 500.
            unknown = await visitor.get("/verify/zzzz-zzzz-zzzz")
            assert unknown.status_code == 404 and "Kode tidak dikenal" in unknown.text
            assert "ZZZZ-ZZZZ-ZZZZ" in unknown.text and 'id="form-file"' not in unknown.text
            for garbage in ("not-a-code!!", "%F0%9F%98%80", "A" * 500, "7K3M-Q9XD-2P4", "U" * 12):
                bad = await visitor.get(f"/verify/{garbage}")
                assert bad.status_code == 422, (garbage, bad.status_code)
                assert "Bukan kode verifikasi" in bad.text and "12 huruf dan angka" in bad.text
            typo = await visitor.get("/verify", params={"code": "12345"})
            assert typo.status_code == 422 and 'value="12345"' in typo.text
            unknown_json = await visitor.get(
                "/verify/zzzz-zzzz-zzzz", headers={"Accept": "application/json"}
            )
            assert unknown_json.status_code == 404 and unknown_json.json()["verdict"] == "unknown"

            # A draft never approved is known, but not the approved version; Kupang's not shown.
            draft = await visitor.get(f"/verify/{kota_code(signed)}")
            assert draft.status_code == 200
            assert "Dokumen terdaftar, tetapi bukan versi yang disetujui" in draft.text
            assert "belum ada versi yang disetujui" in draft.text
            assert "Tanda tangan (0 dari 3)" in draft.text
            assert "Kabupaten Kupang" not in draft.text and signed.document_hash not in draft.text

            # The joint commitment's code: its current cycle hash.
            cycle_hash = cycle_document_hash({"53.01": signed.document_hash, "53.71": None})
            joint = await visitor.get(f"/verify/{verification_code(cycle_hash)}")
            assert joint.status_code == 200, joint.text
            assert "Dokumen terdaftar dan sah" in joint.text
            assert "Komitmen bersama penanggulangan bencana" in joint.text
            assert f'id="cycle-hash">{cycle_hash}<' in joint.text
            assert 'id="regency-53.01"' in joint.text and 'id="regency-53.71"' in joint.text
            assert (
                "3 dari 3" in joint.text and "0 dari 3 · tanda tangan belum lengkap" in joint.text
            )

        await check_files_limit_and_chain(signed)


async def check_files_limit_and_chain(signed: Signed) -> None:
    """The file check, the rate limit, and a tampered audit trail."""
    api, code = signed.api, signed.code
    await sign_in(api, "operator-5301")
    generated = await api.http.get(f"/cycles/{signed.cycle}/commitments/53.01/document.pdf")
    assert generated.status_code == 200
    api.http.cookies.clear()
    async with signed.visitor("10.0.0.2") as visitor:
        files = {"file": ("scan.pdf", SCAN, "application/pdf")}
        scan = await visitor.post(f"/verify/{code}/file", files=files)
        assert scan.status_code == 200, scan.text
        assert "Berkas ini sama dengan yang tercatat" in scan.text
        assert "pindaian bertanda tangan Plt. BUPATI KUPANG, " in scan.text
        assert f'id="file-sha256">{hashlib.sha256(SCAN).hexdigest()}<' in scan.text
        assert scan.text.index('id="file-result"') < scan.text.index('id="document"')

        pdf = {"file": ("rencana-aksi.pdf", generated.content, "application/pdf")}
        same = await visitor.post(f"/verify/{code}/file", files=pdf)
        assert "PDF yang dibuat Komitmen untuk dokumen ini (Bahasa Indonesia)" in same.text

        other = {"file": ("lain.pdf", b"%PDF-1.4 something else %%EOF", "application/pdf")}
        differs = await visitor.post(f"/verify/{code}/file", files=other)
        assert differs.status_code == 200
        assert "Berkas ini tidak sama dengan berkas mana pun" in differs.text

        empty = await visitor.post(f"/verify/{code}/file", data={"nothing": "here"})
        assert empty.status_code == 422 and "Pilih berkas dulu." in empty.text
        back = await visitor.get(f"/verify/{code.lower()}/file")
        assert back.status_code == 303 and back.headers["location"] == f"/verify/{code}"
        unknown = await visitor.post("/verify/ZZZZ-ZZZZ-ZZZZ/file", files=files)
        assert unknown.status_code == 404 and "Berkas ini sama" not in unknown.text

        as_json = await visitor.post(
            f"/verify/{code}/file", files=files, headers={"Accept": "application/json"}
        )
        assert as_json.json()["file_check"]["matches"][0]["kind"] == "evidence"

    # 30 lookups a minute from one address, the file checks included; then 429.
    async with signed.visitor("10.1.2.3") as busy, signed.visitor("10.9.9.9") as calm:
        for _ in range(29):
            assert (await busy.get("/verify/ZZZZ-ZZZZ-ZZZZ")).status_code == 404
        assert (await busy.post(f"/verify/{code}/file", files=files)).status_code == 200
        refused = await busy.get(f"/verify/{code}")
        assert refused.status_code == 429
        wait = int(refused.headers["retry-after"])
        assert 1 <= wait <= 60
        assert "Terlalu banyak pemeriksaan" in refused.text
        assert f"Coba lagi dalam {wait} detik" in refused.text
        assert signed.document_hash not in refused.text
        assert (await busy.post(f"/verify/{code}/file", files=files)).status_code == 429
        refused_json = await busy.get(f"/verify/{code}", headers={"Accept": "application/json"})
        assert refused_json.status_code == 429 and refused_json.json()["retry_after"] >= 1
        # The form itself looks nothing up; another address has its own count.
        assert (await busy.get("/verify")).status_code == 200
        assert (await calm.get(f"/verify/{code}")).status_code == 200

    # An audit row edited behind Komitmen's back: the page says so, without the row.
    with transaction(session_factory(api.url)) as session:
        row = session.scalars(
            select(m.AuditEvent)
            .where(m.AuditEvent.cycle_id == signed.cycle, m.AuditEvent.action == "sign")
            .order_by(m.AuditEvent.chain_seq)
        ).first()
        assert row is not None
        row.actor = "someone else"
    async with signed.visitor("10.4.4.4") as visitor:
        tampered = await visitor.get(f"/verify/{code}")
        assert tampered.status_code == 200
        assert "Dokumen terdaftar, tetapi catatannya tidak utuh" in tampered.text
        assert "Tidak utuh: ada entri yang diubah setelah dicatat" in tampered.text
        assert "Dokumen terdaftar dan sah" not in tampered.text
        assert "someone else" not in tampered.text


async def test_the_verification_page_reads_well_on_a_phone_and_a_desktop(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    async with (
        signed_plan(time_skipping_env, db_url, tmp_path) as signed,
        served(signed.api.app) as base,
        chromium() as browser,
    ):
        for name, viewport in (("phone", PHONE), ("desktop", DESKTOP_WIDE)):
            context = await browser.new_context(viewport=viewport)  # type: ignore[arg-type]
            page = await context.new_page()
            response = await page.goto(f"{base}/verify/{signed.code.lower().replace('-', '')}")
            assert response is not None and response.status == 200
            verdict = page.locator("#verdict h1")
            assert "Dokumen terdaftar dan sah" in await verdict.inner_text()
            # The verdict is the first thing on the page, above the fold.
            box = await verdict.bounding_box()
            assert box is not None and box["y"] < 200
            assert await page.evaluate(
                "document.documentElement.scrollWidth <= window.innerWidth + 1"
            )
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / f"verify-{name}.png"), full_page=True)
            if name == "phone":
                await page.set_input_files(
                    "input[name=file]",
                    files=FilePayload(name="scan.pdf", mimeType="application/pdf", buffer=SCAN),
                )
                async with page.expect_navigation():
                    await page.click("#form-file button[type=submit]")
                assert "Berkas ini sama" in await page.inner_text("#file-result")
                await page.screenshot(path=str(ARTIFACTS / "verify-file-phone.png"), full_page=True)
                await page.goto(f"{base}/verify/ZZZZ-ZZZZ-ZZZZ")
                await page.screenshot(
                    path=str(ARTIFACTS / "verify-unknown-phone.png"), full_page=True
                )
            await context.close()
