"""Real headless Chromium (Debian's `chromium` package, driven by Playwright) on the served app.

The app is served over real HTTP by uvicorn in the test's event loop, beside the
worker, so the browser goes through the same stack a person does. Screenshots land
in `tests/artifacts/` (or KOMITMEN_TEST_ARTIFACTS).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from playwright.async_api import Browser, Page, async_playwright

from komitmen.devserver import free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("KOMITMEN_TEST_ARTIFACTS", ROOT / "tests" / "artifacts"))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """Serve the app over HTTP on a free loopback port; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises why it could not start
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Headless Chromium from the system package; never a downloaded browser."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class Person:
    """One signed-in person: a browser context of their own, with their cookies."""

    page: Page
    base: str

    async def open(self, path: str) -> Page:
        """Go to a path of the app and wait for the page to load."""
        response = await self.page.goto(self.base + path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        return self.page

    async def submit(self, form_id: str) -> None:
        """Press a form's submit button (in the form, or one naming it) and wait for the answer.

        Not the button kept out of sight for the Enter key, nor one that posts elsewhere
        (a file's "Remove" in the report form)."""
        mine = "button[type=submit]:not(.implicit-submit):not([formaction])"
        button = f"#{form_id} {mine}, {mine}[form={form_id}]"
        async with self.page.expect_navigation():
            await self.page.click(button)

    async def screenshot(self, name: str) -> Path:
        """Save a full-page screenshot as a test artefact."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        await self.page.screenshot(path=str(path), full_page=True)
        return path

    async def fits_width(self) -> bool:
        """Whether the page needs no sideways scrolling (tables scroll inside their box)."""
        return bool(
            await self.page.evaluate(
                "document.documentElement.scrollWidth <= window.innerWidth + 1"
            )
        )


async def sign_in_browser(
    browser: Browser, base: str, username: str, password: str, viewport: dict[str, int] = DESKTOP
) -> Person:
    """A new browser context, signed in through the login form."""
    context = await browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    page = await context.new_page()
    await page.goto(f"{base}/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    async with page.expect_navigation():
        await page.click("form.login button[type=submit]")
    assert "/login" not in page.url, (page.url, await page.inner_text("main"))
    return Person(page=page, base=base)
