"""The coordinator's cycle pages, in Chromium: start a cycle, extend, withdraw, cancel.

Through the pages alone the coordinator starts a cycle for the 22 regencies (the preview
shows every deadline in WITA first), extends three regencies' drafting deadline at once
with one reason, withdraws one regency and cancels the cycle, each behind a confirmation;
a refused extension and a second withdrawal say why in Bahasa Indonesia; the audit trail
holds each action under the coordinator's name. The walk runs at 390 px in one database's
run and at 1366 px in the other's, with screenshots. A reviewer gets 403 on every page
and form, and a signed-out visitor is sent to sign in.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from domain.calendar import end_of_day, years_without_holidays
from domain.catalog import load_catalog
from domain.display import format_deadline
from komitmen.demo import sample_plan
from tests.api.client import running_api
from tests.databases import sqlite_database
from tests.pages.browser import DESKTOP, PHONE, Person, chromium, served, sign_in_browser
from tests.pages.test_pages import PASSWORD, hidden, sign_in

WIDE = {**DESKTOP, "width": 1366}
EXTENDED = ("53.01", "53.02", "53.03")
WITHDRAWN = "53.06"


async def shoot(person: Person, name: str, width: int) -> None:
    """A screenshot named for the page and the width; on a phone, nothing wider than it."""
    await person.screenshot(f"{name}-{width}")
    if width == PHONE["width"]:
        assert await person.fits_width(), name


async def check(person: Person) -> None:
    """Press the new-cycle form's button that checks it before starting."""
    async with person.page.expect_navigation():
        await person.page.click("#check-cycle")


