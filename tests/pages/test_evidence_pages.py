"""Evidence (bukti dukung) on the report pages, in Chromium at 390 px over a slow link.

The officer attaches two photos (one taken about 300 km from its action's location) and
a PDF through the report form, sees a refused file named next to its action with what
they typed kept, and sends the report; the reviewer sees the thumbnails the worker made,
the distance flag, opens the PDF, and returns the report naming the evidence missing
for another action; the officer reads that note beside the action, adds the file and
sends again; the reviewer verifies. The ZIP from the page holds a manifest whose hashes
are the files' own.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

from playwright.async_api import FilePayload, Page
from temporalio.testing import WorkflowEnvironment

from tests.api.client import running_api
from tests.api.test_evidence import FAR_GPS, following_up, plan
from tests.evidence.samples import jpeg, pdf, photo_exif
from tests.pages.browser import PHONE, Person, chromium, served, sign_in_browser
from tests.pages.test_accessibility import described, violations

PASSWORD = "kata-sandi-panjang"
SLOW_3G = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 400 * 1024,
    "uploadThroughput": 200 * 1024,
}
"""Roughly a slow 3G link, in bytes per second (Chrome DevTools Protocol)."""


async def throttled(person: Person) -> Person:
    """The person's tab over a slow link."""
    cdp = await person.page.context.new_cdp_session(person.page)
    await cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    return person


async def press(page: Page, selector: str) -> None:
    """Click a button and wait for the page it leads to."""
    async with page.expect_navigation():
        await page.click(selector)


def payload(name: str, content: bytes, media_type: str) -> FilePayload:
    return FilePayload(name=name, mimeType=media_type, buffer=content)


