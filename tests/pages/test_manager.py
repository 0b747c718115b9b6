"""The manager view over httpx against the real app: overdue list and its filters,
quarterly completeness, progress per strategic issue and phase, scope and language."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.pages import manager
from domain.calendar import WITA, end_of_day
from domain.catalog import load_catalog
from domain.display import format_deadline
from komitmen.demo import sample_plan
from services.settings import Settings
from tests.api import test_overdue_pages
from tests.api.client import Api, running_api
from tests.harness import until
from tests.pages.test_pages import hidden, sign_in

PLAN: dict[str, Any] = sample_plan(load_catalog().get("53.02")).model_dump(mode="json")
# Kota Kupang commits to SPM reporting only, so a strategic-issue filter can tell them apart.
SPM_ONLY: dict[str, Any] = {"items": PLAN["items"][:1]}


async def to_follow_up(api: Api, cycle: str, code: str, plan: dict[str, Any]) -> None:
    """Draft, submit, approve and sign one regency's plan through the API."""
    slug = code.replace(".", "")
    base = f"/cycles/{cycle}/commitments/{code}"
    saved = await api.post(
        f"{base}/save-draft", f"operator-{slug}", {"plan": plan, "based_on_version": 0}
    )
    assert saved.status_code == 200, saved.text
    assert (await api.post(f"{base}/submit", f"operator-{slug}", {"version": 1})).is_success
    approved = await api.post(f"{base}/approve", "reviewer", {"version": 1})
    document = approved.json()["document_hash"]
    for office in ("kalak", "bappeda", "kada"):
        signed = await api.post(f"{base}/sign", f"{office}-{slug}", {"document_hash": document})
        assert signed.status_code == 200, signed.text
    assert signed.json()["stage"] == "follow_up"


async def report(api: Api, cycle: str, code: str, percents: dict[int, str]) -> None:
    """Submit the first quarter's report with these percents realised per item."""
    items = [
        {"item_position": p, "status": "sesuai_jadwal", "percent_realised": v}
        for p, v in percents.items()
    ]
    sent = await api.post(
        f"/cycles/{cycle}/commitments/{code}/reports",
        f"operator-{code.replace('.', '')}",
        {"quarter": 1, "items": items},
    )
    assert sent.status_code == 200, sent.text


async def manager_page(api: Api, cycle: str, **params: str) -> str:
    """The manager view as the signed-in user."""
    page = await api.http.get(f"/cycles/{cycle}/manager", params=params)
    assert page.status_code == 200, page.text
    return page.text


def words(html: str) -> str:
    """The text of a piece of HTML, tags removed and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def overdue_rows(html: str) -> list[tuple[str, str]]:
    """(regency, deadline) of each row of the overdue list, in order."""
    return re.findall(r'<tr data-regency="([^"]+)" data-deadline="([^"]+)">', html)


def quarter_cells(html: str) -> dict[tuple[str, int], str]:
    """The status of each regency × quarter cell of the completeness table."""
    cells = re.findall(
        r'data-regency="([^"]+)" data-quarter="(\d)" data-status="([^"]+)">\s*(.*?)\s*</td>',
        html,
        re.S,
    )
    return {(code, int(q)): f"{status}|{words(text)}" for code, q, status, text in cells}


def totals(html: str) -> dict[int, str]:
    """The text of each quarter's total."""
    cells = re.findall(r'<td class="totals" data-quarter="(\d)">(.*?)</td>', html)
    return {int(q): words(text) for q, text in cells}


def chart(html: str) -> dict[tuple[str, str], str]:
    """The value each bar of the SVG chart shows, by strategic issue and phase."""
    bars = re.findall(
        r'<g class="bar [^"]+" data-issue="([^"]+)" data-phase="([^"]+)">.*?'
        r'<text class="value"[^>]*>([^<]*)</text>',
        html,
        re.S,
    )
    return {(issue, phase): value for issue, phase, value in bars}


def chart_table(html: str) -> dict[tuple[str, str], str]:
    """The table beside the chart, cell by cell, tags removed."""
    cells = re.findall(r'<td data-issue="([^"]+)" data-phase="([^"]+)">(.*?)</td>', html)
    return {(i, p): words(text) for i, p, text in cells}


