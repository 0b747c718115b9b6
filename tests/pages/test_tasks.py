"""Each person's own work ("Tugas saya"): the list by role and scope, the home page and
`GET /me/tasks`, search by regency name or code, the board's sort and filter, and the
whole thing in Chromium at a phone's and a desktop's width.

The lists by role are read from rows written straight into the database (a mid-year
snapshot of two running cycles, one signing in a fixed order, and an ended one), so
each rule is seen at a moment chosen for it; the pages then run on the real stack.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import insert
from temporalio.testing import WorkflowEnvironment

from db import models as m
from db.session import session_factory, transaction
from domain.calendar import WITA
from domain.catalog import load_catalog
from domain.roles import Acting, Actor, Role
from domain.schedule import default_schedule
from services import tasks
from services.access import AuthUser
from services.actions import build_cycle_spec
from tests.api.client import Api, running_api
from tests.pages.browser import ARTIFACTS, DESKTOP, PHONE, chromium, served, sign_in_browser
from tests.pages.test_pages import PASSWORD, PLAN, sign_in

NOW = datetime(2026, 7, 25, 1, 0, tzinfo=UTC)
"""09:00 WITA on 25 July 2026: drafting and signing are past due, the second quarter's
report too (due 20 July, locking 31 July); the third quarter's opens on 1 September."""
ORDERED, UNORDERED, ENDED = "rakor-a", "rakor-b", "rakor-lama"


def person(
    username: str, role: Role, regency: str | None = None, office: str | None = None
) -> AuthUser:
    """A signed-in person as the services see one."""
    return AuthUser(
        id=0,
        username=username,
        full_name=username,
        role=role,
        regency_code=regency,
        office=office,
        acting=Acting.DEFINITIVE,
        nip=None,
    )


OFFICER_5301 = person("operator-5301", Role.REGENCY_OFFICER, "53.01")
OFFICER_5371 = person("operator-5371", Role.REGENCY_OFFICER, "53.71")
REVIEWER = person("reviewer", Role.REVIEWER)
COORDINATOR = person("koordinator", Role.COORDINATOR)
MANAGER = person("manajer", Role.MANAGER)


def signer(office: str, regency: str = "53.03") -> AuthUser:
    """A signatory of a regency's office."""
    return person(f"{office}-{regency}", Role.SIGNATORY, regency, office)


def cycle_row(
    cycle_id: str, *, ordered: bool, started: datetime, ended: bool = False
) -> dict[str, Any]:
    """A cycle of 2026 for six NTT regencies, as recorded."""
    spec = build_cycle_spec(
        cycle_id=cycle_id,
        name=f"Rakor {cycle_id}",
        year=2026,
        catalog=load_catalog(),
        schedule=default_schedule(2026),
        started_by=Actor(name="Koordinator", role=Role.COORDINATOR),
        regency_codes=["53.01", "53.71", "53.02", "53.03", "53.04", "53.05"],
        ordered_signing=ordered,
    )
    return {
        "id": cycle_id,
        "name": spec.name,
        "year": 2026,
        "status": "completed" if ended else "running",
        "spec": spec.model_dump(mode="json"),
        "started_by": "Koordinator",
        "started_at": started,
        "ended_at": started + timedelta(days=200) if ended else None,
    }


DEADLINES = {
    key: value.isoformat()
    for key, value in {
        "drafting": datetime(2026, 2, 13, 15, 59, tzinfo=UTC),
        "signing": datetime(2026, 3, 31, 15, 59, tzinfo=UTC),
        "q1": datetime(2026, 4, 20, 15, 59, tzinfo=UTC),
        "q1_lock": datetime(2026, 4, 30, 15, 59, tzinfo=UTC),
        "q2": datetime(2026, 7, 20, 15, 59, tzinfo=UTC),
        "q2_lock": datetime(2026, 7, 31, 15, 59, tzinfo=UTC),
        "q3": datetime(2026, 10, 20, 15, 59, tzinfo=UTC),
        "q3_lock": datetime(2026, 10, 31, 15, 59, tzinfo=UTC),
        "q4": datetime(2027, 1, 20, 15, 59, tzinfo=UTC),
        "q4_lock": datetime(2027, 1, 31, 15, 59, tzinfo=UTC),
    }.items()
}