async def test_evidence_through_the_report_form_and_the_review(
    dev_server_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = dev_server_env
    store = "folder" if db_url.startswith("sqlite") else "database"
    positions = range(1, len(plan()["items"]) + 1)
    near = jpeg((480, 360), exif=photo_exif())
    far = jpeg((480, 360), exif=photo_exif(gps=FAR_GPS), colour=(10, 120, 30))
    scan, attendance = pdf(), pdf("Daftar hadir rapat koordinasi")
    async with running_api(env.client, db_url, tmp_path, evidence_store=store) as api:
        base = await following_up(api, await env.get_current_time(), f"bukti-laman-{store}")
        for username in ("operator-5301", "reviewer"):
            api.set_password(username, PASSWORD)
        path = base + "/page"
        async with served(api.app) as site, chromium() as browser:
            officer = await throttled(
                await sign_in_browser(browser, site, "operator-5301", PASSWORD, PHONE)
            )
            page = await officer.open(path)
            for n in positions:
                await page.select_option(f"[name=progress-{n}-status]", "sesuai_jadwal")
                await page.fill(f"[name=progress-{n}-percent_realised]", f"{10 * n}")
            await page.fill("[name=progress-1-narrative]", "Simulasi evakuasi di Oesapa")
            # On a phone the picker offers the camera: images, PDFs and office files only.
            picker = page.locator("#evidence-1")
            assert await picker.get_attribute("accept") == "image/*,application/pdf,.docx,.xlsx"
            assert await picker.get_attribute("multiple") is not None
            await page.set_input_files(
                "#evidence-1",
                files=[
                    payload("Foto simulasi.jpg", near, "image/jpeg"),
                    payload("Foto jauh.jpg", far, "image/jpeg"),
                ],
            )
            await page.set_input_files(
                "#evidence-2", files=[payload("Daftar hadir.pdf", scan, "application/pdf")]
            )
            await page.set_input_files(
                "#evidence-3",
                files=[payload("catatan.pdf", b"bukan pdf sama sekali", "text/plain")],
            )
            await press(page, "#form-submit_report button.plain")
            # The refused file is named beside its action, in Bahasa Indonesia; the others
            # are attached, and everything typed is still there.
            refused = await page.inner_text("#bukti-3 .field-error")
            assert "Tidak diterima: catatan.pdf" in refused, refused
            assert await page.locator("#bukti-1 li.evidence-file").count() == 2
            assert await page.locator("#bukti-2 li.evidence-file").count() == 1
            assert "Daftar hadir.pdf" in await page.inner_text("#bukti-2")
            assert await page.input_value("[name=progress-2-percent_realised]") == "20"
            narrative = await page.input_value("[name=progress-1-narrative]")
            assert narrative == "Simulasi evakuasi di Oesapa"
            assert "KB" in await page.inner_text("#bukti-2")
            await officer.screenshot("evidence-officer-390")
            assert await officer.fits_width()
            found = await violations(page)
            assert not found, described(found)
            await press(page, "#form-submit_report button.submit")
            assert "Laporan triwulan terkirim." in await page.inner_text(".notice")

            reviewer = await throttled(
                await sign_in_browser(browser, site, "reviewer", PASSWORD, PHONE)
            )
            review = await reviewer.open(path)
            # The worker makes the thumbnails: the page shows them once they are made.
            for _ in range(60):
                if await review.locator("#review-q1 img").count() == 2:
                    break
                await review.wait_for_timeout(500)
                await reviewer.open(path)
            thumbnails = review.locator("#review-q1 img")
            assert await thumbnails.count() == 2
            assert await thumbnails.first.get_attribute("loading") == "lazy"
            # Lazy: each loads once scrolled to.
            for n in range(2):
                await thumbnails.nth(n).scroll_into_view_if_needed()
            loaded = False
            for _ in range(100):
                loaded = await review.evaluate(
                    "[...document.querySelectorAll('#review-q1 img')]"
                    ".every(i => i.complete && i.naturalWidth > 0)"
                )
                if loaded:
                    break
                await review.wait_for_timeout(200)
            assert loaded, "a thumbnail did not load"
            flagged = await review.inner_text("#review-q1 li.far")
            assert "Foto jauh.jpg" in flagged and "dari lokasi aksi" in flagged, flagged
            km = re.search(r"Diambil ± (\d+) km dari lokasi aksi", flagged)
            assert km is not None and int(km.group(1)) > 200, flagged  # Ende, far from Oesapa
            assert await review.locator("#review-q1 li.far").count() == 1
            assert "WITA" in await review.inner_text("#report-q1-1")
            # The PDF opens from the page: its bytes, shown in the browser.
            href = await review.get_attribute("#report-q1-2 a:has-text('Daftar hadir.pdf')", "href")
            assert href is not None
            opened = await review.context.request.get(site + href)
            assert opened.ok and await opened.body() == scan
            assert opened.headers["content-type"] == "application/pdf"
            assert opened.headers["content-disposition"].startswith("inline")
            await review.fill("#missing-q1-3", "daftar hadir belum ada")
            await reviewer.screenshot("evidence-review-390")
            assert await reviewer.fits_width()
            found = await violations(review)
            assert not found, described(found)
            await press(review, "#form-return-q1 button[type=submit]")
            assert "dikembalikan" in await review.inner_text(".notice")

            page = await officer.open(path)
            note = await page.inner_text("#bukti-3 .missing-note")
            assert "daftar hadir belum ada" in note, note
            assert "Bukti dukung" in await page.inner_text("#bukti-1")
            await page.set_input_files(
                "#evidence-3",
                files=[payload("Daftar hadir rakor.pdf", attendance, "application/pdf")],
            )
            await officer.screenshot("evidence-officer-returned-390")
            await press(page, "#form-submit_report button.submit")
            assert "Laporan triwulan terkirim." in await page.inner_text(".notice")

            review = await reviewer.open(path)
            assert "Daftar hadir rakor.pdf" in await review.inner_text("#report-q1-3")
            zipped = await review.get_attribute("#review-q1 a.zip", "href")
            assert zipped is not None
            archive = await review.context.request.get(site + zipped)
            assert archive.ok, archive.status
            assert archive.headers["content-type"] == "application/zip"
            archived = await archive.body()
            await press(review, "#review-q1 .decision button[type=submit]")
            assert "terverifikasi" in await review.inner_text(".notice")

    with zipfile.ZipFile(io.BytesIO(archived)) as opened_zip:
        manifest = json.loads(opened_zip.read("manifest.json"))
        files = manifest["files"]
        assert sorted(f["item_position"] for f in files) == [1, 1, 2, 3]
        for entry in files:
            content = opened_zip.read(entry["path"])
            assert hashlib.sha256(content).hexdigest() == entry["sha256"]
            assert entry["size"] == len(content)
        hashes = {f["sha256"] for f in files}
        assert hashes == {hashlib.sha256(b).hexdigest() for b in (near, far, scan, attendance)}
