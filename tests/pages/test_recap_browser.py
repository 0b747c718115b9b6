"""The province recap in headless Chromium at desktop (1366 px) and phone (390 px) width:
axe-core finds nothing serious, the page never scrolls sideways (its tables do, inside
their boxes), a figure opens the items behind it, and a code that does not exist is a
plain 404 page. Screenshots land in tests/artifacts (docs/recap.png is the desktop one)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser

from api.app import create_app
from services.settings import Settings
from tests.pages.browser import PHONE, Person, chromium, served
from tests.pages.test_accessibility import AXE, described, violations
from tests.recap_data import CYCLE, PASSWORD, seed_recap_year

WIDE = {"width": 1366, "height": 900}
RECAP = f"/cycles/{CYCLE}/recap"


async def reader(browser: Browser, base: str, username: str, viewport: dict[str, int]) -> Person:
    """A person signed in through the login form, reading in Bahasa Indonesia; the context
    bypasses the page's CSP only so that axe itself can run."""
    context = await browser.new_context(viewport=viewport, bypass_csp=True)  # type: ignore[arg-type]
    page = await context.new_page()
    await page.goto(f"{base}/login?lang=id")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    async with page.expect_navigation():
        await page.click("form.login button[type=submit]")
    assert "/login" not in page.url, await page.inner_text("main")
    return Person(page=page, base=base)


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1366px", "390px"])
async def test_the_recap_reads_well_and_drills_down_in_a_browser(
    db_url: str, tmp_path: Path, viewport: dict[str, int]
) -> None:
    assert AXE.exists(), "axe-core is missing: run `make axe`"
    seed_recap_year(db_url)
    app = create_app(Settings(database_url=db_url, data_dir=tmp_path))
    width = "desktop" if viewport is WIDE else "phone"
    async with served(app) as base, chromium() as browser:
        manager = await reader(browser, base, "manajer", viewport)
        page = await manager.open(f"/cycles/{CYCLE}/board")
        async with page.expect_navigation():
            await page.click("#recap-link")
        assert page.url.endswith(RECAP)
        await manager.open(f"{RECAP}?quarter=2")
        assert await page.inner_text("h1") == "Rekap provinsi: Rakor PB NTT 2026 (2027)"
        found = await violations(page)
        assert not found, described(found)
        assert await manager.fits_width(), "the recap scrolls sideways as a whole"
        overflowing = await page.eval_on_selector_all(
            "div.scroll", "boxes => boxes.filter(b => b.scrollWidth > b.clientWidth + 1).length"
        )
        # On a desktop every table fits its box; on a phone they scroll inside it.
        assert (overflowing == 0) is (viewport is WIDE), overflowing
        await manager.screenshot(f"recap-{width}")

        # The SPM total's "behind" figure opens the three parties behind schedule.
        behind = 'tr[data-kind="spm"][data-code="all"] td[data-figure="behind"] a >> nth=0'
        assert await page.inner_text(behind) == "6"
        async with page.expect_navigation():
            await page.click(behind)
        assert page.url.endswith(f"{RECAP}/spm/all?quarter=2&figure=behind")
        assert await page.inner_text("#drill-count") == "6 aksi dari 3 pihak"
        parties = await page.eval_on_selector_all(
            "section.party", "nodes => nodes.map(n => n.dataset.party)"
        )
        assert parties == ["53", "53.02", "53.71"]
        assert await page.locator("tr.behind").count() == 6
        found = await violations(page)
        assert not found, described(found)
        assert await manager.fits_width(), "the drill-down scrolls sideways as a whole"
        await manager.screenshot(f"recap-drill-{width}")
        # From an item to the commitment it belongs to.
        async with page.expect_navigation():
            await page.click('section[data-party="53.71"] a[href$="#item-1"]')
        assert page.url.endswith(f"/cycles/{CYCLE}/commitments/53.71/page#item-1")

        missing = await page.goto(base + f"{RECAP}/spm/spm9?quarter=2")
        assert missing is not None and missing.status == 404
        assert "Rekap tidak memiliki kelompok “spm9” pada bagian “spm”." in await page.inner_text(
            "main"
        )
        found = await violations(page)
        assert not found, described(found)
