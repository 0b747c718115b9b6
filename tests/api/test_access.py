"""Access: sign-in throttling, Secure cookies over HTTPS, and no secrets in the logs."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from db import people
from db.session import session_factory, transaction
from services import signin as security
from services.access import AuthUser
from services.errors import LockedOut
from services.settings import Settings

PASSWORD = "kata-sandi-yang-panjang"
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def add_people(db_url: str, *usernames: str) -> None:
    """Coordinators with the test password."""
    with transaction(session_factory(db_url)) as session:
        for username in usernames:
            people.add_user(
                session,
                username=username,
                full_name=username.title(),
                email=f"{username}@example.org",
                role="coordinator",
                regency_code=None,
                office=None,
                now=NOW,
            )
            security.set_password(session, username=username, password=PASSWORD)


def token_request(client: TestClient, username: str, password: str) -> int:
    """POST /auth/token and return the status."""
    response = client.post("/auth/token", json={"username": username, "password": password})
    status: int = response.status_code
    return status


def test_api_sign_in_is_refused_for_a_while_after_repeated_failures(db_url: str) -> None:
    add_people(db_url, "koordinator", "reviewer")
    client = TestClient(create_app(Settings(database_url=db_url, login_max_failures=3)))
    assert token_request(client, "koordinator", PASSWORD) == 201
    assert [token_request(client, "koordinator", "salah") for _ in range(3)] == [401] * 3

    locked = client.post("/auth/token", json={"username": "koordinator", "password": PASSWORD})
    assert locked.status_code == 429
    assert locked.headers["content-type"] == "application/problem+json"
    assert 0 < int(locked.headers["retry-after"]) <= 15 * 60
    assert "too many failed sign-ins" in locked.json()["detail"]
    # The username is locked, not the whole address: another account still signs in...
    assert token_request(client, "Reviewer ", PASSWORD) == 401  # a username is exact
    assert token_request(client, "reviewer", PASSWORD) == 201
    # ...until the address itself has failed four times the limit.
    for attempt in range(12):
        token_request(client, f"tamu-{attempt}", "salah")
    assert token_request(client, "reviewer", PASSWORD) == 429


def test_the_throttle_lifts_when_failures_leave_the_window(db_url: str) -> None:
    add_people(db_url, "koordinator")
    sessions = session_factory(db_url)
    throttle = security.LoginThrottle(max_failures=2, window=timedelta(minutes=15))

    def attempt(password: str, at: datetime) -> AuthUser | None:
        credentials = security.Credentials("koordinator", password, "10.0.0.7")
        signed_in = security.sign_in(
            sessions, throttle, credentials, token_name="t", lifetime=timedelta(hours=1), now=at
        )
        return signed_in[0] if signed_in else None

    assert attempt("salah", NOW) is None
    assert attempt("salah", NOW + timedelta(minutes=5)) is None
    with pytest.raises(LockedOut) as locked:
        attempt(PASSWORD, NOW + timedelta(minutes=6))
    assert locked.value.retry_after == 9 * 60 + 1  # until the first failure is 15 minutes old
    with pytest.raises(LockedOut):
        attempt(PASSWORD, NOW + timedelta(minutes=14, seconds=59))
    user = attempt(PASSWORD, NOW + timedelta(minutes=15, seconds=1))
    assert user is not None and user.username == "koordinator"
    # A success clears the username's failures: one more failure does not lock it again.
    assert attempt("salah", NOW + timedelta(minutes=16)) is None
    assert attempt(PASSWORD, NOW + timedelta(minutes=16)) is not None


def test_page_sign_in_says_when_to_try_again(db_url: str) -> None:
    add_people(db_url, "koordinator")
    client = TestClient(create_app(Settings(database_url=db_url, login_max_failures=2)))

    def post(password: str) -> httpx.Response:
        form = client.get("/login")
        nonce = re.search(r'name="login_nonce" value="([^"]+)"', form.text)
        assert nonce is not None
        data = {"username": "koordinator", "password": password, "login_nonce": nonce.group(1)}
        response: httpx.Response = client.post("/login", data=data, follow_redirects=False)
        return response

    post("salah")
    post("salah")
    locked = post(PASSWORD)
    assert locked.status_code == 429
    text = locked.text
    assert "Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam 15 menit." in text
    assert "komitmen_session" not in locked.headers.get("set-cookie", "")


def test_cookies_are_secure_over_https_and_secrets_stay_out_of_the_logs(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    add_people(db_url, "koordinator")
    caplog.set_level(logging.DEBUG)
    client = TestClient(create_app(Settings(database_url=db_url)), base_url="https://komitmen")
    form = client.get("/login")
    assert "secure" in form.headers["set-cookie"].lower()
    nonce = re.search(r'name="login_nonce" value="([^"]+)"', form.text)
    assert nonce is not None
    signed_in = client.post(
        "/login",
        data={"username": "koordinator", "password": PASSWORD, "login_nonce": nonce.group(1)},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    cookie = signed_in.headers["set-cookie"].lower()
    assert "komitmen_session=" in cookie
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    session_token = client.cookies["komitmen_session"]

    issued = client.post("/auth/token", json={"username": "koordinator", "password": PASSWORD})
    api_token = issued.json()["access_token"]
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {api_token}"})
    assert me.status_code == 200
    assert client.delete("/auth/token", headers={"Authorization": f"Bearer {api_token}"}).is_success
    revoked = client.get("/auth/me", headers={"Authorization": f"Bearer {api_token}"})
    assert revoked.status_code == 401

    logged = caplog.text
    assert logged  # the app and its libraries did log at DEBUG
    for secret in (PASSWORD, session_token, api_token):
        assert secret not in logged
