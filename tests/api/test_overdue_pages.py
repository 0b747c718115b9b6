"""The overdue list across cycles, page by page: each obligation once, longest overdue first."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from db import models as m
from db import people, records
from db.session import session_factory, transaction
from domain.catalog import load_catalog
from domain.cycle import CycleEvent
from domain.roles import Actor, Role
from domain.schedule import default_schedule
from services import signin as security
from services.actions import build_cycle_spec
from services.settings import Settings

CYCLES = ("rakor-2026", "rakor-2026-susulan")
NOW = datetime(2026, 7, 25, 2, tzinfo=UTC)
PASSWORD = "rahasia-sekali"
COORDINATOR = Actor(name="Koordinator", role=Role.COORDINATOR)


def seed(db_url: str) -> list[str]:
    """Two cycles of the 22 regencies: most overdue, some at the same instant, some owing two
    quarterly reports; every fifth not overdue at all. The overdue ones, longest first."""
    catalog = load_catalog()
    sessions = session_factory(db_url)
    for cycle_id in CYCLES:
        spec = build_cycle_spec(
            cycle_id=cycle_id,
            name=cycle_id,
            year=2026,
            catalog=catalog,
            schedule=default_schedule(2026),
            started_by=COORDINATOR,
            regency_codes=catalog.codes(),
        )
        with transaction(sessions) as session:
            records.record_cycle_event(
                session,
                event=CycleEvent(
                    cycle_id=cycle_id,
                    seq=1,
                    action="started",
                    status="running",
                    actor=COORDINATOR,
                    occurred_at=NOW - timedelta(days=200),
                    spec=spec,
                ),
            )
    overdue: list[tuple[datetime, str]] = []
    with transaction(sessions) as session:
        for c, cycle_id in enumerate(CYCLES):
            for n, regency in enumerate(catalog.regencies):
                # Pairs of commitments became overdue at the same instant: ids break the tie.
                since = NOW - timedelta(days=60 - (n // 2) - c)
                following = n % 3 == 0
                deadlines = {
                    "drafting": since,
                    "q1": since,
                    # Only the even ones owe their second quarter by NOW.
                    "q2": since + timedelta(days=30 if n % 2 == 0 else 90),
                }
                session.add(
                    m.Commitment(
                        id=f"{cycle_id}:{regency.kemendagri_code}",
                        cycle_id=cycle_id,
                        regency_code=regency.kemendagri_code,
                        regency_name=regency.name,
                        stage="follow_up" if following else "drafting",
                        round=1,
                        latest_version=1,
                        approved_version=1 if following else None,
                        document_hash=None,
                        next_due_at=since,
                        overdue_since=None if n % 5 == 4 else since,
                        deadlines={k: v.isoformat() for k, v in deadlines.items()},
                        last_seq=1,
                        updated_at=NOW - timedelta(days=1),
                    )
                )
                if n % 5 != 4:
                    overdue.append((since, f"{cycle_id}:{regency.kemendagri_code}"))
        for username, role, regency_code in (
            ("manajer", "manager", None),
            ("operator-5301", "regency_officer", "53.01"),
        ):
            people.add_user(
                session,
                username=username,
                full_name=username,
                email=f"{username}@example.org",
                role=role,
                regency_code=regency_code,
                office=None,
                now=NOW,
            )
            security.set_password(session, username=username, password=PASSWORD)
    return [key for _, key in sorted(overdue)]


def signed_in(client: TestClient, username: str) -> dict[str, str]:
    login = client.post("/auth/token", json={"username": username, "password": PASSWORD})
    assert login.status_code == 201, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def links(response: Any) -> dict[str, str]:
    """The URLs of the Link header by relation."""
    return {
        rel: url
        for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers.get("link", ""))
    }


def walk(
    client: TestClient, headers: dict[str, str], url: str, rel: str = "next"
) -> list[list[dict[str, Any]]]:
    """Every page from `url` on, following one relation of the Link headers."""
    following: str | None = url
    pages = []
    while following is not None:
        response = client.get(following, headers=headers)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        following = links(response).get(rel)
    return pages


def first(limit: int, query: str = "") -> str:
    """The first page of the list across cycles, time left measured at NOW."""
    return f"/overdue?limit={limit}&at={NOW.isoformat().replace('+', '%2B')}{query}"


def commitments(page: list[dict[str, Any]]) -> list[str]:
    """The commitments of a page, in order."""
    return list(dict.fromkeys(e["commitment_id"] for e in page))


def test_pages_hold_every_overdue_obligation_once_longest_overdue_first(db_url: str) -> None:
    order = seed(db_url)
    client = TestClient(create_app(Settings(database_url=db_url)))
    headers = signed_in(client, "manajer")
    whole = walk(client, headers, first(500))
    assert len(whole) == 1
    everything = whole[0]
    # 36 of 44 commitments are overdue, by when they became overdue, then id (ties exist).
    assert commitments(everything) == order and len(order) == 36
    # Those in follow-up owe two quarters once the second is due, the first one first.
    assert len(everything) == 36 + sum(1 for e in everything if e["deadline_key"] == "q2")
    assert any(e["deadline_key"] == "q2" for e in everything)
    for a, b in zip(everything, everything[1:], strict=False):
        if a["commitment_id"] == b["commitment_id"]:
            assert (a["deadline_key"], b["deadline_key"]) == ("q1", "q2")

    pages = walk(client, headers, first(7))
    assert [len(commitments(page)) for page in pages] == [7, 7, 7, 7, 7, 1]
    paged = [e for page in pages for e in page]
    assert paged == everything
    keys = [(e["commitment_id"], e["deadline_key"]) for e in paged]
    assert len(keys) == len(set(keys))

    # Back from the last page, rel="prev" gives the same pages in reverse; the first has none.
    response = client.get(first(7), headers=headers)
    assert set(links(response)) == {"next"}
    last = None
    for _ in pages[1:]:
        last = links(response)["next"]
        response = client.get(last, headers=headers)
    assert last is not None and "prev" in links(response) and "next" not in links(response)
    assert walk(client, headers, last, rel="prev") == pages[::-1]


def test_a_page_holds_the_limit_of_commitments_owing_what_the_filter_asks(db_url: str) -> None:
    seed(db_url)
    client = TestClient(create_app(Settings(database_url=db_url)))
    headers = signed_in(client, "manajer")
    (owing,) = walk(client, headers, first(500, "&quarter=2"))
    # Of the 14 commitments in follow-up, the 8 whose second quarter is due; the others,
    # between them, are read and passed over.
    assert {e["deadline_key"] for e in owing} == {"q2"} and len(owing) == 8
    pages = walk(client, headers, first(3, "&quarter=2"))
    assert [len(page) for page in pages] == [3, 3, 2]
    assert [e for page in pages for e in page] == owing


def test_walking_the_pages_skips_nothing_when_the_list_changes(db_url: str) -> None:
    order = seed(db_url)
    client = TestClient(create_app(Settings(database_url=db_url)))
    headers = signed_in(client, "manajer")
    page = client.get(first(7), headers=headers)
    assert commitments(page.json()) == order[:7]
    # Meanwhile two commitments on the first page are done.
    sessions = session_factory(db_url)
    with transaction(sessions) as session:
        for done in order[:2]:
            session.get_one(m.Commitment, done).overdue_since = None
    second = client.get(links(page)["next"], headers=headers)
    assert commitments(second.json()) == order[7:14]
    back = client.get(links(second)["prev"], headers=headers)
    assert commitments(back.json()) == order[2:9]
    assert "prev" not in links(back)


def test_a_regency_user_pages_through_their_own_regency_only(db_url: str) -> None:
    seed(db_url)
    client = TestClient(create_app(Settings(database_url=db_url)))
    headers = signed_in(client, "operator-5301")
    pages = walk(client, headers, first(1))
    assert [commitments(page) for page in pages] == [[f"{CYCLES[0]}:53.01"], [f"{CYCLES[1]}:53.01"]]
    other = client.get("/overdue?regency=53.71", headers=headers)
    assert other.status_code == 200 and other.json() == []
    # A cursor another regency's page would give leads to nothing of theirs either.
    manager = signed_in(client, "manajer")
    elsewhere = links(client.get(first(3), headers=manager))["next"]
    later = walk(client, headers, elsewhere)
    assert {e["regency_code"] for page in later for e in page} <= {"53.01"}


def cursor(*mark: object) -> str:
    """A cursor as the list encodes one, made up."""
    text = json.dumps(list(mark)).encode()
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=" + cursor("yesterday", 1), "cursor"),
        ("cursor=" + cursor("2026-07-01T00:00:00+00:00", "rakor-2026:53.01"), "cursor"),
        ("cursor=" + cursor("up", "2026-07-01T00:00:00+00:00", "rakor-2026:53.01"), "cursor"),
        ("cursor=" + cursor("next", "2026-07-01T00:00:00", "rakor-2026:53.01"), "cursor"),
        ("cursor=" + cursor("next", "9999-12-31T23:59:59-05:00", "x"), "cursor"),
        ("cursor=" + cursor("prev", "2026-07-01T00:00:00+00:00", "a\u0000b"), "cursor"),
        ("cursor=" + cursor("prev", "2026-07-01T00:00:00+00:00", 5), "cursor"),
        ("cursor=" + "x" * 201, "cursor"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=many", "limit"),
    ],
)
def test_bad_paging_is_a_422_naming_the_field(db_url: str, query: str, field: str) -> None:
    seed(db_url)
    client = TestClient(create_app(Settings(database_url=db_url)))
    response = client.get(f"/overdue?{query}", headers=signed_in(client, "manajer"))
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
