"""Credentials under pressure: parallel guessing, password resets, deactivation, revocation.

Through the real app over HTTP, on SQLite and PostgreSQL; the `komitmen users` commands
through `komitmen.cli.main`.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import sys
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from db import models as m
from db import people as db_people
from db.session import session_factory, transaction
from komitmen.cli import main
from services.settings import Settings, get_settings
from tests.api.test_access import PASSWORD, add_people

NEW_PASSWORD = "sandi-baru-yang-panjang"


async def test_parallel_wrong_passwords_are_held_to_the_limit(db_url: str) -> None:
    """20 wrong passwords at once for one person: at most 5 are checked, the rest locked out."""
    add_people(db_url, "koordinator")
    app = create_app(Settings(database_url=db_url))  # 5 failures per username
    transport = httpx.ASGITransport(app=app)
    wrong = {"username": "koordinator", "password": "salah-salah"}
    async with httpx.AsyncClient(transport=transport, base_url="http://komitmen") as http:
        # The route is synchronous: each request runs on a thread of its own, in parallel.
        answers = await asyncio.gather(*(http.post("/auth/token", json=wrong) for _ in range(20)))
        statuses = [a.status_code for a in answers]
        assert set(statuses) <= {401, 429}, statuses
        checked = statuses.count(401)
        assert checked <= 5, statuses
        for locked in (a for a in answers if a.status_code == 429):
            assert int(locked.headers["retry-after"]) > 0
        # Only the checked ones count as failures: a locked attempt is not one...
        with transaction(session_factory(db_url)) as session:
            counted = session.scalar(
                select(func.count())
                .select_from(m.LoginFailure)
                .where(m.LoginFailure.key == "user:koordinator")
            )
        assert counted == checked
        # ...so one after another, the rest of the five are checked, and then no more.
        after = [(await http.post("/auth/token", json=wrong)).status_code for _ in range(6)]
        assert after == [401] * (5 - checked) + [429] * (1 + checked)
        right = {"username": "koordinator", "password": PASSWORD}
        assert (await http.post("/auth/token", json=right)).status_code == 429


# --- tokens, page sessions and the `komitmen users` commands -----------------------------


@pytest.fixture
def cli_on(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """`komitmen` commands run against `db_url` (settings read afresh, and again afterwards)."""
    monkeypatch.setenv("KOMITMEN_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        yield db_url
    finally:
        get_settings.cache_clear()


def cli(monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: str = "") -> int:
    """Run `komitmen ARGV...` in this process, with `stdin` piped in."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(list(argv))


class Person:
    """One person's API token and page session, on the real app."""

    def __init__(self, client: TestClient, username: str) -> None:
        self.client, self.username = client, username

    def token(self, password: str = PASSWORD) -> httpx.Response:
        """POST /auth/token."""
        body = {"username": self.username, "password": password}
        response: httpx.Response = self.client.post("/auth/token", json=body)
        return response

    def api_token(self) -> str:
        """A new API token, signing in with the password."""
        issued = self.token()
        assert issued.status_code == 201, issued.text
        token: str = issued.json()["access_token"]
        return token

    def me(self, token: str) -> int:
        """The status of GET /auth/me with a bearer token."""
        status: int = self.client.get(
            "/auth/me", headers={"Authorization": f"Bearer {token}"}
        ).status_code
        return status

    def page_session(self) -> str:
        """A page session (the cookie's token), signing in through the form."""
        self.client.cookies.clear()
        form = self.client.get("/login")
        nonce = re.search(r'name="login_nonce" value="([^"]+)"', form.text)
        assert nonce is not None
        data = {"username": self.username, "password": PASSWORD, "login_nonce": nonce.group(1)}
        signed_in = self.client.post("/login", data=data, follow_redirects=False)
        assert signed_in.status_code == 303, signed_in.text
        session: str = self.client.cookies["komitmen_session"]
        self.client.cookies.clear()
        return session

    def page_is_open(self, session: str) -> bool:
        """Whether the home page opens with this page session (not sent to sign in)."""
        self.client.cookies.set("komitmen_session", session)
        try:
            response = self.client.get("/", follow_redirects=False)
        finally:
            self.client.cookies.clear()
        return not response.headers.get("location", "").startswith("/login")


def test_a_password_reset_revokes_every_token_and_page_session(
    cli_on: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    add_people(cli_on, "koordinator", "reviewer")
    person = Person(TestClient(create_app(Settings(database_url=cli_on))), "koordinator")
    other = Person(person.client, "reviewer")
    token, session, others = person.api_token(), person.page_session(), other.api_token()
    assert person.me(token) == 200 and person.page_is_open(session)

    caplog.set_level(logging.INFO)
    assert cli(monkeypatch, "users", "passwd", "koordinator", stdin=NEW_PASSWORD + "\n") == 0
    assert person.me(token) == 401
    assert not person.page_is_open(session)
    assert person.token().status_code == 401  # the old password
    assert person.me(person.token(NEW_PASSWORD).json()["access_token"]) == 200
    assert other.me(others) == 200  # nobody else's
    assert "koordinator" in caplog.text and "revoked 2" in caplog.text


def test_a_deactivated_person_cannot_sign_in_and_their_tokens_stop(
    cli_on: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    add_people(cli_on, "koordinator", "reviewer")
    person = Person(TestClient(create_app(Settings(database_url=cli_on))), "koordinator")
    other = Person(person.client, "reviewer")
    token, session, others = person.api_token(), person.page_session(), other.api_token()

    assert cli(monkeypatch, "users", "deactivate", "koordinator") == 0
    assert "deactivated koordinator" in capsys.readouterr().out
    assert person.me(token) == 401
    assert not person.page_is_open(session)
    assert person.token().status_code == 401  # the right password, refused
    assert other.me(others) == 200
    assert cli(monkeypatch, "users") == 0
    assert "koordinator" not in capsys.readouterr().out
    # Once is enough: a second time names the mistake.
    assert cli(monkeypatch, "users", "deactivate", "koordinator") == 2
    assert "no active user 'koordinator'" in capsys.readouterr().err


def test_revoking_a_persons_tokens_leaves_their_sign_in(
    cli_on: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    add_people(cli_on, "koordinator", "reviewer")
    person = Person(TestClient(create_app(Settings(database_url=cli_on))), "koordinator")
    other = Person(person.client, "reviewer")
    tokens, session, others = (
        [person.api_token(), person.api_token()],
        person.page_session(),
        (other.api_token()),
    )

    assert cli(monkeypatch, "users", "revoke-tokens", "koordinator") == 0
    assert "revoked 3 tokens of koordinator" in capsys.readouterr().out
    assert [person.me(t) for t in tokens] == [401, 401]
    assert not person.page_is_open(session)
    assert other.me(others) == 200
    fresh = person.api_token()  # the password still signs in
    assert person.me(fresh) == 200
    assert person.page_is_open(person.page_session())
    assert cli(monkeypatch, "users", "revoke-tokens", "nobody") == 2


def test_a_person_added_on_the_command_line_is_in_their_history(
    cli_on: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    added = ["users", "add", "--username", "petugas-5301", "--name", "Maria Lero"]
    added += ["--email", "maria@example.test", "--role", "regency_officer", "--regency", "53.01"]
    assert cli(monkeypatch, *added) == 0
    assert "added petugas-5301" in capsys.readouterr().out
    with session_factory(cli_on)() as session:
        history = db_people.account_events(session, subject="petugas-5301")
    assert [(e.action, e.details["via"], e.details["regency_code"]) for e in history] == [
        ("added", "command line", "53.01")
    ]
    assert history[0].actor.endswith("(command line)")
