"""Every role in real headless Chromium: draft, review, sign, report, verify; the board follows."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from domain.calendar import WITA, at_wita, end_of_day
from tests.api.client import running_api
from tests.harness import until
from tests.pages.browser import ARTIFACTS, DESKTOP, PHONE, chromium, served, sign_in_browser

PASSWORD = "kata-sandi-panjang"
PEOPLE = (
    "koordinator",
    "reviewer",
    "manajer",
    "operator-5301",
    "kalak-5301",
    "bappeda-5301",
    "kada-5301",
)


async def test_every_role_works_a_commitment_through_in_chromium(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = time_skipping_env
    year = (await env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(env.client, db_url, tmp_path) as api:
        for username in PEOPLE:
            api.set_password(username, PASSWORD)
        cycle = await api.start_cycle(["53.01", "53.71"], year)
        board_path = f"/cycles/{cycle}/board"
        page_path = f"/cycles/{cycle}/commitments/53.01/page"
        manager_path = f"/cycles/{cycle}/manager"
        async with served(api.app) as base, chromium() as browser:
            coordinator = await sign_in_browser(browser, base, "koordinator", PASSWORD)
            assert coordinator.page.url == base + "/"  # "Tugas saya" (tests/pages/test_tasks.py)
            await coordinator.open(board_path)
            assert await coordinator.page.locator("tr.overdue").count() == 0

            officer = await sign_in_browser(browser, base, "operator-5301", PASSWORD)
            page = await officer.open(page_path)
            await page.select_option("[name=item-1-strategic_issue]", "destana")
            await page.select_option("[name=item-1-phase]", "pra_bencana")
            await page.fill("[name=item-1-activity]", "Pembentukan Destana di Desa Oesao")
            await page.fill("[name=item-1-indicator]", "Desa Tangguh Bencana terbentuk")
            await page.fill("[name=item-1-target_value]", "2")
            await page.fill("[name=item-1-target_unit]", "desa")
            await page.check("[name=item-1-due_quarters][value='1']")
            await page.check("[name=item-1-due_quarters][value='2']")
            await page.fill("[name=item-1-responsible_unit]", "Bidang Pencegahan")
            await page.fill("[name=item-1-location]", "Kupang Timur")
            await page.check("[name=item-1-partners][value=masyarakat]")
            await page.fill("[name=item-1-budget_rp]", "40000000")
            await officer.screenshot("draft-form")
            await officer.submit("form-save_draft")
            assert "Draf tersimpan" in await page.inner_text(".notice")
            await officer.submit("form-submit")
            assert "Dalam Reviu" in await page.inner_text("p.status")

            reviewer = await sign_in_browser(browser, base, "reviewer", PASSWORD)
            page = await reviewer.open(page_path)
            await page.fill("[name=comment-1]", "Sebutkan jumlah relawan yang dilatih.")
            await reviewer.submit("form-request_changes")
            assert "Perlu Revisi" in await page.inner_text("p.status")

            page = await officer.open(page_path)
            # The comment stands in the editor's row of the action it concerns.
            assert "Sebutkan jumlah relawan yang dilatih." in await page.inner_text("#row-1")
            await page.fill("[name=item-1-activity]", "Pembentukan Destana dan 30 relawan di Oesao")
            await officer.submit("form-save_draft")
            await officer.submit("form-submit")
            assert "Pembentukan Destana dan 30 relawan di Oesao" in await page.inner_text(
                "table.diff ins"
            )

            page = await reviewer.open(page_path)
            await reviewer.submit("form-approve")
            assert "menunggu tanda tangan" in await page.inner_text("p.status")

            # The acting status is on the signer's account (the demo directory's Bupati
            # Kupang is a Plt.); the sign form shows it and offers no choice.
            api.set_acting("kalak-5301", "plt")
            for username, shown in (
                ("kalak-5301", "Plt."),
                ("bappeda-5301", "pejabat definitif"),
                ("kada-5301", "Plt."),
            ):
                viewport = PHONE if username == "kada-5301" else DESKTOP
                signatory = await sign_in_browser(browser, base, username, PASSWORD, viewport)
                page = await signatory.open(page_path)
                if username == "kada-5301":
                    ARTIFACTS.mkdir(parents=True, exist_ok=True)
                    shot = ARTIFACTS / "sign-form-phone.png"
                    await page.locator("#form-sign").screenshot(path=str(shot))
                assert await page.locator("#form-sign [name=acting]").count() == 0
                signing_as = await page.inner_text("#form-sign .signing-as")
                assert f"Anda menandatangani sebagai {shown}" in signing_as
                await page.check("#form-sign [name=confirm]")
                await signatory.submit("form-sign")
                assert "Tanda tangan tercatat." in await page.inner_text(".notice")
            assert "Tindak Lanjut" in await page.inner_text("p.status")
            assert "Plt." in await page.inner_text("ul.signatures")

            manager = await sign_in_browser(browser, base, "manajer", PASSWORD)
            # The demo manager reads English on record; here they switch to Indonesian.
            await manager.open(board_path + "?lang=id")
            assert await manager.page.locator("tr.overdue").count() == 0
            page = await manager.open(manager_path)
            assert await page.locator("table.overdue-list tbody tr").count() == 0

            await until(env, end_of_day(date(year, 1, 15)) + timedelta(days=2))
            page = await manager.open(board_path)
            overdue = page.locator("tr.overdue")
            assert await overdue.count() == 1
            assert "Kota Kupang" in await overdue.inner_text()
            page = await manager.open(manager_path)
            rows = page.locator("table.overdue-list tbody tr")
            assert await rows.count() == 1
            assert await rows.first.get_attribute("data-regency") == "53.71"
            await page.select_option("#overdue select[name=regency]", "53.01")
            async with page.expect_navigation():
                await page.click("form.filters button[type=submit]")
            assert await page.locator("table.overdue-list tbody tr").count() == 0

            # The first-quarter report opens in the quarter's last month.
            await until(env, at_wita(date(year, 3, 1), 0))
            page = await officer.open(page_path)
            await page.select_option("[name=quarter]", "1")
            await page.select_option("[name=progress-1-status]", "sesuai_jadwal")
            await page.fill("[name=progress-1-percent_realised]", "40")
            await page.fill("[name=progress-1-narrative]", "Musyawarah desa selesai")
            await page.fill("[name=progress-1-evidence]", "https://bpbd.kupangkab.go.id/destana")
            await officer.submit("form-submit_report")
            assert "Laporan triwulan terkirim." in await page.inner_text(".notice")

            page = await reviewer.open(page_path)
            async with page.expect_navigation():
                await page.click("#review-q1 form.inline-form button")
            assert "Terverifikasi" in await page.inner_text("section:has(h2:text('Laporan'))")

            page = await manager.open(board_path)
            row = page.locator("tr", has_text="Kabupaten Kupang")
            assert "1/4" in await row.inner_text()
            await manager.screenshot("board")
            page = await manager.open(manager_path)
            assert "40,0%" in await page.inner_text("table.progress-table")
            await manager.screenshot("manager")
            await manager.open(page_path)
            await manager.screenshot("commitment")

            phone = await sign_in_browser(browser, base, "manajer", PASSWORD, viewport=PHONE)
            for path in (page_path, board_path):
                await phone.open(path)
                assert await phone.fits_width(), f"{path} scrolls sideways on a phone"
            await phone.screenshot("board-phone")
        assert [r[1] for r in api.commitment_rows()] == ["follow_up", "drafting"]


async def test_an_officer_types_amounts_the_indonesian_way_in_chromium(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = time_skipping_env
    year = (await env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(env.client, db_url, tmp_path) as api:
        api.set_password("operator-5301", PASSWORD)
        cycle = await api.start_cycle(["53.01"], year)
        base_path = f"/cycles/{cycle}/commitments/53.01"
        async with served(api.app) as base, chromium() as browser:
            officer = await sign_in_browser(browser, base, "operator-5301", PASSWORD, PHONE)
            page = await officer.open(f"{base_path}/page")
            await page.select_option("[name=item-1-strategic_issue]", "destana")
            await page.select_option("[name=item-1-phase]", "pra_bencana")
            await page.fill("[name=item-1-activity]", "Pembentukan Destana di Desa Oesao")
            await page.fill("[name=item-1-indicator]", "Desa Tangguh Bencana terbentuk")
            await page.fill("[name=item-1-target_unit]", "desa")
            await page.check("[name=item-1-due_quarters][value='1']")
            await page.fill("[name=item-1-responsible_unit]", "Bidang Pencegahan")
            await page.fill("[name=item-1-location]", "Kupang Timur")
            # First as an English reader would: refused next to the field, saying the form.
            await page.fill("[name=item-1-target_value]", "12.5")
            await page.fill("[name=item-1-budget_rp]", "150.000.000")
            await officer.submit("form-save_draft")
            error = await page.inner_text("label:has([name=item-1-target_value]) .field-error")
            assert "misalnya 150.000.000 atau 12,5" in error
            assert (
                await page.locator("label:has([name=item-1-budget_rp]) .field-error").count() == 0
            )
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            refused_shot = ARTIFACTS / "number-refused-phone.png"
            await page.locator("#row-1").screenshot(path=str(refused_shot))
            await page.fill("[name=item-1-target_value]", "12,5")
            await officer.submit("form-save_draft")
            assert "Draf tersimpan" in await page.inner_text(".notice")
            assert await page.input_value("[name=item-1-budget_rp]") == "150.000.000"
            assert await page.input_value("[name=item-1-target_value]") == "12,50"

            # Before submitting, the page shows the amounts as they are recorded.
            recorded = await page.inner_text("#form-submit #recorded-1")
            assert "Pagu: Rp150.000.000" in recorded and "Target: 12,50 desa" in recorded
            await page.locator("#form-submit").scroll_into_view_if_needed()
            await page.locator("#form-submit").screenshot(path=str(ARTIFACTS / "submit-phone.png"))
            assert await officer.fits_width()
            await officer.submit("form-submit")
            assert "Dalam Reviu" in await page.inner_text("p.status")

            approved = await api.post(f"{base_path}/approve", "reviewer", {"version": 1})
            assert approved.status_code == 200, approved.text
            body = {"document_hash": approved.json()["document_hash"]}
            for signer in ("kalak-5301", "bappeda-5301", "kada-5301"):
                signed = await api.post(f"{base_path}/sign", signer, body)
                assert signed.is_success, signed.text

            page = await officer.open(f"{base_path}/document")
            assert "Rp150.000.000" in await page.inner_text("#item-1")
            await officer.screenshot("document-phone")
