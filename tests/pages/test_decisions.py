"""Each decision page shows what is decided, and each job stays within its clicks.

The reviewer sees every field of every action and what changed since the last review,
and a quarterly report in full beside verify; the signatory sees the document being
signed (the printable plan's own rendering), who has signed and who has not yet, and
must tick that they read it (refused without, in both languages); answered comments
fold away; a rejected form's summary links to each wrong field. Then a walk in Chromium
counts the clicks of each job at 390 px and 1366 px, taking screenshots of every page.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from domain.calendar import WITA, at_wita
from tests.api.client import Api, running_api
from tests.harness import until
from tests.pages.browser import ARTIFACTS, DESKTOP, PHONE, Person, chromium, served, sign_in_browser
from tests.pages.test_forms import post_form, row
from tests.pages.test_pages import PASSWORD, PLAN, sign_in
from tests.schedules import reporting_cycle

WIDE = {**DESKTOP, "width": 1366}
ITEM_LABELS = (
    "Isu strategis",
    "Fase",
    "Uraian aksi",
    "Indikator",
    "Target",
    "Triwulan",
    "Penanggung jawab",
    "Mitra pentahelix",
    "Pagu",
    "Sumber",
    "Lokasi",
)
"""The eleven fields of an action as the printed plan labels them."""
FIRST_ITEM = (
    "Input data SPM sub-urusan bencana ke e-SPM tepat waktu",
    "Laporan SPM triwulanan terunggah",
    "4 laporan",
    "I, II, III, IV",
    "Sekretariat BPBD",
    "Pemerintah",
    "Rp15.000.000",
    "APBD",
    "Kabupaten Kupang",
)
"""What the sample plan's first action holds, as shown."""


def between(html: str, start: str, end: str) -> str:
    """The part of a page from `start` up to the next `end`."""
    at = html.index(start)
    return html[at : html.index(end, at)]


def item_row(html: str, row_id: str) -> str:
    """One action's row in an items table."""
    return between(html, f'<tr id="{row_id}">', "</tr>")


def assert_every_field(row_html: str) -> None:
    labels = re.findall(r'data-label="([^"]*)"', row_html)
    assert labels == ["No.", *ITEM_LABELS], labels
    for shown in FIRST_ITEM:
        assert shown in row_html, shown


async def start(api: Api, year: int, schedule: dict[str, Any]) -> str:
    """A cycle for Kabupaten Kupang whose three offices sign in order."""
    cycle_id = f"decide-{uuid.uuid4().hex[:8]}"
    body = {
        "cycle_id": cycle_id,
        "name": "Rakor",
        "year": year,
        "regency_codes": ["53.01"],
        "ordered_signing": True,
        "schedule": schedule,
    }
    started = await api.http.post("/cycles", json=body, headers=api.token("koordinator"))
    assert started.status_code == 201, started.text
    api.k.cycle_id, api.k.codes = cycle_id, ("53.01",)
    return cycle_id