def commitment(
    cycle_id: str,
    code: str,
    stage: str,
    *,
    updated: datetime,
    round_: int = 1,
    overdue: str | None = None,
    **deadlines: datetime,
) -> dict[str, Any]:
    """A commitment row; `overdue` names the deadline it is overdue by, as the workflow
    would have recorded it."""
    dates = DEADLINES | {k: v.isoformat() for k, v in deadlines.items()}
    return {
        "id": f"{cycle_id}:{code}",
        "cycle_id": cycle_id,
        "regency_code": code,
        "regency_name": load_catalog().get(code).name,
        "stage": stage,
        "round": round_,
        "latest_version": round_,
        "approved_version": 1 if stage in ("signing", "follow_up") else None,
        "document_hash": "d" * 64 if stage in ("signing", "follow_up") else None,
        "next_due_at": None,
        "overdue_since": datetime.fromisoformat(dates[overdue]) if overdue else None,
        "deadlines": dates,
        "last_seq": 5,
        "updated_at": updated,
    }


def report(cid: str, quarter: int, state: str, submitted: datetime | None) -> dict[str, Any]:
    """A quarterly report row."""
    return {
        "commitment_id": cid,
        "quarter": quarter,
        "state": state,
        "timeliness": "on_time",
        "items": [],
        "submitted_by": "Operator" if submitted else None,
        "submitted_at": submitted,
        "verified_by": None,
        "verified_at": None,
        "return_reason": "Lengkapi bukti" if state == "returned" else None,
    }


def signature(cid: str, office: str) -> dict[str, Any]:
    """A signature on the commitment's approved document."""
    return {
        "commitment_id": cid,
        "version": 1,
        "office": office,
        "title": office,
        "signer_name": office,
        "acting": "definitive",
        "nip": None,
        "document_hash": "d" * 64,
        "signed_at": datetime(2026, 3, 20, tzinfo=UTC),
        "method": "confirmed",
    }


DAY = timedelta(days=1)


def fill(url: str) -> None:
    """The snapshot: what each person owes on 25 July 2026."""
    a, b = ORDERED, UNORDERED
    commitments = [
        # 53.01: the second quarter's report came back (overdue since 20 July); in the
        # other cycle, still drafting with an extension to 31 August.
        commitment(a, "53.01", "follow_up", updated=NOW - 3 * DAY, overdue="q2"),
        commitment(
            b,
            "53.01",
            "drafting",
            updated=NOW - 30 * DAY,
            drafting=datetime(2026, 8, 31, 15, 59, tzinfo=UTC),
        ),
        # 53.71: changes requested, the drafting deadline long past.
        commitment(a, "53.71", "drafting", updated=NOW - 10 * DAY, round_=2, overdue="drafting"),
        # 53.02: in review until 1 August; 53.05: in review, overdue since 1 July.
        commitment(
            a,
            "53.02",
            "review",
            updated=NOW - 2 * DAY,
            review=datetime(2026, 8, 1, 15, 59, tzinfo=UTC),
        ),
        commitment(
            b,
            "53.05",
            "review",
            updated=NOW - 40 * DAY,
            overdue="review",
            review=datetime(2026, 7, 1, 15, 59, tzinfo=UTC),
        ),
        # 53.03: signing, past due; in the ordered cycle the BPBD head has signed.
        commitment(a, "53.03", "signing", updated=NOW - 5 * DAY, overdue="signing"),
        commitment(b, "53.03", "signing", updated=NOW - 6 * DAY, overdue="signing"),
        # 53.04: the second quarter's report waits for verification.
        commitment(a, "53.04", "follow_up", updated=NOW - 1 * DAY),
        # An ended cycle's commitment: nobody's work any more.
        commitment(ENDED, "53.01", "completed", updated=NOW - 100 * DAY),
    ]
    reports = [
        report(f"{a}:53.01", 1, "verified", datetime(2026, 4, 10, tzinfo=UTC)),
        report(f"{a}:53.01", 2, "returned", datetime(2026, 7, 15, tzinfo=UTC)),
        report(f"{a}:53.04", 1, "verified", datetime(2026, 4, 10, tzinfo=UTC)),
        report(f"{a}:53.04", 2, "submitted", NOW - 1 * DAY),
    ]
    cycles = [
        cycle_row(a, ordered=True, started=datetime(2026, 1, 6, tzinfo=UTC)),
        cycle_row(b, ordered=False, started=datetime(2026, 1, 5, tzinfo=UTC)),
        cycle_row(ENDED, ordered=False, started=datetime(2025, 1, 5, tzinfo=UTC), ended=True),
    ]
    with transaction(session_factory(url)) as session:
        session.execute(insert(m.Cycle), cycles)
        session.execute(insert(m.Commitment), commitments)
        session.execute(insert(m.QuarterlyReport), reports)
        session.execute(insert(m.Signature), [signature(f"{a}:53.03", "bpbd_head")])