async def test_manager_view_follows_deadlines_reports_and_progress(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = time_skipping_env
    year = (await env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(env.client, db_url, tmp_path) as api:
        # Kabupaten Kupang never drafts; TTS and Kota Kupang sign and follow up.
        cycle = await api.start_cycle(["53.01", "53.02", "53.71"], year)
        await to_follow_up(api, cycle, "53.02", PLAN)
        await to_follow_up(api, cycle, "53.71", SPM_ONLY)

        await sign_in(api, "manajer")
        board = await api.http.get(f"/cycles/{cycle}/board", params={"lang": "id"})
        assert f'href="/cycles/{cycle}/manager">Pantauan pimpinan</a>' in board.text
        calm = await manager_page(api, cycle)
        assert overdue_rows(calm) == [] and "Tidak ada yang terlambat." in calm
        assert quarter_cells(calm)[("53.02", 1)] == "not_due|Belum jatuh tempo"

        # TTS reports the first quarter on time and the reviewer verifies it.
        await until(env, end_of_day(date(year, 4, 10)))
        await report(api, cycle, "53.02", {1: "50", 2: "20"})
        verified = await api.post(
            f"/cycles/{cycle}/commitments/53.02/reports/verify", "reviewer", {"quarter": 1}
        )
        assert verified.status_code == 200, verified.text

        await until(env, end_of_day(date(year, 4, 20)) + timedelta(days=2))
        page = await manager_page(api, cycle)
        # Most overdue first: the drafting (due 15 January), then Kota Kupang's report.
        assert overdue_rows(page) == [("53.01", "drafting"), ("53.71", "q1")]
        assert format_deadline(end_of_day(date(year, 1, 15)), "id") in page
        assert format_deadline(end_of_day(date(year, 4, 20)), "id") in page
        assert "Penyusunan draf rencana aksi" in page and "Laporan triwulan I" in page
        late_for = re.findall(r'<td class="late-for">([^<]+)</td>', page)
        assert re.fullmatch(r"9\d hari( \d+ jam)?", late_for[0]), late_for
        # Time left counts from the last change recorded: the report deadline passing itself.
        assert re.fullmatch(r"kurang dari 1 jam|(\d+ hari ?)?(\d+ jam)?", late_for[1]), late_for
        assert f'href="/cycles/{cycle}/commitments/53.71/page"' in page

        filtered = {
            "regency=53.71": [("53.71", "q1")],
            "regency=5303": [("53.01", "drafting")],  # a BPS code, as the API takes
            "stage=drafting": [("53.01", "drafting")],
            "stage=follow_up": [("53.71", "q1")],
            "strategic_issue=spm_reporting": [("53.71", "q1")],
            "strategic_issue=destana": [],
            "quarter=1": [("53.71", "q1")],
            "quarter=2": [],
            "regency=&stage=&strategic_issue=&quarter=": [("53.01", "drafting"), ("53.71", "q1")],
        }
        for query, expected in filtered.items():
            shown = await api.http.get(f"/cycles/{cycle}/manager?{query}")
            assert shown.status_code == 200, shown.text
            assert overdue_rows(shown.text) == expected, query
        chosen = await manager_page(api, cycle, stage="follow_up")
        assert '<option value="follow_up" selected>Tindak Lanjut</option>' in chosen
        for bad in ({"stage": "lost"}, {"quarter": "5"}, {"regency": "99.99"}):
            refused = await api.http.get(f"/cycles/{cycle}/manager", params=bad)
            assert refused.status_code == 422 and "Saringan tidak dikenal" in refused.text

        cells = quarter_cells(page)
        assert cells[("53.02", 1)] == "on_time verified|Tepat waktu Terverifikasi"
        assert cells[("53.71", 1)] == "past_due|Lewat tenggat, belum masuk"
        # Kabupaten Kupang has no signed plan: it owes no report, in no quarter.
        assert {cells[("53.01", q)] for q in (1, 2, 3, 4)} == {
            "no_plan|Belum ada rencana bertanda tangan"
        }
        assert {cells[(code, q)] for code in ("53.02", "53.71") for q in (2, 3, 4)} == {
            "not_due|Belum jatuh tempo"
        }

        # Progress: TTS's verified 50 % and 20 %; Kota Kupang's SPM item has no verified report.
        expected_chart = {
            ("spm_reporting", "pra_bencana"): ("25,0%", "25,0% (2 aksi)"),
            ("ikd_measurement", "pra_bencana"): ("20,0%", "20,0% (1 aksi)"),
            ("destana", "pra_bencana"): ("0,0%", "0,0% (1 aksi)"),
            ("inclusive_dm", "tanggap_darurat"): ("0,0%", "0,0% (1 aksi)"),
        }
        bars, table = chart(page), chart_table(page)
        assert len(bars) == len(table) == 21  # six issues and "Lainnya" × three phases
        for key in bars:
            assert (bars[key], table[key]) == expected_chart.get(key, ("—", "—")), key
        assert '<svg role="img" aria-labelledby="progress-title progress-desc"' in page
        assert "<title>Destana, Prabencana: 0,0% (1 aksi)</title>" in page

        # Kota Kupang's officer sees Kota Kupang only.
        await sign_in(api, "operator-5371")
        own = await manager_page(api, cycle)
        assert overdue_rows(own) == [("53.71", "q1")]
        assert {code for code, _ in quarter_cells(own)} == {"53.71"}
        assert "Kabupaten Kupang" not in own and "Timor Tengah Selatan" not in own
        assert chart(own)[("spm_reporting", "pra_bencana")] == "0,0%"
        assert chart(own)[("ikd_measurement", "pra_bencana")] == "—"
        assert overdue_rows(await manager_page(api, cycle, regency="53.01")) == []

        # Kota Kupang reports late; after the lock Kabupaten Kupang, never signed, still owes
        # nothing: the quarter's lock is not a missing report of a plan that does not exist.
        await report(api, cycle, "53.71", {1: "10"})
        await until(env, end_of_day(date(year, 4, 30)) + timedelta(days=2))
        await sign_in(api, "koordinator")
        locked = await manager_page(api, cycle)
        assert overdue_rows(locked) == [("53.01", "drafting")]
        cells = quarter_cells(locked)
        assert cells[("53.02", 1)] == "on_time verified|Tepat waktu Terverifikasi"
        assert cells[("53.71", 1)] == "late submitted|Terlambat Menunggu verifikasi"
        assert cells[("53.01", 1)] == "no_plan|Belum ada rencana bertanda tangan"
        assert totals(locked) == {
            1: "Tepat waktu: 1 Terlambat: 1 Tidak dilaporkan: 0",
            2: "Tepat waktu: 0 Terlambat: 0 Tidak dilaporkan: 0",
            3: "Tepat waktu: 0 Terlambat: 0 Tidak dilaporkan: 0",
            4: "Tepat waktu: 0 Terlambat: 0 Tidak dilaporkan: 0",
        }
        # A waiting report is not counted until it is verified.
        assert chart(locked)[("spm_reporting", "pra_bencana")] == "25,0%"

        english = await manager_page(api, cycle, lang="en")
        assert "Manager view" in english and "Pantauan pimpinan" not in english
        assert "Drafting the action plan" in english and " days" in english
        assert "Late<br><small>Waiting for verification</small>" in english
        assert "SPM reporting quality" in english and "25.0%" in english
        assert format_deadline(end_of_day(date(year, 1, 15)), "en") in english

        api.http.cookies.clear()
        anonymous = await api.http.get(f"/cycles/{cycle}/manager")
        assert anonymous.status_code == 303
        assert anonymous.headers["location"] == f"/login?next=%2Fcycles%2F{cycle}%2Fmanager"


def page_links(page: str) -> dict[str, str]:
    """The pager's links by relation ("first" for the first page's)."""
    found = {
        rel: html.unescape(url) for url, rel in re.findall(r'<a href="([^"]+)" rel="(\w+)">', page)
    }
    first = re.search(r'<nav class="pager"[^>]*>\s*<a href="([^"]+)">', page)
    if first is not None:
        found["first"] = html.unescape(first.group(1))
    return found


def walk_pages(client: TestClient, url: str, rel: str) -> list[str]:
    """Every page of the manager view from `url` on, following the pager's `rel` links."""
    pages = []
    following: str | None = url
    while following is not None:
        response = client.get(following)
        assert response.status_code == 200, response.text
        pages.append(response.text)
        following = page_links(response.text).get(rel)
    return pages


def test_the_overdue_list_shows_a_page_at_a_time_keeping_the_filters(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    test_overdue_pages.seed(db_url)
    cycle = test_overdue_pages.CYCLES[0]
    client = TestClient(create_app(Settings(database_url=db_url)))
    form = client.get("/login")
    signed = client.post(
        "/login",
        data={
            "username": "manajer",
            "password": test_overdue_pages.PASSWORD,
            "login_nonce": hidden(form.text, "login_nonce"),
        },
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text
    url = f"/cycles/{cycle}/manager?stage=drafting"
    whole = overdue_rows(client.get(url).text)
    # 11 of the cycle's regencies are overdue with their drafting.
    assert len(whole) == 11 and {key for _, key in whole} == {"drafting"}

    monkeypatch.setattr(manager, "DEFAULT_PAGE", 4)
    pages = walk_pages(client, url, "next")
    assert [len(overdue_rows(page)) for page in pages] == [4, 4, 3]
    assert [row for page in pages for row in overdue_rows(page)] == whole
    expected = [{"next"}, {"first", "prev", "next"}, {"first", "prev"}]
    assert [set(page_links(page)) for page in pages] == expected
    for page in pages:
        # Every link keeps the filter, and the form still shows it chosen.
        for link in page_links(page).values():
            assert link.startswith(f"/cycles/{cycle}/manager?stage=drafting"), link
        assert '<option value="drafting" selected>' in page
    back = walk_pages(client, page_links(pages[1])["next"], "prev")
    assert [overdue_rows(page) for page in back] == [overdue_rows(page) for page in pages[::-1]]
    assert overdue_rows(client.get(page_links(pages[2])["first"]).text) == whole[:4]

    refused = client.get(f"{url}&cursor=not-a-cursor")
    assert refused.status_code == 422 and "Halaman daftar tidak dikenal" in refused.text