async def test_a_coordinator_runs_a_cycle_through_the_pages(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = time_skipping_env
    viewport = PHONE if db_url.startswith("sqlite") else WIDE
    width = viewport["width"]
    codes = tuple(load_catalog().codes())
    cycle = "rakor-halaman"
    async with running_api(env.client, db_url, tmp_path) as api:
        api.set_password("koordinator", PASSWORD)
        async with served(api.app) as site, chromium() as browser:
            coordinator = await sign_in_browser(browser, site, "koordinator", PASSWORD, viewport)
            page = coordinator.page
            # No cycle yet: the task list is no dead end.
            assert "Belum ada siklus komitmen." in await page.inner_text("main")
            async with page.expect_navigation():
                await page.click("#start-cycle")
            assert page.url.endswith("/cycles/new")
            assert await page.locator("#nav-new-cycle").count() == 1
            # Every regency ticked, and the box that stands for all of them.
            assert await page.locator(".regency-list input:checked").count() == 22
            assert await page.is_checked("#all-regencies")
            year = int(await page.input_value("#year"))
            assert await page.input_value("#drafting_due") == f"{year}-01-15"
            await page.fill("#name", "Rencana Aksi Rakor PB NTT")
            await page.fill("#cycle_id", cycle)
            await page.fill("#drafting_due", f"{year}-01-16")
            await shoot(coordinator, "cycle-new", width)

            # A signing deadline before drafting's is refused next to its field, in Indonesian.
            await page.fill("#signing_due", f"{year}-01-10")
            await check(coordinator)
            said = await page.inner_text("label[for=signing_due] .field-error")
            assert said == "Batas penandatanganan tidak boleh sebelum batas penyusunan draf."
            await page.fill("#signing_due", f"{year}-02-15")
            await check(coordinator)

            # The preview: every deadline in WITA, nothing started yet.
            shown = await page.inner_text("#preview-deadlines")
            # A year whose holidays Komitmen lacks is named, not silently weekends only.
            missing = years_without_holidays([year, year + 1])
            warned = await page.locator("#no-holidays").all_inner_texts()
            assert bool(warned) == bool(missing)
            assert all(str(y) in warned[0] for y in missing)
            drafting = format_deadline(end_of_day(date(year, 1, 16)), "id")
            assert drafting in shown and "WITA" in shown
            assert format_deadline(end_of_day(date(year + 1, 1, 20)), "id") in shown
            assert "22 kabupaten/kota" in await page.inner_text("main")
            await shoot(coordinator, "cycle-preview", width)
            async with page.expect_navigation():
                await page.click("#form-start-cycle button[value=start]")
            api.k.cycle_id, api.k.codes = cycle, codes
            assert page.url.endswith(f"/cycles/{cycle}/board")
            assert await page.locator("table.board tr[data-regency]").count() == 22

            # Extend three regencies' drafting deadline at once, with one reason.
            async with page.expect_navigation():
                await page.click("#nav-manage")
            await shoot(coordinator, "cycle-manage", width)
            for code in EXTENDED:
                await page.check(f"#form-extend input[value='{code}']")
            await page.select_option("#extend-key", "drafting")
            await page.fill("#extend-until", f"{year}-01-31")
            await page.fill("#extend-reason", "Banjir di wilayah selatan")
            await coordinator.submit("form-extend")
            question = await page.inner_text("#confirm-extend")
            assert "untuk 3 kabupaten/kota" in question and "Kabupaten Kupang" in question
            await shoot(coordinator, "cycle-extend-confirm", width)
            await coordinator.submit("form-confirm")
            until = format_deadline(end_of_day(date(year, 1, 31)), "id")
            results = page.locator("#results li.ok")
            assert await results.count() == 3
            assert f"Diperpanjang sampai {until}" in await results.first.inner_text()
            await shoot(coordinator, "cycle-extend-results", width)

            # An extension to a date before the current deadline is refused, in Indonesian.
            await coordinator.open(f"/cycles/{cycle}/manage")
            await page.check(f"#form-extend input[value='{EXTENDED[0]}']")
            await page.fill("#extend-until", f"{year}-01-20")
            await page.fill("#extend-reason", "Salah tanggal")
            await coordinator.submit("form-extend")
            await coordinator.submit("form-confirm")
            refused = await page.inner_text("#results li.refused")
            assert f"Perpanjangan harus lebih lambat dari tenggat sekarang ({year}-01-31)" in (
                refused
            )

            # The board shows the three new deadlines; the others keep the first.
            await coordinator.open(f"/cycles/{cycle}/board")
            for code in codes:
                cell = page.locator(f"tr[data-regency='{code}'] td").nth(3)
                day = "31 Januari" if code in EXTENDED else "16 Januari"
                assert day in await cell.inner_text(), code

            # Withdraw one regency, confirmed.
            await coordinator.open(f"/cycles/{cycle}/manage")
            await page.select_option("#withdraw-regency", WITHDRAWN)
            await page.fill("#withdraw-reason", "Bergabung dengan siklus lain")
            await coordinator.submit("form-withdraw")
            assert "Kabupaten Flores Timur" in await page.inner_text("#confirm-withdraw")
            await shoot(coordinator, "cycle-withdraw-confirm", width)
            await coordinator.submit("form-confirm")
            notice = await page.inner_text(".notice")
            assert notice == "Kabupaten Flores Timur (53.06) telah dikeluarkan dari siklus."
            options = await page.locator("#withdraw-regency option").all_inner_texts()
            assert not any(WITHDRAWN in option for option in options)

            # Withdrawing it again (a form sent twice, say) is refused, in Indonesian.
            csrf = hidden(await page.content(), "csrf")
            again = await page.request.post(
                f"{site}/cycles/{cycle}/manage/withdraw",
                form={
                    "csrf": csrf,
                    "regency": WITHDRAWN,
                    "reason": "Lagi",
                    "confirmed": "1",
                },
            )
            assert again.status == 409
            assert "Komitmen ini sudah berakhir" in await again.text()

            # Cancel the cycle, confirmed.
            await page.fill("#cancel-reason", "Rakor diulang tahun depan")
            await coordinator.submit("form-cancel")
            assert "Rencana Aksi Rakor PB NTT" in await page.inner_text("#confirm-cancel")
            await coordinator.submit("form-confirm")
            assert await page.inner_text(".notice") == "Siklus telah dibatalkan."
            assert "Dibatalkan" in await page.inner_text("#cycle-status")
            assert await page.locator("#form-cancel").count() == 0
            history = await page.inner_text("#history")
            await shoot(coordinator, "cycle-cancelled", width)

        # The audit trail holds each action under the coordinator's name.
        audit = (await api.get(f"/cycles/{cycle}/audit", "koordinator")).json()
        coordinator_name = api.k.actor("koordinator").name
        mine = [(row["action"], row["stream"]) for row in audit if row["actor"] == coordinator_name]
        for code in EXTENDED:
            assert ("extend_deadline", f"{cycle}:{code}") in mine
        assert ("withdraw", f"{cycle}:{WITHDRAWN}") in mine
        assert ("cancelled", f"cycle:{cycle}") in mine
        extended = [r for r in audit if r["action"] == "extend_deadline"]
        assert len(extended) == 3  # the refused extension changed nothing
        assert all(r["detail"]["reason"] == "drafting: Banjir di wilayah selatan" for r in extended)
        # The manage page lists them too.
        assert history.count("Tenggat diperpanjang") == 3
        assert "Dikeluarkan dari siklus" in history and coordinator_name in history


async def test_only_a_coordinator_opens_the_cycle_pages(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = time_skipping_env
    year = (await env.get_current_time()).year + 1
    async with running_api(env.client, db_url, tmp_path) as api:
        cycle = await api.start_cycle(["53.01", "53.71"], year)
        manage = f"/cycles/{cycle}/manage"
        forms = (
            "/cycles/new/preview",
            "/cycles/new",
            *(f"{manage}/{a}" for a in ("extend", "withdraw", "cancel")),
        )

        # Signed out: to sign in, then back.
        for path in ("/cycles/new", manage):
            response = await api.http.get(path)
            assert response.status_code == 303 and response.headers["location"].startswith(
                "/login?next="
            ), path
        for path in forms:
            response = await api.http.post(path, data={"reason": "x"})
            assert response.status_code == 303, path

        await sign_in(api, "reviewer")
        home = await api.http.get("/")
        assert 'href="/cycles/new"' not in home.text
        csrf = hidden(home.text, "csrf")
        for path in ("/cycles/new", manage):
            response = await api.http.get(path)
            assert response.status_code == 403, path
            assert "Peran Anda tidak dapat melakukan tindakan ini." in response.text
        for path in forms:
            body = {"csrf": csrf, "reason": "x", "regency": "53.01", "confirmed": "1"}
            response = await api.http.post(path, data=body)
            assert response.status_code == 403, path
        assert api.audit_rows() == 0
        assert {stage for _, stage, *_ in api.commitment_rows()} == {"drafting"}

        # The coordinator's forms need this session's CSRF token.
        await sign_in(api, "koordinator")
        forged = await api.http.post(f"{manage}/cancel", data={"csrf": "x", "reason": "x"})
        assert forged.status_code == 403
        board = await api.http.get(f"/cycles/{cycle}/board")
        assert f'href="{manage}"' in board.text
        assert (await api.http.get(manage)).status_code == 200
        english = await api.http.get("/cycles/new?lang=en")
        assert "Start a cycle" in english.text and "Check before starting" in english.text


async def test_a_coordinator_carries_unfinished_actions_into_next_years_cycle(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """At 390 px the coordinator ticks the province beside every regency, has the Kepala BPBD
    acknowledge, and carries over from last year's cycle, where Kabupaten Kupang's signed
    plan was never reported on: the preview counts its four actions, the others none, and
    the new cycle starts Kupang with them as version 1 and everyone else without a draft."""
    env = time_skipping_env
    year = (await env.get_current_time()).year + 1
    width = PHONE["width"]
    with sqlite_database(tmp_path) as db_url:
        async with running_api(env.client, db_url, tmp_path) as api:
            earlier = await api.start_cycle(["53.01", "53.71"], year, cycle_id="rakor-lalu")
            base = f"/cycles/{earlier}/commitments/53.01"
            plan = sample_plan(load_catalog().get("53.01")).model_dump(mode="json")
            await api.post(
                f"{base}/save-draft", "operator-5301", {"plan": plan, "based_on_version": 0}
            )
            await api.post(f"{base}/submit", "operator-5301", {"version": 1})
            approved = await api.post(f"{base}/approve", "reviewer", {"version": 1})
            document_hash = approved.json()["document_hash"]
            for signer in ("kalak-5301", "bappeda-5301", "kada-5301"):
                signed = await api.post(f"{base}/sign", signer, {"document_hash": document_hash})
                assert signed.status_code == 200, signed.text
            api.set_password("koordinator", PASSWORD)
            async with served(api.app) as site, chromium() as browser:
                coordinator = await sign_in_browser(browser, site, "koordinator", PASSWORD, PHONE)
                page = await coordinator.open("/cycles/new")
                await page.fill("#name", "Rakor PB NTT lanjutan")
                await page.fill("#cycle_id", "rakor-lanjut")
                await page.check("label.province input")
                await page.check("#acknowledging_office input[value=bpbd_head]")
                await page.check(f"#carry_from input[value={earlier}]")
                assert "Bawa aksi yang belum selesai dari siklus" in await page.inner_text(
                    "#carry_from"
                )
                await shoot(coordinator, "cycle-new-carry", width)
                await check(coordinator)
                carried = await page.inner_text("#preview-carried")
                assert "Kabupaten Kupang" in carried and "4 aksi" in carried
                assert await page.locator("#preview-carried li").count() == 1
                assert "Kepala BPBD Provinsi Nusa Tenggara Timur" in await page.inner_text(
                    "#preview-acknowledging"
                )
                shown = await page.inner_text("#preview-regencies summary")
                assert shown == "Provinsi Nusa Tenggara Timur dan 22 kabupaten/kota"
                await shoot(coordinator, "cycle-preview-carry", width)
                async with page.expect_navigation():
                    await page.click("#form-start-cycle button[value=start]")
                api.k.cycle_id, api.k.codes = "rakor-lanjut", (*load_catalog().codes(), "53")
                assert page.url.endswith("/cycles/rakor-lanjut/board")
                assert await page.locator("table.board tr[data-regency]").count() == 23
                await shoot(coordinator, "cycle-board-carry", width)
            latest = {cid: version for cid, _, _, version in api.commitment_rows()}
            assert latest["rakor-lanjut:53.01"] == 1
            assert {v for cid, v in latest.items() if cid.startswith("rakor-lanjut:")} == {0, 1}
            assert sum(latest[cid] for cid in latest if cid.startswith("rakor-lanjut:")) == 1