def listed(
    url: str, user: AuthUser, now: datetime = NOW
) -> list[tuple[str, str, int | None, bool]]:
    """(kind, commitment id, quarter, overdue) of each of the person's tasks, in order."""
    with transaction(session_factory(url)) as session:
        found = tasks.tasks_for(session, user, now)
    return [
        (t.kind.value, t.commitment_id, t.quarter, t.overdue_since is not None) for t in found.tasks
    ]


@pytest.fixture
def snapshot(db_url: str) -> str:
    """A database holding the snapshot."""
    fill(db_url)
    return db_url


def test_an_officer_drafts_and_reports_for_their_own_regency_only(snapshot: str) -> None:
    assert listed(snapshot, OFFICER_5301) == [
        ("fix_report", "rakor-a:53.01", 2, True),  # overdue first
        ("draft", "rakor-b:53.01", None, False),
    ]
    assert listed(snapshot, OFFICER_5371) == [("revise", "rakor-a:53.71", None, True)]
    # On 1 September the third quarter's report opens; the second's has locked.
    september = datetime(2026, 9, 1, 1, 0, tzinfo=UTC)
    assert ("report", "rakor-a:53.01", 3, False) in listed(snapshot, OFFICER_5301, september)
    assert not any(q == 2 for *_, q, _ in listed(snapshot, OFFICER_5301, september))


def test_the_reviewer_reviews_overdue_first_then_verifies(snapshot: str) -> None:
    assert listed(snapshot, REVIEWER) == [
        ("review", "rakor-b:53.05", None, True),
        ("review", "rakor-a:53.02", None, False),
        ("verify_report", "rakor-a:53.04", 2, False),
    ]
    with transaction(session_factory(snapshot)) as session:
        verify = tasks.tasks_for(session, REVIEWER, NOW).tasks[-1]
    assert verify.path == "/cycles/rakor-a/commitments/53.04/page#review-q2"
    assert verify.label["id"] == "Tindak Lanjut: verifikasi laporan triwulan II"
    assert verify.label["en"] == "Follow-up: verify the quarter II report"


def test_ordered_signing_shows_only_the_next_office(snapshot: str) -> None:
    # rakor-a signs in order and the BPBD head has signed: the Bappeda head is next.
    # Both are due the same day; the one waiting longer comes first.
    assert listed(snapshot, signer("planning_head")) == [
        ("sign", "rakor-b:53.03", None, True),
        ("sign", "rakor-a:53.03", None, True),
    ]
    assert listed(snapshot, signer("regional_head")) == [("sign", "rakor-b:53.03", None, True)]
    assert listed(snapshot, signer("bpbd_head")) == [("sign", "rakor-b:53.03", None, True)]
    assert listed(snapshot, signer("planning_head", "53.01")) == []


@pytest.mark.parametrize("user", [COORDINATOR, MANAGER], ids=lambda u: u.username)
def test_coordinators_and_managers_see_what_is_stuck_and_on_whom(
    snapshot: str, user: AuthUser
) -> None:
    with transaction(session_factory(snapshot)) as session:
        found = tasks.tasks_for(session, user, NOW)
    stuck = [(t.kind.value, t.commitment_id, t.waiting_on, t.offices) for t in found.tasks]
    assert stuck == [
        ("overdue_drafting", "rakor-a:53.71", "regency_officer", ()),
        ("overdue_signing", "rakor-a:53.03", "signatory", ("planning_head", "regional_head")),
        (
            "overdue_signing",
            "rakor-b:53.03",
            "signatory",
            ("bpbd_head", "planning_head", "regional_head"),
        ),
        ("overdue_review", "rakor-b:53.05", "reviewer", ()),
        ("overdue_report", "rakor-a:53.01", "regency_officer", ()),
    ]
    assert all(t.overdue_since == t.due_at for t in found.tasks)
    assert found.more == 0 and found.unread == 5


