"""The coordinator assigns a Plt. by SK through the pages; the Plt. signs and is printed as Plt.

In Chromium, in Bahasa Indonesia: the coordinator goes from the header's "Pejabat" to
Kabupaten Kupang's offices, is refused a Pj. for the BPBD head (Permendagri 1/2023,
Art. 44) with the reason on the page, records the Plt. with the SK's number, and sees
them as who signs today. The Plt. signs the approved plan from its page; the former
holder, whose office now has an assignment they do not hold, is offered no signing; the
printed plan carries the Plt.'s block with pangkat and NIP. The SQLite run has the
coordinator at 390 px and the Plt. at desktop width; the PostgreSQL run the other way.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from db import people
from db.session import session_factory, transaction
from tests.api.client import running_api
from tests.api.test_signing_methods import approved
from tests.pages.browser import DESKTOP, PHONE, chromium, served, sign_in_browser

PASSWORD = "kata-sandi-panjang"
PLT = "plt-kalak-5301"


async def test_a_plt_assigned_on_the_pages_signs_and_is_printed_as_plt(
    dev_server_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = dev_server_env
    narrow, wide = (PHONE, DESKTOP) if db_url.startswith("sqlite") else (DESKTOP, PHONE)
    width = "390" if narrow is PHONE else "1366"
    async with running_api(env.client, db_url, tmp_path) as api:
        with transaction(session_factory(api.url)) as session:
            plt = people.add_user(
                session,
                username=PLT,
                full_name="Drs. Markus Tefa, M.Si.",
                email="plt@example.org",
                role="signatory",
                regency_code="53.01",
                office=None,
                nip="197803152005011002",
                now=datetime.now(UTC),
            )
            plt.pangkat = "Pembina Tk. I (IV/b)"
        for username in ("koordinator", PLT, "kalak-5301"):
            api.set_password(username, PASSWORD)
        base_path, _ = await approved(api, "confirmed", await env.get_current_time())

        async with served(api.app) as site, chromium() as browser:
            coordinator = await sign_in_browser(browser, site, "koordinator", PASSWORD, narrow)
            page = coordinator.page
            async with page.expect_navigation():
                await page.click("header nav a:has-text('Pejabat')")
            async with page.expect_navigation():
                await page.click("table.offices a:has-text('Kabupaten Kupang')")
            assert "/offices/53.01" in page.url

            async def assign(acting: str) -> None:
                await page.select_option("#office", "bpbd_head")
                await page.select_option("#username", PLT)
                await page.select_option("#acting", acting)
                await page.fill("#sk_number", "800.1.3.3/27/BKPSDM/2026")
                async with page.expect_navigation():
                    await page.click("#assign button[type=submit]")

            await assign("pj")
            refusal = await page.inner_text("#refusal")
            assert "Pj. tidak dapat dipakai untuk jabatan" in refusal, refusal
            await assign("plt")
            assert "Tersimpan." in await page.inner_text(".notice")
            holder = await page.inner_text("#office-bpbd_head .holder")
            assert holder == "Plt. Drs. Markus Tefa, M.Si."
            await coordinator.screenshot(f"offices-{width}")
            assert await coordinator.fits_width()
            # The assignment is in the person's account history, with its SK.
            history = await (await coordinator.open(f"/people/{PLT}")).inner_text("table.history")
            assert "Ditugaskan pada jabatan · 53.01 Kepala BPBD (Plt.), SK 800.1.3.3/27" in (
                history
            ), history

            # The former holder's office is now assigned, and not to them: no signing form.
            former = await sign_in_browser(browser, site, "kalak-5301", PASSWORD, wide)
            await former.open(base_path + "/page")
            assert await former.page.locator("#form-sign").count() == 0

            signer = await sign_in_browser(browser, site, PLT, PASSWORD, wide)
            sign_page = await signer.open(base_path + "/page")
            await sign_page.check("#form-sign [name=confirm]")
            await signer.submit("form-sign")
            assert "Tanda tangan tercatat" in await sign_page.inner_text(".notice")

            printed = await coordinator.open(base_path + "/document")
            blocks = " ".join((await printed.inner_text("section.signatures")).split())
            assert "Plt. KEPALA BPBD KABUPATEN KUPANG," in blocks, blocks
            assert "Drs. Markus Tefa, M.Si. Pembina Tk. I (IV/b) NIP. 19780315 200501 1 002" in (
                blocks
            )
            await coordinator.screenshot(f"printed-plt-{width}")
