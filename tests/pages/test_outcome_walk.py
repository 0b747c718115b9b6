"""In Chromium at 390 px and 1366 px: an officer links an action to every kind of outcome,
the reviewer sees the links and approves, a signatory reads them, and a quarterly report's
budget realised shows its share of the budget beside kendala and tindak lanjut.

Screenshots land in /tmp/wt-forms-shots (or KOMITMEN_TEST_SHOTS); axe-core finds no serious
violation on the editor, the review, the signing page, the report form and the report review.
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.async_api import Page
from temporalio.testing import WorkflowEnvironment

from tests.api.client import running_api
from tests.pages.browser import DESKTOP, PHONE, chromium, served
from tests.pages.test_accessibility import AXE, PASSWORD, described, signed_in, violations
from tests.pages.test_pdf import pages_text
from tests.schedules import reporting_cycle

SHOTS = Path(os.environ.get("KOMITMEN_TEST_SHOTS", "/tmp/wt-forms-shots"))
WIDE = {**DESKTOP, "width": 1366}


async def shoot(page: Page, name: str, kind: str) -> None:
    """Full-page screenshots at 390 px and 1366 px; neither may scroll sideways, and axe-core
    finds no serious violation at either width."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    current = page.viewport_size
    for label, size in (("390", PHONE), ("1366", WIDE)):
        await page.set_viewport_size(size)  # type: ignore[arg-type]
        wide = await page.evaluate("document.documentElement.scrollWidth")
        assert wide <= size["width"] + 1, f"{name} scrolls sideways at {label} px ({wide})"
        await page.screenshot(path=str(SHOTS / f"{name}-{kind}-{label}.png"), full_page=True)
        found = await violations(page)
        assert not found, f"{name} at {label} px:\n{described(found)}"
    if current is not None:
        await page.set_viewport_size(current)


async def press(page: Page, selector: str) -> None:
    """Click a button that posts a form, and wait for the answer."""
    async with page.expect_navigation():
        await page.click(selector)