def test_unread_counts_what_arose_since_the_list_was_last_opened(snapshot: str) -> None:
    with transaction(session_factory(snapshot)) as session:
        assert tasks.tasks_for(session, REVIEWER, NOW).unread == 3
        assert tasks.unread_count(session, REVIEWER) == 3
        seen = replace(REVIEWER, tasks_seen_at=NOW - 3 * DAY)
        after = tasks.tasks_for(session, seen, NOW)
        assert [t.commitment_id for t in after.tasks if t.new] == [
            "rakor-a:53.02",
            "rakor-a:53.04",
        ]
        assert after.unread == tasks.unread_count(session, seen) == 2
        coordinator = replace(COORDINATOR, tasks_seen_at=datetime(2026, 7, 10, tzinfo=UTC))
        # Only the second quarter's report fell overdue after 10 July.
        assert tasks.unread_count(session, coordinator) == 1


@pytest.mark.parametrize(
    ("user", "text", "expected"),
    [
        (REVIEWER, "kupang", ["rakor-a:53.01", "rakor-a:53.71", "rakor-b:53.01"]),
        (REVIEWER, "KUPANG", ["rakor-a:53.01", "rakor-a:53.71", "rakor-b:53.01"]),
        (REVIEWER, "53.71", ["rakor-a:53.71"]),
        (REVIEWER, "5371", ["rakor-a:53.71"]),  # the BPS code of Kota Kupang
        (
            REVIEWER,
            "53.0",
            ["rakor-a:53.01", "rakor-a:53.02", "rakor-a:53.03", "rakor-a:53.04"]
            + ["rakor-b:53.01", "rakor-b:53.03", "rakor-b:53.05"],
        ),
        (REVIEWER, "%", []),
        (OFFICER_5301, "kupang", ["rakor-a:53.01", "rakor-b:53.01"]),
        (OFFICER_5301, "53.71", []),
        (OFFICER_5371, "Kota", ["rakor-a:53.71"]),
    ],
)
def test_search_finds_commitments_of_running_cycles_in_scope(
    snapshot: str, user: AuthUser, text: str, expected: list[str]
) -> None:
    with transaction(session_factory(snapshot)) as session:
        found = tasks.search(session, user, text)
    # Newest cycle first (rakor-a started a day later), then by regency code.
    assert [c.id for c in found] == expected


# --- the pages on the real stack ---------------------------------------------------------


def task_paths(html: str) -> list[str]:
    """The link of each task on the home page, in order."""
    return re.findall(r'<a href="([^"]+)" class="task-link">', html)


def board_rows(html: str) -> list[str]:
    """The regency code of each row of a board or a search's results, in order."""
    return re.findall(r'<tr[^>]*data-regency="([^"]+)"', html)


def header_count(html: str) -> str | None:
    """The unread count in the header, if shown."""
    found = re.search(r'<span class="count"[^>]*>(\d+)</span>', html)
    return found.group(1) if found else None


async def my_tasks(api: Api, username: str) -> dict[str, Any]:
    """GET /me/tasks as a user."""
    response = await api.get("/me/tasks", username)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def page(http: httpx.AsyncClient, path: str, **params: str) -> str:
    """A page's HTML, as the signed-in user."""
    response = await http.get(path, params=params or None)
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return response.text


