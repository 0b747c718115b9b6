"""The people desk in Chromium, once at 1366 px (SQLite) and once at 390 px (PostgreSQL).

A coordinator adds a person (a bad NIP first: the error stands next to the field, in
Bahasa Indonesia), imports 32 people from a workbook whose two bad rows the preview
shows with their errors (the 30 others are added), and deactivates a person whose page
session is open in a second browser: its next page load goes to the sign-in form. Every
page fits the width and is kept as a screenshot in tests/artifacts/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import FilePayload, Page

from api.app import create_app
from db import people
from db.session import session_factory, transaction
from domain.catalog import load_catalog
from komitmen.demo import seed_demo_users
from services.settings import Settings
from services.signin import hash_password
from tests.api.test_people import rows, xlsx
from tests.databases import database
from tests.pages.browser import DESKTOP, PHONE, Person, chromium, served, sign_in_browser

PASSWORD = "kata-sandi-panjang"
WIDE = {**DESKTOP, "width": 1366}


def seed(url: str) -> None:
    """The demo directory; the coordinator and one officer can sign in."""
    hashed = hash_password(PASSWORD)
    with transaction(session_factory(url)) as session:
        seed_demo_users(session, load_catalog())
        for username in ("koordinator", "operator-5371"):
            assert people.set_password(session, username=username, password_hash=hashed)


async def shot(person: Person, name: str, label: str) -> None:
    """The page fits the width; a screenshot of it."""
    assert await person.fits_width(), f"{name} scrolls sideways at {label} px"
    await person.screenshot(f"people-{name}-{label}")


async def submit(page: Page, selector: str) -> None:
    """Press a button and wait for the next page."""
    async with page.expect_navigation():
        await page.click(selector)


@pytest.mark.parametrize(("kind", "viewport"), [("sqlite", WIDE), ("postgres", PHONE)])
async def test_a_coordinator_adds_imports_and_deactivates_people(
    kind: str, viewport: dict[str, int], tmp_path: Path
) -> None:
    label = str(viewport["width"])
    with database(kind, tmp_path) as url:
        seed(url)
        app = create_app(Settings(database_url=url, outbox_dir=tmp_path / "outbox"))
        async with served(app) as site, chromium() as browser:
            officer = await sign_in_browser(browser, site, "operator-5371", PASSWORD, viewport)
            coordinator = await sign_in_browser(browser, site, "koordinator", PASSWORD, viewport)
            page = coordinator.page

            await page.click("a.people-link")
            assert await page.inner_text("h1") == "Pengguna"
            await shot(coordinator, "list", label)

            # One person: a bad NIP first.
            await submit(page, "a[href='/people/new']")
            await page.fill("#full_name", "Yohanes Bosco Ndun")
            await page.fill("#username", "yohanes.ndun")
            await page.fill("#nip", "19801301 200501 1 002")
            await page.select_option("#pangkat", "Penata Tk. I (III/d)")
            await page.fill("#jabatan", "Kepala Seksi Kesiapsiagaan")
            await page.select_option("#role", "regency_officer")
            await page.select_option("#regency", "53.05")
            await page.fill("#email", "yohanes.ndun@example.org")
            await submit(page, "#person-form button[type=submit]")
            error = page.locator("#nip-error")
            assert "tanggal ini tidak ada" in await error.inner_text()
            assert await page.get_attribute("#nip", "aria-invalid") == "true"
            assert await page.input_value("#full_name") == "Yohanes Bosco Ndun"
            await shot(coordinator, "new-error", label)
            await page.fill("#nip", "19801201 200501 1 002")
            await submit(page, "#person-form button[type=submit]")
            assert "/people/yohanes.ndun" in page.url
            assert "19801201 200501 1 002" in await page.inner_text("main")
            await shot(coordinator, "person", label)

            # Many people: 32 rows, two of them bad.
            table = rows(32)
            table[7][2] = "19851301 201001 1 007"  # month 13
            table[20][5] = "operator"  # no such role
            await page.goto(f"{site}/people/import")
            await shot(coordinator, "import-form", label)
            await page.set_input_files(
                "#file",
                files=FilePayload(
                    name="daftar-pengguna.xlsx",
                    mimeType="application/octet-stream",
                    buffer=xlsx(table),
                ),
            )
            await submit(page, "#import-upload button[type=submit]")
            main = await page.inner_text("main")
            assert "30 baris dapat ditambahkan; 2 baris bermasalah." in main
            assert "tanggal ini tidak ada" in await page.inner_text("#row-9")
            assert "Peran tidak dikenal" in await page.inner_text("#row-22")
            await shot(coordinator, "import", label)
            await submit(page, "#import-confirm button[type=submit]")
            assert "30 pengguna telah ditambahkan" in await page.inner_text("main")
            await shot(coordinator, "import-done", label)
            with transaction(session_factory(url)) as session:
                added = people.search_accounts(session, text="impor-")
                assert len(added) == 30

            # Deactivate a person whose session is open elsewhere.
            await officer.open("/")
            await page.goto(f"{site}/people?q=operator-5371")
            await submit(page, "a[href='/people/operator-5371']")
            await submit(page, "#deactivate-form button[type=submit]")  # not ticked
            assert "Centang kotak" in await page.inner_text("#confirm-error")
            await page.check("#confirm")
            await submit(page, "#deactivate-form button[type=submit]")
            assert "Akun telah dinonaktifkan." in await page.inner_text("main")
            assert "Dinonaktifkan" in await page.inner_text("table.history")
            await shot(coordinator, "deactivated", label)
            await officer.page.reload()
            assert "/login" in officer.page.url
