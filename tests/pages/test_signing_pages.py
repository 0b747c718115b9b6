"""Wet and certified signing from the commitment page, in Chromium, refusals included.

Signatories use the page in Bahasa Indonesia at phone width: the wet form takes the
stamped scan (a text file or an oversized one is refused next to the form, in their
language), the certified form takes NIK and passphrase and shows a request waiting for
BSrE until it is signed, and a signed PDF that does not validate is refused.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from playwright.async_api import FilePayload, Page
from temporalio.testing import WorkflowEnvironment

from tests.api.client import running_api
from tests.api.test_signing_methods import NIKS, approved, png_scan, signatures
from tests.bsre.fixture import running_bsre
from tests.pages.browser import PHONE, Person, chromium, served, sign_in_browser

PASSWORD = "kata-sandi-panjang"


async def refusal(page: Page) -> str:
    return await page.inner_text(".error")


async def send_scan(person: Person, scan: tuple[str, bytes, str]) -> None:
    name, content, media_type = scan
    await person.page.set_input_files(
        "#form-sign input[name=scan]",
        files=[FilePayload(name=name, mimeType=media_type, buffer=content)],
    )
    await person.page.check("#form-sign [name=confirm]")
    await person.submit("form-sign")


async def test_wet_signing_on_the_page(
    dev_server_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = dev_server_env
    async with running_api(env.client, db_url, tmp_path) as api:
        for username in ("kalak-5301", "bappeda-5301", "kada-5301"):
            api.set_password(username, PASSWORD)
        base_path, _ = await approved(api, "wet", await env.get_current_time())
        page_path = base_path + "/page"
        async with served(api.app) as site, chromium() as browser:
            head = await sign_in_browser(browser, site, "kalak-5301", PASSWORD, PHONE)
            page = await head.open(page_path)
            form = await page.inner_text("#form-sign")
            assert "Tanda tangan basah" in form and "paling besar 10 MB" in form
            assert await page.locator("#form-sign a", has_text="Unduh PDF").count() == 1
            await head.screenshot("sign-wet-phone")
            assert await head.fits_width()

            await send_scan(head, ("ttd.pdf", b"bukan pindaian", "application/pdf"))
            assert "harus PDF, PNG atau JPEG" in await refusal(page)
            big = b"\x89PNG\r\n\x1a\n" + b"0" * (10 * 1024 * 1024)
            await send_scan(head, ("ttd.png", big, "image/png"))
            assert "terlalu besar" in await refusal(page)
            assert await signatures(api, base_path) == []

            scan = png_scan()
            await send_scan(head, ("ttd-kalak.png", scan, "image/png"))
            assert "Tanda tangan tercatat" in await page.inner_text(".notice")
            listed = await page.inner_text("ul.signatures")
            assert "Tanda tangan basah (pindaian)" in listed
            assert hashlib.sha256(scan).hexdigest() in listed
            async with page.expect_download() as download_info:
                await page.click("ul.signatures a:has-text('Unduh berkas')")
            download = await download_info.value
            saved = tmp_path / "unduhan.png"
            await download.save_as(saved)
            assert saved.read_bytes() == scan
            await head.screenshot("signed-wet-phone")


async def test_certified_signing_on_the_page(
    dev_server_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = dev_server_env
    async with running_bsre(tmp_path) as bsre:
        bsre.add_user(NIKS["kalak-5301"], "rahasia-kalak")
        changes = {
            "bsre_url": bsre.url,
            "bsre_username": bsre.username,
            "bsre_password": bsre.password,
            "bsre_ca_file": bsre.ca_pem_path,
            "tte_retry_seconds": 0.2,
        }
        async with running_api(env.client, db_url, tmp_path, **changes) as api:
            api.set_password("kalak-5301", PASSWORD)
            base_path, _ = await approved(api, "certified", await env.get_current_time())
            page_path = base_path + "/page"
            async with served(api.app) as site, chromium() as browser:
                head = await sign_in_browser(browser, site, "kalak-5301", PASSWORD, PHONE)
                page = await head.open(page_path)
                assert "TTE BSrE" in await page.inner_text("#form-sign")
                await head.screenshot("sign-certified-phone")
                assert await head.fits_width()

                async def sign(passphrase: str) -> None:
                    await page.fill("#form-sign [name=nik]", NIKS["kalak-5301"])
                    await page.fill("#form-sign [name=passphrase]", passphrase)
                    await page.check("#form-sign [name=confirm]")
                    await head.submit("form-sign")

                await sign("salah-sekali")
                assert "BSrE menolak" in await refusal(page)
                assert "salah-sekali" not in await page.content()
                # The NIK stays typed; the passphrase does not.
                assert await page.input_value("#form-sign [name=nik]") == NIKS["kalak-5301"]
                assert await page.input_value("#form-sign [name=passphrase]") == ""

                bsre.mode = "corrupt"
                await sign("rahasia-kalak")
                assert "tidak lolos pemeriksaan" in await refusal(page)
                assert await signatures(api, base_path) == []

                bsre.mode = "down"
                await sign("rahasia-kalak")
                assert "menunggu layanan BSrE" in await page.inner_text("#tte-waiting")
                await head.screenshot("sign-certified-waiting-phone")
                bsre.mode = "normal"
                for _ in range(100):
                    if await signatures(api, base_path):
                        break
                    await page.wait_for_timeout(100)
                await head.open(page_path)
                assert "TTE tersertifikasi (BSrE)" in await page.inner_text("ul.signatures")
                await head.screenshot("signed-certified-phone")