async def test_home_page_and_json_list_the_same_work(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = time_skipping_env
    year = (await env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(env.client, db_url, tmp_path) as api:
        cycle = await api.start_cycle(["53.01", "53.71"], year)
        own = f"/cycles/{cycle}/commitments/53.01"
        saved = await api.post(
            f"{own}/save-draft", "operator-5301", {"plan": PLAN, "based_on_version": 0}
        )
        assert saved.status_code == 200, saved.text
        assert (await api.post(f"{own}/submit", "operator-5301", {"version": 1})).is_success

        await sign_in(api, "reviewer")
        board = await page(api.http, f"/cycles/{cycle}/board")
        assert header_count(board) == "1"  # the review, new
        home = await page(api.http, "/")
        assert "<h1>Tugas saya</h1>" in home and "Reviu rencana aksi" in home
        assert task_paths(home) == [f"{own}/page#actions"]
        listed = await my_tasks(api, "reviewer")
        assert [t["path"] for t in listed["tasks"]] == task_paths(home)
        assert listed["tasks"][0]["kind"] == "review" and listed["more"] == 0
        assert listed["tasks"][0]["label"] == {
            "id": "Reviu rencana aksi",
            "en": "Review the action plan",
        }
        # Opened: nothing is new any more, on this page or the next.
        assert header_count(await page(api.http, f"/cycles/{cycle}/board")) is None
        assert (await my_tasks(api, "reviewer"))["unread"] == 0
        english = await page(api.http, "/", lang="en")
        assert "<h1>My tasks</h1>" in english and "Review the action plan" in english
        await api.http.get("/", params={"lang": "id"})

        # Kota Kupang's officer drafts their own plan; Kabupaten Kupang is not theirs.
        await sign_in(api, "operator-5371")
        home = await page(api.http, "/")
        assert task_paths(home) == [f"/cycles/{cycle}/commitments/53.71/page#actions"]
        assert "53.01" not in home and "Kabupaten Kupang" not in home
        listed = await my_tasks(api, "operator-5371")
        assert [t["path"] for t in listed["tasks"]] == task_paths(home)
        assert listed["tasks"][0]["kind"] == "draft"
        assert board_rows(await page(api.http, "/search", q="kupang")) == ["53.71"]
        assert board_rows(await page(api.http, "/search", q="53.01")) == []

        await sign_in(api, "koordinator")
        assert "Tidak ada tugas untuk Anda saat ini." in await page(api.http, "/")
        assert board_rows(await page(api.http, "/search", q="kupang")) == ["53.01", "53.71"]
        found = await page(api.http, "/search", q="53.71")
        assert board_rows(found) == ["53.71"] and "Kota Kupang" in found
        assert "Tidak ada komitmen yang cocok." in await page(api.http, "/search", q="Ende")

        # The board sorts by regency, stage or deadline, and shows one stage, by links.
        path = f"/cycles/{cycle}/board"
        assert board_rows(await page(api.http, path)) == ["53.01", "53.71"]
        assert board_rows(await page(api.http, path, sort="stage")) == ["53.71", "53.01"]
        assert board_rows(await page(api.http, path, stage="review")) == ["53.01"]
        shown = await page(api.http, path, sort="stage", stage="drafting")
        assert board_rows(shown) == ["53.71"]
        assert f'href="{path}?sort=due&amp;stage=drafting"' in shown  # sorting keeps the filter
        assert f'href="{path}?sort=stage&amp;stage=review"' in shown  # filtering keeps the sort
        assert board_rows(await page(api.http, path, sort="due")) == ["53.01", "53.71"]
        refused = await api.http.get(path, params={"sort": "nope"})
        assert refused.status_code == 400 and "Saringan tidak dikenal" in refused.text


async def test_sign_in_lands_on_my_tasks_and_the_first_task_opens_its_form(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = time_skipping_env
    year = (await env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(env.client, db_url, tmp_path) as api:
        api.set_password("operator-5301", PASSWORD)
        first = await api.start_cycle(["53.01", "53.71"], year)
        await api.start_cycle(["53.01"], year)
        async with served(api.app) as base, chromium() as browser:
            for name, viewport in (("390", PHONE), ("1366", {**DESKTOP, "width": 1366})):
                officer = await sign_in_browser(browser, base, "operator-5301", PASSWORD, viewport)
                tab = officer.page
                assert tab.url == base + "/"
                assert await tab.inner_text("h1") == "Tugas saya"
                assert await tab.locator("ol.tasks > li").count() == 2
                assert await officer.fits_width(), name
                await officer.screenshot(f"tasks-{name}")
                async with tab.expect_navigation():
                    await tab.locator("ol.tasks a.task-link").first.click()
                # Both are due the same day; the one waiting longer (started first) leads.
                assert tab.url == f"{base}/cycles/{first}/commitments/53.01/page#actions"
                assert await tab.locator("#form-save_draft").count() == 1
                await officer.screenshot(f"tasks-first-{name}")
                await tab.context.close()
    assert (ARTIFACTS / "tasks-390.png").exists()