async def test_outcomes_are_linked_reviewed_signed_and_reported_in_chromium(
    dev_server_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    assert AXE.exists(), "axe-core is missing: run `make axe`"
    env = dev_server_env
    kind = "sqlite" if db_url.startswith("sqlite") else "postgres"
    # Each role walks at one width in one database's run and the other in the other's.
    narrow, wide = (PHONE, WIDE) if kind == "sqlite" else (WIDE, PHONE)
    async with running_api(env.client, db_url, tmp_path) as api:
        for username in ("operator-5301", "reviewer", "kalak-5301"):
            api.set_password(username, PASSWORD)
        year, schedule = reporting_cycle(await env.get_current_time())
        cycle = await api.start_cycle(["53.01"], year, schedule.model_dump(mode="json"))
        path = f"/cycles/{cycle}/commitments/53.01/page"
        async with served(api.app) as site, chromium() as browser:
            officer = await signed_in(browser, site, "operator-5301", narrow)
            await officer.goto(site + path)
            p = "[name=item-1-"
            await officer.select_option(p + "strategic_issue]", "destana")
            await officer.select_option(p + "phase]", "pra_bencana")
            await officer.fill(p + "activity]", "Pembentukan Destana dan pelatihan relawan")
            await officer.fill(p + "indicator]", "Desa tangguh bencana terbentuk")
            await officer.fill(p + "target_value]", "12,5")
            await officer.fill(p + "target_unit]", "desa")
            await officer.check(p + "due_quarters][value='4']")
            await officer.fill(p + "responsible_unit]", "Bidang Pencegahan")
            await officer.fill(p + "location]", "Kupang Timur")
            await officer.fill(p + "budget_rp]", "150.000.000")
            await officer.fill(p + "baseline]", "2")
            await officer.fill(p + "target_q1]", "2,5")
            await officer.fill(p + "target_q2]", "5")
            await officer.fill(p + "target_q4]", "12,5")
            await officer.click("#item-1-outcomes > summary")
            # The SIPD code appears once its service is ticked.
            assert not await officer.is_visible(p + "spm_sipd-spm2]")
            await officer.check(p + "spm][value=spm2]")
            assert await officer.is_visible(p + "spm_sipd-spm2]")
            await officer.fill(p + "spm_sipd-spm2]", "1.05.03.2.02")
            await officer.select_option(p + "ikd-1-priority]", "6")
            await officer.fill(p + "ikd-1-indicator]", "48")
            await officer.select_option(p + "ikd-2-priority]", "3")
            await officer.check(p + "sendai][value=A]")
            await officer.check(p + "sendai][value=G]")
            await officer.fill(p + "destana-1-village_code]", "5303010001")
            await officer.select_option(p + "destana-1-level]", "madya")
            # A village of Timor Tengah Selatan (5304): refused next to its field.
            await officer.fill(p + "destana-2-village_code]", "5304010001")
            await officer.select_option(p + "destana-2-level]", "pratama")
            await press(officer, "button[form=form-save_draft]")
            error = officer.locator("#item-1-destana-2-village_code + .field-error")
            assert "tidak berada di Kabupaten Kupang" in await error.inner_text()
            assert "#item-1-destana-2-village_code" in await officer.inner_html("#error-summary")
            # What was typed is kept, the outcomes open where the error is.
            assert await officer.input_value(p + "budget_rp]") == "150.000.000"
            assert await officer.is_visible(p + "destana-2-village_code]")
            await shoot(officer, "editor-refused", kind)
            await officer.fill(p + "destana-2-village_code]", "5303020004")
            await press(officer, "button[form=form-save_draft]")
            assert "Draf tersimpan" in await officer.inner_text(".notice")
            assert await officer.input_value(p + "target_q1]") == "2,50"
            assert await officer.input_value(p + "spm_sipd-spm2]") == "1.05.03.2.02"
            recorded = await officer.inner_text("#recorded-1")
            assert "Kondisi awal (baseline): 2 desa" in recorded
            await shoot(officer, "editor", kind)
            await press(officer, "button[form=form-submit]")
            assert "Dalam Reviu" in await officer.inner_text("p.status")

            # The reviewer reads the links by their names, then approves.
            reviewer = await signed_in(browser, site, "reviewer", wide)
            await reviewer.goto(site + path)
            details = await reviewer.inner_text("#review tr.item-details")
            for shown in (
                "Kondisi awal (baseline): 2 desa",
                "Target triwulan: TW I 2,50 · TW II 5 · TW III — · TW IV 12,50 desa",
                "SPM 2: Pelayanan pencegahan dan kesiapsiagaan terhadap bencana "
                "(SIPD 1.05.03.2.02)",
                "IKD prioritas 3: Pengembangan sistem informasi, diklat dan logistik",
                "IKD prioritas 6: Perkuatan kesiapsiagaan dan penanganan darurat bencana, "
                "indikator 48",
                "Sendai A: Mengurangi kematian akibat bencana",
                "Sendai G: Meningkatkan akses sistem peringatan dini multi-ancaman",
                "Destana desa 5303010001: Madya (Perka BNPB 1/2012)",
                "Destana desa 5303020004: Pratama (Perka BNPB 1/2012)",
            ):
                assert shown in details, (shown, details)
            await shoot(reviewer, "review", kind)
            await press(reviewer, "#form-approve button")
            assert "menunggu tanda tangan" in await reviewer.inner_text("p.status")

            # A signatory reads the same lines under the action they sign.
            signer = await signed_in(browser, site, "kalak-5301", narrow)
            await signer.goto(site + path)
            assert "Destana desa 5303010001" in await signer.inner_text("#signing")
            await shoot(signer, "sign", kind)
            document = (await api.get(f"/cycles/{cycle}/commitments/53.01", "reviewer")).json()
            for office in ("kalak-5301", "bappeda-5301", "kada-5301"):
                body = {"document_hash": document["document_hash"]}
                signed = await api.post(f"/cycles/{cycle}/commitments/53.01/sign", office, body)
                assert signed.is_success, signed.text

            # The report: budget realised typed the Indonesian way shows its share once the
            # form comes back (uploading evidence keeps what was typed), then goes out.
            await officer.goto(site + path)
            q = "[name=progress-1-"
            await officer.select_option(q + "status]", "sesuai_jadwal")
            await officer.fill(q + "percent_realised]", "25")
            await officer.fill(q + "realised_rp]", "37.500.000")
            await officer.fill(q + "obstacles]", "Akses jalan ke Desa Oesao terputus banjir")
            await officer.fill(q + "follow_up]", "Pelatihan relawan dijadwalkan ulang April")
            await press(officer, "#form-submit_report button.plain")
            share = await officer.inner_text("#progress-1-realised_share")
            assert share == "Realisasi anggaran: Rp37.500.000 (25 % dari pagu)"
            await shoot(officer, "report", kind)
            await press(officer, "#form-submit_report button.submit")
            assert "Laporan triwulan terkirim." in await officer.inner_text(".notice")

            await reviewer.goto(site + path)
            report = await reviewer.inner_text("#review-q1")
            assert "Realisasi anggaran: Rp37.500.000 (25 % dari pagu)" in report
            assert "Kendala: Akses jalan ke Desa Oesao terputus banjir" in report
            assert "Rencana tindak lanjut: Pelatihan relawan dijadwalkan ulang April" in report
            assert "Destana desa 5303020004" in report
            await shoot(reviewer, "report-review", kind)
            await press(reviewer, "#review-q1 form.inline-form button")
            assert "terverifikasi" in await reviewer.inner_text(".notice")

            # The printed plan and its PDF carry the details under the row.
            printed = f"/cycles/{cycle}/commitments/53.01/document"
            await reviewer.goto(site + printed)
            assert "Sendai G" in await reviewer.inner_text("table.items")
            await shoot(reviewer, "document", kind)
            answer = await reviewer.context.request.get(site + printed + ".pdf")
            assert answer.ok, answer.status
            pdf = await answer.body()
    text = "\n".join(pages_text(pdf, f"outcomes-plan-{kind}"))
    assert "Sendai G: Meningkatkan akses" in text and "TW IV 12,50" in text