async def test_each_decision_page_shows_what_is_decided(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = time_skipping_env
    year, schedule = reporting_cycle(await env.get_current_time())
    async with running_api(env.client, db_url, tmp_path) as api:
        cycle = await start(api, year, schedule.model_dump(mode="json"))
        base = f"/cycles/{cycle}/commitments/53.01"
        url = f"{base}/page"

        # A missing quarter tick: the summary links to the quarters, which say what is wrong.
        await sign_in(api, "operator-5301")
        bad = await post_form(api, url, "save_draft", {"version": "0", **row(1, due_quarters=[])})
        assert bad.status_code == 422
        summary = between(bad.text, 'id="error-summary"', "</div>")
        assert '<a href="#item-1-due_quarters">Aksi #1 · Triwulan pelaksanaan</a>' in summary
        quarters = between(bad.text, 'id="item-1-due_quarters"', "</fieldset>")
        assert "Pilih paling sedikit satu." in quarters
        # Three spare rows: several actions are added with one save.
        assert bad.text.count('<details class="spare"') == 3

        saved = await api.post(
            f"{base}/save-draft", "operator-5301", {"plan": PLAN, "based_on_version": 0}
        )
        assert saved.status_code == 200, saved.text
        assert (await api.post(f"{base}/submit", "operator-5301", {"version": 1})).is_success

        # The reviewer sees all eleven fields of every action, a comment box under each.
        await sign_in(api, "reviewer")
        review = (await api.http.get(url)).text
        form = between(review, 'id="form-request_changes"', "</form>")
        assert_every_field(item_row(form, "item-1"))
        assert all(f'id="item-{n}"' in form for n in range(1, len(PLAN["items"]) + 1))
        assert 'name="comment-1"' in between(form, '<tr id="item-1">', '<tr id="item-2">')
        changes = {
            "version": "1",
            "comment-1": "Sebutkan jadwal unggah.",
            "comment-general": "Rapi",
        }
        assert (await post_form(api, url, "request_changes", changes)).status_code == 303

        # The officer reads each comment in the row it concerns, under a banner.
        await sign_in(api, "operator-5301")
        revising = (await api.http.get(url)).text
        assert "Perlu revisi: 2 catatan dari reviewer" in revising
        assert "Sebutkan jadwal unggah." in between(revising, 'id="row-1"', "</fieldset>")
        assert '<div class="comments current">' in revising
        second = {**PLAN, "items": [{**PLAN["items"][0], "location": "Kota Kupang"}]}
        second["items"] += PLAN["items"][1:]
        saved = await api.post(
            f"{base}/save-draft", "operator-5301", {"plan": second, "based_on_version": 1}
        )
        assert saved.status_code == 200, saved.text
        assert (await api.post(f"{base}/submit", "operator-5301", {"version": 2})).is_success

        # In the next review: what changed since, and last round's comments folded away.
        await sign_in(api, "reviewer")
        review = (await api.http.get(url)).text
        assert "Perubahan sejak reviu sebelumnya: versi 1 → 2" in review
        assert "<ins>Kota Kupang</ins>" in between(review, 'id="review"', "</form>")
        assert '<details class="comments earlier">' in review
        assert '<details class="comments earlier" open' not in review
        assert "Catatan reviu untuk Revisi ke-1 (1) · sudah dijawab" in review
        assert (await post_form(api, url, "approve", {"version": "2"})).status_code == 303

        # The printable documents are linked from the page and from the board.
        await sign_in(api, "manajer")
        page = (await api.http.get(url)).text
        for link in (f"{base}/document", f"{base}/document.pdf", f"/cycles/{cycle}/document"):
            assert f'href="{link}"' in page, link
        assert "comments current" not in page and '<details class="comments earlier">' in page
        board = (await api.http.get(f"/cycles/{cycle}/board")).text
        assert f'href="{base}/document"' in board and f'href="{base}/document.pdf"' in board

        # The signatory signs what they see: the document, in order, and must say so.
        await sign_in(api, "kalak-5301")
        signing = (await api.http.get(url)).text
        block = between(signing, 'id="signing"', 'id="form-sign"')
        assert 'class="items"' in block
        assert_every_field(item_row(block, "doc-item-1").replace("Kota Kupang", "Kabupaten Kupang"))
        signatories = between(block, '<ol class="signatories">', "</ol>")
        assert signatories.count('class="pending"') == 3
        assert signatories.count("belum menandatangani") == 3
        assert signatories.count("giliran berikutnya") == 1
        assert "BPBD" in signatories and "Bupati Kupang" in signatories
        document_hash = re.search(r'name="document_hash" value="([0-9a-f]{64})"', signing)
        assert document_hash is not None
        unticked = await post_form(api, url, "sign", {"document_hash": document_hash.group(1)})
        assert unticked.status_code == 422
        assert '<a href="#confirm">' in unticked.text
        assert "Centang pernyataan bahwa Anda telah membaca" in unticked.text
        english = await api.http.get(url, params={"lang": "en"})
        assert "I have read this action plan and agree with its content" in english.text
        unticked = await post_form(api, url, "sign", {"document_hash": document_hash.group(1)})
        assert unticked.status_code == 422
        assert "Tick the statement that you have read and agree" in unticked.text
        await api.http.get(url, params={"lang": "id"})
        assert (await api.get(f"{base}/signatures", "manajer")).json() == []
        ticked = {"document_hash": document_hash.group(1), "confirm": "ya"}
        assert (await post_form(api, url, "sign", ticked)).status_code == 303

        await sign_in(api, "bappeda-5301")
        signatories = between((await api.http.get(url)).text, 'class="signatories"', "</ol>")
        assert signatories.count('class="signed"') == 1
        assert signatories.count("belum menandatangani") == 2
        for signer in ("bappeda-5301", "kada-5301"):
            body = {"document_hash": document_hash.group(1)}
            assert (await api.post(f"{base}/sign", signer, body)).is_success

        # The reviewer verifies a report read in full, the decision beside it.
        await sign_in(api, "operator-5301")
        report = {
            "quarter": "1",
            **{f"progress-{p}-status": "sesuai_jadwal" for p in range(1, 5)},
            **{f"progress-{p}-percent_realised": "40" for p in range(1, 5)},
            "progress-1-narrative": "Data triwulan I sudah diunggah ke e-SPM " + "lengkap " * 20,
            "progress-1-evidence": "https://bpbd.kupangkab.go.id/spm",
        }
        assert (await post_form(api, url, "submit_report", report)).status_code == 303
        await sign_in(api, "reviewer")
        verify = (await api.http.get(url)).text
        review_q1 = between(verify, 'id="review-q1"', 'action="' + url + '/return_report"')
        full = between(review_q1, 'id="report-q1-1"', 'id="report-q1-2"')
        assert "Sesuai jadwal" in full and "Realisasi (%): <strong>40</strong>" in full
        assert report["progress-1-narrative"].strip() in full
        assert '<a href="https://bpbd.kupangkab.go.id/spm"' in review_q1
        assert 'action="' + url + '/verify_report"' in review_q1


@dataclass
class Job:
    """One person's job in the browser, counting each click, tick and choice."""

    person: Person
    clicks: int = 0

    async def follow(self, selector: str) -> None:
        self.clicks += 1
        async with self.person.page.expect_navigation():
            await self.person.page.click(selector)

    async def choose(self, selector: str, value: str) -> None:
        self.clicks += 1
        await self.person.page.select_option(selector, value)

    async def tick(self, selector: str) -> None:
        self.clicks += 1
        await self.person.page.check(selector)

    async def open_spare(self, index: int) -> None:
        self.clicks += 1
        await self.person.page.click(f"#form-save_draft details.spare >> nth={index} >> summary")

    async def press(self, form_id: str) -> None:
        self.clicks += 1
        await self.person.submit(form_id)


async def shoot(person: Person, name: str) -> None:
    """Screenshots of the page at 390 px and 1366 px; neither scrolls sideways."""
    page = person.page
    current = page.viewport_size
    for label, size in (("390", PHONE), ("1366", WIDE)):
        await page.set_viewport_size(size)  # type: ignore[arg-type]
        assert await person.fits_width(), f"{name} scrolls sideways at {label} px"
        await person.screenshot(f"decisions-{name}-{label}")
    if current is not None:
        await page.set_viewport_size(current)


BUDGETS = {"draft_submit": 7, "approve": 3, "sign": 3, "report": 5, "verify": 4, "watch": 1}
"""The clicks of each job before this change: none may take more now."""


async def job(person: Person, regency: str = "53.01") -> Job:
    """A job started where the person lands after sign-in, "Tugas saya": their task for the
    regency is one click, and it opens the form where the job is done."""
    await person.open("/")
    started = Job(person)
    await started.follow(f"ol.tasks a.task-link[href*='/commitments/{regency}/page']")
    return started


async def fill_action(page: Any, number: int, activity: str) -> None:
    p = f"[name=item-{number}-"
    await page.fill(p + "activity]", activity)
    await page.fill(p + "indicator]", "Desa Tangguh Bencana terbentuk")
    await page.fill(p + "target_value]", "2")
    await page.fill(p + "target_unit]", "desa")
    await page.fill(p + "responsible_unit]", "Bidang Pencegahan")
    await page.fill(p + "location]", "Kupang Timur")
    await page.fill(p + "budget_rp]", "40.000.000")


async def test_each_job_stays_within_its_clicks_in_chromium(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = time_skipping_env
    year = (await env.get_current_time()).astimezone(WITA).year + 1
    clicks: dict[str, int] = {}
    async with running_api(env.client, db_url, tmp_path) as api:
        people = ("reviewer", "operator-5301", "kalak-5301", "bappeda-5301", "kada-5301")
        for username in (*people, "koordinator", "manajer"):
            api.set_password(username, PASSWORD)
        # Kota Kupang (53.71) never drafts: by the reports it is what is stuck, and on whom.
        cycle = await api.start_cycle(["53.01", "53.71"], year)
        board = f"/cycles/{cycle}/board"
        # Each role walks at 390 px in one database's run and at 1366 px in the other's.
        narrow, wide = (PHONE, WIDE) if db_url.startswith("sqlite") else (WIDE, PHONE)
        async with served(api.app) as site, chromium() as browser:
            officer = await sign_in_browser(browser, site, "operator-5301", PASSWORD, narrow)
            drafting = await job(officer)
            page = officer.page
            await drafting.choose("[name=item-1-strategic_issue]", "destana")
            await drafting.choose("[name=item-1-phase]", "pra_bencana")
            await fill_action(page, 1, "Pembentukan Destana di Desa Oesao")
            await drafting.tick("[name=item-1-due_quarters][value='1']")
            await drafting.tick("[name=item-1-partners][value=masyarakat]")
            await shoot(officer, "officer-draft")
            # On a phone, save stays at the bottom of the screen, in reach.
            bar = await page.locator(".drafting .form-bar").bounding_box()
            assert bar is not None and bar["y"] + bar["height"] <= narrow["height"] + 1
            await page.screenshot(path=str(ARTIFACTS / "decisions-officer-bar-390.png"))
            await drafting.press("form-save_draft")
            assert "Draf tersimpan" in await page.inner_text(".notice")
            await drafting.press("form-submit")
            assert "Dalam Reviu" in await page.inner_text("p.status")
            clicks["draft_submit"] = drafting.clicks

            reviewer = await sign_in_browser(browser, site, "reviewer", PASSWORD, wide)
            changes = await job(reviewer)
            await shoot(reviewer, "review")
            await reviewer.page.fill("[name=comment-1]", "Sebutkan jumlah relawan yang dilatih.")
            await changes.press("form-request_changes")
            assert "Perlu Revisi" in await reviewer.page.inner_text("p.status")

            # Revising: the comment in its row, a banner on top; two new actions in one save.
            revising = await job(officer)
            assert "Perlu revisi: 1 catatan dari reviewer" in await page.inner_text(
                "#revision-banner"
            )
            assert "Sebutkan jumlah relawan" in await page.inner_text("#row-1")
            await page.fill("[name=item-1-activity]", "Pembentukan Destana dan 30 relawan")
            for index, number in ((0, 2), (1, 3)):
                await revising.open_spare(index)
                await fill_action(page, number, f"Pelatihan relawan angkatan {index + 1}")
                await revising.tick(f"[name=item-{number}-due_quarters][value='2']")
            await shoot(officer, "officer-revision")
            await revising.press("form-save_draft")
            assert await page.locator("#form-save_draft fieldset.item-row:visible").count() == 3
            await revising.press("form-submit")

            approving = await job(reviewer)
            review = reviewer.page
            assert "versi 1 → 2" in await review.inner_text("#review")
            headings = await review.locator("#review table.items th").all_inner_texts()
            assert headings == ["No.", *ITEM_LABELS]
            assert await review.locator("#review table.items tr[id^=item-]").count() == 3
            assert await review.locator("#review details.comments:not([open])").count() == 1
            await shoot(reviewer, "review-round-2")
            await approving.press("form-approve")
            assert "menunggu tanda tangan" in await review.inner_text("p.status")
            clicks["approve"] = approving.clicks

            for username, viewport in (
                ("kalak-5301", narrow),
                ("bappeda-5301", wide),
                ("kada-5301", narrow),
            ):
                signatory = await sign_in_browser(browser, site, username, PASSWORD, viewport)
                signing = await job(signatory)
                shown = signatory.page
                assert await shown.locator("#signing table.items tr[id^=doc-item-]").count() == 3
                pending = await shown.locator("#signing .signatories li.pending").count()
                assert pending >= 1
                if username == "kalak-5301":
                    await shoot(signatory, "sign")
                await signing.tick("#form-sign [name=confirm]")
                await signing.press("form-sign")
                assert "Tanda tangan tercatat." in await shown.inner_text(".notice")
                clicks[f"sign {username}"] = signing.clicks
                assert signing.clicks <= BUDGETS["sign"], (username, signing.clicks)
            assert "Tindak Lanjut" in await shown.inner_text("p.status")
            await shoot(signatory, "signed")

            await officer.open(board)
            await shoot(officer, "board")
            assert await page.locator("td.print a[href$='/document.pdf']").count() == 1

            # The first-quarter report opens in the quarter's last month.
            march = at_wita(date(year, 3, 1), 0)
            await until(env, march)
            api.set_clock(march)
            reporting = await job(officer)
            for number in (1, 2, 3):
                p = f"[name=progress-{number}-"
                await reporting.choose(p + "status]", "sesuai_jadwal")
                await page.fill(p + "percent_realised]", "40")
            await page.fill("[name=progress-1-narrative]", "Musyawarah desa selesai")
            await page.fill("[name=progress-1-evidence]", "https://bpbd.kupangkab.go.id/destana")
            await shoot(officer, "report")
            await reporting.press("form-submit_report")
            assert "Laporan triwulan terkirim." in await page.inner_text(".notice")
            clicks["report"] = reporting.clicks

            verifying = await job(reviewer)
            report = await review.inner_text("#review-q1")
            assert "Musyawarah desa selesai" in report and "Sesuai jadwal" in report
            assert await review.locator("#review-q1 a[href*='bpbd.kupangkab']").count() == 1
            await shoot(reviewer, "verify")
            async with review.expect_navigation():
                verifying.clicks += 1
                await review.click("#review-q1 form.inline-form button")
            assert "Laporan triwulan terverifikasi." in await review.inner_text(".notice")
            clicks["verify"] = verifying.clicks

            # The coordinator and the manager land on what is stuck and on whom; one click
            # takes them to it. The manager reads English, as on record.
            for username, waiting, viewport in (
                ("koordinator", "Menunggu: operator kabupaten/kota", narrow),
                ("manajer", "Waiting on: the regency's officer", wide),
            ):
                watcher = await sign_in_browser(browser, site, username, PASSWORD, viewport)
                stuck = watcher.page.locator("ol.tasks > li[data-regency='53.71']")
                assert await stuck.count() == 1, username
                assert waiting in await stuck.inner_text()
                assert await stuck.locator(".badge").count() == 1  # overdue
                watching = Job(watcher)
                await watching.follow("li[data-regency='53.71'] a.task-link")
                assert "/commitments/53.71/page" in watcher.page.url
                clicks[f"watch {username}"] = watching.clicks

    print("clicks per job:", clicks)
    for name, budget in BUDGETS.items():
        counted = [n for key, n in clicks.items() if key.split()[0] == name]
        assert counted and all(n <= budget for n in counted), (name, counted, budget)
