"""The web pages over httpx against the real app: login, the board and a commitment's page."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from db import models as m
from db.session import session_factory, transaction
from domain.audit import SUPERSEDES
from domain.calendar import WITA, end_of_day
from domain.catalog import load_catalog
from komitmen.demo import sample_plan
from tests.api.client import Api, running_api
from tests.harness import until

PLAN: dict[str, Any] = sample_plan(load_catalog().get("53.01")).model_dump(mode="json")
PASSWORD = "kata-sandi-panjang"


def hidden(html: str, name: str) -> str:
    """The value of a hidden input in a page."""
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match is not None, f"no hidden field {name}"
    return match.group(1)


async def sign_in(api: Api, username: str) -> httpx.Response:
    """Log in through the form as a user, replacing any earlier page session."""
    api.set_password(username, PASSWORD)
    api.http.cookies.clear()
    form = await api.http.get("/login")
    response = await api.http.post(
        "/login",
        data={
            "username": username,
            "password": PASSWORD,
            "login_nonce": hidden(form.text, "login_nonce"),
        },
    )
    assert response.status_code == 303, response.text
    return response


async def test_login_form_sets_an_httponly_session_and_logout_revokes_it(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    async with running_api(time_skipping_env.client, db_url, tmp_path) as api:
        api.set_password("operator-5301", PASSWORD)
        form = await api.http.get("/login")
        assert form.status_code == 200 and 'name="password"' in form.text
        nonce = hidden(form.text, "login_nonce")

        for username, password in (("operator-5301", "salah"), ("nobody", "x"), ("", "")):
            wrong = await api.http.post(
                "/login", data={"username": username, "password": password, "login_nonce": nonce}
            )
            assert wrong.status_code == 200, wrong.text
            assert "Nama pengguna atau kata sandi salah." in wrong.text
            assert "komitmen_session" not in wrong.headers.get("set-cookie", "")
            nonce = hidden(wrong.text, "login_nonce")

        # A sign-in posted from another site carries no matching nonce: refused (login CSRF).
        forged = await api.http.post(
            "/login",
            data={"username": "operator-5301", "password": PASSWORD, "login_nonce": "forged"},
        )
        assert forged.status_code == 403 and "Formulir kedaluwarsa" in forged.text
        assert "komitmen_session" not in forged.headers.get("set-cookie", "")
        nonce = hidden(forged.text, "login_nonce")

        unauthenticated = await api.http.get("/")
        assert unauthenticated.status_code == 303
        assert unauthenticated.headers["location"].startswith("/login?next=")

        login = await api.http.post(
            "/login",
            data={
                "username": "operator-5301",
                "password": PASSWORD,
                "next": "//evil.example",
                "login_nonce": nonce,
            },
        )
        assert login.status_code == 303
        assert login.headers["location"] == "/"
        cookies = {c.split("=", 1)[0]: c.lower() for c in login.headers.get_list("set-cookie")}
        cookie = cookies["komitmen_session"]
        assert "httponly" in cookie and "samesite=lax" in cookie
        assert "secure" not in cookie  # plain http here; https requests get Secure
        # The pages speak the language on the person's record until they choose another.
        assert cookies["komitmen_lang"].startswith("komitmen_lang=id;")

        home = await api.http.get("/")
        assert home.status_code == 200 and "Belum ada siklus komitmen." in home.text

        assert "max-age=32400" in cookie  # KOMITMEN_SESSION_HOURS, 9 by default

        token = api.http.cookies["komitmen_session"]
        forged_logout = await api.http.post("/logout", data={"csrf": "forged"})
        assert forged_logout.status_code == 403
        assert (await api.http.get("/")).status_code == 200  # still signed in
        logout = await api.http.post("/logout", data={"csrf": hidden(home.text, "csrf")})
        assert logout.status_code == 303
        api.http.cookies.set("komitmen_session", token)
        assert (await api.http.get("/")).status_code == 303  # the token was revoked


async def test_board_and_commitment_page_follow_the_commitment(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = time_skipping_env
    year = (await env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(env.client, db_url, tmp_path) as api:
        cycle = await api.start_cycle(["53.01", "53.71"], year)
        base = f"/cycles/{cycle}/commitments/53.01"
        saved = await api.post(
            f"{base}/save-draft", "operator-5301", {"plan": PLAN, "based_on_version": 0}
        )
        assert saved.status_code == 200, saved.text
        assert (await api.post(f"{base}/submit", "operator-5301", {"version": 1})).is_success

        await sign_in(api, "manajer")
        # The manager's record says English, so the pages do, until a page says otherwise.
        home = await api.http.get("/")
        assert home.status_code == 200 and "My tasks" in home.text
        assert f'href="/cycles/{cycle}/board"' in home.text
        board = await api.http.get(f"/cycles/{cycle}/board", params={"lang": "id"})
        assert board.status_code == 200 and "komitmen_lang=id" in board.headers["set-cookie"]
        assert "Kabupaten Kupang" in board.text and "Kota Kupang" in board.text
        assert "Dalam Reviu" in board.text
        assert "WITA" in board.text and "0/4" in board.text

        english = await api.http.get(f"/cycles/{cycle}/board", params={"lang": "en"})
        assert "In review" in english.text and "Dalam Reviu" not in english.text
        assert "komitmen_lang=en" in english.headers["set-cookie"]
        remembered = await api.http.get(f"/cycles/{cycle}/board")
        assert "In review" in remembered.text
        await api.http.get(f"/cycles/{cycle}/board", params={"lang": "id"})

        script = "<script>alert('reviu')</script>"
        changes = await api.post(
            f"{base}/request-changes",
            "reviewer",
            {"version": 1, "comments": [{"item_position": 1, "text": script}]},
        )
        assert changes.status_code == 200, changes.text
        page = await api.http.get(f"{base}/page")
        assert page.status_code == 200
        assert script not in page.text
        assert "&lt;script&gt;alert(&#39;reviu&#39;)&lt;/script&gt;" in page.text
        assert "Perlu Revisi" in page.text and "Rp" in page.text
        assert "request_changes" in page.text  # the audit timeline
        assert 'class="supersedes"' not in page.text
        # A change recorded in place of a lost workflow task's rows says so (db/records.py).
        with transaction(session_factory(api.url)) as session:
            row = session.scalars(
                select(m.AuditEvent).where(m.AuditEvent.action == "request_changes")
            ).one()
            row.detail = {**row.detail, SUPERSEDES: ["a" * 64, "b" * 64]}
        page = await api.http.get(f"{base}/page")
        assert (
            "dicatat ulang setelah langkah sistem terputus; catatan yang dikesampingkan: 2"
            in page.text
        )
        # Who acted reads as their role's label, never its code.
        assert "(Operator kabupaten/kota)" in page.text and "(Reviewer)" in page.text
        assert "(regency_officer)" not in page.text

        await sign_in(api, "operator-5371")
        own_board = await api.http.get(f"/cycles/{cycle}/board")
        assert "Kota Kupang" in own_board.text and "Kabupaten Kupang" not in own_board.text
        outsider = await api.http.get(f"{base}/page")
        assert outsider.status_code == 403
        assert script not in outsider.text and "Rp" not in outsider.text
        own = await api.http.get(f"/cycles/{cycle}/commitments/53.71/page")
        assert own.status_code == 200 and "Draf" in own.text


async def test_board_highlights_what_is_overdue(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = time_skipping_env
    year = (await env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(env.client, db_url, tmp_path) as api:
        cycle = await api.start_cycle(["53.01"], year)
        await sign_in(api, "koordinator")
        before = await api.http.get(f"/cycles/{cycle}/board")
        assert 'class="overdue"' not in before.text and "Draf" in before.text

        await until(env, end_of_day(date(year, 1, 15)) + timedelta(days=2))
        after = await api.http.get(f"/cycles/{cycle}/board")
        assert '<tr class="overdue" data-regency="53.01">' in after.text
        assert "Melewati tenggat" in after.text
