"""axe-core over every page, as each role sees it, at phone and desktop width.

axe-core comes from the npm registry (`make axe`, tests/pages/axe/package.json) and is
injected into each page by Playwright; a serious or critical violation fails the test
with the rule, the element and axe's help text. The context bypasses the page's CSP
only so that axe itself can run: the pages stay as served.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page
from temporalio.testing import WorkflowEnvironment

from domain.catalog import load_catalog
from komitmen.demo import sample_plan
from tests.api.client import Api, running_api
from tests.pages.browser import DESKTOP, PHONE, chromium, served
from tests.schedules import reporting_cycle

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "kata-sandi-panjang"
PLAN: dict[str, Any] = sample_plan(load_catalog().get("53.01")).model_dump(mode="json")
SERIOUS = {"serious", "critical"}


async def violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it stands."""
    await page.evaluate(AXE.read_text())
    found: list[dict[str, Any]] = await page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [v for v in found if v.get("impact") in SERIOUS]


def described(found: list[dict[str, Any]]) -> str:
    """The violations as a reader wants them: rule, impact, help and the first elements."""
    return json.dumps(
        [
            {
                "rule": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"][:3]],
            }
            for v in found
        ],
        indent=1,
        ensure_ascii=False,
    )


async def signed_in(browser: Browser, base: str, username: str | None, viewport: Any) -> Page:
    """A page in a new context (CSP bypassed for axe alone), signed in if a user is named."""
    context = await browser.new_context(viewport=viewport, bypass_csp=True)
    page = await context.new_page()
    if username is not None:
        await page.goto(f"{base}/login")
        await page.fill("input[name=username]", username)
        await page.fill("input[name=password]", PASSWORD)
        async with page.expect_navigation():
            await page.click("form.login button[type=submit]")
    return page


async def commitment_in_signing(api: Api, now: Any) -> tuple[str, str]:
    """A cycle whose Kupang plan is approved and signed by one office: (cycle, hash)."""
    year, schedule = reporting_cycle(now)
    cycle = await api.start_cycle(["53.01", "53.71"], year, schedule.model_dump(mode="json"))
    base = f"/cycles/{cycle}/commitments/53.01"
    saved = await api.post(
        f"{base}/save-draft", "operator-5301", {"plan": PLAN, "based_on_version": 0}
    )
    assert saved.status_code == 200, saved.text
    assert (await api.post(f"{base}/submit", "operator-5301", {"version": 1})).is_success
    approved = await api.post(f"{base}/approve", "reviewer", {"version": 1})
    document = approved.json()["document_hash"]
    assert (await api.post(f"{base}/sign", "kalak-5301", {"document_hash": document})).is_success
    return cycle, document


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "desktop"])
async def test_no_page_has_a_serious_accessibility_violation(
    dev_server_env: WorkflowEnvironment, tmp_path: Path, viewport: dict[str, int]
) -> None:
    assert AXE.exists(), "axe-core is missing: run `make axe`"
    from tests.databases import sqlite_database

    with sqlite_database(tmp_path) as url:
        async with running_api(dev_server_env.client, url, tmp_path) as api:
            for username in ("operator-5301", "reviewer", "bappeda-5301", "manajer", "koordinator"):
                api.set_password(username, PASSWORD)
            cycle, document = await commitment_in_signing(
                api, await dev_server_env.get_current_time()
            )
            code = ""
            versions = await api.get(f"/cycles/{cycle}/commitments/53.01/versions", "reviewer")
            code = versions.json()[0]["verify_code"]
            page_of = f"/cycles/{cycle}/commitments/53.01"
            visits: list[tuple[str | None, str]] = [
                (None, "/login"),
                (None, "/verify"),
                (None, f"/verify/{code}"),
                ("operator-5301", "/"),
                (
                    "operator-5301",
                    f"/cycles/{cycle}/commitments/53.71/page".replace("53.71", "53.01"),
                ),
                ("reviewer", f"/cycles/{cycle}/board"),
                ("reviewer", f"{page_of}/page"),
                ("bappeda-5301", f"{page_of}/page"),
                ("bappeda-5301", f"{page_of}/document"),
                ("manajer", f"/cycles/{cycle}/manager"),
                ("koordinator", f"/cycles/{cycle}/document"),
                ("koordinator", "/"),
            ]
            failures: dict[str, str] = {}
            async with served(api.app) as base, chromium() as browser:
                pages: dict[str | None, Page] = {}
                for person, path in visits:
                    if person not in pages:
                        pages[person] = await signed_in(browser, base, person, viewport)
                    page = pages[person]
                    response = await page.goto(base + path)
                    assert response is not None and response.ok, (person, path)
                    found = await violations(page)
                    if found:
                        failures[f"{person or 'visitor'} {path}"] = described(found)
            assert not failures, "\n".join(f"{where}:\n{what}" for where, what in failures.items())
