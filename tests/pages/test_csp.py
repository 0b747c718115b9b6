"""The pages under their strict Content-Security-Policy, in real headless Chromium.

The board, a commitment page, the manager's page (with its SVG chart) and the
printable documents load with the policy in force: the browser reports no CSP
violation in its console and the stylesheets are applied.
"""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import ConsoleMessage
from temporalio.testing import WorkflowEnvironment

from domain.calendar import WITA
from tests.api.client import running_api
from tests.pages.browser import chromium, served, sign_in_browser
from tests.pages.test_pages import PLAN

PASSWORD = "kata-sandi-panjang"


async def test_pages_load_under_the_policy_without_a_violation(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = time_skipping_env
    year = (await env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(env.client, db_url, tmp_path) as api:
        api.set_password("manajer", PASSWORD)
        cycle = await api.start_cycle(["53.01", "53.71"], year)
        base = f"/cycles/{cycle}/commitments/53.01"
        saved = await api.post(
            f"{base}/save-draft", "operator-5301", {"plan": PLAN, "based_on_version": 0}
        )
        assert saved.status_code == 200, saved.text
        assert (await api.post(f"{base}/submit", "operator-5301", {"version": 1})).is_success
        assert (await api.post(f"{base}/approve", "reviewer", {"version": 1})).is_success

        async with served(api.app) as root, chromium() as browser:
            manager = await sign_in_browser(browser, root, "manajer", PASSWORD)
            console: list[str] = []

            def heard(message: ConsoleMessage) -> None:
                console.append(f"{message.type}: {message.text}")

            manager.page.on("console", heard)
            pages = {
                f"/cycles/{cycle}/board": "rgb(247, 249, 250)",
                f"{base}/page": "rgb(247, 249, 250)",
                f"/cycles/{cycle}/manager": "rgb(247, 249, 250)",
            }
            for path, background in pages.items():
                response = await manager.page.goto(root + path)
                assert response is not None and response.ok, path
                headers = await response.all_headers()
                assert "default-src 'none'" in headers["content-security-policy"], path
                await manager.page.wait_for_load_state("load")
                # komitmen.css is applied: the body's background and the sans-serif font.
                style = await manager.page.evaluate(
                    "(() => { const s = getComputedStyle(document.body);"
                    " return [s.backgroundColor, s.fontFamily]; })()"
                )
                assert style[0] == background and "system-ui" in style[1], (path, style)
            chart = manager.page.locator("figure.chart svg rect.track").first
            assert await chart.evaluate("e => getComputedStyle(e).fill") == "rgb(238, 242, 244)"

            for path in (f"/cycles/{cycle}/document", f"{base}/document"):
                response = await manager.page.goto(root + path)
                assert response is not None and response.ok, path
                await manager.page.wait_for_load_state("load")
                # document.css is applied: the documents' margin and the sans-serif toolbar.
                style = await manager.page.evaluate(
                    "(() => [getComputedStyle(document.body).marginTop,"
                    " getComputedStyle(document.querySelector('.toolbar')).fontFamily])()"
                )
                assert style == ["24px", "sans-serif"], (path, style)

            violations = [
                line
                for line in console
                if "Content Security Policy" in line or "Refused to" in line
            ]
            assert violations == [], violations
